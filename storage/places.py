"""What residents type as a place or a contact, cleaned and split (community, building)."""

from __future__ import annotations

import re

from nlp.normalize import normalise, strip_control

_BUILDING_RE = re.compile(r"([0-9一二三四五六七八九十百零两]+\s*(?:栋|幢|号楼|楼|单元|号院).*)$")
MAX_PLACE = 100
MAX_CONTACT = 200


def clean_text(text: str) -> str:
    """The resident's words as typed, without control characters (tab and newline stay)."""
    return strip_control(text)


def clean_contact(text: str) -> str:
    """A phone number or short note: no control characters, spaces collapsed, bounded."""
    return " ".join(clean_text(text).split())[:MAX_CONTACT]


def split_place(text: str) -> tuple[str, str | None]:
    """Split '玉林社区 3栋2单元' into community and building; the building is optional."""
    text = " ".join(text.split())
    parts = text.split(" ", 1)
    if len(parts) == 2:
        return parts[0], parts[1]
    match = _BUILDING_RE.search(text)
    if match and match.start() > 0:
        return text[: match.start()].strip(",，"), match.group(1).strip()
    return text, None


def clean_place(text: str) -> str:
    """A place in canonical form: Simplified, half-width, no control or invisible characters.

    So that '玉林社區 3棟', '玉林社区\u200b 3栋' and '玉林社区３栋' are one place (nlp.normalize
    drops control, zero-width and bidi formatting characters and folds width and script).
    Organisation scopes are written the same way (storage.organisations), so they match.
    """
    return normalise(text)


def parse_place(text: str) -> tuple[str, str | None]:
    """Community and building from what the resident typed, normalised (see clean_place)."""
    return split_place(clean_place(text))
