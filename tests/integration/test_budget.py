"""The build's wall-clock budget: when it is spent the build stops fetching, says so in one line,
publishes what the store holds, and leaves the pages it did not reach to the next build."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.bench.farm import Farm, FarmServer, FarmSpec
from tests.conftest import build_from_farm

LATENCY_S = 3.0  # every response waits this long: the feeds fit in the budget, their pages do not
BUDGET_S = 4.5


def _build(workdir: Path, server: FarmServer, budget_s: float) -> subprocess.CompletedProcess[str]:
    return build_from_farm(workdir, server.feed_urls(), f"\n[build]\nbudget_s = {budget_s}")


def test_a_spent_budget_publishes_what_is_there_and_the_next_build_goes_on(tmp_path: Path) -> None:
    with FarmServer(Farm(FarmSpec(feeds=2, items=3)), latency_s=LATENCY_S) as server:
        first = _build(tmp_path, server, BUDGET_S)
        assert first.returncode == 0, first.stderr
        budget_lines = [line for line in first.stderr.splitlines() if "build.budget_s" in line]
        assert budget_lines and "6 pages wait for the next build" in budget_lines[0], first.stderr
        assert (tmp_path / "site" / "index.html").is_file()
        assert json.loads((tmp_path / "site" / "feed.json").read_text())["items"] == []

        server.latency_s = 0.0
        server.reset_counts()
        second = _build(tmp_path, server, 120.0)
        assert second.returncode == 0, second.stderr
        assert "build.budget_s" not in second.stderr
        assert server.reset_counts().requests("page") == 6, "the pages left over are fetched now"
        assert json.loads((tmp_path / "site" / "feed.json").read_text())["items"]
