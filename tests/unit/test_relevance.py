"""Relevance: an online harm AND a response AND an online context; near-misses left out with a reason."""

from digest import lexicon, relevance

from ._editorial import article


def judge(title: str, body: str):  # type: ignore[no-untyped-def]
    return relevance.judge(article("a1", title, body), lexicon.taxonomy())


def test_online_harm_with_a_response_is_kept_with_evidence() -> None:
    verdict = judge(
        "Man jailed for cyberstalking former partner",
        "A man who installed stalkerware on his former partner's phone was jailed for two years at Crown Court.\n\n"
        "Police said he had tracked her location for months.",
    )
    assert verdict.on_topic and verdict.reason == ""
    assert "cyberstalking" in verdict.harms and "sentencing" in verdict.responses
    assert any(line.startswith("sentence: ") for line in verdict.evidence)
    assert verdict.score > 0


def test_workplace_harassment_without_an_online_side_is_left_out() -> None:
    verdict = judge(
        "Tribunal rules manager harassed shop worker",
        "An employment tribunal found that a manager harassed a shop worker in the stockroom for a year.\n\n"
        "The judge awarded her compensation and the firm was held to account.",
    )
    assert not verdict.on_topic
    assert "without an online side" in verdict.reason


def test_substance_abuse_is_a_near_miss() -> None:
    verdict = judge(
        "Council funds substance abuse clinic",
        "The council will fund a clinic for drug abuse and alcohol abuse, officials said, after new research.",
    )
    assert not verdict.on_topic
    assert "substance abuse" in verdict.reason


def test_harm_without_a_response_is_left_out() -> None:
    verdict = judge("Trolling is rising", "Sextortion messages sent online to teenagers are rising sharply.")
    assert not verdict.on_topic
    assert "without a policy response" in verdict.reason


def test_judge_all_is_deterministic() -> None:
    items = [
        article("b", "Deepfake porn law passes", "Lawmakers passed legislation against deepfake porn online.")
    ]
    assert relevance.judge_all(items) == relevance.judge_all(items)
