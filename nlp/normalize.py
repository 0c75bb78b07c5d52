"""Put resident text into one canonical form before anything else looks at it.

Residents type Simplified and Traditional, full-width letters from Chinese keyboards, emoji
runs and invisible characters pasted from other apps. The classifier, keywords, similarity
and urgency rules all see the same cleaned text, so they agree with one another and with
what the model was trained on.
"""

from __future__ import annotations

import logging
import re
import unicodedata

import opencc

logger = logging.getLogger(__name__)

# Built once: loading the conversion tables is the slow part of OpenCC.
_T2S = opencc.OpenCC("t2s")

# Chinese punctuation that NFKC would turn into ASCII; keeping it keeps sentences readable
# and lets jieba see it as punctuation exactly as in the training corpus.
_KEEP = "，。！？：；（）、“”‘’《》【】…—～"
_KEEP_RE = re.compile(f"([{re.escape(_KEEP)}]+)")

# Categories dropped outright: controls (except whitespace), format characters (zero-width,
# RTL/LTR marks, BOM), lone surrogates, private use and unassigned code points.
_DROP_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_WHITESPACE = frozenset("\t\n\r\v\f")

_EMOJI = (
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, symbols & pictographs ext.
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2b00-\u2bff"  # stars, arrows
    "\u2300-\u23ff"  # technical (watch, hourglass)
    "\ufe0e\ufe0f"  # variation selectors
    "\u20e3"  # combining keycap
)
_EMOJI_RUN = re.compile(f"([{_EMOJI}])(?:[{_EMOJI}]|\\s)*[{_EMOJI}]|[{_EMOJI}]")
_SPACES = re.compile(r"\s+")


def _clean_char(char: str) -> str:
    if char in _WHITESPACE:
        return " "
    if unicodedata.category(char) in _DROP_CATEGORIES:
        return ""
    return char


def _fold_width(text: str) -> str:
    # NFKC per segment between protected punctuation: full-width letters, digits and the
    # ideographic space become ASCII, compatibility ideographs become standard ones.
    parts = _KEEP_RE.split(text)
    return "".join(
        part if index % 2 else unicodedata.normalize("NFKC", part)
        for index, part in enumerate(parts)
    )


def _first_emoji(match: re.Match[str]) -> str:
    first = match.group(1) or match.group(0)
    # A bare variation selector or keycap mark is not worth keeping on its own.
    return "" if first in "\ufe0e\ufe0f\u20e3" else first


# OpenCC's t2s is not always a fixed point: 薴 becomes 苧, which it turns into 苎 the next time.
# Converting until nothing changes (twice is enough in practice) keeps normalise idempotent,
# so a text stored normalised compares equal to the same text normalised again.
_T2S_PASSES = 3


def _to_simplified(text: str) -> str:
    for _ in range(_T2S_PASSES):
        converted = _T2S.convert(text)
        if converted == text:
            break
        text = converted
    return text


def normalise(text: str) -> str:
    """Return `text` in canonical form; never raises, whatever the input."""
    if not isinstance(text, str) or not text:
        return ""
    cleaned = "".join(_clean_char(char) for char in text)
    try:
        cleaned = _fold_width(cleaned)
    except (ValueError, TypeError):  # pragma: no cover - NFKC on clean text does not fail
        logger.debug("width folding failed; keeping text as is")
    try:
        cleaned = _to_simplified(cleaned)
    except Exception:  # pragma: no cover - OpenCC is C++; never let it take the bot down
        logger.debug("OpenCC conversion failed; keeping text unconverted")
    cleaned = _EMOJI_RUN.sub(_first_emoji, cleaned)
    return _SPACES.sub(" ", cleaned).strip()


# C0 and C1 control characters, DEL included, except tab and newline: PostgreSQL text cannot
# hold NUL, spreadsheets refuse the others, and they carry no meaning in a message.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_control(text: str) -> str:
    """The text as typed, without control characters (tab and newline stay; CRLF becomes LF).

    Unlike normalise(), it keeps everything else: the form that is stored and shown.
    """
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n"))


def has_content(text: str) -> bool:
    """True if normalised `text` has a letter or digit, i.e. something to classify."""
    return any(unicodedata.category(char)[0] in "LN" for char in text)
