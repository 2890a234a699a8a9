"""The terminal report: one line per problem, page failures folded per feed and reason, the summary line."""

from __future__ import annotations

from digest.records import BuildReport, Problem
from digest.report import FOLD_AFTER, problem_lines, summary_line
from digest.store import page_problem


def _timeouts(feed: str, count: int) -> list[Problem]:
    return [
        page_problem(feed, f"https://news.example/{feed}/{n}", "timeout", "no answer in 5 s")
        for n in range(count)
    ]


def test_each_failed_page_gets_a_line_naming_its_feed_page_and_reason() -> None:
    lines = problem_lines(tuple(_timeouts("Harbour", 2)))
    assert lines == [
        "warning: Harbour: timeout: page not fetched: https://news.example/Harbour/0: no answer in 5 s; "
        "the feed's text is used instead",
        "warning: Harbour: timeout: page not fetched: https://news.example/Harbour/1: no answer in 5 s; "
        "the feed's text is used instead",
    ]


def test_many_failed_pages_of_one_feed_are_folded_and_other_feeds_still_show() -> None:
    refused = page_problem("Civic", "https://news.example/c", "refused_address", "10.0.0.1 is private")
    lines = problem_lines((*_timeouts("Harbour", FOLD_AFTER + 7), refused, *_timeouts("Civic", 1)))
    assert len(lines) == FOLD_AFTER + 3
    assert (
        sum(line.startswith("warning: Harbour: timeout: page not fetched: ") for line in lines) == FOLD_AFTER
    )
    assert (
        "warning: Civic: refused_address: page not fetched: https://news.example/c: 10.0.0.1 is private; "
        in ("\n".join(lines))
    )
    assert lines[-1] == "warning: 7 more pages from Harbour failed: timeout"


def test_feed_problems_keep_their_own_fold() -> None:
    bad_items = tuple(
        Problem("Metro", "parse_error", f"item {n} is not an object") for n in range(FOLD_AFTER + 2)
    )
    assert problem_lines(bad_items)[-1] == "warning: Metro: ... and 2 more 'parse_error' problems"


def test_the_summary_counts_a_feed_that_serves_no_feed_as_failing() -> None:
    report = BuildReport(
        feeds_total=3,
        feeds_failed=1,
        problems=(Problem("Garbage", "not_a_feed", "an HTML page, not a feed"),),
        failing_feeds=(Problem("Garbage", "not_a_feed", "failing for 2 d 0 h"),),
    )
    line = summary_line(report)
    assert "feeds: 2 ok, 1 failing" in line
    assert line.endswith("; failing: Garbage (not_a_feed, failing for 2 d 0 h)")
