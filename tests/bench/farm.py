"""A deterministic synthetic feed farm: N feeds x M items, RSS and Atom, and the article pages they link.

Everything is generated from a seed and the word lists of ``farm_words.toml`` (our own text):
feed ``f`` item ``k`` (``k = 0`` the oldest) is the same bytes in every run. About a quarter of the
items are off-topic (sport, weather, business); the rest each cover an *event* (a fine, a bill, a
prosecution, a platform rule change) that several outlets cover on the same day, with the same names,
figures and the same quote, in their own headline and order. Pages weigh 40 to 120 KB: navigation,
ads, a cookie banner, promos, related links, comments and inline scripts around a 400 to 1,200 word body.
They are built as news sites build theirs (900 to 1,400 elements, 14 deep: menus, icons, pictures,
cards of other stories), not padded with script: what trafilatura costs a page grows with its
elements, and pages of 400 elements and 60 KB of script cost half what the issue measured on real
ones (5 against 9 to 12 ms; these cost 11 to 12).

``FarmSpec.new_items`` adds that many newer items to every feed (the "rebuild with new items" case);
the feeds keep listing the newest ``items``, and every older page keeps its bytes.

``FarmServer`` serves a farm on 127.0.0.1 from a thread: HTTP/1.1 keep-alive, ETag and
Last-Modified on everything, 304 for a matching If-None-Match or If-Modified-Since, an optional
delay before every response, and counters of what was asked (for "nothing fetched twice").
Bodies are sent as identity: on loopback compression would only add CPU to both sides.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
import tomllib
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

WORDS_FILE = Path(__file__).with_name("farm_words.toml")
FARM_NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ITEM_SPACING = timedelta(hours=12)  # each feed publishes twice a day
OUTLETS_PER_EVENT = 3  # on average: how many outlets cover one event
PAGE_KB = (40, 120)
BODY_WORDS = (400, 1200)
HTML = "text/html; charset=utf-8"
FEED_TYPES = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@cache
def words() -> dict[str, Any]:
    return tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))


# --- what the farm holds -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FarmSpec:
    feeds: int
    items: int  # items each feed lists
    new_items: int = 0  # items each feed published since the first build
    seed: str = "farm-1"
    now: datetime = FARM_NOW
    offtopic_share: float = 0.25

    def with_new_items(self, count: int) -> FarmSpec:
        return replace(self, new_items=self.new_items + count)


@dataclass(frozen=True, slots=True)
class Event:
    key: str
    kind: str  # regulation | legislation | prosecution | platform
    facts: dict[str, str] = field(hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class FarmItem:
    feed: int
    index: int  # 0 = the feed's oldest item
    published: datetime
    title: str
    author: str
    paragraphs: tuple[str, ...]
    event: str | None  # the event's key; None for an off-topic item
    path: str

    @property
    def summary(self) -> str:
        return self.paragraphs[0]


class Farm:
    """The feeds and pages of one ``FarmSpec``; items are generated on demand and cached."""

    def __init__(self, spec: FarmSpec) -> None:
        self.spec = spec
        self._items: dict[tuple[int, int], FarmItem] = {}

    def feed_format(self, feed: int) -> str:
        return "rss" if feed % 2 == 0 else "atom"

    def feed_path(self, feed: int) -> str:
        return f"/feeds/{feed:04d}.{'xml' if self.feed_format(feed) == 'rss' else 'atom'}"

    def outlet(self, feed: int) -> str:
        return f"The {words()['event']['towns'][feed % 15]} Courier {feed:04d}"

    def feed_paths(self) -> list[str]:
        return [self.feed_path(feed) for feed in range(self.spec.feeds)]

    def listed(self, feed: int) -> list[FarmItem]:
        """The items the feed lists now, newest first."""
        total = self.spec.items + self.spec.new_items
        return [self.item(feed, index) for index in range(total - 1, total - self.spec.items - 1, -1)]

    def all_items(self) -> list[FarmItem]:
        return [item for feed in range(self.spec.feeds) for item in self.listed(feed)]

    def forget_items(self) -> None:
        """Drop the items made so far (they are made again, the same, when asked for)."""
        self._items.clear()

    def item(self, feed: int, index: int) -> FarmItem:
        key = (feed, index)
        if key not in self._items:
            self._items[key] = make_item(self.spec, feed, index, self.outlet(feed))
        return self._items[key]

    def resources(self, base_url: str) -> dict[str, Resource]:
        """Every path the farm answers, rendered (this is where the time goes: do it before timing)."""
        base = base_url.rstrip("/")
        served: dict[str, Resource] = {}
        for feed in range(self.spec.feeds):
            items = self.listed(feed)
            body = render_feed(self, feed, items, base)
            served[self.feed_path(feed)] = make_resource(
                body, FEED_TYPES[self.feed_format(feed)], items[0].published
            )
            for index in range(self.spec.items + self.spec.new_items):  # pages off the feed stay online
                item = self.item(feed, index)
                served[item.path] = make_resource(render_page(self, item), HTML, item.published)
        return served


# --- items and events -----------------------------------------------------------------------------


def make_item(spec: FarmSpec, feed: int, index: int, outlet: str) -> FarmItem:
    rng = random.Random(f"{spec.seed}:item:{feed}:{index}")
    published = item_time(spec, feed, index)
    author = _reporter(feed)
    if rng.random() < spec.offtopic_share:
        title, paragraphs = offtopic_story(rng)
        event_key = None
    else:
        event = event_of(spec, rng, (spec.now - published) // timedelta(days=1))
        title, paragraphs = event_story(rng, event, feed)
        event_key = event.key
    path = f"/news/{feed:04d}/{index:03d}-{slug(title)}.html"
    return FarmItem(feed, index, published, title, author, tuple(paragraphs), event_key, path)


def item_time(spec: FarmSpec, feed: int, index: int) -> datetime:
    if index >= spec.items:  # published since the first build: the last hour
        return spec.now - timedelta(minutes=20 * (spec.items + spec.new_items - index))
    offset = timedelta(hours=1, minutes=(feed * 37) % 600)
    return spec.now - offset - ITEM_SPACING * (spec.items - 1 - index)


def event_of(spec: FarmSpec, rng: random.Random, day: int) -> Event:
    """One of the day's events: enough of them that each is covered by about three outlets."""
    per_day = spec.feeds * (timedelta(days=1) / ITEM_SPACING) * (1 - spec.offtopic_share)
    count = max(1, round(per_day / OUTLETS_PER_EVENT))
    return make_event(spec.seed, day, rng.randrange(count))


@cache
def make_event(seed: str, day: int, number: int) -> Event:
    rng = random.Random(f"{seed}:event:{day}:{number}")
    lists = words()["event"]
    facts = {name: rng.choice(lists[plural]) for name, plural in _FACT_LISTS}
    # Made-up surnames: a small list would make every other event "name the same person".
    facts["person"] = f"{rng.choice(lists['first_names'])} {_cap(made_up_word(rng))}"
    own = event_vocabulary(f"d{day}-e{number}")
    facts["quote"] = rng.choice(lists["quote_templates"]).format(w1=own[0], w2=own[1], w3=own[2])
    facts["amount"] = str(rng.randint(2, 40))
    facts["count"] = str(rng.randint(12, 900))
    facts["regulator_cap"] = _cap(facts["regulator"])
    facts["place_cap"] = _cap(facts["place"])
    facts |= {"quote_open": "\u201c", "quote_close": "\u201d", "codename": _cap(made_up_word(rng))}
    kind = rng.choice(("regulation", "legislation", "prosecution", "platform"))
    return Event(f"d{day}-e{number}", kind, facts)


_FACT_LISTS = (
    ("harm", "harms"),
    ("platform", "platforms"),
    ("regulator", "regulators"),
    ("prosecutor", "prosecutors"),
    ("police", "police"),
    ("place", "places"),
    ("town", "towns"),
    ("role", "roles"),
    ("org", "orgs"),
)


def event_story(rng: random.Random, event: Event, feed: int) -> tuple[str, list[str]]:
    """One outlet's article on ``event``: its own headline, lede and order, the shared facts."""
    headlines = words()["headlines"][event.kind]
    title = headlines[(feed + rng.randrange(len(headlines))) % len(headlines)].format(**event.facts)
    lede = rng.choice(words()["ledes"][event.kind]).format(**event.facts)
    facts = [sentence.format(**event.facts) for sentence in words()["facts"]["sentences"]]
    rng.shuffle(facts)
    paragraphs = [lede, *(" ".join(facts[i : i + 2]) for i in range(0, len(facts), 2))]
    filler = Filler(words()["filler"]["actors"], words()["filler"]["verbs"], event_vocabulary(event.key))
    return _cap(title), with_filler(rng, paragraphs, filler)


def offtopic_story(rng: random.Random) -> tuple[str, list[str]]:
    lists = words()["offtopic"]
    slots = {
        "town": rng.choice(words()["event"]["towns"]),
        "company": rng.choice(lists["companies"]),
        "count": str(rng.randint(20, 5000)),
        "codename": _cap(made_up_word(rng)),
    }
    sentences = [sentence.format(**slots) for sentence in lists["sentences"]]
    rng.shuffle(sentences)
    paragraphs = [" ".join(sentences[i : i + 2]) for i in range(0, len(sentences), 2)]
    topic = tuple(made_up_word(rng) for _ in range(words()["filler"]["event_words"]))
    filler = Filler(lists["filler_actors"], lists["filler_verbs"], topic)
    return rng.choice(lists["headlines"]).format(**slots), with_filler(rng, paragraphs, filler)


@dataclass(frozen=True, slots=True)
class Filler:
    """What background sentences of one article are made of."""

    actors: list[str]
    verbs: list[str]
    topic: tuple[str, ...]  # the article's own rare words

    def sentence(self, rng: random.Random) -> str:
        lists = words()["filler"]
        actor = rng.choice(self.actors)
        slots = {
            "actor": actor,
            "actor_low": actor[0].lower() + actor[1:],
            "verb": rng.choice(self.verbs),
            "w1": self.word(rng),
            "w2": self.word(rng),
            "tail": rng.choice(lists["tails"]),
            "clause": rng.choice(lists["clauses"]),
            "state": rng.choice(lists["states"]),
        }
        slots["clause_cap"] = _cap(slots["clause"])
        return rng.choice(lists["patterns"]).format(**slots)

    def word(self, rng: random.Random) -> str:
        return rng.choice(self.topic) if rng.random() < 0.5 else rng.choice(vocabulary())


def with_filler(rng: random.Random, paragraphs: list[str], filler: Filler) -> list[str]:
    """Background paragraphs until the body reaches its drawn length; no sentence twice on a page."""
    target = rng.randint(*BODY_WORDS)
    seen = set(paragraphs)
    count = sum(len(p.split()) for p in paragraphs)
    while count < target:
        drawn = [filler.sentence(rng) for _ in range(rng.randint(2, 4))]
        fresh = [s for s in dict.fromkeys(drawn) if s not in seen]
        seen.update(fresh)
        if fresh:
            paragraphs.append(" ".join(fresh))
            count += sum(len(s.split()) for s in fresh)
    return paragraphs


@cache
def vocabulary() -> tuple[str, ...]:
    rng = random.Random("farm-vocabulary")
    found: dict[str, None] = {}
    while len(found) < words()["filler"]["vocabulary_size"]:
        found[made_up_word(rng)] = None
    return tuple(found)


@cache
def event_vocabulary(key: str) -> tuple[str, ...]:
    rng = random.Random(f"event-words:{key}")
    return tuple(rng.sample(vocabulary(), words()["filler"]["event_words"]))


def made_up_word(rng: random.Random) -> str:
    syllables = words()["filler"]["syllables"]
    return "".join(rng.choice(syllables) for _ in range(rng.randint(2, 3)))


def _reporter(feed: int) -> str:
    lists = words()["event"]
    return f"{lists['first_names'][(feed * 3) % 20]} {lists['surnames'][(feed * 7) % 16]}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def slug(title: str) -> str:
    return _NOT_SLUG.sub("-", title.lower()).strip("-")[:60]


# --- feeds ----------------------------------------------------------------------------------------


def render_feed(farm: Farm, feed: int, items: list[FarmItem], base: str) -> bytes:
    render = _rss if farm.feed_format(feed) == "rss" else _atom
    return render(farm.outlet(feed), base + farm.feed_path(feed), items, base).encode("utf-8")


def _rss(outlet: str, self_url: str, items: list[FarmItem], base: str) -> str:
    entries = "".join(
        f"<item><title>{escape(item.title)}</title><link>{base}{item.path}</link>"
        f'<guid isPermaLink="false">farm:{item.feed}:{item.index}</guid>'
        f"<pubDate>{format_datetime(item.published, usegmt=True)}</pubDate>"
        f"<author>news@example.org ({escape(item.author)})</author>"
        f"<description>{escape(item.summary)}</description></item>\n"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(outlet)}</title><link>{base}/</link>"
        f"<description>News from {escape(outlet)}</description>"
        f"<lastBuildDate>{format_datetime(items[0].published, usegmt=True)}</lastBuildDate>\n"
        f"{entries}</channel></rss>\n"
    )


def _atom(outlet: str, self_url: str, items: list[FarmItem], base: str) -> str:
    entries = "".join(
        f"<entry><title>{escape(item.title)}</title>"
        f'<link rel="alternate" type="text/html" href="{base}{item.path}"/>'
        f"<id>tag:farm.example.org,2026:{item.feed}:{item.index}</id>"
        f"<updated>{_rfc3339(item.published)}</updated><published>{_rfc3339(item.published)}</published>"
        f"<author><name>{escape(item.author)}</name></author>"
        f"<summary>{escape(item.summary)}</summary></entry>\n"
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{escape(outlet)}</title><id>{self_url}</id><link rel="self" href="{self_url}"/>'
        f"<updated>{_rfc3339(items[0].published)}</updated>\n{entries}</feed>\n"
    )


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- pages ----------------------------------------------------------------------------------------


def render_page(farm: Farm, item: FarmItem) -> bytes:
    """The item's page: the body inside the boilerplate a news site puts around it."""
    rng = random.Random(f"{farm.spec.seed}:page:{item.feed}:{item.index}")
    target = rng.randint(*PAGE_KB) * 1024
    outlet = escape(farm.outlet(item.feed))
    parts = [
        _head(item, outlet),
        '<body class="article-page"><div class="cookie-banner" role="dialog"><p>We use cookies to improve '
        "your experience and to show you relevant advertising.</p><button>Accept all</button>"
        "<button>Manage</button></div>",
        _masthead(outlet, rng),
        _ad(rng, "top"),
        '<main class="layout"><div class="container"><div class="row"><div class="col-main">',
        _breadcrumbs(),
        '<article class="story">',
        f'<p class="kicker">{escape(rng.choice(words()["boilerplate"]["sections"]))}</p>',
        f"<h1>{escape(item.title)}</h1>",
        f'<p class="byline">By <a rel="author" href="/authors/{slug(item.author)}">{escape(item.author)}</a>'
        f' <time datetime="{_rfc3339(item.published)}">{item.published:%d %B %Y, %H:%M}</time></p>',
        _share_bar(),
        _body(item, rng),
        _share_bar(),
        _related(farm, item),
        "</article>",
        _comments(rng),
        '</div><div class="col-side">',
        _most_read(farm, item),
        _ad(rng, "side"),
        "</div></div>",
        _teaser_rail(farm, item, rng),
        "</div></main>",
        _footer(outlet),
    ]
    page = "\n".join(parts)
    padding = _script_padding(farm.spec.seed, rng, target - len(page))
    return (page + padding + "\n</body></html>\n").encode("utf-8")


def _head(item: FarmItem, outlet: str) -> str:
    metadata = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": item.title,
            "datePublished": _rfc3339(item.published),
            "author": {"@type": "Person", "name": item.author},
        },
        sort_keys=True,
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)} | {outlet}</title>"
        f'<meta name="viewport" content="width=device-width"><link rel="canonical" href="{item.path}">'
        f'<meta property="og:title" content="{escape(item.title)}">'
        f'<meta property="article:published_time" content="{_rfc3339(item.published)}">'
        f'<meta name="description" content="{escape(item.summary[:150])}">'
        f'<script type="application/ld+json">{metadata}</script>'
        "<style>body{font-family:serif}.ad-slot{min-height:250px}.comments li{margin:1em 0}</style></head>"
    )


def _masthead(outlet: str, rng: random.Random) -> str:
    sections = words()["boilerplate"]["sections"]
    menus = []
    for section in sections:
        subs = "".join(
            f'<li class="menu-item"><a class="menu-link" href="/{slug(section)}/{n}" data-track="nav">'
            f"<span>{escape(section)} {label}</span></a></li>"
            for n, label in enumerate(("latest", "analysis", "explained"))
        )
        menus.append(
            f'<li class="menu"><a href="/{slug(section)}/">{escape(section)}</a>'
            f'<div class="menu-panel"><ul class="menu-list">{subs}</ul></div></li>'
        )
    return (
        '<header class="masthead"><div class="top-bar"><div class="container">'
        f'<span class="today">{rng.randint(1, 28)} November</span>'
        f'<a class="account" href="/account">{_icon("user")}<span>Sign in</span></a>'
        f'<a class="button subscribe-button" href="/subscribe">Subscribe</a></div></div>'
        f'<div class="brand-bar"><div class="container"><button class="menu-toggle">{_icon("menu")}</button>'
        f'<a class="logo" href="/">{outlet}</a><form class="search" action="/search" role="search">'
        f'<input type="search" name="q" placeholder="Search"><button>{_icon("search")}</button></form>'
        f'</div></div><nav class="mega-menu"><ul>{"".join(menus)}</ul></nav></header>'
    )


_ICON_STROKES = {
    "user": ("M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M4 20c0-4 4-6 8-6s8 2 8 6"),
    "menu": ("M3 6h18", "M3 12h18", "M3 18h18"),
    "search": ("M10 17a7 7 0 1 1 0-14 7 7 0 0 1 0 14z", "M21 21l-5-5"),
    "share": ("M18 8a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M6 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6z", "M8.6 13.5l6.8 4"),
    "reply": ("M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z",),
    "like": ("M2 21h4V9H2v12z", "M22 10a2 2 0 0 0-2-2h-6.3l1-4.6V3a1.5 1.5 0 0 0-.4-1L13 1 6.6 7.6"),
    "flag": ("M4 22V4", "M4 4h12l-2 4 2 4H4"),
}


def _icon(name: str) -> str:
    paths = "".join(f'<path d="{stroke}"></path>' for stroke in _ICON_STROKES[name])
    return f'<svg class="icon icon-{name}" viewBox="0 0 24 24" aria-hidden="true" focusable="false">{paths}</svg>'


def _breadcrumbs() -> str:
    trail = ("Home", "News", "Technology")
    links = "".join(f'<li class="crumb"><a href="/{slug(name)}/">{escape(name)}</a></li>' for name in trail)
    return f'<nav class="breadcrumbs" aria-label="Breadcrumb"><ol>{links}</ol></nav>'


def _share_bar() -> str:
    networks = ("Facebook", "X", "LinkedIn", "WhatsApp", "Email")
    buttons = "".join(
        f'<li><a class="share-link share-{slug(name)}" href="#" title="Share on {name}">{_icon("share")}'
        f'<span class="visually-hidden">Share on {name}</span></a></li>'
        for name in networks
    )
    return f'<div class="share"><ul class="share-list">{buttons}</ul><a href="#">Copy link</a></div>'


def _ad(rng: random.Random, where: str) -> str:
    label = escape(rng.choice(words()["boilerplate"]["ads"]))
    return (
        f'<div class="ad-slot ad-{where}" data-slot="{where}"><div class="ad-wrapper"><span class="ad-label">'
        f'{label}</span><iframe src="/ads/{where}-{rng.randrange(10_000)}.html" width="728" height="90">'
        "</iframe></div></div>"
    )


def _body(item: FarmItem, rng: random.Random) -> str:
    promos = words()["boilerplate"]["promos"]
    blocks = []
    for number, paragraph in enumerate(item.paragraphs):
        blocks.append(f'<div class="text-block" data-component="text"><p>{escape(paragraph)}</p></div>')
        if number == 1:
            blocks.append(_figure(item, rng))
        if number == 2:
            blocks.append(f'<aside class="inline-promo"><p>{escape(rng.choice(promos))}</p></aside>')
        if number == 5:
            blocks.append(_ad(rng, "inline"))
    return '<div class="story-body">' + "\n".join(blocks) + "</div>"


def _figure(item: FarmItem, rng: random.Random) -> str:
    name = f"/images/{item.feed}-{item.index}-{rng.randrange(10_000)}"
    sources = "".join(
        f'<source media="(min-width: {width}px)" srcset="{name}-{width}.webp 1x, {name}-{2 * width}.webp 2x">'
        for width in (1200, 800, 480)
    )
    return (
        f'<figure class="lead-image"><div class="image-wrap"><picture>{sources}'
        f'<img src="{name}-800.jpg" alt="" loading="lazy" width="800" height="450"></picture></div>'
        '<figcaption><span class="caption-credit">Photograph: agency</span></figcaption></figure>'
    )


def _related(farm: Farm, item: FarmItem) -> str:
    # Older items of the same feed only, so a page never changes after it is published.
    older = [farm.item(item.feed, index) for index in range(max(0, item.index - 3), item.index)]
    links = "".join(f'<li><a href="{o.path}">{escape(o.title)}</a></li>' for o in older)
    return f'<aside class="related"><h2>Related stories</h2><ul>{links}</ul></aside>'


def _neighbours(farm: Farm, item: FarmItem, count: int) -> list[FarmItem]:
    """Items of the next feeds as old as ``item`` or older: they exist, unchanged, whenever it does."""
    index = min(item.index, farm.spec.items - 1)
    return [farm.item((item.feed + step) % farm.spec.feeds, index) for step in range(1, count + 1)]


def _most_read(farm: Farm, item: FarmItem) -> str:
    neighbour = (item.feed + 1) % farm.spec.feeds
    others = [farm.item(neighbour, index) for index in range(min(item.index, farm.spec.items - 1) + 1)][-5:]
    links = "".join(
        f'<li class="most-read-item"><a href="{o.path}"><span class="rank">{rank}</span>'
        f'<span class="headline">{escape(o.title)}</span></a></li>'
        for rank, o in enumerate(others, 1)
    )
    return f'<aside class="most-read"><h2>Most read</h2><ol>{links}</ol></aside>'


def _teaser_rail(farm: Farm, item: FarmItem, rng: random.Random) -> str:
    """The grid of other stories under an article: a card each, with picture, label and time."""
    sections = words()["boilerplate"]["sections"]
    cards = "".join(
        f'<div class="card teaser"><a class="card-link" href="{other.path}"><div class="card-media"><picture>'
        f'<source srcset="/images/t-{other.feed}-{other.index}.webp"><img src="/images/t-{other.feed}-'
        f'{other.index}.jpg" alt="" loading="lazy"></picture></div><div class="card-body">'
        f'<span class="card-label">{escape(rng.choice(sections))}</span>'
        f'<h3 class="card-title">{escape(other.title)}</h3>'
        f'<time class="card-time">{other.published:%d %B}</time></div></a></div>'
        for other in _neighbours(farm, item, 8)
    )
    return f'<section class="rail teaser-rail"><h2>More stories</h2><div class="card-grid">{cards}</div></section>'


def _comments(rng: random.Random) -> str:
    lists = words()["boilerplate"]
    count = rng.randint(5, 25)
    entries = []
    for number in range(count):
        text = f"{rng.choice(lists['comment_openers'])} {rng.choice(lists['comment_bodies'])}."
        name = escape(rng.choice(lists["commenters"]))
        entries.append(
            f'<li class="comment" id="c{number}"><div class="comment-inner">'
            f'<div class="comment-header"><img class="avatar" src="/avatars/{number % 7}.png" alt="" '
            f'width="32" height="32"><div class="comment-author">{name}</div>'
            f'<div class="comment-meta"><time>{rng.randint(1, 59)} minutes ago</time></div></div>'
            f'<div class="comment-body"><p>{escape(text)}</p></div><div class="comment-actions">'
            f'<button class="reply">{_icon("reply")}<span>Reply</span></button>'
            f'<button class="like">{_icon("like")}<span>{rng.randint(0, 40)}</span></button>'
            f'<button class="report">{_icon("flag")}<span>Report</span></button></div></div></li>'
        )
    heading = f"<h2>Comments ({count})</h2>"
    return f'<section id="comments" class="comments">{heading}<ol>{"".join(entries)}</ol></section>'


def _footer(outlet: str) -> str:
    names = words()["boilerplate"]["footer"]
    sections = words()["boilerplate"]["sections"]
    columns = [
        ("About us", names),
        ("Sections", sections[:9]),
        ("More", sections[9:18]),
        ("Also", sections[18:]),
    ]
    lists = "".join(
        f'<div class="footer-column"><h3>{heading}</h3><ul>'
        + "".join(f'<li><a href="/{slug(name)}">{escape(name)}</a></li>' for name in column)
        + "</ul></div>"
        for heading, column in columns
    )
    social = "".join(f'<a class="social" href="#">{_icon("share")}</a>' for _ in range(5))
    notice = f"<p>&copy; 2026 {outlet}. All rights reserved.</p>"
    return f'<footer class="site-footer"><div class="footer-grid">{lists}</div><div class="social-links">{social}</div>{notice}</footer>'


def _script_padding(seed: str, rng: random.Random, size: int) -> str:
    """Inline tag-manager and ad configuration scripts, as news pages carry, up to ``size`` bytes."""
    if size <= 0:
        return ""
    blob = _script_blob(seed)
    start = rng.randrange(len(blob) // 2)
    return "<script>" + blob[start : start + size] + "</script>"


@cache
def _script_blob(seed: str) -> str:
    rng = random.Random(f"{seed}:scripts")
    lines = []
    for number in range(6000):
        sizes = json.dumps([[rng.choice((300, 320, 728, 970)), rng.choice((50, 90, 250, 600))]])
        lines.append(
            f'window.__slot{number}={{"id":"s{rng.randrange(16**6):06x}","sizes":{sizes},"lazy":true}};'
        )
    return "\n".join(lines)


# --- serving ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resource:
    body: bytes
    content_type: str
    last_modified: datetime
    etag: str


def make_resource(body: bytes, content_type: str, last_modified: datetime) -> Resource:
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Resource(body, content_type, last_modified.astimezone(UTC).replace(microsecond=0), etag)


@dataclass(slots=True)
class Counts:
    """What the server was asked, since the last ``reset``."""

    by_status: Counter[tuple[str, int]] = field(default_factory=Counter)  # (feed | page | other, status)
    page_paths: Counter[str] = field(default_factory=Counter)  # page path -> times answered 200
    delayed: int = 0  # responses held back by the latency option
    arrivals: list[str] = field(default_factory=list)  # feed | page | other, in the order asked

    def requests(self, kind: str | None = None) -> int:
        return sum(n for (k, _), n in self.by_status.items() if kind is None or k == kind)

    def status(self, kind: str, status: int) -> int:
        return self.by_status[(kind, status)]


class FarmServer:
    """A farm served on 127.0.0.1 in a background thread; use it as a context manager."""

    def __init__(self, farm: Farm, latency_s: float = 0.0, port: int = 0) -> None:
        self.latency_s = latency_s
        self.counts = Counts()
        self._lock = threading.Lock()
        self._httpd = _FarmHTTPServer(("127.0.0.1", port), _Handler)
        self._httpd.farm_server = self
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self.farm = farm
        self.resources = farm.resources(self.base_url)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FarmServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.server_close()

    def serve(self, farm: Farm) -> None:
        """Swap in another state of the farm (new items published)."""
        self.resources = farm.resources(self.base_url)
        self.farm = farm

    def feed_urls(self) -> list[str]:
        return [self.url(path) for path in self.farm.feed_paths()]

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def reset_counts(self) -> Counts:
        with self._lock:
            counts, self.counts = self.counts, Counts()
        return counts

    def arrived(self, path: str) -> None:
        with self._lock:
            self.counts.arrivals.append(_kind(path))

    def record(self, path: str, status: int, delayed: bool) -> None:
        kind = _kind(path)
        with self._lock:
            self.counts.by_status[(kind, status)] += 1
            self.counts.delayed += delayed
            if kind == "page" and status == 200:
                self.counts.page_paths[path] += 1


def _kind(path: str) -> str:
    return "feed" if path.startswith("/feeds/") else "page" if path.startswith("/news/") else "other"


class _FarmHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default of 5 drops connection bursts into SYN retries (1 s stalls)
    farm_server: FarmServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FarmPress/1.0"
    timeout = 30
    disable_nagle_algorithm = True
    wbufsize = -1
    server: _FarmHTTPServer

    def do_GET(self) -> None:
        farm_server = self.server.farm_server
        path = urlsplit(self.path).path
        resource = farm_server.resources.get(path)
        farm_server.arrived(path)
        if farm_server.latency_s > 0:
            time.sleep(farm_server.latency_s)
        if resource is None:
            status, body = 404, b"not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        elif _not_modified(
            resource, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        ):
            status, body = 304, b""
            self.send_response(304)
        else:
            status, body = 200, resource.body
            self.send_response(200)
            self.send_header("Content-Type", resource.content_type)
        if resource is not None:
            self.send_header("ETag", resource.etag)
            self.send_header("Last-Modified", format_datetime(resource.last_modified, usegmt=True))
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        farm_server.record(path, status, farm_server.latency_s > 0)

    def log_message(self, format: str, *args: object) -> None:
        pass  # thousands of requests a run; the counters say what happened


def _not_modified(resource: Resource, if_none_match: str | None, if_modified_since: str | None) -> bool:
    if if_none_match is not None:
        return resource.etag in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    if if_modified_since is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    return resource.last_modified <= (since if since.tzinfo else since.replace(tzinfo=UTC))
