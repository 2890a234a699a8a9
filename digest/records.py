"""The typed records that flow between pipeline stages.

Every record is a frozen, slotted dataclass; collections inside records are tuples, so a
record can be hashed, compared and shared between stages without anyone mutating it.

Flow of records (see ``pipeline.build``)::

    FeedSource --fetch--> FetchResult --parse--> ParsedFeed(Entry...)
    Entry --extract--> Article --relevance--> Judgement
    Article* --cluster--> Cluster --summarize/quotes/tag--> Story
    Story* --editions--> Edition --render--> OutputFile
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that went wrong with one input; the build carries on without it.

    ``where`` names the feed, page or file; ``reason`` is a short category used to count
    problems in the build report (``timeout``, ``too_large``, ``refused_address``,
    ``http_status``, ``parse_error``, ...); ``detail`` is the one-line human explanation.
    """

    where: str
    reason: str
    detail: str

    def line(self) -> str:
        return f"{self.where}: {self.reason}: {self.detail}"


# --- feeds -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed as the operator configured it."""

    url: str
    name: str
    tags: tuple[str, ...] = ()
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class FeedState:
    """What the store remembers about a feed between runs."""

    url: str  # the configured URL: the key
    current_url: str  # where we fetch now (updated by permanent redirects)
    name: str
    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None
    last_status: str = "new"  # ok | not_modified | unchanged | error | gone | new
    last_error: str | None = None
    failing_since: datetime | None = None
    last_checked: datetime | None = None
    last_ok: datetime | None = None
    retired: bool = False
    entry_count: int = 0


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP fetch. Never raised: failures are ``problem``."""

    url: str  # what was asked for
    final_url: str  # after redirects
    status: int | None  # HTTP status of the final response; None when there was none
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # set when the chain began with 301/308
    problem: Problem | None = None
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem is None and self.status is not None and 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Entry:
    """One item of a feed, as parsed; links already canonical and absolute."""

    feed_url: str  # configured feed URL
    guid: str
    url: str  # canonical article URL
    title: str
    source: str  # outlet name
    author: str = ""
    published: datetime | None = None
    summary_html: str = ""
    content_html: str = ""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    url: str
    title: str
    link: str
    version: str  # rss20, rss10, atom10, json11, ...
    entries: tuple[Entry, ...]
    problems: tuple[Problem, ...] = ()


# --- articles --------------------------------------------------------------------------


PageJob = tuple[str, bytes, str, str | None]  # a page to extract: url, body, content type, feed's headline


@dataclass(frozen=True, slots=True)
class PageText:
    """What extraction got out of one article page (cached by canonical URL)."""

    url: str
    text: str  # main text, paragraphs separated by a blank line
    title: str = ""
    author: str = ""
    published: datetime | None = None
    language: str = ""
    origin: str = "page"  # page | feed_content | feed_summary
    fallback_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Article:
    """An entry joined with the text of its page: the unit of relevance and clustering."""

    id: str  # stable: derived from the canonical URL
    url: str
    feed_url: str
    source: str  # outlet name
    title: str
    text: str
    published: datetime
    first_seen: datetime
    author: str = ""
    language: str = ""
    text_origin: str = "page"
    fallback_reason: str | None = None
    feed_tags: tuple[str, ...] = ()
    feed_jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class Judgement:
    """The relevance decision for one article, with what decided it."""

    article_id: str
    on_topic: bool
    score: float
    harms: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()  # matched terms; and the deciding sentences when left out
    reason: str = ""  # why it was left out (empty when kept)


# --- stories ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cluster:
    """Articles grouped as coverage of one event, with why they were grouped."""

    article_ids: tuple[str, ...]  # lead first
    reasons: tuple[str, ...] = ()
    duplicates: tuple[tuple[str, str], ...] = ()  # (copy id, original id) syndicated copies
    credited_outlet: str = ""  # the outlet the coverage credits with the story ("told The Guardian")


@dataclass(frozen=True, slots=True)
class Quote:
    speaker: str
    text: str
    role: str = ""
    article_id: str = ""


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    """What composing a story reads of one member alone. Worked out with the article's cluster
    traits, in the same worker: both read its names, words and people, which each process remembers
    per article, so they are found once rather than again wherever its story is composed."""

    words: tuple[str, ...]  # its distinct content words, headline included, in order of first use
    counts: tuple[int, ...]  # how often each occurs
    quotes: tuple[Quote, ...]  # as ``quotes.extract_quotes`` finds them
    places: frozenset[str]  # the places it is about, as ``tag.places_in`` finds them
    organisations: tuple[tuple[str, bool], ...]  # as ``tag.organisations_named`` finds them
    surnames: tuple[tuple[str, str], ...]  # surname -> full name (``summarize.lone_surnames``)


@dataclass(frozen=True, slots=True)
class SummarySentence:
    text: str
    article_id: str
    url: str


@dataclass(frozen=True, slots=True)
class Source:
    article_id: str
    url: str
    title: str
    source: str  # outlet name
    published: datetime | None = None
    is_lead: bool = False
    copies: tuple[str, ...] = ()  # URLs of syndicated copies folded into this source


@dataclass(frozen=True, slots=True)
class Tags:
    harms: tuple[str, ...] = ()
    responses: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()

    def all(self) -> tuple[str, ...]:
        """Every tag once, in field order: a person and an organisation may share a name."""
        every = self.harms + self.responses + self.jurisdictions + self.organisations + self.people
        return tuple(dict.fromkeys(every))


@dataclass(frozen=True, slots=True)
class Story:
    id: str  # stable across rebuilds: derived from the first article seen
    title: str
    lead_article_id: str
    sources: tuple[Source, ...]
    summary: tuple[SummarySentence, ...]
    quotes: tuple[Quote, ...]
    tags: Tags
    relevance: float
    published: datetime  # earliest publication among its sources
    first_seen: datetime
    grouping_reasons: tuple[str, ...] = ()
    content_note: str = ""  # set for sexual violence / intimate-image abuse
    pinned: bool = False
    editor_note: str = ""
    credited_outlet: str = ""  # first reported by: credited by the coverage, a source or not ("" if none)

    def newest_first_key(self) -> tuple[float, str]:
        """The order of the story list: newest first, then by id."""
        return -self.published.timestamp(), self.id


@dataclass(frozen=True, slots=True)
class Exclusion:
    """An article left out of the digest, kept for the operator's status page."""

    article_id: str
    url: str
    title: str
    source: str
    score: float
    reason: str
    evidence: tuple[str, ...] = ()


# --- editions and output ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    story_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Edition:
    number: int
    key: str  # e.g. 2026-W47
    start: date
    end: date  # inclusive
    title: str
    story_ids: tuple[str, ...]  # ranked
    sections: tuple[Section, ...] = ()
    editor_note: str = ""  # Markdown


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative, forward slashes
    content: bytes  # empty when ``kept``
    key: str = ""  # what the page was rendered from (``render/keys.py``), for pages that have one
    kept: bool = False  # the published file is this page: its key is the one it was published with


@dataclass(frozen=True, slots=True)
class StageTime:
    """One stage of a build: wall seconds, and CPU seconds here and in the child processes."""

    name: str
    wall_s: float
    cpu_s: float  # this process, every thread
    workers_cpu_s: float  # the worker pool and the search indexer


@dataclass(frozen=True, slots=True)
class BuildReport:
    feeds_total: int = 0
    feeds_failed: int = 0
    entries_new: int = 0
    articles_fetched: int = 0
    articles_kept: int = 0
    articles_excluded: int = 0
    stories: int = 0
    editions: int = 0
    files_written: int = 0
    problems: tuple[Problem, ...] = field(default=())
    failing_feeds: tuple[Problem, ...] = field(default=())  # each failing feed, reason and for how long
    stages: tuple[StageTime, ...] = field(default=())  # with ``--timings`` only
