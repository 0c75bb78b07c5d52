"""`linli org ...`: the admins' organisation commands, for scripting.

The same domain functions as the chat commands (storage.organisations), run as a trusted
operator (no Telegram id). Output is plain and stable: `invite` prints only the code on
stdout, `list --json` prints JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel import Session

from bot.cli.common import current_settings, fail, open_database
from storage import membership, organisations
from storage.errors import (
    DomainError,
    InvalidInput,
    InvalidState,
    NameTaken,
    OrganisationBlacklisted,
    OrganisationNotFound,
)
from storage.requests import blacklisting

T = TypeVar("T")

org_app = typer.Typer(
    help="Organisations: create, list, invite staff, blacklist and restore.",
    no_args_is_help=True,
)


def _explain(exc: DomainError, ref: str) -> str:
    if isinstance(exc, OrganisationNotFound):
        return f"no organisation {ref!r} (give its number or exact name; see `linli org list`)"
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
    with open_database(current_settings()) as database:
        try:
            with database.session() as session:
                return fn(session, **kwargs)
        except DomainError as exc:
            raise fail(_explain(exc, ref), code=1) from None


def _as_operator(fn: Callable[..., T], ref: str, **kwargs: Any) -> T:
    """`_run` for a domain function that checks who acts: here a trusted operator."""
    return _run(fn, ref, actor_id=None, admin_ids=frozenset(), **kwargs)


@org_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="The organisation's name (unique).")],
    category: Annotated[
        list[str] | None,
        typer.Option("--category", "-c", help="A category code in its scope; repeat. None = all."),
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
        categories=category or None,
        communities=community or None,
    )
    typer.echo(f"created organisation {organisation.id}: {organisation.name}")


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
        }
        for info in organisations.list_organisations(session)
    ]


@org_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """List organisations: number, name, scope, staff, requests in hand, blacklist status."""
    rows = _run(_listing, "")
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        typer.echo("no organisations yet: `linli org create NAME`")
        return
    for row in rows:
        scope = "/".join(
            ",".join(row[key]) if row[key] else "all" for key in ("categories", "communities")
        )
        status = f"BLACKLISTED ({row['blacklist_reason']})" if row["blacklisted"] else "active"
        typer.echo(
            f"{row['id']}\t{row['name']}\t{scope}\tstaff={row['staff']}\t"
            f"in_hand={row['active_requests']}\t{status}"
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
