"""The harness's own measurements (fast; runs in ``make test``; never asserts on time)."""

from __future__ import annotations

import subprocess
import sys

from tests.bench.run import PeakRss

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
