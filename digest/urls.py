"""URLs and addresses: canonical article URLs, and which schemes and IP addresses we refuse to fetch.

``canonical_url`` makes one key per article however it was linked (tracking parameters, default
ports, fragments and letter case removed). ``address_refusal`` is the server-side request forgery
guard: the fetch stage calls it on every address it is about to connect to.
"""

from __future__ import annotations

import ipaddress
import logging
import tomllib
from functools import cache
from pathlib import Path
from typing import NamedTuple
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
FETCHABLE_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_LEXICON = Path(__file__).parent / "lexicon" / "tracking.toml"


class TrackingParams(NamedTuple):
    names: frozenset[str]
    prefixes: tuple[str, ...]


# --- canonical URLs ----------------------------------------------------------------------


def canonical_url(url: str, base: str | None = None) -> str:
    """``url`` resolved against ``base``, with one spelling per page and no tracking parameters.

    Lowercases scheme and host, drops the default port, the fragment and every tracking parameter
    (``lexicon/tracking.toml``); keeps the remaining query parameters in their order, byte for byte.
    A string that does not parse as a URL is returned stripped but otherwise unchanged.
    """
    joined = url.strip()
    try:
        joined = urljoin(base, joined) if base else joined  # urljoin raises on "http://[::1" too
        parts = urlsplit(joined)
        netloc = _canonical_netloc(parts)
    except ValueError:
        return joined
    path = parts.path or ("/" if parts.scheme in DEFAULT_PORTS and netloc else "")
    return urlunsplit((parts.scheme.lower(), netloc, path, strip_tracking(parts.query), ""))


def strip_tracking(query: str) -> str:
    """``query`` without its tracking parameters; the others keep their order and spelling."""
    kept = [pair for pair in query.split("&") if pair and not is_tracking(pair.split("=", 1)[0])]
    return "&".join(kept)


def is_tracking(name: str) -> bool:
    lowered = name.lower()
    params = tracking_params()
    return lowered in params.names or lowered.startswith(params.prefixes)


def _canonical_netloc(parts: SplitResult) -> str:
    host = parts.hostname or ""  # urlsplit lowercases it
    if not host:
        return parts.netloc
    host = _ascii_host(host)
    if ":" in host:
        host = f"[{host}]"
    port = parts.port  # raises ValueError for a port that is not a number
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    if port is not None and port != DEFAULT_PORTS.get(parts.scheme.lower()):
        netloc += f":{port}"
    return netloc


def _ascii_host(host: str) -> str:
    """The IDNA (punycode) spelling of an international host name, so both spellings match."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@cache
def tracking_params() -> TrackingParams:
    """The tracking-parameter lexicon, read once and validated."""
    raw = tomllib.loads(TRACKING_LEXICON.read_text(encoding="utf-8"))
    unknown = sorted(set(raw) - {"names", "prefixes"})
    if unknown:
        raise ValueError(f"lexicon/tracking.toml: unknown keys {unknown}")
    names = _lowercase_words(raw.get("names"), "names")
    prefixes = _lowercase_words(raw.get("prefixes"), "prefixes")
    return TrackingParams(frozenset(names), tuple(prefixes))


def _lowercase_words(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(word, str) and word for word in value):
        raise ValueError(f"lexicon/tracking.toml: {key} must be a list of non-empty strings")
    if any(word != word.lower() for word in value):
        raise ValueError(f"lexicon/tracking.toml: {key} must be lowercase (matching ignores case)")
    return value


# --- what we refuse to fetch ---------------------------------------------------------------


def scheme_refusal(url: str) -> str | None:
    """None when ``url`` is an http(s) URL with a host; else why it is refused."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a valid URL"
    scheme = parts.scheme.lower()
    if scheme not in FETCHABLE_SCHEMES:
        return f"scheme {scheme!r} is not http or https" if scheme else "no scheme (not an absolute URL)"
    if not parts.hostname:
        return "no host"
    return None


# Checked in order; the first match names the refusal. Metadata endpoints come first so they are
# reported as what they are rather than as the link-local or private range they sit in.
_V4_REFUSED: tuple[tuple[str, str], ...] = (
    ("169.254.169.254/32", "metadata"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
    ("169.254.170.2/32", "metadata"),  # AWS ECS task metadata
    ("100.100.100.200/32", "metadata"),  # Alibaba Cloud
    ("168.63.129.16/32", "metadata"),  # Azure wire server: a public address, refused all the same
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("169.254.0.0/16", "link-local"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", "reserved"),  # documentation
    ("198.51.100.0/24", "reserved"),  # documentation
    ("203.0.113.0/24", "reserved"),  # documentation
    ("198.18.0.0/15", "reserved"),  # benchmarking
    ("192.88.99.0/24", "reserved"),  # 6to4 relay anycast
)
_V6_REFUSED: tuple[tuple[str, str], ...] = (
    ("fd00:ec2::254/128", "metadata"),  # AWS over IPv6
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fe80::/10", "link-local"),
    ("fc00::/7", "private"),  # unique local addresses
    ("fec0::/10", "private"),  # deprecated site-local
    ("ff00::/8", "multicast"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64
    ("2001::/32", "reserved"),  # Teredo: the IPv4 end is obfuscated, so it cannot be checked
    ("2001:db8::/32", "reserved"),  # documentation
    ("100::/64", "reserved"),  # discard
    ("::/96", "reserved"),  # deprecated IPv4-compatible addresses
)
_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@cache
def _refused_networks() -> tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...]:
    return tuple((ipaddress.ip_network(cidr), reason) for cidr, reason in _V4_REFUSED + _V6_REFUSED)


def address_refusal(ip: IPAddress) -> str | None:
    """None when ``ip`` is a public address; else a short reason it must not be fetched from.

    IPv6 forms that carry an IPv4 address (IPv4-mapped, 6to4, NAT64) are judged by that address,
    so ``::ffff:127.0.0.1`` is refused as loopback.
    """
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        return address_refusal(embedded)
    for network, reason in _refused_networks():
        if ip.version == network.version and ip in network:
            return reason
    if isinstance(ip, ipaddress.IPv6Address) and ip not in _V6_GLOBAL_UNICAST:
        return "reserved"  # everything outside 2000::/3 is unassigned or special-purpose
    if isinstance(ip, ipaddress.IPv4Address) and not ip.is_global:
        return "reserved"
    return None


def embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 IPv6 address stands for; else None."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None
