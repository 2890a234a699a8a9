"""Search across periods in a real headless Chromium: the search page loads the newest period's
bundle and merges the older periods' (``pagefind/<period>/``), so a story of any period is found,
and no request for a merged bundle fails."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from digest.render.search import pagefind_binary
from tests.browser.harness import serve_folder
from tests.browser.test_site import filters_loaded, search, visit
from tests.integration.test_search_index import periodic_site

pytestmark = pytest.mark.skipif(pagefind_binary() is None, reason="no pagefind binary")


@pytest.fixture(scope="module")
def periodic_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("periodic") / "site"
    assert [period.label for period in periodic_site(folder)] == ["2026-11", "2026-10", "2025"]
    with serve_folder(folder) as url:
        yield url


@pytest.mark.parametrize(
    ("word", "story"),
    [("lighthouse", "stories/s-oct/"), ("glacier", "stories/s-2025/"), ("tools", "stories/s3/")],
)
def test_a_story_of_any_period_is_found(browser: Any, periodic_url: str, word: str, story: str) -> None:
    with visit(browser, periodic_url + "search/index.html") as (page, errors):
        results = search(page, word)
        assert [link for link in results if story in link] == [periodic_url + story + "index.html"], results
        assert errors == []


def test_the_filters_count_the_stories_of_every_period(browser: Any, periodic_url: str) -> None:
    with visit(browser, periodic_url + "search/index.html?q=regulator") as (page, errors):
        filters_loaded(page)
        values = page.eval_on_selector_all(
            ".pagefind-ui__filter-value", "els => els.map(e => e.textContent.replace(/\\s+/g, ' ').trim())"
        )
        message = page.inner_text(".pagefind-ui__message")
        assert errors == []
    # Four of the five stories are on harassment: two of November, October's and last year's.
    assert "harassment (4)" in values and "intimate-image abuse (1)" in values, values
    assert message.startswith("5 results"), message
