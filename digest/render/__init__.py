"""Rendering: records in, ``OutputFile`` (path, bytes) out; never the network, the store or the clock.

``render_all`` is the whole stage: the HTML site (``site.py``), the feeds (``feeds.py``) and the
Markdown edition (``markdown.py``). Email and search are separate renderers (``email.py``,
``search.py``) that take the same ``SiteData``. The same ``SiteData`` always gives the same bytes.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from digest.config import SiteConfig
from digest.records import Edition, Exclusion, FeedState, OutputFile, Story
from digest.render import common, feeds, markdown, site

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


# What the workers render while this process renders the rest: (kind, key, name) jobs.
WHOLE_FILES = (("feeds", "", ""), ("markdown", "", ""))  # first: each costs as much as a hundred pages


def render_all(data: SiteData, spread: site.Spread = site.in_this_process) -> list[OutputFile]:
    """Every file of the site, sorted by path; ``spread`` may share out the work (``site.Spread``)."""
    index = common.build_index(data.stories, data.editions)
    environment = site.make_environment(data.site.templates)
    jobs = [*WHOLE_FILES, *site.page_jobs(data, index)]
    shared = replace(data, feeds=(), excluded=())  # what the jobs read, smaller to send
    waiting = functools.cache(spread(functools.partial(render_jobs, shared), jobs))
    pages = site.render_pages(data, index, environment, lambda: _flat(waiting()[len(WHOLE_FILES) :]))
    return sorted([*pages, *_flat(waiting()[: len(WHOLE_FILES)])], key=lambda output: output.path)


def render_jobs(data: SiteData, jobs: Sequence[site.PageJob]) -> list[tuple[OutputFile, ...]]:
    """The files of each job: the feeds, the Markdown editions, or one page. A worker's unit of work."""
    environment = site.environment_for(data.site.templates)
    writer = site.PageWriter(environment, data, common.build_index(data.stories, data.editions))
    return [_files_of(job, writer) for job in jobs]


def _files_of(job: site.PageJob, writer: site.PageWriter) -> tuple[OutputFile, ...]:
    if job[0] == "feeds":
        return tuple(feeds.render_feeds(writer.data, writer.index, writer.environment))
    if job[0] == "markdown":
        return tuple(markdown.render_markdown_editions(writer.data, writer.index))
    return (site.page_of_job(writer, job),)


def _flat(parts: Sequence[tuple[OutputFile, ...]]) -> list[OutputFile]:
    return [output for part in parts for output in part]
