"""Quotes: both attribution forms, curly and straight marks, surname and pronoun resolution, variants."""

import re
from collections import Counter

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


def test_unnamed_spokesperson_is_named_by_the_organisation() -> None:
    body = '"We are reviewing the decision carefully today," a spokesperson for Bluefin said.'
    assert extracted(body) == [("Bluefin spokesperson", "", "We are reviewing the")]
    before = "“Every report now reaches a person within a day,” an Ofcom spokesman said."
    assert extracted(before) == [("Ofcom spokesman", "", "Every report now rea")]


def test_the_spokesperson_points_back_to_the_fuller_description() -> None:
    body = (
        "A Larkspur spokesperson said the app had changed its rules. "
        "“No one will be able to message a stranger's child again,” the spokesperson said."
    )
    assert extracted(body) == [("Larkspur spokesperson", "", "No one will be able ")]


def test_a_description_the_article_gives_a_named_person_resolves_to_that_person() -> None:
    body = (
        "Ines Markovic, a spokesperson for Larkspur, said the company had apologised.\n\n"
        "A spokesperson for Larkspur said: “We are hiring forty more reviewers before the summer.”"
    )
    assert extracted(body) == [("Ines Markovic", "a spokesperson for Larkspur", "We are hiring forty ")]
    named_after = '"We should have acted on the first report," the firm\'s spokesperson, Ines Markovic, said.'
    assert [s for s, _, _ in extracted(named_after)] == ["Ines Markovic"]


def test_a_quote_nobody_can_be_named_for_is_dropped() -> None:
    body = '"We are looking at what went wrong here," the company\'s spokesperson said on Friday.'
    assert extracted(body) == []


def test_organisation_name_split_by_a_comma_is_not_a_person() -> None:
    body = (
        "Ruth Calder runs a clinic for young men who have been blackmailed online.\n\n"
        "“Most of them have already paid money they did not have,” said Calder, practice lead at "
        "Tamar Valley Survivors Support, a counselling service in Plymouth. "
        "“Knowing the regulator is chasing the images changes the whole conversation.”"
    )
    assert [speaker for speaker, _, _ in extracted(body)] == ["Ruth Calder", "Ruth Calder"]


def test_the_named_person_speaking_for_a_company_is_the_speaker() -> None:
    body = (
        '"We switch on these protections for every account under 18," said Brightwave spokesperson '
        "Oona Kessel. She said the company would study the bill."
    )
    assert extracted(body) == [("Oona Kessel", "Brightwave spokesperson", "We switch on these p")]


def test_pronouns_follow_the_gender_the_text_gives_each_person() -> None:
    body = (
        "The schools minister, Owen Marsh, met campaigner Priya Dalal on Monday to hear her case for a ban.\n\n"
        "“We will look at every option on the table, including a ban,” he said.\n\n"
        "“Every option is what I was promised two years ago,” she replied."
    )
    assert [speaker for speaker, _, _ in extracted(body)] == ["Owen Marsh", "Priya Dalal"]


def test_a_surname_spelled_another_way_is_the_same_person() -> None:
    body = (
        "Detective Sergeant Lee Mottershead said the unit had traced the accounts.\n\n"
        "“Every one of them led back to the same laptop in the end,” Mottershed said."
    )
    assert [speaker for speaker, _, _ in extracted(body)] == ["Lee Mottershead"]


def test_a_surname_with_its_role_beside_it_gives_the_role() -> None:
    body = (
        "Nell Ashdown found her address posted online in March.\n\n"
        "Ashdown, a district councillor for Eastfield, said the posts had changed her life. "
        "“I stopped answering the door after dark,” she said."
    )
    assert extracted(body) == [
        ("Nell Ashdown", "a district councillor for Eastfield", "I stopped answering ")
    ]


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


def test_word_counts_count_an_elided_word_whole_and_in_parts() -> None:
    folded = "O'Brien met Brien, and O'Brien's team met Lee-Ann O' Neill's aide, 'Brien'."
    expected = Counter(re.findall(r"[\w-]+", folded)) | Counter(re.findall(r"[\w'-]+", folded))
    assert quotes.word_counts(folded) == expected
    assert quotes.word_counts(folded)["Brien"] == 4


def test_a_person_is_referred_to_by_full_name_or_surname_never_inside_another_mention() -> None:
    folded = (
        "Jenny Hopkins said so. Hopkins's team and Hopkins-Lee disagreed; Hopkins did not. "
        "Later Jenny Hopkins, then Hopkins Hopkins."
    )
    regex = re.compile(r"(?<![\w-])(?:Jenny Hopkins|Hopkins)(?![\w-])(?!'s)")
    found = quotes.named_at(folded, "Jenny Hopkins")
    assert found == [m.start() for m in regex.finditer(folded)]
    assert folded.index("Hopkins's") not in found and found[0] == 0


def people(body: str) -> list[str]:
    return [mention.name for mention in quotes.find_people(body)]


def test_the_rest_of_an_organisations_name_is_not_a_person() -> None:
    body = (
        "Lena Marsh of the Institute for Safer Timelines said the fine was overdue. The Institute for "
        "Safer Timelines has asked for an audit, said Marsh."
    )
    assert set(people(body)) == {"Lena Marsh"}


def test_a_place_named_twice_is_not_a_person() -> None:
    body = (
        "A man from Kestrel Moor has been charged with stalking a former partner online. Officers said "
        "complaints came from people in Kestrel Moor. A second Kestrel Moor resident is on bail. "
        "Police in Kestrel Moor said the inquiry was continuing."
    )
    assert "Kestrel Moor" not in people(body)


def test_a_person_after_from_is_still_a_person_when_named_again_by_surname() -> None:
    body = "The court heard a statement from Odile Brant. Brant wrote that she no longer posts photographs."
    assert people(body) == ["Odile Brant"]


def test_a_surname_only_ever_following_another_capitalised_word_is_not_named_alone() -> None:
    folded = "Detectives in Harlow Vale met people from Halton Vale. Ms Vale was not there."
    assert not quotes.named_alone(folded.replace("Ms Vale", "Mx Fenn"), "Vale", frozenset({"Ms"}))
    assert quotes.named_alone(folded, "Vale", frozenset({"Ms"}))
    assert quotes.named_alone("Vale said so.", "Vale", frozenset())
