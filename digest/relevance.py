"""Is an article about online-abuse policy? Weighted concept matching over ``lexicon/taxonomy.toml``.

An article is kept when it names an online harm (a harm term, or a generic one such as "harassment"
in a paragraph with an online context), a response to it (law, regulator, court, police, platform,
training, research, support), and no off-topic sense (a business story, armed conflict) outweighs
the harm. Near-miss senses ("substance abuse", "abuse of dominance") are masked before matching.
Every decision keeps its score, the matched terms and the sentences that decided it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from digest import lexicon, text
from digest.lexicon import Concept, Taxonomy
from digest.records import Article, Judgement

log = logging.getLogger(__name__)

TITLE_FACTOR = 2  # a term in the headline counts as two in the body
MAX_HITS = 3  # more mentions of one concept than this add nothing
EVIDENCE_SENTENCES = 2


@dataclass(frozen=True, slots=True)
class ConceptScore:
    name: str
    score: float
    terms: tuple[str, ...]  # matched wording, lower-case, in first-seen order


@dataclass(frozen=True, slots=True)
class Reading:
    """An article prepared for matching: near-miss senses masked, paragraphs with their online context."""

    title: str
    paragraphs: tuple[str, ...]
    online: tuple[bool, ...]  # per paragraph
    title_online: bool
    near_misses: tuple[str, ...]


def judge_all(articles: Sequence[Article]) -> dict[str, Judgement]:
    taxonomy = lexicon.taxonomy()
    return {article.id: judge(article, taxonomy) for article in articles}


def judge(article: Article, taxonomy: Taxonomy) -> Judgement:
    reading = read(article, taxonomy)
    harms = score_concepts(reading, taxonomy.harms)
    responses = score_concepts(reading, taxonomy.responses)
    off_topic = score_concepts(reading, taxonomy.off_topic)
    harm_score = sum(c.score for c in harms)
    response_score = sum(c.score for c in responses)
    reason = decide(reading, taxonomy, harms, responses, off_topic, article)
    minimum = taxonomy.thresholds.min_tag
    return Judgement(
        article_id=article.id,
        on_topic=not reason,
        score=round(harm_score + response_score, 2),
        harms=tuple(c.name for c in harms if c.score >= minimum),
        responses=tuple(c.name for c in responses if c.score >= minimum),
        evidence=evidence(reading, harms, responses, off_topic, taxonomy),
        reason=reason,
    )


# --- reading -------------------------------------------------------------------------------


def read(article: Article, taxonomy: Taxonomy) -> Reading:
    found: list[str] = []
    title = mask_near_misses(article.title, taxonomy, found)
    body = mask_near_misses(article.text, taxonomy, found)
    parts = tuple(text.paragraphs(body))
    online = tuple(taxonomy.online.search(part) is not None for part in parts)
    title_online = taxonomy.online.search(title) is not None or (bool(online) and online[0])
    return Reading(title, parts, online, title_online, tuple(text.unique(found)))


def mask_near_misses(content: str, taxonomy: Taxonomy, found: list[str]) -> str:
    """Blank out near-miss phrases (same length, so sentences keep their places)."""
    for sense in taxonomy.near_misses:
        if sense.pattern.search(content):
            found.append(sense.name)
            content = sense.pattern.sub(lambda m: " " * len(m.group(0)), content)
    return content


# --- scoring -------------------------------------------------------------------------------


def score_concepts(reading: Reading, concepts: Sequence[Concept]) -> list[ConceptScore]:
    """Concepts that matched, strongest first (ties in taxonomy order)."""
    scored = [score_concept(reading, concept) for concept in concepts]
    matched = [(index, c) for index, c in enumerate(scored) if c.score > 0]
    matched.sort(key=lambda pair: (-pair[1].score, pair[0]))
    return [c for _, c in matched]


def score_concept(reading: Reading, concept: Concept) -> ConceptScore:
    terms: list[str] = []
    hits = TITLE_FACTOR * count_hits(reading.title, concept, reading.title_online, terms)
    for part, online in zip(reading.paragraphs, reading.online, strict=True):
        hits += count_hits(part, concept, online, terms)
    if hits == 0:
        return ConceptScore(concept.name, 0.0, ())
    strength = 1 + 0.5 * (min(hits, MAX_HITS) - 1)
    return ConceptScore(concept.name, round(concept.weight * strength, 2), tuple(text.unique(terms)))


def count_hits(content: str, concept: Concept, online: bool, terms: list[str]) -> int:
    patterns = [concept.pattern, concept.generic_pattern if online else None]
    count = 0
    for pattern in patterns:
        if pattern is None:
            continue
        for match in pattern.finditer(content):
            terms.append(text.normalise_space(match.group(0).lower()))
            count += 1
    return count


# --- deciding ------------------------------------------------------------------------------


def decide(
    reading: Reading,
    taxonomy: Taxonomy,
    harms: list[ConceptScore],
    responses: list[ConceptScore],
    off_topic: list[ConceptScore],
    article: Article,
) -> str:
    """The reason to leave the article out, or "" to keep it."""
    limits = taxonomy.thresholds
    harm_score = sum(c.score for c in harms)
    if not harms:
        return no_harm_reason(reading, taxonomy)
    digital = {c.name for c in taxonomy.harms if c.digital}
    if not (reading.title_online or any(reading.online) or any(c.name in digital for c in harms)):
        return f"no online context: nothing says the harm happened online ({describe(harms)})"
    if harm_score < limits.min_harm:
        return (
            f"harm mentioned only in passing ({describe(harms)}; score {harm_score:g} < {limits.min_harm:g})"
        )
    if sum(c.score for c in responses) < limits.min_response:
        return f"online harm without a policy response ({describe(harms)})"
    strongest = off_topic[0] if off_topic else None
    if strongest is not None and strongest.score > harm_score * limits.off_topic_factor:
        return f"mainly {strongest.name} ({', '.join(strongest.terms[:4])}), not online-abuse policy"
    log.debug("%s kept: %s", article.id, describe(harms))
    return ""


def no_harm_reason(reading: Reading, taxonomy: Taxonomy) -> str:
    offline = offline_harm_terms(reading, taxonomy)
    if offline:
        return f"harm named without an online side ({', '.join(offline[:3])})"
    if reading.near_misses:
        return f"near-miss: {', '.join(reading.near_misses)}; no online harm named"
    return "no online harm named"


def offline_harm_terms(reading: Reading, taxonomy: Taxonomy) -> list[str]:
    """Generic harm terms found where there is no online context ("harassed" at work)."""
    found: list[str] = []
    contents = [reading.title, *reading.paragraphs]
    for concept in taxonomy.harms:
        if concept.generic_pattern is None:
            continue
        for content in contents:
            found += [m.group(0).lower() for m in concept.generic_pattern.finditer(content)]
    return list(text.unique(found))


def describe(concepts: Sequence[ConceptScore]) -> str:
    return ", ".join(f"{c.name}: {'/'.join(c.terms[:3])}" for c in concepts)


# --- evidence ------------------------------------------------------------------------------


def evidence(
    reading: Reading,
    harms: list[ConceptScore],
    responses: list[ConceptScore],
    off_topic: list[ConceptScore],
    taxonomy: Taxonomy,
) -> tuple[str, ...]:
    lines = [f"harm {c.name} {c.score:g}: {', '.join(c.terms)}" for c in harms]
    lines += [f"response {c.name} {c.score:g}: {', '.join(c.terms)}" for c in responses]
    lines += [f"off-topic {c.name} {c.score:g}: {', '.join(c.terms)}" for c in off_topic]
    lines += [f"near-miss masked: {name}" for name in reading.near_misses]
    lines += [f"sentence: {s}" for s in deciding_sentences(reading, harms, responses)]
    return tuple(lines)


def deciding_sentences(
    reading: Reading, harms: list[ConceptScore], responses: list[ConceptScore]
) -> list[str]:
    """The sentences naming the most matched terms, harm terms counting double."""
    harm_terms = term_pattern(t for c in harms for t in c.terms)
    response_terms = term_pattern(t for c in responses for t in c.terms)
    ranked: list[tuple[int, int, str]] = []
    for part in reading.paragraphs:
        for sentence in text.split_sentences(part):
            weight = 2 * count_matches(harm_terms, sentence) + count_matches(response_terms, sentence)
            if weight:
                ranked.append((-weight, len(ranked), text.normalise_space(sentence)))
    return [sentence for _, _, sentence in sorted(ranked)[:EVIDENCE_SENTENCES]]


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(terms), key=lambda t: (-len(t), t))
    if not words:
        return None
    return re.compile("|".join(r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in words), re.IGNORECASE)


def count_matches(pattern: re.Pattern[str] | None, sentence: str) -> int:
    return 0 if pattern is None else len(pattern.findall(sentence))
