"""Smoke test of the benchmark's synthetic feed farm (fast; runs in ``make test``; never asserts on time).

Checks: the same spec renders the same bytes and another seed does not; pages are 40 to 120 KB with
the boilerplate around the body; some items are off-topic and events are covered by several feeds;
new items leave every older page untouched; the server answers 304 to conditional requests, keeps
connections alive, and delays exactly the responses it says it delayed (a count, not a clock).
"""

from __future__ import annotations

import http.client
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import feedparser
import pytest

from tests.bench.farm import Farm, FarmServer, FarmSpec

SPEC = FarmSpec(feeds=6, items=4)


@pytest.fixture(scope="module")
def server() -> Iterator[FarmServer]:
    with FarmServer(Farm(SPEC)) as running:
        yield running


@pytest.fixture
def connection(server: FarmServer) -> Iterator[http.client.HTTPConnection]:
    opened = http.client.HTTPConnection("127.0.0.1", urlsplit(server.base_url).port, timeout=10)
    yield opened
    opened.close()


def _get(connection: http.client.HTTPConnection, path: str, **headers: str) -> http.client.HTTPResponse:
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def test_same_spec_same_bytes_other_seed_other_bytes() -> None:
    base = "http://127.0.0.1:1/"
    first, second = Farm(SPEC).resources(base), Farm(SPEC).resources(base)
    other = Farm(FarmSpec(feeds=6, items=4, seed="another")).resources(base)
    assert {p: r.body for p, r in first.items()} == {p: r.body for p, r in second.items()}
    assert [r.body for r in first.values()] != [r.body for r in other.values()]


def test_pages_carry_boilerplate_around_a_body_of_the_promised_size() -> None:
    farm = Farm(SPEC)
    resources = farm.resources("http://127.0.0.1:1/")
    for item in farm.all_items():
        page = resources[item.path].body
        assert 40 * 1024 <= len(page) <= 121 * 1024
        for marker in (b'class="mega-menu"', b'id="comments"', b"ad-slot", b"inline-promo", b"cookie-banner"):
            assert marker in page, (item.path, marker)
        assert 400 <= sum(len(p.split()) for p in item.paragraphs) <= 1300


def test_some_items_are_off_topic_and_events_have_several_outlets() -> None:
    items = Farm(FarmSpec(feeds=40, items=10)).all_items()
    off_topic = sum(1 for item in items if item.event is None)
    assert 0.1 * len(items) < off_topic < 0.4 * len(items)
    outlets: dict[str, set[int]] = {}
    for item in items:
        if item.event is not None:
            outlets.setdefault(item.event, set()).add(item.feed)
    assert sum(1 for feeds in outlets.values() if len(feeds) >= 3) >= 10


def test_new_items_are_listed_first_and_older_pages_keep_their_bytes() -> None:
    base = "http://127.0.0.1:1/"
    before = Farm(SPEC).resources(base)
    newer = Farm(SPEC.with_new_items(1))
    after = newer.resources(base)
    new_paths = {newer.item(feed, SPEC.items).path for feed in range(SPEC.feeds)}
    assert new_paths.isdisjoint(before)
    assert all(after[path].body == before[path].body for path in before if path.startswith("/news/"))
    assert set(after) - set(before) == new_paths
    assert all(after[path].body != before[path].body for path in newer.feed_paths())
    parsed = feedparser.parse(after[newer.feed_path(0)].body)
    assert len(parsed.entries) == SPEC.items and parsed.entries[0].link.endswith(
        newer.item(0, SPEC.items).path
    )


def test_rss_and_atom_feeds_link_to_served_pages(
    server: FarmServer, connection: http.client.HTTPConnection
) -> None:
    versions: Counter[str] = Counter()
    for path in server.farm.feed_paths():
        connection.request("GET", path)
        parsed = feedparser.parse(connection.getresponse().read())
        versions[parsed.version] += 1
        for entry in parsed.entries:
            assert _get(connection, urlsplit(entry.link).path).status == 200
    assert set(versions) == {"rss20", "atom10"}


def test_conditional_requests_get_304_on_one_kept_alive_connection(
    server: FarmServer, connection: http.client.HTTPConnection
) -> None:
    server.reset_counts()
    path = server.farm.feed_paths()[1]
    first = _get(connection, path)
    etag, modified = first.getheader("ETag"), first.getheader("Last-Modified")
    assert etag and modified
    assert _get(connection, path, **{"If-None-Match": etag}).status == 304
    assert _get(connection, path, **{"If-Modified-Since": modified}).status == 304
    assert _get(connection, path, **{"If-None-Match": '"stale"'}).status == 200
    counts = server.reset_counts()
    assert counts.status("feed", 304) == 2 and counts.status("feed", 200) == 2


def test_latency_option_delays_every_response_and_only_then(
    server: FarmServer, connection: http.client.HTTPConnection
) -> None:
    page = server.farm.all_items()[0].path
    server.reset_counts()
    _get(connection, page)
    _get(connection, "/no/such/page")
    assert server.reset_counts().delayed == 0
    server.latency_s = 0.01
    try:
        _get(connection, page)
        _get(connection, "/no/such/page")
        _get(connection, page, **{"If-None-Match": server.resources[page].etag})
    finally:
        server.latency_s = 0.0
    counts = server.reset_counts()
    assert counts.delayed == 3 and counts.requests() == 3
    assert counts.page_paths[page] == 1  # the 304 is not a second fetch
