from __future__ import annotations

from nlp.keywords import is_content_word, stop_words, top_keywords


def test_top_keywords_finds_the_common_topic() -> None:
    texts = [
        "3栋电梯坏了",
        "電梯又壞了，物业莫得人管",
        "电梯停了好几天了",
        "楼道路灯不亮",
        "物业不管，电梯还是坏的",
    ]
    keywords = top_keywords(texts, k=3)
    assert keywords[0][0] == "电梯"
    assert keywords[0][1] == 1.0
    assert "物业" in [word for word, _ in keywords]
    weights = [weight for _, weight in keywords]
    assert weights == sorted(weights, reverse=True)
    assert all(0 < weight <= 1 for weight in weights)


def test_counts_messages_not_repetitions() -> None:
    texts = ["垃圾 垃圾 垃圾 垃圾 垃圾", "路灯坏了", "路灯不亮", "路灯好暗"]
    assert top_keywords(texts, k=1)[0][0] == "路灯"


def test_stop_words_and_dialect_fillers_are_filtered() -> None:
    keywords = [word for word, _ in top_keywords(["请问咋个办居住证", "啥子时候能办居住证嘛"], k=5)]
    assert "居住证" in keywords
    assert not {"请问", "咋个", "啥子"} & set(keywords)
    assert "咋个" in stop_words()


def test_bad_input() -> None:
    assert top_keywords([]) == []
    assert top_keywords(["", "   ", "😭😭", "\x00"]) == []
    assert top_keywords(["电梯坏了"], k=0) == []
    assert top_keywords(["电梯坏了 " * 2000], k=2)[0][0] == "电梯"


def test_is_content_word() -> None:
    assert is_content_word("电梯")
    assert not is_content_word("了")
    assert not is_content_word("123")
    assert not is_content_word("，，")


def test_normalised_texts_give_the_same_keywords() -> None:
    from nlp.normalize import normalise

    texts = ["電梯又壞了三天了", "电梯坏了没人修", "楼道的灯不亮", "电梯关人了"]
    assert top_keywords([normalise(t) for t in texts], 3, normalised=True) == top_keywords(texts, 3)
