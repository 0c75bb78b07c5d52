"""jieba segmentation with the community dictionary, the same at training and at serving.

spaCy's Chinese tokenizer saves only the segmenter's name ("jieba"), not jieba's dictionary,
and jieba's dictionary is process-global. So every entry point that segments (training,
the classifier, keywords, similarity) calls `load_user_dictionary()` first; otherwise a model
trained with 四点半课堂 as one word would be served with it split into pieces.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import jieba

from nlp.normalize import normalise

USER_DICTIONARY_PATH = Path(__file__).parent / "userdict.txt"

_lock = threading.Lock()
_loaded = False


def load_user_dictionary() -> None:
    """Load `nlp/userdict.txt` into jieba's global dictionary, once per process."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        # jieba logs its dictionary build at DEBUG to stderr by default; keep the CLI quiet.
        jieba.setLogLevel(logging.WARNING)
        jieba.initialize()
        jieba.load_userdict(str(USER_DICTIONARY_PATH))
        _loaded = True


def segment(text: str) -> list[str]:
    """Split normalised `text` into words, dropping whitespace tokens."""
    return segment_normalised(normalise(text))


def segment_normalised(text: str) -> list[str]:
    """segment() of a text already in normalise()'s form (normalising twice costs time)."""
    load_user_dictionary()
    return [word for word in jieba.lcut(text) if word.strip()]
