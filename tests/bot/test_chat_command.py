"""`linli chat`, as a newcomer runs it: a real process, typed input, no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _chat(tmp_path: Path, lines: list[str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_a_resident_files_a_need_and_sees_it(tmp_path: Path) -> None:
    out = _chat(tmp_path, ["电梯又坏了三天了", "1", "玉林社区 3栋", "1", "1", "/my", "/quit"])
    assert "设施维修" in out
    assert "已提交！您的需求编号是 #1" in out
    assert "#1 设施维修 · 待受理" in out
    assert (tmp_path / "linli.db").exists()  # the default SQLite file, created by itself


def test_an_admin_sees_the_admin_commands(tmp_path: Path) -> None:
    out = _chat(tmp_path, ["/orgs", "/quit"], "--as", "admin")
    assert "组织" in out
    assert "没有这个命令" not in out


def test_a_missing_model_is_named_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["LINLI_MODEL"] = str(tmp_path / "no-model")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: LINLI_MODEL: no classifier model in {tmp_path / 'no-model'}: "
        "train one with `linli train`"
    ]
