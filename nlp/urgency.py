"""Spot messages that describe danger now, so the bot can tell the resident to call 119/120.

Rules, not the classifier: an emergency is rare in the corpus, has to be caught even when
phrased in Sichuan dialect or Traditional characters, and a reason code ("gas_leak") tells
the bot exactly which advice to give. Each rule is a pattern checked clause by clause; a
danger word that is negated (没有燃气味), put in the past (去年着过火), supposed (万一着火了),
only feared (怕着火) or the topic of a course or drill (消防演练, 急救培训) does not count,
because crying wolf would train people to ignore it.

Those words count only where they scope over the danger word, i.e. just before it:
voice-typed messages have no punctuation, so a whole message is one clause and a worry
said after the fact (我妈摔倒了起不来了万一骨折了咋办) must not cancel the fact. A fear
or a question gives way to a present or completed form (好害怕屋头着火了, 是不是着火了).
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
            # Someone lying motionless: 老人倒在楼道里不动了, 倒地不起.
            r"(倒在|躺在|倒到).{0,6}(不动了|一动不动|动不了|没反应|没有反应|叫不应|喊不应)|倒地不起",
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
# How far before the danger word a negation, hedge or fear word still scopes over it:
# 没[有燃气味], 怕[屋头着火]. Voice-typed messages have no punctuation, so a word further
# away usually belongs to another thought (我爸晕倒了不知道是不是中风).
_NEGATION_REACH = 3
_HEDGE_REACH = 5
# Said right before the danger word: it is denied. 是不是 is a question, not a denial.
_NEGATION = re.compile(r"(没有|没|莫得|(?<!是)不是|并非|未|无|不会|别|不要|不得)$")
# Right before the danger word: it is only supposed (万一着火了咋办), even in the perfective.
_SUPPOSED = re.compile(r"(万一|如果|假如|假设|(?<!主)要是|若是|以防|防止|预防|避免)")
# Right before the danger word: feared or asked about (怕着火, 会不会漏电). A present or
# completed form wins (好害怕屋头着火了, 是不是着火了): then it is happening.
_FEARED = re.compile(r"(怕|担心|担忧|有没有|会不会|是不是|可能会|容易)")
# Right before or after the danger word: a course, drill, hazard or prevention (急救培训,
# 消防演练, 火灾隐患, 火灾咋个预防), not the danger itself.
_TOPIC = re.compile(r"(演练|演习|隐患|培训|讲座|知识|常识|课程|宣传|预防|防范)")
_TOPIC_REACH = 4
# Present or completed: 着火了, 冒烟啦, 在冒烟, 烧着, 倒在地上.
_PRESENT_BEFORE = re.compile(r"(在|正在|已经)$")
_PRESENT_AFTER = re.compile(r"^[了啦着在]")
# Right after the danger word: a condition (着火的话), or the consequence of one that was
# set up earlier in the clause (如果...着火了咋办, 怕着火了就麻烦了).
_IF_AFTER = re.compile(r"^了?的话")
_THEN_AFTER = re.compile(r"^了?就")
_WHAT_THEN = re.compile(r"^了?(咋办|咋个办|怎么办|怎办|咋整|怎么整)")
# Earlier in the clause than the danger word: it happened before (去年着过火), unless the
# clause comes back to now after it (上次修的水管又爆了).
_PAST = re.compile(r"(去年|前年|上次|上回|以前|之前|曾经|上个月|上周|小时候|几年前)")
_NOW = re.compile(r"(现在|刚才|刚刚|正在|又|今天|今早|马上|突然)")
# Experiential aspect right after the danger word: 着火过, 泄漏过, 摔倒过 (not 晕过去).
_PAST_ASPECT = re.compile(r"^过(?![去来])")


def _happening_now(clause: str, match: re.Match[str]) -> bool:
    return (
        any(marker in match.group() for marker in "了啦")
        or bool(_PRESENT_AFTER.search(clause[match.end() : match.end() + 2]))
        or bool(_PRESENT_BEFORE.search(clause[: match.start()]))
    )


def _in_the_past(clause: str, match: re.Match[str]) -> bool:
    if _PAST_ASPECT.search(clause[match.end() :]):
        return True
    earlier = clause[: match.end()]
    past = [found.end() for found in _PAST.finditer(earlier)]
    return bool(past) and not _NOW.search(earlier, past[-1])


def _counts(clause: str, match: re.Match[str]) -> bool:
    """True unless the words around this danger word deny, suppose, fear or date it."""
    start, end = match.start(), match.end()
    if _NEGATION.search(clause[max(0, start - _NEGATION_REACH) : start]):
        return False
    if _in_the_past(clause, match):
        return False
    around = clause[max(0, start - _TOPIC_REACH) : start] + "|" + clause[end : end + _TOPIC_REACH]
    if _TOPIC.search(around):
        return False
    before = clause[max(0, start - _HEDGE_REACH) : start]
    if _SUPPOSED.search(before):
        return False
    if _FEARED.search(before) and not _happening_now(clause, match):
        return False
    after, earlier = clause[end:], clause[:start]
    if _IF_AFTER.search(after):
        return False
    supposed = bool(_SUPPOSED.search(earlier))
    if (supposed or _FEARED.search(earlier)) and _THEN_AFTER.search(after):
        return False
    return not (supposed and _WHAT_THEN.search(after))


def _clause_hits(clause: str, pattern: re.Pattern[str]) -> bool:
    return any(_counts(clause, match) for match in pattern.finditer(clause))


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
