"""Page keys: a page whose inputs did not change since it was published is kept, not rendered; one
whose inputs changed, in anything it shows, is rendered again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import jinja2
import pytest

from digest.config import SiteConfig
from digest.errors import ConfigError
from digest.records import Story, Tags
from digest.render import SiteData, common, render_all
from digest.render.common import SiteIndex
from digest.render.keys import reads_clock, story_digests, templates_fingerprint
from digest.render.site import make_environment
from tests.unit.test_render import BASE, _many, _site_data, _story

S1, S2, S3 = "stories/s1/index.html", "stories/s2/index.html", "stories/s3/index.html"


def _keys(data: SiteData) -> dict[str, str]:
    return {output.path: output.key for output in render_all(data) if output.key}


def _rendered(data: SiteData, published: dict[str, str]) -> set[str]:
    """The keyed pages ``data`` renders when the published pages have the keys ``published``."""
    return {o.path for o in render_all(replace(data, published=published)) if o.key and not o.kept}


def _with_story(data: SiteData, story_id: str, **changes: object) -> SiteData:
    stories = tuple(replace(s, **changes) if s.id == story_id else s for s in data.stories)  # type: ignore[arg-type]
    return replace(data, stories=stories)


def test_story_listing_and_edition_pages_and_markdown_editions_have_keys_and_the_rest_none() -> None:
    keys = _keys(_site_data())
    assert {S1, S2, S3, "editions/2026-W48/index.html", "tags/harassment/index.html"} <= keys.keys()
    assert {"digest.md", "editions/2026-W48/edition.md", "editions/2026-W46/edition.md"} <= keys.keys()
    assert not {"index.html", "status.html", "feed.xml", "search/index.html", "sitemap.xml"} & keys.keys()


def test_pages_with_their_published_key_are_kept_and_the_rest_rendered_the_same() -> None:
    data = _site_data()
    first = render_all(data)
    keys = {o.path: o.key for o in first if o.key}
    again = render_all(replace(data, published=keys))
    assert {o.path for o in again if o.kept} == set(keys)
    assert all(o.content == b"" for o in again if o.kept)
    assert [o for o in again if not o.kept] == [o for o in first if o.path not in keys]


def test_a_page_with_another_key_published_is_rendered() -> None:
    data = _site_data()
    keys = _keys(data)
    assert _rendered(data, {**keys, S1: "another key"}) == {S1}


def test_a_changed_story_renders_its_page_and_every_page_that_shows_it_again() -> None:
    data = _site_data()
    keys = _keys(data)
    rendered = _rendered(_with_story(data, "s3", title="Platform rewrites its reporting tools"), keys)
    assert {S3, S1, "tags/harassment/index.html", "editions/2026-W46/index.html"} <= rendered  # S1: related
    assert "editions/2026-W46/edition.md" in rendered
    assert not {"editions/2026-W48/index.html", "editions/2026-W48/edition.md", "digest.md"} & rendered


def test_story_digests_are_worked_out_once_and_each_page_key_takes_its_stories_from_them() -> None:
    """The main process digests every story once and the rendering workers take the digests from the
    site data: a page's key is then whatever digest the data gives its stories."""
    data = _site_data()
    given = replace(data, story_digests=story_digests(data.stories))
    assert _keys(given) == _keys(data)
    altered = replace(data, story_digests={**story_digests(data.stories), "s3": "another digest"})
    rendered = _rendered(altered, _keys(data))
    assert {S3, "tags/harassment/index.html", "editions/2026-W46/index.html"} <= rendered
    assert not {"editions/2026-W48/index.html", "digest.md"} & rendered


def test_a_story_page_is_kept_without_choosing_its_related_stories_when_none_near_it_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A story page has two keys: by the stories of the days within its related window (their ids,
    titles, dates, topics and organisations), then by the related stories chosen from them. An old
    story's page is kept without choosing them again; one near a change is kept once they are chosen
    and found the same."""
    summer = _story("s9", "A summer story on the same topics", 1)
    summer = replace(summer, published=summer.published.replace(month=8))
    data = replace(_site_data(), stories=(*_site_data().stories, summer))
    keys = _keys(data)
    assert all(keys[page].count("/") == 1 for page in (S1, S2, S3, "stories/s9/index.html"))
    changed = _with_story(data, "s3", title="Platform rewrites its reporting tools")
    chosen: list[str] = []
    choose = common.related_stories

    def spy(story: Story, index: SiteIndex) -> list[Story]:
        chosen.append(story.id)
        return choose(story, index)

    monkeypatch.setattr(common, "related_stories", spy)
    rendered = _rendered(changed, keys)
    assert {S1, S3} <= rendered  # s3 itself, and s1, which lists it as related
    assert S2 not in rendered  # within 30 days of s3 but not related to it: chosen again, the same
    assert "stories/s9/index.html" not in rendered
    assert sorted(chosen) == ["s1", "s2", "s3"]  # not s9: no story near it changed


def test_what_a_related_story_does_not_show_leaves_the_page_that_lists_it_kept() -> None:
    data = _site_data()
    keys = _keys(data)
    regrouped = _with_story(data, "s3", grouping_reasons=("same event: shared quotes",), relevance=0.5)
    rendered = _rendered(regrouped, keys)
    assert S3 in rendered  # its own page is keyed by the whole story
    assert S1 not in rendered  # lists s3 as related: its id, title and date did not change


def test_templates_site_settings_and_suffixed_slugs_are_in_every_key(tmp_path: Path) -> None:
    data = _site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path)))
    keys = _keys(data)
    (tmp_path / "_unused.html").write_text("a file no page names")
    templates_fingerprint.cache_clear()  # a build reads the folder once: a new build is a new process
    assert _rendered(data, keys) == set(keys)  # any template file may be included by name
    keys = _keys(data)
    assert _rendered(replace(data, site=replace(data.site, title="Another title")), keys) == set(keys)
    # "OFCOM" takes the slug "ofcom" from "Ofcom": both get a hash suffix, so every link may change.
    clash = _story("s4", "Another regulator story", 2, tags=Tags(organisations=("OFCOM",)))
    grown = replace(data, stories=(*data.stories, clash))
    assert _rendered(grown, keys) >= {S1, S2, S3}


def test_only_a_template_that_shows_the_clock_has_the_clock_in_its_keys(tmp_path: Path) -> None:
    data = _site_data()
    later = replace(data, now=data.now + timedelta(hours=5))
    assert _keys(later) == _keys(data)  # the bundled story, listing and edition pages never show it

    (tmp_path / "_story_card.html").write_text("<p>{{ story.title }}, as of {{ now }}</p>")
    ours = _site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path)))
    changed = {path for path, key in _keys(ours).items() if _keys(replace(ours, now=later.now))[path] != key}
    assert "tags/harassment/index.html" in changed  # shows cards
    assert S1 not in changed  # shows no card


def test_the_clock_is_found_through_extends_include_and_names_known_only_at_run_time(tmp_path: Path) -> None:
    (tmp_path / "base.html").write_text("{{ now }}{% block content %}{% endblock %}")
    (tmp_path / "child.html").write_text('{% extends "base.html" %}')
    (tmp_path / "outer.html").write_text('{% include "child.html" %}')
    (tmp_path / "dynamic.html").write_text("{% include name %}")
    (tmp_path / "plain.html").write_text("{{ story.title }}")
    (tmp_path / "broken.html").write_text("{{ story.title")
    environment = make_environment(str(tmp_path))
    assert reads_clock(environment, "outer.html")
    assert reads_clock(environment, "dynamic.html")
    assert not reads_clock(environment, "plain.html")
    assert not reads_clock(environment, "broken.html")  # rendering it fails and says so
    assert not reads_clock(jinja2.Environment(), "plain.html")  # no loader: nothing to read


def test_an_older_listing_page_keeps_its_key_while_the_listing_grows() -> None:
    older = "sources/example-news/page/1/index.html"
    before, after = _keys(_many(121)), _keys(_many(149))
    assert after[older] == before[older]
    assert after["sources/example-news/index.html"] != before["sources/example-news/index.html"]


def test_a_template_asking_a_linked_story_for_more_than_its_key_holds_fails(tmp_path: Path) -> None:
    """A related story carries its id, title and date only: a template that shows more of it fails
    the build, rather than showing what may be stale."""
    (tmp_path / "story.html").write_text(
        '{% extends "base.html" %}{% block content %}'
        "{% for other in related %}{{ other.summary }}{% endfor %}{% endblock %}"
    )
    with pytest.raises(ConfigError, match=r"template story\.html"):
        render_all(_site_data(site=SiteConfig(base_url=BASE, templates=str(tmp_path))))
