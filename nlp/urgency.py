"""Spot messages that describe danger now, so the bot can tell the resident to call 119/120.

Rules, not the classifier: an emergency is rare in the corpus, has to be caught even when
phrased in Sichuan dialect or Traditional characters, and a reason code ("gas_leak") tells
the bot exactly which advice to give. Each rule is a pattern checked clause by clause; a
clause that negates it (没有燃气味), puts it in the past (去年着过火) or only fears it
(怕着火, 消防演练) does not count, because crying wolf would train people to ignore it.
"""

from __future__ import annotations

import re

from nlp.normalize import normalise

# Ordered by how fast help must come: the first matching reason is returned.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "gas_leak",
        (
            r"(燃气|煤气|天然气|液化气|气罐)(的)?(味|泄漏|泄露|在漏|漏了|漏气)",
            r"(燃气|煤气|天然气|液化气|气罐).{0,6}(漏气|泄漏|泄露|好大的味|味道好大|味好大)",
            r"(闻到|有股|好大).{0,3}(燃气|煤气|天然气)",
        ),
    ),
    ("fire", (r"(着火|起火|失火|燃起来|烧起来|火灾|冒烟|冒黑烟|浓烟|火好大|火势)",)),
    ("electric", (r"(漏电|触电|电线.{0,4}(冒火|打火|冒烟)|电箱.{0,4}(冒火|打火))",)),
    (
        "medical",
        (
            r"(晕倒|昏倒|晕过去|昏过去|昏迷|不省人事|叫不醒|没有?呼吸|没得呼吸|莫得呼吸|"
            r"抽搐|喘不过气|呼吸困难|大出血|血流不止|心脏病(犯|发)|突然(中风|脑梗|心梗|倒地)|"
            r"吞了药|喝了农药|急救|救护车|打120)",
        ),
    ),
    (
        "fall",
        (
            r"(摔倒|跌倒|摔了一跤|摔了|摔到|绊倒|滑倒).{0,8}(起不来|爬不起来|站不起来|动不了|"
            r"不能动|流血|出血|骨折|没人扶)",
            r"(老人|老汉儿|老太太|老头|婆婆|爷爷|奶奶|外婆|外公|嬢嬢|孃孃|我妈|我爸|老伴)"
            r".{0,4}(摔倒|跌倒|摔了一跤|滑倒)了",
        ),
    ),
    ("trapped", (r"(困在|关在|卡在|被困).{0,3}电梯|电梯.{0,6}(困住|关住|出不来|有人被困)",)),
    (
        "flooding",
        (
            r"(水漫|漫进|淹了|被淹|进水了|泡在水|水淹)",
            r"(水管|管子|管道|水表).{0,3}(爆了|爆裂|炸了|破了|喷水)",
            r"(爆管|喷水|水一直在冒|水哗哗)",
        ),
    ),
    (
        "child_alone",
        (
            r"(娃儿|娃娃|孩子|小孩|小朋友|宝宝|婴儿).{0,6}(一个人在家|一个人在屋|独自在家|"
            r"锁在(家|屋|车|房)|反锁|关在(家|屋|车|房))",
            r"(一个人在家|锁在家|锁在车).{0,4}(的)?(娃儿|孩子|小孩|宝宝)",
        ),
    ),
    ("violence", (r"(打人|砍人|拿刀|动刀|家暴|打起来了|要杀|杀人|打老婆|打娃儿)",)),
    ("self_harm", (r"(想不开|跳楼|自杀|轻生|不想活|活不下去|想死(?!你|了你))",)),
)
_COMPILED = tuple((code, tuple(re.compile(p) for p in patterns)) for code, patterns in _RULES)

_CLAUSE_SPLIT = re.compile(r"[，。！？；;,.!?\n]+|\s{1,}")
# Said right before the danger word: it is denied.
_NEGATION = re.compile(r"(没有|没|莫得|不是|并非|未|无|不会|别|不要|不得)$")
# Anywhere in the clause: the danger is past, feared or hypothetical, not happening now.
_NOT_NOW = re.compile(
    r"(去年|前年|上次|上回|以前|之前|曾经|过去|上个月|上周|小时候|几年前|"
    r"怕|害怕|担心|万一|如果|假如|要是|防止|预防|避免|以防|演练|演习|隐患|培训|讲座|知识|"
    r"有没有|会不会|是不是|咋个预防|怎么预防)"
)
# Experiential aspect: 着过火, 摔过 - it happened before.
_PAST_ASPECT = re.compile(r"(着过|烧过|摔过|淹过|漏过|晕过)(?!去)")


def _clause_hits(clause: str, pattern: re.Pattern[str]) -> bool:
    if _NOT_NOW.search(clause) or _PAST_ASPECT.search(clause):
        return False
    for match in pattern.finditer(clause):
        if not _NEGATION.search(clause[max(0, match.start() - 3) : match.start()]):
            return True
    return False


def detect_urgency(text: str) -> str | None:
    """A reason code (gas_leak, fire, medical, fall, flooding, child_alone, ...) or None."""
    # OpenCC's t2s keeps 著 (it is also Simplified, as in 著名); in these rules it is 着.
    cleaned = normalise(text).replace("著", "着")
    if not cleaned:
        return None
    clauses = [clause for clause in _CLAUSE_SPLIT.split(cleaned) if clause]
    for code, patterns in _COMPILED:
        for pattern in patterns:
            if any(_clause_hits(clause, pattern) for clause in clauses):
                return code
    return None
