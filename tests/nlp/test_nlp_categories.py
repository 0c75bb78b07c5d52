from __future__ import annotations

from pathlib import Path

import pytest

from nlp.categories import (
    CODE_RULE,
    CategoriesError,
    Category,
    category_name,
    invalid_code,
    invalid_label,
    label_code,
    load_categories,
    model_categories,
    remember_label_names,
)


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


def test_label_codes_are_stable_short_and_valid() -> None:
    assert label_code("other") == "other"  # a code stays itself
    code = label_code("城乡建设")
    assert code == label_code("城乡建设") == "l_8c061a74ba"  # stable: the database keeps it
    assert invalid_code(code) is None
    assert len(code.encode()) <= 12  # fits a 50-character column and 64-byte callback data
    assert label_code("劳动和社会保障") != code
    assert label_code("Cafe\u0301") == label_code("Caf\u00e9")  # one name typed two ways


@pytest.mark.parametrize(
    "label", ["", " 城乡建设", "城乡建设!", "城" * 21, "12 3", "😀", "水电&燃气", "水电<燃气>"]
)
def test_invalid_labels(label: str) -> None:
    assert invalid_label(label)
    with pytest.raises(ValueError, match="label"):
        label_code(label)


def test_model_categories(tmp_path: Path) -> None:
    path = tmp_path / "cats.csv"
    path.write_text("code,name,scope\nparking,停车,车位\nother,其他,\n", encoding="utf-8")
    # A model trained on codes offers the categories file.
    assert model_categories(("parking", "other"), {}, path) == load_categories(path)
    city = label_code("城乡建设")
    assert model_categories((city, "other"), {city: "城乡建设"}, path) == (
        Category(city, "城乡建设", ""),
        Category("other", "其他", ""),
    )


def test_remembered_names() -> None:
    code = label_code("卫生计生")
    assert category_name(code) == code
    remember_label_names({code: "卫生计生"})
    assert category_name(code) == "卫生计生"
