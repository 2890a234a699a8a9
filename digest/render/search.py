"""Full-text search with Pagefind: the rendered story pages in, static search bundles out; no server.

Pagefind's indexer (the ``pagefind`` binary shipped by the PyPI package ``pagefind[bin]``) reads HTML
from a folder: a build has it read the story pages from the folder the new site is staged in
(``start_indexing``, started as soon as those pages are staged, while the rest of the site is
rendered), and writes the bundle to a temporary folder (in memory when it can: ``scratch_parent``),
from which it is read back as ``OutputFile``s to be published with the rest of the site.
``render_search_index`` does the same from pages in memory. Only ``data-pagefind-body`` (the story
itself) is indexed; the tag and jurisdiction links carry ``data-pagefind-filter`` so results can be
narrowed by them.

One bundle per period (``periods``): a month, or a whole year once it is a month past. The newest
period's bundle is the one the search page loads, at ``pagefind/``; each other period's is at
``pagefind/<period>/`` and merged into it in the browser (Pagefind's ``mergeIndex``). A period whose
story pages did not change is not indexed again (``derived.search_bundles_for``), so a build indexes
about a month of stories however large the archive: Pagefind costs about 1 ms of CPU a page.

Pagefind 1.5.2 writes its filter values in a random order; ``pagefind_order.py`` sorts them and renames
the files that change, so the same pages give a byte-identical bundle and a rebuild with no change
writes no file.
When the binary is missing or fails, the site is published without a bundle and the build reports
one ``Problem``; the search page then tells the reader search is unavailable.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from digest.records import OutputFile, Problem, Story
from digest.render.common import story_path, utc
from digest.render.pagefind_order import stable_bundle

log = logging.getLogger(__name__)

BUNDLE_DIR = "pagefind"
INDEXED_GLOB = "stories/**/*.html"
TIMEOUT_S = 300.0
# Pagefind's output goes to a folder in memory when the machine has one with room (Linux's shared
# memory), since it is read back at once. On a disk file system Pagefind's threads, creating a
# thousand small files at once, contend for the folder's lock and the inode allocator: on ext4, 1,148
# files cost it 1.0 to 2.0 s of system CPU there against 0.3 s in memory, and the 500-feed rebuild
# waited 0.4 s longer for it.
MEMORY_FOLDER = Path("/dev/shm")
MEMORY_SPARE = 64 * 2**20  # room left for whoever else uses that memory
WHERE = "search index"
YEAR_SETTLES = timedelta(days=31)  # after its end, a year's months become one bundle (see period_of)
# What a merged bundle needs: the browser runs the primary bundle's code and WebAssembly for all.
MERGED_FILE = re.compile(
    r"^(?:pagefind-entry\.json|pagefind\.[\w-]+\.pf_meta|(?:index|fragment|filter)/[^/]+)$"
)
RELATED_SECTION = b'<section aria-labelledby="related" data-pagefind-ignore>'  # see templates/story.html
STORY_PAGE = re.compile(r"^stories/([A-Za-z0-9][A-Za-z0-9_.-]*)/index\.html$")  # see common.segment


# --- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """The story pages of one search bundle, and where the bundle is published."""

    label: str  # "2026-11" (a month) or "2025" (a year a month past)
    folder: str  # "pagefind" for the newest period, the one the search page loads; else "pagefind/<label>"
    pages: tuple[str, ...]  # the story pages' paths, sorted

    def files(self, bundle: dict[str, bytes]) -> list[OutputFile]:
        """Its bundle (Pagefind's output, paths under ``pagefind/``) as files in its folder; a merged
        bundle without the search code, which the browser loads from the newest bundle only."""
        inside = {path.removeprefix(f"{BUNDLE_DIR}/"): content for path, content in bundle.items()}
        primary = self.folder == BUNDLE_DIR
        return [
            OutputFile(f"{self.folder}/{path}", inside[path])
            for path in sorted(inside)
            if primary or MERGED_FILE.match(path)
        ]


def period_of(published: datetime, now: datetime) -> str:
    """A month, or a whole year once the year has been over for ``YEAR_SETTLES``: a search merges a
    dozen bundles or so, and a year's pages are indexed together once, when they no longer change.
    Until then a story of its last days can still take in new coverage (the clustering window is a
    week), and would have the whole year indexed again."""
    moment = utc(published)
    settled = (utc(now) - YEAR_SETTLES).year  # the years before this one are settled
    return f"{moment.year}" if moment.year < settled else f"{moment.year}-{moment.month:02d}"


def periods(stories: Sequence[Story], now: datetime) -> list[Period]:
    """The periods of ``stories``' pages, newest first ("2026-11" sorts after "2026-02" and "2025")."""
    pages: dict[str, list[str]] = {}
    for story in stories:
        pages.setdefault(period_of(story.published, now), []).append(story_path(story.id))
    labels = sorted(pages, reverse=True)
    return [
        Period(label, BUNDLE_DIR if n == 0 else f"{BUNDLE_DIR}/{label}", tuple(sorted(pages[label])))
        for n, label in enumerate(labels)
    ]


def merged_folders(stories: Sequence[Story], now: datetime) -> list[str]:
    """The folders of the bundles the search page merges into the one it loads."""
    return [period.folder for period in periods(stories, now)[1:]]


def searched_part(page: bytes) -> bytes:
    """What of a story page can change its search record: the page without its related stories, a
    section Pagefind ignores (the marker says so) that changes whenever a story near in time is
    added. A template without the marker gives the whole page: more indexing, never a stale index."""
    start = page.find(RELATED_SECTION)
    end = page.find(b"</section>", start) if start >= 0 else -1
    return page if end < 0 else page[:start] + page[end:]


def pagefind_binary() -> Path | None:
    """The binary from the ``pagefind_bin`` package (``pagefind[bin]``), else one on ``PATH``."""
    spec = importlib.util.find_spec("pagefind_bin")
    if spec is not None and spec.origin:
        bundled = Path(spec.origin).parent / "pagefind"
        if bundled.is_file():
            return bundled
    found = shutil.which("pagefind")
    return Path(found) if found else None


def indexer_identity(language: str, binary: Path | None = None) -> str:
    """What besides the pages makes a bundle: the indexer's version (``pagefind --version``) and the
    language. A bundle kept from another version of Pagefind would be merged by code that cannot
    read it, so a new version indexes every period again."""
    binary = binary or pagefind_binary()
    version = "no indexer"
    if binary is not None:
        try:
            run = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
            version = run.stdout.strip() or f"exit {run.returncode}"
        except (OSError, subprocess.SubprocessError) as exc:
            version = f"unusable: {type(exc).__name__}"
    return f"{version}; {_primary_language(language)}"


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


def start_indexing(
    site: Path, language: str = "en", binary: Path | None = None, pages: Sequence[str] | None = None
) -> Indexing:
    """``index_site``, with Pagefind started now; the function returned waits for it. ``pages``: the
    story pages to index (paths under ``site``), when not all of them. The process is started here,
    in the calling thread: a thread of its own would wait for the interpreter's lock while this one
    renders, and start it late."""
    binary = binary or pagefind_binary()
    if binary is None:
        return _answer(Problem(WHERE, "search_unavailable", "no pagefind binary (install pagefind[bin])"))
    nothing = not any(site.glob(INDEXED_GLOB)) if pages is None else not pages
    if nothing:
        return _answer(None)  # nothing to index yet: the search page says so
    scratch = scratch_parent(_indexed_bytes(site, pages))
    folder = tempfile.TemporaryDirectory(prefix="digest-search-", dir=scratch)
    output = Path(folder.name) / BUNDLE_DIR
    # The glob goes in a config file in Pagefind's working folder: a year's pages listed on the
    # command line would pass the 128 KB a single argument may have.
    (Path(folder.name) / "pagefind.json").write_text(json.dumps({"glob": _glob(pages)}), encoding="utf-8")
    try:
        process = subprocess.Popen(
            _command(binary, site, output, _primary_language(language)),
            cwd=folder.name,
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


def scratch_parent(needed: int, memory: Path = MEMORY_FOLDER) -> Path | None:
    """Where Pagefind's output folder goes: ``memory`` when it is a folder this process may write in
    with ``needed`` bytes to spare, else None (the system's temporary folder). A ``TMPDIR`` the
    operator set is kept to."""
    if os.environ.get("TMPDIR") or not (memory.is_dir() and os.access(memory, os.W_OK | os.X_OK)):
        return None
    try:
        found = os.statvfs(memory)
    except OSError:
        return None
    return memory if found.f_bavail * found.f_frsize >= needed + MEMORY_SPARE else None


def _indexed_bytes(site: Path, pages: Sequence[str] | None) -> int:
    """Room for the bundle of these pages, with much to spare: twice their size (the bench's bundle
    takes a seventh of it, 1.9 MB for 14 MB of story pages)."""
    found = site.glob(INDEXED_GLOB) if pages is None else (site / page for page in pages)
    return 2 * sum(_size(path) for path in found)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # not there: Pagefind does not index it either


def _answer(problem: Problem | None) -> Indexing:
    """No bundle, with the problem why (none when there is nothing to index)."""
    return lambda: ([], [problem] if problem else [])


def _write(site: Path, pages: Sequence[OutputFile]) -> None:
    for page in pages:
        target = site / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(page.content)


def _glob(pages: Sequence[str] | None) -> str:
    """Pagefind's glob for ``pages`` (story pages, whose folder names need no escaping), or all."""
    if pages is None:
        return INDEXED_GLOB
    folders = []
    for page in pages:
        match = STORY_PAGE.match(page)
        if match is None:
            raise ValueError(f"{page}: not a story page")
        folders.append(match[1])
    return "stories/{" + ",".join(folders) + "}/index.html"


def _command(binary: Path, site: Path, output: Path, language: str) -> list[str]:
    return [
        str(binary.absolute()),
        "--site", str(site.absolute()),
        "--output-path", str(output.absolute()),
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
