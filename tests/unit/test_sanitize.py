"""The one allow-list policy: what must go (script, style, img, iframe, on* handlers, javascript:
links) and what must stay (text, emphasis, safe links with rel noopener)."""

from __future__ import annotations

import pytest

from digest.sanitize import plain_text, sanitize_html


@pytest.mark.parametrize(
    ("markup", "forbidden"),
    [
        ("<p>Hi<script>alert(1)</script></p>", "alert"),
        ("<p>Hi</p><style>p { color: red }</style>", "color"),
        ('<p>Hi <img src="https://tracker.example/p.gif" alt="x"></p>', "tracker"),
        ('<p onclick="steal()">Hi</p>', "steal"),
        ('<a href="https://ok.example" onmouseover="steal()">Hi</a>', "steal"),
        ('<a href="javascript:steal()">Hi</a>', "steal"),
        ('<iframe src="https://frame.example"></iframe><p>Hi</p>', "frame.example"),
        ('<p style="position:fixed">Hi</p>', "position"),
        ("<p>Hi<!-- secret --></p>", "secret"),
        ('<svg><a href="https://x.example">svg</a></svg><p>Hi</p>', "svg"),
    ],
)
def test_sanitize_removes_dangerous_markup(markup: str, forbidden: str) -> None:
    cleaned = sanitize_html(markup)
    assert forbidden not in cleaned
    assert "Hi" in cleaned


def test_sanitize_keeps_reading_matter_and_marks_links() -> None:
    cleaned = sanitize_html('<p>A <em>new</em> <a href="https://law.example/act" target="_blank">act</a></p>')
    assert (
        cleaned == '<p>A <em>new</em> <a href="https://law.example/act" rel="noopener noreferrer">act</a></p>'
    )


def test_plain_text_keeps_paragraphs_and_decodes_entities() -> None:
    text = plain_text("<h2>Title</h2><p>One &amp; two\n  three</p><script>x()</script><p>Four<br>five</p>")
    assert text == "Title\n\nOne & two three\n\nFour\n\nfive"


def test_plain_text_of_markup_free_text_is_unchanged() -> None:
    assert plain_text("Just words, 5 < 6.") == "Just words, 5 < 6."
