"""Clustering: same event across outlets grouped with reasons; same theme, different people kept apart."""

import math
from collections import Counter

import pytest

from digest import cluster

from ._editorial import article

EVENT_A = (
    "Ofcom has fined Driftboard, an anonymous image forum registered in the Seychelles, £1.05 million for failing "
    "to assess the risk of illegal material.\n\n"
    "“We will not tolerate services that ignore their duties to users,” said Mara Quint, Ofcom's enforcement director."
)
EVENT_A_REWRITE = (
    "The operator of Driftboard must pay £1.05m after the media watchdog found it had skipped its risk assessment.\n\n"
    "Mara Quint said: “We will not tolerate services that ignore their duties to users.” The Seychelles firm has 60 days."
)
OTHER_CASE_1 = (
    "Liam Ashdown, 29, of Salford, was jailed for 18 months at Manchester Crown Court for sharing intimate images "
    "of his former partner in a Telegram group. Ashdown admitted the offence."
)
OTHER_CASE_2 = (
    "Stephen Rowe, 52, of Oldham, was jailed at Manchester Crown Court for threatening to share intimate images of "
    "his former partner by text message. Rowe admitted the offence."
)


def test_two_outlets_on_one_event_become_one_cluster_with_reasons() -> None:
    items = [
        article("a", "Regulator fines image forum", EVENT_A, 20, "Daily Ledger"),
        article("b", "Watchdog penalty for anonymous site", EVENT_A_REWRITE, 26, "Northern Post"),
    ]
    clusters = cluster.cluster_articles(items)
    assert len(clusters) == 1
    assert clusters[0].article_ids == ("b", "a")  # the first to publish leads
    assert any("shared quote" in reason for reason in clusters[0].reasons)


def test_two_prosecutions_in_one_week_stay_two_stories() -> None:
    items = [
        article("c", "Man jailed for sharing images", OTHER_CASE_1, 20),
        article("d", "Man jailed for threatening to share images", OTHER_CASE_2, 30),
    ]
    assert len(cluster.cluster_articles(items)) == 2


def test_near_identical_copy_is_a_duplicate_of_the_earlier_article() -> None:
    items = [
        article("orig", "Forum fined", EVENT_A, 30, "Wire"),
        article("copy", "Forum fined", EVENT_A, 20, "Reprint"),
    ]
    clusters = cluster.cluster_articles(items)
    assert len(clusters) == 1 and clusters[0].duplicates == (("copy", "orig"),)


def test_the_credited_outlet_leads() -> None:
    credited = EVENT_A_REWRITE + "\n\nQuint told The Daily Ledger the fine was the first of many."
    items = [
        article("a", "Regulator fines image forum", EVENT_A, 20, "The Daily Ledger"),
        article("b", "Watchdog penalty for anonymous site", credited, 26, "Northern Post"),
    ]
    (only,) = cluster.cluster_articles(items)
    assert only.article_ids[0] == "a"


def test_articles_weeks_apart_are_not_candidates() -> None:
    items = [article("a", "Forum fined", EVENT_A, 20), article("b", "Forum fined", EVENT_A, 20 + 24 * 30)]
    assert len(cluster.cluster_articles(items)) == 2


OUTLETS = {"daily ledger": "The Daily Ledger", "northern post": "Northern Post"}


@pytest.mark.parametrize(
    ("sentence", "credited"),
    [
        ("Hopkins told The Guardian the training would start in spring.", ["The Guardian"]),
        ("The plan was first reported by the Liverside Herald on Monday.", ["Liverside Herald"]),
        ("Twitter will help the CPS, says The Guardian.", ["The Guardian"]),
        ("He posed as a divorcee, reported Mail Online.", ["Mail Online"]),
        ("According to Reuters, the fine was agreed in March.", ["Reuters"]),
        ("Quint told the Daily Ledger's reporter the fine was the first of many.", ["The Daily Ledger"]),
        # phrases followed by something that is not an outlet
        ("Hopkins told MPs the training would start in spring.", []),
        ("The figures, according to Ofcom, show a rise.", []),
        ("According to the Crown Prosecution Service, cases doubled.", []),
        ("The change was welcomed, said Alison Saunders.", []),
        ("Officers told the court she had been followed for months.", []),
    ],
)  # fmt: skip
def test_credited_outlets_are_told_apart_from_people_and_bodies(sentence: str, credited: list[str]) -> None:
    assert cluster.outlet_credits(sentence, OUTLETS) == credited


def test_an_outlet_that_is_not_a_source_is_named_on_the_cluster() -> None:
    credit = "\n\nThe fine was first reported by the Seychelles Gazette, which said Quint told it more would follow."
    items = [
        article("a", "Regulator fines image forum", EVENT_A + credit, 20, "Daily Ledger"),
        article("b", "Watchdog penalty for anonymous site", EVENT_A_REWRITE + credit, 26, "Northern Post"),
    ]
    (only,) = cluster.cluster_articles(items)
    assert only.credited_outlet == "Seychelles Gazette"
    assert only.article_ids[0] == "b"  # no source is credited: the first to publish leads


def test_the_credited_source_is_named_and_leads() -> None:
    credited = EVENT_A_REWRITE + "\n\nQuint told The Daily Ledger the fine was the first of many."
    items = [
        article("a", "Regulator fines image forum", EVENT_A, 20, "The Daily Ledger"),
        article("b", "Watchdog penalty for anonymous site", credited, 26, "Northern Post"),
    ]
    (only,) = cluster.cluster_articles(items)
    assert (only.article_ids[0], only.credited_outlet) == ("a", "The Daily Ledger")


def test_an_outlet_crediting_itself_is_not_a_credit() -> None:
    own = EVENT_A + "\n\nQuint told the Daily Ledger more fines would follow."
    items = [
        article("a", "Regulator fines image forum", own, 20, "Daily Ledger"),
        article("b", "Watchdog penalty for anonymous site", EVENT_A_REWRITE, 26, "Northern Post"),
    ]
    (only,) = cluster.cluster_articles(items)
    assert (only.article_ids[0], only.credited_outlet) == ("b", "")


def test_the_most_credited_outlet_wins() -> None:
    credits = [["Mail Online", "The Guardian"], ["The Guardian"], ["the Guardian"]]
    assert cluster.most_credited(credits) == "The Guardian"
    assert cluster.most_credited([["Reuters"], ["Mail Online"]]) == "Reuters"
    assert cluster.most_credited([[], []]) == ""


def test_resemblance_is_the_share_of_the_smallest_shingles_both_sketches_hold() -> None:
    assert cluster.resemblance((1, 2, 3, 4), (5, 6, 7, 8)) == 0.0
    assert cluster.resemblance((), (1, 2)) == 0.0
    assert cluster.resemblance((1, 2, 3), (1, 2, 3)) == 1.0
    assert cluster.resemblance((1, 2, 3, 4), (2, 4, 6, 8)) == 2 / 6


def test_weights_work_out_each_idf_once_and_answer_as_a_dict() -> None:
    weights = cluster.Weights(10, Counter({"ofcom": 4}))
    assert weights["ofcom"] == weights.idf("ofcom") == math.log(1 + 10 / 5) + 0.1
    assert weights["driftboard"] == math.log(1 + 10 / 1) + 0.1
    assert set(weights) == {"ofcom", "driftboard"}
    assert cluster.rare_count(frozenset({"ofcom", "driftboard"}), weights) == 1


@pytest.mark.parametrize("count", [0, 1, 3, 5, 8, 20])
def test_first_ranked_is_the_head_of_the_full_sort_with_ties_at_the_cut(count: int) -> None:
    # Ranks repeat (words used as often, as rare), so ties fall on either side of the cut.
    tokens = [f"word{n:02d}" for n in range(12)][::-1]
    ranks = [float(-(n % 4)) for n in range(12)]
    expected = [token for _, token in sorted(zip(ranks, tokens, strict=True))][:count]
    assert cluster.first_ranked(ranks, tokens, count) == expected
    assert cluster.first_ranked(ranks, iter(tokens), count) == expected  # any iterable of tokens
