"""Derived results are reused only for the same inputs; a change of input computes them again."""

import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from digest import derived
from digest.derived import at_once
from digest.records import Article, Cluster, FeedSource, Judgement, OutputFile, Problem, Source, Story, Tags
from digest.render.search import Period
from digest.store import Store
from digest.stories import StoryJob, job_digest

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def _article(n: int, text: str = "") -> Article:
    return Article(
        id=f"a{n}",
        url=f"https://news.example/{n}",
        feed_url="https://feeds.example/a.xml",
        source="Outlet A",
        title=f"Title {n}",
        text=text or f"Body of article {n}.",
        published=NOW,
        first_seen=NOW,
    )


class CountingJudge:
    def __init__(self) -> None:
        self.judged: list[str] = []

    def __call__(self, articles: Sequence[Article]) -> dict[str, Judgement]:
        self.judged += [a.id for a in articles]
        return {a.id: Judgement(a.id, on_topic=len(a.text) % 2 == 0, score=len(a.text)) for a in articles}


def test_only_new_or_changed_articles_are_judged_again(tmp_path: Path) -> None:
    articles = [_article(n) for n in range(3)]
    with Store.open(tmp_path / "s.sqlite") as store:
        first = CountingJudge()
        judged = derived.judgements_for(articles, store, at_once(first))
        assert first.judged == ["a0", "a1", "a2"]

        again = CountingJudge()
        changed = [articles[0], replace(articles[1], text="A corrected body."), _article(3)]
        rejudged = derived.judgements_for(changed, store, at_once(again))
    assert again.judged == ["a1", "a3"]
    assert rejudged["a0"] == judged["a0"]
    assert rejudged["a1"].score == len("A corrected body.")
    assert set(rejudged) == {"a0", "a1", "a3"}


def test_stories_are_composed_again_when_an_input_changes(tmp_path: Path) -> None:
    articles = [_article(n) for n in range(2)]
    judgements = {a.id: Judgement(a.id, True, 3.0) for a in articles}
    calls: list[int] = []

    def compose(scope: Sequence[Article]) -> list[derived.Composed]:
        calls.append(1)
        return []

    with Store.open(tmp_path / "s.sqlite") as store:
        derived.stories_for(articles, judgements, (), store, compose)
        derived.stories_for(articles, judgements, (), store, compose)
        assert len(calls) == 1
        derived.stories_for(articles[:1], judgements, (), store, compose)
        assert len(calls) == 2
        other = {**judgements, "a0": Judgement("a0", True, 4.0)}
        derived.stories_for(articles, other, (), store, compose)
        assert len(calls) == 3


DAY = timedelta(days=1)


def _dated(name: str, published: datetime, text: str = "") -> Article:
    return replace(_article(0, text), id=name, url=f"https://news.example/{name}", published=published)


class StoryPerPrefix:
    """Composes the articles it is given into one story per id prefix ("a-1" and "a-2" are one
    story), and remembers what it was given."""

    def __init__(self) -> None:
        self.given: list[list[str]] = []

    def __call__(self, scope: Sequence[Article]) -> list[derived.Composed]:
        self.given.append([a.id for a in scope])
        groups: dict[str, list[Article]] = {}
        for article in scope:
            groups.setdefault(article.id.split("-")[0], []).append(article)
        return [(_story_of(members), tuple(a.id for a in members)) for members in groups.values()]


def _story_of(members: Sequence[Article]) -> Story:
    lead = members[0]
    sources = tuple(Source(a.id, a.url, a.title, a.source) for a in members)
    return Story(
        f"s-{lead.id}", lead.title, lead.id, sources, (), (), Tags(), 1.0, lead.published, lead.first_seen
    )


def _stories(articles: Sequence[Article], store: Store, compose: StoryPerPrefix) -> list[str]:
    judgements = {a.id: Judgement(a.id, True, 3.0) for a in articles}
    return [story.id for story in derived.stories_for(articles, judgements, (), store, compose)]


def test_only_the_stories_near_a_new_article_in_time_are_composed_again(tmp_path: Path) -> None:
    archive = [_dated("old", NOW - 30 * DAY), _dated("week", NOW - 9 * DAY), _dated("near", NOW - 2 * DAY)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        assert _stories(archive, store, compose) == ["s-near", "s-week", "s-old"]
        built = _stories([*archive, _dated("new", NOW)], store, compose)
    assert built == ["s-new", "s-near", "s-week", "s-old"]
    assert compose.given == [["old", "week", "near"], ["near", "new"]]  # within 7 days of "new"


def test_nothing_new_composes_nothing_and_keeps_every_story(tmp_path: Path) -> None:
    archive = [_dated("a", NOW - 20 * DAY), _dated("b", NOW)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        first = _stories(archive, store, compose)
        again = _stories(archive, store, compose)
    assert again == first == ["s-b", "s-a"]
    assert compose.given == [["a", "b"]]


def test_a_build_writes_only_the_stories_and_articles_that_changed_since_the_last(tmp_path: Path) -> None:
    archive = [_dated(f"a{n}", NOW - (30 + n) * DAY) for n in range(20)] + [_dated("near", NOW - DAY)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        _stories(archive, store, compose)
        assert len(store.derived_items(derived.LAST_STORY)) == 21
        assert len(store.derived_items(derived.LAST_INPUTS)) == 21
        before = store.db.total_changes
        built = _stories([*archive[1:], _dated("new", NOW)], store, compose)  # a0 gone, "new" in
        # The new story and article written ("near" was composed again, the same), a0's story and
        # inputs forgotten, the program's row, and the scope's stories (``derived.reused``)
        assert store.db.total_changes - before == 2 + 2 + 1 + 1
        assert _stories([*archive[1:], _dated("new", NOW)], store, compose) == built
        assert set(store.derived_items(derived.LAST_STORY)) == {f"s-{name}" for name in ("new", "near")} | {
            f"s-a{n}" for n in range(1, 20)
        }
    assert compose.given[1:] == [["near", "new"]]


@pytest.mark.parametrize("damage", [b"not a pickle", pickle.dumps(("not", "a story"))])
def test_a_damaged_story_row_composes_every_story_again_and_leaves_no_stale_row(
    tmp_path: Path, damage: bytes
) -> None:
    archive = [_dated("a", NOW - 20 * DAY), _dated("b", NOW)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        _stories(archive, store, compose)
        with store.db:
            store.db.execute("UPDATE derived_items SET value = ? WHERE key = 's-a'", (damage,))
        assert _stories(archive[1:], store, compose) == ["s-b"]
        assert set(store.derived_items(derived.LAST_STORY)) == {"s-b"}
        assert set(store.derived_items(derived.LAST_INPUTS)) == {"b"}
    assert compose.given == [["a", "b"], ["b"]]


def test_a_changed_or_vanished_article_composes_its_story_again(tmp_path: Path) -> None:
    archive = [_dated("a-1", NOW - 60 * DAY), _dated("b-1", NOW - 40 * DAY), _dated("b-2", NOW - 40 * DAY)]
    archive += [_dated("c-1", NOW - 20 * DAY)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        _stories(archive, store, compose)
        corrected = replace(archive[0], text="A corrected body.")
        _stories([corrected, *archive[1:]], store, compose)
        assert compose.given[-1] == ["a-1"]
        built = _stories([corrected, archive[1], archive[3]], store, compose)  # "b-2" is gone
    assert compose.given[-1] == ["b-1"]
    assert built == ["s-c-1", "s-b-1", "s-a-1"]


def test_a_back_dated_article_reopens_the_stories_of_its_own_week(tmp_path: Path) -> None:
    archive = [_dated("then", NOW - 40 * DAY), _dated("later", NOW - 10 * DAY)]
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        _stories(archive, store, compose)
        _stories([*archive, _dated("late", NOW - 38 * DAY)], store, compose)
    assert compose.given[-1] == ["then", "late"]


def test_a_feed_s_new_settings_compose_its_stories_again_and_a_new_feed_none(tmp_path: Path) -> None:
    archive = [_dated("a", NOW - 20 * DAY), replace(_dated("b", NOW), feed_url="https://feeds.example/b.xml")]
    judgements = {a.id: Judgement(a.id, True, 1.0) for a in archive}
    feed_a = FeedSource(url="https://feeds.example/a.xml", name="A")
    feed_b = FeedSource(url="https://feeds.example/b.xml", name="B")
    added = FeedSource(url="https://feeds.example/c.xml", name="C")
    compose = StoryPerPrefix()
    with Store.open(tmp_path / "s.sqlite") as store:
        derived.stories_for(archive, judgements, (feed_a, feed_b), store, compose)
        derived.stories_for(archive, judgements, (feed_a, feed_b, added), store, compose)
        assert compose.given == [["a", "b"]]
        retagged = replace(feed_a, tags=("doxxing",))
        derived.stories_for(archive, judgements, (retagged, feed_b, added), store, compose)
    assert compose.given == [["a", "b"], ["a"]]


def test_digest_does_not_depend_on_which_equal_strings_are_one_object() -> None:
    shared = "Outlet " + "A"
    first = [replace(_article(n), source=shared) for n in range(2)]
    second = [replace(_article(n), source="".join(["Outlet", " A"])) for n in range(2)]
    assert derived.digest_of(tuple(first)) == derived.digest_of(tuple(second))


def _periods(*pages_by_label: tuple[str, tuple[str, ...]]) -> list[Period]:
    return [
        Period(label, "pagefind" if n == 0 else f"pagefind/{label}", pages)
        for n, (label, pages) in enumerate(pages_by_label)
    ]


Attempts = list[tuple[Path, tuple[str, ...]]]
INDEXER = "pagefind 1.5.2; en"


def _indexer(attempts: Attempts, fails: bool = False) -> derived.PeriodIndexer:
    def index(staged: Path, pages: Sequence[str]) -> Callable[[], tuple[list[OutputFile], list[Problem]]]:
        attempts.append((staged, tuple(pages)))
        if fails:
            return lambda: ([], [Problem("search index", "search_unavailable", "no pagefind binary")])
        entry = OutputFile("pagefind/pagefind-entry.json", " ".join(pages).encode())
        return lambda: ([OutputFile("pagefind/pagefind.js", b"js"), entry], [])

    return index


def test_a_failed_search_index_is_not_reused(tmp_path: Path) -> None:
    periods = _periods(("2026-11", ("stories/s-1/index.html",)))
    searched = {"stories/s-1/index.html": b"<p>one</p>", "stories/s-2/index.html": b"two"}
    attempts: Attempts = []
    bundle = [
        OutputFile("pagefind/pagefind-entry.json", b"stories/s-1/index.html"),
        OutputFile("pagefind/pagefind.js", b"js"),
    ]
    with Store.open(tmp_path / "s.sqlite") as store:
        failed = derived.search_bundles_for(periods, searched, INDEXER, store, _indexer(attempts, fails=True))
        assert failed.start(tmp_path / "one")() == [] and failed.problems()
        indexed = derived.search_bundles_for(periods, searched, INDEXER, store, _indexer(attempts))
        assert indexed.start(tmp_path / "two")() == bundle and indexed.problems() == []
        kept = derived.search_bundles_for(
            periods, searched, INDEXER, store, _indexer(attempts)
        )  # the same pages
        assert kept.start(tmp_path / "three")() == bundle and kept.problems() == [] and kept.indexed() == []
        other = _periods(("2026-11", ("stories/s-2/index.html",)))
        never = derived.search_bundles_for(other, searched, INDEXER, store, _indexer(attempts))
        assert never.problems() == []  # the site was not published: nothing was started
    assert [staged for staged, _ in attempts] == [tmp_path / "one", tmp_path / "two"]


def test_only_the_periods_whose_pages_changed_are_indexed_again(tmp_path: Path) -> None:
    november, october, year = (
        ("stories/n-1/index.html",),
        ("stories/o-1/index.html",),
        ("stories/y-1/index.html",),
    )
    periods = _periods(("2026-11", november), ("2026-10", october), ("2025", year))
    searched = {november[0]: b"november", october[0]: b"october", year[0]: b"last year"}
    attempts: Attempts = []
    with Store.open(tmp_path / "s.sqlite") as store:
        first = derived.search_bundles_for(periods, searched, INDEXER, store, _indexer(attempts))
        files = first.start(tmp_path)()
        assert first.indexed() == ["2025", "2026-10", "2026-11"]
        # The newest period's bundle is whole at pagefind/; a merged one has no code of its own.
        assert [f.path for f in files] == [
            "pagefind/pagefind-entry.json",
            "pagefind/pagefind.js",
            "pagefind/2026-10/pagefind-entry.json",
            "pagefind/2025/pagefind-entry.json",
        ]
        attempts.clear()
        changed = {**searched, november[0]: b"november, with a new source"}
        again = derived.search_bundles_for(periods, changed, INDEXER, store, _indexer(attempts))
        assert again.start(tmp_path)() == files  # the fake indexer's bundle depends on the paths alone
        assert again.indexed() == ["2026-11"] and attempts == [(tmp_path, november)]
        # A new month: November's bundle moves to pagefind/2026-11/ as it is, not indexed again.
        attempts.clear()
        december = ("stories/d-1/index.html",)
        later = _periods(("2026-12", december), ("2026-11", november), ("2026-10", october), ("2025", year))
        moved = derived.search_bundles_for(
            later, {**changed, december[0]: b"december"}, INDEXER, store, _indexer(attempts)
        )
        paths = [f.path for f in moved.start(tmp_path)()]
        assert attempts == [(tmp_path, december)]
        assert "pagefind/2026-11/pagefind-entry.json" in paths and "pagefind/2026-11/pagefind.js" not in paths


def test_another_version_of_the_indexer_indexes_every_period_again(tmp_path: Path) -> None:
    """A kept bundle merged by another version's code might not be readable by it."""
    periods = _periods(("2026-11", ("stories/n-1/index.html",)), ("2026-10", ("stories/o-1/index.html",)))
    searched = {"stories/n-1/index.html": b"november", "stories/o-1/index.html": b"october"}
    attempts: Attempts = []
    with Store.open(tmp_path / "s.sqlite") as store:
        for indexer in (INDEXER, INDEXER, "pagefind 1.6.0; en"):
            derived.search_bundles_for(periods, searched, indexer, store, _indexer(attempts)).start(
                tmp_path
            )()
    assert len(attempts) == 4  # both periods at first, none again, both for the new version


def test_the_bundles_of_periods_no_longer_shown_are_dropped(tmp_path: Path) -> None:
    october, november = ("stories/o-1/index.html",), ("stories/n-1/index.html",)
    searched = {october[0]: b"october", november[0]: b"november"}
    attempts: Attempts = []
    with Store.open(tmp_path / "s.sqlite") as store:
        store.save_derived("search", "old-inputs", b"the one bundle of an older version")
        months = _periods(("2026-11", november), ("2026-10", october))
        derived.search_bundles_for(months, searched, INDEXER, store, _indexer(attempts)).start(tmp_path)()
        assert store.derived("search", "old-inputs") is None
        # The next year: both months are one bundle, "2026".
        year = _periods(("2027-01", ("stories/j-1/index.html",)), ("2026", october + november))
        more = {**searched, "stories/j-1/index.html": b"january"}
        derived.search_bundles_for(year, more, INDEXER, store, _indexer(attempts)).start(tmp_path)()
        names = [row[0] for row in store.db.execute("SELECT name FROM derived ORDER BY name")]
        assert names == ["search 2026", "search 2027-01"]


def test_each_value_is_computed_once_and_values_no_longer_asked_for_are_dropped(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def lengths(items: Sequence[str]) -> list[int]:
        calls.append(list(items))
        return [len(item) for item in items]

    with Store.open(tmp_path / "s.sqlite") as store:
        assert derived.reused_each("lengths", ["a", "bb"], store, at_once(lengths)) == [1, 2]
        assert derived.reused_each("lengths", ["bb", "ccc", "a"], store, at_once(lengths)) == [2, 3, 1]
        assert derived.reused_each("lengths", ["ccc"], store, at_once(lengths)) == [3]
        assert derived.reused_each("lengths", ["a"], store, at_once(lengths)) == [1]
    assert calls == [["a", "bb"], ["ccc"], ["a"]]  # "a" was dropped when a build no longer had it


EVENTS: list[str] = []


@dataclass(frozen=True)
class Logged:
    """A saved value that notes each time it is read back from the store."""

    size: int

    def __setstate__(self, state: dict[str, int]) -> None:
        EVENTS.append(f"read {state['size']}")
        object.__setattr__(self, "size", state["size"])


def test_the_new_values_are_started_before_the_saved_ones_are_read(tmp_path: Path) -> None:
    def start(items: Sequence[str]) -> Callable[[], list[Logged]]:
        EVENTS.append(f"started {list(items)}")

        def wait() -> list[Logged]:
            EVENTS.append("waited")
            return [Logged(len(item)) for item in items]

        return wait

    with Store.open(tmp_path / "s.sqlite") as store:
        derived.reused_each("sizes", ["a", "bb"], store, start)
        EVENTS.clear()
        values = derived.reused_each("sizes", ["a", "bb", "cccc"], store, start)
    assert values == [Logged(1), Logged(2), Logged(4)]
    assert EVENTS[0] == "started ['cccc']"  # the workers work it out while the saved values are read
    assert sorted(EVENTS[1:3]) == ["read 1", "read 2"]
    assert EVENTS[3:] == ["waited"]


def test_a_build_writes_only_the_values_it_worked_out_and_a_damaged_one_is_worked_out_again(
    tmp_path: Path,
) -> None:
    calls: list[list[str]] = []

    def lengths(items: Sequence[str]) -> list[int]:
        calls.append(list(items))
        return [len(item) for item in items]

    words = ["a", "bb", "ccc"]
    with Store.open(tmp_path / "s.sqlite") as store:
        derived.reused_each("lengths", words, store, at_once(lengths))
        written = store.db.total_changes
        assert derived.reused_each("lengths", words, store, at_once(lengths)) == [1, 2, 3]
        assert store.db.total_changes == written  # nothing new: nothing written
        bb = derived.digest_of("bb")
        with store.db:
            store.db.execute("UPDATE derived_items SET value = ? WHERE key = ?", (b"not a pickle", bb))
        assert derived.reused_each("lengths", [*words, "dddd"], store, at_once(lengths)) == [1, 2, 3, 4]
        assert store.db.total_changes == written + 3  # the damaged value and the new one, after the damage
        assert sorted(pickle.loads(v) for v in store.derived_items("lengths").values()) == [1, 2, 3, 4]
    assert calls == [words, ["dddd"], ["bb"]]  # the new value is started before the damage is found


def test_a_story_job_is_keyed_by_its_articles_whole_text() -> None:
    members = (_article(1), _article(2))
    cluster = Cluster(article_ids=("a1", "a2"))
    job = StoryJob(cluster, members, (), (), ())
    assert derived.article_digest(members[0]) == derived.digest_of(members[0])
    assert job_digest(job) == job_digest(StoryJob(cluster, (_article(1), _article(2)), (), (), ()))
    edited = StoryJob(cluster, (members[0], _article(2, "Body of article 2, corrected.")), (), (), ())
    assert job_digest(edited) != job_digest(job)


def test_digest_tells_apart_values_that_print_alike() -> None:
    distinct = [
        ("ab", "c"),
        ("a", "bc"),
        ("as:b",),  # what a separator alone would confuse with ("a", "b")
        ("1",),
        (1,),
        (b"1",),
        (("a",), "b"),
        ("a", "b"),
        ([], ""),
        ("", []),
    ]
    assert len({derived.digest_of(*parts) for parts in distinct}) == len(distinct)
    assert derived.digest_of(_article(1)) == derived.digest_of(replace(_article(1)))
    assert derived.digest_of(_article(1)) != derived.digest_of(
        replace(_article(1), text=_article(1).text + "!")
    )


def test_published_pages_are_those_still_as_the_last_build_left_them(tmp_path: Path) -> None:
    out = tmp_path / "site"
    story, edited, gone, unkeyed = "stories/a/index.html", "edited.html", "gone.html", "index.html"
    for path in (story, edited, gone, unkeyed):
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_bytes(path.encode())
    files = [
        OutputFile(story, b"", "key a", kept=True),
        OutputFile(edited, edited.encode(), "key e"),
        OutputFile(gone, gone.encode(), "key g"),
        OutputFile(unkeyed, unkeyed.encode()),
    ]
    with Store.open(tmp_path / "s.sqlite") as store:
        derived.remember_pages(store, out, files)
        (out / edited).write_bytes(b"edited by hand")
        (out / gone).unlink()
        assert derived.published_pages(store, out) == {story: "key a"}
        assert derived.published_pages(store, tmp_path / "another-site") == {}
        # An entry of another shape (damaged, or another version's) is dropped, not a crash.
        damaged = {story: "key a", edited: ("key e",)}
        store.save_derived(derived.PAGES, str(out.absolute()), pickle.dumps(damaged))
        assert derived.published_pages(store, out) == {}
