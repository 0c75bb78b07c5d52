"""What admins see: the /orgs list, and the scope of an organisation in words.

Also `ADMIN`, the role (bot.handlers.common.Role) of the admin-only commands and buttons.
"""

from __future__ import annotations

from bot import callbacks, texts
from bot.context import Services
from bot.handlers.common import Role, inline
from bot.handlers.staff_views import View, nav_row
from bot.texts import contracts as k
from bot.texts import staff as t
from storage import organisations

SCOPE_SHOWN = 8  # communities named in an /orgs row; the rest are counted


def is_admin(services: Services, telegram_id: int) -> bool:
    """Whether the user is in ADMIN_IDS."""
    return telegram_id in services.settings.admin_ids


ADMIN = Role(is_admin, t.NOT_ADMIN)


def scope_text(
    services: Services, values: list[str] | None, *, categories: bool, shown: int | None = None
) -> str:
    """The scope as Chinese names; with `shown`, at most that many, the rest counted."""
    if values is None:
        return t.ALL
    if categories:
        return "、".join(services.category_name(code) for code in values) or t.NONE
    names = [texts.excerpt(value, 30) for value in values[:shown]]
    if shown is not None and len(values) > shown:
        names.append(t.SCOPE_MORE.format(n=len(values) - shown))
    return "、".join(names) or t.NONE


def manual_scope_text(
    services: Services, values: list[str] | None, *, categories: bool, shown: int | None = None
) -> str:
    """The scope given outside contracts: 全部 (None), 无 ([]) or the names."""
    if values is not None and not values:
        return k.NONE
    return scope_text(services, values, categories=categories, shown=shown)


def _contracts_text(info: organisations.OrganisationInfo, services: Services) -> str:
    """Its active service contracts, each with what it covers and until when."""
    return (
        "；".join(
            k.ORG_CONTRACT.format(
                id=c.id,
                categories=scope_text(services, c.categories, categories=True),
                communities=scope_text(services, c.communities, categories=False, shown=3),
                end=c.end_date.isoformat(),
            )
            for c in info.contracts
        )
        or k.ORG_NO_CONTRACT
    )


def _organisation_row(info: organisations.OrganisationInfo, services: Services) -> str:
    mark = ""
    if info.blacklisted:
        date = (
            info.blacklisted_at.astimezone(services.settings.tz).strftime("%Y-%m-%d")
            if info.blacklisted_at
            else ""
        )
        mark = t.ORG_BLACKLISTED_MARK.format(
            reason=texts.excerpt(info.blacklist_reason or "", 60), date=date
        )
    return k.ORG_ROW.format(
        id=info.id,
        name=texts.excerpt(info.name, 100),
        blacklisted=mark,
        categories=manual_scope_text(services, info.categories, categories=True),
        communities=manual_scope_text(
            services, info.communities, categories=False, shown=SCOPE_SHOWN
        ),
        contracts=_contracts_text(info, services),
        staff=info.staff,
        active=info.active_requests,
        contact=texts.excerpt(info.contact, 60) or t.NONE,
    )


def organisations_view(result: organisations.OrganisationPage, services: Services) -> View:
    """A page of /orgs: scope, staff, work in hand and blacklist status of each."""
    if not result.total:
        return t.ORGS_EMPTY, None
    header = t.ORGS_HEADER.format(count=result.total, page=result.page + 1, pages=result.pages)
    lines = [header, *(_organisation_row(info, services) for info in result.items)]
    nav = nav_row(result.page, result.pages, lambda n: callbacks.OrgsPage(n).to_data())
    return "\n\n".join(lines), inline([nav]) if nav else None
