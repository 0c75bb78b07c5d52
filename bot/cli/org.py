"""`linli org ...`: the admins' organisation commands, for scripting.

The same domain functions as the chat commands (storage.organisations), run as a trusted
operator (no Telegram id). Output is plain and stable: `invite` prints only the code on
stdout, `list --json` prints JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel import Session

from bot.cli.common import current_settings, fail, run_in_session
from nlp.categories import known_categories, load_model_categories
from storage import membership, organisations
from storage.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    NameTaken,
    NotStaff,
    OrganisationBlacklisted,
    OrganisationNotFound,
)
from storage.models import Organisation
from storage.requests import blacklisting
from storage.requests import scope as scope_rules

T = TypeVar("T")

org_app = typer.Typer(
    help="Organisations: create, list, scope, staff, invite, blacklist and restore.",
    no_args_is_help=True,
)
staff_app = typer.Typer(help="An organisation's staff: list, remove.", no_args_is_help=True)
org_app.add_typer(staff_app, name="staff")
ALL_WORDS = ("all", "全部")
NONE_WORDS = ("none", "无")  # nothing outside contracts


def _explain(exc: DomainError, ref: str) -> str:
    if isinstance(exc, OrganisationNotFound):
        return f"no organisation {ref!r} (give its number or exact name; see `linli org list`)"
    if isinstance(exc, NotStaff):
        return f"that person is not staff of {ref!r} (see `linli org staff list {ref}`)"
    if isinstance(exc, NameTaken):
        return f"an organisation named {ref!r} already exists"
    if isinstance(exc, OrganisationBlacklisted):
        return f"{exc.organisation_name!r} is blacklisted: restore it first"
    if isinstance(exc, InvalidState):
        return {
            "blacklisted": f"{ref!r} is already blacklisted",
            "active": f"{ref!r} is not blacklisted",
        }.get(exc.status, str(exc))
    if isinstance(exc, InvalidInput):
        return f"invalid {exc.field}: {exc}"
    return str(exc)


def _run(fn: Callable[..., T], ref: str, **kwargs: Any) -> T:
    """Run a domain function in one transaction, turning a refusal into an error line."""
    return run_in_session(current_settings(), fn, lambda exc: _explain(exc, ref), **kwargs)


def _as_operator(fn: Callable[..., T], ref: str, **kwargs: Any) -> T:
    """`_run` for a domain function that checks who acts: here a trusted operator."""
    return _run(fn, ref, actor_id=None, admin_ids=frozenset(), **kwargs)


@org_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The organisation's name (unique).")],
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            "-c",
            help="A category, by code (repairs) or name (设施维修); repeat. None = all.",
        ),
    ] = None,
    community: Annotated[
        list[str] | None,
        typer.Option("--community", "-m", help="A community it serves; repeat. None = all."),
    ] = None,
    contact: Annotated[str, typer.Option(help="Contact person and phone.")] = "",
) -> None:
    """Register an organisation with its scope of categories and communities."""
    organisation = _as_operator(
        organisations.create_organisation,
        name,
        name=name,
        contact=contact,
        categories=_category_codes(category or []) or None,
        communities=community or None,
    )
    typer.echo(f"created organisation {organisation.id}: {organisation.name}")


def _category_codes(values: list[str]) -> list[str]:
    """Category codes from codes or Chinese names; an unknown one stops with the valid list."""
    # The configured model's own label names (城乡建设) count too; read from its meta only.
    load_model_categories(current_settings().linli_model)
    codes: list[str] = []
    for value in values:
        code = organisations.category_code(value)
        if code is None:
            valid = ", ".join(f"{c.code} ({c.name})" for c in known_categories())
            raise fail(f"unknown category {value!r}; valid categories: {valid}")
        codes.append(code)
    return codes


def _items(raw: str) -> list[str]:
    return [item for item in re.split(r"[,，、;；]+", raw) if item.strip()]


def _scope_part(values: list[str] | None) -> str:
    """A half of the scope outside contracts: all (NULL), none ([]) or the values."""
    if values is None:
        return "all"
    return ",".join(values) or "none"


def _scope_line(categories: list[str] | None, communities: list[str] | None) -> str:
    return "/".join(_scope_part(values) for values in (categories, communities))


def _find(session: Session, *, organisation: str) -> Organisation:
    return organisations.find_organisation(session, ref=organisation)


@org_app.command("scope")
def scope(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
    categories: Annotated[
        str | None,
        typer.Option(
            "--categories",
            help="Comma-separated categories, by code or name (repairs,养老助老), 'all', or "
            "'none' (only through service contracts).",
        ),
    ] = None,
    communities: Annotated[
        str | None,
        typer.Option(help="Comma-separated communities (玉林社区,芳草社区), 'all' or 'none'."),
    ] = None,
) -> None:
    """Show an organisation's scope outside contracts, or replace its categories and/or
    communities (its active contracts add theirs: `linli contract list`)."""
    changes: dict[str, Any] = {}
    if categories is not None:
        items = _items(categories)
        every = not items or any(item.strip().lower() in ALL_WORDS for item in items)
        nothing = any(item.strip().lower() in NONE_WORDS for item in items)
        changes["categories"] = (
            organisations.NO_SCOPE if nothing else None if every else _category_codes(items)
        )
    if communities is not None:
        items = _items(communities)
        every = not items or any(item.strip().lower() in ALL_WORDS for item in items)
        nothing = any(item.strip().lower() in NONE_WORDS for item in items)
        changes["communities"] = organisations.NO_SCOPE if nothing else None if every else items
    if changes:
        org = _as_operator(
            scope_rules.set_scope, organisation, organisation=organisation, **changes
        )
    else:
        org = _run(_find, organisation, organisation=organisation)
    verb = "scope of" if not changes else "new scope of"
    typer.echo(
        f"{verb} {org.name}: {_scope_line(org.categories, org.communities)} (outside contracts)"
    )


def _listing(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "id": info.id,
            "name": info.name,
            "contact": info.contact,
            "categories": info.categories,
            "communities": info.communities,
            "blacklisted": info.blacklisted,
            "blacklist_reason": info.blacklist_reason if info.blacklisted else None,
            "blacklisted_at": info.blacklisted_at.isoformat()
            if info.blacklisted and info.blacklisted_at
            else None,
            "staff": info.staff,
            "active_requests": info.active_requests,
            # The scope above is the one outside contracts; these add theirs while active.
            "contracts": [
                {
                    "id": c.id,
                    "categories": c.categories,
                    "communities": c.communities,
                    "end": c.end_date.isoformat(),
                }
                for c in info.contracts
            ],
        }
        for info in organisations.list_organisations(session)
    ]


@org_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List organisations: number, name, scope outside contracts (categories/communities),
    staff, requests in hand, blacklist status, active contracts."""
    rows = _run(_listing, "")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no organisations yet: `linli org create NAME`")
        return
    for row in rows:
        scope = _scope_line(row["categories"], row["communities"])
        status = f"BLACKLISTED ({row['blacklist_reason']})" if row["blacklisted"] else "active"
        held = ",".join(str(c["id"]) for c in row["contracts"]) or "-"
        typer.echo(
            f"{row['id']}\t{row['name']}\t{scope}\tstaff={row['staff']}\t"
            f"in_hand={row['active_requests']}\t{status}\tcontracts={held}"
        )


def _invite(session: Session, **kwargs: Any) -> tuple[str, str, str]:
    invite, org = membership.create_invite(session, **kwargs)
    return invite.code, org.name, invite.expires_at.isoformat(timespec="minutes")


@org_app.command("invite")
def invite(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
) -> None:
    """Print a single-use invite code (valid 7 days); staff send `/join CODE` to the bot."""
    code, name, expires = _as_operator(_invite, organisation, organisation=organisation)
    typer.echo(f"invite for {name}, single use, expires {expires} UTC", err=True)
    typer.echo(code)


@org_app.command("blacklist")
def blacklist(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
    reason: Annotated[str, typer.Argument(help="Why (kept with the organisation).")],
) -> None:
    """Bar an organisation; the requests it holds go back to the queue."""
    org, released = _as_operator(
        blacklisting.blacklist, organisation, organisation=organisation, reason=reason
    )
    back = ", ".join(f"#{n}" for n in released) or "none"
    typer.echo(f"blacklisted {org.name}; requests returned to the queue: {back}")


@org_app.command("unblacklist")
def unblacklist(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
) -> None:
    """Restore a blacklisted organisation."""
    org = _as_operator(blacklisting.unblacklist, organisation, organisation=organisation)
    typer.echo(f"restored {org.name}")


@staff_app.command("list")
def staff_list(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
) -> None:
    """Print the staff: Telegram id, display name, joined (UTC), notify mode, requests held."""
    org, members = _as_operator(membership.staff_of, organisation, organisation=organisation)
    if not members:
        typer.echo(f"{org.name} has no staff yet: `linli org invite {org.id}`", err=True)
    for member in members:
        joined = member.joined_at.isoformat(timespec="minutes")
        typer.echo(
            f"{member.telegram_id}\t{member.display_name}\t{joined}\t"
            f"{member.notify_mode.value}\tholding={member.holding}"
        )


@staff_app.command("remove")
def staff_remove(
    organisation: Annotated[str, typer.Argument(help="Organisation number or name.")],
    telegram_id: Annotated[int, typer.Argument(help="The member's Telegram id (see `list`).")],
) -> None:
    """Take a member out: they are no longer staff; the requests they held stay with it."""
    gone = _as_operator(
        membership.remove_staff, organisation, organisation=organisation, telegram_id=telegram_id
    )
    kept = ", ".join(f"#{n}" for n in gone.kept) or "none"
    typer.echo(
        f"removed {gone.display_name} ({gone.telegram_id}) from {gone.organisation_name}; "
        f"requests they held, still with the organisation: {kept}"
    )
