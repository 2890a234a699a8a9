"""URL canonicalisation and the address / scheme checks that guard fetching (pure: nothing connects)."""

from __future__ import annotations

import ipaddress
import tomllib

import pytest

from digest import urls
from digest.urls import address_refusal, canonical_url, scheme_refusal

# (as linked, base, canonical)
CANONICAL = [
    ("HTTP://Example.COM/Path", None, "http://example.com/Path"),  # path case is meaningful: kept
    ("https://example.com:443/a", None, "https://example.com/a"),
    ("http://example.com:80/a", None, "http://example.com/a"),
    ("https://example.com:8443/a", None, "https://example.com:8443/a"),
    ("https://example.com", None, "https://example.com/"),
    ("https://example.com/a#comments", None, "https://example.com/a"),
    ("https://example.com/a?utm_source=x&utm_medium=email", None, "https://example.com/a"),
    ("https://example.com/a?id=7&fbclid=abc&page=2", None, "https://example.com/a?id=7&page=2"),
    ("https://example.com/a?page=2&id=7&gclid=1", None, "https://example.com/a?page=2&id=7"),  # order kept
    ("https://example.com/a?UTM_Campaign=x&q=online+safety", None, "https://example.com/a?q=online+safety"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&CMP=share_btn_url", None, "https://example.com/a"),
    ("https://example.com/a?q=%2Fx%20y&flag", None, "https://example.com/a?q=%2Fx%20y&flag"),  # verbatim
    ("https://example.com/a?ref=front&source=rss", None, "https://example.com/a?ref=front&source=rss"),
    (
        "/news/2026/ofcom-fine?utm_source=rss",
        "https://Example.org/feed/",
        "https://example.org/news/2026/ofcom-fine",
    ),
    ("story.html", "https://example.org/news/index.xml", "https://example.org/news/story.html"),
    ("//cdn.example.net/x", "https://example.org/", "https://cdn.example.net/x"),
    ("https://bücher.example/x", None, "https://xn--bcher-kva.example/x"),
    ("https://[2001:DB8::1]:443/x", None, "https://[2001:db8::1]/x"),
    ("  https://example.com/a  ", None, "https://example.com/a"),
]


@pytest.mark.parametrize(("linked", "base", "expected"), CANONICAL)
def test_canonical_url(linked: str, base: str | None, expected: str) -> None:
    assert canonical_url(linked, base) == expected


def test_canonical_url_is_idempotent() -> None:
    for linked, base, _ in CANONICAL:
        once = canonical_url(linked, base)
        assert canonical_url(once) == once


def test_unparseable_url_comes_back_unchanged() -> None:
    assert canonical_url("http://example.com:notaport/x") == "http://example.com:notaport/x"


ADDRESSES = [
    ("127.0.0.1", "loopback"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("169.254.1.1", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("224.0.0.1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fe80::1", "link-local"),
    ("fc00::1", "private"),
    ("fd00:ec2::254", "metadata"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "metadata"),
    ("::ffff:10.0.0.1", "private"),
    ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 of 169.254.169.254
    ("64:ff9b::7f00:1", "loopback"),
    ("2002:a9fe:a9fe::1", "metadata"),  # 6to4 of 169.254.169.254
    ("2001:db8::1", "reserved"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"),  # Teredo
    ("93.184.216.34", None),
    ("8.8.8.8", None),
    ("2606:4700::1", None),
    ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8: public
]


@pytest.mark.parametrize(("address", "expected"), ADDRESSES)
def test_address_refusal(address: str, expected: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == expected


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://example.com/feed", False),
        ("HTTP://example.com/feed", False),
        ("file:///etc/passwd", True),
        ("ftp://example.com/x", True),
        ("gopher://example.com/", True),
        ("javascript:alert(1)", True),
        ("/relative/path", True),
        ("http:///no-host", True),
    ],
)
def test_scheme_refusal(url: str, refused: bool) -> None:
    assert (scheme_refusal(url) is not None) == refused


def test_tracking_lexicon_is_valid_and_lowercase() -> None:
    raw = tomllib.loads(urls.TRACKING_LEXICON.read_text(encoding="utf-8"))
    params = urls.tracking_params()
    assert set(raw) == {"names", "prefixes"}
    assert params.names == frozenset(raw["names"]) and "fbclid" in params.names
    assert "utm_" in params.prefixes
    for generic in ("ref", "source", "id", "page", "q"):  # names that select content must stay
        assert not urls.is_tracking(generic)


def test_invalid_lexicon_words_are_rejected() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        urls._lowercase_words(["Fbclid"], "names")
    with pytest.raises(ValueError, match="non-empty strings"):
        urls._lowercase_words(["", "x"], "names")
