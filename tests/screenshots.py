"""``make screenshots``: the home page and a story page at 390 px and 1280 px, and the newest email
edition at 375 px and 600 px when one exists, written to ``site/_screenshots/`` for a person to review.

Uses the site already in ``site/`` (or ``--site``); builds the demo there first when there is none
(or with ``--rebuild``). The site is served on 127.0.0.1 and shot in Debian's headless Chromium.
The files are review material, not a test: the next build removes them with the rest of the old tree.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.browser.harness import LAUNCH_ARGS, chromium_path, serve_folder

DEMO_NOW = "2026-11-22T12:00:00Z"
PAGE_WIDTHS = (390, 1280)
EMAIL_WIDTHS = (375, 600)
OUT_DIR = "_screenshots"
FIRST_STORY_LINK = re.compile(r'href="(stories/[^"]+/index\.html)"')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.screenshots", description=__doc__)
    parser.add_argument("--site", type=Path, default=Path("site"), help="built site (default: site)")
    parser.add_argument("--rebuild", action="store_true", help="build the demo into --site first")
    args = parser.parse_args(argv)
    chromium = chromium_path()
    if chromium is None:
        print("error: no Chromium (run make browser-deps)", file=sys.stderr)
        return 2
    if args.rebuild or not (args.site / "index.html").is_file():
        build_demo(args.site)
    for path in shoot_all(args.site, chromium):
        print(path)
    return 0


def build_demo(site: Path) -> None:
    command = [sys.executable, "-m", "digest", "demo", "--out", str(site), "--now", DEMO_NOW]
    subprocess.run(command, check=True)


def targets(site: Path) -> list[tuple[str, str, tuple[int, ...]]]:
    """(name, path, widths) of every page to shoot: home, the lead story of the newest edition, its email."""
    shots = [("home", "index.html", PAGE_WIDTHS)]
    lead_story = FIRST_STORY_LINK.search((site / "index.html").read_text("utf-8"))
    if lead_story:
        shots.append(("story", lead_story.group(1), PAGE_WIDTHS))
    emails = sorted(site.glob("editions/*/email.html"))
    if emails:
        shots.append(("email", emails[-1].relative_to(site).as_posix(), EMAIL_WIDTHS))
    return shots


def shoot_all(site: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out = site / OUT_DIR
    out.mkdir(exist_ok=True)
    written = []
    with serve_folder(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        for name, path, widths in targets(site):
            for width in widths:
                written.append(shoot(browser, base_url + path, out / f"{name}-{width}.png", width))
        browser.close()
    return written


def shoot(browser: Any, url: str, target: Path, width: int) -> Path:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    page.screenshot(path=str(target), full_page=True)
    context.close()
    return target


if __name__ == "__main__":
    sys.exit(main())
