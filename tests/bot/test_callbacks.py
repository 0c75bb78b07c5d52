"""bot.callbacks: every button kind round-trips within 64 bytes; parse never raises."""

from __future__ import annotations

import re
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks as cb
from storage.models import NotifyMode

numbers = st.integers(min_value=1, max_value=cb.MAX_NUMBER)
pages = st.integers(min_value=0, max_value=cb.MAX_PAGE)
codes = st.from_regex(r"[a-z0-9_]{1,32}", fullmatch=True)


def _dialogue(kind: type[cb.DraftButton] | type[cb.NewOrgButton]) -> st.SearchStrategy[Any]:
    plain = st.builds(
        kind,
        numbers,
        st.sampled_from([a for a in kind.ACTIONS if a != "cat"]),
    )
    category = st.builds(kind, numbers, st.just("cat"), codes)
    return plain | category


BUTTONS: st.SearchStrategy[Any] = st.one_of(
    st.builds(cb.Extension, numbers, st.booleans()),
    st.builds(cb.ReleaseWhy, numbers, st.sampled_from(cb.RELEASE_CODES)),
    st.builds(cb.Claim, numbers, st.none() | pages),
    st.builds(cb.QueuePage, pages),
    st.just(cb.QueuePage(opens=True)),
    st.builds(cb.MinePage, pages),
    st.builds(cb.Notify, st.sampled_from(list(NotifyMode))),
    st.builds(cb.OrgsPage, pages),
    st.builds(cb.Feedback, numbers, st.sampled_from(get_args(cb.FeedbackAnswer))),
    st.builds(cb.Forget, st.booleans()),
    _dialogue(cb.DraftButton),
    _dialogue(cb.NewOrgButton),
    st.builds(
        cb.Thread,
        st.sampled_from(cb.THREAD_ACTIONS),
        numbers,
        st.integers(min_value=0, max_value=cb.MAX_NUMBER),
    ),
    st.builds(cb.Files, numbers),
    st.builds(cb.WatchPage, st.sampled_from(["o", "u"]), pages),
    st.builds(cb.Oversee, st.sampled_from(["urge", "assign"]), numbers),
    st.builds(cb.Oversee, st.just("to"), numbers, numbers),
    st.builds(
        cb.Member,
        st.sampled_from(["org", "no", "leave", "stay"]),
        numbers,
    ),
    st.builds(
        cb.Member,
        st.sampled_from(["who", "rm"]),
        numbers,
        st.integers(min_value=1, max_value=cb.MAX_TELEGRAM_ID),
    ),
    st.builds(cb.Scope, numbers, st.sampled_from(["allcats", "allcomm"])),
    st.builds(cb.Scope, numbers, st.just("cat"), codes),
    st.builds(
        cb.NewContractButton,
        numbers,
        st.sampled_from([a for a in cb.NEW_CONTRACT_ACTIONS if a not in ("org", "cat", "comm")]),
    ),
    st.builds(cb.NewContractButton, numbers, st.just("cat"), codes),
    st.builds(cb.NewContractButton, numbers, st.just("org"), numbers.map(str)),
    st.builds(cb.NewContractButton, numbers, st.just("comm"), st.integers(0, 9999).map(str)),
    st.builds(cb.ContractButton, st.sampled_from(["show", "end", "yes", "no"]), numbers),
    st.builds(cb.ContractButton, st.just("page"), pages),
    st.builds(cb.PlacePick, numbers, st.integers(0, cb.MAX_PLACE_CHOICE)),
    st.builds(cb.GazetteerButton, st.sampled_from(["handle", "other", "new"]), numbers),
    st.builds(cb.GazetteerButton, st.sampled_from(["alias", "incomm", "newin"]), numbers, numbers),
    st.builds(cb.PerformanceButton, st.booleans(), numbers),
    st.builds(
        cb.PerformanceButton,
        st.booleans(),
        numbers,
        st.sampled_from([p for p in cb.PERFORMANCE_PERIODS if p != "ct"]),
    ),
    st.builds(cb.PerformanceButton, st.just(True), numbers, st.just("ct")),
)


@given(BUTTONS)
def test_every_kind_round_trips_within_64_bytes(button: Any) -> None:
    data = button.to_data()
    assert len(data.encode()) <= cb.MAX_BYTES
    assert type(button).parse(data) == button
    assert re.search(type(button).PATTERN, data)
    # No other kind takes it for its own.
    others = [kind for kind in cb.KINDS if kind is not type(button)]
    assert all(kind.parse(data) is None for kind in others)
    assert all(not re.search(kind.PATTERN, data) for kind in others)


_DATA_LIKE = st.from_regex(r"[a-z]{1,6}:[0-9a-z:²١０-９_\-#\n ]{0,70}", fullmatch=True)


@given(st.one_of(st.text(max_size=100), _DATA_LIKE, BUTTONS.map(lambda b: b.to_data() + "\n")))
def test_parse_never_raises(data: str) -> None:
    for kind in cb.KINDS:
        parsed = kind.parse(data)
        if parsed is not None:
            assert isinstance(parsed, kind)
            assert len(parsed.to_data().encode()) <= cb.MAX_BYTES


def test_parse_of_nothing_is_none() -> None:
    assert all(kind.parse(None) is None for kind in cb.KINDS)


@pytest.mark.parametrize(
    ("button", "data"),
    [
        (cb.Claim(12), "c:12"),
        (cb.Claim(12, 3), "c:12:3"),
        (cb.QueuePage(2), "q:2"),
        (cb.QueuePage(opens=True), "q:open"),
        (cb.MinePage(1), "m:1"),
        (cb.Notify(NotifyMode.DIGEST), "n:digest"),
        (cb.OrgsPage(4), "g:4"),
        (cb.Feedback(7, "y"), "f:7:y"),
        (cb.Feedback.solved_answer(7, False), "f:7:n"),
        (cb.Feedback.stars(7, 5), "f:7:r5"),
        (cb.Forget(True), "forget:yes"),
        (cb.Forget(False), "forget:no"),
        (cb.DraftButton(3, "cat", "elderly"), "d:3:cat:elderly"),
        (cb.DraftButton(3, "submit"), "d:3:submit"),
        (cb.NewOrgButton(2, "allcats"), "o:2:allcats"),
    ],
)
def test_today_formats_are_kept(button: Any, data: str) -> None:
    assert button.to_data() == data
    assert type(button).parse(data) == button


@pytest.mark.parametrize(
    "data",
    [
        "c:1:²", "c:1:1:1", "c:²", "c:0", "c:2147483648", "m:²", "m:", "m:123456", "q:²",
        "q:-1", "g:-1", "g:²", "f:²:y", "f:1:r²", "f:1:r6", "f:1:yes", "n:never", "forget:maybe",
        "d:1", "d:²:submit", "d:١:submit", "d:0:submit", "d:-1:submit", "d:1:cat", "d:1:submit:x",
        "d:1:cat:Elderly", "d:1:junk", "o:²:create", "o:１:create", "o:1:submit", "d:1:submit\n",
    ],
)  # fmt: skip
def test_malformed_data_is_none(data: str) -> None:
    assert all(kind.parse(data) is None for kind in cb.KINDS)


def test_feedback_reads_as_solved_or_rating() -> None:
    assert (cb.Feedback(1, "y").solved, cb.Feedback(1, "y").rating) == (True, None)
    assert (cb.Feedback(1, "n").solved, cb.Feedback(1, "n").rating) == (False, None)
    assert (cb.Feedback(1, "r3").solved, cb.Feedback(1, "r3").rating) == (None, 3)


def test_invalid_buttons_cannot_be_built() -> None:
    for build in (
        lambda: cb.Claim(0),
        lambda: cb.QueuePage(1, opens=True),
        lambda: cb.Feedback.stars(1, 6),
        lambda: cb.DraftButton(1, "cat"),
        lambda: cb.DraftButton(1, "submit", "x"),
        lambda: cb.NewOrgButton(1, "cat", "a" * 33),
    ):
        with pytest.raises(ValueError):
            build()


def test_thread_and_files_data_are_readable() -> None:
    assert cb.Thread("add", 12, 3).to_data() == "t:add:12:3"
    assert cb.Thread.parse("t:wdy:7:0") == cb.Thread("wdy", 7, 0)
    assert cb.Files(5).to_data() == "x:5"
    for forged in ("t:zap:1:0", "t:add:0:1", "t:add:12", "x:0", "x:99999999999", "t:add:1:-1"):
        assert cb.Thread.parse(forged) is None and cb.Files.parse(forged) is None


def test_member_and_scope_data_are_readable() -> None:
    assert cb.Member("who", 3, 5_200_000_001).to_data() == "w:who:3:5200000001"
    assert cb.Member.parse("w:leave:3") == cb.Member("leave", 3)
    assert cb.Scope(3, "cat", "repairs").to_data() == "s:3:cat:repairs"
    assert cb.Scope.parse("s:3:allcomm") == cb.Scope(3, "allcomm")
    for forged in ("w:who:3", "w:org:3:1", "w:rm:0:1", "w:rm:1:0", "w:zap:1", "s:1:cat",
                   "s:1:allcats:x", "s:0:allcats", "s:1:cat:Repairs"):  # fmt: skip
        assert cb.Member.parse(forged) is None and cb.Scope.parse(forged) is None


def test_more_time_and_release_reasons_have_their_formats() -> None:
    from storage.requests.extensions import ReleaseReason

    assert cb.Extension(57, True).to_data() == "e:57:y"
    assert cb.Extension.parse("e:57:n") == cb.Extension(57, False)
    assert cb.ReleaseWhy(12, "no_resources").to_data() == "r:12:no_resources"
    assert cb.ReleaseWhy.parse("r:12:bogus") is None
    assert set(cb.RELEASE_CODES) == {reason.value for reason in ReleaseReason}
