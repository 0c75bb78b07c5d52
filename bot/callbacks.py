"""Typed callback data: every inline button's data, built and parsed in one place.

One frozen dataclass per button kind, each with

* ``to_data()``: the exact string sent to Telegram (at most 64 bytes, asserted here);
* ``parse(data)``: the dataclass back, or None for anything malformed or forged (never raises);
* ``PATTERN``: the regex its handler registers with (``pattern=Claim.PATTERN``).

The formats are the ones buttons already sitting in users' chats carry; they must not change.
A PATTERN matches the kind's prefix only (as the handlers always did), so a forged or mangled
data of that kind still reaches its handler, which answers "expired" in its own words when
``parse`` returns None; only ``forget:`` matches exactly, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal, Self, get_args

from nlp.categories import MAX_CODE_LENGTH
from storage.models import NotifyMode

MAX_BYTES = 64  # Telegram's limit on callback data
MAX_NUMBER = 2**31 - 1  # request numbers and draft versions are PostgreSQL integers
MAX_PAGE = 99_999  # a page is 0-based, at most five ASCII digits

# [0-9], never \d: Python's \d also matches '²' and '١', which int() then rejects or misreads.
_NUMBER = r"([0-9]{1,10})"
_PAGE = r"([0-9]{1,5})"
_CODE = rf"([a-z0-9_]{{1,{MAX_CODE_LENGTH}}})"


def _fit(data: str) -> str:
    """`data`, after checking it fits Telegram's 64 bytes."""
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data {data!r} is longer than {MAX_BYTES} bytes")
    return data


def _check_number(value: int, what: str = "number") -> None:
    if not 0 < value <= MAX_NUMBER:
        raise ValueError(f"{what} {value} is out of range")


def _check_page(value: int) -> None:
    if not 0 <= value <= MAX_PAGE:
        raise ValueError(f"page {value} is out of range")


def _match(pattern: re.Pattern[str], data: str | None) -> re.Match[str] | None:
    return pattern.fullmatch(data) if isinstance(data, str) else None


# --- staff: claim, /queue, /mine, /notify ---------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """c:<number> on a card; c:<number>:<page> in the /queue list (to redraw that page)."""

    PATTERN: ClassVar[str] = r"^c:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"c:{_NUMBER}(?::{_PAGE})?")

    number: int
    page: int | None = None

    def __post_init__(self) -> None:
        _check_number(self.number)
        if self.page is not None:
            _check_page(self.page)

    def to_data(self) -> str:
        return _fit(f"c:{self.number}" + ("" if self.page is None else f":{self.page}"))

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        page = None if match[2] is None else int(match[2])
        try:
            return cls(int(match[1]), page)
        except ValueError:
            return None


@dataclass(frozen=True)
class QueuePage:
    """q:<page> turns the /queue list; q:open (the digest's button) opens it in a new message."""

    PATTERN: ClassVar[str] = r"^q:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"q:(?:{_PAGE}|(open))")

    page: int = 0
    opens: bool = False  # q:open: the first page, sent below the digest

    def __post_init__(self) -> None:
        _check_page(self.page)
        if self.opens and self.page != 0:
            raise ValueError("q:open always shows the first page")

    def to_data(self) -> str:
        return _fit("q:open" if self.opens else f"q:{self.page}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        return cls(0, opens=True) if match[2] else cls(int(match[1]))


@dataclass(frozen=True)
class MinePage:
    """m:<page> turns the /mine list."""

    PATTERN: ClassVar[str] = r"^m:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"m:{_PAGE}")

    page: int

    def __post_init__(self) -> None:
        _check_page(self.page)

    def to_data(self) -> str:
        return _fit(f"m:{self.page}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        return None if match is None else cls(int(match[1]))


@dataclass(frozen=True)
class Notify:
    """n:<mode>: a /notify choice (immediate, digest, off)."""

    PATTERN: ClassVar[str] = r"^n:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        "n:(" + "|".join(re.escape(m.value) for m in NotifyMode) + ")"
    )

    mode: NotifyMode

    def __post_init__(self) -> None:
        NotifyMode(self.mode)  # ValueError for anything else

    def to_data(self) -> str:
        return _fit(f"n:{NotifyMode(self.mode).value}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        return None if match is None else cls(NotifyMode(match[1]))


# --- admin: /orgs pages ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrgsPage:
    """g:<page> turns the /orgs list."""

    PATTERN: ClassVar[str] = r"^g:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"g:{_PAGE}")

    page: int

    def __post_init__(self) -> None:
        _check_page(self.page)

    def to_data(self) -> str:
        return _fit(f"g:{self.page}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        return None if match is None else cls(int(match[1]))


# --- the resident: feedback, /forgetme ------------------------------------------------------

FeedbackAnswer = Literal["y", "n", "r1", "r2", "r3", "r4", "r5"]
FEEDBACK_ANSWERS: tuple[FeedbackAnswer, ...] = get_args(FeedbackAnswer)


@dataclass(frozen=True)
class Feedback:
    """f:<number>:y|n (solved?) or f:<number>:r1..r5 (the rating) under a resolution message."""

    PATTERN: ClassVar[str] = r"^f:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"f:{_NUMBER}:(y|n|r[1-5])")

    number: int
    answer: FeedbackAnswer

    def __post_init__(self) -> None:
        _check_number(self.number)
        if self.answer not in FEEDBACK_ANSWERS:
            raise ValueError(f"feedback answer {self.answer!r}")

    @classmethod
    def solved_answer(cls, number: int, solved: bool) -> Self:
        """是 (y) or 否 (n)."""
        return cls(number, "y" if solved else "n")

    @classmethod
    def stars(cls, number: int, rating: int) -> Self:
        """A rating of 1..5 stars (r1..r5)."""
        for answer in FEEDBACK_ANSWERS:
            if answer == f"r{rating}":
                return cls(number, answer)
        raise ValueError(f"rating {rating}")

    @property
    def solved(self) -> bool | None:
        """True for 是, False for 否, None for a rating."""
        return None if self.rating is not None else self.answer == "y"

    @property
    def rating(self) -> int | None:
        """1..5 for a rating, None for 是/否."""
        return int(self.answer[1]) if self.answer.startswith("r") else None

    def to_data(self) -> str:
        return _fit(f"f:{self.number}:{self.answer}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        answer = next(a for a in FEEDBACK_ANSWERS if a == match[2])
        try:
            return cls(int(match[1]), answer)
        except ValueError:
            return None


@dataclass(frozen=True)
class Forget:
    """forget:yes / forget:no under the /forgetme question."""

    PATTERN: ClassVar[str] = r"^forget:(yes|no)$"
    _RE: ClassVar[re.Pattern[str]] = re.compile(r"forget:(yes|no)")

    confirmed: bool

    def to_data(self) -> str:
        return _fit("forget:yes" if self.confirmed else "forget:no")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        return None if match is None else cls(match[1] == "yes")


# --- the request's thread: the resident's choices (t:) and staff's /files (x:) ---------------

ThreadAction = Literal["new", "add", "more", "prog", "push", "wd", "wdy", "wdn"]
THREAD_ACTIONS: tuple[ThreadAction, ...] = get_args(ThreadAction)
# Actions that act on the message kept in the resident's draft (its version must match).
THREAD_KEPT: tuple[ThreadAction, ...] = ("new", "add", "wdy")


@dataclass(frozen=True)
class Thread:
    """t:<action>:<number>:<version>: a resident's choice about their request <number>.

    new / add: the message kept in the draft (the resident's message <version>) is a new need
    / is added to the request; more: the next message is added to it (/my N's 补充); prog: show
    it; push: 催办; wd: ask to withdraw it, wdy / wdn: confirm or keep. <version> is the id of
    the resident's message the choice is about (0 when nothing is kept).
    """

    PATTERN: ClassVar[str] = r"^t:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"t:({'|'.join(THREAD_ACTIONS)}):{_NUMBER}:([0-9]{{1,10}})"
    )

    action: ThreadAction
    number: int
    version: int = 0

    def __post_init__(self) -> None:
        if self.action not in THREAD_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        _check_number(self.number)
        if not 0 <= self.version <= MAX_NUMBER:
            raise ValueError(f"draft version {self.version} is out of range")

    def to_data(self) -> str:
        return _fit(f"t:{self.action}:{self.number}:{self.version}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in THREAD_ACTIONS if a == match[1])
        try:
            return cls(action, int(match[2]), int(match[3]))
        except ValueError:
            return None


@dataclass(frozen=True)
class Files:
    """x:<number>: staff ask for a held request's photos and locations (in /mine)."""

    PATTERN: ClassVar[str] = r"^x:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"x:{_NUMBER}")

    number: int

    def __post_init__(self) -> None:
        _check_number(self.number)

    def to_data(self) -> str:
        return _fit(f"x:{self.number}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        try:
            return cls(int(match[1]))
        except ValueError:
            return None


# --- the admin's work view: /overdue and /unclaimed pages (l:), 督办 and 分派 (v:) ----------

WatchList = Literal["o", "u"]  # /overdue, /unclaimed


@dataclass(frozen=True)
class WatchPage:
    """l:<list>:<page> turns the /overdue (o) or /unclaimed (u) list."""

    PATTERN: ClassVar[str] = r"^l:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"l:(o|u):{_PAGE}")

    listing: WatchList
    page: int

    def __post_init__(self) -> None:
        if self.listing not in get_args(WatchList):
            raise ValueError(f"unknown list {self.listing!r}")
        _check_page(self.page)

    def to_data(self) -> str:
        return _fit(f"l:{self.listing}:{self.page}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        return cls("o" if match[1] == "o" else "u", int(match[2]))


OverseeAction = Literal["urge", "assign", "to"]


@dataclass(frozen=True)
class Oversee:
    """v:urge:<n> (督办 with the standard words), v:assign:<n> (choose an organisation),
    v:to:<n>:<organisation id> (assign it there), under the admin's lists."""

    PATTERN: ClassVar[str] = r"^v:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"v:(urge|assign|to):{_NUMBER}(?::{_NUMBER})?")

    action: OverseeAction
    number: int
    organisation: int | None = None

    def __post_init__(self) -> None:
        if self.action not in get_args(OverseeAction):
            raise ValueError(f"unknown action {self.action!r}")
        _check_number(self.number)
        if (self.action == "to") != (self.organisation is not None):
            raise ValueError("v:to names an organisation, and only it")
        if self.organisation is not None:
            _check_number(self.organisation, "organisation")

    def to_data(self) -> str:
        tail = "" if self.organisation is None else f":{self.organisation}"
        return _fit(f"v:{self.action}:{self.number}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in get_args(OverseeAction) if a == match[1])
        try:
            return cls(action, int(match[2]), None if match[3] is None else int(match[3]))
        except ValueError:
            return None


# --- dialogues: the resident's draft (d:) and the admin's /neworg (o:) ----------------------

DraftAction = Literal["cats", "back", "cat", "last", "next", "metoo", "anyway", "submit", "cancel"]
NewOrgAction = Literal["cat", "allcats", "catsdone", "allcomm", "skip", "create", "cancel"]


def _dialogue_re(prefix: str, actions: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"{prefix}:{_NUMBER}:({'|'.join(actions)})(?::{_CODE})?")


@dataclass(frozen=True)
class _DialogueButton:
    """<prefix>:<version>:<action>[:<category>]: a button of a dialogue kept in a draft.

    The version is the draft's (1..): a button of an older step no longer matches it. Only
    `cat` carries an argument, a category code.
    """

    PREFIX: ClassVar[str]
    ACTIONS: ClassVar[tuple[str, ...]]
    _RE: ClassVar[re.Pattern[str]]

    version: int
    action: str
    arg: str = ""  # the category code of "cat"

    def __post_init__(self) -> None:
        _check_number(self.version, "draft version")
        if self.action not in self.ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if (self.action == "cat") != bool(self.arg) or not re.fullmatch(_CODE + "?", self.arg):
            raise ValueError(f"action {self.action!r} with argument {self.arg!r}")

    def to_data(self) -> str:
        tail = f":{self.arg}" if self.arg else ""
        return _fit(f"{self.PREFIX}:{self.version}:{self.action}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        try:
            return cls(int(match[1]), match[2], match[3] or "")
        except ValueError:
            return None


@dataclass(frozen=True)
class DraftButton(_DialogueButton):
    """d:<version>:<action>[:<category>], a button of the resident's need-filing dialogue."""

    PATTERN: ClassVar[str] = r"^d:"
    PREFIX: ClassVar[str] = "d"
    ACTIONS: ClassVar[tuple[str, ...]] = get_args(DraftAction)
    _RE: ClassVar[re.Pattern[str]] = _dialogue_re("d", ACTIONS)

    action: DraftAction


@dataclass(frozen=True)
class NewOrgButton(_DialogueButton):
    """o:<version>:<action>[:<category>], a button of the admin's /neworg dialogue."""

    PATTERN: ClassVar[str] = r"^o:"
    PREFIX: ClassVar[str] = "o"
    ACTIONS: ClassVar[tuple[str, ...]] = get_args(NewOrgAction)
    _RE: ClassVar[re.Pattern[str]] = _dialogue_re("o", ACTIONS)

    action: NewOrgAction


# --- membership: removing staff, /leave (w:) and an organisation's scope (s:) -----------------

MemberAction = Literal["org", "who", "rm", "no", "leave", "stay"]
MEMBER_ACTIONS: tuple[MemberAction, ...] = get_args(MemberAction)
ScopeAction = Literal["cat", "allcats", "allcomm"]
SCOPE_ACTIONS: tuple[ScopeAction, ...] = get_args(ScopeAction)
_TELEGRAM_ID = r"([0-9]{1,15})"
MAX_TELEGRAM_ID = 10**15 - 1


@dataclass(frozen=True)
class Member:
    """w:<action>:<organisation>[:<telegram id>]: an admin's /removestaff and a member's /leave.

    org: list the organisation's staff; who: ask to confirm removing <telegram id>; rm: remove
    them; no: remove nobody. leave: the member confirms leaving <organisation>; stay: they
    do not.
    """

    PATTERN: ClassVar[str] = r"^w:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"w:({'|'.join(MEMBER_ACTIONS)}):{_NUMBER}(?::{_TELEGRAM_ID})?"
    )

    action: MemberAction
    organisation: int
    telegram_id: int | None = None

    def __post_init__(self) -> None:
        if self.action not in MEMBER_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        _check_number(self.organisation, "organisation")
        if (self.action in ("who", "rm")) != (self.telegram_id is not None):
            raise ValueError(f"action {self.action!r} with person {self.telegram_id!r}")
        if self.telegram_id is not None and not 0 < self.telegram_id <= MAX_TELEGRAM_ID:
            raise ValueError(f"telegram id {self.telegram_id} is out of range")

    def to_data(self) -> str:
        tail = "" if self.telegram_id is None else f":{self.telegram_id}"
        return _fit(f"w:{self.action}:{self.organisation}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in MEMBER_ACTIONS if a == match[1])
        try:
            return cls(action, int(match[2]), None if match[3] is None else int(match[3]))
        except ValueError:
            return None


@dataclass(frozen=True)
class Scope:
    """s:<organisation>:<action>[:<category>]: the /scope buttons. cat toggles a category;
    allcats and allcomm make the organisation serve all categories / all communities."""

    PATTERN: ClassVar[str] = r"^s:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"s:{_NUMBER}:({'|'.join(SCOPE_ACTIONS)})(?::{_CODE})?"
    )

    organisation: int
    action: ScopeAction
    category: str = ""

    def __post_init__(self) -> None:
        _check_number(self.organisation, "organisation")
        if self.action not in SCOPE_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if (self.action == "cat") != bool(self.category) or not re.fullmatch(
            _CODE + "?", self.category
        ):
            raise ValueError(f"action {self.action!r} with category {self.category!r}")

    def to_data(self) -> str:
        tail = f":{self.category}" if self.category else ""
        return _fit(f"s:{self.organisation}:{self.action}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in SCOPE_ACTIONS if a == match[2])
        try:
            return cls(int(match[1]), action, match[3] or "")
        except ValueError:
            return None


# --- more time (e:) and a release's reason (r:) ---------------------------------------------

ReleaseCode = Literal["not_our_function", "out_of_scope", "no_resources", "other"]
RELEASE_CODES: tuple[ReleaseCode, ...] = get_args(ReleaseCode)


@dataclass(frozen=True)
class Extension:
    """e:<ask>:y|n: an admin's 同意 / 不同意 on an ask for more time (<ask>: its event id)."""

    PATTERN: ClassVar[str] = r"^e:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"e:{_NUMBER}:(y|n)")

    ask: int
    approve: bool

    def __post_init__(self) -> None:
        _check_number(self.ask, "ask")

    def to_data(self) -> str:
        return _fit(f"e:{self.ask}:{'y' if self.approve else 'n'}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        try:
            return cls(int(match[1]), match[2] == "y")
        except ValueError:
            return None


@dataclass(frozen=True)
class ReleaseWhy:
    """r:<number>:<reason>: why staff give request <number> back (storage's ReleaseReason)."""

    PATTERN: ClassVar[str] = r"^r:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"r:{_NUMBER}:({'|'.join(RELEASE_CODES)})")

    number: int
    reason: ReleaseCode

    def __post_init__(self) -> None:
        _check_number(self.number)
        if self.reason not in RELEASE_CODES:
            raise ValueError(f"unknown reason {self.reason!r}")

    def to_data(self) -> str:
        return _fit(f"r:{self.number}:{self.reason}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        reason = next(r for r in RELEASE_CODES if r == match[2])
        try:
            return cls(int(match[1]), reason)
        except ValueError:
            return None


# --- service contracts: /newcontract (k:) and /contracts (j:) --------------------------------

NewContractAction = Literal[
    "org", "cat", "catsdone", "comm", "commdone", "targets", "skip", "create", "cancel"
]
NEW_CONTRACT_ACTIONS: tuple[NewContractAction, ...] = get_args(NewContractAction)
# Actions whose argument is a number (an organisation, an offered community's index) or a
# category code; the others take none.
_CONTRACT_ARGS = {"org": r"[0-9]{1,10}", "comm": r"[0-9]{1,4}", "cat": r"[a-z0-9_]{1,32}"}


@dataclass(frozen=True)
class NewContractButton:
    """k:<draft version>:<action>[:<arg>], a button of the admin's /newcontract dialogue.

    org: the organisation number; cat: a category code; comm: the index of a community in the
    list the draft offered (names are too long for 64 bytes); the others take no argument.
    """

    PATTERN: ClassVar[str] = r"^k:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"k:{_NUMBER}:({'|'.join(NEW_CONTRACT_ACTIONS)})(?::([a-z0-9_]{{1,32}}))?"
    )

    version: int
    action: NewContractAction
    arg: str = ""

    def __post_init__(self) -> None:
        _check_number(self.version, "draft version")
        if self.action not in NEW_CONTRACT_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        pattern = _CONTRACT_ARGS.get(self.action)
        if (pattern is None) != (not self.arg) or (
            pattern is not None and not re.fullmatch(pattern, self.arg)
        ):
            raise ValueError(f"action {self.action!r} with argument {self.arg!r}")

    def to_data(self) -> str:
        tail = f":{self.arg}" if self.arg else ""
        return _fit(f"k:{self.version}:{self.action}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in NEW_CONTRACT_ACTIONS if a == match[2])
        try:
            return cls(int(match[1]), action, match[3] or "")
        except ValueError:
            return None


ContractAction = Literal["show", "end", "yes", "no", "page"]
CONTRACT_ACTIONS: tuple[ContractAction, ...] = get_args(ContractAction)


@dataclass(frozen=True)
class ContractButton:
    """j:<action>:<contract number>, or j:page:<page>: the /contracts list and one contract.

    show: the contract; end: ask to end it early; yes: end it; no: do not; page: a page of
    the list (0-based).
    """

    PATTERN: ClassVar[str] = r"^j:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"j:(?:(show|end|yes|no):{_NUMBER}|(page):{_PAGE})"
    )

    action: ContractAction
    number: int

    def __post_init__(self) -> None:
        if self.action not in CONTRACT_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        if self.action == "page":
            _check_page(self.number)
        else:
            _check_number(self.number, "contract number")

    def to_data(self) -> str:
        return _fit(f"j:{self.action}:{self.number}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        try:
            if match[3]:
                return cls("page", int(match[4]))
            action = next(a for a in CONTRACT_ACTIONS if a == match[1])
            return cls(action, int(match[2]))
        except ValueError:
            return None


# --- places: the resident's choice of place (p:) and the admins' gazetteer (z:) --------------

MAX_PLACE_CHOICE = 3  # the best 2-3 places offered; 0 is 都不是（按我写的）
GazetteerAction = Literal["handle", "alias", "other", "incomm", "new", "newin"]
GAZETTEER_ACTIONS: tuple[GazetteerAction, ...] = get_args(GazetteerAction)
# The actions that name a place as well as the request whose unknown place is handled.
_WITH_PLACE = ("alias", "incomm", "newin")


@dataclass(frozen=True)
class PlacePick:
    """p:<version>:<choice>: the resident picks offered place <choice> (1..3) of their draft
    at <version>, or 0 for the place as they typed it."""

    PATTERN: ClassVar[str] = r"^p:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(rf"p:{_NUMBER}:([0-{MAX_PLACE_CHOICE}])")

    version: int
    choice: int

    def __post_init__(self) -> None:
        _check_number(self.version, "draft version")
        if not 0 <= self.choice <= MAX_PLACE_CHOICE:
            raise ValueError(f"choice {self.choice} is out of range")

    def to_data(self) -> str:
        return _fit(f"p:{self.version}:{self.choice}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        try:
            return cls(int(match[1]), int(match[2]))
        except ValueError:
            return None


@dataclass(frozen=True)
class GazetteerButton:
    """z:<action>:<request>[:<place>]: an admin handles the unknown place request <request>
    carries (/places). handle: the choices; alias: make it an alias of 小区 <place>; other:
    pick the 社区 of that 小区; incomm: the 小区 of <place>'s 社区; new: pick the 社区 of a new
    小区; newin: a new 小区 in <place>'s 社区."""

    PATTERN: ClassVar[str] = r"^z:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"z:({'|'.join(GAZETTEER_ACTIONS)}):{_NUMBER}(?::{_NUMBER})?"
    )

    action: GazetteerAction
    request: int
    place: int | None = None

    def __post_init__(self) -> None:
        if self.action not in GAZETTEER_ACTIONS:
            raise ValueError(f"unknown action {self.action!r}")
        _check_number(self.request)
        if (self.action in _WITH_PLACE) != (self.place is not None):
            raise ValueError(f"action {self.action!r} with place {self.place!r}")
        if self.place is not None:
            _check_number(self.place, "place")

    def to_data(self) -> str:
        tail = "" if self.place is None else f":{self.place}"
        return _fit(f"z:{self.action}:{self.request}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        action = next(a for a in GAZETTEER_ACTIONS if a == match[1])
        try:
            return cls(action, int(match[2]), None if match[3] is None else int(match[3]))
        except ValueError:
            return None


# --- the evaluation pack: /performance (y:) ------------------------------------------------

PerformancePeriod = Literal["tm", "lm", "tq", "lq", "ct", "ty"]
PERFORMANCE_PERIODS: tuple[PerformancePeriod, ...] = get_args(PerformancePeriod)


@dataclass(frozen=True)
class PerformanceButton:
    """y:<c|o>:<number>[:<period>]: /performance's choices. c: a contract, o: an organisation;
    with a period (storage.performance.Relative's codes: tm lm tq lq ct, and ty: type the
    dates) the pack is made, without one the periods are offered."""

    PATTERN: ClassVar[str] = r"^y:"
    _RE: ClassVar[re.Pattern[str]] = re.compile(
        rf"y:(c|o):{_NUMBER}(?::({'|'.join(PERFORMANCE_PERIODS)}))?"
    )

    contract: bool
    number: int
    period: PerformancePeriod | None = None

    def __post_init__(self) -> None:
        _check_number(self.number, "contract" if self.contract else "organisation")
        if self.period is not None and self.period not in PERFORMANCE_PERIODS:
            raise ValueError(f"unknown period {self.period!r}")
        if self.period == "ct" and not self.contract:
            raise ValueError("only a contract has a term")

    def to_data(self) -> str:
        tail = "" if self.period is None else f":{self.period}"
        return _fit(f"y:{'c' if self.contract else 'o'}:{self.number}{tail}")

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        match = _match(cls._RE, data)
        if match is None:
            return None
        period = next((p for p in PERFORMANCE_PERIODS if p == match[3]), None)
        try:
            return cls(match[1] == "c", int(match[2]), period)
        except ValueError:
            return None


# Every kind, for tests and for anyone who needs to recognise button data of this bot.
KINDS: tuple[
    type[Claim]
    | type[QueuePage]
    | type[MinePage]
    | type[Notify]
    | type[OrgsPage]
    | type[Feedback]
    | type[Forget]
    | type[DraftButton]
    | type[NewOrgButton]
    | type[Thread]
    | type[Files]
    | type[WatchPage]
    | type[Oversee]
    | type[Member]
    | type[Scope]
    | type[Extension]
    | type[ReleaseWhy]
    | type[NewContractButton]
    | type[ContractButton]
    | type[PlacePick]
    | type[GazetteerButton]
    | type[PerformanceButton],
    ...,
] = (
    Claim,
    QueuePage,
    MinePage,
    Notify,
    OrgsPage,
    Feedback,
    Forget,
    DraftButton,
    NewOrgButton,
    Thread,
    Files,
    Member,
    Scope,
    WatchPage,
    Oversee,
    Extension,
    ReleaseWhy,
    NewContractButton,
    ContractButton,
    PlacePick,
    GazetteerButton,
    PerformanceButton,
)
