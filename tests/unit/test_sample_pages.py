"""Sample article pages: every outlet's page holds the article text AND the boilerplate real pages
carry (navigation, share buttons, figure, promo, related links, comments, cookie banner, footer),
with each outlet's own markup, only same-server resources, and the same bytes for the same clock.

Must appear: every body paragraph (HTML-escaped), "Share on X", "Email", each comment's author and
text ("N comments" above them, except in the themes that print comments unmarked inside the body),
the caption, the promo, every related headline, a footer copyright.
Must not appear: an external image / script / stylesheet address."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser

import pytest

from digest.sample.corpus import Comment, Corpus, Outlet, SampleArticle, load_corpus
from digest.sample.pages import UNMARKED_COMMENT_LAYOUTS, render_page

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)
BASE = "http://127.0.0.1:8123/"
FULL = SampleArticle(
    id="full-example",
    outlet="",
    title="Regulator fines <platform> & warns others",
    author="Rhiannon Pryce",
    hours_ago=26,
    summary="The regulator says the platform ignored reports.",
    paragraphs=(
        "The first paragraph says what happened, with an ampersand & a <tag>.",
        '"We will not hesitate to act again," the chief executive said.',
        "The last paragraph gives the background.",
    ),
    caption="Offices of the regulator in the city centre",
    promo="Get the Friday briefing in your inbox.",
    related=("Earlier fine overturned on appeal", "What the new code requires"),
    comments=(
        Comment("Jo_K", "Long overdue, frankly."),
        Comment("M. Adeyemi", "Fines never change anything."),
        Comment("sceptic42", "Who audits the regulator?"),
    ),
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


def _page(outlet: Outlet, article: SampleArticle = FULL, others: tuple[SampleArticle, ...] = ()) -> str:
    return render_page(outlet, article, NOW, BASE, others=others).decode("utf-8")


class _Tags(HTMLParser):
    """Collects (tag, attributes) of every start tag."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _tags(page: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_every_layout_carries_text_and_boilerplate(corpus: Corpus) -> None:
    for outlet in corpus.outlets:
        page = _page(outlet)
        for paragraph in FULL.paragraphs:
            assert escape(paragraph) in page, outlet.id
        for needle in ("Share on X", ">Email<", "cookie policy", f"&copy; 2026 {escape(outlet.name)}"):
            assert needle in page, (outlet.id, needle)
        assert ("3 comments" in page) != (outlet.layout in UNMARKED_COMMENT_LAYOUTS), outlet.id
        for comment in FULL.comments:
            assert escape(comment.author) in page and escape(comment.text) in page, outlet.id
        for text in (FULL.caption, FULL.promo, *FULL.related, FULL.author):
            assert escape(text) in page, (outlet.id, text)
        navigation = [
            a for tag, a in _tags(page) if tag == "a" and a.get("href", "").startswith(outlet.homepage)
        ]
        assert len(navigation) >= 10, outlet.id


def test_optional_parts_are_left_out_when_the_article_has_none(corpus: Corpus) -> None:
    bare = SampleArticle("bare", "", "Bare", "A. Writer", 2, "Summary.", ("Only paragraph.",))
    for outlet in corpus.outlets:
        page = _page(outlet, bare)
        assert "<figure" not in page and "Related stories" not in page and "comment" not in page.lower()
        assert "Only paragraph." in page and "Share on X" in page


def test_layouts_differ_in_markup_and_metadata(corpus: Corpus) -> None:
    pages = {outlet.layout: _page(outlet) for outlet in corpus.outlets}
    assert len(set(pages.values())) == len(pages)
    assert '<article class="post hentry">' in pages["article"] and "<article" not in pages["divsoup"]
    assert 'property="og:title"' in pages["opengraph"] and 'itemprop="articleBody"' in pages["microdata"]
    assert 'class="commentlist"' in pages["article"] and 'id="disqus_thread"' in pages["jsonld"]
    [ld] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', pages["jsonld"], re.S)
    metadata = json.loads(ld)
    assert metadata["headline"] == FULL.title and metadata["author"][0]["name"] == FULL.author
    assert metadata["datePublished"] == "2026-11-21T10:30:00Z"  # NOW - 26 hours


def test_tabloid_comments_sit_inside_the_article_container(corpus: Corpus) -> None:
    page = _page(corpus.outlet("metro"))
    start = page.index('<div class="td-post-content">')
    inside = page[start : page.index("</div>\n" + '<section class="me-related">', start)]
    assert FULL.paragraphs[-1] in inside and 'class="comment-list"' in inside and escape(FULL.promo) in inside


def test_resources_stay_on_the_sample_server(corpus: Corpus) -> None:
    for outlet in corpus.outlets:
        for tag, attributes in _tags(_page(outlet)):
            address = attributes.get("src") or (attributes.get("href") if tag == "link" else None)
            if address:
                assert not re.match(r"^[a-z]+:|^//", address) or address.startswith(BASE), (
                    outlet.id,
                    address,
                )
        [image] = [a for tag, a in _tags(_page(outlet)) if tag == "img"]
        assert image["src"].endswith("media/full-example.svg") and not image["src"].startswith("/"), outlet.id


def test_dates_follow_the_clock(corpus: Corpus) -> None:
    outlet = corpus.outlet("harbour")
    assert 'datetime="2026-11-21T10:30:00Z">\n21 November 2026' in _page(outlet)
    later = render_page(outlet, FULL, NOW + timedelta(days=30), BASE).decode()
    assert "21 December 2026" in later and "21 November 2026" not in later


def test_most_read_lists_the_other_articles_never_the_page_itself(corpus: Corpus) -> None:
    outlet = corpus.outlet("civic")
    others = tuple(
        SampleArticle(f"other-{n}", "civic", f"Other story {n}", "B", n, "S.", ("P.",)) for n in range(1, 8)
    )
    page = _page(outlet, FULL, (*others, FULL))
    assert "Other story 1" in page and "Other story 5" in page and "Other story 6" not in page
    most_read = page[page.index("<h2>Most read</h2>") : page.index("</ol>", page.index("<h2>Most read</h2>"))]
    assert most_read.count("<li>") == 5 and escape(FULL.title) not in most_read


def test_bundled_pages_are_realistic_in_size_and_deterministic(corpus: Corpus) -> None:
    for article in corpus.articles:
        outlet = corpus.outlet(article.outlet)
        others = corpus.articles_of(outlet.id)
        page = render_page(outlet, article, NOW, BASE, others=others)
        assert 5_000 <= len(page) <= 40_000, (article.id, len(page))
        assert render_page(outlet, article, NOW, BASE, others=others) == page
        text = page.decode()
        assert all(escape(p) in text for p in article.paragraphs), article.id
        counted = bool(article.comments) and outlet.layout not in UNMARKED_COMMENT_LAYOUTS
        assert (f"{len(article.comments)} comment" in text) == counted, article.id


@pytest.mark.parametrize(
    ("outlet_id", "opening", "controls"),
    [
        ("civic", '<div class="story-body">', ("says:</p>", " at ", ">Reply</a>")),
        ("safeguard", '<div itemprop="articleBody">', (" hours ago</p>", "· Reply · Report</p>")),
    ],
)
def test_unmarked_comments_sit_in_the_body_without_any_marking(
    corpus: Corpus, outlet_id: str, opening: str, controls: tuple[str, ...]
) -> None:
    outlet = corpus.outlet(outlet_id)
    assert outlet.layout in UNMARKED_COMMENT_LAYOUTS
    page = _page(outlet)
    start = page.index(opening)
    body = page[start : page.index("</div>", page.index(escape(FULL.comments[-1].text), start))]
    assert all(escape(c.text) in body and escape(c.author) in body for c in FULL.comments)
    assert all(control in body for control in controls), outlet_id
    assert "comment" not in page.lower(), "no class, id or heading may name the comments"


def test_the_unmarked_list_style_has_name_lines_and_no_controls(corpus: Corpus) -> None:
    outlet = replace(corpus.outlet("civic"), comments="inline")
    page = _page(outlet)
    assert f"<li><p>{escape(FULL.comments[0].author)}</p>" in page
    assert "Reply" not in page and "comment" not in page.lower()


def test_the_bundled_corpus_has_unmarked_comments_in_two_outlets(corpus: Corpus) -> None:
    outlets = {
        article.outlet
        for article in corpus.articles
        if article.comments and corpus.outlet(article.outlet).layout in UNMARKED_COMMENT_LAYOUTS
    }
    assert len(outlets) >= 2
