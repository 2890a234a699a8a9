"""Text helpers shared by the editorial stages: paragraphs, sentences, tokens and shingles.

Sentences are substrings of the paragraph they come from (only surrounding whitespace is trimmed),
so a summary sentence can always be found again, verbatim, in its article.
"""

from __future__ import annotations

import re
import sys
import zlib
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from digest import lexicon

SPACE = re.compile(r"\s+")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A full stop, question or exclamation mark, optionally closed by a quote or bracket, then space.
BOUNDARY = re.compile(r"[.!?][\"'”\u2019)\]]*(?=\s+[\"'“\u2018(\[]?[A-Z0-9À-Þ])")
WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:['\u2019][A-Za-z]+)?")
NAME_CHAR = re.compile(r"[\w-]")
LAST_WORD = re.compile(r"([\w.]+)[.!?][\"'”\u2019)\]]*$")
NOT_IN_LAST_WORD = re.compile(r"[^\w.!?\"'”\u2019)\]\n]")  # a character no match of it can hold
LAST_WORD_REACH = 16  # characters from the end LAST_WORD is looked for in first: most words are shorter


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    paragraph: int  # index of its paragraph in the article
    position: int  # index of the sentence within the whole article


def normalise_space(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def fold_quotes(text: str) -> str:
    """Curly quotes and apostrophes to straight ones; same length, so offsets still hold."""
    # Four replaces, not str.translate (a lookup per character): about 100x faster on an article.
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("“", '"').replace("”", '"')


def paragraphs(text: str) -> list[str]:
    return [part.strip() for part in PARAGRAPH_BREAK.split(text) if part.strip()]


def split_sentences(paragraph: str) -> list[str]:
    """Split at sentence ends, never inside an open quotation or after an abbreviation or initial."""
    pieces: list[str] = []
    start = 0
    for match in BOUNDARY.finditer(paragraph):
        end = match.end()
        if _inside_quote(paragraph[start:end]) or _ends_with_abbreviation(paragraph[start:end]):
            continue
        pieces.append(paragraph[start:end].strip())
        start = end
    tail = paragraph[start:].strip()
    if tail:
        pieces.append(tail)
    return pieces


def _inside_quote(text: str) -> bool:
    opened = text.count("“") - text.count("”")
    return opened > 0 or text.count('"') % 2 == 1


def _ends_with_abbreviation(text: str) -> bool:
    match = last_word(text)
    if match is None:
        return False
    word = match.group(1).lower().strip(".")
    is_initial = len(word) == 1 and word.isalpha()
    return is_initial or word in lexicon.taxonomy().text.abbreviations


def last_word(text: str) -> re.Match[str] | None:
    """``LAST_WORD.search(text)``, looking first at only the end of the text: searching the whole
    piece at each boundary made a long paragraph cost the square of its length."""
    tail = len(text) - LAST_WORD_REACH
    if tail <= 0:
        return LAST_WORD.search(text)
    match = LAST_WORD.search(text, tail)
    if match is not None:
        # One at the tail's start may run on before it.
        return match if match.start() > tail else LAST_WORD.search(text)
    # Without one there, one could only span the whole tail.
    return LAST_WORD.search(text) if NOT_IN_LAST_WORD.search(text, tail) is None else None


def sentences(text: str) -> list[Sentence]:
    found: list[Sentence] = []
    for index, paragraph in enumerate(paragraphs(text)):
        for piece in split_sentences(paragraph):
            found.append(Sentence(piece, index, len(found)))
    return found


def words(text: str) -> list[str]:
    found = WORD.findall(text)
    # Lowered all at once, not word by word (a fifth faster): words hold no space to split at.
    return " ".join(found).lower().replace("\u2019", "'").split(" ") if found else []


def word_count(text: str) -> int:
    """``len(words(text))``, without building the words."""
    return len(WORD.findall(text))


def content_tokens(text: str) -> list[str]:
    """Lower-case words minus stopwords and possessive endings: what two texts share in substance."""
    return content_words(words(text))


def content_words(found: Iterable[str]) -> list[str]:
    """``content_tokens`` of words already found."""
    stop = lexicon.taxonomy().text.stopwords
    return [t for word in found if (t := word.removesuffix("'s")) not in stop and len(t) > 1]


_TOKENS: OrderedDict[tuple[str, str], tuple[str, ...]] = OrderedDict()  # the last articles asked for


def article_tokens(title: str, body: str, body_words: Sequence[str] | None = None) -> tuple[str, ...]:
    """``content_tokens`` of a headline and its text as one, once per article (of the last
    ``TEXTS_REMEMBERED``): clustering and summaries both count them. Interned, so remembering
    thousands of articles costs a pointer per token.

    No word spans the space between the two, so the words of both are those of each: a caller that
    found ``words(body)`` already passes them. Cluster traits take a sketch from the same words, and
    finding them is a fifth of the time of the two. (Clustering 50,000 articles counts without
    traits; there, the two other ways of finding the words we tried left 6 to 8 MB more in use.)"""
    key = (title, body)
    known = _TOKENS.get(key)
    if known is not None:
        _TOKENS.move_to_end(key)
        return known
    found = words(title + " " + body) if body_words is None else [*words(title), *body_words]
    tokens = _TOKENS[key] = tuple(map(sys.intern, content_words(found)))
    if len(_TOKENS) > lexicon.TEXTS_REMEMBERED:
        _TOKENS.popitem(last=False)
    return tokens


def standalone_at(content: str, position: int, word: str) -> bool:
    r"""Whether ``word`` is at ``position`` and not part of a longer word or hyphenated name: the
    regex ``(?<![\w-])word(?![\w-])`` tried at one place, without compiling one for each name."""
    return (
        content.startswith(word, position)
        and not (position > 0 and NAME_CHAR.match(content, position - 1))
        and not NAME_CHAR.match(content, position + len(word))
    )


def has_standalone(content: str, word: str) -> bool:
    return any(standalone_at(content, position, word) for position in lexicon.occurrences(content, [word]))


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's ``hash`` of a str is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def shingles(tokens: Sequence[str], size: int) -> set[int]:
    if len(tokens) < size:
        return {stable_hash(" ".join(tokens))} if tokens else set()
    # stable_hash of each run of ``size`` tokens, all in C: an article has hundreds of shingles.
    runs = zip(*(tokens[i:] for i in range(size)), strict=False)  # the shortest, the last run, ends it
    return set(map(zlib.crc32, map(str.encode, map(" ".join, runs))))


def jaccard(left: AbstractSet[Hashable], right: AbstractSet[Hashable]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def first_words(text: str, count: int) -> str:
    return " ".join(words(text)[:count])


def unique(items: Iterable[str]) -> Iterator[str]:
    """Items in first-seen order without repeats."""
    seen: set[str] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def edit_distance(left: str, right: str) -> int:
    """Levenshtein distance; names are short, so the plain dynamic programme is enough."""
    previous = list(range(len(right) + 1))
    for i, a in enumerate(left, 1):
        current = [i]
        for j, b in enumerate(right, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]
