"""The subscriber list: a CSV file with a header row naming at least ``email`` (optionally ``name``).

Reading is forgiving: a row that is malformed (wrong number of fields, an unusable address, a
repeat of an earlier address) becomes a ``Problem`` naming ``<file>:<line>`` and is skipped; only
a file that cannot be used at all (missing, no ``email`` column) raises ``SendError``.

Addresses are checked by a deliberately narrow rule, because every address ends up in an SMTP
command and a header: an ASCII dot-atom local part (no quoted local parts, no comments), ``@``,
and a DNS host name of at least two labels (an internationalised domain is turned into its
``xn--`` form). Anything else is refused rather than guessed at.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from digest.errors import SendError
from digest.records import Problem

log = logging.getLogger(__name__)

MAX_ADDRESS = 254  # RFC 5321 path limit minus the angle brackets
MAX_LOCAL = 64
MAX_NAME = 100  # longer display names are cut: they only ever appear in a To header
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TOP_LABEL = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str  # validated; the domain lower-cased and in ASCII form
    name: str = ""
    line: int = 0  # where it was read, for messages


def check_address(text: str) -> str | None:
    """``text`` as a deliverable address in canonical form, or None when it is not one."""
    address = text.strip()
    if address.count("@") != 1 or len(address) > MAX_ADDRESS:
        return None
    local, domain = address.split("@")
    if len(local) > MAX_LOCAL or not _LOCAL_PART.match(local):
        return None
    ascii_domain = _ascii_domain(domain)
    if ascii_domain is None:
        return None
    return f"{local}@{ascii_domain}"


def _ascii_domain(domain: str) -> str | None:
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or len(ascii_domain) > 253:
        return None
    if not all(_LABEL.match(label) for label in labels) or not _TOP_LABEL.match(labels[-1]):
        return None
    return ascii_domain


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[Problem]]:
    """The usable subscribers of ``path`` in file order, and a problem for each row left out."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SendError(f"{path}: cannot read the subscriber list: {exc.strerror}") from None
    # Undecodable bytes become U+FFFD: the row then fails the address check and is reported.
    text = raw.decode("utf-8-sig", errors="replace")
    return parse_subscribers(text, str(path))


def parse_subscribers(text: str, where: str) -> tuple[list[Subscriber], list[Problem]]:
    rows = _numbered_rows(text, where)
    if not rows or isinstance(rows[0][1], Problem):
        raise SendError(f"{where}: no header row (it must name an 'email' column)")
    header = [cell.strip().lower() for cell in rows[0][1]]
    if "email" not in header:
        raise SendError(f"{where}: the header row has no 'email' column (found: {', '.join(header)})")
    subscribers: list[Subscriber] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in rows[1:]:
        outcome = row if isinstance(row, Problem) else _subscriber(row, header, f"{where}:{line}", line)
        if isinstance(outcome, Subscriber) and outcome.email.lower() in seen:
            first = seen[outcome.email.lower()]
            outcome = Problem(f"{where}:{line}", "duplicate_address", f"already listed on line {first}")
        if isinstance(outcome, Problem):
            problems.append(outcome)
            continue
        seen[outcome.email.lower()] = line
        subscribers.append(outcome)
    return subscribers, problems


def _numbered_rows(text: str, where: str) -> list[tuple[int, list[str] | Problem]]:
    """Each non-blank line as a record with its line number; a line csv cannot read is a Problem.

    Lines are read one at a time on purpose: a stray quote then spoils its own line only, instead
    of swallowing every row after it into one field (no column of this file may span lines)."""
    rows: list[tuple[int, list[str] | Problem]] = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        try:
            rows.append((number, next(csv.reader([line], strict=True))))
        except csv.Error as exc:
            rows.append((number, Problem(f"{where}:{number}", "malformed_row", str(exc))))
    return rows


def _subscriber(row: list[str], header: list[str], where: str, line: int) -> Subscriber | Problem:
    if len(row) != len(header):
        return Problem(where, "malformed_row", f"{len(row)} fields where the header has {len(header)}")
    cells = dict(zip(header, row, strict=True))
    raw_address = cells["email"].strip()
    address = check_address(raw_address)
    if address is None:
        shown = raw_address[:80].encode("ascii", "backslashreplace").decode("ascii")
        return Problem(where, "invalid_address", f"not a usable email address: {shown!r}")
    return Subscriber(address, _clean_name(cells.get("name", "")), line)


def _clean_name(name: str) -> str:
    """One line, no control characters: a name only ever appears in a To header."""
    printable = "".join(" " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in name)
    return " ".join(printable.split())[:MAX_NAME]
