"""The HTML pages of the site, rendered from Jinja2 templates with autoescaping.

Templates are looked up in the operator's folder (``site.templates``) first, then in the bundled
``templates/`` folder, so an override ships only the files it changes. Each page gets the common
variables listed in ``templates/README.md`` plus its own.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import jinja2
import jinja2.runtime
import markdown
import markupsafe

import digest
from digest.errors import ConfigError
from digest.records import Edition, FeedState, OutputFile, Story
from digest.render import common, search
from digest.render.common import KIND_SINGULAR, KIND_TITLES, LISTING_KINDS, SiteIndex
from digest.render.keys import Deferred, PageKeys, resolved
from digest.sanitize import sanitize_html

if TYPE_CHECKING:
    from digest.render import SiteData

log = logging.getLogger(__name__)
Item = TypeVar("Item")
Result = TypeVar("Result")

FAILING_STATUSES = frozenset({"error", "gone"})
# The status page reports the decisions of the last month (articles left out, articles grouped): an
# operator checks what the recent builds did, and a page of every decision ever grows without bound.
STATUS_DAYS = 30
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
_FIRST_H1 = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def bundled_templates() -> Path:
    """The bundled templates: ``templates/`` beside the package in a checkout, else ``digest/_templates``.

    A wheel cannot ship a folder outside the package, so packaging copies ``templates/`` to
    ``digest/_templates``; a checkout (and an editable install) reads the folder itself."""
    package = Path(digest.__file__).parent
    checkout = package.parent / "templates"
    return checkout if (checkout / "base.html").is_file() else package / "_templates"


def template_folders(operator_folder: str = "") -> list[Path]:
    """Where templates are looked for, in order: the operator's folder first."""
    return [*([Path(operator_folder)] if operator_folder else []), bundled_templates()]


def make_environment(operator_folder: str = "") -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(folder) for folder in template_folders(operator_folder)]
    )
    environment = jinja2.Environment(
        loader=loader, autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    environment.filters.update(
        long_date=common.long_date,
        iso=common.rfc3339,
        outbound=common.outbound,
        host=common.host,
        markdown=render_markdown,
    )
    return environment


def render_markdown(source: str) -> str:
    """Operator-written Markdown as sanitised HTML."""
    if not source.strip():
        return ""
    return sanitize_html(markdown.markdown(source, extensions=list(MARKDOWN_EXTENSIONS)))


# --- pages -------------------------------------------------------------------------------


class Spread(Protocol):
    """Starts ``work(items)``, maybe in chunks in other processes; the function it returns waits for
    the results, in the order of ``items``."""

    def __call__(
        self, work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], /
    ) -> Callable[[], list[Result]]: ...


def in_this_process(
    work: Callable[[Sequence[Item]], list[Result]], items: Sequence[Item], /
) -> Callable[[], list[Result]]:
    return lambda: work(items)


@dataclass(frozen=True, slots=True)
class PageWriter:
    """Renders one template to one path with the variables every page shares."""

    environment: jinja2.Environment
    data: SiteData
    index: SiteIndex
    cards: dict[tuple[str, str, int], markupsafe.Markup] = field(default_factory=dict, compare=False)
    keys: PageKeys = field(init=False, compare=False)

    def __post_init__(self) -> None:
        folders = template_folders(self.data.site.templates)
        data = self.data
        keys = PageKeys(data.site, data.now, self.environment, folders, self.index, data.story_digests)
        object.__setattr__(self, "keys", keys)  # frozen: set once, here

    @jinja2.pass_context
    def story_card(self, context: jinja2.runtime.Context, story: Story, level: int) -> markupsafe.Markup:
        """``_story_card.html`` for ``story``, rendered once per root and heading level: a story is
        listed on many pages (each of its topics, places, organisations and outlets), and rendering
        its card again for each was most of the time spent on listings."""
        key = (story.id, context["root"], level)
        if key not in self.cards:
            card = self.environment.get_template("_story_card.html")
            self.cards[key] = markupsafe.Markup(card.render(context.get_all(), story=story, level=level))
        return self.cards[key]

    def write(self, template: str, path: str, title: str, description: str = "", **values: Any) -> OutputFile:
        """``template`` rendered to ``path``. A ``reusable`` page has a key (``render/keys.py``), and
        comes out ``kept``, not rendered, when the published page has the same key."""
        reusable = values.pop("reusable", False)
        canonical_path = values.pop("canonical_path", path)
        og_type = values.pop("og_type", "website")
        key = ""
        if reusable:
            page = (title, description, canonical_path, og_type)  # " page": no keyword argument's name
            published = self.data.published.get(path)
            key, worked = self.keys.settle(template, path, {**values, " page": page}, published)
            if worked is None:
                return OutputFile(path, b"", key, kept=True)
            values = {name: worked[name] for name in values}
        else:
            values = resolved(values)
        context = {
            "site": self.data.site,
            "now": self.data.now,
            "root": common.root_of(path),
            "page_path": path,
            "page_title": title,
            "description": description or self.data.site.description,
            "canonical_url": common.absolute_url(self.data.site.base_url, canonical_path),
            "og_type": og_type,
            "story_url": common.story_path,
            "edition_url": common.edition_path,
            "link": self.index.link,
            "story_card": self.story_card,
            **values,
        }
        try:
            html = self.environment.get_template(template).render(context)
        except jinja2.TemplateError as exc:
            raise ConfigError(f"template {template}: {exc}") from None
        return OutputFile(path, html.encode("utf-8"), key)


PageJob = tuple[str, str, str]  # ("story", id, "") or ("listing", kind, name)


def page_jobs(data: SiteData, index: SiteIndex) -> tuple[list[PageJob], list[PageJob]]:
    """The story pages, then the listing pages: nine in ten of a site's pages, shared out to workers."""
    stories = [("story", story.id, "") for story in data.stories]
    return stories, [("listing", kind, name) for kind in LISTING_KINDS for name in index.listings[kind]]


def files_of_job(writer: PageWriter, job: PageJob) -> tuple[OutputFile, ...]:
    """A story's page, or every page of a listing."""
    what, key, name = job
    if what == "story":
        return (story_page(writer, writer.index.stories_by_id[key]),)
    return tuple(listing_pages(writer, key, name, writer.index.listings[key][name]))


@functools.lru_cache(maxsize=4)
def environment_for(operator_folder: str) -> jinja2.Environment:
    """One environment per template folder and process, so each template is compiled once."""
    return make_environment(operator_folder)


def render_pages(
    data: SiteData,
    index: SiteIndex,
    environment: jinja2.Environment,
    spread_pages: Callable[[], list[OutputFile]],
    story_pages: Sequence[OutputFile],
) -> list[OutputFile]:
    """Every HTML page but the story pages (rendered already, listed in the sitemap), the icon and the
    stylesheet, robots.txt and the sitemap; ``spread_pages`` gives the listing pages of ``page_jobs``,
    rendered meanwhile by the workers."""
    writer = PageWriter(environment, data, index)
    pages = [
        home_page(writer),
        *(edition_page(writer, position) for position in range(len(data.editions))),
        *(listing_index_page(writer, kind) for kind in LISTING_KINDS),
        archive_page(writer),
        about_page(writer),
        search_page(writer),
        *status_pages(writer),
        *spread_pages(),
    ]
    return [*pages, *asset_files(environment), robots_txt(data), sitemap(data, [*pages, *story_pages])]


def sections_of(edition: Edition, index: SiteIndex) -> list[tuple[str, list[Story]]]:
    stories = index.stories_by_id
    if not edition.sections:
        return [("This edition", common.edition_stories(edition, index))] if edition.story_ids else []
    sections = [
        (section.title, [stories[i] for i in section.story_ids if i in stories])
        for section in edition.sections
    ]
    return [(title, members) for title, members in sections if members]


def overview_of(stories: Sequence[Story], top: int = 3) -> dict[str, Any]:
    """The "this week" counts: stories, distinct outlets and jurisdictions, the most covered harms."""
    harms = Counter(harm for story in stories for harm in story.tags.harms)
    return {
        "stories": len(stories),
        "outlets": len({source.source for story in stories for source in story.sources}),
        "jurisdictions": len({place for story in stories for place in story.tags.jurisdictions}),
        "top_harms": sorted(harms.items(), key=lambda item: (-item[1], item[0]))[:top],
    }


def home_page(writer: PageWriter) -> OutputFile:
    editions = writer.data.editions
    latest = editions[0] if editions else None
    stories = common.edition_stories(latest, writer.index) if latest else []
    shown = {story.id for story in common.leading(stories, writer.data.site.home_max_stories)}
    sections = [
        (title, [story for story in members if story.id in shown])
        for title, members in (sections_of(latest, writer.index) if latest else [])
    ]
    return writer.write(
        "index.html",
        "index.html",
        writer.data.site.title,
        edition=latest,
        sections=[(title, members) for title, members in sections if members],
        more=len(stories) - len(shown),
        overview=overview_of(stories),
        editor_note_html=render_markdown(latest.editor_note) if latest else "",
        earlier=editions[1:6],
        latest_label=latest_label(latest, writer.data.now) if latest else "",
    )


def latest_label(edition: Edition, now: datetime) -> str:
    """ "This week" only while the latest edition's period is running; after it, "Latest edition"."""
    if not edition.start <= common.utc(now).date() <= edition.end:
        return "Latest edition"
    days = (edition.end - edition.start).days
    return "Today" if days == 0 else "This week" if days <= 7 else "This month"


def edition_page(writer: PageWriter, position: int) -> OutputFile:
    editions = writer.data.editions
    edition = editions[position]
    return writer.write(
        "edition.html",
        common.edition_path(edition.key),
        edition.title,
        f"Edition {edition.number} of {writer.data.site.title}, {common.long_date(edition.start)} "
        f"to {common.long_date(edition.end)}.",
        edition=edition,
        sections=sections_of(edition, writer.index),
        story_count=len(common.edition_stories(edition, writer.index)),
        editor_note_html=render_markdown(edition.editor_note),
        newer=common.edition_link(editions[position - 1] if position > 0 else None),
        older=common.edition_link(editions[position + 1] if position + 1 < len(editions) else None),
        reusable=True,
    )


def story_page(writer: PageWriter, story: Story) -> OutputFile:
    return writer.write(
        "story.html",
        common.story_path(story.id),
        story.title,
        _shorten(" ".join(sentence.text for sentence in story.summary[:2])),
        og_type="article",
        story=story,
        edition=common.edition_link(writer.index.edition_of.get(story.id)),
        summary=common.numbered_summary(story),
        editor_note_html=render_markdown(story.editor_note),
        related=Deferred(writer.keys.related_window(story), lambda: related_links(writer, story)),
        reusable=True,
    )


def related_links(writer: PageWriter, story: Story) -> list[common.StoryLink]:
    return [common.story_link(other) for other in common.related_stories(story, writer.index)]


def render_moved_pages(data: SiteData, moved: Mapping[str, str]) -> list[OutputFile]:
    """A page at each story URL that is gone (``editions.moved_stories``: old id -> the story now
    holding its articles), linking to that story and naming it canonical. No meta refresh: the
    site runs nothing that moves the reader on by itself."""
    present = {story.id: story for story in data.stories}
    targets = {old: present[new] for old, new in sorted(moved.items()) if new in present}
    if not targets:
        return []
    writer = PageWriter(
        make_environment(data.site.templates), data, common.build_index(data.stories, data.editions)
    )
    return [moved_page(writer, old, story) for old, story in targets.items()]


def moved_page(writer: PageWriter, old_id: str, story: Story) -> OutputFile:
    return writer.write(
        "moved.html",
        common.story_path(old_id),
        "This story has moved",
        f"This story is now part of: {story.title}",
        canonical_path=common.story_path(story.id),
        story=story,
    )


def listing_index_page(writer: PageWriter, kind: str) -> OutputFile:
    listing = writer.index.listings[kind]
    entries = [(name, writer.index.link(kind, name), len(stories)) for name, stories in listing.items()]
    return writer.write(
        "listing_index.html",
        f"{kind}/index.html",
        KIND_TITLES[kind],
        entries=entries,
        kind=kind,
        kind_title=KIND_TITLES[kind],
    )


def listing_pages(writer: PageWriter, kind: str, name: str, stories: tuple[Story, ...]) -> list[OutputFile]:
    """The first page of a listing (its newest stories), then its older pages, each a fixed set of
    ``LISTING_PAGE`` stories counted from the earliest: a page no longer grows with the archive, and
    an older page is not rewritten when a story is added."""
    older, first = common.listing_page_counts(len(stories))
    slug = writer.index.slugs[kind][name]
    pages = [_listing_page(writer, kind, name, stories[:first], len(stories), slug, 0, older)]
    for page in range(1, older + 1):
        end = len(stories) - (page - 1) * common.LISTING_PAGE  # ``stories`` are newest first
        shown = stories[end - common.LISTING_PAGE : end]
        pages.append(_listing_page(writer, kind, name, shown, len(stories), slug, page, older))
    return pages


def _listing_page(
    writer: PageWriter,
    kind: str,
    name: str,
    shown: tuple[Story, ...],
    total: int,
    slug: str,
    page: int,  # 0: the first page; else the older page's number, 1 the earliest
    older: int,  # how many older pages there are
) -> OutputFile:
    # The first page leads to the newest older page; an older page to the one before it and after
    # it (after the newest older page comes the first page).
    older_link = common.listing_path(kind, slug, page - 1 if page else older) if older and page != 1 else ""
    newer_link = common.listing_path(kind, slug, 0 if page == older else page + 1) if page else ""
    return writer.write(
        "listing.html",
        common.listing_path(kind, slug, page),
        f"{KIND_SINGULAR[kind]}: {name}" + (f", page {page}" if page else ""),
        f"Stories on {name} in {writer.data.site.title}, newest first.",
        kind=kind,
        kind_title=KIND_TITLES[kind],
        kind_singular=KIND_SINGULAR[kind],
        name=name,
        stories=shown,
        total=None if page else total,  # an older page stays as it is while the listing grows
        page=page,
        first_page=common.listing_path(kind, slug),
        older_page=older_link,
        newer_page=newer_link,
        feed_path="feed.xml" if kind == "tags" and not page else "",
        reusable=True,
    )


def archive_page(writer: PageWriter) -> OutputFile:
    counts = [
        (edition, len(common.edition_stories(edition, writer.index))) for edition in writer.data.editions
    ]
    return writer.write(
        "archive.html", "archive/index.html", "Archive", "Every edition so far.", editions=counts
    )


def about_page(writer: PageWriter) -> OutputFile:
    source = writer.data.about_markdown
    heading = _FIRST_H1.match(source)
    body = source[heading.end() :] if heading else source
    about_html = (
        render_markdown(body) or "<p>This digest gathers the week's reporting on online-abuse policy.</p>"
    )
    return writer.write(
        "about.html",
        "about/index.html",
        "About",
        about_title=heading.group(1) if heading else "About",
        about_html=about_html,
    )


def search_page(writer: PageWriter) -> OutputFile:
    """The search page; its index (``pagefind/``, and the older periods' bundles it merges) is built
    from the story pages by ``render/search.py``."""
    merged = search.merged_folders(writer.data.stories, writer.data.now)
    page = writer.write(
        "search.html",
        "search/index.html",
        "Search",
        f"Search every story in {writer.data.site.title}.",
        merged_bundles=merged,
    )
    missing = [folder for folder in merged if folder.encode() not in page.content]
    if missing:  # an operator's search.html from before search was split by period
        log.warning(
            "search.html: the search page does not merge %s (merged_bundles), so search finds only the "
            "newest period's stories",
            ", ".join(missing),
        )
    return page


def status_pages(writer: PageWriter) -> list[OutputFile]:
    """The status page, also at ``status.html`` in the root where the operator's scripts look."""
    values = status_values(writer.data)
    title = "Build and feed status"
    return [
        writer.write("status.html", path, title, canonical_path="status/index.html", **values)
        for path in ("status/index.html", "status.html")
    ]


def status_since(now: datetime) -> datetime:
    """The start of what the status page reports: ``STATUS_DAYS`` before the build's clock."""
    return common.utc(now) - timedelta(days=STATUS_DAYS)


def status_values(data: SiteData) -> dict[str, Any]:
    rows = sorted((_feed_row(state, data) for state in data.feeds), key=_feed_row_order)
    excluded = sorted(
        data.excluded, key=lambda item: (item.source.casefold(), item.title.casefold(), item.article_id)
    )
    since = status_since(data.now)
    grouped = [
        story
        for story in common.newest_first(data.stories)
        if (len(story.sources) > 1 or story.grouping_reasons) and common.utc(story.first_seen) >= since
    ]
    return {
        "feeds": rows,
        "failing_count": sum(1 for row in rows if row["failing"]),
        "excluded": excluded,
        "grouped": grouped,
        "status_days": STATUS_DAYS,
    }


def _feed_row(state: FeedState, data: SiteData) -> dict[str, Any]:
    failing = state.last_status in FAILING_STATUSES or state.failing_since is not None
    since = state.failing_since
    return {
        "state": state,
        "failing": failing,
        "failing_for": common.how_long(since, data.now) if since else "",
    }


def _feed_row_order(row: dict[str, Any]) -> tuple[bool, str, str]:
    state: FeedState = row["state"]
    return (not row["failing"], state.name.casefold(), state.url)


# --- files that are not pages ----------------------------------------------------------------


ASSETS = ("assets/favicon.svg", "assets/style.css")


def asset_files(environment: jinja2.Environment) -> list[OutputFile]:
    """The icon and the stylesheet, copied as they are (the operator's own when their folder has them).
    Without an icon a browser asks for /favicon.ico on every first visit, and logs the 404."""
    loader = environment.loader or jinja2.FileSystemLoader(bundled_templates())
    return [OutputFile(name, loader.get_source(environment, name)[0].encode("utf-8")) for name in ASSETS]


def robots_txt(data: SiteData) -> OutputFile:
    sitemap_url = common.absolute_url(data.site.base_url, "sitemap.xml")
    return OutputFile("robots.txt", f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n".encode())


def sitemap(data: SiteData, pages: Sequence[OutputFile]) -> OutputFile:
    paths = sorted(page.path for page in pages if page.path.endswith("index.html"))
    urls = "".join(
        f"  <url><loc>{_xml_text(common.absolute_url(data.site.base_url, path))}</loc></url>\n"
        for path in paths
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{urls}</urlset>\n"
    )
    return OutputFile("sitemap.xml", document.encode("utf-8"))


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
