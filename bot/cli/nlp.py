"""`linli classify | train | evaluate`: the classifier's command-line steps.

The interface (arguments, options, JSON shapes, exit code 2 for bad input) is relied on by
other tools. `train --include-corrections` adds the categories admins corrected in the database.
`train` without options retrains both shipped models (intent and category); `train --intent`
only the intent model (nlp/intent.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

import nlp
from bot.cli.common import current_settings, fail
from nlp.normalize import normalise
from storage.corrections import load_corrections

NLP_DIR = Path(nlp.__file__).parent
DEFAULT_TRAIN_PATH = NLP_DIR / "data" / "train.csv"
DEFAULT_MODEL_DIR = NLP_DIR / "model"
DEFAULT_INTENT_MODEL_DIR = NLP_DIR / "intent_model"

nlp_app = typer.Typer(help="Classify residents' messages and train the classifier.")


def _model_dir(model: Path | None) -> Path | None:
    """--model, else the LINLI_MODEL setting, else None (the shipped model)."""
    if model is not None:
        return model
    return current_settings().linli_model


@nlp_app.command()
def classify(
    text: Annotated[str, typer.Argument(help="The resident's message.")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    model: Annotated[
        Path | None, typer.Option("--model", help="Model directory (default: LINLI_MODEL).")
    ] = None,
) -> None:
    """Print the category of TEXT, its Chinese name and the probability."""
    # Lazy here, in train and in evaluate: the classifier and its training load spaCy, too slow
    # for `linli --help`.
    from nlp.classifier import Classifier, ModelNotFoundError

    try:
        classifier = Classifier.load(_model_dir(model))
    except ModelNotFoundError as exc:
        raise fail(str(exc)) from None
    result = classifier.classify(text)
    if json_output:
        payload = {
            "label": result.label,
            "confidence": result.confidence,
            "top": [[label, p] for label, p in result.top],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    typer.echo(f"{result.label}\t{classifier.name(result.label)}\t{result.confidence:.2f}")


def _load_corrections() -> list[tuple[str, str]]:
    """The corrections in DATABASE_URL; a database that cannot be read stops with one line."""
    database_url = current_settings().database_url
    try:
        return load_corrections(database_url)
    except SQLAlchemyError as exc:
        # The driver's own first line says what went wrong (no such table, connection
        # refused); SQLAlchemy's message around it would add the SQL statement.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise fail(
            f"cannot read corrections from DATABASE_URL ({reason}): check that the database "
            "is reachable and run `linli db upgrade`"
        ) from None


@nlp_app.command()
def train(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Training CSV: text,label, or a 12345 export's 留言主题,留言详情,一级标签; "
            "labels are codes or names such as 城乡建设 (default: nlp/data/train.csv; with "
            "--intent the shipped intent corpus).",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the model; required with --data (default: nlp/model, with "
            "--intent nlp/intent_model).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    include_corrections: Annotated[
        bool,
        typer.Option(
            "--include-corrections", help="Add the categories admins corrected in the database."
        ),
    ] = False,
    intent: Annotated[
        bool,
        typer.Option(
            "--intent",
            help="Train only the intent model (need, 补充, 进度, 催办, 撤回 or conversation).",
        ),
    ] = False,
) -> None:
    """Train the classifier on a CSV and save it (no options: retrain both shipped models)."""
    from nlp.training import CorpusError, TrainingError, label_names, read_corpus
    from nlp.training import train as train_model

    if intent:
        if include_corrections:
            raise fail("--include-corrections is for the category model, not with --intent")
        _train_intent(data, out, seed)
        return
    both = data is None and out is None
    if data is None:
        data, out = DEFAULT_TRAIN_PATH, out or DEFAULT_MODEL_DIR
    elif out is None:
        # Other data into the shipped model's directory would silently replace it.
        raise fail(
            "--data needs --out DIR for the new model (only `linli train` without --data "
            "retrains the shipped model in nlp/model)"
        )
    try:
        examples: list[tuple[str, str]] = [tuple(e) for e in read_corpus(data)]  # type: ignore[misc]
    except CorpusError as exc:
        raise fail(str(exc)) from None
    if include_corrections:
        corrections = _load_corrections()
        # A corrected message overrides the corpus label of the same text. Corrections are
        # stored normalised, so the corpus is compared normalised too (script, width).
        corrected = {normalise(text) for text, _ in corrections}
        examples = [e for e in examples if normalise(e[0]) not in corrected] + list(corrections)
        typer.echo(f"added {len(corrections)} corrections from the database")
    if both:
        # Every input is read (and refused) before minutes of training start.
        _train_intent(None, None, seed)
    try:
        report = train_model(examples, out, seed=seed, progress=typer.echo)
    except TrainingError as exc:
        raise fail(str(exc)) from None
    if report.heldout_macro_f1 is not None:
        typer.echo(f"held-out macro-F1 {report.heldout_macro_f1:.3f} (before refit)")
    names = label_names(examples)
    for code, name in sorted(names.items(), key=lambda item: item[1]):
        # The codes the database and buttons carry; the bot shows the names.
        typer.echo(f"label {name} -> {code}")


def _train_intent(data: Path | None, out: Path | None, seed: int) -> None:
    """Train the intent model: the shipped corpus into nlp/intent_model, or DATA into OUT."""
    from nlp import intent as intent_module
    from nlp.training import CorpusError, TrainingError, read_corpus

    if data is None:
        out = out or DEFAULT_INTENT_MODEL_DIR
    elif out is None:
        raise fail(
            "--data needs --out DIR for the new model (only `linli train --intent` without "
            "--data retrains the shipped model in nlp/intent_model)"
        )
    try:
        if data is None:
            corpus = intent_module.shipped_intent_corpus()
        else:
            # Rows with nothing to read ("？？", "👍") are answered by a rule, not the model.
            corpus = read_corpus(data, skip_empty=True)
            intent_module.check_intent_labels(corpus, str(data))
    except CorpusError as exc:
        raise fail(str(exc)) from None
    examples = [(text, label) for text, label in corpus]
    typer.echo(f"intent model: {len(examples)} messages -> {out}")
    try:
        report = intent_module.train_intent(examples, out, seed=seed, progress=typer.echo)
    except TrainingError as exc:
        raise fail(str(exc)) from None
    if report.heldout_macro_f1 is not None:
        typer.echo(f"intent model: held-out macro-F1 {report.heldout_macro_f1:.3f} (before refit)")


@nlp_app.command()
def evaluate(
    model: Annotated[Path, typer.Option("--model", help="Model directory.")],
    data: Annotated[Path, typer.Option("--data", help="Labelled CSV (text,label).")],
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print accuracy, macro-F1 and per-label precision/recall/F1 of MODEL on DATA."""
    from nlp.classifier import Classifier, ModelNotFoundError
    from nlp.evaluation import evaluate as evaluate_model
    from nlp.training import CorpusError, read_corpus

    try:
        # A test set may hold a single message of a label; training needs two.
        examples = read_corpus(data, min_per_label=1)
        classifier = Classifier.load(model)
    except (CorpusError, ModelNotFoundError) as exc:
        raise fail(str(exc)) from None
    result = evaluate_model(classifier, examples)
    if json_output:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        typer.echo(result.format_text())
