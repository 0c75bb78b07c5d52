"""What the `linli` command groups share: one-line errors, the settings and the database.

Every failure a person can fix ends a command with one line `error: ...` on standard error and
exit code 2 (bad input or settings), never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import DBAPIError

from bot.logs import RedactSecrets
from bot.settings import Settings, SettingsError, get_settings
from storage.db import Database, SchemaOutOfDate, prepare_schema
from storage.errors import DomainError

# The name the log has always shown for the command line, whichever module logs.
log = logging.getLogger("bot.cli")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: message` on standard error; the caller raises the returned Exit."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def write_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` and say so on standard error; a write that fails stops with one
    line."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}") from None
    typer.echo(f"wrote {path}", err=True)


def current_settings() -> Settings:
    """The settings (.env and the environment); a malformed one stops with one line."""
    try:
        return get_settings()
    except SettingsError as exc:
        raise fail(str(exc)) from None


@contextmanager
def open_database(settings: Settings, *, check_schema: bool = True) -> Iterator[Database]:
    """The database of DATABASE_URL with one connection, disposed of at the end.

    With `check_schema`, a new SQLite file gets its tables and a database behind the code's
    migrations stops with one line (`linli db upgrade`).
    """
    database = Database(settings.database_url, pool_size=1)
    try:
        if check_schema:
            prepare_schema(database.engine)
        yield database
    except SchemaOutOfDate as exc:
        raise fail(str(exc)) from None
    finally:
        database.dispose()


T = TypeVar("T")


def run_in_session(
    settings: Settings, fn: Callable[..., T], explain: Callable[[DomainError], str], **kwargs: Any
) -> T:
    """Run a domain function in one transaction; a refusal becomes `explain`'s line, exit 1."""
    with open_database(settings) as database:
        try:
            with database.session() as session:
                return fn(session, **kwargs)
        except DomainError as exc:
            raise fail(explain(exc), code=1) from None


def startup_error(exc: BaseException, settings: Settings) -> str | None:
    """One line saying which setting to fix, for the failures people meet when starting."""
    # Lazy: telegram and spaCy (behind nlp.classifier) would slow `linli --help` down.
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
        setting = "LINLI_INTENT_MODEL" if "intent model" in str(exc) else "LINLI_MODEL"
        return f"{setting}: {exc}"
    if isinstance(exc, DBAPIError):
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        return f"cannot open the database at DATABASE_URL ({reason})"
    return None


def stop_on_startup_error(exc: Exception, settings: Settings, secrets: list[str]) -> NoReturn:
    """Print one clear line (secrets removed) and exit 2; the traceback goes to the log."""
    message = startup_error(exc, settings)
    if message is None:
        # Unexpected: keep the detail, but only through the log's secret filter.
        log.critical("the bot stopped on an unexpected error", exc_info=exc)
        message = f"the bot stopped on an unexpected error ({type(exc).__name__}); see the log"
    raise fail(RedactSecrets(secrets).clean(message)) from None
