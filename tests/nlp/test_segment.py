from __future__ import annotations

import jieba
import pytest

from nlp.segment import USER_DICTIONARY_PATH, load_user_dictionary, segment


def test_user_dictionary_has_enough_entries() -> None:
    words = [line.split()[0] for line in USER_DICTIONARY_PATH.read_text("utf-8").splitlines()]
    assert len(words) >= 60
    assert len(set(words)) == len(words)
    for word in ["小区", "义仓", "四点半课堂", "高空抛物", "莫得", "啥子", "咋个", "娃儿"]:
        assert word in words


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("四点半课堂咋个报名", "四点半课堂"),
        ("楼上高空抛物", "高空抛物"),
        ("婆婆要陪诊", "陪诊"),
        ("娃儿莫得人管", "娃儿"),
        ("電瓶車在樓道充電", "电瓶车"),
        ("公租房咋个申请", "公租房"),
    ],
)
def test_community_words_stay_whole(text: str, word: str) -> None:
    assert word in segment(text)


def test_load_is_idempotent() -> None:
    load_user_dictionary()
    before = jieba.dt.FREQ.get("四点半课堂")
    load_user_dictionary()
    assert jieba.dt.FREQ.get("四点半课堂") == before


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "\u200b"])
def test_nothing_to_segment(text: str) -> None:
    assert segment(text) == []


def test_long_and_mixed() -> None:
    assert len(segment("电梯坏了 hello مرحبا " * 500)) > 1000
