"""`linli classify | train | evaluate` (bot.cli.nlp) with a model trained on a tiny corpus."""

from __future__ import annotations

import json
import sqlite3
import types
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.common
import bot.cli.nlp
from bot.cli.nlp import DEFAULT_MODEL_DIR, DEFAULT_TRAIN_PATH, nlp_app
from bot.settings import SettingsError
from nlp.categories import label_code
from nlp.normalize import normalise
from nlp.training import TrainReport, read_meta
from tests.nlp import conftest as nlp_conftest

# The classifier tests' tiny corpus and the model trained on it, as fixtures here too.
tiny_corpus_path = nlp_conftest.tiny_corpus_path
tiny_model = nlp_conftest.tiny_model

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
    payload = json.loads(result.output)
    # The tiny model has no "other": the fallback is one of its own labels, with a top 3.
    assert payload["label"] == "elderly"
    assert payload["confidence"] == 0.0
    assert len(payload["top"]) == 3
    assert payload["top"][0] == ["elderly", 0.0]


def test_classify_uses_linli_model_setting(
    monkeypatch: pytest.MonkeyPatch, tiny_model: tuple[Path, TrainReport]
) -> None:
    monkeypatch.setattr(bot.cli.common, "get_settings", lambda: FakeSettings(tiny_model[0]))
    result = runner.invoke(nlp_app, ["classify", "电梯坏了", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["label"] == "repairs"


def test_classify_bad_setting_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> FakeSettings:
        raise SettingsError("Setting LINLI_MODEL is invalid: nope")

    monkeypatch.setattr(bot.cli.common, "get_settings", broken)
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


EXPORT_ROWS = {
    "城乡建设": ["小区电梯坏了没人修", "物业乱收费", "房产证办不下来", "违章搭建占了通道"],
    "劳动和社会保障": ["公司拖欠工资", "单位不交社保", "工伤认定不给办", "退休金太低"],
}


@pytest.mark.slow
def test_train_on_a_12345_export_with_chinese_labels(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text(
        "留言编号,留言主题,留言详情,一级标签\n"
        + "".join(
            f"{i},反映问题,{text},{label}\n"
            for i, (label, texts) in enumerate(EXPORT_ROWS.items())
            for text in texts
        ),
        encoding="utf-8",
    )
    out = tmp_path / "model"
    result = runner.invoke(nlp_app, ["train", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"label 城乡建设 -> {label_code('城乡建设')}" in result.output

    result = runner.invoke(nlp_app, ["classify", "--model", str(out), "拖欠工资三个月了"])
    assert result.exit_code == 0, result.output
    code, name, _ = result.output.strip().split("\t")
    assert (code, name) == (label_code("劳动和社会保障"), "劳动和社会保障")

    result = runner.invoke(
        nlp_app, ["evaluate", "--model", str(out), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["per_label"]) == set(EXPORT_ROWS)


def test_train_refuses_a_bad_label_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    long_label = "城乡建设与环境保护及交通运输和教育文体事务"
    bad.write_text(
        f"留言详情,一级标签\n电梯坏了,城乡建设\n灯不亮,城乡建设\n工资,{long_label}\n",
        encoding="utf-8",
    )
    result = runner.invoke(nlp_app, ["train", "--data", str(bad), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "line 4: label" in result.output and "at most 20 characters" in result.output
    assert not (tmp_path / "m").exists()


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
    calls: list[str] = []

    def load_corrections(database_url: str) -> list[tuple[str, str]]:
        calls.append(database_url)
        # One relabels a corpus message, two add a label the corpus does not have.
        return [("电梯坏了好几天了", "repairs"), ("车位不够", "parking"), ("乱停车", "parking")]

    monkeypatch.setattr(bot.cli.nlp, "load_corrections", load_corrections)
    monkeypatch.setattr(bot.cli.common, "get_settings", lambda: FakeSettings())
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


class Captured:
    """Stands in for nlp.training.train: records what the CLI would train, writes nothing."""

    def __init__(self) -> None:
        self.examples: list[tuple[str, str]] = []
        self.out: Path | None = None

    def __call__(self, examples: list[tuple[str, str]], out: Path, **_: object) -> object:
        self.examples, self.out = list(examples), out
        return types.SimpleNamespace(heldout_macro_f1=None)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> Captured:
    import nlp.training

    fake = Captured()
    monkeypatch.setattr(nlp.training, "train", fake)
    return fake


def test_evaluate_accepts_one_example_per_label(
    tmp_path: Path, tiny_model: tuple[Path, TrainReport]
) -> None:
    # A test set may hold a single message of a label; only training needs two.
    data = tmp_path / "test.csv"
    data.write_text("text,label\n电梯坏了,repairs\n垃圾没人收,environment\n", encoding="utf-8")
    result = runner.invoke(
        nlp_app, ["evaluate", "--model", str(tiny_model[0]), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["per_label"]["repairs"]["support"] == 1
    assert payload["per_label"]["environment"]["support"] == 1


def test_train_without_arguments_retrains_the_shipped_model(captured: Captured) -> None:
    from nlp.training import read_corpus

    result = runner.invoke(nlp_app, ["train"])
    assert result.exit_code == 0, result.output
    assert captured.out == DEFAULT_MODEL_DIR
    assert len(captured.examples) == len(read_corpus(DEFAULT_TRAIN_PATH))


def test_train_out_without_data_uses_the_default_corpus(captured: Captured, tmp_path: Path) -> None:
    result = runner.invoke(nlp_app, ["train", "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert captured.out == tmp_path / "m"
    assert len(captured.examples) > 1000


def test_train_data_without_out_refuses(captured: Captured, tiny_corpus_path: Path) -> None:
    meta_before = (DEFAULT_MODEL_DIR / "linli.json").read_bytes()
    result = runner.invoke(nlp_app, ["train", "--data", str(tiny_corpus_path)])
    assert result.exit_code == 2
    assert "--out" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert captured.out is None  # refused before training
    assert (DEFAULT_MODEL_DIR / "linli.json").read_bytes() == meta_before


@pytest.mark.parametrize(
    "database",
    [
        "empty-sqlite",  # a fresh file: no tables yet
        "postgresql://nobody@127.0.0.1:1/linli",  # nothing listens there
    ],
)
def test_train_include_corrections_unreadable_database(
    monkeypatch: pytest.MonkeyPatch,
    captured: Captured,
    tmp_path: Path,
    tiny_corpus_path: Path,
    database: str,
) -> None:
    settings = FakeSettings()
    if database == "empty-sqlite":
        empty = tmp_path / "empty.db"
        sqlite3.connect(empty).close()
        settings.database_url = f"sqlite:///{empty}"
    else:
        settings.database_url = database
    monkeypatch.setattr(bot.cli.common, "get_settings", lambda: settings)
    result = runner.invoke(
        nlp_app,
        [
            "train",
            "--data",
            str(tiny_corpus_path),
            "--out",
            str(tmp_path / "model"),
            "--include-corrections",
        ],
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert len(result.output.strip().splitlines()) == 1
    assert "cannot read corrections from DATABASE_URL" in result.output
    assert "linli db upgrade" in result.output
    assert "Traceback" not in result.output
    assert captured.out is None
    assert not (tmp_path / "model").exists()


def test_corrections_override_corpus_texts_that_differ_in_script_or_width(
    monkeypatch: pytest.MonkeyPatch, captured: Captured, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.csv"
    corpus.write_text(
        "text,label\n"
        "電梯壞了好幾天了,repairs\n"  # Traditional
        "３棟的電梯又不動了,repairs\n"  # full-width digit
        "楼道路灯不亮,repairs\n"
        "水管爆了,repairs\n"
        "垃圾没人收,environment\n"
        "楼下好臭,environment\n",
        encoding="utf-8",
    )
    # Corrections are stored as normalised text (Simplified, half-width).
    corrections = [("电梯坏了好几天了", "elderly"), ("3栋的电梯又不动了", "elderly")]
    monkeypatch.setattr(bot.cli.nlp, "load_corrections", lambda _url: corrections)
    monkeypatch.setattr(bot.cli.common, "get_settings", lambda: FakeSettings())
    result = runner.invoke(
        nlp_app,
        ["train", "--data", str(corpus), "--out", str(tmp_path / "m"), "--include-corrections"],
    )
    assert result.exit_code == 0, result.output
    labels: dict[str, set[str]] = {}
    for text, label in captured.examples:
        labels.setdefault(normalise(text), set()).add(label)
    # The corpus rows were replaced, not kept beside the corrections with their old label.
    assert labels["电梯坏了好几天了"] == {"elderly"}
    assert labels["3栋的电梯又不动了"] == {"elderly"}
    assert len(captured.examples) == 6


# --- the intent model (train --intent) -----------------------------------------------------

TINY_INTENT_CORPUS = Path(__file__).parent.parent / "nlp" / "tiny_intent_corpus.csv"


class CapturedAll:
    """Stands in for nlp.training.train: records every call, writes nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, int, dict[str, object]]] = []

    def __call__(self, examples: list[tuple[str, str]], out: Path, **options: object) -> object:
        self.calls.append((out, len(list(examples)), options))
        return types.SimpleNamespace(heldout_macro_f1=None)


@pytest.fixture
def captured_all(monkeypatch: pytest.MonkeyPatch) -> CapturedAll:
    import nlp.training

    fake = CapturedAll()
    monkeypatch.setattr(nlp.training, "train", fake)
    return fake


def test_train_intent(tmp_path: Path) -> None:
    out = tmp_path / "intent"
    result = runner.invoke(
        nlp_app,
        ["train", "--intent", "--data", str(TINY_INTENT_CORPUS), "--out", str(out), "--seed", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "epoch 1/" in result.output
    meta = read_meta(out)
    assert meta["seed"] == 1
    assert meta["model"] == "intent"
    assert 0.0 < meta["conversation_threshold"] < 1.0
    assert "greeting" in meta["labels"] and "need" in meta["labels"]

    from nlp.intent import IntentClassifier, IntentKind

    assert IntentClassifier.load(out).classify("电梯坏了好几天了").kind in set(IntentKind)


def test_train_intent_data_without_out_refuses(captured_all: CapturedAll) -> None:
    result = runner.invoke(nlp_app, ["train", "--intent", "--data", str(TINY_INTENT_CORPUS)])
    assert result.exit_code == 2
    assert "--out" in result.output
    assert captured_all.calls == []


def test_train_intent_refuses_category_labels(
    captured_all: CapturedAll, tmp_path: Path, tiny_corpus_path: Path
) -> None:
    result = runner.invoke(
        nlp_app,
        ["train", "--intent", "--data", str(tiny_corpus_path), "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 2
    assert "not intents" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert captured_all.calls == []


def test_train_intent_refuses_corrections(captured_all: CapturedAll, tmp_path: Path) -> None:
    result = runner.invoke(
        nlp_app,
        ["train", "--intent", "--include-corrections", "--data", str(TINY_INTENT_CORPUS),
         "--out", str(tmp_path / "m")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert captured_all.calls == []


def test_train_intent_without_data_retrains_the_shipped_intent_model(
    captured_all: CapturedAll,
) -> None:
    from nlp.intent import INTENT_CONFIG_PATH, shipped_intent_corpus

    result = runner.invoke(nlp_app, ["train", "--intent"])
    assert result.exit_code == 0, result.output
    [(out, n_examples, options)] = captured_all.calls
    assert out == bot.cli.nlp.DEFAULT_INTENT_MODEL_DIR
    assert n_examples == len(shipped_intent_corpus())
    assert options["config_path"] == INTENT_CONFIG_PATH


def test_train_without_options_retrains_both_shipped_models(captured_all: CapturedAll) -> None:
    from nlp.training import read_corpus

    result = runner.invoke(nlp_app, ["train", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert [(out, n) for out, n, _ in captured_all.calls] == [
        (bot.cli.nlp.DEFAULT_INTENT_MODEL_DIR, captured_all.calls[0][1]),
        (DEFAULT_MODEL_DIR, len(read_corpus(DEFAULT_TRAIN_PATH))),
    ]
    assert all(options["seed"] == 3 for _, _, options in captured_all.calls)


def test_train_with_data_trains_only_the_category_model(
    captured_all: CapturedAll, tmp_path: Path, tiny_corpus_path: Path
) -> None:
    result = runner.invoke(
        nlp_app, ["train", "--data", str(tiny_corpus_path), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code == 0, result.output
    assert [out for out, _, _ in captured_all.calls] == [tmp_path / "m"]
