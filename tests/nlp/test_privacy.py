from __future__ import annotations

import pytest

from nlp.privacy import (
    ID_CARD,
    LANDLINE,
    MOBILE,
    find_personal_data,
    mask_personal_data,
    valid_id15,
    valid_id18,
)

# A made-up ID with a correct check digit (born 1980-01-01 in Chengdu's Jinjiang district).
ID18 = "510104198001011236"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我电话13812345678", "我电话138****5678"),
        ("电话 138 1234 5678 找我", "电话 138****5678 找我"),
        ("+86 139-1234-5678", "+86 139****5678"),
        ("8613912345678", "86139****5678"),
        ("座机028-87654321", "座机028-****4321"),
        ("(028)87654321", "(028)****4321"),
        (f"身份证{ID18}", "身份证5101**********1236"),
        ("身份证51010419800101123x".replace("123x", "1236"), "身份证5101**********1236"),
        ("老身份证510104800101123", "老身份证5101*******1123"),
        (f"电话13812345678，身份证{ID18}。", "电话138****5678，身份证5101**********1236。"),
    ],
)
def test_mask(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "订单号123456789012345678",  # 18 digits, wrong checksum
        "水表读数 123456789012345",  # 15 digits, impossible birth date
        "价格13800元",
        "12345678901",  # 11 digits not starting 1[3-9]
        "2号楼3单元502",
        "",
        "电梯坏了",
    ],
)
def test_leaves_other_numbers_alone(text: str) -> None:
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_kinds_and_spans() -> None:
    text = f"手机13812345678 座机028-87654321 身份证{ID18}"
    found = find_personal_data(text)
    assert [item.kind for item in found] == [MOBILE, LANDLINE, ID_CARD]
    for item in found:
        assert text[item.start : item.end] == item.text


def test_id_with_x_check_digit() -> None:
    # Find a body whose check digit is X, to exercise that branch.
    body = next(
        f"5101041980010{n:04d}" for n in range(10_000) if valid_id18(f"5101041980010{n:04d}X")
    )
    assert find_personal_data(f"号码{body}x")[0].kind == ID_CARD


def test_validators() -> None:
    assert valid_id18(ID18)
    assert not valid_id18(ID18[:-1] + "7")
    assert not valid_id18("510104198013011236")  # month 13
    assert valid_id15("510104800101123")
    assert not valid_id15("510104801301123")


def test_long_and_junk_text() -> None:
    text = "电梯坏了 \x00\u200f" * 1000 + "13812345678"
    assert mask_personal_data(text).endswith("138****5678")
