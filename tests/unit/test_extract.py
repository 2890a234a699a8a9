"""The extract stage on realistic pages (tests/cases/extract/*.html), its boilerplate rules and fallbacks.

Each fixture page says in its header comment what it checks, with ``MUST:`` lines (text that has to
be in the extracted text) and ``MUST NOT:`` lines (text that must not be).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from digest.extract import (
    BOILERPLATE_FILE,
    WARM_UP_PAGE,
    WARM_UP_URL,
    boilerplate,
    boilerplate_rule,
    drop_boilerplate,
    drop_reader_comments,
    extract_many,
    extract_page,
    fallback_page,
    feed_headline,
    html_to_paragraphs,
    is_control_line,
    parse_boilerplate,
    prune_rule,
    prune_xpath,
    voice_words,
    warm_up,
)
from digest.records import Entry

CASES = Path(__file__).parent.parent / "cases" / "extract"
PAGES = sorted(CASES.glob("*.html"))
URL = "https://news.example/2026/11/story"


def header_lines(page: Path, label: str) -> list[str]:
    header = re.search(r"<!--(.*?)-->", page.read_text(encoding="utf-8"), re.DOTALL)
    assert header is not None, f"{page.name} has no header comment"
    prefix = f"{label}:"
    return [line[len(prefix) :].strip() for line in header.group(1).splitlines() if line.startswith(prefix)]


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_fixture_page_keeps_body_and_drops_boilerplate(page: Path) -> None:
    result = extract_page(URL, page.read_bytes(), "text/html; charset=utf-8")
    must, must_not = header_lines(page, "MUST"), header_lines(page, "MUST NOT")
    assert must or must_not, f"{page.name} states nothing to check"
    missing = [text for text in must if text not in result.text]
    leaked = [text for text in must_not if text in result.text]
    assert (missing, leaked) == ([], [])
    if header_lines(page, "EXPECT"):
        assert result.text == "" and result.fallback_reason
    else:
        assert result.fallback_reason is None and result.origin == "page"


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    result = extract_page(URL, (CASES / "wordpress_comments.html").read_bytes(), "text/html")
    paragraphs = result.text.split("\n\n")
    assert len(paragraphs) == 5
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)


def test_metadata_from_the_page() -> None:
    result = extract_page(URL, (CASES / "wordpress_comments.html").read_bytes(), "text/html")
    assert result.title == "Regulator sets deadline for platforms to tackle intimate image abuse"
    assert result.author == "Dana Okafor"
    assert result.published == datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
    assert result.language == "en"
    assert result.url == URL


def test_headline_is_not_repeated_as_a_paragraph() -> None:
    result = extract_page(URL, (CASES / "news_article.html").read_bytes(), "text/html")
    assert not result.text.startswith(result.title)
    assert result.title not in result.text.split("\n\n")


def test_a_headline_from_the_feed_stands_in_for_the_page_metadata() -> None:
    body = (CASES / "wordpress_comments.html").read_bytes()
    own = extract_page(URL, body, "text/html")
    given = extract_page(URL, body, "text/html", headline="Platforms given a deadline on image abuse")
    assert given.text == own.text and own.author == "Dana Okafor"
    # Not looked for: the feed's author and date come first wherever the article is used.
    assert (given.title, given.author, given.published) == (
        "Platforms given a deadline on image abuse",
        "",
        None,
    )


def test_the_page_headline_is_dropped_when_the_feed_words_it_differently() -> None:
    body = (CASES / "news_article.html").read_bytes()
    page_headline = extract_page(URL, body, "text/html").title
    result = extract_page(URL, body, "text/html", headline="Video platforms asked about abuse of reporters")
    assert page_headline and page_headline not in result.text.split("\n\n")
    assert result.text == extract_page(URL, body, "text/html", headline=page_headline).text


@pytest.mark.parametrize(
    ("title", "author", "published", "headline"),
    [
        (
            "Fines for ignoring takedown orders",
            "Rui Santos",
            datetime(2026, 11, 20, tzinfo=UTC),
            "Fines for ignoring takedown orders",
        ),
        ("", "Rui Santos", datetime(2026, 11, 20, tzinfo=UTC), None),
        ("Fines for ignoring takedown orders", "", datetime(2026, 11, 20, tzinfo=UTC), None),
        ("Fines for ignoring takedown orders", "Rui Santos", None, None),
    ],
)
def test_the_page_metadata_is_asked_for_only_when_the_feed_lacks_some(
    title: str, author: str, published: datetime | None, headline: str | None
) -> None:
    entry = Entry("https://news.example/feed", "g1", URL, title, "News", author, published)
    assert feed_headline(entry) == headline


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/pdf", b"%PDF-1.7 binary"),
        ("image/png", b"\x89PNG\r\n\x1a\n...."),
        ("text/html", b"%PDF-1.4 served with the wrong type"),
        ("", b"\xff\xd8\xff\xe0 jpeg bytes"),
    ],
)
def test_non_html_content_is_not_extracted(content_type: str, body: bytes) -> None:
    result = extract_page(URL, body, content_type)
    assert result.text == "" and result.fallback_reason is not None
    assert result.fallback_reason.startswith("not an HTML page")


@pytest.mark.parametrize(
    "body", [b"", b"   ", b"<html><body><p>Too short.</p></body></html>", b"\x00\x01\x02"]
)
def test_empty_or_tiny_pages_ask_for_the_fallback(body: bytes) -> None:
    result = extract_page(URL, body, "text/html")
    assert result.text == "" and result.fallback_reason


def test_http_charset_is_honoured_for_pages_without_meta_charset() -> None:
    paragraph = (
        "Ministers\u2019 \u201conline harms\u201d plan was criticised by campaigners for survivors. " * 4
    )
    page = f"<html><body><article><h1>Plan</h1><p>{paragraph}</p><p>{paragraph}</p></article></body></html>"
    result = extract_page(URL, page.encode("cp1252"), "text/html; charset=windows-1252")
    assert "Ministers\u2019 \u201conline harms\u201d plan" in result.text


# --- boilerplate rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paragraph", "rule"),
    [
        ("Sign up for our weekly policy briefing and never miss a story like this.", "newsletter"),
        ("Get our newsletter and our in-depth case studies all for free!", "newsletter"),
        ("Related: Ministers promise review of anonymous accounts", "related_link"),
        ("Read more: Parliament backs tougher rules", "related_link"),
        ("Photo: Tomas Rehn", "photo_credit"),
        ("A woman holds a phone. Photograph: Lena Marsh/Agency", "photo_credit"),
        ("By Dana Okafor", "byline"),
        ("Share on Facebook X LinkedIn", "share"),
        ("We use cookies to improve your experience on our site.", "site_chrome"),
        ("© 2026 The Civic Ledger. All rights reserved.", "site_chrome"),
        ("View 14 comments", "site_chrome"),
        ("Reader comments (2)", "comment_section"),
        ("3 thoughts on “Regulator sets deadline”", "comment_section"),
        ("Leave a Reply", "comment_section"),
        ("Join the discussion", "comment_section"),
        # article prose that merely mentions the same words
        ("By the end of the year the regulator will publish its first report.", None),
        ("The code requires services to let users sign up for alerts about new reports of abuse "
         "targeting them, and to explain within two days what they did with each report, the "
         "regulator said, adding that the newsletter of one platform had already announced it.", None),
        ("Comments made by the minister on Tuesday drew criticism from campaigners.", None),
        ("Share prices of the largest platforms fell after the announcement.", None),
    ],
)  # fmt: skip
def test_boilerplate_rule_table(paragraph: str, rule: str | None) -> None:
    matched = boilerplate_rule(paragraph, boilerplate())
    assert (matched.name if matched else None) == rule


def test_cutoff_removes_the_comment_section_after_the_body() -> None:
    body = ["A long first paragraph of the article about the new law and what it requires of platforms."] * 2
    paragraphs = [*body, "Reader comments (2)", "harbourmum", "Finally someone is looking at this."]
    assert drop_boilerplate(paragraphs, boilerplate()) == body


def test_cutoff_before_any_body_only_drops_the_heading() -> None:
    paragraphs = [
        "Comments",
        "The article body starts here and is long enough to be a real paragraph of news.",
    ]
    assert drop_boilerplate(paragraphs, boilerplate()) == paragraphs[1:]


# --- reader comments with no marking -------------------------------------------------------

BODY = [
    "The regulator published new rules on Thursday requiring platforms to act on reports of abuse within two days.",
    "Platforms that miss the deadline repeatedly can be fined up to a tenth of their turnover, the regulator said.",
]


@pytest.mark.parametrize(
    ("paragraph", "is_control"),
    [
        ("Nightjar_77 · 2 hours ago", True),
        ("▲ 23 · Reply · Report", True),
        ("Reply", True),
        ("Like (4) Reply", True),
        ("14 November 2026 at 18:42", True),
        ("R. Okonjo · yesterday at 9:15pm", True),
        # article lines that share a word with comment controls
        ("The report", False),
        ("Like", False),
        ("Share prices fell 3 points after the ruling was published.", False),
        ("Yesterday the minister said the rules would be reviewed next year.", False),
        ("Published 14 November 2026", False),
    ],
)  # fmt: skip
def test_control_lines(paragraph: str, is_control: bool) -> None:
    assert is_control_line(paragraph, boilerplate().comments) is is_control


def test_first_person_words_inside_quotes_are_the_speaker_s() -> None:
    rules = boilerplate().comments
    assert voice_words('"I think I made my point," she said, "and I stand by it.', rules) == 0
    assert voice_words("I think my point stands and I will not apologise for it.", rules) == 3


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        (["Jo_K · 3 hours ago", "Long overdue.", "Reply · Report"], 0),
        (["Maggie T says:", "12 March 2026 at 18:42", "Well said."], 0),
        (["Carl B", "I have blocked hundreds of accounts and I never needed a law to do it. Just my two cents."], 0),
        (["Reader view", "I have blocked hundreds of accounts myself and I never needed a law for it."], 0),
        # prose that only resembles a comment stays
        (["What happens next", "The rules take effect in March, and the regulator will publish its first report in June."], 2),
        (["Ms Hopkins said:", "The rules take effect in March and platforms have been told what to expect."], 2),
    ],
)  # fmt: skip
def test_unmarked_comment_after_the_body_is_cut(comment: list[str], kept: int) -> None:
    assert drop_reader_comments([*BODY, *comment], boilerplate().comments) == BODY + comment[:kept]


def test_first_person_column_is_never_cut() -> None:
    column = [
        "I have covered these courts for years and I have seen the same pattern in case after case.",
        "The regulator's new rules require platforms to act on reports of abuse within two days.",
        "Why it matters",
        "I think the rules are overdue, and I have said so in this column for years, my readers know.",
    ]
    assert drop_reader_comments(column, boilerplate().comments) == column


def test_a_comment_before_any_body_is_not_a_cut() -> None:
    paragraphs = ["3 hours ago", *BODY]
    assert drop_reader_comments(paragraphs, boilerplate().comments) == paragraphs


def test_feed_content_loses_unmarked_comments_too() -> None:
    html = "".join(f"<p>{p}</p>" for p in BODY) + "<p>Dave_R · 5 hours ago</p><p>Typical.</p><p>Reply</p>"
    assert html_to_paragraphs(html) == BODY


def test_bundled_boilerplate_file_is_valid() -> None:
    rules = boilerplate()
    assert BOILERPLATE_FILE.exists() and rules.max_chars > 0
    assert {rule.kind for rule in rules.rules} == {"drop", "cutoff"}
    assert rules.prune is not None and rules.prune.tokens.search("newsletter-signup")


def test_the_stripped_tags_are_all_ones_trafilatura_deletes_itself() -> None:
    # Stripping them first spares trafilatura's XPath prunes most of a page; a tag it keeps would
    # change the text instead (checked on 225 farm, sample, case, documentation and news pages).
    from trafilatura.settings import MANUALLY_CLEANED

    strip_tags = set(boilerplate().strip_tags)
    assert {"nav", "footer", "svg"} <= strip_tags <= set(MANUALLY_CLEANED)
    assert not strip_tags & {"head", "script", "header", "article", "main", "p"}


BYLINE_IN_FOOTER = (
    "<html><head><title>Regulator sets duties</title></head><body><article><h1>Regulator sets duties</h1>"
    + "".join(
        f"<p>The regulator (paragraph {n}) set out new duties for platforms on abuse.</p>" for n in range(5)
    )
    + "<p>Reports rose<svg viewBox='0 0 1 1'><path d='M0 0'/></svg> by a third, the regulator said.</p>"
    + "</article><footer><p class='byline'>By <a rel='author' href='/people/jane-roe'>Jane Roe</a></p>"
    + "<time datetime='2026-11-17T09:30:00Z'>17 November</time></footer></body></html>"
).encode()


def test_the_metadata_is_read_from_the_whole_page_before_it_is_stripped() -> None:
    # The byline and the date sit in the footer, which is stripped before the text is extracted
    # (measured: stripped first, trafilatura finds neither).
    result = extract_page(URL, BYLINE_IN_FOOTER, "text/html")
    assert (result.author, result.published) == ("Jane Roe", datetime(2026, 11, 17, 9, 30, tzinfo=UTC))
    assert "Jane Roe" not in result.text


def test_the_text_after_a_stripped_element_stays() -> None:
    result = extract_page(URL, BYLINE_IN_FOOTER, "text/html", headline="Regulator sets duties")
    assert "Reports rose by a third, the regulator said." in result.text.split("\n\n")


def article_page(extra: str, body_class: str = "analysis-content") -> bytes:
    paragraphs = "".join(
        f"<p>The regulator (paragraph {n}) set out new duties for platforms on reporting abuse.</p>"
        for n in range(5)
    )
    article = f"<div class='{body_class}'>{paragraphs}{extra}</div>"
    return f"<html><body><section>{article}</section></body></html>".encode()


def test_prune_removes_a_promo_box_trafilatura_keeps() -> None:
    # measured: without the prune list, trafilatura (favor_precision) keeps this box's sentence
    promo = "<div class='promo-box'><p>Get the tracker: every decision in one place.</p></div>"
    result = extract_page(URL, article_page(promo), "text/html")
    assert "paragraph 4" in result.text
    assert "Get the tracker" not in result.text


def test_prune_spares_a_wrapper_that_holds_the_article() -> None:
    result = extract_page(URL, article_page("", body_class="entry-content promo-enabled"), "text/html")
    assert all(f"paragraph {n}" in result.text for n in range(5))


def pruned(html: str, tokens: list[str], max_paragraphs: int = 2) -> list[str]:
    """The class (or else id) of each element the prune rule selects in ``html``, in document order."""
    tree = lxml.html.fromstring(html)
    xpath = prune_xpath(tree, prune_rule(tokens, max_paragraphs))
    selected = set(tree.xpath(xpath)) if xpath else set()
    return [element.get("class") or element.get("id") or "" for element in tree.iter() if element in selected]


def test_prune_tokens_are_matched_case_insensitively_in_class_or_id() -> None:
    html = (
        "<html><body><div class='Lead PROMO-box'><p>a</p></div><div id='ShareBar'>b</div>"
        "<div class='story'><p>c</p></div><div class='promo'><p>1</p><p>2</p><p>3</p></div>"
        "<main class='promo-layout'><p>d</p></main></body></html>"
    )
    assert pruned(html, ["promo", "share"]) == ["Lead PROMO-box", "ShareBar"]
    assert prune_rule([], 2) is None and prune_xpath(lxml.html.fromstring(html), None) == ""


def test_prune_takes_values_with_quotes_and_entities_as_the_parser_reads_them() -> None:
    html = (
        """<html><body><div class="promo 'x'"><p>a</p></div><div class='promo "y"'>b</div>"""
        """<div class="promo 'x' &quot;z&quot;">c</div><div class="pro&#109;o">d</div>"""
        """<div class="promotion-free">e</div><div class="story">f</div></body></html>"""
    )
    assert pruned(html, ["promo"]) == ["promo 'x'", 'promo "y"', "promo 'x' \"z\"", "promo", "promotion-free"]


def test_prune_selects_the_elements_of_every_value_holding_a_token_and_no_other() -> None:
    # 300 values hold the token: each element with one of them exactly, by class or by id, is
    # selected; "box" and "x" are substrings of the listed values but hold no token themselves.
    boxes = "".join(
        f"<div id='share-{n}' class='box'>a</div><div class='shared-{n} x'>b</div>" for n in range(150)
    )
    html = f"<html><body><div class='box'><p>text</p></div><div class='x'>c</div>{boxes}</body></html>"
    selected = pruned(html, ["share"])
    assert selected == [name for n in range(150) for name in ("box", f"shared-{n} x")]
    assert (
        pruned(html.replace("share", "sh\u241eare"), ["share"]) == []
    )  # a value holding the separator is not listed


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"max_chars": 10, "rule": [], "extra": 1}, "extra: unknown key"),
        ({"max_chars": 0, "rule": []}, "max_chars"),
        ({"max_chars": 10, "rule": [{"name": "x", "kind": "maybe", "patterns": ["a"]}]}, "kind"),
        ({"max_chars": 10, "rule": [{"name": "x", "kind": "drop", "patterns": ["("]}]}, "'('"),
        ({"max_chars": 10, "rule": [{"name": "x", "kind": "drop", "patterns": []}]}, "non-empty list"),
        ({"max_chars": 10, "rule": [{"name": "x", "kind": "drop", "patterns": ["a"], "flags": 1}]}, "flags"),
        ({"max_chars": 10, "prune": {"class_or_id": ["it's"]}}, "prune.class_or_id"),
        ({"max_chars": 10, "prune": {"class_or_id": ["a"], "depth": 1}}, "prune.depth: unknown key"),
        ({"max_chars": 10, "prune": {"max_paragraphs": -1}}, "prune.max_paragraphs"),
        ({"max_chars": 10, "prune": {"tags": ["Nav"]}}, "prune.tags"),
        ({"max_chars": 10, "prune": {"tags": "nav"}}, "prune.tags"),
        ({"max_chars": 10, "reader_comments": {"colour": 1}}, "reader_comments.colour: unknown key"),
        ({"max_chars": 10, "reader_comments": {"line_chars": -5}}, "reader_comments.line_chars"),
        ({"max_chars": 10, "reader_comments": {"controls": "reply"}}, "reader_comments.controls"),
        ({"max_chars": 10, "reader_comments": {"says": ["("]}}, "reader_comments.says: '('"),
    ],
)
def test_boilerplate_validation_reports_problems(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_boilerplate(raw)


# --- fallback ------------------------------------------------------------------------------


def make_entry(summary_html: str = "", content_html: str = "") -> Entry:
    return Entry(
        feed_url="https://news.example/feed.xml",
        guid="g1",
        url=URL,
        title="A story",
        source="News",
        author="A. Writer",
        published=datetime(2026, 11, 20, tzinfo=UTC),
        summary_html=summary_html,
        content_html=content_html,
    )


def test_fallback_prefers_feed_content() -> None:
    entry = make_entry(
        "<p>Short summary.</p>", "<p>First paragraph.</p><script>alert(1)</script><p>Second &amp; last.</p>"
    )
    page = fallback_page(entry, "HTTP 500")
    assert page.text == "First paragraph.\n\nSecond & last."
    assert (page.origin, page.fallback_reason, page.title, page.url) == (
        "feed_content",
        "HTTP 500",
        "A story",
        URL,
    )
    assert page.published == entry.published and page.author == "A. Writer"


def test_fallback_uses_summary_when_there_is_no_content() -> None:
    page = fallback_page(make_entry("Plain summary text, no tags."), "not an HTML page (application/pdf)")
    assert (page.text, page.origin) == ("Plain summary text, no tags.", "feed_summary")


def test_fallback_without_any_feed_text_is_empty_but_says_why() -> None:
    page = fallback_page(make_entry(), "timeout")
    assert page.text == "" and page.fallback_reason == "timeout"


def test_feed_html_to_paragraphs() -> None:
    html = (
        "<div>Lead line<br>second line</div><ul><li>one</li><li>two</li></ul>"
        "<figure><img src=x><figcaption>Photo caption text</figcaption></figure>"
        "<p>Sign up for our newsletter to get updates.</p><style>p{}</style>"
    )
    assert html_to_paragraphs(html) == ["Lead line", "second line", "one", "two"]


# --- batches -------------------------------------------------------------------------------


def batch_jobs() -> list[tuple[str, bytes, str]]:
    jobs = [(f"{URL}/{page.stem}", page.read_bytes(), "text/html") for page in PAGES]
    jobs.append((f"{URL}/report.pdf", b"%PDF-1.7", "application/pdf"))
    return jobs * 3


def test_extract_many_keeps_job_order_with_a_process_pool() -> None:
    jobs = batch_jobs()
    pooled = extract_many(jobs, workers=2)
    inline = [extract_page(*job) for job in jobs]
    assert pooled == inline
    assert [page.url for page in pooled] == [url for url, _, _ in jobs]


def test_extract_many_inline_for_one_worker_or_few_jobs() -> None:
    jobs = batch_jobs()[:3]
    assert extract_many(jobs, workers=1) == extract_many(jobs, workers=4) == [extract_page(*j) for j in jobs]
    assert extract_many([], workers=2) == []


def test_the_warm_up_page_goes_the_whole_way_through_extraction() -> None:
    """The warm-up loads what a first page needs only if it is extracted like one: its body kept,
    the reader's comment dropped, and the library's metadata search run (the page's own title)."""
    page = extract_page(WARM_UP_URL, WARM_UP_PAGE, "text/html; charset=utf-8")
    paragraphs = page.text.split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[0].startswith("This page is extracted once"), page.text
    assert "A reader wrote" not in page.text
    assert page.title == "Warm-up page"
    warm_up()  # and the function itself, as a worker calls it
