"""`linli chat`: the real bot in this terminal, through a local fake Telegram (no token).

The terminal loop itself is in bot.cli.chat_terminal.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from bot.cli.common import current_settings, fail, stop_on_startup_error
from bot.logs import setup_logging
from bot.settings import load_settings

chat_app = typer.Typer()

DEFAULT_IDS = {"resident": 10001, "staff": 20001, "admin": 90001}
NAMES = {"resident": "居民", "staff": "社工", "admin": "管理员"}


@chat_app.command()
def chat(
    role: Annotated[
        str, typer.Option("--as", help="Who you are in the chat: resident, staff or admin.")
    ] = "resident",
    user_id: Annotated[int, typer.Option(help="Your fake Telegram user id.")] = 0,
) -> None:
    """Chat with the bot in this terminal, through a local fake Telegram (no token needed)."""
    # Lazy: the application and the fake Telegram load telegram, aiohttp and spaCy, too slow
    # for `linli --help`.
    from bot.app import build_application
    from bot.cli.chat_terminal import run_chat

    if role not in DEFAULT_IDS:
        raise fail("--as must be resident, staff or admin")
    settings = current_settings()
    uid = user_id or DEFAULT_IDS[role]
    admins = set(settings.admin_ids) | ({uid} if role == "admin" else set())
    setup_logging("WARNING")

    def factory(token: str, base_url: str, base_file_url: str) -> Any:
        local = load_settings(
            telegram_base_url=base_url,
            telegram_base_file_url=base_file_url,
            database_url=settings.database_url,
            admin_ids=",".join(str(a) for a in admins),
            linli_model=settings.linli_model,
            timezone=settings.timezone,
        )
        return build_application(local, token=token, rate_limit=False)

    try:
        asyncio.run(run_chat(factory, user_id=uid, first_name=NAMES[role]))
    except Exception as exc:
        stop_on_startup_error(exc, settings, [])
