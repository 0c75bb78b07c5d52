"""What residents are talking about this week: the top keywords of many messages.

For the weekly summary an admin forwards upward. A word scores by how many messages use it
(not how often one message repeats it, so one angry resident does not set the agenda) times
its inverse document frequency from jieba's general-Chinese table, so 电梯 outranks 问题.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jieba.analyse

from nlp.segment import segment, segment_normalised

STOPWORDS_PATH = Path(__file__).parent / "stopwords.txt"
# Particles jieba glues to words (又坏了, 好几天); stripped so the topic word is counted.
_EDGE_PARTICLES = "的了又还也都就呢吗嘛啊呀哦么着过得地"


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Function words, greetings and Sichuan fillers that never make a useful keyword."""
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip())


@lru_cache(maxsize=1)
def _idf() -> tuple[dict[str, float], float]:
    # jieba ships its IDF table inside the package: nothing is downloaded.
    extractor = jieba.analyse.TFIDF()
    return extractor.idf_freq, float(extractor.median_idf)


def is_content_word(word: str) -> bool:
    """A word of 2+ characters with a letter in it, not a stop word."""
    return len(word) >= 2 and word not in stop_words() and any(char.isalpha() for char in word)


def top_keywords(
    texts: Sequence[str], k: int = 5, *, normalised: bool = False
) -> list[tuple[str, float]]:
    """The k most characteristic words of `texts`, with weights in (0, 1], best first.

    `normalised`: the texts are already in normalise()'s form (stored requests are), which
    saves normalising them again.
    """
    if k <= 0:
        return []
    cut = segment_normalised if normalised else segment
    document_frequency: Counter[str] = Counter()
    for text in texts:
        words = {word.lower().strip(_EDGE_PARTICLES) for word in cut(text)}
        document_frequency.update(word for word in words if is_content_word(word))
    if not document_frequency:
        return []
    idf, median = _idf()
    scores = {word: count * idf.get(word, median) for word, count in document_frequency.items()}
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
    best = ranked[0][1]
    return [(word, round(score / best, 4)) for word, score in ranked]
