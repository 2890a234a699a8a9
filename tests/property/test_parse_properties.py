"""Property tests: random feed documents through ``parse.parse_feed``.

Whatever the bytes (RSS, Atom or JSON Feed with random text, control characters, lone surrogate
references, random entities and markup, random charsets, or no feed at all), parsing must return a
``ParsedFeed`` without raising, and every entry it yields must be clean: an http(s) link, a one-line
title of at most 300 characters with no control or invisible characters, a date no later than the
build clock, and text that encodes as UTF-8 (no lone surrogates).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.parse import TITLE_MAX_CHARS, parse_feed
from digest.records import FeedSource, FetchResult, ParsedFeed

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FEED_URL = "http://127.0.0.1:9/feed"
SOURCE = FeedSource(FEED_URL, "Random Feed")
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
_CONTROL_OR_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")

# Fragments that are hard on a parser: references XML forbids, undeclared entities, stray markup.
NASTY = st.sampled_from(
    [
        "&#xD800;", "&#xDFFF;", "&#0;", "&#x110000;", "&#99999999999;", "&#xD83D;&#xDE00;", "&nbsp;",
        "&undefined;", "&amp;", "&", "<", "]]>", "<![CDATA[x]]>", "<script>alert('PWN-prop')</script>",
        "<img src=x onerror=alert(1)>", "javascript:alert(1)", "\u202e", "\u200b", "\ufeff", "\x00",
        "\x1b", "\ud800", "🙂", "مرحبا", "日本語", "<!--", "-->", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    ]
)  # fmt: skip
RANDOM_TEXT = st.lists(st.one_of(st.text(max_size=40), NASTY), max_size=6).map("".join)
DATES = st.one_of(
    st.sampled_from(
        ["Sun, 22 Nov 2026 10:00:00 GMT", "2026-11-21T09:00:00Z", "yesterday", "", "9999-12-31T23:59:59Z",
         "Thu, 01 Jan 1970 00:00:00 GMT", "2099-01-01T00:00:00+14:00", "Mon, 32 Foo 2026 99:99:99 XYZ"]
    ),
    RANDOM_TEXT,
)  # fmt: skip
LINKS = st.one_of(
    st.sampled_from(
        ["http://127.0.0.1:9/a/1", "/relative/2", "javascript:alert(1)", "data:text/html,x", "", " ",
         "http://127.0.0.1:9/a?utm_source=x&id=3", "mailto:x@y", "http://[::1", "ftp://127.0.0.1/x"]
    ),
    RANDOM_TEXT,
)  # fmt: skip


def _text_or_raw(draw: st.DrawFn, value: str) -> str:
    """Escaped (well-formed) or pasted raw (malformed), as real feeds do both."""
    return escape(value) if draw(st.booleans()) else value


@st.composite
def rss_documents(draw: st.DrawFn) -> str:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        title = _text_or_raw(draw, draw(RANDOM_TEXT))
        link = _text_or_raw(draw, draw(LINKS))
        description = _text_or_raw(draw, draw(RANDOM_TEXT))
        items.append(
            f"<item><title>{title}</title><link>{link}</link><guid>{_text_or_raw(draw, draw(RANDOM_TEXT))}</guid>"
            f"<pubDate>{_text_or_raw(draw, draw(DATES))}</pubDate><description>{description}</description></item>"
        )
    channel_title = _text_or_raw(draw, draw(RANDOM_TEXT))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{channel_title}</title>{"".join(items)}</channel></rss>'


@st.composite
def atom_documents(draw: st.DrawFn) -> str:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["text", "html", "xhtml"]))
        title = _text_or_raw(draw, draw(RANDOM_TEXT))
        href = quoteattr(draw(LINKS))
        entries.append(
            f'<entry><title type="{kind}">{title}</title><link href={href}/><id>{escape(draw(RANDOM_TEXT))}</id>'
            f"<updated>{_text_or_raw(draw, draw(DATES))}</updated>"
            f'<content type="html">{_text_or_raw(draw, draw(RANDOM_TEXT))}</content></entry>'
        )
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>{escape(draw(RANDOM_TEXT))}</title>{"".join(entries)}</feed>'


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), RANDOM_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@st.composite
def json_documents(draw: st.DrawFn) -> str:
    items = [
        {
            "id": draw(st.one_of(RANDOM_TEXT, st.integers(), st.none())),
            "url": draw(st.one_of(LINKS, JSON_VALUES)),
            "title": draw(st.one_of(RANDOM_TEXT, JSON_VALUES)),
            "content_html": draw(RANDOM_TEXT),
            "date_published": draw(DATES),
            "authors": draw(st.one_of(JSON_VALUES, st.just([{"name": "A"}]))),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    document = {
        "version": draw(
            st.sampled_from(["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1", "x"])
        ),
        "title": draw(JSON_VALUES),
        "items": draw(st.one_of(st.just(items), JSON_VALUES)),
    }
    return json.dumps(document, ensure_ascii=draw(st.booleans()))


DOCUMENTS = st.one_of(
    rss_documents(),
    atom_documents(),
    json_documents(),
    RANDOM_TEXT,  # not a feed at all
    RANDOM_TEXT.map(lambda text: f"<!DOCTYPE html><html><body><p>{text}</p></body></html>"),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-16-be", "cp1252", "shift_jis", "latin-1"])
CONTENT_TYPES = st.sampled_from(
    ["application/rss+xml", "application/xml; charset=utf-8", "text/html; charset=shift_jis",
     "application/feed+json", "", "text/xml; charset=bogus-charset", "application/atom+xml; charset=utf-16"]
)  # fmt: skip


def _result(body: bytes, content_type: str) -> FetchResult:
    return FetchResult(url=FEED_URL, final_url=FEED_URL, status=200, body=body, content_type=content_type)


def assert_clean(parsed: ParsedFeed) -> None:
    assert isinstance(parsed, ParsedFeed)
    for entry in parsed.entries:
        assert entry.url.startswith(("http://", "https://")), entry.url
        assert len(entry.title) <= TITLE_MAX_CHARS, len(entry.title)
        assert "\n" not in entry.title and not _CONTROL_OR_INVISIBLE.search(entry.title), repr(entry.title)
        assert not _CONTROL_OR_INVISIBLE.search(entry.author), repr(entry.author)
        assert entry.published is None or entry.published <= NOW, entry.published
        for field in (entry.title, entry.author, entry.guid, entry.summary_html, entry.content_html):
            field.encode("utf-8")  # raises on a lone surrogate
    for problem in parsed.problems:
        assert "\n" not in problem.detail, problem


@PROPERTY_SETTINGS
@given(document=DOCUMENTS, encoding=ENCODINGS, content_type=CONTENT_TYPES)
# Found by this test: urljoin raised ValueError on an unclosed IPv6 bracket and stopped the build.
@example(
    document='{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "url": "http://[::1"}]}',
    encoding="utf-8",
    content_type="application/feed+json",
)
# Found by this test: a title-less entry took its URL as title with a direction override inside.
@example(
    document='<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="\u202a"/></entry></feed>',
    encoding="utf-8",
    content_type="application/atom+xml",
)
def test_random_documents_never_raise_and_yield_clean_entries(
    document: str, encoding: str, content_type: str
) -> None:
    body = (
        document.encode(encoding, errors="replace")
        if encoding != "utf-8"
        else document.encode("utf-8", "surrogatepass")
    )
    assert_clean(parse_feed(_result(body, content_type), SOURCE, max_items=3, now=NOW))


@PROPERTY_SETTINGS
@given(body=st.binary(max_size=600), content_type=CONTENT_TYPES)
def test_random_bytes_never_raise(body: bytes, content_type: str) -> None:
    assert_clean(parse_feed(_result(body, content_type), SOURCE, max_items=3, now=NOW))


@PROPERTY_SETTINGS
@given(reference=st.integers(0, 0x11FFFF), hexadecimal=st.booleans())
def test_any_character_reference_in_a_title_is_contained(reference: int, hexadecimal: bool) -> None:
    written = f"&#x{reference:X};" if hexadecimal else f"&#{reference};"
    document = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f"<title>Ofcom {written} ruling</title><link>http://127.0.0.1:9/a/1</link></item></channel></rss>"
    )
    parsed = parse_feed(_result(document.encode(), "application/rss+xml"), SOURCE, max_items=3, now=NOW)
    assert_clean(parsed)
    assert len(parsed.entries) == 1, parsed.problems  # one bad reference never costs the item
    assert parsed.entries[0].title.startswith("Ofcom")
