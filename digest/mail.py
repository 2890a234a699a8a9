"""Email messages built byte by byte: headers, RFC 2047 encoding, multipart/alternative MIME.

Why not ``email.message.EmailMessage``: the Python on the build machines (3.11.7) predates the
fixes for two header-injection flaws in the standard library's header folding (CVE-2024-6923,
CVE-2026-1299), so every header written here is cleaned and encoded by this module instead:

* ``clean_header_text`` turns every line break Python or a mail client might honour (CR, LF,
  U+0085, U+2028, U+2029, the other C0/C1 controls) and bidi overrides into spaces;
* non-ASCII (or text that looks like an encoded word) is written as RFC 2047 ``=?utf-8?b?...?=``
  words of at most 75 characters, folded with CRLF + space;
* addresses must pass ``subscribers.check_address`` (plain ASCII, no CR/LF possible).

``build_message`` then checks the finished header block once more (``header_block_ok``) and
refuses to produce a message that fails. The standard library is used only to *read* messages
(``read_edition_message``) and for date formatting.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import email.utils
import hashlib
import hmac
import logging
import quopri
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

from digest.subscribers import check_address

log = logging.getLogger(__name__)

MAX_LINE = 78  # RFC 5322 recommended header line length
_WORD_BYTES = 42  # 42 bytes -> 56 base64 chars; "=?utf-8?b?" + 56 + "?=" = 68: "Subject: " + 68 <= 78
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")
_LIST_ID = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)+$")
_TOKEN_SLOT = "UNSUBSCRIBE-TOKEN"  # stands in for the personal token in the files the build writes


# --- header text ---------------------------------------------------------------------------


def clean_header_text(text: str) -> str:
    """``text`` on one line: every control, line or paragraph separator becomes a space."""
    kept = [" " if _breaks_header(char) else char for char in text]
    return " ".join("".join(kept).split())


def _breaks_header(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp") or char in _BIDI_CONTROLS


def encode_header_value(text: str, name_length: int = 9) -> str:
    """A header value ready to follow ``Name: ``: cleaned, RFC 2047-encoded if needed, folded."""
    clean = clean_header_text(text)
    if _PRINTABLE_ASCII.match(clean) and "=?" not in clean:
        return _fold_ascii(clean, name_length)
    return "\r\n ".join(_encoded_words(clean))


def _fold_ascii(text: str, name_length: int) -> str:
    lines: list[str] = []
    current = ""
    budget = MAX_LINE - name_length - 2
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > budget:
            lines.append(current)
            current, budget = word, MAX_LINE - 1
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\r\n ".join(lines)


def _encoded_words(text: str) -> list[str]:
    """UTF-8 base64 encoded words, split between characters, never inside one."""
    words: list[str] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(_encoded_word(chunk))
            chunk = b""
        chunk += encoded
    if chunk or not words:
        words.append(_encoded_word(chunk))
    return words


def _encoded_word(chunk: bytes) -> str:
    return "=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?="


def format_address(name: str, address: str) -> str:
    """``"Display Name" <user@example.org>``; raises ValueError for an address that is not valid."""
    checked = check_address(address)
    if checked is None:
        raise ValueError(f"not a usable email address: {address!r}")
    clean_name = clean_header_text(name)[:100]
    if not clean_name:
        return checked
    if _PRINTABLE_ASCII.match(clean_name) and "=?" not in clean_name:
        quoted = clean_name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{checked}>'
    return "\r\n ".join(_encoded_words(clean_name)) + f"\r\n <{checked}>"


def header_block_ok(block: str) -> bool:
    """True when ``block`` is ASCII, every line ends in CRLF and each continuation starts with a blank."""
    if not block.isascii() or not block.endswith("\r\n"):
        return False
    lines = block[:-2].split("\r\n")
    if any("\r" in line or "\n" in line or len(line) > 998 for line in lines):
        return False
    return ":" in lines[0] and all(line[:1] in (" ", "\t") or ":" in line for line in lines[1:])


# --- identifiers and unsubscribing ------------------------------------------------------------


def list_id_of(list_id: str, from_address: str) -> str:
    """The configured list id, or ``digest.<sender's domain>`` when none (or a malformed one) is set."""
    if _LIST_ID.match(list_id):
        return list_id
    if list_id:
        log.warning("email.list_id %r is not a dot-atom like digest.example.org; using a default", list_id)
    return "digest." + from_address.rpartition("@")[2]


def message_id(list_id: str, edition_key: str, recipient: str, domain: str) -> str:
    """The same Message-ID every time for one (edition, recipient): a resent copy is recognisably a copy."""
    digest_hex = hashlib.sha256(f"{list_id}\n{edition_key}\n{recipient.lower()}".encode()).hexdigest()[:32]
    safe_key = re.sub(r"[^A-Za-z0-9-]", "-", edition_key)
    return f"<{safe_key}.{digest_hex}@{domain}>"


def unsubscribe_token(secret: bytes, list_id: str, recipient: str) -> str:
    """``<address, base64url>.<HMAC>``: the unsubscribe handler can check it with the secret alone."""
    address = recipient.lower()
    payload = base64.urlsafe_b64encode(address.encode("utf-8")).decode("ascii").rstrip("=")
    return f"{payload}.{_mac(secret, list_id, address)}"


def verify_token(secret: bytes, list_id: str, token: str) -> str | None:
    """The address a token was made for, or None when the token was not made with ``secret``."""
    payload, _, mac = token.partition(".")
    try:
        address = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return address if hmac.compare_digest(mac, _mac(secret, list_id, address)) else None


def _mac(secret: bytes, list_id: str, address: str) -> str:
    tag = hmac.new(secret, f"{list_id}\n{address}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(tag).decode("ascii").rstrip("=")[:27]


def unsubscribe_link(url_template: str, token: str) -> str:
    return url_template.replace("{token}", token)


def link_slot(url_template: str) -> str:
    """The unsubscribe URL as written into the build's files, where ``personalise`` will find it."""
    return unsubscribe_link(url_template, _TOKEN_SLOT)


def personalise(body: str, url_template: str, token: str) -> str:
    """``body`` with the build's placeholder unsubscribe URL replaced by this recipient's own."""
    slot, own = link_slot(url_template), unsubscribe_link(url_template, token)
    return body.replace(slot.replace("&", "&amp;"), own.replace("&", "&amp;")).replace(slot, own)


# --- messages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Envelope:
    """Everything that becomes a header. Text fields may hold anything: they are cleaned here."""

    subject: str
    from_address: str
    from_name: str
    date: datetime
    message_id: str  # with angle brackets
    list_id: str  # dot-atom, e.g. digest.example.org
    list_name: str = ""
    to_address: str = ""  # empty: no To header (the file the build writes)
    to_name: str = ""
    unsubscribe_url: str = ""  # https:// (one-click) or http://, already personal
    unsubscribe_mailto: str = ""  # an address, or a full mailto: URI


def mailto_uri(address: str) -> str:
    """The configured unsubscribe mailto as a URI: a bare address gets ``?subject=unsubscribe``."""
    if not address:
        return ""
    return address if address.startswith("mailto:") else f"mailto:{address}?subject=unsubscribe"


def unsubscribe_headers(url: str, mailto: str) -> list[tuple[str, str]]:
    """List-Unsubscribe, plus List-Unsubscribe-Post when there is an HTTPS URL (RFC 8058)."""
    targets = []
    if url.startswith(("https://", "http://")):
        targets.append(f"<{_uri(url)}>")
    if mailto:
        targets.append(f"<{_uri(mailto_uri(mailto))}>")
    if not targets:
        return []
    headers = [("List-Unsubscribe", ",\r\n ".join(targets))]
    if url.startswith("https://"):
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return headers


def _uri(uri: str) -> str:
    """A URI fit for angle brackets in a header: no blanks, controls, brackets or non-ASCII."""
    clean = clean_header_text(uri).replace(" ", "%20")
    return re.sub(r"[^\x21-\x7e]|[<>]", lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), clean)


def envelope_headers(envelope: Envelope) -> list[tuple[str, str]]:
    list_name = clean_header_text(envelope.list_name)
    headers = [
        ("From", format_address(envelope.from_name, envelope.from_address)),
        *([("To", format_address(envelope.to_name, envelope.to_address))] if envelope.to_address else []),
        ("Subject", encode_header_value(envelope.subject)),
        ("Date", email.utils.format_datetime(_aware(envelope.date))),
        ("Message-ID", "".join(clean_header_text(envelope.message_id).split())),
        ("MIME-Version", "1.0"),
        ("List-Id", (encode_header_value(list_name) + " " if list_name else "") + f"<{envelope.list_id}>"),
        *unsubscribe_headers(envelope.unsubscribe_url, envelope.unsubscribe_mailto),
    ]
    return headers


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def build_message(envelope: Envelope, text: str, html: str) -> bytes:
    """A complete multipart/alternative message (text first, HTML preferred), CRLF line ends."""
    text_part = _part("text/plain", "quoted-printable", _quoted_printable(text))
    html_part = _part("text/html", "base64", _base64_lines(html.encode("utf-8")))
    boundary = "=_digest_" + hashlib.sha256((text_part + html_part).encode("ascii")).hexdigest()[:24]
    headers = [
        *envelope_headers(envelope),
        ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'),
    ]
    block = "".join(f"{name}: {value}\r\n" for name, value in headers)
    if not header_block_ok(block):
        raise ValueError("refusing to write a message whose headers are malformed")
    body = (
        "This is a message in MIME format: a plain-text part and an HTML part.\r\n"
        f"\r\n--{boundary}\r\n{text_part}\r\n--{boundary}\r\n{html_part}\r\n--{boundary}--\r\n"
    )
    return (block + "\r\n" + body).encode("ascii")


def _part(content_type: str, encoding: str, payload: str) -> str:
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n{payload}"
    )


def _quoted_printable(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    encoded = quopri.encodestring("\n".join(lines).encode("utf-8"), quotetabs=False).decode("ascii")
    return "\r\n".join(encoded.split("\n"))


def _base64_lines(data: bytes) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return "\r\n".join(encoded[start : start + 76] for start in range(0, len(encoded), 76))


# --- reading the build's message back ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditionMessage:
    """What ``digest send`` takes from the build's ``edition.eml``."""

    subject: str
    text: str
    html: str


def read_edition_message(raw: bytes) -> EditionMessage | None:
    """The subject and both bodies of an ``edition.eml``; None when it is not one of ours."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage):
        return None
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    if text is None or html is None:
        return None
    return EditionMessage(str(message["subject"] or ""), _content(text), _content(html))


def _content(part: object) -> str:
    """A part's text with plain newlines (MIME text travels with CRLF)."""
    content = part.get_content() if isinstance(part, EmailMessage) else ""
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""
