"""End to end: the sample corpus served on 127.0.0.1, built by the real command line."""

from __future__ import annotations

import json
import pickle
import re
import socket
import sqlite3
import subprocess
import tomllib
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

from digest.sample.server import SampleServer
from tests.conftest import NOW_TEXT, Built, build_command, run_build

ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLES = Path(__file__).parents[2] / "digest" / "sample" / "articles"
LABELS = Path(__file__).parents[1] / "eval"


def _labels() -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for path in sorted(LABELS.glob("labels_*.toml")):
        for label in tomllib.loads(path.read_text())["article"]:
            found[label["id"]] = label
    return found


def _feed_items(built: Built) -> list[dict[str, object]]:
    return json.loads((built.out / "feed.json").read_text())["items"]  # type: ignore[no-any-return]


def test_site_files_and_one_line_per_failing_feed(demo_build: Built) -> None:
    for name in ("index.html", "feed.json", "feed.xml", "digest.md", "status.html"):
        assert (demo_build.out / name).stat().st_size > 0, name
    stderr = demo_build.result.stderr
    assert re.search(r"^warning: Broken Feed: http_status: .*500", stderr, re.M), stderr
    assert "failing" in stderr.splitlines()[-2] or "failing" in stderr
    status = (demo_build.out / "status.html").read_text()
    assert "Broken Feed" in status and "500" in status


def test_feed_json_contract(demo_build: Built) -> None:
    document = json.loads((demo_build.out / "feed.json").read_text())
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["items"], "no stories in feed.json"
    for item in document["items"]:
        for key, kind in (("id", str), ("url", str), ("title", str), ("summary", str), ("tags", list)):
            assert isinstance(item[key], kind), (key, item)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", item["date_published"])
        extension = item["_digest"]
        assert extension["sources"] and all(
            set(s) >= {"url", "title", "source"} for s in extension["sources"]
        )
        assert all(set(q) >= {"speaker", "text"} for q in extension["quotes"])
        assert isinstance(extension["jurisdictions"], list)
        assert isinstance(extension["relevance"], int | float)


def test_atom_feed_has_absolute_links_and_ids(demo_build: Built) -> None:
    root = ElementTree.parse(demo_build.out / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert entry.findtext(f"{ATOM}id")
        assert entry.findtext(f"{ATOM}updated")
        for link in entry.findall(f"{ATOM}link"):
            assert link.get("href", "").startswith("http")


def test_off_topic_items_never_reach_readers(demo_build: Built) -> None:
    labels = _labels()
    titles = {
        tomllib.loads(p.read_text())["title"]
        for p in ARTICLES.glob("*.toml")
        if not labels.get(p.stem, {}).get("on_topic", True)
    }
    shown = json.dumps(_feed_items(demo_build)) + (demo_build.out / "index.html").read_text()
    leaked = [title for title in titles if json.dumps(title)[1:-1] in shown]
    assert len(leaked) <= len(titles) // 10, leaked  # relevance precision is measured by make eval


def test_comments_and_promos_never_reach_a_summary(demo_build: Built) -> None:
    planted: list[str] = []
    for path in ARTICLES.glob("*.toml"):
        article = tomllib.loads(path.read_text())
        planted += [c["text"] for c in article.get("comments", [])]
        planted += [article[key] for key in ("promo", "caption") if article.get(key)]
    summaries = " ".join(str(item["summary"]) for item in _feed_items(demo_build))
    quotes = " ".join(q["text"] for item in _feed_items(demo_build) for q in item["_digest"]["quotes"])  # type: ignore[index]
    for text in planted:
        fragment = text[:60]
        assert fragment not in summaries and fragment not in quotes, fragment


def test_rerun_costs_304s_and_no_page_fetches(tmp_path: Path, sample_server: SampleServer) -> None:
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    feed_paths = {urlsplit(url).path for _, url in sample_server.feeds()}
    before = len(sample_server.requests)
    second = run_build(tmp_path, sample_server)
    assert second.result.returncode == 0, second.result.stderr
    rerun = sample_server.requests[before:]
    assert {path for _, path, _ in rerun} == feed_paths, "only the feeds are asked for again"
    answered = [status for _, path, status in rerun if "broken" not in path]
    assert answered and all(status == 304 for status in answered), rerun
    assert first.out.joinpath("index.html").read_bytes() == second.out.joinpath("index.html").read_bytes()


def test_a_rerun_with_nothing_new_imports_neither_the_feed_parser_nor_the_extractor(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    command = build_command(first.config, first.out, NOW_TEXT)
    command[1:1] = ["-X", "importtime"]  # one stderr line per module imported, by any process
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert rerun.returncode == 0, rerun.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in rerun.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "digest.pipeline" in imported  # the flag took effect
    heavy = {name for name in imported if name.split(".")[0] in ("feedparser", "trafilatura")}
    assert not heavy, sorted(heavy)


def test_same_inputs_and_clock_give_byte_identical_sites(tmp_path: Path, sample_server: SampleServer) -> None:
    one = run_build(tmp_path / "one", sample_server)
    two = run_build(tmp_path / "two", sample_server)
    files_one = {p.relative_to(one.out): p.read_bytes() for p in one.out.rglob("*") if p.is_file()}
    files_two = {p.relative_to(two.out): p.read_bytes() for p in two.out.rglob("*") if p.is_file()}
    assert files_one.keys() == files_two.keys()
    differing = [str(path) for path in files_one if files_one[path] != files_two[path]]
    assert not differing, differing[:10]


def test_broken_config_is_exit_2_with_one_line(tmp_path: Path, sample_server: SampleServer) -> None:
    config = tmp_path / "digest.toml"
    config.write_text('[fetch]\ntimeout_s = "soon"\n[[feeds]]\nurl = "http://127.0.0.1:1/x"\n')
    built = run_build(tmp_path, sample_server)
    assert built.result.returncode == 2
    assert built.result.stderr.count("\n") == 1
    assert "fetch.timeout_s: expected float, got str" in built.result.stderr


def test_unreachable_feeds_still_build_from_the_store(tmp_path: Path, sample_server: SampleServer) -> None:
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0
    with socket.socket() as closed:  # a port nobody listens on: connection refused, instantly
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    text = first.config.read_text()
    first.config.write_text(re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", text))
    second = run_build(tmp_path, sample_server)
    assert second.result.returncode == 0, second.result.stderr
    feeds = len(tomllib.loads(text)["feeds"])
    assert len(re.findall(r"^warning: .*: connection: ", second.result.stderr, re.M)) == feeds, (
        second.result.stderr
    )
    assert _feed_items(second) == _feed_items(first)


def _snapshot(site: Path) -> dict[str, tuple[int, bytes]]:
    """Every published file -> (inode, bytes); the publisher's own marker file is not site content."""
    return {
        path.relative_to(site).as_posix(): (path.stat().st_ino, path.read_bytes())
        for path in site.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    }


def test_a_rebuild_hours_later_rewrites_only_what_depends_on_the_clock(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    before = _snapshot(first.out)
    later = run_build(tmp_path, sample_server, now="2026-11-22T15:30:00Z")  # same ISO week, same inputs
    assert later.result.returncode == 0, later.result.stderr
    after = _snapshot(later.out)
    assert after.keys() == before.keys()
    changed = sorted(path for path in after if after[path][1] != before[path][1])
    rewritten = sorted(path for path in after if after[path][0] != before[path][0])
    # The status page says when the build ran and how long a feed has failed; nothing else may change,
    # and a file whose bytes are the same keeps its inode (publishing links it, not rewrites it).
    assert changed == ["status.html", "status/index.html"]
    assert rewritten == changed


def test_published_editions_and_story_pages_outlive_the_age_limit(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    """A build months later, with nothing new, still publishes every edition and story page of the
    first: the age limit (60 days) keeps back issues out, it does not empty the archive."""
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    pages = _edition_and_story_pages(first.out)
    items = json.loads((first.out / "feed.json").read_text("utf-8"))["items"]
    assert any(p.startswith("editions/") for p in pages) and any(p.startswith("stories/") for p in pages)
    later = run_build(tmp_path, sample_server, "--offline", now="2027-03-22T12:00:00Z")  # 120 days on
    assert later.result.returncode == 0, later.result.stderr
    assert _edition_and_story_pages(later.out) == pages
    later_items = json.loads((later.out / "feed.json").read_text("utf-8"))["items"]
    assert [item["id"] for item in later_items] == [item["id"] for item in items]


def test_a_feed_taken_out_of_the_config_leaves_the_status_page_and_its_stories_stay(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    feeds = first.config.read_text("utf-8").split("[[feeds]]")
    dropped = re.search(r'url = "([^"]+)"', feeds[1])
    assert dropped is not None and dropped.group(1) in (first.out / "status.html").read_text("utf-8")
    pages = _edition_and_story_pages(first.out)
    first.config.write_text("[[feeds]]".join([feeds[0], *feeds[2:]]), encoding="utf-8")
    later = run_build(tmp_path, sample_server, "--offline")
    assert later.result.returncode == 0, later.result.stderr
    assert dropped.group(1) not in (later.out / "status.html").read_text("utf-8")
    assert _edition_and_story_pages(later.out) == pages


def _edition_and_story_pages(site: Path) -> list[str]:
    pages = [*site.glob("editions/*/index.html"), *site.glob("stories/*/index.html")]
    return sorted(page.relative_to(site).as_posix() for page in pages)


def test_a_build_keeps_each_derived_result_for_the_next(demo_build: Built) -> None:
    """Judgements and traits per article, stories per cluster and as a whole, each story's section,
    the search bundle: each under its own name, so that saving one never overwrites another."""
    with sqlite3.connect(demo_build.store) as db:
        rows = dict(db.execute("SELECT name, value FROM derived").fetchall())
        items = Counter(name for (name,) in db.execute("SELECT name FROM derived_items"))
        values = [pickle.loads(value) for (value,) in db.execute("SELECT value FROM derived_items")]
        kept = db.execute("SELECT count(*) FROM judgements WHERE on_topic = 1").fetchone()[0]
        judged = db.execute("SELECT count(*) FROM judgements").fetchone()[0]
    assert set(rows) >= {"stories", "last stories"}
    # One search bundle per month (or per year a month past): the sample is November's.
    assert sorted(name for name in rows if name.startswith("search")) == ["search 2026-11"]
    assert (demo_build.out / "pagefind" / "pagefind-entry.json").is_file()
    stories = re.search(r"built: (\d+) stories", demo_build.result.stderr)
    assert stories is not None
    built = int(stories.group(1))
    assert items == {
        "judgements": judged,
        "traits": kept,
        "cluster stories": built,
        "sections": built,
        "last story": built,
        "last inputs": kept,
    }
    assert {type(value).__name__ for value in values} >= {"Judgement", "tuple", "Story", "str"}


def test_a_broken_template_rendered_in_a_worker_is_one_line_and_keeps_the_site(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    """Story pages are rendered in the worker processes: their template errors still end the build
    with one line naming the template, and the site published before stays whole."""
    first = run_build(tmp_path, sample_server)
    assert first.result.returncode == 0, first.result.stderr
    before = _snapshot(first.out)
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "story.html").write_text(
        "{% extends 'base.html' %}{% block content %}{{ story.title", "utf-8"
    )
    first.config.write_text(first.config.read_text().replace("[site]\n", '[site]\ntemplates = "tpl"\n'))
    broken = run_build(tmp_path, sample_server)
    assert broken.result.returncode == 2
    assert broken.result.stderr.count("\n") == 1, broken.result.stderr
    assert "template story.html" in broken.result.stderr
    assert _snapshot(first.out) == before


def test_a_rebuild_keeps_unchanged_pages_and_renders_again_those_touched_by_hand(
    tmp_path: Path, sample_server: SampleServer
) -> None:
    """A page whose inputs did not change is not rendered again: publishing links the published file.
    One edited or removed by hand since is rendered again, and the site is the one a first build of
    the same inputs publishes."""
    first = run_build(tmp_path / "site-a", sample_server)
    assert first.result.returncode == 0, first.result.stderr
    edited, removed = sorted((first.out / "stories").glob("*/index.html"))[:2]
    email = sorted(first.out.glob("editions/*/email.txt"))[-1]
    originals = {path: path.read_bytes() for path in (edited, removed, email)}
    edited.write_bytes(b"<p>edited by hand</p>")
    email.write_bytes(b"edited by hand\n")
    removed.unlink()
    second = run_build(tmp_path / "site-a", sample_server, "--verbose")
    assert second.result.returncode == 0, second.result.stderr
    counts = re.search(r"render: (\d+) of (\d+) files kept as published", second.result.stderr)
    assert counts is not None, second.result.stderr[-2000:]
    stories = len(list(first.out.glob("stories/*/index.html")))
    assert int(counts[1]) >= stories - 2 > 0  # every story page but the two touched, and more
    assert {path: path.read_bytes() for path in originals} == originals
    assert "search: indexed []" in second.result.stderr  # a kept page's search record is the same

    fresh = run_build(tmp_path / "site-b", sample_server)
    assert fresh.result.returncode == 0, fresh.result.stderr
    status = {"status.html", "status/index.html"}  # when each feed was last fetched differs
    rebuilt, made = _snapshot(second.out), _snapshot(fresh.out)
    assert rebuilt.keys() == made.keys()
    differing = [path for path in rebuilt if path not in status and rebuilt[path][1] != made[path][1]]
    assert not differing, differing[:10]
