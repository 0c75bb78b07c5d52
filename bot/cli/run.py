"""`linli run`: the bot in production, by long polling or behind a webhook."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from bot.cli.common import current_settings, fail, stop_on_startup_error
from bot.logs import setup_logging
from bot.settings import Settings, SettingsError
from storage.db import SchemaOutOfDate

run_app = typer.Typer()


@run_app.command()
def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Receive updates by webhook (behind a reverse proxy; needs WEBHOOK_URL and "
            "WEBHOOK_SECRET) instead of long polling.",
        ),
    ] = False,
) -> None:
    """Run the bot against the Bot API at TELEGRAM_BASE_URL (long polling by default)."""
    # Lazy: the application loads telegram and spaCy, too slow for `linli --help`.
    from bot.app import build_application, webhook_options

    settings = current_settings()
    try:
        token = settings.require_token()
        options = webhook_options(settings) if webhook else {}
    except SettingsError as exc:
        raise fail(str(exc)) from None
    secrets = [token] + ([options["secret_token"]] if webhook else [])
    setup_logging(settings.log_level, secrets=secrets)
    _use_uvloop()
    try:
        # Before PTB's own start-up, which logs a traceback for a wrong token or URL.
        asyncio.run(_check_bot_api(settings, token))
    except Exception as exc:
        stop_on_startup_error(exc, settings, secrets)
    application = build_application(settings, token=token)
    try:
        if webhook:
            application.run_webhook(**options)
        else:
            application.run_polling(allowed_updates=None, drop_pending_updates=False)
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        stop_on_startup_error(exc, settings, secrets)


def _use_uvloop() -> None:
    """Run the event loop on uvloop where it is installed: cheaper sockets under load."""
    try:
        import uvloop  # optional: not installed everywhere (e.g. Windows)
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _check_bot_api(settings: Settings, token: str) -> None:
    """Ask the Bot API who we are: a wrong token or an unreachable server fails here."""
    from telegram import Bot  # lazy, like bot.app above

    bot = Bot(
        token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
    )
    async with bot:  # initialize() calls getMe
        pass
