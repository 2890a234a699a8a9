"""Stories: stable ids from the first-seen article, lead title, sources lead first, content notes."""

from digest import relevance, stories

from ._editorial import article
from .test_cluster import EVENT_A, EVENT_A_REWRITE


def build(items):  # type: ignore[no-untyped-def]
    return stories.compose_stories(items, relevance.judge_all(items), ())


def test_story_id_comes_from_the_first_seen_article_and_survives_new_coverage() -> None:
    first = article("first", "Regulator fines image forum", EVENT_A, 20, "Daily Ledger", seen_hours=19)
    (alone,) = build([first])
    later = article(
        "later", "Watchdog penalty for anonymous site", EVENT_A_REWRITE, 26, "Northern Post", seen_hours=2
    )
    (together,) = build([first, later])
    assert alone.id == together.id == "s-first"
    assert together.title == "Watchdog penalty for anonymous site"  # the first to publish leads
    assert [s.article_id for s in together.sources] == ["later", "first"] and together.sources[0].is_lead
    assert together.grouping_reasons


def test_content_note_for_intimate_image_abuse_and_deterministic_output() -> None:
    item = article(
        "n1",
        "Man jailed for sharing intimate images online",
        "A man was jailed at Leeds Crown Court for sharing intimate images of a former partner on social media. "
        "Police said the images were reported by her sister.",
    )
    built = build([item])
    assert built[0].content_note == "This story discusses intimate-image abuse."
    assert build([item]) == built
