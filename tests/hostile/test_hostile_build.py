"""The hostile corpus through the real ``python -m digest build``, one build per case and one of them all.

``cases/*.toml`` are served on 127.0.0.1 by ``server.py``. Each case is built on its own (own store,
own output folder; the feed is named after the case, so every warning line names it) and checked for
what its ``[expect]`` table says, and for what no case may ever do: a traceback, a failed build, an
executable construct in any output, the planted marker inside a tag, a request to the forbidden
listener. A build of all cases at once measures peak memory under the bombs (``wait4`` rusage).
"""

from __future__ import annotations

import html
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from digest.report import FOLD_AFTER
from tests.conftest import NOW_TEXT, build_command
from tests.hostile import safety
from tests.hostile.server import Case, HostileServer, load_cases, serve

CASES = load_cases()
CASE_IDS = [case.id for case in CASES]
BY_ID = {case.id: case for case in CASES}
PARALLEL_BUILDS = 4
BUILD_LIMIT_S = 240.0
MEMORY_LIMIT_MB = 600
# Names, never requested: XML namespaces, the JSON Feed version, and the local files an XXE case names.
NOT_FETCHED = (
    "http://www.w3.org/",
    "http://purl.org/rss/",
    "http://purl.org/dc/",
    "https://jsonfeed.org/version/",
    "file:///etc/",
)


@dataclass(frozen=True)
class CaseBuild:
    out: Path
    returncode: int
    stderr: str
    seconds: float
    max_rss_mb: float


@pytest.fixture(scope="module")
def corpus() -> Iterator[HostileServer]:
    with serve(CASES) as server:
        yield server


def write_config(path: Path, server: HostileServer, cases: list[Case]) -> None:
    fetch: dict[str, Any] = {"timeout_s": 5.0, "concurrency": 8}
    for case in cases:
        fetch.update(case.fetch_overrides)
    lines = ["[site]", 'title = "Hostile corpus"', "", "[fetch]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in fetch.items()]
    lines += [
        f'allow_private_hosts = ["{server.host_port}"]',
        "",
        "[build]",
        "budget_s = 180.0",
        "workers = 1",
    ]
    lines += ["", "[store]", f"path = {json.dumps(str(path.parent / 'store.sqlite'))}"]
    for case in cases:
        lines += [
            "",
            "[[feeds]]",
            f"url = {json.dumps(server.feed_url(case.id))}",
            f"name = {json.dumps(case.id)}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_measured(command: list[str], workdir: Path) -> tuple[int, str, float, float]:
    """Run ``command``; (exit code, stderr, seconds, peak RSS in MB of it and its children)."""
    started = time.monotonic()
    with open(workdir / "stderr.txt", "wb") as errors:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > BUILD_LIMIT_S:
                process.send_signal(signal.SIGKILL)
            time.sleep(0.02)
    process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait for it again
    stderr = (workdir / "stderr.txt").read_text(encoding="utf-8", errors="replace")
    return process.returncode, stderr, time.monotonic() - started, usage.ru_maxrss / 1024


def build(workdir: Path, server: HostileServer, cases: list[Case]) -> CaseBuild:
    workdir.mkdir(parents=True, exist_ok=True)
    config, out = workdir / "digest.toml", workdir / "site"
    write_config(config, server, cases)
    command = build_command(config, out, NOW_TEXT)
    code, stderr, seconds, rss = run_measured(command, workdir)
    return CaseBuild(out, code, stderr, seconds, rss)


@pytest.fixture(scope="module")
def builds(corpus: HostileServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseBuild]:
    root = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(PARALLEL_BUILDS) as pool:
        futures = {case.id: pool.submit(build, root / case.id, corpus, [case]) for case in CASES}
        return {case_id: future.result() for case_id, future in futures.items()}


# --- what every case must do --------------------------------------------------------------------


def test_the_corpus_is_big_enough_and_local() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        text = case.path.read_text(encoding="utf-8")
        for url in re.findall(r"\b(?:https?|ftp|file)://[^\s\"'<>]*", text):
            assert url.startswith(NOT_FETCHED), (
                f"{case.id}: a URL that is not {{base}} or {{forbidden}}: {url}"
            )


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_build_finishes_and_reports(case_id: str, builds: dict[str, CaseBuild]) -> None:
    case, built = BY_ID[case_id], builds[case_id]
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr, built.stderr
    assert re.search(r"^built: ", built.stderr, re.M), built.stderr
    assert (built.out / "index.html").is_file() and (built.out / ".digest-site").is_file()
    for reason in case.expect.get("reported", []):
        assert re.search(rf"^warning: {re.escape(case_id)}: {reason}: ", built.stderr, re.M), built.stderr
    for reason in case.expect.get("not_reported", []):
        assert not re.search(rf"^warning: {re.escape(case_id)}: {reason}: ", built.stderr, re.M), built.stderr
    assert built.seconds < case.expect.get("max_seconds", BUILD_LIMIT_S), built.seconds


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_no_output_carries_a_payload(
    case_id: str, builds: dict[str, CaseBuild], corpus: HostileServer
) -> None:
    case, built = BY_ID[case_id], builds[case_id]
    assert safety.tree_findings(built.out) == {}
    assert safety.marker_in_tags(built.out, case.marker) == []
    assert corpus.forbidden_hits == [], "a request reached the forbidden listener"
    site_text = readable_text(built.out)
    for text in case.expect.get("absent", []):
        assert text not in site_text, f"{text!r} reached the output"


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_stories_and_visible_text(case_id: str, builds: dict[str, CaseBuild]) -> None:
    case, built = BY_ID[case_id], builds[case_id]
    items = json.loads((built.out / "feed.json").read_bytes())["items"]
    assert case.expect.get("stories_min", 0) <= len(items) <= case.expect.get("stories_max", 1000), items
    shown = readable_text(built.out)
    for text in case.expect.get("visible", []):
        assert text in shown, f"{text!r} is not shown anywhere"
    limit = case.expect.get("max_title_chars")
    if limit:
        assert all(len(item["title"]) <= limit for item in items), [len(item["title"]) for item in items]
    for item in items:
        assert item["date_published"] <= NOW_TEXT, item["date_published"]


@pytest.mark.parametrize("case_id", [case.id for case in CASES if case.expect.get("failing")])
def test_failing_feed_is_on_the_status_page(case_id: str, builds: dict[str, CaseBuild]) -> None:
    case, built = BY_ID[case_id], builds[case_id]
    status = html.unescape((built.out / "status.html").read_text(encoding="utf-8"))
    row = re.search(r'<tr class="failing">(.*?)</tr>', status, re.S)
    assert row and case_id in row.group(1), status
    assert "(under an hour)" in row.group(1), row.group(1)  # how long it has been failing
    for reason in case.expect.get("reported", []):
        assert reason in row.group(1) or any(
            v in row.group(1) for v in case.expect.get("visible_status", [])
        ), row
    for text in case.expect.get("visible_status", []):
        assert text in row.group(1), row.group(1)
    assert re.search(r"feeds: 0 ok, 1 failing", built.stderr), built.stderr
    summary = re.search(
        rf"; failing: {re.escape(case_id)} \((\w+), failing for under an hour\)$", built.stderr, re.M
    )
    assert summary and summary.group(1) in case.expect.get("reported", []), built.stderr


@pytest.mark.parametrize("case_id", [case.id for case in CASES if case.expect.get("pages_failed")])
def test_failed_pages_are_reported_and_listed(
    case_id: str, builds: dict[str, CaseBuild], corpus: HostileServer
) -> None:
    case, built = BY_ID[case_id], builds[case_id]
    row = _status_row(built.out, case_id)
    for reason, count in case.expect["pages_failed"].items():
        pattern = rf"^warning: {re.escape(case_id)}: {reason}: page not fetched: {re.escape(corpus.case_base(case_id))}/\S+: "
        named = re.findall(pattern, built.stderr, re.M)
        folded = re.findall(
            rf"^warning: (\d+) more pages? from {re.escape(case_id)} failed: {reason}$", built.stderr, re.M
        )
        assert len(named) == min(count, FOLD_AFTER), built.stderr
        assert len(named) + sum(int(more) for more in folded) == count, built.stderr
        assert f"({reason})" in row, row
    total = sum(case.expect["pages_failed"].values())
    assert f"{total} page{'s' if total != 1 else ''} not fetched" in row, row
    assert re.search(r"feeds: 1 ok, 0 failing", built.stderr), built.stderr


def test_redirect_loop_is_not_followed_endlessly(builds: dict[str, CaseBuild], corpus: HostileServer) -> None:
    assert builds["redirect-loop"].returncode == 0
    hits = [path for case_id, path in corpus.requests if case_id == "redirect-loop"]
    assert 1 <= len(hits) <= BY_ID["redirect-loop"].expect["max_requests"], hits


def test_all_cases_in_one_build_stay_bounded(corpus: HostileServer, tmp_path: Path) -> None:
    """Every case in one config: the bombs, the drip and the hang together; memory measured."""
    built = build(tmp_path, corpus, CASES)
    assert built.returncode == 0, built.stderr
    assert "Traceback" not in built.stderr
    assert built.max_rss_mb < MEMORY_LIMIT_MB, f"peak RSS {built.max_rss_mb:.0f} MB"
    assert safety.tree_findings(built.out) == {}
    for case in CASES:
        assert safety.marker_in_tags(built.out, case.marker) == [], case.id
    assert corpus.forbidden_hits == []
    print(f"all {len(CASES)} cases in one build: {built.seconds:.1f} s, peak RSS {built.max_rss_mb:.0f} MB")


# --- helpers ---------------------------------------------------------------------------------------


def _status_row(out: Path, feed_name: str) -> str:
    """The text of the feed's row in the status page's feed table."""
    status = html.unescape((out / "status.html").read_text(encoding="utf-8"))
    status = status.split('<section aria-labelledby="excluded">', 1)[0]
    rows = [str(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", status, re.S) if feed_name in row]
    assert len(rows) == 1, status
    return rows[0]


def readable_text(out: Path) -> str:
    """Everything a reader or a program could get out of the site: raw, HTML-unescaped and JSON-decoded."""
    parts: list[str] = []
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.suffix not in safety.TEXT_SUFFIXES:
            continue
        raw = path.read_text(encoding="utf-8", errors="replace")
        parts += [raw, html.unescape(raw)]
        if path.suffix == ".eml":
            parts += [
                text
                for decoded in safety.eml_texts(path.read_bytes())
                for text in (decoded, html.unescape(decoded))
            ]
        if path.suffix == ".json":
            parts.append(json.dumps(json.loads(raw), ensure_ascii=False))
    return "\n".join(parts)
