"""The parse stage on feeds of every format and on hostile input (fixtures in tests/cases/parse/)."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import parse
from digest.parse import (
    ProblemLog,
    parse_feed,
    remove_internal_subsets,
    repair_character_references,
    sniff_unicode,
    trim,
)
from digest.records import FeedSource, FetchResult, ParsedFeed

CASES = Path(__file__).parent.parent / "cases" / "parse"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def parse_body(
    body: bytes,
    url: str = "https://feeds.example/feed.xml",
    content_type: str = "application/xml",
    max_items: int = 50,
) -> ParsedFeed:
    result = FetchResult(url=url, final_url=url, status=200, body=body, content_type=content_type)
    return parse_feed(result, FeedSource(url, "Test Feed"), max_items=max_items, now=NOW)


def parse_case(name: str, **kwargs: str) -> ParsedFeed:
    return parse_body((CASES / name).read_bytes(), **kwargs)  # type: ignore[arg-type]


def reasons(feed: ParsedFeed) -> list[str]:
    return [problem.reason for problem in feed.problems]


def all_text(feed: ParsedFeed) -> str:
    fields = [feed.title]
    for entry in feed.entries:
        fields += [entry.title, entry.author, entry.summary_html, entry.content_html, entry.url, entry.guid]
    return "\n".join(fields)


def rss(items: str, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{head}<rss version="2.0"><channel><title>Made</title>'
        f"<link>https://made.example/</link>{items}</channel></rss>"
    ).encode()


# --- formats -------------------------------------------------------------------------------


def test_rss091_with_netscape_doctype() -> None:
    feed = parse_case("rss091.xml")
    assert feed.version == "rss091n"
    assert [e.title for e in feed.entries] == [
        "Décret on online hate speech published",
        "Helpline figures rise",
    ]
    assert feed.problems == ()


def test_rss10_rdf() -> None:
    feed = parse_case("rss10_rdf.xml")
    assert feed.version == "rss10"
    first, second = feed.entries
    assert first.author == "Mira Holt"
    assert first.published == datetime(2026, 11, 18, 8, 15, tzinfo=UTC)
    assert first.url == "https://rdfnews.example/a?page=2"
    assert second.published == datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
    assert feed.problems == ()


def test_rss20_content_encoded_relative_link_and_clean_title() -> None:
    feed = parse_case("rss20_content.xml", url="https://ledger.example/feeds/policy.xml")
    assert feed.version == "rss20"
    entry = feed.entries[0]
    assert entry.url == "https://ledger.example/2026/11/code-of-practice?id=7"
    assert entry.title == "Regulator publishes code of practice"
    assert entry.guid == "ledger-4411"
    assert "Dana Okafor" in entry.author
    assert "act within two days" in entry.content_html and "Campaigners welcomed" in entry.content_html
    assert "code of practice on intimate image abuse" in entry.summary_html
    assert entry.source == "Test Feed" and entry.feed_url == "https://ledger.example/feeds/policy.xml"
    assert feed.problems == ()


def test_atom_xml_base_beats_feed_url() -> None:
    feed = parse_case("atom10_xmlbase.xml", url="https://feeds.example/meridian.xml")
    assert feed.version == "atom10"
    assert [e.url for e in feed.entries] == [
        "https://meridian.example/news/2026/eu-asks-platforms",
        "https://meridian.example/europe/parliament-vote",
    ]
    assert feed.entries[0].title == "EU asks platforms about abuse of journalists"
    assert feed.entries[0].published == datetime(2026, 11, 19, 14, 5, tzinfo=UTC)
    assert feed.entries[1].author == "Ilse Brandt"
    assert "feeds.example" not in all_text(feed)


def test_json_feed_11() -> None:
    feed = parse_case(
        "jsonfeed11.json", url="https://harbour.example/feed.json", content_type="application/feed+json"
    )
    assert feed.version == "json11"
    first, second = feed.entries
    assert first.url == "https://harbour.example/2026/11/watchdog-inquiry"
    assert first.author == "Tomas Rehn, Ana Lind"
    assert first.published == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert "<p>A hearing is set for March.</p>" in first.content_html
    assert first.summary_html == "Strangers could add teenagers to group chats."
    assert second.url == "https://elsewhere.example/report"
    assert feed.problems == ()


def test_json_feed_10_detected_by_content() -> None:
    feed = parse_case("jsonfeed10.json", content_type="text/plain")
    assert feed.version == "json10"
    (entry,) = feed.entries
    assert entry.guid == "42" and entry.author == "K. Lund"
    assert entry.content_html == "Fines &lt; 4% of turnover"
    assert entry.published == datetime(2026, 11, 15, 7, 30, tzinfo=UTC)
    assert reasons(feed) == ["parse_error"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"hello": "world"}', "not_a_feed"),
        (b"[1, 2, 3]", "not_a_feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "parse_error"),
        (b"[" * 100_000, "parse_error"),  # nesting deep enough to hit the recursion limit
        (b'{"version": "https://jsonfeed.org/version/1", "n": ' + b"9" * 10_000 + b"}", "parse_error"),
    ],
)
def test_json_that_is_not_a_usable_feed(body: bytes, reason: str) -> None:
    feed = parse_body(body, content_type="application/json")
    assert feed.entries == ()
    assert reasons(feed) == [reason]


def test_json_lone_surrogate_escape_becomes_replacement_character() -> None:
    item = b'{"id": "1", "url": "https://j.example/1", "title": "bad \\ud800 title"}'
    body = b'{"version": "https://jsonfeed.org/version/1.1", "items": [' + item + b"]}"
    (entry,) = parse_body(body).entries
    assert entry.title == "bad \ufffd title"


# --- hostile XML ---------------------------------------------------------------------------


def test_billion_laughs_is_defused() -> None:
    feed = parse_case("billion_laughs.xml")
    assert [e.title for e in feed.entries] == ["Laughing matter"]
    assert "lol" not in all_text(feed)
    assert reasons(feed) == ["entity_bomb"]


def test_xxe_entities_are_never_resolved() -> None:
    feed = parse_case("xxe.xml")
    assert [e.title for e in feed.entries] == ["Outside world"]
    text = all_text(feed)
    assert "root:" not in text and "secret" not in text and "remote" not in text
    assert "before" in feed.entries[0].summary_html and "after" in feed.entries[0].summary_html
    assert reasons(feed) == ["entity_bomb"]


def test_quadratic_blowup_small_fixture() -> None:
    feed = parse_case("quadratic_small.xml")
    assert [e.title for e in feed.entries] == ["Quadratic"]
    assert "abuse abuse" not in all_text(feed)
    assert "1000 references" in feed.problems[0].detail


def test_quadratic_blowup_1mb_entity_50000_references_stays_small() -> None:
    entity = "x" * 1_000_000
    references = "&big;" * 50_000
    body = rss(
        f"<item><title>Big</title><link>https://q.example/1</link><description>{references}</description></item>",
        head=f'<!DOCTYPE rss [<!ENTITY big "{entity}">]>',
    )
    tracemalloc.start()
    try:
        feed = parse_body(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.title for e in feed.entries] == ["Big"]
    assert peak < 64_000_000  # expanded, the description alone would be 50 GB
    assert reasons(feed) == ["entity_bomb"]


def test_feedparser_alone_would_keep_the_large_entity() -> None:
    """Why the guard exists: feedparser's own filter lets a large 'safe' entity through."""
    body = rss(
        "<item><title>t</title><link>https://q.example/1</link><description>&big;&big;</description></item>",
        head='<!DOCTYPE rss [<!ENTITY big "' + "y" * 1000 + '">]>',
    )
    unguarded = feedparser.parse(body)
    assert len(unguarded.entries[0].summary) == 2000
    assert "y" not in parse_body(body).entries[0].summary_html


def test_lone_surrogate_references_are_neutralised() -> None:
    feed = parse_case("lone_surrogate.xml")
    (entry,) = feed.entries
    assert entry.title == "Broken \ufffd and \ufffd text"
    assert "😀" in entry.summary_html and "—" in entry.summary_html
    all_text(feed).encode("utf-8")  # raises if any surrogate survived


def test_feedparser_alone_raises_on_a_lone_surrogate() -> None:
    """Why the guard exists (if feedparser ever stops raising, this test tells us)."""
    with pytest.raises(UnicodeEncodeError):
        feedparser.parse((CASES / "lone_surrogate.xml").read_bytes())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a &#xD83D;&#xDE00; b", "a &#x1F600; b"),
        ("&#55357;&#56832;", "&#x1F600;"),
        ("x &#xD800; y", "x &#xFFFD; y"),
        ("x &#xDC00; y", "x &#xFFFD; y"),
        ("end &#xD800;", "end &#xFFFD;"),
        ("&#xD800;&#xD800;&#xDC00;", "&#xFFFD;&#x10000;"),
        ("&#xD83D; &#xDE00;", "&#xFFFD; &#xFFFD;"),  # not adjacent: no pair
        ("&#0; &#x1F; &#x110000; &#99999999999999999999;", "&#xFFFD; &#xFFFD; &#xFFFD; &#xFFFD;"),
        ("&#9; &#x20AC; &#65; &amp;", "&#9; &#x20AC; &#65; &amp;"),
    ],
)
def test_repair_character_references(text: str, expected: str) -> None:
    assert repair_character_references(text) == expected


def test_internal_subset_end_is_not_fooled_by_quotes_or_comments() -> None:
    text = "<!DOCTYPE rss [<!ENTITY a \"]>\"><!-- ]> --><!ENTITY b 'x'>]><rss>&a;&b;</rss>"
    stripped, names = remove_internal_subsets(text)
    assert stripped == "<!DOCTYPE rss ><rss>&a;&b;</rss>"
    assert names == ["a", "b"]


def test_doctype_without_subset_is_left_alone() -> None:
    text = '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "x.dtd"><rss/>'
    assert remove_internal_subsets(text) == (text, [])


def test_unterminated_subset_is_removed_to_the_end() -> None:
    stripped, names = remove_internal_subsets('<!DOCTYPE rss [<!ENTITY a "aaaa"> <rss>&a;</rss>')
    assert stripped == "<!DOCTYPE rss " and names == ["a"]


def test_declared_html_entity_name_keeps_its_html_meaning() -> None:
    body = rss(
        "<item><title>Caf&eacute; &copy;</title><link>https://h.example/1</link></item>",
        head='<!DOCTYPE rss [<!ENTITY eacute "LONG"><!ENTITY copy "LONG">]>',
    )
    assert parse_body(body).entries[0].title == "Café ©"


def test_parser_exception_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(parse.feedparser, "parse", explode)
    feed = parse_case("empty_feed.xml")
    assert feed.entries == () and reasons(feed) == ["parse_error"]
    assert "RuntimeError: boom" in feed.problems[0].detail


# --- messy but real ----------------------------------------------------------------------


def test_html_page_is_not_a_feed_even_with_a_stray_entry() -> None:
    body = (CASES / "html_page.html").read_bytes()
    assert len(feedparser.parse(body).entries) == 1  # the trap this case sets
    feed = parse_body(body, content_type="text/html")
    assert feed.entries == ()
    assert reasons(feed) == ["not_a_feed"] and "HTML page" in feed.problems[0].detail


def test_malformed_but_readable_feed_is_used_and_reported() -> None:
    feed = parse_case("malformed_usable.xml")
    assert [e.title for e in feed.entries] == ["Fines & warnings for platforms", "Second story"]
    assert reasons(feed) == ["parse_error"]


def test_dates_missing_garbage_future_and_ancient() -> None:
    feed = parse_case("dates.xml")
    dates = {e.title: e.published for e in feed.entries}
    assert dates["Missing"] is None and dates["Garbage"] is None and dates["Epoch"] is None
    assert dates["Future"] == NOW and dates["Ahead"] == NOW
    assert dates["Normal"] == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
    assert reasons(feed) == ["bad_date"]
    assert feed.problems[0].detail.startswith("3 times")


def test_naive_clock_is_taken_as_utc() -> None:
    result = FetchResult(
        "https://d.example/f", "https://d.example/f", 200, (CASES / "dates.xml").read_bytes()
    )
    feed = parse_feed(
        result, FeedSource("https://d.example/f", "D"), max_items=50, now=NOW.replace(tzinfo=None)
    )
    assert {e.title: e.published for e in feed.entries}["Future"] == NOW


def test_duplicate_guids_first_wins_and_guid_falls_back_to_link() -> None:
    feed = parse_case("duplicate_guids.xml")
    assert [(e.title, e.guid) for e in feed.entries] == [
        ("First", "dup-1"),
        ("No guid", "https://dup.example/no-guid"),
    ]
    assert reasons(feed) == ["duplicate_guid"] and feed.problems[0].detail.startswith("2 times")


def test_empty_feed_is_not_a_problem() -> None:
    feed = parse_case("empty_feed.xml")
    assert (feed.version, feed.title, feed.entries, feed.problems) == ("rss20", "Quiet Outlet", (), ())


@pytest.mark.parametrize("body", [b"", b"   \n  "])
def test_empty_body_is_not_a_feed(body: bytes) -> None:
    assert reasons(parse_body(body)) == ["not_a_feed"]


def test_too_many_items_are_capped_in_feed_order() -> None:
    items = "".join(f"<item><title>n{i}</title><link>https://c.example/{i}</link></item>" for i in range(10))
    feed = parse_body(rss(items), max_items=3)
    assert [e.title for e in feed.entries] == ["n0", "n1", "n2"]
    assert reasons(feed) == ["too_many_items"] and "10 items" in feed.problems[0].detail


def test_item_without_usable_link_is_dropped_and_reported() -> None:
    items = (
        "<item><title>No link</title><description>text</description></item>"
        "<item><title>Script</title><link>javascript:alert(1)</link></item>"
        "<item><title>Fine</title><link>https://c.example/fine</link></item>"
    )
    feed = parse_body(rss(items))
    assert [e.title for e in feed.entries] == ["Fine"]
    assert reasons(feed) == ["bad_link"]


def test_links_to_pdfs_and_images_are_kept_as_entries() -> None:
    items = (
        "<item><title>Report</title><link>https://c.example/report.pdf</link></item>"
        "<item><title>Chart</title><link>https://c.example/chart.png</link></item>"
    )
    feed = parse_body(rss(items))
    assert [e.url for e in feed.entries] == ["https://c.example/report.pdf", "https://c.example/chart.png"]


def test_100kb_title_is_trimmed_to_300_characters() -> None:
    title = "Harassment " * 10_000
    feed = parse_body(rss(f"<item><title>{title}</title><link>https://t.example/1</link></item>"))
    (entry,) = feed.entries
    assert len(entry.title) <= 300 and entry.title.endswith("…")
    assert entry.title.startswith("Harassment Harassment")


def test_title_falls_back_to_summary_text() -> None:
    feed = parse_body(
        rss(
            "<item><link>https://t.example/1</link>"
            "<description>&lt;p&gt;Only a summary&lt;/p&gt;</description></item>"
        )
    )
    assert feed.entries[0].title == "Only a summary"


def test_rtl_emoji_and_zero_width_characters() -> None:
    titles = [e.title for e in parse_case("rtl_emoji_zero_width.xml").entries]
    assert titles[0] == "قانون جديد لمكافحة التحرش عبر الإنترنت"
    assert titles[1] == "חוק חדש נגד הטרדה ברשת"
    assert titles[2] == "Moderators 👩\u200d💻 speak out 🙁"
    assert titles[3] == "Report 2026"
    assert titles[4] == "txet desrever"
    assert not any(ch in "".join(titles) for ch in "\u200b\u2060\ufeff\u202e")


# --- encodings ------------------------------------------------------------------------------


def test_utf16_with_bom() -> None:
    feed = parse_case("utf16_bom.xml")
    assert feed.title == "Über-Feed für Hass im Netz"
    assert feed.entries[0].title == "Gesetz gegen digitale Gewalt: Entwurf vorgelegt"
    assert feed.problems == ()


def test_utf16_without_bom() -> None:
    text = rss("<item><title>Straße ohne BOM</title><link>https://u.example/1</link></item>").decode()
    body = text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16-be")
    assert parse_body(body).entries[0].title == "Straße ohne BOM"


def test_shift_jis_mislabelled_as_utf8() -> None:
    feed = parse_case("shiftjis_as_utf8.xml", content_type="application/rss+xml; charset=utf-8")
    assert feed.entries[0].title == "ネット上の誹謗中傷に新たな対策"
    assert reasons(feed) == ["bad_charset"]


def test_cp1252_mislabelled_as_utf8() -> None:
    feed = parse_case("cp1252_as_utf8.xml")
    expected = "Ministers\u2019 \u201conline harms\u201d plan \u2013 a caf\u00e9-style consultation"
    assert feed.entries[0].title == expected
    assert reasons(feed) == ["bad_charset"]


def test_latin1_declared_but_utf8_bytes() -> None:
    feed = parse_case("latin1_declared_utf8_bytes.xml")
    assert feed.entries[0].title == "Zoë Ngata: «Harcèlement» report"
    assert reasons(feed) == ["bad_charset"]


def test_wrong_http_charset_is_overruled_by_utf8_bytes() -> None:
    body = rss("<item><title>Zoë</title><link>https://u.example/1</link></item>")
    feed = parse_body(body, content_type="text/xml; charset=iso-8859-1")
    assert feed.entries[0].title == "Zoë" and reasons(feed) == ["bad_charset"]


def test_missing_charset_and_cp1252_bytes() -> None:
    body = b'<rss version="2.0"><channel><title>c</title><item><title>caf\xe9 \x93quoted\x94</title><link>https://u.example/1</link></item></channel></rss>'
    feed = parse_body(body, content_type="application/rss+xml")
    assert feed.entries[0].title == "café “quoted”"
    assert reasons(feed) == ["bad_charset"] and "no charset declared" in feed.problems[0].detail


def test_undeclared_cyrillic_single_byte_is_not_forced_to_cp1252() -> None:
    title = "Минюст предложил новые меры против травли в сети"
    body = rss(f"<item><title>{title}</title><link>https://r.example/1</link></item>").decode()
    feed = parse_body(body.replace(' encoding="utf-8"', "").encode("cp1251"))
    assert feed.entries[0].title == title and reasons(feed) == ["bad_charset"]


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b"\xef\xbb\xbf<rss", "utf-8"),
        (b"\xff\xfe<\x00r\x00", "utf-16-le"),
        (b"\xfe\xff\x00<\x00r", "utf-16-be"),
        (b"<\x00?\x00", "utf-16-le"),
        (b"\x00<\x00?", "utf-16-be"),
        (b"\x00\x00\x00<", "utf-32-be"),
        (b"<\x00\x00\x00", "utf-32-le"),
        (b"\xff\xfe\x00\x00<\x00\x00\x00", "utf-32-le"),
        (b"<?xml", None),
    ],
)
def test_sniff_unicode(head: bytes, codec: str | None) -> None:
    assert sniff_unicode(head) == codec


# --- small helpers and properties --------------------------------------------------------------


def test_trim_cuts_at_a_word_boundary() -> None:
    assert trim("short", 300) == "short"
    assert trim("alpha beta gamma delta", 12) == "alpha beta…"
    assert len(trim("x" * 500, 300)) == 300


def test_problem_log_folds_repeats() -> None:
    notes = ProblemLog("Feed A")
    for n in range(5):
        notes.add("bad_date", f"date {n}")
    notes.add("parse_error", "once")
    folded = notes.problems()
    assert folded[0].detail == "5 times: date 0; date 1; date 2 (+2 more)"
    assert folded[1].line() == "Feed A: parse_error: once"


def test_same_input_same_output() -> None:
    body = (CASES / "rss20_content.xml").read_bytes()
    assert parse_body(body) == parse_body(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_never_raises_on_arbitrary_bytes(body: bytes) -> None:
    feed = parse_body(body)
    all_text(feed).encode("utf-8")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_arbitrary_item_text(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;")
    for body in (
        rss(
            f"<item><title>{escaped}</title><link>https://p.example/1</link><description>{text}</description></item>"
        ),
        rss(f"<item><title>{text}</title><link>{text}</link></item>"),
    ):
        feed = parse_body(body)
        all_text(feed).encode("utf-8")
        assert all(len(entry.title) <= 300 for entry in feed.entries)


@pytest.mark.parametrize(
    ("written", "byline"),
    [
        ("<author>desk@ledger.example (Dana Okafor)</author>", "Dana Okafor"),
        ("<author>desk@ledger.example</author>", ""),
        ("<author>Dana Okafor &lt;desk@ledger.example&gt;</author>", "Dana Okafor"),
        ("<dc:creator>Dana Okafor</dc:creator>", "Dana Okafor"),
    ],
)
def test_an_rss_author_is_the_name_not_the_address(written: str, byline: str) -> None:
    body = (
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Ledger</title>'
        f"<item><title>Code published</title><link>https://ledger.example/a</link>{written}</item>"
        "</channel></rss>"
    ).encode()
    (entry,) = parse_body(body).entries
    assert entry.author == byline
