"""Store: migrations, first-seen kept, failures never lose items, one writer at a time."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest.errors import StoreBusyError
from digest.records import Entry, FeedSource, FetchResult, PageText, ParsedFeed, Problem
from digest.store import Store

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
