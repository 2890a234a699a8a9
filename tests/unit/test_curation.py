"""Curation: the operator's ``curation.toml`` validated in one pass, then applied to stories and editions.

Records are built here; the last tests render the curated records and check every output (site pages,
Markdown, feeds) shows the curation: a hidden story's title must appear in no file, a corrected title
must replace the old one everywhere, an edition note must reach the Markdown edition.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import editions as editions_stage
from digest.config import Config, SiteConfig
from digest.curation import (
    Curation,
    apply_curation,
    apply_notes,
    curation_for,
    curation_from_dict,
    load_curation,
)
from digest.errors import ConfigError
from digest.records import Edition, Quote, Source, Story, SummarySentence, Tags
from digest.render import render_all
from tests.unit.test_render import _site_data

DAY = datetime(2026, 11, 20, 8, tzinfo=UTC)


def _source(article_id: str, outlet: str, hour: int = 8, lead: bool = False) -> Source:
    url = f"https://{outlet.lower()}.example.com/{article_id}"
    return Source(article_id, url, f"Report {article_id} by {outlet}", outlet, DAY.replace(hour=hour), lead)


def _story(lead: str, *others: str, outlet: str = "Alpha") -> Story:
    """A story whose sources are ``lead`` and ``others``: one summary sentence and one quote per source."""
    sources = (
        _source(lead, outlet, 8, True),
        *(_source(o, f"Other{o}", 9 + n) for n, o in enumerate(others)),
    )
    return Story(
        id=f"s-{lead}",
        title=f"Story led by {lead}",
        lead_article_id=lead,
        sources=sources,
        summary=tuple(
            SummarySentence(f"Sentence from {s.article_id}.", s.article_id, s.url) for s in sources
        ),
        quotes=tuple(
            Quote(f"Speaker {s.article_id}", f"Words of {s.article_id}.", "", s.article_id) for s in sources
        ),
        tags=Tags(harms=("harassment",), responses=("regulation",), jurisdictions=("United Kingdom",)),
        relevance=0.5,
        published=DAY,
        first_seen=DAY,
    )


def _curation(text: str) -> Curation:
    return curation_from_dict(tomllib.loads(text))


def _url(article_id: str, outlet: str) -> str:
    return f"https://{outlet.lower()}.example.com/{article_id}"


# --- reading the file -------------------------------------------------------------------------------


def test_a_valid_file_gives_every_rule_with_canonical_urls() -> None:
    curation = _curation(
        """
        [[hide]]
        article = "https://Alpha.example.com/a1?utm_source=rss"
        [[hide]]
        story = "s-b1"
        [[pin]]
        story = "s-c1"
        [[correct]]
        story = "s-c1"
        title = "Better title"
        tags_add = ["doxxing", "Ofcom", "person:Jo Bloggs"]
        tags_remove = ["regulation"]
        [[merge]]
        stories = ["s-a1", "s-d1"]
        [[split]]
        article = "https://alpha.example.com/x1"
        [[note]]
        edition = "2026-W47"
        markdown = "A *quiet* week."
        """
    )
    assert curation.hidden_articles == ("https://alpha.example.com/a1",)
    assert curation.hidden_stories == ("s-b1",)
    assert curation.pinned == ("s-c1",)
    correction = curation.corrections[0]
    assert (correction.title, correction.tags_remove) == ("Better title", ("regulation",))
    assert correction.tags_add == Tags(harms=("doxxing",), organisations=("Ofcom",), people=("Jo Bloggs",))
    assert curation.merges == (("s-a1", "s-d1"),)
    assert curation.edition_notes == (("2026-W47", "A *quiet* week."),)


def test_every_mistake_is_reported_at_once_by_its_path() -> None:
    with pytest.raises(ConfigError) as caught:
        _curation(
            """
            hidden = 1
            [[hide]]
            article = "https://a.example.com/1"
            story = "s-1"
            [[pin]]
            story = 7
            [[correct]]
            story = "s-2"
            tags_add = ["Not A Known Tag"]
            [[merge]]
            stories = ["s-1"]
            [[split]]
            article = "ftp://a.example.com/1"
            [[note]]
            edition = "week 47"
            markdown = "x"
            [[note]]
            story = "s-3"
            colour = "red"
            """
        )
    problems = caught.value.problems
    expected_starts = [
        "hidden: unknown key",
        "hide[0]: give exactly one of article or story",
        "pin[0].story: expected a string",
        "correct[0].tags_add: 'Not A Known Tag' is not",
        "merge[0].stories: name at least two",
        "split[0].article: expected an http",
        "note[0].edition: expected an edition key",
        "note[1].colour: unknown key",
        "note[1].markdown: required",
    ]
    for start in expected_starts:
        assert any(problem.startswith(start) for problem in problems), (start, problems)
    assert len(problems) == len(expected_starts)
    assert str(caught.value).startswith("site.curation: curation.toml: ")


def test_a_story_merged_twice_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"merge\[1\]\.stories: s-2 is already merged by merge\[0\]"):
        _curation('[[merge]]\nstories = ["s-1", "s-2"]\n[[merge]]\nstories = ["s-2", "s-3"]\n')


def test_a_missing_file_curates_nothing_and_a_broken_one_names_the_key(tmp_path: Path) -> None:
    assert load_curation(tmp_path / "absent.toml") == Curation()
    broken = tmp_path / "curation.toml"
    broken.write_text("[[pin]\nstory = ", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^site\.curation: .*curation\.toml: not valid TOML"):
        load_curation(broken)


def test_the_config_key_is_read_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "curation.toml").write_text('[[pin]]\nstory = "s-x"\n', encoding="utf-8")
    config = Config(path=tmp_path / "digest.toml", site=SiteConfig(curation="curation.toml"))
    assert curation_for(config).pinned == ("s-x",)
    assert curation_for(Config(path=tmp_path / "digest.toml")) == Curation()


# --- applying it --------------------------------------------------------------------------------------


def test_hiding_a_story_removes_it_and_an_absent_one_is_a_problem() -> None:
    stories = [_story("a1"), _story("b1")]
    curated, problems = apply_curation(
        stories, _curation('[[hide]]\nstory = "s-a1"\n[[hide]]\nstory = "s-zz"\n')
    )
    assert [story.id for story in curated] == ["s-b1"]
    assert [(p.reason, p.detail) for p in problems] == [
        ("curation_unmatched", "hide: no story s-zz in this build")
    ]


def test_hiding_the_lead_article_drops_its_sentences_and_quotes_and_promotes_the_next_source() -> None:
    story = _story("a1", "a2", "a3")
    curated, problems = apply_curation([story], _curation(f'[[hide]]\narticle = "{_url("a1", "Alpha")}"\n'))
    (left,) = curated
    assert problems == []
    assert left.id == "s-a1"  # the id stays: the story keeps its page and its edition
    assert [s.article_id for s in left.sources] == ["a2", "a3"]
    assert [s.is_lead for s in left.sources] == [True, False]
    assert left.lead_article_id == "a2"
    assert left.title == "Report a2 by Othera2"
    assert all("a1" not in sentence.text for sentence in left.summary)
    assert [quote.article_id for quote in left.quotes] == ["a2", "a3"]


def test_hiding_the_only_article_of_a_story_removes_the_story() -> None:
    curated, _ = apply_curation(
        [_story("a1"), _story("b1")], _curation(f'[[hide]]\narticle = "{_url("a1", "Alpha")}"\n')
    )
    assert [story.id for story in curated] == ["s-b1"]


def test_a_pinned_story_ranks_first_in_its_edition() -> None:
    big = _story("a1", "a2", "a3")
    small = _story("b1")
    curated, _ = apply_curation([big, small], _curation('[[pin]]\nstory = "s-b1"\n'))
    ranked = sorted(curated, key=editions_stage.rank_key)
    assert [story.id for story in ranked] == ["s-b1", "s-a1"]
    assert sorted([big, small], key=editions_stage.rank_key)[0].id == "s-a1"


def test_a_correction_changes_title_tags_and_content_note() -> None:
    curation = _curation(
        """
        [[correct]]
        story = "s-a1"
        title = "A corrected title"
        tags_add = ["sextortion", "jurisdiction:Wales", "Ofcom"]
        tags_remove = ["REGULATION", "United Kingdom"]
        content_note = "This story discusses sextortion."
        """
    )
    (corrected,), _ = apply_curation([_story("a1")], curation)
    assert corrected.title == "A corrected title"
    assert corrected.tags == Tags(
        harms=("harassment", "sextortion"), jurisdictions=("Wales",), organisations=("Ofcom",)
    )
    assert corrected.content_note == "This story discusses sextortion."


def test_merging_folds_the_others_into_the_first_story() -> None:
    first, second, third = _story("a1", "a2"), _story("b1", outlet="Beta"), _story("c1")
    second = replace(second, tags=Tags(harms=("doxxing",), organisations=("Meta",)), relevance=0.9)
    curation = _curation('[[merge]]\nstories = ["s-a1", "s-b1", "s-gone"]\n')
    curated, problems = apply_curation([first, second, third], curation)
    assert [story.id for story in curated] == ["s-a1", "s-c1"]
    merged = curated[0]
    assert [s.article_id for s in merged.sources] == ["a1", "a2", "b1"]
    assert [s.is_lead for s in merged.sources] == [True, False, False]
    assert merged.title == first.title and merged.summary == first.summary
    assert merged.tags.harms == ("harassment", "doxxing") and merged.tags.organisations == ("Meta",)
    assert merged.relevance == 0.9
    assert any("merged by the editor" in reason for reason in merged.grouping_reasons)
    assert [p.detail for p in problems] == ["merge: no story s-gone in this build"]


def test_splitting_a_follow_up_gives_it_its_own_story_after_its_origin() -> None:
    curated, problems = apply_curation(
        [_story("a1", "a2", "a3"), _story("b1")],
        _curation(f'[[split]]\narticle = "{_url("a2", "Othera2")}"\n'),
    )
    assert problems == []
    assert [story.id for story in curated] == ["s-a1", "s-a2", "s-b1"]
    remainder, alone = curated[0], curated[1]
    assert [s.article_id for s in remainder.sources] == ["a1", "a3"]
    assert [s.article_id for s in alone.sources] == ["a2"] and alone.sources[0].is_lead
    assert alone.title == "Report a2 by Othera2"
    assert [sentence.article_id for sentence in alone.summary] == ["a2"]
    assert [quote.article_id for quote in alone.quotes] == ["a2"]


def test_splitting_the_lead_gives_the_remainder_the_id_of_its_new_lead() -> None:
    curated, _ = apply_curation(
        [_story("a1", "a2")], _curation(f'[[split]]\narticle = "{_url("a1", "Alpha")}"\n')
    )
    assert [(story.id, story.lead_article_id) for story in curated] == [("s-a2", "a2"), ("s-a1", "a1")]


def test_splitting_a_single_article_story_changes_nothing_and_says_so() -> None:
    story = _story("a1")
    curated, problems = apply_curation([story], _curation(f'[[split]]\narticle = "{_url("a1", "Alpha")}"\n'))
    assert curated == [story]
    assert [p.reason for p in problems] == ["curation_noop"]


def test_no_curation_leaves_the_stories_as_they_were() -> None:
    stories = [_story("a1", "a2"), _story("b1")]
    assert apply_curation(stories, Curation()) == (stories, [])


def test_notes_reach_editions_and_stories() -> None:
    edition = Edition(3, "2026-W47", DAY.date(), DAY.date(), "Edition 3", ("s-a1",))
    curation = _curation(
        '[[note]]\nedition = "2026-W47"\nmarkdown = "Quiet."\n'
        '[[note]]\nedition = "2026-W01"\nmarkdown = "x"\n'
        '[[note]]\nstory = "s-a1"\nmarkdown = "Why this matters."\n'
    )
    (noted,), problems = apply_notes([edition], curation)
    assert noted.editor_note == "Quiet."
    assert [p.detail for p in problems] == ["note: no edition 2026-W01 in this build"]
    (story,), _ = apply_curation([_story("a1")], curation)
    assert story.editor_note == "Why this matters."


# --- every output sees the curated records -----------------------------------------------------------


def _render_curated(text: str) -> dict[str, str]:
    data = _site_data()
    curation = _curation(text)
    stories, _ = apply_curation(data.stories, curation)
    editions, _ = apply_notes(data.editions, curation)
    curated = replace(data, stories=tuple(stories), editions=tuple(editions))
    return {output.path: output.content.decode("utf-8") for output in render_all(curated)}


def test_a_hidden_story_appears_in_no_output_file() -> None:
    before = {output.path: output.content.decode("utf-8") for output in render_all(_site_data())}
    assert any("Court hears intimate-image abuse case" in text for text in before.values())
    after = _render_curated('[[hide]]\nstory = "s2"\n')
    leaks = [path for path, text in after.items() if "Court hears intimate-image abuse case" in text]
    assert leaks == []
    assert "stories/s2/index.html" not in after


def test_a_corrected_title_and_an_edition_note_reach_site_markdown_and_feeds() -> None:
    files = _render_curated(
        '[[correct]]\nstory = "s3"\ntitle = "Platform rebuilds its reporting tools"\n'
        '[[note]]\nedition = "2026-W46"\nmarkdown = "Only *one* story this week."\n'
    )
    for path in ("stories/s3/index.html", "editions/2026-W46/edition.md", "feed.xml", "feed.json"):
        assert "Platform rebuilds its reporting tools" in files[path], path
    # the old title survives only as the source's own headline, "... (report)"
    old_title = re.compile(r"Platform changes reporting tools(?! \(report\))")
    stale = [path for path, text in files.items() if old_title.search(text)]
    assert stale == []
    assert "Only *one* story this week." in files["editions/2026-W46/edition.md"]
    assert "Only <em>one</em> story this week." in files["editions/2026-W46/index.html"]
