"""The editorial word lists: taxonomy, jurisdictions and organisations, read from TOML and validated.

Each file is read once per process (``taxonomy()``, ``places()``, ``organisations()``); a broken file
raises ``ConfigError`` listing every problem, so an operator who edits one sees all mistakes at once.
Terms are compiled into one regular expression per concept, so matching is one scan per concept.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from digest.errors import ConfigError

LEXICON_DIR = Path(__file__).parent
WORD_END = r"[\w'\u2019]*"
WORD_START = r"(?<![\w])"  # a term that begins with a letter or digit begins a word
TERM_GAP = r"[\s\-]+"  # between a term's words, in the term and in the text


@dataclass(frozen=True, slots=True)
class Concept:
    """One harm, response or off-topic sense, with the pattern its terms compile into."""

    name: str
    kind: str  # harm | response | off_topic
    weight: float
    terms: tuple[str, ...]
    generic_terms: tuple[str, ...]
    content_note: bool
    digital: bool  # the harm only exists online or through devices: it is its own online context
    pattern: re.Pattern[str] | None
    generic_pattern: re.Pattern[str] | None  # counts only beside an online-context term


@dataclass(frozen=True, slots=True)
class NearMiss:
    name: str
    pattern: re.Pattern[str]
    terms: tuple[str, ...] = ()  # what the pattern was compiled from


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_harm: float
    min_response: float
    min_tag: float
    off_topic_factor: float


@dataclass(frozen=True, slots=True)
class TextRules:
    weak_starts: tuple[str, ...]  # lower-case first words or phrases, longest first
    abbreviations: frozenset[str]
    stopwords: frozenset[str]
    boilerplate: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class PeopleRules:
    speech_verbs: frozenset[str]
    speech_pattern: str  # regex alternation of the verbs, for embedding in larger patterns
    titles: frozenset[str]
    not_person: frozenset[str]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    harms: tuple[Concept, ...]
    responses: tuple[Concept, ...]
    off_topic: tuple[Concept, ...]
    near_misses: tuple[NearMiss, ...]
    online: re.Pattern[str]
    thresholds: Thresholds
    sexual_violence_name: str
    sexual_violence: re.Pattern[str] | None
    text: TextRules
    people: PeopleRules
    online_terms: tuple[str, ...] = ()  # what ``online`` was compiled from


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    parent: str
    pattern: re.Pattern[str]
    exclude: re.Pattern[str] | None
    triggers: frozenset[str] = frozenset()  # the first word of each term: no trigger, no need to search
    anchored: bool = False  # every match begins with a trigger: only where one occurs is a match tried
    exclude_triggers: frozenset[str] = frozenset()  # an excluded phrase begins with one (empty: unknown)
    whole_triggers: bool = False  # every match begins with a whole word that is a trigger


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    kind: str
    jurisdiction: str
    pattern: re.Pattern[str]
    triggers: frozenset[str] = frozenset()  # empty: always searched (the entry has regex patterns)
    anchored: bool = False  # as for places; never for an entry with regex patterns
    whole_triggers: bool = False  # as for places


WORD = re.compile(r"\w+")


def triggers(terms: Iterable[str]) -> frozenset[str]:
    """First words of the terms: a text without any of them cannot match, so it is not searched."""
    return frozenset(found.group(0) for term in terms if (found := WORD.search(term)) is not None)


# How many articles per-article results are kept for: every one of a large build, since clustering,
# tagging, quotes and summaries each ask about every article.
TEXTS_REMEMBERED = 4096


@functools.lru_cache(maxsize=TEXTS_REMEMBERED)
def name_words(content: str) -> frozenset[str]:
    """The text's words that begin a listed organisation or place, or a kind of organisation ("the
    charity ..."): all that choosing the entries to search needs, and small enough to remember for
    every article (clustering looks up each text alone, then with its headline)."""
    return name_starts().intersection(WORD.findall(content))


@functools.cache
def name_starts() -> frozenset[str]:
    listed = (*(o.triggers for o in organisations()), *(p.triggers for p in places()))
    return frozenset().union(*listed, discovery().kind_words)


def anchored(terms: Iterable[str], pattern: re.Pattern[str]) -> bool:
    """Whether every match of the terms' pattern begins with a trigger: each term starts with a
    word, whose letters the pattern matches as written."""
    return not pattern.flags & re.IGNORECASE and all(re.match(r"\w", term.strip()) for term in terms)


def whole_triggers(terms: Sequence[str], pattern: re.Pattern[str]) -> bool:
    """Whether every match begins with a whole word of the text that is a trigger, not just with a
    trigger: anchored terms that begin with a word (``term_regex`` then puts a word start before
    it) and end in no star (after a term's first word comes no letter, or the end of a word)."""
    return anchored(terms, pattern) and all(re.match(r"\w", t) and not t.endswith("*") for t in terms)


Search = Callable[[int], "re.Match[str] | None"]  # the leftmost match at or after a position


def search_from(pattern: re.Pattern[str], content: str, starts: Iterable[str]) -> Search:
    """``pattern.search`` in ``content`` for a pattern whose every match begins with one of ``starts``:
    a match is tried only where one of them occurs, which in an article is a few places rather than
    every character (a text's listed names cost 20x less)."""
    return search_at(pattern, content, sorted(set(occurrences(content, starts))))


def search_at(pattern: re.Pattern[str], content: str, positions: Sequence[int]) -> Search:
    """``pattern.search`` in ``content`` that tries a match only at ``positions`` (ascending)."""

    def search(position: int) -> re.Match[str] | None:
        for start in positions[bisect.bisect_left(positions, position) :]:
            found = pattern.match(content, start)
            if found is not None:
                return found
        return None

    return search


def leftmost_matches(searches: Sequence[Search]) -> Iterator[re.Match[str]]:
    """What ``finditer`` finds for the alternation of the searched patterns (none of which matches an
    empty string): the leftmost match of any, the earlier pattern's on a tie, then on from its end."""
    found = [search(0) for search in searches]
    while any(found):
        best = min((match for match in found if match is not None), key=lambda match: match.start())
        yield best
        found = [
            match if match is None or match.start() >= best.end() else search(best.end())
            for search, match in zip(searches, found, strict=True)
        ]


def occurrences(content: str, literals: Iterable[str]) -> Iterator[int]:
    for literal in literals:
        position = content.find(literal)
        while position >= 0:
            yield position
            position = content.find(literal, position + 1)


@dataclass(frozen=True, slots=True)
class OrganisationMatch:
    """Where the text names an organisation: a listed one, or a name discovery found (None)."""

    name: str
    start: int
    end: int
    organisation: Organisation | None


def named_organisations(content: str) -> list[Organisation]:
    """The listed organisations the text names, in lexicon order."""
    return listed_organisations(organisation_matches(content))


def listed_organisations(matches: Iterable[OrganisationMatch]) -> list[Organisation]:
    found = {m.organisation.name for m in matches if m.organisation is not None}
    return [o for o in organisations() if o.name in found]


def organisation_matches(content: str) -> tuple[OrganisationMatch, ...]:
    """Every organisation name in the text, longest first: "Seoul Metropolitan Police Agency" is not
    also "Metropolitan Police". Discovered names take part, so an unlisted longer name wins too."""
    return organisations_at(content, name_words(content), discovered_spans(content))


def organisations_at(
    content: str, present: frozenset[str], discovered: Iterable[tuple[int, int]]
) -> tuple[OrganisationMatch, ...]:
    """``organisation_matches``, given the text's ``name_words`` and ``discovered_spans``."""
    starts = Starts(content)
    candidates = [
        OrganisationMatch(o.name, m.start(), m.end(), o)
        for o in organisations()
        if not o.triggers or o.triggers & present
        for m in matches_of(o, content, starts, present)
    ]
    candidates += [OrganisationMatch(content[s:e], s, e, None) for s, e in discovered]
    return tuple(longest_first(candidates))


class Starts:
    """Where each word that begins a name occurs in one text, looked for once: entries share first
    words ("New", "National"), and a text was scanned again for each entry that might be named."""

    def __init__(self, content: str) -> None:
        self.content = content
        self.found: dict[str, list[int]] = {}

    def positions(self, words: Iterable[str]) -> list[int]:
        """``sorted(set(occurrences(content, words)))``."""
        merged: set[int] = set()
        for word in words:
            at = self.found.get(word)
            if at is None:
                at = self.found[word] = list(occurrences(self.content, (word,)))
            merged.update(at)
        return sorted(merged)


def matches_of(
    entry: Organisation | Place,
    content: str,
    starts: Starts | None = None,
    present: frozenset[str] | None = None,
) -> Iterator[re.Match[str]]:
    """``starts``: the text's ``Starts``, shared by the entries looked up in it; ``present``: its
    ``name_words`` (a trigger that is none of them cannot begin a match of a ``whole_triggers`` entry:
    most of a place's triggers, each a scan of the text, are not there)."""
    if not entry.anchored:
        return entry.pattern.finditer(content)
    if starts is None or starts.content is not content:
        starts = Starts(content)
    words = entry.triggers & present if present is not None and entry.whole_triggers else entry.triggers
    return anchored_at(entry.pattern, content, starts.positions(words))


def anchored_matches(
    pattern: re.Pattern[str], content: str, starts: Iterable[str]
) -> Iterator[re.Match[str]]:
    """``leftmost_matches([search_from(pattern, content, starts)])`` in one pass over the places
    where a match can begin, without a search per match (most entries are looked up this way)."""
    return anchored_at(pattern, content, sorted(set(occurrences(content, starts))))


def anchored_at(pattern: re.Pattern[str], content: str, positions: Iterable[int]) -> Iterator[re.Match[str]]:
    """``anchored_matches`` given where its words occur, in ascending order."""
    end = 0
    for start in positions:
        if start >= end and (found := pattern.match(content, start)) is not None:
            yield found
            end = found.end()


def named_places(content: str) -> list[Place]:
    """The places the text names, in lexicon order."""
    return listed_places(place_matches(content))


def listed_places(matches: Iterable[PlaceMatch]) -> list[Place]:
    found = {m.place.name for m in matches}
    return [p for p in places() if p.name in found]


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    place: Place
    start: int
    end: int


def place_matches(content: str) -> tuple[PlaceMatch, ...]:
    """Every place name in the text, longest first ("New South Wales" is not also "Wales"), outside
    each place's excluded phrases."""
    return places_at(content, name_words(content))


def places_at(content: str, present: frozenset[str]) -> tuple[PlaceMatch, ...]:
    """``place_matches``, given the text's ``name_words``."""
    starts = Starts(content)  # not for a place whose excluded phrases were blanked out: it gets its own
    candidates = [
        PlaceMatch(p, m.start(), m.end())
        for p in places()
        if p.triggers & present
        for m in matches_of(p, without_excluded(p, content), starts, present)
    ]
    return tuple(longest_first(candidates))


@dataclass(frozen=True, slots=True)
class ArticleNames:
    organisations: tuple[OrganisationMatch, ...]
    places: tuple[PlaceMatch, ...]


@functools.lru_cache(maxsize=TEXTS_REMEMBERED)
def article_names(title: str, text: str) -> ArticleNames:
    """The organisations and places named in a headline and its text, joined as the editorial stages
    join them, once per article: clustering and tagging both ask. Keyed by the two parts, so no
    joined copy of each text is kept."""
    content = title + "\n\n" + text
    present = name_words(title) | name_words(text)  # no word spans the blank line between them
    discovered = whole_names(content, headed_discoveries(title, text).all())
    return ArticleNames(organisations_at(content, present, discovered), places_at(content, present))


def without_excluded(place: Place, content: str) -> str:
    if place.exclude is None:
        return content
    if not place.exclude_triggers:
        return place.exclude.sub(lambda m: " " * len(m.group(0)), content)
    # What that substitution finds, looked for only where an excluded phrase can begin: the
    # pattern tried at every character cost a tenth of finding an article's names.
    spans = [m.span() for m in anchored_matches(place.exclude, content, place.exclude_triggers)]
    return blanked(content, spans) if spans else content


def blanked(content: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text with each span (in order, not overlapping) turned to spaces."""
    parts: list[str] = []
    end = 0
    for start, stop in spans:
        parts += [content[end:start], " " * (stop - start)]
        end = stop
    return "".join(parts) + content[end:]


class Span(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


S = TypeVar("S", bound=Span)


def longest_first(candidates: Iterable[S]) -> list[S]:
    """The matches kept, in text order: each longest first, a match overlapping a kept one dropped
    (on equal length the earlier candidate wins, so listed names beat discovered ones)."""
    kept: list[S] = []
    for candidate in sorted(candidates, key=lambda c: (c.start - c.end, c.start)):
        if all(candidate.end <= k.start or candidate.start >= k.end for k in kept):
            kept.append(candidate)
    return sorted(kept, key=lambda c: c.start)


# --- term compilation ----------------------------------------------------------------------


def term_regex(term: str) -> str:
    """``"intimate image*"`` -> a regex matching the phrase as whole words, any space or hyphen between."""
    star = term.endswith("*")
    words = term_words(term)
    body = TERM_GAP.join(re.escape(word).replace("'", "['\u2019]") for word in words)
    start = WORD_START if re.match(r"\w", term) else ""
    end = WORD_END if star else (r"(?![\w])" if re.search(r"\w$", term) else "")
    return f"{start}{body}{end}"


def term_words(term: str) -> list[str]:
    """The words of a term: what lies between spaces and hyphens, without a trailing star."""
    return re.split(TERM_GAP, term.rstrip("*").strip())


def compile_terms(terms: Iterable[str], ignore_case: bool = True) -> re.Pattern[str] | None:
    ordered = sorted(set(terms), key=lambda term: (-len(term), term))
    if not ordered:
        return None
    flags = re.IGNORECASE if ignore_case else 0
    return re.compile(alternation([term_regex(term) for term in ordered]), flags)


def by_first_letter_terms(terms: Sequence[str]) -> re.Pattern[str] | None:
    """``compile_terms(terms)`` behind a check of the letter a match begins with, when every term
    begins with a letter or digit: a text that holds none of the terms, as most do, is then passed
    over at once instead of trying the terms at each word (a search of an article takes half the time)."""
    pattern = compile_terms(terms)
    firsts = sorted({term.strip()[:1].lower() for term in terms})
    if pattern is None or not all(re.fullmatch(r"[a-z0-9]", first) for first in firsts):
        return pattern
    return re.compile(f"(?=[{''.join(firsts)}])" + pattern.pattern, pattern.flags)


def alternation(sources: Sequence[str]) -> str:
    r"""``a|b|c`` with the word-start check of neighbouring branches written once, in front of them.

    ``(?<![\w])(?:a|b)|c`` matches exactly what ``(?<![\w])a|(?<![\w])b|c`` matches, branch order
    kept, but re then tries the branches only where a word starts: relevance scoring ran about 5x
    faster on article text (tests/bench).
    """
    runs = itertools.groupby(sources, key=lambda source: source.startswith(WORD_START))
    parts: list[str] = []
    for shares_start, run in runs:
        if shares_start:
            parts.append(WORD_START + "(?:" + "|".join(s.removeprefix(WORD_START) for s in run) + ")")
        else:
            parts.extend(run)
    return "|".join(parts)


# --- validation helpers --------------------------------------------------------------------


class _Checker:
    """Collects every problem in one file as ``where: message`` lines."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def strings(self, table: dict[str, Any], key: str, where: str, required: bool = False) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            self.add(f"{where}.{key}", "expected a list of non-empty strings")
            return ()
        if required and not value:
            self.add(f"{where}.{key}", "must not be empty")
        return tuple(value)

    def terms(self, table: dict[str, Any], key: str, where: str, required: bool = False) -> tuple[str, ...]:
        """Taxonomy terms: strings whose star, if any, ends the term (it stands for a word's ending)."""
        terms = self.strings(table, key, where, required)
        for term in terms:
            if "*" in term.rstrip("*"):
                self.add(f"{where}.{key}", f"{term!r}: a * may only end a term")
        return terms

    def text(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            self.add(f"{where}.{key}", "expected a non-empty string")
            return ""
        return value

    def number(self, table: dict[str, Any], key: str, where: str) -> float:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.add(f"{where}.{key}", "expected a number >= 0")
            return 0.0
        return float(value)

    def keys(self, table: Any, allowed: Iterable[str], where: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            self.add(where, "expected a table")
            return {}
        for key in sorted(set(table) - set(allowed)):
            self.add(f"{where}.{key}", "unknown key")
        return table

    def tables(self, raw: dict[str, Any], key: str) -> list[Any]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            self.add(key, "expected an array of tables")
            return []
        return value

    def pattern(self, source: str, where: str, ignore_case: bool = False) -> re.Pattern[str] | None:
        try:
            return re.compile(source, re.IGNORECASE if ignore_case else 0)
        except re.error as exc:
            self.add(where, f"not a valid regular expression: {exc}")
            return None

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError("; ".join(self.problems), problems=tuple(self.problems))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _unique_names(check: _Checker, names: Sequence[str], where: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            check.add(where, f"duplicate name {name!r}")
        seen.add(name)


# --- taxonomy ------------------------------------------------------------------------------

_CONCEPT_KEYS = ("name", "weight", "terms", "generic_terms", "content_note", "digital")
_TOP_KEYS = (
    "thresholds",
    "online",
    "harms",
    "responses",
    "off_topic",
    "near_misses",
    "content_note",
    "text",
    "people",
)


def parse_taxonomy(raw: dict[str, Any], source: str = "taxonomy.toml") -> Taxonomy:
    check = _Checker(source)
    check.keys(raw, _TOP_KEYS, "(top level)")
    harms = _concepts(check, raw, "harms", "harm")
    responses = _concepts(check, raw, "responses", "response")
    off_topic = _concepts(check, raw, "off_topic", "off_topic")
    _unique_names(check, [c.name for c in (*harms, *responses, *off_topic)], "concepts")
    if not harms or not responses:
        check.add("(top level)", "needs at least one [[harms]] and one [[responses]] concept")
    online_table = check.keys(raw.get("online", {}), ("terms",), "online")
    online_terms = check.terms(online_table, "terms", "online", required=True)
    online = compile_terms(online_terms)
    note = check.keys(
        raw.get("content_note", {}), ("sexual_violence_name", "sexual_violence_terms"), "content_note"
    )
    taxonomy = Taxonomy(
        harms=harms,
        responses=responses,
        off_topic=off_topic,
        near_misses=_near_misses(check, raw),
        online=online or re.compile(r"(?!x)x"),
        thresholds=_thresholds(check, raw),
        sexual_violence_name=check.text(note, "sexual_violence_name", "content_note", "sexual violence"),
        sexual_violence=by_first_letter_terms(check.terms(note, "sexual_violence_terms", "content_note")),
        text=_text_rules(check, raw),
        people=_people_rules(check, raw),
        online_terms=online_terms,
    )
    check.raise_if_any()
    return taxonomy


def _concepts(check: _Checker, raw: dict[str, Any], key: str, kind: str) -> tuple[Concept, ...]:
    concepts = []
    for index, item in enumerate(check.tables(raw, key)):
        where = f"{key}[{index}]"
        table = check.keys(item, _CONCEPT_KEYS, where)
        terms = check.terms(table, "terms", where, required=True)
        generic = check.terms(table, "generic_terms", where)
        content_note, digital = table.get("content_note", False), table.get("digital", False)
        for key, value in (("content_note", content_note), ("digital", digital)):
            if not isinstance(value, bool):
                check.add(f"{where}.{key}", "expected true or false")
        concept = Concept(
            name=check.text(table, "name", where),
            kind=kind,
            weight=check.number(table, "weight", where),
            terms=terms,
            generic_terms=generic,
            content_note=content_note is True,
            digital=digital is True,
            pattern=compile_terms(terms),
            generic_pattern=compile_terms(generic),
        )
        concepts.append(concept)
    return tuple(concepts)


def _near_misses(check: _Checker, raw: dict[str, Any]) -> tuple[NearMiss, ...]:
    senses = []
    for index, item in enumerate(check.tables(raw, "near_misses")):
        where = f"near_misses[{index}]"
        table = check.keys(item, ("name", "terms"), where)
        terms = check.terms(table, "terms", where, required=True)
        pattern = compile_terms(terms)
        if pattern is not None:
            senses.append(NearMiss(check.text(table, "name", where), pattern, terms))
    return tuple(senses)


def _thresholds(check: _Checker, raw: dict[str, Any]) -> Thresholds:
    names = ("min_harm", "min_response", "min_tag", "off_topic_factor")
    table = check.keys(raw.get("thresholds", {}), names, "thresholds")
    values = [check.number(table, name, "thresholds") for name in names]
    return Thresholds(*values)


def _text_rules(check: _Checker, raw: dict[str, Any]) -> TextRules:
    table = check.keys(
        raw.get("text", {}), ("weak_starts", "abbreviations", "stopwords", "boilerplate"), "text"
    )
    weak = check.strings(table, "weak_starts", "text", required=True)
    return TextRules(
        weak_starts=tuple(sorted({w.lower() for w in weak}, key=lambda w: (-len(w), w))),
        abbreviations=frozenset(a.lower() for a in check.strings(table, "abbreviations", "text")),
        stopwords=frozenset(s.lower() for s in check.strings(table, "stopwords", "text")),
        boilerplate=compile_terms(check.strings(table, "boilerplate", "text")),
    )


def _people_rules(check: _Checker, raw: dict[str, Any]) -> PeopleRules:
    table = check.keys(raw.get("people", {}), ("speech_verbs", "titles", "not_person"), "people")
    verbs = check.strings(table, "speech_verbs", "people", required=True)
    ordered = sorted(set(verbs), key=lambda verb: (-len(verb), verb))
    return PeopleRules(
        speech_verbs=frozenset(verbs),
        speech_pattern="|".join(re.escape(verb) for verb in ordered) or "(?!x)x",
        titles=frozenset(check.strings(table, "titles", "people")),
        not_person=frozenset(check.strings(table, "not_person", "people")),
    )


# --- places and organisations --------------------------------------------------------------


def parse_places(raw: dict[str, Any], source: str = "jurisdictions.toml") -> tuple[Place, ...]:
    check = _Checker(source)
    check.keys(raw, ("places",), "(top level)")
    places = []
    for index, item in enumerate(check.tables(raw, "places")):
        where = f"places[{index}]"
        place = _place(check, check.keys(item, ("name", "parent", "terms", "exclude"), where), where)
        if place is not None:
            places.append(place)
    names = [place.name for place in places]
    _unique_names(check, names, "places")
    for place in places:
        if place.parent and place.parent not in names:
            check.add(place.name, f"parent {place.parent!r} is not a listed place")
    check.raise_if_any()
    return tuple(places)


def _place(check: _Checker, table: dict[str, Any], where: str) -> Place | None:
    terms = check.strings(table, "terms", where, required=True)
    pattern = compile_terms(terms, ignore_case=False)
    excluded = check.strings(table, "exclude", where)
    exclude = compile_terms(excluded, ignore_case=False)
    name = check.text(table, "name", where)
    if pattern is None:
        return None
    parent = check.text(table, "parent", where, "")
    unless = triggers(excluded) if exclude is not None and anchored(excluded, exclude) else frozenset()
    whole = whole_triggers(terms, pattern)
    return Place(name, parent, pattern, exclude, triggers(terms), anchored(terms, pattern), unless, whole)


def parse_organisations(
    raw: dict[str, Any], place_names: Iterable[str], source: str = "organisations.toml"
) -> tuple[Organisation, ...]:
    check = _Checker(source)
    check.keys(raw, ("organisations", "discover"), "(top level)")
    known_places = set(place_names)
    organisations = []
    for index, item in enumerate(check.tables(raw, "organisations")):
        where = f"organisations[{index}]"
        table = check.keys(
            item, ("name", "kind", "terms", "patterns", "pattern_words", "jurisdiction"), where
        )
        terms = check.strings(table, "terms", where, required=True)
        sources = [term_regex(term) for term in terms]
        patterns = check.strings(table, "patterns", where)
        sources += list(patterns)
        jurisdiction = check.text(table, "jurisdiction", where, "")
        if jurisdiction and jurisdiction not in known_places:
            check.add(f"{where}.jurisdiction", f"{jurisdiction!r} is not a place in jurisdictions.toml")
        pattern = check.pattern("|".join(f"(?:{s})" for s in sources), f"{where}.patterns")
        if pattern is not None:
            # A regular expression's words to look for are given as pattern_words; without them the
            # entry is always searched.
            pattern_words = check.strings(table, "pattern_words", where)
            found_by = frozenset() if patterns and not pattern_words else triggers(terms) | set(pattern_words)
            organisation = Organisation(
                check.text(table, "name", where),
                check.text(table, "kind", where),
                jurisdiction,
                pattern,
                found_by,
                not patterns and anchored(terms, pattern),
                not patterns and whole_triggers(terms, pattern),
            )
            organisations.append(organisation)
    _unique_names(check, [o.name for o in organisations], "organisations")
    check.raise_if_any()
    return tuple(organisations)


# --- the shared, once-read lexicons --------------------------------------------------------


@functools.cache
def taxonomy() -> Taxonomy:
    return parse_taxonomy(read_toml(LEXICON_DIR / "taxonomy.toml"), str(LEXICON_DIR / "taxonomy.toml"))


@functools.cache
def places() -> tuple[Place, ...]:
    return parse_places(
        read_toml(LEXICON_DIR / "jurisdictions.toml"), str(LEXICON_DIR / "jurisdictions.toml")
    )


NAME_WORD = r"[A-Z][\w'\u2019-]*"
NAME_LINK = r"(?:and|of|for|&)"
ROLE_LINK = r"(?:at|of|for|with|from|in|on|by|to)"  # "X, a counsellor at the service": a person's role
DISCOVERED_NAME = rf"{NAME_WORD}(?:\s+(?:{NAME_LINK}\s+)?{NAME_WORD}){{0,5}}"


@dataclass(frozen=True, slots=True)
class Discovery:
    """Patterns that find organisations the list lacks, by how the text introduces them."""

    kind_first: re.Pattern[str]  # "the charity Safe Corridors"
    name_first: re.Pattern[str]  # "Safe Corridors, a charity"
    suffixed: re.Pattern[str]  # "Bristol City Council", "Canadian Centre for Child Protection"
    suffixes: frozenset[str] = frozenset()
    joined: re.Pattern[str] = re.compile(r"(?!x)x")  # two names joined: "... Police and New Zealand Police"
    kind_words: frozenset[str] = frozenset()  # a kind_first match begins with one (empty: not known)
    whole_kind_words: bool = False  # and that one is a whole word of the text
    heads: re.Pattern[str] | None = None  # any of the suffixes, each of which a suffixed match holds


def parse_discovery(raw: dict[str, Any], source: str = "organisations.toml") -> Discovery:
    check = _Checker(source)
    table = check.keys(raw.get("discover", {}), ("kinds", "suffixes"), "discover")
    kind_terms = sorted(check.strings(table, "kinds", "discover", True), key=len, reverse=True)
    heads = check.strings(table, "suffixes", "discover", True)
    check.raise_if_any()
    # The word-start check written once for all kinds: the scan ran 4x faster on articles.
    kinds = alternation([term_regex(k) for k in kind_terms])
    kind_first = re.compile(rf"\b(?:{kinds})\s+(?P<after>{DISCOVERED_NAME})")
    described = rf",\s+(?:a|an|the)\s+(?:(?!{ROLE_LINK}\b)[\w-]+\s+){{0,3}}(?:{kinds})\b(?!['\u2019])"
    return Discovery(
        kind_first=kind_first,
        name_first=re.compile(rf"(?P<before>{DISCOVERED_NAME}){described}"),
        suffixed=suffixed_pattern(heads),
        suffixes=frozenset(heads),
        joined=re.compile(rf"\b(?:{'|'.join(re.escape(s) for s in heads)})\s+(?:and|&)\s"),
        kind_words=triggers(kind_terms) if anchored(kind_terms, kind_first) else frozenset(),
        whole_kind_words=whole_triggers(kind_terms, kind_first),
        heads=re.compile("|".join(re.escape(s) for s in heads)),
    )


def suffixed_pattern(heads: Sequence[str]) -> re.Pattern[str]:
    suffix = rf"(?:{'|'.join(re.escape(s) for s in heads)})(?![\w'\u2019-])"
    tail = rf"(?:\s+(?:of|for)\s+{NAME_WORD}(?:\s+(?:(?:and|&)\s+)?{NAME_WORD}){{0,4}})?"
    name = rf"(?P<name>(?:{NAME_WORD}\s+(?:{NAME_LINK}\s+)?){{0,5}}{suffix}(?:\s+{suffix})*{tail})"
    # It begins with a name word or a head word, so the scan passes other characters over at once
    # instead of trying every head at each.
    first_letters = "".join(sorted({re.escape(head[0]) for head in heads}))
    return re.compile(rf"(?=[A-Z{first_letters}]){name}")


CAPITAL_NEXT = re.compile(r"\s+[A-Z]")
CAPITAL = re.compile(r"[A-Z]")
NON_SPACE = re.compile(r"\S+")
OWNER_ENDING = re.compile(r"['\u2019]s$")
NAME_BEFORE = re.compile(rf"{NAME_WORD}\s+$")


@functools.cache
def discovery() -> Discovery:
    return parse_discovery(read_toml(LEXICON_DIR / "organisations.toml"))


def discovered_spans(content: str) -> tuple[tuple[int, int], ...]:
    """Where the text introduces an organisation by its kind or names one by its head word."""
    return whole_names(content, text_discoveries(content).all())


def whole_names(content: str, found: Iterable[Discovered]) -> tuple[tuple[int, int], ...]:
    # a lone head word ("the Commission") is a reference back, not a name
    spans = (whole_name(content, d.start, d.end, d.min_words) for d in found)
    return tuple(span for span in spans if span is not None)


@dataclass(frozen=True, slots=True)
class Discovered:
    """Where a discovery pattern matched: the name in it, how many capitalised words that name needs,
    and where the whole match ends."""

    start: int
    end: int
    min_words: int
    match_end: int

    def moved(self, offset: int) -> Discovered:
        return Discovered(self.start + offset, self.end + offset, self.min_words, self.match_end + offset)


@dataclass(frozen=True, slots=True)
class Discoveries:
    introduced: tuple[Discovered, ...]  # "the charity Safe Corridors", "Safe Corridors, a charity"
    suffixed: tuple[Discovered, ...]  # "Bristol City Council"

    def all(self) -> tuple[Discovered, ...]:
        return self.introduced + self.suffixed


def discoveries(introduced: Iterable[re.Match[str]], suffixed: Iterable[re.Match[str]]) -> Discoveries:
    kind_first = discovery().kind_first
    return Discoveries(
        tuple(discovered(m, "after" if m.re is kind_first else "before", 1) for m in introduced),
        tuple(discovered(m, "name", 2) for m in suffixed),
    )


def discovered(match: re.Match[str], group: str, min_words: int) -> Discovered:
    return Discovered(match.start(group), match.end(group), min_words, match.end())


@functools.lru_cache(maxsize=TEXTS_REMEMBERED)
def text_discoveries(content: str) -> Discoveries:
    """What the discovery patterns match in a text, once: an article's text is looked at alone, then
    after its headline (``headed_discoveries``)."""
    return discoveries(introductions(content, name_words(content)), suffixed_names(content))


def headed_discoveries(title: str, text: str) -> Discoveries:
    """``text_discoveries`` of ``title + "\\n\\n" + text``, scanning only the headline again.

    No discovery pattern looks back further than the character before where it is tried, and before
    the text that is the blank line, which reads as the start of a string. So once the scan has
    passed the matches that begin in the headline, the joined text's matches are the text's own,
    moved along; only a match running from the headline into the text calls for a whole new scan."""
    content = title + "\n\n" + text
    offset = len(title) + 2
    rules = discovery()
    starts = range(offset)
    introduced = list(
        leftmost_matches(
            [
                search_at(rules.kind_first, content, starts),
                described_later(content, search_at(rules.name_first, content, starts)),
            ]
        )
    )
    suffixed = list(leftmost_matches([search_at(rules.suffixed, content, starts)]))
    head = discoveries(introduced, suffixed)
    if any(d.match_end > len(title) for d in head.all()):
        present = name_words(title) | name_words(text)  # no word spans the blank line between them
        return discoveries(introductions(content, present), suffixed_names(content))
    body = text_discoveries(text)
    return Discoveries(
        head.introduced + tuple(d.moved(offset) for d in body.introduced),
        head.suffixed + tuple(d.moved(offset) for d in body.suffixed),
    )


def introductions(content: str, present: frozenset[str] | None = None) -> Iterator[re.Match[str]]:
    """Names introduced by their kind, as one alternation of the two ways would find them; searched
    apart, the scan skips to where each can begin (40% less time). ``present``: the text's
    ``name_words``, which tell the kind words it holds, so the others are not looked for."""
    rules = discovery()
    if rules.kind_words:
        kinds = rules.kind_words
        if present is not None and rules.whole_kind_words:
            kinds = kinds & present
        kind_first = search_from(rules.kind_first, content, kinds)
    else:
        kind_first = functools.partial(rules.kind_first.search, content)
    name_first = described_later(content, functools.partial(rules.name_first.search, content))
    return leftmost_matches([kind_first, name_first])


# The characters of a suffixed name before its head word: name words, spaces and the links between.
NOT_IN_NAME = r"[^\w'\u2019&\s-]"
LAST_NOT_IN_NAME = re.compile(rf"(?s:.*){NOT_IN_NAME}")
NAME_REACH = 200  # how far before a head word its name is looked for first


def suffixed_names(content: str) -> Iterator[re.Match[str]]:
    """``suffixed.finditer(content)``, scanning only the stretch of name characters before each head
    word, not every capitalised word of the text: a match holds a head word, and a name that runs
    into one holds no character outside such a stretch."""
    rules = discovery()
    if rules.heads is None:
        return rules.suffixed.finditer(content)
    heads = rules.heads

    def search(position: int) -> re.Match[str] | None:
        head = heads.search(content, position)
        if head is None:
            return None
        return rules.suffixed.search(content, name_stretch_start(content, position, head.start()))

    return leftmost_matches([search])


def name_stretch_start(content: str, position: int, end: int) -> int:
    """Where the run of name characters that ends at ``end`` begins, not before ``position``; if it
    runs back further than ``NAME_REACH``, a point in it (searching from there finds the same)."""
    window = max(position, end - NAME_REACH)
    last = LAST_NOT_IN_NAME.match(content, window, end)
    return last.end() if last is not None else window


DESCRIPTION_START = re.compile(r",\s+(?:a|an|the)\s")  # what each name_first match holds after the name


def described_later(content: str, search: Search) -> Search:
    """``search`` for ``name_first`` matches, answering None at once where no ", a", ", an" or ", the"
    follows: most articles have none, and the scan for names before one is a whole-text scan."""
    last = max((m.start() for m in DESCRIPTION_START.finditer(content)), default=-1)

    def searched(position: int) -> re.Match[str] | None:
        return search(position) if last >= position else None

    return searched


def whole_name(content: str, start: int, end: int, min_words: int) -> tuple[int, int] | None:
    """The name without a leading article or owner ("India's"); None for a fragment of a longer
    capitalised run ("Local Government" of "Local Government Association")."""
    if NAME_BEFORE.search(content[max(0, start - 40) : start]) or CAPITAL_NEXT.match(content, end):
        return None
    cut = 0
    for word in NON_SPACE.finditer(content[start:end]):
        if not (word.group(0).lower() in taxonomy().text.stopwords or is_owner(word.group(0))):
            break
        cut = word.end()
    name = content[start + cut : end].strip()
    if len([w for w in name.split() if CAPITAL.match(w)]) < min_words or not one_name(name):
        return None
    return end - len(name), end


def one_name(name: str) -> bool:
    """Not two names joined ("Australian Federal Police and New Zealand Police") and not a place."""
    return not discovery().joined.search(name) and not names_whole(name, place_index())


def is_owner(word: str) -> bool:
    """An owner before a name: "India's" in "India's Ministry of ..." (a place or listed organisation)."""
    owner = OWNER_ENDING.sub("", word)
    if owner == word:
        return False
    return names_whole(owner, place_index()) or names_whole(owner, organisation_index())


E = TypeVar("E", Organisation, Place)


def names_whole(text: str, index: dict[str, list[E]]) -> bool:
    """Whether the whole text is a name of one of the indexed entries."""
    return any(e.pattern.fullmatch(text) for e in (*index.get(text[:1], ()), *index.get("", ())))


def by_first_letter(entries: Iterable[E]) -> dict[str, list[E]]:
    """First letter -> the entries whose names begin with it; "" -> those whose regex patterns could
    begin with anything. Telling whether a text is a listed name then tries a few, not all."""
    index: dict[str, list[E]] = {}
    for entry in entries:
        for letter in sorted({t[:1] for t in entry.triggers}) if entry.anchored else [""]:
            index.setdefault(letter, []).append(entry)
    return index


@functools.cache
def place_index() -> dict[str, list[Place]]:
    return by_first_letter(places())


@functools.cache
def organisation_index() -> dict[str, list[Organisation]]:
    return by_first_letter(organisations())


@functools.cache
def organisations() -> tuple[Organisation, ...]:
    path = LEXICON_DIR / "organisations.toml"
    return parse_organisations(read_toml(path), [place.name for place in places()], str(path))
