from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nlp.classifier import Classification, Classifier, ModelNotFoundError
from nlp.training import META_FILENAME, read_meta


def test_classify(tiny_classifier: Classifier) -> None:
    result = tiny_classifier.classify("電梯壞了！！")
    assert isinstance(result, Classification)
    assert result.label == "repairs"
    assert result.top[0] == (result.label, result.confidence)
    assert len(result.top) == 3
    assert [p for _, p in result.top] == sorted((p for _, p in result.top), reverse=True)
    assert result.confident == (result.confidence >= 0.5)


@pytest.mark.parametrize("text", ["", "   ", "😭😭😭", "\u200f\u200b", "\x00\x01", "？？！"])
def test_nothing_to_classify(tiny_classifier: Classifier, text: str) -> None:
    result = tiny_classifier.classify(text)
    assert result == tiny_classifier.fallback
    # The tiny model has no "other": its labels are tied in training, so model order wins.
    assert result.label == "elderly"
    assert result.confidence == 0.0
    assert not result.confident
    # A top 3 like any other answer: the bot offers these as choices.
    assert len(result.top) == 3
    assert result.top[0] == (result.label, 0.0)
    assert len({label for label, _ in result.top}) == 3
    assert all(label in tiny_classifier.labels for label, _ in result.top)


def test_nothing_to_classify_is_other_when_the_model_has_it(
    shipped_classifier: Classifier,
) -> None:
    result = shipped_classifier.classify("😭😭😭")
    assert result.label == "other"
    assert not result.confident
    assert len(result.top) == 3
    assert result.top[0] == ("other", 0.0)
    assert all(label in shipped_classifier.labels for label, _ in result.top)


def test_nothing_to_classify_without_other_is_the_most_frequent_label(
    tmp_path: Path, tiny_model: tuple[Path, object]
) -> None:
    # The tiny model trained on a label set without "other", with skewed counts in its meta.
    model = tmp_path / "model"
    shutil.copytree(tiny_model[0], model)
    meta = read_meta(model)
    meta["label_counts"] = {"elderly": 3, "employment": 5, "environment": 1, "repairs": 9}
    (model / META_FILENAME).write_text(json.dumps(meta), encoding="utf-8")
    result = Classifier.load(model).classify("")
    assert "other" not in Classifier.load(model).labels
    assert result.label == "repairs"
    assert result.top == (("repairs", 0.0), ("employment", 0.0), ("elderly", 0.0))
    assert not result.confident


@pytest.mark.parametrize(
    "text",
    ["电梯坏了" * 2500, "电梯 elevator broken مرحبا 坏了", "\udc80电梯\ud800坏了", "a", "1"],
)
def test_odd_input_still_classifies(tiny_classifier: Classifier, text: str) -> None:
    result = tiny_classifier.classify(text)
    assert result.label in tiny_classifier.labels
    assert 0.0 <= result.confidence <= 1.0


def test_classify_many_keeps_order(tiny_classifier: Classifier) -> None:
    texts = ["电梯坏了", "", "垃圾没人收", "😭"]
    results = tiny_classifier.classify_many(texts)
    assert [r.label for r in results] == [tiny_classifier.classify(t).label for t in texts]
    assert results[1] == tiny_classifier.fallback
    assert tiny_classifier.classify_many([]) == []


def test_threshold(tiny_model: tuple[Path, object]) -> None:
    strict = Classifier.load(tiny_model[0], threshold=1.0)
    lenient = Classifier.load(tiny_model[0], threshold=0.0)
    assert not strict.classify("电梯坏了").confident
    assert lenient.classify("电梯坏了").confident
    assert strict.threshold == 1.0


def test_thread_safe(tiny_classifier: Classifier) -> None:
    texts = ["电梯坏了", "垃圾没人收", "想找工作", "老人要人陪诊"] * 50
    expected = [tiny_classifier.classify(t) for t in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(tiny_classifier.classify, texts)) == expected


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="linli train"):
        Classifier.load(tmp_path)


def test_a_subject_line_does_not_change_the_shipped_models_answer(
    shipped_classifier: Classifier,
) -> None:
    """The subject line is kept apart for models that read it; the shipped one reads text as
    before (line breaks were spaces to it), so its guesses for chat messages are unchanged."""
    with_subject = shipped_classifier.probabilities("电梯坏了\n三天了没人修，老人下不了楼")
    as_one_line = shipped_classifier.probabilities("电梯坏了 三天了没人修，老人下不了楼")
    assert with_subject == as_one_line
    assert shipped_classifier.classify("电梯坏了\n三天了没人修").label == "repairs"


def test_names_of_a_model_trained_on_codes(shipped_classifier: Classifier) -> None:
    assert shipped_classifier.label_names == {}
    assert shipped_classifier.name("repairs") == "设施维修"  # from the categories file
