"""Score a classifier on labelled messages: accuracy, macro-F1 and per-label P/R/F1.

Macro-F1 is the headline number because small categories (hardship, housing) matter as much
as the big ones: a resident asking for 低保 must not be lost because such requests are rare.
Computed here (not with scikit-learn) so the runtime package does not need scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from nlp.categories import invalid_label, label_code
from nlp.classifier import Classification


class _Classifies(Protocol):
    def classify_many(self, texts: Sequence[str]) -> list[Classification]: ...


@dataclass(frozen=True)
class Evaluation:
    """Scores of one evaluation run; per_label maps label -> precision/recall/f1/support."""

    accuracy: float
    macro_f1: float
    per_label: dict[str, dict[str, float]]
    n: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; the keys accuracy, macro_f1 and per_label are a public interface."""
        return {"accuracy": self.accuracy, "macro_f1": self.macro_f1, "per_label": self.per_label}

    def format_text(self) -> str:
        """A table for people: totals first, then one line per label."""
        lines = [
            f"messages   {self.n}",
            f"accuracy   {self.accuracy:.3f}",
            f"macro-F1   {self.macro_f1:.3f}",
            "",
            f"{'label':<20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}",
        ]
        for label, scores in self.per_label.items():
            lines.append(
                f"{label:<20}{scores['precision']:>10.3f}{scores['recall']:>10.3f}"
                f"{scores['f1']:>10.3f}{int(scores['support']):>10d}"
            )
        return "\n".join(lines)


def score_predictions(gold: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Score predicted labels against gold ones (labels of either side count for macro-F1)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    labels = sorted(set(gold) | set(predicted))
    per_label: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        n_pred = sum(1 for p in predicted if p == label)
        n_gold = sum(1 for g in gold if g == label)
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": n_gold,
        }
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    accuracy = correct / len(gold) if gold else 0.0
    macro = sum(s["f1"] for s in per_label.values()) / len(per_label) if per_label else 0.0
    return Evaluation(round(accuracy, 4), round(macro, 4), per_label, len(gold))


def evaluate(classifier: _Classifies, examples: Sequence[tuple[str, str]]) -> Evaluation:
    """Classify every example's text and score the labels against the gold ones.

    Gold labels written as names (城乡建设) are compared by their code, as the model answers,
    and reported by name.
    """
    results = classifier.classify_many([text for text, _ in examples])
    names: dict[str, str] = {}
    gold: list[str] = []
    for _, label in examples:
        code = label if invalid_label(label) else label_code(label)
        names.setdefault(code, label)
        gold.append(code)
    scored = score_predictions(gold, [r.label for r in results])
    per_label = {names.get(code, code): scores for code, scores in scored.per_label.items()}
    return Evaluation(scored.accuracy, scored.macro_f1, per_label, scored.n)
