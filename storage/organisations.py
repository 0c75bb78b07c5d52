"""Organisations, their scope, their staff, and roles (resident, staff, admin).

Invites and joining are in storage.membership; barring an organisation (its held requests go
back to the queue) in storage.requests.blacklisting.

Plain functions over a SQLModel session; the caller owns the transaction. Admin operations
take the acting user's id and the configured admin ids and check the role themselves, so a
handler (or a test) that forgets cannot skip it.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from nlp.categories import known_categories
from nlp.normalize import normalise
from storage.drafts import consume_draft
from storage.errors import (
    InvalidInput,
    NameTaken,
    NotAdmin,
    NotFound,
    NotStaff,
    OrganisationBlacklisted,
    OrganisationNotFound,
)
from storage.models import (
    NotifyMode,
    Organisation,
    RequestStatus,
    ServiceContract,
    ServiceRequest,
    Staff,
    utcnow,
)
from storage.sql import insert_if_absent

log = logging.getLogger(__name__)

MAX_NAME = 100
MAX_CONTACT = 200
MAX_COMMUNITY = 100
ORGS_PAGE_SIZE = 5  # /orgs: a page stays under Telegram's 4096 characters


# --- roles ----------------------------------------------------------------------------------


class Role(enum.StrEnum):
    ADMIN = "admin"
    STAFF = "staff"
    RESIDENT = "resident"


def role_of(session: Session, *, telegram_id: int, admin_ids: Collection[int]) -> Role:
    """Admin (ADMIN_IDS) wins over staff (member of an organisation) over resident."""
    if telegram_id in admin_ids:
        return Role.ADMIN
    if find_staff(session, telegram_id=telegram_id) is not None:
        return Role.STAFF
    return Role.RESIDENT


def require_admin(*, actor_id: int | None, admin_ids: Collection[int]) -> None:
    """Raise NotAdmin unless `actor_id` is an admin (None = the CLI, trusted by the shell)."""
    if actor_id is not None and actor_id not in admin_ids:
        raise NotAdmin(f"user {actor_id} is not an admin")


def find_staff(session: Session, *, telegram_id: int) -> Staff | None:
    return session.exec(select(Staff).where(Staff.telegram_id == telegram_id)).first()


def staff_organisation(
    session: Session, *, telegram_id: int, lock: bool = False
) -> tuple[Staff, Organisation]:
    """The staff member and their organisation; NotStaff for anyone else.

    With `lock`, the organisation row is read `FOR SHARE` (PostgreSQL) so that blacklisting
    and removing a member, which lock the row for update, wait for claims in flight and then
    see them, and a claim that waited for them sees their outcome.
    """
    query = (
        select(Staff, Organisation)
        .join(Organisation, col(Organisation.id) == col(Staff.organisation_id))
        .where(Staff.telegram_id == telegram_id)
    )
    if lock:
        query = query.with_for_update(read=True, of=Organisation)
    row = session.exec(query).first()
    if row is None:
        raise NotStaff(f"user {telegram_id} is not staff")
    staff, organisation = row
    if lock:
        # A removal holds the organisation FOR UPDATE while it deletes the membership: once
        # the lock above is ours, a fresh read sees whether the membership is still there.
        still = session.exec(
            select(Staff.id).where(
                Staff.telegram_id == telegram_id, Staff.organisation_id == organisation.id
            )
        ).first()
        if still is None:
            raise NotStaff(f"user {telegram_id} is not staff")
    return staff, organisation


def active_staff_organisation(
    session: Session, *, telegram_id: int, lock: bool = False
) -> tuple[Staff, Organisation]:
    """Like staff_organisation, refusing members of a blacklisted organisation."""
    staff, organisation = staff_organisation(session, telegram_id=telegram_id, lock=lock)
    if organisation.blacklisted:
        raise OrganisationBlacklisted(organisation.name)
    return staff, organisation


# --- scope ----------------------------------------------------------------------------------
#
# An organisation serves a request when its manual scope covers it (the categories and
# communities admins gave it outside any contract: "合同外范围", NULL = all, [] = none) or one
# of its active service contracts does (each covers its categories x its communities). The
# contracts themselves are managed in storage.contracts; what "active" means lives here, beside
# the scope it decides, so that every routing path reads it from one place.

# The deployment's zone for a contract's dates when the caller has none (settings.TIMEZONE is
# Asia/Shanghai by default; callers that know the settings pass theirs).
DEFAULT_TZ: tzinfo = ZoneInfo("Asia/Shanghai")


def manual_in_scope(organisation: Organisation, *, category: str, community: str | None) -> bool:
    """Whether the scope given outside contracts covers it (None = all, [] = none).

    A request without a community is only in the scope of organisations serving all.
    """
    if organisation.categories is not None and category not in organisation.categories:
        return False
    return organisation.communities is None or (
        community is not None and community in organisation.communities
    )


def manual_scope_clauses(organisation: Organisation) -> list[sa.ColumnElement[bool]]:
    """The manual scope as SQL conditions on requests (plain IN lists, no JSON functions)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if organisation.categories is not None:
        clauses.append(col(ServiceRequest.category).in_(organisation.categories or [""]))
    if organisation.communities is not None:
        clauses.append(col(ServiceRequest.community).in_(organisation.communities or [""]))
    return clauses


def covers_everything(organisation: Organisation) -> bool:
    """Whether the manual scope alone covers every category in every community."""
    return organisation.categories is None and organisation.communities is None


def contract_active(contract: ServiceContract, at: datetime, tz: tzinfo) -> bool:
    """start_date <= the local date of `at` <= end_date, and not ended early before `at`."""
    today = at.astimezone(tz).date()
    if not contract.start_date <= today <= contract.end_date:
        return False
    return contract.ended_at is None or contract.ended_at > at


def active_contract_clauses(*, at: datetime, tz: tzinfo) -> list[sa.ColumnElement[bool]]:
    """contract_active as SQL conditions on service_contracts."""
    today = at.astimezone(tz).date()
    return [
        col(ServiceContract.start_date) <= today,
        col(ServiceContract.end_date) >= today,
        sa.or_(col(ServiceContract.ended_at).is_(None), col(ServiceContract.ended_at) > at),
    ]


def contract_covers(contract: ServiceContract, *, category: str, community: str | None) -> bool:
    """A contract covers its categories in its communities; never a request without one."""
    return (
        community is not None
        and category in contract.categories
        and community in contract.communities
    )


def contract_clause(contract: ServiceContract) -> sa.ColumnElement[bool]:
    """contract_covers as one SQL condition on requests."""
    return sa.and_(
        col(ServiceRequest.category).in_(contract.categories or [""]),
        col(ServiceRequest.community).in_(contract.communities or [""]),
    )


def organisation_contracts(
    session: Session,
    *,
    at: datetime,
    tz: tzinfo = DEFAULT_TZ,
    organisation_ids: Collection[int] | None = None,
) -> dict[int, list[ServiceContract]]:
    """Active contracts at `at` by organisation (one query)."""
    query = select(ServiceContract).where(*active_contract_clauses(at=at, tz=tz))
    if organisation_ids is not None:
        query = query.where(col(ServiceContract.organisation_id).in_(list(organisation_ids)))
    found: dict[int, list[ServiceContract]] = {}
    for contract in session.exec(query.order_by(col(ServiceContract.id))).all():
        found.setdefault(contract.organisation_id, []).append(contract)
    return found


def covers(
    organisation: Organisation,
    contracts: Iterable[ServiceContract],
    *,
    category: str,
    community: str | None,
) -> bool:
    """The combined scope: the manual one, or any of the given (active) contracts."""
    return manual_in_scope(organisation, category=category, community=community) or any(
        contract_covers(contract, category=category, community=community)
        for contract in contracts
        if contract.organisation_id == organisation.id
    )


def in_scope(
    session: Session,
    organisation: Organisation,
    *,
    category: str,
    community: str | None,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> bool:
    """Whether the organisation serves a new request of this category and community at `at`
    (now): its manual scope or one of its active contracts covers it."""
    if manual_in_scope(organisation, category=category, community=community):
        return True
    assert organisation.id is not None
    contracts = organisation_contracts(
        session, at=at or utcnow(), tz=tz, organisation_ids=[organisation.id]
    )
    return covers(
        organisation,
        contracts.get(organisation.id, []),
        category=category,
        community=community,
    )


def scope_clauses(
    session: Session,
    organisation: Organisation,
    *,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> list[sa.ColumnElement[bool]]:
    """The combined scope at `at` (now) as SQL conditions on requests: the manual scope OR
    each active contract's (categories x communities). Empty when the manual scope is all."""
    if covers_everything(organisation):
        return []
    assert organisation.id is not None
    contracts = organisation_contracts(
        session, at=at or utcnow(), tz=tz, organisation_ids=[organisation.id]
    ).get(organisation.id, [])
    manual = manual_scope_clauses(organisation)
    either = [sa.and_(*manual), *(contract_clause(contract) for contract in contracts)]
    return [sa.or_(*either)]


def covering_organisations(
    session: Session,
    *,
    category: str,
    community: str | None,
    at: datetime | None = None,
    tz: tzinfo = DEFAULT_TZ,
    include_blacklisted: bool = False,
) -> list[Organisation]:
    """Organisations (not blacklisted, unless asked) that serve a new request of this category
    and community at `at` (now), in number order: two queries, whatever their number."""
    query = select(Organisation)
    if not include_blacklisted:
        query = query.where(col(Organisation.blacklisted).is_(False))
    organisations = session.exec(query.order_by(col(Organisation.id))).all()
    contracts = organisation_contracts(session, at=at or utcnow(), tz=tz)
    return [
        org
        for org in organisations
        if org.id is not None
        and covers(org, contracts.get(org.id, []), category=category, community=community)
    ]


def _clean_list(values: Iterable[str] | None, *, limit: int) -> list[str] | None:
    if values is None:
        return None
    cleaned: list[str] = []
    for value in values:
        # The canonical form of a place (storage.requests.clean_place), so that a scope written
        # in Traditional or full-width matches what residents type.
        value = normalise(value)
        if value and value not in cleaned:
            if len(value) > limit:
                raise InvalidInput("community", f"{value[:20]}… is too long")
            cleaned.append(value)
    return cleaned or None


def category_codes() -> list[str]:
    """Every category code: a loaded model's own labels (城乡建设's l_...) and the file's."""
    return [category.code for category in known_categories()]


def category_code(ref: str) -> str | None:
    """A category by its code (repairs) or its name, as a loaded model's labels or the
    categories file give it."""
    ref = normalise(ref).strip()
    for category in known_categories():
        if ref in (category.code, normalise(category.name)):
            return category.code
    return None


def _category_scope(values: Iterable[str] | None) -> list[str] | None:
    """Category codes (given as codes or names), checked; None = all, as is an empty list."""
    cleaned = _clean_list(values, limit=50)
    if cleaned is None:
        return None
    codes: list[str] = []
    unknown: list[str] = []
    for value in cleaned:
        code = category_code(value)
        if code is None:
            unknown.append(value)
        elif code not in codes:
            codes.append(code)
    if unknown:
        raise InvalidInput("category", f"unknown categories: {', '.join(unknown)}")
    return codes


# --- organisations --------------------------------------------------------------------------


def create_organisation(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    name: str,
    contact: str = "",
    categories: Iterable[str] | None = None,
    communities: Iterable[str] | None = None,
) -> Organisation:
    """Register an organisation with its scope (None = all categories / all communities)."""
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput("name")
    if len(contact) > MAX_CONTACT:
        raise InvalidInput("contact")
    codes = _category_scope(categories)
    table = SQLModel.metadata.tables["organisations"]
    now = utcnow()
    values = {
        "name": name,
        "contact": " ".join(contact.split()),
        "categories": codes,
        "communities": _clean_list(communities, limit=MAX_COMMUNITY),
        "blacklisted": False,
        "created_at": now,
    }
    if not insert_if_absent(session, table, values, unless=table.c.name == name):
        raise NameTaken(name)
    organisation = session.exec(select(Organisation).where(Organisation.name == name)).one()
    log.info("organisation %s created", organisation.id)
    return organisation


def name_taken(session: Session, *, name: str) -> bool:
    """Whether an organisation already has this name (checked early by the /neworg dialogue)."""
    return organisation_named(session, name=name) is not None


def organisation_named(session: Session, *, name: str) -> Organisation | None:
    """The organisation with exactly this name (spaces collapsed), never one by number."""
    name = " ".join(name.split())
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


_QUOTES = "「」\"'“”『』"


def find_organisation(session: Session, *, ref: str, lock: bool = False) -> Organisation:
    """An organisation by its number ('3') or its exact name (「」 quotes allowed).

    With `lock`, the row is read `FOR SHARE` (PostgreSQL) and fresh: a blacklisting, which
    updates it, waits for the caller's transaction, or the caller waits for it and sees it.
    """
    ref = " ".join(ref.strip().strip(_QUOTES).split())
    if not ref:
        raise OrganisationNotFound("organisation")
    found: Organisation | None = None
    if ref.isascii() and ref.isdigit() and len(ref) <= 9:
        found = session.get(Organisation, int(ref))
    if found is None:
        found = session.exec(select(Organisation).where(Organisation.name == ref)).first()
    if found is None:
        raise OrganisationNotFound(f"organisation {ref}")
    if lock:
        found = session.exec(
            select(Organisation)
            .where(col(Organisation.id) == found.id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        ).one()
    return found


def split_organisation_ref(session: Session, *, text: str) -> tuple[str, str]:
    """Split `/blacklist` arguments into (organisation, the rest), for names with spaces.

    「Quoted」 names are taken as they are; otherwise the longest known organisation name the
    text starts with (word by word), else the first word (a number or an unknown name, which
    find_organisation then refuses politely).
    """
    text = text.strip()
    for opening, closing in (("「", "」"), ("“", "”"), ('"', '"'), ("『", "』")):
        if text.startswith(opening) and closing in text[1:]:
            end = text.index(closing, 1)
            return text[1:end], text[end + 1 :].strip()
    words = list(re.finditer(r"\S+", text))
    if not words:
        return "", ""
    prefixes = {
        " ".join(word.group() for word in words[: n + 1]): words[n].end()
        for n in range(min(len(words), MAX_NAME))
    }
    known = session.exec(
        select(Organisation.name).where(col(Organisation.name).in_(list(prefixes)))
    ).all()
    if known:
        end = prefixes[max(known, key=len)]
        return text[:end], text[end:].strip()
    return words[0].group(), text[words[0].end() :].strip()


@dataclass(frozen=True)
class ContractScope:
    """An active contract as an organisation's scope shows it (storage.contracts has the rest)."""

    id: int
    categories: list[str]
    communities: list[str]
    end_date: date


@dataclass(frozen=True)
class OrganisationInfo:
    """One line of /orgs: the organisation, its manual scope (categories and communities, outside
    contracts), its active contracts and how busy it is."""

    id: int
    name: str
    contact: str
    categories: list[str] | None
    communities: list[str] | None
    blacklisted: bool
    blacklist_reason: str | None
    blacklisted_at: datetime | None
    staff: int
    active_requests: int
    contracts: tuple[ContractScope, ...] = ()


def list_organisations(session: Session) -> list[OrganisationInfo]:
    """Every organisation with its number of staff and of requests it is working on."""
    return _infos(session, session.exec(select(Organisation).order_by(col(Organisation.id))).all())


@dataclass(frozen=True)
class OrganisationPage:
    """One page of /orgs (0-based `page`, clamped to the pages that exist)."""

    items: list[OrganisationInfo]
    page: int
    pages: int
    total: int


def organisation_page(
    session: Session, *, page: int = 0, page_size: int = ORGS_PAGE_SIZE
) -> OrganisationPage:
    """A page of organisations in number order, for a chat message that must stay short."""
    total = int(session.exec(select(sa.func.count()).select_from(Organisation)).one())
    pages = max(1, -(-total // page_size))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Organisation)
        .order_by(col(Organisation.id))
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    return OrganisationPage(items=_infos(session, rows), page=page, pages=pages, total=total)


def _infos(session: Session, rows: Sequence[Organisation]) -> list[OrganisationInfo]:
    ids = [org.id for org in rows]
    if not ids:
        return []
    staff_counts = dict(
        session.exec(
            select(Staff.organisation_id, sa.func.count())
            .where(col(Staff.organisation_id).in_(ids))
            .group_by(col(Staff.organisation_id))
        ).all()
    )
    active_counts = dict(
        session.exec(
            select(ServiceRequest.organisation_id, sa.func.count())
            .where(
                col(ServiceRequest.organisation_id).in_(ids),
                col(ServiceRequest.status).in_([RequestStatus.CLAIMED, RequestStatus.IN_PROGRESS]),
            )
            .group_by(col(ServiceRequest.organisation_id))
        ).all()
    )
    active = organisation_contracts(
        session, at=utcnow(), organisation_ids=[i for i in ids if i is not None]
    )
    result = []
    for org in rows:
        assert org.id is not None
        result.append(
            OrganisationInfo(
                id=org.id,
                name=org.name,
                contact=org.contact,
                categories=org.categories,
                communities=org.communities,
                blacklisted=org.blacklisted,
                blacklist_reason=org.blacklist_reason,
                blacklisted_at=org.blacklisted_at,
                staff=int(staff_counts.get(org.id, 0)),
                active_requests=int(active_counts.get(org.id, 0)),
                contracts=tuple(
                    ContractScope(
                        id=contract.id or 0,
                        categories=list(contract.categories),
                        communities=list(contract.communities),
                        end_date=contract.end_date,
                    )
                    for contract in active.get(org.id, [])
                ),
            )
        )
    return result


def organisation_staff(
    session: Session, *, organisation_id: int, modes: Collection[NotifyMode] | None = None
) -> list[Staff]:
    query = select(Staff).where(Staff.organisation_id == organisation_id)
    if modes is not None:
        query = query.where(col(Staff.notify_mode).in_([m.value for m in modes]))
    return list(session.exec(query.order_by(col(Staff.id))).all())


# --- editing the scope ----------------------------------------------------------------------


class Keep(enum.Enum):
    """`set_scope`'s default: that half of the scope stays as it is."""

    KEEP = "keep"


class NoScope(enum.Enum):
    """`set_scope`'s "none outside contracts": that half becomes an empty list (serving only
    through contracts; None would mean all)."""

    NONE = "none"


KEEP = Keep.KEEP
NO_SCOPE = NoScope.NONE
Scope = Iterable[str] | None | Keep | NoScope


def _locked(session: Session, organisation: Organisation) -> Organisation:
    """The organisation's row, fresh and locked `FOR UPDATE` (PostgreSQL) until the caller
    commits: two admins editing at once see each other's change instead of overwriting it."""
    return session.exec(
        select(Organisation)
        .where(col(Organisation.id) == organisation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def set_scope(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    categories: Scope = KEEP,
    communities: Scope = KEEP,
) -> Organisation:
    """Replace the categories and/or communities an organisation serves outside contracts
    (None or an empty list = all; NO_SCOPE = none; KEEP = unchanged). Categories are given by
    code or name.

    Requests it already holds stay with it; the queue follows the new scope at once.
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    org = _locked(session, find_organisation(session, ref=organisation))
    if isinstance(categories, NoScope):
        org.categories = []
    elif not isinstance(categories, Keep):
        org.categories = _category_scope(categories)
    if isinstance(communities, NoScope):
        org.communities = []
    elif not isinstance(communities, Keep):
        org.communities = _clean_list(communities, limit=MAX_COMMUNITY)
    session.add(org)
    session.flush()
    log.info("scope of organisation %s changed", org.id)
    return org


def toggle_category(
    session: Session,
    *,
    actor_id: int | None,
    admin_ids: Collection[int],
    organisation: str,
    category: str,
) -> Organisation:
    """Add a category to the scope, or take it out (the scope buttons).

    From "all categories", a category pressed becomes the only one. The last category is not
    taken out (an empty list would mean all): InvalidInput("categories", "last").
    """
    require_admin(actor_id=actor_id, admin_ids=admin_ids)
    code = category_code(category)
    if code is None:
        raise InvalidInput("category", f"unknown categories: {category}")
    org = _locked(session, find_organisation(session, ref=organisation))
    chosen = list(org.categories or [])
    if code in chosen:
        if len(chosen) == 1:
            raise InvalidInput("categories", "last")
        chosen.remove(code)
    else:
        chosen.append(code)
    org.categories = chosen
    session.add(org)
    session.flush()
    log.info("scope of organisation %s changed", org.id)
    return org


# --- from the /neworg dialogue -----------------------------------------------------------


def create_from_draft(
    session: Session,
    *,
    telegram_id: int,
    admin_ids: Collection[int],
    version: int,
    step: str,
    name: str,
) -> tuple[Organisation, bool]:
    """Consume an admin's confirmed /neworg draft (at `step`, `version`) and create the
    organisation it describes, in one transaction.

    Returns (organisation, True), or (the organisation named `name`, False) when the draft was
    consumed already (a double tap on 创建); NotFound when it is gone otherwise.
    """
    draft = consume_draft(session, telegram_id=telegram_id, version=version, step=step)
    if draft is None:
        # Of two taps, one deletes the draft (PostgreSQL: the other waits for it, then finds
        # nothing to delete): that one creates, the other finds what it created.
        created = organisation_named(session, name=name)
        if created is None:
            raise NotFound("draft")
        return created, False
    data = dict(draft.data)
    organisation = create_organisation(
        session,
        actor_id=telegram_id,
        admin_ids=admin_ids,
        name=data["name"],
        contact=data.get("contact") or "",
        categories=data.get("categories"),
        communities=data.get("communities"),
    )
    return organisation, True
