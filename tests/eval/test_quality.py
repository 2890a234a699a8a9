"""The editorial quality gate: every figure of ``run_eval.py`` must stay at or above its floor.

Floors live in ``floors.toml`` beside this file; faithfulness 1.0 and zero boilerplate leakage are hard.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.eval import run_eval

FLOORS = tomllib.loads((Path(__file__).parent / "floors.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    return run_eval.measure()


@pytest.mark.parametrize("name", sorted(FLOORS["min"]))
def test_figure_is_at_or_above_its_floor(figures: dict[str, float], name: str) -> None:
    assert figures[name] >= FLOORS["min"][name], f"{name} = {figures[name]:.3f} < floor {FLOORS['min'][name]}"


@pytest.mark.parametrize("name", sorted(FLOORS["max"]))
def test_figure_is_at_or_below_its_ceiling(figures: dict[str, float], name: str) -> None:
    assert figures[name] <= FLOORS["max"][name], f"{name} = {figures[name]:.0f} > {FLOORS['max'][name]}"


def test_every_sample_article_is_labelled() -> None:
    labelled = {sample.article.id for sample in run_eval.load_samples()}
    stems = {path.stem for path in run_eval.ARTICLES.glob("*.toml")}
    assert stems <= labelled, f"unlabelled sample articles: {sorted(stems - labelled)}"


def test_there_are_at_least_thirty_hand_written_cases() -> None:
    cases = sum(len(run_eval.load_cases(name)) for name in ("relevance", "quotes", "tags"))
    assert cases + len(run_eval.load_cases("cluster", "pair")) >= 30
