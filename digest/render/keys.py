"""A page's key: one digest of everything the page is rendered from, so that a build renders only the
pages whose inputs changed.

The key digests this program's code, the templates (the operator's and ours), the site settings, the
slugs that are not the plain slug of their name, the template and path, and every value the page is
given; a story by its own digest, worked out once per story and process (a listing shows fifty). A
template that reads the build clock (``now``), or the template behind it, puts the clock in its
pages' keys. A page whose key is the one its published file was made with (``SiteData.published``)
is not rendered again: it comes out ``kept``, and publishing links the published file into the new
tree. On the bench's eight-week site, a rebuild with new items keeps two files in three, and one
with nothing new nearly all.

A value costly to work out, a story's related stories (a third of a millisecond each), is
``Deferred``: the page's first key holds what it is worked out from (the stories of the days within
the window), and a second key the value itself. The first spares an old story's page the work; the
second keeps a page near a new story that did not become one of its related stories."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from digest.config import SiteConfig
from digest.fingerprint import digest_of
from digest.records import Edition, Story
from digest.render import common
from digest.render.common import SiteIndex

CLOCK = "now"  # the context variable that holds the build clock
DAY_S = 86_400
# Days either side of a story's own whose stories may be among its related ones, and one more: the
# window is counted in seconds from the story's time, the days from midnight.
WINDOW_DAYS = int(common.RELATED_WINDOW_S // DAY_S) + 1
# Rendered by the ``story_card`` function rather than included, so no template names it.
CARD_FUNCTION, CARD_TEMPLATE = "story_card", "_story_card.html"
# What turns templates and values into bytes besides our code: a new version may render differently.
RENDERERS = ("jinja2", "markupsafe", "markdown", "nh3")


@functools.cache
def renderer_versions() -> tuple[str, ...]:
    return (sys.version, *(f"{name} {importlib.metadata.version(name)}" for name in RENDERERS))


@functools.cache
def templates_fingerprint(folders: tuple[Path, ...]) -> str:
    """A digest of every file in the template folders, by path."""
    hasher = hashlib.sha256()
    for position, folder in enumerate(folders):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{position}/{path.relative_to(folder).as_posix()}"
            hasher.update(name.encode("utf-8", "surrogatepass") + b"\0" + path.read_bytes() + b"\0")
    return hasher.hexdigest()


def reads_clock(environment: jinja2.Environment, template: str) -> bool:
    """Whether ``template``, a template it extends, includes or imports, or the story card where one
    of them shows cards, names the build clock. A template named only at run time counts as reading it."""
    seen: set[str] = set()
    waiting = [template]
    while waiting:
        name = waiting.pop()
        if name in seen:
            continue
        seen.add(name)
        tree = _parsed(environment, name)
        if tree is None:
            continue
        names = jinja2.meta.find_undeclared_variables(tree)
        if CLOCK in names:
            return True
        if CARD_FUNCTION in names:
            waiting.append(CARD_TEMPLATE)
        for referenced in jinja2.meta.find_referenced_templates(tree):
            if referenced is None:
                return True
            waiting.append(referenced)
    return False


def _parsed(environment: jinja2.Environment, name: str) -> jinja2.nodes.Template | None:
    if environment.loader is None:
        return None
    try:
        source, _, _ = environment.loader.get_source(environment, name)
        return environment.parse(source)
    except jinja2.TemplateError:
        return None  # missing or broken: rendering it fails and says so


@dataclass(frozen=True, slots=True)
class Deferred:
    """A page variable worked out only when the page is rendered. ``key`` stands for it in the page's
    key, so it must change whenever the value may."""

    key: str
    value: Callable[[], Any]


def resolved(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with each ``Deferred`` worked out."""
    return {name: value.value() if isinstance(value, Deferred) else value for name, value in values.items()}


class PageKeys:
    """The keys of one site's pages, in one process."""

    def __init__(
        self,
        site: SiteConfig,
        now: datetime,
        environment: jinja2.Environment,
        template_folders: Sequence[Path],
        index: SiteIndex,
        story_digests: Mapping[str, str] | None = None,
    ) -> None:
        self._environment = environment
        self._now = now
        # A slug with a hash suffix depends on every name it collides with: any change re-renders all.
        suffixed = sorted(
            (kind, name, slug)
            for kind, names in index.slugs.items()
            for name, slug in names.items()
            if slug != common.slugify(name)
        )
        templates = templates_fingerprint(tuple(template_folders))
        self._base = digest_of(renderer_versions(), templates, site, tuple(suffixed))
        self._stories: dict[str, str] = dict(story_digests or {})
        self._editions: dict[str, str] = {}
        self._clock: dict[str, bool] = {}
        self._index = index
        self._days: dict[int, str] | None = None  # day -> digest of the stories published on it
        self._windows: dict[int, str] = {}  # day -> the related window of its stories

    def related_window(self, story: Story) -> str:
        """A digest of what ``common.related_stories`` reads of other stories for ``story``: the id,
        title, date, topics and organisations of each story published on a day within the window of
        it. Old stories' windows do not change, so their pages are kept without choosing again."""
        if self._days is None:
            self._days = _day_digests(self._index.newest)
        day = _day(story.published)
        if day not in self._windows:  # the same for every story of the day
            span = range(day - WINDOW_DAYS, day + WINDOW_DAYS + 1)
            self._windows[day] = digest_of(tuple(self._days.get(each, "") for each in span))
        return self._windows[day]

    def settle(
        self, template: str, path: str, values: Mapping[str, Any], published: str | None
    ) -> tuple[str, dict[str, Any] | None]:
        """The key of a page, and its values with each ``Deferred`` worked out; no values when the
        page is kept (``published``: the key its published file was made with). A page with deferred
        values has two keys, joined by "/": by what those values are worked out from, then by the
        values themselves. Either one matching the published page's keeps it: the first without
        working the values out (an old story's related stories), the second when what they are
        worked out from changed but they did not (a story near it in time that is not related)."""
        by_inputs = self.of(template, path, values)
        if not any(isinstance(value, Deferred) for value in values.values()):
            return by_inputs, None if published == by_inputs else dict(values)
        earlier_inputs, _, earlier_values = (published or "").partition("/")
        if published is not None and earlier_inputs == by_inputs:
            return published, None
        worked = resolved(values)
        by_values = self.of(template, path, worked)
        return f"{by_inputs}/{by_values}", None if earlier_values == by_values else worked

    def of(self, template: str, path: str, values: Mapping[str, Any]) -> str:
        """The key of ``path`` rendered from ``template`` with ``values`` (the page's own variables)."""
        if template not in self._clock:
            self._clock[template] = reads_clock(self._environment, template)
        return self._digest(template, path, self._now if self._clock[template] else None, values)

    def of_file(self, maker: str, path: str, values: Mapping[str, Any]) -> str:
        """The key of a file our code writes without a template (``maker`` names the code)."""
        return self._digest(maker, path, None, values)

    def _digest(self, maker: str, path: str, clock: datetime | None, values: Mapping[str, Any]) -> str:
        named = [(name, self._value(values[name])) for name in sorted(values)]
        return digest_of(self._base, maker, path, clock, named)

    def _value(self, value: Any) -> Any:
        if isinstance(value, Deferred):
            return ("deferred", value.key)
        if isinstance(value, Story):
            return ("story", self._story(value))
        if isinstance(value, Edition):
            return ("edition", self._edition(value))
        if isinstance(value, tuple | list):
            return tuple(self._value(item) for item in value)
        return value

    def _story(self, story: Story) -> str:
        if story.id not in self._stories:
            self._stories[story.id] = digest_of(story)
        return self._stories[story.id]

    def _edition(self, edition: Edition) -> str:
        if edition.key not in self._editions:
            self._editions[edition.key] = digest_of(edition)
        return self._editions[edition.key]


def story_digests(stories: Sequence[Story]) -> dict[str, str]:
    """Each story's digest, as a page's key holds it."""
    return {story.id: digest_of(story) for story in stories}


def _day(moment: datetime) -> int:
    return int(common.utc(moment).timestamp() // DAY_S)


def _day_digests(stories: Sequence[Story]) -> dict[int, str]:
    days: dict[int, list[tuple[Any, ...]]] = {}
    for story in stories:  # newest first: the order ``related_stories`` ranks ties in
        tags = story.tags
        shown = (story.id, story.title, story.published, tags.harms, tags.responses, tags.organisations)
        days.setdefault(_day(story.published), []).append(shown)
    return {day: digest_of(tuple(members)) for day, members in days.items()}
