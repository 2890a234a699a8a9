"""The operator's ``digest.toml``, read into frozen dataclasses and validated in one pass.

Every unknown key and every wrong type is reported by its dotted path (``fetch.timeout_s``,
``feeds[3].url``) and all of them are reported together in one ``ConfigError``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from digest.errors import ConfigError
from digest.records import FeedSource


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str = "Online Abuse Policy Digest"
    base_url: str = "http://127.0.0.1:8000/"
    description: str = "The week's news on online-abuse policy: laws, regulators, courts and platforms."
    language: str = "en"
    about: str = ""  # path to the operator's about page in Markdown, relative to the config
    templates: str = ""  # operator's template folder, searched before the bundled one
    curation: str = ""  # path to curation.toml, relative to the config
    # The home page shows the latest edition's leading stories, in rank order, and links the rest:
    # a week of 1,000 stories made a 2 MB home page. 0 shows every story.
    home_max_stories: int = 50


@dataclass(frozen=True, slots=True)
class FetchConfig:
    # Feeds are fetched this many at a time; pages at most 16 per worker (CPU-bound past that). Measured
    # on the 500-feed farm with both cores busy: 64 threads cost this process twice the CPU of 48.
    concurrency: int = 48
    timeout_s: float = 20.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    max_items_per_feed: int = 200
    user_agent: str = "online-abuse-digest/0.1 (+https://example.org/digest)"
    # False: refuse loopback/private/link-local; True: allow all; list: allow these host:port
    allow_private_hosts: bool | tuple[str, ...] = False
    retry_after_max_s: float = 30.0


@dataclass(frozen=True, slots=True)
class StoreConfig:
    path: str = ".digest/digest.sqlite"


@dataclass(frozen=True, slots=True)
class BuildConfig:
    budget_s: float = 900.0  # wall-clock budget for one build
    workers: int = 2  # processes for extraction, relevance, cluster traits and stories


@dataclass(frozen=True, slots=True)
class EditionsConfig:
    period: str = "week"  # week | day | month
    max_age_days: int = 60  # items older than this when first seen are never shown


@dataclass(frozen=True, slots=True)
class EmailConfig:
    from_address: str = ""
    from_name: str = ""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    security: str = "starttls"  # starttls | tls | none
    username_env: str = ""
    password_env: str = ""
    unsubscribe_url: str = ""  # with a {token} placeholder
    unsubscribe_mailto: str = ""
    list_id: str = ""
    rate_per_minute: int = 60  # 0: no limit
    token_secret_env: str = ""  # names the environment variable holding the unsubscribe-token secret
    # The e-mail carries an edition's leading stories (its rank order: editor's picks, then the most
    # covered); the rest are a link away. Mail clients clip long messages. 0: every story.
    max_stories: int = 30


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the file it was read from ("" for defaults)
    site: SiteConfig = field(default_factory=SiteConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    build: BuildConfig = field(default_factory=BuildConfig)
    editions: EditionsConfig = field(default_factory=EditionsConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    feeds: tuple[FeedSource, ...] = ()

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's folder."""
        candidate = Path(relative)
        return candidate if candidate.is_absolute() else self.path.parent / candidate


_SECTIONS: dict[str, type] = {
    "site": SiteConfig,
    "fetch": FetchConfig,
    "store": StoreConfig,
    "build": BuildConfig,
    "editions": EditionsConfig,
    "email": EmailConfig,
}
_CHOICES: dict[str, tuple[str, ...]] = {
    "editions.period": ("week", "day", "month"),
    "email.security": ("starttls", "tls", "none"),
}
_FEED_KEYS = {"url": str, "name": str, "tags": list, "jurisdiction": str}


def load_config(path: Path) -> Config:
    """Read and validate ``path``; raise ``ConfigError`` listing every problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return config_from_dict(raw, path)


def config_from_dict(raw: dict[str, Any], path: Path) -> Config:
    errors: list[str] = []
    sections: dict[str, Any] = {}
    for key in sorted(set(raw) - set(_SECTIONS) - {"feeds"}):
        errors.append(f"{key}: unknown key")
    for name, cls in _SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            errors.append(f"{name}: expected a table")
            continue
        sections[name] = _build_section(name, cls, table, errors)
    feeds = _build_feeds(raw.get("feeds", []), errors)
    if errors:
        raise ConfigError(f"{path}: " + "; ".join(errors), problems=tuple(errors))
    return Config(path=path, feeds=feeds, **sections)


def _build_section(name: str, cls: type, table: dict[str, Any], errors: list[str]) -> Any:
    defaults = cls()
    values: dict[str, Any] = {}
    known = {f.name: f for f in fields(cls)}
    for key, value in table.items():
        dotted = f"{name}.{key}"
        if key not in known:
            errors.append(f"{dotted}: unknown key")
            continue
        checked = _check_value(dotted, value, getattr(defaults, key), errors)
        if checked is not None:
            values[key] = checked
    return cls(**values)


def _check_value(dotted: str, value: Any, default: Any, errors: list[str]) -> Any:
    if dotted == "fetch.allow_private_hosts":
        return _check_allow_private(dotted, value, errors)
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        errors.append(f"{dotted}: expected {expected.__name__}, got {type(value).__name__}")
        return None
    if expected in (int, float) and value < 0:
        errors.append(f"{dotted}: must not be negative")
        return None
    choices = _CHOICES.get(dotted)
    if choices and value not in choices:
        errors.append(f"{dotted}: expected one of {', '.join(choices)}, got {value!r}")
        return None
    return value


def _check_allow_private(dotted: str, value: Any, errors: list[str]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, list) and all(isinstance(v, str) and ":" in v for v in value):
        return tuple(value)
    errors.append(f"{dotted}: expected true, false or a list of 'host:port' strings")
    return None


def _build_feeds(raw_feeds: Any, errors: list[str]) -> tuple[FeedSource, ...]:
    if not isinstance(raw_feeds, list):
        errors.append("feeds: expected an array of tables ([[feeds]])")
        return ()
    feeds: list[FeedSource] = []
    seen: set[str] = set()
    for index, table in enumerate(raw_feeds):
        feed = _build_feed(f"feeds[{index}]", table, errors)
        if feed is None:
            continue
        if feed.url in seen:
            errors.append(f"feeds[{index}].url: duplicate feed {feed.url}")
            continue
        seen.add(feed.url)
        feeds.append(feed)
    return tuple(feeds)


def _build_feed(where: str, table: Any, errors: list[str]) -> FeedSource | None:
    if not isinstance(table, dict):
        errors.append(f"{where}: expected a table")
        return None
    before = len(errors)
    for key, value in table.items():
        expected = _FEED_KEYS.get(key)
        if expected is None:
            errors.append(f"{where}.{key}: unknown key")
        elif not isinstance(value, expected):
            errors.append(f"{where}.{key}: expected {expected.__name__}, got {type(value).__name__}")
        elif key == "tags" and not all(isinstance(t, str) for t in value):
            errors.append(f"{where}.tags: expected a list of strings")
    url = table.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        errors.append(f"{where}.url: required, an http:// or https:// URL")
    if len(errors) > before:
        return None
    return FeedSource(
        url=table["url"],
        name=table.get("name") or table["url"],
        tags=tuple(table.get("tags", ())),
        jurisdiction=table.get("jurisdiction"),
    )
