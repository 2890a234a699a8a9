"""Browser fixtures: the demo site (built once per session by ``tests/conftest.py::demo_build``) served
on 127.0.0.1, and one headless Chromium for the session. Without Chromium or axe-core the browser tests
are skipped, or fail when ``CI`` is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import LAUNCH_ARGS, chromium_path, missing_browser_reason, must_run, serve_folder
from tests.conftest import Built


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = missing_browser_reason()
    if reason is not None:
        if must_run():
            pytest.fail(f"browser tests cannot run on CI: {reason}")
        pytest.skip(reason)
    path = chromium_path()
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def demo_site(demo_build: Built) -> Path:
    return demo_build.out


@pytest.fixture(scope="session")
def site_url(chromium: str, demo_site: Path) -> Iterator[str]:
    with serve_folder(demo_site) as url:
        yield url


# Every page kind of the site -> the glob its pages match; the test visits the first in sorted order.
PAGE_KINDS = {
    "home": "index.html",
    "edition": "editions/*/index.html",
    "story": "stories/*/index.html",
    "tag": "tags/*/index.html",
    "topics": "tags/index.html",
    "jurisdiction": "jurisdictions/*/index.html",
    "organisation": "organisations/*/index.html",
    "source": "sources/*/index.html",
    "archive": "archive/index.html",
    "about": "about/index.html",
    "status": "status/index.html",
    "search": "search/index.html",
}


def page_of_kind(site: Path, kind: str) -> str:
    found = sorted(path.relative_to(site).as_posix() for path in site.glob(PAGE_KINDS[kind]))
    assert found, f"no {kind} page ({PAGE_KINDS[kind]}) in {site}"
    return found[0]
