"""An HTTP server on 127.0.0.1 that serves the bundled sample corpus: the demo's and the tests' web.

Everything is rendered once, at construction, from the clock ``now`` given then; requests only
look things up. It behaves like a well-kept news site so the fetch stage meets the real protocol:
HTTP/1.1 keep-alive with Content-Length, ETag and Last-Modified on every resource, 304 for a
matching If-None-Match or If-Modified-Since, gzip when the client accepts it, 404 for unknown
paths, and one feed (``/feeds/broken.xml``) that always answers 500.

Command line (``make demo`` and manual testing)::

    python -m digest.sample.server --now 2026-11-22T12:00:00Z --port 0
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

from digest.sample.corpus import Corpus, Outlet, load_corpus
from digest.sample.feeds import CONTENT_TYPES, render_feed
from digest.sample.pages import (
    media_path,
    render_home,
    render_page,
    render_placeholder_image,
    render_stylesheet,
    stylesheet_path,
)

log = logging.getLogger(__name__)

BROKEN_FEED_PATH = "/feeds/broken.xml"
BROKEN_FEED_NAME = "Broken Feed"
HTML = "text/html; charset=utf-8"
KEEP_ALIVE_IDLE_S = 10  # an idle keep-alive connection is closed after this long
SHUTDOWN_POLL_S = 0.05  # how soon close() takes effect (the default half second slows every test)


@dataclass(frozen=True, slots=True)
class Resource:
    """One servable response body with its validators, rendered ahead of time."""

    body: bytes
    content_type: str
    last_modified: datetime  # whole seconds, UTC
    etag: str  # quoted, strong, of the identity body
    gzipped: bytes

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'  # another representation, so another validator (RFC 9110 8.8.3)


def make_resource(body: bytes, content_type: str, last_modified: datetime) -> Resource:
    digest = hashlib.sha256(body).hexdigest()[:20]
    return Resource(
        body=body,
        content_type=content_type,
        last_modified=last_modified.astimezone(UTC).replace(microsecond=0),
        etag=f'"{digest}"',
        gzipped=gzip.compress(body, mtime=0),  # mtime=0: same body, same bytes
    )


def render_site(corpus: Corpus, now: datetime, base_url: str) -> dict[str, Resource]:
    """Every path the sample server answers with 200, mapped to its resource."""
    resources: dict[str, Resource] = {"/": _index(corpus, now, base_url), "/robots.txt": _robots(now)}
    for outlet in corpus.outlets:
        resources.update(_outlet_site(outlet, corpus, now, base_url))
    return resources


def sample_feeds(corpus: Corpus, base_url: str) -> list[tuple[str, str]]:
    """(name, absolute URL) of every sample feed, the broken one last."""
    root = base_url.rstrip("/")
    named = [(outlet.name, root + outlet.feed_path) for outlet in corpus.outlets]
    return [*named, (BROKEN_FEED_NAME, root + BROKEN_FEED_PATH)]


def _outlet_site(outlet: Outlet, corpus: Corpus, now: datetime, base_url: str) -> dict[str, Resource]:
    articles = corpus.articles_of(outlet.id)
    newest = articles[0].published(now) if articles else now
    site = {
        outlet.feed_path: make_resource(
            render_feed(outlet, articles, now, base_url), CONTENT_TYPES[outlet.feed_format], newest
        ),
        outlet.homepage: make_resource(render_home(outlet, articles, now, base_url), HTML, newest),
        stylesheet_path(outlet): make_resource(render_stylesheet(outlet), "text/css; charset=utf-8", now),
        outlet.homepage + "assets/app.js": make_resource(
            b"/* sample site script */\n", "text/javascript", now
        ),
    }
    for article in articles:
        page = render_page(outlet, article, now, base_url, others=articles)
        site[outlet.path_of(article.id)] = make_resource(page, HTML, article.published(now))
        if article.caption:
            image = render_placeholder_image(outlet, article)
            site[media_path(outlet, article.id)] = make_resource(
                image, "image/svg+xml", article.published(now)
            )
    return site


def _index(corpus: Corpus, now: datetime, base_url: str) -> Resource:
    links = "\n".join(f'<li><a href="{url}">{name}</a></li>' for name, url in sample_feeds(corpus, base_url))
    page = f"<!DOCTYPE html>\n<title>Sample corpus</title>\n<h1>Sample feeds</h1>\n<ul>\n{links}\n</ul>\n"
    return make_resource(page.encode("utf-8"), HTML, now)


def _robots(now: datetime) -> Resource:
    return make_resource(b"User-agent: *\nAllow: /\n", "text/plain; charset=utf-8", now)


# --- the server -------------------------------------------------------------------------------


class SampleServer:
    """The sample corpus served on 127.0.0.1 in a background thread; use it as a context manager.

    ``requests`` logs every request as (method, path with query, status), in arrival order.
    """

    def __init__(self, now: datetime, corpus: Corpus | None = None, port: int = 0) -> None:
        self.now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
        self.corpus = corpus if corpus is not None else load_corpus()
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.sample = self
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self.resources = render_site(self.corpus, self.now, self.base_url)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SampleServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": SHUTDOWN_POLL_S},
            name="sample-server",
            daemon=True,
        )
        self._thread.start()
        log.info("sample corpus served at %s", self.base_url)

    def close(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def feeds(self) -> list[tuple[str, str]]:
        return sample_feeds(self.corpus, self.base_url)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def log_request_line(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # keep-alive connections must not hold up shutdown
    sample: SampleServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SamplePress/2.4"
    timeout = KEEP_ALIVE_IDLE_S
    # Headers and body go out in one segment: otherwise Nagle's algorithm and delayed ACKs stall
    # every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True
    wbufsize = -1  # buffered; BaseHTTPRequestHandler flushes after each request
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def _answer(self, with_body: bool) -> None:
        path = urlsplit(self.path).path
        resource = self.server.sample.resources.get(path)
        if path == BROKEN_FEED_PATH:
            self._send_error(500, "Internal Server Error", with_body)
        elif resource is None:
            self._send_error(404, "Not Found", with_body)
        else:
            self._send_resource(resource, with_body)

    def _send_resource(self, resource: Resource, with_body: bool) -> None:
        gzipped = _accepts_gzip(self.headers.get("Accept-Encoding", ""))
        if _not_modified(resource, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")):
            self._send(304, resource, b"", gzipped)
        else:
            body = resource.gzipped if gzipped else resource.body
            self._send(200, resource, body if with_body else b"", gzipped)

    def _send(self, status: int, resource: Resource, body: bytes, gzipped: bool) -> None:
        self._record(status)
        self.send_response(status)
        self.send_header("ETag", resource.gzip_etag if gzipped else resource.etag)
        self.send_header("Last-Modified", format_datetime(resource.last_modified, usegmt=True))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Vary", "Accept-Encoding")
        if status != 304:
            self.send_header("Content-Type", resource.content_type)
            length = len(resource.gzipped if gzipped else resource.body)
            self.send_header("Content-Length", str(length))
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, status: int, title: str, with_body: bool) -> None:
        self._record(status)
        page = f"<!DOCTYPE html>\n<title>{status} {title}</title>\n<h1>{title}</h1>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", HTML)
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if with_body:
            self.wfile.write(page)

    def _record(self, status: int) -> None:
        self.server.sample.log_request_line(self.command, self.path, status)


def _not_modified(resource: Resource, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; If-Modified-Since only otherwise."""
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or resource.etag in tags or resource.gzip_etag in tags
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return resource.last_modified <= since


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip", "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


# --- the demo config --------------------------------------------------------------------------


def write_config(
    path: Path,
    base_url: str,
    store_path: Path | str,
    site_title: str = "Online Abuse Policy Digest (sample)",
    corpus: Corpus | None = None,
) -> None:
    """Write a digest.toml that builds from the sample server at ``base_url`` (loopback allowed)."""
    feeds = sample_feeds(corpus if corpus is not None else load_corpus(), base_url)
    lines = [
        "# Written by digest.sample.server.write_config: builds the digest from the bundled sample",
        "# corpus served on this machine, so loopback addresses are allowed.",
        "",
        "[site]",
        f"title = {_toml_string(site_title)}",
        "",
        "[fetch]",
        "allow_private_hosts = true",
        "timeout_s = 10.0",
        "",
        "[store]",
        f"path = {_toml_string(str(store_path))}",
    ]
    for name, url in feeds:
        lines += ["", "[[feeds]]", f"url = {_toml_string(url)}", f"name = {_toml_string(name)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _toml_string(text: str) -> str:
    # A JSON string with non-ASCII kept is a valid TOML basic string (same escapes).
    return json.dumps(text, ensure_ascii=False)


# --- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    from digest.cli import parse_now

    parser = argparse.ArgumentParser(
        prog="python -m digest.sample.server", description="Serve the bundled sample corpus on 127.0.0.1."
    )
    parser.add_argument(
        "--now", type=parse_now, help="the build clock, e.g. 2026-11-22T12:00:00Z (default: now)"
    )
    parser.add_argument("--port", type=int, default=0, help="port (default: 0, a free one)")
    args = parser.parse_args(argv)
    now = args.now or datetime.now(UTC).replace(microsecond=0)
    with SampleServer(now=now, port=args.port) as server:
        print(server.base_url, flush=True)
        for name, url in server.feeds():
            print(f"  {name}: {url}", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
