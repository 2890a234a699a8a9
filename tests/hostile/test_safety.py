"""The payload checker itself: it must catch every executable form and let escaped text through."""

from __future__ import annotations

import pytest

from tests.hostile import safety

CAUGHT = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//127.0.0.1/x.js></SCRIPT>",
    "<p onclick=alert(1)>x</p>",
    '<img src="x" onerror="alert(1)">',
    '<a href=" java\tscript:alert(1)">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<a href="VBScript:x">x</a>',
    '<iframe src="http://127.0.0.1/"></iframe>',
    "<object data=x></object>",
    "<form action=x><input></form>",
    "<style>body{}</style>",
    '<p style="position:fixed">x</p>',
    '<meta http-equiv="refresh" content="0;url=x">',
    "<svg onload=alert(1)>",
    '<script src="../pagefind/pagefind-ui.js">alert(1)</script>',  # our src, someone else's body
]
INERT = [
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<p>onclick=alert(1) is text here</p>",
    '<a href="https://127.0.0.1/x?javascript:1">x</a>',
    '<meta name="description" content="&lt;img src=x onerror=alert(1)&gt;">',
    '<script src="../pagefind/pagefind-ui.js"></script>',
]


@pytest.mark.parametrize("markup", CAUGHT)
def test_executable_markup_is_caught(markup: str) -> None:
    assert safety.html_findings(markup)


@pytest.mark.parametrize("markup", INERT)
def test_escaped_text_passes(markup: str) -> None:
    assert safety.html_findings(markup) == []


def test_markdown_is_checked_as_rendered() -> None:
    assert safety.markdown_findings("[x](javascript:alert(1))")
    assert safety.markdown_findings("<script>alert(1)</script>")
    assert safety.markdown_findings(r"\[x\](javascript:alert(1)) \<script\>") == []


def test_feeds_must_parse_and_carry_safe_html() -> None:
    assert safety.json_feed_findings(b'{"items": [{"content_html": "\\u003cscript\\u003ex"}]}')
    assert safety.json_feed_findings(b'{"items": [], "title": "<b>"}')  # a raw "<"
    assert safety.json_feed_findings(b"{not json")
    assert safety.atom_findings(b"<feed><title>x</feed>")
    assert safety.atom_findings(b'<feed><content type="html">&lt;script&gt;x&lt;/script&gt;</content></feed>')
    assert safety.atom_findings(b'<feed><content type="html">&amp;lt;script&amp;gt;</content></feed>') == []


def test_marker_inside_a_tag_is_found(tmp_path: object) -> None:
    from pathlib import Path

    out = Path(str(tmp_path))
    (out / "a.html").write_text('<p title="PWN-x">PWN-x</p><b onclick="PWN-x">', encoding="utf-8")
    assert safety.marker_in_tags(out, "PWN-x") == ["a.html: <b onclick=...> carries the marker"]


def _edition_message(html: str, text: str = "Plain edition text.", **headers: str) -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Digest <news@digest.example.org>"
    message["Subject"] = "Edition 1"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="base64")
    return message.as_bytes()


def test_eml_parts_are_decoded_before_they_are_checked() -> None:
    hidden = _edition_message("<p>Story</p><script>alert('PWN-eml')</script>")
    assert b"<script>" not in hidden  # base64 hides it from a byte search
    assert any("<script" in finding for finding in safety.file_findings_for("e/edition.eml", hidden))
    linked = _edition_message("<p>Story</p>", text="Read more: [1]\n\n[1] javascript:alert(1)\n")
    assert safety.eml_findings(linked)


def test_eml_with_a_forged_header_is_caught() -> None:
    assert safety.eml_findings(_edition_message("<p>Story</p>", Bcc="victim@example.net"))


def test_clean_eml_passes_and_its_text_is_readable() -> None:
    clean = _edition_message("<p>Escaped &lt;script&gt; is text</p>", text="The data: no link here.")
    assert safety.file_findings_for("e/edition.eml", clean) == []
    assert any("Escaped &lt;script&gt; is text" in text for text in safety.eml_texts(clean))
