"""nlp.intent: request numbers, the rules for text with nothing to read, the threshold rule,
a tiny trained intent model, and the shipped model on clear cases."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nlp.classifier import ModelNotFoundError
from nlp.intent import (
    CONVERSATION,
    META_THRESHOLD,
    REQUEST_TALK,
    Intent,
    IntentClassifier,
    IntentKind,
    check_intent_labels,
    choose_threshold,
    request_number,
    shipped_intent_corpus,
    train_intent,
)
from nlp.training import CorpusError, TrainReport, read_corpus, read_meta

TINY_INTENT_CORPUS = Path(__file__).parent / "tiny_intent_corpus.csv"


@pytest.fixture(scope="session")
def tiny_intent_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, TrainReport]:
    out = tmp_path_factory.mktemp("tiny_intent") / "model"
    report = train_intent(
        read_corpus(TINY_INTENT_CORPUS), out, seed=0, epochs=8, progress=lambda _: None
    )
    return out, report


@pytest.fixture(scope="session")
def shipped_intents() -> IntentClassifier:
    return IntentClassifier.load()


class Stub:
    """Stands in for the model: fixed probabilities for every message."""

    def __init__(self, row: dict[str, float]) -> None:
        self.row = row
        self.seen: list[str] = []

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.row)

    def probabilities_many(
        self, texts: Iterable[str], batch_size: int = 256
    ) -> list[dict[str, float]]:
        texts = list(texts)
        self.seen.extend(texts)
        return [dict(self.row) for _ in texts]


# --- labels --------------------------------------------------------------------------------


def test_groups_partition_the_labels() -> None:
    assert len(IntentKind) == 13
    assert not CONVERSATION & REQUEST_TALK
    assert set(IntentKind) == CONVERSATION | REQUEST_TALK | {IntentKind.NEED}
    assert IntentKind("about_bot") is IntentKind.ABOUT_BOT


# --- request numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("#12", 12),
        ("＃12", 12),
        ("# 12", 12),
        ("#１２", 12),
        ("12号单", 12),
        ("12号工单", 12),
        ("单号12", 12),
        ("单号：12", 12),
        ("单号是 12", 12),
        ("工单12", 12),
        ("工单号１２３０８７显示已办结", 123087),
        ("第12号需求", 12),
        ("單號12", 12),  # Traditional
        ("我的#7 咋样了", 7),
        ("单号35都等了十天了 快点处理", 35),
    ],
)
def test_request_number(text: str, number: int) -> None:
    assert request_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        "3栋",
        "3栋2单元漏水",
        "12点了还在吵",
        "13812345678",
        "电话 138 1234 5678",
        "#13812345678",
        "2024年",
        "2号单元",
        "12号楼",
        "我家住12号",
        "#3栋",
        "需求3个",
        "#0",
        "电梯坏了",
        "",
    ],
)
def test_not_a_request_number(text: str) -> None:
    assert request_number(text) is None


@pytest.mark.parametrize(
    "text", ["#12", "＃12", "12号单", "单号：12", "工单 #12", "#12？", " 第12号需求 "]
)
def test_only_number(text: str) -> None:
    intent = IntentClassifier(Stub({"need": 0.1, "greeting": 0.9})).classify(text)
    assert intent.number == 12
    assert intent.only_number
    # A bare reference is a request to see it; the model is not asked.
    assert intent.kind == IntentKind.PROGRESS
    assert not intent.conversational


def test_number_inside_a_message() -> None:
    stub = Stub({"need": 0.1, "progress": 0.8, "greeting": 0.1})
    intent = IntentClassifier(stub).classify("#12 咋个还没人来")
    assert (intent.number, intent.only_number, intent.kind) == (12, False, IntentKind.PROGRESS)
    assert stub.seen == ["#12 咋个还没人来"]


# --- nothing to read -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("", IntentKind.NOISE),
        ("   ", IntentKind.NOISE),
        ("？？？", IntentKind.NOISE),
        ("。。。", IntentKind.NOISE),
        ("\u200b", IntentKind.NOISE),
        ("😂😂😂", IntentKind.NOISE),
        ("🙂", IntentKind.NOISE),
        ("👍", IntentKind.THANKS),
        ("👍👍👍", IntentKind.THANKS),
        ("👍🏻", IntentKind.THANKS),  # skin tone
        ("👌", IntentKind.THANKS),
        ("🙏🙏", IntentKind.THANKS),
        ("✌️", IntentKind.THANKS),  # with variation selector
        ("🤝", IntentKind.THANKS),
        ("🌹🌹🌹！", IntentKind.THANKS),
        ("👍😡", IntentKind.NOISE),
        ("👋", IntentKind.GREETING),
    ],
)
def test_nothing_to_read(text: str, kind: IntentKind) -> None:
    stub = Stub({"need": 1.0, "greeting": 0.0})
    intent = IntentClassifier(stub).classify(text)
    assert intent == Intent(kind, 1.0, 1.0, None, False)
    assert intent.conversational
    assert stub.seen == []  # the model is not asked


# --- the threshold rule --------------------------------------------------------------------


def test_conversation_needs_the_summed_probability_to_reach_the_threshold() -> None:
    # Conversation sums to 0.55, more than any single label, but under the threshold.
    row = {"need": 0.3, "push": 0.15, "greeting": 0.3, "thanks": 0.25}
    intent = IntentClassifier(Stub(row), threshold=0.6).classify("在吗 谢谢")
    assert intent.kind == IntentKind.NEED
    assert intent.confidence == 0.3
    assert intent.conversation == pytest.approx(0.55)
    assert not intent.conversational

    intent = IntentClassifier(Stub(row), threshold=0.55).classify("在吗 谢谢")
    assert intent.kind == IntentKind.GREETING  # the best conversation label
    assert intent.confidence == 0.3
    assert intent.conversational


def test_a_conversation_label_that_wins_alone_is_not_enough() -> None:
    row = {"need": 0.3, "greeting": 0.45, "chitchat": 0.05, "progress": 0.2}
    intent = IntentClassifier(Stub(row), threshold=0.6).classify("x")
    assert intent.kind == IntentKind.NEED


def test_bad_models_and_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="repairs"):
        IntentClassifier(Stub({"need": 0.5, "repairs": 0.5}))
    with pytest.raises(ValueError, match="threshold"):
        IntentClassifier(Stub({"need": 0.5, "greeting": 0.5}), threshold=0.0)


def test_choose_threshold_weighs_errors_by_budget() -> None:
    # Conversation messages at 0.9 and 0.35; others at 0.1 and 0.45. Missing one of two
    # conversation messages costs 25 budgets, taking one of two others for conversation 50,
    # so the threshold lets the 0.35 conversation message go rather than take the 0.45 one.
    threshold = choose_threshold([0.9, 0.35, 0.1, 0.45], [True, True, False, False])
    assert 0.45 < threshold <= 0.9
    # Separable: the middle of the gap between the classes.
    assert 0.45 <= choose_threshold([0.9, 0.8, 0.1, 0.2], [True, True, False, False]) <= 0.55


# --- a tiny trained model ------------------------------------------------------------------


def test_tiny_model(tiny_intent_model: tuple[Path, TrainReport]) -> None:
    classifier = IntentClassifier.load(tiny_intent_model[0])
    assert set(classifier.labels) == {kind.value for kind in IntentKind}
    assert classifier.threshold == read_meta(tiny_intent_model[0])[META_THRESHOLD]
    intents = classifier.classify_many(["电梯坏了好几天了", "", "#3", "谢谢"])
    # 32 messages teach little; the rule is what is checked here.
    assert 0.0 <= intents[0].confidence <= 1.0
    assert 0.0 <= intents[0].conversation <= 1.0
    assert intents[0].conversational == (intents[0].conversation >= classifier.threshold)
    assert intents[1].kind == IntentKind.NOISE
    assert intents[2].only_number
    assert intents[3] == classifier.classify("谢谢")


def test_tiny_model_is_thread_safe(tiny_intent_model: tuple[Path, TrainReport]) -> None:
    classifier = IntentClassifier.load(tiny_intent_model[0])
    texts = ["电梯坏了", "你好", "催一下", "不用了", "谢谢"] * 20
    expected = [classifier.classify(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(classifier.classify, texts)) == expected


def test_long_text_is_cut(tiny_intent_model: tuple[Path, TrainReport]) -> None:
    classifier = IntentClassifier.load(tiny_intent_model[0])
    intent = classifier.classify("电梯坏了" * 2500)
    assert intent.kind in set(IntentKind)


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="linli train --intent"):
        IntentClassifier.load(tmp_path)


def test_intent_labels_are_checked() -> None:
    with pytest.raises(CorpusError, match="repairs"):
        check_intent_labels([("电梯坏了", "repairs"), ("你好", "greeting")], "x.csv")
    with pytest.raises(CorpusError, match="need"):
        check_intent_labels([("谢谢", "thanks"), ("你好", "greeting")], "x.csv")


def test_shipped_corpus_relabels_the_category_corpus(tmp_path: Path) -> None:
    talk = tmp_path / "talk.csv"
    talk.write_text("text,label\n我那个单子咋样了,progress\n不用了,withdraw\n", encoding="utf-8")
    chat = tmp_path / "chat.csv"
    chat.write_text("text,label\n你好,greeting\n👍,thanks\n？？,noise\n你好,greeting\n", "utf-8")
    needs = tmp_path / "needs.csv"
    needs.write_text(
        "text,label\n电梯坏了,repairs\n謝謝社工,other\n居委会电话多少,other\n", "utf-8"
    )
    relabel = tmp_path / "relabel.csv"
    relabel.write_text("text,label\n谢谢社工,thanks\n", encoding="utf-8")
    corpus = shipped_intent_corpus(talk, chat, needs, relabel)
    assert corpus == [
        ("我那个单子咋样了", "progress"),
        ("不用了", "withdraw"),
        ("你好", "greeting"),  # once; emoji and punctuation rows are for the rule
        ("电梯坏了", "need"),
        ("謝謝社工", "thanks"),  # matched on normalised text
        ("居委会电话多少", "need"),
    ]
    relabel.write_text("text,label\n谢谢社工,thanks\n不在语料里,thanks\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="not in"):
        shipped_intent_corpus(talk, chat, needs, relabel)


# --- the shipped model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好", IntentKind.GREETING),
        ("谢谢", IntentKind.THANKS),
        ("电梯坏了三天了", IntentKind.NEED),
        ("有人接单没有", IntentKind.PROGRESS),
        ("不用了 邻居帮忙修好了", IntentKind.WITHDRAW),
        ("再见", IntentKind.GOODBYE),
        ("楼道路灯不亮了", IntentKind.NEED),
        ("👍", IntentKind.THANKS),
    ],
)
def test_shipped_model_clear_cases(
    shipped_intents: IntentClassifier, text: str, kind: IntentKind
) -> None:
    assert shipped_intents.classify(text).kind == kind


def test_shipped_model_has_every_label_and_a_threshold(shipped_intents: IntentClassifier) -> None:
    assert set(shipped_intents.labels) == {kind.value for kind in IntentKind}
    assert 0.0 < shipped_intents.threshold < 1.0
