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


# Voice-typed messages have no punctuation, so the whole message is one clause: a fear, a
# doubt or a "what if" said about something else in it must not cancel the danger.
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("我好害怕屋头着火了", "fire"),  # fear, but the fire is happening (了)
        ("厨房一股煤气味好担心", "gas_leak"),  # the worry comes after the fact
        ("我爸晕倒了不知道是不是中风", "medical"),  # the doubt is about the cause
        ("我妈摔倒了起不来了万一骨折了咋办", "fall"),  # the "what if" is about what follows
        ("老人倒在楼道里不动了", "medical"),  # lying motionless
        ("婆婆倒在厕所头喊不应", "medical"),
        ("隔壁老汉儿倒地不起", "medical"),
        ("煤气味好大哦我好怕", "gas_leak"),
        ("屋头冒烟了好吓人哦", "fire"),
        ("好可怕楼下着火了", "fire"),
        ("隔壁嬢嬢晕倒了咋个办哦", "medical"),
        ("老汉儿摔倒了爬不起来了好担心", "fall"),
        ("我爸晕过去了", "medical"),  # 晕过去 is not "in the past" (过去)
        ("主要是煤气味好大", "gas_leak"),  # 主要是 is not "if" (要是)
        ("楼下是不是着火了到处是烟", "fire"),  # a question about what is happening now
        ("上次修的水管又爆了", "flooding"),  # past, then back to now
        ("娃儿一个人在家我好担心", "child_alone"),
    ],
)
def test_urgent_in_one_unpunctuated_clause(text: str, reason: str) -> None:
    assert detect_urgency(text) == reason


# The same words do cancel the danger when they scope over it, i.e. come right before it.
@pytest.mark.parametrize(
    "text",
    [
        "楼道里堆起电瓶车好怕屋头着火",  # feared
        "万一着火了咋办",  # supposed, even in the perfective
        "要是老人摔倒了起不来咋个办",
        "如果燃气泄漏了应该打哪个电话",
        "如果楼下那家一直在阳台上烧东西着火了咋办",  # the condition set up earlier
        "楼道堆满杂物怕着火了就麻烦了",
        "煤气泄漏的话打哪个电话",
        "会不会漏电哦",  # asked about
        "有没有煤气泄漏想请人来查一下",
        "担心煤气泄漏想装个报警器",
        "上次电梯关住人了物业到现在都没管",  # past
        "去年冬天水管爆了",
        "燃气泄漏过一次现在修好了",  # experiential 过
        "小区搞急救知识讲座",  # a course about it
        "火灾咋个预防",  # prevention
        "老人摔倒了怎么预防",
        "楼道有火灾隐患电线乱拉",  # a hazard, not a fire
        "老人躺在床上不想动",
        "树倒在路上了",
    ],
)
def test_not_urgent_when_fear_or_hedge_scopes_over_danger(text: str) -> None:
    assert detect_urgency(text) is None
