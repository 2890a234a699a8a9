"""The sample server over real HTTP on 127.0.0.1: every feed link leads to a real page, conditional
requests get 304, the broken feed gets 500, gzip is negotiated, connections are kept alive, the
request log records what happened, and the demo config it writes is one ``load_config`` accepts."""

import gzip
import http.client
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import httpx
import pytest

from digest.config import load_config
from digest.sample.server import BROKEN_FEED_NAME, SampleServer, write_config

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[SampleServer]:
    with SampleServer(now=NOW) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as session:
        yield session


def _links(client: httpx.Client, url: str) -> list[str]:
    response = client.get(url)
    if "json" in response.headers["content-type"]:
        return [item["url"] for item in response.json()["items"]]
    parsed = feedparser.parse(
        response.content,
        response_headers={"content-location": url, "content-type": response.headers["content-type"]},
    )
    assert not parsed.bozo, (url, parsed.get("bozo_exception"))
    return [entry.link for entry in parsed.entries]


def test_every_feed_link_leads_to_a_page_with_its_title(server: SampleServer, client: httpx.Client) -> None:
    names = [name for name, _ in server.feeds()]
    assert len(names) == len(server.corpus.outlets) + 1 and names[-1] == BROKEN_FEED_NAME
    for name, url in server.feeds()[:-1]:
        links = _links(client, url)
        outlet = next(o for o in server.corpus.outlets if o.name == name)
        assert len(links) == len(server.corpus.articles_of(outlet.id)), name
        for link, article in zip(links, server.corpus.articles_of(outlet.id), strict=True):
            assert link.startswith(server.base_url)  # relative Atom links resolved onto this server
            page = client.get(link)
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), link
            assert escape(article.paragraphs[0]) in page.text, link


def test_figure_images_and_stylesheets_are_served(server: SampleServer, client: httpx.Client) -> None:
    for article in [a for a in server.corpus.articles if a.caption][:3]:
        page_url = server.url(server.corpus.outlet(article.outlet).path_of(article.id))
        page = client.get(page_url).text
        [src] = [chunk.split('"')[0] for chunk in page.split('<img src="')[1:]]
        assert client.get(str(httpx.URL(page_url).join(src))).headers["content-type"] == "image/svg+xml"


def test_repeat_with_etag_or_date_gets_304_and_no_body(server: SampleServer, client: httpx.Client) -> None:
    url = server.feeds()[0][1]
    first = client.get(url)
    assert first.status_code == 200 and first.headers["etag"] and first.headers["last-modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert (
        again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    )
    dated = client.get(url, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert dated.status_code == 304
    older = format_datetime(datetime(2020, 1, 1, tzinfo=UTC), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": older}).status_code == 200
    assert client.get(url, headers={"If-None-Match": '"not-this-one"'}).status_code == 200
    path = urlsplit(url).path
    assert server.requests[-5:] == [("GET", path, s) for s in (200, 304, 304, 200, 200)]


def test_last_modified_of_a_page_is_its_publication_time(server: SampleServer, client: httpx.Client) -> None:
    article = server.corpus.articles[0]
    url = server.url(server.corpus.outlet(article.outlet).path_of(article.id))
    expected = format_datetime(NOW - timedelta(hours=article.hours_ago), usegmt=True)
    assert client.get(url).headers["last-modified"] == expected


def test_broken_feed_answers_500_and_unknown_paths_404(server: SampleServer, client: httpx.Client) -> None:
    broken = dict(server.feeds())[BROKEN_FEED_NAME]
    assert client.get(broken).status_code == 500
    assert client.get(broken, headers={"If-None-Match": "*"}).status_code == 500
    assert client.get(server.url("/no/such/page.html")).status_code == 404
    assert ("GET", "/feeds/broken.xml", 500) in server.requests


def test_gzip_only_when_accepted_and_same_content(server: SampleServer) -> None:
    host, port = urlsplit(server.base_url).hostname, urlsplit(server.base_url).port
    path = urlsplit(server.feeds()[0][1]).path
    connection = http.client.HTTPConnection(str(host), port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        packed = connection.getresponse()
        packed_body = packed.read()
        connection.request("GET", path, headers={"Accept-Encoding": "identity"})
        plain = connection.getresponse()  # same connection: keep-alive works
        plain_body = plain.read()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip;q=0"})
        refused = connection.getresponse()
        refused.read()
    finally:
        connection.close()
    assert packed.getheader("Content-Encoding") == "gzip" and plain.getheader("Content-Encoding") is None
    assert refused.getheader("Content-Encoding") is None
    assert gzip.decompress(packed_body) == plain_body and len(packed_body) < len(plain_body)
    assert int(packed.getheader("Content-Length", "0")) == len(packed_body)
    assert packed.getheader("ETag") != plain.getheader("ETag")


def test_same_clock_same_bytes_on_a_second_server(client: httpx.Client) -> None:
    with SampleServer(now=NOW) as first, SampleServer(now=NOW) as second:
        for (_, url_a), (_, url_b) in list(zip(first.feeds(), second.feeds(), strict=True))[:-1]:
            body_a = client.get(url_a).content.replace(first.base_url.encode(), b"BASE/")
            body_b = client.get(url_b).content.replace(second.base_url.encode(), b"BASE/")
            assert body_a == body_b


def test_write_config_is_a_valid_config_for_the_server(server: SampleServer, tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    write_config(path, server.base_url, tmp_path / 'odd "store" dir' / "digest.sqlite", site_title="Demo ü")
    config = load_config(path)
    assert config.fetch.allow_private_hosts is True
    assert config.site.title == "Demo ü"
    assert config.resolve(config.store.path) == tmp_path / 'odd "store" dir' / "digest.sqlite"
    assert [(feed.name, feed.url) for feed in config.feeds] == server.feeds()


def test_command_line_prints_the_base_url_and_serves(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "digest.sample.server", "--now", "2026-11-22T12:00:00Z", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        index = httpx.get(base_url, timeout=10)
        feed_url = index.text.split('href="')[1].split('"')[0]
        assert httpx.get(feed_url, timeout=10).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
