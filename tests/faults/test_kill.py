"""SIGKILL at random moments: the published site is always absent, the previous complete build or the new one.

The real build runs over the sample corpus (served on 127.0.0.1) and is killed, with its extraction
workers, 21 times or more: two kills in three after a delay drawn from a seeded generator over a
whole build, the third a few milliseconds after the build first touches the output, so that kills
land while the new tree is written, swapped in and the old one removed. The store is replaced by a
fresh one every few kills, so the random kills land while feeds and pages are being fetched and
extracted, not only in the quick rebuilds that follow once everything is stored. How long a whole
build takes is measured first; if the machine was busy then, the estimate is too long and too many
kills would come after the build ended. So a build from an empty store seen to end before its kill
shortens the estimate, and the kills go on (at most ``MAX_KILLS``) until seven have landed while
the build was at work. Each run has its own clock (``--now`` ten minutes later each time), so every
complete build differs from the one before it (the status page shows the build time) and a mix of
the two cannot pass for either. After every kill:

* the output folder is absent (only before the first build that finished) or holds, byte for byte,
  a complete build with the ``.digest-site`` marker: either exactly the tree that was published before
  this run, or exactly what a complete build makes from the store this run left (rebuilt with
  ``--offline`` from a copy of that store into a scratch folder, in the background while the next
  run goes on). A mix of the two, a half-written file or a staging folder never passes;
* a build that exited 0 before the kill published exactly that complete build;
* ``PRAGMA integrity_check`` says ok;
* every item stored before the run is still stored.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from digest.sample.server import SampleServer, write_config
from tests.conftest import NOW_TEXT, build_command
from tests.faults.helpers import (
    is_published_site,
    kill_group,
    prepare,
    site_snapshot,
    start,
    store_health,
    stored_entry_urls,
)

KILLS = 21
MAX_KILLS = 3 * KILLS
KILLS_PER_STORE = 2  # then a fresh store: fetching and extraction start over (a warm rebuild is quick)
PUBLISH_KILL_EVERY = 3  # every third kill aims at the publishing step
PUBLISH_WINDOW_S = 0.12  # after the output is first touched: writing the tree, the swap, the cleanup
SEED = 20261122
START = datetime.fromisoformat(NOW_TEXT)
Snapshot = dict[str, bytes]


@dataclass
class Rebuild:
    """What a killed run published, and the complete offline build from a copy of the store it left."""

    kill: int
    published: Snapshot
    process: subprocess.Popen[str] | None = None
    out: Path | None = None

    def start(self, store: Path, scratch: Path, server: SampleServer, now: str) -> Rebuild:
        """Start the offline build from a copy of ``store`` as it is now, in the background."""
        scratch.mkdir(parents=True)
        copy, config, self.out = scratch / "store.sqlite", scratch / "digest.toml", scratch / "site"
        source = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=30)
        target = sqlite3.connect(copy)
        try:
            source.backup(target)  # reads the write-ahead log too: the store exactly as the build left it
        finally:
            target.close()
            source.close()
        write_config(config, server.base_url, copy)
        self.process = start(build_command(config, self.out, now, "--offline"))
        return self

    def check(self) -> None:
        assert self.process is not None and self.out is not None
        _, stderr = self.process.communicate(timeout=600)
        assert self.process.returncode == 0, stderr
        complete = site_snapshot(self.out)
        assert self.published == complete, f"kill {self.kill}: {_differences(self.published, complete)}"


def complete_build(workdir: Path, server: SampleServer) -> float:
    """How long a complete build from an empty store takes (to spread the kills over)."""
    config, _, out = prepare(workdir, server)
    started = time.monotonic()
    process = start(build_command(config, out, NOW_TEXT))
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    assert is_published_site(out)
    return time.monotonic() - started


def test_sigkill_never_leaves_a_partial_site_or_a_damaged_store(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    duration = complete_build(tmp_path / "reference", sample_server)
    generator = random.Random(SEED)
    out = tmp_path / "killed" / "site"
    published: Snapshot | None = None  # the tree published before the current run
    landed = {"before_first_request": 0, "while_fetching_or_later": 0, "while_publishing": 0, "finished": 0}
    rebuilds: list[Rebuild] = []
    kill = 0
    while kill < KILLS or (_too_few_at_work(landed) and kill < MAX_KILLS):
        store_dir = tmp_path / "killed" / f"store-{kill // KILLS_PER_STORE}"
        config, store, _ = prepare(store_dir, sample_server)
        stored_before = stored_entry_urls(store)
        requests_before = len(sample_server.requests)
        now = _clock(kill)
        process = start(build_command(config, out, now))
        aim_at_publishing = kill % PUBLISH_KILL_EVERY == PUBLISH_KILL_EVERY - 1
        if aim_at_publishing:
            _wait_for_publishing(out, process, generator)
        else:
            ended_after = _sleep_or_end(process, generator.uniform(0.05, duration * 1.05))
            if ended_after is not None and kill % KILLS_PER_STORE == 0:  # from an empty store, as measured
                duration = min(duration, ended_after)
        finished = process.poll() is not None
        kill_group(process)
        landed[_when(finished, len(sample_server.requests) > requests_before, aim_at_publishing)] += 1
        finished_ok = finished and process.returncode == 0

        published, rebuild = check_published(out, published, finished_ok, kill)
        if rebuild is not None:
            rebuilds.append(rebuild.start(store, tmp_path / "rebuilt" / str(kill), sample_server, now))
        assert_store_kept(store, stored_before, kill)
        kill += 1
    for pending in rebuilds:
        pending.check()
    print(f"{kill} kills over a {duration:.1f} s build: {landed}; {len(rebuilds)} new trees checked")
    assert not _too_few_at_work(landed), landed
    assert rebuilds, "no build ever got as far as publishing: the kills prove nothing"


def check_published(
    out: Path, published: Snapshot | None, finished_ok: bool, kill: int
) -> tuple[Snapshot | None, Rebuild | None]:
    """(the tree now published, and a Rebuild to compare it with when it is not the previous one)."""
    if not out.exists():
        assert published is None and not finished_ok, f"kill {kill}: the published site disappeared"
        return None, None
    assert is_published_site(out), f"kill {kill}: the output folder has no marker"
    now_published = site_snapshot(out)
    changed = now_published != published or finished_ok
    return now_published, Rebuild(kill, now_published) if changed else None


def assert_store_kept(store: Path, stored_before: frozenset[str], kill: int) -> None:
    if store.exists():
        integrity, _ = store_health(store)
        assert integrity == "ok", f"kill {kill}: {integrity}"
    lost = stored_before - stored_entry_urls(store)
    assert not lost, f"kill {kill}: stored items lost: {sorted(lost)[:5]}"


def _clock(kill: int) -> str:
    return (START + timedelta(minutes=10 * kill)).isoformat().replace("+00:00", "Z")


def _wait_for_publishing(out: Path, process: subprocess.Popen[str], generator: random.Random) -> None:
    """Return a few milliseconds after the build first touches the output (or when it ends).

    Whatever way the build publishes (a staging folder beside the site, files written in place), the
    first sign is a change in the output's parent folder or in the top level of the site."""
    before = _output_signature(out)
    while _output_signature(out) == before and process.poll() is None:
        time.sleep(0.002)
    time.sleep(generator.uniform(0.0, PUBLISH_WINDOW_S))


def _output_signature(out: Path) -> frozenset[tuple[str, int]]:
    """(name, mtime) of every entry beside and directly inside the output folder."""
    entries: set[tuple[str, int]] = set()
    for folder in (out.parent, out):
        try:
            with os.scandir(folder) as listing:
                entries.update(
                    (entry.path, entry.stat(follow_symlinks=False).st_mtime_ns) for entry in listing
                )
        except FileNotFoundError:
            continue  # an entry went away while we looked: that is a change too
    return frozenset(entries)


def _differences(found: Snapshot, expected: Snapshot) -> str:
    """The first few paths that are missing, extra or different in ``found``."""
    paths = sorted(path for path in found.keys() | expected.keys() if found.get(path) != expected.get(path))
    return f"{len(paths)} files differ from a complete build, e.g. {paths[:5]}"


def _sleep_or_end(process: subprocess.Popen[str], delay: float) -> float | None:
    """Wait ``delay`` seconds or until the build ends; how long it ran, when it ended first."""
    started = time.monotonic()
    while (waited := time.monotonic() - started) < delay:
        if process.poll() is not None:
            return waited
        time.sleep(0.01)
    return None


def _too_few_at_work(landed: dict[str, int]) -> bool:
    return landed["while_fetching_or_later"] < KILLS // 3


def _when(finished: bool, requested: bool, aim_at_publishing: bool) -> str:
    if finished:
        return "finished"
    if aim_at_publishing:
        return "while_publishing"
    return "while_fetching_or_later" if requested else "before_first_request"
