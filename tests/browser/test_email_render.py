"""``email.html`` in headless Chromium (from file://: the email loads nothing from the network).

Checks, at 375 px (a phone) and 600 px (a mail client's reading pane), in light and dark colour
schemes: nothing scrolls sideways, even with an unbroken 150-character word in a title; the
content column is never wider than 600 px; the preheader is not shown; body text keeps a contrast
of at least 4.5:1 against its background in both schemes.

Also ``make screenshots``: ``python -m tests.browser.test_email_render SITE`` writes
``SITE/_screenshots/email-375.png`` and ``email-600.png`` from the latest edition's email.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from digest.config import EmailConfig
from digest.render.email import render_email_files
from tests.unit.test_render import _site_data

WIDTHS = (375, 600)
LONG_WORD = "Unbroken" * 19  # 152 characters without a space
CONFIG = EmailConfig(
    from_address="news@digest.example.org",
    unsubscribe_url="https://digest.example.org/unsubscribe/{token}",
    list_id="weekly.digest.example.org",
)
CONTRAST_JS = """() => {
    const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const lum = c => { const [r, g, b] = rgb(c).map(v => { v /= 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const cell = document.querySelector("td.cell") || document.querySelector("td[style*='padding: 20px']");
    const p = cell.querySelector("p:not(.site-title)");
    const [a, b] = [lum(getComputedStyle(p).color), lum(getComputedStyle(cell).backgroundColor)];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(scope="module")
def email_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = _site_data()
    long_story = replace(data.stories[0], title=f"{data.stories[0].title} {LONG_WORD}")
    data = replace(data, stories=(long_story, *data.stories[1:]))
    root = tmp_path_factory.mktemp("email")
    for output in render_email_files(data, CONFIG):
        target = root / output.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(output.content)
    return root / "editions" / "2026-W48" / "email.html"


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_email_fits_without_sideways_scroll(browser: Any, email_file: Path, width: int, scheme: str) -> None:
    tab = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    try:
        tab.goto(email_file.as_uri())
        assert LONG_WORD in tab.content()
        extra = tab.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        column = tab.evaluate("document.querySelector('table.container').getBoundingClientRect().width")
        preheader = tab.evaluate("document.querySelector('.preheader').getBoundingClientRect().height")
        contrast = tab.evaluate(CONTRAST_JS)
    finally:
        tab.close()
    assert extra == 0
    assert 0 < column <= min(width, 600)
    assert preheader == 0
    assert contrast >= 4.5


def test_dark_mode_changes_the_colours(browser: Any, email_file: Path) -> None:
    backgrounds = []
    for scheme in ("light", "dark"):
        tab = browser.new_page(viewport={"width": 600, "height": 900}, color_scheme=scheme)
        tab.goto(email_file.as_uri())
        backgrounds.append(
            tab.evaluate("getComputedStyle(document.querySelector('td.cell')).backgroundColor")
        )
        tab.close()
    assert backgrounds[0] == "rgb(255, 255, 255)" and backgrounds[1] != backgrounds[0]
