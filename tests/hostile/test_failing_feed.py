"""Point 8: a failing feed is visible, with its reason and how long it has been failing.

The sample corpus has one feed that always answers HTTP 500. Built once, then again three days later
(by the clock passed in), the status page and the build's summary line must both name it, give the
reason, and say it has been failing for three days.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from digest.sample.server import BROKEN_FEED_NAME, SampleServer
from tests.conftest import NOW_TEXT, run_build

THREE_DAYS_LATER = "2026-11-25T12:00:00Z"


def test_failing_feed_shows_reason_and_duration(tmp_path: Path, sample_server: SampleServer) -> None:
    first = run_build(tmp_path, sample_server, now=NOW_TEXT)
    assert first.result.returncode == 0, first.result.stderr
    later = run_build(tmp_path, sample_server, now=THREE_DAYS_LATER)
    assert later.result.returncode == 0, later.result.stderr

    summary = [line for line in later.result.stderr.splitlines() if line.startswith("built: ")]
    assert len(summary) == 1, later.result.stderr
    assert re.search(rf"{BROKEN_FEED_NAME} \(http_status, failing for 3 d", summary[0]), summary[0]
    assert re.search(rf"^warning: {BROKEN_FEED_NAME}: http_status: .*500", later.result.stderr, re.M)

    status = html.unescape((later.out / "status.html").read_text(encoding="utf-8"))
    row = re.search(r'<tr class="failing">(.*?)</tr>', status, re.S)
    assert row is not None, status
    assert BROKEN_FEED_NAME in row.group(1) and "500" in row.group(1), row.group(1)
    assert "3 days" in row.group(1), row.group(1)
    assert "22 November 2026" in row.group(1), row.group(1)  # failing since the first build
