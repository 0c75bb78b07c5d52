"""The week's texts: near-duplicate clusters (one need raised by several residents) and each
category's keywords, computed in Python (jieba) over the week's own requests."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from nlp.keywords import top_keywords
from nlp.privacy import mask_personal_data
from nlp.similarity import SAME_NEED_THRESHOLD, similarity, similarity_tokens
from storage.summary.model import Cluster, KeywordSet
from storage.summary.tables import CANCELLED, MERGED, REQUESTS, SUPPORTERS, chunks, in_range

CLUSTER_LIMIT = 10
# Jieba is the slow part of a summary: keywords come from at most this many of the week's
# messages per category (the most recent), which is plenty for five stable words.
KEYWORD_SAMPLE = 300
KEYWORDS_PER_CATEGORY = 5
# Near-duplicates are compared within one community and category; a bigger group than this
# keeps its most recent requests (pairs grow with the square of the group).
CLUSTER_GROUP_CAP = 300
EXCERPT_LENGTH = 40
# A cluster lists at most this many of its request numbers.
CLUSTER_IDS = 20


@dataclass(frozen=True)
class Text:
    """One request's text and what places it (a row of TEXT_COLUMNS)."""

    id: int
    resident_id: int
    category: str
    community: str | None
    building: str | None
    status: str
    merged_into_id: int | None
    original_text: str
    normalised_text: str
    created_at: datetime


TEXT_COLUMNS = (
    REQUESTS.c.id,
    REQUESTS.c.resident_id,
    REQUESTS.c.category,
    REQUESTS.c.community,
    REQUESTS.c.building,
    REQUESTS.c.status,
    REQUESTS.c.merged_into_id,
    REQUESTS.c.original_text,
    REQUESTS.c.normalised_text,
    REQUESTS.c.created_at,
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """A short excerpt with phone and ID numbers masked (summaries are forwarded), on one
    line and without control characters (rows filed before intake cleaned them)."""
    flat = " ".join(_CONTROL.sub(" ", mask_personal_data(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def week_texts(session: Session, start: datetime, end: datetime) -> list[Text]:
    """The requests filed during the week, except the withdrawn ones."""
    r = REQUESTS
    query = sa.select(*TEXT_COLUMNS).where(
        in_range(r.c.created_at, start, end), r.c.status != CANCELLED
    )
    return [Text(*row) for row in session.execute(query)]


def _newest_first(texts: Sequence[Text]) -> list[Text]:
    return sorted(texts, key=lambda t: t.created_at, reverse=True)


def keywords(texts: Sequence[Text], order: Sequence[str]) -> tuple[KeywordSet, ...]:
    """The top words of each category in `order`, from its most recent texts."""
    by_category: dict[str, list[Text]] = defaultdict(list)
    for text in texts:
        if text.status != MERGED:
            by_category[text.category].append(text)
    result = []
    for category in order:
        rows = _newest_first(by_category.get(category, []))
        words = top_keywords(
            [t.normalised_text for t in rows[:KEYWORD_SAMPLE]],
            KEYWORDS_PER_CATEGORY,
            normalised=True,
        )
        if words:
            result.append(KeywordSet(category, tuple((w, float(s)) for w, s in words)))
    return tuple(result)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        self.parent.setdefault(item, item)
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def clusters(session: Session, texts: Sequence[Text]) -> tuple[Cluster, ...]:
    """Group the week's requests that are one need: merged, +1'd, or saying the same thing."""
    nodes = _with_merge_targets(session, texts)
    groups = _UnionFind()
    for node in nodes.values():
        groups.find(node.id)
        if node.merged_into_id is not None and node.merged_into_id in nodes:
            groups.union(node.id, node.merged_into_id)
    _link_same_texts(groups, nodes.values())
    people = _people(session, nodes.values())
    members_of: dict[int, list[Text]] = defaultdict(list)
    for node in nodes.values():
        members_of[groups.find(node.id)].append(node)
    found = [
        cluster
        for members in members_of.values()
        if (cluster := _cluster(members, people)) is not None
    ]
    found.sort(key=lambda c: (-c.residents, -c.requests, c.request_id))
    return tuple(found[:CLUSTER_LIMIT])


def _with_merge_targets(session: Session, texts: Sequence[Text]) -> dict[int, Text]:
    """The week's texts by id, plus the older requests some of them were merged into."""
    nodes = {t.id: t for t in texts}
    targets = sorted({t.merged_into_id for t in texts if t.merged_into_id} - set(nodes))
    for chunk in chunks(targets):
        for row in session.execute(sa.select(*TEXT_COLUMNS).where(REQUESTS.c.id.in_(chunk))):
            nodes[row[0]] = Text(*row)
    return nodes


def _link_same_texts(groups: _UnionFind, nodes: Iterable[Text]) -> None:
    """Join the requests of one community and category that say the same thing."""
    by_place: dict[tuple[str | None, str], list[Text]] = defaultdict(list)
    for node in nodes:
        if node.status != MERGED:
            by_place[(node.community, node.category)].append(node)
    # Residents often send the very same words ("电梯坏了"): segment each text once.
    cache: dict[str, frozenset[str]] = {}

    def tokens_of(member: Text) -> frozenset[str]:
        key = f"{member.building or ''} {member.normalised_text}"
        if key not in cache:
            cache[key] = similarity_tokens(key)
        return cache[key]

    for (community, _category), members in by_place.items():
        if community is None or len(members) < 2:
            continue
        members = _newest_first(members)[:CLUSTER_GROUP_CAP]
        _link_similar(groups, members, [tokens_of(m) for m in members])


def _link_similar(
    groups: _UnionFind, members: Sequence[Text], tokens: Sequence[frozenset[str]]
) -> None:
    """Join every pair of `members` whose tokens are similar enough to be one need."""
    sizes = [len(tokens_of_one) for tokens_of_one in tokens]
    for i in range(len(members)):
        for j in range(i):
            # similarity() is 0 or the Dice coefficient: skip pairs whose Dice cannot reach
            # the threshold before paying for its building check.
            shared = len(tokens[i] & tokens[j])
            if 2 * shared < SAME_NEED_THRESHOLD * (sizes[i] + sizes[j]):
                continue
            if similarity(tokens[i], tokens[j]) >= SAME_NEED_THRESHOLD:
                groups.union(members[i].id, members[j].id)


def _people(session: Session, nodes: Iterable[Text]) -> dict[int, set[int]]:
    """Each request's residents: who filed it and who said 我也遇到了 (+1) on it."""
    people: dict[int, set[int]] = defaultdict(set)
    for node in nodes:
        people[node.id].add(node.resident_id)
    s = SUPPORTERS
    for chunk in chunks(sorted(people)):
        for request_id, resident_id in session.execute(
            sa.select(s.c.request_id, s.c.resident_id).where(s.c.request_id.in_(chunk))
        ):
            people[request_id].add(resident_id)
    return people


def _cluster(members: Sequence[Text], people: Mapping[int, set[int]]) -> Cluster | None:
    """The group as a cluster headed by its oldest kept request; None for a single resident."""
    residents: set[int] = set()
    for member in members:
        residents |= people[member.id]
    if len(residents) < 2:
        return None
    kept = [m for m in members if m.status != MERGED] or members
    head = min(kept, key=lambda m: (m.created_at, m.id))
    return Cluster(
        request_id=head.id,
        category=head.category,
        community=head.community,
        building=head.building,
        excerpt=excerpt(head.original_text),
        requests=len(members),
        merged=sum(m.status == MERGED for m in members),
        residents=len(residents),
        request_ids=tuple(sorted(m.id for m in members))[:CLUSTER_IDS],
    )
