"""Read a labelled corpus and train the spaCy classifier, reproducibly, for any label set.

Training is a library function rather than `spacy train` because the corpus is a CSV that
staff edit by hand (so errors must name the line), the user dictionary must be loaded
first, and calibration is fitted on a held-out slice of the training data and saved with
the model. A deployment trains on its own categories through the same path.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import shutil
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, cast

import numpy
from spacy.about import __version__ as spacy_version
from spacy.language import Language
from spacy.pipeline import TextCategorizer
from spacy.training import Example
from spacy.util import load_config, load_model_from_config, registry
from thinc.api import fix_random_seed

from nlp.architectures import fit_idf  # also registers linli.CharNgramBOW.v1
from nlp.categories import META_FILENAME, invalid_label, label_code
from nlp.normalize import has_content, normalise
from nlp.segment import load_user_dictionary

DEFAULT_CONFIG_PATH = Path(__file__).parent / "config.cfg"
HELDOUT_FRACTION = 0.1
# Fewer held-out messages than this and a fitted temperature is noise (4 right answers
# would "prove" the model should be certain), so the model's own probabilities are kept.
MIN_CALIBRATION_MESSAGES = 30


class TrainingError(ValueError):
    """Training cannot start; the message says why in one line (the CLI exits with 2)."""


class CorpusError(TrainingError):
    """The corpus cannot be trained on; the message names the file and line."""


# Column names accepted in a corpus header, first the project's own, then those of a 12345
# export (留言主题 / 留言详情 / 一级标签), so a street office trains on its export as it is.
TEXT_COLUMNS = ("text", "留言详情", "内容")
SUBJECT_COLUMNS = ("subject", "留言主题", "标题")
LABEL_COLUMNS = ("label", "一级标签", "类别", "分类")
# A first line up to this long, followed by more text, is read as the message's subject.
MAX_SUBJECT_CHARS = 60


class LabelledText(NamedTuple):
    """One resident message and its label (a category code or a category name)."""

    text: str
    label: str


@dataclass(frozen=True)
class TrainReport:
    """What a training run did, for the CLI to print and the meta file to keep."""

    labels: tuple[str, ...]
    seed: int
    n_examples: int
    n_train: int
    n_heldout: int
    epochs: int
    seconds: float
    heldout_accuracy: float | None
    heldout_macro_f1: float | None
    temperature: float
    corpus_sha256: str
    label_counts: dict[str, int] = field(default_factory=dict)


# --- reading -----------------------------------------------------------------------------


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CorpusError(
            f"{path}, line {line}: bytes that are not UTF-8 (is it binary or another encoding?)"
        ) from None


def _junk(text: str) -> bool:
    # NUL and other C0 controls never occur in typed messages; they mean a binary file or a
    # broken export, and training on them would silently teach noise.
    return any(ord(char) < 32 and char not in "\t\n\r" for char in text) or "\ufffd" in text


def prepare_text(text: str) -> str:
    """`normalise()` the text, keeping a subject line apart from the body.

    A message written with a subject (a 12345 export's 留言主题, or a first short line
    followed by more) becomes "subject\nbody", so the model can read the subject's words on
    their own (see nlp/architectures.py); any other text is just normalised (normalise()
    turns line breaks into spaces). Idempotent, like normalise().
    """
    first, newline, rest = text.strip().partition("\n")
    if newline:
        subject, body = normalise(first), normalise(rest)
        if has_content(subject) and has_content(body) and len(subject) <= MAX_SUBJECT_CHARS:
            return f"{subject}\n{body}"
    return normalise(text)


def _column(fields: Sequence[str], names: Sequence[str]) -> str | None:
    return next((name for name in names if name in fields), None)


def read_corpus(
    path: Path, *, min_per_label: int = 2, skip_empty: bool = False
) -> list[LabelledText]:
    """Read a CSV with columns text,label (others ignored), checking every row.

    A 12345 export's columns do too: 留言详情 (or 内容) for text, 一级标签 (类别, 分类) for
    label, and an optional subject column (subject, 留言主题, 标题), which becomes the text's
    first line. Labels are category codes or a deployment's own names (城乡建设), see
    `nlp.categories.invalid_label`.

    Raises CorpusError naming the line for a missing column, empty text or label, a label
    that is neither a code nor a name, binary junk, undecodable bytes, or a label with fewer
    than `min_per_label` examples (training needs 2, to hold one out; a test set may have 1).
    With `skip_empty`, rows whose text has nothing to read (only punctuation or emoji) are
    left out instead (the intent corpus has them: a rule, not the model, handles "？？").
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read ({exc.strerror or exc})") from None
    content = _decode(path, raw)
    reader = csv.DictReader(io.StringIO(content, newline=""))
    fields = [name.strip() for name in reader.fieldnames or ()]
    text_column = _column(fields, TEXT_COLUMNS)
    label_column = _column(fields, LABEL_COLUMNS)
    subject_column = _column(fields, SUBJECT_COLUMNS)
    missing = [
        name for name, column in (("text", text_column), ("label", label_column)) if column is None
    ]
    if missing:
        raise CorpusError(
            f"{path}, line 1: missing column {' and '.join(missing)} "
            f"(the header must name text and label, found: {', '.join(fields) or 'nothing'})"
        )
    reader.fieldnames = fields
    examples: list[LabelledText] = []
    first_line: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                raise CorpusError(f"{path}, line {line}: more fields than the header names")
            text = row.get(text_column or "") or ""
            label = (row.get(label_column or "") or "").strip()
            subject = (row.get(subject_column) or "").strip() if subject_column else ""
            if _junk(text) or _junk(label) or _junk(subject):
                raise CorpusError(f"{path}, line {line}: control characters or binary junk")
            if not has_content(normalise(text)):
                if skip_empty and text.strip():
                    continue
                raise CorpusError(f"{path}, line {line}: empty text")
            if not label:
                raise CorpusError(f"{path}, line {line}: empty label")
            problem = invalid_label(label)
            if problem:
                raise CorpusError(f"{path}, line {line}: {problem}")
            first_line.setdefault(label, line)
            text = text.strip()
            if subject and has_content(normalise(subject)):
                # One line: prepare_text reads the first line as the subject.
                text = " ".join(subject.split()) + "\n" + text
            examples.append(LabelledText(text, label))
    except csv.Error as exc:
        raise CorpusError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from None
    if not examples:
        raise CorpusError(f"{path}: no rows after the header")
    counts = Counter(example.label for example in examples)
    for label, count in counts.items():
        if count < min_per_label:
            raise CorpusError(
                f"{path}, line {first_line[label]}: label {label!r} has only {count} "
                f"example{'s' if count != 1 else ''}; each label needs at least {min_per_label}"
            )
    return examples


def check_examples(examples: Sequence[tuple[str, str]]) -> None:
    """Raise CorpusError unless there are 2+ valid labels, each with 2+ non-empty examples.

    Labels are counted by code, so two spellings of one name are one label.
    """
    for index, (text, label) in enumerate(examples, start=1):
        if not label.strip() or not has_content(normalise(text)):
            raise CorpusError(f"example {index}: empty text or label")
        problem = invalid_label(label.strip())
        if problem:
            raise CorpusError(f"example {index}: {problem}")
    counts = Counter(label_code(label.strip()) for _, label in examples)
    if len(counts) < 2:
        raise CorpusError(f"need at least 2 labels to train, got {len(counts)}")
    names = label_names(examples)
    rare = sorted(names.get(code, code) for code, count in counts.items() if count < 2)
    if rare:
        raise CorpusError(f"label(s) with fewer than 2 examples: {', '.join(rare)}")


def label_names(examples: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Code -> name of the labels given as names (城乡建设); codes given as codes are left out.

    Saved in the model's meta: the model answers with codes (the database and the buttons
    carry them) and the bot shows the names. Two names with one code (a hash collision,
    vanishingly rare) stop training rather than merge two categories.
    """
    names: dict[str, str] = {}
    for _, label in examples:
        label = label.strip()
        code = label_code(label)
        if code == label:
            continue
        known = names.setdefault(code, label)
        if known != label and unicodedata.normalize("NFC", known) != unicodedata.normalize(
            "NFC", label
        ):
            raise CorpusError(f"labels {known!r} and {label!r} map to one code {code}; rename one")
    return names


def corpus_sha256(examples: Iterable[tuple[str, str]]) -> str:
    """A fingerprint of the training data, saved in the model's meta."""
    digest = hashlib.sha256()
    for text, label in examples:
        digest.update(f"{text}\t{label}\n".encode())
    return digest.hexdigest()


# --- training ----------------------------------------------------------------------------


def _split(
    examples: Sequence[LabelledText], seed: int
) -> tuple[list[LabelledText], list[LabelledText]]:
    """Stratified held-out slice (10%) for early stopping and calibration."""
    rng = random.Random(seed)
    by_label: dict[str, list[LabelledText]] = {}
    for example in examples:
        by_label.setdefault(example.label, []).append(example)
    train: list[LabelledText] = []
    heldout: list[LabelledText] = []
    for label in sorted(by_label):
        group = list(by_label[label])
        rng.shuffle(group)
        n_hold = max(1, round(len(group) * HELDOUT_FRACTION)) if len(group) >= 3 else 0
        heldout.extend(group[:n_hold])
        train.extend(group[n_hold:])
    return train, heldout


def build_pipeline(config_path: Path | None, seed: int) -> Language:
    """A fresh, untrained pipeline from the config, with the user dictionary loaded."""
    load_user_dictionary()
    config = load_config(config_path or DEFAULT_CONFIG_PATH)
    config["system"]["seed"] = seed
    fix_random_seed(seed)
    return load_model_from_config(config, auto_fill=True, validate=True)


def _one_hot(labels: Sequence[str], gold: str) -> dict[str, float]:
    return {label: 1.0 if label == gold else 0.0 for label in labels}


def _textcat(nlp: Language) -> TextCategorizer:
    return cast(TextCategorizer, nlp.get_pipe("textcat"))


def _predict(nlp: Language, docs: list[Any]) -> Any:
    return numpy.asarray(_textcat(nlp).predict(docs), dtype="float64")


def _macro_f1(gold: Sequence[int], predicted: Sequence[int]) -> float:
    labels = set(gold) | set(predicted)
    total = 0.0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p == label != g)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label != p)
        total += 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return total / len(labels) if labels else 0.0


def apply_temperature(probabilities: Any, temperature: float) -> Any:
    """Rescale probabilities as if the logits were divided by `temperature`."""
    logits = numpy.log(numpy.clip(probabilities, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    exp = numpy.exp(logits)
    return exp / exp.sum(axis=-1, keepdims=True)


def fit_temperature(probabilities: Any, gold: Sequence[int]) -> float:
    """The temperature minimising held-out log loss (grid search: robust, no scipy needed)."""
    if len(gold) == 0:
        return 1.0
    rows = numpy.arange(len(gold))
    best, best_loss = 1.0, float("inf")
    for temperature in numpy.exp(numpy.linspace(numpy.log(0.05), numpy.log(20.0), 241)):
        calibrated = apply_temperature(probabilities, float(temperature))
        loss = float(-numpy.log(numpy.clip(calibrated[rows, gold], 1e-12, 1.0)).mean())
        if loss < best_loss - 1e-9:
            best, best_loss = float(temperature), loss
    return round(best, 4)


class _Run(NamedTuple):
    nlp: Language
    averages: Any
    epochs: int
    accuracy: float | None
    macro_f1: float | None
    heldout_probabilities: Any


def _fit(
    train_set: Sequence[LabelledText],
    heldout: Sequence[LabelledText],
    labels: Sequence[str],
    *,
    seed: int,
    config_path: Path | None,
    epochs: int,
    patience: int,
    deadline: float,
    progress: Callable[[str], None],
    tag: str,
) -> _Run:
    nlp = build_pipeline(config_path, seed)
    textcat = _textcat(nlp)
    for label in labels:
        textcat.add_label(label)
    examples = [
        Example.from_dict(nlp.make_doc(text), {"cats": _one_hot(labels, label)})
        for text, label in train_set
    ]
    heldout_docs = [nlp.make_doc(text) for text, _ in heldout]
    heldout_gold = [labels.index(label) for _, label in heldout]
    optimizer = nlp.initialize(lambda: examples)
    fit_idf(textcat.model, [example.reference for example in examples])
    training = nlp.config.interpolate()["training"]
    batcher = registry.resolve({"batcher": training["batcher"]})["batcher"]
    dropout = float(training["dropout"])
    rng = random.Random(seed)

    best_loss = float("inf")
    best_state: bytes | None = None
    best_epoch, best_acc, best_f1, best_probs = 0, None, None, None
    stale = 0
    epoch = 0
    for epoch in range(1, epochs + 1):
        started = time.monotonic()
        order = list(examples)
        rng.shuffle(order)
        losses: dict[str, float] = {}
        for batch in batcher(order):
            nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
        message = f"{tag} epoch {epoch}/{epochs}: train loss {losses.get('textcat', 0.0):.3f}"
        if heldout_docs:
            with nlp.use_params(optimizer.averages):
                probs = _predict(nlp, heldout_docs)
            predicted = [int(i) for i in probs.argmax(axis=1)]
            acc = sum(p == g for p, g in zip(predicted, heldout_gold, strict=True)) / len(
                heldout_gold
            )
            f1 = _macro_f1(heldout_gold, predicted)
            gold_probs = probs[numpy.arange(len(heldout_gold)), heldout_gold]
            loss = float(-numpy.log(numpy.clip(gold_probs, 1e-12, 1.0)).mean())
            message += f", held-out accuracy {acc:.3f} macro-F1 {f1:.3f} log-loss {loss:.3f}"
            # Held-out log-loss, not macro-F1, picks the epoch: on a few hundred messages F1
            # moves in steps of one message and stopped training several epochs too early.
            if loss < best_loss - 1e-3:
                best_loss, stale = loss, 0
                best_epoch, best_acc, best_f1, best_probs = epoch, acc, f1, probs
                with nlp.use_params(optimizer.averages):
                    best_state = textcat.to_bytes()
            else:
                stale += 1
        progress(f"{message} ({time.monotonic() - started:.1f} s)")
        if heldout_docs and stale >= patience:
            progress(f"{tag}: no held-out improvement for {patience} epochs, stopping")
            break
        if time.monotonic() > deadline:
            progress(f"{tag}: time budget reached after epoch {epoch}")
            break
    if best_state is not None:
        textcat.from_bytes(best_state)
        return _Run(nlp, None, best_epoch, best_acc, best_f1, best_probs)
    return _Run(nlp, optimizer.averages, epoch, None, None, None)


def _check_out_dir(out_dir: Path) -> None:
    """Refuse, before spending minutes training, to replace a directory that is not a model."""
    if out_dir.is_file():
        raise TrainingError(f"{out_dir} is a file, not a model directory")
    if out_dir.exists() and any(out_dir.iterdir()) and not (out_dir / META_FILENAME).exists():
        raise TrainingError(f"{out_dir} exists and is not a linli model; refusing to overwrite it")


def _write(nlp: Language, averages: Any, out_dir: Path, meta: dict[str, Any]) -> None:
    """Write atomically-ish: a failed run must not leave the shipped model half-overwritten."""
    tmp = out_dir.with_name(out_dir.name + ".training")
    if tmp.exists():
        shutil.rmtree(tmp)
    nlp.meta["name"] = "linli_textcat"
    nlp.meta["description"] = "linli resident-need classifier (see nlp/training.py)"
    if averages is not None:
        with nlp.use_params(averages):
            nlp.to_disk(tmp)
    else:
        nlp.to_disk(tmp)
    (tmp / META_FILENAME).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)


def train(
    examples: Sequence[tuple[str, str]],
    out_dir: Path,
    *,
    seed: int = 0,
    config_path: Path | None = None,
    progress: Callable[[str], None] = print,
    epochs: int | None = None,
    max_seconds: float = 270.0,
    refit: bool = True,
    extra_meta: Mapping[str, Any] | None = None,
) -> TrainReport:
    """Train on `examples`, calibrate on a held-out slice, and save model + meta in `out_dir`.

    A first run on 90% of the data picks the number of epochs (early stopping on held-out
    macro-F1) and fits the calibration temperature; with `refit`, a second run trains on all
    the data for that many epochs, so no labelled message is wasted. Same seed, same data
    and same config give the same model. `extra_meta` is saved in the meta file too (the
    intent model keeps its decision threshold there).
    """
    started = time.monotonic()
    _check_out_dir(out_dir)
    check_examples(examples)
    names = label_names(examples)
    data = [LabelledText(prepare_text(text), label_code(label.strip())) for text, label in examples]
    labels = sorted({example.label for example in data})
    config = load_config(config_path or DEFAULT_CONFIG_PATH)
    max_epochs = epochs or int(config["training"]["max_epochs"]) or 20
    patience = int(config["training"]["patience"]) or max_epochs
    train_set, heldout = _split(data, seed)
    progress(
        f"training on {len(train_set)} messages, {len(heldout)} held out, "
        f"{len(labels)} labels, seed {seed}"
    )
    first = _fit(
        train_set,
        heldout,
        labels,
        seed=seed,
        config_path=config_path,
        epochs=max_epochs,
        patience=patience,
        deadline=started + max_seconds * (0.55 if refit else 1.0),
        progress=progress,
        tag="fit",
    )
    temperature = 1.0
    if len(heldout) >= MIN_CALIBRATION_MESSAGES and first.heldout_probabilities is not None:
        gold = [labels.index(label) for _, label in heldout]
        temperature = fit_temperature(first.heldout_probabilities, gold)
        progress(f"calibration temperature {temperature:.3f}")
    final = first
    if refit and heldout:
        # The refit runs the chosen number of epochs, cut by the overall budget if the
        # machine is slower than expected.
        final = _fit(
            data,
            [],
            labels,
            seed=seed,
            config_path=config_path,
            epochs=first.epochs,
            patience=first.epochs,
            deadline=started + max_seconds,
            progress=progress,
            tag="refit",
        )
    counts = Counter(label for _, label in data)
    report = TrainReport(
        labels=tuple(labels),
        seed=seed,
        n_examples=len(data),
        n_train=len(data) if refit and heldout else len(train_set),
        n_heldout=len(heldout),
        epochs=first.epochs,
        seconds=round(time.monotonic() - started, 1),
        heldout_accuracy=first.accuracy,
        heldout_macro_f1=first.macro_f1,
        temperature=temperature,
        corpus_sha256=corpus_sha256(data),
        label_counts=dict(sorted(counts.items())),
    )
    meta = asdict(report)
    meta["spacy_version"] = spacy_version
    meta["refit"] = refit and bool(heldout)
    meta["label_names"] = dict(sorted(names.items()))
    meta.update(extra_meta or {})
    _write(final.nlp, final.averages, out_dir, meta)
    progress(f"saved model to {out_dir} in {report.seconds:.1f} s")
    return report


def read_meta(model_dir: Path) -> dict[str, Any]:
    """The linli meta saved next to a model (labels, temperature, corpus hash, ...)."""
    path = model_dir / META_FILENAME
    if not path.exists():
        return {}
    loaded = json.loads(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}
