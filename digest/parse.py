"""The parse stage: a fetched feed body into entries (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1).

``parse_feed`` never raises. Before feedparser sees a byte, the body is decoded by our own rules
(mislabelled Shift_JIS and cp1252, UTF-16 with or without BOM) and two guards run on the text:

* every internal DTD subset is removed and references to the entities it declared are dropped.
  feedparser keeps "safe" entity declarations (no ``&`` in the value), so one 1 MB entity
  referenced 50,000 times would expand to 50 GB; billion laughs and XXE go the same way.
* character references that XML forbids (lone surrogates such as ``&#xD800;``, ``&#0;``, beyond
  U+10FFFF) become U+FFFD; a surrogate pair written as two references becomes its character.
  A lone surrogate otherwise raises an uncaught ``UnicodeEncodeError`` inside feedparser.

The text is then re-encoded as UTF-8 and handed to feedparser as bytes, never as a URL.
Everything wrong with one feed is reported as a ``Problem``, folded to one line per reason.
"""

from __future__ import annotations

import codecs
import html
import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urlsplit

import charset_normalizer
import feedparser
import lxml.html
from lxml import etree

from digest.records import Entry, FeedSource, FetchResult, ParsedFeed, Problem
from digest.urls import canonical_url

log = logging.getLogger(__name__)

TITLE_MAX_CHARS = 300
AUTHOR_MAX_CHARS = 200
TITLE_PARSE_CHARS = 20_000  # enough markup for any real title; bounds the work on a 100 KB one
FUTURE_TOLERANCE = timedelta(days=1)  # a wrong time zone, not a wrong date: clamp without a report
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)  # before the web: a zero timestamp, not a date
DETECT_BYTES = 65_536  # charset detection on a sample: it is slow on megabytes and gains nothing
EXAMPLES_PER_PROBLEM = 3
# feedparser reports these for inputs we already repaired (we hand it UTF-8 we transcoded ourselves)
HARMLESS_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
# charset_normalizer cannot tell the Western single-byte code pages apart on short English text (it
# guessed cp775 for "café “quoted”"); cp1252 is by far the most common mislabelled one, so it wins
# whenever it decodes as cleanly as the best guess. Cyrillic or Japanese bytes never tie with it.
TIE_CHAOS = 0.01
# Declared as Latin-1 or ASCII, served as cp1252 (browsers treat these labels the same way).
CHARSET_ALIASES = {"latin_1": "cp1252", "ascii": "cp1252", "iso8859_1": "cp1252"}
JSON_FEED_VERSION = re.compile(r"^https?://jsonfeed\.org/version/(\d+)(?:\.(\d+))?/?$")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([\w.:-]+)[\"']")
_XML_DECL_ENCODING = re.compile(r"^(\s*<\?xml[^>]{0,200}?encoding\s*=\s*)([\"'])[\w.:-]+\2")
_DOCTYPE = re.compile(r"<!DOCTYPE\b", re.IGNORECASE)
_DTD_TOKEN = re.compile(r"<!--.*?-->|\"[^\"]*\"|'[^']*'|[\[\]>]|[^\"'\[\]<>]+|[<\"']", re.DOTALL)
_ADDRESS = re.compile(r"<?[^\s@<>()]+@[^\s@<>()]+>?")
# "desk@ledger.example (Dana Okafor)" as RSS 2.0 writes it, or "Dana Okafor <desk@ledger.example>"
_ADDRESS_AND_NAME = re.compile(
    r"[^\s@()]+@[^\s@()]+\s*\((?P<name>[^()]+)\)|(?P<first>[^<>@]+?)\s*<[^\s@<>]+@[^\s@<>]+>"
)
_ENTITY_DECL = re.compile(r"<!ENTITY\s+(%\s+)?([^\s\"'%>]+)")
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_XML_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Zero-width and direction-override characters: invisible, they break matching and, unbalanced, they
# flip the direction of the page around a title. ZWJ and ZWNJ stay (emoji sequences, Persian, Hindi).
_INVISIBLE = re.compile("[\u00ad\u180e\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


# --- problems, folded per reason ---------------------------------------------------------


@dataclass(slots=True)
class ProblemLog:
    """Collects problems of one feed; ``problems()`` folds repeats into one line per reason."""

    where: str
    details: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, detail: str) -> None:
        self.details.setdefault(reason, []).append(detail)

    def problems(self) -> tuple[Problem, ...]:
        return tuple(self._fold(reason, details) for reason, details in self.details.items())

    def _fold(self, reason: str, details: list[str]) -> Problem:
        if len(details) == 1:
            return Problem(self.where, reason, details[0])
        shown = "; ".join(details[:EXAMPLES_PER_PROBLEM])
        more = (
            f" (+{len(details) - EXAMPLES_PER_PROBLEM} more)" if len(details) > EXAMPLES_PER_PROBLEM else ""
        )
        return Problem(self.where, reason, f"{len(details)} times: {shown}{more}")


# --- the stage ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RawItem:
    """One item as the feed wrote it, before links, titles and dates are cleaned."""

    guid: str
    link: str
    title: str
    title_is_html: bool
    author: str = ""
    date_text: str = ""
    date: datetime | None = None
    summary_html: str = ""
    content_html: str = ""


@dataclass(frozen=True, slots=True)
class RawFeed:
    version: str
    title: str
    link: str
    items: tuple[RawItem, ...]


def parse_feed(result: FetchResult, source: FeedSource, *, max_items: int, now: datetime) -> ParsedFeed:
    """Entries of one fetched feed, with every problem found; never raises."""
    notes = ProblemLog(source.name or source.url)
    raw = read_feed(result, notes)
    if raw is None:
        return ParsedFeed(source.url, "", "", "", (), notes.problems())
    entries = build_entries(raw.items, source, result.final_url or result.url, max_items, now, notes)
    return ParsedFeed(
        url=source.url,
        title=clean_line(strip_tags(raw.title)),
        link=canonical_url(raw.link, result.final_url) if raw.link else "",
        version=raw.version,
        entries=entries,
        problems=notes.problems(),
    )


def read_feed(result: FetchResult, notes: ProblemLog) -> RawFeed | None:
    """Decode, guard and parse the body; None (with the reason noted) when there is no feed in it."""
    if not result.body.strip():
        notes.add("not_a_feed", "empty body")
        return None
    text = decode_body(result.body, result.content_type, notes)
    if looks_like_json(text):
        return read_json_feed(text, result.final_url or result.url, notes)
    return read_xml_feed(text, result, notes)


# --- decoding ----------------------------------------------------------------------------


def decode_body(body: bytes, content_type: str, notes: ProblemLog) -> str:
    """The body as text: BOM, then UTF-8, then the declared charset, then a guess (reported)."""
    sniffed = sniff_unicode(body)
    if sniffed is not None:
        return body.decode(sniffed, errors="replace").removeprefix("\ufeff")
    declared = declared_charsets(body, content_type)
    text = _try_decode(body, "utf-8")
    if text is not None:
        if declared and not text.isascii() and declared[0] != "utf_8":
            notes.add("bad_charset", f"declared {_label(declared[0])} but the bytes are UTF-8; read as UTF-8")
        return text
    for charset in declared:
        text = _try_decode(body, CHARSET_ALIASES.get(charset, charset))
        if text is not None:
            return text
    guess = guess_charset(body)
    said = f"declared {_label(declared[0])}" if declared else "no charset declared"
    notes.add("bad_charset", f"{said} and the bytes do not fit; read as {guess}")
    return body.decode(guess, errors="replace")


def sniff_unicode(body: bytes) -> str | None:
    """UTF-8/16/32 from a byte-order mark, or UTF-16/32 from the zero bytes around the first ``<``/``{``."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    head = body[:4]
    if len(head) < 4:
        return None
    if head[:3] == b"\x00\x00\x00" and head[3]:
        return "utf-32-be"
    if head[0] and head[1:] == b"\x00\x00\x00":
        return "utf-32-le"
    if head[0] == 0 and head[1] and head[2] == 0:
        return "utf-16-be"
    if head[0] and head[1] == 0 and head[3] == 0:
        return "utf-16-le"
    return None


def declared_charsets(body: bytes, content_type: str) -> list[str]:
    """Charsets named by the HTTP header and the XML declaration, as Python codec names, in that order."""
    names = [match.group(1) for match in [_CHARSET_PARAM.search(content_type)] if match]
    xml_match = _XML_ENCODING.match(body[:256])
    if xml_match:
        names.append(xml_match.group(1).decode("ascii"))
    codecs_found: list[str] = []
    for name in names:
        codec = _codec_name(name)
        if codec and codec not in codecs_found:
            codecs_found.append(codec)
    return codecs_found


def _codec_name(label: str) -> str | None:
    try:
        return codecs.lookup(label).name.replace("-", "_")
    except LookupError:
        return None


def _label(codec: str) -> str:
    return codec.replace("_", "-")


def _try_decode(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def guess_charset(body: bytes) -> str:
    """charset_normalizer's best guess, except that cp1252 wins a tie (see ``TIE_CHAOS``)."""
    matches = list(charset_normalizer.from_bytes(body[:DETECT_BYTES]))
    if not matches:
        return "cp1252"
    best_chaos = matches[0].chaos
    for match in matches:
        if match.chaos <= best_chaos + TIE_CHAOS and "cp1252" in match.could_be_from_charset:
            return "cp1252"
    return str(matches[0].encoding)


# --- guards against hostile XML ------------------------------------------------------------


def remove_internal_subsets(text: str) -> tuple[str, list[str]]:
    """``text`` with every DOCTYPE's internal subset removed, and the entity names it declared."""
    declared: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _DOCTYPE.finditer(text):
        if match.start() < position:
            continue  # inside a subset already removed
        subset_start, subset_end = _internal_subset(text, match.end())
        if subset_start < 0:
            continue
        pieces.append(text[position:subset_start])
        declared += [
            name for percent, name in _ENTITY_DECL.findall(text, subset_start, subset_end) if not percent
        ]
        position = subset_end
    if not pieces:
        return text, []
    pieces.append(text[position:])
    return "".join(pieces), declared


def _internal_subset(text: str, start: int) -> tuple[int, int]:
    """(start of ``[``, index after ``]``) of the DOCTYPE's internal subset, or (-1, -1) without one.

    Quoted strings and comments are skipped whole, so ``]`` or ``>`` inside an entity value cannot end
    the subset early. An unterminated subset runs to the end of the text.
    """
    subset_start = -1
    for token in _DTD_TOKEN.finditer(text, start):
        value = token.group()
        if subset_start < 0 and value == ">":
            return -1, -1
        if subset_start < 0 and value == "[":
            subset_start = token.start()
        elif subset_start >= 0 and value == "]":
            return subset_start, token.end()
    return (subset_start, len(text)) if subset_start >= 0 else (-1, -1)


def drop_entity_references(text: str, names: Iterable[str]) -> tuple[str, int]:
    """Remove references to the given (now undeclared) entities; HTML names become character references."""
    dropped = frozenset(names) - _XML_PREDEFINED
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        name = match.group(1)
        if name not in dropped:
            return match.group()
        count += 1
        codepoint = name2codepoint.get(name)
        return f"&#{codepoint};" if codepoint is not None else ""

    return _ENTITY_REF.sub(replace, text), count


def defuse_entities(text: str, notes: ProblemLog) -> str:
    stripped, declared = remove_internal_subsets(text)
    if stripped is text:
        return text
    cleaned, references = drop_entity_references(stripped, declared)
    notes.add(
        "entity_bomb",
        f"removed an internal DTD subset declaring {len(declared)} entities "
        f"and {references} references to them (entities are never expanded)",
    )
    return cleaned


def repair_character_references(text: str) -> str:
    """Character references XML forbids become U+FFFD; a surrogate pair becomes its one character."""
    pieces: list[str] = []
    position = 0
    pending_high: tuple[int, int] | None = None  # (code point, start) of a high surrogate just seen
    for match in _CHAR_REF.finditer(text):
        codepoint = _reference_value(match)
        if pending_high is not None and match.start() == position and 0xDC00 <= codepoint <= 0xDFFF:
            combined = 0x10000 + ((pending_high[0] - 0xD800) << 10) + (codepoint - 0xDC00)
            pieces.append(f"&#x{combined:X};")
            pending_high, position = None, match.end()
            continue
        if pending_high is not None:
            pieces.append("&#xFFFD;")
            pending_high = None
        pieces.append(text[position : match.start()])
        position = match.end()
        if 0xD800 <= codepoint <= 0xDBFF:
            pending_high = (codepoint, match.start())
        else:
            pieces.append(match.group() if xml_allows(codepoint) else "&#xFFFD;")
    if pending_high is not None:
        pieces.append("&#xFFFD;")
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)


def _reference_value(match: re.Match[str]) -> int:
    hex_digits, decimal_digits = match.groups()
    digits = (hex_digits or decimal_digits).lstrip("0") or "0"
    if len(digits) > 8:
        return -1  # far beyond U+10FFFF; also keeps int() away from huge digit strings
    return int(digits, 16 if hex_digits else 10)


def xml_allows(codepoint: int) -> bool:
    return (
        codepoint in (0x9, 0xA, 0xD)
        or 0x20 <= codepoint <= 0xD7FF
        or 0xE000 <= codepoint <= 0xFFFD
        or 0x10000 <= codepoint <= 0x10FFFF
    )


def scrub_text(text: str) -> str:
    """Drop raw control characters and lone surrogates that no XML or JSON text may carry."""
    return _SURROGATES.sub("\ufffd", _CONTROL_CHARS.sub("", text))


# --- XML feeds (feedparser) --------------------------------------------------------------------


def read_xml_feed(text: str, result: FetchResult, notes: ProblemLog) -> RawFeed | None:
    guarded = repair_character_references(defuse_entities(scrub_text(text), notes))
    data = _XML_DECL_ENCODING.sub(r"\1\2utf-8\2", guarded, count=1).encode("utf-8")
    media_type = result.content_type.split(";")[0].strip().lower() or "application/xml"
    headers = {"content-type": f"{media_type}; charset=utf-8", "content-location": result.final_url}
    try:
        parsed = feedparser.parse(data, response_headers=headers)
    except Exception as exc:  # feedparser should not raise, but one feed must never stop the build
        notes.add("parse_error", f"the parser failed: {type(exc).__name__}: {_one_line(str(exc))}")
        return None
    if not parsed.get("version"):
        notes.add("not_a_feed", _not_a_feed_detail(text, parsed))
        return None
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), HARMLESS_BOZO):
        error = parsed.get("bozo_exception")
        notes.add("parse_error", f"malformed {parsed.version} feed, read anyway: {_one_line(str(error))}")
    channel = dict.get(parsed, "feed") or {}
    items = tuple(_item_from_feedparser(entry) for entry in parsed.get("entries", []))
    return RawFeed(parsed.version, dict.get(channel, "title") or "", dict.get(channel, "link") or "", items)


def _not_a_feed_detail(text: str, parsed: Mapping[str, Any]) -> str:
    head = text[:2048].lower()
    if "<html" in head or "<!doctype html" in head:
        return "an HTML page, not a feed"
    if parsed.get("bozo"):
        return f"no RSS, Atom or JSON Feed found: {_one_line(str(parsed.get('bozo_exception')))}"
    return "no RSS, Atom or JSON Feed found"


def _byline(written: Any) -> str:
    """The author's name. RSS 2.0's <author> is an e-mail address with the name, if any, in
    brackets after it. feedparser's own split of the two cuts addresses with a long top-level
    domain (".example") short, so the name is taken here; an address alone is nobody's byline."""
    author = str(written or "").strip()
    named = _ADDRESS_AND_NAME.fullmatch(author)
    if named:
        return str(named.group("name") or named.group("first")).strip()
    return "" if _ADDRESS.fullmatch(author) else author


def _item_from_feedparser(entry: dict[str, Any]) -> RawItem:
    # dict.get, not entry.get: FeedParserDict maps a missing "updated" to "published" with a
    # DeprecationWarning; we want each key exactly as the feed wrote it.
    def field(key: str) -> Any:
        return dict.get(entry, key)

    title_detail = field("title_detail") or {}
    return RawItem(
        guid=str(field("id") or ""),
        link=str(field("link") or ""),
        title=str(field("title") or ""),
        title_is_html="html" in str(title_detail.get("type", "")),
        author=_byline(field("author")),
        date_text=str(field("published") or field("updated") or field("created") or ""),
        date=_struct_time_date(
            field("published_parsed") or field("updated_parsed") or field("created_parsed")
        ),
        summary_html=_as_html(field("summary_detail") or {}, field("summary")),
        content_html=_feedparser_content(field("content") or []),
    )


def _struct_time_date(value: Any) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime(*value[:6]).replace(tzinfo=UTC)  # feedparser normalises to UTC
    except (TypeError, ValueError, OverflowError):
        return None


def _feedparser_content(contents: list[Mapping[str, Any]]) -> str:
    """The HTML part of ``content`` (Atom may carry several), else the first one, as HTML."""
    for content in contents:
        if "html" in str(content.get("type", "")):
            return str(content.get("value", ""))
    return _as_html(contents[0], contents[0].get("value", "")) if contents else ""


def _as_html(detail: Mapping[str, Any], value: Any) -> str:
    text = str(value or "")
    return html.escape(text) if detail.get("type") == "text/plain" else text


# --- JSON Feed -----------------------------------------------------------------------------


def looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] in ("{", "[")


def read_json_feed(text: str, base_url: str, notes: ProblemLog) -> RawFeed | None:
    """A JSON Feed 1.0/1.1 document (https://jsonfeed.org/version/1.1), recognised by its content."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        notes.add("parse_error", f"invalid JSON: {_one_line(str(exc))}")
        return None
    version = json_feed_version(document)
    if version is None:
        notes.add("not_a_feed", "JSON, but not a JSON Feed (no jsonfeed.org version)")
        return None
    raw_items = document.get("items")
    if not isinstance(raw_items, list):
        notes.add("parse_error", "JSON Feed without an items array")
        raw_items = []
    items = tuple(_json_items(raw_items, notes))
    title = _json_str(document.get("title"))
    return RawFeed(version, title, _json_str(document.get("home_page_url")), items)


def json_feed_version(document: Any) -> str | None:
    """``json10`` / ``json11`` (``json12`` for a future 1.2) from the version URL; None if not a JSON Feed."""
    if not isinstance(document, dict):
        return None
    match = JSON_FEED_VERSION.match(_json_str(document.get("version")))
    if match is None:
        return None
    return f"json{match.group(1)}{match.group(2) or '0'}"


def _json_items(raw_items: list[Any], notes: ProblemLog) -> Iterator[RawItem]:
    for index, item in enumerate(raw_items):
        if not isinstance(item, dict):
            notes.add("parse_error", f"item {index} is not an object")
            continue
        yield _item_from_json(item)


def _item_from_json(item: Mapping[str, Any]) -> RawItem:
    date_text = _json_str(item.get("date_published")) or _json_str(item.get("date_modified"))
    content_html = _json_str(item.get("content_html"))
    content_text = _json_str(item.get("content_text"))
    return RawItem(
        guid=_json_str(item.get("id")),
        link=_json_str(item.get("url")) or _json_str(item.get("external_url")),
        title=_json_str(item.get("title")),
        title_is_html=False,
        author=_json_author(item),
        date_text=date_text,
        date=parse_rfc3339(date_text),
        summary_html=html.escape(_json_str(item.get("summary"))),
        content_html=content_html or html.escape(content_text),
    )


def _json_author(item: Mapping[str, Any]) -> str:
    authors = item.get("authors")  # 1.1; 1.0 had a single "author"
    candidates = authors if isinstance(authors, list) else [item.get("author")]
    names = [_json_str(author.get("name")) for author in candidates if isinstance(author, dict)]
    return ", ".join(name for name in names if name)


def _json_str(value: Any) -> str:
    """A JSON scalar as clean text: numbers (1.0 ids) become strings, lone surrogates become U+FFFD."""
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return scrub_text(str(value))


def parse_rfc3339(text: str) -> datetime | None:
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --- entries ---------------------------------------------------------------------------------


def build_entries(
    items: Iterable[RawItem],
    source: FeedSource,
    base_url: str,
    max_items: int,
    now: datetime,
    notes: ProblemLog,
) -> tuple[Entry, ...]:
    """Clean entries in feed order: duplicates and link-less items dropped, capped at ``max_items``."""
    entries: list[Entry] = []
    seen_guids: set[str] = set()
    skipped = 0
    for item in items:
        entry = build_entry(item, source, base_url, now, notes)
        if entry is None:
            continue
        if entry.guid in seen_guids:
            notes.add("duplicate_guid", f"{entry.guid} repeated; kept the first")
            continue
        seen_guids.add(entry.guid)
        if len(entries) >= max_items:
            skipped += 1
            continue
        entries.append(entry)
    if skipped:
        notes.add("too_many_items", f"{len(entries) + skipped} items; kept the first {max_items}")
    return tuple(entries)


def build_entry(
    item: RawItem, source: FeedSource, base_url: str, now: datetime, notes: ProblemLog
) -> Entry | None:
    url = canonical_url(item.link, base_url) if item.link.strip() else ""
    if not url.startswith(("http://", "https://")) or not _splits(url):
        notes.add("bad_link", f"item {clean_title(item, '')[:60]!r} has no usable link ({item.link[:80]!r})")
        return None
    return Entry(
        feed_url=source.url,
        guid=clean_line(item.guid) or url,
        url=url,
        title=clean_title(item, url),
        source=source.name,
        author=trim(clean_line(strip_tags(item.author)), AUTHOR_MAX_CHARS),
        published=checked_date(item, now, notes),
        summary_html=item.summary_html,
        content_html=item.content_html,
    )


def _splits(url: str) -> bool:
    """False for a link every later stage would choke on (``http://[::1``, a port that is not a number)."""
    try:
        _ = urlsplit(url).port  # parsing the port checks the whole network location
    except ValueError:
        return False
    return True


def clean_title(item: RawItem, fallback: str) -> str:
    """Plain one-line title of at most 300 characters; the summary's start or the URL when it has none."""
    raw = item.title[:TITLE_PARSE_CHARS]
    title = clean_line(strip_tags(raw) if item.title_is_html or "<" in raw else raw)
    if not title:
        title = clean_line(strip_tags(item.summary_html[:TITLE_PARSE_CHARS]))
    return trim(title or clean_line(fallback), TITLE_MAX_CHARS)


def checked_date(item: RawItem, now: datetime, notes: ProblemLog) -> datetime | None:
    """The item's date in UTC; None when missing or garbage, ``now`` when it lies in the future."""
    date = item.date
    now_utc = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if date is None:
        if item.date_text.strip():
            notes.add("bad_date", f"unreadable date {item.date_text[:60]!r}; left empty")
        return None
    if date < EARLIEST_DATE:
        notes.add("bad_date", f"implausible date {date:%Y-%m-%d}; left empty")
        return None
    if date > now_utc + FUTURE_TOLERANCE:
        notes.add("bad_date", f"future date {date:%Y-%m-%d %H:%M}; clamped to the build time")
    return min(date, now_utc)


# --- text helpers ----------------------------------------------------------------------------


def strip_tags(fragment: str) -> str:
    """The text of an HTML fragment (entities decoded); lxml, because regexes miss comments and CDATA."""
    if "<" not in fragment and "&" not in fragment:
        return fragment
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return html.unescape(fragment)
    etree.strip_elements(root, "script", "style", with_tail=False)
    return str(root.text_content())


def clean_line(text: str) -> str:
    """One line: invisible characters removed, whitespace runs collapsed."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", scrub_text(text))).strip()


def trim(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary when there is one, marked with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _one_line(text: str) -> str:
    return trim(clean_line(text), 200)
