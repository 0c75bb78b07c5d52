"""Logging set-up: secrets never reach a log line."""

from __future__ import annotations

import logging
import re
import traceback

QUIET_LIBRARIES = ("httpx", "httpcore", "telegram", "sqlalchemy", "apscheduler", "aiohttp")
_TOKEN_RE = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactSecrets(logging.Filter):
    """Replace anything shaped like a bot token, and the configured secrets, with a marker."""

    def __init__(self, secrets: list[str] | None = None) -> None:
        super().__init__()
        self.secrets = [s for s in (secrets or []) if s]

    def clean(self, text: str) -> str:
        """The text with every secret and token-shaped string replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "<secret>")
        return _TOKEN_RE.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = self.clean(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self.clean(record.exc_text)
        return True


def setup_logging(level: str = "INFO", secrets: list[str] | None = None) -> None:
    """Configure the root logger once; httpx stays at WARNING (its URLs contain the token)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries log what passes through them at DEBUG: PTB every update (residents' texts),
    # SQLAlchemy every row, httpx every URL (the token). They stay quiet whatever LOG_LEVEL is;
    # our own loggers (bot, storage, nlp) log request numbers only.
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)


def describe_failure(exc: BaseException) -> str:
    """The exception's type and frames, for the log, without messages that may quote a resident.

    An exception's message can carry whatever the code had at hand (openpyxl quotes the cell it
    refused, a ValueError the text it could not parse). Only the messages of database errors
    (their statement, parameters hidden by the engine) and of the Bot API are kept.
    """
    from sqlalchemy.exc import DBAPIError
    from telegram.error import TelegramError

    lines: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(lines) < 200:
        if isinstance(current, DBAPIError | TelegramError):
            headline = f"{type(current).__name__}: {current}"
        else:
            headline = f"{type(current).__module__}.{type(current).__name__} (message withheld)"
        lines.append(headline)
        lines.extend(line.rstrip() for line in traceback.format_tb(current.__traceback__))
        current = current.__cause__ or current.__context__
        if current is not None:
            lines.append("caused by / while handling:")
    return "\n".join(lines)
