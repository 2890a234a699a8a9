"""The Markdown edition (CommonMark): ``digest.md`` for the latest edition and
``editions/<key>/edition.md`` for each one.

Text from sources is escaped so no title or quote can turn into markup (raw HTML included);
links are absolute so the file reads the same wherever it is pasted.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from digest.records import Edition, OutputFile, Quote, Source, Story
from digest.render import common
from digest.render.common import SiteIndex

if TYPE_CHECKING:
    from digest.render import SiteData
    from digest.render.keys import PageKeys

log = logging.getLogger(__name__)

# ASCII punctuation that can start markup anywhere in a CommonMark line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!])")
# What can start a block (heading, list, quote, rule, setext underline) at the start of a line.
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
# A "<" that does not open an autolink would start raw HTML, which passes through CommonMark, unless
# an odd run of backslashes escapes it: after an even run (none included) the backslashes escape one
# another, so "\\<script>" is a backslash, then raw HTML. Group 1 is that even run.
_RAW_HTML = re.compile(r"(?<!\\)((?:\\\\)*)<(?!(?:https?://|mailto:)[^\s<>]*>)")
_WHITESPACE = re.compile(r"\s+")
_URL_UNSAFE = str.maketrans({" ": "%20", "<": "%3C", ">": "%3E", "(": "%28", ")": "%29", "\\": "%5C"})


def escape(text: str) -> str:
    """``text`` as literal CommonMark inline content, on one line."""
    flat = _WHITESPACE.sub(" ", text).strip()
    escaped = _INLINE_SPECIAL.sub(r"\\\1", flat)
    return _BLOCK_START.sub(lambda match: match.group(1) + "\\" + match.group(2), escaped, count=1)


def without_raw_html(source: str) -> str:
    """The operator's own Markdown, kept as written except raw HTML, which is shown as text."""
    return _RAW_HTML.sub(r"\1\\<", source)


def link(text: str, url: str) -> str:
    target = common.outbound(url).translate(_URL_UNSAFE)
    return f"[{escape(text)}]({target})"


def render_markdown_editions(
    data: SiteData, index: SiteIndex, keys: PageKeys | None = None
) -> list[OutputFile]:
    """``digest.md`` (the newest edition) and each edition's ``edition.md``. With ``keys``, a file
    whose key is the published one's comes out kept (``render/keys.py``)."""
    if not data.editions:
        return [OutputFile("digest.md", _empty(data))]
    made: dict[str, bytes] = {}  # edition key -> its Markdown: the newest is written twice, made once

    def file(path: str, edition: Edition) -> OutputFile:
        key = keys.of_file("markdown", path, _inputs(edition, index)) if keys else ""
        if key and data.published.get(path) == key:
            return OutputFile(path, b"", key, kept=True)
        if edition.key not in made:
            made[edition.key] = edition_markdown(edition, data, index)
        return OutputFile(path, made[edition.key], key)

    paths = [(f"editions/{common.segment(edition.key)}/edition.md", edition) for edition in data.editions]
    return [file("digest.md", data.editions[0]), *(file(path, edition) for path, edition in paths)]


def _inputs(edition: Edition, index: SiteIndex) -> dict[str, Any]:
    """What an edition's Markdown is made from besides the site settings."""
    return {"edition": edition, "stories": common.edition_stories(edition, index)}


def _empty(data: SiteData) -> bytes:
    return f"# {escape(data.site.title)}\n\nNo edition has been published yet.\n".encode()


def edition_markdown(edition: Edition, data: SiteData, index: SiteIndex) -> bytes:
    site_url = common.absolute_url(data.site.base_url, "index.html")
    edition_url = common.absolute_url(data.site.base_url, common.edition_path(edition.key))
    stories = common.edition_stories(edition, index)
    blocks = [
        f"# {escape(edition.title)}",
        f"{link(data.site.title, site_url)}, edition {edition.number}: {len(stories)} "
        f"stor{'y' if len(stories) == 1 else 'ies'}. Read it online: <{edition_url}>",
    ]
    if edition.editor_note.strip():
        blocks.append(without_raw_html(edition.editor_note.strip()))
    for title, members in _sections(edition, index):
        blocks.append(f"## {escape(title)}")
        blocks += [story_markdown(story, data) for story in members]
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _sections(edition: Edition, index: SiteIndex) -> list[tuple[str, list[Story]]]:
    stories = index.stories_by_id
    if not edition.sections:
        return [("This edition", common.edition_stories(edition, index))]
    return [(s.title, [stories[i] for i in s.story_ids if i in stories]) for s in edition.sections]


def story_markdown(story: Story, data: SiteData) -> str:
    url = common.absolute_url(data.site.base_url, common.story_path(story.id))
    blocks = [f"### {link(story.title, url)}"]
    if story.content_note:
        blocks.append(f"**Content note:** {escape(story.content_note)}")
    if story.editor_note.strip():
        blocks.append("**Editor's note:** " + without_raw_html(story.editor_note.strip()))
    if story.summary:
        blocks.append(
            " ".join(
                _sentence(sentence.text, number, sentence.url)
                for sentence, number, _ in common.numbered_summary(story)
            )
        )
    blocks += [_quote(quote) for quote in story.quotes]
    if story.credited_outlet:
        blocks.append(f"First reported by {escape(story.credited_outlet)}, according to the coverage.")
    blocks.append(
        "Sources:\n\n"
        + "\n".join(_source(position, source) for position, source in enumerate(story.sources, 1))
    )
    if story.tags.all():
        blocks.append("Tags: " + ", ".join(escape(tag) for tag in dict.fromkeys(story.tags.all())))
    return "\n\n".join(blocks)


def _sentence(text: str, number: int | str, url: str) -> str:
    return f"{escape(text)} {link(f'[{number}]', url)}"


def _quote(quote: Quote) -> str:
    speaker = quote.speaker + (f", {quote.role}" if quote.role else "")
    return f"> “{escape(quote.text)}”\n>\n> — {escape(speaker)}"


def _source(position: int, source: Source) -> str:
    when = f", {common.long_date(source.published)}" if source.published else ""
    lead = " (lead report)" if source.is_lead else ""
    return f"{position}. {link(source.title or source.url, source.url)}: {escape(source.source)}{when}{lead}"
