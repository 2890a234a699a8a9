"""``curation.toml`` through a real build: the demo's store copied, rebuilt offline with a curation file.

Checks every output sees the curation: a hidden story's title is in no file of the new site (pages,
Markdown, feeds); a corrected title replaces the old one in the JSON Feed; an edition note reaches the
home page and the Markdown edition; a pinned story is marked on its page. A broken file stops the build
with exit code 2 and a message naming ``site.curation`` and the rule.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from digest.sample.server import SampleServer, write_config
from tests.conftest import NOW_TEXT, Built, run_build

EDITION_NOTE = "A note from the editor on this edition, written for the test."


def _curated_build(tmp_path: Path, demo_build: Built, server: SampleServer, curation: str) -> Built:
    workdir = tmp_path / "curated"
    workdir.mkdir()
    store = workdir / "store.sqlite"
    shutil.copyfile(demo_build.store, store)
    write_config(workdir / "digest.toml", server.base_url, store)
    config = (workdir / "digest.toml").read_text("utf-8")
    (workdir / "digest.toml").write_text(
        config.replace("[site]\n", '[site]\ncuration = "curation.toml"\n', 1)
    )
    (workdir / "curation.toml").write_text(curation, encoding="utf-8")
    return run_build(workdir, server, "--offline", now=NOW_TEXT)


def _items(site: Path) -> list[dict[str, object]]:
    items: list[dict[str, object]] = json.loads((site / "feed.json").read_text("utf-8"))["items"]
    return items


def _story_id(item: dict[str, object]) -> str:
    return str(item["id"]).rstrip("/").rsplit("/", 1)[-1]


def test_every_output_of_a_build_respects_the_curation(
    tmp_path: Path, demo_build: Built, sample_server: SampleServer
) -> None:
    items = _items(demo_build.out)
    hidden, corrected, pinned = items[0], items[1], items[-1]
    edition_key = sorted(path.name for path in (demo_build.out / "editions").iterdir())[-1]
    curation = (
        f'[[hide]]\nstory = "{_story_id(hidden)}"\n'
        f'[[correct]]\nstory = "{_story_id(corrected)}"\ntitle = "A title the editor corrected"\n'
        f'[[pin]]\nstory = "{_story_id(pinned)}"\n'
        f'[[note]]\nedition = "{edition_key}"\nmarkdown = "{EDITION_NOTE}"\n'
    )
    built = _curated_build(tmp_path, demo_build, sample_server, curation)
    assert built.result.returncode == 0, built.result.stderr
    site = built.out

    leaks = [
        path.relative_to(site).as_posix()
        for path in site.rglob("*")
        if path.suffix in (".html", ".md", ".json", ".xml")
        and str(hidden["title"]) in path.read_text("utf-8")
    ]
    assert leaks == []
    assert not (site / "stories" / _story_id(hidden)).exists()
    titles = {_story_id(item): item["title"] for item in _items(site)}
    assert titles[_story_id(corrected)] == "A title the editor corrected"
    assert EDITION_NOTE in (site / "index.html").read_text("utf-8")
    assert EDITION_NOTE in (site / "editions" / edition_key / "edition.md").read_text("utf-8")
    assert "Editor\u2019s pick" in (site / "stories" / _story_id(pinned) / "index.html").read_text("utf-8")


def test_a_broken_curation_file_stops_the_build_naming_the_rule(
    tmp_path: Path, demo_build: Built, sample_server: SampleServer
) -> None:
    built = _curated_build(tmp_path, demo_build, sample_server, '[[pin]]\nstroy = "s-1"\n')
    assert built.result.returncode == 2
    assert "site.curation" in built.result.stderr
    assert "pin[0].stroy: unknown key" in built.result.stderr
    assert "pin[0].story: required" in built.result.stderr
