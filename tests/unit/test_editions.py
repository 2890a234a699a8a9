"""Editions: stable once published; late stories join the current edition; numbers given once;
stories ranked, and placed in the section of their primary response."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from digest.config import EditionsConfig
from digest.editions import assign, moved_stories, period_of, section_key, section_of
from digest.records import Source, Story, SummarySentence, Tags
from digest.store import Store, article_id

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


def _reported(title: str, responses: tuple[str, ...], *summary: str) -> Story:
    """A story as a reader sees it: headline, summary sentences, and the responses it is tagged with."""
    sentences = tuple(SummarySentence(text, "r0", "https://n.example/r0") for text in summary)
    return replace(_story("r", NOW, responses), title=title, summary=sentences)


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


def test_day_periods_run_midnight_to_midnight() -> None:
    period = period_of(date(2026, 11, 25), "day")
    assert (period.key, period.start, period.end) == ("2026-11-25", date(2026, 11, 25), date(2026, 11, 25))


def test_month_periods_end_on_the_last_day_of_the_month() -> None:
    leap = period_of(date(2028, 2, 10), "month")
    assert (leap.key, leap.start, leap.end) == ("2028-02", date(2028, 2, 1), date(2028, 2, 29))
    assert period_of(date(2026, 2, 10), "month").end == date(2026, 2, 28)
    assert period_of(date(2026, 4, 30), "month").end == date(2026, 4, 30)


def test_daily_editions_and_a_late_story_joining_today(tmp_path: Path) -> None:
    options = EditionsConfig(period="day")
    with Store.open(tmp_path / "s.sqlite") as store:
        monday, tuesday = _story("mon", NOW - timedelta(days=2)), _story("tue", NOW - timedelta(days=1))
        editions = assign([monday, tuesday], store, options, NOW)
        assert [(e.key, e.story_ids) for e in editions] == [
            ("2026-11-24", ("tue",)),
            ("2026-11-23", ("mon",)),
        ]
        assert editions[0].title == "Edition 2: 24 November 2026"
        late = _story("late", NOW - timedelta(days=2))
        editions = assign([monday, tuesday, late], store, options, NOW)
        today = editions[0]
        assert (today.number, today.key, today.story_ids) == (3, "2026-11-25", ("late",))


def test_monthly_editions_cover_whole_months(tmp_path: Path) -> None:
    options = EditionsConfig(period="month")
    with Store.open(tmp_path / "s.sqlite") as store:
        october = _story("oct", datetime(2026, 10, 30, tzinfo=UTC))
        november = _story("nov", datetime(2026, 11, 2, tzinfo=UTC))
        editions = assign([november, october], store, options, NOW)
    assert [(e.number, e.key, e.story_ids) for e in editions] == [
        (2, "2026-11", ("nov",)),
        (1, "2026-10", ("oct",)),
    ]
    assert (editions[0].start, editions[0].end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert editions[0].title == "Edition 2: 1–30 November 2026"


def test_ranking_puts_pinned_first_then_outlets_relevance_recency(tmp_path: Path) -> None:
    day = timedelta(days=1)
    pinned = replace(_story("pinned", NOW - 2 * day), pinned=True, relevance=0.1)
    widest = replace(_story("widest", NOW - 2 * day, outlets=3), relevance=0.2)
    strongest = replace(_story("strongest", NOW - 2 * day, outlets=2), relevance=0.9)
    newer = replace(_story("newer", NOW, outlets=2), relevance=0.5)
    older = replace(_story("older", NOW - day, outlets=2), relevance=0.5)
    with Store.open(tmp_path / "s.sqlite") as store:
        (edition,) = assign([older, newer, strongest, widest, pinned], store, EditionsConfig(), NOW)
    assert edition.story_ids == ("pinned", "widest", "strongest", "newer", "older")
    assert [section.story_ids for section in edition.sections] == [("pinned",), edition.story_ids[1:]]


def test_sections_keep_rank_order_inside_each_section(tmp_path: Path) -> None:
    law = replace(_story("law", NOW, ("legislation",)), relevance=0.3)
    bigger_law = _story("bigger-law", NOW - timedelta(days=1), ("legislation",), outlets=2)
    court = _story("court", NOW, ("sentencing",), outlets=3)
    with Store.open(tmp_path / "s.sqlite") as store:
        (edition,) = assign([law, court, bigger_law], store, EditionsConfig(), NOW)
    assert edition.story_ids == ("court", "bigger-law", "law")
    assert [(s.title, s.story_ids) for s in edition.sections] == [
        ("Laws and regulation", ("bigger-law", "law")),
        ("Courts and policing", ("court",)),
    ]


def test_pinned_stories_lead_the_edition_above_the_sections(tmp_path: Path) -> None:
    court = _story("court", NOW, ("sentencing",), outlets=3)
    pinned = replace(_story("pinned", NOW, ("platform policy",)), pinned=True)
    with Store.open(tmp_path / "s.sqlite") as store:
        (edition,) = assign([court, pinned], store, EditionsConfig(), NOW)
    assert [(s.title, s.story_ids) for s in edition.sections] == [
        ("Editor\u2019s picks", ("pinned",)),
        ("Courts and policing", ("court",)),
    ]


def test_a_conviction_that_mentions_the_law_behind_it_is_a_court_story() -> None:
    story = _reported(
        "Man who posted a councillor's address online convicted of harassment",
        ("legislation", "prosecution", "sentencing"),
        "He was found guilty at the magistrates' court on Tuesday and will be sentenced next month.",
        "The threatening-communications offence was created by the Online Safety Act.",
    )
    assert section_of(story) == "Courts and policing"


def test_a_platform_changing_its_rules_is_a_platform_story_whatever_prompted_it() -> None:
    story = _reported(
        "TikTok tightens rules on impersonation accounts after regulator's warning",
        ("regulation", "platform policy", "victim support"),
        "TikTok said reports of fake accounts would be reviewed by its trust and safety team within a day.",
        "Ofcom had written to the company in March, and a charity had collected parents' complaints.",
    )
    assert section_of(story) == "Platforms"


def test_a_survey_of_abused_lawmakers_is_a_research_story() -> None:
    story = _reported(
        "Seven in ten women MPs abused online in past year, survey finds",
        ("legislation", "research"),
        "The research, by a university team, found that 71 per cent of women MPs had been abused.",
        "The authors interviewed 140 members across four parties.",
    )
    assert section_of(story) == "Research, training and support"


def test_a_new_offence_that_courts_will_apply_is_a_law_story() -> None:
    story = _reported(
        "Scottish Parliament passes bill making sexual deepfakes a crime",
        ("legislation", "prosecution", "sentencing"),
        "The legislation creates an offence of making a sexual deepfake without consent.",
        "Offenders could face prosecution and up to five years in prison.",
    )
    assert section_of(story) == "Laws and regulation"


def test_only_sections_the_tags_allow_are_chosen() -> None:
    """An editor who removes a response tag moves the story, whatever its wording says."""
    jailed = _reported("Stalker jailed for tracking former partner", ("sentencing", "victim support"))
    assert section_of(jailed) == "Courts and policing"
    corrected = replace(jailed, tags=Tags(responses=("victim support",)))
    assert section_of(corrected) == "Research, training and support"
    assert section_of(replace(jailed, tags=Tags())) == "Also this week"


def test_without_any_evidence_the_first_section_in_reading_order_wins() -> None:
    quiet = _reported("A quiet week", ("platform policy", "training"), "Little happened.")
    assert section_of(quiet) == "Platforms"


def _holding(story_id: str, *article_ids: str, copies: tuple[str, ...] = ()) -> Story:
    """A story named ``story_id`` whose sources are ``article_ids`` (the first carries ``copies``)."""
    sources = tuple(
        Source(article, f"https://n.example/{article}", article, "O", copies=copies if i == 0 else ())
        for i, article in enumerate(article_ids)
    )
    return replace(_story(story_id, NOW), id=story_id, lead_article_id=article_ids[0], sources=sources)


def test_a_story_merged_into_another_moves_to_it(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        assert moved_stories([_holding("s-a", "a"), _holding("s-b", "b")], store) == {}
        assert moved_stories([_holding("s-a", "a", "link", "b")], store) == {"s-b": "s-a"}
        # Still there a build later, and after a second merge it points straight to the last story.
        assert moved_stories([_holding("s-0", "0", "a", "link", "b")], store) == {"s-a": "s-0", "s-b": "s-0"}


def test_a_story_follows_its_founding_article_rather_than_the_most_articles(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        moved_stories([_holding("s-f", "f", "x", "y")], store)
        later = [_holding("s-e", "e", "f"), _holding("s-w", "w", "x", "y")]
        assert moved_stories(later, store) == {"s-f": "s-e"}


def test_without_its_founder_a_story_moves_only_where_most_of_it_went(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        moved_stories([_holding("s-p", "p", "q", "r"), _holding("s-h", "h", "i")], store)
        # p aged out; h was hidden by the editor and its other article joined another story.
        later = [_holding("s-q", "q", "r"), _holding("s-k", "k", "i")]
        assert moved_stories(later, store) == {"s-p": "s-q"}


def test_a_story_named_after_a_syndicated_copy_follows_the_copy(tmp_path: Path) -> None:
    copy_url = "https://syndicated.example/copy"
    copy_id = article_id(copy_url)
    with Store.open(tmp_path / "s.sqlite") as store:
        moved_stories([_holding(f"s-{copy_id}", "o", copies=(copy_url,))], store)
        later = [_holding("s-z", "z", "o", copies=())]
        assert moved_stories(later, store) == {}  # the copy is gone, and one of two articles is no majority
        merged = [_holding("s-y", "o", "y", copies=(copy_url,))]
        assert moved_stories(merged, store) == {f"s-{copy_id}": "s-y"}


def test_a_section_is_kept_under_what_section_of_reads_and_nothing_else() -> None:
    story = _reported("Regulator fines platform over abuse reports", ("regulation",), "The fine is large.")
    key = section_key(story)
    # Grouping reasons, sources, relevance and dates change with every new article: not the section.
    assert section_key(replace(story, relevance=0.3, sources=story.sources * 2, id="other")) == key
    assert section_key(replace(story, title="Court jails man for cyberstalking")) != key
    assert section_key(replace(story, tags=Tags(responses=("prosecution",)))) != key
    changed_summary = (SummarySentence("Police made an arrest.", "r0", "https://n.example/r0"),)
    assert section_key(replace(story, summary=changed_summary)) != key
