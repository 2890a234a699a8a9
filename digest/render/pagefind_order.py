"""Pagefind's bundle made byte-stable: filter values sorted, the files they change renamed by content.

Pagefind 1.5.2 lists each filter's values in a per-process random hash order, so two runs over the same
pages differ in ``filter/*.pf_filter``, in the ``pf_meta`` file that names them and in
``pagefind-entry.json`` that names the meta file (every other file is stable; measured over the demo
and the fixture site). This module rewrites those three kinds of file in a fixed order:

- a filter file is gzip(``pagefind_dcd`` + CBOR ``[name, [[value, [page, ...]], ...]]``): its values
  are sorted and it is renamed ``<lang>_<first 7 hex of its sha256>``;
- the meta file (CBOR ``[version, pages, index chunks, [[filter, file hash], ...], sorts, fields]``),
  also in random order, gets the new hashes, its filters sorted by name, and is renamed
  ``<lang>_<first 10 hex of its sha256>``;
- ``pagefind-entry.json`` gets the new meta name.

Files are compressed again with a zero timestamp. Anything that does not have the expected shape is left
as Pagefind wrote it (search still works; only the byte-stability is lost) and logged.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

SIGNATURE = b"pagefind_dcd"
FILTER_FILE = re.compile(r"^(?P<folder>.*/filter/)(?P<hash>(?P<lang>[a-z-]+)_[0-9a-f]+)\.pf_filter$")
META_FILE = re.compile(r"^(?P<folder>.*/)pagefind\.(?P<hash>(?P<lang>[a-z-]+)_[0-9a-f]+)\.pf_meta$")
ENTRY_FILE = "pagefind-entry.json"
META_FILTERS = 3  # the meta file is [version, pages, index chunks, filters, sorts, meta fields]


class NotExpected(ValueError):
    """The bundle does not have the shape this module knows."""


def stable_bundle(files: dict[str, bytes]) -> dict[str, bytes]:
    """``files`` (path -> bytes) with filter values in a fixed order and names derived from content."""
    try:
        return _reordered(files)
    except (NotExpected, OSError, EOFError) as exc:
        log.warning("pagefind bundle left in pagefind's order (a rebuild may rewrite it): %s", exc)
        return files


def _reordered(files: dict[str, bytes]) -> dict[str, bytes]:
    result = dict(files)
    renamed: dict[str, str] = {}
    for path in sorted(files):
        match = FILTER_FILE.match(path)
        if match:
            payload = _sorted_filter(_unpack(files[path]))
            new_hash = _content_name(match, payload)
            renamed[match["hash"]] = new_hash
            del result[path]
            result[f"{match['folder']}{new_hash}.pf_filter"] = _pack(payload)
    for path in sorted(files):
        match = META_FILE.match(path)
        if match:
            _rename_meta(result, path, match, renamed)
    return result


def _rename_meta(result: dict[str, bytes], path: str, match: re.Match[str], renamed: dict[str, str]) -> None:
    payload = _sorted_meta(_unpack(result.pop(path)), renamed, path)
    new_hash = _content_name(match, payload)
    result[f"{match['folder']}pagefind.{new_hash}.pf_meta"] = _pack(payload)
    entry_path = f"{match['folder']}{ENTRY_FILE}"
    entry = result.get(entry_path, b"")
    if entry.count(f'"{match["hash"]}"'.encode()) != 1:
        raise NotExpected(f"{entry_path}: does not name {match['hash']} exactly once")
    result[entry_path] = entry.replace(f'"{match["hash"]}"'.encode(), f'"{new_hash}"'.encode())


def _sorted_meta(payload: bytes, renamed: dict[str, str], path: str) -> bytes:
    """The meta file with its ``[filter name, file hash]`` list renamed and sorted by filter name."""
    meta, end = decode_cbor(payload, 0)
    if end != len(payload) or encode_cbor(meta) != payload:
        raise NotExpected(f"{path}: not the CBOR this module can rewrite")
    filters = meta[META_FILTERS] if isinstance(meta, list) and len(meta) > META_FILTERS else None
    if not isinstance(filters, list) or sorted(pair[1] for pair in filters) != sorted(renamed):
        raise NotExpected(f"{path}: item {META_FILTERS} is not the list of filter files")
    meta[META_FILTERS] = sorted([name, renamed[old]] for name, old in filters)
    return encode_cbor(meta)


def _content_name(match: re.Match[str], payload: bytes) -> str:
    """``<lang>_<hex>`` as long as Pagefind's own name, the hex from the payload's sha256."""
    digits = len(match["hash"]) - len(match["lang"]) - 1
    return f"{match['lang']}_{hashlib.sha256(payload).hexdigest()[:digits]}"


def _unpack(compressed: bytes) -> bytes:
    data = gzip.decompress(compressed)
    if not data.startswith(SIGNATURE):
        raise NotExpected("a pagefind file without its signature")
    return data[len(SIGNATURE) :]


def _pack(payload: bytes) -> bytes:
    return gzip.compress(SIGNATURE + payload, compresslevel=9, mtime=0)


def _sorted_filter(payload: bytes) -> bytes:
    value, end = decode_cbor(payload, 0)
    if end != len(payload) or not (
        isinstance(value, list) and len(value) == 2 and isinstance(value[1], list)
    ):
        raise NotExpected("a filter file that is not [name, [[value, pages], ...]]")
    name, values = value
    return encode_cbor([name, sorted(values, key=repr)])  # repr: a total order whatever the value types


# --- the subset of CBOR (RFC 8949) these files use: unsigned ints, strings, arrays ------------------


def decode_cbor(data: bytes, at: int) -> tuple[Any, int]:
    """The item starting at ``data[at]`` and the offset after it."""
    if at >= len(data):
        raise NotExpected("CBOR ends early")
    major, argument, at = _head(data, at)
    if major == 0:
        return argument, at
    if major in (2, 3):
        raw = data[at : at + argument]
        if len(raw) != argument:
            raise NotExpected("CBOR string ends early")
        return (raw if major == 2 else raw.decode("utf-8")), at + argument
    if major == 4:
        items = []
        for _ in range(argument):
            item, at = decode_cbor(data, at)
            items.append(item)
        return items, at
    raise NotExpected(f"CBOR major type {major} is not expected here")


def _head(data: bytes, at: int) -> tuple[int, int, int]:
    major, info = data[at] >> 5, data[at] & 0x1F
    if info < 24:
        return major, info, at + 1
    if info > 27:
        raise NotExpected("CBOR indefinite length is not expected")
    size = 1 << (info - 24)
    return major, int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def encode_cbor(value: Any) -> bytes:
    encoders: dict[type, Callable[[Any], bytes]] = {
        int: lambda number: _encode_head(0, number),
        bytes: lambda raw: _encode_head(2, len(raw)) + raw,
        str: lambda text: _encode_head(3, len(text.encode("utf-8"))) + text.encode("utf-8"),
        list: lambda items: _encode_head(4, len(items)) + b"".join(encode_cbor(item) for item in items),
    }
    encoder = encoders.get(type(value))
    if encoder is None or (isinstance(value, int) and value < 0):
        raise NotExpected(f"cannot encode {type(value).__name__} as CBOR here")
    return encoder(value)


def _encode_head(major: int, argument: int) -> bytes:
    if argument < 24:
        return bytes([major << 5 | argument])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if argument < 1 << (8 * size):
            return bytes([major << 5 | info]) + argument.to_bytes(size, "big")
    raise NotExpected("CBOR argument too large")
