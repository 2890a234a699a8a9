"""One feed per sample outlet, each in the format its outlet declares (see ``outlets.toml``).

Every feed is generated from the build clock ``now``: an item's date is ``now - hours_ago``, so
the demo always shows the current week. Item ids never contain the server's address (the port
changes from run to run; an id must not). Strings are written by hand rather than through an
XML library because the formats need what ElementTree cannot write: ``xml:base`` placement of
our choosing, CDATA sections, exact namespace prefixes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape, quoteattr

from digest.sample.corpus import Outlet, SampleArticle

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "rss20-summary": "application/rss+xml; charset=utf-8",
    "rss20-content": "application/rss+xml; charset=utf-8",
    "atom10-base": "application/atom+xml; charset=utf-8",
    "atom10-entry": "application/atom+xml; charset=utf-8",
    "rss10": "application/rdf+xml; charset=utf-8",
    "jsonfeed11": "application/feed+json; charset=utf-8",
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def render_feed(outlet: Outlet, articles: Sequence[SampleArticle], now: datetime, base_url: str) -> bytes:
    """The outlet's feed listing ``articles`` (newest first), with addresses under ``base_url``."""
    newest_first = sorted(articles, key=lambda a: (a.hours_ago, a.id))
    writer = _WRITERS[outlet.feed_format]
    return writer(_Context(outlet, _as_utc(now), base_url.rstrip("/")), newest_first).encode("utf-8")


def article_url(outlet: Outlet, article_id: str, base_url: str) -> str:
    """The page address as the feed links it (tracking parameters included)."""
    url = base_url.rstrip("/") + outlet.path_of(article_id)
    return f"{url}?{outlet.link_query}" if outlet.link_query else url


def rfc822(moment: datetime) -> str:
    return format_datetime(_as_utc(moment), usegmt=True)


def rfc3339(moment: datetime) -> str:
    return _as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def paragraphs_html(article: SampleArticle) -> str:
    return "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in article.paragraphs)


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Context:
    """What every writer needs: the outlet, the clock and the server's root (no trailing slash)."""

    __slots__ = ("base", "now", "outlet")

    def __init__(self, outlet: Outlet, now: datetime, base: str) -> None:
        self.outlet, self.now, self.base = outlet, now, base

    def url(self, path: str) -> str:
        return self.base + path

    def link(self, article: SampleArticle) -> str:
        return article_url(self.outlet, article.id, self.base)

    def guid(self, article: SampleArticle) -> str:
        return f"urn:sample:{self.outlet.id}:{article.id}"

    def updated(self, articles: Sequence[SampleArticle]) -> datetime:
        return articles[0].published(self.now) if articles else self.now


def _element(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# --- RSS 2.0 ----------------------------------------------------------------------------------


def _rss20(context: _Context, articles: Sequence[SampleArticle]) -> str:
    outlet = context.outlet
    with_content = outlet.feed_format == "rss20-content"
    namespaces = ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
    if with_content:
        namespaces += ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    channel = [
        _element("title", outlet.name),
        _element("link", context.url(outlet.homepage)),
        _element("description", outlet.tagline),
        _element("language", "en-gb"),
        _element("lastBuildDate", rfc822(context.updated(articles))),
        f'<atom:link href={quoteattr(context.url(outlet.feed_path))} rel="self" type="application/rss+xml"/>',
        _element("generator", "sample-press 2.4"),
    ]
    items = [_rss20_item(context, article, with_content) for article in articles]
    body = "\n".join(["<channel>", *channel, *items, "</channel>"])
    return f'{XML_DECLARATION}<rss version="2.0"{namespaces}>\n{body}\n</rss>\n'


def _rss20_item(context: _Context, article: SampleArticle, with_content: bool) -> str:
    parts = [
        _element("title", article.title),
        _element("link", context.link(article)),
        f'<guid isPermaLink="false">{escape(context.guid(article))}</guid>',
        _element("pubDate", rfc822(article.published(context.now))),
        _element("dc:creator", article.author),
        _element("description", article.summary),
    ]
    if with_content:
        parts.append(f"<content:encoded>{_cdata(paragraphs_html(article))}</content:encoded>")
    return "<item>\n" + "\n".join(parts) + "\n</item>"


# --- RSS 1.0 ----------------------------------------------------------------------------------


def _rss10(context: _Context, articles: Sequence[SampleArticle]) -> str:
    outlet = context.outlet
    sequence = "".join(f"\n<rdf:li rdf:resource={quoteattr(context.link(a))}/>" for a in articles)
    channel = [
        f"<channel rdf:about={quoteattr(context.url(outlet.feed_path))}>",
        _element("title", outlet.name),
        _element("link", context.url(outlet.homepage)),
        _element("description", outlet.tagline),
        _element("dc:date", rfc3339(context.updated(articles))),
        _element("dc:language", "en"),
        f"<items>\n<rdf:Seq>{sequence}\n</rdf:Seq>\n</items>",
        "</channel>",
    ]
    items = [_rss10_item(context, article) for article in articles]
    opening = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    )
    return XML_DECLARATION + "\n".join([opening, *channel, *items, "</rdf:RDF>"]) + "\n"


def _rss10_item(context: _Context, article: SampleArticle) -> str:
    parts = [
        f"<item rdf:about={quoteattr(context.link(article))}>",
        _element("title", article.title),
        _element("link", context.link(article)),
        _element("description", article.summary),
        _element("dc:creator", article.author),
        _element("dc:date", rfc3339(article.published(context.now))),
        "</item>",
    ]
    return "\n".join(parts)


# --- Atom 1.0 ---------------------------------------------------------------------------------


def _atom(context: _Context, articles: Sequence[SampleArticle]) -> str:
    """Atom with relative links: ``atom10-base`` sets xml:base on the feed, ``atom10-entry`` on each entry."""
    outlet = context.outlet
    feed_base = outlet.feed_format == "atom10-base"
    # atom10-base: everything relative to the outlet's home; atom10-entry: root-relative feed links,
    # resolved against the feed's own address, and a base on each entry.
    home, self_link = (
        ("./", outlet.feed_path.rsplit("/", 1)[-1]) if feed_base else (outlet.homepage, outlet.feed_path)
    )
    base = f" xml:base={quoteattr(context.url(outlet.homepage))}" if feed_base else ""
    head = [
        f'<feed xmlns="http://www.w3.org/2005/Atom"{base} xml:lang="en">',
        _element("title", outlet.name),
        _element("subtitle", outlet.tagline),
        f'<link rel="alternate" type="text/html" href={quoteattr(home)}/>',
        f'<link rel="self" type="application/atom+xml" href={quoteattr(self_link)}/>',
        _element("id", f"urn:sample:{outlet.id}"),
        _element("updated", rfc3339(context.updated(articles))),
        '<generator uri="https://example.org/sample-press" version="2.4">sample-press</generator>',
    ]
    entries = [_atom_entry(context, article, feed_base) for article in articles]
    return XML_DECLARATION + "\n".join([*head, *entries, "</feed>"]) + "\n"


def _atom_entry(context: _Context, article: SampleArticle, feed_base: bool) -> str:
    outlet = context.outlet
    page = outlet.path_of(article.id)
    if feed_base:
        opening, href = "<entry>", page.removeprefix(outlet.homepage)
    else:
        folder, leaf = _split_last_segment(page)
        opening, href = f"<entry xml:base={quoteattr(context.url(folder))}>", leaf
    published = rfc3339(article.published(context.now))
    parts = [
        opening,
        _element("title", article.title),
        f'<link rel="alternate" type="text/html" href={quoteattr(href)}/>',
        _element("id", context.guid(article)),
        _element("published", published),
        _element("updated", published),
        f"<author>{_element('name', article.author)}</author>",
        f'<summary type="text">{escape(article.summary)}</summary>',
    ]
    if not feed_base:
        parts.append(f'<content type="html">{escape(paragraphs_html(article))}</content>')
    parts.append("</entry>")
    return "\n".join(parts)


def _split_last_segment(path: str) -> tuple[str, str]:
    """``/a/b/id/`` -> (``/a/b/``, ``id/``); ``/a/b/id.html`` -> (``/a/b/``, ``id.html``)."""
    trimmed = path.rstrip("/")
    folder, leaf = trimmed.rsplit("/", 1)
    return folder + "/", leaf + path[len(trimmed) :]


# --- JSON Feed 1.1 ----------------------------------------------------------------------------


def _json_feed(context: _Context, articles: Sequence[SampleArticle]) -> str:
    outlet = context.outlet
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": outlet.name,
        "home_page_url": context.url(outlet.homepage),
        "feed_url": context.url(outlet.feed_path),
        "description": outlet.tagline,
        "language": "en-GB",
        "authors": [{"name": outlet.name}],
        "items": [_json_item(context, article) for article in articles],
    }
    return json.dumps(feed, ensure_ascii=False, indent=2) + "\n"


def _json_item(context: _Context, article: SampleArticle) -> dict[str, object]:
    return {
        "id": context.guid(article),
        "url": context.link(article),
        "title": article.title,
        "summary": article.summary,
        "content_html": paragraphs_html(article),
        "date_published": _as_utc(article.published(context.now)).isoformat(),
        "authors": [{"name": article.author}],
    }


_WRITERS: dict[str, Callable[[_Context, Sequence[SampleArticle]], str]] = {
    "rss20-summary": _rss20,
    "rss20-content": _rss20,
    "atom10-base": _atom,
    "atom10-entry": _atom,
    "rss10": _rss10,
    "jsonfeed11": _json_feed,
}
