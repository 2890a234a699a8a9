"""The SQLite store: the only state shared between stages and between runs.

One file (WAL mode), a schema version with forward migrations, and a lock file so that two
builds never write at once. Rows are never deleted by a build: a feed that fails keeps its
items, an excluded article keeps its row and its reason.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from digest.errors import StoreBusyError, StoreError
from digest.records import (
    Article,
    Entry,
    Exclusion,
    FeedSource,
    FeedState,
    FetchResult,
    Judgement,
    PageText,
    ParsedFeed,
    Problem,
)

log = logging.getLogger(__name__)

# Each entry upgrades the schema by one version; never edit a released one, append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE feeds (
        url TEXT PRIMARY KEY, current_url TEXT NOT NULL, name TEXT NOT NULL,
        etag TEXT, last_modified TEXT, body_sha256 TEXT,
        last_status TEXT NOT NULL DEFAULT 'new', last_error TEXT, failing_since TEXT,
        last_checked TEXT, last_ok TEXT, retired INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE entries (
        url TEXT PRIMARY KEY, id TEXT NOT NULL UNIQUE, guid TEXT NOT NULL, feed_url TEXT NOT NULL,
        title TEXT NOT NULL, source TEXT NOT NULL, author TEXT NOT NULL, published TEXT,
        summary_html TEXT NOT NULL, content_html TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL
    );
    CREATE INDEX entries_feed ON entries(feed_url);
    CREATE TABLE pages (
        url TEXT PRIMARY KEY, text TEXT NOT NULL, title TEXT NOT NULL, author TEXT NOT NULL,
        published TEXT, language TEXT NOT NULL, origin TEXT NOT NULL, fallback_reason TEXT,
        extracted_at TEXT NOT NULL
    );
    CREATE TABLE judgements (
        article_id TEXT PRIMARY KEY, on_topic INTEGER NOT NULL, score REAL NOT NULL,
        harms TEXT NOT NULL, responses TEXT NOT NULL, evidence TEXT NOT NULL, reason TEXT NOT NULL
    );
    CREATE TABLE edition_stories (
        story_id TEXT PRIMARY KEY, edition_key TEXT NOT NULL, assigned_at TEXT NOT NULL
    );
    CREATE TABLE editions (
        key TEXT PRIMARY KEY, number INTEGER NOT NULL UNIQUE, start TEXT NOT NULL, end TEXT NOT NULL
    );
    CREATE TABLE sends (
        edition_key TEXT NOT NULL, recipient TEXT NOT NULL, status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, updated_at TEXT NOT NULL,
        PRIMARY KEY (edition_key, recipient)
    );
    """,
    # Every story id ever published and every article it held: a story that later merges into
    # another keeps its URL as a page pointing to the story that now holds its articles.
    """
    CREATE TABLE published_stories (
        story_id TEXT NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY (story_id, article_id)
    );
    """,
    # Results derived from the rest of the store, each under the digest of its inputs: a rebuild
    # whose inputs did not change reuses them. Losing this table loses time, and the settled stories:
    # the next build clusters the whole archive at once (``derived.LastStories``).
    """
    CREATE TABLE derived (name TEXT PRIMARY KEY, inputs TEXT NOT NULL, value BLOB NOT NULL);
    """,
    # Every build reads the whole archive in this order: read through the index, not sorted in a
    # temporary table of every text (9,000 articles: 0.09 to 0.15 s against 0.19 to 0.24).
    """
    CREATE INDEX entries_order ON entries(first_seen, url);
    """,
    # One row per item of a result worked out item by item (``derived.reused_each``): a build writes
    # the items it worked out, not again the whole map (12 MB of judgements on a 16-week archive).
    """
    CREATE TABLE derived_items (
        name TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (name, key)
    ) WITHOUT ROWID;
    DELETE FROM derived WHERE inputs = 'per-item';
    """,
)
# The archive as every build reads it (``Store.articles``), oldest first.
ARTICLES_QUERY = (  # not e.*: the feed's own HTML of each entry is never part of an article
    "SELECT e.id, e.url, e.feed_url, e.source, e.title, e.author, e.published, e.first_seen, "
    "p.text, p.title AS page_title, p.author AS page_author, p.published AS page_published, "
    "p.language, p.origin, p.fallback_reason FROM entries e "
    "JOIN pages p ON p.url = e.url ORDER BY e.first_seen, e.url"
)

LOCK_WAIT_S = 10.0
PAGE_NOT_FETCHED = "page not fetched: "  # begins the detail of every page-fetch problem
PAGES_LISTED = 5  # failed pages named on a feed's status row; the rest are counted
LOOKUP_BATCH = 500  # keys per "IN (...)" query: well under SQLite's limit on bound parameters


def article_id(url: str) -> str:
    """A stable id from the canonical URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


class Store:
    """A connection to the store; use ``Store.open`` as a context manager."""

    def __init__(self, path: Path, db: sqlite3.Connection, lock: IO[str] | None) -> None:
        self.path = path
        self.db = db
        self._lock = lock
        self._unfetched_pages: list[Problem] = []  # pages saved through this connection
        self._batched = False  # inside ``batch``: writes wait for its one commit

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """The writes made inside, committed together at the end (or none, if it raises): a build
        records hundreds of feeds, and a commit for each of their four writes cost more than them."""
        with self.db:
            self._batched = True
            try:
                yield
            finally:
                self._batched = False

    def _transaction(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext() if self._batched else self.db

    @classmethod
    @contextlib.contextmanager
    def open(cls, path: Path, *, wait_s: float = LOCK_WAIT_S) -> Iterator[Store]:
        lock = _acquire_lock(path, wait_s)
        try:
            db = _connect(path)
        except BaseException:
            lock.close()
            raise
        store = cls(path, db, lock)
        try:
            with _storage_failures(path):
                try:
                    yield store
                finally:
                    db.close()
        finally:
            lock.close()

    @classmethod
    @contextlib.contextmanager
    def open_readonly(cls, path: Path) -> Iterator[Store]:
        """For reporting and sending from a store another process may be building."""
        if not path.exists():
            raise StoreError(f"{path}: no store here yet (run a build first)")
        db = _connect(path)
        with _storage_failures(path):
            try:
                yield cls(path, db, None)
            finally:
                db.close()

    # --- feeds -----------------------------------------------------------------------

    def sync_feeds(self, feeds: Sequence[FeedSource], now: datetime) -> list[FeedState]:
        """Add newly configured feeds; return the states of configured feeds, in config order."""
        with self._transaction():
            for feed in feeds:
                self.db.execute(
                    "INSERT INTO feeds(url, current_url, name) VALUES (?, ?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = excluded.name",
                    (feed.url, feed.url, feed.name),
                )
        states = {state.url: state for state in self.feed_states()}
        return [states[feed.url] for feed in feeds]

    def feed_states(self) -> list[FeedState]:
        rows = self.db.execute("SELECT * FROM feeds ORDER BY name, url").fetchall()
        counts = dict(self.db.execute("SELECT feed_url, count(*) FROM entries GROUP BY feed_url").fetchall())
        return [_feed_state(row, counts.get(row["url"], 0)) for row in rows]

    def record_feed_fetch(self, state: FeedState, result: FetchResult, now: datetime) -> FeedState:
        """Remember what a fetch said about the feed; return the updated state."""
        updated = _feed_after_fetch(state, result, now)
        with self._transaction():
            self.db.execute(
                "UPDATE feeds SET current_url=?, etag=?, last_modified=?, last_status=?, last_error=?, "
                "failing_since=?, last_checked=?, last_ok=?, retired=? WHERE url=?",
                (
                    updated.current_url,
                    updated.etag,
                    updated.last_modified,
                    updated.last_status,
                    updated.last_error,
                    _iso(updated.failing_since),
                    _iso(updated.last_checked),
                    _iso(updated.last_ok),
                    int(updated.retired),
                    updated.url,
                ),
            )
        return updated

    def body_changed(self, state: FeedState, body: bytes) -> bool:
        """False when the feed's body is byte-identical to the last one parsed."""
        return hashlib.sha256(body).hexdigest() != state.body_sha256

    def mark_parsed(self, state: FeedState, body: bytes) -> None:
        with self._transaction():
            self.db.execute(
                "UPDATE feeds SET body_sha256=? WHERE url=?", (hashlib.sha256(body).hexdigest(), state.url)
            )

    def record_feed_parse(self, before: FeedState, parsed: ParsedFeed, now: datetime) -> None:
        """A body with no feed in it (HTML, garbage, empty) makes the feed failing, as an HTTP error does.

        ``before`` is the state from before this fetch, so a feed that keeps serving such a body keeps
        the time it first failed. Its validators and body hash are cleared: the next fetch is parsed
        (and reported) again instead of passing as "not modified" or "unchanged". A feed with no
        items is a feed: it is not failing.
        """
        if parsed.version:
            return
        problem = _decisive_problem(parsed.problems)
        with self._transaction():
            self.db.execute(
                "UPDATE feeds SET last_status='error', last_error=?, failing_since=?, last_ok=?, "
                "etag=NULL, last_modified=NULL, body_sha256=NULL WHERE url=?",
                (
                    f"{problem.reason}: {problem.detail}",
                    _iso(before.failing_since or now),
                    _iso(before.last_ok),
                    before.url,
                ),
            )

    def mark_unchanged(self, state: FeedState) -> FeedState:
        with self._transaction():
            self.db.execute("UPDATE feeds SET last_status='unchanged' WHERE url=?", (state.url,))
        return replace(state, last_status="unchanged")

    # --- entries and pages -----------------------------------------------------------

    def save_entries(self, parsed: ParsedFeed, now: datetime) -> int:
        """Upsert the feed's entries; first-seen times are kept. Returns how many are new."""
        rows = [_entry_row(entry, now) for entry in parsed.entries]
        with self._transaction():
            # The entries already stored, looked up by key: a count of the whole table before and
            # after, for each feed of a build, grows with the store.
            known = self._stored_urls([row[0] for row in rows])
            self.db.executemany(
                "INSERT INTO entries(url, id, guid, feed_url, title, source, author, published, "
                "summary_html, content_html, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
                "ON CONFLICT(url) DO UPDATE SET title=excluded.title, author=excluded.author, "
                "summary_html=excluded.summary_html, content_html=excluded.content_html, "
                "published=coalesce(entries.published, excluded.published), last_seen=excluded.last_seen",
                rows,
            )
        return len({row[0] for row in rows} - known)

    def _stored_urls(self, urls: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(urls), LOOKUP_BATCH):
            batch = urls[start : start + LOOKUP_BATCH]
            marks = ",".join("?" * len(batch))
            found.update(
                row[0] for row in self.db.execute(f"SELECT url FROM entries WHERE url IN ({marks})", batch)
            )
        return found

    def entries_without_text(self) -> list[Entry]:
        rows = self.db.execute(
            "SELECT e.* FROM entries e LEFT JOIN pages p ON p.url = e.url WHERE p.url IS NULL "
            "ORDER BY e.first_seen, e.url"
        ).fetchall()
        return [_entry(row) for row in rows]

    def page_urls(self) -> set[str]:
        """The URL of every page extracted (or given up on) so far: those are never fetched again."""
        return {row[0] for row in self.db.execute("SELECT url FROM pages")}

    def save_pages(self, pages: Sequence[PageText], now: datetime) -> int:
        rows = [_page_row(page, now) for page in pages]
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO pages(url, text, title, author, published, language, origin, "
                "fallback_reason, extracted_at) VALUES (?,?,?,?,?,?,?,?,?)",
                rows,
            )
        self._unfetched_pages += self._fetch_failures(pages)
        return len(rows)

    def pages_not_fetched(self) -> list[Problem]:
        """A problem per page saved through this connection whose fetch failed (the feed's text stands in)."""
        return list(self._unfetched_pages)

    def _fetch_failures(self, pages: Sequence[PageText]) -> list[Problem]:
        failures = [(page.url, _fetch_failure(page)) for page in pages]
        return [page_problem(self._feed_name_of(url), url, *failure) for url, failure in failures if failure]

    def _feed_name_of(self, url: str) -> str:
        row = self.db.execute(
            "SELECT f.name FROM entries e JOIN feeds f ON f.url = e.feed_url WHERE e.url = ?", (url,)
        ).fetchone()
        return str(row[0]) if row else url

    def articles(self, now: datetime, max_age_days: int) -> list[Article]:
        """Entries joined with their page text, oldest first: every one that was at most
        ``max_age_days`` old when first seen. An age at first sight, not at ``now``: a feed read for
        the first time with years of back issues brings none of them in, while an article once shown
        stays in its story, and its story in its edition, in every later build (a published edition
        and its URLs are stable)."""
        window = timedelta(days=max_age_days)
        rows = self.db.execute(ARTICLES_QUERY).fetchall()
        articles = (_article(row, now) for row in rows)
        return [a for a in articles if a.published >= a.first_seen - window]

    # --- judgements, stories, editions -----------------------------------------------

    def save_judgements(self, judgements: Mapping[str, Judgement]) -> None:
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO judgements VALUES (?,?,?,?,?,?,?)",
                [_judgement_row(j) for j in judgements.values()],
            )

    def exclusions(self, since: datetime) -> list[Exclusion]:
        """The articles left out that were first seen at ``since`` or later (times are stored in UTC,
        in one ISO format, so they compare as text)."""
        rows = self.db.execute(
            "SELECT e.id, e.url, e.title, e.source, j.score, j.reason, j.evidence FROM judgements j "
            "JOIN entries e ON e.id = j.article_id WHERE j.on_topic = 0 AND e.first_seen >= ? "
            "ORDER BY e.source, e.title, e.id",
            (since.astimezone(UTC).isoformat(),),
        ).fetchall()
        return [
            Exclusion(
                r["id"], r["url"], r["title"], r["source"], r["score"], r["reason"], _tuple(r["evidence"])
            )
            for r in rows
        ]

    def edition_of_stories(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT story_id, edition_key FROM edition_stories").fetchall())

    def assign_stories(self, assignments: Mapping[str, str], now: datetime) -> None:
        with self._transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO edition_stories VALUES (?,?,?)",
                [(story, key, now.isoformat()) for story, key in sorted(assignments.items())],
            )

    def edition_numbers(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT key, number FROM editions").fetchall())

    def save_edition(self, key: str, number: int, start: str, end: str) -> None:
        with self._transaction():
            self.db.execute("INSERT OR IGNORE INTO editions VALUES (?,?,?,?)", (key, number, start, end))

    def remember_published(self, holdings: Mapping[str, Iterable[str]]) -> None:
        """Record each story id with the article ids it holds in this build (never forgotten)."""
        rows = sorted((story_id, article) for story_id, articles in holdings.items() for article in articles)
        with self._transaction():
            self.db.executemany("INSERT OR IGNORE INTO published_stories VALUES (?,?)", rows)

    def published_holdings(self) -> dict[str, frozenset[str]]:
        """Every story id ever published -> every article id it held."""
        held: dict[str, set[str]] = {}
        for story_id, article in self.db.execute("SELECT story_id, article_id FROM published_stories"):
            held.setdefault(story_id, set()).add(article)
        return {story_id: frozenset(articles) for story_id, articles in held.items()}

    # --- reporting -------------------------------------------------------------------

    def failing_feeds(self, now: datetime, urls: Iterable[str]) -> list[Problem]:
        """The configured feeds (``urls``) whose last fetch failed, with how long they have failed."""
        configured = set(urls)
        problems = []
        for state in self.feed_states():
            if state.url in configured and state.last_status in ("error", "gone") and state.failing_since:
                reason = (state.last_error or "error").split(":", 1)[0]
                problems.append(
                    Problem(state.name, reason, f"failing for {_duration(now - state.failing_since)}")
                )
        return problems

    def derived(self, name: str, inputs: str) -> bytes | None:
        """The value saved under ``name`` if it was derived from the same ``inputs``, else None."""
        row = self.db.execute("SELECT inputs, value FROM derived WHERE name = ?", (name,)).fetchone()
        return bytes(row["value"]) if row is not None and row["inputs"] == inputs else None

    def save_derived(self, name: str, inputs: str, value: bytes) -> None:
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO derived VALUES (?,?,?)", (name, inputs, value))

    def derived_items(self, name: str) -> dict[str, bytes]:
        """Each item's value saved under ``name``, by its key."""
        rows = self.db.execute("SELECT key, value FROM derived_items WHERE name = ?", (name,))
        return {key: bytes(value) for key, value in rows}

    def save_derived_items(self, name: str, values: Mapping[str, bytes], gone: Iterable[str]) -> None:
        """Save ``values`` under ``name`` by key, and forget the values of the keys ``gone``."""
        with self._transaction():
            self.db.executemany(
                "INSERT OR REPLACE INTO derived_items VALUES (?,?,?)",
                [(name, key, value) for key, value in values.items()],
            )
            self.db.executemany(
                "DELETE FROM derived_items WHERE name = ? AND key = ?", [(name, key) for key in gone]
            )

    def forget_derived_items(self, name: str) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM derived_items WHERE name = ?", (name,))

    def forget_derived(self, prefix: str, keep: Iterable[str]) -> None:
        """Remove the values saved under names starting with ``prefix``, except those in ``keep``."""
        kept = set(keep)
        query = "SELECT name FROM derived WHERE substr(name, 1, ?) = ?"
        gone = [(name,) for (name,) in self.db.execute(query, (len(prefix), prefix)) if name not in kept]
        if gone:
            with self._transaction():
                self.db.executemany("DELETE FROM derived WHERE name = ?", gone)

    def feed_states_for_status(self, urls: Iterable[str]) -> list[FeedState]:
        """The configured feeds' (``urls``) ``feed_states``, each last error followed by the pages that
        failed at the feed's last check. A feed the operator has removed keeps its row and entries,
        but is no longer watched: its health would be stale."""
        configured = set(urls)
        failed = self._pages_failed_at_last_check()
        return [
            _with_failed_pages(state, failed.get(state.url, []))
            for state in self.feed_states()
            if state.url in configured
        ]

    def _pages_failed_at_last_check(self) -> dict[str, list[str]]:
        rows = self.db.execute(
            "SELECT e.feed_url, p.url, p.fallback_reason FROM pages p JOIN entries e ON e.url = p.url "
            "JOIN feeds f ON f.url = e.feed_url WHERE p.fallback_reason IS NOT NULL "
            "AND p.extracted_at >= f.last_checked ORDER BY e.feed_url, p.url"
        ).fetchall()
        failed: dict[str, list[str]] = {}
        for feed_url, url, fallback_reason in rows:
            failure = _fetch_failure(PageText(url, "", fallback_reason=fallback_reason))
            if failure:
                failed.setdefault(feed_url, []).append(f"{url} ({failure[0]})")
        return failed

    def integrity_ok(self) -> bool:
        return bool(self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")


# --- connection and lock ---------------------------------------------------------------


def _acquire_lock(path: Path, wait_s: float) -> IO[str]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(path.with_name(path.name + ".lock"), "w")  # noqa: SIM115 (held for the build)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the store's folder or lock: {exc.strerror}") from None
    give_up = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return lock
        except BlockingIOError:
            if time.monotonic() >= give_up:
                lock.close()
                raise StoreBusyError(
                    f"{path}: another build is using this store (waited {wait_s:.0f} s); try again later"
                ) from None
            time.sleep(0.2)


@contextlib.contextmanager
def _storage_failures(path: Path) -> Iterator[None]:
    """A store that cannot be written (full disk, file size limit) ends the run with one line.

    SQLite has rolled the failed transaction back by then, so the store still holds everything
    committed before it, and the site is only published after the last write.
    """
    try:
        yield
    except sqlite3.OperationalError as exc:
        hint = " (is the disk full?)" if "I/O" in str(exc) else ""
        raise StoreError(f"{path}: cannot write the store: {exc}{hint}") from None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, timeout=30.0)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        _migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: cannot open the store: {exc}") from None
    return db


def _migrate(db: sqlite3.Connection) -> None:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > len(MIGRATIONS):
        raise StoreError(f"store schema version {version} is newer than this program ({len(MIGRATIONS)})")
    for number in range(version, len(MIGRATIONS)):
        with db:
            db.executescript(f"BEGIN; {MIGRATIONS[number]}; PRAGMA user_version = {number + 1}; COMMIT;")
        log.debug("store migrated to schema version %d", number + 1)


# --- rows <-> records ------------------------------------------------------------------


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _duration(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 1:
        return "under an hour"
    return f"{hours // 24} d {hours % 24} h" if hours >= 24 else f"{hours} h"


def page_problem(feed: str, url: str, reason: str, detail: str) -> Problem:
    return Problem(feed, reason, f"{PAGE_NOT_FETCHED}{url}: {detail}; the feed's text is used instead")


def is_page_problem(problem: Problem) -> bool:
    return problem.detail.startswith(PAGE_NOT_FETCHED)


def _fetch_failure(page: PageText) -> tuple[str, str] | None:
    """(reason, detail) when the page fell back because its fetch failed, else None.

    ``pipeline.page_of`` keeps a failed fetch's ``Problem.line()`` as the fallback reason,
    and the fetch stage names the page URL it was asked for as the problem's place. Fallbacks for
    other causes (not an HTML page, no text found) are not fetch failures.
    """
    prefix = f"{page.url}: "
    if not page.fallback_reason or not page.fallback_reason.startswith(prefix):
        return None
    reason, _, detail = page.fallback_reason.removeprefix(prefix).partition(": ")
    return reason, detail


def _with_failed_pages(state: FeedState, pages: list[str]) -> FeedState:
    if not pages:
        return state
    listed = "; ".join(pages[:PAGES_LISTED])
    more = f"; and {len(pages) - PAGES_LISTED} more" if len(pages) > PAGES_LISTED else ""
    count = f"{len(pages)} page{'s' if len(pages) != 1 else ''}"
    note = f"{count} not fetched, the feed's text used: {listed}{more}"
    return replace(state, last_error=f"{state.last_error}; {note}" if state.last_error else note)


def _decisive_problem(problems: Sequence[Problem]) -> Problem:
    """Why a body held no feed: not a feed, or unparseable; else whatever was reported last."""
    for reason in ("not_a_feed", "parse_error"):
        for problem in problems:
            if problem.reason == reason:
                return problem
    return problems[-1] if problems else Problem("", "not_a_feed", "no feed found")


def _feed_state(row: sqlite3.Row, entry_count: int) -> FeedState:
    return FeedState(
        url=row["url"],
        current_url=row["current_url"],
        name=row["name"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        body_sha256=row["body_sha256"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        failing_since=_moment(row["failing_since"]),
        last_checked=_moment(row["last_checked"]),
        last_ok=_moment(row["last_ok"]),
        retired=bool(row["retired"]),
        entry_count=entry_count,
    )


def _feed_after_fetch(state: FeedState, result: FetchResult, now: datetime) -> FeedState:
    current_url = result.permanent_redirect or state.current_url
    if result.problem is None and result.status is not None and result.status < 400:
        return replace(
            state,
            current_url=current_url,
            etag=result.etag or state.etag,
            last_modified=result.last_modified or state.last_modified,
            last_status="not_modified" if result.not_modified else "ok",
            last_error=None,
            failing_since=None,
            last_checked=now,
            last_ok=now,
        )
    gone = result.status == 410
    return replace(
        state,
        current_url=current_url,
        last_status="gone" if gone else "error",
        last_error=f"{result.problem.reason}: {result.problem.detail}"
        if result.problem
        else f"HTTP {result.status}",
        failing_since=state.failing_since or now,
        last_checked=now,
        retired=state.retired or gone,
    )


def _entry_row(entry: Entry, now: datetime) -> tuple[Any, ...]:
    return (
        entry.url,
        article_id(entry.url),
        entry.guid,
        entry.feed_url,
        entry.title,
        entry.source,
        entry.author,
        _iso(entry.published),
        entry.summary_html,
        entry.content_html,
        now.isoformat(),
        now.isoformat(),
    )


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        feed_url=row["feed_url"],
        guid=row["guid"],
        url=row["url"],
        title=row["title"],
        source=row["source"],
        author=row["author"],
        published=_moment(row["published"]),
        summary_html=row["summary_html"],
        content_html=row["content_html"],
    )


def _page_row(page: PageText, now: datetime) -> tuple[Any, ...]:
    return (
        page.url,
        page.text,
        page.title,
        page.author,
        _iso(page.published),
        page.language,
        page.origin,
        page.fallback_reason,
        now.isoformat(),
    )


def _article(row: sqlite3.Row, now: datetime) -> Article:
    first_seen = _moment(row["first_seen"]) or now
    published = _moment(row["published"]) or _moment(row["page_published"]) or first_seen
    return Article(
        id=row["id"],
        url=row["url"],
        feed_url=row["feed_url"],
        source=row["source"],
        title=row["title"] or row["page_title"],
        text=row["text"],
        published=min(published, now),
        first_seen=first_seen,
        author=row["author"] or row["page_author"],
        language=row["language"],
        text_origin=row["origin"],
        fallback_reason=row["fallback_reason"],
    )


def _judgement_row(judgement: Judgement) -> tuple[Any, ...]:
    return (
        judgement.article_id,
        int(judgement.on_topic),
        judgement.score,
        json.dumps(list(judgement.harms)),
        json.dumps(list(judgement.responses)),
        json.dumps(list(judgement.evidence)),
        judgement.reason,
    )
