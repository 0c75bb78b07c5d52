"""The service categories a need can be filed under, read from a CSV a deployment may replace.

Categories are data, not code: the default 13 ship in `nlp/data/categories.csv`, and nothing
else in the project spells them out, so a community with other services only swaps the file
(and trains a model on its own labels).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_CATEGORIES_PATH = Path(__file__).parent / "data" / "categories.csv"

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


def category_name(code: str, path: Path | None = None) -> str:
    """The Chinese name of `code`, or the code itself for a label the file does not know.

    Falling back keeps a model trained on a deployment's own labels printable.
    """
    for category in load_categories(path):
        if category.code == code:
            return category.name
    return code
