from __future__ import annotations

import pytest

from nlp.urgency import detect_urgency


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("家里有好大的煤气味", "gas_leak"),
        ("厨房燃气泄漏了 咋个办", "gas_leak"),
        ("廚房著火了！", "fire"),
        ("楼下在冒黑烟", "fire"),
        ("老人摔倒了起不来", "fall"),
        ("我婆婆摔倒了", "fall"),
        ("水漫进屋了", "flooding"),
        ("管子爆了 到处是水", "flooding"),
        ("娃儿一个人在家 我在上班回不来", "child_alone"),
        ("孩子被反锁在屋头了", "child_alone"),
        ("我爸突然晕倒了", "medical"),
        ("隔壁老人叫不醒", "medical"),
        ("有人被困在电梯里", "trapped"),
        ("电线在冒火花", "electric"),
        ("隔壁家暴 在打老婆", "violence"),
        ("老漢兒暈倒了，快來人", "medical"),  # Traditional, colloquial
        ("我爸突然中风了", "medical"),
        ("最近很想死，不知道找谁", "self_harm"),
        ("活不下去了", "self_harm"),
    ],
)
def test_urgent(text: str, reason: str) -> None:
    assert detect_urgency(text) == reason


@pytest.mark.parametrize(
    "text",
    [
        "去年着过火",  # past
        "想死你了，啥时候回来",  # "miss you", not danger
        "热死了 空调坏了",
        "以前这里着火过一次",
        "楼道电瓶车充电，怕着火",  # feared, a hazard not an emergency
        "能不能搞个消防演练",
        "没有燃气味了",  # negated
        "我妈没晕倒 就是头晕",
        "燃气灶坏了打不燃",
        "电瓶车轮胎漏气",
        "电梯坏了",
        "楼上漏水",
        "娃儿放学后莫得人管",
        "外婆摔过一跤现在走路不稳",
        "想报名急救培训",
        "楼下有人在烧纸",  # a nuisance, not a fire
        "物业又抽风了",  # slang
        "我爸中风后想找康复训练",  # a health need, not an emergency
        "",
        "😭😭😭",
        "电梯坏了\x00" * 1000,
    ],
)
def test_not_urgent(text: str) -> None:
    assert detect_urgency(text) is None
