from __future__ import annotations

import json

import pytest

from nlp.classifier import Classifier
from nlp.evaluation import evaluate, score_predictions


def test_score_predictions() -> None:
    gold = ["a", "a", "b", "b"]
    predicted = ["a", "b", "b", "b"]
    result = score_predictions(gold, predicted)
    assert result.accuracy == 0.75
    assert result.per_label["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert result.per_label["b"]["precision"] == 0.6667
    assert result.macro_f1 == pytest.approx((0.6667 + 0.8) / 2, abs=1e-3)
    assert set(result.to_dict()) == {"accuracy", "macro_f1", "per_label"}
    json.dumps(result.to_dict())
    text = result.format_text()
    assert "macro-F1" in text and "0.750" in text


def test_predicted_label_outside_gold_counts() -> None:
    result = score_predictions(["a", "a"], ["a", "c"])
    assert result.per_label["c"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_empty_and_mismatched() -> None:
    assert score_predictions([], []).accuracy == 0.0
    with pytest.raises(ValueError, match="2 gold labels but 1"):
        score_predictions(["a", "b"], ["a"])


def test_evaluate(tiny_classifier: Classifier) -> None:
    result = evaluate(tiny_classifier, [("电梯坏了", "repairs"), ("垃圾没人收", "environment")])
    assert result.n == 2
    assert 0.0 <= result.macro_f1 <= 1.0
