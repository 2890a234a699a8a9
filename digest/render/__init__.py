"""Rendering: records in, ``OutputFile`` (path, bytes) out; never the network, the store or the clock.

``render_all`` is the whole stage: the HTML site (``site.py``), the feeds (``feeds.py``) and the
Markdown edition (``markdown.py``). Email and search are separate renderers (``email.py``,
``search.py``) that take the same ``SiteData``. The same ``SiteData`` always gives the same bytes; a
page whose key (``keys.py``) is the one in ``SiteData.published`` comes out kept, its bytes the
published file's.
"""

from __future__ import annotations

import functools
import logging
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from digest.config import SiteConfig
from digest.records import Edition, Exclusion, FeedState, OutputFile, Story
from digest.render import common, feeds, keys, markdown, site

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything the site is rendered from."""

    site: SiteConfig  # title, base_url, description, language, templates (an absolute folder or "")
    now: datetime  # the build clock (UTC)
    stories: tuple[Story, ...]
    editions: tuple[Edition, ...]  # newest first; story_ids ranked; sections by response type
    feeds: tuple[FeedState, ...]  # for the status page
    excluded: tuple[Exclusion, ...]  # for the status page: why each article was left out
    about_markdown: str = ""  # the operator's about page in Markdown
    # Path -> key of each page whose published file is the one a build made with that key
    # (``render/keys.py``): a page with the same key now is not rendered again.
    published: dict[str, str] = field(default_factory=dict)
    # Story id -> ``digest_of`` the story (``keys.story_digests``), worked out once for every process
    # that renders pages; empty: each works out those it needs.
    story_digests: dict[str, str] = field(default_factory=dict)


# What the workers render while this process renders the rest: (kind, key, name) jobs.
WHOLE_FILES = (("feeds", "", ""), ("markdown", "", ""))  # before the listings: each costs a hundred pages


def render_all(data: SiteData, spread: site.Spread = site.in_this_process) -> list[OutputFile]:
    """Every file of the site, sorted by path; ``spread`` may share out the work (``site.Spread``)."""
    story_pages, rest = render_stories_first(data, spread)
    return sorted([*story_pages, *rest()], key=lambda output: output.path)


def render_stories_first(
    data: SiteData, spread: site.Spread = site.in_this_process
) -> tuple[list[OutputFile], Callable[[], list[OutputFile]]]:
    """The story pages, and a function that gives every other file of the site: a build has the
    search indexer read the story pages while the rest are rendered."""
    if not data.story_digests:  # each rendering process needs most stories' digests for its keys
        data = replace(data, story_digests=keys.story_digests(data.stories))
    index = common.build_index(data.stories, data.editions)
    environment = site.make_environment(data.site.templates)
    story_jobs, listing_jobs = site.page_jobs(data, index)
    # What the jobs read, without the status page's rows, pickled once here rather than once for
    # each chunk sent: a site's stories are megabytes of records.
    render = functools.partial(render_jobs, pickle.dumps(replace(data, feeds=(), excluded=()), protocol=5))
    rendering_stories = spread(render, story_jobs)
    others = functools.cache(spread(render, [*WHOLE_FILES, *listing_jobs]))  # started now, read later
    story_pages = _flat(rendering_stories())

    def rest() -> list[OutputFile]:
        pages = site.render_pages(
            data, index, environment, lambda: _flat(others()[len(WHOLE_FILES) :]), story_pages
        )
        return [*pages, *_flat(others()[: len(WHOLE_FILES)])]

    return story_pages, rest


def render_jobs(shared: bytes, jobs: Sequence[site.PageJob]) -> list[tuple[OutputFile, ...]]:
    """The files of each job: the feeds, the Markdown editions, or one page; ``shared`` is the pickled
    ``SiteData``. A worker's unit of work."""
    writer = _writer_for(shared)
    return [_files_of(job, writer) for job in jobs]


@functools.lru_cache(maxsize=1)
def _writer_for(shared: bytes) -> site.PageWriter:
    """One writer per site and process: a worker given several chunks of one build unpickles the
    site, indexes it and renders each story's card once, not once per chunk."""
    data: SiteData = pickle.loads(shared)
    environment = site.environment_for(data.site.templates)
    return site.PageWriter(environment, data, common.build_index(data.stories, data.editions))


def _files_of(job: site.PageJob, writer: site.PageWriter) -> tuple[OutputFile, ...]:
    if job[0] == "feeds":
        return tuple(feeds.render_feeds(writer.data, writer.index, writer.environment))
    if job[0] == "markdown":
        return tuple(markdown.render_markdown_editions(writer.data, writer.index, writer.keys))
    return site.files_of_job(writer, job)


def _flat(parts: Sequence[tuple[OutputFile, ...]]) -> list[OutputFile]:
    return [output for part in parts for output in part]
