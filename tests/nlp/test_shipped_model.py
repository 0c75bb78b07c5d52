"""The model in nlp/model/ is what the bot serves: check it loads and gets the obvious right."""

from __future__ import annotations

import numpy
import pytest

from nlp.categories import load_categories
from nlp.classifier import Classifier
from nlp.training import read_meta

OBVIOUS = [
    ("电梯坏了", "repairs"),
    ("楼道的路灯不亮了", "repairs"),
    ("垃圾好几天没人收，臭得很", "environment"),
    ("楼上天天半夜吵，睡不着", "safety_disputes"),
    ("居住证咋个办", "admin_services"),
    ("低保咋个申请", "hardship"),
    ("我想找个工作", "employment"),
    ("公租房怎么申请", "housing"),
    ("我妈一个人住，想有人上门看看她", "elderly"),
    ("四点半课堂咋个报名", "children_family"),
    ("想报名当志愿者", "volunteering"),
    ("社区有没有书法兴趣班", "culture_education"),
    ("家庭医生怎么签约", "health"),
    ("電梯壞了好幾天", "repairs"),  # Traditional
]


def test_labels_are_the_categories(shipped_classifier: Classifier) -> None:
    assert set(shipped_classifier.labels) == {c.code for c in load_categories()}


@pytest.mark.parametrize(("text", "label"), OBVIOUS)
def test_obvious_messages(shipped_classifier: Classifier, text: str, label: str) -> None:
    assert shipped_classifier.classify(text).label == label


def test_confidences_are_probabilities(shipped_classifier: Classifier) -> None:
    for result in shipped_classifier.classify_many([text for text, _ in OBVIOUS]):
        assert 0.0 < result.confidence <= 1.0
        assert sum(p for _, p in result.top) <= 1.0 + 1e-3
    # classify() reports the top 3; the full distribution over all 13 labels sums to 1.
    probabilities = shipped_classifier.probabilities("电梯坏了")
    assert set(probabilities) == set(shipped_classifier.labels)
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-3)
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())
    assert max(probabilities, key=probabilities.__getitem__) == "repairs"
    assert shipped_classifier.probabilities("😭") == {}


def test_obvious_messages_are_confident(shipped_classifier: Classifier) -> None:
    confident = [shipped_classifier.classify(text).confident for text, _ in OBVIOUS]
    assert numpy.mean(confident) >= 0.8


def test_meta_records_calibration() -> None:
    from nlp.classifier import DEFAULT_MODEL_PATH

    meta = read_meta(DEFAULT_MODEL_PATH)
    assert 0.05 <= meta["temperature"] <= 20
    assert len(meta["labels"]) == 13
    assert len(meta["corpus_sha256"]) == 64
