"""`linli run` as production runs it: a real process against a Bot API server (the fake)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.fakeapi import FakeBotAPI
from tests.conftest import PostgresDatabases, skip_or_fail_without_postgres

pytestmark = pytest.mark.slow


def _env(fake: FakeBotAPI, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=fake.token,
        TELEGRAM_BASE_URL=fake.base_url,
        TELEGRAM_BASE_FILE_URL=fake.base_file_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="DEBUG",
    )
    return env


async def _run(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_run_on_a_new_sqlite_file_answers_and_stops_cleanly(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    process = await _run(_env(fake, f"sqlite:///{tmp_path / 'new.db'}"), tmp_path)
    resident = fake.user(4711, "王")
    await resident.send("/start")
    welcome = await resident.next(timeout=60)
    assert "邻里" in welcome.text
    process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    log = err.decode()
    assert "linli is ready" in log
    if sys.platform != "win32":
        assert "event loop uvloop" in log  # `linli run` runs on uvloop where it is installed
    assert fake.token not in log and fake.token.split(":")[1] not in log


@pytest.mark.postgres
async def test_run_refuses_an_out_of_date_postgres_schema(
    fake: FakeBotAPI, tmp_path: Path, postgres_databases: PostgresDatabases
) -> None:
    skip_or_fail_without_postgres()
    process = await _run(_env(fake, postgres_databases.create()), tmp_path)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "linli db upgrade" in err.decode()
    assert "Traceback" not in err.decode()


async def _stopped(env: dict[str, str], cwd: Path) -> str:
    """Run `linli run`, which must stop by itself with exit code 2; return its stderr."""
    process = await _run(env, cwd)
    _out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    return err.decode()


async def test_a_rejected_token_stops_with_one_line_and_no_token(
    fake: FakeBotAPI, tmp_path: Path
) -> None:
    env = _env(fake, f"sqlite:///{tmp_path / 'x.db'}")
    wrong = "123456789:AAWRONGwrongWRONGwrongWRONGwrong"
    env["TELEGRAM_BOT_TOKEN"] = wrong
    err = await _stopped(env, tmp_path)
    assert "error: TELEGRAM_BOT_TOKEN was rejected" in err
    assert wrong not in err and wrong.split(":")[1] not in err
    assert "Traceback" not in err


async def test_an_unreachable_bot_api_stops_with_one_line(tmp_path: Path) -> None:
    async with FakeBotAPI() as fake:
        env = _env(fake, f"sqlite:///{tmp_path / 'x.db'}")
    # The fake has stopped: nothing listens at its address any more.
    err = await _stopped(env, tmp_path)
    assert "error: cannot reach the Bot API at TELEGRAM_BASE_URL" in err
    assert "Traceback" not in err
    assert fake.token.split(":")[1] not in err


async def test_a_missing_model_stops_with_one_line(fake: FakeBotAPI, tmp_path: Path) -> None:
    env = _env(fake, f"sqlite:///{tmp_path / 'x.db'}")
    env["LINLI_MODEL"] = str(tmp_path / "no-such-model")
    err = await _stopped(env, tmp_path)
    assert "error: LINLI_MODEL: no classifier model in" in err
    assert "Traceback" not in err


async def test_an_unopenable_database_stops_with_one_line(fake: FakeBotAPI, tmp_path: Path) -> None:
    err = await _stopped(_env(fake, "sqlite:////nonexistent/dir/x.db"), tmp_path)
    assert "error: cannot open the database at DATABASE_URL" in err
    assert "Traceback" not in err
