"""`linli chat`: the real bot in this terminal, through a local fake Telegram (no token).

One session plays three personas (resident, staff, admin: `/as ROLE` switches), each a fixed
fake Telegram user; the admin's id is put in ADMIN_IDS. The fake Telegram's people, chats and
unread messages are kept in a JSON file next to the database, so a notice sent to someone who was
not chatting waits for them; the log goes to a file beside it, never into the conversation; files
the bot sends are saved in a folder. The terminal loop itself is in bot.cli.chat_terminal.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

from bot.cli.common import current_settings, fail, startup_error, stop_on_startup_error
from bot.cli.places import load_sample_if_empty
from bot.logs import setup_logging
from bot.settings import Settings, load_settings

chat_app = typer.Typer()

DEFAULT_IDS = {"resident": 10001, "staff": 20001, "admin": 90001}
NAMES = {"resident": "居民", "staff": "社工", "admin": "管理员"}
DEFAULT_FILES_DIR = Path("linli-chat-files")
BANNER_PLACES = "日志写在 {log}；机器人发来的文件存到 {files}/；假 Telegram 的聊天记在 {state}。"
BANNER_NO_STATE = (
    "日志写在 {log}；机器人发来的文件存到 {files}/；数据库在内存里，假 Telegram 也不保存。"
)


def beside_database(settings: Settings, suffix: str) -> Path | None:
    """`<database name>-chat<suffix>` in the SQLite file's folder (the working folder for
    PostgreSQL); None for an in-memory SQLite database."""
    url = make_url(settings.database_url)
    database = url.database or ""
    if url.get_backend_name() == "sqlite":
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            return None
        path = Path(database)
        return path.with_name(f"{path.stem}-chat{suffix}")
    return Path(f"{Path(database).name or 'linli'}-chat{suffix}")


def _log_to_file(path: Path, level: str) -> None:
    """The usual logging (secrets filtered, libraries quiet), written to `path` only."""
    setup_logging(level)
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    for old in list(root.handlers):
        handler.setFormatter(old.formatter)
        for log_filter in old.filters:
            handler.addFilter(log_filter)
        root.removeHandler(old)
    root.addHandler(handler)
    logging.captureWarnings(True)  # library warnings too: nothing lands in the conversation


@chat_app.command()
def chat(
    role: Annotated[
        str, typer.Option("--as", help="Who you are at first: resident, staff or admin.")
    ] = "resident",
    user_id: Annotated[
        int, typer.Option(help="Your fake Telegram user id (default: the persona's own).")
    ] = 0,
    files_dir: Annotated[
        Path, typer.Option(help="Where photos and documents the bot sends are saved.")
    ] = DEFAULT_FILES_DIR,
    state_file: Annotated[
        Path | None,
        typer.Option(
            help="The fake Telegram's JSON state (default: <database>-chat.json beside it)."
        ),
    ] = None,
) -> None:
    """Chat with the bot in this terminal, through a local fake Telegram (no token needed).

    Type /as resident, /as staff or /as admin to switch persona within the session.
    """
    # Lazy: the application and the fake Telegram load telegram, aiohttp and spaCy, too slow
    # for `linli --help`.
    from bot.app import build_application
    from bot.cli.chat_terminal import Persona, run_chat
    from bot.fakeapi import StateFileError

    if role not in DEFAULT_IDS:
        raise fail("--as must be resident, staff or admin")
    settings = current_settings()
    ids = {**DEFAULT_IDS, **({role: user_id} if user_id else {})}
    if len(set(ids.values())) < len(ids):
        raise fail(f"--user-id {user_id} is another persona's id: choose another")
    personas = [Persona(r, ids[r], NAMES[r]) for r in DEFAULT_IDS]
    admins = set(settings.admin_ids) | {ids["admin"]}
    state = state_file or beside_database(settings, ".json")
    log_file = beside_database(settings, ".log") or Path("linli-chat.log")
    try:
        _log_to_file(log_file, settings.log_level)
    except OSError as exc:
        raise fail(f"cannot write the log file {log_file}: {exc.strerror}") from None
    banner = BANNER_PLACES if state is not None else BANNER_NO_STATE
    notes = [banner.format(log=log_file, files=str(files_dir).rstrip("/"), state=state)]
    if state is not None and (loaded := load_sample_if_empty(settings)):
        notes.append(loaded)  # the sample gazetteer, so that places are matched

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
        asyncio.run(
            run_chat(
                factory,
                user_id=ids[role],
                first_name=NAMES[role],
                personas=personas,
                state_file=state,
                files_dir=files_dir,
                notes=notes,
            )
        )
    except StateFileError as exc:
        raise fail(f"the fake Telegram's state: {exc}; delete the file to start over") from None
    except Exception as exc:
        if startup_error(exc, settings) is None:
            typer.echo(f"the log is in {log_file}", err=True)
        stop_on_startup_error(exc, settings, [])
