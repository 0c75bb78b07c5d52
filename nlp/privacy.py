"""Find and mask personal data (phone numbers, ID numbers) in residents' messages.

Residents often paste their phone or ID number into a request. Summaries, logs and exports
must not carry them. ID numbers are masked only when the checksum (18 digits) or the birth
date (15 digits) is valid, so a meter reading or an order number is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MOBILE = "mobile"
LANDLINE = "landline"
ID_CARD = "id_card"

_ID18 = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{15})(?![0-9A-Za-z])")
_MOBILE = re.compile(
    r"(?<![0-9])((?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![0-9])"
)
_LANDLINE = re.compile(r"(?<![0-9])(\(?0\d{2,3}\)?[\s-]?)(\d{3,4})[\s-]?(\d{4})(?![0-9])")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


@dataclass(frozen=True)
class PersonalData:
    """One piece of personal data found in a text: where it is and what kind."""

    start: int
    end: int
    kind: str
    text: str


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= date.today()


def valid_id18(number: str) -> bool:
    """True for an 18-digit resident ID with a correct check digit and birth date."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _WEIGHTS, strict=False))
    if _CHECK[total % 11] != number[17].upper():
        return False
    return _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def valid_id15(number: str) -> bool:
    """True for a 15-digit old-style ID with a plausible 19YYMMDD birth date (no checksum)."""
    return bool(re.fullmatch(r"\d{15}", number)) and _valid_date(
        1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    )


def find_personal_data(text: str) -> list[PersonalData]:
    """Every phone or ID number in `text`, in order, non-overlapping (IDs win)."""
    found: list[PersonalData] = []

    def free(start: int, end: int) -> bool:
        return all(end <= item.start or start >= item.end for item in found)

    for match in _ID18.finditer(text):
        if valid_id18(match.group(1)):
            found.append(PersonalData(match.start(), match.end(), ID_CARD, match.group()))
    for match in _ID15.finditer(text):
        if valid_id15(match.group(1)) and free(match.start(), match.end()):
            found.append(PersonalData(match.start(), match.end(), ID_CARD, match.group()))
    for match in _MOBILE.finditer(text):
        if free(match.start(), match.end()):
            found.append(PersonalData(match.start(), match.end(), MOBILE, match.group()))
    for match in _LANDLINE.finditer(text):
        if free(match.start(), match.end()):
            found.append(PersonalData(match.start(), match.end(), LANDLINE, match.group()))
    return sorted(found, key=lambda item: item.start)


def _mask(item: PersonalData) -> str:
    if item.kind == ID_CARD:
        digits = item.text
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
    if item.kind == MOBILE:
        match = _MOBILE.fullmatch(item.text)
        assert match is not None
        prefix, head, _, tail = match.groups()
        return f"{prefix or ''}{head}****{tail}"
    match = _LANDLINE.fullmatch(item.text)
    assert match is not None
    area, middle, tail = match.groups()
    return f"{area}{'*' * len(middle)}{tail}"


def mask_personal_data(text: str) -> str:
    """`text` with phone numbers as 138****5678 and ID numbers as 5101**********1234."""
    pieces: list[str] = []
    position = 0
    for item in find_personal_data(text):
        pieces.append(text[position : item.start])
        pieces.append(_mask(item))
        position = item.end
    pieces.append(text[position:])
    return "".join(pieces)
