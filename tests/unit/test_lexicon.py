"""The editorial lexicons load, validate every problem at once, and match as documented."""

import pytest

from digest import lexicon
from digest.errors import ConfigError


def test_bundled_lexicons_load() -> None:
    assert {c.name for c in lexicon.taxonomy().harms} >= {"harassment", "sextortion", "doxxing"}
    assert any(o.name == "X (Twitter)" for o in lexicon.organisations())
    assert any(p.name == "Scotland" and p.parent == "United Kingdom" for p in lexicon.places())


def test_term_syntax_star_and_hyphen() -> None:
    pattern = lexicon.compile_terms(["intimate image*", "dox"])
    assert pattern is not None
    assert pattern.search("sharing intimate-images of her")
    assert pattern.search("they would dox him")
    assert not pattern.search("a doxology was sung")


def test_every_taxonomy_problem_is_reported_together() -> None:
    raw = {
        "harms": [{"name": "x", "weight": "heavy", "terms": []}],
        "responses": [{"name": "y", "weight": 1, "terms": ["law"], "colour": "red"}],
        "online": {"terms": ["online"]},
        "text": {"weak_starts": ["he"]},
        "people": {"speech_verbs": ["said"]},
        "thresholds": {"min_harm": 1, "min_response": 1, "min_tag": 1, "off_topic_factor": 1},
        "mystery": {},
    }
    with pytest.raises(ConfigError) as caught:
        lexicon.parse_taxonomy(raw, "t.toml")
    problems = " | ".join(caught.value.problems)
    assert "harms[0].weight" in problems
    assert "harms[0].terms: must not be empty" in problems
    assert "responses[0].colour: unknown key" in problems
    assert "mystery: unknown key" in problems


def test_an_organisation_must_name_a_known_place() -> None:
    raw = {
        "organisations": [{"name": "A", "kind": "police", "terms": ["A Police"], "jurisdiction": "Atlantis"}]
    }
    with pytest.raises(ConfigError, match="Atlantis"):
        lexicon.parse_organisations(raw, ["France"])


def test_twitter_and_x_are_one_organisation_and_x_needs_context() -> None:
    named = lambda content: [o.name for o in lexicon.named_organisations(content)]  # noqa: E731
    assert named("She posted on X about it.") == ["X (Twitter)"]
    assert named("Twitter said it would act.") == ["X (Twitter)"]
    assert "X (Twitter)" not in named("Mr X said nothing to Person X.")


def test_a_star_may_only_end_a_term() -> None:
    raw = {
        "harms": [{"name": "x", "weight": 1, "terms": ["sexually exploit* children", "exploit*"]}],
        "responses": [{"name": "y", "weight": 1, "terms": ["law"]}],
        "online": {"terms": ["online"]},
        "text": {"weak_starts": ["he"]},
        "people": {"speech_verbs": ["said"]},
        "thresholds": {"min_harm": 1, "min_response": 1, "min_tag": 1, "off_topic_factor": 1},
    }
    with pytest.raises(ConfigError) as caught:
        lexicon.parse_taxonomy(raw, "t.toml")
    assert caught.value.problems == (
        "t.toml: harms[0].terms: 'sexually exploit* children': a * may only end a term",
    )


def test_the_taxonomy_keeps_the_terms_its_patterns_were_compiled_from() -> None:
    taxonomy = lexicon.taxonomy()
    assert taxonomy.online == lexicon.compile_terms(taxonomy.online_terms)
    assert all(sense.pattern == lexicon.compile_terms(sense.terms) for sense in taxonomy.near_misses)
