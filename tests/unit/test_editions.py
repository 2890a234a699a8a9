"""Editions: stable once published; late stories join the current edition; numbers given once."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest.config import EditionsConfig
from digest.editions import assign, period_of, section_of
from digest.records import Source, Story, Tags
from digest.store import Store

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)  # Wednesday of ISO week 48


def _story(
    name: str, published: datetime, responses: tuple[str, ...] = ("prosecution",), outlets: int = 1
) -> Story:
    sources = tuple(
        Source(f"{name}{i}", f"https://n.example/{name}{i}", name, f"O{i}") for i in range(outlets)
    )
    return Story(
        name, name, f"{name}0", sources, (), (), Tags(responses=responses), 1.0, published, published
    )


def test_periods() -> None:
    assert period_of(date(2026, 11, 25), "week").key == "2026-W48"
    assert period_of(date(2026, 11, 25), "week").start == date(2026, 11, 23)
    assert period_of(date(2026, 12, 31), "month").end == date(2026, 12, 31)
    assert period_of(date(2027, 1, 1), "week").key == "2026-W53"


def test_first_build_backfills_then_late_stories_join_the_current_edition(tmp_path: Path) -> None:
    options = EditionsConfig()
    with Store.open(tmp_path / "s.sqlite") as store:
        old = _story("old", NOW - timedelta(days=9))
        new = _story("new", NOW - timedelta(days=1))
        editions = assign([old, new], store, options, NOW)
        assert [(e.number, e.key) for e in editions] == [(2, "2026-W48"), (1, "2026-W47")]
        late = _story("late", NOW - timedelta(days=8))
        nextweek = NOW + timedelta(days=7)
        editions = assign([old, new, late], store, options, nextweek)
        by_key = {e.key: e for e in editions}
        assert by_key["2026-W47"].story_ids == ("old",)  # a published edition keeps its stories
        assert by_key["2026-W49"].story_ids == ("late",)  # the late arrival joins the current edition
        assert by_key["2026-W49"].number == 3


def test_ranking_and_sections() -> None:
    with_more_outlets = _story("a", NOW, ("legislation",), outlets=3)
    single = _story("b", NOW, ("platform policy",))
    assert section_of(with_more_outlets) == "Laws and regulation"
    assert section_of(single) == "Platforms"
    assert section_of(_story("c", NOW, ())) == "Also this week"
