"""Classify a resident's message into a service category, with calibrated confidence.

The bot calls this from a thread pool (asyncio.to_thread), so one Classifier is loaded at
start-up and shared; spaCy does not promise that a pipeline is safe to call from several
threads at once, so calls are serialised with a lock (a call takes about a millisecond).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy
import spacy
from spacy.language import Language
from spacy.pipeline import TextCategorizer

import nlp.architectures  # noqa: F401  (registers linli's architectures before loading)
from nlp.categories import DEFAULT_MODEL_PATH, category_name, remember_label_names
from nlp.normalize import has_content
from nlp.segment import load_user_dictionary
from nlp.training import apply_temperature, prepare_text, read_meta

# The label for a message with nothing to read, if the model has it; a model trained on a
# deployment's own categories without it falls back to its most frequent label.
FALLBACK_LABEL = "other"
# Residents' messages are a few lines; a pasted essay is classified by its beginning, which
# keeps the latency bounded whatever arrives.
MAX_CHARS = 1000
TOP_K = 3


class ModelNotFoundError(FileNotFoundError):
    """No trained model where one was expected; the message says how to make one."""


@dataclass(frozen=True)
class Classification:
    """The category of one message: best label, its probability, top 3, and whether to trust it."""

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]  # top 3 (fewer if the model has fewer labels), best first
    confident: bool


def _fallback_order(labels: tuple[str, ...], label_counts: Mapping[str, int]) -> tuple[str, ...]:
    """The labels as offered for a message with nothing to read: FALLBACK_LABEL if the model
    has it, then the most frequent in training (ties and unknown counts in model order)."""
    position = {label: index for index, label in enumerate(labels)}
    return tuple(
        sorted(
            labels,
            key=lambda label: (
                label != FALLBACK_LABEL,
                -label_counts.get(label, 0),
                position[label],
            ),
        )
    )


class Classifier:
    """A loaded model; build once with `Classifier.load()` and share it."""

    def __init__(
        self,
        pipeline: Language,
        *,
        temperature: float = 1.0,
        threshold: float = 0.5,
        label_counts: Mapping[str, int] | None = None,
        label_names: Mapping[str, str] | None = None,
    ):
        self._nlp = pipeline
        self._names = dict(label_names or {})
        textcat = cast(TextCategorizer, pipeline.get_pipe("textcat"))
        self._labels: tuple[str, ...] = tuple(textcat.labels)
        self._temperature = temperature
        self._threshold = threshold
        self._lock = threading.Lock()
        fallback = _fallback_order(self._labels, label_counts or {})[:TOP_K]
        self._empty = Classification(
            fallback[0] if fallback else FALLBACK_LABEL,
            0.0,
            tuple((label, 0.0) for label in fallback),
            False,
        )

    @classmethod
    def load(cls, path: Path | None = None, *, threshold: float = 0.5) -> Classifier:
        """Load a model directory (None = the shipped model in nlp/model/)."""
        model_dir = Path(path) if path is not None else DEFAULT_MODEL_PATH
        if not (model_dir / "config.cfg").is_file():
            raise ModelNotFoundError(
                f"no classifier model in {model_dir}: train one with `linli train`"
            )
        load_user_dictionary()
        pipeline = spacy.load(model_dir)
        meta = read_meta(model_dir)
        counts = meta.get("label_counts")
        names = meta.get("label_names")
        names = {str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {}
        # Everything that prints a category reads nlp.categories: it must know these names.
        remember_label_names(names)
        return cls(
            pipeline,
            temperature=float(meta.get("temperature", 1.0)),
            threshold=threshold,
            label_counts=counts if isinstance(counts, dict) else None,
            label_names=names,
        )

    @property
    def labels(self) -> tuple[str, ...]:
        """The category codes this model can return."""
        return self._labels

    @property
    def label_names(self) -> dict[str, str]:
        """Code -> name of the labels the model was trained on as names (城乡建设); empty for
        a model trained on codes, whose names are in the categories file."""
        return dict(self._names)

    def name(self, code: str) -> str:
        """The name people read for one of this model's codes."""
        return self._names.get(code) or category_name(code)

    @property
    def threshold(self) -> float:
        """Confidence at or above which a classification counts as confident."""
        return self._threshold

    @property
    def fallback(self) -> Classification:
        """The answer for text with nothing to read: probability 0, not confident.

        Its label is "other" if the model has it, else the model's most frequent label; its
        top holds up to 3 labels like any other answer, so the bot can still offer choices.
        """
        return self._empty

    def classify(self, text: str) -> Classification:
        """Classify one message; text with nothing to read gives `fallback`."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str], batch_size: int = 256) -> list[Classification]:
        """Classify many messages in batches, in order."""
        cleaned = [prepare_text(text)[:MAX_CHARS] for text in texts]
        wanted = [index for index, text in enumerate(cleaned) if has_content(text)]
        results: list[Classification] = [self._empty] * len(cleaned)
        if not wanted:
            return results
        scores = self._calibrated([cleaned[i] for i in wanted], batch_size)
        for index, row in zip(wanted, scores, strict=True):
            results[index] = self._result(row)
        return results

    def probabilities_many(
        self, texts: Iterable[str], batch_size: int = 256
    ) -> list[dict[str, float]]:
        """`probabilities` of many messages in batches, in order (empty dict: nothing to read)."""
        cleaned = [prepare_text(text)[:MAX_CHARS] for text in texts]
        wanted = [index for index, text in enumerate(cleaned) if has_content(text)]
        results: list[dict[str, float]] = [{} for _ in cleaned]
        if not wanted:
            return results
        scores = self._calibrated([cleaned[i] for i in wanted], batch_size)
        for index, row in zip(wanted, scores, strict=True):
            results[index] = {label: float(p) for label, p in zip(self._labels, row, strict=True)}
        return results

    def _calibrated(self, cleaned: list[str], batch_size: int) -> Any:
        """Calibrated probabilities (one row per text, model label order) of cleaned texts."""
        with self._lock:
            docs = list(self._nlp.pipe(cleaned, batch_size=batch_size))
        scores = numpy.array([[doc.cats.get(label, 0.0) for label in self._labels] for doc in docs])
        return apply_temperature(scores, self._temperature)

    def probabilities(self, text: str) -> dict[str, float]:
        """The calibrated probability of every label for `text` (empty dict if nothing to read)."""
        cleaned = prepare_text(text)[:MAX_CHARS]
        if not has_content(cleaned):
            return {}
        with self._lock:
            doc = self._nlp(cleaned)
        row = apply_temperature(
            numpy.array([doc.cats.get(label, 0.0) for label in self._labels]), self._temperature
        )
        return {label: float(p) for label, p in zip(self._labels, row, strict=True)}

    def _result(self, row: Any) -> Classification:
        order = numpy.argsort(-row, kind="stable")[:TOP_K]
        top = tuple((self._labels[i], round(float(row[i]), 4)) for i in order)
        label, confidence = top[0]
        return Classification(label, confidence, top, confidence >= self._threshold)
