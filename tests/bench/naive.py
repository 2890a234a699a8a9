"""The sequential baseline: one request at a time, parse, extract, render; no store, no pool.

What a first version of the tool would do: for each feed, GET it (a new connection every time, no
conditional headers), parse it with feedparser, then for each item GET the page, extract its text
with trafilatura (the same options as ``digest.extract``: precision favoured, comments excluded,
the page's metadata only when the feed lacks the item's title, author or date) and render one
HTML page with Jinja2. It exists to be timed against the real build:

    python -m tests.bench.naive --feeds FEEDS.txt --out DIR
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import feedparser
import jinja2
import trafilatura

PAGE = jinja2.Template(
    "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>{{ title }}</title>"
    "<h1>{{ title }}</h1><p><a href='{{ url }}'>{{ source }}</a></p>"
    "{% for paragraph in paragraphs %}<p>{{ paragraph }}</p>{% endfor %}",
    autoescape=True,
)
TIMEOUT_S = 20


def get(url: str) -> bytes:
    return fetch(url)[0]


def fetch(url: str) -> tuple[bytes, str]:
    """The body and its Content-Type."""
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        body: bytes = response.read()
        return body, response.headers.get("Content-Type", "")


def extract(url: str, html: bytes, metadata: bool) -> list[str]:
    document = trafilatura.bare_extraction(
        html,
        url=url,
        favor_precision=True,
        include_comments=False,
        include_tables=False,
        with_metadata=metadata,
    )
    text = (document.text if document is not None else "") or ""
    return [line for line in text.splitlines() if line.strip()]


def build(feed_urls: Sequence[str], out: Path) -> tuple[int, int]:
    """Every feed and every page of it, one after the other; returns (requests, pages written)."""
    out.mkdir(parents=True, exist_ok=True)
    requests = pages = 0
    for feed_url in feed_urls:
        body, content_type = fetch(feed_url)  # the type and address, so relative links resolve
        parsed = feedparser.parse(
            body, response_headers={"content-type": content_type, "content-location": feed_url}
        )
        requests += 1
        for entry in parsed.entries:
            link = entry.get("link", "")
            dated = entry.get("published_parsed") or entry.get("updated_parsed")
            listed = entry.get("title") and entry.get("author") and dated
            paragraphs = extract(link, get(link), metadata=not listed)
            requests += 1
            html = PAGE.render(
                title=entry.get("title", ""),
                url=link,
                source=parsed.feed.get("title", ""),
                paragraphs=paragraphs,
            )
            name = hashlib.sha256(link.encode()).hexdigest()[:16] + ".html"
            (out / name).write_text(html, encoding="utf-8")
            pages += 1
    return requests, pages


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.naive", description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=Path, required=True, help="a file with one feed URL a line")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args(argv)
    urls = [line.strip() for line in args.feeds.read_text(encoding="utf-8").splitlines() if line.strip()]
    requests, pages = build(urls, args.out)
    print(f"naive: {requests} requests, {pages} pages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
