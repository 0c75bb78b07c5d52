"""spaCy architectures registered by linli; import this module before loading a model.

`linli.CharNgramBOW.v1` is a sparse linear model over character n-grams plus jieba words.
Chinese meaning lives below the word: 漏水/渗水/水管 share 水, and jieba often splits a
colloquial or mistyped phrase differently from the training data, which a word-only
bag-of-words cannot recover from. Character 1-2-grams did clearly better than jieba tokens in
a trial on real messages, so this is the linear half of our TextCatEnsemble.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy
from spacy.ml.models.textcat import resize_and_set_ref
from spacy.strings import hash_string
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model, SparseLinear_v2, chain, softmax_activation, with_cpu
from thinc.layers.resizable import resizable, resize_linear_weighted
from thinc.types import Floats2d

_NEG_VALUE = -5000.0

NgramKeys = tuple[Any, Any, Any]


def doc_features(
    doc: Doc, char_ngram_size: int, word_ngram_size: int
) -> dict[str, int]:
    """Feature strings of one doc with their counts: c<n>: char n-grams, w<n>: word n-grams.

    Spaces and punctuation do not form character n-grams, so "电梯，坏了" and "电梯坏了"
    share 梯坏 only when typed without punctuation, like voice input usually is.
    """
    counts: dict[str, int] = {}
    text = "".join(ch for ch in doc.text if ch.isalnum())
    for n in range(1, char_ngram_size + 1):
        for start in range(len(text) - n + 1):
            key = f"c{n}:{text[start:start + n]}"
            counts[key] = counts.get(key, 0) + 1
    words = [token.norm_ for token in doc if not (token.is_space or token.is_punct)]
    for n in range(1, word_ngram_size + 1):
        for start in range(len(words) - n + 1):
            key = f"w{n}:" + "|".join(words[start:start + n])
            counts[key] = counts.get(key, 0) + 1
    return counts


def _extract_forward(
    model: Model[list[Doc], NgramKeys], docs: list[Doc], is_train: bool
) -> tuple[NgramKeys, Callable[[Any], list[Any]]]:
    char_n: int = model.attrs["char_ngram_size"]
    word_n: int = model.attrs["word_ngram_size"]
    batch_keys: list[Any] = []
    batch_vals: list[Any] = []
    for doc in docs:
        counts = doc_features(doc, char_n, word_n)
        keys = numpy.fromiter(
            (hash_string(key) for key in counts), dtype="uint64", count=len(counts)
        )
        # Sublinear counts, L2-normalised per message: a long message must not outvote a
        # short one by sheer length (the same reason TF-IDF baselines normalise).
        vals = numpy.log1p(numpy.fromiter(counts.values(), dtype="float32", count=len(counts)))
        norm = float(numpy.sqrt((vals * vals).sum())) or 1.0
        batch_keys.append(keys)
        batch_vals.append(vals / norm)
    lengths = model.ops.asarray1i([len(keys) for keys in batch_keys])
    keys_all = numpy.concatenate(batch_keys) if batch_keys else numpy.zeros((0,), "uint64")
    vals_all = numpy.concatenate(batch_vals) if batch_vals else numpy.zeros((0,), "float32")

    def backprop(d_output: Any) -> list[Any]:
        return []

    return (keys_all, model.ops.asarray(vals_all, dtype="f"), lengths), backprop


def extract_char_ngrams(char_ngram_size: int, word_ngram_size: int) -> Model[list[Doc], NgramKeys]:
    """A feature layer yielding hashed n-gram keys and weights for SparseLinear."""
    model: Model[list[Doc], NgramKeys] = Model("extract_char_ngrams", _extract_forward)
    model.attrs["char_ngram_size"] = char_ngram_size
    model.attrs["word_ngram_size"] = word_ngram_size
    return model


@registry.architectures("linli.CharNgramBOW.v1")
def build_char_ngram_bow(
    exclusive_classes: bool,
    char_ngram_size: int = 2,
    word_ngram_size: int = 1,
    length: int = 65536,
    nO: int | None = None,
) -> Model[list[Doc], Floats2d]:
    """Sparse linear text classifier over character and word n-grams (see module doc)."""
    length = 2 ** (length - 1).bit_length()
    sparse_linear = SparseLinear_v2(nO=nO, length=length)
    resizable_layer: Model[Any, Floats2d] = resizable(
        sparse_linear,
        resize_layer=partial(resize_linear_weighted, fill_defaults={"b": _NEG_VALUE, "W": 0}),
    )
    model: Model[list[Doc], Floats2d] = with_cpu(
        chain(extract_char_ngrams(char_ngram_size, word_ngram_size), resizable_layer),
        sparse_linear.ops,
    )
    if exclusive_classes:
        model = chain(model, with_cpu(softmax_activation(), sparse_linear.ops))
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse_linear)
    model.attrs["multi_label"] = not exclusive_classes
    model.attrs["resize_output"] = partial(resize_and_set_ref, resizable_layer=resizable_layer)
    return model
