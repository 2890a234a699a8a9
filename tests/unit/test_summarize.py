"""Summaries: 2-4 verbatim sentences, no boilerplate, no pronoun-initial or surname-only sentences."""

from dataclasses import replace

from digest import summarize, text
from digest.records import Cluster

from ._editorial import article

BODY = (
    "The regulator fined the video platform Streamly £2 million for failing to remove intimate images quickly.\n\n"
    "Investigators found that reports from victims had waited an average of nine days for any review.\n\n"
    "She said the delay was unacceptable.\n\n"
    "Sign up to our weekly newsletter for the latest technology stories every Friday.\n\n"
    "Anya Petrov, the regulator's director, said new rules would follow later this year.\n\n"
    "Petrov added that platforms had been warned many times about slow removal of abuse."
)


def test_summary_sentences_are_verbatim_and_stand_alone() -> None:
    source = article("s1", "Streamly fined over slow removals", BODY)
    picked = summarize.summarize(Cluster(("s1",)), {"s1": source})
    assert 2 <= len(picked) <= 4
    normalised = text.normalise_space(source.text)
    for sentence in picked:
        assert sentence.text in normalised and sentence.article_id == "s1" and sentence.url == source.url
        assert not sentence.text.startswith(("She", "Petrov", "Sign up"))
        assert "newsletter" not in sentence.text


def test_copies_are_not_summarised_twice_and_repeats_are_dropped() -> None:
    first = article("a", "Streamly fined", BODY, 10)
    copy = article("b", "Streamly fined", BODY, 5)
    picked = summarize.summarize(Cluster(("a", "b"), duplicates=(("b", "a"),)), {"a": first, "b": copy})
    assert {s.article_id for s in picked} == {"a"}
    assert len({s.text for s in picked}) == len(picked)


WATCHDOG = (
    "The watchdog will require video platforms to remove reported intimate images within 48 hours under a "
    "code published on Tuesday.\n\n"
    "Platforms that repeatedly miss the deadline face fines of up to 10% of their global turnover, the "
    "watchdog said.\n\n"
    "Victims will also have to be told what happened to each report they make about an image."
)
WATCHDOG_REWORDED = (
    "Services hosting videos must now delete intimate images flagged by victims within 48 hours, the "
    "watchdog said, under a code published this week.\n\n"
    "Campaigners who have pressed for the change for three years said the deadline was still too generous."
)


def test_a_fact_reworded_by_a_second_outlet_is_not_repeated() -> None:
    lead = article("w1", "Watchdog sets 48-hour deadline for intimate images", WATCHDOG, 10, "Ledger")
    other = article("w2", "Platforms get two days to remove intimate images", WATCHDOG_REWORDED, 8, "Wire")
    first, reworded = text.sentences(lead.text)[0].text, text.sentences(other.text)[0].text
    words = [frozenset(text.content_tokens(s)) for s in (first, reworded)]
    assert text.jaccard(*words) < summarize.REDUNDANT  # word overlap alone does not see the repeat
    picked = summarize.summarize(Cluster(("w1", "w2")), {"w1": lead, "w2": other})
    assert 2 <= len(picked) <= 4
    assert sum("48 hours" in sentence.text for sentence in picked) == 1


def test_sentences_sharing_a_number_but_not_a_fact_are_both_kept() -> None:
    first = candidate("Police said 14 people were arrested in dawn raids across three cities on Monday.")
    second = candidate("The regulator has 14 days to respond to the complaint from the charity.")
    assert not summarize.repeats(first, second)


def test_the_same_figure_in_other_words_is_a_repeat() -> None:
    first = candidate("Sessions will run in each of the service's 14 areas over the next six months.")
    second = candidate("Staff will hold sessions across the CPS's 14 regional areas over six months.")
    assert summarize.repeats(first, second)
    assert summarize.numbers_of("Fined £3,100,000 in 2024 over 1,900 reports") == {"3100000", "1900"}


def test_the_same_event_in_other_words_is_a_repeat_without_a_number() -> None:
    first = candidate(
        "Regulators on Thursday opened a formal investigation into whether the video app fails hate speech victims."
    )
    second = candidate(
        "The Commission opened formal proceedings on Thursday over how the video app handles hate speech."
    )
    assert summarize.repeats(first, second)
    unrelated = candidate(
        "Campaigners said hate speech on the video app had doubled since the last election."
    )
    assert not summarize.repeats(first, unrelated)


def candidate(sentence: str) -> summarize.Candidate:
    source = article("c", "Title", sentence)
    (found,) = text.sentences(source.text)
    tokens = frozenset(text.content_tokens(sentence))
    return summarize.Candidate(found, source, 0, tokens, 1.0, summarize.numbers_of(sentence))


def test_reading_only_the_paragraphs_that_could_be_picked_changes_no_pick() -> None:
    paragraphs = [
        f"The regulator said platform number {n} must remove reported intimate images within {n + 2} days."
        for n in range(12)
    ]
    sources = [
        article("r1", "Regulator sets deadline", "\n\n".join(paragraphs), 10, "Ledger"),
        article("r2", "Platforms given deadline", "\n\n".join(reversed(paragraphs)), 8, "Wire"),
        article("r3", "Deadline for platforms", WATCHDOG + "\n\n" + BODY, 6, "Post"),
    ]
    shared = summarize.shared_tokens(sources, {})
    everything = [
        c
        for rank, source in enumerate(sources)
        for reading in [summarize.reading_of(source, rank)]
        for index in range(len(reading.paragraphs))
        for c in summarize.candidates_in(reading, index, shared, len(sources))
    ]
    for target in (1, 2, 3, 4):
        assert summarize.best_candidates(sources, shared, target, {}) == summarize.pick(everything, target)


def test_no_sentence_scores_above_its_paragraphs_best() -> None:
    for rank, paragraph in ((0, 0), (1, 0), (0, 3), (2, 40)):
        best = summarize.best_score(rank, paragraph)
        assert all(summarize.sentence_score(c / 7, paragraph, rank) <= best for c in range(8))
    assert summarize.best_score(0, 1) < summarize.best_score(0, 0)


def test_picks_are_settled_only_when_nothing_unread_could_outrank_the_last() -> None:
    sentences = (
        "Police said 14 people were arrested in dawn raids across three cities on Monday.",
        "The regulator has 30 days to respond to the complaint from the charity.",
    )
    high = [replace(candidate(sentence), score=2.0 - n / 10) for n, sentence in enumerate(sentences)]
    assert summarize.settled(high, 2, 1.5)
    assert not summarize.settled(high, 2, 1.9)  # an unread sentence could still outrank the second pick
    assert not summarize.settled(high, 3, 1.0)  # too few picks yet
