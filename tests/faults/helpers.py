"""What the fault tests share: starting a real build as its own process group, and reading what it left."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from digest.publish import MARKER
from digest.sample.server import SampleServer, write_config

STAGING_PREFIX = "."  # staging and retired trees are hidden siblings (".site.staging"); never published


def prepare(workdir: Path, server: SampleServer) -> tuple[Path, Path, Path]:
    """(config, store, out) for a build of the sample corpus in ``workdir``."""
    workdir.mkdir(parents=True, exist_ok=True)
    config, store, out = workdir / "digest.toml", workdir / "store.sqlite", workdir / "site"
    write_config(config, server.base_url, store)
    return config, store, out


def start(command: list[str], preexec: Callable[[], None] | None = None) -> subprocess.Popen[str]:
    """The build in a new session, so a kill reaches its extraction workers too."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=preexec,
    )


def kill_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL the build and everything it started (its own process group, by its id)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def site_files(out: Path) -> set[str]:
    return {str(path.relative_to(out)) for path in out.rglob("*") if path.is_file()}


def site_snapshot(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()}


def store_health(store: Path) -> tuple[str, int]:
    """(PRAGMA integrity_check, number of stored entries) of the store, read from outside the build."""
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        integrity = str(db.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        db.close()
    return integrity, len(stored_entry_urls(store))


def stored_entry_urls(store: Path) -> frozenset[str]:
    """The URL of every entry in the store (empty before the store exists), read from outside the build."""
    if not store.exists():
        return frozenset()
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
    try:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'entries'").fetchone() is None:
            return frozenset()  # killed before its first migration was committed
        return frozenset(url for (url,) in db.execute("SELECT url FROM entries"))
    finally:
        db.close()


def is_published_site(out: Path) -> bool:
    return (out / MARKER).is_file()
