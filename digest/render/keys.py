"""A page's key: one digest of everything the page is rendered from, so that a build renders only the
pages whose inputs changed.

The key digests this program's code, the templates (the operator's and ours), the site settings, the
slugs that are not the plain slug of their name, the template and path, and every value the page is
given; a story by its own digest, worked out once per story and process (a listing shows fifty). A
template that reads the build clock (``now``), or the template behind it, puts the clock in its
pages' keys. A page whose key is the one its published file was made with (``SiteData.published``)
is not rendered again: it comes out ``kept``, and publishing links the published file into the new
tree. On the bench's eight-week site, a rebuild with new items keeps two files in three, and one
with nothing new nearly all."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta

from digest.config import SiteConfig
from digest.fingerprint import digest_of
from digest.records import Edition, Story
from digest.render import common

CLOCK = "now"  # the context variable that holds the build clock
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


class PageKeys:
    """The keys of one site's pages, in one process."""

    def __init__(
        self,
        site: SiteConfig,
        now: datetime,
        environment: jinja2.Environment,
        template_folders: Sequence[Path],
        slugs: Mapping[str, Mapping[str, str]],
    ) -> None:
        self._environment = environment
        self._now = now
        # A slug with a hash suffix depends on every name it collides with: any change re-renders all.
        suffixed = sorted(
            (kind, name, slug)
            for kind, names in slugs.items()
            for name, slug in names.items()
            if slug != common.slugify(name)
        )
        templates = templates_fingerprint(tuple(template_folders))
        self._base = digest_of(renderer_versions(), templates, site, tuple(suffixed))
        self._stories: dict[str, str] = {}
        self._editions: dict[str, str] = {}
        self._clock: dict[str, bool] = {}

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
