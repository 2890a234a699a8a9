"""The one function that knows the order of the stages.

``build`` reads top to bottom: every stage is one call, reading is finished before writing
starts, and every ``Problem`` a stage returns is collected into the ``BuildReport``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from digest import curation, extract, fetch, parse, relevance, stories
from digest import editions as editions_stage
from digest.config import Config, SiteConfig
from digest.errors import BudgetExceeded
from digest.publish import publish_tree
from digest.records import Article, BuildReport, Entry, FeedSource, FetchRequest, PageText, Problem
from digest.render import SiteData, render_all, search
from digest.render.email import render_email_files
from digest.render.site import render_moved_pages
from digest.store import Store

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
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
    if not options.offline:
        problems += gather_feeds(config, store, options, deadline, counts)
        gather_pages(config, store, options, deadline, counts)
        problems += store.pages_not_fetched()

    articles = with_feed_hints(store.articles(options.now, config.editions.max_age_days), config.feeds)
    judgements = relevance.judge_all(articles)
    store.save_judgements(judgements)
    kept = [article for article in articles if judgements[article.id].on_topic]
    built_stories, curation_problems = curation.apply_curation(
        stories.compose_stories(kept, judgements, config.feeds), rules
    )
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
    moved = editions_stage.moved_stories(built_stories, store)  # story ids gone since published -> successor
    outputs = [*render_all(site), *render_email_files(site, config.email), *render_moved_pages(site, moved)]
    search_bundle, search_problems = search.render_search_index(outputs, config.site.language)
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
        parsed = parse.parse_feed(result, source, max_items=config.fetch.max_items_per_feed, now=options.now)
        problems += parsed.problems
        counts["new"] += store.save_entries(parsed, options.now)
        store.mark_parsed(updated, result.body)
        store.record_feed_parse(state, parsed, options.now)
    _check_budget(deadline)
    return problems


def gather_pages(
    config: Config, store: Store, options: BuildOptions, deadline: float, counts: dict[str, int]
) -> None:
    """Fetch and extract each new article page once; fall back to the feed's text, saying why."""
    entries = store.entries_without_text()
    tick = _ticker(options, "articles", len(entries))
    for start in range(0, len(entries), PAGE_BATCH):
        batch = entries[start : start + PAGE_BATCH]
        pages = fetch_and_extract(batch, config, deadline, tick)
        counts["pages"] += store.save_pages(pages, options.now)
        _check_budget(deadline)


def fetch_and_extract(
    entries: Sequence[Entry], config: Config, deadline: float, tick: Callable[[object], None] | None
) -> list[PageText]:
    requests = [FetchRequest(entry.url) for entry in entries]
    results = fetch.fetch_many(requests, config.fetch, deadline=deadline, on_result=tick)
    jobs: list[tuple[str, bytes, str]] = []
    owners: list[int] = []
    pages: list[PageText | None] = []
    for index, (entry, result) in enumerate(zip(entries, results, strict=True)):
        media_type = result.content_type.split(";")[0].strip().lower()
        if result.ok and media_type in HTML_TYPES:
            jobs.append((entry.url, result.body, result.content_type))
            owners.append(index)
            pages.append(None)
        else:
            reason = (
                result.problem.line() if result.problem else f"not an HTML page ({media_type or 'no type'})"
            )
            pages.append(extract.fallback_page(entry, reason))
    for index, page in zip(owners, extract.extract_many(jobs, config.build.workers), strict=True):
        entry = entries[index]
        pages[index] = (
            page if page.text else extract.fallback_page(entry, page.fallback_reason or "no text found")
        )
    return [page for page in pages if page is not None]


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


def _check_budget(deadline: float) -> None:
    if time.monotonic() > deadline:
        raise BudgetExceeded("the build ran past its wall-clock budget (build.budget_s)")
