from __future__ import annotations

import pytest

from nlp.similarity import SAME_NEED_THRESHOLD, similarity, similarity_tokens

SAME = [
    ("3栋电梯坏了", "三栋的电梯又不动了"),
    ("小区门口路灯不亮", "门口的路灯坏了好几天"),
    ("楼道里好臭", "楼道有股臭味"),
    ("楼上半夜好吵", "楼上晚上噪音太大"),
    ("2单元下水道堵了", "二单元的下水道又堵起了"),
    ("垃圾好几天没人收", "垃圾堆了几天都没人收"),
    ("電梯壞了", "电梯坏了"),
    ("5栋门禁坏了", "五栋的门禁不灵了"),
]
DIFFERENT = [
    ("3栋电梯坏了", "5栋电梯坏了"),  # another building: another problem
    ("电梯坏了", "想报名志愿者"),
    ("楼道里好臭", "楼道路灯不亮"),
    ("我想找工作", "低保咋个申请"),
    ("电梯坏了", "电瓶车在楼道充电"),
    ("下水道堵了", "垃圾没人收"),
    ("楼上漏水", "楼上好吵"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_need_matches(a: str, b: str) -> None:
    assert similarity(similarity_tokens(a), similarity_tokens(b)) >= SAME_NEED_THRESHOLD


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_needs_do_not_match(a: str, b: str) -> None:
    assert similarity(similarity_tokens(a), similarity_tokens(b)) < SAME_NEED_THRESHOLD


def test_properties() -> None:
    a = similarity_tokens("3栋电梯坏了")
    b = similarity_tokens("三栋的电梯又不动了")
    assert similarity(a, a) == 1.0
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, similarity_tokens("垃圾没人收")) <= 1.0
    assert "@3栋" in a


def test_tokens_drop_stop_words_and_punctuation() -> None:
    tokens = similarity_tokens("请问，电梯坏了！！")
    assert "请问" not in tokens
    assert not any(token in {"，", "！"} for token in tokens)


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "\x00\u200f", "，，。"])
def test_empty_input(text: str) -> None:
    tokens = similarity_tokens(text)
    assert similarity(tokens, similarity_tokens("电梯坏了")) == 0.0
    assert similarity(tokens, tokens) == 0.0


def test_long_input() -> None:
    tokens = similarity_tokens("电梯坏了 mixed العربية " * 1000)
    assert similarity(tokens, similarity_tokens("电梯坏了")) > 0
