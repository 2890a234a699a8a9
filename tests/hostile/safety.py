"""What "no planted payload survives" means, checked on every output format the build writes.

A payload is only dangerous in its executable form: a ``<script>`` element, an event-handler
attribute, a ``javascript:`` / ``data:`` / ``vbscript:`` link, a frame, an object, a form or a remote
image. Escaped text (``&lt;script&gt;``) is inert and allowed, so HTML is tokenised the way a browser
does (``html.parser``) rather than grepped. Feeds are parsed (they must be valid) and the HTML they
carry is checked the same way; the Markdown edition is rendered with raw HTML enabled and checked too.
An ``.eml`` message is parsed as a mail client would: its headers must be the ones we write (an injected
``Bcc`` is a finding), and its parts are decoded (quoted-printable, base64) before they are checked.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from markdown_it import MarkdownIt

# Elements that run code, load remote content or submit data; none of our templates uses one.
FORBIDDEN_TAGS = frozenset(
    {"style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "img",
     "image", "svg", "math", "base", "video", "audio", "source", "picture", "input", "button",
     "textarea", "select", "portal", "link-import", "noscript", "template"}
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "srcset"}
)
BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
ATOM = "{http://www.w3.org/2005/Atom}"
TEMPLATES = Path(__file__).parents[2] / "templates"
# The search page loads Pagefind's UI from our own bundle, by a relative path; no other src is ours.
TEXT_SUFFIXES = frozenset({".html", ".json", ".xml", ".md", ".txt", ".css", ".eml"})
# Mail clients ignore stylesheets, so the email edition carries our CSS inlined (css-inline) and a
# <style> block; feed HTML never keeps a style (the site pages prove it, and sanitize.py drops them).
EMAIL_STYLING = ("<style> element", "inline style")
# Every header an edition message may carry (digest/mail.py writes these and no others).
EML_HEADERS = frozenset(
    {"from", "to", "subject", "date", "message-id", "mime-version", "list-id", "list-unsubscribe",
     "list-unsubscribe-post", "content-type", "content-transfer-encoding"}
)  # fmt: skip
EML_PART_TYPES = frozenset({"text/plain", "text/html"})
OWN_SCRIPT_SRC = re.compile(r"(\.\./)*pagefind/pagefind-ui\.js")
# What a browser ignores inside a scheme (``java\tscript:``) before deciding what it is.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20]")


@cache
def own_inline_scripts() -> frozenset[str]:
    """The inline scripts our own templates carry (the search page's); nothing else may run."""
    scripts: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        source = template.read_text(encoding="utf-8")
        scripts.update(body.strip() for body in re.findall(r"<script>(.*?)</script>", source, re.DOTALL))
    return frozenset(scripts)


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.own_scripts = 0
        self._script_src: str | None = None  # set while inside a <script> element
        self._script_body: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._script_src, self._script_body = dict(attrs).get("src") or "", []
            if len(attrs) > (1 if self._script_src else 0):
                self.findings.append(f"<script {attrs!r}>: attributes beyond our own src")
        else:
            self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        if self._script_src is not None:
            self._script_body.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script_src is not None:
            self._judge_script(self._script_src, "".join(self._script_body))
            self._script_src = None

    def close(self) -> None:
        super().close()
        if self._script_src is not None:  # an unclosed <script> runs to the end of the page
            self._judge_script(self._script_src, "".join(self._script_body))
            self._script_src = None

    def _judge_script(self, src: str, body: str) -> None:
        own = (OWN_SCRIPT_SRC.fullmatch(src) and not body.strip()) or (
            not src and body.strip() in own_inline_scripts()
        )
        if own:
            self.own_scripts += 1
        else:
            self.findings.append(f"<script src={src!r}> not ours: {body.strip()[:60]!r}")

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.findings.append(f"<{tag}> element")
        if tag == "meta" and any(
            name == "http-equiv" and (value or "").lower() == "refresh" for name, value in attrs
        ):
            self.findings.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"<{tag} {name}=...> event handler")
            if name in URL_ATTRIBUTES and bad_scheme(value or ""):
                self.findings.append(f"<{tag} {name}={value!r}> link with a forbidden scheme")
            if name == "style":
                self.findings.append(f"<{tag} style=...> inline style")


def bad_scheme(url: str) -> bool:
    squeezed = _IGNORED_IN_SCHEME.sub("", url).lower()
    return squeezed.startswith(BAD_SCHEMES)


def html_findings(markup: str) -> list[str]:
    """Every executable or remote-loading construct in ``markup``, as a browser would tokenise it."""
    collector = _TagCollector()
    collector.feed(markup)
    collector.close()
    if len(re.findall(r"<script", markup, re.IGNORECASE)) > collector.own_scripts:
        collector.findings.append("a raw '<script' in the markup that is not one of our own scripts")
    return collector.findings


def markdown_findings(source: str) -> list[str]:
    """Findings in the HTML a CommonMark renderer (raw HTML allowed) makes of ``source``."""
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]  # as permissive as the worst renderer
    rendered = renderer.render(source)
    return [f"markdown: {finding}" for finding in html_findings(rendered)]


def json_feed_findings(raw: bytes) -> list[str]:
    try:
        document = json.loads(raw)
    except ValueError as exc:
        return [f"not valid JSON: {exc}"]
    findings = [
        f"json: {f}"
        for item in document.get("items", [])
        for f in html_findings(item.get("content_html", ""))
    ]
    if b"<" in raw:
        findings.append("json: a raw '<' (should be written \\u003c)")
    return findings


def atom_findings(raw: bytes) -> list[str]:
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        return [f"not well-formed XML: {exc}"]
    findings: list[str] = []
    for element in root.iter():
        if element.get("type") == "html" and element.text:
            findings += [f"atom {element.tag}: {f}" for f in html_findings(element.text)]
        href = element.get("href")
        if href is not None and bad_scheme(href):
            findings.append(f"atom link with a forbidden scheme: {href!r}")
    return findings


def eml_message(raw: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def eml_texts(raw: bytes) -> list[str]:
    """The decoded header values and the decoded text of every part: what a mail client shows."""
    message = eml_message(raw)
    texts = [str(value) for _, value in message.items()]
    texts += [_part_text(part) for part in message.walk() if not part.is_multipart()]
    return texts


def _part_text(part: email.message.Message) -> str:
    try:
        return str(part.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError) as exc:
        return f"<undecodable part: {exc}>"


def eml_findings(raw: bytes) -> list[str]:
    """Forged headers, broken MIME, and in the decoded parts what the .html and .txt checks find."""
    message = eml_message(raw)
    findings = [f"eml: {type(defect).__name__}" for defect in message.defects]
    for name, value in message.items():
        if name.lower() not in EML_HEADERS:
            findings.append(f"eml: a header we never write: {name}: {str(value)[:60]!r}")
        if "\n" in str(value) or "\r" in str(value):
            findings.append(f"eml: a line break inside the {name} header")
    if len(message.get_all("To") or []) > 1:
        findings.append("eml: more than one To header")
    for part in message.walk():
        if not part.is_multipart():
            findings += [f"eml {part.get_content_type()}: {f}" for f in _part_findings(part)]
    return findings


def _part_findings(part: email.message.Message) -> list[str]:
    kind = part.get_content_type()
    if kind not in EML_PART_TYPES:
        return [f"a part of type {kind}"]
    findings = [type(defect).__name__ for defect in part.defects]
    text = _part_text(part)
    if kind == "text/html":
        return findings + [f for f in html_findings(text) if not f.endswith(EMAIL_STYLING)]
    return findings + plain_text_findings(text)


def plain_text_findings(text: str) -> list[str]:
    """A mail client makes links of what looks like a URL in plain text: none may have a bad scheme.

    A scheme alone ("the data: ...") is a word in a sentence, not a link."""
    return [
        f"plain-text link with a forbidden scheme: {word[:60]!r}"
        for word in text.split()
        if bad_scheme(word) and not word.rstrip(":").isalpha()
    ]


def file_findings_for(path: str, raw: bytes) -> list[str]:
    """Findings in one output file, checked by what its name says it is (Pagefind's binary index is not text)."""
    name = PurePosixPath(path)
    if name.suffix not in TEXT_SUFFIXES:
        return []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [f"not UTF-8: {exc}"]
    if name.suffix == ".eml":
        return eml_findings(raw)
    if name.suffix == ".txt":
        return plain_text_findings(text)
    if name.name == "email.html":
        return [finding for finding in html_findings(text) if not finding.endswith(EMAIL_STYLING)]
    if name.suffix == ".html":
        return html_findings(text)
    if name.suffix == ".json":
        return json_feed_findings(raw) if name.name.startswith("feed") else _valid_json(raw)
    if name.suffix == ".xml":
        return atom_findings(raw)
    if name.suffix == ".md":
        return markdown_findings(text)
    return []


def _valid_json(raw: bytes) -> list[str]:
    try:
        json.loads(raw)
    except ValueError as exc:
        return [f"not valid JSON: {exc}"]
    return []


def tree_findings(out: Path) -> dict[str, list[str]]:
    """``{relative path: findings}`` for every file in the published tree that has any."""
    found: dict[str, list[str]] = {}
    root = out.resolve()
    for path in sorted(out.rglob("*")):
        relative = str(path.relative_to(out))
        if path.is_symlink():
            found[relative] = ["a symbolic link in the output"]
        elif not path.resolve().is_relative_to(root):
            found[relative] = ["resolves outside the output folder"]
        elif path.is_file():
            findings = file_findings_for(relative, path.read_bytes())
            if findings:
                found[relative] = findings
    return found


class _MarkerCollector(HTMLParser):
    """Where a marker turns up as markup: a tag or attribute name, or a value that is code or a URL."""

    def __init__(self, marker: str) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker.lower()
        self.findings: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.marker in tag:
            self.findings.append(f"tag name <{tag}>")
        for name, value in attrs:
            if self.marker in name:
                self.findings.append(f"attribute name {name!r} in <{tag}>")
            code_like = name.startswith("on") or name in ("style", "src", "srcdoc")
            if code_like and self.marker in (value or "").lower():
                self.findings.append(f"<{tag} {name}=...> carries the marker")

    handle_startendtag = handle_starttag


def marker_in_tags(out: Path, marker: str) -> list[str]:
    """``path: finding`` wherever ``marker`` became markup rather than text in an HTML file."""
    found: list[str] = []
    for path in sorted(out.rglob("*.html")):
        collector = _MarkerCollector(marker)
        collector.feed(path.read_text(encoding="utf-8", errors="replace"))
        found += [f"{path.relative_to(out)}: {finding}" for finding in collector.findings]
    return found
