"""The Pagefind search bundle, built by the real ``pagefind`` binary from the fixture site's story pages.

Checks: the bundle indexes exactly the story pages, with the tag and jurisdiction filters; the same pages
give a byte-identical bundle in every run (Pagefind alone does not: its filter values come in a random
order, five runs without the reordering differ), so a rebuild with no change writes no file; the
reordered bundle still decodes and names its files consistently; a missing binary is a ``Problem``.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import pytest

from digest.publish import publish_tree
from digest.records import OutputFile
from digest.render import render_all
from digest.render.pagefind_order import decode_cbor
from digest.render.search import index_site, pagefind_binary, render_search_index
from tests.unit.test_render import _site_data

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
