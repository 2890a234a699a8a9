"""A full disk, an unwritable output folder, and two builds at once on one store.

The full disk is simulated honestly without root: the build runs with ``RLIMIT_FSIZE`` set and
``SIGXFSZ`` ignored, so every write past the limit fails with ``EFBIG`` ("File too large"), exactly
where a full disk would fail it. For the site, the limit lies well above what the store needs for a
rebuild and below the size of a new about page the rebuild must write (unchanged pages are hard-linked
from the published tree, so only a new or changed file can hit the limit); for the store, it lies below
what the store's write-ahead log needs.
"""

from __future__ import annotations

import fcntl
import os
import resource
import signal
import sqlite3
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from digest.sample.server import SampleServer
from tests.conftest import build_command
from tests.faults.helpers import prepare, site_snapshot, start, store_health

NOW = "2026-11-22T12:00:00Z"
LATER = "2026-11-23T12:00:00Z"
OUTPUT_LIMIT_BYTES = 250_000  # twice what the store's write-ahead log needs for a rebuild (100-130 KB)
STORE_LIMIT_BYTES = 60_000  # smaller than the store's own write-ahead log after a rebuild


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write with EFBIG instead of dying
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def first_build(workdir: Path, server: SampleServer) -> tuple[Path, Path, Path, dict[str, bytes]]:
    config, store, out = prepare(workdir, server)
    process = start(build_command(config, out, NOW))
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    return config, store, out, site_snapshot(out)


def assert_one_line_error(result: tuple[int | None, str]) -> None:
    code, stderr = result
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr


def run_limited(config: Path, out: Path, limit: int) -> tuple[int | None, str]:
    process = start(build_command(config, out, LATER), preexec=file_size_limit(limit))
    _, stderr = process.communicate(timeout=600)
    return process.returncode, stderr


def add_large_about_page(config: Path) -> None:
    """An about page bigger than the output limit: the next build must write it, and cannot."""
    text = config.read_text(encoding="utf-8")
    assert text.count("[site]\n") == 1, text
    config.write_text(text.replace("[site]\n", '[site]\nabout = "about.md"\n', 1), encoding="utf-8")
    paragraph = (
        "This digest is put together by a small editorial team from the public feeds of news outlets, "
        "regulators and courts, and every summary sentence links to the article it came from.\n\n"
    )
    about = paragraph * (2 * OUTPUT_LIMIT_BYTES // len(paragraph))
    config.with_name("about.md").write_text("# About this digest\n\n" + about, encoding="utf-8")


def test_full_disk_while_writing_the_site_keeps_the_previous_one(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    config, store, out, before = first_build(tmp_path, sample_server)
    add_large_about_page(config)
    result = run_limited(config, out, OUTPUT_LIMIT_BYTES)
    assert_one_line_error(result)
    assert "File too large" in result[1] or "No space" in result[1], result[1]
    assert site_snapshot(out) == before, "the previous site changed"
    assert not (out.parent / f".{out.name}.staging").exists(), "a staging folder was left behind"
    assert store_health(store)[0] == "ok"


def test_full_disk_while_writing_the_store_is_one_line(tmp_path: Path, sample_server: SampleServer) -> None:
    config, store, out, before = first_build(tmp_path, sample_server)
    entries_before = store_health(store)[1]
    with sqlite3.connect(store) as db:  # the rebuild must write its derived results again
        db.execute("DELETE FROM derived")
    result = run_limited(config, out, STORE_LIMIT_BYTES)
    assert_one_line_error(result)
    assert f"{store}: cannot write the store: " in result[1], result[1]
    assert site_snapshot(out) == before
    assert store_health(store) == ("ok", entries_before)
    again = start(build_command(config, out, LATER))  # with room again, the same store builds
    _, stderr = again.communicate(timeout=600)
    assert again.returncode == 0, stderr
    assert store_health(store) == ("ok", entries_before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder anyway")
def test_unwritable_output_folder_is_one_line(tmp_path: Path, sample_server: SampleServer) -> None:
    config, _, out, before = first_build(tmp_path / "parent", sample_server)
    parent_mode = out.parent.stat().st_mode
    out.parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        process = start(build_command(config, out, LATER))
        _, stderr = process.communicate(timeout=600)
    finally:
        out.parent.chmod(parent_mode)
    assert_one_line_error((process.returncode, stderr))
    assert site_snapshot(out) == before


def test_output_path_that_is_a_file_is_one_line(tmp_path: Path, sample_server: SampleServer) -> None:
    """Works as root too: the output path names an existing file, so no folder can be swapped in."""
    config, _, _ = prepare(tmp_path, sample_server)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me\n")
    process = start(build_command(config, blocker, NOW))
    _, stderr = process.communicate(timeout=600)
    assert_one_line_error((process.returncode, stderr))
    assert blocker.read_text() == "keep me\n"


def test_two_builds_at_once_wait_or_refuse(tmp_path: Path, sample_server: SampleServer) -> None:
    config, store, out = prepare(tmp_path, sample_server)
    first = start(build_command(config, out, NOW))
    second = start(build_command(config, out, NOW))
    results = []
    for process in (first, second):
        _, stderr = process.communicate(timeout=600)
        results.append((process.returncode, stderr))
    for code, stderr in results:
        assert code == 0 or (code == 2 and "another build is using this store" in stderr), stderr
    assert any(code == 0 for code, _ in results), results
    assert store_health(store)[0] == "ok"
    assert (out / "index.html").is_file()


def test_a_held_lock_makes_the_build_refuse_with_a_clear_message(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    config, store, out = prepare(tmp_path, sample_server)
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(store.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another build, as far as the store can tell
        result = subprocess.run(build_command(config, out, NOW), capture_output=True, text=True, timeout=120)
    assert_one_line_error((result.returncode, result.stderr))
    assert "another build is using this store" in result.stderr
    assert not out.exists()
    if store.exists():
        assert sqlite3.connect(store).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
