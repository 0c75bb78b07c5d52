"""Tell when several residents raise the same need ("3栋电梯坏了" / "三栋的电梯又不动了").

Duplicate reports are merged in the queue, and the number of residents who raised a problem
is what makes the weekly summary useful. Messages are short and worded freely, so a text
becomes a set of normalised tokens: jieba words (minus stop words and punctuation) with
everyday synonyms folded (不动/不亮/故障 -> 坏), Chinese numerals written as digits, character
bigrams for words jieba splits differently, and address tokens ("@3栋") for buildings and
units. Two sets are compared with the Dice coefficient; different buildings never match.

Recommended threshold: SAME_NEED_THRESHOLD (0.5), checked by tests/nlp/test_similarity.py
against pairs that should and should not match.
"""

from __future__ import annotations

import re

from nlp.keywords import stop_words
from nlp.normalize import normalise
from nlp.segment import segment_normalised

SAME_NEED_THRESHOLD = 0.5

_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+(?=[栋幢号单元楼层组期区室])")
_ADDRESS = re.compile(r"(\d+)\s*(号楼|栋|幢|单元|楼|层|组|期|区)")
_ADDRESS_KIND = {
    "号楼": "栋",
    "幢": "栋",
    "栋": "栋",
    "单元": "单元",
    "楼": "楼",
    "层": "楼",
    "组": "组",
    "期": "期",
    "区": "区",
}

# Everyday ways of saying the same thing, folded in the text before segmentation (longest
# first), so that jieba's choice of boundaries does not matter.
_SYNONYMS = {
    "不动": "坏",
    "坏掉": "坏",
    "停运": "坏",
    "故障": "坏",
    "不走": "坏",
    "用不了": "坏",
    "不能用": "坏",
    "不亮": "坏",
    "不灵": "坏",
    "烂": "坏",
    "停摆": "坏",
    "升降梯": "电梯",
    "路灯": "灯",
    "灯泡": "灯",
    "渗水": "漏水",
    "滴水": "漏水",
    "好臭": "臭",
    "异味": "臭",
    "臭味": "臭",
    "臭气": "臭",
    "味道": "臭",
    "吵闹": "吵",
    "噪音": "吵",
    "扰民": "吵",
    "噪声": "吵",
    "半夜": "晚上",
    "深夜": "晚上",
    "夜里": "晚上",
    "晚上": "晚上",
    "莫得": "没有",
    "没得": "没有",
    "娃儿": "孩子",
    "娃娃": "孩子",
    "小孩子": "孩子",
    "小孩": "孩子",
    "电动车": "电瓶车",
    "电单车": "电瓶车",
}
_SYNONYM_RE = re.compile("|".join(sorted(map(re.escape, _SYNONYMS), key=len, reverse=True)))
_FILLERS = "的了又还也都就呢吗嘛啊呀哦么着过得地好太很有在把被给个股"


def _cn_to_int(numeral: str) -> int | None:
    """一..九十九 as an int (enough for buildings, units and floors)."""
    if "十" not in numeral:
        value = 0
        for char in numeral:
            if char not in _DIGITS:
                return None
            value = value * 10 + _DIGITS[char]
        return value
    tens, _, ones = numeral.partition("十")
    if (
        len(tens) > 1
        or len(ones) > 1
        or (tens and tens not in _DIGITS)
        or (ones and ones not in _DIGITS)
    ):
        return None
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


def _digits_for_numerals(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        value = _cn_to_int(match.group())
        return match.group() if value is None else str(value)

    return _CN_NUMBER.sub(replace, text)


def similarity_tokens(text: str) -> frozenset[str]:
    """The comparable features of one message (see the module docstring)."""
    cleaned = _digits_for_numerals(normalise(text))
    tokens: set[str] = set()
    for number, kind in _ADDRESS.findall(cleaned):
        tokens.add(f"@{int(number)}{_ADDRESS_KIND[kind]}")
    stops = stop_words()
    words: list[str] = []
    folded = _SYNONYM_RE.sub(lambda match: _SYNONYMS[match.group()], _ADDRESS.sub(" ", cleaned))
    for word in segment_normalised(folded):
        # 又坏了 -> 坏, 好几天 -> 几天: particles at a word's edges carry no topic.
        word = word.lower().strip(_FILLERS)
        if word in stops or not any(char.isalnum() for char in word):
            continue
        words.append(word)
    tokens.update(words)
    joined = "".join(words)
    tokens.update(f"{joined[i]}{joined[i + 1]}" for i in range(len(joined) - 1))
    return frozenset(tokens)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Dice coefficient of two token sets in [0, 1]; 0 when they name different buildings."""
    if not a or not b:
        return 0.0
    for kind in ("栋", "单元"):
        mine = {token for token in a if token.startswith("@") and token.endswith(kind)}
        theirs = {token for token in b if token.startswith("@") and token.endswith(kind)}
        if mine and theirs and not mine & theirs:
            return 0.0
    return 2 * len(a & b) / (len(a) + len(b))
