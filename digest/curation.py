"""The operator's hand on the digest: ``curation.toml`` read, validated, and applied to the records.

The file (``[site] curation = "curation.toml"`` in ``digest.toml``) holds arrays of tables::

    [[hide]]    article = "<url>"   or   story = "<story id>"
    [[pin]]     story = "s-..."
    [[correct]] story = "s-...", title = "...", tags_add = [...], tags_remove = [...], content_note = "..."
    [[merge]]   stories = ["s-first", "s-second", ...]    # the first one absorbs the others
    [[split]]   article = "<url>"                         # the article becomes its own story
    [[note]]    edition = "2026-W47" (or story = "s-..."), markdown = "..."

Curation is applied to the stories before editions are assigned (so a pinned story ranks first and a
hidden one is in no edition) and notes onto the editions after; every renderer then sees the curated
records. Steps run in a fixed order: split, merge, hide, correct, pin, story notes. A rule that matches
nothing in this build is a ``Problem`` (stories age out of the window), never an error; a file that
is not valid is a ``ConfigError`` listing every mistake by its path (``correct[2].tags_add``).

The records are changed by surgery, not recomposed from the articles: a split-off article keeps the
summary sentences and quotes that came from it and the tags of the story it left (correct them with
``[[correct]]`` when they do not fit); a merged story keeps the first story's title and summary and
gains the others' sources, quotes and tags.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from digest import lexicon
from digest.config import Config
from digest.errors import ConfigError
from digest.records import Edition, Problem, Source, Story, Tags
from digest.urls import canonical_url

log = logging.getLogger(__name__)
Item = TypeVar("Item")

WHERE = "curation"
TAG_KINDS = ("harms", "responses", "jurisdictions", "organisations", "people")
# "jurisdiction:Wales" puts a tag in a category by hand, for names the lexicons do not know.
TAG_PREFIXES = {
    "harm": "harms",
    "response": "responses",
    "jurisdiction": "jurisdictions",
    "organisation": "organisations",
    "person": "people",
}
EDITION_KEY = re.compile(r"^\d{4}-(W\d{2}|\d{2}|\d{2}-\d{2})$")
MERGE_REASON = "merged by the editor"
SPLIT_REASON = "split off by the editor"


@dataclass(frozen=True, slots=True)
class Correction:
    story: str
    title: str = ""
    tags_add: Tags = field(default_factory=Tags)
    tags_remove: tuple[str, ...] = ()
    content_note: str | None = None  # None: leave it; "": remove it


@dataclass(frozen=True, slots=True)
class Curation:
    """Every rule of the file, in file order; article URLs already canonical."""

    hidden_articles: tuple[str, ...] = ()
    hidden_stories: tuple[str, ...] = ()
    pinned: tuple[str, ...] = ()
    corrections: tuple[Correction, ...] = ()
    merges: tuple[tuple[str, ...], ...] = ()
    splits: tuple[str, ...] = ()
    edition_notes: tuple[tuple[str, str], ...] = ()  # (edition key, Markdown)
    story_notes: tuple[tuple[str, str], ...] = ()  # (story id, Markdown)


# --- reading and validating the file ---------------------------------------------------------------

_RULE_KEYS: dict[str, dict[str, type]] = {
    "hide": {"article": str, "story": str},
    "pin": {"story": str},
    "correct": {"story": str, "title": str, "tags_add": list, "tags_remove": list, "content_note": str},
    "merge": {"stories": list},
    "split": {"article": str},
    "note": {"edition": str, "story": str, "markdown": str},
}


def curation_for(config: Config) -> Curation:
    """The curation named by ``site.curation``; none when the key is unset or the file is missing."""
    if not config.site.curation:
        return Curation()
    return load_curation(config.resolve(config.site.curation))


def load_curation(path: Path) -> Curation:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        log.info("%s: no curation file; nothing is curated", path)
        return Curation()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"site.curation: {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"site.curation: {path}: not valid TOML: {exc}") from None
    return curation_from_dict(raw, str(path))


def curation_from_dict(raw: dict[str, Any], source: str = "curation.toml") -> Curation:
    """Validate every rule in one pass; raise one ``ConfigError`` listing all the mistakes."""
    errors = [
        f"{key}: unknown key (expected one of {', '.join(_RULE_KEYS)})"
        for key in raw
        if key not in _RULE_KEYS
    ]
    tables = {kind: _tables(kind, raw.get(kind, []), errors) for kind in _RULE_KEYS}
    curation = Curation(
        hidden_articles=tuple(canonical_url(t["article"]) for _, t in tables["hide"] if "article" in t),
        hidden_stories=tuple(t["story"] for _, t in tables["hide"] if "story" in t),
        pinned=tuple(t["story"] for _, t in tables["pin"]),
        corrections=tuple(_correction(where, t, errors) for where, t in tables["correct"]),
        merges=_merges(tables["merge"], errors),
        splits=tuple(canonical_url(t["article"]) for _, t in tables["split"]),
        edition_notes=tuple((t["edition"], t["markdown"]) for _, t in tables["note"] if "edition" in t),
        story_notes=tuple((t["story"], t["markdown"]) for _, t in tables["note"] if "story" in t),
    )
    if errors:
        raise ConfigError(f"site.curation: {source}: " + "; ".join(errors), problems=tuple(errors))
    return curation


def _tables(kind: str, value: Any, errors: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The well-formed tables of one rule kind, each with its path (``hide[2]``) for messages."""
    if not isinstance(value, list):
        errors.append(f"{kind}: expected an array of tables ([[{kind}]])")
        return []
    valid = []
    for position, table in enumerate(value):
        where = f"{kind}[{position}]"
        before = len(errors)
        _check_table(kind, where, table, errors)
        if len(errors) == before:
            valid.append((where, table))
    return valid


def _check_table(kind: str, where: str, table: Any, errors: list[str]) -> None:
    if not isinstance(table, dict):
        errors.append(f"{where}: expected a table")
        return
    expected = _RULE_KEYS[kind]
    for key, value in table.items():
        if key not in expected:
            errors.append(f"{where}.{key}: unknown key (expected one of {', '.join(expected)})")
        elif not isinstance(value, expected[key]):
            errors.append(f"{where}.{key}: expected {_type_name(expected[key])}, got {type(value).__name__}")
        elif isinstance(value, list) and not all(isinstance(item, str) and item.strip() for item in value):
            errors.append(f"{where}.{key}: expected a list of non-empty strings")
        elif isinstance(value, str) and not value.strip() and key != "content_note":
            errors.append(f"{where}.{key}: must not be empty")
    _check_required(kind, where, table, errors)


def _check_required(kind: str, where: str, table: dict[str, Any], errors: list[str]) -> None:
    if kind in ("hide", "note"):
        targets = ("article", "story") if kind == "hide" else ("edition", "story")
        if sum(key in table for key in targets) != 1:
            errors.append(f"{where}: give exactly one of {' or '.join(targets)}")
    required = {
        "pin": "story",
        "correct": "story",
        "merge": "stories",
        "split": "article",
        "note": "markdown",
    }
    if kind in required and required[kind] not in table:
        errors.append(f"{where}.{required[kind]}: required")
    if isinstance(table.get("article"), str) and not table["article"].startswith(("http://", "https://")):
        errors.append(f"{where}.article: expected an http:// or https:// URL")
    if kind == "note" and isinstance(table.get("edition"), str) and not EDITION_KEY.match(table["edition"]):
        errors.append(f"{where}.edition: expected an edition key like 2026-W47, 2026-11 or 2026-11-22")
    if kind == "correct" and not set(table) - {"story"}:
        errors.append(f"{where}: nothing to correct (give title, tags_add, tags_remove or content_note)")


def _type_name(expected: type) -> str:
    return "a list of strings" if expected is list else "a string"


def _correction(where: str, table: dict[str, Any], errors: list[str]) -> Correction:
    return Correction(
        story=table["story"],
        title=table.get("title", "").strip(),
        tags_add=_classified_tags(where + ".tags_add", table.get("tags_add", []), errors),
        tags_remove=tuple(table.get("tags_remove", [])),
        content_note=table.get("content_note"),
    )


def _classified_tags(where: str, names: Sequence[str], errors: list[str]) -> Tags:
    """Each name into its category: by its prefix (``person:Jo Bloggs``), else by the lexicons."""
    known = known_tag_kinds()
    grouped: dict[str, list[str]] = {kind: [] for kind in TAG_KINDS}
    for name in names:
        prefix, _, rest = name.partition(":")
        if rest.strip() and prefix.strip().lower() in TAG_PREFIXES:
            grouped[TAG_PREFIXES[prefix.strip().lower()]].append(rest.strip())
        elif name in known:
            grouped[known[name]].append(name)
        else:
            errors.append(
                f"{where}: {name!r} is not a harm, response, jurisdiction or organisation the lexicons know; "
                f"write it as 'organisation:{name}' (or harm:, response:, jurisdiction:, person:)"
            )
    return Tags(**{kind: tuple(grouped[kind]) for kind in TAG_KINDS})


def known_tag_kinds() -> dict[str, str]:
    """Every name the lexicons know -> its tag category."""
    taxonomy = lexicon.taxonomy()
    kinds = {place.name: "jurisdictions" for place in lexicon.places()}
    kinds.update({organisation.name: "organisations" for organisation in lexicon.organisations()})
    kinds.update({concept.name: "harms" for concept in taxonomy.harms})
    kinds.update({concept.name: "responses" for concept in taxonomy.responses})
    return kinds


def _merges(tables: list[tuple[str, dict[str, Any]]], errors: list[str]) -> tuple[tuple[str, ...], ...]:
    merges = []
    merged_by: dict[str, str] = {}
    for where, table in tables:
        ids = tuple(dict.fromkeys(table["stories"]))
        if len(ids) < 2:
            errors.append(f"{where}.stories: name at least two different stories")
            continue
        for story_id in ids:
            if story_id in merged_by:
                errors.append(f"{where}.stories: {story_id} is already merged by {merged_by[story_id]}")
            merged_by.setdefault(story_id, where)
        merges.append(ids)
    return tuple(merges)


# --- applying it ---------------------------------------------------------------------------------


def apply_curation(stories: Sequence[Story], curation: Curation) -> tuple[list[Story], list[Problem]]:
    """The curated stories (input order kept; split-off stories follow their origin) and the rules
    that matched nothing, as problems."""
    problems: list[Problem] = []
    steps: tuple[Callable[[list[Story], Curation, list[Problem]], list[Story]], ...] = (
        _split_all,
        _merge_all,
        _hide_articles,
        _hide_stories,
        _correct_all,
        _pin_all,
        _note_stories,
    )
    curated = list(stories)
    for step in steps:
        curated = step(curated, curation, problems)
    return curated, problems


def apply_notes(editions: Sequence[Edition], curation: Curation) -> tuple[list[Edition], list[Problem]]:
    """The editions with the editor's notes; a note for an edition the build does not have is a problem."""
    notes = dict(curation.edition_notes)
    present = {edition.key for edition in editions}
    problems = [_unmatched("note", f"no edition {key} in this build") for key in notes if key not in present]
    noted = [replace(e, editor_note=notes[e.key]) if e.key in notes else e for e in editions]
    return noted, problems


def _unmatched(rule: str, detail: str) -> Problem:
    return Problem(WHERE, "curation_unmatched", f"{rule}: {detail}")


# --- split ---


def _split_all(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    for url in curation.splits:
        position = _position_of_article(stories, url)
        if position is None:
            problems.append(_unmatched("split", f"no story in this build has the article {url}"))
        elif len(stories[position].sources) == 1:
            problems.append(Problem(WHERE, "curation_noop", f"split: {url} is already a story of its own"))
        else:
            stories[position : position + 1] = split_story(stories[position], url)
    return stories


def split_story(story: Story, url: str) -> list[Story]:
    """``story`` without the article at ``url``, and that article as a story of its own."""
    alone = [source for source in story.sources if _same_article(source, url)]
    rest = [source for source in story.sources if not _same_article(source, url)]
    separate = _with_sources(story, alone, "s-" + alone[0].article_id)
    separate = replace(separate, grouping_reasons=(SPLIT_REASON,), pinned=False, editor_note="")
    remainder_id = story.id if story.id != separate.id else "s-" + rest[0].article_id
    return [_with_sources(story, rest, remainder_id), separate]


def _position_of_article(stories: Sequence[Story], url: str) -> int | None:
    for position, story in enumerate(stories):
        if any(_same_article(source, url) for source in story.sources):
            return position
    return None


def _same_article(source: Source, url: str) -> bool:
    return canonical_url(source.url) == url


def _with_sources(story: Story, sources: Sequence[Source], story_id: str) -> Story:
    """``story`` cut down to ``sources``: their summary sentences and quotes, a new lead if needed."""
    kept_ids = {source.article_id for source in sources}
    lead = next((s for s in sources if s.article_id == story.lead_article_id), sources[0])
    dates = [source.published for source in sources if source.published is not None]
    return replace(
        story,
        id=story_id,
        title=story.title if lead.article_id == story.lead_article_id else lead.title,
        lead_article_id=lead.article_id,
        sources=tuple(replace(s, is_lead=s is lead) for s in [lead, *(s for s in sources if s is not lead)]),
        summary=tuple(sentence for sentence in story.summary if sentence.article_id in kept_ids),
        quotes=tuple(quote for quote in story.quotes if quote.article_id in kept_ids),
        published=min(dates) if dates else story.published,
    )


# --- merge ---


def _merge_all(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    for ids in curation.merges:
        by_id = {story.id: story for story in stories}
        present = [by_id[story_id] for story_id in ids if story_id in by_id]
        missing = [story_id for story_id in ids if story_id not in by_id]
        if missing:
            problems.append(_unmatched("merge", f"no story {', '.join(missing)} in this build"))
        if len(present) < 2:
            continue
        merged = merge_stories(present)
        absorbed = {story.id for story in present[1:]}
        stories = [
            merged if story.id == merged.id else story for story in stories if story.id not in absorbed
        ]
    return stories


def merge_stories(stories: Sequence[Story]) -> Story:
    """The first story with every other one's sources, quotes and tags folded in."""
    first, others = stories[0], stories[1:]
    known = {source.article_id for source in first.sources}
    extra_sources = []
    for source in (s for story in others for s in story.sources):
        if source.article_id not in known:
            known.add(source.article_id)
            extra_sources.append(replace(source, is_lead=False))
    return replace(
        first,
        sources=first.sources + tuple(extra_sources),
        quotes=tuple(_unique(quote for story in stories for quote in story.quotes)),
        tags=_union_tags(story.tags for story in stories),
        relevance=max(story.relevance for story in stories),
        published=min(story.published for story in stories),
        first_seen=min(story.first_seen for story in stories),
        grouping_reasons=(*first.grouping_reasons, f"{MERGE_REASON}: {', '.join(s.id for s in stories)}"),
        content_note=first.content_note or next((s.content_note for s in others if s.content_note), ""),
        pinned=any(story.pinned for story in stories),
    )


def _union_tags(all_tags: Iterable[Tags]) -> Tags:
    listed = list(all_tags)
    return Tags(
        **{kind: tuple(_unique(n for tags in listed for n in getattr(tags, kind))) for kind in TAG_KINDS}
    )


def _unique(items: Iterable[Item]) -> list[Item]:
    return list(dict.fromkeys(items))


# --- hide ---


def _hide_articles(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    for url in curation.hidden_articles:
        position = _position_of_article(stories, url)
        if position is None:
            problems.append(_unmatched("hide", f"no story in this build has the article {url}"))
            continue
        story = stories[position]
        rest = [source for source in story.sources if not _same_article(source, url)]
        if rest:
            stories[position] = _with_sources(story, rest, story.id)
        else:
            del stories[position]
    return stories


def _hide_stories(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    hidden = set(curation.hidden_stories)
    problems += [
        _unmatched("hide", f"no story {story_id} in this build") for story_id in _absent(stories, hidden)
    ]
    return [story for story in stories if story.id not in hidden]


def _absent(stories: Sequence[Story], wanted: Iterable[str]) -> list[str]:
    present = {story.id for story in stories}
    return [story_id for story_id in dict.fromkeys(wanted) if story_id not in present]


# --- correct, pin, notes ---


def _correct_all(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    for correction in curation.corrections:
        if correction.story not in {story.id for story in stories}:
            problems.append(_unmatched("correct", f"no story {correction.story} in this build"))
            continue
        stories = [correct_story(s, correction) if s.id == correction.story else s for s in stories]
    return stories


def correct_story(story: Story, correction: Correction) -> Story:
    removed = {name.casefold() for name in correction.tags_remove}
    tags = {
        kind: tuple(name for name in getattr(story.tags, kind) if name.casefold() not in removed)
        + tuple(name for name in getattr(correction.tags_add, kind) if name not in getattr(story.tags, kind))
        for kind in TAG_KINDS
    }
    return replace(
        story,
        title=correction.title or story.title,
        tags=Tags(**tags),
        content_note=story.content_note
        if correction.content_note is None
        else correction.content_note.strip(),
    )


def _pin_all(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    pinned = set(curation.pinned)
    problems += [
        _unmatched("pin", f"no story {story_id} in this build") for story_id in _absent(stories, pinned)
    ]
    return [replace(story, pinned=True) if story.id in pinned else story for story in stories]


def _note_stories(stories: list[Story], curation: Curation, problems: list[Problem]) -> list[Story]:
    notes = dict(curation.story_notes)
    problems += [
        _unmatched("note", f"no story {story_id} in this build") for story_id in _absent(stories, notes)
    ]
    return [replace(story, editor_note=notes[story.id]) if story.id in notes else story for story in stories]
