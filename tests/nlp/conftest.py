"""Shared fixtures: a tiny corpus and a model trained on it once per session (a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.classifier import Classifier
from nlp.training import TrainReport, read_corpus, train

TINY_CORPUS = Path(__file__).parent / "tiny_corpus.csv"


@pytest.fixture(scope="session")
def tiny_corpus_path() -> Path:
    return TINY_CORPUS


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainReport]:
    out = tmp_path_factory.mktemp("tiny") / "model"
    report = train(read_corpus(TINY_CORPUS), out, seed=0, epochs=8, progress=lambda _: None)
    return out, report


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model: tuple[Path, TrainReport]) -> Classifier:
    return Classifier.load(tiny_model[0])


@pytest.fixture(scope="session")
def shipped_classifier() -> Classifier:
    return Classifier.load()
