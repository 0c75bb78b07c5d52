"""The words of every notice kind (bot.notices), without a database or a bot."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import callbacks
from bot.notices import render
from bot.texts import staff as t
from bot.texts.dates import deadline_words
from storage.models import NoticeAction, NoticeKind
from storage.notices import Notice

TZ = ZoneInfo("Asia/Shanghai")
BRIEF = {"number": 12, "urgent": True, "category": "repairs", "place": "玉林社区 3栋"}
DEADLINE = datetime(2025, 6, 11, 9, 0, tzinfo=TZ).isoformat()
# One example of what storage queues for each kind.
EXAMPLES: dict[NoticeKind, dict[str, Any]] = {
    NoticeKind.CARD: {**BRIEF, "quote": "电梯<坏了>"},
    NoticeKind.CARD_EDIT: {**BRIEF, "quote": "电梯坏了", "status": "claimed", "holder": "甲"},
    NoticeKind.CARD_UPDATE: {
        **BRIEF,
        "quote": "电梯坏了",
        "additions": ["晚上更<严重>"],
        "photos": 1,
        "locations": 0,
    },
    NoticeKind.REMIND_CLAIM: {**BRIEF, "deadline": DEADLINE},
    NoticeKind.OVERDUE_CLAIM: {**BRIEF, "deadline": DEADLINE},
    NoticeKind.REMIND_RESOLVE: {
        "number": 12,
        "category": "repairs",
        "organisation": "甲",
        "deadline": DEADLINE,
    },
    NoticeKind.OVERDUE_RESOLVE: {
        "number": 12,
        "category": "repairs",
        "organisation": "甲",
        "deadline": DEADLINE,
    },
    NoticeKind.REMIND_STALE: {"number": 12, "category": "repairs", "days": 3, "deadline": DEADLINE},
    NoticeKind.DIGEST: {"count": 3, "requests": [BRIEF, {**BRIEF, "number": 13, "place": ""}]},
    NoticeKind.CLAIMED: {"number": 12, "organisation": "甲"},
    NoticeKind.NOTE: {"number": 12, "organisation": "甲", "note": "师傅明天上门"},
    NoticeKind.RESOLVED: {"number": 12, "organisation": "甲", "note": "换了控制板"},
    NoticeKind.REQUEUED: {"number": 12},
    NoticeKind.MERGED: {"merged": 13, "keep": 12},
    NoticeKind.ASSIGNED: {"number": 12, "category": "repairs"},
    NoticeKind.ASSIGNED_AWAY: {"number": 12, "organisation": "乙"},
    NoticeKind.REOPENED: {"number": 12},
    NoticeKind.STALE_RELEASED: {"number": 12, "days": 3},
    NoticeKind.ORG_BLACKLISTED: {"organisation": "甲", "reason": "多次未处理"},
    NoticeKind.ORG_UNBLACKLISTED: {"organisation": "甲"},
    NoticeKind.SUMMARY: {"text": "<b>本周汇总</b>"},
    NoticeKind.PUBLIC_DIGEST: {"text": "<b>居民需求周报</b>"},
    NoticeKind.QUESTION: {"number": 12, "organisation": "甲", "question": "明天下午<在家>吗？"},
    NoticeKind.RESIDENT_NOTE: {**BRIEF, "note": "晚上漏得更厉害", "photos": 1, "locations": 0},
    NoticeKind.PUSHED: {**BRIEF, "pushes": 2, "overdue": True, "deadline": DEADLINE},
    NoticeKind.ANSWER: {
        **BRIEF,
        "question": "明天在家吗",
        "answer": "下午三点后在",
        "photos": 0,
        "locations": 1,
    },
    NoticeKind.WITHDRAWN: {**BRIEF, "note": "邻居帮忙修好了"},
    NoticeKind.ATTACHMENT: {"number": 12, "by": "resident", "photo": "file-1"},
    NoticeKind.FEEDBACK_REMINDER: {"number": 12},
    NoticeKind.EXTENSION_ASKED: {
        **BRIEF,
        "organisation": "甲",
        "days": 3,
        "reason": "等待<配件>到货",
        "deadline": DEADLINE,
        "new_deadline": DEADLINE,
        "ask": 57,
    },
    NoticeKind.EXTENSION_GRANTED: {"number": 12, "days": 3, "deadline": DEADLINE},
    NoticeKind.EXTENSION_REFUSED: {"number": 12, "days": 3, "deadline": DEADLINE},
    NoticeKind.UNCOVERED: BRIEF,
    NoticeKind.UNKNOWN_PLACE: {**BRIEF, "typed": "新华公园"},
    NoticeKind.UNDELIVERED: BRIEF,
    NoticeKind.STAFF_REMOVED: {"organisation": "甲"},
    NoticeKind.WAITING_FOR_ORGANISATION: BRIEF,
    NoticeKind.NOW_COVERED: {"number": 12},
    NoticeKind.URGED: {**BRIEF, "note": "居民等了一周，请今天联系"},
    NoticeKind.FEEDBACK_CLOSED: {"number": 12},
}


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(NoticeKind)


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_is_worded(kind: NoticeKind) -> None:
    words = render(Notice(kind, 1, EXAMPLES[kind], request_id=12))
    assert words.text.strip()
    assert "{" not in words.text  # no template field left unfilled


def test_a_card_quotes_the_resident_escaped_with_a_claim_button() -> None:
    notice = Notice(
        NoticeKind.CARD, 1, EXAMPLES[NoticeKind.CARD], 12, actions=(NoticeAction.CLAIM,)
    )
    words = render(notice)
    assert "电梯&lt;坏了&gt;" in words.text and t.URGENT_MARK in words.text
    assert words.buttons == [[(t.BTN_CLAIM_CARD, callbacks.Claim(12).to_data())]]


def test_a_card_without_a_place_says_so_and_a_closed_card_says_who_took_it() -> None:
    card = {**BRIEF, "place": "", "quote": "x"}
    assert t.NO_PLACE in render(Notice(NoticeKind.CARD, 1, card)).text
    edit = render(Notice(NoticeKind.CARD_EDIT, 1, EXAMPLES[NoticeKind.CARD_EDIT])).text
    assert edit.endswith(t.CARD_TAKEN.format(organisation="甲"))
    closed = {**EXAMPLES[NoticeKind.CARD_EDIT], "holder": None, "status": "cancelled"}
    assert "已撤回" in render(Notice(NoticeKind.CARD_EDIT, 1, closed)).text


def test_supporters_get_their_own_words() -> None:
    filer = render(Notice(NoticeKind.NOTE, 1, EXAMPLES[NoticeKind.NOTE])).text
    supporter = render(
        Notice(NoticeKind.NOTE, 2, {**EXAMPLES[NoticeKind.NOTE], "supporter": True})
    ).text
    assert filer.startswith("📝 您的需求") and supporter.startswith("📝 您也反映过的问题")
    resolved = {**EXAMPLES[NoticeKind.RESOLVED], "supporter": True}
    assert "换了控制板" not in render(Notice(NoticeKind.RESOLVED, 2, resolved)).text


def test_a_resolution_asks_for_feedback_with_buttons_the_feedback_handler_parses() -> None:
    notice = Notice(
        NoticeKind.RESOLVED,
        1,
        EXAMPLES[NoticeKind.RESOLVED],
        12,
        actions=(NoticeAction.ANSWER, NoticeAction.RATE),
    )
    buttons = render(notice).buttons
    assert buttons is not None and [len(row) for row in buttons] == [2, 5]
    parsed = [callbacks.Feedback.parse(data) for row in buttons for _label, data in row]
    assert [p.solved for p in parsed[:2] if p] == [True, False]
    assert [p.rating for p in parsed[2:] if p] == [1, 2, 3, 4, 5]


def test_deadlines_are_shown_in_the_local_time_they_were_queued_with() -> None:
    words = render(Notice(NoticeKind.REMIND_CLAIM, 1, EXAMPLES[NoticeKind.REMIND_CLAIM])).text
    assert "6月11日（周三）09:00前" in words


def test_a_digest_lists_what_it_carries_and_counts_the_rest() -> None:
    notice = Notice(
        NoticeKind.DIGEST, 1, EXAMPLES[NoticeKind.DIGEST], actions=(NoticeAction.OPEN_QUEUE,)
    )
    words = render(notice)
    assert "#12" in words.text and "#13" in words.text and "还有 1 条" in words.text
    assert words.buttons == [[(t.BTN_OPEN_QUEUE, "q:open")]]


def test_a_notice_queued_as_finished_text_is_sent_as_it_was() -> None:
    """Rows queued before notices were typed (migration 0003) keep their words and buttons."""
    legacy = {"text": "✅ 已办结", "buttons": [[["✅ 解决了", "f:3:y"]]]}
    words = render(Notice(NoticeKind.RESOLVED, 1, legacy, 3))
    assert words.text == "✅ 已办结" and words.buttons == [[("✅ 解决了", "f:3:y")]]
    markup = words.reply_markup()
    assert markup is not None
    assert markup.inline_keyboard[0][0].callback_data == "f:3:y"


def test_a_question_reaches_the_resident_escaped_with_a_reply_hint() -> None:
    words = render(Notice(NoticeKind.QUESTION, 1, EXAMPLES[NoticeKind.QUESTION], 12)).text
    assert "#12" in words and "甲" in words and "明天下午&lt;在家&gt;吗？" in words
    assert "直接回复这条消息" in words


def test_thread_notices_to_staff_name_the_request_and_say_what_came_with_them() -> None:
    note = render(Notice(NoticeKind.RESIDENT_NOTE, 1, EXAMPLES[NoticeKind.RESIDENT_NOTE])).text
    assert "#12" in note and "晚上漏得更厉害" in note and "1 张照片" in note
    files_only = {**EXAMPLES[NoticeKind.RESIDENT_NOTE], "note": ""}
    assert "补充了1 张照片" in render(Notice(NoticeKind.RESIDENT_NOTE, 1, files_only)).text
    pushed = render(Notice(NoticeKind.PUSHED, 1, EXAMPLES[NoticeKind.PUSHED])).text
    assert "第 2 次" in pushed and "已超过时限（6月11日（周三）09:00前）" in pushed
    answer = render(Notice(NoticeKind.ANSWER, 1, EXAMPLES[NoticeKind.ANSWER])).text
    assert "答：下午三点后在" in answer and "1 个位置" in answer
    withdrawn = render(Notice(NoticeKind.WITHDRAWN, 1, EXAMPLES[NoticeKind.WITHDRAWN])).text
    assert "邻居帮忙修好了" in withdrawn and "/done 12" in withdrawn


def test_an_attachment_is_a_photo_with_a_caption_or_a_location_after_words() -> None:
    photo = render(Notice(NoticeKind.ATTACHMENT, 1, EXAMPLES[NoticeKind.ATTACHMENT], 12))
    assert photo.photo == "file-1" and photo.location is None and "#12" in photo.text
    place = {"number": 12, "by": "staff", "latitude": 30.6, "longitude": 104.0}
    location = render(Notice(NoticeKind.ATTACHMENT, 1, place, 12))
    assert location.photo is None and location.location == (30.6, 104.0)
    resolved = {**EXAMPLES[NoticeKind.RESOLVED], "photo": "done-photo"}
    assert render(Notice(NoticeKind.RESOLVED, 1, resolved, 12)).photo == "done-photo"


def test_a_deadline_in_plain_words_ends_the_last_working_day_before_midnight() -> None:
    # Due Monday 14 December 00:00: the end of Friday 11 December, the last working day.
    monday = datetime(2026, 12, 14, 0, 0, tzinfo=TZ)
    assert deadline_words(monday, TZ) == "12月11日（周五）下班前"
    assert (
        deadline_words(datetime(2026, 12, 10, 14, 30, tzinfo=TZ), TZ) == "12月10日（周四）14:30前"
    )


def test_an_ask_for_more_time_reaches_admins_escaped_with_approve_and_refuse() -> None:
    from bot import callbacks

    ask = render(
        Notice(
            NoticeKind.EXTENSION_ASKED,
            1,
            EXAMPLES[NoticeKind.EXTENSION_ASKED],
            12,
            actions=(NoticeAction.DECIDE_EXTENSION,),
        )
    )
    assert "#12" in ask.text and "3 个工作日" in ask.text
    assert "<配件>" not in ask.text  # staff's words are escaped
    assert ask.buttons is not None
    assert [callbacks.Extension.parse(data) for _label, data in ask.buttons[0]] == [
        callbacks.Extension(57, True),
        callbacks.Extension(57, False),
    ]
