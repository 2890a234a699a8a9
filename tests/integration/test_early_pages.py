"""Pages are fetched while the feeds still download: a changed feed's new pages are asked for as
soon as it is parsed, each page once, and taken by the pages stage in its own order."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.bench.farm import Farm, FarmServer, FarmSpec
from tests.conftest import build_from_farm

FEEDS, ITEMS = 30, 3  # enough feeds to start the worker processes the pages go to


def _build(workdir: Path, server: FarmServer) -> subprocess.CompletedProcess[str]:
    # Two requests at a time: the feeds take 15 rounds of the server's latency to download.
    return build_from_farm(workdir, server.feed_urls(), "concurrency = 2\n\n[build]\nworkers = 2")


def test_pages_are_fetched_while_the_feeds_download_and_each_once(tmp_path: Path) -> None:
    farm = Farm(FarmSpec(feeds=FEEDS, items=ITEMS))
    with FarmServer(farm, latency_s=0.1) as server:
        built = _build(tmp_path, server)
        counts = server.reset_counts()
    assert built.returncode == 0, built.stderr
    last_feed = max(n for n, kind in enumerate(counts.arrivals) if kind == "feed")
    assert "page" in counts.arrivals[:last_feed], "no page was asked for before the last feed"
    assert counts.page_paths == dict.fromkeys((item.path for item in farm.all_items()), 1)
    assert f"{FEEDS * ITEMS} new items, {FEEDS * ITEMS} pages" in built.stderr
