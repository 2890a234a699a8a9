"""The harness's own measurements (fast; runs in ``make test``; never asserts on time)."""

from __future__ import annotations

import subprocess
import sys

from digest.records import StageTime
from digest.timings import timing_lines
from tests.bench.run import PeakRss, stage_times

# A process that starts a child holding 80 MB for a second, well after the watch has begun.
GRANDCHILD = "import time; held = bytearray(80_000_000); time.sleep(1.0)"
PARENT = (
    f"import subprocess, sys, time; time.sleep(0.3); subprocess.run([sys.executable, '-c', {GRANDCHILD!r}])"
)


def test_peak_rss_finds_a_process_started_late_in_the_tree() -> None:
    process = subprocess.Popen([sys.executable, "-c", PARENT])
    watch = PeakRss(process.pid)
    process.wait()
    assert watch.stop() >= 80


def test_the_stage_table_a_build_prints_is_read_back() -> None:
    printed = timing_lines(
        [StageTime("start-up", 0.31, 0.3, 0.0), StageTime("feeds and pages", 4.5, 1.25, 8.5)]
    )
    stderr = "\n".join(["built: 3 stories", *printed, "site written to out/"])
    assert stage_times(stderr) == {
        "start-up": {"wall_s": 0.31, "cpu_s": 0.3, "workers_cpu_s": 0.0},
        "feeds and pages": {"wall_s": 4.5, "cpu_s": 9.75, "workers_cpu_s": 8.5},
    }
    assert stage_times("built: 3 stories\nsite written to out/") == {}
