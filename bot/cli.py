"""The `linli` command: the entry to everything (bot, database, classifier, chat)."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Annotated, Any

import typer

from bot.settings import Settings, SettingsError, get_settings, load_settings

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
    application = build_application(settings, token=token)
    try:
        if webhook:
            application.run_webhook(**options)
        else:
            application.run_polling(allowed_updates=None, drop_pending_updates=False)
    except SchemaOutOfDate as exc:
        typer.echo(f"error: {exc}", err=True)
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
    asyncio.run(run_chat(factory, user_id=uid, first_name=names[role]))


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the database migrations (needed before `linli run` on PostgreSQL)."""
    from storage.db import Database, current_revision, upgrade

    database = Database(_settings().database_url, pool_size=1)
    upgrade(database.engine, revision)
    typer.echo(f"database at revision {current_revision(database.engine)}")
    database.dispose()


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    from storage.db import Database, current_revision, downgrade

    database = Database(_settings().database_url, pool_size=1)
    downgrade(database.engine, revision)
    typer.echo(f"database at revision {current_revision(database.engine) or 'base'}")
    database.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the one the code needs."""
    from storage.db import Database, current_revision, head_revision

    database = Database(_settings().database_url, pool_size=1)
    typer.echo(f"database: {current_revision(database.engine) or 'empty'}; code: {head_revision()}")
    database.dispose()


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
