"""The Pagefind search bundle, built by the real ``pagefind`` binary from the fixture site's story pages.

Checks: the bundle indexes exactly the story pages, with the tag and jurisdiction filters; the same pages
give a byte-identical bundle in every run (Pagefind alone does not: its filter values come in a random
order, five runs without the reordering differ), so a rebuild with no change writes no file; the
reordered bundle still decodes and names its files consistently; a missing binary is a ``Problem``;
Pagefind writes to a folder in memory when there is one with room, and the bundle is the same.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

import pytest

from digest.publish import publish_tree
from digest.records import OutputFile
from digest.render import SiteData, render_all, search
from digest.render.pagefind_order import decode_cbor
from digest.render.search import Period, index_site, pagefind_binary, render_search_index
from tests.unit.test_render import _site_data, _story

pytestmark = pytest.mark.skipif(
    pagefind_binary() is None, reason="no pagefind binary (pip install pagefind[bin])"
)


@pytest.fixture(scope="module")
def pages() -> list[OutputFile]:
    return render_all(_site_data())


def _bundle(pages: list[OutputFile]) -> list[OutputFile]:
    bundle, problems = render_search_index(pages, "en")
    assert problems == []
    return bundle


def test_the_bundle_indexes_the_story_pages_with_their_filters(pages: list[OutputFile]) -> None:
    bundle = {output.path: output.content for output in _bundle(pages)}
    entry = json.loads(bundle["pagefind/pagefind-entry.json"])
    story_pages = [output for output in pages if output.path.startswith("stories/")]
    assert entry["languages"]["en"]["page_count"] == len(story_pages) == 3
    assert "pagefind/pagefind-ui.js" in bundle
    assert len([path for path in bundle if path.startswith("pagefind/filter/")]) >= 1
    assert all(path.startswith("pagefind/") for path in bundle)


def test_five_runs_give_one_bundle_and_a_rebuild_writes_nothing(
    pages: list[OutputFile], tmp_path: Path
) -> None:
    bundles = [_bundle(pages) for _ in range(5)]
    assert all(bundle == bundles[0] for bundle in bundles)
    out = tmp_path / "site"
    assert publish_tree([*pages, *bundles[0]], out) == len(pages) + len(bundles[0])
    assert publish_tree([*pages, *_bundle(pages)], out) == 0


def test_pagefind_alone_is_not_stable_so_the_reordering_is_needed(pages: list[OutputFile]) -> None:
    raw_runs = set()
    with patch("digest.render.search.stable_bundle", side_effect=lambda files: files):
        for _ in range(5):
            raw_runs.add(tuple(output.path for output in _bundle(pages)))
    assert len(raw_runs) > 1  # if this fails, Pagefind became stable and pagefind_order.py can go


def test_the_reordered_bundle_names_its_files_consistently(pages: list[OutputFile]) -> None:
    bundle = {output.path: output.content for output in _bundle(pages)}
    entry = json.loads(bundle["pagefind/pagefind-entry.json"])
    meta_path = f"pagefind/pagefind.{entry['languages']['en']['hash']}.pf_meta"
    meta = gzip.decompress(bundle[meta_path])
    filters = sorted(path for path in bundle if path.startswith("pagefind/filter/"))
    assert len(filters) == 2
    for path in filters:
        assert path.rsplit("/", 1)[1].removesuffix(".pf_filter").encode() in meta
        name, values = decode_cbor(gzip.decompress(bundle[path]), len(b"pagefind_dcd"))[0]
        assert name in ("tag", "jurisdiction")
        assert [value for value, _ in values] == sorted(value for value, _ in values)


def test_a_changed_story_changes_the_bundle(pages: list[OutputFile]) -> None:
    data = _site_data()
    changed = replace(data.stories[0], title="A wholly different headline about doxxing")
    other_pages = render_all(replace(data, stories=(changed, *data.stories[1:])))
    assert _bundle(other_pages) != _bundle(pages)


def test_a_missing_binary_is_a_problem_and_no_bundle(pages: list[OutputFile], tmp_path: Path) -> None:
    bundle, problems = render_search_index(pages, "en", binary=tmp_path / "no-pagefind-here")
    assert bundle == []
    assert [problem.reason for problem in problems] == ["search_failed"]


def test_a_staged_site_gives_the_same_bundle_and_is_left_as_it_was(
    pages: list[OutputFile], tmp_path: Path
) -> None:
    site = tmp_path / "staged"
    publish_tree(pages, site)  # every page, not only the story pages: the others are not read
    before = sorted(path.relative_to(site) for path in site.rglob("*"))
    bundle, problems = index_site(site, "en")
    assert problems == [] and bundle == _bundle(pages)
    assert sorted(path.relative_to(site) for path in site.rglob("*")) == before  # the bundle went elsewhere


# --- where Pagefind writes ------------------------------------------------------------------------


def test_pagefind_writes_in_memory_when_the_folder_has_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    assert search.scratch_parent(10 * 2**20, memory=tmp_path) == tmp_path
    assert search.scratch_parent(2**62, memory=tmp_path) is None  # no room: the system's temporary folder
    assert search.scratch_parent(1, memory=tmp_path / "not-here") is None
    (tmp_path / "a-file").write_text("not a folder")
    assert search.scratch_parent(1, memory=tmp_path / "a-file") is None


def test_a_temporary_folder_the_operator_chose_is_kept_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    assert search.scratch_parent(1, memory=tmp_path) is None


def test_the_bundle_is_the_same_whichever_folder_pagefind_wrote_to(
    pages: list[OutputFile], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TMPDIR", raising=False)
    chosen: list[Path | None] = []
    choose = search.scratch_parent

    def noted(needed: int) -> Path | None:
        chosen.append(choose(needed))
        return chosen[-1]

    monkeypatch.setattr(search, "scratch_parent", noted)
    in_memory = _bundle(pages)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    on_disk = _bundle(pages)
    assert chosen[-1] is None and on_disk == in_memory
    if search.MEMORY_FOLDER.is_dir():  # Linux
        assert chosen[0] == search.MEMORY_FOLDER


# --- one bundle per period -------------------------------------------------------------------------


def _periodic_site_data() -> SiteData:
    """The render fixture with a story of October and one of last year beside November's."""
    data = _site_data()
    october = replace(
        _story("s-oct", "Lighthouse keepers' helpline extended to online abuse", 12),
        published=datetime(2026, 10, 12, 8, tzinfo=UTC),
    )
    last_year = replace(
        _story("s-2025", "Glacier guides trained to spot cyberstalking", 12),
        published=datetime(2025, 3, 12, 8, tzinfo=UTC),
    )
    return replace(data, stories=(*data.stories, october, last_year))


def periodic_site(folder: Path) -> list[Period]:
    """The periodic fixture published in ``folder`` with every period's bundle in its place."""
    data = _periodic_site_data()
    pages = render_all(data)
    publish_tree(pages, folder)
    bundles: list[OutputFile] = []
    periods = search.periods(data.stories, data.now)
    for period in periods:
        made, problems = search.start_indexing(folder, "en", pages=period.pages)()
        assert problems == []
        bundles += period.files({output.path: output.content for output in made})
    publish_tree([*pages, *bundles], folder)
    return periods


def test_each_period_indexes_its_own_pages_in_a_bundle_of_its_own(tmp_path: Path) -> None:
    periods = periodic_site(tmp_path)
    assert [(p.label, p.folder, len(p.pages)) for p in periods] == [
        ("2026-11", "pagefind", 3),
        ("2026-10", "pagefind/2026-10", 1),
        ("2025", "pagefind/2025", 1),
    ]
    for period in periods:
        entry = json.loads((tmp_path / period.folder / "pagefind-entry.json").read_text())
        assert entry["languages"]["en"]["page_count"] == len(period.pages)
    # A merged bundle has its index, not a second copy of the search code.
    assert (tmp_path / "pagefind" / "pagefind-ui.js").is_file()
    assert not (tmp_path / "pagefind" / "2026-10" / "pagefind-ui.js").exists()
    assert any((tmp_path / "pagefind" / "2026-10" / "fragment").iterdir())


def test_the_searched_part_of_a_story_page_leaves_out_its_related_stories_only() -> None:
    data = _periodic_site_data()
    first = {page.path: page for page in render_all(data)}
    newer = _story("s-new", "Another harassment regulation story", 25)
    second = {page.path: page for page in render_all(replace(data, stories=(*data.stories, newer)))}
    story = "stories/s1/index.html"
    assert first[story].content != second[story].content  # the new story is among its related stories
    assert search.searched_part(first[story].content) == search.searched_part(second[story].content)
    retitled = replace(data.stories[0], title="A changed headline")
    third = {page.path: page for page in render_all(replace(data, stories=(retitled, *data.stories[1:])))}
    assert search.searched_part(third[story].content) != search.searched_part(first[story].content)


def test_pages_that_differ_in_their_related_stories_only_give_one_bundle(tmp_path: Path) -> None:
    """What makes keeping a period's bundle safe: Pagefind makes the same bytes of the pages whose
    searched part is the same, so a kept bundle is the one indexing them again would give."""
    data = _periodic_site_data()
    newer = _story("s-new", "Another harassment regulation story", 25)
    bundles = []
    for name, stories in (("first", data.stories), ("second", (*data.stories, newer))):
        publish_tree(render_all(replace(data, stories=stories)), tmp_path / name)
        made, problems = search.start_indexing(tmp_path / name, "en", pages=["stories/s1/index.html"])()
        assert problems == []
        bundles.append({output.path: output.content for output in made})
    first, second = (tmp_path / name / "stories/s1/index.html" for name in ("first", "second"))
    assert first.read_bytes() != second.read_bytes()
    assert bundles[0] == bundles[1]


def test_the_indexer_is_known_by_its_version_and_the_language() -> None:
    assert search.indexer_identity("en-GB") == "pagefind 1.5.2; en"  # the version pyproject.toml pins
    assert search.indexer_identity("en", binary=Path("/nonexistent/pagefind")).startswith("unusable")
