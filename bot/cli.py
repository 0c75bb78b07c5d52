"""The `linli` command: the entry to everything (bot, database, classifier, chat)."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.settings import Settings, SettingsError, get_settings, load_settings

if TYPE_CHECKING:
    from storage.db import Database

app = typer.Typer(
    help="linli (邻里): a Telegram bot that files residents' needs for community organisations.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")

log = logging.getLogger(__name__)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command()
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
    from bot.app import build_application, webhook_options
    from bot.logs import setup_logging
    from storage.db import SchemaOutOfDate

    settings = _settings()
    try:
        token = settings.require_token()
        options = webhook_options(settings) if webhook else {}
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    secrets = [token] + ([options["secret_token"]] if webhook else [])
    setup_logging(settings.log_level, secrets=secrets)
    _use_uvloop()
    try:
        # Before PTB's own start-up, which logs a traceback for a wrong token or URL.
        asyncio.run(_check_bot_api(settings, token))
    except Exception as exc:
        _stop_on_startup_error(exc, settings, secrets)
    application = build_application(settings, token=token)
    try:
        if webhook:
            application.run_webhook(**options)
        else:
            application.run_polling(allowed_updates=None, drop_pending_updates=False)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except Exception as exc:
        _stop_on_startup_error(exc, settings, secrets)


def _use_uvloop() -> None:
    """Run the event loop on uvloop where it is installed: cheaper sockets under load."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _check_bot_api(settings: Settings, token: str) -> None:
    """Ask the Bot API who we are: a wrong token or an unreachable server fails here."""
    from telegram import Bot

    bot = Bot(
        token,
        base_url=settings.telegram_base_url,
        base_file_url=settings.telegram_base_file_url,
    )
    async with bot:  # initialize() calls getMe
        pass


def startup_error(exc: BaseException, settings: Settings) -> str | None:
    """One line saying which setting to fix, for the failures people meet when starting."""
    from sqlalchemy.exc import DBAPIError
    from telegram.error import InvalidToken, NetworkError

    from nlp.classifier import ModelNotFoundError

    if isinstance(exc, InvalidToken):
        return (
            f"TELEGRAM_BOT_TOKEN was rejected by the Bot API at {settings.telegram_base_url}: "
            "copy it again from @BotFather"
        )
    if isinstance(exc, NetworkError):
        return (
            f"cannot reach the Bot API at TELEGRAM_BASE_URL={settings.telegram_base_url} "
            f"({type(exc).__name__}): check the network or the setting"
        )
    if isinstance(exc, ModelNotFoundError):
        return f"LINLI_MODEL: {exc}"
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"cannot open the database at DATABASE_URL ({reason})"
    return None


def _stop_on_startup_error(exc: Exception, settings: Settings, secrets: list[str]) -> None:
    """Print one clear line (secrets removed) and exit 2; the traceback goes to the log."""
    from bot.logs import RedactSecrets

    message = startup_error(exc, settings)
    if message is None:
        # Unexpected: keep the detail, but only through the log's secret filter.
        log.critical("the bot stopped on an unexpected error", exc_info=exc)
        message = f"the bot stopped on an unexpected error ({type(exc).__name__}); see the log"
    typer.echo(f"error: {RedactSecrets(secrets).clean(message)}", err=True)
    raise typer.Exit(2) from None


@app.command()
def chat(
    role: Annotated[
        str, typer.Option("--as", help="Who you are in the chat: resident, staff or admin.")
    ] = "resident",
    user_id: Annotated[int, typer.Option(help="Your fake Telegram user id.")] = 0,
) -> None:
    """Chat with the bot in this terminal, through a local fake Telegram (no token needed)."""
    from bot.app import build_application
    from bot.chat_cli import run_chat
    from bot.logs import setup_logging

    if role not in ("resident", "staff", "admin"):
        typer.echo("error: --as must be resident, staff or admin", err=True)
        raise typer.Exit(2)
    settings = _settings()
    default_ids = {"resident": 10001, "staff": 20001, "admin": 90001}
    uid = user_id or default_ids[role]
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

    names = {"resident": "居民", "staff": "社工", "admin": "管理员"}
    try:
        asyncio.run(run_chat(factory, user_id=uid, first_name=names[role]))
    except Exception as exc:
        _stop_on_startup_error(exc, settings, [])


@contextmanager
def _database() -> Iterator[Database]:
    """The database of DATABASE_URL for a `linli db` command; failures stop with one line."""
    from storage.db import Database

    settings = _settings()
    database = Database(settings.database_url, pool_size=1)
    try:
        yield database
    except Exception as exc:
        _stop_on_startup_error(exc, settings, [])
    finally:
        database.dispose()


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the database migrations (needed before `linli run` on PostgreSQL)."""
    from storage.db import current_revision, upgrade

    with _database() as database:
        upgrade(database.engine, revision)
        typer.echo(f"database at revision {current_revision(database.engine)}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    from storage.db import current_revision, downgrade

    with _database() as database:
        downgrade(database.engine, revision)
        typer.echo(f"database at revision {current_revision(database.engine) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one the code needs."""
    from storage.db import current_revision, head_revision

    with _database() as database:
        revision = current_revision(database.engine) or "empty"
        typer.echo(f"database: {revision}; code: {head_revision()}")


def _register_commands() -> None:
    """Merge the classifier's and the summary's commands into `linli` itself."""
    from bot.cli_org import org_app
    from bot.cli_summary import summary_app
    from nlp.cli import nlp_app

    app.registered_commands.extend(nlp_app.registered_commands)
    app.registered_commands.extend(summary_app.registered_commands)
    app.add_typer(org_app, name="org")


_register_commands()


def main() -> None:
    """Console entry point."""
    try:
        app()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
