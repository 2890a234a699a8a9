"""What every renderer shares: stable paths and slugs, absolute URLs, dates, and the site index.

Paths are relative to the site root, in file form (``stories/<id>/index.html``) so a page links to
a file and the site works from ``file://``; absolute URLs (feeds, sitemap, canonical) use the
directory form (``https://host/stories/<id>/``). Every path comes from an id, key or slug only, so
it is the same on every rebuild.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

from digest.records import Edition, Story, SummarySentence
from digest.urls import strip_tracking

RELATED_WINDOW_S = timedelta(days=30).total_seconds()  # either side of a story: see ``related_stories``
LISTING_PAGE = 50  # stories on each older page of a topic, place, organisation or outlet
# The listing kinds: folder name -> what a story's tags give it.
LISTING_KINDS = ("tags", "jurisdictions", "organisations", "sources")
KIND_TITLES = {
    "tags": "Topics",
    "jurisdictions": "Jurisdictions",
    "organisations": "Organisations",
    "sources": "Sources",
}
KIND_SINGULAR = {
    "tags": "Topic",
    "jurisdictions": "Jurisdiction",
    "organisations": "Organisation",
    "sources": "Source",
}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# --- slugs and paths -----------------------------------------------------------------------


def slugify(name: str) -> str:
    """``"Coimisiún na Meán"`` -> ``"coimisiun-na-mean"``; a hash when nothing Latin is left."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "x-" + _short_hash(name)


def assign_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct slug per name; names whose slugs collide each get a hash suffix."""
    unique = sorted(set(names))
    counts = Counter(slugify(name) for name in unique)
    return {
        name: slugify(name) if counts[slugify(name)] == 1 else f"{slugify(name)}-{_short_hash(name)}"
        for name in unique
    }


def segment(identifier: str) -> str:
    """An id or key as one path segment: kept when already safe, slugged otherwise."""
    return identifier if _SAFE_SEGMENT.match(identifier) else slugify(identifier)


def story_path(story_id: str) -> str:
    return f"stories/{segment(story_id)}/index.html"


def edition_path(key: str) -> str:
    return f"editions/{segment(key)}/index.html"


def listing_path(kind: str, slug: str, page: int = 0) -> str:
    """A listing's first page (``page`` 0: its newest stories), or one of its older pages."""
    folder = f"{kind}/{slug}/"
    return f"{folder}page/{page}/index.html" if page else f"{folder}index.html"


def listing_page_counts(count: int, per_page: int = LISTING_PAGE) -> tuple[int, int]:
    """(older pages, stories on the first page) of a listing of ``count`` stories. Older pages are
    full and numbered from the earliest story, so a page once made keeps its stories as the listing
    grows; the first page shows the rest, newest first (``per_page`` to twice that, less one)."""
    older = max(0, count // per_page - 1)
    return older, count - older * per_page


def root_of(path: str) -> str:
    """The relative prefix from the page at ``path`` back to the site root."""
    return "../" * path.count("/")


def absolute_url(base_url: str, path: str) -> str:
    """The public URL of ``path``: directory form for ``index.html`` pages."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return urljoin(base, path)


@functools.lru_cache(maxsize=8192)  # a source's URL is written on many pages, feeds and emails
def outbound(url: str) -> str:
    """``url`` without tracking parameters (``lexicon/tracking.toml``); not http(s) becomes ``"#"``."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return "#"
    return urlunsplit(parts._replace(query=strip_tracking(parts.query)))


def host(url: str) -> str:
    return urlsplit(url).hostname or url


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# --- dates ---------------------------------------------------------------------------------


def utc(moment: datetime) -> datetime:
    """Naive datetimes are taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def long_date(day: date | datetime) -> str:
    return f"{day.day} {day:%B %Y}"


def how_long(since: datetime, now: datetime) -> str:
    """A rough duration for people: ``"3 days"``, ``"5 hours"``, ``"under an hour"``."""
    hours = int((utc(now) - utc(since)).total_seconds() // 3600)
    if hours >= 48:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours > 1 else ''}"
    return "under an hour"


# --- the site index --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """Look-ups computed once per build and shared by every renderer."""

    stories_by_id: dict[str, Story]
    edition_of: dict[str, Edition]  # story id -> its edition
    slugs: dict[str, dict[str, str]]  # kind -> name -> slug
    listings: dict[str, dict[str, tuple[Story, ...]]]  # kind -> name -> stories, newest first
    newest: tuple[Story, ...]  # every story, newest first (ties by id)
    recency: dict[str, int]  # story id -> its position in ``newest``
    related_by: dict[
        str, tuple[int, ...]
    ]  # "topic:<name>" / "organisation:<name>" -> positions in ``newest``
    newest_times: tuple[float, ...]  # each story's publication time, negated, in ``newest`` order

    def link(self, kind: str, name: str) -> str:
        return listing_path(kind, self.slugs[kind][name])


def newest_first(stories: Iterable[Story]) -> list[Story]:
    return sorted(stories, key=lambda story: (-utc(story.published).timestamp(), story.id))


def names_of(story: Story, kind: str) -> tuple[str, ...]:
    """The names under which ``story`` is listed in ``kind``."""
    if kind == "tags":
        return story.tags.harms + story.tags.responses
    if kind == "jurisdictions":
        return story.tags.jurisdictions
    if kind == "organisations":
        return story.tags.organisations
    return tuple(dict.fromkeys(source.source for source in story.sources))


def build_index(stories: Sequence[Story], editions: Sequence[Edition]) -> SiteIndex:
    ordered = newest_first(stories)
    listings: dict[str, dict[str, tuple[Story, ...]]] = {}
    for kind in LISTING_KINDS:
        grouped: dict[str, list[Story]] = {}
        for story in ordered:
            for name in dict.fromkeys(names_of(story, kind)):
                grouped.setdefault(name, []).append(story)
        listings[kind] = {
            name: tuple(grouped[name]) for name in sorted(grouped, key=lambda name: (name.casefold(), name))
        }
    return SiteIndex(
        stories_by_id={story.id: story for story in stories},
        edition_of={story_id: edition for edition in editions for story_id in edition.story_ids},
        slugs={kind: assign_slugs(listings[kind]) for kind in LISTING_KINDS},
        listings=listings,
        newest=tuple(ordered),
        recency={story.id: position for position, story in enumerate(ordered)},
        related_by=_relations(ordered),
        newest_times=tuple(-utc(story.published).timestamp() for story in ordered),
    )


def edition_stories(edition: Edition, index: SiteIndex) -> list[Story]:
    """The edition's stories in rank order, skipping ids the build no longer has."""
    return [
        index.stories_by_id[story_id] for story_id in edition.story_ids if story_id in index.stories_by_id
    ]


def leading(ranked: Sequence[Story], limit: int) -> list[Story]:
    """The first ``limit`` of stories in rank order (the home page's and the e-mail's); 0: all."""
    return list(ranked[:limit] if limit else ranked)


@dataclass(frozen=True, slots=True)
class StoryLink:
    """What a page shows of another story it links to (a related story): the page's key holds no
    more of that story than this, so its other fields can change without the page being rendered."""

    id: str
    title: str
    published: datetime


@dataclass(frozen=True, slots=True)
class EditionLink:
    """What a page shows of an edition it links to (a story's, the next and the last)."""

    number: int
    key: str
    title: str
    start: date
    end: date


def story_link(story: Story) -> StoryLink:
    return StoryLink(story.id, story.title, story.published)


def edition_link(edition: Edition | None) -> EditionLink | None:
    if edition is None:
        return None
    return EditionLink(edition.number, edition.key, edition.title, edition.start, edition.end)


def related_stories(story: Story, index: SiteIndex, limit: int = 5) -> list[Story]:
    """Stories sharing a topic or organisation with ``story``, published within ``RELATED_WINDOW_S`` of
    it: most shared first, then newest. Within a window, not the whole archive: a page's related
    stories are coverage of its time, its page stops changing once the window has passed, and the
    work for each page does not grow with the archive."""
    at = -utc(story.published).timestamp()
    first = bisect.bisect_left(index.newest_times, at - RELATED_WINDOW_S)  # positions: newest first
    end = bisect.bisect_right(index.newest_times, at + RELATED_WINDOW_S)
    shared: Counter[int] = Counter()
    for key in _relation_keys(story):
        positions = index.related_by.get(key, ())
        shared.update(positions[bisect.bisect_left(positions, first) : bisect.bisect_left(positions, end)])
    del shared[index.recency[story.id]]
    # (fewest shared negated, position newest first) orders as (most shared, newest, id) does, and
    # costs no function call per candidate: a broad topic makes every story one.
    ranked = heapq.nsmallest(limit, ((-count, position) for position, count in shared.items()))
    return [index.newest[position] for _, position in ranked]


def _relation_keys(story: Story) -> tuple[str, ...]:
    topics = tuple(f"topic:{name}" for name in story.tags.harms + story.tags.responses)
    return topics + tuple(f"organisation:{name}" for name in story.tags.organisations)


def _relations(newest: Sequence[Story]) -> dict[str, tuple[int, ...]]:
    """Relation key (``topic:harassment``) -> positions in ``newest`` of the stories that have it."""
    members: dict[str, list[int]] = {}
    for position, story in enumerate(newest):
        for key in dict.fromkeys(_relation_keys(story)):
            members.setdefault(key, []).append(position)
    return {key: tuple(positions) for key, positions in members.items()}


def numbered_summary(story: Story) -> list[tuple[SummarySentence, int | str, str]]:
    """Each summary sentence with the number and outlet of the source it came from."""
    numbers = {
        source.article_id: (position, source.source) for position, source in enumerate(story.sources, 1)
    }
    by_url = {source.url: (position, source.source) for position, source in enumerate(story.sources, 1)}
    numbered: list[tuple[SummarySentence, int | str, str]] = []
    for sentence in story.summary:
        number, outlet = (
            numbers.get(sentence.article_id) or by_url.get(sentence.url) or (0, host(sentence.url))
        )
        numbered.append((sentence, number or "source", outlet))
    return numbered
