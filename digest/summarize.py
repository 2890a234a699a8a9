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
from digest.records import Article, Cluster, SummarySentence

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


def summarize(cluster: Cluster, articles: Mapping[str, Article]) -> tuple[SummarySentence, ...]:
    sources = source_articles(cluster, articles)
    if not sources:
        return ()
    shared = shared_tokens(sources)
    candidates = [c for rank, a in enumerate(sources) for c in candidates_of(a, rank, shared, len(sources))]
    picked = pick(candidates, target_length(len(sources)))
    picked.sort(key=lambda c: (c.rank, c.sentence.position))
    return tuple(
        SummarySentence(text.normalise_space(c.sentence.text), c.article.id, c.article.url) for c in picked
    )


def source_articles(cluster: Cluster, articles: Mapping[str, Article]) -> list[Article]:
    copies = {copy for copy, _ in cluster.duplicates}
    return [articles[i] for i in cluster.article_ids if i in articles and i not in copies]


def target_length(source_count: int) -> int:
    return min(MAX_SENTENCES, MIN_SENTENCES + (source_count >= 2) + (source_count >= 4))


def shared_tokens(sources: Sequence[Article]) -> Counter[str]:
    """In how many sources each content word appears (for one source: its words that recur)."""
    counts: Counter[str] = Counter()
    for article in sources:
        tokens = text.content_tokens(article.title + " " + article.text)
        counts.update(set(tokens) if len(sources) > 1 else [t for t, n in Counter(tokens).items() if n > 1])
    return counts


# --- candidates ----------------------------------------------------------------------------


def candidates_of(article: Article, rank: int, shared: Counter[str], source_count: int) -> list[Candidate]:
    surnames = lone_surnames(article)
    found = []
    paragraphs = text.paragraphs(article.text)
    for sentence in text.sentences(article.text):
        paragraph = paragraphs[sentence.paragraph]
        if not stands_alone(sentence.text, surnames) or is_boilerplate(
            paragraph, sentence.text, article.title
        ):
            continue
        tokens = frozenset(text.content_tokens(sentence.text))
        score = (
            centrality(tokens, shared, source_count)
            + 1 / (1 + sentence.paragraph)
            + (0.3 if rank == 0 else 0)
        )
        found.append(Candidate(sentence, article, rank, tokens, round(score, 6), numbers_of(sentence.text)))
    return found


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
    count = len(text.words(folded))
    if not MIN_WORDS <= count <= MAX_WORDS or not SENTENCE_END.search(folded):
        return False
    if folded.startswith(('"', "'", "(", "-")) or folded.count('"') % 2 or weak_start(folded):
        return False
    return not any(
        full not in folded and re.search(rf"(?<![\w-]){re.escape(surname)}(?![\w-])", folded)
        for surname, full in surnames.items()
    )


def weak_start(sentence: str) -> bool:
    return weak_starts_pattern(lexicon.taxonomy().text.weak_starts).match(sentence.lower()) is not None


@functools.cache
def weak_starts_pattern(starts: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all weak starts, compiled once (a regex per start per sentence cost ~4 s a build)."""
    return re.compile("(?:" + "|".join(re.escape(start) for start in starts) + r")\b")


def lone_surnames(article: Article) -> dict[str, str]:
    """Surname -> full name: a surname alone points back to an earlier introduction ("Hopkins said")."""
    return {m.name.split(" ")[-1]: m.name for m in quotes.find_people(text.fold_quotes(article.text))}


def is_boilerplate(paragraph: str, sentence: str, title: str) -> bool:
    rules = lexicon.taxonomy().text.boilerplate
    if extract.boilerplate_rule(text.normalise_space(paragraph), extract.boilerplate()) is not None:
        return True
    if text.normalise_space(sentence).lower() == text.normalise_space(title).lower():
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
