"""Where a build's time goes, stage by stage (``digest build --timings``).

A stage's CPU is this process's, every thread included (the fetches run in threads), plus its child
processes': the worker pool and the search indexer. A child is read from /proc while it lives and
from the kernel's tally of reaped children once it is gone, so the two always add up. Where /proc
cannot be read, a child's CPU is counted only when it has been reaped: it may then land in a later
stage, never twice. The first stage starts when the process did, so the interpreter's start and the
imports are counted too.
"""

from __future__ import annotations

import contextlib
import os
import resource
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from digest.records import StageTime

PROC = Path("/proc")
LAST_COLUMN = "workers CPU s"  # the table's header ends with it (the bench finds the table by it)


@dataclass(frozen=True, slots=True)
class Reading:
    wall_s: float  # time.perf_counter()
    own_cpu_s: float  # this process, every thread
    children_cpu_s: float  # child processes, live and reaped


class Stopwatch:
    """Laps of one build: each ``lap(stage)`` closes the stage that ran since the last one."""

    def __init__(self) -> None:
        self._last = Reading(time.perf_counter() - seconds_since_start(), 0.0, children_cpu_s())
        self._laps: list[StageTime] = []

    def lap(self, stage: str) -> None:
        now = Reading(time.perf_counter(), time.process_time(), children_cpu_s())
        last, self._last = self._last, now
        self._laps.append(
            StageTime(
                stage,
                round(now.wall_s - last.wall_s, 3),
                round(now.own_cpu_s - last.own_cpu_s, 3),
                round(now.children_cpu_s - last.children_cpu_s, 3),
            )
        )

    def stages(self) -> tuple[StageTime, ...]:
        return tuple(self._laps)


def seconds_since_start() -> float:
    """How long this process has run (0.0 where /proc cannot tell)."""
    try:
        started_ticks = int(_stat_fields(PROC / "self" / "stat")[19])
        uptime_s = float((PROC / "uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return max(0.0, uptime_s - started_ticks / os.sysconf("SC_CLK_TCK"))


def children_cpu_s() -> float:
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return reaped.ru_utime + reaped.ru_stime + sum(map(live_cpu_s, live_children()))


def live_children(tasks: Path = PROC / "self" / "task") -> list[int]:
    """The processes this one started that have not been reaped yet (those of every thread)."""
    found: set[int] = set()
    try:
        listed = list(tasks.iterdir())
    except OSError:
        return []
    for task in listed:
        # A thread that ended since the listing has no file left: its children went to another
        # thread, read here too. Giving up on all of them put a stage's worker CPU in the next one.
        with contextlib.suppress(OSError):
            found.update(_pids((task / "children").read_text().split()))
    return sorted(found)


def live_cpu_s(pid: int) -> float:
    """User and system CPU of a process and of the children it reaped; 0.0 once it is gone."""
    try:
        fields = _stat_fields(PROC / str(pid) / "stat")
        ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    except (OSError, ValueError, IndexError):
        return 0.0
    return ticks / os.sysconf("SC_CLK_TCK")


def _stat_fields(path: Path) -> list[str]:
    """The fields of a /proc stat file after the command name (which may hold spaces)."""
    return path.read_text().rsplit(")", 1)[1].split()


def _pids(words: Iterable[str]) -> list[int]:
    return [int(word) for word in words if word.isdigit()]


def timing_lines(stages: Sequence[StageTime]) -> list[str]:
    """A small table for the terminal: wall seconds, then CPU seconds here and in the workers."""
    width = max((len(stage.name) for stage in stages), default=5)
    lines = [f"{'stage':<{width}}  {'wall s':>7}  {'CPU s':>7}  {LAST_COLUMN:>13}"]
    for stage in [*stages, _total(stages)]:
        lines.append(
            f"{stage.name:<{width}}  {stage.wall_s:>7.2f}  {stage.cpu_s:>7.2f}  {stage.workers_cpu_s:>13.2f}"
        )
    return lines


def _total(stages: Sequence[StageTime]) -> StageTime:
    return StageTime(
        "total",
        round(sum(stage.wall_s for stage in stages), 3),
        round(sum(stage.cpu_s for stage in stages), 3),
        round(sum(stage.workers_cpu_s for stage in stages), 3),
    )
