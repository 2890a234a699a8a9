"""The hand-built fixture site of ``tests/unit/test_render.py`` (hostile titles, a content note, a
failing feed) rendered to disk and opened from file:// (no server, no network).

It needs no demo build, so it runs in seconds: no page scrolls sideways at 320 px in either colour
scheme, even with long hostile titles and URLs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from digest.render import render_all
from tests.unit.test_render import _site_data


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixture-site")
    for output in render_all(_site_data()):
        target = root / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.content)
    return root


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_page_scrolls_sideways_at_320px(browser: Any, fixture_site: Path, scheme: str) -> None:
    pages = sorted(fixture_site.rglob("*.html"))
    overflowing = []
    context = browser.new_context(viewport={"width": 320, "height": 800}, color_scheme=scheme)
    tab = context.new_page()
    for page in pages:
        tab.goto(page.as_uri())
        width = tab.evaluate("document.scrollingElement.scrollWidth")
        if width > 320:
            overflowing.append((str(page.relative_to(fixture_site)), width))
    context.close()
    assert len(pages) > 20
    assert overflowing == []
