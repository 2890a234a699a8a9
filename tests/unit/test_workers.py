"""The build's worker processes: results in order, small jobs in-process, a dead worker's chunk redone."""

import os
import sys
from collections.abc import Sequence

import pytest

from digest.workers import INLINE, MIN_JOBS, Workers, worker_pool

MAIN_PID = os.getpid()


def squares(numbers: Sequence[int]) -> list[tuple[int, int]]:
    return [(n * n, os.getpid()) for n in numbers]


def dies_in_a_worker(numbers: Sequence[int]) -> list[int]:
    if os.getpid() != MAIN_PID and 7 in numbers:
        os._exit(1)  # as an out-of-memory kill would end it
    return [n + 1 for n in numbers]


def test_chunks_come_back_in_order_from_more_than_one_process() -> None:
    numbers = list(range(200))
    with worker_pool(2) as workers:
        results = workers.map_chunks(squares, numbers)
    assert [square for square, _ in results] == [n * n for n in numbers]
    assert MAIN_PID not in {pid for _, pid in results}


def test_too_few_jobs_or_one_worker_run_in_this_process() -> None:
    with worker_pool(2) as workers:
        assert workers.executor(MIN_JOBS - 1) is INLINE
        assert {pid for _, pid in workers.map_chunks(squares, [1, 2, 3])} == {MAIN_PID}
    assert Workers(1).executor(1000) is INLINE


def test_the_chunk_of_a_worker_that_died_is_done_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    numbers = list(range(100))
    with worker_pool(2) as workers:
        assert workers.map_chunks(dies_in_a_worker, numbers) == [n + 1 for n in numbers]
        assert "worker process died" in caplog.text
        assert workers.map_chunks(dies_in_a_worker, numbers) == [n + 1 for n in numbers]  # pool gone: inline
        assert "going on in the main process" in caplog.text


def pid_and_sum(numbers: Sequence[int]) -> tuple[int, int]:
    return os.getpid(), sum(numbers)


def sum_or_die(numbers: Sequence[int]) -> int:
    if os.getpid() != MAIN_PID:
        os._exit(1)
    return sum(numbers)


def test_one_job_goes_to_a_worker_when_the_work_is_large_and_runs_here_when_small() -> None:
    with worker_pool(2) as workers:
        small = workers.start(pid_and_sum, [1, 2], jobs=MIN_JOBS - 1)
        large = workers.start(pid_and_sum, [1, 2, 3], jobs=MIN_JOBS)
        assert small() == (MAIN_PID, 3)
        pid, total = large()
        assert total == 6 and pid != MAIN_PID


def test_one_job_whose_worker_died_is_done_here(caplog: pytest.LogCaptureFixture) -> None:
    with worker_pool(2) as workers:
        assert workers.start(sum_or_die, [4, 5], jobs=MIN_JOBS)() == 9
    assert "doing its job in the main process" in caplog.text


WARMED = "xml.dom.minidom"  # a module this test process never imports


def warmed_here(numbers: Sequence[int]) -> list[bool]:
    return [WARMED in sys.modules for _ in numbers]


def test_warming_imports_the_module_in_the_workers_and_never_here() -> None:
    assert WARMED not in sys.modules
    with worker_pool(2) as workers:
        executor = workers.executor(MIN_JOBS)
        workers.warm(executor, WARMED)
        assert any(workers.map_chunks(warmed_here, list(range(4 * MIN_JOBS))))
    Workers(1).warm(INLINE, WARMED)  # one core: nothing runs ahead of its need
    assert WARMED not in sys.modules
