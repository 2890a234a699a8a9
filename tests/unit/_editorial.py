"""Shared helper for the editorial unit tests: an Article from a few lines of our own text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from digest.records import Article

CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def article(
    identifier: str,
    title: str,
    body: str,
    hours_ago: float = 5,
    source: str = "Test Outlet",
    seen_hours: float | None = None,
) -> Article:
    published = CLOCK - timedelta(hours=hours_ago)
    seen = CLOCK - timedelta(hours=seen_hours) if seen_hours is not None else published
    return Article(
        id=identifier,
        url=f"https://news.example/{identifier}",
        feed_url="https://news.example/feed",
        source=source,
        title=title,
        text=body.strip(),
        published=published,
        first_seen=seen,
    )
