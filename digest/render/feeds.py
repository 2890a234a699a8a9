"""The machine-readable outputs: ``feed.json`` (JSON Feed 1.1), ``feed.xml`` (Atom, RFC 4287)
and one Atom feed per topic tag (``tags/<slug>/feed.xml``).

Items are stories, newest first. Ids and links are absolute URLs of the story pages, which never
change for a story, so a reader never sees an item twice.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import jinja2

from digest.records import OutputFile, Source, Story
from digest.render import common
from digest.render.common import SiteIndex
from digest.sanitize import sanitize_html

if TYPE_CHECKING:
    from digest.render import SiteData

log = logging.getLogger(__name__)

ATOM_NS = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "online-abuse-digest"
MAX_ITEMS = 50
# Characters XML 1.0 forbids; a feed carrying one would not parse at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_feeds(data: SiteData, index: SiteIndex, environment: jinja2.Environment) -> list[OutputFile]:
    stories = common.newest_first(data.stories)[:MAX_ITEMS]
    shown = {story.id: story for story in stories}  # only these are rendered: each costs a sanitising
    for tagged in index.listings["tags"].values():
        shown.update((story.id, story) for story in tagged[:MAX_ITEMS])
    contents = {story_id: content_html(story, data, environment) for story_id, story in shown.items()}
    files = [
        json_feed(data, stories, contents),
        atom_feed(data, stories, contents, "feed.xml", "index.html", ""),
    ]
    for name, tagged in index.listings["tags"].items():
        page = index.link("tags", name)
        feed_path = page.replace("index.html", "feed.xml")
        files.append(atom_feed(data, tagged[:MAX_ITEMS], contents, feed_path, page, name))
    return files


def story_url(data: SiteData, story: Story) -> str:
    return common.absolute_url(data.site.base_url, common.story_path(story.id))


def content_html(story: Story, data: SiteData, environment: jinja2.Environment) -> str:
    template = environment.get_template("_feed_content.html")
    html = template.render(
        story=story, story_link=story_url(data, story), summary=common.numbered_summary(story)
    )
    return sanitize_html(html.strip())


# --- JSON Feed ---------------------------------------------------------------------------------


def json_feed(data: SiteData, stories: Sequence[Story], contents: dict[str, str]) -> OutputFile:
    site = data.site
    document = {
        "version": JSON_FEED_VERSION,
        "title": site.title,
        "home_page_url": common.absolute_url(site.base_url, "index.html"),
        "feed_url": common.absolute_url(site.base_url, "feed.json"),
        "description": site.description,
        "language": site.language,
        "authors": [{"name": site.title}],
        "items": [json_item(data, story, contents[story.id]) for story in stories],
    }
    return OutputFile("feed.json", _json_bytes(document))


def json_item(data: SiteData, story: Story, html: str) -> dict[str, Any]:
    url = story_url(data, story)
    return {
        "id": url,
        "url": url,
        "title": story.title,
        "summary": summary_text(story),
        "content_html": html,
        "tags": list(story.tags.all()),
        "date_published": common.rfc3339(story.published),
        "date_modified": common.rfc3339(updated_of(story)),
        "_digest": {
            "sources": [json_source(source) for source in story.sources],
            "quotes": [{"speaker": q.speaker, "text": q.text, "role": q.role} for q in story.quotes],
            "jurisdictions": list(story.tags.jurisdictions),
            "relevance": story.relevance,
            "content_note": story.content_note,
            **({"first_reported_by": story.credited_outlet} if story.credited_outlet else {}),
        },
    }


def json_source(source: Source) -> dict[str, Any]:
    """One outlet's report; ``copies`` lists the syndicated copies folded into it, when there are any."""
    entry: dict[str, Any] = {
        "url": common.outbound(source.url),
        "title": source.title,
        "source": source.source,
    }
    if source.copies:
        entry["copies"] = [common.outbound(url) for url in source.copies]
    return entry


def _json_bytes(document: dict[str, Any]) -> bytes:
    text = json.dumps(document, ensure_ascii=False, indent=2)
    # Same value for any JSON parser, but no markup a browser could ever run if it sniffed the file.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def summary_text(story: Story) -> str:
    return " ".join(sentence.text for sentence in story.summary)


def updated_of(story: Story) -> datetime:
    """The newest date the story carries: it changes when a later source joins."""
    dates = [common.utc(s.published) for s in story.sources if s.published is not None]
    return max([common.utc(story.published), *dates])


# --- Atom ---------------------------------------------------------------------------------------


def atom_feed(
    data: SiteData, stories: Sequence[Story], contents: dict[str, str], path: str, page: str, topic: str
) -> OutputFile:
    site = data.site
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": site.language})
    _text(feed, "id", common.absolute_url(site.base_url, page))
    _text(feed, "title", f"{site.title}: {topic}" if topic else site.title)
    _text(feed, "subtitle", f"Stories tagged {topic}." if topic else site.description)
    newest = max((updated_of(story) for story in stories), default=common.utc(data.now))
    _text(feed, "updated", common.rfc3339(newest))
    ET.SubElement(feed, "link", {"rel": "self", "type": "application/atom+xml", "href": _abs(data, path)})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": _abs(data, page)})
    author = ET.SubElement(feed, "author")
    _text(author, "name", site.title)
    _text(author, "uri", common.absolute_url(site.base_url, "about/index.html"))
    _text(feed, "generator", GENERATOR)
    for story in stories:
        atom_entry(feed, data, story, contents[story.id])
    ET.indent(feed)
    xml = ET.tostring(feed, encoding="unicode")
    return OutputFile(path, ('<?xml version="1.0" encoding="utf-8"?>\n' + xml + "\n").encode("utf-8"))


def atom_entry(feed: ET.Element, data: SiteData, story: Story, html: str) -> None:
    url = story_url(data, story)
    entry = ET.SubElement(feed, "entry")
    _text(entry, "id", url)
    _text(entry, "title", story.title)
    ET.SubElement(entry, "link", {"rel": "alternate", "type": "text/html", "href": url})
    _text(entry, "published", common.rfc3339(story.published))
    _text(entry, "updated", common.rfc3339(updated_of(story)))
    for tag in dict.fromkeys(story.tags.all()):
        ET.SubElement(entry, "category", {"term": _clean(tag)})
    if story.summary:
        _text(entry, "summary", summary_text(story))
    content = _text(entry, "content", html)
    content.set("type", "html")


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _clean(text)
    return element


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _abs(data: SiteData, path: str) -> str:
    return common.absolute_url(data.site.base_url, path)
