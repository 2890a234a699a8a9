"""Measure the editorial stages against the labelled evaluation set; print one table, write nothing.

Inputs (read only): the sample corpus ``digest/sample`` (outlets, ``articles/*.toml``) with its labels
``tests/eval/labels_*.toml``, and the hand-written cases ``tests/eval/cases/{relevance,cluster,quotes,
tags}.toml``. Each labelled sample article is rendered as its outlet's full page (``digest.sample.pages``:
navigation, cookie banner, share buttons, caption, promo, related links, "most read", comments and
footer) and its text is taken from that page by ``digest.extract``, as a build would; the outlet's
display name is the source and published = a fixed clock minus hours_ago. So the figures below measure
extraction and the editorial stages together, on what a build would really feed them.

Figures:
- relevance precision / recall: sample articles (on_topic labels) plus relevance cases;
- clustering pairwise precision / recall / F1: every pair of labelled on-topic sample articles (same
  story label = same story) plus the labelled cluster pairs (their articles clustered as one batch);
- summary faithfulness: share of summary sentences found verbatim (whitespace-normalised) in the article
  as its outlet wrote it (the TOML's title, standfirst and body), so a sentence from page furniture that
  extraction let through is unfaithful even though it is "in" the extracted text;
- boilerplate leakage: summary sentences or quotes that contain text planted around the article on its
  rendered page (every text block of the page that is not the article's own writing: comments and their
  handles and controls, promo, caption, related and "most read" headlines, cookie banner, footer), or a
  body paragraph the writers placed as site furniture. Those body paragraphs are found by this file's
  own patterns (LEAK_PATTERNS, independent of the summariser's filters) and by being a short paragraph
  repeating the promo or a related headline;
- text leakage: planted page texts (as above) found in the extracted text of any sample article, where
  they would be summary and quote candidates and could add wrong tags;
- summary length: stories whose summary has fewer than 2 or more than 4 sentences;
- repeated facts: pairs of sentences within one story's summary that state the same fact, i.e. share a
  number (not a year) and at least REPEAT_SHARED_WORDS other content words (this file's own measure,
  independent of the summariser's redundancy rule);
- tag recall (and precision, for honesty): story tags against each member article's labels, plus tag
  cases, micro-averaged over harms, responses, jurisdictions, organisations and people quoted;
- quote attribution: share of labelled quotes found (by their opening words) with the right speaker and
  role; a quote in a case that expects none counts as an error.

Run: ``python tests/eval/run_eval.py`` (what ``make eval`` runs).
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from digest import cluster, extract, quotes, relevance, stories, tag, text  # noqa: E402
from digest.records import Article, Judgement, Story  # noqa: E402
from digest.sample.corpus import Corpus, SampleArticle, load_corpus  # noqa: E402
from digest.sample.feeds import article_url  # noqa: E402
from digest.sample.pages import render_page  # noqa: E402

EVAL = ROOT / "tests" / "eval"
ARTICLES = ROOT / "digest" / "sample" / "articles"
CLOCK = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a fixed clock: figures never depend on the day
BASE_URL = "http://127.0.0.1:8000"  # the sample server's address as the rendered pages carry it
PAGE_BLOCKS = ("p", "li", "h1", "h2", "h3", "h4", "figcaption", "a", "span", "div", "button", "time", "b")
MIN_PLANTED_CHARS = 12  # shorter page texts ("Home", "Sport") say nothing about a leak
REPEAT_SHARED_WORDS = 3
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fourteen": "14",
    "fifteen": "15", "twenty": "20", "thirty": "30", "fifty": "50", "hundred": "100",
}  # fmt: skip
YEAR = re.compile(r"^(19|20)\d\d$")
TAG_FIELDS = ("harms", "responses", "jurisdictions", "organisations", "people")
LEAK_PATTERNS = re.compile(
    r"(?i)\b(sign up|subscribe|newsletter|in your inbox|briefing free|follow us|read more|related:|"
    r"download (our|the) app|share this|comments? (are|is) (closed|open)|leave a comment|"
    r"all rights reserved|photograph:|picture:|getty images)\b"
)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Sample:
    article: Article  # its text extracted from the rendered page
    label: dict[str, Any]
    furniture: list[str] = field(default_factory=list)  # boilerplate strings that must never appear
    written: str = ""  # the article as its outlet wrote it: title, standfirst and body


# --- loading -------------------------------------------------------------------------------


def load_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def outlet_names() -> dict[str, str]:
    raw = load_toml(ROOT / "digest" / "sample" / "outlets.toml")
    return {key: table["name"] for key, table in raw.items() if isinstance(table, dict)}


def make_article(
    identifier: str,
    title: str,
    body: str,
    hours_ago: float,
    source: str,
    first_seen_hours: float | None = None,
) -> Article:
    published = CLOCK - timedelta(hours=hours_ago)
    seen = CLOCK - timedelta(hours=first_seen_hours) if first_seen_hours is not None else published
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", body.strip()) if p.strip()]
    return Article(
        id=identifier,
        url=f"https://sample.example/{identifier}",
        feed_url=f"https://sample.example/{source}/feed",
        source=source,
        title=title,
        text="\n\n".join(paragraphs),
        published=published,
        first_seen=seen,
    )


def load_samples() -> list[Sample]:
    labels: dict[str, dict[str, Any]] = {}
    for path in sorted(EVAL.glob("labels_*.toml")):
        for label in load_toml(path).get("article", []):
            labels[label["id"]] = label
    corpus = load_corpus()
    chosen = [a for a in corpus.articles if a.id in labels]
    pages = [render_sample(corpus, sample) for sample in chosen]
    jobs = [
        (article_url(corpus.outlet(a.outlet), a.id, BASE_URL), page, "text/html")
        for a, page in zip(chosen, pages, strict=True)
    ]
    extracted = extract.extract_many(jobs, workers=1)
    samples = []
    for raw, page, found in zip(chosen, pages, extracted, strict=True):
        source = corpus.outlet(raw.outlet).name
        article = make_article(raw.id, raw.title, found.text, raw.hours_ago, source)
        written = text.normalise_space(" ".join((raw.title, raw.summary, *raw.paragraphs)))
        furniture = list(dict.fromkeys(furniture_of(raw, article) + planted_on_page(page, raw)))
        samples.append(Sample(article, labels[raw.id], furniture, written))
    return sorted(samples, key=lambda sample: sample.article.id)


def render_sample(corpus: Corpus, article: SampleArticle) -> bytes:
    outlet = corpus.outlet(article.outlet)
    return render_page(outlet, article, CLOCK, BASE_URL, corpus.articles_of(outlet.id))


def furniture_of(raw: SampleArticle, article: Article) -> list[str]:
    """Every text of the sample that is not reporting: comments, promo, caption, related, promo lines."""
    found = [c.text for c in raw.comments] + [c.author for c in raw.comments] + list(raw.related)
    found += [raw.promo, raw.caption]
    for paragraph in raw.paragraphs:
        repeats = any(paragraph and paragraph in f for f in found if f)
        if len(paragraph) <= 200 and (LEAK_PATTERNS.search(paragraph) or repeats):
            found.append(paragraph)
    return [text.normalise_space(f) for f in found if f.strip()]


def planted_on_page(page: bytes, raw: SampleArticle) -> list[str]:
    """Text blocks of the rendered page that are not the article's own words (its template's)."""
    own = text.normalise_space(" ".join((raw.title, raw.summary, raw.author, *raw.paragraphs)))
    root = lxml.html.fromstring(page)
    for element in root.iter("script", "style", "head"):
        element.drop_tree()
    blocks = {text.normalise_space(element.text_content()) for element in root.iter(*PAGE_BLOCKS)}
    return sorted(
        b for b in blocks if len(b) >= MIN_PLANTED_CHARS and b not in own and not own_inside(b, raw)
    )


def own_inside(block: str, raw: SampleArticle) -> bool:
    """A container of the article's own paragraphs (the body div) is not planted text."""
    return any(text.normalise_space(paragraph) in block for paragraph in raw.paragraphs)


def load_cases(name: str, key: str = "case") -> list[dict[str, Any]]:
    path = EVAL / "cases" / f"{name}.toml"
    return list(load_toml(path).get(key, [])) if path.exists() else []


def case_article(case: dict[str, Any], hours_ago: float = 10.0) -> Article:
    return make_article(case["id"], case.get("title", ""), case["text"], hours_ago, "Eval Case")


# --- relevance -----------------------------------------------------------------------------


def measure_relevance(
    samples: Sequence[Sample], judgements: dict[str, Judgement]
) -> tuple[Counts, list[str]]:
    counts = Counts()
    misses = []
    for sample in samples:
        predicted = judgements[sample.article.id].on_topic
        counts.add(predicted, sample.label["on_topic"])
        if predicted != sample.label["on_topic"]:
            misses.append(f"relevance {sample.article.id}: expected {sample.label['on_topic']}")
    for case in load_cases("relevance"):
        judgement = relevance.judge_all([case_article(case)])[case["id"]]
        counts.add(judgement.on_topic, case["on_topic"])
        if judgement.on_topic != case["on_topic"]:
            misses.append(
                f"relevance {case['id']}: expected {case['on_topic']} ({judgement.reason or 'kept'})"
            )
    return counts, misses


# --- clustering ----------------------------------------------------------------------------


def measure_clustering(kept: Sequence[Sample]) -> tuple[Counts, list[str]]:
    counts = Counts()
    misses: list[str] = []
    story_of = group_of(cluster.cluster_articles([s.article for s in kept]))
    for a, b in combinations(kept, 2):
        actual = a.label["story"] == b.label["story"]
        predicted = story_of[a.article.id] == story_of[b.article.id]
        counts.add(predicted, actual)
        if predicted != actual:
            misses.append(f"cluster {a.article.id} / {b.article.id}: expected same={actual}")
    pairs = load_cases("cluster", "pair")
    articles = [pair_article(p, side) for p in pairs for side in ("a", "b")]
    story_of = group_of(cluster.cluster_articles(articles))
    for pair in pairs:
        predicted = story_of[f"{pair['id']}-a"] == story_of[f"{pair['id']}-b"]
        counts.add(predicted, pair["same_story"])
        if predicted != pair["same_story"]:
            misses.append(f"cluster {pair['id']}: expected same={pair['same_story']}")
    return counts, misses


def pair_article(pair: dict[str, Any], side: str) -> Article:
    raw = pair[side]
    return make_article(f"{pair['id']}-{side}", raw["title"], raw["text"], raw["hours_ago"], raw["outlet"])


def group_of(clusters: Iterable[Any]) -> dict[str, int]:
    return {article_id: index for index, c in enumerate(clusters) for article_id in c.article_ids}


# --- summaries and leakage -----------------------------------------------------------------


def measure_summaries(built: Sequence[Story], by_id: dict[str, Sample]) -> dict[str, float]:
    sentences = faithful = leaks = bad_length = 0
    for story in built:
        bad_length += not 2 <= len(story.summary) <= 4
        for sentence in story.summary:
            sentences += 1
            faithful += text.normalise_space(sentence.text) in by_id[sentence.article_id].written
            leaks += leaked(sentence.text, by_id[sentence.article_id].furniture)
        for quote in story.quotes:
            leaks += leaked(quote.text, by_id[quote.article_id].furniture)
    return {
        "summary_faithfulness": faithful / sentences if sentences else 1.0,
        "boilerplate_leaks": float(leaks),
        "summary_length_violations": float(bad_length),
        "summary_sentences": float(sentences),
        "summary_repeated_facts": float(sum(repeated_facts(story) for story in built)),
    }


def measure_extraction(samples: Sequence[Sample]) -> dict[str, float]:
    found = [
        f for sample in samples for f in sample.furniture if f in text.normalise_space(sample.article.text)
    ]
    return {"extracted_text_leaks": float(len(found))}


def repeated_facts(story: Story) -> int:
    """Pairs of this story's summary sentences that share a number and several other content words."""
    facts = [fact_words(sentence.text) for sentence in story.summary]
    return sum(1 for left, right in combinations(facts, 2) if same_fact(left, right))


def same_fact(left: tuple[set[str], set[str]], right: tuple[set[str], set[str]]) -> bool:
    (numbers_a, words_a), (numbers_b, words_b) = left, right
    return bool(numbers_a & numbers_b) and len(words_a & words_b) >= REPEAT_SHARED_WORDS


def fact_words(sentence: str) -> tuple[set[str], set[str]]:
    """(numbers other than years, content words of five letters or more) of one sentence."""
    tokens = re.findall(r"[a-z]+|\d[\d,.]*\d|\d", text.fold_quotes(sentence).lower())
    numbers = {NUMBER_WORDS.get(t, t).replace(",", "") for t in tokens if t[0].isdigit() or t in NUMBER_WORDS}
    words = {t for t in tokens if len(t) >= 5 and t.isalpha() and t not in NUMBER_WORDS}
    return {n for n in numbers if not YEAR.match(n)}, words


def leaked(content: str, furniture: Sequence[str]) -> bool:
    content = text.normalise_space(content)
    return any(f in content or (len(content) > 30 and content in f) for f in furniture)


# --- tags ----------------------------------------------------------------------------------


def measure_tags(
    built: Sequence[Story], by_id: dict[str, Sample], judgements: dict[str, Judgement]
) -> Counts:
    counts = Counts()
    for story in built:
        predicted = story_tag_sets(story)
        for source in story.sources:
            sample = by_id[source.article_id]
            compare(counts, predicted, label_tag_sets(sample.label), sample.article.id)
    for case in load_cases("tags"):
        article = case_article(case)
        judgement = relevance.judge_all([article])
        found = tag.tag_story([article], judgement, quotes.extract_quotes(article), ())
        compare(counts, story_tag_sets_of(found), label_tag_sets(case), case["id"])
    return counts


def story_tag_sets(story: Story) -> dict[str, set[str]]:
    return story_tag_sets_of(story.tags)


def story_tag_sets_of(tags: Any) -> dict[str, set[str]]:
    return {name: set(getattr(tags, name)) for name in TAG_FIELDS}


def label_tag_sets(label: dict[str, Any]) -> dict[str, set[str]]:
    keys = {"people": "people_quoted"}
    return {
        name: set(label.get(keys.get(name, name), [])) for name in TAG_FIELDS if keys.get(name, name) in label
    }


TAG_MISSES: list[str] = []


def compare(
    counts: Counts, predicted: dict[str, set[str]], expected: dict[str, set[str]], where: str = ""
) -> None:
    for name, wanted in expected.items():
        got = predicted.get(name, set())
        if wanted - got:
            TAG_MISSES.append(f"tags {where} {name}: missing {sorted(wanted - got)}")
        counts.tp += len(wanted & got)
        counts.fn += len(wanted - got)
        counts.fp += len(got - wanted)


# --- quotes --------------------------------------------------------------------------------


def measure_quotes(samples: Sequence[Sample]) -> tuple[float, float, list[str]]:
    expected = speaker_right = both_right = 0
    misses = []
    subjects = [(s.article, s.label.get("quotes", []), True) for s in samples]
    subjects += [(case_article(c), c.get("quotes", []), False) for c in load_cases("quotes")]
    for article, wanted, sample in subjects:
        found = quotes.extract_quotes(article)
        if not wanted and not sample and found:
            expected += len(found)
            misses += [f"quote {article.id}: unexpected quote by {q.speaker!r}" for q in found]
        for label in wanted:
            expected += 1
            match = find_quote(found, label["starts"])
            speaker_ok = match is not None and same_name(match.speaker, label["speaker"])
            role_ok = match is not None and same_role(match.role, label.get("role", ""))
            speaker_right += speaker_ok
            both_right += speaker_ok and role_ok
            if not (speaker_ok and role_ok):
                got = f"{match.speaker!r}/{match.role!r}" if match else "not found"
                want = f"{label['speaker']!r}/{label.get('role', '')!r}"
                misses.append(f"quote {article.id} {label['starts'][:30]!r}: want {want}, got {got}")
    total = expected or 1
    return both_right / total, speaker_right / total, misses


def find_quote(found: Sequence[Any], starts: str) -> Any:
    opening = text.first_words(starts, 6)
    return next((q for q in found if text.first_words(q.text, 6) == opening), None)


def same_name(left: str, right: str) -> bool:
    return text.normalise_space(left).lower() == text.normalise_space(right).lower()


def same_role(got: str, wanted: str) -> bool:
    """The same role as the text gives it. Label writers cut roles at different places ("Detective
    Constable, West Yorkshire Police" / "Detective Constable of West Yorkshire Police"; with or without
    a trailing clause), so one role's words must contain all of the other's; empty matches empty only."""
    left, right = role_words(got), role_words(wanted)
    if not left or not right:
        return left == right
    return left <= right or right <= left


def role_words(role: str) -> set[str]:
    return set(text.words(bare_role(role))) - {"of", "the", "a", "an", "at", "for", "who", "in", "and"}


def bare_role(role: str) -> str:
    role = text.normalise_space(text.fold_quotes(role)).lower().strip(" ,.")
    return re.sub(r"^(the|a|an)\s+", "", role)


# --- the table -----------------------------------------------------------------------------


def measure(verbose: bool = False) -> dict[str, float]:
    samples = load_samples()
    judgements = relevance.judge_all([s.article for s in samples])
    relevance_counts, misses = measure_relevance(samples, judgements)
    kept = [s for s in samples if s.label["on_topic"]]
    cluster_counts, cluster_misses = measure_clustering(kept)
    by_id = {s.article.id: s for s in samples}
    built = stories.compose_stories([s.article for s in kept], judgements, ())
    figures = {
        "relevance_precision": relevance_counts.precision,
        "relevance_recall": relevance_counts.recall,
        "cluster_precision": cluster_counts.precision,
        "cluster_recall": cluster_counts.recall,
        "cluster_f1": cluster_counts.f1,
    }
    figures |= measure_extraction(samples)
    figures |= measure_summaries(built, by_id)
    tag_counts = measure_tags(built, by_id, judgements)
    figures["tag_recall"] = tag_counts.recall
    figures["tag_precision"] = tag_counts.precision
    accuracy, speakers, quote_misses = measure_quotes(samples)
    figures["quote_attribution"] = accuracy
    figures["quote_speaker"] = speakers
    if verbose:
        for line in misses + cluster_misses + quote_misses + TAG_MISSES:
            print("  miss:", line)
    return figures


COUNTS = (
    "extracted_text_leaks",
    "boilerplate_leaks",
    "summary_length_violations",
    "summary_sentences",
    "summary_repeated_facts",
)


def main() -> int:
    verbose = "-v" in sys.argv[1:]
    figures = measure(verbose)
    print(f"{'figure':<28}{'value':>10}")
    for name, value in figures.items():
        shown = f"{value:.3f}" if name not in COUNTS else f"{value:.0f}"
        print(f"{name:<28}{shown:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
