"""Stories into numbered editions by period (ISO week, day or month), from an injected clock.

Rules that keep a published edition stable:
- a story keeps the edition it was first placed in, whatever later builds learn;
- a new story belongs to the period of its publication date, unless an edition for that period
  or a later one was already published: then it arrived late and joins the current edition;
- numbers are given once, in order of first publication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from digest.config import EditionsConfig
from digest.records import Edition, Section, Story

# Sections in the order readers see them; a story goes to the first whose responses it has.
SECTIONS: tuple[tuple[str, frozenset[str]], ...] = (
    ("Laws and regulation", frozenset({"legislation", "regulation"})),
    ("Courts and policing", frozenset({"prosecution", "sentencing", "policing"})),
    ("Platforms", frozenset({"platform policy"})),
    ("Research, training and support", frozenset({"research", "training", "victim support"})),
)
OTHER_SECTION = "Also this week"


class EditionStore(Protocol):
    def edition_of_stories(self) -> dict[str, str]: ...
    def assign_stories(self, assignments: dict[str, str], now: datetime) -> None: ...
    def edition_numbers(self) -> dict[str, int]: ...
    def save_edition(self, key: str, number: int, start: str, end: str) -> None: ...


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
    stories: Sequence[Story], store: EditionStore, options: EditionsConfig, now: datetime
) -> list[Edition]:
    """Place new stories, persist the placements, and return every edition, newest first."""
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
    return _editions(stories, placed, periods, numbers)


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
    stories: Sequence[Story], placed: dict[str, str], periods: dict[str, Period], numbers: dict[str, int]
) -> list[Edition]:
    members: dict[str, list[Story]] = {key: [] for key in periods}
    for story in stories:
        members[placed[story.id]].append(story)
    editions = [_edition(periods[key], numbers[key], members[key]) for key in periods]
    return sorted(editions, key=lambda edition: edition.number, reverse=True)


def _edition(period: Period, number: int, stories: list[Story]) -> Edition:
    ranked = sorted(stories, key=rank_key)
    return Edition(
        number=number,
        key=period.key,
        start=period.start,
        end=period.end,
        title=f"Edition {number}: {_date_range(period.start, period.end)}",
        story_ids=tuple(story.id for story in ranked),
        sections=_sections(ranked),
    )


def rank_key(story: Story) -> tuple[int, int, float, float, str]:
    """Pinned first, then more outlets, higher relevance, more recent."""
    return (not story.pinned, -len(story.sources), -story.relevance, -story.published.timestamp(), story.id)


def section_of(story: Story) -> str:
    responses = set(story.tags.responses)
    for title, wanted in SECTIONS:
        if responses & wanted:
            return title
    return OTHER_SECTION


def _sections(ranked: list[Story]) -> tuple[Section, ...]:
    order = [title for title, _ in SECTIONS] + [OTHER_SECTION]
    grouped: dict[str, list[str]] = {title: [] for title in order}
    for story in ranked:
        grouped[section_of(story)].append(story.id)
    return tuple(Section(title, tuple(ids)) for title, ids in grouped.items() if ids)


def _date_range(start: date, end: date) -> str:
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if start.month == end.month:
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"
