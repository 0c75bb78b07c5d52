from __future__ import annotations

from pathlib import Path

import pytest

from nlp.categories import CODE_RULE, CategoriesError, Category, category_name, load_categories


def test_default_has_the_13_categories_in_order() -> None:
    categories = load_categories()
    assert len(categories) == 13
    assert categories[0] == Category("elderly", "养老助老", categories[0].scope)
    assert categories[-1].code == "other"
    assert all(c.name and c.scope for c in categories)


def test_category_name() -> None:
    assert category_name("repairs") == "设施维修"
    assert category_name("not_a_category") == "not_a_category"


def test_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text("code,name,scope\nparking,停车,车位\nother,其他,\n", encoding="utf-8")
    assert [c.code for c in load_categories(path)] == ["parking", "other"]
    assert category_name("parking", path) == "停车"


@pytest.mark.parametrize(
    "content",
    [
        "code,name\nx,y\n",
        "code,name,scope\n",
        "code,name,scope\nx,,s\n",
        "code,name,scope\nx,a,\nx,b,\n",
    ],
)
def test_malformed_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CategoriesError):
        load_categories(path)


@pytest.mark.parametrize(
    "code",
    ["Parking", "停车", "park-ing", "park ing", "p" * 33, "parking!"],
)
def test_codes_must_be_short_lowercase_ascii(tmp_path: Path, code: str) -> None:
    path = tmp_path / "cats.csv"
    path.write_text(f"code,name,scope\nother,其他,\n{code},停车,车位\n", encoding="utf-8")
    with pytest.raises(CategoriesError, match=f"line 3: category code .*{CODE_RULE}"):
        load_categories(path)


def test_longest_code_accepted(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    code = "p" * 32
    path.write_text(f"code,name,scope\n{code},停车,车位\nother,其他,\n", encoding="utf-8")
    assert load_categories(path)[0].code == code
