"""The one allow-list policy for HTML that came from outside (feeds, pages, Markdown we render).

Anything not on the list goes: no images (we never hot-link a source's pictures), no scripts,
styles, frames, forms or event-handler attributes. Links keep only ``href`` and ``title`` and
always carry ``rel="noopener noreferrer"``; only http, https and mailto links survive.
"""

from __future__ import annotations

import html
import logging
import re

import nh3

log = logging.getLogger(__name__)

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt", "em",
        "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "q", "s",
        "small", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Removed with everything inside them, not just unwrapped: their text is never reading matter.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "noscript", "object", "template", "svg", "math"}
)
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_BLOCK_END = re.compile(r"</(p|li|h[1-6]|blockquote|pre|tr|dd|dt)>|<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def sanitize_html(markup: str) -> str:
    """``markup`` with everything outside the allow-list removed; safe to embed in our pages."""
    return nh3.clean(
        markup,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(markup: str) -> str:
    """The readable text of ``markup``: tags dropped, entities decoded, one blank line between blocks."""
    # nh3 keeps no block structure once every tag is gone, so mark block ends first.
    marked = _BLOCK_END.sub(lambda match: match.group(0) + "\n\n", markup)
    cleaned = nh3.clean(marked, tags=set(), clean_content_tags=set(DROPPED_WITH_CONTENT) | {"head", "title"})
    text = html.unescape(cleaned)
    paragraphs = (_SPACES.sub(" ", part).strip() for part in _BLANK_LINES.split(text))
    return "\n\n".join(part for part in paragraphs if part)
