"""Reuse what an earlier build derived from the same inputs: judgements, cluster traits and story
facts per article, stories per cluster and as a whole, the search bundle of each period.

Every derived result is saved in the store's ``derived`` table under a digest of everything it was
computed from, this program's own code and word lists included, so a result is reused only when
computing it again would give the same bytes. A rebuild in which nothing changed skips relevance,
clustering, summaries, tags and the search indexer; a rebuild with a few new articles judges and
reads only those, clusters them with the stories near them in time, and composes only the stories
whose members changed. The values are pickles the build itself wrote into its own store: the store
is trusted like the program (whoever can write it can already change every page).

One result is more than a saving of time: the last build's stories (``LastStories``). A story far in
time from every new article is kept as it is, so old stories settle; without the saved stories, a
build clusters the whole archive at once, and a story may regroup (its old URL then leads to the
story that holds its articles).
"""

from __future__ import annotations

import bisect
import functools
import logging
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from digest.fingerprint import digest_of
from digest.records import Article, FeedSource, Judgement, OutputFile, Problem, Story
from digest.store import Store

if TYPE_CHECKING:
    from digest.render.search import Period as SearchPeriod

log = logging.getLogger(__name__)

T = TypeVar("T")
Item = TypeVar("Item")
Result = TypeVar("Result")


@functools.lru_cache(maxsize=1 << 18)  # more than a build's articles: see below
def article_digest(article: Article) -> str:
    """``digest_of(article)``, worked out once per article however many results are keyed by it
    (judgements, traits, stories, cluster stories): each costs a copy of the text. Every stage scans
    the articles in the same order, so a cache smaller than the archive misses on every call (three
    scans of 40,000 articles: 2.28 s with room for 32,768, 0.74 s with room for all)."""
    return digest_of(article)


def reused(store: Store, name: str, inputs: str, compute: Callable[[], T]) -> T:
    """The value saved under ``name`` for these ``inputs``, or ``compute()`` saved for next time."""
    saved = store.derived(name, inputs)
    if saved is not None:
        try:
            value: T = pickle.loads(saved)
            log.debug("%s: reused from the last build", name)
            return value
        except Exception as exc:  # a stale or damaged value only costs the time to compute it again
            log.debug("%s: saved value unusable (%s); computing it again", name, exc)
    value = compute()
    store.save_derived(name, inputs, pickle.dumps(value, protocol=5))
    return value


Start = Callable[[Sequence[Item]], Callable[[], T]]  # starts work on items; waits for its result


def at_once(compute: Callable[[Sequence[Item]], T]) -> Start[Item, T]:
    """``compute`` as a ``Start`` that does the work as it is started, in this process."""

    def start(items: Sequence[Item]) -> Callable[[], T]:
        done = compute(items)
        return lambda: done

    return start


def reused_each(
    name: str,
    items: Sequence[Item],
    store: Store,
    start: Start[Item, list[Result]],
    key: Callable[[Item], str] = digest_of,
) -> list[Result]:
    """One value per item: the value the last build saved for an item with the same ``key`` (a
    digest of what the value is worked out from; by default of the whole item), else what ``start``
    works out for the items not seen before (started once, with all of them; a saved value found
    damaged is worked out in a second start). Each value is a row of its own: a build writes the
    values it worked out, and forgets those no longer asked for, so they do not pile up."""
    keys = [key(item) for item in items]
    saved = store.derived_items(name)
    wanted = dict(zip(keys, items, strict=True))  # key -> its item
    missing = {key: item for key, item in wanted.items() if key not in saved}
    # Started before the saved values are read: the workers work out the new ones meanwhile (a
    # rebuild reads some 15,000 saved values in 0.4 s while the workers judge and read its articles).
    waiting = start(list(missing.values())) if missing else None
    known = {
        key: value
        for key, raw in saved.items()
        if key in wanted and (value := _unpickled(raw)) is not DAMAGED
    }
    damaged = {key: item for key, item in wanted.items() if key in saved and key not in known}
    fresh = dict(zip(missing, waiting() if waiting else [], strict=True))
    if damaged:
        fresh |= dict(zip(damaged, start(list(damaged.values()))(), strict=True))
    log.debug("%s: %d of %d computed, the rest reused from the last build", name, len(fresh), len(keys))
    gone = saved.keys() - wanted
    if fresh or gone:
        rows = {key: pickle.dumps(value, protocol=5) for key, value in fresh.items()}
        store.save_derived_items(name, rows, gone)
    return [fresh[key] if key in fresh else known[key] for key in keys]


DAMAGED = object()  # what ``_unpickled`` gives for a value that cannot be read


def _unpickled(saved: bytes) -> Any:
    """A saved value, or ``DAMAGED`` (it is worked out again)."""
    try:
        return pickle.loads(saved)
    except Exception:
        return DAMAGED


def judgements_for(
    articles: Sequence[Article], store: Store, judge: Start[Article, dict[str, Judgement]]
) -> dict[str, Judgement]:
    """Judge only the articles whose text or metadata changed since the last build."""

    def judging(fresh: Sequence[Article]) -> Callable[[], list[Judgement]]:
        waiting = judge(fresh)

        def judged_now() -> list[Judgement]:
            judged = waiting()
            store.save_judgements(judged)
            return [judged[article.id] for article in fresh]

        return judged_now

    values = reused_each("judgements", articles, store, judging, article_digest)
    return {article.id: judgement for article, judgement in zip(articles, values, strict=True)}


Composed = tuple[Story, tuple[str, ...]]  # a story and the ids of the articles it was composed from
# What a story reads of one of its articles: its ``article_digest``, judgement and feed's settings.
ArticleInputs = tuple[str, Judgement, FeedSource | None]


@dataclass(frozen=True, slots=True)
class LastStories:
    """The stories of the last build with the articles each was composed from, and what each of those
    articles was (its digest, judgement and feed's settings) when it was."""

    composed: tuple[Composed, ...]
    inputs: Mapping[str, ArticleInputs]


def stories_for(
    articles: Sequence[Article],
    judgements: Mapping[str, Judgement],
    feeds: Sequence[FeedSource],
    store: Store,
    compose: Callable[[Sequence[Article]], list[Composed]],
) -> list[Story]:
    """The stories of ``articles``: the last build's where nothing new is near them, else composed
    again. An article can join no story further from it in time than the clustering window, so only
    the articles new or changed since the last build, and every story with an article within the
    window of one of them, are clustered again; the rest of the archive is kept as it was. A build's
    editorial work grows with what came in, not with the archive; a story is settled once no new
    article comes near it (a back-dated article still joins the story of its week)."""
    key = digest_of()  # this program's code: a new version composes every story again
    last = _last_stories(store, key)
    feed_of = {feed.url: feed for feed in feeds}
    inputs = {a.id: (article_digest(a), judgements[a.id], feed_of.get(a.feed_url)) for a in articles}
    scope, kept = in_play(articles, inputs, last)
    scope_inputs = digest_of(tuple(inputs[a.id] for a in scope))
    fresh = reused(store, "stories", scope_inputs, lambda: compose(scope)) if scope else []
    composed = tuple(sorted([*kept, *fresh], key=_story_order))
    _save_last_stories(store, key, last, LastStories(composed, inputs))
    return [story for story, _ in composed]


def in_play(
    articles: Sequence[Article], inputs: Mapping[str, ArticleInputs], last: LastStories | None
) -> tuple[list[Article], list[Composed]]:
    """The articles to cluster again (in the order given) and the last build's stories kept as they
    are. A story is composed again when one of its articles changed or is gone, or a new or changed
    article lies within the clustering window of one of its articles."""
    if last is None:
        return list(articles), []
    by_id = {a.id: a for a in articles}
    changed = {a.id for a in articles if last.inputs.get(a.id) != inputs[a.id]}
    near = _near_in_time([by_id[i] for i in changed])

    def stays(members: tuple[str, ...]) -> bool:
        return all(i in by_id and i not in changed and not near(by_id[i]) for i in members)

    kept = [(story, members) for story, members in last.composed if stays(members)]
    settled = {i for _, members in kept for i in members}
    return [a for a in articles if a.id not in settled], kept


def _near_in_time(changed: Sequence[Article]) -> Callable[[Article], bool]:
    """Whether an article lies within the clustering window of one of ``changed``."""
    if not changed:
        return lambda article: False
    from digest.cluster import WINDOW_S  # only when something changed: clustering comes next

    times = sorted(a.published.timestamp() for a in changed)

    def near(article: Article) -> bool:
        at = article.published.timestamp()
        first = bisect.bisect_left(times, at - WINDOW_S)
        return first < len(times) and times[first] <= at + WINDOW_S

    return near


def _story_order(pair: Composed) -> tuple[float, str]:
    return pair[0].newest_first_key()


PeriodIndexer = Callable[[Path, Sequence[str]], Callable[[], tuple[list[OutputFile], list[Problem]]]]
SEARCH = "search "  # + a period's label: the name its bundle is saved under


class SearchBundles:
    """The search bundles of a build's story pages, one per period (``search.Period``): a period's last
    bundle when its pages say the same as last time (``searched``), else ``index`` of its pages in
    the folder they are staged in, started as soon as they are there (``publish_tree``'s ``later``).
    Published only all together: a period whose indexing failed would leave its stories unfound."""

    def __init__(
        self, store: Store, periods: Sequence[SearchPeriod], inputs: Sequence[str], index: PeriodIndexer
    ) -> None:
        self._store, self._periods, self._inputs, self._index = store, periods, inputs, index
        self._kept = {
            period.label: _bundle(store.derived(SEARCH + period.label, key))
            for period, key in zip(periods, inputs, strict=True)
        }
        self._indexing: dict[str, Callable[[], tuple[list[OutputFile], list[Problem]]]] = {}
        self._started = False
        self._result: tuple[list[OutputFile], list[Problem]] | None = None

    def start(self, staged: Path) -> Callable[[], list[OutputFile]]:
        """Start indexing each period not kept (Pagefind runs as processes of their own, so this one
        goes on with the rest of the site); the function returned waits for the bundles."""
        self._started = True
        for period in self._periods:
            if self._kept[period.label] is None:
                self._indexing[period.label] = self._index(staged, period.pages)
        return lambda: self._done()[0]

    def indexed(self) -> list[str]:
        """The periods indexed in this build (not kept from the last)."""
        return sorted(self._indexing)

    def problems(self) -> list[Problem]:
        """What went wrong in indexing, once it is done; nothing when it never started (the site was
        not published)."""
        return self._done()[1] if self._started else []

    def _done(self) -> tuple[list[OutputFile], list[Problem]]:
        if self._result is None:
            files: list[OutputFile] = []
            problems: list[Problem] = []
            for period, key in zip(self._periods, self._inputs, strict=True):
                bundle = self._kept[period.label]
                if bundle is None:
                    made, failed = self._indexing[period.label]()
                    problems += failed
                    bundle = {output.path: output.content for output in made}
                    if not failed:  # a missing indexer is tried again next time
                        self._store.save_derived(SEARCH + period.label, key, pickle.dumps(bundle, protocol=5))
                files += period.files(bundle)
            log.debug("search: indexed %s; kept the rest of %d periods", self.indexed(), len(self._periods))
            # A period no longer shown (its months made into a year), and the one bundle of old versions.
            self._store.forget_derived("search", keep=[SEARCH + period.label for period in self._periods])
            self._result = ([], problems) if problems else (files, [])
        return self._result


def search_bundles_for(
    periods: Sequence[SearchPeriod],
    searched: Mapping[str, bytes],
    indexer: str,
    store: Store,
    index: PeriodIndexer,
) -> SearchBundles:
    """The search bundles of ``periods`` (see ``SearchBundles``); ``searched``: each story page's path
    and what of it can change its search record (``search.searched_part``); ``indexer``: what else
    makes a bundle (``search.indexer_identity``)."""
    inputs = [digest_of(indexer, [(path, searched[path]) for path in period.pages]) for period in periods]
    return SearchBundles(store, periods, inputs, index)


def _bundle(saved: bytes | None) -> dict[str, bytes] | None:
    """A period's saved bundle; None when there is none or it is damaged (the period is indexed again)."""
    value = _unpickled(saved) if saved is not None else None
    return value if isinstance(value, dict) else None


# The last build's stories: one row for the version of this program that composed them, then a row
# per story and per article, so that a build writes what changed, not the whole archive's stories.
LAST_STORIES = "last stories"  # ``derived``: the digest of the program that composed them
LAST_STORY = "last story"  # ``derived_items``: story id -> (story, the ids of its articles)
LAST_INPUTS = "last inputs"  # ``derived_items``: article id -> its ``ArticleInputs``


def _last_stories(store: Store, key: str) -> LastStories | None:
    """The last build's stories; None when this version of the program composed none, or one of them
    is damaged (every story is composed again). An article whose inputs are damaged counts as changed."""
    if store.derived(LAST_STORIES, key) is None:
        return None
    composed = [_unpickled(raw) for raw in store.derived_items(LAST_STORY).values()]
    if not all(
        isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], Story) for pair in composed
    ):
        return None  # damaged, or not a story
    saved = store.derived_items(LAST_INPUTS).items()
    inputs = {article: value for article, raw in saved if (value := _unpickled(raw)) is not DAMAGED}
    return LastStories(tuple(sorted(composed, key=_story_order)), inputs)


def _save_last_stories(store: Store, key: str, last: LastStories | None, now: LastStories) -> None:
    """Write the stories and article inputs that changed since ``last`` (all of them when None), and
    forget those gone, in one transaction: a story never outlives the removal of its articles."""
    before = {} if last is None else {story.id: (story, ids) for story, ids in last.composed}
    after = {story.id: (story, ids) for story, ids in now.composed}
    stories = {
        story: pickle.dumps(pair, protocol=5) for story, pair in after.items() if before.get(story) != pair
    }
    earlier = {} if last is None else last.inputs
    inputs = {
        a: pickle.dumps(value, protocol=5) for a, value in now.inputs.items() if earlier.get(a) != value
    }
    gone_stories, gone_inputs = before.keys() - after.keys(), earlier.keys() - now.inputs.keys()
    if last is not None and not (stories or inputs or gone_stories or gone_inputs):
        return
    with store.batch():
        if last is None:  # rows of another version of the program, or of damaged stories
            store.forget_derived_items(LAST_STORY)
            store.forget_derived_items(LAST_INPUTS)
        store.save_derived_items(LAST_STORY, stories, gone_stories)
        store.save_derived_items(LAST_INPUTS, inputs, gone_inputs)
        store.save_derived(LAST_STORIES, key, b"")


def _loaded(saved: bytes | None) -> dict[str, Any]:
    """A saved map; empty when there is none or it is damaged (everything is worked out again)."""
    value = _unpickled(saved) if saved is not None else None
    return value if isinstance(value, dict) else {}


# --- published pages -------------------------------------------------------------------------

PAGES = "pages"  # the keys of the published pages (``render/keys.py``), saved under the site's folder
FileIdentity = tuple[int, int, int, int]  # size, modification time (ns), inode, device


def published_pages(store: Store, out_dir: Path) -> dict[str, str]:
    """Path -> key of each page the last build published in ``out_dir`` that is still the file it
    published: same size, time and inode. A page edited or replaced by hand since is rendered again."""
    saved = _loaded(store.derived(PAGES, str(out_dir.absolute())))
    return {path: entry[0] for path, entry in saved.items() if _intact(out_dir / path, entry)}


def _intact(path: Path, entry: Any) -> bool:
    """Whether ``entry`` is a (key, identity) pair whose file is ``path`` as it was; an entry of another
    shape (damaged, or another version's) only costs rendering its page again."""
    return isinstance(entry, tuple) and len(entry) == 2 and _identity(path) == entry[1]


def remember_pages(store: Store, out_dir: Path, files: Sequence[OutputFile]) -> None:
    """Save the key of each published page that has one, with what identifies its file now."""
    identities = {output.path: _identity(out_dir / output.path) for output in files if output.key}
    saved = {
        output.path: (output.key, identities[output.path])
        for output in files
        if output.key and identities[output.path] is not None
    }
    store.save_derived(PAGES, str(out_dir.absolute()), pickle.dumps(saved, protocol=5))


def _identity(path: Path) -> FileIdentity | None:
    try:
        found = path.lstat()
    except OSError:
        return None
    return found.st_size, found.st_mtime_ns, found.st_ino, found.st_dev
