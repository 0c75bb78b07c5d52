"""What a resident's message IS, before anyone asks which service it needs.

A message is a new need, talk about a request already filed (补充, 进度, 催办, 撤回), or
conversation (greeting, thanks, goodbye, questions about the bot or privacy, abuse, chitchat,
noise). The model is a second small spaCy pipeline of the classifier's kind (nlp/intent.cfg,
shipped in nlp/intent_model/), loaded through `nlp.classifier.Classifier`, so it shares the
normalisation, the calibration and the lock that makes it safe to share between threads.

The decision is biased the way the error budgets ask: a real need answered with small talk is
worse than small talk offered a category, so a message is conversation only if the summed
probability of the conversation labels reaches a threshold chosen by cross-validation on the
training data (saved in the model's meta, `conversation_threshold`); otherwise its kind is the
best of the other labels.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from nlp import training
from nlp.classifier import MAX_CHARS, Classifier, ModelNotFoundError
from nlp.normalize import has_content, normalise
from nlp.training import (
    CorpusError,
    LabelledText,
    TrainReport,
    check_examples,
    read_corpus,
    read_meta,
)

NLP_DIR = Path(__file__).parent
DEFAULT_INTENT_MODEL_PATH = NLP_DIR / "intent_model"
INTENT_CONFIG_PATH = NLP_DIR / "intent.cfg"
DATA_DIR = NLP_DIR / "data"
# The shipped intent corpus is read from its files in code rather than from a generated
# concatenation, so nothing can go stale: request talk and conversation written for this model,
# and the category corpus, whose messages are needs except those the relabel file names.
TALK_CORPUS = DATA_DIR / "intent_train_talk.csv"
CHAT_CORPUS = DATA_DIR / "intent_train_chat.csv"
NEED_CORPUS = DATA_DIR / "train.csv"
# Category "other" of the category corpus is a catch-all: beside real needs (居委会电话多少)
# it holds thanks (谢谢🙏🙏🙏), questions about the bot, 催办 and 撤回 (没事了，不用处理了).
# This file gives those messages their intent; relabelled `need` they would teach the model
# that thanks is a need.
NEED_RELABEL = DATA_DIR / "intent_relabel_train.csv"

META_THRESHOLD = "conversation_threshold"
# Saved in the meta of a model trained by `train_intent`, and used when a meta has none.
# Chosen by 5-fold cross-validation on the shipped training corpus (`benchmarks/intent_bench.py
# --cv`; intent_test.csv never used): the threshold minimising conversation-missed / 2 % +
# not-conversation-taken-for-conversation / 1 % (each error weighted by the inverse of its
# budget; needs and request talk both count as not conversation). Out of fold at 0.35:
# conversation missed 7.2 %, needs taken for conversation 0.8 %, request talk 7.9 %.
CONVERSATION_THRESHOLD = 0.35


class IntentKind(StrEnum):
    """What a message is (the model's labels)."""

    NEED = "need"
    MORE = "more"  # 补充 to a request already filed
    PROGRESS = "progress"  # 进度: how is my request doing
    PUSH = "push"  # 催办: hurry up
    WITHDRAW = "withdraw"  # 撤回: no longer needed
    GREETING = "greeting"
    THANKS = "thanks"
    GOODBYE = "goodbye"
    ABOUT_BOT = "about_bot"
    PRIVACY = "privacy"
    ABUSE = "abuse"
    CHITCHAT = "chitchat"
    NOISE = "noise"


CONVERSATION: frozenset[IntentKind] = frozenset(
    {
        IntentKind.GREETING,
        IntentKind.THANKS,
        IntentKind.GOODBYE,
        IntentKind.ABOUT_BOT,
        IntentKind.PRIVACY,
        IntentKind.ABUSE,
        IntentKind.CHITCHAT,
        IntentKind.NOISE,
    }
)
REQUEST_TALK: frozenset[IntentKind] = frozenset(
    {IntentKind.MORE, IntentKind.PROGRESS, IntentKind.PUSH, IntentKind.WITHDRAW}
)
INTENT_LABELS = frozenset(kind.value for kind in IntentKind)


@dataclass(frozen=True)
class Intent:
    """What one message is.

    `confidence` is the calibrated probability of `kind` (1.0 when a rule decided: nothing to
    read, or nothing but a request number); `conversation` is the summed probability of the
    CONVERSATION labels, the figure the threshold is applied to.
    """

    kind: IntentKind
    confidence: float
    conversation: float
    number: int | None  # the request number the text names (#12, 12号单, 单号12, ...)
    only_number: bool  # the text is nothing but that reference

    @property
    def conversational(self) -> bool:
        """True for greeting, thanks, ... noise: nothing to file and no request to act on."""
        return self.kind in CONVERSATION


# --- request numbers ----------------------------------------------------------------------

# Up to 7 digits, not inside a longer number: phone numbers (11 digits) never match.
_N = r"(?<![0-9])([0-9]{1,7})(?![0-9])"
# After a bare "#12" or "单号12", a unit or a date word means it was not a request number.
_NOT_AFTER = r"(?!\s*(?:[.,:][0-9]|[个件条栋幢楼层单元室户号点时分秒年月日周天万元块岁米斤%]))"
_REFERENCE = re.compile(
    # #12, ＃12 (normalised to #), # 12
    rf"#\s*{_N}{_NOT_AFTER}"
    # 12号单, 12号工单, 第12号需求, 12号单子 (not 2号单元, 12号楼)
    rf"|(?:第\s*)?{_N}\s*号\s*(?:工单|单子|单(?![元位价])|需求|请求|诉求|事项)"
    # 单号12, 单号：12, 单号是12, 工单12, 工单号 12, 需求编号12, 需求12
    rf"|(?:工单|单号|需求|请求|诉求)\s*(?:编号|号码|号)?\s*(?:[:：]|是|为)?\s*{_N}{_NOT_AFTER}",
    re.IGNORECASE,
)


def _reference(cleaned: str) -> re.Match[str] | None:
    for match in _REFERENCE.finditer(cleaned):
        if int(next(group for group in match.groups() if group is not None)) > 0:
            return match
    return None


def _number(match: re.Match[str]) -> int:
    return int(next(group for group in match.groups() if group is not None))


def request_number(text: str) -> int | None:
    """The request number `text` names ("#12", "12号单", "单号12", "第12号需求"), else None.

    Flats, times, dates and phone numbers are not request numbers: "3栋", "12点", "2024年",
    "13812345678" give None. With several references, the first counts.
    """
    match = _reference(normalise(text)[:MAX_CHARS])
    return _number(match) if match else None


# Words that only say "request" around a reference: "工单 #8" is still nothing but #8.
_REFERENCE_WORDS = re.compile(r"工单|单号|单子|需求|请求|诉求|编号")


def _only_reference(cleaned: str, match: re.Match[str]) -> bool:
    rest = cleaned[: match.start()] + cleaned[match.end() :]
    return not has_content(_REFERENCE_WORDS.sub("", rest))


# --- text with nothing to read ------------------------------------------------------------

# Emoji a resident sends to say thanks or OK: thumbs up, OK hand, praying hands, victory,
# handshake, clapping, salute, 🆗, ✅, 💯, hearts and flowers. Smileys are not thanks (the chat
# corpus labels 🙂 and 😁 noise); a waving hand is a greeting (as the chat corpus labels 👋).
THANKS_EMOJI = frozenset("👍👌🙏✌🤝👏🫡🆗✅☑✔💯❤♥💕💖💗🌹💐")
GREETING_EMOJI = frozenset("👋")


def _emoji_kind(text: str) -> IntentKind:
    """THANKS or GREETING if the symbols of `text` all say so, else NOISE.

    Looks at the raw text: normalise() keeps only the first emoji of a run.
    """
    symbols = {char for char in text[: MAX_CHARS * 4] if unicodedata.category(char) == "So"}
    if symbols and symbols <= THANKS_EMOJI:
        return IntentKind.THANKS
    if symbols and symbols <= GREETING_EMOJI:
        return IntentKind.GREETING
    return IntentKind.NOISE


# --- the classifier -----------------------------------------------------------------------


class Probabilities(Protocol):
    """What IntentClassifier needs of a model: `nlp.classifier.Classifier` provides it."""

    @property
    def labels(self) -> tuple[str, ...]: ...

    def probabilities_many(
        self, texts: Iterable[str], batch_size: int = 256
    ) -> list[dict[str, float]]: ...


class IntentClassifier:
    """A loaded intent model; build once with `IntentClassifier.load()` and share it.

    Thread-safe: it holds no state of its own, and the model it wraps serialises its calls.
    """

    def __init__(self, model: Probabilities, *, threshold: float = CONVERSATION_THRESHOLD):
        unknown = sorted(set(model.labels) - INTENT_LABELS)
        if unknown:
            raise ValueError(f"not an intent model: unknown label(s) {', '.join(unknown)}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"conversation threshold must be in (0, 1], got {threshold}")
        self._model = model
        self._threshold = threshold

    @classmethod
    def load(cls, path: Path | None = None) -> IntentClassifier:
        """Load an intent model directory (None = the shipped model in nlp/intent_model/)."""
        model_dir = Path(path) if path is not None else DEFAULT_INTENT_MODEL_PATH
        if not (model_dir / "config.cfg").is_file():
            raise ModelNotFoundError(
                f"no intent model in {model_dir}: train one with `linli train --intent`"
            )
        threshold = read_meta(model_dir).get(META_THRESHOLD, CONVERSATION_THRESHOLD)
        return cls(Classifier.load(model_dir), threshold=float(threshold))

    @property
    def threshold(self) -> float:
        """Summed conversation probability at or above which a message is conversation."""
        return self._threshold

    @property
    def labels(self) -> tuple[str, ...]:
        """The intent labels the model was trained on."""
        return self._model.labels

    def classify(self, text: str) -> Intent:
        """What one message is."""
        return self.classify_many([text])[0]

    def classify_many(self, texts: Iterable[str]) -> list[Intent]:
        """What many messages are, in order (the model runs once, in batches)."""
        raw = list(texts)
        cleaned = [normalise(text)[:MAX_CHARS] for text in raw]
        results: list[Intent | None] = [None] * len(raw)
        to_model: list[int] = []
        for index, (original, text) in enumerate(zip(raw, cleaned, strict=True)):
            if not has_content(text):
                results[index] = Intent(_emoji_kind(original), 1.0, 1.0, None, False)
                continue
            match = _reference(text)
            if match and _only_reference(text, match):
                # "#12" alone: the resident points at a request, so the bot shows it.
                results[index] = Intent(IntentKind.PROGRESS, 1.0, 0.0, _number(match), True)
                continue
            to_model.append(index)
        rows = self._model.probabilities_many(cleaned[index] for index in to_model)
        for index, row in zip(to_model, rows, strict=True):
            match = _reference(cleaned[index])
            results[index] = self._decide(row, _number(match) if match else None)
        return [result for result in results if result is not None]

    def _decide(self, row: dict[str, float], number: int | None) -> Intent:
        conversation = min(1.0, sum(p for label, p in row.items() if label in CONVERSATION))
        if conversation >= self._threshold:
            group = [label for label in row if label in CONVERSATION]
        else:
            group = [label for label in row if label not in CONVERSATION] or list(row)
        # Model label order breaks ties, so the answer is the same on every run.
        best = max(group, key=lambda label: row[label])
        return Intent(IntentKind(best), round(row[best], 4), round(conversation, 4), number, False)


# --- the corpus and training --------------------------------------------------------------


def check_intent_labels(
    examples: Sequence[tuple[str, str]], source: str, *, require_need: bool = True
) -> None:
    """Raise CorpusError unless every label is an intent (and, if required, `need` is one)."""
    labels = Counter(label for _, label in examples)
    unknown = sorted(set(labels) - INTENT_LABELS)
    if unknown:
        raise CorpusError(
            f"{source}: label(s) {', '.join(unknown)} are not intents "
            f"(expected some of {', '.join(kind.value for kind in IntentKind)})"
        )
    if require_need and IntentKind.NEED not in labels:
        raise CorpusError(f"{source}: no `need` examples; the intent model must know needs")


def shipped_intent_corpus(
    talk: Path = TALK_CORPUS,
    chat: Path = CHAT_CORPUS,
    needs: Path = NEED_CORPUS,
    relabel: Path = NEED_RELABEL,
) -> list[LabelledText]:
    """The shipped intent corpus, in a deterministic order: the talk and chat files as
    labelled, then every message of the category corpus as `need`, or with its label in
    `relabel` (matched on normalised text) if it is not a need.

    Rows with nothing to read are skipped (a rule answers them); exact repeats (same
    normalised text and label) are kept once. A relabel row naming no message of `needs` is
    an error: the category corpus changed under it.
    """
    examples: list[LabelledText] = []
    for path in (talk, chat):
        part = read_corpus(path, min_per_label=1, skip_empty=True)
        check_intent_labels(part, str(path), require_need=False)
        examples.extend(part)
    relabelled = read_corpus(relabel, min_per_label=1, skip_empty=True)
    check_intent_labels(relabelled, str(relabel), require_need=False)
    intent_of = {normalise(text): label for text, label in relabelled}
    category = read_corpus(needs, min_per_label=1)
    unmatched = sorted(set(intent_of) - {normalise(text) for text, _ in category})
    if unmatched:
        raise CorpusError(
            f"{relabel}: {len(unmatched)} message(s) not in {needs}, e.g. {unmatched[0]!r}"
        )
    examples.extend(
        LabelledText(text, intent_of.get(normalise(text), IntentKind.NEED.value))
        for text, _ in category
    )
    seen: set[tuple[str, str]] = set()
    unique: list[LabelledText] = []
    for text, label in examples:
        key = (normalise(text), label)
        if key not in seen:
            seen.add(key)
            unique.append(LabelledText(text, label))
    return unique


def train_intent(
    examples: Sequence[tuple[str, str]],
    out_dir: Path,
    *,
    seed: int = 0,
    config_path: Path | None = None,
    threshold: float = CONVERSATION_THRESHOLD,
    progress: Callable[[str], None] = print,
    epochs: int | None = None,
) -> TrainReport:
    """Train an intent model with nlp/intent.cfg and save it with its conversation threshold."""
    check_intent_labels(examples, "intent corpus")
    check_examples(examples)
    # Through the module, so a test that stands in for training.train stands in here too.
    return training.train(
        examples,
        out_dir,
        seed=seed,
        config_path=config_path or INTENT_CONFIG_PATH,
        progress=progress,
        epochs=epochs,
        extra_meta={"model": "intent", META_THRESHOLD: threshold},
    )


def choose_threshold(
    conversation: Sequence[float],
    is_conversation: Sequence[bool],
    *,
    conversation_budget: float = 0.02,
    other_budget: float = 0.01,
) -> float:
    """The threshold minimising the two error rates, each divided by its budget.

    `conversation` holds out-of-fold summed conversation probabilities, `is_conversation`
    whether each message truly is conversation. Errors: a conversation message under the
    threshold (filed or offered a category; budget 2 %), any other message at or over it (a
    need or a 催办 answered with small talk; budget 1 %). Of equally good thresholds the
    middle one is taken (a margin both ways).
    """
    n_conv = sum(is_conversation) or 1
    n_other = (len(is_conversation) - sum(is_conversation)) or 1
    grid = [round(0.05 + 0.01 * step, 2) for step in range(91)]  # 0.05 .. 0.95
    costs = []
    for threshold in grid:
        missed = sum(
            1
            for p, conv in zip(conversation, is_conversation, strict=True)
            if conv and p < threshold
        )
        taken = sum(
            1
            for p, conv in zip(conversation, is_conversation, strict=True)
            if not conv and p >= threshold
        )
        costs.append(missed / n_conv / conversation_budget + taken / n_other / other_budget)
    best = min(costs)
    # The longest run of optimal thresholds, and its middle.
    runs: list[list[float]] = []
    for threshold, cost in zip(grid, costs, strict=True):
        if cost <= best + 1e-12:
            if runs and round(runs[-1][-1] + 0.01, 2) == threshold:
                runs[-1].append(threshold)
            else:
                runs.append([threshold])
    longest = max(runs, key=len)
    return longest[len(longest) // 2]
