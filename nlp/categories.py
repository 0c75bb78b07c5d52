"""The service categories a need can be filed under, read from a CSV a deployment may replace.

Categories are data, not code: the default 13 ship in `nlp/data/categories.csv`, and nothing
else in the project spells them out, so a community with other services only swaps the file
(and trains a model on its own labels).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_CATEGORIES_PATH = Path(__file__).parent / "data" / "categories.csv"
DEFAULT_MODEL_PATH = Path(__file__).parent / "model"
# The linli meta saved next to a model (nlp.training writes it): its labels, their names, ...
META_FILENAME = "linli.json"

# A code is stored in 50-character columns and carried in Telegram callback data (at most
# 64 bytes, shared with the request's id and the action), so it is short lowercase ASCII.
MAX_CODE_LENGTH = 32
_CODE = re.compile(r"[a-z0-9_]+")
CODE_RULE = f"lowercase ASCII letters, digits and _, at most {MAX_CODE_LENGTH} characters"


def invalid_code(code: str) -> str | None:
    """Why `code` cannot be a category code (one line), or None if it can."""
    if not _CODE.fullmatch(code):
        return f"category code {code!r} must be {CODE_RULE}"
    if len(code) > MAX_CODE_LENGTH:
        return f"category code {code!r} is {len(code)} characters long; it must be {CODE_RULE}"
    return None


# A deployment trains on its own labels as its 12345 export writes them (城乡建设,
# 劳动和社会保障): a label is either a code or a name of up to MAX_LABEL_LENGTH characters,
# letters and digits of any script with a few joiners (the longest first-level label of
# the public 12345 data has 7 characters; 20 leaves room for "二级:..." styles). A name is
# stored and carried as the code `label_code` derives from it.
MAX_LABEL_LENGTH = 20
# No "&" (nor < >): the bot puts category names unescaped in its HTML messages.
_JOINERS = frozenset(" ·・、/-_()（）")
LABEL_RULE = (
    f"a category code ({CODE_RULE}) or a name of at most {MAX_LABEL_LENGTH} characters: "
    "letters, digits, spaces and ·、/-_()"
)
# Codes derived from names: "l_" and 10 hex digits of the name's SHA-256. Stable across
# retraining (the database keeps codes) and short enough for callback data.
_DERIVED_PREFIX = "l_"


def invalid_label(label: str) -> str | None:
    """Why `label` can be neither a category code nor a category name (one line), or None."""
    if not label:
        return "empty label"
    if invalid_code(label) is None:
        return None
    label = unicodedata.normalize("NFC", label)
    if len(label) > MAX_LABEL_LENGTH:
        return f"label {label!r} is {len(label)} characters long; a label must be {LABEL_RULE}"
    if label != label.strip() or not any(char.isalpha() for char in label):
        return f"label {label!r} must be {LABEL_RULE}"
    for char in label:
        if not (char.isalnum() or char in _JOINERS) or unicodedata.category(char) == "Co":
            return f"label {label!r} has the character {char!r}; a label must be {LABEL_RULE}"
    return None


def label_code(label: str) -> str:
    """The category code of a training label: a code stays itself, a name gets a derived one.

    Raises ValueError for a label `invalid_label` refuses. Names are compared after NFC
    normalisation, so the same name typed two ways gets one code.
    """
    problem = invalid_label(label)
    if problem:
        raise ValueError(problem)
    if invalid_code(label) is None:
        return label
    digest = hashlib.sha256(unicodedata.normalize("NFC", label).encode()).hexdigest()
    return _DERIVED_PREFIX + digest[:10]


class CategoriesError(ValueError):
    """The categories file is malformed; the message names the line."""


@dataclass(frozen=True)
class Category:
    """One service category: a stable code for storage, a Chinese name for people."""

    code: str
    name: str
    scope: str


def load_categories(path: Path | None = None) -> tuple[Category, ...]:
    """Read the categories file (None = the shipped default), in file order."""
    return _load(path or DEFAULT_CATEGORIES_PATH)


@lru_cache(maxsize=8)
def _load(path: Path) -> tuple[Category, ...]:
    # Cached because the bot renders names on every message; the file changes only on deploy.
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"code", "name", "scope"} - set(reader.fieldnames or ())
        if missing:
            raise CategoriesError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        categories: list[Category] = []
        seen: set[str] = set()
        for row in reader:
            code = (row.get("code") or "").strip()
            name = (row.get("name") or "").strip()
            if not code or not name:
                raise CategoriesError(f"{path}, line {reader.line_num}: empty code or name")
            problem = invalid_code(code)
            if problem:
                raise CategoriesError(f"{path}, line {reader.line_num}: {problem}")
            if code in seen:
                raise CategoriesError(f"{path}, line {reader.line_num}: duplicate code {code!r}")
            seen.add(code)
            categories.append(Category(code, name, (row.get("scope") or "").strip()))
    if not categories:
        raise CategoriesError(f"{path}: no categories")
    return tuple(categories)


_model_names: dict[str, str] = {}
_names_lock = threading.Lock()


def remember_label_names(names: Mapping[str, str]) -> None:
    """Make the names a loaded model was trained with known to `category_name`.

    Called by `Classifier.load`: a model trained on a deployment's own labels (城乡建设)
    keeps its names in its meta, and every place that prints a category reads this module.
    """
    with _names_lock:
        _model_names.update(names)


def load_model_categories(model_dir: Path | None = None) -> tuple[Category, ...]:
    """The categories of the model in `model_dir` (None = the shipped one), its names remembered.

    Reads only the model's meta, not the spaCy pipeline (milliseconds, not seconds), for the
    commands that print or take categories without classifying (`linli summary`, `linli org`).
    A model trained on codes, or no readable meta, gives the categories file: the bot's start
    reports a missing or broken model.
    """
    try:
        meta = json.loads(((model_dir or DEFAULT_MODEL_PATH) / META_FILENAME).read_bytes())
    except (OSError, ValueError):
        meta = {}
    raw_names = meta.get("label_names") if isinstance(meta, dict) else None
    names = {str(k): str(v) for k, v in raw_names.items()} if isinstance(raw_names, dict) else {}
    raw_labels = meta.get("labels") if names else None
    labels = tuple(map(str, raw_labels)) if isinstance(raw_labels, list) else tuple(names)
    remember_label_names(names)
    return model_categories(labels, names)


def known_categories(path: Path | None = None) -> tuple[Category, ...]:
    """The categories a name or code may refer to: a loaded model's named labels first (so its
    城乡建设 wins over a file entry of the same name), then the categories file's."""
    with _names_lock:
        named = [Category(code, name, "") for code, name in _model_names.items()]
    return (*named, *load_categories(path))


def category_name(code: str, path: Path | None = None) -> str:
    """The Chinese name of `code`: from a loaded model's own labels, else the categories file,
    else the code itself (a label nobody named stays printable)."""
    name = _model_names.get(code)
    if name is not None:
        return name
    for category in load_categories(path):
        if category.code == code:
            return category.name
    return code


def model_categories(
    labels: tuple[str, ...], names: Mapping[str, str], path: Path | None = None
) -> tuple[Category, ...]:
    """The categories the bot offers for a model: the file's, unless the model has its own.

    A model trained on named labels (`names` from its meta) offers exactly its labels, in
    its order, with their names; a model trained on codes offers the categories file.
    """
    if not names:
        return load_categories(path)
    known = {category.code: category for category in load_categories(path)}
    return tuple(known.get(code) or Category(code, names.get(code, code), "") for code in labels)
