"""The fetch stage's pure parts: streaming decoders, Retry-After, and the backend's address choice.

Nothing here opens a connection; ``permitted_addresses`` resolves "localhost" from the hosts file
and must refuse it before any socket exists.
"""

from __future__ import annotations

import gzip
import zlib
from datetime import UTC, datetime

import brotli
import httpx
import pytest

from digest.fetch import (
    PIECE_BYTES,
    AddressRefused,
    GuardedBackend,
    Stop,
    content_encodings,
    decoded,
    retry_after_s,
)

TO_2100 = (datetime(2100, 1, 1, tzinfo=UTC) - datetime(2026, 11, 22, 12, tzinfo=UTC)).total_seconds()
TEXT = b"The regulator published its first code of practice on intimate-image abuse. " * 2000


def in_chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encodings", "encoded"),
    [
        (["gzip"], gzip.compress(TEXT)),
        (["deflate"], zlib.compress(TEXT)),
        (["deflate"], raw_deflate(TEXT)),
        (["br"], brotli.compress(TEXT)),
        (["gzip", "br"], brotli.compress(gzip.compress(TEXT))),
        (["gzip"], gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:])),  # two gzip members
        ([], TEXT),
    ],
)
def test_decoders_restore_the_body(encodings: list[str], encoded: bytes) -> None:
    assert b"".join(decoded(in_chunks(encoded), encodings)) == TEXT


@pytest.mark.parametrize(("encoding", "compress"), [("gzip", gzip.compress), ("br", brotli.compress)])
def test_decoders_never_produce_a_big_piece_at_once(encoding: str, compress: object) -> None:
    bomb = compress(bytes(5_000_000))  # type: ignore[operator]
    sizes = [len(piece) for piece in decoded([bomb], [encoding])]
    assert sum(sizes) == 5_000_000
    assert max(sizes) <= 2 * PIECE_BYTES  # brotli rounds its output limit up a little


def test_content_encodings() -> None:
    assert content_encodings(httpx.Headers({"Content-Encoding": "GZIP"})) == ["gzip"]
    assert content_encodings(httpx.Headers({"Content-Encoding": "identity"})) == []
    assert content_encodings(httpx.Headers([("Content-Encoding", "gzip"), ("Content-Encoding", "br")])) == [
        "gzip",
        "br",
    ]
    with pytest.raises(Stop) as stop:
        content_encodings(httpx.Headers({"Content-Encoding": "zstd"}))
    assert stop.value.reason == "bad_encoding"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "0"}, 0.0),
        ({"Retry-After": "Sun, 22 Nov 2026 12:01:00 GMT", "Date": "Sun, 22 Nov 2026 12:00:00 GMT"}, 60.0),
        ({"Retry-After": "Sun, 22 Nov 2026 11:00:00 GMT", "Date": "Sun, 22 Nov 2026 12:00:00 GMT"}, 0.0),
        ({"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT", "Date": "Sun, 22 Nov 2026 12:00:00 GMT"}, TO_2100),
        ({"Retry-After": "Fri, 01 Jan 2100 00:00:00 GMT"}, None),  # no Date to measure against
        ({"Retry-After": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert retry_after_s(httpx.Headers(headers)) == expected


def test_backend_refuses_a_name_that_resolves_to_loopback() -> None:
    with pytest.raises(AddressRefused, match="loopback"):
        GuardedBackend(False).permitted_addresses("localhost", 8080)


def test_backend_allow_list_matches_host_or_address_and_port_only() -> None:
    backend = GuardedBackend(("LocalHost:8080", "127.0.0.1:9000"))
    assert backend.allows("localhost", "127.0.0.1", 8080)
    assert backend.allows("anything.test", "127.0.0.1", 9000)
    assert not backend.allows("localhost", "127.0.0.1", 8081)
    assert GuardedBackend(True).allows("localhost", "127.0.0.1", 1)
    assert not GuardedBackend(False).allows("localhost", "127.0.0.1", 8080)
