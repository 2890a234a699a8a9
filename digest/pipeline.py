"""The one function that knows the order of the stages.

The heavy stages (feedparser, trafilatura, the editorial modules) are imported where they are first
needed: a rebuild in which nothing changed never loads them.

``build`` reads top to bottom: every stage is one call, reading is finished before writing
starts, and every ``Problem`` a stage returns is collected into the ``BuildReport``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, partial
from pathlib import Path

from digest import curation, derived, fetch
from digest import editions as editions_stage
from digest.config import Config, FetchConfig, SiteConfig
from digest.publish import publish_tree
from digest.records import (
    Article,
    BuildReport,
    Entry,
    FeedSource,
    FeedState,
    FetchRequest,
    FetchResult,
    Judgement,
    OutputFile,
    PageJob,
    PageText,
    ParsedFeed,
    Problem,
    Story,
)
from digest.render import SiteData, render_stories_first, search
from digest.render.email import render_email_files
from digest.render.keys import story_digests
from digest.render.site import render_moved_pages, status_since
from digest.store import Store
from digest.timings import Stopwatch
from digest.workers import INLINE, Groups, Workers, worker_pool

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Pages in flight per extraction worker: at 100 ms a response, more only wait for a busy worker and
# cost the fetching threads CPU (measured: 64 at a time doubled it). Feeds, small, use all of concurrency.
PAGES_PER_WORKER = 16
PAGES_PER_JOB = 4  # pages a job: this process spends 0.23 ms a farm page handing them over, 0.45 one a job
PAGE_BATCH = 256  # pages fetched, extracted and stored per round: bounds memory at any corpus size
EARLY_PAGES = 2 * PAGE_BATCH  # pages fetched while the feeds still download: bounds their memory
HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    out_dir: Path
    now: datetime
    progress: Progress | None = None
    offline: bool = False  # build from what the store holds, fetch nothing
    stopwatch: Stopwatch | None = None  # times each stage (``--timings``)


def build(config: Config, store: Store, options: BuildOptions) -> BuildReport:
    deadline = time.monotonic() + config.build.budget_s
    problems: list[Problem] = []
    counts = {"new": 0, "pages": 0}
    lap = options.stopwatch.lap if options.stopwatch else _no_lap
    rules = curation.curation_for(config)  # first: a broken curation.toml stops the build early
    lap("start-up")
    with worker_pool(config.build.workers) as workers:
        if not options.offline:
            sources = {feed.url: feed for feed in config.feeds}
            with EarlyPages(config, store, deadline) as early:
                gathering = Gathering(config, store, options, deadline, workers, counts, sources, early)
                problems += gather_feeds(gathering)
                problems += gather_pages(gathering)
            problems += store.pages_not_fetched()
        lap("feeds and pages")

        articles = with_feed_hints(store.articles(options.now, config.editions.max_age_days), config.feeds)
        judgements = derived.judgements_for(articles, store, partial(start_judging, workers=workers))
        kept = [article for article in articles if judgements[article.id].on_topic]
        lap("relevance")
        composed = derived.stories_for(
            kept,
            judgements,
            config.feeds,
            store,
            lambda scope: compose_stories(scope, judgements, config.feeds, store, workers),
        )
        lap("clustering and stories")
        built_stories, curation_problems = curation.apply_curation(composed, rules)
        sections = sections_for(built_stories, store, workers)
        assigned = editions_stage.assign(built_stories, store, config.editions, options.now, sections)
        built_editions, note_problems = curation.apply_notes(assigned, rules)
        problems += curation_problems + note_problems
        lap("editions")

        site = SiteData(
            site=site_with_resolved_paths(config),
            now=options.now,
            stories=tuple(built_stories),
            editions=tuple(built_editions),
            feeds=tuple(store.feed_states_for_status(feed.url for feed in config.feeds)),
            excluded=tuple(store.exclusions(since=status_since(options.now))),
            about_markdown=read_about(config),
            published=derived.published_pages(store, options.out_dir),
            story_digests=story_digests(built_stories),  # for the keys of the pages and the emails
        )
        moved = editions_stage.moved_stories(built_stories, store)  # gone story id -> its successor
        emails = workers.start(render_email_files, site, config.email, jobs=len(site.stories))
        story_pages, rest_of_site = render_stories_first(site, workers.start_few)
        staged_first = [*story_pages, *render_moved_pages(site, moved)]
        bundles = derived.search_bundles_for(
            search.periods(site.stories, options.now),
            {page.path: search.searched_part(content_of(page, options.out_dir)) for page in story_pages},
            search.indexer_identity(config.site.language),
            store,
            lambda staged, pages: search.start_indexing(staged, config.site.language, pages=pages),
        )
        rest = cache(lambda: [*rest_of_site(), *emails()])
        # The indexer reads the staged story pages while the rest of the site is rendered.
        written = publish_tree(staged_first, options.out_dir, later=bundles.start, rest=rest)
        files = [*staged_first, *rest()]
        derived.remember_pages(store, options.out_dir, files)
        log.debug("render: %d of %d files kept as published", sum(f.kept for f in files), len(files))
    lap("render and publish")  # the workers have stopped: all of their CPU is counted
    problems += bundles.problems()
    failing = store.failing_feeds(options.now, (feed.url for feed in config.feeds))
    return BuildReport(
        feeds_total=len(config.feeds),
        feeds_failed=len(failing),
        entries_new=counts["new"],
        articles_fetched=counts["pages"],
        articles_kept=len(kept),
        articles_excluded=len(articles) - len(kept),
        stories=len(built_stories),
        editions=len(built_editions),
        files_written=written,
        problems=tuple(problems),
        failing_feeds=tuple(failing),
        stages=options.stopwatch.stages() if options.stopwatch else (),
    )


def _no_lap(stage: str) -> None:
    """``Stopwatch.lap`` when the build is not timed."""


@dataclass(frozen=True, slots=True)
class Gathering:
    """What the two gathering stages share."""

    config: Config
    store: Store
    options: BuildOptions
    deadline: float  # time.monotonic() when the build's budget is spent
    workers: Workers
    counts: dict[str, int]  # "new" entries and "pages" fetched, for the report
    sources: Mapping[str, FeedSource]  # the operator's feeds by URL
    early: EarlyPages  # pages fetched while the feeds still download


def gather_feeds(gathering: Gathering) -> list[Problem]:
    """Fetch every live feed, parse the changed ones (in the workers, while the rest download), store
    their entries in the order of the feeds."""
    g = gathering
    states = [state for state in g.store.sync_feeds(g.config.feeds, g.options.now) if not state.retired]
    results, parsing = fetch_and_parse_feeds(g, states)
    with g.store.batch():
        return record_feeds(g, states, results, parsing)


def record_feeds(
    g: Gathering,
    states: Sequence[FeedState],
    results: Sequence[FetchResult],
    parsing: Mapping[str, Future[ParsedFeed]],
) -> list[Problem]:
    """Each feed's fetch, and the entries of each changed one, in the order of the feeds."""
    problems: list[Problem] = []
    for state, result in zip(states, results, strict=True):
        updated = g.store.record_feed_fetch(state, result, g.options.now)
        if result.problem:
            problems.append(replace(result.problem, where=state.name))
        if not result.ok:
            continue
        if state.url not in parsing:
            g.store.mark_unchanged(updated)
            continue
        parsed = parsed_feed(parsing[state.url], partial(feed_parser(g), result, source_of(g, state)))
        problems += parsed.problems
        g.counts["new"] += g.store.save_entries(parsed, g.options.now)
        g.store.mark_parsed(updated, result.body)
        g.store.record_feed_parse(state, parsed, g.options.now)
    return problems


def fetch_and_parse_feeds(
    g: Gathering, states: Sequence[FeedState]
) -> tuple[list[FetchResult], dict[str, Future[ParsedFeed]]]:
    """Each feed's fetch result, in order, and the parse (feed URL -> future) of each changed body,
    started in a worker as soon as it arrived."""
    requests = [FetchRequest(s.current_url, s.etag, s.last_modified) for s in states]
    executor = g.workers.executor(len(requests))  # forked now, before any fetch thread exists
    parse_job = feed_parser(g)
    waiting: dict[str, deque[FeedState]] = {}  # a fetched URL -> its feeds whose result is due, in order
    for state in states:
        waiting.setdefault(state.current_url, deque()).append(state)
    parsing: dict[str, Future[ParsedFeed]] = {}
    tick = _ticker(g.options, "feeds", len(requests))

    def on_result(result: FetchResult) -> None:  # called in this thread as each fetch ends
        if tick is not None:
            tick(result)
        state = waiting[result.url].popleft()
        if result.ok and g.store.body_changed(state, result.body):
            first = not parsing  # the first changed feed: pages will follow, and so will their extraction
            if first:
                g.early.start(executor, g.workers)
            parsing[state.url] = g.workers.submit(executor, parse_job, result, source_of(g, state))
            parsing[state.url].add_done_callback(g.early.offer)
            if first:  # after its parse, whose pages the workers then wait for (100 ms or more)
                from digest import extract

                g.workers.warm(executor, extract.warm_up)

    results = fetch.fetch_many(requests, g.config.fetch, deadline=g.deadline, on_result=on_result)
    return results, parsing


def feed_parser(g: Gathering) -> Callable[[FetchResult, FeedSource], ParsedFeed]:
    return partial(parse_feed, max_items=g.config.fetch.max_items_per_feed, now=g.options.now)


def source_of(g: Gathering, state: FeedState) -> FeedSource:
    """The operator's feed, at the URL it is stored under (its first one, before any redirect)."""
    return replace(g.sources[state.url], url=state.url)


def parse_feed(result: FetchResult, source: FeedSource, *, max_items: int, now: datetime) -> ParsedFeed:
    """``parse.parse_feed``, imported only when a feed changed: a worker's unit of work."""
    from digest import parse

    return parse.parse_feed(result, source, max_items=max_items, now=now)


def parsed_feed(parsing: Future[ParsedFeed], parse_here: Callable[[], ParsedFeed]) -> ParsedFeed:
    try:
        return parsing.result()
    except BrokenProcessPool as exc:  # a worker died (out of memory, killed): parse here instead
        log.warning("a feed-parsing worker died (%s); parsing in-process", exc)
        return parse_here()


def gather_pages(gathering: Gathering) -> list[Problem]:
    """Fetch and extract each new article page once; fall back to the feed's text, saying why.

    Once the build's wall-clock budget is spent, the pages not yet fetched wait for the next build
    (those fetched early are kept) and this one goes on to publish what the store holds.
    """
    g = gathering
    entries = g.store.entries_without_text()
    if not entries:
        return []
    tick = _ticker(g.options, "articles", len(entries))
    executor = g.workers.executor(len(entries))  # started now if not yet, before any fetch thread
    jobs = page_jobs(g.workers, executor)
    extracting: list[PendingPage] = []
    for start in range(0, len(entries), PAGE_BATCH):
        batch = entries[start : start + PAGE_BATCH]
        spent = time.monotonic() > g.deadline
        fetched = fetch_pages(batch, g, tick, jobs.add, fetch_the_rest=not spent)
        jobs.send()  # the last pages of the round, fewer than a job holds: the workers go on
        # The last batch's pages are saved only now: while this batch downloaded, the workers went
        # on extracting them, never waiting for a batch to drain.
        g.counts["pages"] += g.store.save_pages(pages_of(extracting), g.options.now)
        extracting = fetched
    g.counts["pages"] += g.store.save_pages(pages_of(extracting), g.options.now)
    left = len(entries) - g.counts["pages"]
    return [budget_spent(left, g.config.build.budget_s)] if left else []


def budget_spent(pages_left: int, budget_s: float) -> Problem:
    detail = f"{budget_s:g} s (build.budget_s) spent; {pages_left} pages wait for the next build"
    return Problem("build", "budget", detail)


@dataclass(frozen=True, slots=True)
class PendingPage:
    """A page fetched, its extraction maybe still running in a worker."""

    entry: Entry
    result: FetchResult
    extracting: Future[PageText] | None  # None when there is nothing to extract (an error, a PDF)


Submit = Callable[[PageJob], Future[PageText]]  # sends a page to where pages are extracted


def page_jobs(workers: Workers, executor: Executor) -> Groups[PageJob, PageText]:
    """Where pages go to be extracted: ``PAGES_PER_JOB`` at a time to ``executor``."""
    from digest import extract

    return Groups(workers, executor, extract.extract_pages, PAGES_PER_JOB)


def fetch_pages(
    entries: Sequence[Entry],
    g: Gathering,
    tick: Callable[[object], None] | None,
    submit: Submit,
    fetch_the_rest: bool = True,
) -> list[PendingPage]:
    """The pages of ``entries``, in their order: those fetched early, then the rest (unless
    ``fetch_the_rest`` is False), each sent to an extraction process as soon as it arrives."""
    by_url = {entry.url: entry for entry in entries}
    pending = g.early.take(list(by_url.values()), submit)
    if tick is not None:
        for page in pending.values():
            tick(page.result)

    def on_result(result: FetchResult) -> None:  # called in this thread as each fetch ends
        if tick is not None:
            tick(result)
        entry = by_url[result.url]
        pending[result.url] = PendingPage(entry, result, extraction(entry, result, submit))

    if fetch_the_rest:
        requests = [FetchRequest(url) for url in by_url if url not in pending]
        fetch.fetch_many(requests, page_fetch_options(g.config), deadline=g.deadline, on_result=on_result)
    return [
        page
        for page in (pending.get(url) for url in by_url)
        if page is not None and not (page.result.problem and page.result.problem.reason == "budget")
    ]


def extraction(entry: Entry, result: FetchResult, submit: Submit) -> Future[PageText] | None:
    """The page's extraction, started; None when the result is no HTML page."""
    from digest import extract

    if not is_html_page(result):
        return None
    headline = extract.feed_headline(entry)
    return submit((result.url, result.body, result.content_type, headline))


def page_fetch_options(config: Config) -> FetchConfig:
    """Pages in flight: ``PAGES_PER_WORKER`` per worker, within the operator's concurrency."""
    pages = min(config.fetch.concurrency, PAGES_PER_WORKER * config.build.workers)
    return replace(config.fetch, concurrency=pages)


class EarlyPages:
    """The pages of a changed feed's new entries, fetched and sent to extraction as soon as the
    feed is parsed, while the other feeds still download (at most ``EARLY_PAGES`` of them). The
    pages stage takes them in its own order instead of fetching them; a page is fetched once."""

    def __init__(self, config: Config, store: Store, deadline: float) -> None:
        self._store, self._deadline = store, deadline
        self._lock = threading.Lock()
        self._fetching: dict[str, Future[PendingPage]] = {}
        self._stored: set[str] = set()  # the URLs the store has a page for
        self._options = page_fetch_options(config)
        self._threads: ThreadPoolExecutor | None = None
        self._connections: fetch.Connections | None = None
        self._submit: Submit | None = None
        self._closed = False

    def __enter__(self) -> EarlyPages:
        return self

    def __exit__(self, *_: object) -> None:
        with self._lock:
            self._closed = True  # a parse that ends now (the build failed) fetches nothing
        if self._threads is not None:
            self._threads.shutdown(cancel_futures=True)
        if self._connections is not None:
            self._connections.close()

    def start(self, executor: Executor, workers: Workers) -> None:
        """In the build's thread, once a feed has changed. Not when the feeds are parsed in this
        process (too few to start workers): their pages are then few too, and a worker pool
        started later must not be forked from a process with fetch threads."""
        if executor is INLINE or self._threads is not None:
            return
        self._stored = self._store.page_urls()
        self._connections = fetch.Connections(self._options)
        self._threads = ThreadPoolExecutor(self._options.concurrency, thread_name_prefix="early-page")
        self._submit = page_jobs(workers, executor).add

    def offer(self, parsing: Future[ParsedFeed]) -> None:
        """A feed's parse is done (called in whichever thread finished it): fetch its new pages."""
        if self._threads is None or parsing.cancelled() or parsing.exception() is not None:
            return  # a feed whose parse failed in a worker is parsed here later, its pages fetched then
        with self._lock:
            for entry in parsing.result().entries:
                if self._closed or len(self._fetching) >= EARLY_PAGES:
                    return
                if entry.url not in self._stored and entry.url not in self._fetching:
                    self._fetching[entry.url] = self._threads.submit(self._fetched, entry)

    def _fetched(self, entry: Entry) -> PendingPage:
        assert self._connections is not None and self._submit is not None
        result = fetch.fetch_one(self._connections, FetchRequest(entry.url), self._options, self._deadline)
        return PendingPage(entry, result, extraction(entry, result, self._submit))

    def take(self, entries: Sequence[Entry], submit: Submit) -> dict[str, PendingPage]:
        """URL -> the page fetched early, of each of ``entries`` that has one (waited for)."""
        with self._lock:
            taken = {e.url: (e, self._fetching.pop(e.url)) for e in entries if e.url in self._fetching}
        return {url: as_stored(entry, future.result(), submit) for url, (entry, future) in taken.items()}


def as_stored(entry: Entry, page: PendingPage, submit: Submit) -> PendingPage:
    """``page`` for the entry as the store has it: a URL listed by two feeds was fetched for the
    first one parsed, and its extraction is done again when the two differ in what it uses."""
    from digest import extract

    if page.extracting is not None and extract.feed_headline(entry) != extract.feed_headline(page.entry):
        return PendingPage(entry, page.result, extraction(entry, page.result, submit))
    return PendingPage(entry, page.result, page.extracting)


def pages_of(pending: Sequence[PendingPage]) -> list[PageText]:
    return [page_of(page.entry, page.result, page.extracting) for page in pending]


def is_html_page(result: FetchResult) -> bool:
    return result.ok and result.content_type.split(";")[0].strip().lower() in HTML_TYPES


def page_of(entry: Entry, result: FetchResult, extracting: Future[PageText] | None) -> PageText:
    from digest import extract

    if extracting is None:
        media_type = result.content_type.split(";")[0].strip().lower()
        reason = result.problem.line() if result.problem else f"not an HTML page ({media_type or 'no type'})"
        return extract.fallback_page(entry, reason)
    try:
        page = extracting.result()
    except BrokenProcessPool as exc:  # a worker died (out of memory, killed): extract here instead
        log.warning("%s: extraction worker died (%s); extracting in-process", entry.url, exc)
        headline = extract.feed_headline(entry)
        page = extract.extract_page(result.url, result.body, result.content_type, headline)
    return page if page.text else extract.fallback_page(entry, page.fallback_reason or "no text found")


def content_of(page: OutputFile, out_dir: Path) -> bytes:
    """A page's bytes: a kept page's are the published file's."""
    return (out_dir / page.path).read_bytes() if page.kept else page.content


def start_judging(articles: Sequence[Article], workers: Workers) -> Callable[[], dict[str, Judgement]]:
    """Start judging ``articles`` in the workers; the function returned waits for the judgements."""
    waiting = workers.start_chunks(judge_chunk, articles)
    return lambda: {article.id: judgement for article, judgement in zip(articles, waiting(), strict=True)}


def judge_chunk(articles: Sequence[Article]) -> list[Judgement]:
    """The relevance judgements of ``articles``, in their order: a worker's unit of work."""
    from digest import relevance

    judged = relevance.judge_all(articles)
    return [judged[article.id] for article in articles]


def compose_stories(
    kept: Sequence[Article],
    judgements: Mapping[str, Judgement],
    feeds: Sequence[FeedSource],
    store: Store,
    workers: Workers,
) -> list[derived.Composed]:
    """Cluster, then compose each cluster's story (paired with its articles' ids). What an article
    alone says (its cluster traits and what its story reads of it) and the story of a cluster whose
    members did not change are the last build's when the inputs are the same."""
    from digest import cluster, stories

    read = derived.reused_each(
        "traits", kept, store, partial(workers.start_chunks, stories.read_articles), derived.article_digest
    )
    traits, facts = stories.apart(kept, read)
    clusters = cluster.cluster_articles(kept, traits)
    jobs = stories.story_jobs(clusters, kept, judgements, feeds, facts)
    compose = partial(workers.start_chunks, stories.compose_jobs)
    composed = derived.reused_each("cluster stories", jobs, store, compose, stories.job_digest)
    with_reasons = stories.with_grouping_reasons(composed, clusters)
    return [(story, cluster.article_ids) for story, cluster in zip(with_reasons, clusters, strict=True)]


def sections_for(stories: Sequence[Story], store: Store, workers: Workers) -> dict[str, str]:
    """Story id -> its edition section; a story unchanged since the last build keeps its section."""
    compute = partial(workers.start_chunks, editions_stage.sections_of)
    sections = derived.reused_each("sections", stories, store, compute, editions_stage.section_key)
    return {story.id: section for story, section in zip(stories, sections, strict=True)}


def with_feed_hints(articles: Sequence[Article], feeds: Sequence[FeedSource]) -> list[Article]:
    """Give each article its feed's operator-set tags and jurisdiction (hints for tagging)."""
    by_url = {feed.url: feed for feed in feeds}
    hinted = []
    for article in articles:
        feed = by_url.get(article.feed_url)
        given = (article.feed_tags, article.feed_jurisdiction)
        if feed is not None and (feed.tags, feed.jurisdiction) != given:  # most feeds give no hints
            article = replace(article, feed_tags=feed.tags, feed_jurisdiction=feed.jurisdiction)
        hinted.append(article)
    return hinted


def site_with_resolved_paths(config: Config) -> SiteConfig:
    """The operator's template folder is relative to the config file, as every path in it is."""
    if not config.site.templates:
        return config.site
    return replace(config.site, templates=str(config.resolve(config.site.templates)))


def read_about(config: Config) -> str:
    if not config.site.about:
        return ""
    path = config.resolve(config.site.about)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("%s: cannot read the about page: %s", path, exc.strerror)
        return ""


def _ticker(options: BuildOptions, stage: str, total: int) -> Callable[[object], None] | None:
    progress = options.progress
    if progress is None:
        return None
    done = 0

    def tick(_: object) -> None:
        nonlocal done
        done += 1
        progress(stage, done, total)

    return tick
