"""Worker processes for the CPU-bound stages: feed parsing, page extraction, relevance, cluster
traits, stories, sections, and the rendering of pages, feeds, Markdown and e-mail.

One pool per build, started when first needed: with enough feeds, before they are fetched; else for
the pages, or to render a large site. It is forked, so it starts before any fetch thread exists (a
fork copies only the thread that called it). Work goes out in chunks and comes back in the order it
went, so a build's output never depends on which worker was faster. A worker that dies (out of
memory, killed) costs its chunk being done again in this process.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")

MIN_JOBS = 24  # fewer jobs are done faster in this process than by starting workers
CHUNKS_PER_WORKER = 4  # enough chunks that one slow chunk does not leave a core idle


class InlineExecutor(Executor):
    """Runs each job at once in this process: for one core, or too few jobs to pay for processes."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


INLINE = InlineExecutor()


class Workers:
    """The build's worker processes (``count`` of them), started on first use."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None

    def executor(self, jobs: int) -> Executor:
        """Where ``jobs`` jobs are best run: the pool, or this process when they are too few."""
        if self.count <= 1 or jobs < MIN_JOBS:
            return INLINE
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.count)
            for ready in [self._pool.submit(int) for _ in range(self.count)]:
                ready.result()  # every worker forked now, not later from a thread
        return self._pool

    def start_few(
        self, work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item]
    ) -> Callable[[], list[Result]]:
        """``start_chunks`` with fewer, larger chunks: for work whose every chunk costs much to send."""
        return self.start_chunks(work, items, per_worker=3)

    def start_chunks(
        self,
        work: Callable[[Sequence[Item]], list[Result]],
        items: Sequence[Item],
        per_worker: int = CHUNKS_PER_WORKER,
    ) -> Callable[[], list[Result]]:
        """Start ``work`` on chunks of ``items``; the function returned waits for the results, in order."""
        executor = self.executor(len(items))
        if executor is INLINE:
            return lambda: work(items)
        size = math.ceil(len(items) / (self.count * per_worker))
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        futures = [self.submit(executor, work, chunk) for chunk in chunks]

        def results() -> list[Result]:
            done: list[Result] = []
            for chunk, future in zip(chunks, futures, strict=True):
                done += done_or_again(future, work, chunk)
            return done

        return results

    def start(self, fn: Callable[..., T], /, *args: Any, jobs: int) -> Callable[[], T]:
        """``fn(*args)`` in a worker when work the size of ``jobs`` jobs is worth one; the function
        returned waits for the result (a worker that died costs doing it here)."""
        executor = self.executor(jobs)
        if executor is INLINE:
            return lambda: fn(*args)
        future = self.submit(executor, fn, *args)

        def result() -> T:
            try:
                return future.result()
            except BrokenProcessPool as exc:
                log.warning("a worker process died (%s); doing its job in the main process", exc)
                return fn(*args)

        return result

    def submit(self, executor: Executor, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        """``executor.submit``; once the pool is broken, every later job runs in this process."""
        try:
            return executor.submit(fn, *args)
        except BrokenProcessPool as exc:
            log.warning("the worker processes are gone (%s); going on in the main process", exc)
            self.count = 1
            return INLINE.submit(fn, *args)

    def warm(self, executor: Executor, warm_up: Callable[[], object]) -> None:
        """Have each worker call ``warm_up`` now, while it would otherwise wait (for the feeds to
        download), rather than pay for what it loads in its first job of the next stage. Best effort:
        a worker that misses its share loads the same in that job."""
        if executor is self._pool:
            for _ in range(self.count):
                self.submit(executor, warm_up)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


class Grouped(Future[Result]):
    """One item's result, worked out in a job with others: waiting for it first sends its job off
    if the job still waits for more items, so no caller waits on a job never sent."""

    def __init__(self, groups: Groups[Any, Result]) -> None:
        super().__init__()
        self._groups = groups

    def result(self, timeout: float | None = None) -> Result:
        self._groups.send()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        self._groups.send()
        return super().exception(timeout)


class Groups(Generic[Item, Result]):
    """Items sent to the workers ``size`` at a time, each with a future of its own. Most of what a
    job costs this process to send and take back (the pool's threads and queues) does not grow with
    what it holds, so items that come one at a time (pages as they download) go out in small groups.
    Safe to add to from several threads; ``send`` sends the items waiting now."""

    def __init__(
        self,
        workers: Workers,
        executor: Executor,
        work: Callable[[Sequence[Item]], list[Result]],
        size: int,
    ) -> None:
        self._workers, self._executor, self._work, self._size = workers, executor, work, size
        self._lock = threading.Lock()
        self._waiting: list[tuple[Item, Grouped[Result]]] = []

    def add(self, item: Item) -> Future[Result]:
        future: Grouped[Result] = Grouped(self)
        with self._lock:
            self._waiting.append((item, future))
            full = len(self._waiting) >= self._size
        if full:
            self.send()
        return future

    def send(self) -> None:
        with self._lock:
            group, self._waiting = self._waiting, []
        if group:
            job = self._workers.submit(self._executor, self._work, [item for item, _ in group])
            job.add_done_callback(lambda done: _settle([future for _, future in group], done))


def _settle(futures: Sequence[Future[Result]], job: Future[list[Result]]) -> None:
    """Each item's future from its job's: its own result, or the job's exception."""
    if job.cancelled():
        for future in futures:
            future.cancel()
        return
    error = job.exception()
    if error is not None:
        for future in futures:
            future.set_exception(error)
        return
    for future, result in zip(futures, job.result(), strict=True):
        future.set_result(result)


def done_or_again(
    future: Future[list[Result]], work: Callable[[Sequence[Item]], list[Result]], chunk: Sequence[Item]
) -> list[Result]:
    try:
        return future.result()
    except BrokenProcessPool as exc:
        log.warning("a worker process died (%s); doing its %d jobs in the main process", exc, len(chunk))
        return work(chunk)


@contextmanager
def worker_pool(count: int) -> Iterator[Workers]:
    workers = Workers(count)
    try:
        yield workers
    finally:
        workers.close()
