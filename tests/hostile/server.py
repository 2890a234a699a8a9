"""The hostile corpus served on 127.0.0.1: one path prefix per case, plus a listener that must stay unvisited.

Each case file (``cases/<id>.toml``, see ``cases/README.md``) describes a feed and, optionally, pages.
``{base}`` in a body becomes ``http://127.0.0.1:<port>/c/<id>`` and ``{forbidden}`` the URL of the
second listener, which a build must never reach (``allow_private_hosts`` lists only the corpus
server's ``host:port``); every request it receives is recorded in ``forbidden_hits``.

Behaviours a feed or page can have:

``serve``               the body, with the case's status and content type
``gzip_bomb``           1 GiB of zeros as ~1 MB of concatenated gzip members (Content-Encoding: gzip)
``drip``                headers at once, then one byte every half second for up to a minute
``hang``                accepts the request and never answers (for up to a minute)
``redirect_forbidden``  302 to the second listener
``redirect_loop``       302 to itself

Any path under ``/c/<id>/a/`` that the case does not define is a plain, on-topic article page, so
every item of a case can become a story and carry its payloads all the way to the output.
"""

from __future__ import annotations

import contextlib
import threading
import time
import tomllib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CASES = Path(__file__).parent / "cases"
BOMB_MEMBER_BYTES = 16 * 1024 * 1024
BOMB_MEMBERS = 64  # 64 x 16 MiB = 1 GiB once decompressed
SLOW_LIMIT_S = 60.0  # a drip or a hang ends by itself after this long
BEHAVIOURS = frozenset({"serve", "gzip_bomb", "drip", "hang", "redirect_forbidden", "redirect_loop"})

ARTICLE_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav><a href="/">Home</a></nav></header>
<main><article><h1>{title}</h1>
<p class="byline">By Hostile Corpus Desk, 20 November 2026</p>
{paragraphs}
</article></main><footer><p>Hostile corpus, served on 127.0.0.1 for tests.</p></footer></body></html>
"""
# Written for this corpus: four on-topic articles, picked by path so the items a/1 to a/4 of a case differ.
ARTICLE_TEXTS = (
    (
        "Regulator fines video platform over harassment of streamers",
        "The communications regulator Ofcom fined the video platform Streamly two million pounds on "
        "Tuesday for failing to act on reports of online harassment and cyberstalking aimed at women "
        "streamers, its first penalty under the illegal-harms duties of the Online Safety Act.",
        "Ofcom said the platform ignored thousands of user reports of abusive messages, threats and "
        "doxxing, and left accounts that shared intimate images without consent online for weeks.",
        "The company must now publish how it handles complaints and give victims a faster way to report "
        "abuse, the regulator said. Charities that support survivors of online abuse welcomed the decision.",
        "\u201cThis fine shows that platforms cannot ignore harassment on their services,\u201d said Maria "
        "Keane, director of online safety enforcement at Ofcom.",
    ),
    (
        "Prosecutors get new guidance on deepfake sexual images",
        "Prosecutors in England and Wales received new guidance on Monday on charging people who create "
        "or share sexually explicit deepfake images of real people without their consent.",
        "The Crown Prosecution Service said cases of image-based abuse reported by police had doubled in "
        "two years, and that many victims first learned of the fake images from strangers online.",
        "The guidance tells prosecutors to treat threats to share such images as a form of sextortion and "
        "to seek orders that force social media platforms to take the material down.",
        "\u201cVictims of deepfake abuse deserve the same protection as any victim of a sexual offence,\u201d "
        "said Daniel Osei, the service's lead on violence against women and girls.",
    ),
    (
        "Court orders messaging app to hand over stalker's account data",
        "A court in Dublin ordered a messaging app on Thursday to hand over account records of a man "
        "accused of cyberstalking his former partner through dozens of fake profiles.",
        "The woman told the court she had received hundreds of abusive messages and threats over eight "
        "months, and that reports to the platform went unanswered.",
        "The ruling under the Online Safety and Media Regulation Act is the first time an Irish court has "
        "compelled a platform to disclose data in an online harassment case.",
        "\u201cThe law now reaches the accounts abusers hide behind,\u201d said Aoife Brennan, a solicitor for "
        "the victim support charity Safe Online Ireland.",
    ),
    (
        "Safety commissioner orders removal of intimate images from forums",
        "Australia's eSafety Commissioner issued removal notices on Wednesday to four forums that hosted "
        "intimate images of women shared without their consent, some of them created with nudify apps.",
        "The commissioner said the forums had ignored requests from victims for months and that two of "
        "them also hosted threads used to organise harassment campaigns against the women pictured.",
        "Sites that fail to comply within a day face fines under the Online Safety Act, and search "
        "engines will be asked to stop listing them.",
        "\u201cNo one should have to beg a website to take down an image of their own body,\u201d said "
        "Priya Raman, a manager at the commissioner's office.",
    ),
)


@dataclass(frozen=True, slots=True)
class Response:
    """How one path of a case answers."""

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    behaviour: str = "serve"
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """One hostile case, read from its TOML file."""

    id: str
    path: Path
    raw: dict[str, Any]

    @property
    def marker(self) -> str:
        return str(self.raw.get("marker", f"PWN-{self.id}"))

    @property
    def expect(self) -> dict[str, Any]:
        return dict(self.raw.get("expect", {}))

    @property
    def fetch_overrides(self) -> dict[str, Any]:
        return dict(self.raw.get("fetch", {}))

    def responses(self, base: str, forbidden: str) -> dict[str, Response]:
        """Path below the case's prefix (``feed``, ``a/1``) -> response."""
        found = {"feed": _response(self.raw["feed"], base, forbidden)}
        for page in self.raw.get("pages", []):
            found[page["path"]] = _response(page, base, forbidden)
        return found


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        assert raw.get("id") == path.stem, f"{path.name}: id must be the file name"
        for key in ("checks", "must", "must_not", "feed", "expect"):
            assert key in raw, f"{path.name}: missing {key}"
        cases.append(Case(path.stem, path, raw))
    return cases


def _response(table: dict[str, Any], base: str, forbidden: str) -> Response:
    behaviour = table.get("behaviour", "serve")
    assert behaviour in BEHAVIOURS, behaviour
    text = str(table.get("body", ""))
    for repeat in table.get("repeat", []):
        text = text.replace("{" + repeat["name"] + "}", repeat["text"] * repeat["times"])
    text = text.replace("{base}", base).replace("{forbidden}", forbidden)
    body = _encode(text, table.get("encoding", "utf-8"), bool(table.get("bom", False)))
    headers = tuple((str(k), str(v)) for k, v in table.get("headers", {}).items())
    content_type = table.get("content_type", "text/html; charset=utf-8")
    return Response(body, content_type, int(table.get("status", 200)), behaviour, headers)


def _encode(text: str, encoding: str, bom: bool) -> bytes:
    if encoding == "hex":  # raw bytes written as hex, for bodies no text encoding produces
        return bytes.fromhex("".join(text.split()))
    body = text.encode(encoding)
    return ("\ufeff".encode(encoding) if bom else b"") + body


@cache
def gzip_bomb() -> bytes:
    member = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    one = member.compress(b"\0" * BOMB_MEMBER_BYTES) + member.flush()
    return one * BOMB_MEMBERS


def article_page(path: str) -> bytes:
    title, *paragraphs = ARTICLE_TEXTS[sum(path.encode()) % len(ARTICLE_TEXTS)]
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return ARTICLE_TEMPLATE.format(title=title, paragraphs=body).encode("utf-8")


# --- the servers -------------------------------------------------------------------------------


@dataclass
class HostileServer:
    """Both listeners, started by ``serve()``; ``requests`` logs (case id, path) of every request."""

    cases: list[Case]
    requests: list[tuple[str, str]] = field(default_factory=list)
    forbidden_hits: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    responses: dict[str, dict[str, Response]] = field(default_factory=dict)
    port: int = 0
    forbidden_port: int = 0

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def case_base(self, case_id: str) -> str:
        return f"http://127.0.0.1:{self.port}/c/{case_id}"

    def feed_url(self, case_id: str) -> str:
        return self.case_base(case_id) + "/feed"

    def response(self, path: str) -> tuple[str, Response | None]:
        parts = urlsplit(path).path.split("/", 3)  # "", "c", id, rest
        if len(parts) < 4 or parts[1] != "c" or parts[2] not in self.responses:
            return "", None
        case_id, rest = parts[2], parts[3]
        found = self.responses[case_id].get(rest)
        if found is None and rest.startswith("a/"):
            found = Response(article_page(path))
        return case_id, found


@contextmanager
def serve(cases: list[Case]) -> Iterator[HostileServer]:
    """Start the corpus server and the forbidden listener on 127.0.0.1 (ports chosen by the system)."""
    state = HostileServer(cases)
    corpus = _Server(("127.0.0.1", 0), _CorpusHandler, state)
    forbidden = _Server(("127.0.0.1", 0), _ForbiddenHandler, state)
    state.port, state.forbidden_port = corpus.server_address[1], forbidden.server_address[1]
    forbidden_base = f"http://127.0.0.1:{state.forbidden_port}"
    state.responses = {case.id: case.responses(state.case_base(case.id), forbidden_base) for case in cases}
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        for s in (corpus, forbidden)
    ]
    for thread in threads:
        thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        for server in (corpus, forbidden):
            server.shutdown()
            server.server_close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], state: HostileServer
    ) -> None:
        super().__init__(address, handler)
        self.state = state


class _CorpusHandler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # the tests read ``requests`` instead

    def do_GET(self) -> None:
        state = self.server.state
        case_id, response = state.response(self.path)
        state.requests.append((case_id, self.path))
        if response is None:
            self._send(404, b"not found\n", "text/plain")
            return
        # The client gives up on a drip or a hang, as it should.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer(response, case_id)

    def _answer(self, response: Response, case_id: str) -> None:
        state = self.server.state
        if response.behaviour == "serve":
            self._send(response.status, response.body, response.content_type, response.headers)
        elif response.behaviour == "gzip_bomb":
            headers = (("Content-Encoding", "gzip"), *response.headers)
            self._send(200, gzip_bomb(), response.content_type, headers)
        elif response.behaviour == "redirect_forbidden":
            target = f"http://127.0.0.1:{state.forbidden_port}/stolen"
            self._send(302, b"", "text/plain", (("Location", target),))
        elif response.behaviour == "redirect_loop":
            self._send(302, b"", "text/plain", (("Location", self.path),))
        elif response.behaviour == "drip":
            self._drip(response)
        else:
            state.stop.wait(SLOW_LIMIT_S)  # hang: say nothing at all

    def _drip(self, response: Response) -> None:
        self.send_response(200)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.flush()
        started = time.monotonic()
        for byte in response.body:
            if self.server.state.stop.wait(0.5) or time.monotonic() - started > SLOW_LIMIT_S:
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def _send(
        self, status: int, body: bytes, content_type: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class _ForbiddenHandler(BaseHTTPRequestHandler):
    """Stands for an internal service: any request reaching it is a failure of the address guard."""

    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.state.forbidden_hits.append(self.path)
        body = b"internal secret PWN-forbidden-listener\n"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
