"""The rendered fixture site in a real headless browser, from file:// (no network at all).

Checks what only a browser can measure: no page scrolls sideways at 320 px in either colour
scheme. Skipped when no Chromium is installed on the machine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from digest.render import render_all
from tests.unit.test_render import _site_data

CHROMIUM = next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on this machine")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    for output in render_all(_site_data()):
        target = root / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.content)
    return root


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_scrolls_sideways_at_320px(site: Path, scheme: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    pages = sorted(site.rglob("*.html"))
    overflowing = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 320, "height": 800}, color_scheme=scheme)
        for page in pages:
            tab.goto(page.as_uri())
            extra = tab.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if extra > 0:
                overflowing.append((str(page.relative_to(site)), extra))
        browser.close()
    assert len(pages) > 20
    assert overflowing == []
