"""The built demo site in a real headless Chromium, served on 127.0.0.1.

Checks what only a browser can: the home page renders; a reader can click from the home page to an
edition, a story and a topic; search finds a story by a word from its summary and shows every filter
group, a slow filter file or not; and on every page kind,
in the light and the dark scheme, axe-core finds no serious or critical violation, nothing is logged
to the console, no request fails, and nothing scrolls sideways at 320 px.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PAGE_KINDS, page_of_kind
from tests.browser.harness import axe_violations, serve_folder

SCHEMES = ("light", "dark")
SUMMARY = re.compile(r'<p class="summary">(.*?)</p>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"[A-Za-z]{7,}")


@contextmanager
def visit(
    browser: Any, url: str, width: int = 1280, scheme: str = "light"
) -> Iterator[tuple[Any, list[str]]]:
    """A fresh page at ``url``; yields it with the list of console errors, page errors and failed requests."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
    page.on(
        "response",
        lambda response: (
            errors.append(f"HTTP {response.status}: {response.url}") if response.status >= 400 else None
        ),
    )
    try:
        page.goto(url, wait_until="load")
        if url.split("?")[0].endswith("search/index.html"):
            page.wait_for_selector(".pagefind-ui__search-input")
        yield page, errors
    finally:
        context.close()


def search(page: Any, term: str) -> list[str]:
    """Type ``term`` into the search box; the result links once they have loaded."""
    page.fill(".pagefind-ui__search-input", term)
    page.wait_for_selector(".pagefind-ui__result-link")
    links: list[str] = page.eval_on_selector_all(
        ".pagefind-ui__result-link", "links => links.map(a => a.href)"
    )
    return links


def filters_loaded(page: Any) -> None:
    """Wait for the results of the search the page's ``?q=`` started, then for its filter groups:
    the UI adds each group as its values load (the site has two, tag and jurisdiction)."""
    page.wait_for_selector(".pagefind-ui__result-link")
    page.wait_for_function("document.querySelectorAll('.pagefind-ui__filter-name').length >= 2")


def distinctive_word(site: Path) -> tuple[str, str]:
    """(story path, word) for a long word in one story's summary and in no other story page."""
    pages = {
        path.relative_to(site).as_posix(): path.read_text("utf-8")
        for path in sorted(site.glob("stories/*/index.html"))
    }
    for path, html in pages.items():
        summary = " ".join(TAG.sub(" ", match) for match in SUMMARY.findall(html))
        words = sorted(set(WORD.findall(summary)), key=lambda word: (-len(word), word))
        for word in words:
            if sum(word.lower() in other.lower() for other in pages.values()) == 1:
                return path, word
    raise AssertionError("no story summary has a word of its own")


def test_home_renders_with_its_h1(browser: Any, site_url: str) -> None:
    with visit(browser, site_url + "index.html") as (page, _):
        assert page.inner_text("h1") == "Online Abuse Policy Digest (sample)"
        assert page.locator("main .story-card").count() > 0
        assert page.get_attribute("html", "lang") == "en"


def test_a_reader_clicks_through_to_an_edition_a_story_and_a_topic(browser: Any, site_url: str) -> None:
    with visit(browser, site_url + "index.html") as (page, _):
        page.click(".overview h2 a")
        assert re.search(r"/editions/[^/]+/index\.html$", page.url)
        assert page.inner_text("h1").startswith("Edition ")

        card_link = page.locator(".story-card h3 a").first
        story_title = card_link.inner_text()
        card_link.click()
        assert re.search(r"/stories/[^/]+/index\.html$", page.url)
        assert page.inner_text("h1") == story_title
        story_url = page.url

        topic_link = page.locator("#tags ~ .tags a").first
        topic = topic_link.inner_text()
        topic_link.click()
        assert re.search(r"/tags/[^/]+/index\.html$", page.url)
        assert page.inner_text("h1") == f"Topic: {topic}"
        listed = page.eval_on_selector_all(".story-card h2 a", "links => links.map(a => a.href)")
        assert story_url in listed


def test_search_finds_a_story_by_a_word_from_its_summary(
    browser: Any, site_url: str, demo_site: Path
) -> None:
    story_path, word = distinctive_word(demo_site)
    with visit(browser, site_url + "search/index.html") as (page, errors):
        results = search(page, word.lower())
        assert site_url + story_path in results, (word, results)
        assert errors == []


def filter_groups(browser: Any, search_url: str) -> tuple[list[str], list[str]]:
    """The filter groups the search page at ``search_url`` (with ``?q=``) shows, once loaded, and
    what went wrong on the page meanwhile."""
    with visit(browser, search_url) as (page, errors):
        filters_loaded(page)
        names: list[str] = page.eval_on_selector_all(
            ".pagefind-ui__filter-name", "names => names.map(n => n.textContent.trim())"
        )
        return names, errors


def test_search_offers_topic_and_jurisdiction_filters(browser: Any, site_url: str) -> None:
    filters, _ = filter_groups(browser, site_url + "search/index.html?q=online")
    assert {"tag", "jurisdiction"} <= {name.lower() for name in filters}, filters


def test_every_filter_group_shows_when_a_filter_file_is_slow(browser: Any, demo_site: Path) -> None:
    """Pagefind counts a search's filter values in the filter files it has loaded so far, and its UI
    keeps the groups of the search: the page loads every filter file before its first search, so a
    slow file costs time, not a group (it showed one group of two when the search came first)."""
    filter_files = sorted((demo_site / "pagefind" / "filter").glob("*.pf_filter"))
    assert len(filter_files) >= 2, filter_files
    slow = {"/" + path.relative_to(demo_site).as_posix(): 2.0 for path in filter_files[1:]}
    with serve_folder(demo_site, delays=slow) as url:
        filters, errors = filter_groups(browser, url + "search/index.html?q=online")
    assert errors == []
    assert {"tag", "jurisdiction"} <= {name.lower() for name in filters}, filters


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_axe_finds_no_serious_violation(
    browser: Any, site_url: str, demo_site: Path, kind: str, scheme: str
) -> None:
    with visit(browser, site_url + page_of_kind(demo_site, kind), scheme=scheme) as (page, _):
        if kind == "search":
            search(page, "online")  # check the results and filters too, not only the empty box
        violations = axe_violations(page)
    assert violations == [], "\n".join(
        f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in violations
    )


@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_no_console_errors_or_failed_requests(
    browser: Any, site_url: str, demo_site: Path, kind: str
) -> None:
    with visit(browser, site_url + page_of_kind(demo_site, kind)) as (page, errors):
        if kind == "search":
            search(page, "online")
        page.wait_for_load_state("networkidle")
        seen = list(errors)
    assert seen == []


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_nothing_scrolls_sideways_at_320px(
    browser: Any, site_url: str, demo_site: Path, kind: str, scheme: str
) -> None:
    with visit(browser, site_url + page_of_kind(demo_site, kind), width=320, scheme=scheme) as (page, _):
        if kind == "search":
            search(page, "online")
        width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 320
