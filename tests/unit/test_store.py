"""Store: migrations, first-seen kept, failures never lose items, one writer at a time."""

import contextlib
import re
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.errors import StoreBusyError, StoreError
from digest.records import Entry, FeedSource, FetchResult, Judgement, PageText, ParsedFeed, Problem
from digest.store import Store, is_page_problem

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
FEED = FeedSource("https://feeds.example/a.xml", "Outlet A")


def _entry(n: int) -> Entry:
    return Entry(FEED.url, f"g{n}", f"https://news.example/{n}", f"Title {n}", "Outlet A", published=NOW)


def _parsed(*numbers: int) -> ParsedFeed:
    return ParsedFeed(FEED.url, "A", "https://news.example/", "rss20", tuple(_entry(n) for n in numbers))


def test_first_seen_is_kept_and_failure_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        [state] = store.sync_feeds([FEED], NOW)
        assert store.save_entries(_parsed(1, 2), NOW) == 2
        store.save_pages([PageText(f"https://news.example/{n}", f"text {n}") for n in (1, 2)], NOW)
        later = NOW + timedelta(days=1)
        failed = FetchResult(FEED.url, FEED.url, 500, problem=Problem(FEED.url, "http_status", "HTTP 500"))
        state = store.record_feed_fetch(state, failed, later)
        assert store.save_entries(_parsed(2, 3), later) == 1
    with Store.open(path) as store:
        articles = {a.url.rsplit("/", 1)[1]: a for a in store.articles(later, 60)}
        assert set(articles) == {"1", "2"}  # 3 has no page text yet
        assert articles["2"].first_seen == NOW
        [state] = store.feed_states()
        assert state.last_status == "error" and state.failing_since == later
        assert store.integrity_ok()


def test_an_article_is_kept_for_good_unless_it_was_too_old_when_first_seen(tmp_path: Path) -> None:
    """The age limit is the age at first sight: back issues of a new feed never come in, while an
    article once shown stays in every later build (its story and edition pages must not vanish)."""
    with Store.open(tmp_path / "s.sqlite") as store:
        store.sync_feeds([FEED], NOW)
        fresh = replace(_entry(1), published=NOW - timedelta(days=2))
        back_issue = replace(_entry(2), published=NOW - timedelta(days=90))
        parsed = ParsedFeed(FEED.url, "A", "https://news.example/", "rss20", (fresh, back_issue))
        store.save_entries(parsed, NOW)
        store.save_pages([PageText(f"https://news.example/{n}", f"text {n}") for n in (1, 2)], NOW)
        for later in (NOW, NOW + timedelta(days=61), NOW + timedelta(days=400)):
            assert [a.url for a in store.articles(later, 60)] == ["https://news.example/1"], later


def test_the_status_shows_the_configured_feeds_and_the_store_keeps_a_removed_one(tmp_path: Path) -> None:
    removed = FeedSource("https://feeds.example/b.xml", "Outlet B")
    with Store.open(tmp_path / "s.sqlite") as store:
        store.sync_feeds([FEED, removed], NOW)
        store.sync_feeds([FEED], NOW + timedelta(days=1))  # the operator took Outlet B out of the config
        assert [state.name for state in store.feed_states_for_status([FEED.url])] == ["Outlet A"]
        assert [state.name for state in store.feed_states()] == ["Outlet A", "Outlet B"]


def test_permanent_redirect_and_gone(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        [state] = store.sync_feeds([FEED], NOW)
        moved = FetchResult(
            FEED.url, "https://feeds.example/new.xml", 200, permanent_redirect="https://feeds.example/new.xml"
        )
        state = store.record_feed_fetch(state, moved, NOW)
        assert state.current_url == "https://feeds.example/new.xml"
        gone = FetchResult(
            state.current_url, state.current_url, 410, problem=Problem(FEED.url, "gone", "HTTP 410")
        )
        state = store.record_feed_fetch(state, gone, NOW)
        assert state.retired and state.last_status == "gone"


def test_unchanged_body_is_detected(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        [state] = store.sync_feeds([FEED], NOW)
        assert store.body_changed(state, b"<rss/>")
        store.mark_parsed(state, b"<rss/>")
        [state] = store.feed_states()
        assert not store.body_changed(state, b"<rss/>")


def test_second_writer_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path), pytest.raises(StoreBusyError, match="another build"), Store.open(path, wait_s=0.3):
        pass


def _fetched(body: bytes = b"<html></html>") -> FetchResult:
    return FetchResult(FEED.url, FEED.url, 200, body=body, content_type="text/html")


def _no_feed(*problems: Problem) -> ParsedFeed:
    return ParsedFeed(FEED.url, "", "", "", (), problems)


def test_a_body_with_no_feed_makes_the_feed_failing_from_its_first_such_fetch(tmp_path: Path) -> None:
    later = NOW + timedelta(days=3)
    with Store.open(tmp_path / "s.sqlite") as store:
        for moment in (NOW, later):
            [before] = store.sync_feeds([FEED], moment)
            store.record_feed_fetch(before, _fetched(), moment)
            store.mark_parsed(before, _fetched().body)
            charset = Problem(FEED.name, "bad_charset", "read as cp1252")
            store.record_feed_parse(
                before, _no_feed(charset, Problem(FEED.name, "not_a_feed", "an HTML page")), moment
            )
        [state] = store.feed_states()
        assert (state.last_status, state.last_error) == ("error", "not_a_feed: an HTML page")
        assert state.failing_since == NOW and state.last_ok is None
        assert store.body_changed(state, _fetched().body)  # parsed again next time, not skipped
        assert store.failing_feeds(later, [FEED.url]) == [
            Problem(FEED.name, "not_a_feed", "failing for 3 d 0 h")
        ]


def test_a_feed_with_no_items_is_not_failing(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        [before] = store.sync_feeds([FEED], NOW)
        store.record_feed_fetch(before, _fetched(b"<rss/>"), NOW)
        store.record_feed_parse(before, _parsed(), NOW)
        [state] = store.feed_states()
        assert state.last_status == "ok" and state.failing_since is None
        assert store.failing_feeds(NOW, [FEED.url]) == []


def test_a_readable_feed_after_garbage_is_ok_again(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        [before] = store.sync_feeds([FEED], NOW)
        store.record_feed_fetch(before, _fetched(), NOW)
        store.record_feed_parse(before, _no_feed(Problem(FEED.name, "not_a_feed", "empty body")), NOW)
        [failing] = store.feed_states()
        later = NOW + timedelta(hours=5)
        store.record_feed_fetch(failing, _fetched(b"<rss/>"), later)
        store.record_feed_parse(failing, _parsed(1), later)
        [state] = store.feed_states()
        assert (state.last_status, state.failing_since, state.last_ok) == ("ok", None, later)


def _fallback(number: int, reason: str) -> PageText:
    return PageText(
        f"https://news.example/{number}", f"feed text {number}", origin="feed_summary", fallback_reason=reason
    )


def test_pages_whose_fetch_failed_are_reported_by_feed_and_listed_on_its_status(tmp_path: Path) -> None:
    timeout = Problem("https://news.example/1", "timeout", "no complete headers within timeout_s (5 s)")
    with Store.open(tmp_path / "s.sqlite") as store:
        [before] = store.sync_feeds([FEED], NOW)
        store.record_feed_fetch(before, _fetched(b"<rss/>"), NOW)
        store.save_entries(_parsed(1, 2, 3), NOW)
        store.save_pages(
            [
                _fallback(1, timeout.line()),
                _fallback(2, "not an HTML page (application/pdf)"),
                PageText("https://news.example/3", "page text"),
            ],
            NOW,
        )
        [problem] = store.pages_not_fetched()
        assert (problem.where, problem.reason) == ("Outlet A", "timeout")
        assert problem.detail.startswith("page not fetched: https://news.example/1: no complete headers")
        assert is_page_problem(problem)
        [shown] = store.feed_states_for_status([FEED.url])
        assert (
            shown.last_error == "1 page not fetched, the feed's text used: https://news.example/1 (timeout)"
        )
        assert store.feed_states()[0].last_error is None  # the status page's note is not stored
        [rechecked] = store.feed_states()
        store.record_feed_fetch(rechecked, _fetched(b"<rss/>"), NOW + timedelta(days=1))
        assert store.feed_states_for_status([FEED.url])[0].last_error is None  # only the latest check's pages
    with Store.open(tmp_path / "s.sqlite") as store:
        assert store.pages_not_fetched() == []  # this connection saved no page


def test_a_full_store_is_one_store_error_naming_it_and_keeps_what_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        store.sync_feeds([FEED], NOW)
        store.save_entries(_parsed(1, 2), NOW)
    many = ParsedFeed(
        FEED.url,
        "A",
        "",
        "rss20",
        tuple(replace(_entry(n), content_html="<p>" + "words " * 2000 + "</p>") for n in range(3, 300)),
    )
    refusal = rf"^{re.escape(str(path))}: cannot write the store: .*full"
    with pytest.raises(StoreError, match=refusal), Store.open(path) as store:
        pages = int(store.db.execute("PRAGMA page_count").fetchone()[0])
        store.db.execute(f"PRAGMA max_page_count = {pages + 4}")  # a disk with four pages to spare
        store.save_entries(many, NOW)
    with Store.open(path) as store:
        assert store.integrity_ok()
        stored = [url for (url,) in store.db.execute("SELECT url FROM entries ORDER BY url")]
        assert stored == ["https://news.example/1", "https://news.example/2"]


def test_new_entries_are_counted_once_each_however_many_the_feed_lists(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.sync_feeds([FEED], NOW)
        assert store.save_entries(_parsed(*range(700)), NOW) == 700
        # More entries than one lookup holds, 700 of them stored already, one listed twice.
        assert store.save_entries(_parsed(*range(1200), 1100), NOW) == 500
        assert store.save_entries(_parsed(*range(1200)), NOW) == 0


def _stored_numbers(path: Path) -> set[str]:
    """What another connection sees: only what was committed."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        return {url.rsplit("/", 1)[1] for (url,) in db.execute("SELECT url FROM entries")}


def test_a_batch_commits_its_writes_together_at_its_end_or_none_of_them(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with Store.open(path) as store:
        store.sync_feeds([FEED], NOW)
        store.save_entries(_parsed(1), NOW)
        with store.batch():
            assert store.save_entries(_parsed(2, 3), NOW) == 2
            assert _stored_numbers(path) == {"1"}  # not committed yet
        assert _stored_numbers(path) == {"1", "2", "3"}
        with pytest.raises(RuntimeError, match="mid-way"), store.batch():
            store.save_entries(_parsed(4), NOW)
            raise RuntimeError("stopped mid-way")
        assert _stored_numbers(path) == {"1", "2", "3"}  # the failed batch left nothing, lost nothing
        assert store.save_entries(_parsed(4), NOW) == 1  # and writes commit one by one again
        assert _stored_numbers(path) == {"1", "2", "3", "4"}


def test_the_exclusions_listed_are_those_first_seen_since_the_time_given(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        store.sync_feeds([FEED], NOW)
        store.save_entries(_parsed(1), NOW - timedelta(days=40))
        store.save_entries(_parsed(2), NOW)
        ids = [row[0] for row in store.db.execute("SELECT id FROM entries ORDER BY url")]
        store.save_judgements({i: Judgement(i, on_topic=False, score=0.1, reason="off_topic") for i in ids})
        assert [e.url for e in store.exclusions(since=NOW - timedelta(days=30))] == ["https://news.example/2"]
        assert len(store.exclusions(since=NOW - timedelta(days=41))) == 2
