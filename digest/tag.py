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
from collections.abc import Mapping, Sequence

from digest import lexicon, text
from digest.records import Article, FeedSource, Judgement, Quote, Tags

log = logging.getLogger(__name__)

LEAD_PARAGRAPHS = 2  # a place named this early is where the story happens


def tag_story(
    articles: Sequence[Article],
    judgements: Mapping[str, Judgement],
    quotes: Sequence[Quote],
    feeds: Sequence[FeedSource],
) -> Tags:
    hints = feed_tags(articles, feeds)
    taxonomy = lexicon.taxonomy()
    return Tags(
        harms=in_order([c.name for c in taxonomy.harms], judged(articles, judgements, "harms") | hints),
        responses=in_order(
            [c.name for c in taxonomy.responses], judged(articles, judgements, "responses") | hints
        ),
        jurisdictions=jurisdictions(articles, feeds),
        organisations=organisations(articles),
        people=people_quoted(quotes),
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


def organisations(articles: Sequence[Article]) -> tuple[str, ...]:
    """Organisations named, the most widely named first (ties in lexicon order)."""
    counts: Counter[str] = Counter()
    for article in articles:
        content = article.title + "\n\n" + article.text
        counts.update({o.name for o in lexicon.named_organisations(content)})
        counts.update(discovered(content, {a.source for a in articles}))
    order = {o.name: index for index, o in enumerate(lexicon.organisations())}
    return tuple(sorted(counts, key=lambda name: (-counts[name], order.get(name, len(order)), name)))


def discovered(content: str, outlets: set[str]) -> set[str]:
    """Organisations the lexicon lacks, named as the text introduces them ("the charity Safe Corridors")."""
    rules = lexicon.discovery()
    names = [m.group("after") or m.group("before") for m in rules.introduced.finditer(content)]
    names += [m.group("name") for m in rules.suffixed.finditer(content)]
    found = set()
    for name in names:
        name = re.sub(r"^(?:The|A|An|In|On|At|By|For|From|With|And|But)\s+", "", name.strip())
        if name and not known_name(name) and name not in outlets:
            found.add(name)
    return found


def known_name(name: str) -> bool:
    """Already a listed organisation or a place: the lexicon's canonical name wins."""
    words = lexicon.word_set(name)
    return any(o.pattern.fullmatch(name) for o in lexicon.named_organisations(name, words)) or any(
        p.pattern.fullmatch(name) for p in lexicon.named_places(name, words)
    )


# --- places --------------------------------------------------------------------------------


def jurisdictions(articles: Sequence[Article], feeds: Sequence[FeedSource]) -> tuple[str, ...]:
    found: set[str] = set()
    for article in articles:
        found |= places_in(article)
    if not found:
        found = {a.feed_jurisdiction for a in articles if a.feed_jurisdiction}
        by_url = {feed.url: feed for feed in feeds}
        found |= {by_url[a.feed_url].jurisdiction or "" for a in articles if a.feed_url in by_url} - {""}
    return with_parents(found)


def places_in(article: Article) -> set[str]:
    """Places named in the headline or lead, named twice, or implied by an organisation acting there."""
    lead = article.title + "\n\n" + "\n\n".join(text.paragraphs(article.text)[:LEAD_PARAGRAPHS])
    content = article.title + "\n\n" + article.text
    named = lexicon.named_places(content)
    found = {p.name for p in named if mentions(p, lead) >= 1 or mentions(p, content) >= 2}
    found |= {o.jurisdiction for o in lexicon.named_organisations(content) if o.jurisdiction}
    return found


def mentions(place: lexicon.Place, content: str) -> int:
    if place.exclude is not None:
        content = place.exclude.sub(lambda m: " " * len(m.group(0)), content)
    return len(place.pattern.findall(content))


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


def people_quoted(quotes: Sequence[Quote]) -> tuple[str, ...]:
    """Named people (two words or more, not an organisation) in the order they are first quoted."""
    organisation_names = {o.name for o in lexicon.organisations()}
    names = (q.speaker for q in quotes if len(q.speaker.split()) >= 2 and q.speaker not in organisation_names)
    return tuple(text.unique(names))
