from __future__ import annotations

import numpy
import pytest
import spacy
from spacy.strings import get_string_id

from nlp.architectures import (
    block_features,
    build_block_ngram_bow,
    build_char_ngram_bow,
    doc_features,
    extract_char_ngrams,
    fit_idf,
    softmax_output,
)
from nlp.segment import load_user_dictionary


def make_nlp() -> spacy.language.Language:
    load_user_dictionary()
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})


def test_features_ignore_punctuation_spaces_and_emoji() -> None:
    nlp = make_nlp()
    variants = ["电梯坏了", "电梯 坏了", "电梯，坏了！！", "😭电梯坏了😭", "电梯、坏了。"]
    features = [doc_features(nlp(text), 2, 1) for text in variants]
    assert all(f == features[0] for f in features)
    assert "c2:梯坏" in features[0]  # bigrams run across removed punctuation
    assert "w1:电梯" in features[0]


def test_features_of_empty_doc() -> None:
    assert doc_features(make_nlp()(""), 2, 1) == {}


def test_extract_weights_are_l2_normalised() -> None:
    nlp = make_nlp()
    layer = extract_char_ngrams(2, 1, 1024)
    (keys, values, lengths), _ = layer([nlp("电梯坏了"), nlp("")], is_train=False)
    assert list(lengths) == [len(doc_features(nlp("电梯坏了"), 2, 1)), 0]
    assert numpy.isclose(float((values * values).sum()), 1.0)
    assert keys.dtype == numpy.uint64


def test_fit_idf_weighs_rare_ngrams_more() -> None:
    nlp = make_nlp()
    model = build_char_ngram_bow(exclusive_classes=True, length=1024, nO=2)
    docs = [nlp(text) for text in ["电梯坏了", "路灯坏了", "水管坏了", "义仓在哪"]]
    assert fit_idf(model, docs)
    layer = next(node for node in model.walk() if node.name == "extract_char_ngrams")
    idf = layer.get_param("idf")

    def weight(key: str) -> float:
        return float(idf[get_string_id(key) % 1024])

    assert weight("c1:义") > weight("c1:坏")
    assert not fit_idf(softmax_output(), docs)


def test_softmax_gradients() -> None:
    logits = numpy.array([[2.0, 0.0, -1.0]], dtype="f")
    truth = numpy.array([[1.0, 0.0, 0.0]], dtype="f")
    ce = softmax_output()
    probabilities, backprop = ce(logits, is_train=True)
    assert numpy.isclose(probabilities.sum(), 1.0)
    # Cross-entropy: the gradient with respect to the logits is probabilities - truth.
    assert numpy.allclose(backprop(probabilities - truth), probabilities - truth)
    hinge = softmax_output("squared_hinge")
    probabilities, backprop = hinge(logits, is_train=True)
    gradient = backprop(probabilities - truth)
    # Correct class beyond the margin and wrong classes below -1 get no gradient.
    assert gradient[0, 0] == 0.0
    assert gradient[0, 2] == 0.0
    assert gradient[0, 1] > 0.0  # the wrong class at 0 is pushed down


def test_unknown_loss() -> None:
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        softmax_output("hinge")


def test_multilabel_and_logits_variants() -> None:
    nlp = make_nlp()
    docs = [nlp("电梯坏了"), nlp("路灯不亮")]
    for model in (
        build_char_ngram_bow(exclusive_classes=False, length=1024, nO=3),
        build_char_ngram_bow(exclusive_classes=True, no_output_layer=True, length=1024, nO=3),
    ):
        model.initialize()
        assert model.predict(docs).shape == (2, 3)


def test_block_features_read_the_subject_apart() -> None:
    nlp = make_nlp()
    features = block_features(nlp("电梯坏了\n已经三天, 没人修"), 3, 1)
    assert "c3:梯坏了" in features and "w1:电梯" in features  # the whole text
    assert features["sc2:电梯"] == 1 and features["sw1:电梯"] == 1  # the subject alone
    assert not any(key.startswith("s") and "修" in key for key in features)
    # Without a subject line there is no subject block.
    assert not any(key.startswith("s") for key in block_features(nlp("电梯坏了"), 3, 1))


def test_block_weights_normalise_each_block() -> None:
    nlp = make_nlp()
    layer = extract_char_ngrams(3, 1, 4096, blocks=(1.0, 0.5, 2.0))
    doc = nlp("电梯坏了\n已经三天没人修了")
    (_keys, values, _), _ = layer([doc], is_train=False)
    kinds = [key[0] for key in block_features(doc, 3, 1)]
    for kind, weight in (("c", 1.0), ("w", 0.5), ("s", 2.0)):
        block = numpy.array([v for v, k in zip(values, kinds, strict=True) if k == kind])
        assert numpy.isclose(float(numpy.sqrt((block * block).sum())), weight)


def test_block_model_trains_and_predicts() -> None:
    nlp = make_nlp()
    model = build_block_ngram_bow(exclusive_classes=True, length=4096, nO=2)
    docs = [nlp(text) for text in ["电梯坏了\n没人修", "工资拖欠\n老板跑了"]]
    model.initialize()
    assert fit_idf(model, docs)
    scores = model.predict(docs)
    assert scores.shape == (2, 2)
    assert numpy.allclose(scores.sum(axis=1), 1.0)
