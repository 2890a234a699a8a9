"""The fetch stage against real servers on 127.0.0.1: well-behaved, hostile and broken ones.

Every server here listens on loopback only. Well-behaved answers come from a threaded
``http.server`` scripted per test; misbehaving ones (silence, drip-feeding, resets, short bodies,
header floods) are raw sockets. The SSRF tests use a listener that never accepts: after the test,
its backlog must be empty, which proves the refusal happened before any connection was made.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest

from digest.config import FetchConfig
from digest.fetch import fetch_many
from digest.records import FetchRequest, FetchResult

LOOPBACK_OK = FetchConfig(timeout_s=3.0, allow_private_hosts=True, concurrency=4)

# --- a scripted HTTP/1.1 server ------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Route = Callable[[BaseHTTPRequestHandler, int], Answer]  # (request, nth hit of this path) -> answer


def not_found(_handler: BaseHTTPRequestHandler, _hit: int) -> Answer:
    return Answer(404, b"not here")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early (capped bodies, refusals) are what these tests provoke


class Scripted:
    """An HTTP server whose answers come from ``routes``; it records what it was sent."""

    def __init__(self, routes: dict[str, Route]) -> None:
        self.routes = routes
        self.hits: dict[str, int] = {}
        self.seen_headers: list[dict[str, str]] = []
        self.connections = 0
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        self.server = QuietServer(("127.0.0.1", 0), self._handler_class())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive

            def setup(self) -> None:
                super().setup()
                with owner.lock:
                    owner.connections += 1

            def do_GET(self) -> None:
                owner.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            hit = self.hits[handler.path] = self.hits.get(handler.path, 0) + 1
            self.seen_headers.append({k.lower(): v for k, v in handler.headers.items()})
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            route = self.routes.get(handler.path, not_found)
            answer = route(handler, hit)
            time.sleep(answer.delay_s)
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(answer.body)))
            handler.end_headers()
            handler.wfile.write(answer.body)
        finally:
            with self.lock:
                self.active -= 1


Serve = Callable[[dict[str, Route]], Scripted]


@pytest.fixture
def serve() -> Iterator[Serve]:
    started: list[Scripted] = []

    def start(routes: dict[str, Route]) -> Scripted:
        server = Scripted(routes)
        server.thread.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.server.shutdown()
        server.server.server_close()


def fixed(answer: Answer) -> Route:
    return lambda _handler, _hit: answer


def redirect(status: int, location: str) -> Route:
    return fixed(Answer(status, headers={"Location": location}))


# --- raw-socket servers for misbehaviour -------------------------------------------------------


class RawServer:
    """Accepts connections and hands each to ``behave(conn, stop)`` in its own thread."""

    def __init__(self, behave: Callable[[socket.socket, threading.Event], None]) -> None:
        self.behave = behave
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn:
            try:
                read_request_head(conn)
                self.behave(conn, self.stop)
            except OSError:
                pass  # the client hung up on us: that is what these tests expect


def read_request_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[socket.socket, threading.Event], None]], RawServer]]:
    started: list[RawServer] = []

    def start(behave: Callable[[socket.socket, threading.Event], None]) -> RawServer:
        server = RawServer(behave)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop.set()
        server.thread.join(timeout=2)
        server.listener.close()


class SilentListener:
    """A loopback port that listens but never accepts: any connection attempt stays in its backlog."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0), backlog=8)
        self.port = self.sock.getsockname()[1]

    def saw_connection(self) -> bool:
        self.sock.setblocking(False)
        try:
            conn, _ = self.sock.accept()
        except BlockingIOError:
            return False
        conn.close()
        return True


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    listener = SilentListener()
    yield listener
    listener.sock.close()


def fetch(url: str, options: FetchConfig = LOOPBACK_OK, **request: str) -> FetchResult:
    return fetch_many([FetchRequest(url, **request)], options)[0]


def reason(result: FetchResult) -> str | None:
    return result.problem.reason if result.problem else None


# --- ordinary answers ----------------------------------------------------------------------------


def test_ok_body_and_headers_sent(serve: Serve) -> None:
    stamp = "Mon, 02 Nov 2026 08:00:00 GMT"
    headers = {"Content-Type": "text/html; charset=utf-8", "ETag": '"v1"', "Last-Modified": stamp}
    server = serve({"/page": fixed(Answer(200, b"<p>hello</p>", headers))})
    result = fetch(server.url("/page"), replace(LOOPBACK_OK, user_agent="digest-test/1"))
    assert result.ok and result.body == b"<p>hello</p>"
    assert (result.status, result.content_type, result.etag) == (200, "text/html; charset=utf-8", '"v1"')
    assert result.last_modified == stamp
    sent = server.seen_headers[0]
    assert sent["user-agent"] == "digest-test/1"
    assert sent["accept-encoding"] == "gzip, deflate, br"


def test_conditional_get_with_etag_gives_304_without_body(
    serve: Serve,
) -> None:
    def page(handler: BaseHTTPRequestHandler, _hit: int) -> Answer:
        if handler.headers.get("If-None-Match") == '"v7"':
            return Answer(304)
        return Answer(200, b"fresh", {"ETag": '"v7"'})

    server = serve({"/feed": page})
    first = fetch(server.url("/feed"))
    second = fetch(server.url("/feed"), etag=first.etag or "")
    assert first.status == 200 and first.etag == '"v7"'
    assert second.not_modified and second.problem is None and second.body == b""
    assert second.etag == '"v7"'


def test_conditional_get_with_if_modified_since(serve: Serve) -> None:
    stamp = "Sun, 22 Nov 2026 10:00:00 GMT"

    def page(handler: BaseHTTPRequestHandler, _hit: int) -> Answer:
        if handler.headers.get("If-Modified-Since") == stamp:
            return Answer(304)
        return Answer(200, b"fresh", {"Last-Modified": stamp})

    server = serve({"/feed": page})
    result = fetch(server.url("/feed"), last_modified=stamp)
    assert result.status == 304 and result.problem is None
    assert result.last_modified == stamp


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("br", brotli.compress),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_compressed_bodies_are_decoded(serve: Serve, encoding: str, encode: Callable[[bytes], bytes]) -> None:
    text = b"<p>Ofcom opened an investigation.</p>\n" * 500
    server = serve({"/z": fixed(Answer(200, encode(text), {"Content-Encoding": encoding}))})
    result = fetch(server.url("/z"))
    assert result.ok and result.body == text


def test_results_keep_request_order_and_each_url_is_fetched_once(
    serve: Serve,
) -> None:
    server = serve({f"/{n}": fixed(Answer(200, str(n).encode())) for n in range(5)})
    urls = [server.url(f"/{n}") for n in (3, 1, 3, 0, 4, 2)]
    delivered: list[FetchResult] = []
    results = fetch_many([FetchRequest(u) for u in urls], LOOPBACK_OK, on_result=delivered.append)
    assert [r.body for r in results] == [b"3", b"1", b"3", b"0", b"4", b"2"]
    assert [r.url for r in results] == urls
    assert server.hits["/3"] == 1
    assert len(delivered) == len(urls)


def test_connections_are_reused(serve: Serve) -> None:
    server = serve({f"/{n}": fixed(Answer(200, b"x")) for n in range(8)})
    options = replace(LOOPBACK_OK, concurrency=1)
    fetch_many([FetchRequest(server.url(f"/{n}")) for n in range(8)], options)
    assert server.connections == 1


def test_no_cookie_is_carried_from_one_request_to_the_next(serve: Serve) -> None:
    """A metered paywall counts the pages a reader saw by cookie: kept between requests, which page
    it walls would depend on the order the fetch threads ran in."""
    metered = Answer(200, b"article", {"Set-Cookie": "seen=1; Path=/"})
    server = serve({f"/{n}": fixed(metered) for n in range(4)})
    options = replace(LOOPBACK_OK, concurrency=1)  # one connection: every request after the first
    results = fetch_many([FetchRequest(server.url(f"/{n}")) for n in range(4)], options)
    assert all(r.ok for r in results)
    assert [sent.get("cookie") for sent in server.seen_headers] == [None] * 4


def test_concurrency_bound_is_respected(serve: Serve) -> None:
    server = serve({f"/{n}": fixed(Answer(200, b"x", delay_s=0.15)) for n in range(12)})
    options = replace(LOOPBACK_OK, concurrency=3)
    results = fetch_many([FetchRequest(server.url(f"/{n}")) for n in range(12)], options)
    assert all(r.ok for r in results)
    assert server.max_active == 3


# --- redirects -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 308])
def test_permanent_redirect_is_reported(serve: Serve, status: int) -> None:
    server = serve({"/old": redirect(status, "/new"), "/new": fixed(Answer(200, b"moved"))})
    result = fetch(server.url("/old"))
    assert result.ok and result.body == b"moved"
    assert result.permanent_redirect == server.url("/new") == result.final_url


def test_temporary_redirect_is_followed_but_not_remembered(
    serve: Serve,
) -> None:
    server = serve({"/old": redirect(302, "/new"), "/new": fixed(Answer(200, b"here"))})
    result = fetch(server.url("/old"))
    assert result.ok and result.final_url == server.url("/new")
    assert result.permanent_redirect is None


def test_permanent_then_temporary_remembers_only_the_permanent_hop(
    serve: Serve,
) -> None:
    server = serve({"/a": redirect(301, "/b"), "/b": redirect(302, "/c"), "/c": fixed(Answer(200, b"c"))})
    result = fetch(server.url("/a"))
    assert result.ok and result.permanent_redirect == server.url("/b")


def test_gone_is_its_own_problem(serve: Serve) -> None:
    server = serve({"/feed": fixed(Answer(410, b"retired")), "/missing": fixed(Answer(404))})
    gone, missing = fetch_many(
        [FetchRequest(server.url("/feed")), FetchRequest(server.url("/missing"))], LOOPBACK_OK
    )
    assert (gone.status, reason(gone)) == (410, "gone")
    assert (missing.status, reason(missing)) == (404, "http_status")
    assert missing.problem is not None and missing.problem.detail == "HTTP 404"


def chain_routes(length: int) -> dict[str, Route]:
    routes = {f"/hop{n}": redirect(302, f"/hop{n + 1}") for n in range(length)}
    routes[f"/hop{length}"] = fixed(Answer(200, b"end"))
    return routes


def test_five_redirects_are_followed_six_are_too_many(serve: Serve) -> None:
    server = serve(chain_routes(6))
    five = fetch(server.url("/hop1"))  # hop1 -> ... -> hop6: five redirects
    six = fetch(server.url("/hop0"))
    assert five.ok and five.body == b"end"
    assert reason(six) == "too_many_redirects"
    assert server.hits.get("/hop6") == 1  # only the first fetch got there


def test_redirect_loop_is_detected(serve: Serve) -> None:
    server = serve({"/a": redirect(302, "/b"), "/b": redirect(307, "/a")})
    result = fetch(server.url("/a"))
    assert reason(result) == "redirect_loop"
    assert server.hits == {"/a": 1, "/b": 1}


def test_redirect_to_another_scheme_is_refused(serve: Serve) -> None:
    server = serve({"/a": redirect(302, "file:///etc/passwd")})
    assert reason(fetch(server.url("/a"))) == "refused_scheme"
    assert reason(fetch("ftp://127.0.0.1/x")) == "refused_scheme"


# --- server-side request forgery ------------------------------------------------------------------


def test_loopback_is_refused_before_connecting(silent: SilentListener) -> None:
    result = fetch(f"http://127.0.0.1:{silent.port}/", FetchConfig(allow_private_hosts=False))
    assert reason(result) == "refused_address"
    assert result.problem is not None and "loopback" in result.problem.detail
    assert not silent.saw_connection()


def test_allow_list_admits_one_port_and_refuses_a_redirect_to_another(
    serve: Serve, silent: SilentListener
) -> None:
    target = f"http://127.0.0.1:{silent.port}/internal"
    server = serve({"/go": redirect(302, target), "/ok": fixed(Answer(200, b"allowed"))})
    options = FetchConfig(allow_private_hosts=(f"127.0.0.1:{server.port}",), timeout_s=3.0)
    allowed, redirected = fetch_many(
        [FetchRequest(server.url("/ok")), FetchRequest(server.url("/go"))], options
    )
    assert allowed.ok and allowed.body == b"allowed"
    assert reason(redirected) == "refused_address"
    assert server.hits["/go"] == 1
    assert not silent.saw_connection()


def test_the_silent_listener_does_notice_a_connection(silent: SilentListener) -> None:
    """Guards the two tests above: their 'no connection' check can fail."""
    socket.create_connection(("127.0.0.1", silent.port)).close()
    assert silent.saw_connection()


# --- limits ---------------------------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_cap_with_little_memory(serve: Serve) -> None:
    bomb = gzip.compress(bytes(10_000_000), compresslevel=9)  # about 10 KB on the wire
    server = serve({"/bomb": fixed(Answer(200, bomb, {"Content-Encoding": "gzip"}))})
    options = replace(LOOPBACK_OK, max_bytes=1_000_000)
    tracemalloc.start()
    try:
        result = fetch(server.url("/bomb"), options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reason(result) == "too_large" and result.body == b""
    assert peak < 4_000_000  # decompressing all 10 MB at once would need more than that


def test_declared_length_over_the_cap_is_refused_unread(
    serve: Serve,
) -> None:
    server = serve({"/big": fixed(Answer(200, b"x" * 50_000))})
    result = fetch(server.url("/big"), replace(LOOPBACK_OK, max_bytes=10_000))
    assert reason(result) == "too_large"


@pytest.mark.timeout(15)
def test_drip_feeding_server_is_cut_off_by_the_total_timeout(raw: Callable[..., RawServer]) -> None:
    def drip(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        while not stop.wait(0.1):
            conn.sendall(b"x")  # every read succeeds within the per-read timeout

    server = raw(drip)
    result = fetch(server.url(), replace(LOOPBACK_OK, timeout_s=1.5))
    assert reason(result) == "timeout"
    assert result.problem is not None and "body" in result.problem.detail


@pytest.mark.timeout(15)
def test_drip_fed_headers_are_cut_off_too(raw: Callable[..., RawServer]) -> None:
    def drip_headers(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        while not stop.wait(0.1):
            conn.sendall(b"X: y\r\n")

    result = fetch(raw(drip_headers).url(), replace(LOOPBACK_OK, timeout_s=1.5))
    assert reason(result) == "timeout"


@pytest.mark.timeout(15)
def test_server_that_never_answers_is_cut_off(raw: Callable[..., RawServer]) -> None:
    server = raw(lambda _conn, stop: stop.wait(30))
    result = fetch(server.url(), replace(LOOPBACK_OK, timeout_s=1.0))
    assert reason(result) == "timeout"
    assert result.problem is not None and "headers" in result.problem.detail


def test_reset_mid_body_is_a_connection_problem(raw: Callable[..., RawServer]) -> None:
    def reset(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 1000)
        time.sleep(0.2)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with RST

    result = fetch(raw(reset).url())
    assert reason(result) == "connection"


def test_body_shorter_than_content_length_is_incomplete(raw: Callable[..., RawServer]) -> None:
    def short(conn: socket.socket, _stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)

    result = fetch(raw(short).url())
    assert reason(result) == "incomplete_body" and result.body == b""


def test_header_flood_is_cut_off(raw: Callable[..., RawServer]) -> None:
    def flood(conn: socket.socket, stop: threading.Event) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for n in range(200_000):
            if stop.is_set():
                return
            conn.sendall(f"X-Flood-{n}: {'a' * 60}\r\n".encode())

    result = fetch(raw(flood).url())
    assert reason(result) == "bad_headers"


# --- Retry-After and the build's budget ------------------------------------------------------------


def test_429_with_short_retry_after_is_retried_once(serve: Serve) -> None:
    def busy_once(_handler: BaseHTTPRequestHandler, hit: int) -> Answer:
        return Answer(429, headers={"Retry-After": "1"}) if hit == 1 else Answer(200, b"now")

    server = serve({"/feed": busy_once})
    result = fetch(server.url("/feed"))
    assert result.ok and result.body == b"now"
    assert server.hits["/feed"] == 2


@pytest.mark.timeout(10)
@pytest.mark.parametrize("retry_after", ["86400", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_503_with_a_long_retry_after_is_not_slept(serve: Serve, retry_after: str) -> None:
    server = serve({"/feed": fixed(Answer(503, headers={"Retry-After": retry_after}))})
    result = fetch(server.url("/feed"))
    assert result.status == 503 and reason(result) == "http_status"
    assert result.problem is not None and "exceeds budget" in result.problem.detail
    assert server.hits["/feed"] == 1


def test_retry_that_does_not_fit_the_build_deadline_is_not_attempted(
    serve: Serve,
) -> None:
    server = serve({"/feed": fixed(Answer(429, headers={"Retry-After": "5"}))})
    results = fetch_many([FetchRequest(server.url("/feed"))], LOOPBACK_OK, deadline=time.monotonic() + 2.0)
    assert results[0].problem is not None
    assert results[0].problem.detail == "HTTP 429 (Retry-After 5 s exceeds budget)"


def test_past_deadline_fetches_nothing(silent: SilentListener) -> None:
    results = fetch_many(
        [FetchRequest(f"http://127.0.0.1:{silent.port}/")], LOOPBACK_OK, deadline=time.monotonic()
    )
    assert reason(results[0]) == "budget"
    assert not silent.saw_connection()


@pytest.mark.timeout(15)
def test_deadline_cuts_a_slow_request_short_as_budget(raw: Callable[..., RawServer]) -> None:
    server = raw(lambda _conn, stop: stop.wait(30))
    options = replace(LOOPBACK_OK, timeout_s=20.0)
    results = fetch_many([FetchRequest(server.url())], options, deadline=time.monotonic() + 1.0)
    assert reason(results[0]) == "budget"
