"""``curation.toml`` through a real build: the demo's store copied, rebuilt offline with a curation file.

One curated build, of a site published before without curation, applies every kind of rule to a
different story of the demo, and each test reads every output the build wrote: the pages, the
Markdown editions (``digest.md``, ``edition.md``), the email edition (``email.html``, ``email.txt``
and the decoded parts of ``edition.eml``), the feeds (``feed.json``, ``feed.xml``, each topic's
``feed.xml``) and the search index (the story pages Pagefind was given, and the decoded fragments it
wrote). A hidden story or article is in none of them; a split article is a story in all of them; a
merged story's URL leaves only a page pointing to the story that absorbed it; a correction, a pin
and the notes reach every output that shows them. A broken file stops the build with exit code 2
and a message naming ``site.curation`` and the rule.
"""

from __future__ import annotations

import email
import email.policy
import gzip
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from digest.sample.server import SampleServer, write_config
from tests.conftest import NOW_TEXT, Built, run_build

EDITION_NOTE = "A note from the editor on this edition, written for the test."
STORY_NOTE = "The editor adds context to this one story, for the test."
CORRECTED_TITLE = "A title the editor corrected"
FRAGMENT_SIGNATURE = b"pagefind_dcd"
Item = dict[str, object]


@dataclass(frozen=True)
class Targets:
    """Which demo story each rule is applied to (chosen from the demo build, never by fixed id)."""

    edition: str  # the latest edition's key
    hidden: Item
    article_hidden_from: Item
    split_from: Item
    merged_into: Item
    absorbed: Item
    corrected: Item
    pinned: Item
    noted: Item


@dataclass(frozen=True)
class Curated:
    targets: Targets
    site: Path
    texts: dict[str, str]  # every output's path -> its readable text


def _curated_build(tmp_path: Path, demo_build: Built, server: SampleServer, curation: str) -> Built:
    workdir = tmp_path / "curated"
    workdir.mkdir()
    store = workdir / "store.sqlite"
    shutil.copyfile(demo_build.store, store)
    write_config(workdir / "digest.toml", server.base_url, store)
    # The site was published (twice, so the retired tree beside it holds every page too) before the
    # editor curates it: what curation takes away must leave no trace of the earlier builds.
    for _ in range(2):
        published = run_build(workdir, server, "--offline", now=NOW_TEXT)
        assert published.result.returncode == 0, published.result.stderr
    config = (workdir / "digest.toml").read_text("utf-8")
    (workdir / "digest.toml").write_text(
        config.replace("[site]\n", '[site]\ncuration = "curation.toml"\n', 1)
    )
    (workdir / "curation.toml").write_text(curation, encoding="utf-8")
    return run_build(workdir, server, "--offline", now=NOW_TEXT)


def _items(site: Path) -> list[Item]:
    items: list[Item] = json.loads((site / "feed.json").read_text("utf-8"))["items"]
    return items


def _story_id(item: Item) -> str:
    return str(item["id"]).rstrip("/").rsplit("/", 1)[-1]


def _sources(item: Item) -> list[dict[str, str]]:
    extension = item["_digest"]
    assert isinstance(extension, dict)
    sources: list[dict[str, str]] = extension["sources"]
    return sources


def _story_ids_in_order(markdown: str) -> list[str]:
    return re.findall(r"^### \[.*\]\(.*/stories/([^/]+)/\)$", markdown, re.MULTILINE)


# --- reading every output as text ---------------------------------------------------------------


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _unescaped(markup: str) -> str:
    """Atom carries HTML as escaped text, so entities may be escaped twice."""
    return html.unescape(html.unescape(markup))


def _readable(path: Path) -> str | None:
    """What a reader (or a search) gets out of one output file; None for files with no text."""
    raw = path.read_bytes()
    if path.suffix in (".html", ".xml"):
        return _unescaped(raw.decode("utf-8"))
    if path.suffix == ".json":
        return _unescaped(" ".join(_strings(json.loads(raw))))
    if path.suffix == ".md":
        return re.sub(r"\\(.)", r"\1", raw.decode("utf-8"))
    if path.suffix == ".txt":
        return raw.decode("utf-8")
    if path.suffix == ".eml":
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        return _unescaped(" ".join([str(message["Subject"]), *parts]))
    if path.suffix == ".pf_fragment":
        return " ".join(_strings(json.loads(gzip.decompress(raw).removeprefix(FRAGMENT_SIGNATURE))))
    return None


def _texts(site: Path) -> dict[str, str]:
    texts = {}
    for path in sorted(site.rglob("*")):
        readable = _readable(path) if path.is_file() else None
        if readable is not None:
            texts[path.relative_to(site).as_posix()] = _flat(readable)
    return texts


def _containing(texts: dict[str, str], needle: str) -> list[str]:
    flat = _flat(needle)
    return [path for path, text in texts.items() if flat in text]


def _listing(texts: dict[str, str], story_id: str) -> list[str]:
    """The outputs that show the story (the sitemap only lists its URL)."""
    return [path for path in _containing(texts, f"stories/{story_id}/") if path != "sitemap.xml"]


def _edition_outputs(key: str) -> list[str]:
    folder = f"editions/{key}"
    return [
        f"{folder}/{name}" for name in ("index.html", "edition.md", "email.html", "email.txt", "edition.eml")
    ]


# --- the curated build --------------------------------------------------------------------------


def _targets(demo: Path) -> Targets:
    latest = (demo / "digest.md").read_text("utf-8")
    edition = re.search(r"/editions/([^/]+)/", latest)
    assert edition is not None
    ranked = _story_ids_in_order(latest)
    by_id = {_story_id(item): item for item in _items(demo)}
    pinned = by_id[ranked[-1]]  # last in the latest edition, so pinning it changes its place
    others = [item for item in by_id.values() if item is not pinned]
    several = [item for item in others if len(_sources(item)) >= 2]
    assert len(ranked) >= 2 and len(several) >= 3 and len(others) >= 8, "the demo is too small for this test"
    hidden_from, split_from, merged_into = several[:3]
    rest = [item for item in others if item not in (hidden_from, split_from, merged_into)]
    return Targets(
        edition=edition.group(1),
        hidden=rest[0],
        article_hidden_from=hidden_from,
        split_from=split_from,
        merged_into=merged_into,
        absorbed=rest[1],
        corrected=rest[2],
        pinned=pinned,
        noted=rest[3],
    )


def _curation(targets: Targets) -> str:
    def story(item: Item) -> str:
        return f'story = "{_story_id(item)}"\n'

    return (
        f"[[hide]]\n{story(targets.hidden)}"
        f'[[hide]]\narticle = "{_sources(targets.article_hidden_from)[-1]["url"]}"\n'
        f'[[split]]\narticle = "{_sources(targets.split_from)[-1]["url"]}"\n'
        f'[[merge]]\nstories = ["{_story_id(targets.merged_into)}", "{_story_id(targets.absorbed)}"]\n'
        f'[[correct]]\n{story(targets.corrected)}title = "{CORRECTED_TITLE}"\n'
        f"[[pin]]\n{story(targets.pinned)}"
        f'[[note]]\n{story(targets.noted)}markdown = "{STORY_NOTE}"\n'
        f'[[note]]\nedition = "{targets.edition}"\nmarkdown = "{EDITION_NOTE}"\n'
    )


@pytest.fixture(scope="module")
def curated(
    tmp_path_factory: pytest.TempPathFactory, demo_build: Built, sample_server: SampleServer
) -> Curated:
    targets = _targets(demo_build.out)
    built = _curated_build(tmp_path_factory.mktemp("curation"), demo_build, sample_server, _curation(targets))
    assert built.result.returncode == 0, built.result.stderr
    assert "curation_unmatched" not in built.result.stderr, built.result.stderr
    return Curated(targets, built.out, _texts(built.out))


def test_every_kind_of_output_is_read(curated: Curated) -> None:
    edition = _edition_outputs(curated.targets.edition)
    expected = [*edition, "index.html", "digest.md", "feed.json", "feed.xml", "tags/harassment/feed.xml"]
    assert [path for path in expected if path not in curated.texts] == []
    assert any(path.startswith("pagefind/fragment/") for path in curated.texts)


# --- hiding --------------------------------------------------------------------------------------


def test_a_hidden_story_is_in_no_output(curated: Curated) -> None:
    hidden = curated.targets.hidden
    assert _containing(curated.texts, str(hidden["title"])) == []
    assert _containing(curated.texts, f"stories/{_story_id(hidden)}/") == []
    assert not (curated.site / "stories" / _story_id(hidden)).exists()


def test_a_hidden_article_is_in_no_output_and_its_story_stays(curated: Curated) -> None:
    story = curated.targets.article_hidden_from
    article = _sources(story)[-1]
    assert _containing(curated.texts, article["url"]) == []
    assert _containing(curated.texts, article["title"]) == []
    kept = next(item for item in _items(curated.site) if item["id"] == story["id"])
    assert [source["url"] for source in _sources(kept)] == [source["url"] for source in _sources(story)[:-1]]


# --- split and merge -----------------------------------------------------------------------------


def test_a_split_article_is_a_story_of_its_own_in_every_output(curated: Curated) -> None:
    origin = curated.targets.split_from
    article = _sources(origin)[-1]
    items = {str(item["id"]): item for item in _items(curated.site)}
    (separate,) = [item for item in items.values() if [s["url"] for s in _sources(item)] == [article["url"]]]
    assert separate["title"] == article["title"]
    assert article["url"] not in [s["url"] for s in _sources(items[str(origin["id"])])]
    assert _outputs_missing(curated, _story_id(separate)) == []


def _outputs_missing(curated: Curated, story_id: str) -> list[str]:
    """Which of the outputs that should show the story do not: its page, every output of its
    edition, the feeds (a topic feed among them) and the search index."""
    showing = _listing(curated.texts, story_id)
    editions = [path.split("/")[1] for path in showing if re.fullmatch(r"editions/[^/]+/edition\.md", path)]
    if len(editions) != 1:
        return [f"one edition.md (found {editions})"]
    expected = [f"stories/{story_id}/index.html", *_edition_outputs(editions[0]), "feed.json", "feed.xml"]
    missing = [path for path in expected if path not in showing]
    kinds = {"tags/*/feed.xml": r"tags/[^/]+/feed\.xml", "pagefind/fragment/*": r"pagefind/fragment/.+"}
    return missing + [
        name for name, pattern in kinds.items() if not any(re.fullmatch(pattern, p) for p in showing)
    ]


def test_a_merged_story_leaves_a_page_pointing_to_the_story_that_absorbed_it(curated: Curated) -> None:
    into, absorbed = curated.targets.merged_into, curated.targets.absorbed
    old_page = f"stories/{_story_id(absorbed)}/index.html"
    assert _containing(curated.texts, f"stories/{_story_id(absorbed)}/") == []  # no output lists it
    assert str(absorbed["id"]) not in [item["id"] for item in _items(curated.site)]
    merged = next(item for item in _items(curated.site) if item["id"] == into["id"])
    assert [s["url"] for s in _sources(absorbed)] == [s["url"] for s in _sources(merged)][
        -len(_sources(absorbed)) :
    ]
    moved = (curated.site / old_page).read_text("utf-8")
    assert "This story is now part of" in moved
    assert f'href="../../stories/{_story_id(into)}/index.html"' in moved
    assert f'<link rel="canonical" href="{into["id"]}">' in moved
    assert _flat(str(into["title"])) in curated.texts[old_page]
    assert "data-pagefind-body" not in moved and "refresh" not in moved


# --- correction, pin and notes -------------------------------------------------------------------


def test_a_corrected_title_reaches_every_output_that_lists_the_story(curated: Curated) -> None:
    story = curated.targets.corrected
    assert _outputs_missing(curated, _story_id(story)) == []
    listing = _listing(curated.texts, _story_id(story))
    without = [path for path in listing if CORRECTED_TITLE not in curated.texts[path]]
    assert without == []
    titles = {item["id"]: item["title"] for item in _items(curated.site)}
    assert titles[story["id"]] == CORRECTED_TITLE


def test_a_pinned_story_comes_first_in_every_output_of_its_edition(curated: Curated) -> None:
    pinned = _story_id(curated.targets.pinned)
    outputs = [*_edition_outputs(curated.targets.edition), "digest.md", "index.html"]
    for path in outputs:
        text = curated.texts[path]
        places = {
            story: text.find(f"stories/{story}/") for story in set(re.findall(r"stories/(s-[^/]+)/", text))
        }
        assert min(places, key=places.__getitem__) == pinned, path
    for path in (f"stories/{pinned}/index.html", "index.html"):
        assert "Editor\u2019s pick" in curated.texts[path], path


def test_the_edition_note_reaches_the_edition_in_every_format(curated: Curated) -> None:
    outputs = [*_edition_outputs(curated.targets.edition), "digest.md", "index.html"]
    assert [path for path in outputs if EDITION_NOTE not in curated.texts[path]] == []


def test_a_story_note_reaches_every_output_that_shows_the_story(curated: Curated) -> None:
    noted = _story_id(curated.targets.noted)
    outputs = [f"stories/{noted}/index.html", "feed.json", "feed.xml", "digest.md"]
    outputs += [p for p in _edition_outputs(curated.targets.edition) if not p.endswith("index.html")]
    assert [path for path in outputs if STORY_NOTE not in curated.texts[path]] == []
    topic_feeds = [p for p in _listing(curated.texts, noted) if p.startswith("tags/") and p.endswith(".xml")]
    assert topic_feeds and all(STORY_NOTE in curated.texts[path] for path in topic_feeds)


# --- a broken file -------------------------------------------------------------------------------


def test_a_broken_curation_file_stops_the_build_naming_the_rule(
    tmp_path: Path, demo_build: Built, sample_server: SampleServer
) -> None:
    built = _curated_build(tmp_path, demo_build, sample_server, '[[pin]]\nstroy = "s-1"\n')
    assert built.result.returncode == 2
    assert "site.curation" in built.result.stderr
    assert "pin[0].stroy: unknown key" in built.result.stderr
    assert "pin[0].story: required" in built.result.stderr
