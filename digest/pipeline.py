"""The one function that knows the order of the stages.

The heavy stages (feedparser, trafilatura, the editorial modules) are imported where they are first
needed: a rebuild in which nothing changed never loads them.

``build`` reads top to bottom: every stage is one call, reading is finished before writing
starts, and every ``Problem`` a stage returns is collected into the ``BuildReport``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path

from digest import curation, derived, fetch
from digest import editions as editions_stage
from digest.config import Config, SiteConfig
from digest.publish import publish_tree
from digest.records import (
    Article,
    BuildReport,
    Entry,
    FeedSource,
    FetchRequest,
    FetchResult,
    Judgement,
    PageText,
    Problem,
    Story,
)
from digest.render import SiteData, render_all, search
from digest.render.email import render_email_files
from digest.render.site import render_moved_pages
from digest.store import Store
from digest.workers import Workers, worker_pool

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Pages in flight per extraction worker: at 100 ms a response, more only wait for a busy worker and
# cost the fetching threads CPU (measured: 64 at a time doubled it). Feeds, small, use all of concurrency.
PAGES_PER_WORKER = 16
PAGE_BATCH = 256  # pages fetched, extracted and stored per round: bounds memory at any corpus size
HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass(frozen=True, slots=True)
class BuildOptions:
    out_dir: Path
    now: datetime
    progress: Progress | None = None
    offline: bool = False  # build from what the store holds, fetch nothing


def build(config: Config, store: Store, options: BuildOptions) -> BuildReport:
    deadline = time.monotonic() + config.build.budget_s
    problems: list[Problem] = []
    counts = {"new": 0, "pages": 0}
    rules = curation.curation_for(config)  # first: a broken curation.toml stops the build early
    with worker_pool(config.build.workers) as workers:
        if not options.offline:
            problems += gather_feeds(config, store, options, deadline, counts)
            problems += gather_pages(config, store, options, deadline, counts, workers)
            problems += store.pages_not_fetched()

        articles = with_feed_hints(store.articles(options.now, config.editions.max_age_days), config.feeds)
        judgements = derived.judgements_for(articles, store, lambda fresh: judge_articles(fresh, workers))
        kept = [article for article in articles if judgements[article.id].on_topic]
        composed = derived.stories_for(
            kept,
            judgements,
            config.feeds,
            store,
            lambda: compose_stories(kept, judgements, config.feeds, store, workers),
        )
        built_stories, curation_problems = curation.apply_curation(composed, rules)
        built_editions, note_problems = curation.apply_notes(
            editions_stage.assign(built_stories, store, config.editions, options.now), rules
        )
        problems += curation_problems + note_problems

        site = SiteData(
            site=site_with_resolved_paths(config),
            now=options.now,
            stories=tuple(built_stories),
            editions=tuple(built_editions),
            feeds=tuple(store.feed_states_for_status()),
            excluded=tuple(store.exclusions()),
            about_markdown=read_about(config),
        )
        moved = editions_stage.moved_stories(built_stories, store)  # gone story id -> its successor
        outputs = [
            *render_all(site, workers.start_few),
            *render_email_files(site, config.email),
            *render_moved_pages(site, moved),
        ]
    search_bundle, search_problems = derived.search_bundle_for(
        outputs, store, lambda: search.render_search_index(outputs, config.site.language)
    )
    problems += search_problems
    written = publish_tree([*outputs, *search_bundle], options.out_dir)
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
    )


def gather_feeds(
    config: Config, store: Store, options: BuildOptions, deadline: float, counts: dict[str, int]
) -> list[Problem]:
    """Fetch every live feed, parse the changed ones, store their entries."""
    states = [state for state in store.sync_feeds(config.feeds, options.now) if not state.retired]
    sources = {feed.url: feed for feed in config.feeds}
    requests = [FetchRequest(s.current_url, s.etag, s.last_modified) for s in states]
    results = fetch.fetch_many(
        requests, config.fetch, deadline=deadline, on_result=_ticker(options, "feeds", len(requests))
    )
    problems: list[Problem] = []
    for state, result in zip(states, results, strict=True):
        updated = store.record_feed_fetch(state, result, options.now)
        if result.problem:
            problems.append(replace(result.problem, where=state.name))
        if not result.ok:
            continue
        if not store.body_changed(updated, result.body):
            store.mark_unchanged(updated)
            continue
        source = replace(sources[state.url], url=state.url)
        from digest import parse

        parsed = parse.parse_feed(result, source, max_items=config.fetch.max_items_per_feed, now=options.now)
        problems += parsed.problems
        counts["new"] += store.save_entries(parsed, options.now)
        store.mark_parsed(updated, result.body)
        store.record_feed_parse(state, parsed, options.now)
    return problems


def gather_pages(
    config: Config,
    store: Store,
    options: BuildOptions,
    deadline: float,
    counts: dict[str, int],
    workers: Workers,
) -> list[Problem]:
    """Fetch and extract each new article page once; fall back to the feed's text, saying why.

    Once the build's wall-clock budget is spent, the pages not yet fetched wait for the next build
    and this one goes on to publish what the store holds.
    """
    entries = store.entries_without_text()
    if not entries:
        return []  # a rebuild with nothing new never starts the extraction processes
    tick = _ticker(options, "articles", len(entries))
    executor = workers.executor(len(entries))  # started here, before any fetch thread exists
    for start in range(0, len(entries), PAGE_BATCH):
        if time.monotonic() > deadline:
            return [budget_spent(len(entries) - counts["pages"], config.build.budget_s)]
        batch = entries[start : start + PAGE_BATCH]
        pages = fetch_and_extract(batch, config, deadline, tick, lambda *job: workers.submit(executor, *job))
        counts["pages"] += store.save_pages(pages, options.now)
    left = len(entries) - counts["pages"]
    return [budget_spent(left, config.build.budget_s)] if left else []


def budget_spent(pages_left: int, budget_s: float) -> Problem:
    detail = f"{budget_s:g} s (build.budget_s) spent; {pages_left} pages wait for the next build"
    return Problem("build", "budget", detail)


def fetch_and_extract(
    entries: Sequence[Entry],
    config: Config,
    deadline: float,
    tick: Callable[[object], None] | None,
    submit: Callable[..., Future[PageText]],
) -> list[PageText]:
    """Each page goes to an extraction process as soon as it arrives, while the rest still download."""
    from digest import extract

    by_url = {entry.url: entry for entry in entries}
    extracting: dict[str, Future[PageText]] = {}

    def on_result(result: FetchResult) -> None:  # called in this thread as each fetch ends
        if tick is not None:
            tick(result)
        if is_html_page(result) and result.url not in extracting:
            extracting[result.url] = submit(
                extract.extract_page, result.url, result.body, result.content_type
            )

    requests = [FetchRequest(entry.url) for entry in by_url.values()]
    options = replace(
        config.fetch, concurrency=min(config.fetch.concurrency, PAGES_PER_WORKER * config.build.workers)
    )
    results = fetch.fetch_many(requests, options, deadline=deadline, on_result=on_result)
    return [
        page_of(by_url[result.url], result, extracting.get(result.url))
        for result in results
        if not (result.problem and result.problem.reason == "budget")  # fetched by the next build
    ]


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
        page = extract.extract_page(result.url, result.body, result.content_type)
    return page if page.text else extract.fallback_page(entry, page.fallback_reason or "no text found")


def judge_articles(articles: Sequence[Article], workers: Workers) -> dict[str, Judgement]:
    judged = workers.map_chunks(judge_chunk, articles)
    return {article.id: judgement for article, judgement in zip(articles, judged, strict=True)}


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
) -> list[Story]:
    """Cluster, then compose each cluster's story. What an article alone says (its traits) and the
    story of a cluster whose members did not change are the last build's when the inputs are the same."""
    from digest import cluster, stories

    traits = derived.reused_each("traits", kept, store, partial(workers.map_chunks, cluster.traits_of_all))
    clusters = cluster.cluster_articles(kept, traits)
    jobs = stories.story_jobs(clusters, kept, judgements, feeds)
    composed = derived.reused_each(
        "cluster stories", jobs, store, partial(workers.map_chunks, stories.compose_jobs)
    )
    return stories.in_story_order(stories.with_grouping_reasons(composed, clusters))


def with_feed_hints(articles: Sequence[Article], feeds: Sequence[FeedSource]) -> list[Article]:
    """Give each article its feed's operator-set tags and jurisdiction (hints for tagging)."""
    by_url = {feed.url: feed for feed in feeds}
    hinted = []
    for article in articles:
        feed = by_url.get(article.feed_url)
        if feed is not None:
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
