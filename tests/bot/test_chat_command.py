"""`linli chat`, as a newcomer runs it: a real process, typed input, no token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.fakeapi import FakeBotAPI, StateFileError

pytestmark = pytest.mark.slow

# What a log line starts with (bot.logs): it must never be in the conversation.
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")
CLAIMED_NOTICE = "📌 您的需求 #1 已由「玉林社工站」签收"


def _linli(tmp_path: Path, args: list[str], lines: list[str], **extra_env: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
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


def _chat(tmp_path: Path, lines: list[str], *args: str, **extra_env: str) -> str:
    return _linli(tmp_path, ["chat", *args], lines, **extra_env)


def _organisation_with_invite(tmp_path: Path) -> str:
    """Create 玉林社工站 (repairs) in the chat's database; its invite code."""
    _linli(tmp_path, ["org", "create", "玉林社工站", "-c", "repairs"], [])
    return _linli(tmp_path, ["org", "invite", "玉林社工站"], []).strip()


FILE_A_NEED = ["电梯又坏了三天了", "1", "芳邻苑 3栋", "1", "1"]


def test_a_resident_files_a_need_and_sees_it(tmp_path: Path) -> None:
    out = _chat(tmp_path, ["电梯又坏了三天了", "1", "芳林苑 3栋", "1", "1", "/my", "/quit"])
    assert "设施维修" in out
    assert "已提交！您的需求编号是 #1" in out
    assert "#1 设施维修 · 待受理" in out
    # The sample gazetteer is loaded into the empty database: the old name 芳林苑 is matched.
    assert "已载入示例" in out and "地点：芳邻苑（玉林北路社区） 3栋" in out
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


def test_one_session_plays_resident_staff_and_admin(tmp_path: Path) -> None:
    code = _organisation_with_invite(tmp_path)
    lines = [
        *FILE_A_NEED,
        "/as staff",
        f"/join {code}",
        "/claim 1",
        "/as resident",
        "/as admin",
        "/orgs",
        "/as 居委会",
        "/quit",
    ]
    out = _chat(tmp_path, lines, LOG_LEVEL="DEBUG")
    assert "（现在你是 居民，Telegram id 10001。）" in out
    staff_at = out.index("（现在你是 社工，Telegram id 20001。）")
    assert "已认领需求 #1" in out[staff_at:]
    # The claim notice went to the resident's chat while you were staff: shown on switching back.
    resident_at = out.index("（现在你是 居民，Telegram id 10001。）", staff_at)
    admin_at = out.index("（现在你是 管理员，Telegram id 90001。）")
    assert CLAIMED_NOTICE in out[resident_at:admin_at]
    assert "玉林社工站" in out[admin_at:]  # /orgs: the admin's id is in ADMIN_IDS
    assert "没有这个命令" not in out
    assert "（用法：/as resident | staff | admin）" in out
    # The log goes to a file beside the database, named in the banner; none of it in the chat.
    assert "日志写在 linli-chat.log" in out
    assert "request #1 filed" in (tmp_path / "linli-chat.log").read_text(encoding="utf-8")
    assert not [line for line in out.splitlines() if LOG_LINE.search(line)]


def test_a_notice_sent_while_away_is_seen_on_the_next_run(tmp_path: Path) -> None:
    # A resident the personas do not include: without the kept state the fake would not know
    # their chat in the staff's run, and the notice would fail for good ("chat not found").
    out = _chat(tmp_path, [*FILE_A_NEED, "/quit"], "--user-id", "10002")
    assert "已提交！您的需求编号是 #1" in out
    assert "假 Telegram 的聊天记在 linli-chat.json" in out
    code = _organisation_with_invite(tmp_path)
    out = _chat(tmp_path, [f"/join {code}", "/claim 1", "/quit"], "--as", "staff")
    assert "已认领需求 #1" in out
    assert CLAIMED_NOTICE not in out
    out = _chat(tmp_path, ["/my", "/quit"], "--user-id", "10002")
    assert CLAIMED_NOTICE in out
    assert "#1 设施维修 · 已签收" in out
    assert (tmp_path / "linli-chat.json").exists()


def test_the_summary_files_are_saved_and_named(tmp_path: Path) -> None:
    out = _chat(tmp_path, ["/summary", "/quit"], "--as", "admin", "--files-dir", "out")
    saved = re.findall(r"\[文件已保存：(.+)\]", out)
    assert len(saved) == 2, out
    chart, workbook = (tmp_path / path for path in saved)
    assert chart.parent == workbook.parent == tmp_path / "out"
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert workbook.name.startswith("邻里需求周报-") and workbook.suffix == ".xlsx"
    assert workbook.read_bytes().startswith(b"PK")  # a zip, as every .xlsx


async def test_the_fake_keeps_chats_unread_messages_and_buttons(tmp_path: Path) -> None:
    state = tmp_path / "chat.json"
    keyboard = {"inline_keyboard": [[{"text": "是", "callback_data": "f:1:y"}]]}
    async with FakeBotAPI() as fake:
        assert not fake.load_state(state)  # no file yet: a new world
        fake.user(10002, "居民")
        resident = fake.user(10001, "居民")
        async with httpx.AsyncClient() as client:
            url = f"{fake.base_url}{fake.token}/sendMessage"
            for chat_id, text in ((10001, "已读"), (10001, "解决了吗？"), (10002, "未读")):
                body = {"chat_id": chat_id, "text": text, "reply_markup": keyboard}
                assert (await client.post(url, json=body)).json()["ok"]
        assert (await resident.next()).text == "已读"
        fake.save_state(state)
    async with FakeBotAPI() as fake:
        assert fake.load_state(state)
        resident, other = fake.user(10001), fake.user(10002)
        assert [e.text for e in await resident.settle(0.05)] == ["解决了吗？"]
        assert [e.text for e in await other.settle(0.05)] == ["未读"]
        await resident.press("是")  # the button of a message sent in the earlier run
        assert fake.pending_updates == 1
        assert await resident.send("新消息") == 3  # message ids go on (1, 2 before)
    state.write_text("{", encoding="utf-8")
    with pytest.raises(StateFileError, match="not valid JSON"):
        FakeBotAPI().load_state(state)
