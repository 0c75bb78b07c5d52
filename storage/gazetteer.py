"""The gazetteer: 街道 -> 社区 -> 小区 with the other names residents use, and matching a place.

Residents know their 小区 (or its gate, or an old name), rarely their 社区, and type it with
typos, homophones and Traditional characters. Routing, duplicates and every summary need the
canonical 社区, so the place a resident types is matched here against the `places` table:

* `match_place(text, gazetteer)` is pure: normalise, split off the building (kept as typed),
  drop what is not a name (成都市武侯区, 玉林街道, 那个, 进去 ...), then compare with every
  小区 name, alias and 社区 name, by characters and by sound (pinyin, for 育林/玉林), with
  rapidfuzz. The answer is `confident` (one place), `unsure` (the best 2-3) or `unknown`.
* `load(session)` builds the index from the table (cached until the table changes).
* `import_places`, `rematch`, `add_alias`, `add_compound` change the table and re-match the
  requests and residents whose place text now matches confidently.

An empty table means a deployment without a gazetteer: nothing is matched (callers keep the
place as typed, as before). Nothing here is worded for people: refusals are `InvalidInput`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from sqlmodel import Session, SQLModel, col, select

from nlp.normalize import normalise
from storage.errors import InvalidInput, NotFound
from storage.models import Place, RequestStatus, Resident, ServiceRequest, utcnow
from storage.sql import insert_if_absent, rowcount

log = logging.getLogger(__name__)

CHENGDU = ZoneInfo("Asia/Shanghai")
MAX_NAME = 100
MAX_ALIASES = 30
# Scores are 0-100. A place is confident at CONFIDENT or above when the next different place
# is at least MARGIN behind; candidates are offered down to CANDIDATE (and within SPREAD of the
# best). Tuned on tests/storage/place_spellings.csv (see tests/storage/test_gazetteer.py).
CONFIDENT = 85.0
MARGIN = 8.0
CANDIDATE = 65.0
SPREAD = 20.0
MAX_CANDIDATES = 3

# --- reading what a resident typed ------------------------------------------------------------

_NUM = r"[0-9一二三四五六七八九十百零两〇]+"
# 3栋, 12幢, 5号楼, 2单元, B座, 501室, 3楼: where the building part begins.
_BUILDING = re.compile(rf"(?:{_NUM}|[A-Za-z])\s*(?:栋|幢|号楼|单元|座|室|楼|层|号(?!院))")
# What precedes a name and is not one: the province, city, district and street office.
_DISTRICTS = (
    "锦江|青羊|金牛|武侯|成华|龙泉驿|青白江|新都|温江|双流|郫都|新津|高新|天府新|简阳|都江堰"
)
_PREFIX = re.compile(
    rf"^(?:中国)?(?:四川省?)?(?:成都市?)?(?:(?:{_DISTRICTS})区)?(?:[\u4e00-\u9fff]{{2,6}}街道(?:办事处|办)?)?"
)
# Words around a name: "玉林北路口那个大门进去", "我住在芳邻苑".
_LEADING = re.compile(r"^(?:我家住在|我家在|我住在|我们住在|住在|我住|我家|我在|在|就是|是)")
_FILLERS = re.compile(r"那个|这个|那边|这边|那儿|这儿|那里|这里|进去|里面|里头|的")
_TRAILING = re.compile(r"(?:旁边|附近|对面|后面|隔壁|那块|这块|一带)$")
_PUNCT = re.compile(r"[\s,，.。、;；:：!！?？()（）\[\]【】\"'“”‘’<>《》~～\-—_/\\|·•]+")
_COMMUNITY_SUFFIX = re.compile(r"(?:社区居委会|社区居民委员会|居民委员会|居委会|社区)$")
_COMPOUND_SUFFIX = re.compile(r"小区$")


def split_building(text: str) -> tuple[str, str | None]:
    """The place and the building ('芳邻苑3栋2单元' -> '芳邻苑', '3栋2单元'), on normalised text.

    The building starts at the first 栋/幢/单元/号楼/座/室 and runs to the end; written first
    ('3栋 芳邻苑') it is the leading run instead. The building stays as the resident typed it.
    """
    text = " ".join(text.split())
    match = _BUILDING.search(text)
    if match is None:
        return text.strip(" ,，"), None
    if match.start() > 0:
        return text[: match.start()].strip(" ,，"), text[match.start() :].strip() or None
    # Building first: the leading building words, then the place.
    end = match.end()
    while (following := _BUILDING.match(text, end)) is not None or (
        end < len(text) and text[end] in " ,，"
    ):
        end = following.end() if following is not None else end + 1
    return text[end:].strip(" ,，"), text[:end].strip(" ,，") or None


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
_CHINESE_NUMBER = re.compile(r"[零一二三四五六七八九十两〇]+")
_BUILDING_WORDS = re.compile(r"幢|号楼|栋楼|栋")


def _number(chinese: str) -> str:
    """'十二' -> '12', '二十' -> '20', '三' -> '3' (building and unit numbers; else as is)."""
    if "十" not in chinese:
        return "".join(str(_DIGITS[c]) for c in chinese)
    tens, _, ones = chinese.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        return chinese
    return str((_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0))


def building_key(building: str | None) -> str:
    """A building for comparing, not for showing: '三幢2单元' and '3栋2单元' are one building."""
    if not building:
        return ""
    key = _PUNCT.sub("", normalise(building))
    key = _CHINESE_NUMBER.sub(lambda m: _number(m.group()), key)
    return _BUILDING_WORDS.sub("栋", key)


def name_key(text: str) -> str:
    """The comparable core of a name: no spaces, punctuation, city/district/street prefix or
    the words around it (那个, 进去, 附近); the 小区/社区 suffix is kept (see `_hint`)."""
    key = _PUNCT.sub("", normalise(text).lower())
    key = _PREFIX.sub("", key)
    key = _LEADING.sub("", key)
    key = _FILLERS.sub("", key)
    return _TRAILING.sub("", key)


def _core(key: str) -> str:
    """`key` without a trailing 社区/小区 (so 玉林北路社区 and 玉林北路小区 compare alike)."""
    return _COMMUNITY_SUFFIX.sub("", _COMPOUND_SUFFIX.sub("", key)) or key


# Chengdu speech (and the voice input that follows it) does not tell zh/z, ch/c, sh/s, n/l
# or -ng/-n after e and i apart: 南府景 and 南府锦, 兰色 and 蓝色 sound alike there.
_SICHUAN = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^n(?=[aeiou])"), "l"))
_SICHUAN_FINAL = re.compile(r"(?<=[ei])ng$")


def _syllable(syllable: str) -> str:
    for pattern, replacement in _SICHUAN:
        syllable = pattern.sub(replacement, syllable)
    return _SICHUAN_FINAL.sub("n", syllable)


@lru_cache(maxsize=16384)
def _sound(text: str) -> tuple[str, ...]:
    """How `text` sounds in Chengdu, syllable by syllable and toneless (育林 and 玉林 are both
    yu lin; 南府景 and 南府锦 both lan fu jin)."""
    return tuple(_syllable(s) for s in lazy_pinyin(text))


# --- the index --------------------------------------------------------------------------------


class Level(StrEnum):
    """What a candidate names: a 小区 (with its 社区) or a 社区 alone."""

    COMPOUND = "compound"
    COMMUNITY = "community"


@dataclass(frozen=True)
class Candidate:
    """A place a resident may mean: a 小区 of the gazetteer, or a 社区 without 小区."""

    street: str
    community: str
    compound: str | None = None
    place_id: int | None = None
    score: float = 0.0

    @property
    def level(self) -> Level:
        return Level.COMPOUND if self.compound is not None else Level.COMMUNITY

    def scored(self, score: float) -> Candidate:
        return Candidate(self.street, self.community, self.compound, self.place_id, score)


@dataclass(frozen=True)
class _Name:
    core: str  # the name's key without its 小区/社区 suffix
    sound: tuple[str, ...]
    target: Candidate


@dataclass(frozen=True)
class PlaceEntry:
    """One row of the gazetteer as the matcher needs it."""

    place_id: int | None
    street: str
    community: str
    compound: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gazetteer:
    """Every name the matcher compares with; build it with `Gazetteer.of(entries)`."""

    names: tuple[_Name, ...] = ()
    communities: tuple[Candidate, ...] = ()
    # 社区 core name -> its candidate, for "the resident named the 社区 too".
    community_cores: dict[str, Candidate] = field(default_factory=dict)
    # Above this many names only the closest PREFILTER_KEEP by a quick partial match (characters
    # or sound) are scored in full: a city's gazetteer stays a few milliseconds a match.
    prefilter_above: int = 600
    # Each name's core and sound, for the quick partial match.
    cores: tuple[str, ...] = ()
    sounds: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.names

    @classmethod
    def of(cls, entries: Iterable[PlaceEntry], *, prefilter_above: int = 600) -> Gazetteer:
        names: list[_Name] = []
        communities: dict[str, Candidate] = {}
        for entry in entries:
            target = Candidate(entry.street, entry.community, entry.compound, entry.place_id)
            for name in (entry.compound, *entry.aliases):
                core = _core(name_key(name))
                if core:
                    names.append(_Name(core, _sound(core), target))
            communities.setdefault(entry.community, Candidate(entry.street, entry.community))
        cores: dict[str, Candidate] = {}
        for community in communities.values():
            core = _core(name_key(community.community))
            if core:
                names.append(_Name(core, _sound(core), community))
                cores[core] = community
        ordered = tuple(sorted(communities.values(), key=lambda c: (c.street, c.community)))
        return cls(
            tuple(names),
            ordered,
            cores,
            prefilter_above,
            tuple(name.core for name in names),
            tuple(" ".join(name.sound) for name in names),
        )


PREFILTER_KEEP = 60


def _shortlist(query: str, sound: tuple[str, ...], gazetteer: Gazetteer) -> Iterable[_Name]:
    """The names worth scoring in full: all of a small gazetteer, else the closest few."""
    if len(gazetteer.names) <= gazetteer.prefilter_above:
        return gazetteer.names
    keep: set[int] = set()
    spoken = " ".join(sound)
    for text, choices, scorer in (
        (query, gazetteer.cores, fuzz.ratio),  # the name itself, or a typo of it
        (query, gazetteer.cores, fuzz.partial_ratio),  # a name inside longer words
        (spoken, gazetteer.sounds, fuzz.ratio),  # a homophone
    ):
        found = process.extract(text, choices, scorer=scorer, limit=PREFILTER_KEEP)
        keep.update(index for _choice, _score, index in found)
    return [gazetteer.names[index] for index in sorted(keep)]


# --- matching ---------------------------------------------------------------------------------


class Certainty(StrEnum):
    CONFIDENT = "confident"
    UNSURE = "unsure"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PlaceMatch:
    """What a typed place matched: `place` is the place part as typed (normalised), `building`
    the building part; `candidates` the best first (one when confident, none when unknown)."""

    certainty: Certainty
    place: str
    building: str | None
    candidates: tuple[Candidate, ...] = ()
    # False without a gazetteer (an empty table): the place is kept as typed, nothing flagged.
    searched: bool = True

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def _score(query: str, query_sound: tuple[str, ...], name: _Name) -> float:
    """How well the query's core matches one name (0-100): by characters, by sound, and as a
    part of a longer query ('芳邻苑东门' contains 芳邻苑), less the more is left over."""
    core = name.core
    best = fuzz.ratio(query, core)
    if best == 100:
        return 100.0
    best = max(best, 0.96 * fuzz.ratio(query_sound, name.sound))
    if len(core) >= 2 and len(query) > len(core):
        cover = len(core) / len(query)
        if core in query:
            best = max(best, 70 + 25 * cover)
        elif len(core) >= 3:
            weight = 0.75 + 0.15 * cover
            best = max(
                best,
                weight * fuzz.partial_ratio(core, query),
                0.96 * weight * fuzz.partial_ratio(name.sound, query_sound),
            )
    return float(best)


def _hint(key: str) -> Level | None:
    """What the resident said it is: ...小区 or ...社区 (None when neither)."""
    if _COMMUNITY_SUFFIX.search(key):
        return Level.COMMUNITY
    if _COMPOUND_SUFFIX.search(key):
        return Level.COMPOUND
    return None


def _rank(key: str, gazetteer: Gazetteer, within: str | None = None) -> list[Candidate]:
    """Every place scored against `key`, best first, one score per place (its best name)."""
    query = _core(key)
    if not query:
        return []
    hint = _hint(key)
    sound = _sound(query)
    best: dict[Candidate, float] = {}
    names = gazetteer.names if within is not None else _shortlist(query, sound, gazetteer)
    for name in names:
        target = name.target
        if within is not None and target.community != within:
            continue
        score = _score(query, sound, name)
        # 小区 said: a 小区 of that name wins over the 社区 of the same name, and the reverse.
        if hint is not None and target.level is not hint:
            score -= 3
        if score > best.get(target, -1.0):
            best[target] = score
    ranked = [target.scored(round(score, 1)) for target, score in best.items()]
    # Ties: the 社区 before its own 小区 of the same name when nothing was said (the safe answer
    # for routing), then the shorter name.
    ranked.sort(key=lambda c: (-c.score, c.level is Level.COMPOUND, c.compound or c.community))
    return ranked


_SAID_COMMUNITY = ("社区居委会", "社区居民委员会", "社区", "居委会")


def _named_community(key: str, gazetteer: Gazetteer) -> tuple[Candidate, str, bool] | None:
    """A 社区 named inside `key` (玉林北路社区芳邻苑, or 玉林北路芳邻苑), what is left of the key,
    and whether it was named outright (with 社区 or 居委会)."""
    found = []
    for core, target in gazetteer.community_cores.items():
        at = key.find(core) if len(core) >= 2 else -1
        if at < 0:
            continue
        after = at + len(core)
        said = next((w for w in _SAID_COMMUNITY if key.startswith(w, after)), "")
        rest = key[:at] + key[after + len(said) :]
        found.append((bool(said), len(core), target, rest))
    if not found:
        return None
    explicit, _length, target, rest = max(found, key=lambda item: (item[0], item[1]))
    return target, rest, explicit


def _bare(key: str) -> str:
    """`key` without 社区/小区 words: empty when nothing else was said."""
    return re.sub(r"社区|小区|居委会", "", key)


def _decide(ranked: list[Candidate]) -> tuple[Certainty, tuple[Candidate, ...]]:
    if not ranked or ranked[0].score < CANDIDATE:
        return Certainty.UNKNOWN, ()
    top = ranked[0]
    # A 社区 and one of its own 小区 are not rivals: the 社区 is right either way.
    rival = next((c for c in ranked[1:] if not _same_community_refinement(top, c)), None)
    if top.score >= CONFIDENT and (rival is None or top.score - rival.score >= MARGIN):
        return Certainty.CONFIDENT, (top,)
    floor = max(CANDIDATE, top.score - SPREAD)
    offered = [top, *[c for c in ranked[1:] if c.score >= floor]][:MAX_CANDIDATES]
    return Certainty.UNSURE, tuple(offered)


def _same_community_refinement(a: Candidate, b: Candidate) -> bool:
    return a.community == b.community and (a.compound is None or b.compound is None)


def match_place(text: str, gazetteer: Gazetteer) -> PlaceMatch:
    """Match what a resident typed for a place (see the module's docstring)."""
    text = normalise(text)
    place, building = split_building(text)
    if gazetteer.empty:
        return PlaceMatch(Certainty.UNKNOWN, place, building, searched=False)
    match = _match_split(place, building, gazetteer)
    if building is not None and match.certainty is not Certainty.CONFIDENT:
        # '科华北路62号' is a 小区's name, not a road and a building.
        whole = _match_split(" ".join(text.split()), None, gazetteer)
        if whole.certainty is Certainty.CONFIDENT:
            return whole
    return match


def _match_split(place: str, building: str | None, gazetteer: Gazetteer) -> PlaceMatch:
    key = name_key(place)
    if not key:
        return PlaceMatch(Certainty.UNKNOWN, place, building)
    named = _named_community(key, gazetteer)
    if named is not None:
        community, rest, explicit = named
        if _bare(rest):
            # Something beside the 社区's name: one of its 小区?
            inside = [
                c
                for c in _rank(rest, gazetteer, within=community.community)
                if c.compound is not None
            ]
            if inside and inside[0].score >= CONFIDENT:
                return PlaceMatch(Certainty.CONFIDENT, place, building, (inside[0],))
        if explicit:
            # The 社区 is sure; the rest, if any, is no 小区 we know (a shop, a road).
            return PlaceMatch(Certainty.CONFIDENT, place, building, (community.scored(100.0),))
    certainty, candidates = _decide(_rank(key, gazetteer))
    return PlaceMatch(certainty, place, building, candidates)


# --- the table --------------------------------------------------------------------------------

_cache: dict[str, tuple[tuple[Any, ...], Gazetteer]] = {}


def _entries(session: Session) -> list[PlaceEntry]:
    rows = session.exec(select(Place).order_by(col(Place.id))).all()
    return [
        PlaceEntry(row.id, row.street, row.community, row.compound, tuple(row.aliases or ()))
        for row in rows
    ]


def load(session: Session) -> Gazetteer:
    """The gazetteer of this database, built again only when the table changed."""
    stamp = tuple(
        session.execute(
            sa.select(
                sa.func.count(col(Place.id)),
                sa.func.max(col(Place.id)),
                sa.func.max(col(Place.updated_at)),
            )
        ).one()
    )
    where = str(session.get_bind().engine.url)
    cached = _cache.get(where)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    gazetteer = Gazetteer.of(_entries(session)) if stamp[0] else Gazetteer()
    if len(_cache) > 16:
        _cache.clear()
    _cache[where] = (stamp, gazetteer)
    return gazetteer


def is_empty(session: Session) -> bool:
    return session.exec(select(Place.id).limit(1)).first() is None


def resolve(session: Session, *, text: str) -> PlaceMatch:
    """`match_place` against this database's gazetteer."""
    return match_place(text, load(session))


def communities(session: Session) -> list[str]:
    """The canonical 社区 names of the gazetteer (empty without one), sorted."""
    rows = session.exec(select(Place.community).distinct()).all()
    return sorted(rows)


def suggest_community(session: Session, text: str) -> list[str]:
    """The canonical 社区 names `text` most likely means, best first (at most 3; empty when
    nothing is close or there is no gazetteer). An exact canonical name is the only answer.

    For checking names typed by admins (a contract's or a scope's 社区): a 小区 typed there
    suggests its 社区.
    """
    gazetteer = load(session)
    name = normalise(text).strip()
    if any(c.community == name for c in gazetteer.communities):
        return [name]
    match = match_place(name, gazetteer)
    found: list[str] = []
    for candidate in match.candidates:
        if candidate.community not in found:
            found.append(candidate.community)
    return found[:MAX_CANDIDATES]


def remembered_place(session: Session, *, telegram_id: int) -> str | None:
    """The place of the resident's previous request, as 用上次的 offers it: '玉林北路社区 芳邻苑
    3栋' when it was matched to a 小区 (which matches it again), else as it was stored."""
    resident = session.exec(select(Resident).where(Resident.telegram_id == telegram_id)).first()
    if resident is None or resident.id is None or not resident.community:
        return None
    compound = session.exec(
        select(ServiceRequest.compound)
        .where(
            ServiceRequest.resident_id == resident.id,
            ServiceRequest.community == resident.community,
        )
        .order_by(col(ServiceRequest.id).desc())
        .limit(1)
    ).first()
    return " ".join(p for p in (resident.community, compound, resident.building) if p)


# --- importing a CSV --------------------------------------------------------------------------

COLUMNS = ("street", "community", "compound", "aliases")
# One street of Chengdu (武侯区玉林街道), shipped for `linli chat` and the tests.
SAMPLE = Path(__file__).parent / "data" / "places_sample.csv"


@dataclass(frozen=True)
class ImportedPlace:
    street: str
    community: str
    compound: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    requests_matched: int
    residents_matched: int
    open_ids: tuple[int, ...] = ()  # the open requests re-matched (for their cards)


def _clean_name(value: str, *, line: int, column: str) -> str:
    name = " ".join(normalise(value).split())
    if not name:
        raise InvalidInput(column, f"line {line}: {column} is empty")
    if len(name) > MAX_NAME:
        raise InvalidInput(column, f"line {line}: {column} is longer than {MAX_NAME} characters")
    return name


def _records(text: str) -> Iterator[list[str]]:
    """The CSV's records; what the csv module cannot read (a field over its size limit) is
    InvalidInput naming the line, like every other fault of the file."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        yield from reader
    except csv.Error as exc:
        raise InvalidInput("row", f"line {reader.line_num}: {exc}") from None


def parse_csv(text: str) -> list[ImportedPlace]:
    """The rows of a gazetteer CSV (street,community,compound,aliases; aliases split by '|').

    Names are normalised (Simplified, half-width). Anything malformed raises `InvalidInput`
    naming the line: a missing column, an empty name, a name too long, the same 小区 twice in
    a 社区, a 社区 under two streets, or no rows at all.
    """
    reader = _records(text)
    header = [cell.strip().lower() for cell in next(reader, [])]
    if tuple(header[:3]) != COLUMNS[:3] or header[3:] not in ([], ["aliases"]):
        raise InvalidInput(
            "header", f"line 1: the header must be {','.join(COLUMNS)} (got {','.join(header)})"
        )
    rows: list[ImportedPlace] = []
    seen: dict[tuple[str, str], int] = {}
    streets: dict[str, tuple[str, int]] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) < 3 or len(cells) > len(header):
            raise InvalidInput(
                "row", f"line {line}: expected {len(header)} columns, found {len(cells)}"
            )
        street = _clean_name(cells[0], line=line, column="street")
        community = _clean_name(cells[1], line=line, column="community")
        compound = _clean_name(cells[2], line=line, column="compound")
        raw_aliases = cells[3] if len(cells) > 3 else ""
        aliases = tuple(
            dict.fromkeys(
                _clean_name(alias, line=line, column="aliases")
                for alias in raw_aliases.split("|")
                if alias.strip()
            )
        )
        aliases = tuple(a for a in aliases if a != compound)
        if len(aliases) > MAX_ALIASES:
            raise InvalidInput("aliases", f"line {line}: more than {MAX_ALIASES} aliases")
        if (community, compound) in seen:
            first = seen[(community, compound)]
            raise InvalidInput(
                "compound", f"line {line}: {compound} in {community} is already on line {first}"
            )
        seen[(community, compound)] = line
        if community in streets and streets[community][0] != street:
            other, first = streets[community]
            raise InvalidInput(
                "community", f"line {line}: {community} is under {other} on line {first}"
            )
        streets.setdefault(community, (street, line))
        rows.append(ImportedPlace(street, community, compound, aliases))
    if not rows:
        raise InvalidInput("rows", "the file has no places")
    return rows


def import_places(session: Session, rows: Sequence[ImportedPlace]) -> ImportResult:
    """Add or update each 小区 (one per 社区 + 小区; aliases replaced), then re-match.

    Places not in the file stay: importing is adding and updating, never deleting (requests
    point at them).
    """
    existing = {(p.community, p.compound): p for p in session.exec(select(Place)).all()}
    added = updated = unchanged = 0
    now = utcnow()
    for row in rows:
        place = existing.get((row.community, row.compound))
        if place is None:
            session.add(
                Place(
                    street=row.street,
                    community=row.community,
                    compound=row.compound,
                    aliases=list(row.aliases),
                    created_at=now,
                    updated_at=now,
                )
            )
            added += 1
        elif place.street != row.street or list(place.aliases or []) != list(row.aliases):
            place.street = row.street
            place.aliases = list(row.aliases)
            place.updated_at = now
            session.add(place)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    matched = rematch(session)
    return ImportResult(
        added, updated, unchanged, matched.requests, matched.residents, matched.open_ids
    )


def load_csv_if_empty(session: Session, text: str) -> int:
    """Import `text` when the table is empty (linli chat's sample); the number of 小区 added."""
    if not is_empty(session):
        return 0
    return import_places(session, parse_csv(text)).added


# --- re-matching what residents typed ---------------------------------------------------------


@dataclass(frozen=True)
class PlaceFix:
    """A confident match of a stored place: the canonical 社区, 小区 and place."""

    community: str
    compound: str | None
    place_id: int | None


def confident_fix(text: str, gazetteer: Gazetteer) -> PlaceFix | None:
    """The canonical place of a stored place text, when it matches confidently."""
    match = match_place(text, gazetteer)
    best = match.best
    if match.certainty is not Certainty.CONFIDENT or best is None:
        return None
    return PlaceFix(best.community, best.compound, best.place_id)


@dataclass(frozen=True)
class Rematched:
    """What a re-match changed: how many requests (and the open ones, for their cards) and
    how many residents' remembered places."""

    requests: int = 0
    open_ids: tuple[int, ...] = ()
    residents: int = 0


def rematch(session: Session) -> Rematched:
    """Give requests and residents whose place text matches confidently the canonical place.

    A request not yet matched to a 小区 is matched by what the resident typed
    (`unmatched_place`, else its `community`). Set-based: each distinct text is matched once
    and its rows updated in one statement, so a database of a million requests re-matches in
    the time of its few thousand distinct places. No event is written: the place is the same,
    only its spelling becomes the canonical one (the resident's words stay in the request).
    """
    gazetteer = load(session)
    if gazetteer.empty:
        return Rematched()
    r = ServiceRequest
    typed = sa.func.coalesce(col(r.unmatched_place), col(r.community))
    pending = sa.and_(col(r.place_id).is_(None), typed.is_not(None))
    texts = session.execute(sa.select(typed).where(pending).distinct()).scalars().all()
    requests, now = 0, utcnow()
    open_ids: list[int | None] = []
    for text in texts:
        fix = confident_fix(text, gazetteer)
        if fix is None:
            continue
        where = sa.and_(pending, typed == text)
        if fix.place_id is None:  # rows already at the canonical 社区 stay as they are
            where = sa.and_(
                where,
                sa.or_(
                    col(r.unmatched_place).is_not(None),
                    col(r.community) != fix.community,
                    col(r.compound).is_not(None),
                ),
            )
        open_ids += session.exec(
            select(r.id).where(where, col(r.status) == RequestStatus.OPEN.value)
        ).all()
        requests += rowcount(
            session.execute(
                sa.update(r)
                .where(where)
                .values(
                    community=fix.community,
                    compound=fix.compound,
                    place_id=fix.place_id,
                    unmatched_place=None,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        )
    residents = 0
    known = [c.community for c in gazetteer.communities]
    remembered = session.execute(
        sa.select(col(Resident.community))
        .where(col(Resident.community).is_not(None), col(Resident.community).not_in(known))
        .distinct()
    ).scalars()
    for text in list(remembered):
        fix = confident_fix(text, gazetteer)
        if fix is None or fix.community == text:
            continue
        residents += rowcount(
            session.execute(
                sa.update(Resident)
                .where(col(Resident.community) == text)
                .values(community=fix.community)
                .execution_options(synchronize_session=False)
            )
        )
    if requests or residents:
        log.info("gazetteer: %s requests, %s residents re-matched", requests, residents)
    return Rematched(requests, tuple(i for i in open_ids if i is not None), residents)


# --- unknown places and the admins' edits -----------------------------------------------------

UNKNOWN_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class UnknownPlace:
    """A place residents typed that the gazetteer does not know, still unmatched."""

    text: str
    requests: int
    latest: int  # the newest request carrying it (the admins' buttons name it)
    last_at: datetime


def unknown_places(
    session: Session,
    *,
    now: datetime | None = None,
    window: timedelta = UNKNOWN_WINDOW,
    limit: int = 10,
    text: str | None = None,
) -> list[UnknownPlace]:
    """The unmatched places of requests filed within `window`, most often typed first
    (only `text`, when given)."""
    since = (now or utcnow()) - window
    only = [col(ServiceRequest.unmatched_place) == text] if text is not None else []
    rows = session.execute(
        sa.select(
            col(ServiceRequest.unmatched_place),
            sa.func.count(),
            sa.func.max(col(ServiceRequest.id)),
            sa.func.max(col(ServiceRequest.created_at)),
        )
        .where(
            col(ServiceRequest.unmatched_place).is_not(None),
            col(ServiceRequest.place_id).is_(None),
            col(ServiceRequest.created_at) >= since,
            *only,
        )
        .group_by(col(ServiceRequest.unmatched_place))
        .order_by(sa.func.count().desc(), sa.func.max(col(ServiceRequest.id)).desc())
        .limit(limit)
    ).all()
    return [UnknownPlace(text, int(count), int(latest), last) for text, count, latest, last in rows]


def unknown_of(session: Session, *, request_id: int) -> str:
    """The unmatched place request `request_id` carries (`NotFound` when it has none now)."""
    request = session.get(ServiceRequest, request_id)
    if request is None or request.unmatched_place is None or request.place_id is not None:
        raise NotFound(f"request {request_id} has no unmatched place")
    return request.unmatched_place


def unknown_key(text: str) -> str:
    """A short stable key of an unknown place (for the outbox's once-a-day flag)."""
    return hashlib.sha1(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PlaceEdit:
    """After an admin's edit: the 小区 it concerns and how many requests now carry it."""

    place_id: int
    community: str
    compound: str
    request_ids: tuple[int, ...]

    @property
    def requests_matched(self) -> int:
        return len(self.request_ids)


def get_place(session: Session, *, place_id: int, lock: bool = False) -> Place:
    """The 小区 `place_id` (NotFound otherwise); with `lock`, read afresh and locked until
    commit (PostgreSQL), for a read-modify-write of its aliases."""
    query = select(Place).where(col(Place.id) == place_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    place = session.exec(query).first()
    if place is None:
        raise NotFound(f"place {place_id}")
    return place


def add_alias(session: Session, *, request_id: int, place_id: int) -> PlaceEdit:
    """Make the unmatched place of request `request_id` an alias of 小区 `place_id`; the
    requests that carried that text are matched to it."""
    text = unknown_of(session, request_id=request_id)
    # Locked: of two admins adding aliases to one 小区 at once, the second adds to the first's.
    place = get_place(session, place_id=place_id, lock=True)
    aliases = list(place.aliases or [])
    if text != place.compound and text not in aliases:
        if len(aliases) >= MAX_ALIASES:
            raise InvalidInput("aliases", f"{place.compound} has {MAX_ALIASES} aliases already")
        place.aliases = [*aliases, text]
        place.updated_at = utcnow()
        session.add(place)
        session.flush()
    return _carry(session, text, place)


def add_compound(session: Session, *, request_id: int, like_place_id: int) -> PlaceEdit:
    """Make the unmatched place of request `request_id` a new 小区 of the 社区 of place
    `like_place_id`; the requests that carried that text are matched to it."""
    text = unknown_of(session, request_id=request_id)
    like = get_place(session, place_id=like_place_id)
    compound = name_key(text) or text
    if len(compound) > MAX_NAME:
        raise InvalidInput("compound", "too long")
    # Inserted unless it exists: of two admins adding it at once, one inserts, the other
    # finds it (not a unique violation).
    table = SQLModel.metadata.tables["places"]
    now = utcnow()
    insert_if_absent(
        session,
        table,
        {
            "street": like.street,
            "community": like.community,
            "compound": compound,
            "aliases": [text] if text != compound else [],
            "created_at": now,
            "updated_at": now,
        },
        unless=sa.and_(table.c.community == like.community, table.c.compound == compound),
    )
    place = session.exec(
        select(Place).where(Place.community == like.community, Place.compound == compound)
    ).one()
    return _carry(session, text, place)


def _carry(session: Session, text: str, place: Place) -> PlaceEdit:
    """Match every unmatched request that carried `text` to `place` (the admin said so)."""
    assert place.id is not None
    ids = tuple(
        session.exec(
            select(ServiceRequest.id).where(
                ServiceRequest.unmatched_place == text, col(ServiceRequest.place_id).is_(None)
            )
        ).all()
    )
    numbers = tuple(number for number in ids if number is not None)
    session.execute(
        sa.update(ServiceRequest)
        .where(col(ServiceRequest.id).in_(numbers), col(ServiceRequest.place_id).is_(None))
        .values(
            community=place.community,
            compound=place.compound,
            place_id=place.id,
            unmatched_place=None,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    log.info("gazetteer: place %s edited; %s requests matched", place.id, len(numbers))
    return PlaceEdit(place.id, place.community, place.compound, numbers)


@dataclass(frozen=True)
class CommunityView:
    """One 社区 of the gazetteer as /places and `linli places list` show it."""

    street: str
    community: str
    compounds: tuple[tuple[int, str, tuple[str, ...]], ...]  # (place id, 小区, aliases)


def overview(session: Session) -> list[CommunityView]:
    """The gazetteer by 街道 and 社区, 小区 in name order."""
    grouped: dict[tuple[str, str], list[tuple[int, str, tuple[str, ...]]]] = {}
    for place in session.exec(select(Place)).all():
        assert place.id is not None
        grouped.setdefault((place.street, place.community), []).append(
            (place.id, place.compound, tuple(place.aliases or ()))
        )
    return [
        CommunityView(street, community, tuple(sorted(items, key=lambda item: item[1])))
        for (street, community), items in sorted(grouped.items())
    ]


def suggest_communities_for(session: Session, *, text: str) -> list[str]:
    """The 社区 whose names or 小区 an unknown place most resembles, closest first."""
    ranked = _rank(name_key(split_building(normalise(text))[0]), load(session))
    return list(dict.fromkeys(c.community for c in ranked if c.score >= 40))


def suggest_compounds(session: Session, *, text: str, limit: int = 3) -> list[Candidate]:
    """The 小区 an unknown place most resembles (for the admin's alias buttons)."""
    gazetteer = load(session)
    ranked = _rank(name_key(split_building(normalise(text))[0]), gazetteer)
    return [c for c in ranked if c.compound is not None and c.score >= 40][:limit]
