"""Sample feeds: each outlet's feed parses with feedparser as the format it claims, escapes what
needs escaping, dates items relative to the clock, keeps ids free of the server address, resolves
relative Atom links under xml:base, and is byte-identical for the same clock."""

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from digest.sample.corpus import Comment, Corpus, Outlet, SampleArticle, load_corpus
from digest.sample.feeds import CONTENT_TYPES, render_feed

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
BASE = "http://127.0.0.1:8123/"
EXPECTED_VERSION = {
    "rss20-summary": "rss20",
    "rss20-content": "rss20",
    "atom10-base": "atom10",
    "atom10-entry": "atom10",
    "rss10": "rss10",
}
TRICKY_TITLE = 'Fines & "takedowns": <Ofcom> acts ]]> now'


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


def _article(outlet: str, stem: str, hours_ago: int, title: str = "A headline") -> SampleArticle:
    return SampleArticle(
        id=stem,
        outlet=outlet,
        title=title,
        author="Rhiannon Pryce",
        hours_ago=hours_ago,
        summary="A short summary & more.",
        paragraphs=("First paragraph with <angle> brackets & ]]> a CDATA end.", "Second paragraph."),
        comments=(Comment("Reader", "Nice."),),
    )


def _sample_articles(outlet: Outlet) -> list[SampleArticle]:
    return [
        _article(outlet.id, f"{outlet.id}-older", 50),
        _article(outlet.id, f"{outlet.id}-new", 3, TRICKY_TITLE),
    ]


def _parse(outlet: Outlet, body: bytes) -> feedparser.FeedParserDict:
    feed_url = BASE.rstrip("/") + outlet.feed_path
    headers = {"content-location": feed_url, "content-type": CONTENT_TYPES[outlet.feed_format]}
    return feedparser.parse(body, response_headers=headers)


def _page_url(outlet: Outlet, stem: str) -> str:
    url = BASE.rstrip("/") + outlet.path_of(stem)
    return f"{url}?{outlet.link_query}" if outlet.link_query else url


@pytest.mark.parametrize("feed_format", sorted(EXPECTED_VERSION))
def test_xml_feeds_parse_cleanly_as_their_format(corpus: Corpus, feed_format: str) -> None:
    [outlet] = [o for o in corpus.outlets if o.feed_format == feed_format][:1]
    parsed = _parse(outlet, render_feed(outlet, _sample_articles(outlet), NOW, BASE))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == EXPECTED_VERSION[feed_format]
    assert parsed.feed.title == outlet.name
    assert [e.title for e in parsed.entries] == [TRICKY_TITLE, "A headline"]  # newest first, unescaped
    assert [e.link for e in parsed.entries] == [
        _page_url(outlet, f"{outlet.id}-{s}") for s in ("new", "older")
    ]


@pytest.mark.parametrize("feed_format", sorted(EXPECTED_VERSION))
def test_item_dates_are_the_clock_minus_hours_ago(corpus: Corpus, feed_format: str) -> None:
    outlet = next(o for o in corpus.outlets if o.feed_format == feed_format)
    parsed = _parse(outlet, render_feed(outlet, _sample_articles(outlet), NOW, BASE))
    for entry, hours in zip(parsed.entries, (3, 50), strict=True):
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")  # RSS 1.0 has only dc:date
        assert datetime(*stamp[:6], tzinfo=UTC) == NOW - timedelta(hours=hours)


def test_rss_dates_are_rfc822_and_atom_dates_rfc3339(corpus: Corpus) -> None:
    harbour, northlight = corpus.outlet("harbour"), corpus.outlet("northlight")
    rss = render_feed(harbour, _sample_articles(harbour), NOW, BASE).decode()
    assert "<pubDate>Sun, 22 Nov 2026 09:30:00 GMT</pubDate>" in rss
    assert parsedate_to_datetime("Sun, 22 Nov 2026 09:30:00 GMT") == NOW - timedelta(hours=3)
    atom = render_feed(northlight, _sample_articles(northlight), NOW, BASE).decode()
    assert "<published>2026-11-22T09:30:00Z</published>" in atom


def test_summary_feeds_carry_no_full_text_and_the_content_feed_does(corpus: Corpus) -> None:
    for outlet_id in ("harbour", "metro", "policyline"):
        outlet = corpus.outlet(outlet_id)
        parsed = _parse(outlet, render_feed(outlet, _sample_articles(outlet), NOW, BASE))
        assert all("content" not in e for e in parsed.entries), outlet_id
        assert parsed.entries[0].summary == "A short summary & more."
    civic = corpus.outlet("civic")
    parsed = _parse(civic, render_feed(civic, _sample_articles(civic), NOW, BASE))
    content = parsed.entries[0].content[0].value
    assert "<angle> brackets" not in content and "&lt;angle&gt; brackets &amp; ]]&gt; a CDATA end." in content
    assert "<p>Second paragraph.</p>" in content


def test_atom_links_are_relative_in_the_document_and_absolute_once_parsed(corpus: Corpus) -> None:
    for outlet_id, marker in (
        ("northlight", '<feed xmlns="http://www.w3.org/2005/Atom" xml:base='),
        ("techbeat", "<entry xml:base="),
    ):
        outlet = corpus.outlet(outlet_id)
        body = render_feed(outlet, _sample_articles(outlet), NOW, BASE)
        text = body.decode()
        assert marker in text
        assert f'href="{BASE}' not in text.replace("xml:base", "")  # no absolute entry links
        parsed = _parse(outlet, body)
        assert parsed.entries[1].link == BASE.rstrip("/") + outlet.path_of(f"{outlet_id}-older")


def test_metro_links_carry_tracking_parameters(corpus: Corpus) -> None:
    metro = corpus.outlet("metro")
    parsed = _parse(metro, render_feed(metro, _sample_articles(metro), NOW, BASE))
    assert all(e.link.endswith("?utm_source=rss&utm_medium=feed") for e in parsed.entries)


def test_json_feed_is_valid_version_1_1(corpus: Corpus) -> None:
    safeguard = corpus.outlet("safeguard")
    feed = json.loads(render_feed(safeguard, _sample_articles(safeguard), NOW, BASE))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] == "Safeguard Review"
    assert feed["feed_url"] == BASE.rstrip("/") + safeguard.feed_path
    for item, hours in zip(feed["items"], (3, 50), strict=True):
        assert {"id", "url", "title", "date_published"} <= set(item)
        assert item["url"].startswith(BASE)
        assert datetime.fromisoformat(item["date_published"]) == NOW - timedelta(hours=hours)
        assert item["authors"] == [{"name": "Rhiannon Pryce"}]
    assert feed["items"][0]["title"] == TRICKY_TITLE


def test_ids_are_stable_and_free_of_the_server_address(corpus: Corpus) -> None:
    for outlet in corpus.outlets:
        if outlet.feed_format == "rss10":
            continue  # RSS 1.0 identifies items by their link (rdf:about): nothing else to use
        first = _parse_any(outlet, render_feed(outlet, _sample_articles(outlet), NOW, BASE))
        other = _parse_any(
            outlet, render_feed(outlet, _sample_articles(outlet), NOW, "http://127.0.0.1:9999/")
        )
        assert first == other and all("127.0.0.1" not in i for i in first), outlet.id


def _parse_any(outlet: Outlet, body: bytes) -> list[str]:
    if outlet.feed_format == "jsonfeed11":
        return [item["id"] for item in json.loads(body)["items"]]
    return [entry.id for entry in _parse(outlet, body).entries]


def test_same_clock_same_bytes_other_clock_other_dates(corpus: Corpus) -> None:
    for outlet in corpus.outlets:
        articles = corpus.articles_of(outlet.id) or tuple(_sample_articles(outlet))
        first = render_feed(outlet, articles, NOW, BASE)
        assert render_feed(outlet, list(reversed(articles)), NOW, BASE) == first, outlet.id
        assert render_feed(outlet, articles, NOW + timedelta(days=7), BASE) != first, outlet.id


def test_bundled_feeds_list_every_article_of_their_outlet(corpus: Corpus) -> None:
    for outlet in corpus.outlets:
        articles = corpus.articles_of(outlet.id)
        body = render_feed(outlet, articles, NOW, BASE)
        if outlet.feed_format == "jsonfeed11":
            titles = [item["title"] for item in json.loads(body)["items"]]
        else:
            parsed = _parse(outlet, body)
            assert not parsed.bozo, (outlet.id, parsed.get("bozo_exception"))
            titles = [entry.title for entry in parsed.entries]
        assert titles == [a.title for a in articles], outlet.id
