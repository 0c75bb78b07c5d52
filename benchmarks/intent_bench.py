"""Benchmark the shipped intent classifier (nlp/intent.py) against its error budgets.

Run as `.venv/bin/python benchmarks/intent_bench.py`. On nlp/data/intent_test.csv (held out:
never trained or tuned on):
  (a) conversation taken for something else (filed or offered a category)   target <= 2 %
  (b) real needs taken for conversation                                     target <= 1 %
  accuracy and macro-F1 over the 13 labels, and the grouped confusion
  (need / request talk / conversation);
(c) every message of nlp/data/test.csv (the category test set) through the intent step:
  share classified `need` (target >= 99 %) and share taken for conversation, for all of it and
  for its real needs (the `other` messages that are not needs are relabelled in
  nlp/data/intent_relabel_test.csv);
(d) latency of intent + category classification of single messages, and model sizes.

`--cv` instead cross-validates on the TRAINING corpus (5 folds, stratified): how the
threshold in nlp/intent.py was chosen, with the rates it gives out of fold. `--config` and
`--folds` change what is cross-validated (to compare configs); intent_test.csv is not read.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.classifier import Classifier  # noqa: E402
from nlp.evaluation import score_predictions  # noqa: E402
from nlp.intent import (  # noqa: E402
    CONVERSATION,
    DEFAULT_INTENT_MODEL_PATH,
    INTENT_CONFIG_PATH,
    REQUEST_TALK,
    IntentClassifier,
    IntentKind,
    choose_threshold,
    shipped_intent_corpus,
)
from nlp.normalize import normalise  # noqa: E402
from nlp.training import LabelledText, read_corpus, read_meta, train  # noqa: E402

INTENT_TEST = ROOT / "nlp" / "data" / "intent_test.csv"
CATEGORY_TEST = ROOT / "nlp" / "data" / "test.csv"
RELABEL_TEST = ROOT / "nlp" / "data" / "intent_relabel_test.csv"
CATEGORY_MODEL = ROOT / "nlp" / "model"
GROUPS = ("need", "request talk", "conversation")


def group(label: str) -> str:
    if label in CONVERSATION:
        return "conversation"
    if label in REQUEST_TALK:
        return "request talk"
    return "need"


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def rate(numerator: int, denominator: int) -> str:
    return f"{numerator}/{denominator} = {numerator / max(denominator, 1):.1%}"


def report_quality(gold: Sequence[str], predicted: Sequence[str], brief: bool = False) -> None:
    """Budgets (a) and (b), accuracy, macro-F1, per label and grouped confusion."""
    conv = [p for g, p in zip(gold, predicted, strict=True) if g in CONVERSATION]
    needs = [p for g, p in zip(gold, predicted, strict=True) if g == IntentKind.NEED]
    talk = [p for g, p in zip(gold, predicted, strict=True) if g in REQUEST_TALK]
    conv_missed = sum(1 for p in conv if p not in CONVERSATION)
    need_lost = sum(1 for p in needs if p in CONVERSATION)
    talk_lost = sum(1 for p in talk if p in CONVERSATION)
    print(f"(a) conversation taken for non-conversation: {rate(conv_missed, len(conv))}  (<= 2 %)")
    print(f"(b) needs taken for conversation:            {rate(need_lost, len(needs))}  (<= 1 %)")
    print(f"    request talk taken for conversation:     {rate(talk_lost, len(talk))}")
    result = score_predictions(list(gold), list(predicted))
    print(f"accuracy {result.accuracy:.3f}, macro-F1 {result.macro_f1:.3f} over {len(gold)}")
    if brief:
        return
    print(f"{'label':<12}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}")
    for label, scores in sorted(result.per_label.items()):
        print(
            f"{label:<12}{scores['precision']:>7.3f}{scores['recall']:>7.3f}{scores['f1']:>7.3f}"
            f"{int(scores['support']):>6}"
        )
    confusion = Counter((group(g), group(p)) for g, p in zip(gold, predicted, strict=True))
    print(f"grouped confusion (rows: gold, columns: predicted)\n{'':<14}", end="")
    print("".join(f"{name:>14}" for name in GROUPS))
    for row in GROUPS:
        print(f"{row:<14}" + "".join(f"{confusion[(row, col)]:>14}" for col in GROUPS))


def bench() -> None:
    classifier = IntentClassifier.load()
    meta = read_meta(DEFAULT_INTENT_MODEL_PATH)
    # Read as written: rows with nothing to read ("？？", "👍") are part of the test.
    with INTENT_TEST.open(encoding="utf-8-sig", newline="") as handle:
        test = [(row["text"], row["label"].strip()) for row in csv.DictReader(handle)]
    training = {normalise(text) for text, _ in shipped_intent_corpus()}
    overlap = sum(1 for text, _ in test if normalise(text) in training)
    print(
        f"intent model {DEFAULT_INTENT_MODEL_PATH} ({size_mb(DEFAULT_INTENT_MODEL_PATH):.1f} MB), "
        f"{meta.get('n_examples')} training messages, threshold {classifier.threshold}"
    )
    print(
        f"intent_test.csv: {len(test)} messages, {overlap} also in the training corpus "
        "(same normalised text)"
    )

    print("\n== (a), (b): nlp/data/intent_test.csv ==")
    predicted = [intent.kind.value for intent in classifier.classify_many(t for t, _ in test)]
    report_quality([label for _, label in test], predicted)
    print("conversation taken for non-conversation:")
    for (text, label), kind in zip(test, predicted, strict=True):
        if label in CONVERSATION and kind not in CONVERSATION:
            print(f"  [{label}] {text[:40]} -> {kind}")
    # Short messages (你好, 谢谢) recur between writers; the same figures without them.
    fresh = [
        (label, kind)
        for (text, label), kind in zip(test, predicted, strict=True)
        if normalise(text) not in training
    ]
    print(f"\n== (a), (b) on the {len(fresh)} test messages not in the training corpus ==")
    report_quality([label for label, _ in fresh], [kind for _, kind in fresh], brief=True)

    print("\n== (c): nlp/data/test.csv (category test set) through the intent step ==")
    category_test = read_corpus(CATEGORY_TEST, min_per_label=1)
    # Messages of category `other` that are not needs ("你好", "谢谢你们") have their intent
    # in intent_relabel_test.csv; the rest of test.csv are real needs.
    relabel = {normalise(t): label for t, label in read_corpus(RELABEL_TEST, min_per_label=1)}
    intents = classifier.classify_many(text for text, _ in category_test)
    for name, wanted in [
        ("all messages", {"need", "relabelled"}),
        ("real needs", {"need"}),
        ("relabelled", {"relabelled"}),
    ]:
        chosen = [
            i
            for i, (text, _) in zip(intents, category_test, strict=True)
            if ("relabelled" if normalise(text) in relabel else "need") in wanted
        ]
        need = sum(1 for i in chosen if i.kind == IntentKind.NEED)
        conv = sum(1 for i in chosen if i.conversational)
        print(
            f"{name:<14} {len(chosen):>4}: classified need {rate(need, len(chosen)):<20} "
            f"taken for conversation {rate(conv, len(chosen))}"
        )
    right = sum(
        1
        for i, (text, _) in zip(intents, category_test, strict=True)
        if normalise(text) in relabel and group(i.kind) == group(relabel[normalise(text)])
    )
    print(f"relabelled messages in their intent group: {rate(right, len(relabel))}")
    print("real needs taken for conversation:")
    for intent, (text, label) in zip(intents, category_test, strict=True):
        if intent.conversational and normalise(text) not in relabel:
            print(f"  [{label}] {text[:40]} -> {intent.kind.value} ({intent.conversation:.2f})")

    print("\n== (d): speed and size ==")
    category = Classifier.load()
    texts = [text for text, _ in test] + [text for text, _ in category_test]
    for text in texts[:50]:  # warm up
        classifier.classify(text)
        category.classify(text)
    timings = []
    for text in texts * 2:
        started = time.perf_counter()
        classifier.classify(text)
        category.classify(text)
        timings.append(time.perf_counter() - started)
    intent_only = []
    for text in texts:
        started = time.perf_counter()
        classifier.classify(text)
        intent_only.append(time.perf_counter() - started)
    print(
        f"intent + category, one message: p50 {statistics.median(timings) * 1e3:.2f} ms, "
        f"p99 {p99(timings) * 1e3:.2f} ms  (p99 < 5 ms); intent alone p50 "
        f"{statistics.median(intent_only) * 1e3:.2f} ms, p99 {p99(intent_only) * 1e3:.2f} ms"
    )
    print(
        f"model sizes: intent {size_mb(DEFAULT_INTENT_MODEL_PATH):.1f} MB, "
        f"category {size_mb(CATEGORY_MODEL):.1f} MB"
    )


def folds_of(examples: Sequence[LabelledText], k: int, seed: int) -> list[list[int]]:
    """Stratified folds: each label's messages dealt round-robin after a seeded shuffle."""
    by_label: dict[str, list[int]] = {}
    for index, (_, label) in enumerate(examples):
        by_label.setdefault(label, []).append(index)
    folds: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    position = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for index in indices:
            folds[position % k].append(index)
            position += 1
    return folds


def cross_validate(config: Path, k: int, seed: int, dump: Path | None = None) -> None:
    examples = shipped_intent_corpus()
    counts = Counter(label for _, label in examples)
    print(f"cross-validating {config.name}: {len(examples)} messages, {k} folds, seed {seed}")
    print("labels: " + ", ".join(f"{label} {n}" for label, n in sorted(counts.items())))
    rows: list[dict[str, float]] = [{} for _ in examples]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for fold, held in enumerate(folds_of(examples, k, seed)):
            held_set = set(held)
            train_set = [e for i, e in enumerate(examples) if i not in held_set]
            out = Path(tmp) / f"fold{fold}"
            train(train_set, out, seed=seed, config_path=config, progress=lambda _: None)
            model = Classifier.load(out)
            for index, row in zip(
                held, model.probabilities_many(examples[i].text for i in held), strict=True
            ):
                rows[index] = row
            print(f"fold {fold + 1}/{k} done ({time.monotonic() - started:.0f} s)")
    conversation = [sum(p for lab, p in row.items() if lab in CONVERSATION) for row in rows]
    is_conv = [label in CONVERSATION for _, label in examples]
    threshold = choose_threshold(conversation, is_conv)
    print(f"\nchosen threshold {threshold}")
    for t in sorted({0.3, 0.4, 0.5, 0.6, 0.7, threshold}):
        conv_missed = sum(1 for p, c in zip(conversation, is_conv, strict=True) if c and p < t)
        need_lost = sum(
            1
            for p, (_, label) in zip(conversation, examples, strict=True)
            if label == IntentKind.NEED and p >= t
        )
        talk_lost = sum(
            1
            for p, (_, label) in zip(conversation, examples, strict=True)
            if label in REQUEST_TALK and p >= t
        )
        print(
            f"  threshold {t:.2f}: conversation missed {rate(conv_missed, sum(is_conv))}, "
            f"needs lost {rate(need_lost, counts['need'])}, request talk lost "
            f"{rate(talk_lost, sum(counts[k.value] for k in REQUEST_TALK))}"
        )
    predicted = []
    for row, conv in zip(rows, conversation, strict=True):
        pool = [lab for lab in row if (lab in CONVERSATION) == (conv >= threshold)] or list(row)
        predicted.append(max(pool, key=lambda lab: row[lab]))
    if dump is not None:
        with dump.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label", "predicted", "conversation"])
            for (text, label), p, conv in zip(examples, predicted, conversation, strict=True):
                writer.writerow([text, label, p, f"{conv:.4f}"])
    print(f"\nout-of-fold, threshold {threshold}:")
    report_quality([label for _, label in examples], predicted)
    print("\nneeds taken for conversation (out of fold):")
    for (text, label), p, conv in zip(examples, predicted, conversation, strict=True):
        if label == IntentKind.NEED and p in CONVERSATION:
            print(f"  {text[:40]} -> {p} ({conv:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="cross-validate on the training data")
    parser.add_argument("--config", type=Path, default=INTENT_CONFIG_PATH)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dump", type=Path, help="with --cv: write out-of-fold results (CSV)")
    args = parser.parse_args()
    if args.cv:
        cross_validate(args.config, args.folds, args.seed, args.dump)
    else:
        bench()


if __name__ == "__main__":
    main()
