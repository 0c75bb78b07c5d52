"""Settings, logging and the top-level `linli` command."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.logs import RedactSecrets, setup_logging
from bot.settings import SettingsError, get_settings, load_settings
from storage.db import head_revision

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
runner = CliRunner()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test starts in an empty folder (no .env) with no linli variables set."""
    for name in ("TELEGRAM_BOT_TOKEN", "DATABASE_URL", "ADMIN_IDS", "TIMEZONE", "LINLI_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///linli.db"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"
    assert settings.telegram_base_file_url == "https://api.telegram.org/file/bot"
    assert settings.timezone == "Asia/Shanghai"
    assert settings.admin_ids == frozenset()
    assert settings.linli_model is None


def test_env_file_and_admin_ids(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"TELEGRAM_BOT_TOKEN={TOKEN}\nADMIN_IDS=12345, 67890\nLINLI_MODEL=\n", encoding="utf-8"
    )
    settings = load_settings()
    assert settings.require_token() == TOKEN
    assert settings.admin_ids == frozenset({12345, 67890})
    assert settings.linli_model is None  # empty means unset
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "12,abc"),
        ("TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "mysql://x"),
        ("CONFIDENCE_THRESHOLD", "2"),
        ("SUMMARY_TIME", "25:00"),
        ("TELEGRAM_BASE_URL", "api.telegram.org/bot"),
    ],
)
def test_malformed_setting_names_itself(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert name in message and "\n" not in message


def test_missing_token_says_how_to_get_one() -> None:
    with pytest.raises(SettingsError, match="BotFather"):
        load_settings().require_token()


def test_linli_run_without_token_stops_with_one_line() -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.output
    assert "Traceback" not in result.output


def test_linli_with_a_malformed_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "boss")
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 2
    assert "ADMIN_IDS" in result.output


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "chat", "db", "classify", "train", "evaluate"):
        assert command in result.output


def test_db_upgrade_and_current(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    result = runner.invoke(app, ["db", "current"])
    assert "database: empty" in result.output
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["db", "current"])
    assert f"database: {head_revision()}" in result.output
    result = runner.invoke(app, ["db", "downgrade", "base"])
    assert result.exit_code == 0 and "base" in result.output


def test_db_commands_on_an_unreachable_database_stop_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/linli")
    for command in (["db", "upgrade"], ["db", "current"], ["db", "downgrade", "base"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert "error: cannot open the database at DATABASE_URL" in result.output
        assert "Traceback" not in result.output


def test_token_never_reaches_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("DEBUG", secrets=[TOKEN])
    try:
        logging.getLogger("telegram.ext").warning(
            "POST https://api.telegram.org/bot%s/getMe", TOKEN
        )
        logging.getLogger("httpx").info("HTTP Request: POST /bot%s/getUpdates", TOKEN)
        try:
            raise RuntimeError(f"failed calling /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logging.getLogger("bot").exception("send failed")
    finally:
        setup_logging("WARNING")
    err = capsys.readouterr().err
    assert TOKEN not in err
    assert "<secret>" in err and "send failed" in err
    assert "getUpdates" not in err  # httpx stays at WARNING


def test_redaction_catches_token_shapes_without_being_told() -> None:
    record = logging.LogRecord("x", logging.INFO, "f", 1, "url /bot%s/x", (TOKEN,), None)
    RedactSecrets().filter(record)
    assert TOKEN not in record.getMessage() and "<token>" in record.getMessage()
