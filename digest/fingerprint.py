"""Digests of values and of this program: what the store keys derived results by, and what a page's
key (``render/keys.py``) is made of. Pure: no store, no clock."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).parent


@functools.cache
def code_fingerprint() -> str:
    """A digest of the package's code and word lists: a new version never reuses an old result."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        hasher.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def digest_of(*parts: Any) -> str:
    """A digest of the values of ``parts`` (records, tuples, strings, numbers, datetimes)."""
    hasher = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        _digest_into(hasher, part)
    return hasher.hexdigest()


def _digest_into(hasher: Any, value: Any) -> None:
    """Strings and bytes as they are, records field by field, each prefixed by its kind and size;
    anything else by its repr. Not repr throughout: it escapes every character of every text (three
    times the cost of hashing it); not pickle: its bytes depend on which equal strings are one object."""
    if isinstance(value, str):
        _sized(hasher, b"s", value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, bytes):
        _sized(hasher, b"b", value)
    elif isinstance(value, tuple | list):
        hasher.update(b"(%d:" % len(value))
        for item in value:
            _digest_into(hasher, item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        hasher.update(type(value).__name__.encode() + b"{")
        for field in dataclasses.fields(value):
            _digest_into(hasher, getattr(value, field.name))
    else:
        _sized(hasher, b"r", repr(value).encode("utf-8", "surrogatepass"))


def _sized(hasher: Any, kind: bytes, data: bytes) -> None:
    hasher.update(kind + b"%d:" % len(data))
    hasher.update(data)
