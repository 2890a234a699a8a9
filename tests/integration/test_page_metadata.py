"""The page's own title, author and date are looked for only when its feed left one of them out:
an article takes them from its feed first (``store._article``), and looking costs a fifth of the
extraction."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import replace
from pathlib import Path

from tests.bench.farm import Farm, FarmServer, FarmSpec
from tests.conftest import build_from_farm


def test_the_page_author_is_looked_for_only_when_the_feed_has_none(tmp_path: Path) -> None:
    farm = Farm(FarmSpec(feeds=1, items=2))
    unsigned, signed = farm.listed(0)
    with FarmServer(farm) as server:
        feed_path = farm.feed_path(0)
        feed = server.resources[feed_path]
        body = re.sub(rb"<author>[^<]*</author>", b"", feed.body, count=1)  # the feed's first entry
        assert body != feed.body
        server.resources[feed_path] = replace(feed, body=body)
        built = build_from_farm(tmp_path, server.feed_urls())
    assert built.returncode == 0, built.stderr
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        rows = db.execute(
            "SELECT p.url, e.author, p.author FROM pages p JOIN entries e ON e.url = p.url"
        ).fetchall()
    authors = {url.rsplit("/", 1)[-1]: (listed, page) for url, listed, page in rows}
    # The page behind the unsigned entry was asked for its byline; the other was not.
    assert authors[unsigned.path.rsplit("/", 1)[-1]] == ("", unsigned.author)
    assert authors[signed.path.rsplit("/", 1)[-1]] == (signed.author, "")
