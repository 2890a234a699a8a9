"""What the operator sees in the terminal: progress on a terminal, one line per problem, a summary,
and with ``--timings`` each stage's time.

Every failing feed gets its own line. Problems of one reason from one place beyond ``FOLD_AFTER``
are folded into a count, so one feed's flood of bad items never hides the other feeds. Article
pages that could not be fetched (the feed's own text stands in for them) are folded per feed and
reason as "12 more pages from <feed> failed: timeout".
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from digest.records import BuildReport, Problem
from digest.store import is_page_problem
from digest.timings import timing_lines

FOLD_AFTER = 5


def problem_lines(problems: tuple[Problem, ...]) -> list[str]:
    """One line per problem; the same reason from the same place folded after ``FOLD_AFTER`` lines."""
    shown: Counter[tuple[str, str, bool]] = Counter()
    lines: list[str] = []
    for problem in problems:
        key = (problem.where, problem.reason, is_page_problem(problem))
        shown[key] += 1
        if shown[key] <= FOLD_AFTER:
            lines.append(f"warning: {problem.line()}")
    for (where, reason, page), count in sorted(shown.items()):
        if count > FOLD_AFTER:
            lines.append(_folded_line(where, reason, page, count - FOLD_AFTER))
    return lines


def _folded_line(where: str, reason: str, page: bool, more: int) -> str:
    if page:
        return f"warning: {more} more page{'s' if more != 1 else ''} from {where} failed: {reason}"
    return f"warning: {where}: ... and {more} more '{reason}' problems"


def summary_line(report: BuildReport) -> str:
    by_reason = Counter(problem.reason for problem in report.problems)
    reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(by_reason.items()))
    return (
        f"built: {report.stories} stories in {report.editions} editions from {report.articles_kept} articles "
        f"({report.articles_excluded} excluded); feeds: {report.feeds_total - report.feeds_failed} ok, "
        f"{report.feeds_failed} failing; {report.entries_new} new items, {report.articles_fetched} pages; "
        f"{report.files_written} files written"
        + (f"; problems: {reasons}" if reasons else "")
        + _failing(report.failing_feeds)
    )


def _failing(feeds: tuple[Problem, ...]) -> str:
    if not feeds:
        return ""
    return "; failing: " + ", ".join(f"{feed.where} ({feed.reason}, {feed.detail})" for feed in feeds)


def print_report(report: BuildReport, stream: TextIO = sys.stderr) -> None:
    for line in problem_lines(report.problems):
        print(line, file=stream)
    print(summary_line(report), file=stream)
    for line in timing_lines(report.stages) if report.stages else []:
        print(line, file=stream)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A rich progress bar on a terminal; nothing at all otherwise."""
    if not enabled:
        yield None
        return
    from rich.progress import Progress  # deferred: rich costs start-up time a quiet rebuild need not pay

    with Progress(transient=True) as bar:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage:>9}", total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield update
