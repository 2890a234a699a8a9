"""Stories: stable ids from the first-seen article, lead title, sources lead first, content notes."""

from digest import relevance, stories
from digest.records import Quote
from digest.stories import with_one_role_each

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


def test_a_quote_repeated_in_part_or_nearly_word_for_word_is_kept_once_in_its_longest_form() -> None:
    full = article(
        "q1",
        "Regulator fines forum",
        "“Platforms of every size have to answer reports within a day, and most of them can,” "
        "said Iona Reddy, the regulator's enforcement director.",
    )
    part = article(
        "q2",
        "Forum fined",
        "Iona Reddy, the regulator's enforcement director, said platforms “have to answer reports "
        "within a day, and most of them can”.",
    )
    reworded = article(
        "q3",
        "Fine for forum",
        "“Platforms of any size have to answer reports within a day, and most of them can,” said Iona Reddy.",
    )
    kept = stories.story_quotes_of([part, full, reworded])
    assert [(q.speaker, q.article_id) for q in kept] == [("Iona Reddy", "q1")]


def test_different_quotes_and_other_speakers_are_not_merged() -> None:
    one = article(
        "q4",
        "Charity warns",
        "“Most callers have been told to log off and ignore it,” said Tess Arden, a caseworker. "
        "“Leaving the internet is not an answer to being abused,” she said.",
    )
    other = article(
        "q5",
        "Helpline busy",
        "“Most callers have been told to log off,” said Ravi Moss, a volunteer at the same helpline.",
    )
    kept = stories.story_quotes_of([one, other])
    assert [q.speaker for q in kept] == ["Tess Arden", "Tess Arden", "Ravi Moss"]


def test_a_speaker_keeps_the_first_role_given_in_the_story() -> None:
    quoted = [
        Quote("Ada Quill", "First statement of some length here.", "head of policy at the Fund", "a1"),
        Quote("Ada Quill", "Second statement of some length here.", "the Fund's policy chief", "a2"),
        Quote("Ada Quill", "Third statement of some length here.", "", "a2"),
        Quote("Bo Reyes", "A statement by somebody else entirely.", "", "a2"),
    ]
    roles = [(q.speaker, q.role) for q in with_one_role_each(quoted)]
    assert roles == [("Ada Quill", "head of policy at the Fund")] * 3 + [("Bo Reyes", "")]
