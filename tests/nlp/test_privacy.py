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


# A made-up 18-digit ID whose check digit is X (born 1990-01-01 in Chengdu's Qingyang district).
ID18_X = "51010719900101123X"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Full-width digits from a Chinese keyboard; the kept digits stay as typed.
        ("电话１３８１２３４５６７８", "电话１３８****５６７８"),
        ("＋８６ １３８－１２３４－５６７８ 找我", "＋８６ １３８****５６７８ 找我"),
        ("座機０２８－８７６５４３２１，謝謝", "座機０２８－****４３２１，謝謝"),
        ("身份證５１０１０７１９９００１０１１２３Ｘ。", "身份證５１０１**********１２３Ｘ。"),
        # ID numbers typed in their 6-8-4 groups (6-6-3 for the old 15-digit ones).
        ("身份证 510107 19900101 123X 谢谢", "身份证 5101**********123X 谢谢"),
        ("身份证510107-19900101-123x", "身份证5101**********123x"),
        ("身份证510107－19900101－123X", "身份证5101**********123X"),  # full-width hyphens
        ("老身份证510104 800101 123", "老身份证5101*******1123"),
        # Phone numbers in groups, with or without the country code.
        ("打138 1234 5678", "打138****5678"),
        ("打138-1234-5678", "打138****5678"),
        ("打138—1234—5678", "打138****5678"),  # an input method's dash
        ("打+86 138 1234 5678", "打+86 138****5678"),
        ("打+86-138-1234-5678", "打+86-138****5678"),
        ("打0086 13812345678", "打0086 138****5678"),
        ("打138　1234　5678", "打138****5678"),  # ideographic spaces
    ],
)
def test_mask_full_width_and_grouped(text: str, masked: str) -> None:
    assert mask_personal_data(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "电话１３８１２３４５６７８，找王嬢嬢",
        "身份证：510107 19900101 123X（复印件）",
        "㍿ ½ ①②③ 电话138-1234-5678 🙏🏻\u200b",
    ],
)
def test_spans_point_into_the_original_text(text: str) -> None:
    found = find_personal_data(text)
    assert len(found) == 1
    item = found[0]
    assert text[item.start : item.end] == item.text
    masked = mask_personal_data(text)
    # Everything outside the number is kept character for character.
    assert masked.startswith(text[: item.start])
    assert masked.endswith(text[item.end :])


@pytest.mark.parametrize(
    "text",
    [
        "订单号 510107 19900101 1237",  # grouped like an ID, wrong check digit
        "订单号510107-19900101-1230",
        "读数 123456 789012 345",  # grouped like an old ID, impossible birth date
        "价格１３８００元",
    ],
)
def test_grouped_numbers_that_are_not_personal_data(text: str) -> None:
    assert find_personal_data(text) == []
    assert mask_personal_data(text) == text


def test_validators_accept_full_width() -> None:
    assert valid_id18(ID18_X)
    assert valid_id18("５１０１０７１９９００１０１１２３Ｘ")
    assert valid_id15("５１０１０４８００１０１１２３")
