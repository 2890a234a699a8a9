"""The build's worker processes: results in order, small jobs in-process, a dead worker's chunk redone."""

import importlib
import os
import sys
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool

import pytest

from digest.workers import INLINE, MIN_JOBS, Groups, Workers, worker_pool

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
        results = workers.start_chunks(squares, numbers)()
    assert [square for square, _ in results] == [n * n for n in numbers]
    assert MAIN_PID not in {pid for _, pid in results}


def test_too_few_jobs_or_one_worker_run_in_this_process() -> None:
    with worker_pool(2) as workers:
        assert workers.executor(MIN_JOBS - 1) is INLINE
        assert {pid for _, pid in workers.start_chunks(squares, [1, 2, 3])()} == {MAIN_PID}
    assert Workers(1).executor(1000) is INLINE


def test_the_chunk_of_a_worker_that_died_is_done_in_this_process(caplog: pytest.LogCaptureFixture) -> None:
    numbers = list(range(100))
    with worker_pool(2) as workers:
        assert workers.start_chunks(dies_in_a_worker, numbers)() == [n + 1 for n in numbers]
        assert "worker process died" in caplog.text
        assert workers.start_chunks(dies_in_a_worker, numbers)() == [
            n + 1 for n in numbers
        ]  # pool gone: inline
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


def import_warmed() -> None:
    importlib.import_module(WARMED)


def warmed_here(numbers: Sequence[int]) -> list[bool]:
    return [WARMED in sys.modules for _ in numbers]


def test_warming_runs_in_the_workers_and_never_here() -> None:
    assert WARMED not in sys.modules
    with worker_pool(2) as workers:
        executor = workers.executor(MIN_JOBS)
        workers.warm(executor, import_warmed)
        assert any(workers.start_chunks(warmed_here, list(range(4 * MIN_JOBS)))())
    Workers(1).warm(INLINE, import_warmed)  # one core: nothing runs ahead of its need
    assert WARMED not in sys.modules


def squares_and_job(numbers: Sequence[int]) -> list[tuple[int, int, tuple[int, ...]]]:
    """Each number's square, the process that worked it out and the numbers its job held."""
    return [(n * n, os.getpid(), tuple(numbers)) for n in numbers]


def test_items_go_out_in_groups_each_with_its_own_result() -> None:
    with worker_pool(2) as workers:
        groups = Groups(workers, workers.executor(MIN_JOBS), squares_and_job, 4)
        futures = [groups.add(n) for n in range(10)]
        results = [future.result() for future in futures]
    assert [square for square, _, _ in results] == [n * n for n in range(10)]
    assert [job for _, _, job in results] == [(0, 1, 2, 3)] * 4 + [(4, 5, 6, 7)] * 4 + [(8, 9)] * 2
    assert MAIN_PID not in {pid for _, pid, _ in results}


def test_waiting_for_an_item_sends_its_group_before_it_is_full() -> None:
    groups = Groups(Workers(1), INLINE, squares_and_job, 4)
    first, second = groups.add(3), groups.add(5)
    assert not first.done() and not second.done()  # the group waits for more items
    assert second.result() == (25, MAIN_PID, (3, 5)) and first.done()
    third = groups.add(6)
    assert third.exception() is None and third.result()[2] == (6,)  # asking for its error sends it too


def test_every_item_of_a_failed_job_fails_with_its_error() -> None:
    groups = Groups(Workers(1), INLINE, fails_on_seven, 3)
    futures = [groups.add(n) for n in (1, 7, 2, 3)]
    groups.send()
    for future in futures[:3]:
        with pytest.raises(ValueError, match="seven"):
            future.result()
    assert futures[3].result() == 4


def fails_on_seven(numbers: Sequence[int]) -> list[int]:
    if 7 in numbers:
        raise ValueError("seven")
    return [n + 1 for n in numbers]


def test_the_group_of_a_worker_that_died_fails_as_a_broken_pool(caplog: pytest.LogCaptureFixture) -> None:
    # the pipeline then extracts each of its pages in the main process (pipeline.page_of)
    with worker_pool(2) as workers:
        groups = Groups(workers, workers.executor(MIN_JOBS), dies_in_a_worker, 2)
        futures = [groups.add(n) for n in (6, 7)]
        with pytest.raises(BrokenProcessPool):
            futures[0].result()
        with pytest.raises(BrokenProcessPool):
            futures[1].result()
