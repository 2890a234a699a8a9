"""Rendering: records in, ``OutputFile`` (path, bytes) out; never the network, the store or the clock.

``render_all`` is the whole stage: the HTML site (``site.py``), the feeds (``feeds.py``) and the
Markdown edition (``markdown.py``). Email and search are separate renderers (``email.py``,
``search.py``) that take the same ``SiteData``. The same ``SiteData`` always gives the same bytes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
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


def render_all(data: SiteData, spread: site.Spread = site.in_this_process) -> list[OutputFile]:
    """Every file of the site, sorted by path; ``spread`` may share out the pages (``site.Spread``)."""
    index = common.build_index(data.stories, data.editions)
    environment = site.make_environment(data.site.templates)
    spread_pages = site.start_spread_pages(data, index, spread)  # first: workers render while this goes on
    files = [
        *feeds.render_feeds(data, index, environment),
        *markdown.render_markdown_editions(data, index),
        *site.render_pages(data, index, environment, spread_pages),
    ]
    return sorted(files, key=lambda output: output.path)
