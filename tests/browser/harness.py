"""What the browser tests and ``make screenshots`` share: Debian's Chromium driven by Playwright, a
static server for a built site on 127.0.0.1, and axe-core injected into a page.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``make browser-deps``
installs it) through ``executable_path``. axe-core comes from ``node_modules`` (pinned in package.json).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_path() -> str | None:
    """Debian's chromium, else any Chromium on PATH."""
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    return next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def missing_browser_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if chromium_path() is None:
        return "no Chromium (run make browser-deps)"
    if not AXE_PATH.is_file():
        return f"no axe-core at {AXE_PATH} (run make browser-deps)"
    return None


def must_run() -> bool:
    """On CI a missing browser is a failure, not a skip."""
    return bool(os.environ.get("CI"))


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args: Any, delays: Mapping[str, float], **kwargs: Any) -> None:
        self.delays = delays  # request path -> seconds to wait before answering
        super().__init__(*args, **kwargs)  # which answers the request

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_head(self) -> Any:
        time.sleep(self.delays.get(self.path.split("?")[0], 0.0))
        return super().send_head()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 turns a burst of connections (Pagefind fetching a search's index
    # chunks, fragments and filters at once, one connection each over HTTP/1.0) into SYN retries
    # that stall the page for seconds, as the bench's farm server found.
    request_queue_size = 128


@contextmanager
def serve_folder(folder: Path, delays: Mapping[str, float] | None = None) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields the base URL ending in ``/``.
    ``delays``: seconds to wait before answering a path (``/pagefind/filter/x.pf_filter``), as a slow
    network would."""
    handler = functools.partial(_QuietHandler, directory=str(folder), delays=dict(delays or {}))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE_PATH))
    violations: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const results = await axe.run(document, { resultTypes: ["violations"] });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
