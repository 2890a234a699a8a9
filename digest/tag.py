"""Story tags, one canonical name per concept: harms, responses, jurisdictions, organisations, people.

Harms and responses come from the relevance judgements; organisations and places from the lexicons
(Twitter and X are one organisation; an organisation that acts in one place, such as Ofcom or Police
Scotland, also tags that place; a sub-national place adds its country). The feed's own tags and
jurisdiction are hints: a feed tag that names a harm or response is kept, and the feed's
jurisdiction is used when the text names none. People are those quoted.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from digest import lexicon, quotes, text
from digest.records import Article, ArticleFacts, FeedSource, Judgement, Quote, Tags

log = logging.getLogger(__name__)

LEAD_PARAGRAPHS = 2  # a place named this early is where the story happens


def tag_story(
    articles: Sequence[Article],
    judgements: Mapping[str, Judgement],
    quoted: Sequence[Quote],
    feeds: Sequence[FeedSource],
    facts: Mapping[str, ArticleFacts] | None = None,
) -> Tags:
    """``facts``: what was read of each article already (see ``ArticleFacts``); found here when not given."""
    hints = feed_tags(articles, feeds)
    taxonomy = lexicon.taxonomy()
    return Tags(
        harms=in_order([c.name for c in taxonomy.harms], judged(articles, judgements, "harms") | hints),
        responses=in_order(
            [c.name for c in taxonomy.responses], judged(articles, judgements, "responses") | hints
        ),
        jurisdictions=jurisdictions(articles, feeds, facts or {}),
        organisations=organisations(articles, quoted, facts or {}),
        people=people_quoted(quoted),
    )


def in_order(canonical: Sequence[str], found: set[str]) -> tuple[str, ...]:
    return tuple(name for name in canonical if name in found)


def judged(articles: Sequence[Article], judgements: Mapping[str, Judgement], field: str) -> set[str]:
    found: set[str] = set()
    for article in articles:
        judgement = judgements.get(article.id)
        if judgement is not None:
            found.update(getattr(judgement, field))
    return found


def feed_tags(articles: Sequence[Article], feeds: Sequence[FeedSource]) -> set[str]:
    by_url = {feed.url: feed for feed in feeds}
    found = {tag for article in articles for tag in article.feed_tags}
    found |= {
        tag for article in articles if article.feed_url in by_url for tag in by_url[article.feed_url].tags
    }
    return found


# --- organisations -------------------------------------------------------------------------


def organisations(
    articles: Sequence[Article], quoted: Sequence[Quote], facts: Mapping[str, ArticleFacts]
) -> tuple[str, ...]:
    """Organisations named, the most widely named first (ties in lexicon order)."""
    outlets = {a.source for a in articles}
    people = {q.speaker for q in quoted if is_personal_name(q.speaker)}
    counts: Counter[str] = Counter()
    for article in articles:
        known = facts.get(article.id)
        named = known.organisations if known is not None else organisations_named(article)
        counts.update(organisations_in(named, outlets, people))
    order = {o.name: index for index, o in enumerate(lexicon.organisations())}
    return tuple(sorted(counts, key=lambda name: (-counts[name], order.get(name, len(order)), name)))


def organisations_named(article: Article) -> tuple[tuple[str, bool], ...]:
    """Each organisation the article names, in order: a listed one by its canonical name (True), one
    the list lacks as written (False)."""
    matches = lexicon.article_names(article.title, article.text).organisations
    return tuple((m.name, False) if m.organisation is None else (m.organisation.name, True) for m in matches)


def organisations_in(named: Iterable[tuple[str, bool]], outlets: set[str], people: set[str]) -> set[str]:
    """Listed organisations, and names the list lacks that are neither an outlet nor a person
    ("Nadia Ferrant, the trust's chief executive" is not a trust)."""
    return {name for name, listed in named if listed or (name not in outlets and not is_person(name, people))}


def is_person(name: str, people: set[str]) -> bool:
    return any(set(name.split()) <= set(person.split()) for person in people)


# --- places --------------------------------------------------------------------------------


def jurisdictions(
    articles: Sequence[Article], feeds: Sequence[FeedSource], facts: Mapping[str, ArticleFacts]
) -> tuple[str, ...]:
    found: set[str] = set()
    for article in articles:
        known = facts.get(article.id)
        found |= known.places if known is not None else places_in(article)
    if not found:
        found = {a.feed_jurisdiction for a in articles if a.feed_jurisdiction}
        by_url = {feed.url: feed for feed in feeds}
        found |= {by_url[a.feed_url].jurisdiction or "" for a in articles if a.feed_url in by_url} - {""}
    return with_parents(found)


def places_in(article: Article) -> set[str]:
    """Places named in the headline or lead, named twice, or implied by an organisation acting there."""
    lead = article.title + "\n\n" + "\n\n".join(text.paragraphs(article.text)[:LEAD_PARAGRAPHS])
    names = lexicon.article_names(article.title, article.text)
    in_lead = mentions(lexicon.place_matches(lead))
    found = {name for name, count in mentions(names.places).items() if count >= 2 or in_lead[name] >= 1}
    found |= {o.jurisdiction for o in lexicon.listed_organisations(names.organisations) if o.jurisdiction}
    return found


def mentions(matches: Iterable[lexicon.PlaceMatch]) -> Counter[str]:
    return Counter(match.place.name for match in matches)


def with_parents(found: set[str]) -> tuple[str, ...]:
    """Countries first, each followed by the sub-national places named in it, in lexicon order."""
    places = lexicon.places()
    parents = {p.name: p.parent for p in places}
    wanted = found | {parents.get(name, "") for name in found} - {""}
    ordered: list[str] = []
    for place in places:
        if place.name in wanted and not place.parent:
            ordered.append(place.name)
            ordered += [p.name for p in places if p.parent == place.name and p.name in wanted]
    return tuple(ordered)


# --- people --------------------------------------------------------------------------------


def people_quoted(quoted: Sequence[Quote]) -> tuple[str, ...]:
    """Named people in the order they are first quoted: not an organisation, and not a description
    of an unnamed speaker ("Loopcast spokesperson")."""
    organisation_names = {o.name for o in lexicon.organisations()}
    names = (q.speaker for q in quoted if is_personal_name(q.speaker) and q.speaker not in organisation_names)
    return tuple(text.unique(names))


def is_personal_name(name: str) -> bool:
    """Two words or more, every one capitalised but a particle ("Ursula von der Leyen")."""
    words = name.split()
    capitalised = all(w[:1].isupper() or re.fullmatch(quotes.PARTICLES, w) for w in words)
    return len(words) >= 2 and words[-1][:1].isupper() and capitalised
