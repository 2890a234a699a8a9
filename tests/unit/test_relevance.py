"""Relevance: an online harm AND a response AND an online context; near-misses left out with a reason."""

import re
import sys

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
    assert any(line.startswith("harm cyberstalking ") for line in verdict.evidence)
    # The deciding sentences are for the status page, which lists only the articles left out.
    assert not any(line.startswith("sentence: ") for line in verdict.evidence)
    assert verdict.score > 0


def test_an_article_left_out_shows_the_sentences_that_decided_it() -> None:
    verdict = judge(
        "Trolls target presenter with abuse online",
        "A television presenter said she had received a stream of abusive messages on social media.\n\n"
        "She said the online abuse had gone on for weeks. The weather was mild.",
    )
    assert not verdict.on_topic and verdict.reason
    sentences = [
        line.removeprefix("sentence: ") for line in verdict.evidence if line.startswith("sentence: ")
    ]
    assert sentences and all("abus" in sentence for sentence in sentences)


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


# --- terms matched on words: exactly what the terms' regular expression finds ---------------


def matched(terms: list[str], content: str) -> list[str]:
    """What the word matcher finds, after checking it found what the compiled pattern finds."""
    pattern = lexicon.compile_terms(terms)
    assert pattern is not None
    found, _ = relevance.TermIndex([(pattern, terms)], ()).find(content, relevance.Tokens.of(content))
    spans = found.get(pattern, [])
    assert spans == [m.span() for m in pattern.finditer(content)]
    return [content[start:end] for start, end in spans]


def test_phrase_words_may_be_joined_by_spaces_hyphens_or_line_breaks_only() -> None:
    content = "intimate-image cases, intimate\nimage, intimate - image, intimate, image, intimate\u2019image"
    assert matched(["intimate image"], content) == ["intimate-image", "intimate\nimage", "intimate - image"]


def test_a_straight_apostrophe_in_a_term_matches_a_curly_one() -> None:
    content = "The victims\u2019 commissioner and the victims' commissioner; the victims commissioner"
    assert matched(["victims' commissioner"], content) == [
        "victims\u2019 commissioner",
        "victims' commissioner",
    ]


def test_a_trailing_star_takes_any_word_ending_with_its_apostrophes() -> None:
    content = "harass, harassed, HARASSMENT, the harasser\u2019s phone, harassers' homes, unharassed"
    assert matched(["harass*"], content) == [
        "harass",
        "harassed",
        "HARASSMENT",
        "harasser\u2019s",
        "harassers'",
    ]
    assert matched(["social network*"], "social-networking sites") == ["social-networking"]


def test_a_term_inside_a_longer_word_does_not_match() -> None:
    assert matched(["app"], "apple, happy, app_store, the app's store") == ["app"]
    assert matched(["dox"], "doxology, paradox, dox2") == []
    assert matched(["intimate image", "social network*"], "intimate imagery, socially networked") == []
    assert matched(["intimate image abuse"], "intimate image abuser") == []


def test_terms_ignore_case() -> None:
    assert matched(["Ofcom", "AI"], "OFCOM, ofcom and Ai") == ["OFCOM", "ofcom", "Ai"]


def test_terms_at_the_start_and_end_of_a_text() -> None:
    assert matched(["online abuse", "abuse"], "abuse online and online abuse") == ["abuse", "online abuse"]


def test_the_longer_term_wins_where_both_begin() -> None:
    assert matched(["intimate image", "intimate image abuse"], "intimate image abuse") == [
        "intimate image abuse"
    ]


def test_punctuation_in_a_term_is_matched_as_written() -> None:
    content = "the Data (Use and Access) Act, the Data (Use and Access Act"
    assert matched(["Data (Use and Access)"], content) == ["Data (Use and Access)"]


def test_a_term_that_is_not_a_word_sequence_is_left_to_its_pattern() -> None:
    pattern = lexicon.compile_terms(["#metoo", "online"])
    assert pattern is not None
    index = relevance.TermIndex([(pattern, ["#metoo", "online"])], ())
    assert index.regex_only == {pattern}
    assert matched(["#metoo", "online"], "posts tagged #MeToo online") == ["#MeToo", "online"]


def test_a_letter_re_folds_unlike_lower_leaves_the_text_to_the_patterns() -> None:
    # re.IGNORECASE counts the long s as an s; lower() leaves it
    assert relevance.Tokens.of("hara\u017f\u017fment") is None
    assert matched(["harass*"], "hara\u017f\u017fment online") == ["hara\u017f\u017fment"]
    assert relevance.Tokens.of("Coimisiún na Meán") is not None


def test_every_letter_lower_accepts_compares_as_re_ignorecase_does() -> None:
    chars = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000]
    cased = [c for c in chars if c.lower() != c or c.upper() != c]
    plain = [c for c in cased if relevance.plain_case(c)]
    pool = "".join(cased)
    for char in plain:
        same = set(re.compile(re.escape(char), re.IGNORECASE).findall(pool))
        assert {c for c in same if relevance.plain_case(c)} == {c for c in plain if c.lower() == char.lower()}
    word = re.compile(r"\w")
    for char in chars:
        lower = char.lower()
        if len(lower) == 1 and lower != char:
            assert bool(word.match(char)) == bool(word.match(lower)) and lower in cased


def test_every_bundled_term_is_matched_on_words() -> None:
    assert relevance.term_index(lexicon.taxonomy()).regex_only == set()


def test_matched_wordings_are_counted_in_sentences_as_the_old_pattern_counts_them() -> None:
    wordings = relevance.Wordings(["harassers'", "online abuse", "abuse", "data (use and access)"])
    pattern = relevance.term_pattern(wordings.ordered)
    for sentence in [
        "Online abuse and abuse, ONLINE ABUSE.",
        "The harassers' homes, the harassers's phones, harassers'",
        "online  abuse, online-abuse, abuses",
        "the Data (Use and Access) Act and Data (Use and Access)x",
    ]:
        expected = relevance.count_matches(pattern, sentence)
        assert wordings.count(sentence, relevance.Tokens.of(sentence)) == expected
    assert wordings.count("Online abuse and abuse, ONLINE ABUSE.", None) == 3


# --- terms in an article -------------------------------------------------------------------


def test_a_generic_term_counts_only_in_a_paragraph_with_an_online_context() -> None:
    verdict = judge(
        "Council report",
        "She was harassed on social media for months.\n\nHe was harassed at work every day.",
    )
    assert "harm harassment 2: harassed" in verdict.evidence  # one hit, not two


def test_a_near_miss_across_a_paragraph_break_is_masked() -> None:
    verdict = judge("Clinic funding", "Posts online about drug\n\nabuse clinics and the police.")
    assert "near-miss masked: substance abuse" in verdict.evidence
    assert not any(line.startswith("harm harassment") for line in verdict.evidence)


def test_a_star_only_ending_a_term_means_sexually_exploited_children_is_found() -> None:
    verdict = judge("Man jailed", "He sexually exploited children he met online, the court heard.")
    assert any(line.startswith("harm child sexual exploitation") for line in verdict.evidence)
