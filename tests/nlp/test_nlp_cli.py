from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nlp.cli import nlp_app
from nlp.training import TrainReport, read_meta

runner = CliRunner()


class FakeSettings:
    def __init__(self, linli_model: Path | None = None) -> None:
        self.linli_model = linli_model
        self.database_url = "sqlite:///test.db"


def test_classify_text(tiny_model: tuple[Path, TrainReport]) -> None:
    result = runner.invoke(nlp_app, ["classify", "电梯坏了", "--model", str(tiny_model[0])])
    assert result.exit_code == 0, result.output
    label, name, probability = result.output.strip().split("\t")
    assert (label, name) == ("repairs", "设施维修")
    assert 0.0 <= float(probability) <= 1.0


def test_classify_json_shape(tiny_model: tuple[Path, TrainReport]) -> None:
    result = runner.invoke(
        nlp_app, ["classify", "垃圾没人收", "--json", "--model", str(tiny_model[0])]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert list(payload) == ["label", "confidence", "top"]
    assert payload["label"] == "environment"
    assert isinstance(payload["confidence"], float)
    assert len(payload["top"]) == 3
    assert all(isinstance(lab, str) and isinstance(p, float) for lab, p in payload["top"])
    assert payload["top"][0] == [payload["label"], payload["confidence"]]


def test_classify_empty_text(tiny_model: tuple[Path, TrainReport]) -> None:
    result = runner.invoke(nlp_app, ["classify", "  ", "--json", "--model", str(tiny_model[0])])
    assert json.loads(result.output)["label"] == "other"


def test_classify_uses_linli_model_setting(
    monkeypatch: pytest.MonkeyPatch, tiny_model: tuple[Path, TrainReport]
) -> None:
    import bot.settings

    monkeypatch.setattr(bot.settings, "get_settings", lambda: FakeSettings(tiny_model[0]))
    result = runner.invoke(nlp_app, ["classify", "电梯坏了", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["label"] == "repairs"


def test_classify_bad_setting_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.settings

    def broken() -> FakeSettings:
        raise bot.settings.SettingsError("Setting LINLI_MODEL is invalid: nope")

    monkeypatch.setattr(bot.settings, "get_settings", broken)
    result = runner.invoke(nlp_app, ["classify", "电梯坏了"])
    assert result.exit_code == 2
    assert "LINLI_MODEL" in result.output


def test_classify_missing_model(tmp_path: Path) -> None:
    result = runner.invoke(nlp_app, ["classify", "电梯坏了", "--model", str(tmp_path)])
    assert result.exit_code == 2
    assert "linli train" in result.output


def test_train_and_evaluate(tmp_path: Path, tiny_corpus_path: Path) -> None:
    out = tmp_path / "model"
    result = runner.invoke(
        nlp_app, ["train", "--data", str(tiny_corpus_path), "--out", str(out), "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "epoch 1/" in result.output
    assert read_meta(out)["seed"] == 1

    result = runner.invoke(
        nlp_app, ["evaluate", "--model", str(out), "--data", str(tiny_corpus_path), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {"accuracy", "macro_f1", "per_label"}
    assert set(payload["per_label"]["repairs"]) == {"precision", "recall", "f1", "support"}

    result = runner.invoke(
        nlp_app, ["evaluate", "--model", str(out), "--data", str(tiny_corpus_path)]
    )
    assert result.exit_code == 0
    assert "macro-F1" in result.output and "repairs" in result.output


def test_train_malformed_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,label\n电梯坏了,repairs\n,repairs\n", encoding="utf-8")
    result = runner.invoke(nlp_app, ["train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "line 3: empty text" in result.output
    assert not (tmp_path / "m").exists()


def test_train_refuses_foreign_out_dir(tmp_path: Path, tiny_corpus_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(
        nlp_app, ["train", "--data", str(tiny_corpus_path), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "not a linli model" in result.output
    assert "epoch" not in result.output  # refused before training


def test_train_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(nlp_app, ["train", "--data", str(tmp_path / "no.csv")])
    assert result.exit_code == 2


def test_evaluate_bad_data_exits_2(tmp_path: Path, tiny_model: tuple[Path, TrainReport]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,label\n\xff\xfe,other\n")
    result = runner.invoke(nlp_app, ["evaluate", "--model", str(tiny_model[0]), "--data", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.output


def test_train_include_corrections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_corpus_path: Path
) -> None:
    import bot.settings

    calls: list[str] = []

    def load_corrections(database_url: str) -> list[tuple[str, str]]:
        calls.append(database_url)
        # One relabels a corpus message, two add a label the corpus does not have.
        return [("电梯坏了好几天了", "repairs"), ("车位不够", "parking"), ("乱停车", "parking")]

    fake = types.ModuleType("storage.corrections")
    fake.load_corrections = load_corrections  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "storage.corrections", fake)
    monkeypatch.setattr(bot.settings, "get_settings", lambda: FakeSettings())
    out = tmp_path / "model"
    result = runner.invoke(
        nlp_app,
        ["train", "--data", str(tiny_corpus_path), "--out", str(out), "--include-corrections"],
    )
    assert result.exit_code == 0, result.output
    assert calls == ["sqlite:///test.db"]
    assert "added 3 corrections" in result.output
    assert "parking" in read_meta(out)["labels"]
    assert read_meta(out)["n_examples"] == 34
