"""Stories: stable ids from the first-seen article, lead title, sources lead first, content notes."""

import pytest

from digest import relevance, stories
from digest.cluster import cluster_articles
from digest.records import Article, Quote
from digest.sample.corpus import load_corpus
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


def corpus_articles() -> list[Article]:
    corpus = load_corpus()
    return [
        article(a.id, a.title, "\n\n".join(a.paragraphs), a.hours_ago, corpus.outlet(a.outlet).name)
        for a in corpus.articles
    ]


def test_facts_read_ahead_compose_the_same_stories_as_reading_each_article_on_the_spot(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = corpus_articles()
    judgements = relevance.judge_all(items)
    read = stories.read_articles(items)
    clusters = cluster_articles(items, [traits for traits, _ in read])
    facts = {item.id: known for item, (_, known) in zip(items, read, strict=True)}
    by_id = {item.id: item for item in items}
    assert any(len(found.article_ids) > 1 for found in clusters)  # facts of several sources merged
    assert any(known.quotes for known in facts.values()) and any(known.places for known in facts.values())
    on_the_spot = [stories.compose_story(found, by_id, judgements, ()) for found in clusters]

    def not_again(*_: object) -> None:
        raise AssertionError("read again although its facts were given")

    for reader in ("quotes.extract_quotes", "tag.places_in", "tag.organisations_named"):
        monkeypatch.setattr(f"digest.{reader}", not_again)
    monkeypatch.setattr("digest.summarize.lone_surnames", not_again)
    monkeypatch.setattr("digest.text.article_tokens", not_again)
    given = [stories.compose_story(found, by_id, judgements, (), facts) for found in clusters]
    assert given == on_the_spot
