from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest

from nlp.categories import category_name, invalid_code, label_code, model_categories
from nlp.classifier import Classifier
from nlp.evaluation import evaluate
from nlp.training import (
    META_FILENAME,
    CorpusError,
    LabelledText,
    TrainingError,
    TrainReport,
    apply_temperature,
    check_examples,
    fit_temperature,
    prepare_text,
    read_corpus,
    read_meta,
    train,
)


def write(tmp_path: Path, content: str | bytes, name: str = "corpus.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_read_corpus(tiny_corpus_path: Path) -> None:
    examples = read_corpus(tiny_corpus_path)
    assert len(examples) == 32
    assert examples[0] == LabelledText("电梯坏了好几天了", "repairs")
    assert {e.label for e in examples} == {"repairs", "environment", "employment", "elderly"}


def test_extra_columns_bom_and_quotes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '\ufeffid,label,text\n1,repairs,"电梯坏了, 好几天"\n2,repairs,"灯不亮\n第二行"\n'
        "3,other,x1\n4,other,x2\n",
    )
    examples = read_corpus(path)
    assert examples[0] == ("电梯坏了, 好几天", "repairs")
    assert len(examples) == 4


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("message,label\n你好,other\n", "line 1: missing column text"),
        ("text,category\n你好,other\n", "line 1: missing column label"),
        ("id\n1\n", "missing column text and label"),
        ("text,label\n你好,other\n,other\n", "line 3: empty text"),
        ("text,label\n你好,other\n😭😭 ,other\n", "line 3: empty text"),
        ("text,label\n你好,other\n再见,\n", "line 3: empty label"),
        ("text,label\n你好,other\n再见,other\n电梯,repairs\n", "line 4: label 'repairs'"),
        ("text,label\n你好,other\n再见,other,extra\n", "line 3: more fields"),
        ("text,label\n", "no rows"),
        ("text,label\n你好,other\n再\x00见,other\n", "line 3: control characters"),
    ],
)
def test_malformed_corpus_names_the_line(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        read_corpus(write(tmp_path, content))


def test_binary_junk(tmp_path: Path) -> None:
    content = b"text,label\n\xe4\xbd\xa0\xe5\xa5\xbd,other\n\xff\xfe\x00\x01junk,other\n"
    path = write(tmp_path, content)
    with pytest.raises(CorpusError, match="line 3: bytes that are not UTF-8"):
        read_corpus(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="cannot read"):
        read_corpus(tmp_path / "nope.csv")


def test_check_examples() -> None:
    with pytest.raises(CorpusError, match="at least 2 labels"):
        check_examples([("a", "x"), ("b", "x")])
    with pytest.raises(CorpusError, match="fewer than 2 examples: y"):
        check_examples([("a", "x"), ("b", "x"), ("c", "y")])
    with pytest.raises(CorpusError, match="example 2"):
        check_examples([("a", "x"), ("  ", "x"), ("c", "y"), ("d", "y")])


def test_temperature() -> None:
    probabilities = numpy.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]])
    assert numpy.allclose(apply_temperature(probabilities, 1.0), probabilities)
    sharper = apply_temperature(probabilities, 0.5)
    assert sharper[0, 0] > 0.6
    assert numpy.allclose(sharper.sum(axis=1), 1.0)
    # Always right and underconfident -> a temperature below 1 sharpens.
    assert fit_temperature(probabilities, [0, 1]) < 1.0
    assert fit_temperature(probabilities[:0], []) == 1.0


def test_whole_workflow_on_tiny_corpus(tiny_model: tuple[Path, TrainReport]) -> None:
    out, report = tiny_model
    assert report.labels == ("elderly", "employment", "environment", "repairs")
    assert report.n_examples == 32
    assert report.n_heldout == 4
    assert report.temperature == 1.0  # too few held-out messages to calibrate
    meta = read_meta(out)
    assert meta["labels"] == list(report.labels)
    assert meta["corpus_sha256"] == report.corpus_sha256
    assert meta["seed"] == 0
    assert json.loads((out / META_FILENAME).read_text("utf-8"))["temperature"] == report.temperature
    classifier = Classifier.load(out)
    assert classifier.labels == report.labels
    assert classifier.classify("电梯坏了").label == "repairs"


def test_same_seed_same_predictions(tmp_path: Path, tiny_corpus_path: Path) -> None:
    examples = read_corpus(tiny_corpus_path)
    texts = ["电梯坏了", "垃圾没人收", "想找工作", "老人要人陪", "楼道路灯不亮"]
    runs = []
    for name in ("a", "b"):
        train(examples, tmp_path / name, seed=3, epochs=4, progress=lambda _: None)
        runs.append(Classifier.load(tmp_path / name).classify_many(texts))
    assert runs[0] == runs[1]
    assert read_meta(tmp_path / "a")["corpus_sha256"] == read_meta(tmp_path / "b")["corpus_sha256"]


def test_any_label_set(tmp_path: Path) -> None:
    examples = [
        ("车位不够停", "parking"),
        ("有人乱停车", "parking"),
        ("停车费太贵", "parking"),
        ("快递丢了", "parcels"),
        ("快递柜满了", "parcels"),
        ("驿站不让取件", "parcels"),
    ]
    messages: list[str] = []
    report = train(examples, tmp_path / "m", epochs=3, refit=False, progress=messages.append)
    assert report.labels == ("parcels", "parking")
    assert any("epoch 1/3" in m for m in messages)
    assert Classifier.load(tmp_path / "m").labels == ("parcels", "parking")


def test_refuses_to_overwrite_a_foreign_directory(tmp_path: Path, tiny_corpus_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(TrainingError, match="not a linli model"):
        train(read_corpus(tiny_corpus_path), tmp_path, epochs=1, progress=lambda _: None)
    assert (tmp_path / "precious.txt").exists()


def test_min_per_label(tmp_path: Path) -> None:
    path = write(tmp_path, "text,label\n电梯坏了,repairs\n垃圾没人收,environment\n")
    with pytest.raises(CorpusError, match="line 2: label 'repairs' has only 1 example;"):
        read_corpus(path)
    assert [e.label for e in read_corpus(path, min_per_label=1)] == ["repairs", "environment"]


@pytest.mark.parametrize(
    "label",
    [
        "x" * 33,  # neither a code (over 32) nor a name (over 20)
        "城乡建设" * 5 + "了",  # 21 characters
        "维修!",  # punctuation
        "维修\u200b",  # invisible
        "😀维修",  # emoji
        "123 456",  # no letter
        "-",
    ],
)
def test_labels_must_be_codes_or_short_names(tmp_path: Path, label: str) -> None:
    content = f"text,label\n你好,other\n电梯坏了,{label}\n灯不亮,{label}\n再见,other\n"
    with pytest.raises(CorpusError, match=r"line 3: label .* must be a category code "):
        read_corpus(write(tmp_path, content))
    with pytest.raises(CorpusError, match="example 2: label"):
        check_examples(
            [("你好", "other"), ("电梯坏了", label), ("灯不亮", label), ("再见", "other")]
        )


@pytest.mark.parametrize(
    "label", ["城乡建设", "劳动和社会保障", "Repairs", "lift repairs", "物业 / 维修", "维修（急）"]
)
def test_names_are_labels(tmp_path: Path, label: str) -> None:
    content = f"text,label\n你好,other\n电梯坏了,{label}\n灯不亮,{label}\n再见,other\n"
    assert read_corpus(write(tmp_path, content))[1].label == label
    check_examples([("你好", "other"), ("电梯坏了", label), ("灯不亮", label), ("再见", "other")])


def test_12345_export_columns(tmp_path: Path) -> None:
    content = (
        "留言编号,留言主题,留言时间,留言详情,一级标签\n"
        "1,小区电梯坏了,2019/1/1,电梯停了三天，老人下不了楼,城乡建设\n"
        "2,,2019/1/2,工资拖欠半年,劳动和社会保障\n"
    )
    examples = read_corpus(write(tmp_path, content), min_per_label=1)
    assert examples == [
        ("小区电梯坏了\n电梯停了三天，老人下不了楼", "城乡建设"),
        ("工资拖欠半年", "劳动和社会保障"),
    ]


def test_prepare_text_keeps_the_subject_line() -> None:
    assert prepare_text("小区电梯坏了\n电梯停了三天,\n老人下不了楼") == (
        "小区电梯坏了\n电梯停了三天, 老人下不了楼"
    )
    assert prepare_text("電梯壞了") == "电梯坏了"  # no subject: just normalised
    assert prepare_text("😀\n电梯坏了") == "😀 电梯坏了"  # a subject needs something to read
    assert prepare_text("x" * 61 + "\n电梯") == "x" * 61 + " 电梯"  # too long for a subject
    once = prepare_text("主题\n正文")
    assert prepare_text(once) == once


def test_label_names_refuse_a_code_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.training as training

    monkeypatch.setattr(training, "label_code", lambda label: "l_same")
    with pytest.raises(CorpusError, match="map to one code l_same"):
        training.label_names([("a", "城乡建设"), ("b", "环境保护")])


@pytest.mark.slow
def test_chinese_labels_round_trip(tmp_path: Path) -> None:
    """A corpus labelled 城乡建设 trains a model that answers codes and names them back."""
    rows = {
        "城乡建设": ["小区电梯坏了没人修", "物业乱收费", "房产证办不下来", "违章搭建占了通道"],
        "劳动和社会保障": ["公司拖欠工资", "单位不交社保", "工伤认定不给办", "退休金太低"],
        "other": ["你好", "谢谢", "在吗", "测试一下"],
    }
    content = "留言详情,一级标签\n" + "".join(
        f"{text},{label}\n" for label, texts in rows.items() for text in texts
    )
    examples = read_corpus(write(tmp_path, content))
    report = train(examples, tmp_path / "m", epochs=6, progress=lambda _: None)
    city, labour = label_code("城乡建设"), label_code("劳动和社会保障")
    assert set(report.labels) == {city, labour, "other"}
    assert all(invalid_code(code) is None and len(code) <= 12 for code in report.labels)
    assert read_meta(tmp_path / "m")["label_names"] == {city: "城乡建设", labour: "劳动和社会保障"}
    classifier = Classifier.load(tmp_path / "m")
    result = classifier.classify("公司拖欠我的工资")
    assert result.label == labour
    assert classifier.name(result.label) == "劳动和社会保障"
    assert category_name(city) == "城乡建设"  # what notices and summaries print
    assert category_name("other") == "其他"  # a code keeps the categories file's name
    categories = model_categories(classifier.labels, classifier.label_names)
    assert [(c.code, c.name) for c in categories] == [
        (code, {city: "城乡建设", labour: "劳动和社会保障", "other": "其他"}[code])
        for code in classifier.labels
    ]
    scored = evaluate(classifier, examples)
    assert set(scored.per_label) == {"城乡建设", "劳动和社会保障", "other"}


def test_longest_label_accepted(tmp_path: Path) -> None:
    label = "a_1" + "x" * 29
    content = f"text,label\n电梯坏了,{label}\n灯不亮,{label}\n"
    assert read_corpus(write(tmp_path, content))[0].label == label
