"""Rendering: records built here in the test -> the whole site, checked file by file.

The fixture site has three stories (one with a hostile title and quote, one with a content note,
one shared by two outlets with a syndicated copy), two editions, a failing feed and an excluded
article. Nothing here touches the network, the store or the clock.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

from digest.config import SiteConfig
from digest.records import (
    Edition,
    Exclusion,
    FeedState,
    OutputFile,
    Quote,
    Section,
    Source,
    Story,
    SummarySentence,
    Tags,
)
from digest.render import SiteData, markdown, render_all
from digest.render.common import (
    absolute_url,
    assign_slugs,
    build_index,
    listing_page_counts,
    outbound,
    related_stories,
    slugify,
)
from digest.render.site import render_moved_pages
from tests.hostile.safety import html_findings

HOSTILE = "<script>alert(1)</script>"
BASE = "https://digest.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _story(story_id: str, title: str, day: int, **changes: object) -> Story:
    sources = (
        Source(
            f"{story_id}-a",
            f"https://news.example.com/{story_id}?utm_source=rss&id=7",
            f"{title} (report)",
            "Example News",
            datetime(2026, 11, day, 8, tzinfo=UTC),
            is_lead=True,
        ),
    )
    story = Story(
        id=story_id,
        title=title,
        lead_article_id=f"{story_id}-a",
        sources=sources,
        summary=(
            SummarySentence(
                "The regulator opened an investigation into the platform.", f"{story_id}-a", sources[0].url
            ),
            SummarySentence("A decision is expected next spring.", f"{story_id}-a", sources[0].url),
        ),
        quotes=(Quote("Dana Reyes", "We will act on every report we receive.", "chief executive"),),
        tags=Tags(
            harms=("harassment",),
            responses=("regulation",),
            jurisdictions=("United Kingdom",),
            organisations=("Ofcom",),
            people=("Dana Reyes",),
        ),
        relevance=0.8,
        published=datetime(2026, 11, day, 8, tzinfo=UTC),
        first_seen=datetime(2026, 11, day, 9, tzinfo=UTC),
    )
    return replace(story, **changes)  # type: ignore[arg-type]


def _site_data(**changes: object) -> SiteData:
    hostile = _story(
        "s1",
        f"Bill passes {HOSTILE} second reading",
        24,
        quotes=(Quote(f"Minister {HOSTILE}", f"We said {HOSTILE} today.", "minister"),),
    )
    noted = _story(
        "s2",
        "Court hears intimate-image abuse case",
        23,
        content_note="This story discusses intimate-image abuse.",
        tags=Tags(
            harms=("intimate-image abuse",),
            responses=("prosecution",),
            jurisdictions=("Scotland",),
            organisations=("Crown Office and Procurator Fiscal Service",),
        ),
    )
    shared = _story(
        "s3", "Platform changes reporting tools", 12, grouping_reasons=("same event: shared names",)
    )
    shared = replace(
        shared,
        sources=(
            *shared.sources,
            Source(
                "s3-b",
                "https://other.example.net/tools",
                "Reporting tools revamped",
                "Other Daily",
                datetime(2026, 11, 13, tzinfo=UTC),
                copies=("https://copy.example.org/tools?fbclid=x",),
            ),
        ),
    )
    editions = (
        Edition(
            2,
            "2026-W48",
            date(2026, 11, 23),
            date(2026, 11, 29),
            "Edition 2: 23 to 29 November 2026",
            ("s1", "s2"),
            (Section("Laws and regulation", ("s1",)), Section("Courts and policing", ("s2",))),
            editor_note="A **busy** week. <script>bad()</script>",
        ),
        Edition(
            1,
            "2026-W46",
            date(2026, 11, 9),
            date(2026, 11, 15),
            "Edition 1: 9 to 15 November 2026",
            ("s3",),
            (Section("Platforms", ("s3",)),),
        ),
    )
    feeds = (
        FeedState(
            "https://ok.example.com/feed",
            "https://ok.example.com/feed",
            "Working feed",
            last_status="ok",
            last_ok=datetime(2026, 11, 25, tzinfo=UTC),
        ),
        FeedState(
            "https://bad.example.com/feed",
            "https://bad.example.com/feed",
            "Broken feed",
            last_status="error",
            last_error="http_status: 503",
            failing_since=datetime(2026, 11, 20, tzinfo=UTC),
        ),
    )
    excluded = (
        Exclusion(
            "x1",
            "https://news.example.com/football",
            "Football transfer news",
            "Example News",
            0.05,
            "off_topic",
            ("no harm term",),
        ),
    )
    data = SiteData(
        site=SiteConfig(base_url=BASE),
        now=NOW,
        stories=(hostile, noted, shared),
        editions=editions,
        feeds=feeds,
        excluded=excluded,
        about_markdown="# About us\n\nWe read the news so you don't have to.\n\n## How\n\nBy hand.",
    )
    return replace(data, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {output.path: output.content for output in render_all(_site_data())}


def _text(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def _html_pages(files: dict[str, bytes]) -> list[str]:
    return [path for path in files if path.endswith(".html")]


# --- every page kind --------------------------------------------------------------------------


def test_every_page_kind_exists(files: dict[str, bytes]) -> None:
    expected = [
        "index.html",
        "editions/2026-W48/index.html",
        "editions/2026-W46/index.html",
        "stories/s1/index.html",
        "stories/s2/index.html",
        "stories/s3/index.html",
        "tags/index.html",
        "tags/harassment/index.html",
        "tags/intimate-image-abuse/index.html",
        "tags/harassment/feed.xml",
        "jurisdictions/index.html",
        "jurisdictions/united-kingdom/index.html",
        "organisations/index.html",
        "organisations/ofcom/index.html",
        "sources/index.html",
        "sources/example-news/index.html",
        "sources/other-daily/index.html",
        "archive/index.html",
        "about/index.html",
        "status/index.html",
        "status.html",
        "feed.json",
        "feed.xml",
        "digest.md",
        "editions/2026-W48/edition.md",
        "editions/2026-W46/edition.md",
        "sitemap.xml",
        "robots.txt",
        "assets/favicon.svg",
        "assets/style.css",
    ]
    assert [path for path in expected if path not in files] == []


def test_files_come_sorted_by_path() -> None:
    paths = [output.path for output in render_all(_site_data())]
    assert paths == sorted(paths)
    assert len(paths) == len(set(paths))


def test_rendering_twice_gives_identical_bytes() -> None:
    assert render_all(_site_data()) == render_all(_site_data())


def test_home_page_shows_latest_edition_with_overview(files: dict[str, bytes]) -> None:
    home = _text(files, "index.html")
    assert "Edition 2: 23 to 29 November 2026" in home
    assert "2 stories from 1 outlet, covering 2 jurisdictions" in home
    assert "Platform changes reporting tools" not in home.split("Earlier editions")[0]
    assert 'href="archive/index.html"' in home


def test_edition_page_has_sections_and_sanitised_editor_note(files: dict[str, bytes]) -> None:
    page = _text(files, "editions/2026-W48/index.html")
    assert "<strong>busy</strong>" in page
    assert "bad()" not in page
    assert page.index("Laws and regulation") < page.index("Courts and policing")
    assert 'href="../../stories/s1/index.html"' in page


def test_story_page_links_each_sentence_to_its_source(files: dict[str, bytes]) -> None:
    page = _text(files, "stories/s3/index.html")
    markers = re.findall(r'<sup class="cite"><a href="([^"]+)"', page)
    assert markers == ["https://news.example.com/s3?id=7"] * 2
    assert "lead report" in page
    assert "copy.example.org" in page and "fbclid" not in page
    assert "Edition 1: 9 to 15 November 2026" in page
    related = page.split('id="related"')[1]
    assert "stories/s1/index.html" in related and "stories/s2/index.html" not in related


def test_content_note_shown_only_where_set(files: dict[str, bytes]) -> None:
    assert "Content note:" in _text(files, "stories/s2/index.html")
    assert "Content note:" not in _text(files, "stories/s3/index.html")
    assert "Content note:" in _text(files, "tags/intimate-image-abuse/index.html")


def test_listing_pages_are_newest_first(files: dict[str, bytes]) -> None:
    page = _text(files, "sources/example-news/index.html")
    positions = [page.index(title) for title in ("Bill passes", "Court hears", "Platform changes")]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, (0, 0)), (49, (0, 49)), (99, (0, 99)), (100, (1, 50)), (149, (1, 99)), (150, (2, 50))],
)
def test_a_listing_keeps_full_older_pages_and_shows_the_rest_first(
    count: int, expected: tuple[int, int]
) -> None:
    assert listing_page_counts(count, per_page=50) == expected


def _many(count: int) -> SiteData:
    """A site whose one outlet has ``count`` stories, one an hour, all on the same topic."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    stories = [
        replace(
            _story(f"m{n:03d}", f"Story number {n}", 1),
            published=start + timedelta(hours=n),
            first_seen=start + timedelta(hours=n),
        )
        for n in range(count)
    ]
    return replace(_site_data(), stories=tuple(stories), editions=())


def test_a_long_listing_is_paged_from_its_earliest_story_and_an_older_page_stays_put() -> None:
    pages = {o.path: o.content for o in render_all(_many(121)) if o.path.startswith("sources/example-news/")}
    assert sorted(pages) == ["sources/example-news/index.html", "sources/example-news/page/1/index.html"]
    first, older = (pages[p].decode() for p in sorted(pages))
    shown = [re.findall(r"Story number (\d+)", page) for page in (first, older)]
    assert shown[0] == [str(n) for n in range(120, 49, -1)]  # the newest 71, newest first
    assert shown[1] == [str(n) for n in range(49, -1, -1)]  # the earliest 50
    assert 'href="../../sources/example-news/page/1/index.html">Older stories' in first
    assert 'href="../../../../sources/example-news/index.html">Newer stories' in older
    assert "Older stories</a>" not in older
    assert "121 stories" in first and "page 1" in older

    later = {o.path: o.content for o in render_all(_many(149))}
    assert later["sources/example-news/page/1/index.html"] == pages["sources/example-news/page/1/index.html"]
    third = {o.path: o.content for o in render_all(_many(150))}
    assert "sources/example-news/page/2/index.html" in third
    newer = 'href="../../../../sources/example-news/page/2/index.html">Newer stories'
    assert newer in third["sources/example-news/page/1/index.html"].decode()


def test_the_status_page_reports_the_groupings_of_the_last_month_only() -> None:
    data = _site_data()
    old = replace(data.stories[2], id="s-old", title="Grouped long ago", first_seen=NOW - timedelta(days=31))
    page = {o.path: o.content for o in render_all(replace(data, stories=(*data.stories, old)))}
    status = page["status/index.html"].decode()
    assert "Platform changes reporting tools" in status and "Grouped long ago" not in status
    assert "left out in the last 30 days" in status


def test_status_page_lists_failing_feed_exclusion_and_grouping(files: dict[str, bytes]) -> None:
    for path in ("status/index.html", "status.html"):
        page = _text(files, path)
        assert page.index("Broken feed") < page.index("Working feed")
        assert "http_status: 503" in page and "5 days" in page
        assert "Football transfer news" in page and "off_topic" in page and "no harm term" in page
        assert "same event: shared names" in page


def test_about_page_uses_operator_heading(files: dict[str, bytes]) -> None:
    page = _text(files, "about/index.html")
    assert "<h1>About us</h1>" in page and "<h2>How</h2>" in page


# --- safety --------------------------------------------------------------------------------------


def test_hostile_title_and_quote_never_appear_unescaped(files: dict[str, bytes]) -> None:
    leaking = [path for path, content in files.items() if HOSTILE.encode() in content]
    assert leaking == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _text(files, "stories/s1/index.html")


def test_markdown_edition_escapes_hostile_text() -> None:
    text = render_all(_site_data())
    markdown = next(output for output in text if output.path == "digest.md").content.decode()
    html = MarkdownIt("commonmark").render(markdown)
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<a href="https://news.example.com/s1?id=7">' in html


def test_an_editor_note_cannot_reopen_raw_html_behind_its_own_backslashes() -> None:
    md = MarkdownIt("commonmark")
    for note in ("<b>x</b>", "\\<script>1</script>", "\\\\<script>2</script>", "\\\\\\<i>3</i>", "a\\<b>"):
        html = md.render(markdown.without_raw_html(note))
        assert re.search(r"<(?!/?p>)", html) is None, (note, html)  # only the paragraph itself
    assert markdown.without_raw_html("\\<b>") == "\\<b>"  # already escaped: kept as written
    assert markdown.without_raw_html("see <https://ofcom.org.uk/x>") == "see <https://ofcom.org.uk/x>"


def test_no_images_scripts_or_third_party_assets_in_pages(files: dict[str, bytes]) -> None:
    for path in _html_pages(files):
        page = _text(files, path)
        assert "<img" not in page and "<iframe" not in page, path
        # JavaScript only for search, and only the site's own copy of Pagefind's UI
        scripts = re.findall(r"<script\b[^>]*>", page)
        assert scripts == (
            [] if path != "search/index.html" else ['<script src="../pagefind/pagefind-ui.js">', "<script>"]
        )
        for tag in re.findall(r"<(?:link|a)\b[^>]*>", page):
            if 'rel="stylesheet"' in tag:
                assert "http" not in tag, (path, tag)


def test_outbound_links_have_noopener_and_no_tracking(files: dict[str, bytes]) -> None:
    for path in _html_pages(files):
        for tag in re.findall(r"<a\b[^>]*>", _text(files, path)):
            if 'href="http' in tag:
                assert 'rel="noopener noreferrer"' in tag, (path, tag)
                assert "utm_" not in tag and "fbclid" not in tag, (path, tag)


# --- feeds ----------------------------------------------------------------------------------------


def test_json_feed_contract(files: dict[str, bytes]) -> None:
    feed = json.loads(files["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert [item["id"] for item in feed["items"]] == [f"{BASE}stories/{sid}/" for sid in ("s1", "s2", "s3")]
    for item in feed["items"]:
        assert {"id", "url", "title", "summary", "content_html", "tags", "date_published", "_digest"} <= set(
            item
        )
        assert isinstance(item["tags"], list) and all(isinstance(tag, str) for tag in item["tags"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", item["date_published"])
        extension = item["_digest"]
        assert {"sources", "quotes", "jurisdictions", "relevance"} <= set(extension)
        assert all(set(source) >= {"url", "title", "source"} for source in extension["sources"])
        assert all(set(quote) >= {"speaker", "text", "role"} for quote in extension["quotes"])
        assert isinstance(extension["relevance"], float)
        assert "<script" not in item["content_html"] and "<img" not in item["content_html"]
    first = feed["items"][0]
    assert first["title"] == f"Bill passes {HOSTILE} second reading"  # the value survives, escaped on disk
    assert first["tags"] == ["harassment", "regulation", "United Kingdom", "Ofcom", "Dana Reyes"]


def test_atom_feed_is_valid_shape_with_absolute_links(files: dict[str, bytes]) -> None:
    root = ET.fromstring(files["feed.xml"])
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == f"{BASE}feed.xml"  # type: ignore[union-attr]
    entries = root.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(entries) == 3 and len(set(ids)) == 3
    for entry in entries:
        assert entry.findtext(f"{ATOM}updated")
        assert entry.find(f"{ATOM}title") is not None
        link = entry.find(f"{ATOM}link").get("href")  # type: ignore[union-attr]
        assert link.startswith(BASE)  # type: ignore[union-attr]
    assert entries[0].findtext(f"{ATOM}title") == f"Bill passes {HOSTILE} second reading"


def test_tag_feed_holds_only_its_tag(files: dict[str, bytes]) -> None:
    root = ET.fromstring(files["tags/intimate-image-abuse/feed.xml"])
    titles = [entry.findtext(f"{ATOM}title") for entry in root.findall(f"{ATOM}entry")]
    assert titles == ["Court hears intimate-image abuse case"]
    assert root.findtext(f"{ATOM}id") == f"{BASE}tags/intimate-image-abuse/"


def test_sitemap_and_robots(files: dict[str, bytes]) -> None:
    urls = [
        loc.text
        for loc in ET.fromstring(files["sitemap.xml"]).iter(
            "{http://www.sitemaps.org/schemas/sitemap/0.9}loc"
        )
    ]
    assert f"{BASE}stories/s1/" in urls and BASE in urls
    assert all(url and url.startswith(BASE) and "index.html" not in url for url in urls)
    assert f"Sitemap: {BASE}sitemap.xml" in _text(files, "robots.txt")


def test_empty_site_still_renders() -> None:
    data = _site_data(stories=(), editions=(), feeds=(), excluded=(), about_markdown="")
    files = {output.path: output.content for output in render_all(data)}
    assert "No edition has been published yet" in _text(files, "index.html")
    assert json.loads(files["feed.json"])["items"] == []
    assert ET.fromstring(files["feed.xml"]).findtext(f"{ATOM}updated") == "2026-11-25T09:30:00Z"


def test_operator_templates_override_bundled(tmp_path: Path) -> None:
    (tmp_path / "about.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Ours</h1>{% endblock %}'
    )
    files = {
        o.path: o.content
        for o in render_all(_site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path))))
    }
    assert "<h1>Ours</h1>" in _text(files, "about/index.html")
    assert "<h1>Archive</h1>" in _text(files, "archive/index.html")


def test_a_story_card_override_is_used_on_every_listing_and_matches_the_include(tmp_path: Path) -> None:
    (tmp_path / "_story_card.html").write_text(
        '<p class="ours" data-root="{{ root }}">{{ story.title }} h{{ level }}</p>\n'
    )
    data = _site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path)))
    files = {o.path: o.content for o in render_all(data)}
    listings = [
        p
        for p in files
        if p.startswith(("tags/", "sources/")) and p.endswith("/index.html") and p.count("/") == 2
    ]
    assert listings
    for path in listings:
        cards = re.findall(r'<p class="ours" data-root="([^"]*)">(.*?) h(\d)</p>', _text(files, path))
        assert cards and {(root, level) for root, _, level in cards} == {("../../", "2")}
    # The edition page still includes the partial itself: the same card, at its own heading level.
    story = data.stories[0]
    assert f'data-root="">{html.escape(story.title, quote=False)} h3' in _text(files, "index.html")


# --- structure: links, headings, landmarks, canonical ------------------------------------------------


class _PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.headings: list[int] = []
        self.tags: set[str] = set()
        self.meta: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.tags.add(tag)
        if "id" in values:
            self.ids.add(values["id"])
        if tag in ("a", "link") and "href" in values:
            self.links.append(values["href"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "meta" and "property" in values:
            self.meta[values["property"]] = values.get("content", "")
        if tag == "link" and values.get("rel") == "canonical":
            self.meta["canonical"] = values["href"]
        if tag == "html":
            self.meta["lang"] = values.get("lang", "")


def _scan(files: dict[str, bytes], path: str) -> _PageScan:
    scan = _PageScan()
    scan.feed(_text(files, path))
    return scan


def test_relative_links_resolve_to_files(files: dict[str, bytes]) -> None:
    broken = []
    for path in _html_pages(files):
        scan = _scan(files, path)
        for href in scan.links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//") or "pagefind/" in href:
                continue  # the search bundle is rendered by render/search.py; the browser tests load it
            target = str(PurePosixPath(path).parent / parts.path) if parts.path else path
            resolved = PurePosixPath(*_normalise(target))
            if str(resolved) not in files or (
                parts.fragment and not parts.path and parts.fragment not in scan.ids
            ):
                broken.append((path, href))
    assert broken == []


def _normalise(target: str) -> list[str]:
    parts: list[str] = []
    for part in target.split("/"):
        if part == "..":
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return parts


def test_pages_have_one_h1_ordered_headings_and_landmarks(files: dict[str, bytes]) -> None:
    for path in _html_pages(files):
        scan = _scan(files, path)
        assert scan.headings.count(1) == 1 and scan.headings[0] == 1, path
        skips = [(a, b) for a, b in zip(scan.headings, scan.headings[1:], strict=False) if b > a + 1]
        assert skips == [], path
        assert {"header", "nav", "main", "footer"} <= scan.tags, path
        assert "main" in scan.ids and scan.meta["lang"] == "en", path


def test_canonical_and_open_graph_are_absolute(files: dict[str, bytes]) -> None:
    for path in _html_pages(files):
        scan = _scan(files, path)
        assert scan.meta["canonical"] == scan.meta["og:url"], path
        assert scan.meta["canonical"].startswith(BASE), path
        assert scan.meta["og:title"], path
    assert _scan(files, "stories/s2/index.html").meta["canonical"] == f"{BASE}stories/s2/"
    assert _scan(files, "status.html").meta["canonical"] == f"{BASE}status/"


# --- helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [("intimate-image abuse", "intimate-image-abuse"), ("X (Twitter)", "x-twitter"),
     ("Coimisiún na Meán", "coimisiun-na-mean"), ("United Kingdom", "united-kingdom")],
)  # fmt: skip
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugs_of_non_latin_names_and_collisions_are_distinct() -> None:
    slugs = assign_slugs(["Meta", "meta", "경찰청", "Ofcom"])
    assert len(set(slugs.values())) == 4
    assert slugs["Ofcom"] == "ofcom"
    assert all(re.fullmatch(r"[a-z0-9-]+", slug) for slug in slugs.values())


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://a.example/x?utm_source=rss&id=3", "https://a.example/x?id=3"),
     ("https://a.example/x?fbclid=abc", "https://a.example/x"),
     ("https://a.example/x?q=a+b", "https://a.example/x?q=a+b"),
     ("javascript:alert(1)", "#")],
)  # fmt: skip
def test_outbound_drops_tracking(url: str, expected: str) -> None:
    assert outbound(url) == expected


def test_absolute_url_uses_directory_form() -> None:
    assert absolute_url("https://h.example/sub", "stories/a/index.html") == "https://h.example/sub/stories/a/"
    assert absolute_url("https://h.example/", "index.html") == "https://h.example/"
    assert absolute_url("https://h.example/", "feed.xml") == "https://h.example/feed.xml"


def test_output_files_are_bytes_with_relative_paths(files: dict[str, bytes]) -> None:
    outputs = render_all(_site_data())
    assert all(isinstance(o, OutputFile) and isinstance(o.content, bytes) for o in outputs)
    assert all(not o.path.startswith("/") and ".." not in o.path for o in outputs)


# --- templates and stylesheet ----------------------------------------------------------------------

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_template_is_documented_in_the_readme() -> None:
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    templates = sorted(path.name for path in TEMPLATES.glob("*.html"))
    assert templates and [name for name in templates if f"`{name}`" not in readme] == []


def test_stylesheet_is_self_contained_and_covers_schemes_and_print(files: dict[str, bytes]) -> None:
    css = _text(files, "assets/style.css")
    assert "@import" not in css and "url(" not in css and "://" not in css
    for needed in ("prefers-color-scheme: dark", "@media print", "overflow-wrap: anywhere", ":focus-visible"):
        assert needed in css, needed


def test_the_home_page_says_this_week_only_while_the_week_runs(files: dict[str, bytes]) -> None:
    assert '<h2 id="latest">This week: <a' in _text(files, "index.html")
    later = {o.path: o.content for o in render_all(_site_data(now=datetime(2026, 12, 9, tzinfo=UTC)))}
    assert '<h2 id="latest">Latest edition: <a' in later["index.html"].decode("utf-8")


# --- moved stories ---------------------------------------------------------------------------------


def test_a_moved_story_leaves_a_page_linking_to_the_story_that_took_it_in() -> None:
    moved = render_moved_pages(_site_data(), {"s-old": "s1", "s-lost": "s-not-in-this-build"})
    assert [output.path for output in moved] == ["stories/s-old/index.html"]
    pages = {output.path: output.content for output in moved}
    page = _text(pages, "stories/s-old/index.html")
    scan = _scan(pages, "stories/s-old/index.html")
    assert "This story is now part of" in page
    assert "../../stories/s1/index.html" in scan.links
    assert f"Bill passes {html.escape(HOSTILE)} second reading" in page
    assert scan.meta["canonical"] == scan.meta["og:url"] == f"{BASE}stories/s1/"
    assert scan.headings == [1] and {"header", "nav", "main", "footer"} <= scan.tags
    assert html_findings(page) == []  # no meta refresh, no script: the reader follows the link


def test_no_moved_story_no_page() -> None:
    assert render_moved_pages(_site_data(), {}) == []


def test_related_stories_most_shared_first_then_newest_then_by_id() -> None:
    def story(story_id: str, day: int, harms: tuple[str, ...], organisations: tuple[str, ...] = ()) -> Story:
        when = datetime(2026, 11, day, 9, tzinfo=UTC)
        tags = Tags(harms=harms, organisations=organisations)
        return Story(story_id, story_id, f"{story_id}-a", (), (), (), tags, 1.0, when, when)

    subject = story("s0", 20, ("doxxing", "sextortion"), ("Ofcom",))
    others = [
        story("one-shared-new", 24, ("doxxing",)),
        story("two-shared-old", 10, ("doxxing",), ("Ofcom",)),
        story("one-shared-b", 22, ("sextortion",)),
        story("one-shared-a", 22, ("sextortion",)),
        story("unrelated", 25, ("threats",)),
        story("three-shared", 1, ("doxxing", "sextortion"), ("Ofcom",)),
    ]
    index = build_index([subject, *others], [])
    assert [s.id for s in related_stories(subject, index, limit=4)] == [
        "three-shared",
        "two-shared-old",
        "one-shared-new",
        "one-shared-a",
    ]


def test_related_stories_are_those_of_the_month_either_side() -> None:
    def story(story_id: str, when: datetime) -> Story:
        tags = Tags(harms=("doxxing",), organisations=("Ofcom",))
        return Story(story_id, story_id, f"{story_id}-a", (), (), (), tags, 1.0, when, when)

    day = datetime(2026, 6, 15, 9, tzinfo=UTC)
    subject = story("subject", day)
    others = [
        story("month-before", day - timedelta(days=30)),
        story("too-early", day - timedelta(days=30, seconds=1)),
        story("month-after", day + timedelta(days=30)),
        story("too-late", day + timedelta(days=31)),
    ]
    index = build_index([subject, *others], [])
    assert [s.id for s in related_stories(subject, index)] == ["month-after", "month-before"]
    assert [s.id for s in related_stories(others[3], index)] == ["month-after"]


@pytest.mark.parametrize("limit", [1, 0])
def test_the_home_page_shows_the_leading_stories_and_links_the_rest(limit: int) -> None:
    data = _site_data(site=SiteConfig(base_url=BASE, home_max_stories=limit))
    home = {o.path: o for o in render_all(data)}["index.html"].content.decode()
    # 2026-W48 ranks s1 then s2, in two sections; the edition page keeps both whatever the limit.
    assert "second reading" in home
    assert ("Court hears intimate-image abuse case" in home) == (limit == 0)
    assert ("Courts and policing" in home) == (limit == 0)  # a section left empty is not shown
    more = re.search(r'<a href="([^"]+)">1 more story in Edition 2: 23 to 29 November 2026</a>', home)
    assert (more is not None) == (limit == 1)
    if more:
        assert more.group(1) == "editions/2026-W48/index.html"
    assert "2 stories from" in home  # the overview counts the whole edition


def test_every_page_links_the_site_icon(files: dict[str, bytes]) -> None:
    # Without one, a browser asks for /favicon.ico on a reader's first visit and logs the 404.
    icons = {
        path: re.findall(r'<link rel="icon" href="([^"]+)"', _text(files, path))
        for path in _html_pages(files)
    }
    assert {path for path, hrefs in icons.items() if len(hrefs) != 1} == set()
    assert files["assets/favicon.svg"].startswith(b"<svg")


def test_a_story_is_searched_in_its_month_until_its_year_has_been_over_for_a_month() -> None:
    from digest.render.search import period_of

    late = datetime(2026, 12, 30, 20, tzinfo=UTC)
    assert period_of(late, datetime(2026, 12, 31, tzinfo=UTC)) == "2026-12"
    assert period_of(late, datetime(2027, 1, 31, 23, tzinfo=UTC)) == "2026-12"  # it may still change
    assert period_of(late, datetime(2027, 2, 1, 1, tzinfo=UTC)) == "2026"
    assert period_of(datetime(2027, 1, 2, tzinfo=UTC), datetime(2027, 2, 1, 1, tzinfo=UTC)) == "2027-01"


def test_the_newest_period_is_the_bundle_the_search_page_loads_and_merges_the_rest_into() -> None:
    from digest.render import search

    stories = [
        _story("a", "November story", 24),
        replace(_story("b", "October story", 1), published=datetime(2026, 10, 1, tzinfo=UTC)),
        replace(_story("c", "Old story", 1), published=datetime(2024, 5, 1, tzinfo=UTC)),
        replace(_story("d", "Another old story", 1), published=datetime(2024, 6, 1, tzinfo=UTC)),
    ]
    periods = search.periods(stories, NOW)
    assert [(p.label, p.folder, p.pages) for p in periods] == [
        ("2026-11", "pagefind", ("stories/a/index.html",)),
        ("2026-10", "pagefind/2026-10", ("stories/b/index.html",)),
        ("2024", "pagefind/2024", ("stories/c/index.html", "stories/d/index.html")),
    ]
    page = render_all(_site_data(stories=tuple(stories)))
    search_html = next(o.content.decode() for o in page if o.path == "search/index.html")
    assert 'data-merged-bundles="../pagefind/2026-10/ ../pagefind/2024/"' in search_html


def test_a_search_page_override_that_merges_no_older_period_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "search.html").write_text(
        '{% extends "base.html" %}{% block content %}<div id="search"></div>{% endblock %}'
    )
    october = replace(_story("s-oct", "October story", 1), published=datetime(2026, 10, 1, tzinfo=UTC))
    data = _site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path)))
    render_all(data)  # one period: nothing to merge
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
    render_all(replace(data, stories=(*data.stories, october)))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "search.html: the search page does not merge pagefind/2026-10 (merged_bundles), so search finds "
        "only the newest period's stories"
    ]
    caplog.clear()
    render_all(replace(_site_data(), stories=(*data.stories, october)))  # the bundled template merges it
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
