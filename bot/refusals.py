"""Every domain refusal (`storage.errors`) in polite Chinese, in one place.

Handlers catch `DomainError` around their one domain call and answer
`refusal_text(exc, scene=..., number=..., ref=...)`. The `Scene` says where the refusal is
shown, for the few places that word a refusal their own way (a resident's /cancel, the
merge command, the feedback buttons ...); everything else falls back to the wording staff
and admin commands share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot import texts
from bot.texts import contracts as contract_texts
from bot.texts import conversation as c
from bot.texts import staff as t
from bot.texts import summary as summary_texts
from storage.errors import (
    AlreadyAnswered,
    AlreadyClaimed,
    AlreadyMember,
    AlreadyRated,
    BlacklistedContractor,
    CannotMerge,
    ClaimedByYou,
    ContractEnded,
    ContractNotFound,
    DomainError,
    InvalidInput,
    InvalidState,
    InviteInvalid,
    LimitReached,
    MergeNotAllowed,
    NameTaken,
    NotAdmin,
    NotAllowed,
    NotFound,
    NotStaff,
    NotYours,
    OrganisationBlacklisted,
    OrganisationNotFound,
    OutOfScope,
    RequestNotFound,
    ResidentGone,
    UnknownCommunities,
)
from storage.models import RequestStatus
from storage.requests import records
from storage.requests.feedback import FEEDBACK_CLOSED


class Scene(StrEnum):
    """Where a refusal is shown, when that changes its wording."""

    STAFF = "staff"  # staff and admin commands and buttons: the shared wording
    RECLASSIFY = "reclassify"  # /reclassify: invalid input means the category is unchanged
    NEWORG = "neworg"  # the /neworg 创建 button: a vanished draft is an expired button
    MERGE = "merge"  # /merge <keep> <merge>
    FEEDBACK = "feedback"  # the resident's 是/否 and star buttons
    CANCEL = "cancel"  # the resident's /cancel N
    SUPPORT = "support"  # the resident's 我也遇到了
    FILE = "file"  # the resident's 提交 of a draft
    THREAD = "thread"  # the resident's /my N, 补充, 催办, 撤回 and answers
    CONTRACT = "contract"  # /contracts, /newcontract (service contracts)


@dataclass(frozen=True)
class About:
    """What the refused action was about: the request `number` (for /merge, the one kept),
    the organisation as the user typed it (`ref`), and for /merge the request `merged`."""

    number: int | None = None
    ref: str = ""
    merged: int | None = None


def refusal_text(
    exc: DomainError,
    *,
    scene: Scene = Scene.STAFF,
    number: int | None = None,
    ref: str = "",
    merged: int | None = None,
) -> str:
    """The polite Chinese answer to a domain refusal shown in `scene`."""
    about = About(number=number, ref=ref, merged=merged)
    special = _SCENES.get(scene)
    text = special(exc, about) if special is not None else None
    return text if text is not None else _shared(exc, about)


# --- the shared wording -------------------------------------------------------------------


def _shared(exc: DomainError, about: About) -> str:
    """The wording of staff and admin commands (the order matters: subclasses first)."""
    number, ref = about.number, about.ref
    if isinstance(exc, NotAdmin):
        return t.NOT_ADMIN
    if isinstance(exc, NotStaff):
        return t.NOT_STAFF
    if isinstance(exc, OrganisationBlacklisted):
        return t.BLACKLISTED.format(organisation=texts.excerpt(exc.organisation_name, 60))
    if isinstance(exc, OutOfScope):
        return t.OUT_OF_SCOPE.format(number=number)
    if isinstance(exc, NotYours):
        return t.NOT_YOURS.format(number=number)
    if isinstance(exc, ClaimedByYou):
        return t.ALREADY_CLAIMED_BY_US.format(number=number)
    if isinstance(exc, AlreadyClaimed):
        return t.ALREADY_CLAIMED.format(
            number=number, organisation=texts.excerpt(exc.organisation_name, 60)
        )
    if isinstance(exc, InvalidState):
        return _invalid_state(exc, about)
    if isinstance(exc, InviteInvalid):
        return {"expired": t.INVITE_EXPIRED, "used": t.INVITE_USED}.get(
            exc.reason, t.INVITE_UNKNOWN
        )
    if isinstance(exc, OrganisationNotFound):
        return t.ORG_NOT_FOUND.format(name=texts.excerpt(ref, 40))
    if isinstance(exc, NotFound):
        return t.REQUEST_NOT_FOUND.format(number=number)
    if isinstance(exc, AlreadyMember):
        return t.ALREADY_MEMBER.format(organisation=texts.excerpt(exc.organisation_name, 60))
    if isinstance(exc, NameTaken):
        return t.NEWORG_NAME_TAKEN.format(name=texts.excerpt(ref, 100))
    if isinstance(exc, ResidentGone):
        return t.RESIDENT_GONE.format(number=number)
    if isinstance(exc, InvalidInput):
        if str(exc) == "too long":
            limit = records.MAX_REASON if exc.field == "reason" else records.MAX_NOTE
            return t.TEXT_TOO_LONG.format(limit=limit)
        return t.TEXT_EMPTY
    return texts.ERROR


def _invalid_state(exc: InvalidState, about: About) -> str:
    if isinstance(exc, AlreadyRated):
        return t.FEEDBACK_ALREADY_RATED
    if isinstance(exc, AlreadyAnswered):
        return t.FEEDBACK_ALREADY_ANSWERED
    if exc.status == RequestStatus.OPEN.value and about.number is not None:
        return t.NOT_CLAIMED_YET.format(number=about.number)
    if exc.status == "blacklisted":
        return t.ALREADY_BLACKLISTED.format(organisation=texts.excerpt(about.ref, 60))
    if exc.status == "active":
        return t.NOT_BLACKLISTED.format(organisation=texts.excerpt(about.ref, 60))
    return t.WRONG_STATE.format(number=about.number, status=texts.status_name(exc.status))


# --- scenes with their own wording (None: the shared wording) -----------------------------


def _reclassify(exc: DomainError, about: About) -> str | None:
    return t.SAME_CATEGORY.format(number=about.number) if isinstance(exc, InvalidInput) else None


def _neworg(exc: DomainError, about: About) -> str | None:
    return t.BUTTON_EXPIRED if isinstance(exc, NotFound) else None


def _merge(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, CannotMerge):
        if exc.reason == "same":
            return summary_texts.MERGE_SAME
        if exc.reason == "keep_closed":
            return summary_texts.MERGE_KEEP_CLOSED.format(number=about.number)
        return summary_texts.MERGE_MERGE_CLOSED.format(number=about.merged)
    if isinstance(exc, RequestNotFound):
        return summary_texts.MERGE_NOT_FOUND.format(number=exc.number)
    if isinstance(exc, MergeNotAllowed):
        return summary_texts.MERGE_OUT_OF_SCOPE.format(number=exc.number)
    if isinstance(exc, NotAllowed):
        return summary_texts.MERGE_NOT_ALLOWED
    return texts.ERROR


def _feedback(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, NotYours):
        return t.FEEDBACK_NOT_YOURS
    if isinstance(exc, AlreadyAnswered | AlreadyRated):
        return None
    if isinstance(exc, InvalidState) and exc.status == FEEDBACK_CLOSED:
        return c.FEEDBACK_CLOSED_REFUSAL
    return t.FEEDBACK_NOT_NOW


def _cancel(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, NotFound):
        return texts.NOT_FOUND.format(number=about.number)
    if isinstance(exc, InvalidState):
        return texts.CANNOT_CANCEL.format(number=about.number, status=texts.status_name(exc.status))
    return None


def _support(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, NotAllowed):
        return summary_texts.SUPPORT_OWN.format(number=about.number)
    if isinstance(exc, InvalidState | NotFound):
        status = exc.status if isinstance(exc, InvalidState) else "cancelled"
        return summary_texts.SUPPORT_CLOSED.format(
            number=about.number, status=texts.status_name(status)
        )
    return None


def _thread(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, NotFound):
        return c.NOT_YOUR_REQUEST.format(number=about.number)
    if isinstance(exc, InvalidState):
        return c.CLOSED_REQUEST.format(number=about.number, status=texts.status_name(exc.status))
    return None


def _file(exc: DomainError, about: About) -> str | None:
    if isinstance(exc, NotFound):
        return texts.ALREADY_SUBMITTED
    if isinstance(exc, LimitReached):
        return texts.LIMIT_REACHED.format(limit=exc.limit)
    return None


def _contract(exc: DomainError, about: About) -> str | None:
    """Service contracts: a blacklisted organisation, a contract over or unknown, bad input."""
    if isinstance(exc, BlacklistedContractor):
        return contract_texts.NO_CONTRACT_FOR_BLACKLISTED.format(
            organisation=texts.excerpt(exc.organisation_name, 60)
        )
    if isinstance(exc, ContractNotFound):
        return contract_texts.NOT_FOUND.format(id=exc.number)
    if isinstance(exc, ContractEnded):
        return contract_texts.ALREADY_ENDED.format(id=exc.number)
    if isinstance(exc, UnknownCommunities):
        names = "、".join(texts.excerpt(name, 30) for name in exc.names[:10])
        return contract_texts.UNKNOWN_COMMUNITIES.format(names=names)
    if isinstance(exc, InvalidInput) and exc.field in contract_texts.INVALID:
        return contract_texts.INVALID[exc.field]
    if isinstance(exc, NotFound) and not isinstance(exc, OrganisationNotFound):
        return t.BUTTON_EXPIRED  # the dialogue's draft is gone: an old button
    return None


_SCENES: dict[Scene, Callable[[DomainError, About], str | None]] = {
    Scene.RECLASSIFY: _reclassify,
    Scene.NEWORG: _neworg,
    Scene.MERGE: _merge,
    Scene.FEEDBACK: _feedback,
    Scene.CANCEL: _cancel,
    Scene.SUPPORT: _support,
    Scene.FILE: _file,
    Scene.THREAD: _thread,
    Scene.CONTRACT: _contract,
}
