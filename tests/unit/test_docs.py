"""Docs and help are tested: every command has --help, every config key is in the README."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from digest import config
from digest.cli import make_parser

README = (Path(__file__).parents[2] / "README.md").read_text()


def _commands() -> list[str]:
    parser = make_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(actions[0].choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "digest", command, "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "usage:" in result.stdout, result.stderr
    assert f"python -m digest {command}" in README or f"digest {command}" in README, command


@pytest.mark.parametrize(
    ("table", "cls"),
    [
        ("site", config.SiteConfig),
        ("fetch", config.FetchConfig),
        ("store", config.StoreConfig),
        ("build", config.BuildConfig),
        ("editions", config.EditionsConfig),
        ("email", config.EmailConfig),
    ],
)
def test_every_config_key_is_documented(table: str, cls: type) -> None:
    assert f"[{table}]" in README, table
    missing = [f.name for f in dataclasses.fields(cls) if f"`{f.name}`" not in README]
    assert not missing, f"[{table}] keys missing from README.md: {missing}"
