"""Summaries: 2-4 verbatim sentences, no boilerplate, no pronoun-initial or surname-only sentences."""

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
