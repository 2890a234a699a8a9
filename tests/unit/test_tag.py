"""Tags: canonical names, parents for sub-national places, feed jurisdiction only as a fallback."""

import functools
import re
from dataclasses import replace

from digest import lexicon, relevance, tag
from digest.records import Quote, Tags
from digest.sample.corpus import load_corpus

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


# --- finding names fast, as the full scans would -------------------------------------------


@functools.cache
def sample_texts() -> tuple[str, ...]:
    corpus = load_corpus()
    made_up = (
        "Women's Aid and Women\u2019s Aid; Victims' Commissioner. Police Scotland, Police and the Policeman.",
        "New England, England and New South Wales; Bank of England. Queen Victoria in Victoria, Melbourne.",
        "The charity Safe Corridors, a charity, met Safe Corridors, a charity, and the platform Loopcast.",
    )
    return (*made_up, *(a.title + "\n\n" + "\n\n".join(a.paragraphs) for a in corpus.articles))


def test_listed_names_are_looked_for_only_where_their_first_words_occur_yet_all_are_found() -> None:
    entries = [*lexicon.organisations(), *lexicon.places()]
    assert sum(entry.anchored for entry in entries) > len(entries) - 3  # only X needs a full scan
    for content in sample_texts():
        for entry in entries:
            spans = [m.span() for m in lexicon.matches_of(entry, content)]
            assert spans == [m.span() for m in entry.pattern.finditer(content)], (entry.name, content[:60])


def test_excluded_phrases_are_blanked_only_where_they_can_be() -> None:
    for content in sample_texts():
        for place in lexicon.places():
            if place.exclude is not None:
                blanked = place.exclude.sub(lambda m: " " * len(m.group(0)), content)
                assert lexicon.without_excluded(place, content) == blanked


def test_leftmost_matches_are_what_finditer_finds_for_the_alternation() -> None:
    first, second = re.compile(r"ab|b"), re.compile(r"abc|c")
    together = re.compile(r"(?:ab|b)|(?:abc|c)")
    for content in ("xabcabcbc", "", "cab", "bbcc"):
        searches = [functools.partial(first.search, content), functools.partial(second.search, content)]
        found = [m.span() for m in lexicon.leftmost_matches(searches)]
        assert found == [m.span() for m in together.finditer(content)]


def test_a_search_from_start_words_finds_what_a_full_search_finds() -> None:
    pattern = re.compile(r"(?<![\w])(?:Police Scotland|Police)(?![\w])")
    content = "Police Scotland and the Policeman, then Police, not NoPolice."
    search = lexicon.search_from(pattern, content, ["Police"])
    for position in range(len(content) + 1):
        found, wanted = search(position), pattern.search(content, position)
        assert (found and found.span()) == (wanted and wanted.span())


def test_organisations_introduced_by_kind_are_found_as_one_alternation_would() -> None:
    rules = lexicon.discovery()
    together = re.compile(f"(?:{rules.kind_first.pattern})|(?:{rules.name_first.pattern})")
    for content in sample_texts():
        found = [(m.span(), m.group(m.lastgroup or 0)) for m in lexicon.introductions(content)]
        assert found == [(m.span(), m.group(m.lastgroup or 0)) for m in together.finditer(content)]


def test_a_whole_listed_name_is_told_from_a_few_candidates() -> None:
    for entries, index in (
        (lexicon.places(), lexicon.place_index()),
        (lexicon.organisations(), lexicon.organisation_index()),
    ):
        names = [*(e.name for e in entries), "New Zealand Police", "X", "Ofcom's", ""]
        for name in names:
            assert lexicon.names_whole(name, index) == any(e.pattern.fullmatch(name) for e in entries)
    assert lexicon.names_whole("New Zealand", lexicon.place_index())


def test_an_articles_names_are_those_of_its_headline_and_text_joined() -> None:
    title, body = "Ofcom fines Driftboard", "Police Scotland and the charity Safe Corridors met in Dundee."
    names = lexicon.article_names(title, body)
    assert names.organisations == lexicon.organisation_matches(title + "\n\n" + body)
    assert names.places == lexicon.place_matches(title + "\n\n" + body)
    assert [o.name for o in lexicon.listed_organisations(names.organisations)] == ["Ofcom", "Police Scotland"]
    assert [p.name for p in lexicon.listed_places(names.places)] == ["Scotland"]  # Dundee is in its terms
