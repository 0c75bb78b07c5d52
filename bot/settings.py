"""The one place that reads the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///linli.db"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


class Settings(BaseSettings):
    """Every setting of linli, read from the environment and `.env` (see `.env.example`)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_base_file_url: str = "https://api.telegram.org/file/bot"
    # PTB's AIORateLimiter keeps outgoing messages within Telegram's limits (~30/s). Only a
    # Bot API server without limits (the load benchmark's fake) may switch it off.
    telegram_rate_limit: bool = True
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Asia/Shanghai"
    linli_model: Path | None = None
    # The intent model (what a message is: a need, a question about one, conversation ...).
    linli_intent_model: Path | None = None
    # Confidence under which the bot asks the resident to choose among the top 3.
    confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Per-resident limits (issue 6).
    max_requests_per_day: int = Field(default=10, ge=1)
    max_messages_per_minute: int = Field(default=20, ge=1)
    # Staff and admins work at speed: their own flood limit (their button presses always pass).
    staff_messages_per_minute: int = Field(default=120, ge=1)
    # Where the flood limit keeps its counters: "async+memory://" (one process) or
    # "async+redis://127.0.0.1:6379" (shared by every bot process).
    rate_limit_storage: str = "async+memory://"
    # Time limits in working days / hours (issue 4).
    claim_limit_working_days: int = Field(default=1, ge=1)
    resolve_limit_working_days: int = Field(default=5, ge=1)
    urgent_claim_limit_hours: int = Field(default=2, ge=1)
    stale_claim_working_days: int = Field(default=3, ge=1)
    # Weekly summary schedule (issue 5): ISO weekday 1 = Monday, local time.
    summary_weekday: int = Field(default=1, ge=1, le=7)
    summary_time: str = "09:00"
    # The Telegram channel the anonymised weekly digest (信息公开) is posted to, by its numeric
    # id (-100...); None: no post. The bot must be an administrator of the channel.
    public_channel_id: int | None = None
    # Webhook mode (issue 6).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    log_level: str = "INFO"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "must be comma-separated Telegram user ids, e.g. 12345,67890"
                ) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @field_validator("public_channel_id")
    @classmethod
    def _check_channel(cls, value: int | None) -> int | None:
        if value is not None and value >= 0:
            raise ValueError(
                "must be a channel's numeric id, which is negative, e.g. -1001234567890"
            )
        return value

    @field_validator("summary_time")
    @classmethod
    def _check_time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError("must be HH:MM, e.g. 09:00")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return value

    @field_validator("telegram_base_url", "telegram_base_file_url")
    @classmethod
    def _check_bot_api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://api.telegram.org/bot")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_token(self) -> str:
        """Return the bot token or stop with a message that says how to get one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather in Telegram and put "
                "TELEGRAM_BOT_TOKEN=... in .env (see .env.example); "
                "`linli chat` works without one."
            )
        return self.telegram_bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning a validation error into one clear line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"Setting {name} is invalid: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings for CLI commands (tests build their own with load_settings)."""
    return load_settings()
