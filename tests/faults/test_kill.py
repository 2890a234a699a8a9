"""SIGKILL at random moments: the published site is always absent, the previous complete one or the new one.

The real build runs over the sample corpus (served on 127.0.0.1) and is killed, with its extraction
workers, after a delay drawn from a seeded generator, 24 times. The store is replaced by a fresh one
every few kills, so most kills land while feeds and pages are being fetched and extracted, not only
in the quick rebuilds that follow once everything is stored. After every kill:

* the output folder is absent (only before the first build that finished) or holds exactly the file
  set of a complete build, with the ``.digest-site`` marker; a staging folder never counts;
* ``PRAGMA integrity_check`` says ok;
* the store holds at least as many entries as after the previous kill on it.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from digest.sample.server import SampleServer
from tests.conftest import NOW_TEXT
from tests.faults.helpers import (
    build_command,
    is_published_site,
    kill_group,
    prepare,
    site_files,
    start,
    store_health,
)

KILLS = 24
KILLS_PER_STORE = 6  # then a fresh store: fetching and extraction start over
SEED = 20261122


def complete_build(workdir: Path, server: SampleServer) -> tuple[set[str], float]:
    """The file set of a complete build, and how long the build took (to spread the kills over)."""
    config, _, out = prepare(workdir, server)
    started = time.monotonic()
    process = start(build_command(config, out, NOW_TEXT))
    _, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr
    return site_files(out), time.monotonic() - started


def test_sigkill_never_leaves_a_partial_site_or_a_damaged_store(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    reference, duration = complete_build(tmp_path / "reference", sample_server)
    generator = random.Random(SEED)
    out = tmp_path / "killed" / "site"
    published_once = False
    landed = {"before_first_request": 0, "while_fetching_or_later": 0, "finished": 0}
    for kill in range(KILLS):
        store_dir = tmp_path / "killed" / f"store-{kill // KILLS_PER_STORE}"
        config, store, _ = prepare(store_dir, sample_server)
        entries_before = store_health(store)[1] if store.exists() else 0
        requests_before = len(sample_server.requests)
        process = start(build_command(config, out, NOW_TEXT))
        time.sleep(generator.uniform(0.05, duration * 1.05))
        finished = process.poll() is not None
        kill_group(process)
        published_once = published_once or (finished and process.returncode == 0)
        landed[_when(finished, len(sample_server.requests) > requests_before)] += 1

        if out.exists():
            assert is_published_site(out), f"kill {kill}: the output folder has no marker"
            assert site_files(out) == reference, f"kill {kill}: {sorted(site_files(out) ^ reference)[:10]}"
        else:
            assert not published_once, f"kill {kill}: the published site disappeared"
        if store.exists():
            integrity, entries = store_health(store)
            assert integrity == "ok", f"kill {kill}: {integrity}"
            assert entries >= entries_before, f"kill {kill}: entries went from {entries_before} to {entries}"
    print(f"{KILLS} kills over a {duration:.1f} s build: {landed}")
    assert landed["while_fetching_or_later"] >= KILLS // 2, landed


def _when(finished: bool, requested: bool) -> str:
    if finished:
        return "finished"
    return "while_fetching_or_later" if requested else "before_first_request"
