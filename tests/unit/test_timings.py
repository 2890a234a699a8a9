"""Stage timings: every CPU second of the process and of its children is counted once, in its stage."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from digest.records import StageTime
from digest.timings import Stopwatch, live_children, timing_lines

# Burns 0.3 s of its own CPU, says so, then waits for a line on stdin before it exits.
BURNER = (
    "import sys, time\n"
    "while time.process_time() < 0.3: pass\n"
    "print(time.process_time(), flush=True)\n"
    "sys.stdin.readline()\n"
)


def _burner() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", BURNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _burn_here(seconds: float) -> None:
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_a_child_alive_at_a_lap_is_counted_then_and_not_again_once_reaped() -> None:
    watch = Stopwatch()
    with _burner() as child:
        assert child.stdout is not None
        burnt = float(child.stdout.readline())
        assert child.pid in live_children()
        watch.lap("child burning")
        child.communicate("done\n")
    watch.lap("child reaped")
    burning, reaped = watch.stages()
    assert burning.workers_cpu_s >= burnt - 0.02  # read from /proc while it lived
    assert reaped.workers_cpu_s < 0.1  # its exit adds only what it spent after the lap
    assert burning.workers_cpu_s + reaped.workers_cpu_s >= burnt - 0.02


def test_a_child_reaped_within_a_stage_is_counted_in_it() -> None:
    watch = Stopwatch()
    with _burner() as child:
        assert child.stdout is not None
        burnt = float(child.stdout.readline())
        child.communicate("done\n")
    assert child.pid not in live_children()
    watch.lap("child came and went")
    (stage,) = watch.stages()
    assert stage.workers_cpu_s >= burnt - 0.02


def test_cpu_spent_in_this_process_goes_to_the_stage_it_was_spent_in() -> None:
    watch = Stopwatch()
    watch.lap("before")
    _burn_here(0.2)
    watch.lap("burning")
    stages = {stage.name: stage for stage in watch.stages()}
    assert stages["burning"].cpu_s >= 0.2
    assert stages["burning"].workers_cpu_s < 0.05


def test_the_first_stage_starts_when_the_process_did() -> None:
    watch = Stopwatch()
    watch.lap("start-up")
    (first,) = watch.stages()
    assert first.cpu_s >= 0.01  # the interpreter's start and pytest's imports, at the least
    assert first.wall_s >= first.cpu_s / 2  # two cores at most (a lap from now would be ~0)


def test_the_table_lists_each_stage_then_the_total() -> None:
    lines = timing_lines(
        [StageTime("start-up", 0.3, 0.25, 0.0), StageTime("feeds and pages", 4.5, 1.25, 8.5)]
    )
    assert lines[0].split() == ["stage", "wall", "s", "CPU", "s", "workers", "CPU", "s"]
    assert lines[1].split() == ["start-up", "0.30", "0.25", "0.00"]
    assert lines[2].split() == ["feeds", "and", "pages", "4.50", "1.25", "8.50"]
    assert lines[3].split() == ["total", "4.80", "1.50", "8.50"]


def test_a_thread_that_ended_while_its_children_were_read_leaves_the_others_counted(tmp_path: Path) -> None:
    tasks = tmp_path / "task"
    for thread, children in (("101", "7 8 "), ("102", None), ("103", "9 ")):
        (tasks / thread).mkdir(parents=True)
        if children is not None:
            (tasks / thread / "children").write_text(children)
    assert live_children(tasks) == [7, 8, 9]  # thread 102 is gone: its "children" file with it
    assert live_children(tmp_path / "no such folder") == []
