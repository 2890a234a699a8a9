"""Quotes: both attribution forms, curly and straight marks, surname and pronoun resolution, variants."""

from digest import quotes
from digest.records import Quote

from ._editorial import article


def extracted(body: str) -> list[tuple[str, str, str]]:
    return [(q.speaker, q.role, q.text[:20]) for q in quotes.extract_quotes(article("q", "T", body))]


def test_surname_resolves_to_the_full_name_and_role_introduced_earlier() -> None:
    body = (
        "Priya Vance, chief crown prosecutor for the region, told reporters the guidance was ready.\n\n"
        "“Offenders leave a trail online and we will follow it every time,” Vance said."
    )
    assert extracted(body) == [
        ("Priya Vance", "chief crown prosecutor for the region", "Offenders leave a tr")
    ]


def test_said_x_role_form_with_straight_marks() -> None:
    body = '"We removed every account that was reported to us," said Tomas Lind, head of safety at Bluefin.'
    assert extracted(body) == [("Tomas Lind", "head of safety at Bluefin", "We removed every acc")]


def test_pronoun_goes_to_the_last_person_named_and_fragments_keep_their_speaker() -> None:
    body = (
        "Grace Obi, a caseworker, said calls had doubled.\n\n"
        "“Most callers have been told to log off,” she said. “That is not an answer to abuse.”"
    )
    found = extracted(body)
    assert [speaker for speaker, _, _ in found] == ["Grace Obi", "Grace Obi"]


def test_short_scare_quotes_are_not_quotes() -> None:
    assert extracted('The firm called it a "safety feature" in a statement, Dan Cole said.') == []


def test_described_speaker_keeps_the_description_as_role() -> None:
    body = '"We are reviewing the decision carefully today," a spokesperson for Bluefin said.'
    assert extracted(body) == [("", "spokesperson for Bluefin", "We are reviewing the")]


def test_spelling_variants_of_one_name_are_merged() -> None:
    merged = quotes.merge_variants(
        [
            Quote("Lee Mottershead", "one", "x", "a"),
            Quote("Lee Mottershed", "two", "y", "b"),
            Quote("Lee Mottershead", "three", "z", "c"),
        ]
    )
    assert {q.speaker for q in merged} == {"Lee Mottershead"}


def test_credited_outlet_is_found() -> None:
    assert quotes.credited_outlets("she told The Harbour Ledger on Monday") == ["The Harbour Ledger"]
