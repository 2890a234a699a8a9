"""Sentence splitting and token helpers: sentences stay verbatim substrings of their paragraph."""

from digest import text


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
