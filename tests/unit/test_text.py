"""Sentence splitting and token helpers: sentences stay verbatim substrings of their paragraph."""

import re

from digest import lexicon, text


def test_sentences_are_verbatim_and_respect_abbreviations_and_initials() -> None:
    paragraph = "Mr. Dale Frost met the U.K. team on Monday. J. R. Okoro said it went well. Then they left."
    pieces = text.split_sentences(paragraph)
    assert pieces == [
        "Mr. Dale Frost met the U.K. team on Monday.",
        "J. R. Okoro said it went well.",
        "Then they left.",
    ]
    assert all(piece in paragraph for piece in pieces)


def test_a_sentence_never_ends_inside_an_open_quotation() -> None:
    paragraph = "“We tried. Nobody listened,” Ana Reyes said. The court rose."
    assert text.split_sentences(paragraph) == [
        "“We tried. Nobody listened,” Ana Reyes said.",
        "The court rose.",
    ]


def test_paragraphs_and_positions() -> None:
    found = text.sentences("First one here. Second one here.\n\nThird one here.")
    assert [(s.paragraph, s.position) for s in found] == [(0, 0), (0, 1), (1, 2)]


def test_content_tokens_drop_stopwords_and_possessives() -> None:
    assert text.content_tokens("The regulator's fine was said to be large") == ["regulator", "fine", "large"]


def test_stable_hash_and_shingles_are_deterministic() -> None:
    assert text.stable_hash("abc") == 891568578
    assert text.shingles(["a", "b", "c"], 2) == {text.stable_hash("a b"), text.stable_hash("b c")}


def test_edit_distance() -> None:
    assert text.edit_distance("mottershead", "mottershed") == 1
    assert text.edit_distance("kitten", "sitting") == 3


def test_fold_quotes_straightens_curly_marks_and_keeps_offsets() -> None:
    curly = "\u2018It\u2019s “fine”\u2019, she said"
    assert text.fold_quotes(curly) == "'It's \"fine\"', she said"
    assert len(text.fold_quotes(curly)) == len(curly)


def test_article_tokens_are_the_content_tokens_of_headline_and_text_together() -> None:
    title, body = "Regulator fines forum", "The forum's fine was large.\n\nIt must pay."
    assert text.article_tokens(title, body) == tuple(text.content_tokens(title + "\n\n" + body))


def test_article_tokens_are_the_same_from_the_words_of_the_text_found_before() -> None:
    samples = [
        ("", "Ana\u2019s café, 2 times"),
        ("Fines for X", "Σίσυφος and O'Brien's firm\n\nthe end"),
        ("Ends in O'", "Brien"),
    ]
    for title, body in samples:
        expected = tuple(text.content_tokens(title + " " + body))
        assert text.article_tokens(title, body, text.words(body)) == expected
        assert text.article_tokens(title, body) == expected


def test_article_tokens_remember_the_last_articles_only() -> None:
    first = text.article_tokens("Headline zero", "Body zero")
    assert text.article_tokens("Headline zero", "Body zero") is first  # remembered, not worked out again
    for number in range(lexicon.TEXTS_REMEMBERED):
        text.article_tokens(f"Headline {number + 1}", "Body")
    assert len(text._TOKENS) == lexicon.TEXTS_REMEMBERED
    assert text.article_tokens("Headline zero", "Body zero") is not first  # forgotten, the oldest


def test_word_count_counts_what_words_finds() -> None:
    for sample in ("", "Don\u2019t stop, 2 times!", "Ana's café—closed"):
        assert text.word_count(sample) == len(text.words(sample))


def test_a_name_stands_alone_only_outside_longer_words_and_hyphenated_names() -> None:
    content = (
        "Hopkins said; Hopkins-Lee, Hopkinson and Lee-Hopkins did not, nor did Hopkins_ or Hopkins's aide."
    )
    found = [position for position in range(len(content)) if text.standalone_at(content, position, "Hopkins")]
    regex = re.compile(r"(?<![\w-])Hopkins(?![\w-])")
    assert found == [m.start() for m in regex.finditer(content)] == [0, content.index("Hopkins's")]
    assert text.has_standalone("said Hopkins.", "Hopkins")
    assert not text.has_standalone("said Hopkinson.", "Hopkins")


def test_words_are_lowered_with_apostrophes_straightened() -> None:
    assert text.words("ÀÉÎ Don\u2019t STOP's; Ø-ÿ") == ["àéî", "don't", "stop's", "ø", "ÿ"]
    assert text.words("") == [] and text.words("—") == []
