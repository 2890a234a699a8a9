"""Full-text search with Pagefind: the rendered story pages in, a static search bundle out; no server.

Pagefind's indexer (the ``pagefind`` binary shipped by the PyPI package ``pagefind[bin]``) reads HTML
from a folder: a build has it read the story pages from the folder the new site is staged in
(``start_indexing``, started as soon as those pages are staged, while the rest of the site is
rendered), and writes the bundle to a temporary folder, from which it is read back as
``OutputFile``s under ``pagefind/`` to be published with the rest of the site.
``render_search_index`` does the same from pages in memory. Only ``data-pagefind-body`` (the story
itself) is indexed; the tag and jurisdiction links carry ``data-pagefind-filter`` so results can be
narrowed by them.

Pagefind 1.5.2 writes its filter values in a random order; ``pagefind_order.py`` sorts them and renames
the files that change, so the same pages give a byte-identical bundle and a rebuild with no change
writes no file.
When the binary is missing or fails, the site is published without a bundle and the build reports
one ``Problem``; the search page then tells the reader search is unavailable.
"""

from __future__ import annotations

import importlib.util
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from digest.records import OutputFile, Problem
from digest.render.pagefind_order import stable_bundle

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
INDEXED_GLOB = "stories/**/*.html"
TIMEOUT_S = 300.0
WHERE = "search index"


def pagefind_binary() -> Path | None:
    """The binary from the ``pagefind_bin`` package (``pagefind[bin]``), else one on ``PATH``."""
    spec = importlib.util.find_spec("pagefind_bin")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "pagefind"
        if bundled.is_file():
            return bundled
    found = shutil.which("pagefind")
    return Path(found) if found else None


def is_indexed(output: OutputFile) -> bool:
    """Whether Pagefind reads this file: the story pages (``INDEXED_GLOB``)."""
    return output.path.startswith("stories/") and output.path.endswith(".html")


def render_search_index(
    files: Sequence[OutputFile], language: str = "en", binary: Path | None = None
) -> tuple[list[OutputFile], list[Problem]]:
    """The Pagefind bundle for the story pages among ``files``, sorted by path; or a problem."""
    pages = [output for output in files if is_indexed(output)]
    with tempfile.TemporaryDirectory(prefix="digest-search-") as folder:
        _write(Path(folder), pages)
        return index_site(Path(folder), language, binary)


def index_site(
    site: Path, language: str = "en", binary: Path | None = None
) -> tuple[list[OutputFile], list[Problem]]:
    """The Pagefind bundle for the story pages under ``site``, sorted by path; or a problem. Nothing
    is written to ``site``: the bundle goes to a temporary folder of its own."""
    return start_indexing(site, language, binary)()


Indexing = Callable[[], tuple[list[OutputFile], list[Problem]]]


def start_indexing(site: Path, language: str = "en", binary: Path | None = None) -> Indexing:
    """``index_site``, with Pagefind started now; the function returned waits for it. The process is
    started here, in the calling thread: a thread of its own would wait for the interpreter's lock
    while this one renders, and start it late."""
    binary = binary or pagefind_binary()
    if binary is None:
        return _answer(Problem(WHERE, "search_unavailable", "no pagefind binary (install pagefind[bin])"))
    if not any(site.glob(INDEXED_GLOB)):
        return _answer(None)  # nothing to index yet: the search page says so
    folder = tempfile.TemporaryDirectory(prefix="digest-search-")
    output = Path(folder.name) / BUNDLE_DIR
    try:
        process = subprocess.Popen(
            _command(binary, site, output, _primary_language(language)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as exc:
        folder.cleanup()
        return _answer(Problem(WHERE, "search_failed", f"pagefind did not run: {exc}"))

    def finished() -> tuple[list[OutputFile], list[Problem]]:
        with folder:
            problem = _waited_for(process)
            if problem is not None:
                return [], [problem]
            bundle = stable_bundle(_read_bundle(output))
        return [OutputFile(path, bundle[path]) for path in sorted(bundle)], []

    return finished


def _answer(problem: Problem | None) -> Indexing:
    """No bundle, with the problem why (none when there is nothing to index)."""
    return lambda: ([], [problem] if problem else [])


def _write(site: Path, pages: Sequence[OutputFile]) -> None:
    for page in pages:
        target = site / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.content)


def _command(binary: Path, site: Path, output: Path, language: str) -> list[str]:
    return [
        str(binary),
        "--site", str(site),
        "--output-path", str(output.absolute()),
        "--glob", INDEXED_GLOB,
        "--force-language", language,
        "--keep-index-url",  # result links end in index.html, as every other link on the site does
        "--quiet",
    ]  # fmt: skip


def _waited_for(process: subprocess.Popen[str]) -> Problem | None:
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        process.kill()
        process.communicate()
        return Problem(WHERE, "search_failed", f"pagefind did not run: {exc}")
    if process.returncode != 0:
        last_line = (stderr.strip() or stdout.strip() or "no output").splitlines()[-1]
        return Problem(WHERE, "search_failed", f"pagefind exited with {process.returncode}: {last_line}")
    return None


def _read_bundle(bundle: Path) -> dict[str, bytes]:
    paths = sorted(path for path in bundle.rglob("*") if path.is_file())
    return {f"{BUNDLE_DIR}/{path.relative_to(bundle).as_posix()}": path.read_bytes() for path in paths}


def _primary_language(language: str) -> str:
    """Pagefind wants an ISO 639-1 code: ``en-GB`` -> ``en``."""
    return language.split("-")[0].split("_")[0].lower() or "en"
