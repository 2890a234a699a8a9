"""Tags: canonical names, parents for sub-national places, feed jurisdiction only as a fallback."""

from dataclasses import replace

from digest import relevance, tag
from digest.records import Quote, Tags

from ._editorial import article


def test_canonical_tags_with_parents_and_people_quoted() -> None:
    item = article(
        "t1",
        "Police Scotland charge man over intimate images",
        "Police Scotland arrested a man in Dundee who shared intimate images of his former partner on Twitter. "
        "The Crown Office and Procurator Fiscal Service will prosecute.",
    )
    judgements = relevance.judge_all([item])
    tags = tag.tag_story(
        [item], judgements, [Quote("Ruth Hale", "x", "detective", "t1"), Quote("", "y", "spokesperson")], ()
    )
    assert tags.jurisdictions == ("United Kingdom", "Scotland")
    assert {"Police Scotland", "Crown Office and Procurator Fiscal Service", "X (Twitter)"} <= set(
        tags.organisations
    )
    assert "intimate-image abuse" in tags.harms
    assert tags.people == ("Ruth Hale",)


def test_feed_jurisdiction_is_used_only_when_the_text_names_none() -> None:
    item = replace(
        article("t2", "Helpline hours extended", "The helpline will open at weekends."),
        feed_jurisdiction="Ireland",
    )
    assert tag.tag_story([item], {}, [], ()).jurisdictions == ("Ireland",)
    named = replace(item, text="The helpline in France will open at weekends, in France.")
    assert tag.tag_story([named], {}, [], ()).jurisdictions == ("France",)


def test_organisations_introduced_by_their_kind_are_found() -> None:
    item = article(
        "t3", "Charity warns", "The charity Safe Harbour Kids said reports rose, as did Bristol City Council."
    )
    assert {"Safe Harbour Kids", "Bristol City Council"} <= set(
        tag.tag_story([item], {}, [], ()).organisations
    )


def test_a_quoted_person_is_never_an_organisation_and_every_tag_appears_once() -> None:
    item = article(
        "t4",
        "Survey finds abuse of councillors",
        "The Open Benches Trust surveyed 400 councillors about threats made online.\n\n"
        "“Nobody should be frightened out of public life,” said Mara Quill, the trust's chief executive.",
    )
    found = [
        Quote("Mara Quill", "Nobody should be frightened out of public life", "the trust's chief executive")
    ]
    tags = tag.tag_story([item], relevance.judge_all([item]), found, ())
    assert "Mara Quill" not in tags.organisations
    assert "Open Benches Trust" in tags.organisations
    assert tags.people == ("Mara Quill",)
    assert len(tags.all()) == len(set(tags.all()))


def test_all_lists_a_name_shared_by_two_fields_once() -> None:
    tags = Tags(harms=("harassment",), organisations=("Glenrock",), people=("Glenrock",))
    assert tags.all() == ("harassment", "Glenrock")


def test_the_longest_organisation_name_wins() -> None:
    item = article(
        "t5",
        "Police arrest three over deepfake chat rooms",
        "The Seoul Metropolitan Police Agency arrested three men over deepfake chat rooms.",
    )
    tags = tag.tag_story([item], {}, [], ())
    assert tags.organisations == ("Seoul Metropolitan Police Agency",)
    assert tags.jurisdictions == ("South Korea",)


def test_the_longest_place_name_wins() -> None:
    item = article(
        "t7",
        "Man charged over threats",
        "Police in New South Wales charged a man over threats to a councillor.",
    )
    assert tag.tag_story([item], {}, [], ()).jurisdictions == ("Australia", "New South Wales")


def test_discovery_keeps_whole_names_and_drops_fragments() -> None:
    item = article(
        "t6",
        "Councillors report abuse",
        "Surveys by the Local Government Association found most councillors had been abused online. "
        "The Commission said it would act. The Marlow Centre for Online Safety and the Fenwick Police "
        "and Ambermoor Police will share reports, as will India's Ministry of Harbour Affairs.",
    )
    found = set(tag.tag_story([item], {}, [], ()).organisations)
    assert {"Marlow Centre for Online Safety", "Ministry of Harbour Affairs"} <= found
    assert not found & {"Local Government", "Commission", "Marlow Centre", "India's Ministry"}
    assert not any(" and " in name for name in found)
