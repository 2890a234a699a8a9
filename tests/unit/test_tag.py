"""Tags: canonical names, parents for sub-national places, feed jurisdiction only as a fallback."""

from dataclasses import replace

from digest import relevance, tag
from digest.records import Quote

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
