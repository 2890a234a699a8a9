"""Shared fixtures: one loopback server with the sample corpus for the whole session."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.sample.server import SampleServer, write_config

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
NOW_TEXT = "2026-11-22T12:00:00Z"


@pytest.fixture(scope="session")
def sample_server() -> Iterator[SampleServer]:
    with SampleServer(now=NOW) as server:
        yield server


@dataclass(frozen=True)
class Built:
    out: Path
    config: Path
    store: Path
    result: subprocess.CompletedProcess[str]


def build_command(config: Path, out: Path, now: str, *extra: str) -> list[str]:
    """The real command line of one build, as an operator types it."""
    return [
        sys.executable,
        "-m",
        "digest",
        "build",
        "--config",
        str(config),
        "--out",
        str(out),
        "--now",
        now,
        *extra,
    ]


def run_build(workdir: Path, server: SampleServer, *extra: str, now: str = NOW_TEXT) -> Built:
    workdir.mkdir(parents=True, exist_ok=True)
    config, store, out = workdir / "digest.toml", workdir / "store.sqlite", workdir / "site"
    if not config.exists():
        write_config(config, server.base_url, store)
    command = build_command(config, out, now, *extra)
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    return Built(out, config, store, result)


def build_from_farm(
    workdir: Path, feed_urls: list[str], settings: str = ""
) -> subprocess.CompletedProcess[str]:
    """One build of ``feed_urls`` (a farm's, on 127.0.0.1) with the store in ``workdir``; ``settings``
    are TOML lines added to the [fetch] table, then any later tables."""
    config = workdir / "digest.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\nname = "Farm {n}"\n' for n, url in enumerate(feed_urls))
    config.write_text(
        f"[fetch]\nallow_private_hosts = true\ntimeout_s = 20.0\n{settings}\n\n"
        f'[store]\npath = "{workdir / "s.sqlite"}"\n\n{feeds}',
        encoding="utf-8",
    )
    command = build_command(config, workdir / "site", NOW_TEXT)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory, sample_server: SampleServer) -> Built:
    """The sample corpus built once at the fixed clock; read-only for the tests that share it."""
    built = run_build(tmp_path_factory.mktemp("demo"), sample_server)
    assert built.result.returncode == 0, built.result.stderr
    return built
