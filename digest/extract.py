"""The extract stage: the main text and metadata of an article page, or the feed's text as fallback.

trafilatura does the heavy lifting with ``favor_precision`` (the option that keeps comment threads
out, see ``tests/cases/extract``); what survives it and is still not article text (promo lines inside
the body, "Related:" lines, photo credits, comment sections after a heading, and reader comments
with no marking at all) is removed paragraph by paragraph with the rules of
``digest/lexicon/boilerplate.toml``.

``extract_page`` never raises: a page that yields nothing usable comes back with empty ``text`` and a
``fallback_reason``, and the caller uses ``fallback_page`` on the feed entry instead.
"""

from __future__ import annotations

import logging
import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import lxml.html
from lxml import etree

from digest import text
from digest.records import Entry, PageJob, PageText

log = logging.getLogger(__name__)

BOILERPLATE_FILE = Path(__file__).parent / "lexicon" / "boilerplate.toml"
HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml", "application/xml", "text/xml", "")
MIN_TEXT_CHARS = 200  # below this a page is a stub (paywall, cookie wall, error page): use the feed
POOL_MIN_JOBS = (
    32  # a pool costs ~0.1-0.2 s to start (about 15 pages of extraction): small batches run inline
)
CHUNKS_PER_WORKER = 4  # big enough chunks to amortise pickling, small enough to balance the load
BODY_PARAGRAPH_CHARS, BODY_PARAGRAPHS = 80, 2  # real body text came before: comment rules may apply
LEAD_FRAGMENT_CHARS = 40  # kickers, dates and section labels above the lede are shorter than this
# htmldate's default upper bound is today's date, a wall-clock read; a fixed bound keeps extraction
# deterministic, and future dates are clamped by whoever knows the build's clock.
DATE_PARAMS = {
    "original_date": True,
    "extensive_search": True,
    "max_date": "2099-12-31",
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}

_NON_HTML_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"RIFF", b"PK\x03\x04")
_LANG_ATTR = re.compile(rb"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})\b", re.IGNORECASE)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_PRUNE_TOKEN = re.compile(r"^[a-z0-9-]+$")  # lower case: they are looked for in lower-cased values
_TAG_NAME = re.compile(r"^[a-z][a-z0-9]*$")  # lxml's HTML parser lower-cases the tags it reads
_UPPER, _LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"
_LIST_BULLET = re.compile(r"^[-•*]\s+")
_SENTENCE_END = re.compile("[.!?:;\u2026\"'\u201d\u2019\u00bb)]$")
_CONTROL_TOKEN = re.compile(r"[\w'@]+|[▲▼↑↓]")
_VOICE_TOKEN = re.compile(r"[a-z']+")
_QUOTED = re.compile(r'"[^"]*(?:"|$)')


# --- boilerplate rules -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoilerplateRule:
    name: str
    kind: str  # drop | cutoff
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class CommentRules:
    """What gives away a reader comment that no markup labels as one (boilerplate.toml [reader_comments])."""

    line_chars: int
    handle_max_words: int
    min_voice_words: int
    voice_words: frozenset[str]
    controls: frozenset[str]
    lone_controls: frozenset[str]
    timestamp: re.Pattern[str] | None
    says: re.Pattern[str] | None
    opinion: re.Pattern[str] | None


NO_COMMENT_RULES = CommentRules(0, 0, 0, frozenset(), frozenset(), frozenset(), None, None, None)


@dataclass(frozen=True, slots=True)
class PruneRule:
    """What is removed before trafilatura runs (boilerplate.toml [prune]): an element whose class or
    id holds one of the tokens, in any case, unless it holds more than ``max_paragraphs`` paragraphs."""

    tokens: re.Pattern[str]  # the tokens as one alternation, matched against lower-cased values
    max_paragraphs: int


@dataclass(frozen=True, slots=True)
class Boilerplate:
    max_chars: int
    rules: tuple[BoilerplateRule, ...]
    prune: PruneRule | None = None  # None: nothing is removed before extraction
    strip_tags: tuple[str, ...] = ()  # elements removed, with what they hold, before extraction
    comments: CommentRules = NO_COMMENT_RULES


@cache
def boilerplate() -> Boilerplate:
    """The bundled rules, read and validated once per process."""
    return parse_boilerplate(tomllib.loads(BOILERPLATE_FILE.read_text(encoding="utf-8")))


def parse_boilerplate(raw: dict[str, Any]) -> Boilerplate:
    """Validate the TOML table; raise ``ValueError`` naming every problem (the file ships with the code)."""
    errors: list[str] = []
    for key in sorted(set(raw) - {"max_chars", "rule", "prune", "reader_comments"}):
        errors.append(f"{key}: unknown key")
    max_chars = raw.get("max_chars")
    if not isinstance(max_chars, int) or max_chars <= 0:
        errors.append("max_chars: expected a positive integer")
    rules = [_parse_rule(index, table, errors) for index, table in enumerate(raw.get("rule", []))]
    prune = _parse_prune(raw.get("prune", {}), errors)
    strip_tags = _parse_strip_tags(raw.get("prune", {}), errors)
    comments = _parse_comment_rules(raw.get("reader_comments", {}), errors)
    if errors:
        raise ValueError(f"{BOILERPLATE_FILE.name}: " + "; ".join(errors))
    kept_rules = tuple(rule for rule in rules if rule)
    return Boilerplate(int(max_chars or 0), kept_rules, prune, strip_tags, comments)


_COMMENT_NUMBERS = ("line_chars", "handle_max_words", "min_voice_words")
_COMMENT_WORDS = ("voice_words", "controls", "lone_controls")
_COMMENT_PATTERNS = ("timestamps", "says", "opinion")


def _parse_comment_rules(table: Any, errors: list[str]) -> CommentRules:
    if not isinstance(table, dict):
        errors.append("reader_comments: expected a table")
        return NO_COMMENT_RULES
    for key in sorted(set(table) - {*_COMMENT_NUMBERS, *_COMMENT_WORDS, *_COMMENT_PATTERNS}):
        errors.append(f"reader_comments.{key}: unknown key")
    numbers = {key: _positive(table, key, errors) for key in _COMMENT_NUMBERS}
    words = {key: _lower_words(table, key, errors) for key in _COMMENT_WORDS}
    patterns = {key: _joined_pattern(table, key, errors) for key in _COMMENT_PATTERNS}
    return CommentRules(
        line_chars=numbers["line_chars"],
        handle_max_words=numbers["handle_max_words"],
        min_voice_words=numbers["min_voice_words"],
        voice_words=words["voice_words"],
        controls=words["controls"],
        lone_controls=words["lone_controls"],
        timestamp=patterns["timestamps"],
        says=patterns["says"],
        opinion=patterns["opinion"],
    )


def _positive(table: dict[str, Any], key: str, errors: list[str]) -> int:
    value = table.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        errors.append(f"reader_comments.{key}: expected a non-negative integer")
        return 0
    return value


def _lower_words(table: dict[str, Any], key: str, errors: list[str]) -> frozenset[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
        errors.append(f"reader_comments.{key}: expected a list of strings")
        return frozenset()
    return frozenset(word.casefold() for word in value)


def _compiled(patterns: list[str], where: str, errors: list[str]) -> list[re.Pattern[str]]:
    """Each pattern compiled; one error line naming ``where`` for each that is not a regular expression."""
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            errors.append(f"{where}: {pattern!r}: {exc}")
    return compiled


def _joined_pattern(table: dict[str, Any], key: str, errors: list[str]) -> re.Pattern[str] | None:
    """One alternation of the listed patterns, or None for an empty list."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(pattern, str) for pattern in value):
        errors.append(f"reader_comments.{key}: expected a list of regular expressions")
        return None
    compiled = _compiled(value, f"reader_comments.{key}", errors)
    # each pattern keeps its own inline flags by being wrapped as a scoped group
    return re.compile("|".join(f"(?:{_scoped(p)})" for p in compiled)) if compiled else None


def _scoped(pattern: re.Pattern[str]) -> str:
    """``pattern`` with a leading global ``(?i)`` turned into a scoped ``(?i:...)`` group."""
    source = pattern.pattern
    return f"(?i:{source[4:]})" if source.startswith("(?i)") else source


def _parse_prune(table: Any, errors: list[str]) -> PruneRule | None:
    if not isinstance(table, dict):
        errors.append("prune: expected a table")
        return None
    for key in sorted(set(table) - {"class_or_id", "max_paragraphs", "tags"}):
        errors.append(f"prune.{key}: unknown key")
    tokens = table.get("class_or_id", [])
    max_paragraphs = table.get("max_paragraphs", 2)
    if not isinstance(tokens, list) or not all(isinstance(t, str) and _PRUNE_TOKEN.match(t) for t in tokens):
        errors.append("prune.class_or_id: expected a list of lower-case words (a-z, 0-9, -)")
        return None
    if not isinstance(max_paragraphs, int) or max_paragraphs < 0:
        errors.append("prune.max_paragraphs: expected a non-negative integer")
        return None
    return prune_rule(tokens, max_paragraphs)


def _parse_strip_tags(table: Any, errors: list[str]) -> tuple[str, ...]:
    tags = table.get("tags", []) if isinstance(table, dict) else []
    if not isinstance(tags, list) or not all(isinstance(tag, str) and _TAG_NAME.match(tag) for tag in tags):
        errors.append("prune.tags: expected a list of lower-case tag names (a-z, 0-9)")
        return ()
    return tuple(sorted(set(tags)))


def prune_rule(tokens: Sequence[str], max_paragraphs: int) -> PruneRule | None:
    if not tokens:
        return None
    pattern = "|".join(re.escape(token) for token in sorted(tokens, key=len, reverse=True))
    return PruneRule(re.compile(pattern), max_paragraphs)


_ASCII_LOWER = str.maketrans(_UPPER, _LOWER)  # as XPath's translate() would lower them: ASCII only
_PRUNE_ATTRIBUTES = {name: etree.XPath(f"//@{name}", smart_strings=False) for name in ("class", "id")}
_NEVER_PRUNED = "self::html or self::body or self::main or self::article"
_SEPARATOR = "\u241e"  # between the values listed in the XPath; a value holding it is not listed


def prune_xpath(tree: Any, rule: PruneRule | None) -> str:
    """An XPath selecting the elements of ``tree`` that ``rule`` removes; "" when there are none.

    The page's distinct class and id values (a few dozen) are tested against the tokens here, and
    the XPath lists those that hold one: libxml2 then tests each element that has a class (or an
    id) by one substring search. Testing every element's class and id against the tokens in the
    XPath, by an extension function calling Python (or ``contains(translate(...))``, slower still),
    cost twice as much: selecting on pages of 1,100 elements took 2.1 ms a page against 1.1 now,
    reading the values included."""
    if rule is None:
        return ""
    paths = []
    for name, values_of in _PRUNE_ATTRIBUTES.items():
        values = sorted(
            value
            for value in set(values_of(tree))
            if _SEPARATOR not in value and rule.tokens.search(value.translate(_ASCII_LOWER))
        )
        if values:
            listed = _xpath_literal(_SEPARATOR + _SEPARATOR.join(values) + _SEPARATOR)
            paths.append(f"//*[@{name}][contains({listed}, concat('{_SEPARATOR}', @{name}, '{_SEPARATOR}'))]")
    if not paths:
        return ""
    return f"({' | '.join(paths)})[not({_NEVER_PRUNED})][count(.//p) <= {rule.max_paragraphs}]"


def _xpath_literal(value: str) -> str:
    """``value`` as an XPath 1.0 string literal, which has no escapes: concat() when it holds both quotes."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in value.split("'")) + ")"


def _parse_rule(index: int, table: Any, errors: list[str]) -> BoilerplateRule | None:
    where = f"rule[{index}]"
    if not isinstance(table, dict):
        errors.append(f"{where}: expected a table")
        return None
    for key in sorted(set(table) - {"name", "kind", "patterns"}):
        errors.append(f"{where}.{key}: unknown key")
    if table.get("kind") not in ("drop", "cutoff"):
        errors.append(f"{where}.kind: expected 'drop' or 'cutoff'")
    patterns = table.get("patterns")
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        errors.append(f"{where}.patterns: expected a non-empty list of strings")
        return None
    compiled = _compiled(patterns, f"{where}.patterns", errors)
    return BoilerplateRule(str(table.get("name", where)), str(table.get("kind")), tuple(compiled))


def boilerplate_rule(paragraph: str, rules: Boilerplate) -> BoilerplateRule | None:
    """The first rule that matches ``paragraph``, or None when it reads as article text."""
    if len(paragraph) > rules.max_chars:
        return None
    for rule in rules.rules:
        for pattern in rule.patterns:  # a plain loop: any() over a generator cost a fifth more here
            if pattern.search(paragraph):
                return rule
    return None


def drop_boilerplate(
    paragraphs: Sequence[str], rules: Boilerplate, headlines: Iterable[str] = ()
) -> list[str]:
    """Remove boilerplate paragraphs, a headline repeated as one, and everything after a comment heading."""
    repeated = {headline.casefold() for headline in headlines if headline}
    kept: list[str] = []
    for paragraph in paragraphs:
        rule = boilerplate_rule(paragraph, rules)
        if rule is not None and rule.kind == "cutoff" and _has_body(kept):
            log.debug("comment section cut at %r", paragraph[:60])
            break
        if rule is None and paragraph.casefold() not in repeated:
            kept.append(paragraph)
    return kept


def drop_reader_comments(paragraphs: Sequence[str], rules: CommentRules) -> list[str]:
    """Cut the text at the first reader comment that no markup labelled (see ``CommentRules``)."""
    start = comment_start(paragraphs, rules)
    if start < len(paragraphs):
        log.debug("unmarked reader comment cut at %r", paragraphs[start][:60])
    return list(paragraphs[:start])


def comment_start(paragraphs: Sequence[str], rules: CommentRules) -> int:
    """Index of the first paragraph of the first unmarked comment after the body; len() when none."""
    own_voice = False  # the article's own text said "I" before: a column speaks as "I" too
    body_paragraphs = 0
    for index, paragraph in enumerate(paragraphs):
        # counted once per paragraph, and only while it can still tell a reader from the author
        voice = None if own_voice else voice_words(paragraph, rules)
        after_body = body_paragraphs >= BODY_PARAGRAPHS
        if after_body and _opens_comment(paragraphs, index, rules, voice):
            return _back_to_handle(paragraphs, index, rules)
        own_voice = own_voice or bool(voice)
        body_paragraphs += len(paragraph) >= BODY_PARAGRAPH_CHARS
    return len(paragraphs)


def _opens_comment(paragraphs: Sequence[str], index: int, rules: CommentRules, voice: int | None) -> bool:
    """``voice``: the paragraph's first-person words, None once the author has spoken as "I"."""
    paragraph = paragraphs[index]
    if is_control_line(paragraph, rules):
        return True
    if _is_says_line(paragraph, rules):
        following = paragraphs[index + 1 : index + 3]
        return any(is_control_line(p, rules) or _reads_as_reader(p, rules) for p in following)
    if voice is not None and voice >= rules.min_voice_words:
        previous = paragraphs[index - 1] if index else ""
        return _has_opinion(paragraph, rules) or is_handle(previous, rules)
    return False


def _back_to_handle(paragraphs: Sequence[str], index: int, rules: CommentRules) -> int:
    """Step back over the commenter's name line (and the text it heads, when controls trail it)."""
    if (
        index >= 2
        and is_handle(paragraphs[index - 2], rules)
        and _trailing_controls(paragraphs[index], rules)
    ):
        return index - 2
    if index >= 1 and is_handle(paragraphs[index - 1], rules):
        return index - 1
    return index


def is_control_line(paragraph: str, rules: CommentRules) -> bool:
    """Reply / Report / vote controls, or a timestamp ("3 hours ago"), optionally with a handle."""
    if not paragraph or len(paragraph) > rules.line_chars:
        return False
    rest = rules.timestamp.sub(" ", paragraph) if rules.timestamp else paragraph
    tokens = _CONTROL_TOKEN.findall(rest.casefold())
    controls = [token for token in tokens if token in rules.controls]
    others = [token for token in tokens if token not in rules.controls and not token.isdigit()]
    if rest != paragraph:
        return len(others) <= rules.handle_max_words
    if others or not controls:
        return False
    return len(tokens) >= 2 or controls[0] in rules.lone_controls


def _trailing_controls(paragraph: str, rules: CommentRules) -> bool:
    """A control line with no handle in it comes after the comment text, not before it."""
    rest = rules.timestamp.sub(" ", paragraph) if rules.timestamp else paragraph
    tokens = _CONTROL_TOKEN.findall(rest.casefold())
    return all(token in rules.controls or token.isdigit() for token in tokens)


def is_handle(paragraph: str, rules: CommentRules) -> bool:
    """A commenter's name on its own line: a few words, no sentence punctuation."""
    words = paragraph.split()
    return 0 < len(words) <= rules.handle_max_words and not _SENTENCE_END.search(paragraph)


def _is_says_line(paragraph: str, rules: CommentRules) -> bool:
    return len(paragraph) <= rules.line_chars and bool(rules.says and rules.says.search(paragraph))


def _reads_as_reader(paragraph: str, rules: CommentRules) -> bool:
    return _has_opinion(paragraph, rules) or voice_words(paragraph, rules) >= rules.min_voice_words


def _has_opinion(paragraph: str, rules: CommentRules) -> bool:
    return bool(rules.opinion and rules.opinion.search(text.fold_quotes(paragraph)))


def voice_words(paragraph: str, rules: CommentRules) -> int:
    """First-person words outside quotation marks: a reporter quotes an "I", a reader writes one."""
    pattern = _voice_word_pattern(rules.voice_words)
    if pattern is None:
        return 0
    unquoted = _QUOTED.sub(" ", text.fold_quotes(paragraph))
    return len(pattern.findall(unquoted.casefold()))


@cache
def _voice_word_pattern(words: frozenset[str]) -> re.Pattern[str] | None:
    """Finds exactly the ``_VOICE_TOKEN`` tokens that are in ``words``, without listing the others."""
    tokens = sorted(word for word in words if _VOICE_TOKEN.fullmatch(word))
    if not tokens:
        return None
    alternatives = "|".join(re.escape(token) for token in tokens)
    return re.compile(f"(?<![a-z'])(?:{alternatives})(?![a-z'])")


def drop_lead_fragments(paragraphs: Sequence[str]) -> list[str]:
    """Drop kickers, dates and labels above the lede: short lines that are not sentences."""
    start = 0
    while start < len(paragraphs) and _is_fragment(paragraphs[start]):
        start += 1
    return list(paragraphs[start:])


def _is_fragment(paragraph: str) -> bool:
    return len(paragraph) < LEAD_FRAGMENT_CHARS and not _SENTENCE_END.search(paragraph)


def _has_body(paragraphs: Sequence[str]) -> bool:
    return sum(1 for p in paragraphs if len(p) >= BODY_PARAGRAPH_CHARS) >= BODY_PARAGRAPHS


# --- page extraction -------------------------------------------------------------------


def extract_page(url: str, body: bytes, content_type: str, headline: str | None = None) -> PageText:
    """Main text and metadata of one page; empty text plus ``fallback_reason`` when unusable.

    ``headline``: the feed's title for the page, given (see ``feed_headline``) when the feed also
    gave its author and date. The page's own title, author and date would then go unused, so
    trafilatura is not asked for them; the headline stands in for the page's title."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in HTML_MEDIA_TYPES or body.lstrip()[:8].startswith(_NON_HTML_MAGIC):
        return _no_text(url, f"not an HTML page ({media_type or 'binary content'})")
    if not body.strip():
        return _no_text(url, "empty page")
    try:
        found = _run_trafilatura(url, _decoded(body, content_type), metadata=headline is None)
    except Exception as exc:  # one bad page must not stop the batch; trafilatura has many failure paths
        log.warning("%s: extraction failed: %s", url, exc)
        return _no_text(url, f"extraction failed: {type(exc).__name__}")
    if found is None:
        return _no_text(url, "no main text found")
    return _page_from_document(url, body, found, headline)


def feed_headline(entry: Entry) -> str | None:
    """The entry's title when its feed gave the title, the author and the date: an article takes
    those from its feed first, so its page's would go unused (see ``store._article``)."""
    return entry.title if entry.title and entry.author and entry.published else None


def trafilatura_options(metadata: bool = True) -> dict[str, Any]:
    """How this tool asks trafilatura for a page's text, and for its metadata when ``metadata``:
    the benchmark prices this call on each page as served, as the library's cost."""
    from trafilatura.deduplication import LRUCache

    # A fresh LRUCache per page: the default cache is global to the process, so what it dedupes
    # would depend on which pages a pool worker happened to see before (non-deterministic output).
    options: dict[str, Any] = {
        "favor_precision": True,
        "include_comments": False,
        "include_tables": False,
        "include_images": False,
        "include_links": False,
        "with_metadata": metadata,
        "deduplicate": LRUCache(maxsize=1024),
    }
    # The metadata search, almost all of it the search for an author, is about a fifth of
    # trafilatura's cost on the bench farm's pages (1.5 to 1.8 of 7.9 ms); the main text is the
    # same without it.
    if metadata:
        options["date_extraction_params"] = dict(DATE_PARAMS)
    return options


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str  # trafilatura's text: one block a line
    title: str | None  # the page's metadata, when it was asked for
    author: str | None
    date: str | None
    headings: tuple[str, ...]  # the page's <h1> texts: its headline, whatever its title says


def _run_trafilatura(url: str, html: str | bytes, metadata: bool) -> Extraction | None:
    # Imported here, not with the module: the main process needs this module's fallbacks and rules
    # but extracts nothing itself (the workers do), and trafilatura costs 0.2 s to import.
    import trafilatura
    from trafilatura.settings import Document

    tree = trafilatura.load_html(html)  # as bare_extraction loads it; it extracts from a copy
    if tree is None:
        return None
    headings = tuple(clean_line(heading.text_content()) for heading in tree.iter("h1"))
    # What bare_extraction(with_metadata=True) would find, read from the whole page before anything
    # is stripped: a byline or a date may sit in an aside or a footer.
    found = trafilatura.extract_metadata(tree, url, dict(DATE_PARAMS)) if metadata else None
    rules = boilerplate()
    # trafilatura deletes these tags itself, but only after its XPath prunes have scanned the whole
    # page, most of its cost (see boilerplate.toml).
    etree.strip_elements(tree, *rules.strip_tags, with_tail=False)
    prune = prune_xpath(tree, rules.prune)
    options = trafilatura_options(metadata=False)
    document = trafilatura.bare_extraction(tree, url=url, prune_xpath=prune or None, **options)
    if not isinstance(document, Document):  # None: no main text found
        return None
    title, author, date = (found.title, found.author, found.date) if found else (None, None, None)
    return Extraction(document.text or "", title, author, date, headings)


# A page of our own, extracted once in each worker while the feeds download. Its host is one that the
# library's quick domain pattern misses (as it misses "www.bbc.co.uk"), so the public-suffix list is
# loaded too; the page gives the metadata search nothing, so it runs its whole course.
WARM_UP_URL = "https://www.abc.example/news/warm-up"
WARM_UP_PAGE = b"""<!doctype html><html lang="en">
<head><meta charset="utf-8"><title>Warm-up page</title></head>
<body><nav class="menu"><a href="/">Home</a></nav><article><h1>Warm-up page</h1>
<p>This page is extracted once in each worker before the first real page arrives, so that the
library loads its word lists and patterns while the feeds still download.</p>
<p>It holds two paragraphs of ordinary prose, long enough to count as a body, and nothing else
worth keeping.</p></article><div class="comments"><p>A reader wrote something here.</p></div>
<footer>Footer</footer></body></html>"""


def warm_up() -> None:
    """Have this process extract ``WARM_UP_PAGE``: the first page a process extracts costs about
    0.15 CPU s more than the next (a farm page: 175 ms, then 22; trafilatura's import, its
    public-suffix list and patterns compiled on first use, our boilerplate rules), paid here while a
    worker would otherwise wait."""
    extract_page(WARM_UP_URL, WARM_UP_PAGE, "text/html; charset=utf-8")


def _decoded(body: bytes, content_type: str) -> str | bytes:
    """Honour the HTTP charset when it fits; otherwise let trafilatura sniff the bytes."""
    match = _CHARSET_PARAM.search(content_type)
    if match is None:
        return body
    try:
        return body.decode(match.group(1))
    except (LookupError, UnicodeDecodeError):
        return body


def _page_from_document(url: str, body: bytes, found: Extraction, headline: str | None) -> PageText:
    title = clean_line(found.title or "") if headline is None else headline
    rules = boilerplate()
    paragraphs = drop_boilerplate(split_paragraphs(found.text), rules, (title, *found.headings))
    main_text = "\n\n".join(drop_lead_fragments(drop_reader_comments(paragraphs, rules.comments)))
    if len(main_text) < MIN_TEXT_CHARS:
        return _no_text(url, f"too little text ({len(main_text)} characters)")
    return PageText(
        url=url,
        text=main_text,
        title=title,
        author=clean_line(found.author or ""),
        published=_page_date(found.date),
        language=page_language(body),
        origin="page",
    )


def _no_text(url: str, reason: str) -> PageText:
    return PageText(url=url, text="", origin="page", fallback_reason=reason)


def split_paragraphs(text: str) -> list[str]:
    """trafilatura's text output has one block per line; list items lose their bullet."""
    lines = (clean_line(_LIST_BULLET.sub("", line)) for line in text.splitlines())
    return [line for line in lines if line]


def clean_line(text: str) -> str:
    # split() and strip() know the same whitespace as the regex \s: a third of the cost of sub()
    return " ".join(text.split())


def _page_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # htmldate gives no offset when the page named none; UTC is the digest's reference zone
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def page_language(body: bytes) -> str:
    """The primary language subtag of ``<html lang>``, lower case; "" when absent."""
    match = _LANG_ATTR.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else ""


# --- fallback --------------------------------------------------------------------------


def fallback_page(entry: Entry, reason: str) -> PageText:
    """The feed's own text for ``entry``: full content if it has any, else its summary."""
    content = html_to_paragraphs(entry.content_html)
    if content:
        return _feed_text(entry, "\n\n".join(content), "feed_content", reason)
    summary = html_to_paragraphs(entry.summary_html)
    return _feed_text(entry, "\n\n".join(summary), "feed_summary", reason)


def _feed_text(entry: Entry, text: str, origin: str, reason: str) -> PageText:
    return PageText(
        url=entry.url,
        text=text,
        title=entry.title,
        author=entry.author,
        published=entry.published,
        origin=origin,
        fallback_reason=reason,
    )


_BLOCK_TAGS = (
    "p", "div", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6",
    "tr", "section", "article", "pre", "dd", "dt", "figure", "br", "hr",
)  # fmt: skip
_DROPPED_TAGS = ("script", "style", "noscript", "template", "figcaption", "iframe", "object")


def html_to_paragraphs(html: str) -> list[str]:
    """Plain paragraphs of an HTML fragment (feed content): one per block element or blank line."""
    if not html.strip():
        return []
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [line for line in (clean_line(part) for part in html.split("\n\n")) if line]
    etree.strip_elements(root, *_DROPPED_TAGS, with_tail=False)
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = "\n\n" + (element.tail or "")
        if element.tag in ("br", "hr"):
            continue
        element.text = "\n\n" + (element.text or "")
    raw = root.text_content()
    paragraphs = (clean_line(part) for part in re.split(r"\n\s*\n", raw))
    rules = boilerplate()
    return drop_reader_comments(drop_boilerplate([p for p in paragraphs if p], rules), rules.comments)


# --- batches ---------------------------------------------------------------------------


def extract_pages(jobs: Sequence[PageJob]) -> list[PageText]:
    """``extract_page`` of each job, in order: a worker's unit of work (see ``workers.Groups``)."""
    return [extract_page(*job) for job in jobs]


def extract_many(jobs: Sequence[tuple[str, bytes, str]], workers: int) -> list[PageText]:
    """``extract_page`` over (url, body, content_type) jobs; results in the order of ``jobs``."""
    if workers <= 1 or len(jobs) < POOL_MIN_JOBS:
        return [_extract_job(job) for job in jobs]
    chunksize = max(1, math.ceil(len(jobs) / (workers * CHUNKS_PER_WORKER)))
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            # map() yields in submission order whatever order the workers finish in.
            return list(pool.map(_extract_job, jobs, chunksize=chunksize))
    except BrokenProcessPool as exc:
        log.warning("extraction worker died (%s); extracting this batch in-process", exc)
        return [_extract_job(job) for job in jobs]


def _extract_job(job: tuple[str, bytes, str]) -> PageText:
    url, body, content_type = job
    return extract_page(url, body, content_type)
