"""Find and mask personal data (phone numbers, ID numbers) in residents' messages.

Residents often paste their phone or ID number into a request. Summaries, logs and exports
must not carry them. ID numbers are masked only when the checksum (18 digits) or the birth
date (15 digits) is valid, so a meter reading or an order number is left alone.

Numbers are typed on Chinese keyboards in full width (１３８１２３４５６７８) and read out or
copied in groups (138 1234 5678, 510107-19900101-123X). Detection runs on a width-folded copy
that keeps one character for one, so every span found points into the original text and
masking leaves everything outside the numbers exactly as the resident wrote it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

MOBILE = "mobile"
LANDLINE = "landline"
ID_CARD = "id_card"

# Groups may be separated by one space or hyphen: 510107 19900101 123X, 138-1234-5678.
_ID18 = re.compile(
    r"(?<![0-9A-Za-z])([0-9]{6})[ -]?([0-9]{8})[ -]?([0-9]{3}[0-9Xx])(?![0-9A-Za-z])"
)
_ID15 = re.compile(r"(?<![0-9A-Za-z])([0-9]{6})[ -]?([0-9]{6})[ -]?([0-9]{3})(?![0-9A-Za-z])")
_MOBILE = re.compile(
    r"(?<![0-9])((?:\+|00)?86[\s-]?)?(1[3-9][0-9])[\s-]?([0-9]{4})[\s-]?([0-9]{4})(?![0-9])"
)
_LANDLINE = re.compile(r"(?<![0-9])(\(?0[0-9]{2,3}\)?[\s-]?)([0-9]{3,4})[\s-]?([0-9]{4})(?![0-9])")

# Dashes an input method may give for "-"; NFKC leaves most of them alone.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _fold_char(char: str) -> str:
    if char in _DASHES:
        return "-"
    folded = unicodedata.normalize("NFKC", char)
    # One character for one: a character NFKC expands (㍿, ½) is kept as it is.
    return folded if len(folded) == 1 else char


def fold_width(text: str) -> str:
    """`text` with full-width digits, letters, spaces and dashes as ASCII, same length."""
    if text.isascii():
        return text
    return "".join(_fold_char(char) for char in text)


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
    number = fold_width(number)
    if not re.fullmatch(r"[0-9]{17}[0-9Xx]", number):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _WEIGHTS, strict=False))
    if _CHECK[total % 11] != number[17].upper():
        return False
    return _valid_date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def valid_id15(number: str) -> bool:
    """True for a 15-digit old-style ID with a plausible 19YYMMDD birth date (no checksum)."""
    number = fold_width(number)
    return bool(re.fullmatch(r"[0-9]{15}", number)) and _valid_date(
        1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    )


def find_personal_data(text: str) -> list[PersonalData]:
    """Every phone or ID number in `text`, in order, non-overlapping (IDs win).

    Spans and texts refer to `text` as given, full-width digits and separators included.
    """
    folded = fold_width(text)
    found: list[PersonalData] = []

    def free(start: int, end: int) -> bool:
        return all(end <= item.start or start >= item.end for item in found)

    def add(match: re.Match[str], kind: str) -> None:
        found.append(
            PersonalData(match.start(), match.end(), kind, text[match.start() : match.end()])
        )

    for match in _ID18.finditer(folded):
        if valid_id18("".join(match.groups())):
            add(match, ID_CARD)
    for match in _ID15.finditer(folded):
        if valid_id15("".join(match.groups())) and free(match.start(), match.end()):
            add(match, ID_CARD)
    for match in _MOBILE.finditer(folded):
        if free(match.start(), match.end()):
            add(match, MOBILE)
    for match in _LANDLINE.finditer(folded):
        if free(match.start(), match.end()):
            add(match, LANDLINE)
    return sorted(found, key=lambda item: item.start)


def _group(match: re.Match[str], original: str, group: int) -> str:
    start, end = match.span(group)
    return original[start:end] if start >= 0 else ""


def _mask(item: PersonalData) -> str:
    # The pattern is matched on the folded text; the kept characters come from the original.
    folded = fold_width(item.text)
    if item.kind == ID_CARD:
        match = _ID18.fullmatch(folded) or _ID15.fullmatch(folded)
        assert match is not None
        digits = "".join(_group(match, item.text, g) for g in (1, 2, 3))
        return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]
    if item.kind == MOBILE:
        match = _MOBILE.fullmatch(folded)
        assert match is not None
        prefix, head, tail = (_group(match, item.text, g) for g in (1, 2, 4))
        return f"{prefix}{head}****{tail}"
    match = _LANDLINE.fullmatch(folded)
    assert match is not None
    area, middle, tail = (_group(match, item.text, g) for g in (1, 2, 3))
    return f"{area}{'*' * len(middle)}{tail}"


def mask_personal_data(text: str) -> str:
    """`text` with phone numbers as 138****5678 and ID numbers as 5101**********1234.

    Only the numbers change; every other character of `text` is kept as it is.
    """
    pieces: list[str] = []
    position = 0
    for item in find_personal_data(text):
        pieces.append(text[position : item.start])
        pieces.append(_mask(item))
        position = item.end
    pieces.append(text[position:])
    return "".join(pieces)
