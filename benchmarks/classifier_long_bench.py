"""Benchmark the classifier on long citizens' messages against TF-IDF + LinearSVC.

Run as `.venv/bin/python benchmarks/classifier_long_bench.py` (about 5 minutes on 2 cores).

The corpus is benchmarks/data/long_messages_{train,test}.csv, written by
benchmarks/make_long_corpus.py (generated, see its docstring for why and how): 2,400 training
and 600 test messages with a subject line and a body, labelled with the seven Chinese
first-level labels of a 12345 export. Both models read the same text (nlp.training's
prepare_text: normalised, subject line first).

Printed:
- on the long corpus: macro-F1 and accuracy of `linli train --data` (our model, trained in a
  child process: wall time and peak memory of that process) and of the char 1-2-gram TF-IDF
  + LinearSVC baseline; with --cv K, K-fold cross-validation on the training file instead of
  the test file (how configurations are chosen; the test file is never used to choose);
- on residents' chat messages (nlp/data/test.csv): the shipped model against the same
  baseline trained on nlp/data/train.csv, the shipped model's size, and classify latency
  (median, p99) one message at a time.
`--config FILE` trains the long-corpus model with another spaCy config (e.g. a variant of
nlp/config.cfg), to measure an idea before it is adopted.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from nlp.categories import label_code  # noqa: E402
from nlp.classifier import DEFAULT_MODEL_PATH, Classifier  # noqa: E402
from nlp.evaluation import Evaluation, evaluate, score_predictions  # noqa: E402
from nlp.training import LabelledText, prepare_text, read_corpus  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
LONG_TRAIN = DATA / "long_messages_train.csv"
LONG_TEST = DATA / "long_messages_test.csv"
SHORT_TRAIN = ROOT / "nlp" / "data" / "train.csv"
SHORT_TEST = ROOT / "nlp" / "data" / "test.csv"

Examples = Sequence[tuple[str, str]]


def baseline(train: Examples, test: Examples) -> Evaluation:
    """Character 1-2-gram TF-IDF + LinearSVC (scikit-learn defaults), on the same text."""
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), preprocessor=prepare_text)
    model = LinearSVC().fit(vectorizer.fit_transform([t for t, _ in train]), [y for _, y in train])
    predicted = model.predict(vectorizer.transform([t for t, _ in test]))
    return score_predictions([y for _, y in test], [str(p) for p in predicted])


def write_csv(path: Path, examples: Examples) -> None:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(examples)


def train_ours(train: Examples, out: Path, config: Path | None) -> tuple[float, float]:
    """Train with `linli train --data` in a child process: (wall seconds, peak RSS in MB).

    A child of its own, so its peak memory is the training's alone (ru_maxrss of the
    children of this process; only one child runs at a time).
    """
    data = out.parent / f"{out.name}.csv"
    write_csv(data, train)
    if config is None:
        command = [str(ROOT / ".venv" / "bin" / "linli"), "train", "--data", str(data)]
        command += ["--out", str(out)]
    else:
        code = (
            "import sys; from pathlib import Path; from nlp.training import read_corpus, train; "
            "train(read_corpus(Path(sys.argv[1])), Path(sys.argv[2]), "
            "config_path=Path(sys.argv[3]), progress=lambda m: None)"
        )
        command = [sys.executable, "-c", code, str(data), str(out), str(config)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        print("  (peak memory not measurable: an earlier child used more)")
    return seconds, peak / 1024


def folds(examples: Sequence[LabelledText], k: int) -> list[tuple[list[int], list[int]]]:
    """Stratified K folds, seeded."""
    rng = random.Random(0)
    by_label: dict[str, list[int]] = {}
    for index, (_, label) in enumerate(examples):
        by_label.setdefault(label, []).append(index)
    parts: list[list[int]] = [[] for _ in range(k)]
    for label in sorted(by_label):
        group = by_label[label]
        rng.shuffle(group)
        for position, index in enumerate(group):
            parts[position % k].append(index)
    everything = set(range(len(examples)))
    return [(sorted(everything - set(part)), sorted(part)) for part in parts]


def long_corpus(config: Path | None, cv: int) -> None:
    train = read_corpus(LONG_TRAIN)
    test = read_corpus(LONG_TEST)
    lengths = sorted(len(text) for text, _ in [*train, *test])
    print(
        f"== long messages: {len(train)} train, {len(test)} test, {len({y for _, y in train})}"
        f" labels, median {lengths[len(lengths) // 2]} characters (subject + body) =="
    )
    print(f"our config: {config or 'nlp/config.cfg'}")
    splits: list[tuple[list[int], list[int] | None]] = (
        [(list(range(len(train))), None)] if cv < 2 else list(folds(train, cv))
    )
    ours_f1: list[float] = []
    base_f1: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for number, (fit_rows, eval_rows) in enumerate(splits, start=1):
            fit = [train[i] for i in fit_rows]
            held = test if eval_rows is None else [train[i] for i in eval_rows]
            out = Path(tmp) / f"model{number}"
            seconds, peak = train_ours(fit, out, config)
            ours = evaluate(Classifier.load(out), held)
            # The baseline compares codes too: names become codes as in training.
            base = baseline(
                [(t, label_code(y)) for t, y in fit], [(t, label_code(y)) for t, y in held]
            )
            ours_f1.append(ours.macro_f1)
            base_f1.append(base.macro_f1)
            where = "test file" if eval_rows is None else f"fold {number}/{cv}"
            print(
                f"{where:<12} ours macro-F1 {ours.macro_f1:.4f} (accuracy {ours.accuracy:.4f})"
                f" | baseline {base.macro_f1:.4f} ({base.accuracy:.4f})"
                f" | training {seconds:.0f} s, peak {peak:.0f} MB, {len(fit)} messages"
            )
    if len(splits) > 1:
        print(
            f"mean of {cv} folds: ours {statistics.mean(ours_f1):.4f}, "
            f"baseline {statistics.mean(base_f1):.4f}"
        )


def latencies(classifier: Classifier, texts: Sequence[str]) -> list[float]:
    timings = []
    for text in texts:
        started = time.perf_counter()
        classifier.classify(text)
        timings.append(time.perf_counter() - started)
    return sorted(timings)


def short_messages() -> None:
    train = read_corpus(SHORT_TRAIN)
    test = read_corpus(SHORT_TEST, min_per_label=1)
    print(f"\n== residents' chat messages: nlp/data/test.csv ({len(test)} messages) ==")
    classifier = Classifier.load()
    ours = evaluate(classifier, test)
    base = baseline(train, test)
    print(f"shipped model macro-F1 {ours.macro_f1:.4f} (accuracy {ours.accuracy:.4f})")
    print(f"baseline      macro-F1 {base.macro_f1:.4f} (accuracy {base.accuracy:.4f})")
    size = sum(f.stat().st_size for f in DEFAULT_MODEL_PATH.rglob("*") if f.is_file())
    print(f"shipped model size {size / 1e6:.1f} MB")
    texts = [text for text, _ in test]
    classifier.classify_many(texts[:50])  # warm up
    timings = latencies(classifier, texts * 3)
    p99 = timings[min(len(timings) - 1, int(0.99 * len(timings)))]
    print(
        f"classify, one message at a time: median {statistics.median(timings) * 1e3:.2f} ms,"
        f" p99 {p99 * 1e3:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, help="spaCy config for the long-corpus model")
    parser.add_argument("--cv", type=int, default=0, help="K-fold CV on the training file")
    parser.add_argument("--long-only", action="store_true", help="skip the chat messages")
    args = parser.parse_args()
    long_corpus(args.config, args.cv)
    if not args.long_only:
        short_messages()


if __name__ == "__main__":
    main()
