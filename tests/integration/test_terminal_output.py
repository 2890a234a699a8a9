"""What a build prints: a progress bar on a terminal, nothing of it in a log file, debug lines with -v."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digest.sample.server import SampleServer, write_config
from tests.bench.run import stage_times
from tests.conftest import NOW_TEXT, build_command

READ_LIMIT_S = 240.0


def _command(workdir: Path, server: SampleServer, *extra: str) -> list[str]:
    workdir.mkdir(parents=True, exist_ok=True)
    write_config(workdir / "digest.toml", server.base_url, workdir / "store.sqlite")
    return build_command(workdir / "digest.toml", workdir / "site", NOW_TEXT, *extra)


def _run_on_a_terminal(command: list[str]) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal, as a person at a shell would see it."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + READ_LIMIT_S
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1.0)
        if not ready:
            if process.poll() is not None:
                break
            continue
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the follower side closed: the process is gone
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar_and_a_pipe_does_not(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    code, shown = _run_on_a_terminal(_command(tmp_path / "tty", sample_server))
    assert code == 0, shown
    assert "articles" in shown and "%" in shown, shown[-2000:]  # rich draws the stage and its percentage
    assert "\x1b[" in shown  # drawn with terminal control sequences

    piped = subprocess.run(
        _command(tmp_path / "pipe", sample_server), capture_output=True, text=True, timeout=600, check=False
    )
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stderr and "%" not in piped.stderr
    assert "built:" in piped.stderr  # the summary line is always there


def test_verbose_gives_debug_logging(tmp_path: Path, sample_server: SampleServer) -> None:
    quiet = subprocess.run(
        _command(tmp_path / "quiet", sample_server), capture_output=True, text=True, timeout=600, check=False
    )
    verbose = subprocess.run(
        _command(tmp_path / "verbose", sample_server, "-v"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert quiet.returncode == verbose.returncode == 0
    assert "DEBUG" not in quiet.stderr
    assert "DEBUG digest." in verbose.stderr


def test_the_console_script_is_the_same_program() -> None:
    script = Path(sys.executable).with_name("digest")
    assert script.is_file(), "pip install -e . installs the console script beside the interpreter"
    via_script = subprocess.run([str(script), "build", "--help"], capture_output=True, text=True, timeout=60)
    via_module = subprocess.run(
        [sys.executable, "-m", "digest", "build", "--help"], capture_output=True, text=True, timeout=60
    )
    assert via_script.returncode == via_module.returncode == 0
    assert via_script.stdout == via_module.stdout and "--now" in via_script.stdout


STAGES = [
    "start-up",
    "feeds and pages",
    "relevance",
    "clustering and stories",
    "editions",
    "render and publish",
]


def test_timings_name_every_stage_and_account_for_the_builds_cpu(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            _command(tmp_path / "timed", sample_server, "--timings"), stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)  # the build's CPU, its reaped workers' included
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        shown = stderr.read().decode()
    assert process.returncode == 0, shown
    stages = stage_times(shown)
    assert list(stages) == STAGES and "\ntotal " in shown, shown
    assert sum(stage["wall_s"] for stage in stages.values()) > 0
    assert stages["feeds and pages"]["workers_cpu_s"] > 0  # the workers' extraction, read while they live on
    counted = sum(stage["cpu_s"] for stage in stages.values())  # this process's and the workers'
    measured = usage.ru_utime + usage.ru_stime
    # What the table misses is the process's exit after the last stage; it never counts a second twice.
    assert measured - 0.3 <= counted <= measured + 0.05, (counted, measured)

    quiet = subprocess.run(
        _command(tmp_path / "untimed", sample_server),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert quiet.returncode == 0 and stage_times(quiet.stderr) == {}
