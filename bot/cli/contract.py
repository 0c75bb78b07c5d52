"""`linli contract ...`: service contracts (政府购买服务项目), for scripting.

The same domain functions as /contracts and /newcontract (storage.contracts), run as a trusted
operator (no Telegram id). Output is plain and stable: `create` prints a readable line and then
the new contract's number alone on the last line; `list --json` and `show --json` print JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from sqlmodel import Session

from bot.cli.common import current_settings, fail, run_in_session
from bot.texts import contracts as k
from nlp.categories import known_categories, load_model_categories
from storage import contracts, organisations
from storage.contracts import ContractInfo
from storage.errors import (
    BlacklistedContractor,
    ContractEnded,
    ContractNotFound,
    DomainError,
    InvalidInput,
    OrganisationNotFound,
    UnknownCommunities,
)

T = TypeVar("T")

contract_app = typer.Typer(
    help="Service contracts (政府购买服务项目): create, list, show and end.",
    no_args_is_help=True,
)
_SEPARATORS = ",，、;；"


def _explain(exc: DomainError, ref: str) -> str:
    if isinstance(exc, OrganisationNotFound):
        return f"no organisation {ref!r} (give its number or exact name; see `linli org list`)"
    if isinstance(exc, BlacklistedContractor):
        return f"{exc.organisation_name!r} is blacklisted: it cannot be given a new contract"
    if isinstance(exc, ContractNotFound):
        return f"no contract {exc.number} (see `linli contract list`)"
    if isinstance(exc, ContractEnded):
        return f"contract {exc.number} has already ended"
    if isinstance(exc, UnknownCommunities):
        return (
            f"communities not in the gazetteer: {', '.join(exc.names)} "
            "(give canonical 社区 names; see `linli places`)"
        )
    if isinstance(exc, InvalidInput) and exc.field == "category":
        valid = ", ".join(f"{c.code} ({c.name})" for c in known_categories())
        return f"{exc}; valid categories: {valid}"
    if isinstance(exc, InvalidInput):
        return f"invalid {exc.field}: {exc}"
    return str(exc)


def _run(fn: Callable[..., T], ref: str = "", **kwargs: Any) -> T:
    """Run a domain function in one transaction, turning a refusal into an error line."""
    settings = current_settings()
    # A model trained on a deployment's own labels (城乡建设) names its categories itself.
    load_model_categories(settings.linli_model)
    return run_in_session(settings, fn, lambda exc: _explain(exc, ref), **kwargs)


def _items(raw: str) -> list[str]:
    for separator in _SEPARATORS[1:]:
        raw = raw.replace(separator, ",")
    return [item.strip() for item in raw.split(",") if item.strip()]


def _day(raw: str, option: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise fail(f"{option} must be a date YYYY-MM-DD, not {raw!r}") from None


def _targets(raw: list[str]) -> dict[str, float]:
    """NAME=VALUE pairs: a code (response_rate) or its Chinese name (响应率); 90%, 0.9 or 90."""
    names = {words: code for code, words in k.TARGET_NAMES.items()}
    targets: dict[str, float] = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--target takes NAME=VALUE (e.g. response_rate=90%), not {item!r}")
        code = names.get(name.strip(), name.strip())
        try:
            code, targets[code] = contracts.parse_target(f"{code}={value}")
        except InvalidInput as exc:
            raise fail(f"invalid --target {item!r}: {exc}") from None
    return targets


def _scope_line(info: ContractInfo) -> str:
    return f"{','.join(info.categories)} in {','.join(info.communities)}"


def _targets_line(targets: dict[str, float]) -> str:
    return ",".join(f"{name}={value:g}" for name, value in targets.items()) or "-"


def _create(session: Session, **kwargs: Any) -> tuple[ContractInfo, bool]:
    """The contract and whether the organisation's manual "all" scope was taken away."""
    organisation = organisations.find_organisation(session, ref=kwargs["organisation_ref"])
    clears = not kwargs["keep_manual_scope"] and contracts.clears_manual_scope(
        session, organisation
    )
    contract = contracts.create_contract(session, **kwargs)
    assert contract.id is not None
    return contracts.contract_info(session, contract.id, tz=current_settings().tz), clears


@contract_app.command("create")
def create(
    org: Annotated[str, typer.Option("--org", help="Organisation number or exact name.")],
    purchaser: Annotated[str, typer.Option(help="Who buys the service, e.g. 玉林街道办事处.")],
    categories: Annotated[
        str, typer.Option(help="Comma-separated categories, by code or name (repairs,养老助老).")
    ],
    communities: Annotated[
        str, typer.Option(help="Comma-separated 社区 names (玉林社区,芳草社区).")
    ],
    start: Annotated[str, typer.Option(help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last day (included), YYYY-MM-DD.")],
    target: Annotated[
        list[str] | None,
        typer.Option(
            "--target",
            help="A target the purchaser fixed, NAME=VALUE (response_rate=90%); repeat. "
            f"Known: {', '.join(contracts.KNOWN_TARGETS)}; other names are kept as given.",
        ),
    ] = None,
    budget: Annotated[float | None, typer.Option(help="Budget in yuan.")] = None,
    title: Annotated[str, typer.Option(help="The project's name.")] = "",
    keep_scope: Annotated[
        bool,
        typer.Option(
            "--keep-scope",
            help="Keep an 'all categories, all communities' scope outside contracts "
            "(by default an organisation's first contract takes it away).",
        ),
    ] = False,
) -> None:
    """Record a contract; from its start date its organisation gets the requests it covers.

    Prints a readable line, then the contract's number alone on the last line.
    """
    info, cleared = _run(
        _create,
        org,
        actor_id=None,
        admin_ids=frozenset(),
        organisation_ref=org,
        purchaser=purchaser,
        categories=_items(categories),
        communities=_items(communities),
        start=_day(start, "--start"),
        end=_day(end, "--end"),
        targets=_targets(target or []),
        budget_yuan=budget,
        title=title,
        keep_manual_scope=keep_scope,
    )
    if cleared:
        typer.echo(
            f"{info.organisation}: its scope outside contracts was 'all'; it now serves only "
            "its contracts (change with `linli org scope`, or create with --keep-scope)",
            err=True,
        )
    typer.echo(
        f"created contract {info.id} for {info.organisation}: {_scope_line(info)}, "
        f"{info.start_date}..{info.end_date} ({info.status})"
    )
    typer.echo(str(info.id))


def _listing(session: Session, *, include_ended: bool) -> list[ContractInfo]:
    return contracts.list_contracts(session, include_ended=include_ended, tz=current_settings().tz)


@contract_app.command("list")
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    current: Annotated[
        bool, typer.Option("--current", help="Only contracts active or still to start.")
    ] = False,
) -> None:
    """List contracts, active first: number, organisation, purchaser, term, status, scope."""
    infos = _run(_listing, include_ended=not current)
    if as_json:
        typer.echo(json.dumps([i.to_dict() for i in infos], ensure_ascii=False, indent=2))
        return
    if not infos:
        typer.echo("no contracts yet: `linli contract create ...`", err=True)
        return
    for info in infos:
        typer.echo(
            f"{info.id}\t{info.organisation}\t{info.purchaser}\t"
            f"{info.start_date}..{info.end_date}\t{info.status}\t"
            f"{','.join(info.categories)}\t{','.join(info.communities)}\t"
            f"{_targets_line(info.targets)}"
        )


def _one(session: Session, *, number: int) -> ContractInfo:
    return contracts.contract_info(session, number, tz=current_settings().tz)


@contract_app.command("show")
def show(
    number: Annotated[int, typer.Argument(help="The contract's number.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Show one contract in full."""
    info = _run(_one, number=number)
    if as_json:
        typer.echo(json.dumps(info.to_dict(), ensure_ascii=False, indent=2))
        return
    lines = [
        f"contract {info.id}" + (f": {info.title}" if info.title else ""),
        f"organisation: {info.organisation}"
        + (" (BLACKLISTED)" if info.organisation_blacklisted else ""),
        f"purchaser: {info.purchaser}",
        f"term: {info.start_date}..{info.end_date}",
        f"status: {info.status}",
        f"categories: {','.join(info.categories)}",
        f"communities: {','.join(info.communities)}",
        f"targets: {_targets_line(info.targets)}",
        f"budget_yuan: {info.budget_yuan:g}" if info.budget_yuan is not None else "budget_yuan: -",
    ]
    if info.ended_at is not None:
        lines.append(f"ended_at: {info.ended_at.isoformat(timespec='minutes')}")
        lines.append(f"ended_reason: {info.ended_reason or '-'}")
    typer.echo("\n".join(lines))


def _end(session: Session, **kwargs: Any) -> ContractInfo:
    contract = contracts.end_contract(session, tz=current_settings().tz, **kwargs)
    assert contract.id is not None
    return contracts.contract_info(session, contract.id, tz=current_settings().tz)


@contract_app.command("end")
def end(
    number: Annotated[int, typer.Argument(help="The contract's number.")],
    reason: Annotated[str, typer.Option(help="Why it ends early (kept with it).")] = "",
) -> None:
    """End a contract early: its organisation gets no new requests from it from now on."""
    info = _run(_end, actor_id=None, admin_ids=frozenset(), contract_id=number, reason=reason)
    typer.echo(f"ended contract {info.id} ({info.organisation})")
