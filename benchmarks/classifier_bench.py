"""Benchmark the shipped classifier: quality against two baselines, and speed.

Run as `.venv/bin/python benchmarks/classifier_bench.py`. Quality is measured on
nlp/data/test.csv (never trained on); both baselines are trained on nlp/data/train.csv
with the same normalisation as ours, so only the model differs:
  (a) TF-IDF over jieba tokens (with our user dictionary) + LinearSVC
  (b) character 1-2-gram TF-IDF + LinearSVC
Speed: model load time (fresh process), single-message latency (median, p99) and batch
throughput of classify, and the same for jieba segmentation alone.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402
import spacy  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from nlp.classifier import DEFAULT_MODEL_PATH, Classifier  # noqa: E402
from nlp.evaluation import Evaluation, evaluate, score_predictions  # noqa: E402
from nlp.normalize import normalise  # noqa: E402
from nlp.segment import load_user_dictionary  # noqa: E402
from nlp.training import read_corpus, read_meta  # noqa: E402

TRAIN = ROOT / "nlp" / "data" / "train.csv"
TEST = ROOT / "nlp" / "data" / "test.csv"


class Baseline:
    """TF-IDF + LinearSVC fitted on the training corpus."""

    def __init__(self, vectorizer: TfidfVectorizer, train: Sequence[tuple[str, str]]) -> None:
        self.vectorizer = vectorizer
        features = vectorizer.fit_transform([text for text, _ in train])
        self.model = LinearSVC().fit(features, [label for _, label in train])

    def score(self, test: Sequence[tuple[str, str]]) -> Evaluation:
        predicted = self.model.predict(self.vectorizer.transform([text for text, _ in test]))
        return score_predictions([label for _, label in test], [str(p) for p in predicted])


def voice_typed(text: str) -> str:
    """The message as voice input often arrives: no punctuation, no spaces."""
    return "".join(char for char in normalise(text) if char.isalnum())


def jieba_tokens(text: str) -> list[str]:
    return [word for word in jieba.lcut(text) if word.strip()]


def latencies(function: Callable[[str], object], texts: Sequence[str]) -> list[float]:
    """Seconds per call, one message at a time."""
    timings = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        timings.append(time.perf_counter() - started)
    return timings


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def calibration(classifier: Classifier, test: Sequence[tuple[str, str]]) -> str:
    """Expected calibration error (10 bins) and what the bot's 0.5 threshold lets through."""
    results = classifier.classify_many([text for text, _ in test])
    right = [r.label == label for r, (_, label) in zip(results, test, strict=True)]
    bins: dict[int, list[tuple[float, bool]]] = {}
    for result, ok in zip(results, right, strict=True):
        bins.setdefault(min(int(result.confidence * 10), 9), []).append((result.confidence, ok))
    ece = sum(
        len(items)
        / len(results)
        * abs(statistics.mean(c for c, _ in items) - statistics.mean(ok for _, ok in items))
        for items in bins.values()
    )
    confident = [ok for r, ok in zip(results, right, strict=True) if r.confident]
    return (
        f"ECE {ece:.3f}, mean confidence {statistics.mean(r.confidence for r in results):.3f}, "
        f"confident (>= 0.5) on {len(confident) / len(results):.0%} of messages "
        f"with accuracy {statistics.mean(confident) if confident else 0:.3f}"
    )


def load_time() -> float:
    """Seconds for Classifier.load() in a fresh interpreter (imports timed separately)."""
    code = (
        "import time; import nlp.classifier as c; t = time.perf_counter(); "
        "c.Classifier.load(); print(time.perf_counter() - t)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(output.stdout.strip().splitlines()[-1])


def main() -> None:
    train = read_corpus(TRAIN)
    test = read_corpus(TEST)
    texts = [text for text, _ in test]
    print(f"train {len(train)} messages, test {len(test)} messages, model {DEFAULT_MODEL_PATH}")
    size = sum(f.stat().st_size for f in DEFAULT_MODEL_PATH.rglob("*") if f.is_file())
    print(f"model size {size / 1e6:.1f} MB")

    print("\n== quality on nlp/data/test.csv ==")
    load_user_dictionary()
    classifier = Classifier.load()
    word = Baseline(TfidfVectorizer(analyzer=lambda t: jieba_tokens(normalise(t))), train)
    char = Baseline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 2), preprocessor=normalise), train
    )
    # Robustness, not tuning: the same test messages stripped of punctuation and spaces, as
    # voice input sends them (our features include punctuation; this checks we do not lean
    # on it).
    voice = [(voice_typed(text), label) for text, label in test]
    rows = [
        ("ours (shipped model)", evaluate(classifier, test), evaluate(classifier, voice)),
        ("(a) jieba-token TF-IDF + LinearSVC", word.score(test), word.score(voice)),
        ("(b) char 1-2-gram TF-IDF + LinearSVC", char.score(test), char.score(voice)),
    ]
    print(f"{'':<40}{'as written':>20}{'voice-typed (no punct.)':>26}")
    print(f"{'model':<40}{'accuracy':>10}{'macro-F1':>10}{'accuracy':>13}{'macro-F1':>13}")
    for name, result, stripped in rows:
        print(
            f"{name:<40}{result.accuracy:>10.3f}{result.macro_f1:>10.3f}"
            f"{stripped.accuracy:>13.3f}{stripped.macro_f1:>13.3f}"
        )

    print("\n== calibration on nlp/data/test.csv ==")
    print(f"calibrated (T={read_meta(DEFAULT_MODEL_PATH)['temperature']}): ", end="")
    print(calibration(classifier, test))
    raw = Classifier(spacy.load(DEFAULT_MODEL_PATH), temperature=1.0)
    print(f"uncalibrated (T=1):      {calibration(raw, test)}")

    print("\n== speed ==")
    print(f"model load (fresh process): {load_time():.2f} s")
    classifier.classify_many(texts[:50])  # warm up
    ours = latencies(classifier.classify, texts * 3)
    seg = latencies(jieba_tokens, texts * 3)
    batch = texts * 5
    started = time.perf_counter()
    classifier.classify_many(batch)
    ours_rate = len(batch) / (time.perf_counter() - started)
    started = time.perf_counter()
    for text in batch:
        jieba_tokens(text)
    seg_rate = len(batch) / (time.perf_counter() - started)
    print(f"{'':<28}{'median ms':>10}{'p99 ms':>10}{'batch msg/s':>13}")
    for name, timings, rate in [
        ("classify", ours, ours_rate),
        ("jieba segmentation alone", seg, seg_rate),
    ]:
        print(
            f"{name:<28}{statistics.median(timings) * 1e3:>10.2f}{p99(timings) * 1e3:>10.2f}"
            f"{rate:>13.0f}"
        )
    print(
        f"classify / jieba: median latency x{statistics.median(ours) / statistics.median(seg):.1f},"
        f" throughput x{seg_rate / ours_rate:.1f} slower"
    )


if __name__ == "__main__":
    main()
