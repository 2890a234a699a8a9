"""Direct quotes and who said them; the people an article names.

A names table is built from the whole article first ("Jenny Hopkins, chief crown prosecutor",
"Director of Public Prosecutions Alun Pritchard", "said Nick Pickles, Twitter's head of policy"),
so a later "Hopkins said" or "she said" resolves to the full name and role. Both attribution
forms are read ('"...," X said' and '"...," said X, role', and 'X said: "..."'), with curly or
straight quote marks. Spelling variants of one name within a story are merged by
``merge_variants``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from digest import lexicon, text
from digest.records import Article, Quote

log = logging.getLogger(__name__)

ROLE_NOUN = re.compile(r"(?:er|or|ist|ian|ant|ent|ive|ary)$")  # "Organiser Martin Oddie" opens a sentence
JOB_BEFORE = re.compile(r"(?<![\w'-])([a-z]+(?:er|or|ist|ian|ant|ent|ive|ary|person|man|woman))\s+$")
MIN_QUOTE_WORDS = 5  # shorter quoted bits are titles or scare quotes, not statements
NAME_TOKEN = r"[A-ZÀ-Þ][\w'-]*"
PARTICLES = r"(?:de|van|von|der|den|da|di|du|le|la|al|bin|dos|del|ter|ten)"
LOOK_BACK = 40
SENTENCE_END = re.compile(r"(?:[.!?\"]\s+|\n)$")
HONORIFIC_BEFORE = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Lt|Sgt|Det|Prof|Rev)\.?\s+$")
# "the Centre for Platform Accountability said", "Police in Halton Vale said": a run after an
# organisation's head word and "for", "of" or "in" is the rest of its name or where it is; a title
# is not such a word ("Director of Public Prosecutions Alun Pritchard").
NAME_GOES_ON = re.compile(r"(?:^|\s)([A-Z][\w'\u2019-]*)\s+(?:for|of|on|against|in|at)\s+(?:the\s+)?$")
# "A man from Halton Vale", "a Halton Vale resident": where a place stands, not a person.
PLACE_BEFORE = re.compile(r"(?:^|\s)(?i:in|at|from|near|outside|across|around|an?)\s+$")
PLACE_AFTER = re.compile(r"\s+(?:residents?|man|woman|men|women|area|council|branch|community)\b")
# Two words or more: a single word is never a whole name, and the scan then skips every lone
# capitalised word instead of checking each as a person (the runs it finds are those the same
# pattern with ``*`` finds that hold a space). A capital first, and only then the look back for a
# word before it (``(?<![\w'])`` in front of the capital): re then skips to the capitals, twice as fast.
NAME_RUN = re.compile(rf"[A-ZÀ-Þ](?<![\w'].)[\w'-]*(?:[ ](?:{PARTICLES}[ ])?{NAME_TOKEN})+")
WORD_BEFORE = re.compile(r"([\w'-]+)(\.?) $")  # the word right before a position, one space between
WORD_OR_ELIDED = re.compile(r"[\w'-]+")
TOKEN_CHAR = re.compile(r"[\w'-]")  # a character of a WORD_OR_ELIDED word
PRONOUNS = ("he", "she", "they")
PERSON_NAME = rf"{NAME_TOKEN}(?:\s+(?:{PARTICLES}\s+)?{NAME_TOKEN}){{1,3}}"
DESCRIBED = (
    r"(?:[Tt]he|[Aa]n?)\s+(?:[A-Z][\w']*\s+)?[a-z][\w'-]*(?:\s+(?!for\b|at\b|of\b)[a-z][\w-]*){0,2}"
    r"(?:\s+(?:for|at|of)\s+(?:the\s+)?[A-Z][\w']*(?:\s+[A-Z][\w']*)*)?"
)
CONTINUATION_GAP = 80  # characters of attribution between two fragments of one person's quote
CARRY_OVER = 400  # an unattributed quote belongs to someone named this close before it
ROLE_CLOSED = re.compile(r"\s*[,;]")
QUOTED = re.compile(r'"([^"]+)"')
ROLE_END = (
    r"(?=\.(?:\s+[A-Z\"]|\s*$)|;|,\s*(?:who|which|said|says|told|has|had|was|is|in|at|on|speaking|writing|while|as"
    r"|and|but|adding)\b|$)"
)
OUTLET_CREDIT = re.compile(
    r"\b(?:told|reported by|according to|first reported by|reported|in an interview with|speaking to|"
    r"said in an interview with|as revealed by|revealed by|wrote in|writing in)\s+"
    r"((?:[Tt]he\s+)?[A-Z][\w']*(?:\s+[A-Z][\w']*){0,3})"
)


@dataclass(frozen=True, slots=True)
class Mention:
    """A person named in an article, where, and the role the article gives them."""

    name: str
    role: str
    start: int


@dataclass(frozen=True, slots=True)
class Patterns:
    after_name_verb: re.Pattern[str]
    after_verb_role_name: re.Pattern[str]
    after_verb_name: re.Pattern[str]
    before: re.Pattern[str]
    verb_after: re.Pattern[str]
    verb_before: re.Pattern[str]


@cache
def patterns() -> Patterns:
    verbs = lexicon.taxonomy().people.speech_pattern
    name = rf"{NAME_TOKEN}(?:\s+(?:{PARTICLES}\s+)?{NAME_TOKEN}){{0,5}}"
    who = rf"(?P<who>{DESCRIBED}|{name}|[Hh]e|[Ss]he|[Tt]hey)"
    of_org = rf"(?:\s+(?P<of>(?:of|from|at)\s+(?:the\s+)?{name}))?"
    stop = "|".join(sorted(stopwords()))
    # "said Meta spokesperson Andrea Kowalczyk": the office before the name is the role
    office = rf"(?P<pre>{NAME_TOKEN}(?:\s+{NAME_TOKEN}){{0,3}}\s+(?:(?!(?:{stop})\b)[a-z][\w'-]*\s+){{1,3}})"
    return Patterns(
        after_name_verb=re.compile(
            rf"^\s*,?\s*(?P<pre>(?!(?:a|an|the)\s)(?:[A-Z][\w']*\s+)?(?:[a-z][\w'-]*\s+){{1,4}}(?=[A-Z]))?{who}{of_org}"
            rf"(?:,\s*(?P<role>[^,\"]{{2,100}}),)?\s+(?:\w+ly\s+)?(?:{verbs})\b"
        ),
        after_verb_role_name=re.compile(
            rf"^\s*,?\s*(?:{verbs})\s+(?P<role>(?:(?:the|a|an)\s+|[A-Z][\w]*'s\s+)(?:[\w'-]+\s+){{0,5}}?"
            rf"[a-z][\w-]*),?\s+(?P<who>{name})\s*[.,;]"
        ),
        after_verb_name=re.compile(
            rf"^\s*,?\s*(?:{verbs}|according to)\s+(?:{office}(?={name}))?{who}"
            rf"(?:,\s*(?P<role>[^\";]{{2,120}}?){ROLE_END})?"
        ),
        before=re.compile(
            rf"{who}{of_org}(?:,\s*(?P<role>[^,\"]{{2,100}}),)?\s+(?:\w+\s+)?(?:{verbs})"
            rf"(?:\s+(?:that\s+)?[^:\",.]{{0,60}}?)?\s*[:,]?\s*$"
        ),
        verb_after=re.compile(rf"^\s*(?:,[^,.\"]{{1,100}},)?\s*(?:\w+ly\s+)?(?:{verbs})\b"),
        verb_before=re.compile(rf"\b(?:{verbs}|according to)\s*[:,]?\s*$"),
    )


# --- people --------------------------------------------------------------------------------


def find_people(content: str) -> list[Mention]:
    """Every person the text names, in order, with a role where the text gives one."""
    return list(people_in(content))


@lru_cache(maxsize=lexicon.TEXTS_REMEMBERED)
def people_in(content: str) -> tuple[Mention, ...]:
    """``find_people``, once per text: clustering, quotes and summaries all ask about each article."""
    folded = text.fold_quotes(content)
    mentions = []
    for match in NAME_RUN.finditer(folded):
        mention = person_at(folded, match)
        if mention is not None:
            mentions.append(mention)
    return tuple(mentions)


def word_counts(folded: str) -> Counter[str]:
    """How often each word occurs, counting "O'Brien" both whole and as "O" and "Brien" (the larger
    count of the two ways to split words), from one scan."""
    words = WORD_OR_ELIDED.findall(folded)
    counts = Counter(words)
    counts.update(part for word in words if "'" in word for part in word.split("'") if part)
    return counts


def times_named(folded: str, word: str) -> int:
    """``word_counts(folded)[word]``, looking only where the word occurs: a text has thousands of
    words and a few names to count. It counts where the word stands alone, and, for a word without
    an apostrophe, where it is a part of an elided word ("Brien" of "O'Brien")."""
    times = 0
    for start in lexicon.occurrences(folded, (word,)):
        edges = edges_of(folded, start, start + len(word))
        alone = not any(TOKEN_CHAR.match(edge) for edge in edges)
        a_part = "'" not in word and all(edge == "'" or not TOKEN_CHAR.match(edge) for edge in edges)
        times += alone or a_part
    return times


def edges_of(folded: str, start: int, end: int) -> tuple[str, str]:
    """The characters on either side of ``folded[start:end]``, a space at either end of the text."""
    return folded[start - 1 : start] or " ", folded[end : end + 1] or " "


def named_alone(folded: str, surname: str, titles: frozenset[str]) -> bool:
    """Whether the text names ``surname`` without a capitalised word before it other than a title
    ("Hopkins said", "Ms Hopkins"): a place's last word ("Vale" of "Halton Vale") never stands alone."""
    for start in lexicon.occurrences(folded, (surname,)):
        if any(TOKEN_CHAR.match(edge) for edge in edges_of(folded, start, start + len(surname))):
            continue  # inside a longer word
        previous = WORD_BEFORE.search(folded, max(0, start - 30), start)
        # No word before, a sentence's end ("Odile Brant. Brant wrote"), a lower-case word or a title.
        if previous is None or previous.group(2) or not previous.group(1)[0].isupper():
            return True
        if previous.group(1) in titles:
            return True
    return False


def person_at(folded: str, match: re.Match[str]) -> Mention | None:
    """The name at the end of a capitalised run; the words before it ("Labour MP") are its office."""
    rules = lexicon.taxonomy().people
    run = match.group(0).split(" ")
    run[-1] = strip_possessive(run[-1])
    tokens = name_tokens(run, rules.titles, rules.not_person)
    at_sentence_start = (
        match.start() == 0 or SENTENCE_END.search(just_before(folded, match.start())) is not None
    )
    if at_sentence_start and len(tokens) == len(run) >= 3 and ROLE_NOUN.search(tokens[0]):
        tokens = tokens[1:]  # "Organiser Martin Oddie": a capitalised common noun opens the sentence
    if not 2 <= len(tokens) <= 3 or not looks_like_name(tokens, rules.not_person):
        return None
    office = [t for t in run[: len(run) - len(tokens)] if t.lower() not in stopwords()]
    start = match.end() - len(" ".join(tokens))
    described = "" if office else job_before(folded, start)  # "met campaigner Jodie Tranter"
    before = just_before(folded, start)
    titled = bool(office or described) or HONORIFIC_BEFORE.search(before) is not None
    if len(tokens) == len(run) and continues_organisation(before, rules.not_person):
        return None
    # Named again ("Hopkins said"); where a place stands ("a man from Halton Vale"), only a surname
    # named alone elsewhere makes it a person ("a statement from Odile Brant ... Brant wrote").
    repeated = times_named(folded, tokens[-1]) > 1 and (
        not (PLACE_BEFORE.search(before) or PLACE_AFTER.match(folded, match.end()))
        or named_alone(folded, tokens[-1], rules.titles)
    )
    if not (repeated or has_person_signal(folded, start, match.end(), titled)):
        return None
    role = role_of(folded, (match.start(), start, match.end()), office) or described
    return Mention(" ".join(tokens), role, start)


def just_before(folded: str, position: int) -> str:
    """The few characters before ``position``: looking further back made each name cost the whole text."""
    return folded[max(0, position - LOOK_BACK) : position]


def job_before(folded: str, start: int) -> str:
    """A lower-case job word right before a name ("campaigner", "spokesperson"), or nothing."""
    found = JOB_BEFORE.search(folded[max(0, start - 40) : start])
    return found.group(1) if found and found.group(1) not in stopwords() else ""


def name_tokens(run: list[str], titles: frozenset[str], not_person: frozenset[str]) -> list[str]:
    """The run's last words that can be part of a personal name, at most three."""
    tokens: list[str] = []
    for token in reversed(run):
        possessive = token.endswith("'s") and tokens
        if token in titles or token in not_person or token.isupper() or len(tokens) == 3 or possessive:
            break
        if token.lower() in stopwords():
            break
        tokens.insert(0, token)
    return tokens


def continues_organisation(before: str, not_person: frozenset[str]) -> bool:
    found = NAME_GOES_ON.search(before)
    head = found.group(1) if found else ""
    return head in not_person or head in lexicon.discovery().suffixes


def looks_like_name(tokens: list[str], not_person: frozenset[str]) -> bool:
    """Not an organisation's name either: "Sexual Assault Support" ends in an organisation's head word."""
    heads = lexicon.discovery().suffixes
    for token in tokens:
        if token in not_person or token in heads or token.isupper() or "." in token.rstrip("."):
            return False
    return not known_entity(" ".join(tokens))


@lru_cache(maxsize=4096)
def known_entity(joined: str) -> bool:
    """The whole name is a listed organisation or place ("Victoria Police", "New Zealand")."""
    return any(o.pattern.fullmatch(joined) for o in lexicon.named_organisations(joined)) or any(
        p.pattern.fullmatch(joined) for p in lexicon.named_places(joined)
    )


def strip_possessive(token: str) -> str:
    return token[:-2] if token.endswith("'s") else token.rstrip("'")


def has_person_signal(folded: str, start: int, end: int, titled: bool) -> bool:
    after = folded[end : end + 120]
    before = folded[max(0, start - 40) : start]
    return (
        titled
        or re.match(r",\s*\d{1,3}\s*[,)]", after) is not None
        or patterns().verb_after.match(after) is not None
        or patterns().verb_before.search(before) is not None
        or apposition_role(after) != ""
        or before.endswith(", ")
    )


def apposition_role(after: str, closed: bool = False) -> str:
    """The role in 'Name, chief crown prosecutor, said' or 'said Name, Twitter's head of policy.'"""
    match = re.match(
        rf",\s+(?P<role>(?:(?:the|a|an|its|their)\s|[a-z]|[A-Z][\w]*'s\s)[^\";]{{1,110}}?){ROLE_END}", after
    )
    if match is None or re.match(r"\d", match.group("role")):
        return ""
    first = match.group("role").split(" ")[0]
    if first in lexicon.taxonomy().people.speech_verbs or first in ("which", "and"):
        return ""
    # The role closed by a comma right after it: the role cannot begin with a space, so this is
    # ``,\s+<role>\s*[,;]`` matched at the start without compiling a pattern for each role.
    if not closed and not ROLE_CLOSED.match(after, match.end("role")):
        return ""  # "Name, met X at Y." is a clause, not a role: a role is closed by a comma
    return clean_role(match.group("role"))


def role_of(folded: str, span: tuple[int, int, int], office: list[str]) -> str:
    """span: where the capitalised run starts, where the name starts, where both end."""
    run_start, start, end = span
    spoken_to = patterns().verb_before.search(folded[max(0, run_start - 40) : run_start]) is not None
    role = apposition_role(folded[end : end + 130], closed=spoken_to)
    title = clean_role(office_before(folded, run_start, office)) if office else ""
    if title and (not role or role.startswith(("of ", "at ", "for ", "who "))):
        return title if role.startswith("who ") else f"{title} {role}".strip()
    return role or title or clean_role(role_before(folded[max(0, start - 150) : start]))


def office_before(folded: str, run_start: int, office: list[str]) -> str:
    """'Director of Public Prosecutions Alun Pritchard': the office may begin before the run."""
    head = folded[max(0, run_start - 60) : run_start]
    lead = re.search(r"([A-Z][\w']*(?:\s+[A-Z][\w']*)*)\s+(?:of|for)\s*$", head)
    joined = " ".join(office)
    return f"{lead.group(1)} {head[lead.end(1) :].strip()} {joined}" if lead else joined


def role_before(before: str) -> str:
    """'..., the CPS lead on violence against women, Marianne Okafor': the role ends in ', '."""
    if not before.endswith(", "):
        return ""
    clause = re.split(r"[.;:!?\"(]", before[:-2])[-1].strip()
    match = re.search(
        r"(?:^|.*\b(?:by|from|to|with|and|said|says|told|was|is|as)\s+)((?:[Tt]he|[Aa]n?|[Ii]ts|[Tt]heir|[A-Z][\w]*'s)\s.+)$",
        clause,
    )
    return match.group(1) if match else ""


def clean_role(role: str) -> str:
    """A role without its edges; a relative clause ("who works at...") or a verb is not a role."""
    role = text.normalise_space(role).strip(" ,")
    first = role.split(" ")[0] if role else ""
    if first in ("which", "and", "but") or first in lexicon.taxonomy().people.speech_verbs:
        return ""
    return role


@cache
def stopwords() -> frozenset[str]:
    return lexicon.taxonomy().text.stopwords


# --- quotes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Names:
    """Who an article names: the names table, every place each is named, and the pronoun it uses."""

    table: dict[str, Mention]  # full name, surname and first name -> mention; roles learnt as quotes are read
    cited: list[tuple[int, Mention]]
    genders: dict[str, str]  # full name -> "he" or "she", when the text shows which
    folded: str  # the whole article, quote marks folded: what "the spokesperson" points back into
    speaking: frozenset[int]  # where a person is named as the subject of a speech verb ("Baird said")


def extract_quotes(article: Article) -> tuple[Quote, ...]:
    """Every direct quote with a speaker; spellings of one name within the article merged."""
    content = text.fold_quotes(article.text)
    table = names_table(find_people(article.text))
    cited = references(content, table)
    learn_appositions(content, cited, table)
    names = Names(table, cited, pronouns_used(content, cited), content, speaking_at(content, cited))
    found: list[Quote] = []
    offset = 0
    for paragraph in re.split(r"(\n\s*\n)", article.text):
        found += quotes_in(paragraph, offset, article.id, names)
        offset += len(paragraph)
    return merge_variants(found)


def references(folded: str, table: dict[str, Mention]) -> list[tuple[int, Mention]]:
    """Every place a known person is named, by full name or surname: what "she said" points back to."""
    people = {mention.name: mention for mention in table.values()}
    found = [(start, mention) for mention in people.values() for start in named_at(folded, mention.name)]
    return sorted(found, key=lambda pair: (pair[0], pair[1].name))


def named_at(folded: str, name: str) -> list[int]:
    r"""Where the full name, or else the surname, stands on its own and not as an owner ("Hopkins's"),
    one mention not counted inside another: what ``(?<![\w-])(?:Full Name|Surname)(?![\w-])(?!'s)``
    finds, without compiling that pattern for every person of every article."""
    forms = (name, name.split(" ")[-1])
    found: list[int] = []
    end = 0
    for start in sorted(set(lexicon.occurrences(folded, forms))):
        form = next((f for f in forms if named_as(folded, start, f)), None) if start >= end else None
        if form is not None:
            found.append(start)
            end = start + len(form)
    return found


def named_as(folded: str, start: int, form: str) -> bool:
    return text.standalone_at(folded, start, form) and not folded.startswith("'s", start + len(form))


def learn_appositions(folded: str, cited: list[tuple[int, Mention]], table: dict[str, Mention]) -> None:
    """'Penhaligon, an independent member of the council, said': a role given beside a surname."""
    for start, mention in cited:
        surname = mention.name.split(" ")[-1]
        if folded.startswith(surname, start):
            role = apposition_role(folded[start + len(surname) : start + len(surname) + 130])
            learn_role(table, mention.name, role)


def speaking_at(folded: str, cited: list[tuple[int, Mention]]) -> frozenset[int]:
    """Where a person is named as the one speaking: "Baird said", "Pritchard, the DPP, said", "said Baird"."""
    rules = patterns()
    found = set()
    for start, mention in cited:
        named = mention.name if folded.startswith(mention.name, start) else mention.name.split(" ")[-1]
        after = folded[start + len(named) : start + len(named) + 120]
        spoke = rules.verb_after.match(after) or rules.verb_after.match(after.removeprefix(","))
        if spoke or rules.verb_before.search(folded[max(0, start - 40) : start]):
            found.add(start)
    return frozenset(found)


def pronouns_used(folded: str, cited: list[tuple[int, Mention]]) -> dict[str, str]:
    """The first he/his/him or she/her after each mention, before anyone else is named, outside quotes
    and not as the subject of a speech verb (that pronoun is what this is used to resolve)."""
    outside = QUOTED.sub(lambda m: " " * len(m.group(0)), folded)
    pronoun = pronoun_pattern()
    votes: dict[str, Counter[str]] = {}
    for index, (start, mention) in enumerate(cited):
        stop = cited[index + 1][0] if index + 1 < len(cited) else len(outside)
        found = pronoun.search(outside, start + len(mention.name.split(" ")[-1]), min(stop, start + 300))
        gender = gender_of(found) if found else titled_gender(outside[max(0, start - 6) : start])
        if gender:
            votes.setdefault(mention.name, Counter())[gender] += 1
    return {name: counted.most_common(1)[0][0] for name, counted in votes.items() if len(counted) == 1}


@cache
def pronoun_pattern() -> re.Pattern[str]:
    verbs = lexicon.taxonomy().people.speech_pattern
    return re.compile(rf"\b(?:(he|she)\b(?!\s+(?:\w+ly\s+)?(?:{verbs})\b)|(him|his)\b|(her|hers)\b)", re.I)


def gender_of(pronoun: re.Match[str]) -> str:
    subject, male, _ = pronoun.groups()
    if subject:
        return str(subject).lower()
    return "he" if male else "she"


def titled_gender(before: str) -> str:
    title = re.search(r"\b(Mr|Mrs|Ms|Miss)\.?\s+$", before)
    if title is None:
        return ""
    return "he" if title.group(1) == "Mr" else "she"


def quotes_in(paragraph: str, offset: int, article_id: str, names: Names) -> list[Quote]:
    folded = text.fold_quotes(paragraph)
    found: list[Quote] = []
    previous: tuple[int, str, str] | None = None  # (end, speaker, role) of the last attributed quote
    for match in QUOTED.finditer(folded):
        spoken = text.normalise_space(paragraph[match.start(1) : match.end(1)]).rstrip(",").strip()
        if text.word_count(spoken) < MIN_QUOTE_WORDS:
            continue
        who, role = attribution(folded, match)
        if who:
            speaker, role = resolve(who, role, offset + match.start(), names)
        elif previous is not None and match.start() - previous[0] <= CONTINUATION_GAP:
            speaker, role = previous[1], previous[2]  # '"...," he said. "..."': the same speaker goes on
        else:
            speaker, role = last_named(offset + match.start(), names, CARRY_OVER)
        if speaker:  # a quote nobody can be named for is not worth printing
            learn_role(names.table, speaker, role)
            found.append(Quote(speaker=speaker, text=spoken, role=role, article_id=article_id))
            previous = (match.end(), speaker, role)
    return found


def attribution(folded: str, match: re.Match[str]) -> tuple[str, str]:
    after = folded[match.end() : match.end() + 220]
    rules = patterns()
    found = rules.after_name_verb.match(after) or rules.after_verb_role_name.match(after)
    found = found or rules.after_verb_name.match(after)
    if found is None:
        before = re.split(r"(?<=[.!?])\s+(?=[A-Z])", folded[max(0, match.start() - 220) : match.start()])[-1]
        found = rules.before.search(before)
    if found is None:
        return "", ""
    groups = found.groupdict()
    who, named = found.group("who"), groups.get("role") or ""
    if re.fullmatch(DESCRIBED, who) and re.fullmatch(PERSON_NAME, named):
        return named, clean_role(who)  # "the company's spokesperson, Daniel Shore, said"
    role = " ".join(part for part in (groups.get("pre"), groups.get("role"), groups.get("of")) if part)
    return found.group("who"), clean_role(role)


def resolve(who: str, role: str, position: int, names: Names) -> tuple[str, str]:
    """A name, surname, pronoun or description -> (full name, role) from the names table."""
    if who.lower() in PRONOUNS:
        speaker, known_role = last_named(position, names, None, who.lower())
        known_role = names.table[speaker].role if speaker in names.table else known_role
        return speaker, merge_roles(known_role, role)
    if re.fullmatch(DESCRIBED, who):
        description = clean_role(re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", who))
        return unnamed_speaker(described_earlier(description, names.folded[:position]), names.table)
    tokens = [t for t in who.split() if t.rstrip(".") not in lexicon.taxonomy().people.titles]
    name = strip_possessive(" ".join(tokens))
    known = known_person(name, names.table) if name else None
    if known is not None:
        return known.name, merge_roles(known.role, role)
    return organisation_name(name) or name, role


def known_person(name: str, table: dict[str, Mention]) -> Mention | None:
    """The person a name or surname points to; a surname spelled slightly differently still does."""
    known = table.get(name) or table.get(name.split(" ")[-1])
    if known is not None or " " in name or len(name) < 5:
        return known
    close = {m.name: m for m in table.values() if same_surname(name, m.name.split(" ")[-1])}
    return next(iter(close.values())) if len(close) == 1 else None


def same_surname(left: str, right: str) -> bool:
    return min(len(left), len(right)) >= 5 and text.edit_distance(left.lower(), right.lower()) <= 2


def unnamed_speaker(description: str, table: dict[str, Mention]) -> tuple[str, str]:
    """'spokesperson for Loopcast': the person the article named in that role, else "Loopcast
    spokesperson"; no speaker when the description names neither ("the company's spokesperson")."""
    wanted = role_words(description)
    holders = {m.name: m for m in table.values() if wanted and wanted <= role_words(m.role)}
    if len(holders) == 1:
        person = next(iter(holders.values()))
        return person.name, person.role
    after = re.fullmatch(r"(?P<job>.+?)\s+(?:for|at|of)\s+(?:the\s+)?(?P<org>[A-Z].*)", description)
    before = re.fullmatch(r"(?P<org>[A-Z][\w']*)\s+(?P<job>[a-z].*)", description)
    found = after or before
    if found is None:
        return "", ""
    return f"{strip_possessive(found.group('org'))} {found.group('job')}", ""


def described_earlier(description: str, before: str) -> str:
    """What "the spokesperson" points back to: "TikTok spokesperson" after "A TikTok spokesperson said"."""
    if re.search(r"\b[A-Z]", description):
        return description
    verbs = lexicon.taxonomy().people.speech_pattern
    found = (
        re.split(rf"\s+(?:{verbs})\b", m.group(0))[0] for m in re.finditer(rf"(?<!\w){DESCRIBED}", before)
    )
    fuller = [clean_role(re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", d)) for d in found]
    wanted = role_words(description)
    matching = [d for d in fuller if re.search(r"\b[A-Z]", d) and wanted <= role_words(d)]
    return matching[-1] if matching else description


def role_words(role: str) -> frozenset[str]:
    return frozenset(text.words(role.lower())) - {"a", "an", "the", "of", "for", "at", "s"}


def learn_role(table: dict[str, Mention], speaker: str, role: str) -> None:
    """A role given in an attribution ("said Reilly, practice lead at ...") holds for later quotes."""
    known = table.get(speaker)
    if known is not None and better_role(role, known.role):
        updated = replace(known, role=role)
        for key in (speaker, speaker.split(" ")[-1], speaker.split(" ")[0]):
            if key in table and table[key].name == speaker:
                table[key] = updated


def last_named(position: int, names: Names, within: int | None, pronoun: str = "") -> tuple[str, str]:
    """The person named last before the position; for "he" or "she", the last one the text has not
    shown to go by the other pronoun, and among those someone named as speaking before anyone merely
    mentioned ("the accused, Graham Petrie, had sent ...")."""
    earlier = [(start, m) for start, m in names.cited if start < position]
    if not earlier or (within is not None and position - earlier[-1][0] > within):
        return "", ""
    if pronoun in ("he", "she"):
        fits = [(s, m) for s, m in reversed(earlier) if names.genders.get(m.name, pronoun) == pronoun]
        speaking = [(s, m) for s, m in fits if s in names.speaking]
        earlier = list(reversed(speaking or fits)) or earlier
    return earlier[-1][1].name, earlier[-1][1].role


def merge_roles(known: str, given: str) -> str:
    """'Detective Inspector' + 'of Police Scotland' -> 'Detective Inspector of Police Scotland'."""
    if given.startswith(("of ", "at ", "from ")) and known and given not in known:
        return f"{known} {given}"
    return given or known


def names_table(mentions: Sequence[Mention]) -> dict[str, Mention]:
    """Full name and surname -> the person's first mention with the fullest role."""
    table: dict[str, Mention] = {}
    for mention in mentions:
        known = table.get(mention.name)
        if known is None:
            table[mention.name] = mention
        elif better_role(mention.role, known.role):
            table[mention.name] = replace(known, role=mention.role)
    short: dict[str, Mention] = {}
    for person in table.values():
        short.setdefault(person.name.split(" ")[-1], person)
    for person in table.values():
        short.setdefault(person.name.split(" ")[0], person)  # family name first: "Yoon Sejin", "Yoon said"
    return {**short, **table}


def better_role(new: str, old: str) -> bool:
    """An office or job beats a relative clause ("who led the inquiry"), which beats nothing."""
    return bool(new) and (not old or (old.startswith("who ") and not new.startswith("who ")))


def organisation_name(name: str) -> str:
    for organisation in lexicon.organisations():
        if organisation.pattern.fullmatch(name):
            return organisation.name
    return ""


def credited_outlets(content: str) -> list[str]:
    """Outlets this article says it got the story from ("told The Guardian", "reported by ...")."""
    return [match.group(1) for match in OUTLET_CREDIT.finditer(text.fold_quotes(content))]


# --- spelling variants ---------------------------------------------------------------------


def merge_variants(quotes: Sequence[Quote]) -> tuple[Quote, ...]:
    """One spelling per person within a story: the most used (then first) of near-identical names."""
    names = list(text.unique(q.speaker for q in quotes))
    counts = Counter(q.speaker for q in quotes)
    canonical = variant_map(names, counts)
    roles: dict[str, str] = {}
    for quote in quotes:
        if quote.role:
            roles.setdefault(canonical[quote.speaker], quote.role)
    return tuple(
        replace(q, speaker=canonical[q.speaker], role=q.role or roles.get(canonical[q.speaker], ""))
        for q in quotes
    )


def variant_map(names: Sequence[str], counts: Counter[str]) -> dict[str, str]:
    ranked = sorted(names, key=lambda n: (-counts[n], names.index(n)))
    canonical: dict[str, str] = {}
    for name in ranked:
        match = next((c for c in dict.fromkeys(canonical.values()) if same_person(name, c)), None)
        canonical[name] = match or name
    return canonical


@lru_cache(maxsize=65536)  # clustering compares the same few names across many pairs of articles
def same_person(left: str, right: str) -> bool:
    a, b = left.split(), right.split()
    if len(a) < 2 or len(b) < 2:
        return False
    first_same = a[0].lower() == b[0].lower()
    last_same = a[-1].lower() == b[-1].lower()
    if first_same and last_same:
        return True
    if first_same and min(len(a[-1]), len(b[-1])) >= 4:
        return text.edit_distance(a[-1].lower(), b[-1].lower()) <= 2
    return (
        last_same and min(len(a[0]), len(b[0])) >= 3 and text.edit_distance(a[0].lower(), b[0].lower()) <= 1
    )
