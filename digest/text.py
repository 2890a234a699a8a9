"""Text helpers shared by the editorial stages: paragraphs, sentences, tokens and shingles.

Sentences are substrings of the paragraph they come from (only surrounding whitespace is trimmed),
so a summary sentence can always be found again, verbatim, in its article.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Hashable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from digest import lexicon

SPACE = re.compile(r"\s+")
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A full stop, question or exclamation mark, optionally closed by a quote or bracket, then space.
BOUNDARY = re.compile(r"[.!?][\"'”\u2019)\]]*(?=\s+[\"'“\u2018(\[]?[A-Z0-9À-Þ])")
WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ]+(?:['\u2019][A-Za-z]+)?")
LAST_WORD = re.compile(r"([\w.]+)[.!?][\"'”\u2019)\]]*$")
QUOTE_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "“": '"', "”": '"'})


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    paragraph: int  # index of its paragraph in the article
    position: int  # index of the sentence within the whole article


def normalise_space(text: str) -> str:
    return SPACE.sub(" ", text).strip()


def fold_quotes(text: str) -> str:
    """Curly quotes and apostrophes to straight ones; same length, so offsets still hold."""
    return text.translate(QUOTE_FOLD)


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
    match = LAST_WORD.search(text)
    if match is None:
        return False
    word = match.group(1).lower().strip(".")
    is_initial = len(word) == 1 and word.isalpha()
    return is_initial or word in lexicon.taxonomy().text.abbreviations


def sentences(text: str) -> list[Sentence]:
    found: list[Sentence] = []
    for index, paragraph in enumerate(paragraphs(text)):
        for piece in split_sentences(paragraph):
            found.append(Sentence(piece, index, len(found)))
    return found


def words(text: str) -> list[str]:
    return [word.lower().replace("\u2019", "'") for word in WORD.findall(text)]


def content_tokens(text: str) -> list[str]:
    """Lower-case words minus stopwords and possessive endings: what two texts share in substance."""
    stop = lexicon.taxonomy().text.stopwords
    tokens = (word.removesuffix("'s") for word in words(text))
    return [token for token in tokens if token not in stop and len(token) > 1]


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (Python's ``hash`` of a str is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def shingles(tokens: list[str], size: int) -> set[int]:
    if len(tokens) < size:
        return {stable_hash(" ".join(tokens))} if tokens else set()
    return {stable_hash(" ".join(tokens[i : i + size])) for i in range(len(tokens) - size + 1)}


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
