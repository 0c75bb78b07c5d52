from __future__ import annotations

import random

import pytest

from nlp.normalize import has_content, normalise


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("電梯壞了", "电梯坏了"),
        ("ＡＢＣ１２３", "ABC123"),
        ("３棟　電梯", "3栋 电梯"),
        ("你好，世界！", "你好，世界！"),  # Chinese punctuation kept
        ("  电梯 \n\n\t 坏了  ", "电梯 坏了"),
        ("😭😭😭 😭 电梯", "😭 电梯"),
        ("👨\u200d👩\u200d👧 家里", "👨 家里"),
        ("🙏\ufe0f🙏\ufe0f", "🙏"),
        ("\u200f\u200b电梯\u200e\ufeff坏了", "电梯坏了"),
        ("电\x00梯\x07坏了", "电梯坏了"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_lone_surrogates_and_private_use_are_dropped() -> None:
    assert normalise("\udc80电梯\ud800\ue000") == "电梯"


def test_long_text() -> None:
    text = "電梯壞了，" * 2000
    assert len(text) == 10_000
    assert normalise(text).startswith("电梯坏了，电梯")


def test_never_raises_on_random_junk() -> None:
    rng = random.Random(0)
    for _ in range(300):
        junk = "".join(chr(rng.randrange(0, 0x10FFFF)) for _ in range(rng.randrange(0, 60)))
        assert isinstance(normalise(junk), str)
    junk_bytes = bytes(rng.randrange(256) for _ in range(500))
    assert isinstance(normalise(junk_bytes.decode("utf-8", "surrogateescape")), str)


def test_idempotent() -> None:
    for text in ["電梯壞了！！３棟", "😭😭 垃圾 ＡＢ", "مرحبا 你好 hello"]:
        once = normalise(text)
        assert normalise(once) == once


def test_has_content() -> None:
    assert has_content(normalise("电梯"))
    assert has_content("3")
    assert not has_content(normalise("😭😭 !!! ？？"))
    assert not has_content("")


def test_a_character_opencc_converts_in_two_steps_is_simplified_once_and_for_all() -> None:
    # t2s maps 薴 to 苧 and 苧 to 苎: normalise converts until nothing changes.
    assert normalise("薴") == normalise(normalise("薴"))
