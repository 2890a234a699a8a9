"""The email edition rendered from the fixture site of ``test_render`` (three stories, two editions,
one hostile title and quote, one content note).

Checks: each edition gets ``email.html``, ``email.txt`` and ``edition.eml``; the three and the site's
``edition.md`` carry the same stories, summaries, quotes and source links; the HTML is email-safe
(no script, no web fonts or remote CSS, every non-@media style inlined, at most 600 px wide, a
preheader); the text part gives links as numbered references; the .eml has the right headers.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage
from html.parser import HTMLParser

import pytest

from digest.config import EmailConfig
from digest.render import SiteData, render_all
from digest.render.common import outbound
from digest.render.email import render_email_files
from tests.unit.test_render import HOSTILE, _site_data

CONFIG = EmailConfig(
    from_address="news@digest.example.org",
    from_name="The Digest",
    unsubscribe_url="https://digest.example.org/unsubscribe?t={token}&list=weekly",
    unsubscribe_mailto="unsubscribe@digest.example.org",
    list_id="weekly.digest.example.org",
)
EDITION_STORIES = {"2026-W48": ("s1", "s2"), "2026-W46": ("s3",)}


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return {output.path: output.content for output in render_email_files(_site_data(), CONFIG)}


class _Page(HTMLParser):
    """Text, link targets, tags seen and inline styles of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"
        self.hrefs += [value for name, value in attrs if name == "href" and value]

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)


def _page(source: bytes) -> _Page:
    page = _Page()
    page.feed(source.decode("utf-8"))
    return page


def _flat(text: str) -> str:
    return " ".join(text.split())


def _story_material(key: str) -> list[tuple[str, str]]:
    """(kind, text) that every format of edition ``key`` must carry."""
    stories = {story.id: story for story in _site_data().stories}
    material = []
    for story_id in EDITION_STORIES[key]:
        story = stories[story_id]
        material.append(("title", story.title))
        material += [("summary", sentence.text) for sentence in story.summary]
        material += [("quote", quote.text) for quote in story.quotes]
        material += [("link", outbound(source.url)) for source in story.sources]
    return material


def test_each_edition_gets_three_files(files: dict[str, bytes]) -> None:
    assert sorted(files) == sorted(
        f"editions/{key}/{name}"
        for key in EDITION_STORIES
        for name in ("email.html", "email.txt", "edition.eml")
    )


def test_rendering_twice_gives_the_same_bytes(files: dict[str, bytes]) -> None:
    again = {output.path: output.content for output in render_email_files(_site_data(), CONFIG)}
    assert again == files


@pytest.mark.parametrize("key", sorted(EDITION_STORIES))
def test_html_text_and_markdown_carry_the_same_stories(files: dict[str, bytes], key: str) -> None:
    page = _page(files[f"editions/{key}/email.html"])
    html_text, hrefs = _flat(" ".join(page.text)), set(page.hrefs)
    text = _flat(files[f"editions/{key}/email.txt"].decode("utf-8"))
    site = {output.path: output.content for output in render_all(_site_data())}
    markdown = site[f"editions/{key}/edition.md"].decode("utf-8")
    for kind, item in _story_material(key):
        if kind == "link":
            assert item in hrefs and item in text and item in markdown, item
        else:
            assert _flat(item) in html_text, item
            assert _flat(item) in text, item
            plain_markdown = re.sub(r"\\(.)", r"\1", _flat(markdown))  # undo CommonMark escapes
            assert _flat(item) in plain_markdown, item


def test_other_editions_stories_stay_out(files: dict[str, bytes]) -> None:
    text = files["editions/2026-W46/email.txt"].decode("utf-8")
    assert "Court hears intimate-image abuse case" not in text
    assert "Platform changes reporting tools" in text


def test_html_is_email_safe(files: dict[str, bytes]) -> None:
    source = files["editions/2026-W48/email.html"].decode("utf-8")
    page = _page(files["editions/2026-W48/email.html"])
    tag_names = {tag for tag, _ in page.tags}
    assert not tag_names & {"script", "link", "iframe", "form", "object", "embed"}
    assert not re.search(r"@import|@font-face|url\(|javascript:", source, re.IGNORECASE)
    assert not re.search(r"\son[a-z]+\s*=", source)  # no event handlers
    remaining_css = "".join(page.styles)
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", remaining_css).strip() == ""
    assert "prefers-color-scheme: dark" in remaining_css
    container = [
        attrs for tag, attrs in page.tags if tag == "table" and "container" in (attrs.get("class") or "")
    ]
    assert container and "max-width: 600px" in (container[0].get("style") or "")
    widths = [int(value) for _, attrs in page.tags if (value := attrs.get("width")) and value.isdigit()]
    assert all(width <= 600 for width in widths)
    assert all(attrs.get("alt") for tag, attrs in page.tags if tag == "img")
    styled = [
        tag
        for tag, attrs in page.tags
        if tag in ("p", "h1", "h2", "h3", "a", "td") and not attrs.get("style")
    ]
    assert styled == []  # every text block carries its own inline style


def test_the_preheader_comes_first_and_is_hidden(files: dict[str, bytes]) -> None:
    page = _page(files["editions/2026-W48/email.html"])
    body_tags = [
        (tag, attrs) for tag, attrs in page.tags if tag not in ("html", "head", "meta", "title", "style")
    ]
    tag, attrs = body_tags[1]  # after <body>
    assert tag == "div" and "display: none" in (attrs.get("style") or "")
    assert page.text and "2 stories: Bill passes" in "".join(page.text)


def test_hostile_text_is_escaped_in_html(files: dict[str, bytes]) -> None:
    source = files["editions/2026-W48/email.html"].decode("utf-8")
    assert HOSTILE not in source
    assert html.escape(HOSTILE, quote=False) in source
    assert "bad()" not in source  # the editor's note went through the sanitiser


def test_text_links_are_numbered_references_all_listed(files: dict[str, bytes]) -> None:
    text = files["editions/2026-W48/email.txt"].decode("utf-8")
    body, links = text.split("\nLINKS\n", 1)
    listed = dict(re.findall(r"^\[(\d+)\] (\S+)$", links, re.MULTILINE))
    cited = set(re.findall(r"\[(\d+)\]", body))
    assert cited and cited <= set(listed)
    assert "https://" not in body.replace("https://digest.example.org/)", "")  # URLs only in the list
    assert listed["1"] == "https://digest.example.org/editions/2026-W48/"
    assert all(len(line) <= 72 or "://" in line for line in text.splitlines())


def test_the_eml_has_the_headers_and_both_parts(files: dict[str, bytes]) -> None:
    message = email.message_from_bytes(files["editions/2026-W48/edition.eml"], policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert message["Subject"] == "Online Abuse Policy Digest: Edition 2: 23 to 29 November 2026"
    assert message["From"].addresses[0].addr_spec == "news@digest.example.org"
    data = _site_data()
    [edition] = [e for e in data.editions if e.key == "2026-W48"]
    newest = max(story.first_seen for story in data.stories if story.id in edition.story_ids)
    assert message["Date"].datetime == min(newest, data.now)  # not the build clock: rebuilds rewrite nothing
    assert message["Message-ID"].startswith("<2026-W48.") and message["To"] is None
    assert message["List-Id"] == "Online Abuse Policy Digest <weekly.digest.example.org>"
    assert message["List-Unsubscribe"] == (
        "<https://digest.example.org/unsubscribe?t=UNSUBSCRIBE-TOKEN&list=weekly>, "
        "<mailto:unsubscribe@digest.example.org?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and rich is not None
    assert plain.get_content().replace("\r\n", "\n") == files["editions/2026-W48/email.txt"].decode()
    assert rich.get_content() == files["editions/2026-W48/email.html"].decode()


def test_without_email_config_the_eml_still_has_a_sender_and_no_unsubscribe_header() -> None:
    outputs = {o.path: o.content for o in render_email_files(_site_data())}
    message = email.message_from_bytes(outputs["editions/2026-W48/edition.eml"], policy=email.policy.default)
    assert message["From"].addresses[0].addr_spec == "digest@digest.example.org"
    assert message["List-Id"] == "Online Abuse Policy Digest <digest.digest.example.org>"
    assert message["List-Unsubscribe"] is None
    assert "Unsubscribe" not in outputs["editions/2026-W48/email.txt"].decode()


def test_a_hostile_edition_title_cannot_add_a_header() -> None:
    data = _site_data()
    hostile = replace(data.editions[0], title="Edition 2\r\nBcc: victim@example.net\u2028X-Evil: 1")
    outputs = render_email_files(replace(data, editions=(hostile, *data.editions[1:])), CONFIG)
    raw = next(o.content for o in outputs if o.path == "editions/2026-W48/edition.eml")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Online Abuse Policy Digest: Edition 2 Bcc: victim@example.net X-Evil: 1"


def test_an_edition_without_stories_says_so() -> None:
    data = _site_data()
    empty = replace(data.editions[1], story_ids=(), sections=())
    outputs = {o.path: o.content for o in render_email_files(replace(data, editions=(empty,)), CONFIG)}
    assert "This edition has no stories." in outputs["editions/2026-W46/email.txt"].decode()
    assert "This edition has no stories." in outputs["editions/2026-W46/email.html"].decode()


@pytest.mark.parametrize("limit", [1, 0])
def test_an_edition_longer_than_max_stories_sends_its_leading_stories_and_links_the_rest(limit: int) -> None:
    data = _site_data()
    edition = data.editions[0]  # 2026-W48: two stories, in rank order
    by_id = {story.id: story for story in data.stories}
    shown = edition.story_ids[:limit] if limit else edition.story_ids
    left_out = [by_id[i].title for i in edition.story_ids if i not in shown]
    outputs = render_email_files(data, replace(CONFIG, max_stories=limit))
    files = {o.path: o.content.decode() for o in outputs if o.path.startswith("editions/2026-W48/email")}
    text, page = (
        _flat(files["editions/2026-W48/email.txt"]),
        _page(files["editions/2026-W48/email.html"].encode()),
    )
    html_text = _flat(" ".join(page.text))
    for story_id in shown:
        assert _flat(by_id[story_id].title) in text and _flat(by_id[story_id].title) in html_text
    for title in left_out:
        assert _flat(title) not in text and _flat(title) not in html_text
    more = f"{len(left_out)} more story in this edition online"
    assert (more in text and more in html_text) == bool(left_out)
    assert bool(left_out) == ("the leading 1 of 2 stories" in text)
    if left_out:
        link = re.search(r'<a href="([^"]+)"[^>]*>' + more, files["editions/2026-W48/email.html"])
        assert link is not None and link.group(1) == "https://digest.example.org/editions/2026-W48/"


def _email_keys(data: SiteData, config: EmailConfig = CONFIG) -> dict[str, str]:
    return {output.path: output.key for output in render_email_files(data, config)}


def _emails_rendered(data: SiteData, published: dict[str, str], config: EmailConfig = CONFIG) -> set[str]:
    """The editions whose email files ``data`` renders when the published files have ``published``."""
    outputs = render_email_files(replace(data, published=published), config)
    return {output.path.split("/")[1] for output in outputs if not output.kept}


def test_an_edition_whose_email_files_have_their_published_key_keeps_them() -> None:
    data = _site_data()
    first = render_email_files(data, CONFIG)
    keys = {output.path: output.key for output in first}
    again = render_email_files(replace(data, published=keys), CONFIG)
    assert all(output.kept and output.content == b"" for output in again)
    assert [o.key for o in again] == [o.key for o in first]
    assert _emails_rendered(data, {**keys, "editions/2026-W46/email.txt": "another key"}) == {"2026-W46"}


def test_an_edition_email_is_rendered_again_when_what_it_shows_changes() -> None:
    data = _site_data()
    keys = _email_keys(data)
    retitled = tuple(replace(s, title="A new title") if s.id == "s3" else s for s in data.stories)
    assert _emails_rendered(replace(data, stories=retitled), keys) == {"2026-W46"}
    other_sender = replace(CONFIG, from_name="Another Digest")
    assert _emails_rendered(data, keys, other_sender) == set(EDITION_STORIES)
    renamed = replace(data, site=replace(data.site, title="Another title"))
    assert _emails_rendered(renamed, keys) == set(EDITION_STORIES)


def test_a_later_clock_keeps_an_edition_email_unless_the_date_it_bears_changes() -> None:
    data = _site_data()
    keys = _email_keys(data)
    assert _emails_rendered(replace(data, now=data.now + timedelta(days=3)), keys) == set()
    newest_first_seen = max(s.first_seen for s in data.stories if s.id in EDITION_STORIES["2026-W48"])
    earlier = newest_first_seen - timedelta(hours=1)  # the message's date is capped by the clock
    assert _emails_rendered(replace(data, now=earlier), keys) == {"2026-W48"}
