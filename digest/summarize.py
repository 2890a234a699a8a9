"""Extractive summaries: two to four sentences per story, each verbatim from one source and linked to it.

Candidates are the sentences of each source (syndicated copies skipped) that can stand alone: not
boilerplate (the extractor's rules and our own), not a caption or quote fragment, not opening with a
pronoun or connective, not naming someone by surname only. They are ranked by centrality (how much
of their wording the other sources share), position and whether they come from the lead; picked
greedily without repeats; shown in source order.

Two sentences are repeats when they share half their content words (Jaccard), or when they state the
same fact in other words: over 35% of the shorter one's content words are in the other, and
they share a number (not a year) or at least ``MIN_SHARED_WORDS`` content words. Outlets rewording
one wire story ("in each of the service's 14 areas over the next six months" / "across the CPS's 14
regional areas over six months") pass a Jaccard test but not the overlap of the shorter sentence.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digest import extract, lexicon, quotes, text
from digest.cluster import word_counts_of
from digest.records import Article, ArticleFacts, Cluster, SummarySentence

log = logging.getLogger(__name__)

MIN_WORDS = 8
MAX_WORDS = 45
MIN_SENTENCES = 2
MAX_SENTENCES = 4
REDUNDANT = 0.5  # share of content words two sentences may have in common before one is a repeat
# Share of the shorter sentence's content words found in the other that makes a reworded repeat,
# given a shared number or MIN_SHARED_WORDS shared words. Measured on the sample corpus summaries:
# reworded repeats 0.38-0.85 (6-12 words shared when no number is); distinct sentences of one story
# reach 0.38 only with 5 words shared and no number.
SAME_FACT_OVERLAP = 0.35
MIN_SHARED_WORDS = 6
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
YEAR = re.compile(r"(?:19|20)\d\d")
SENTENCE_END = re.compile(r"[.!?][\"'”\u2019)]*$")


@dataclass(frozen=True, slots=True)
class Candidate:
    sentence: text.Sentence
    article: Article
    rank: int  # the source's place in the story, lead first
    tokens: frozenset[str]
    score: float
    numbers: frozenset[str] = frozenset()  # the figures it states, years left out


def summarize(
    cluster: Cluster, articles: Mapping[str, Article], facts: Mapping[str, ArticleFacts] | None = None
) -> tuple[SummarySentence, ...]:
    """``facts``: what was read of each article already (see ``ArticleFacts``); found here when not given."""
    sources = source_articles(cluster, articles)
    if not sources:
        return ()
    facts = facts or {}
    picked = best_candidates(sources, shared_tokens(sources, facts), target_length(len(sources)), facts)
    picked.sort(key=lambda c: (c.rank, c.sentence.position))
    return tuple(
        SummarySentence(text.normalise_space(c.sentence.text), c.article.id, c.article.url) for c in picked
    )


def source_articles(cluster: Cluster, articles: Mapping[str, Article]) -> list[Article]:
    copies = {copy for copy, _ in cluster.duplicates}
    return [articles[i] for i in cluster.article_ids if i in articles and i not in copies]


def target_length(source_count: int) -> int:
    return min(MAX_SENTENCES, MIN_SENTENCES + (source_count >= 2) + (source_count >= 4))


def shared_tokens(sources: Sequence[Article], facts: Mapping[str, ArticleFacts]) -> Counter[str]:
    """In how many sources each content word appears (for one source: its words that recur)."""
    counts: Counter[str] = Counter()
    for article in sources:
        words, times = word_counts(article, facts.get(article.id))
        counts.update(words if len(sources) > 1 else [w for w, n in zip(words, times, strict=True) if n > 1])
    return counts


def word_counts(article: Article, known: ArticleFacts | None) -> tuple[Sequence[str], Sequence[int]]:
    """The article's distinct content words, in order of first use, and how often each occurs."""
    return (known.words, known.counts) if known is not None else word_counts_of(article)


# --- candidates ----------------------------------------------------------------------------


@dataclass(slots=True)
class Reading:
    """A source read paragraph by paragraph for candidates."""

    article: Article
    rank: int
    paragraphs: list[str]
    surnames: dict[str, str]  # surname -> full name
    title: str  # normalised and lower case: the headline again is not a candidate
    read: int = 0  # sentences in the paragraphs read so far


def best_candidates(
    sources: Sequence[Article], shared: Counter[str], target: int, facts: Mapping[str, ArticleFacts]
) -> list[Candidate]:
    """``pick`` over every source's candidates, reading each source only as far as matters.

    A paragraph's sentences score at most ``best_score`` of it, which falls paragraph by paragraph.
    Paragraphs are read best first, and reading stops once the picks all score above what the unread
    ones could: those would rank below the last pick, where ``pick`` never looks. Most of a long
    article is never split into sentences."""
    readings = [reading_of(article, rank, facts.get(article.id)) for rank, article in enumerate(sources)]
    queue = sorted(
        (
            (best_score(reading.rank, index), reading.rank, index)
            for reading in readings
            for index in range(len(reading.paragraphs))
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    candidates: list[Candidate] = []
    for place, (_, rank, index) in enumerate(queue):
        candidates += candidates_in(readings[rank], index, shared, len(sources))
        if place + 1 < len(queue) and settled(candidates, target, queue[place + 1][0]):
            break
    return pick(candidates, target)


def reading_of(article: Article, rank: int, known: ArticleFacts | None = None) -> Reading:
    title = text.normalise_space(article.title).lower()
    surnames = dict(known.surnames) if known is not None else lone_surnames(article)
    return Reading(article, rank, text.paragraphs(article.text), surnames, title)


def candidates_in(reading: Reading, index: int, shared: Counter[str], source_count: int) -> list[Candidate]:
    """The candidates of one paragraph, which must be read after those before it."""
    paragraph = reading.paragraphs[index]
    pieces = text.split_sentences(paragraph)
    first = reading.read
    reading.read += len(pieces)
    if is_furniture(paragraph):
        return []
    found = []
    for offset, piece in enumerate(pieces):
        if stands_alone(piece, reading.surnames) and not is_boilerplate(piece, reading.title):
            tokens = frozenset(text.content_tokens(piece))
            score = sentence_score(centrality(tokens, shared, source_count), index, reading.rank)
            sentence = text.Sentence(piece, index, first + offset)
            found.append(Candidate(sentence, reading.article, reading.rank, tokens, score, numbers_of(piece)))
    return found


def sentence_score(centrality: float, paragraph: int, rank: int) -> float:
    """How much of its wording the other sources share, then how early it comes, then the lead's."""
    return round(centrality + 1 / (1 + paragraph) + (0.3 if rank == 0 else 0), 6)


def best_score(rank: int, paragraph: int) -> float:
    """The most a sentence of this paragraph can score (centrality is at most 1)."""
    return sentence_score(1.0, paragraph, rank)


def settled(candidates: Sequence[Candidate], target: int, ceiling: float) -> bool:
    """Whether sentences not read yet, which score at most ``ceiling``, can no longer change the picks."""
    if sum(1 for c in candidates if c.score > ceiling) < target:
        return False
    picked = pick(candidates, target)
    return len(picked) == target and picked[-1].score > ceiling


def numbers_of(sentence: str) -> frozenset[str]:
    """Figures without thousands separators ("1,900" is 1900); a bare 19xx or 20xx is a year, left out."""
    found = (match for match in NUMBER.findall(sentence) if not YEAR.fullmatch(match))
    return frozenset(match.replace(",", "") for match in found)


def centrality(tokens: frozenset[str], shared: Counter[str], source_count: int) -> float:
    if not tokens:
        return 0.0
    need = 2 if source_count > 1 else 1
    return sum(1 for t in tokens if shared[t] >= need) / len(tokens)


def stands_alone(sentence: str, surnames: Mapping[str, str]) -> bool:
    """Readable without the sentence before it, and a whole sentence."""
    folded = text.fold_quotes(text.normalise_space(sentence))
    count = text.word_count(folded)
    if not MIN_WORDS <= count <= MAX_WORDS or not SENTENCE_END.search(folded):
        return False
    if folded.startswith(('"', "'", "(", "-")) or folded.count('"') % 2 or weak_start(folded):
        return False
    return not any(
        full not in folded and text.has_standalone(folded, surname) for surname, full in surnames.items()
    )


def weak_start(sentence: str) -> bool:
    return weak_starts_pattern(lexicon.taxonomy().text.weak_starts).match(sentence.lower()) is not None


@functools.cache
def weak_starts_pattern(starts: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all weak starts, compiled once (a regex per start per sentence cost ~4 s a build)."""
    return re.compile("(?:" + "|".join(re.escape(start) for start in starts) + r")\b")


def lone_surnames(article: Article) -> dict[str, str]:
    """Surname -> full name: a surname alone points back to an earlier introduction ("Hopkins said")."""
    return {m.name.split(" ")[-1]: m.name for m in quotes.people_in(article.text)}


def is_furniture(paragraph: str) -> bool:
    """A paragraph the extractor's boilerplate rules would drop ("Sign up to our newsletter")."""
    return extract.boilerplate_rule(text.normalise_space(paragraph), extract.boilerplate()) is not None


def is_boilerplate(sentence: str, title: str) -> bool:
    """The headline again (``title`` normalised and lower case), or one of our boilerplate phrases."""
    rules = lexicon.taxonomy().text.boilerplate
    if text.normalise_space(sentence).lower() == title:
        return True
    return rules is not None and rules.search(sentence) is not None


# --- picking -------------------------------------------------------------------------------


def pick(candidates: Sequence[Candidate], target: int) -> list[Candidate]:
    ranked = sorted(candidates, key=lambda c: (-c.score, c.rank, c.sentence.position))
    picked: list[Candidate] = []
    for candidate in ranked:
        if len(picked) == target:
            break
        if not any(repeats(candidate, other) for other in picked):
            picked.append(candidate)
    return picked


def repeats(left: Candidate, right: Candidate) -> bool:
    """Whether the two say the same thing, in the same words or in others (see the module doc)."""
    if text.jaccard(left.tokens, right.tokens) >= REDUNDANT:
        return True
    shared = len(left.tokens & right.tokens)
    overlap = shared / min(len(left.tokens), len(right.tokens)) if shared else 0.0
    same_fact = bool(left.numbers & right.numbers) or shared >= MIN_SHARED_WORDS
    return same_fact and overlap > SAME_FACT_OVERLAP
