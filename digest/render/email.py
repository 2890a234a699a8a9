"""The email edition: ``email.html``, ``email.txt`` and ``edition.eml`` beside each edition's pages.

The three carry the same stories, summaries, quotes and source links as the site, from one view
(``email_view``) laid out by two templates (``templates/email/email.html`` and ``email.txt``).
The HTML is email-safe: a table layout at most 600 px wide, every style inlined by css-inline
(only the ``@media`` rules for dark mode and narrow screens stay in a ``<style>``), no script, no
web fonts, no images, a hidden preheader line. The text part gives every link as a numbered
reference listed at the end.

The files are the same for every subscriber: where a personal unsubscribe link belongs they hold
the configured URL with a placeholder token (``mail.link_slot``), which ``digest send`` replaces
for each recipient (``mail.personalise``). The ``.eml`` has no ``To`` header for the same reason.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import css_inline
import jinja2

from digest import mail
from digest.config import EmailConfig
from digest.errors import ConfigError
from digest.records import Edition, OutputFile, Story
from digest.render import common
from digest.render.common import SiteIndex
from digest.render.keys import PageKeys
from digest.render.site import bundled_templates, render_markdown, template_folders
from digest.subscribers import check_address

if TYPE_CHECKING:
    from digest.render import SiteData

log = logging.getLogger(__name__)

TEXT_WIDTH = 72
PREHEADER_LIMIT = 140
FALLBACK_SENDER = "digest@localhost.invalid"  # when neither email.from_address nor base_url gives one
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


# --- the view both templates read ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EmailSentence:
    text: str
    url: str
    ref: int  # the number of its source's link in the text part
    number: int | str  # the source's position in the story, as on the site

    @property
    def cited(self) -> str:
        """The sentence with its reference, as the text part shows it."""
        return f"{self.text} [{self.ref}]"


@dataclass(frozen=True, slots=True)
class EmailQuote:
    text: str
    speaker: str  # with the role after a comma when there is one


@dataclass(frozen=True, slots=True)
class EmailSource:
    ref: int
    title: str
    url: str
    outlet: str
    when: str  # "24 November 2026" or ""
    is_lead: bool


@dataclass(frozen=True, slots=True)
class EmailStory:
    number: int
    title: str
    url: str
    ref: int
    content_note: str
    sentences: tuple[EmailSentence, ...]
    quotes: tuple[EmailQuote, ...]
    sources: tuple[EmailSource, ...]
    tags: tuple[str, ...]
    first_reported_by: str  # the outlet the coverage credits, when it is not among the sources
    editor_note: str  # the editor's Markdown on this story, for the text part
    editor_note_html: str  # the same, rendered and sanitised


@dataclass(frozen=True, slots=True)
class EmailSection:
    title: str
    stories: tuple[EmailStory, ...]


@dataclass(frozen=True, slots=True)
class EmailView:
    subject: str
    preheader: str
    language: str
    site_title: str
    site_url: str
    edition_title: str
    intro: str
    edition_url: str
    edition_ref: int
    editor_note: str  # the editor's Markdown, for the text part
    editor_note_html: str  # the same, rendered and sanitised
    sections: tuple[EmailSection, ...]
    unsubscribe_url: str  # the placeholder form (see the module docstring); "" when not configured
    unsubscribe_mailto: str
    unsubscribe_ref: int  # 0 when there is no unsubscribe URL
    references: tuple[tuple[int, str], ...]  # (number, URL) for the text part
    more: int = 0  # the edition's stories left out of the e-mail (``email.max_stories``), online only


class _References:
    """Numbers links in the order the text part first mentions them; a URL keeps its first number."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def number(self, url: str) -> int:
        return self.numbers.setdefault(url, len(self.numbers) + 1)

    def listed(self) -> tuple[tuple[int, str], ...]:
        return tuple((number, url) for url, number in self.numbers.items())


def email_view(edition: Edition, data: SiteData, index: SiteIndex, email_config: EmailConfig) -> EmailView:
    references = _References()
    edition_url = common.absolute_url(data.site.base_url, common.edition_path(edition.key))
    edition_ref = references.number(edition_url)
    ranked = common.edition_stories(edition, index)
    shown = {story.id: story for story in common.leading(ranked, email_config.max_stories)}
    sections = _email_sections(edition, ranked, shown, data, references)
    count, total = len(shown), len(ranked)
    unsubscribe_url = mail.link_slot(email_config.unsubscribe_url) if email_config.unsubscribe_url else ""
    unsubscribe_ref = references.number(unsubscribe_url) if unsubscribe_url else 0
    return EmailView(
        subject=f"{data.site.title}: {edition.title}",
        preheader=_preheader(sections, total),
        language=data.site.language,
        site_title=data.site.title,
        site_url=common.absolute_url(data.site.base_url, "index.html"),
        edition_title=edition.title,
        intro=_intro(edition, count, total),
        edition_url=edition_url,
        edition_ref=edition_ref,
        editor_note=edition.editor_note.strip(),
        editor_note_html=render_markdown(edition.editor_note),
        sections=sections,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=mail.mailto_uri(email_config.unsubscribe_mailto),
        unsubscribe_ref=unsubscribe_ref,
        references=references.listed(),
        more=total - count,
    )


def _email_sections(
    edition: Edition,
    ranked: list[Story],
    shown: dict[str, Story],
    data: SiteData,
    references: _References,
) -> tuple[EmailSection, ...]:
    """The ``shown`` stories under their edition sections (one section when the edition has none)."""
    if edition.sections:
        grouped = [(s.title, [shown[i] for i in s.story_ids if i in shown]) for s in edition.sections]
    else:
        grouped = [("This edition", [story for story in ranked if story.id in shown])]
    sections, number = [], 0
    for title, members in grouped:
        if not members:
            continue
        built = []
        for story in members:
            number += 1
            built.append(_email_story(story, number, data, references))
        sections.append(EmailSection(title, tuple(built)))
    return tuple(sections)


def _email_story(story: Story, number: int, data: SiteData, references: _References) -> EmailStory:
    url = common.absolute_url(data.site.base_url, common.story_path(story.id))
    ref = references.number(url)
    sources = tuple(
        EmailSource(
            references.number(common.outbound(source.url)),
            source.title or source.url,
            common.outbound(source.url),
            source.source,
            common.long_date(source.published) if source.published else "",
            source.is_lead,
        )
        for source in story.sources
    )
    sentences = tuple(
        EmailSentence(
            sentence.text, common.outbound(sentence.url), references.number(common.outbound(sentence.url)), n
        )
        for sentence, n, _ in common.numbered_summary(story)
    )
    quotes = tuple(EmailQuote(q.text, q.speaker + (f", {q.role}" if q.role else "")) for q in story.quotes)
    tags = tuple(dict.fromkeys(story.tags.all()))
    return EmailStory(
        number,
        story.title,
        url,
        ref,
        story.content_note,
        sentences,
        quotes,
        sources,
        tags,
        story.credited_outlet,
        story.editor_note.strip(),
        render_markdown(story.editor_note),
    )


def _intro(edition: Edition, count: int, total: int) -> str:
    if count < total:
        return f"Edition {edition.number}: the leading {count} of {total} stories on online-abuse policy."
    return f"Edition {edition.number}: {count} stor{'y' if count == 1 else 'ies'} on online-abuse policy."


def _preheader(sections: tuple[EmailSection, ...], count: int) -> str:
    titles = [story.title for section in sections for story in section.stories]
    if not titles:
        return "No stories this time."
    line = f"{count} stor{'y' if count == 1 else 'ies'}: " + "; ".join(titles)
    return line if len(line) <= PREHEADER_LIMIT else line[: PREHEADER_LIMIT - 1].rsplit(" ", 1)[0] + "…"


# --- templates -------------------------------------------------------------------------------------


def make_email_environment(operator_folder: str = "") -> jinja2.Environment:
    """``email/*.html`` autoescaped, ``email/*.txt`` not; the operator's folder is searched first."""
    folders = [operator_folder] if operator_folder else []
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(f) for f in [*folders, str(bundled_templates())]])
    environment = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(wrap=wrap, paragraphs=paragraphs)
    return environment


def wrap(text: str, indent: str = "", hang: str | None = None) -> str:
    """``text`` filled to ``TEXT_WIDTH``; URLs and long words are never broken."""
    return textwrap.fill(
        " ".join(text.split()),
        width=TEXT_WIDTH,
        initial_indent=indent,
        subsequent_indent=indent if hang is None else hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


def paragraphs(text: str, indent: str = "") -> str:
    """Blank-line-separated paragraphs, each filled on its own."""
    blocks = [block for block in text.replace("\r\n", "\n").split("\n\n") if block.strip()]
    return "\n\n".join(wrap(block, indent) for block in blocks)


def _render(environment: jinja2.Environment, name: str, view: EmailView) -> str:
    try:
        return environment.get_template(name).render(e=view)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template {name}: {exc}") from None


def email_html(view: EmailView, environment: jinja2.Environment) -> str:
    return str(_INLINER.inline(_render(environment, "email/email.html", view)))


def email_text(view: EmailView, environment: jinja2.Environment) -> str:
    lines = _render(environment, "email/email.txt", view).splitlines()
    return "\n".join(line.rstrip() for line in lines).strip("\n") + "\n"


# --- the files -------------------------------------------------------------------------------------


def sender_of(email_config: EmailConfig, base_url: str) -> str:
    """The configured sender, else ``digest@<site host>``, else a reserved ``.invalid`` address."""
    for candidate in (email_config.from_address, f"digest@{common.host(base_url)}"):
        checked = check_address(candidate) if candidate else None
        if checked:
            return checked
    return FALLBACK_SENDER


def edition_envelope(
    view: EmailView, edition: Edition, data: SiteData, email_config: EmailConfig
) -> mail.Envelope:
    sender = sender_of(email_config, data.site.base_url)
    list_id = mail.list_id_of(email_config.list_id, sender)
    return mail.Envelope(
        subject=view.subject,
        from_address=sender,
        from_name=email_config.from_name or data.site.title,
        date=edition_date(edition, data),
        message_id=mail.message_id(list_id, edition.key, "", sender.rpartition("@")[2]),
        list_id=list_id,
        list_name=data.site.title,
        unsubscribe_url=view.unsubscribe_url,
        unsubscribe_mailto=view.unsubscribe_mailto,
    )


def edition_date(edition: Edition, data: SiteData) -> datetime:
    """When its newest story was first seen: a rebuild that changes nothing rewrites nothing."""
    story_ids = set(edition.story_ids)
    seen = [story.first_seen for story in data.stories if story.id in story_ids]
    return min(max(seen), data.now) if seen else data.now


EMAIL_FILES = ("email.html", "email.txt", "edition.eml")


def render_email_files(data: SiteData, email_config: EmailConfig | None = None) -> list[OutputFile]:
    """``email.html``, ``email.txt`` and ``edition.eml`` for every edition, sorted by path. An edition
    whose files have their published key (``render/keys.py``) keeps them: an old edition's email does
    not change, and rendering every edition's again cost more with each edition in the archive."""
    config = email_config or EmailConfig()
    index = common.build_index(data.stories, data.editions)
    environment = make_email_environment(data.site.templates)
    folders = template_folders(data.site.templates)
    keys = PageKeys(data.site, data.now, environment, folders, index, data.story_digests)
    files: list[OutputFile] = []
    for edition in data.editions:
        folder = f"editions/{common.segment(edition.key)}"
        paths = [f"{folder}/{name}" for name in EMAIL_FILES]
        key = keys.of_file("email", folder, _email_inputs(edition, data, index, config))
        if all(data.published.get(path) == key for path in paths):
            files += [OutputFile(path, b"", key, kept=True) for path in paths]
            continue
        view = email_view(edition, data, index, config)
        html, text = email_html(view, environment), email_text(view, environment)
        message = mail.build_message(edition_envelope(view, edition, data, config), text, html)
        contents = (html.encode("utf-8"), text.encode("utf-8"), message)
        files += [OutputFile(path, content, key) for path, content in zip(paths, contents, strict=True)]
    return sorted(files, key=lambda output: output.path)


def _email_inputs(edition: Edition, data: SiteData, index: SiteIndex, config: EmailConfig) -> dict[str, Any]:
    """What an edition's email files are made from besides the site settings and the templates (in
    every key): the edition, its stories, the email settings, the date the message bears, and the
    CSS inliner's version."""
    return {
        "edition": edition,
        "stories": tuple(common.edition_stories(edition, index)),
        "settings": config,
        "date": edition_date(edition, data),
        "inliner": inliner_version(),
    }


@functools.cache
def inliner_version() -> str:
    return importlib.metadata.version("css-inline")
