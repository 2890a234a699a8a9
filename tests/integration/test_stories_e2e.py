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
from collections import Counter, defaultdict
from datetime import timedelta
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from digest import text
from digest.sample.corpus import Corpus, load_corpus
from digest.sample.server import SampleServer, write_config
from tests.conftest import NOW, Built, run_build

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
    _assert_one_story_per_event(demo_build)


def _assert_one_story_per_event(built: Built) -> None:
    labels = _labels()
    expected: dict[str, set[str]] = defaultdict(set)
    for article_id, label in labels.items():
        if label.get("on_topic") and label.get("story"):
            expected[label["story"]].add(article_id)
    shown = [
        {_article_id(url) for s in item["_digest"]["sources"] for url in (s["url"], *s.get("copies", []))}
        for item in _items(built)
    ]
    for sources in shown:
        events = {labels[a].get("story") for a in sources if a in labels}
        assert len(events) == 1, f"one story mixes events {events}: {sorted(sources)}"
    for event, articles in expected.items():
        holding = [sources for sources in shown if sources & articles]
        assert len(holding) == 1, f"{event} is split over {len(holding)} stories"
        assert holding[0] == articles, f"{event}: shows {sorted(holding[0])}, labelled {sorted(articles)}"


def test_coverage_from_a_feed_added_later_joins_the_stories_already_shown(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    """A build keeps the stories of the last one unless something new lies near them in time. An
    outlet added nine days later brings its back issues: each joins the story already shown for its
    event (which keeps its id), rather than starting a second story beside it."""
    corpus = load_corpus()
    late = _outlet_in_most_shared_events(corpus)
    without = Corpus(tuple(o for o in corpus.outlets if o.id != late), corpus.articles)
    write_config(tmp_path / "digest.toml", sample_server.base_url, tmp_path / "store.sqlite", corpus=without)
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    first_ids = {item["id"] for item in _items(first)}

    write_config(tmp_path / "digest.toml", sample_server.base_url, tmp_path / "store.sqlite")
    later = run_build(tmp_path, sample_server, now=(NOW + timedelta(days=9)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert later.result.returncode == 0, later.result.stderr
    _assert_one_story_per_event(later)
    assert first_ids <= {item["id"] for item in _items(later)}


def _outlet_in_most_shared_events(corpus: Corpus) -> str:
    """The outlet with an article in the most labelled events that other outlets covered too."""
    outlet_of = {article.id: article.outlet for article in corpus.articles}
    outlets: dict[str, set[str]] = defaultdict(set)
    for article_id, label in _labels().items():
        if label.get("on_topic") and label.get("story") and article_id in outlet_of:
            outlets[label["story"]].add(outlet_of[article_id])
    shared = Counter(outlet for members in outlets.values() if len(members) > 1 for outlet in members)
    return min(shared, key=lambda outlet: (-shared[outlet], outlet))


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
