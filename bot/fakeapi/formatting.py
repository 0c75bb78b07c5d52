"""Formatted text: Telegram-flavoured HTML parsed into text and entities, and the text checks.

The fake answers malformed markup and over-long texts with the 400 Telegram gives, so that a bot
bug shows up in the tests instead of in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .common import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    JSONDict,
    TelegramAPIError,
    _bad_request,
    _utf16_len,
)

# Tags Telegram accepts with parse_mode HTML, and the entity each one becomes.
_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_RE = re.compile(
    r"<(/?)([A-Za-z][A-Za-z0-9-]*)"
    r"((?:\s+[A-Za-z_:][A-Za-z0-9_:.-]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*>"
)
_ATTR_RE = re.compile(
    r"([A-Za-z_:][A-Za-z0-9_:.-]*)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?"
)
_HTML_ENTITY_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_Entity = tuple[str, int, int, str]  # (type, offset, length, url/language)
_OpenTag = tuple[str, int, dict[str, str]]  # (tag name, offset where it opened, attributes)


@dataclass(frozen=True)
class _Formatted:
    """Text as the resident sees it, with the entities Telegram would attach."""

    text: str
    entities: tuple[_Entity, ...]

    def entities_json(self) -> list[JSONDict]:
        result: list[JSONDict] = []
        for kind, offset, length, extra in self.entities:
            entity: JSONDict = {"type": kind, "offset": offset, "length": length}
            if kind == "text_link":
                entity["url"] = extra
            elif kind == "pre" and extra:
                entity["language"] = extra
            elif kind == "custom_emoji":
                entity["custom_emoji_id"] = extra
            result.append(entity)
        return result


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_error(detail: str) -> TelegramAPIError:
    return _bad_request(f"can't parse entities: {detail}")


def parse_html(source: str) -> _Formatted:
    """Parse Telegram-flavoured HTML, raising the 400 Telegram answers for malformed markup."""
    out: list[str] = []
    out_len = 0  # in UTF-16 code units, as Telegram counts offsets
    stack: list[_OpenTag] = []
    entities: list[_Entity] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            i = _tag(source, i, out_len, stack, entities)
        elif char == "&":
            decoded, i = _char_reference(source, i)
            out.append(decoded)
            out_len += _utf16_len(decoded)
        else:
            out.append(char)
            out_len += _utf16_len(char)
            i += 1
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    # A code entity nested in pre is the pre's language marker, not an entity of its own.
    entities = [e for e in entities if not _is_code_in_pre(e, entities)]
    entities.sort(key=lambda e: (e[1], -e[2]))
    return _Formatted("".join(out), tuple(entities))


def _tag(source: str, i: int, out_len: int, stack: list[_OpenTag], entities: list[_Entity]) -> int:
    """Open or close the tag at `source[i]`; return the index after it."""
    match = _TAG_RE.match(source, i)
    if match is None:
        raise _parse_error(
            f"Unsupported start tag or bare '<' at byte offset {_byte_offset(source, i)}"
        )
    closing, name, raw_attrs = match.group(1), match.group(2).lower(), match.group(3)
    if name not in _HTML_TAGS:
        which = "end" if closing else "start"
        raise _parse_error(
            f'Unsupported {which} tag "{name}" at byte offset {_byte_offset(source, i)}'
        )
    if closing:
        _close_tag(source, i, name, out_len, stack, entities)
    else:
        _open_tag(source, i, name, raw_attrs, out_len, stack)
    return match.end()


def _close_tag(
    source: str, i: int, name: str, out_len: int, stack: list[_OpenTag], entities: list[_Entity]
) -> None:
    """Close the innermost open tag, which must be `name`, and record its entity."""
    if not stack or stack[-1][0] != name:
        expected = f'"</{stack[-1][0]}>"' if stack else "no end tag"
        raise _parse_error(
            f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
            f'expected {expected}, found "</{name}>"'
        )
    open_name, start, attrs = stack.pop()
    kind, extra = _entity_kind(open_name, attrs, stack)
    if out_len > start:
        entities.append((kind, start, out_len - start, extra))


def _open_tag(
    source: str, i: int, name: str, raw_attrs: str, out_len: int, stack: list[_OpenTag]
) -> None:
    """Push the start tag `name` with its attributes onto `stack`."""
    attrs = {
        m.group(1).lower(): next(
            (g for g in (m.group(2), m.group(3), m.group(4)) if g is not None), ""
        )
        for m in _ATTR_RE.finditer(raw_attrs)
    }
    if name == "span" and attrs.get("class") != "tg-spoiler":
        raise _parse_error(f'Unsupported start tag "span" at byte offset {_byte_offset(source, i)}')
    stack.append((name, out_len, attrs))


def _entity_kind(open_name: str, attrs: dict[str, str], stack: list[_OpenTag]) -> tuple[str, str]:
    """The entity type and its url/language of the tag just closed.

    A ``<code class="language-...">`` inside ``<pre>`` hands its language to the pre on `stack`.
    """
    kind = _HTML_TAGS[open_name]
    extra = ""
    if open_name == "a":
        extra = attrs.get("href", "")
    elif open_name == "pre":
        extra = attrs.get("language", "")
    elif open_name == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            pre_name, pre_start, pre_attrs = stack[-1]
            stack[-1] = (pre_name, pre_start, {**pre_attrs, "language": language[9:]})
    elif open_name == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    elif open_name == "tg-emoji":
        extra = attrs.get("emoji-id", "")
    return kind, extra


def _char_reference(source: str, i: int) -> tuple[str, int]:
    """Decode the character reference at `source[i]`; return it and the index after it."""
    match = _HTML_ENTITY_RE.match(source, i)
    if match is None:
        raise _parse_error(
            f"Character '&' is reserved for entities at byte offset {_byte_offset(source, i)}; "
            "write &amp;"
        )
    if match.group(1):
        return _NAMED_ENTITIES[match.group(1)], match.end()
    number = int(match.group(2)) if match.group(2) else int(match.group(3), 16)
    if number > 0x10FFFF:
        raise _parse_error(f"Invalid character reference at byte offset {_byte_offset(source, i)}")
    return chr(number), match.end()


def _is_code_in_pre(entity: _Entity, entities: list[_Entity]) -> bool:
    return entity[0] == "code" and any(
        other[0] == "pre" and other[1] == entity[1] and other[2] == entity[2] for other in entities
    )


def _format(source: str, parse_mode: str | None) -> _Formatted:
    if parse_mode is None or parse_mode == "":
        return _Formatted(source, ())
    if parse_mode.lower() == "html":
        return parse_html(source)
    if parse_mode.lower() in ("markdown", "markdownv2"):
        # Not parsed: the text is kept as sent, which is enough to compare edits.
        return _Formatted(source, (("parse_mode:" + parse_mode, 0, 0, ""),))
    raise _bad_request(f"unsupported parse_mode {parse_mode!r}")


def _checked_text(source: str, parse_mode: str | None, *, caption: bool) -> _Formatted:
    """`source` formatted, or the 400 Telegram answers for an empty or too long text/caption."""
    if not caption and not source.strip():
        raise _bad_request("message text is empty")
    formatted = _format(source, parse_mode)
    if not caption and not formatted.text.strip():
        raise _bad_request("message text is empty")
    limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
    if _utf16_len(formatted.text) > limit:
        raise _bad_request("message caption is too long" if caption else "message is too long")
    return formatted
