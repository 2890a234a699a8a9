"""Is an article about online-abuse policy? Weighted concept matching over ``lexicon/taxonomy.toml``.

An article is kept when it names an online harm (a harm term, or a generic one such as "harassment"
in a paragraph with an online context), a response to it (law, regulator, court, police, platform,
training, research, support), and no off-topic sense (a business story, armed conflict) outweighs
the harm. Near-miss senses ("substance abuse", "abuse of dominance") are masked before matching.
Every decision keeps its score, the matched terms and the sentences that decided it.

Terms are matched on words instead of running every concept's pattern over every paragraph: a text
is split into words once, each word is looked up among the terms' first words, and a term is
compared only where its first word is. This finds exactly what the patterns of
``lexicon.compile_terms`` find; a term or a text that cannot be read as words (see ``phrase_of`` and
``plain_case``) is left to the pattern.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import logging
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from digest import lexicon, text
from digest.lexicon import Concept, Taxonomy
from digest.records import Article, Judgement

log = logging.getLogger(__name__)

TITLE_FACTOR = 2  # a term in the headline counts as two in the body
MAX_HITS = 3  # more mentions of one concept than this add nothing
EVIDENCE_SENTENCES = 2
WORD_SPLIT = re.compile(r"(\w+)")  # split() gives gap, word, gap, word, ..., gap
TERM_GAP = re.compile(lexicon.TERM_GAP)
NON_ASCII_LETTER = re.compile(r"[^\W\x00-\x7f]")
CACHE_LIMIT = 100_000  # words remembered with their candidate terms, then all forgotten at once

Hit = tuple[int, int, int]  # which text (0 = the title, then the paragraphs), start, end
Span = tuple[int, int]


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
    hits: dict[re.Pattern[str], list[Hit]]  # each matching pattern's matches, in text order
    tokens: tuple[Tokens | None, ...]  # the title's words, then each paragraph's (None: unreadable)
    sense_cut: bool = False  # a near-miss phrase may run on into the next paragraph (or one was unreadable)

    def text_of(self, number: int) -> str:
        return self.paragraphs[number - 1] if number else self.title

    def is_online(self, number: int) -> bool:
        return self.online[number - 1] if number else self.title_online


def judge_all(articles: Sequence[Article]) -> dict[str, Judgement]:
    taxonomy = lexicon.taxonomy()
    index = term_index(taxonomy)
    return {article.id: judge(article, taxonomy, index) for article in articles}


def judge(article: Article, taxonomy: Taxonomy, index: TermIndex | None = None) -> Judgement:
    reading = read(article, taxonomy, index or term_index(taxonomy))
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
        evidence=evidence(reading, harms, responses, off_topic, taxonomy, left_out=bool(reason)),
        reason=reason,
    )


# --- reading -------------------------------------------------------------------------------


def read(article: Article, taxonomy: Taxonomy, index: TermIndex) -> Reading:
    reading = scan(article.title, article.text, taxonomy, index, ())
    if not may_mask(reading, taxonomy, index):
        return reading
    found: list[str] = []
    title = mask_near_misses(article.title, taxonomy, found)
    body = mask_near_misses(article.text, taxonomy, found)
    if not found:
        return reading
    return scan(title, body, taxonomy, index, tuple(text.unique(found)))


def scan(
    title: str, body: str, taxonomy: Taxonomy, index: TermIndex, near_misses: tuple[str, ...]
) -> Reading:
    parts = tuple(text.paragraphs(body))
    tokens = tuple(Tokens.of(content) for content in (title, *parts))
    by_list: dict[int, list[Hit]] = defaultdict(list)
    cut = False
    for number, (content, words) in enumerate(zip((title, *parts), tokens, strict=True)):
        spans, cut_here = index.find_numbered(content, words)
        # a sense cut short matters only where a paragraph follows: the title is masked alone
        cut = cut or (cut_here and 0 < number < len(parts))
        for term_list, found in spans.items():
            by_list[term_list] += [(number, start, end) for start, end in found]
    hits = {index.numbered[term_list]: found for term_list, found in by_list.items()}
    online_texts = {number for number, _, _ in hits.get(taxonomy.online, ())}
    online = tuple(number in online_texts for number in range(1, len(parts) + 1))
    title_online = 0 in online_texts or (bool(online) and online[0])
    return Reading(title, parts, online, title_online, near_misses, hits, tokens, cut)


def may_mask(reading: Reading, taxonomy: Taxonomy, index: TermIndex) -> bool:
    """Whether a near-miss sense may be in the article. Masking works on the whole body, where a
    sense may span a paragraph break, so a sense's phrase cut short by a paragraph's end counts too."""
    senses = [sense.pattern for sense in taxonomy.near_misses]
    return reading.sense_cut or any(p in reading.hits or p in index.regex_only for p in senses)


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
    found = concept_hits(reading, concept)
    if not found:
        return ConceptScore(concept.name, 0.0, ())
    hits = sum(TITLE_FACTOR if number == 0 else 1 for number, _, _ in found)
    terms = [text.normalise_space(reading.text_of(n)[start:end].lower()) for n, start, end in found]
    strength = 1 + 0.5 * (min(hits, MAX_HITS) - 1)
    return ConceptScore(concept.name, round(concept.weight * strength, 2), tuple(text.unique(terms)))


def concept_hits(reading: Reading, concept: Concept) -> list[Hit]:
    """The concept's matches in text order: in each text its terms, then (online) its generic terms."""
    found = list(reading.hits.get(concept.pattern, ())) if concept.pattern is not None else []
    if concept.generic_pattern is not None:
        found += [hit for hit in reading.hits.get(concept.generic_pattern, ()) if reading.is_online(hit[0])]
    return sorted(found, key=lambda hit: hit[0])


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
    for concept in taxonomy.harms:
        if concept.generic_pattern is None:
            continue
        hits = reading.hits.get(concept.generic_pattern, ())
        found += [reading.text_of(number)[start:end].lower() for number, start, end in hits]
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
    *,
    left_out: bool,
) -> tuple[str, ...]:
    """The matched terms of each concept, and for an article ``left_out`` the sentences that decided
    it: the status page shows them beside the reason. A kept article's were never shown anywhere, and
    finding them was a third of the judging (5,000 farm articles: 3.46 CPU s with every article's,
    2.50 with only those left out)."""
    lines = [f"harm {c.name} {c.score:g}: {', '.join(c.terms)}" for c in harms]
    lines += [f"response {c.name} {c.score:g}: {', '.join(c.terms)}" for c in responses]
    lines += [f"off-topic {c.name} {c.score:g}: {', '.join(c.terms)}" for c in off_topic]
    lines += [f"near-miss masked: {name}" for name in reading.near_misses]
    if left_out:
        lines += [f"sentence: {s}" for s in deciding_sentences(reading, harms, responses)]
    return tuple(lines)


def deciding_sentences(
    reading: Reading, harms: list[ConceptScore], responses: list[ConceptScore]
) -> list[str]:
    """The sentences naming the most matched terms, harm terms counting double."""
    harm_terms = wordings(tuple(t for c in harms for t in c.terms))
    response_terms = wordings(tuple(t for c in responses for t in c.terms))
    ranked: list[tuple[int, int, str]] = []  # -weight, then the first come first
    to_beat = 0
    for part, words in zip(reading.paragraphs, reading.tokens[1:], strict=True):
        # splitting into sentences costs most: only where one could weigh more than the runner-up
        if 2 * harm_terms.most(words) + response_terms.most(words) <= to_beat:
            continue
        for sentence in text.split_sentences(part):
            tokens = Tokens.of(sentence)
            weight = 2 * harm_terms.count(sentence, tokens) + response_terms.count(sentence, tokens)
            if weight:
                ranked.append((-weight, len(ranked), sentence))
        to_beat = weight_to_beat(ranked)
    return [text.normalise_space(sentence) for _, _, sentence in sorted(ranked)[:EVIDENCE_SENTENCES]]


def weight_to_beat(ranked: list[tuple[int, int, str]]) -> int:
    """The weight of the last evidence sentence so far (a tie goes to the earlier sentence), or 0."""
    if len(ranked) < EVIDENCE_SENTENCES:
        return 0
    return -heapq.nsmallest(EVIDENCE_SENTENCES, ranked)[-1][0]


def term_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(terms), key=lambda t: (-len(t), t))
    if not words:
        return None
    return re.compile("|".join(r"(?<!\w)" + re.escape(w) + r"(?!\w)" for w in words), re.IGNORECASE)


def count_matches(pattern: re.Pattern[str] | None, sentence: str) -> int:
    return 0 if pattern is None else len(pattern.findall(sentence))


@functools.lru_cache(maxsize=1024)
def wordings(terms: tuple[str, ...]) -> Wordings:
    """Articles on one subject match the same terms: their wordings are prepared once."""
    return Wordings(terms)


class Wordings:
    """Matched terms' wordings, counted in a sentence as ``term_pattern`` counts them: as written,
    as whole words, longest first."""

    def __init__(self, wordings: Iterable[str]) -> None:
        self.ordered = sorted(set(wordings), key=lambda t: (-len(t), t))
        self.pattern: re.Pattern[str] | None = None  # compiled when a sentence cannot be read as words
        readable = [wording_of(wording) for wording in self.ordered]
        self.readable = None not in readable
        self.by_word: dict[str, list[Wording]] = defaultdict(list)
        preceding: dict[str, set[str]] = defaultdict(set)
        for wording in filter(None, readable):
            self.by_word[wording.words[0]].append(wording)
            if len(wording.words) > 1:
                preceding[wording.words[1]].add(wording.words[0])
        # each wording is looked for by its second word, rarer than the first ("law" of "the law"),
        # with the words that may come before it; a one-word wording by its word, after any word
        alone = {wording.words[0]: None for wording in filter(None, readable) if len(wording.words) == 1}
        self.keys: dict[str, set[str] | None] = {**preceding, **alone}

    def most(self, tokens: Tokens | None) -> float:
        """How many wordings a sentence of the text can hold at most: the places where one may be,
        judged by two words, as counted wordings do not overlap (without bound when the text is
        not read as words)."""
        if tokens is None or not self.readable:
            return math.inf
        words, keys = tokens.words, self.keys
        places = 0
        for position in itertools.compress(itertools.count(), map(keys.__contains__, words)):
            before = keys[words[position]]
            if before is None or (position > 0 and words[position - 1] in before):
                places += 1
        return places

    def count(self, sentence: str, tokens: Tokens | None) -> int:
        if tokens is None or not self.readable:
            if self.pattern is None:
                self.pattern = term_pattern(self.ordered)
            return count_matches(self.pattern, sentence)
        total, free = 0, 0
        for position in itertools.compress(itertools.count(), map(self.by_word.__contains__, tokens.words)):
            if position < free:
                continue
            found = next((w for w in self.by_word[tokens.words[position]] if w.at(tokens, position)), None)
            if found is not None:
                total += 1
                free = position + len(found.words)
        return total


@dataclass(frozen=True, slots=True)
class Wording:
    words: tuple[str, ...]
    gaps: tuple[str, ...]  # between the words, as written
    closing: str  # punctuation after the last word ("harassers'")

    def at(self, tokens: Tokens, first: int) -> bool:
        last = first + len(self.words) - 1
        if last >= len(tokens.words):
            return False
        for offset in range(1, len(self.words)):
            if (
                tokens.words[first + offset] != self.words[offset]
                or tokens.gaps[first + offset] != self.gaps[offset - 1]
            ):
                return False
        if not self.closing:
            return True
        after = tokens.gaps[last + 1]
        # and no word right after it: "harassers'" is not in "harassers's"
        return after.startswith(self.closing) and (
            len(after) > len(self.closing) or last + 1 == len(tokens.words)
        )


@functools.lru_cache(maxsize=CACHE_LIMIT)
def wording_of(wording: str) -> Wording | None:
    """None for a wording that does not begin with a word or holds a character only re compares right."""
    folded = fold(wording)
    if folded is None:
        return None
    lead, *parts = WORD_SPLIT.split(folded)
    words, gaps = parts[0::2], parts[1::2]
    if lead or not all(uncased(gap) for gap in gaps):
        return None
    return Wording(tuple(words), tuple(gaps[:-1]), gaps[-1])


def uncased(content: str) -> bool:
    return content.lower() == content == content.upper()


# --- matching terms on words ---------------------------------------------------------------


@functools.cache
def plain_case(char: str) -> bool:
    """Whether ``lower()`` folds the character as ``re.IGNORECASE`` compares it. Not when lower()
    gives two characters (İ), looks at the neighbours (capital sigma), or the letter shares its
    capital with another letter that re counts as the same (long s and s, dotless i and i, final
    sigma and sigma)."""
    lower = char.lower()
    return char != "\u03a3" and len(lower) == 1 and lower.upper().lower() == lower


def fold(content: str) -> str | None:
    """The text lower-cased, or None when one of its letters would not compare as in re."""
    if content.isascii():
        return content.lower()
    if not all(map(plain_case, NON_ASCII_LETTER.findall(content))):
        return None
    folded = content.lower()
    return folded if len(folded) == len(content) else None


@dataclass(slots=True)
class Tokens:
    """A text's words, lower-cased, with the gaps between them."""

    text: str  # lower-cased, as long as the original
    words: list[str]
    gaps: list[str]  # gaps[k] comes before words[k]; the last one after the last word
    offsets: list[int]  # where each gap and word ends: gap, word, ..., gap

    @classmethod
    def of(cls, content: str) -> Tokens | None:
        folded = fold(content)
        if folded is None:
            return None
        parts = WORD_SPLIT.split(folded)
        return cls(folded, parts[1::2], parts[0::2], list(itertools.accumulate(map(len, parts))))

    def start(self, word: int) -> int:
        return self.offsets[2 * word]

    def end(self, word: int) -> int:
        return self.offsets[2 * word + 1]


@dataclass(frozen=True, slots=True)
class Phrase:
    """A term read as words: it matches where ``lexicon.term_regex(term)`` matches."""

    words: tuple[str, ...]  # lower-cased; the first is looked up, the others compared
    gaps: tuple[re.Pattern[str] | None, ...]  # between the words; None: spaces and hyphens only
    prefix: bool  # a star right after the last word: the text's word only begins with it
    tail: re.Pattern[str] | None  # what must follow the last word: punctuation, a star's ending

    def second(self) -> str | None:
        """The word that must follow the first, or None when any may (a lone word, a stem)."""
        return self.words[1] if len(self.words) > 2 or (len(self.words) == 2 and not self.prefix) else None

    def end_at(self, tokens: Tokens, first: int) -> int | None:
        """Where the phrase ends when it begins at word ``first``; None when it does not match there."""
        last = first + len(self.words) - 1
        if last >= len(tokens.words) or (last > first and not self.goes_on(tokens, first, len(self.words))):
            return None
        end = tokens.start(last) + len(self.words[-1]) if self.prefix else tokens.end(last)
        if self.tail is None:
            return end
        found = self.tail.match(tokens.text, end)
        return None if found is None else found.end()

    def goes_on(self, tokens: Tokens, first: int, count: int) -> bool:
        """Whether the phrase's first ``count`` words are the text's from word ``first`` on."""
        for offset in range(1, count):
            word, wanted = tokens.words[first + offset], self.words[offset]
            if not (
                word.startswith(wanted) if self.prefix and offset == len(self.words) - 1 else word == wanted
            ):
                return False
            gap, allowed = tokens.gaps[first + offset], self.gaps[offset - 1]
            if not (spacing(gap) if allowed is None else allowed.fullmatch(gap)):
                return False
        return True

    def cut_at(self, tokens: Tokens, first: int) -> bool:
        """Whether the text ends inside the phrase, which the next text may go on with: its words
        so far are there and what follows the last may begin the gap to the next ("drug -")."""
        count = len(tokens.words) - first
        if count >= len(self.words) or not self.goes_on(tokens, first, count):
            return False
        after, allowed = tokens.gaps[-1], self.gaps[count - 1]
        return allowed is not None or not after or spacing(after)


def spacing(gap: str) -> bool:
    return gap == " " or TERM_GAP.fullmatch(gap) is not None


def phrase_of(term: str) -> Phrase | None:
    """The term as a phrase of words, or None for a term only its pattern matches right: one that
    does not begin with a letter or digit, has spaces around it, or a letter ``plain_case`` rejects."""
    folded = fold(term)
    if folded is None or term != term.strip() or not re.match(r"\w", term):
        return None
    words = lexicon.term_words(folded)
    # a space stands for each gap allowed between the term's words; other punctuation is literal
    parts = WORD_SPLIT.split(" ".join(words))[1:]  # nothing before the first word
    pieces, gaps, closing = parts[0::2], parts[1:-1:2], parts[-1]
    if not all(words) or " " in closing:
        return None
    star = term.endswith("*")
    tail = gap_pattern(closing) + (lexicon.WORD_END if star else "")
    return Phrase(
        words=tuple(pieces),
        gaps=tuple(None if gap == " " else re.compile(gap_pattern(gap), re.IGNORECASE) for gap in gaps),
        prefix=star and not closing,
        tail=re.compile(tail, re.IGNORECASE) if tail else None,
    )


def gap_pattern(gap: str) -> str:
    """A gap between a term's words as ``lexicon.term_regex`` writes it."""
    literals = (re.escape(piece).replace("'", "['\u2019]") for piece in gap.split(" "))
    return lexicon.TERM_GAP.join(literals)


Entry = tuple[int, int, Phrase]  # the term's rank, its list's number, the term
Groups = tuple[tuple[int, tuple[Phrase, ...]], ...]  # the terms of each list (by number), in term order


@dataclass(frozen=True, slots=True)
class Candidates:
    """The terms a word may begin, sorted by the word after it: "the" begins only "the law", so
    most places are passed over at once."""

    every: Groups  # for the text's last word, where a term may run on into the next text
    loose: Groups  # the terms any word may follow: a lone word, a stem
    after: dict[str, Groups]  # for a next word, the loose terms and those that go on with it

    def before(self, following: str | None) -> Groups:
        if following is None:
            return self.every
        return self.after.get(following, self.loose)


def grouped(entries: Iterable[Entry]) -> Groups:
    by_list: dict[int, list[Phrase]] = defaultdict(list)
    for _, number, phrase in sorted(entries, key=lambda entry: entry[0]):
        by_list[number].append(phrase)
    return tuple((number, tuple(phrases)) for number, phrases in by_list.items())


class LookedUp(dict[str, Candidates | None]):
    """Words with the terms each may begin (None: none), looked up when first met."""

    def __init__(self, look_up: Callable[[str], Candidates | None]) -> None:
        super().__init__()
        self.look_up = look_up

    def __missing__(self, word: str) -> Candidates | None:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        candidates = self[word] = self.look_up(word)
        return candidates


class TermIndex:
    """The taxonomy's term lists, each under the pattern compiled from it, looked up by first word
    (a lone word with a trailing star by its stem, found by length).

    Inside, a list goes by its number, not its pattern: hashing a pattern goes over its whole
    compiled code, each time."""

    def __init__(
        self, lists: Iterable[tuple[re.Pattern[str], Sequence[str]]], watched: Iterable[re.Pattern[str]]
    ):
        self.by_word: dict[str, list[Entry]] = defaultdict(list)
        self.by_stem: dict[int, dict[str, list[Entry]]] = defaultdict(lambda: defaultdict(list))
        self.patterns = dict(lists)
        self.numbered = list(self.patterns)
        self.regex_only: set[re.Pattern[str]] = set()
        watched = frozenset(watched)  # near-miss senses: is one cut short by a paragraph's end?
        self.watched = {number for number, pattern in enumerate(self.numbered) if pattern in watched}
        self.words = LookedUp(self.look_up)
        rank = itertools.count()
        for number, (pattern, terms) in enumerate(self.patterns.items()):
            ordered = sorted(set(terms), key=lambda t: (-len(t), t))  # as lexicon.compile_terms
            phrases = [phrase for phrase in map(phrase_of, ordered) if phrase is not None]
            if not ordered or len(phrases) < len(ordered):
                self.regex_only.add(pattern)
                continue
            for phrase in phrases:
                self.add((next(rank), number, phrase))
        self.regex_numbers = [n for n, pattern in enumerate(self.numbered) if pattern in self.regex_only]

    def add(self, entry: Entry) -> None:
        phrase = entry[2]
        if phrase.prefix and len(phrase.words) == 1:
            self.by_stem[len(phrase.words[0])][phrase.words[0]].append(entry)
        else:
            self.by_word[phrase.words[0]].append(entry)

    def look_up(self, word: str) -> Candidates | None:
        entries = list(self.by_word.get(word, ()))
        for length, stems in self.by_stem.items():
            entries += stems.get(word[:length], ()) if length <= len(word) else ()
        if not entries:
            return None
        loose = [entry for entry in entries if entry[2].second() is None]
        seconds = {word for word in (entry[2].second() for entry in entries) if word is not None}
        return Candidates(
            grouped(entries),
            grouped(loose),
            {second: grouped(e for e in entries if e[2].second() in (None, second)) for second in seconds},
        )

    def find(self, content: str, tokens: Tokens | None) -> tuple[dict[re.Pattern[str], list[Span]], bool]:
        """Each pattern's matches in the text, as its finditer gives them, and whether a watched
        phrase ran into the text's end. An unreadable text is left to the patterns."""
        spans, cut = self.find_numbered(content, tokens)
        return {self.numbered[number]: found for number, found in spans.items()}, cut

    def find_numbered(self, content: str, tokens: Tokens | None) -> tuple[dict[int, list[Span]], bool]:
        """``find`` with each list by its number."""
        if tokens is None:
            return self.by_patterns(content, range(len(self.numbered))), True
        spans, cut = self.find_words(tokens)
        spans.update(self.by_patterns(content, self.regex_numbers))
        return spans, cut

    def find_words(self, tokens: Tokens) -> tuple[dict[int, list[Span]], bool]:
        spans: dict[int, list[Span]] = defaultdict(list)
        free: dict[int, int] = {}  # a list's next match starts here or later
        cut = False
        words, looked_up = tokens.words, self.words
        for position in itertools.compress(itertools.count(), map(looked_up.__getitem__, words)):
            candidates = looked_up[words[position]]
            assert candidates is not None  # compress passed only words that begin terms
            groups = candidates.before(words[position + 1] if position + 1 < len(words) else None)
            if not groups:
                continue
            start = tokens.start(position)
            for number, phrases in groups:
                if free.get(number, 0) > start:
                    continue
                for phrase in phrases:
                    end = phrase.end_at(tokens, position)
                    if end is not None:
                        spans[number].append((start, end))
                        free[number] = end
                        break
                    cut = cut or (number in self.watched and phrase.cut_at(tokens, position))
        return spans, cut

    def by_patterns(self, content: str, numbers: Iterable[int]) -> dict[int, list[Span]]:
        found = {
            number: [match.span() for match in self.numbered[number].finditer(content)] for number in numbers
        }
        return {number: spans for number, spans in found.items() if spans}


@functools.lru_cache(maxsize=8)
def term_index(taxonomy: Taxonomy) -> TermIndex:
    concepts = (*taxonomy.harms, *taxonomy.responses, *taxonomy.off_topic)
    lists = [(c.pattern, c.terms) for c in concepts if c.pattern is not None]
    lists += [(c.generic_pattern, c.generic_terms) for c in concepts if c.generic_pattern is not None]
    lists += [(taxonomy.online, taxonomy.online_terms)]
    lists += [(sense.pattern, sense.terms) for sense in taxonomy.near_misses]
    return TermIndex(lists, (sense.pattern for sense in taxonomy.near_misses))
