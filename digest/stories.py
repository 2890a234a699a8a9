"""Compose stories: cluster the kept articles, then give each cluster its summary, quotes and tags.

A story's id is "s-" + the id of the article first seen (then earliest published, then id), so it
stays the same as more coverage arrives. Its title is the lead's; its sources are listed lead first,
with syndicated copies folded into the source they copy.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from digest import derived, lexicon, quotes, text
from digest.cluster import Traits, cluster_articles, counted_words, traits_of
from digest.fingerprint import digest_of
from digest.records import Article, ArticleFacts, Cluster, FeedSource, Judgement, Quote, Source, Story, Tags
from digest.summarize import lone_surnames, summarize
from digest.tag import organisations_named, places_in, tag_story

log = logging.getLogger(__name__)

SAME_QUOTE_SHARE = 0.9  # of the shorter quote's words found, in order, in the longer one


def compose_stories(
    articles: Sequence[Article],
    judgements: Mapping[str, Judgement],
    feeds: Sequence[FeedSource],
) -> list[Story]:
    """The whole stage in this process (a build shares it out and reuses parts: ``pipeline``)."""
    traits, facts = apart(articles, read_articles(articles))
    clusters = cluster_articles(articles, traits)
    composed = compose_jobs(story_jobs(clusters, articles, judgements, feeds, facts))
    return in_story_order(with_grouping_reasons(composed, clusters))


def read_articles(articles: Sequence[Article]) -> list[tuple[Traits, ArticleFacts]]:
    """Each article's cluster traits and what composing its story reads of it: a worker's unit of
    work. Found together because both read the article's names, words and people, which a process
    remembers for the last articles it read: apart, in different workers, each is found twice."""
    read = []
    for article in articles:
        traits = traits_of(article)
        read.append((traits, facts_of(article, traits)))
    return read


def apart(
    articles: Sequence[Article], read: Sequence[tuple[Traits, ArticleFacts]]
) -> tuple[list[Traits], dict[str, ArticleFacts]]:
    """``read_articles``' pairs as clustering takes the traits (in order) and stories the facts (by id)."""
    facts = {article.id: known for article, (_, known) in zip(articles, read, strict=True)}
    return [traits for traits, _ in read], facts


def facts_of(article: Article, traits: Traits) -> ArticleFacts:
    words, counts = counted_words(article, traits)
    return ArticleFacts(
        words=words,
        counts=counts,
        quotes=quotes.extract_quotes(article),
        places=frozenset(places_in(article)),
        organisations=organisations_named(article),
        surnames=tuple(lone_surnames(article).items()),
    )


@dataclass(frozen=True, slots=True)
class StoryJob:
    """All that composing one cluster's story reads: a unit of work for a worker, and the key under
    which the story is kept for the next build."""

    cluster: Cluster  # without its grouping reasons: see ``with_grouping_reasons``
    members: tuple[Article, ...]
    judgements: tuple[tuple[str, Judgement], ...]
    feeds: tuple[FeedSource, ...]  # only the feeds of the members
    facts: tuple[ArticleFacts, ...]  # of each member, in order: worked out from it, so not in the key


def job_digest(job: StoryJob) -> str:
    """The key a job's story is kept under: its articles by ``derived.article_digest``, each worked
    out once however many results are keyed by it."""
    members = tuple(map(derived.article_digest, job.members))
    return digest_of(job.cluster, members, job.judgements, job.feeds)


def story_jobs(
    clusters: Sequence[Cluster],
    articles: Sequence[Article],
    judgements: Mapping[str, Judgement],
    feeds: Sequence[FeedSource],
    facts: Mapping[str, ArticleFacts],
) -> list[StoryJob]:
    by_id = {article.id: article for article in articles}
    feeds_by_url = {feed.url: feed for feed in feeds}
    jobs = []
    for cluster in clusters:
        members = tuple(by_id[i] for i in cluster.article_ids)
        urls = sorted({a.feed_url for a in members if a.feed_url in feeds_by_url})
        judged = tuple((a.id, judgements[a.id]) for a in members if a.id in judgements)
        own_feeds = tuple(feeds_by_url[url] for url in urls)
        known = tuple(facts[a.id] for a in members)
        jobs.append(StoryJob(replace(cluster, reasons=()), members, judged, own_feeds, known))
    return jobs


def compose_jobs(jobs: Sequence[StoryJob]) -> list[Story]:
    return [
        compose_story(
            job.cluster,
            {a.id: a for a in job.members},
            dict(job.judgements),
            job.feeds,
            {a.id: known for a, known in zip(job.members, job.facts, strict=True)},
        )
        for job in jobs
    ]


def with_grouping_reasons(composed: Sequence[Story], clusters: Sequence[Cluster]) -> list[Story]:
    """The reasons quote pair scores, which shift a little with every article added to the batch; the
    rest of a story does not depend on them, so a story is kept for the next build without them."""
    return [
        replace(story, grouping_reasons=cluster.reasons)
        for story, cluster in zip(composed, clusters, strict=True)
    ]


def in_story_order(built: Sequence[Story]) -> list[Story]:
    return sorted(built, key=Story.newest_first_key)


def compose_story(
    cluster: Cluster,
    by_id: Mapping[str, Article],
    judgements: Mapping[str, Judgement],
    feeds: Sequence[FeedSource],
    facts: Mapping[str, ArticleFacts] | None = None,
) -> Story:
    """``facts``: what was read of each member already (see ``ArticleFacts``); found here when not given."""
    members = [by_id[i] for i in cluster.article_ids]
    copies = dict(cluster.duplicates)
    originals = [a for a in members if a.id not in copies]
    first = min(members, key=lambda a: (a.first_seen, a.published, a.id))
    story_quotes = story_quotes_of(originals, facts)
    tags = tag_story(originals, judgements, story_quotes, feeds, facts)
    scores = [judgements[a.id].score for a in members if a.id in judgements]
    return Story(
        id="s-" + first.id,
        title=members[0].title,
        lead_article_id=members[0].id,
        sources=tuple(source_of(a, i == 0, copies, by_id) for i, a in enumerate(originals)),
        summary=summarize(cluster, by_id, facts),
        quotes=story_quotes,
        tags=tags,
        relevance=max(scores, default=0.0),
        published=min(a.published for a in members),
        first_seen=min(a.first_seen for a in members),
        grouping_reasons=cluster.reasons,
        content_note=content_note(tags, originals),
        credited_outlet=cluster.credited_outlet,
    )


def source_of(
    article: Article, is_lead: bool, copies: Mapping[str, str], by_id: Mapping[str, Article]
) -> Source:
    folded = tuple(by_id[copy].url for copy, original in sorted(copies.items()) if original == article.id)
    return Source(article.id, article.url, article.title, article.source, article.published, is_lead, folded)


def story_quotes_of(
    originals: Sequence[Article], facts: Mapping[str, ArticleFacts] | None = None
) -> tuple[Quote, ...]:
    """Every source's quotes, spellings of one name merged; a quote that outlets repeat, whole, in part
    or near word for word, is kept once, in its longest form, where it first appeared."""
    facts = facts or {}
    found = [facts[a.id].quotes if a.id in facts else quotes.extract_quotes(a) for a in originals]
    merged = quotes.merge_variants([q for article_quotes in found for q in article_quotes])
    kept: list[Quote] = []
    for quote in merged:
        index = next((i for i, known in enumerate(kept) if repeats(known, quote)), None)
        if index is None:
            kept.append(quote)
        elif len(text.words(quote.text)) > len(text.words(kept[index].text)):
            kept[index] = quote
    return with_one_role_each(kept)


def with_one_role_each(story_quotes: Sequence[Quote]) -> tuple[Quote, ...]:
    """A person keeps the role first given for them: outlets word a title differently, and a reader
    should not see one official under two descriptions in one story."""
    roles: dict[str, str] = {}
    for quote in story_quotes:
        if quote.role:
            roles.setdefault(quote.speaker, quote.role)
    return tuple(replace(quote, role=roles.get(quote.speaker, quote.role)) for quote in story_quotes)


def repeats(known: Quote, quote: Quote) -> bool:
    """Part of the same speaker's quote, or the whole of it under another name (outlets that disagree
    about who spoke still quote one statement once)."""
    left, right = text.words(known.text), text.words(quote.text)
    if known.speaker == quote.speaker:
        return mostly_within(left, right)
    return min(len(left), len(right)) >= SAME_QUOTE_SHARE * max(len(left), len(right)) and mostly_within(
        left, right
    )


def mostly_within(left: list[str], right: list[str]) -> bool:
    """The shorter word list appears in the longer one, allowing a word or two reworded."""
    shorter, longer = sorted((left, right), key=len)
    blocks = difflib.SequenceMatcher(None, shorter, longer, autojunk=False).get_matching_blocks()
    return sum(block.size for block in blocks) >= SAME_QUOTE_SHARE * len(shorter)


def content_note(tags: Tags, originals: Sequence[Article]) -> str:
    taxonomy = lexicon.taxonomy()
    noted = [c.name for c in taxonomy.harms if c.content_note and c.name in tags.harms]
    pattern = taxonomy.sexual_violence
    if pattern is not None and any(pattern.search(a.title + "\n" + a.text) for a in originals):
        noted.append(taxonomy.sexual_violence_name)
    if not noted:
        return ""
    listed = noted[0] if len(noted) == 1 else ", ".join(noted[:-1]) + " and " + noted[-1]
    return f"This story discusses {listed}."
