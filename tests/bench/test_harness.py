"""The harness's own measurements (fast; runs in ``make test``; never asserts on time)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from digest.records import StageTime
from digest.timings import timing_lines
from tests.bench.farm import Farm, FarmServer, FarmSpec
from tests.bench.run import (
    CORES,
    COST_RUNS,
    PeakRss,
    StageCosts,
    Workspace,
    beyond_library_s,
    build_extract_pages,
    cpu_of_each,
    idle_core_s,
    own_code_s,
    priced,
    quickest,
    stage_times,
    store_cost,
)

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


COSTS = StageCosts(parse_s=0.0004, extract_s=0.012, render_s=0.001, store_s=0.00005)


def test_each_stage_cost_is_the_lesser_of_two_measurements() -> None:
    later = StageCosts(parse_s=0.0003, extract_s=0.013, render_s=0.001, store_s=0.00004)
    assert COSTS.least(later) == StageCosts(0.0003, 0.012, 0.001, 0.00004)
    assert later.least(COSTS) == COSTS.least(later)


def test_compared_costs_are_measured_in_turns() -> None:
    calls: list[str] = []
    figures = cpu_of_each([lambda: calls.append("library"), lambda: calls.append("ours")])
    assert calls == ["library", "ours"] * (1 + COST_RUNS) and len(figures) == 2


def test_the_build_extraction_step_is_priced_on_the_farm_pages() -> None:
    with FarmServer(Farm(FarmSpec(feeds=2, items=2))) as server:
        jobs = [
            (server.url(item.path), resource.body, resource.content_type, item)
            for item in server.farm.all_items()
            for resource in [server.resources[item.path]]
        ]
        pages = build_extract_pages(jobs)
    assert len(pages) == 4 and all(page.text and page.fallback_reason is None for page in pages)


def test_own_code_is_the_editorial_stages_and_the_store_priced_per_article() -> None:
    stages = {
        "start-up": {"cpu_s": 0.3},
        "feeds and pages": {"cpu_s": 80.0},
        "relevance": {"cpu_s": 4.5},
        "clustering and stories": {"cpu_s": 12.0},
        "editions": {"cpu_s": 0.5},
        "render and publish": {"cpu_s": 5.5},
    }
    assert own_code_s(stages, COSTS, 1000) == pytest.approx(4.5 + 12.0 + 0.5 + 0.05)
    assert own_code_s({}, COSTS, 1000) == pytest.approx(0.05)


def test_a_cold_build_is_priced_against_the_library_costs() -> None:
    figures = {"articles": 1000, "cpu_s": 20.0, "stages": {"relevance": {"cpu_s": 1.0}}}
    priced_build = priced(figures, COSTS)
    assert priced_build["library_cpu_s"] == pytest.approx(13.4)
    assert priced_build["limit_s"] == pytest.approx(13.4 / CORES, abs=0.01)
    assert priced_build["own_code_cpu_s"] == pytest.approx(1.05)
    assert beyond_library_s(priced_build) == pytest.approx(20.0 - 13.4)


def test_the_store_is_priced_on_the_farm_it_would_store() -> None:
    with FarmServer(Farm(FarmSpec(feeds=2, items=3))) as server:
        cost = store_cost(server)
    assert 0 < cost < 0.1  # CPU seconds an article: well under what a page's extraction costs


def test_idle_cores_are_what_neither_the_build_nor_the_farm_used() -> None:
    build = {"wall_s": 10.0, "cpu_s": 17.5, "harness_cpu_s": 0.5}
    assert idle_core_s(build, 2) == pytest.approx(2.0)
    assert idle_core_s({**build, "cpu_s": 19.9}, 2) == 0.0  # clocks read apart never make it negative


def test_the_quickest_cold_build_is_the_figure_and_every_run_is_listed(tmp_path: Path) -> None:
    first, second = Workspace(tmp_path / "large"), Workspace(tmp_path / "large-2")
    runs = [
        (first, {"wall_s": 58.2, "cpu_s": 104.0, "page_refetches": 0}),
        (second, {"wall_s": 55.1, "cpu_s": 103.0, "page_refetches": 1}),
    ]
    space, figures = quickest(runs)
    assert space is second
    assert (figures["wall_s"], figures["cpu_s"]) == (55.1, 103.0)
    assert figures["wall_s_each"] == [58.2, 55.1]
    assert figures["page_refetches"] == 1  # a page fetched twice in any run counts against the target
