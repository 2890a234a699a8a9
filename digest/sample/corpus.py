"""The bundled sample corpus: invented outlets and the articles they publish, read from package data.

``outlets.toml`` describes the seven outlets (feed format, addresses, page layout); each
``articles/<id>.toml`` is one article. Both are read through ``importlib.resources`` so the
demo works from an installed wheel, validated in one pass (every problem, each naming its
file), and returned sorted so every rendering of the corpus is byte-identical.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

log = logging.getLogger(__name__)

FEED_FORMATS = ("rss20-summary", "rss20-content", "atom10-base", "atom10-entry", "rss10", "jsonfeed11")
LAYOUTS = ("article", "divsoup", "jsonld", "opengraph", "microdata", "tabloid", "blog")
COMMENT_STYLES = ("wordpress", "disqus", "inline")

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


class CorpusError(ValueError):
    """The bundled corpus is broken: a bug in the package data, so it stops the demo.

    ``problems`` lists every finding as ``file: what is wrong``.
    """

    def __init__(self, problems: tuple[str, ...]) -> None:
        super().__init__("sample corpus is invalid: " + "; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Outlet:
    id: str
    name: str
    tagline: str
    homepage: str  # absolute path on the sample server, e.g. /harbour/
    feed_format: str  # one of FEED_FORMATS
    feed_path: str
    article_path: str  # with an {id} placeholder
    link_query: str  # appended to article links in the feed ("" for none)
    layout: str  # one of LAYOUTS: which page template renders its articles
    comments: str  # one of COMMENT_STYLES
    accent: str  # CSS colour of the outlet's masthead
    sections: tuple[str, ...]  # navigation labels

    def path_of(self, article_id: str) -> str:
        return self.article_path.format(id=article_id)


@dataclass(frozen=True, slots=True)
class Comment:
    author: str
    text: str


@dataclass(frozen=True, slots=True)
class SampleArticle:
    id: str  # the file stem
    outlet: str  # Outlet.id
    title: str
    author: str
    hours_ago: int  # published this many hours before the build clock
    summary: str  # the feed description
    paragraphs: tuple[str, ...]
    caption: str = ""
    promo: str = ""
    related: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()

    def published(self, now: datetime) -> datetime:
        return now - timedelta(hours=self.hours_ago)


@dataclass(frozen=True, slots=True)
class Corpus:
    outlets: tuple[Outlet, ...]  # sorted by id
    articles: tuple[SampleArticle, ...]  # sorted by (outlet, hours_ago, id): each outlet's newest first

    def outlet(self, outlet_id: str) -> Outlet:
        return next(outlet for outlet in self.outlets if outlet.id == outlet_id)

    def articles_of(self, outlet_id: str) -> tuple[SampleArticle, ...]:
        return tuple(article for article in self.articles if article.outlet == outlet_id)


_OUTLET_KEYS: dict[str, type] = {
    "name": str,
    "tagline": str,
    "homepage": str,
    "feed_format": str,
    "feed_path": str,
    "article_path": str,
    "layout": str,
    "comments": str,
    "accent": str,
    "sections": list,
}
_OUTLET_OPTIONAL: dict[str, type] = {"link_query": str}
_ARTICLE_REQUIRED: dict[str, type] = {
    "id": str,
    "outlet": str,
    "title": str,
    "author": str,
    "hours_ago": int,
    "summary": str,
    "body": str,
}
_ARTICLE_OPTIONAL: dict[str, type] = {"caption": str, "promo": str, "related": list, "comments": list}
_CHOICES = {"feed_format": FEED_FORMATS, "layout": LAYOUTS, "comments": COMMENT_STYLES}


def load_corpus(root: Traversable | None = None) -> Corpus:
    """Read and validate the corpus under ``root`` (default: the bundled ``digest.sample``)."""
    folder = root if root is not None else files("digest.sample")
    problems: list[str] = []
    outlets = _read_outlets(folder.joinpath("outlets.toml"), problems)
    known = {outlet.id for outlet in outlets}
    articles = [
        article
        for source in _article_files(folder.joinpath("articles"))
        if (article := _read_article(source, known, problems)) is not None
    ]
    if problems:
        raise CorpusError(tuple(problems))
    articles.sort(key=lambda a: (a.outlet, a.hours_ago, a.id))
    log.debug("sample corpus: %d outlets, %d articles", len(outlets), len(articles))
    return Corpus(outlets=tuple(sorted(outlets, key=lambda o: o.id)), articles=tuple(articles))


def split_paragraphs(body: str) -> tuple[str, ...]:
    """Blank-line separated paragraphs, each with its wrapped lines joined by single spaces."""
    chunks = (" ".join(chunk.split()) for chunk in _PARAGRAPH_BREAK.split(body))
    return tuple(chunk for chunk in chunks if chunk)


def _article_files(folder: Traversable) -> list[Traversable]:
    if not folder.is_dir():
        return []
    return sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)


def _read_toml(source: Traversable, where: str, problems: list[str]) -> dict[str, Any] | None:
    try:
        return tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{where}: cannot read: {exc}")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{where}: not valid TOML: {exc}")
    return None


def _check_keys(
    where: str,
    table: dict[str, Any],
    required: dict[str, type],
    optional: dict[str, type],
    problems: list[str],
) -> bool:
    before = len(problems)
    for key in sorted(set(required) - set(table)):
        problems.append(f"{where}: missing field {key!r}")
    for key in sorted(table):
        expected = required.get(key) or optional.get(key)
        value = table[key]
        if expected is None:
            problems.append(f"{where}: unknown field {key!r}")
        elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(
                f"{where}: field {key!r} should be {expected.__name__}, not {type(value).__name__}"
            )
        elif isinstance(value, str) and key in required and not value.strip():
            problems.append(f"{where}: field {key!r} is empty")
    return len(problems) == before


# --- outlets ----------------------------------------------------------------------------------


def _read_outlets(source: Traversable, problems: list[str]) -> list[Outlet]:
    raw = _read_toml(source, "outlets.toml", problems)
    if raw is None:
        return []
    outlets = []
    for outlet_id, table in raw.items():
        outlet = _read_outlet(f"outlets.toml [{outlet_id}]", outlet_id, table, problems)
        if outlet is not None:
            outlets.append(outlet)
    return outlets


def _read_outlet(where: str, outlet_id: str, table: Any, problems: list[str]) -> Outlet | None:
    if not isinstance(table, dict):
        problems.append(f"{where}: expected a table")
        return None
    if not _check_keys(where, table, _OUTLET_KEYS, _OUTLET_OPTIONAL, problems):
        return None
    for key, choices in _CHOICES.items():
        if table[key] not in choices:
            problems.append(f"{where}: {key} {table[key]!r} is not one of {', '.join(choices)}")
            return None
    if "{id}" not in table["article_path"]:
        problems.append(f"{where}: article_path needs an {{id}} placeholder")
        return None
    sections = tuple(map(str, table["sections"]))
    return Outlet(id=outlet_id, **{"link_query": "", **table, "sections": sections})


# --- articles ---------------------------------------------------------------------------------


def _read_article(source: Traversable, outlets: set[str], problems: list[str]) -> SampleArticle | None:
    where = f"articles/{source.name}"
    table = _read_toml(source, where, problems)
    if table is None or not _check_keys(where, table, _ARTICLE_REQUIRED, _ARTICLE_OPTIONAL, problems):
        return None
    before = len(problems)
    stem = source.name.removesuffix(".toml")
    if table["id"] != stem:
        problems.append(f"{where}: id {table['id']!r} differs from the file name {stem!r}")
    if table["outlet"] not in outlets:
        problems.append(f"{where}: unknown outlet {table['outlet']!r} (known: {', '.join(sorted(outlets))})")
    if table["hours_ago"] < 0:
        problems.append(f"{where}: hours_ago must not be negative")
    related = _strings(where, "related", table.get("related", []), problems)
    comments = _comments(where, table.get("comments", []), problems)
    if len(problems) > before:
        return None
    return SampleArticle(
        id=stem,
        outlet=table["outlet"],
        title=table["title"].strip(),
        author=table["author"].strip(),
        hours_ago=table["hours_ago"],
        summary=" ".join(table["summary"].split()),
        paragraphs=split_paragraphs(table["body"]),
        caption=table.get("caption", "").strip(),
        promo=table.get("promo", "").strip(),
        related=related,
        comments=comments,
    )


def _strings(where: str, key: str, values: list[Any], problems: list[str]) -> tuple[str, ...]:
    if not all(isinstance(value, str) for value in values):
        problems.append(f"{where}: field {key!r} should be a list of strings")
        return ()
    return tuple(value.strip() for value in values if value.strip())


def _comments(where: str, tables: list[Any], problems: list[str]) -> tuple[Comment, ...]:
    comments = []
    for index, table in enumerate(tables):
        spot = f"{where} comments[{index}]"
        if not isinstance(table, dict):
            problems.append(f"{spot}: expected a table with author and text")
        elif _check_keys(spot, table, {"author": str, "text": str}, {}, problems):
            comments.append(Comment(author=table["author"].strip(), text=" ".join(table["text"].split())))
    return tuple(comments)
