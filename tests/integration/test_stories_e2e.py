"""The editorial result of a real build of the sample corpus, checked story by story against the labels.

The evaluation (``make eval``) pools figures over the labelled set; these tests hold the sample
stories themselves to the labels through the whole program (HTTP, extraction, clustering, quotes):
one story per labelled event with every outlet that covered it, and every quote a reader sees
under the person the labels name for it.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from digest import text
from tests.conftest import Built

LABELS = Path(__file__).parents[1] / "eval"
NAME_SIMILARITY = 0.9  # "Aoife Brenan" / "Aoife Brennan" is 0.96; different people score far lower


def _labels() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(LABELS.glob("labels_*.toml")):
        for label in tomllib.loads(path.read_text(encoding="utf-8"))["article"]:
            found[label["id"]] = label
    return found


def _article_id(url: str) -> str:
    """Sample URLs end in the article's file name, with or without an extension or a slash."""
    return re.sub(r"\.html$", "", url.rstrip("/").rsplit("/", 1)[1])


def _items(built: Built) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((built.out / "feed.json").read_text())["items"]
    return items


def _same_person(shown: str, labelled: str) -> bool:
    """Spellings of one name in one story are merged ("Brenan" and "Brennan"): a near match is the same."""
    return SequenceMatcher(None, shown.lower(), labelled.lower()).ratio() >= NAME_SIMILARITY


def _folded(quote: str) -> str:
    return text.normalise_space(text.fold_quotes(quote)).lower()


def test_each_labelled_event_is_one_story_with_every_outlet(demo_build: Built) -> None:
    labels = _labels()
    expected: dict[str, set[str]] = defaultdict(set)
    for article_id, label in labels.items():
        if label.get("on_topic") and label.get("story"):
            expected[label["story"]].add(article_id)
    shown = [
        {_article_id(url) for s in item["_digest"]["sources"] for url in (s["url"], *s.get("copies", []))}
        for item in _items(demo_build)
    ]
    for sources in shown:
        events = {labels[a].get("story") for a in sources if a in labels}
        assert len(events) == 1, f"one story mixes events {events}: {sorted(sources)}"
    for event, articles in expected.items():
        holding = [sources for sources in shown if sources & articles]
        assert len(holding) == 1, f"{event} is split over {len(holding)} stories"
        assert holding[0] == articles, f"{event}: shows {sorted(holding[0])}, labelled {sorted(articles)}"


def test_every_quote_shown_is_under_the_person_the_labels_name(demo_build: Built) -> None:
    """A labelled quote is under its labelled speaker; any other fragment shown (the second half of
    an interrupted quotation) is under one of the story's labelled speakers."""
    labels = _labels()
    checked = 0
    for item in _items(demo_build):
        wanted: dict[str, set[str]] = defaultdict(set)  # one quote may be labelled in several outlets
        for source in item["_digest"]["sources"]:
            for quote in labels.get(_article_id(source["url"]), {}).get("quotes", []):
                wanted[_folded(quote["starts"])].add(quote["speaker"])
        for quote in item["_digest"]["quotes"]:
            assert quote["speaker"].strip(), "a quote with no speaker"
            opening = _folded(quote["text"])
            speakers = {
                name for start, names in wanted.items() if opening.startswith(start) for name in names
            }
            allowed = speakers or {name for names in wanted.values() for name in names}
            assert any(_same_person(quote["speaker"], name) for name in allowed), (quote, allowed)
            checked += bool(speakers)
    assert checked >= 20, "too few labelled quotes reached the feed to mean anything"


def test_the_story_an_outlet_credits_names_that_outlet_first(demo_build: Built) -> None:
    credited = [item for item in _items(demo_build) if item["_digest"].get("first_reported_by")]
    assert credited, "the sample has stories that credit another outlet"
    for item in credited:
        outlet = item["_digest"]["first_reported_by"]
        outlets = [s["source"] for s in item["_digest"]["sources"]]
        if outlet in outlets:
            assert outlets[0] == outlet, f"{item['title']}: credited {outlet} does not lead {outlets}"
