"""Invariants of the text rules, checked on generated input (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from nlp.normalize import normalise
from nlp.privacy import find_personal_data, mask_personal_data

# Residents' text: CJK (simplified and traditional), full-width forms, ASCII, emoji, spaces.
_ALPHABET = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
    st.characters(min_codepoint=0x20, max_codepoint=0x7E),
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1F64F),
    st.sampled_from(" \u3000\t\n，。！？“”「」"),
)
resident_text = st.text(alphabet=_ALPHABET, max_size=80)
# What may stand around a number: words, never digits or letters that would extend it.
surrounding = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), st.sampled_from("，。 ：")
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(resident_text)
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


mobile = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


def _id18(region: str, born: date, sequence: str) -> str:
    body = f"{region}{born:%Y%m%d}{sequence}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


id_number = st.builds(
    _id18,
    st.text(alphabet="0123456789", min_size=6, max_size=6).filter(lambda r: r[0] != "0"),
    st.builds(lambda days: date(1930, 1, 1) + timedelta(days=days), st.integers(0, 30000)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
# The ways residents type a number: plain, full width, in groups.
_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _spelled(number: str, style: int) -> str:
    if style == 1:
        return number.translate(_FULL_WIDTH)
    if style == 2 and len(number) == 11:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if style == 2:
        return f"{number[:6]}-{number[6:14]}-{number[14:]}"
    return number


@settings(max_examples=300, deadline=None)
@given(surrounding, st.one_of(mobile, id_number), st.integers(0, 2), surrounding)
def test_masking_never_leaves_a_phone_or_id_number_readable(
    before: str, number: str, style: int, after: str
) -> None:
    text = before + _spelled(number, style) + after
    masked = mask_personal_data(text)
    assert masked.startswith(before) and masked.endswith(after)
    shown = normalise(masked[len(before) : len(masked) - len(after)])
    # At most the first 3-4 and the last 4 digits stay; the middle is hidden.
    assert sum(ch.isdigit() for ch in shown) <= 8 and "*" in shown
    assert number not in "".join(ch for ch in normalise(masked) if ch.isalnum())
    assert find_personal_data(masked) == []
