"""Stories into numbered editions by period (ISO week, day or month), from an injected clock.

Rules that keep a published edition stable:
- a story keeps the edition it was first placed in, whatever later builds learn;
- a new story belongs to the period of its publication date, unless an edition for that period
  or a later one was already published: then it arrived late and joins the current edition;
- numbers are given once, in order of first publication.

A story's URL is stable too: when a published story id is gone because its articles now belong to
another story (a later article linked two stories, or an editor merged them), ``moved_stories``
names the story that took it in, and the renderer leaves a page at the old URL that links there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from digest import lexicon
from digest.config import EditionsConfig
from digest.fingerprint import digest_of
from digest.records import Edition, Section, Story
from digest.store import article_id


@dataclass(frozen=True, slots=True)
class SectionRule:
    """A section: the responses it gathers and the kinds of organisation (``organisations.toml``)
    whose acting puts a story in it."""

    title: str
    responses: frozenset[str]
    actors: frozenset[str]


# Sections in the order readers see them; the order also breaks ties between equal evidence.
SECTIONS: tuple[SectionRule, ...] = (
    SectionRule(
        "Laws and regulation",
        frozenset({"legislation", "regulation"}),
        frozenset({"regulator", "public body"}),
    ),
    SectionRule(
        "Courts and policing",
        frozenset({"prosecution", "sentencing", "policing"}),
        frozenset({"prosecutor", "police", "court"}),
    ),
    SectionRule("Platforms", frozenset({"platform policy"}), frozenset({"platform"})),
    SectionRule(
        "Research, training and support",
        frozenset({"research", "training", "victim support"}),
        frozenset({"NGO", "research"}),
    ),
)
OTHER_SECTION = "Also this week"
# Pinning a story puts it at the top of its edition, above the sections by response type.
PINNED_SECTION = "Editor\u2019s picks"
# What the headline's main clause names is what happened; everything else is background.
HEADLINE_WEIGHT = 3
# A headline's main clause ends where a subordinate one begins: "Snapchat changes rules after a
# charity's campaign" reports a platform's decision, not the campaign.
SUBORDINATE_CLAUSE = re.compile(
    r"\s(?:after|as|amid|over|following|despite|while|because|since|when)\s", re.IGNORECASE
)


class EditionStore(Protocol):
    def edition_of_stories(self) -> dict[str, str]: ...
    def assign_stories(self, assignments: dict[str, str], now: datetime) -> None: ...
    def edition_numbers(self) -> dict[str, int]: ...
    def save_edition(self, key: str, number: int, start: str, end: str) -> None: ...


class PublishedStore(Protocol):
    def remember_published(self, holdings: Mapping[str, Iterable[str]]) -> None: ...
    def published_holdings(self) -> dict[str, frozenset[str]]: ...


@dataclass(frozen=True, slots=True)
class Period:
    key: str
    start: date
    end: date  # inclusive


def period_of(day: date, kind: str) -> Period:
    if kind == "day":
        return Period(day.isoformat(), day, day)
    if kind == "month":
        start = day.replace(day=1)
        following = (start + timedelta(days=32)).replace(day=1)
        return Period(f"{day.year:04d}-{day.month:02d}", start, following - timedelta(days=1))
    year, week, weekday = day.isocalendar()
    start = day - timedelta(days=weekday - 1)
    return Period(f"{year:04d}-W{week:02d}", start, start + timedelta(days=6))


def assign(
    stories: Sequence[Story],
    store: EditionStore,
    options: EditionsConfig,
    now: datetime,
    sections: Mapping[str, str] | None = None,
) -> list[Edition]:
    """Place new stories, persist the placements, and return every edition, newest first.
    ``sections`` (story id -> ``section_of(story)``, worked out ahead) saves working them out here."""
    placed = store.edition_of_stories()
    numbers = store.edition_numbers()
    current = period_of(now.date(), options.period)
    newest_published = max(numbers, default="")
    new_places = {
        story.id: _period_for_new(story, options.period, current, newest_published).key
        for story in stories
        if story.id not in placed
    }
    store.assign_stories(new_places, now)
    placed = {**placed, **new_places}
    periods = _periods_by_key(stories, placed, options.period)
    for key in sorted(set(periods) - set(numbers)):
        numbers[key] = max(numbers.values(), default=0) + 1
        store.save_edition(key, numbers[key], periods[key].start.isoformat(), periods[key].end.isoformat())
    return _editions(stories, placed, periods, numbers, sections or {})


def _period_for_new(story: Story, kind: str, current: Period, newest_published: str) -> Period:
    own = period_of(story.published.date(), kind)
    if own.key >= current.key or (newest_published and own.key <= newest_published):
        return current
    return own


def _periods_by_key(stories: Sequence[Story], placed: dict[str, str], kind: str) -> dict[str, Period]:
    periods: dict[str, Period] = {}
    for story in stories:
        key = placed[story.id]
        if key not in periods:
            periods[key] = _period_from_key(key, kind)
    return periods


def _period_from_key(key: str, kind: str) -> Period:
    if kind == "day":
        return period_of(date.fromisoformat(key), kind)
    if kind == "month":
        return period_of(date.fromisoformat(key + "-01"), kind)
    year, week = key.split("-W")
    return period_of(date.fromisocalendar(int(year), int(week), 1), kind)


def _editions(
    stories: Sequence[Story],
    placed: dict[str, str],
    periods: dict[str, Period],
    numbers: dict[str, int],
    sections: Mapping[str, str],
) -> list[Edition]:
    members: dict[str, list[Story]] = {key: [] for key in periods}
    for story in stories:
        members[placed[story.id]].append(story)
    editions = [_edition(periods[key], numbers[key], members[key], sections) for key in periods]
    return sorted(editions, key=lambda edition: edition.number, reverse=True)


def _edition(period: Period, number: int, stories: list[Story], sections: Mapping[str, str]) -> Edition:
    ranked = sorted(stories, key=rank_key)
    return Edition(
        number=number,
        key=period.key,
        start=period.start,
        end=period.end,
        title=f"Edition {number}: {_date_range(period.start, period.end)}",
        story_ids=tuple(story.id for story in ranked),
        sections=_sections(ranked, sections),
    )


def rank_key(story: Story) -> tuple[int, int, float, float, str]:
    """Pinned first, then more outlets, higher relevance, more recent."""
    return (not story.pinned, -len(story.sources), -story.relevance, -story.published.timestamp(), story.id)


def section_of(story: Story) -> str:
    """The section of the story's primary response.

    A story is tagged with every response any of its sources mentions, so the tags alone cannot say
    which one the story is about. Among the sections its tags allow (an editor's tag correction
    counts), it goes to the one with the most evidence in what readers see first: the headline
    and the summary. Evidence is each distinct response term and each organisation acting in
    the section's field; a cue in the headline's main clause weighs ``HEADLINE_WEIGHT``.
    """
    responses = set(story.tags.responses)
    allowed = [rule for rule in SECTIONS if rule.responses & responses]
    if not allowed:
        return OTHER_SECTION
    evidence = section_evidence(story)
    return max(allowed, key=lambda rule: evidence[rule.title]).title


def section_key(story: Story) -> str:
    """A digest of what ``section_of`` reads, under which a story's section is kept across builds:
    a story's other fields (its grouping reasons' scores) change with every new article."""
    return digest_of(story.tags.responses, story.title, tuple(s.text for s in story.summary))


def section_evidence(story: Story) -> Counter[str]:
    """Section title -> summed weight of its distinct cues in the headline and summary."""
    main_clause, *background = SUBORDINATE_CLAUSE.split(story.title, maxsplit=1)
    passages = [(main_clause, HEADLINE_WEIGHT), *((part, 1) for part in background)]
    passages += [(sentence.text, 1) for sentence in story.summary]
    weights: dict[tuple[str, str], int] = {}
    for passage, weight in passages:
        for cue in cues_in(passage):
            weights[cue] = max(weights.get(cue, 0), weight)
    totals: Counter[str] = Counter()
    for (section, _), weight in weights.items():
        totals[section] += weight
    return totals


def cues_in(passage: str) -> set[tuple[str, str]]:
    """(section title, cue) for each response term and each organisation of a section's kind named."""
    found: set[tuple[str, str]] = set()
    for concept in lexicon.taxonomy().responses:
        title = _section_of_response(concept.name)
        if title and concept.pattern is not None:
            found |= {(title, match.group(0).casefold()) for match in concept.pattern.finditer(passage)}
    for organisation in lexicon.named_organisations(passage):
        title = next((rule.title for rule in SECTIONS if organisation.kind in rule.actors), "")
        if title:
            found.add((title, organisation.name.casefold()))
    return found


def _section_of_response(response: str) -> str:
    return next((rule.title for rule in SECTIONS if response in rule.responses), "")


def sections_of(stories: Sequence[Story]) -> list[str]:
    """``section_of`` each story, in order: a worker's unit of work."""
    return [section_of(story) for story in stories]


def _sections(ranked: list[Story], known: Mapping[str, str]) -> tuple[Section, ...]:
    order = [PINNED_SECTION] + [rule.title for rule in SECTIONS] + [OTHER_SECTION]
    grouped: dict[str, list[str]] = {title: [] for title in order}
    for story in ranked:
        section = PINNED_SECTION if story.pinned else known.get(story.id) or section_of(story)
        grouped[section].append(story.id)
    return tuple(Section(title, tuple(ids)) for title, ids in grouped.items() if ids)


# --- stable story URLs ---------------------------------------------------------------------


def moved_stories(stories: Sequence[Story], store: PublishedStore) -> dict[str, str]:
    """Remember this build's stories; return each earlier published id that is gone -> the id of the
    story that now holds its articles (ids whose articles went nowhere, hidden or aged out, are left out)."""
    holdings = {story.id: articles_of(story) for story in stories}
    store.remember_published(holdings)
    holder = {article: story_id for story_id, articles in holdings.items() for article in articles}
    moved = {}
    for old_id, articles in sorted(store.published_holdings().items()):
        if old_id not in holdings:
            successor = successor_of(old_id, articles, holder)
            if successor:
                moved[old_id] = successor
    return moved


def articles_of(story: Story) -> frozenset[str]:
    """Every article id in the story, syndicated copies included (a story may be named after one)."""
    copies = {article_id(url) for source in story.sources for url in source.copies}
    return frozenset({source.article_id for source in story.sources} | copies)


def successor_of(old_id: str, articles: frozenset[str], holder: Mapping[str, str]) -> str:
    """The story holding the old story's founding article; failing that (the editor hid it, or it
    aged out), the one holding more than half of its articles; else none."""
    founder = old_id.removeprefix("s-")
    if founder in articles and founder in holder:
        return holder[founder]
    shares = Counter(holder[article] for article in articles if article in holder)
    best = min(shares, key=lambda story_id: (-shares[story_id], story_id), default="")
    return best if best and 2 * shares[best] > len(articles) else ""


def _date_range(start: date, end: date) -> str:
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if start.month == end.month:
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
