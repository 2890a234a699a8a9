"""Group articles that report the same event into clusters, and say why.

Each article is reduced to features: the people it names, its rare capitalised words and numbers,
shingles of its direct quotes, key words (tf-idf), title words, and a bottom-k sketch of its text.
Candidate pairs come only from an inverted index over rare features, built over a sliding time
window with a cap on each posting list, so the work grows with the number of articles, never with
its square. Each candidate pair is scored with named reasons; pairs are merged strongest first, and a
merge is refused when the two groups name different people (two prosecutions in one week) or when
their average similarity is weak (chaining). Near-identical texts are syndicated copies.

Coverage that credits another outlet ("told The Harbour Ledger", "first reported by the Liverside
Herald") names that outlet on the cluster as the one that first reported the story, whether or not
it is one of our sources; when it is, it leads. The phrases and what counts as an outlet's name are in
``digest/lexicon/credits.toml``.
"""

from __future__ import annotations

import functools
import heapq
import logging
import math
import re
import sys
import tomllib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

from digest import lexicon, quotes, text
from digest.records import Article, Cluster

log = logging.getLogger(__name__)

WINDOW_S = timedelta(days=7).total_seconds()  # coverage of one event rarely spreads wider
POSTING_CAP = 40  # a feature shared by more articles in one window does not tell stories apart
KEYWORDS = 20
ENTITIES = 40
QUOTE_SHINGLES = 40
SKETCH = 16
SHINGLE = 5
QUOTE_SHINGLE = 4
# Measured on tests/eval (sample corpus + cluster cases, pooled): same-event pairs mostly score 0.5-4,
# different events on one theme 0.0-0.45 (those above are stopped by the people/place veto).
MERGE_SCORE = 0.5
DUPLICATE = 0.6  # estimated share of identical 5-word shingles that makes a syndicated copy
MAX_CROSS_PAIRS = 100
RARE_NAME = 0.12  # per name or number shared by (almost) only these two articles
RARE_NAMES_MAX = 5
# A capital inside a sentence: the capital is looked for first (then what comes before it), so the
# scan skips other characters at C speed.
ENTITY_WORD = re.compile(r"[A-ZÀ-Þ](?<=[^\s.!?\"“\u2018(:]\s[A-ZÀ-Þ])[\w'\u2019-]+")
NUMBER = re.compile(r"\d(?:[\d,.]*\d|\d+)")  # \d[\d,.]*\d or \d{2,}, the digit first: a faster scan
CREDITS_FILE = Path(__file__).parent / "lexicon" / "credits.toml"
CREDITED_NAME = r"((?:[Tt]he\s+)?[A-Z0-9][\w'&-]*(?:\s+[A-Z][\w'&-]*){0,3})"


@dataclass(frozen=True, slots=True)
class Features:
    id: str
    time: float
    people: frozenset[str]
    surnames: frozenset[str]
    entities: frozenset[str]
    organisations: frozenset[str]
    places: frozenset[str]  # sub-national places named (a guard between same-theme stories)
    quotes: frozenset[int]
    keywords: frozenset[str]
    title: frozenset[str]
    sketch: tuple[int, ...]
    credits: tuple[str, ...]
    entity_weight: float  # sum of the entities' idf, computed once for every pair it is compared in
    keyword_weight: float


class Link(NamedTuple):  # a tuple: made for every pair scored, faster to build than a frozen dataclass
    left: int
    right: int
    score: float
    conflict: str  # why these two cannot be one story ("" when they can)
    duplicate: float  # the texts' resemblance when one is a copy of the other, else 0.0


class Weights(dict[str, float]):
    """Inverse document frequency over the batch being clustered (smoothed for small batches): token
    -> idf, each worked out when first asked for. A dict, so scoring a pair sums plain lookups."""

    def __init__(self, total: int, frequencies: Counter[str]) -> None:
        super().__init__()
        self.total = total
        self.frequencies = frequencies
        # Tokens in more than a few articles: far fewer than the rare ones, so ``rare_count`` takes
        # the shared names found here from all the shared names.
        limit = max(2, total // 200)
        self.common = frozenset(token for token, count in frequencies.items() if count > limit)

    def __missing__(self, token: str) -> float:
        value = self[token] = math.log(1 + self.total / (1 + self.frequencies.get(token, 0))) + 0.1
        return value

    def idf(self, token: str) -> float:
        return self[token]


def cluster_articles(articles: Sequence[Article], traits: Sequence[Traits] | None = None) -> list[Cluster]:
    """``traits``, when given, are ``traits_of(article)`` for each article, in order (worked out in
    parallel, or kept from the last build)."""
    if traits is None:  # without the word counts: at 50,000 articles they would hold 200 MB at once
        traits = [traits_of(article, counted=False) for article in articles]
    weights = batch_weights(articles, traits)
    features = [features_of(a, t, weights) for a, t in zip(articles, traits, strict=True)]
    del traits  # the features hold what is needed: at 50,000 articles the rest is 50 MB
    links = candidate_links(features, weights)
    groups = merge(features, links, weights)
    outlets = {outlet_key(article.source): article.source for article in articles}
    return sorted(
        (make_cluster(group, articles, features, weights, outlets) for group in groups),
        key=cluster_key(articles),
    )


# --- features ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Traits:
    """What an article alone says about the event it reports, whatever else is in the batch."""

    entities: tuple[str, ...]  # sorted, so a saved value is the same bytes on every run
    people: frozenset[str]
    organisations: frozenset[str]
    places: frozenset[str]
    quotes: frozenset[int]
    title: frozenset[str]
    sketch: tuple[int, ...]
    credits: tuple[str, ...]  # what follows each credit phrase ("told The Harbour Ledger"), unresolved
    # The article's distinct content words (in order of first use) and how often each occurs: both
    # passes over the batch count them, and tokenising every text twice was most of clustering's
    # time. Empty when not counted ahead; ``word_counts_of`` then counts them.
    words: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()


def traits_of(article: Article, counted: bool = True) -> Traits:
    names = lexicon.article_names(article.title, article.text)
    body = text.words(article.text) if counted else None  # found once for the counts and the sketch
    words, counts = word_counts_of(article, body) if counted else ((), ())
    return Traits(
        entities=tuple(sorted(entity_tokens(article.text))),
        people=frozenset(intern(m.name) for m in quotes.find_people(article.text)),
        organisations=frozenset(o.name for o in lexicon.listed_organisations(names.organisations)),
        places=frozenset(p.name for p in lexicon.listed_places(names.places) if p.parent),
        quotes=frozenset(sorted(quote_shingles(article.text))[:QUOTE_SHINGLES]),
        title=frozenset(map(intern, text.content_tokens(article.title))),  # one copy of each word
        sketch=sketch_of(text.words(article.text) if body is None else body),
        credits=credit_phrases(article.text),
        words=words,
        counts=counts,
    )


def sketch_of(words: Sequence[str]) -> tuple[int, ...]:
    """The least ``SKETCH`` shingles, in order."""
    return tuple(heapq.nsmallest(SKETCH, text.shingles(words, SHINGLE)))


def word_counts_of(
    article: Article, body: Sequence[str] | None = None
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``body``: the words of the article's text, when found already."""
    counts = Counter(text.article_tokens(article.title, article.text, body))  # in order of first use
    return tuple(counts), tuple(counts.values())


def counted_words(article: Article, known: Traits) -> tuple[tuple[str, ...], tuple[int, ...]]:
    return (known.words, known.counts) if known.words else word_counts_of(article)


def batch_weights(articles: Sequence[Article], traits: Sequence[Traits]) -> Weights:
    frequencies: Counter[str] = Counter()
    for article, known in zip(articles, traits, strict=True):
        frequencies.update(counted_words(article, known)[0])
        frequencies.update(known.entities)
    return Weights(len(articles), frequencies)


def features_of(article: Article, known: Traits, weights: Weights) -> Features:
    chosen = frozenset(top(known.entities, weights, ENTITIES))
    words = frozenset(keywords(*counted_words(article, known), weights))
    return Features(
        id=article.id,
        time=article.published.timestamp(),
        people=known.people,
        surnames=frozenset(name.split(" ")[-1].lower() for name in known.people),
        entities=chosen,
        organisations=known.organisations,
        places=known.places,
        quotes=known.quotes,
        keywords=words,
        title=known.title,
        sketch=known.sketch,
        credits=known.credits,
        entity_weight=sum(weights.idf(t) for t in chosen),
        keyword_weight=sum(weights.idf(t) for t in words),
    )


def intern(token: str) -> str:
    return sys.intern(token)


def entity_tokens(content: str) -> set[str]:
    """Capitalised words inside sentences and numbers: names of people, places, firms, sums."""
    stop = lexicon.taxonomy().text.stopwords
    found = {
        intern(quotes.strip_possessive(w.replace("\u2019", "'")).lower())
        for w in ENTITY_WORD.findall(content)
    }
    found |= {intern(n) for n in NUMBER.findall(content)}
    # Canonical names make "Twitter" and "X", or "Dublin" and "Ireland's regulator", one feature.
    found |= {intern("org:" + o.name) for o in lexicon.named_organisations(content)}
    found |= {intern("place:" + p.name) for p in lexicon.named_places(content)}
    return {token for token in found if token not in stop}


def top(tokens: Iterable[str], weights: Weights, count: int) -> list[str]:
    """The ``count`` rarest tokens, ties in alphabetical order."""
    listed = list(tokens)
    return first_ranked([-weights[t] for t in listed], listed, count)


def keywords(words: Sequence[str], counts: Sequence[int], weights: Weights) -> list[str]:
    ranks = [-n * weights[t] for t, n in zip(words, counts, strict=True)]  # most weight (count x idf) first
    return [intern(token) for token in first_ranked(ranks, words, KEYWORDS)]


def first_ranked(ranks: list[float], tokens: Iterable[str], count: int) -> list[str]:
    """The first ``count`` tokens by rank, then alphabetically. Sorting (rank, token) pairs compares
    in C, where a key function would be called once per token; and only the pairs ranked no worse
    than the ``count``-th rank are sorted: sorting the bare ranks to find it costs a third as much
    as sorting every pair (an article has hundreds of words, of which twenty are kept)."""
    pairs = zip(ranks, tokens, strict=True)
    if 0 < count < len(ranks):
        cutoff = sorted(ranks)[count - 1]
        return [token for _, token in sorted(pair for pair in pairs if pair[0] <= cutoff)[:count]]
    return [token for _, token in sorted(pairs)[:count]]


def quote_shingles(content: str) -> set[int]:
    found: set[int] = set()
    for match in quotes.QUOTED.finditer(text.fold_quotes(content)):
        spoken = text.words(match.group(1))
        if len(spoken) >= quotes.MIN_QUOTE_WORDS + 2:
            found |= text.shingles(spoken, QUOTE_SHINGLE)
    return found


# --- candidates ----------------------------------------------------------------------------


def blocking_keys(features: Features) -> list[tuple[int, int]]:
    """(hashed key, weight): people and quotes are strong evidence, single words weak."""
    keys = [(text.stable_hash("p" + name), 2) for name in features.people]
    keys += [(text.stable_hash("q" + str(shingle)), 2) for shingle in sorted(features.quotes)[:10]]
    keys += [(text.stable_hash("m" + str(value)), 2) for value in features.sketch[:4]]
    keys += [(text.stable_hash("e" + token), 1) for token in features.entities]
    keys += [(text.stable_hash("k" + token), 1) for token in sorted(features.keywords)]
    return sorted(set(keys))


def candidate_links(features: Sequence[Features], weights: Weights) -> list[Link]:
    """Score the pairs that share enough rare keys within the time window; never all pairs."""
    order = sorted(range(len(features)), key=lambda i: (features[i].time, features[i].id))
    postings: dict[int, list[int]] = {}
    active: deque[int] = deque()
    links: list[Link] = []
    for index in order:
        current = features[index]
        while active and features[active[0]].time < current.time - WINDOW_S:
            evict(active.popleft(), features, postings)
        hits: list[int] = []  # counted once at the end: one Counter.update per key costs more
        for key, weight in blocking_keys(current):
            posting = postings.setdefault(key, [])
            if len(posting) <= POSTING_CAP:
                hits += posting * weight  # each article in it counts ``weight`` times
                posting.append(index)
        for other in sorted(other for other, strength in Counter(hits).items() if strength >= 3):
            link = score_pair(other, index, features, weights)
            if link.score >= MERGE_SCORE:  # merging stops at weaker links: kept, they only cost memory
                links.append(link)
        active.append(index)
    return links


def evict(index: int, features: Sequence[Features], postings: dict[int, list[int]]) -> None:
    for key, _ in blocking_keys(features[index]):
        posting = postings.get(key)
        if posting is not None and index in posting:
            posting.remove(index)
            if not posting:
                del postings[key]


# --- pair scores ---------------------------------------------------------------------------


def score_pair(left: int, right: int, features: Sequence[Features], weights: Weights) -> Link:
    a, b = features[left], features[right]
    duplicate = copy_resemblance(a.sketch, b.sketch)
    quote_share = overlap_share(a.quotes, b.quotes)
    people = shared_people(a, b)
    names = a.entities & b.entities
    score = (
        1.2 * min(1.0, 2 * quote_share)
        + 0.3 * min(len(people), 2)
        + weighted_overlap(names, a.entity_weight * b.entity_weight, weights)
        + weighted_overlap(a.keywords & b.keywords, a.keyword_weight * b.keyword_weight, weights)
        + 0.5 * text.jaccard(a.title, b.title)
        + RARE_NAME * min(RARE_NAMES_MAX, rare_count(names, weights))
        + (1.0 if duplicate >= DUPLICATE else 0.0)
    )
    strong = quote_share >= 0.3 or duplicate >= DUPLICATE
    return Link(
        min(left, right),
        max(left, right),
        round(score, 4),
        "" if strong else conflict(a, b, people),
        duplicate,
    )


def rare_count(names: frozenset[str], weights: Weights) -> int:
    """How many of the shared names and numbers almost no other article in the batch uses:
    "Driftboard", "1.05"."""
    return len(names) - len(names & weights.common)


def conflict(a: Features, b: Features, people: list[str]) -> str:
    if a.people and b.people and not people:
        return "they name different people"
    if a.places and b.places and not a.places & b.places:
        return "they are set in different places"
    return ""


def shared_people(a: Features, b: Features) -> list[str]:
    """Full names in both, or one surname in both (spellings of one name differ between outlets)."""
    if not a.people or not b.people:
        return []
    both = a.people & b.people
    surnames = a.surnames & b.surnames
    if not both and not surnames:  # most pairs: different people, unless spelt differently
        return near_spellings(a.people, b.people, set())
    names = sorted(both)
    covered = {name.split(" ")[-1] for name in names}
    names += sorted(s for s in surnames - covered if len(s) >= 4)
    names += near_spellings(a.people - both, b.people - both, covered.union(names))
    return names


def near_spellings(only_left: frozenset[str], only_right: frozenset[str], covered: set[str]) -> list[str]:
    if not only_left or not only_right:  # most pairs: nothing to compare
        return []
    found = []
    others = sorted(only_right)
    for left in sorted(only_left):
        if left.split(" ")[-1] not in covered:
            found += [left for right in others if quotes.same_person(left, right)]
    return found


def overlap_share(left: frozenset[int], right: frozenset[int]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / min(len(left), len(right))


def weighted_overlap(shared_tokens: frozenset[str], weight_product: float, weights: Weights) -> float:
    """Shared weight over the geometric mean of both weights: a cosine for weighted sets."""
    shared = sum(map(weights.__getitem__, shared_tokens))
    return shared / math.sqrt(weight_product) if shared else 0.0


def resemblance(left: tuple[int, ...], right: tuple[int, ...]) -> float:
    """Bottom-k estimate of the Jaccard similarity of two shingle sets."""
    both = set(left).intersection(right)
    if not both:  # most pairs: no need to merge the sketches
        return 0.0
    union = sorted(both.union(left, right))[:SKETCH]
    return len(both.intersection(union)) / len(union)


def copy_resemblance(left: tuple[int, ...], right: tuple[int, ...]) -> float:
    """``resemblance`` when it makes a syndicated copy (``DUPLICATE`` or more), else 0.0: most pairs
    share too few of the smallest shingles to be copies, and need no merged sketch to tell."""
    sketch = set(left)
    both = sketch.intersection(right)
    # At most ``both`` of the smallest shingles are shared, of at least min(SKETCH, len(sketch)).
    if not both or len(both) / min(SKETCH, len(sketch)) < DUPLICATE:
        return 0.0
    share = resemblance(left, right)
    return share if share >= DUPLICATE else 0.0


# --- merging -------------------------------------------------------------------------------


def merge(features: Sequence[Features], links: list[Link], weights: Weights) -> list[list[int]]:
    parent = list(range(len(features)))
    members: dict[int, list[int]] = {i: [i] for i in range(len(features))}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Groups found incompatible, as (group, size, group, size): a group only grows, so until either
    # does the answer stands, and the next link between the two need not score every pair again.
    refused: set[tuple[int, int, int, int]] = set()
    for link in sorted(links, key=lambda k: (-k.score, k.left, k.right)):
        if link.score < MERGE_SCORE:
            break
        left, right = find(link.left), find(link.right)
        if left == right or too_long(members[left] + members[right], features):
            continue
        if len(members[left]) > 1 or len(members[right]) > 1 or link.conflict:
            groups = (left, len(members[left]), right, len(members[right]))
            if groups in refused:
                continue
            if not compatible(members[left], members[right], features, weights):
                refused.add(groups)
                continue
        parent[right] = left
        members[left] += members.pop(right)
    return [sorted(group) for group in members.values()]


def too_long(group: list[int], features: Sequence[Features]) -> bool:
    """Coverage of one event falls within the window: a longer chain joins different events."""
    times = [features[i].time for i in group]
    return max(times) - min(times) > WINDOW_S


def compatible(left: list[int], right: list[int], features: Sequence[Features], weights: Weights) -> bool:
    """Average linkage with a veto: most cross pairs must agree, and none may be far apart."""
    pairs = [(i, j) for i in left for j in right][:MAX_CROSS_PAIRS]
    allowed = len(pairs) // 2  # conflicts; one more vetoes the merge
    scores: list[float] = []
    conflicts = 0
    for i, j in pairs:
        link = score_pair(i, j, features, weights)
        scores.append(link.score)
        conflicts += 1 if link.conflict else 0
        # Scores are never negative (the sum only grows), so the answer stands as soon as the pairs
        # left cannot change it: on the farm, a little over half the pairs need scoring.
        if conflicts > allowed:
            return False
        if conflicts + len(pairs) - len(scores) <= allowed and strong_enough(scores, len(pairs)):
            return True
    return False


def strong_enough(scores: list[float], pairs: int) -> bool:
    return sum(scores) / pairs >= MERGE_SCORE * 0.75


# --- clusters ------------------------------------------------------------------------------


def make_cluster(
    group: list[int],
    articles: Sequence[Article],
    features: Sequence[Features],
    weights: Weights,
    outlets: Mapping[str, str],
) -> Cluster:
    members = [articles[i] for i in group]
    duplicates = find_duplicates(group, articles, features)
    originals = [a for a in members if a.id not in duplicates]
    raw_credits = {articles[i].id: features[i].credits for i in group}
    credits = {a.id: credits_by_others(a, raw_credits[a.id], outlets) for a in originals}
    lead = choose_lead(originals, credits)
    rest = sorted((a for a in members if a.id != lead.id), key=lambda a: (a.published, a.first_seen, a.id))
    ordered = [lead, *(a for a in rest if a.id in credits)]
    return Cluster(
        article_ids=(lead.id, *(a.id for a in rest)),
        reasons=tuple(group_reasons(group, articles, features, weights, lead, credits)),
        duplicates=tuple(sorted(duplicates.items())),
        credited_outlet=most_credited([credits[a.id] for a in ordered]),
    )


def find_duplicates(
    group: list[int], articles: Sequence[Article], features: Sequence[Features]
) -> dict[str, str]:
    """Copy id -> original id, the original being the first published of the near-identical texts."""
    ordered = sorted(group, key=lambda i: (articles[i].published, articles[i].first_seen, articles[i].id))
    copies: dict[str, str] = {}
    for position, index in enumerate(ordered):
        for earlier in ordered[:position]:
            if (
                articles[earlier].id not in copies
                and copy_resemblance(features[earlier].sketch, features[index].sketch) >= DUPLICATE
            ):
                copies[articles[index].id] = articles[earlier].id
                break
    return copies


def choose_lead(members: Sequence[Article], credits: Mapping[str, list[str]]) -> Article:
    """The outlet the others credit ("told The Harbour Ledger"), else the first to publish."""
    counts = Counter(outlet_key(name) for names in credits.values() for name in names)
    return min(members, key=lambda a: (-counts.get(outlet_key(a.source), 0), a.published, a.first_seen, a.id))


def outlet_key(name: str) -> str:
    return re.sub(r"^the\s+", "", name.strip().lower())


# --- credited outlet -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreditRules:
    pattern: re.Pattern[str]  # a credit phrase, then the name it credits (group 1)
    mastheads: frozenset[str]
    known: Mapping[str, str]  # outlet key -> the outlet's name as we show it


@functools.cache
def credit_rules() -> CreditRules:
    raw = tomllib.loads(CREDITS_FILE.read_text(encoding="utf-8"))
    phrases = sorted(raw["phrases"], key=len, reverse=True)  # "reported by" before "reported"
    alternation = "|".join(re.escape(phrase) for phrase in phrases)
    # Where no phrase can start, one check instead of trying each phrase: twice as fast.
    first_letters = "".join(sorted({re.escape(phrase[0]) for phrase in phrases}))
    return CreditRules(
        pattern=re.compile(rf"\b(?=(?i:[{first_letters}]))(?i:{alternation})\s+{CREDITED_NAME}"),
        mastheads=frozenset(raw["masthead_words"]),
        known={outlet_key(name): name for name in raw["known_outlets"]},
    )


def outlet_credits(content: str, outlets: Mapping[str, str]) -> list[str]:
    """The outlets ``content`` credits, in order of mention; ``outlets`` maps keys of our sources."""
    return resolved_credits(credit_phrases(content), outlets)


def credit_phrases(content: str) -> tuple[str, ...]:
    """What follows each credit phrase in ``content``, in order: maybe an outlet's name."""
    return tuple(m.group(1) for m in credit_rules().pattern.finditer(text.fold_quotes(content)))


def resolved_credits(phrases: Sequence[str], outlets: Mapping[str, str]) -> list[str]:
    rules = credit_rules()
    names = (credited_name(raw, outlets, rules) for raw in phrases)
    return [name for name in names if name]


def credits_by_others(article: Article, phrases: Sequence[str], outlets: Mapping[str, str]) -> list[str]:
    """The outlets ``article`` credits, leaving out its own ("she told The Harbour Ledger" in the Ledger)."""
    own = outlet_key(article.source)
    return [name for name in resolved_credits(phrases, outlets) if outlet_key(name) != own]


def credited_name(raw: str, outlets: Mapping[str, str], rules: CreditRules) -> str:
    """The outlet's name as we show it, or "" when what follows the phrase is not an outlet."""
    name = re.sub(r"'s$", "", raw)
    key = outlet_key(name)
    if key in outlets:
        return outlets[key]
    if key in rules.known:
        return rules.known[key]
    words = name.split()
    if len(words) >= 2 and words[0].lower() == "the" and words[-1] in rules.mastheads:
        return name if words[0] == "The" else " ".join(words[1:])
    return ""


def most_credited(credits: Sequence[Sequence[str]]) -> str:
    """The outlet credited most often across the coverage (lead first); ties go to the first named."""
    counts = Counter(outlet_key(name) for names in credits for name in names)
    shown: dict[str, str] = {}
    for name in (name for names in credits for name in names):
        shown.setdefault(outlet_key(name), name)
    if not counts:
        return ""
    order = list(shown)
    best = max(order, key=lambda key: (counts[key], -order.index(key)))
    return shown[best]


def group_reasons(
    group: list[int],
    articles: Sequence[Article],
    features: Sequence[Features],
    weights: Weights,
    lead: Article,
    credits: Mapping[str, list[str]],
) -> list[str]:
    if len(group) == 1:
        return []
    lead_index = next(i for i in group if articles[i].id == lead.id)
    reasons = []
    for other in group:
        if other != lead_index:
            link = score_pair(lead_index, other, features, weights)
            reasons.append(
                f"{articles[other].id}: "
                + describe_link(features[lead_index], features[other], link, weights, articles[other])
            )
    credited = [name for names in credits.values() for name in names]
    if any(outlet_key(name) == outlet_key(lead.source) for name in credited):
        reasons.append(f"{lead.source} leads: other coverage credits it")
    return reasons


def describe_link(a: Features, b: Features, link: Link, weights: Weights, other: Article) -> str:
    parts = []
    if link.duplicate >= DUPLICATE:
        parts.append(f"near-identical text ({link.duplicate:.0%} of passages shared): a syndicated copy")
    if overlap_share(a.quotes, b.quotes):
        parts.append(f"shared quote “{shared_quote(other.text, a.quotes)}”")
    people = shared_people(a, b)
    if people:
        parts.append("shared people: " + ", ".join(people[:4]))
    spoken = {w.lower() for p in people for w in p.split(" ")}
    names = top(a.entities & b.entities - spoken, weights, 4)
    if names:
        parts.append("shared names and numbers: " + ", ".join(names))
    if a.organisations & b.organisations:
        parts.append("shared organisations: " + ", ".join(sorted(a.organisations & b.organisations)[:4]))
    parts.append(f"title similarity {text.jaccard(a.title, b.title):.2f}; score {link.score:.2f}")
    return "; ".join(parts)


def shared_quote(content: str, shingles: frozenset[int]) -> str:
    for match in quotes.QUOTED.finditer(text.fold_quotes(content)):
        spoken = text.words(match.group(1))
        if text.shingles(spoken, QUOTE_SHINGLE) & shingles:
            words = match.group(1).split()
            return " ".join(words[:10]) + ("…" if len(words) > 10 else "")
    return ""


def cluster_key(articles: Sequence[Article]) -> Callable[[Cluster], tuple[datetime, str]]:
    by_id: Mapping[str, Article] = {a.id: a for a in articles}
    return lambda cluster: (by_id[cluster.article_ids[0]].published, cluster.article_ids[0])
