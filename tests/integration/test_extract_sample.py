"""Extraction over every page of the bundled sample corpus: the body in, the boilerplate out.

The sample outlets (digest/sample/) render each article with the chrome real sites carry (cookie
banner, share buttons, figure caption, newsletter promo, related links, WordPress / Disqus / inline
comments, the last INSIDE the article container, and in two themes as bare paragraphs inside the
body with no marking at all). Measured when written: 50 pages, 0 leaks, every body paragraph present
except promo lines written into the body, which the boilerplate rules drop.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest

from digest import relevance, stories
from digest.extract import boilerplate, boilerplate_rule, extract_many
from digest.records import Article
from digest.sample.corpus import SampleArticle, load_corpus
from digest.sample.feeds import article_url
from digest.sample.pages import UNMARKED_COMMENT_LAYOUTS, render_page

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"


def one_line(text: str) -> str:
    return " ".join(text.split())


def must_not_appear(article: SampleArticle) -> list[str]:
    texts = [article.caption, article.promo, *article.related, *(c.text for c in article.comments)]
    texts += [comment.author for comment in article.comments]
    return [one_line(text)[:80] for text in texts if text]


@functools.cache
def unmarked_outlets() -> frozenset[str]:
    """Outlets whose theme prints reader comments as bare paragraphs inside the body."""
    return frozenset(o.id for o in load_corpus().outlets if o.layout in UNMARKED_COMMENT_LAYOUTS)


def unmarked(article: SampleArticle) -> bool:
    return bool(article.comments) and article.outlet in unmarked_outlets()


@pytest.fixture(scope="module")
def extracted() -> list[tuple[SampleArticle, str]]:
    corpus = load_corpus()
    jobs = []
    for article in corpus.articles:
        outlet = corpus.outlet(article.outlet)
        page = render_page(outlet, article, NOW, BASE, corpus.articles_of(article.outlet))
        jobs.append((article_url(outlet, article.id, BASE), page, "text/html; charset=utf-8"))
    pages = extract_many(jobs, workers=2)
    return [(article, page.text) for article, page in zip(corpus.articles, pages, strict=True)]


def test_sample_corpus_is_there(extracted: list[tuple[SampleArticle, str]]) -> None:
    assert len(extracted) >= 40


def test_no_caption_promo_related_or_comment_leaks(extracted: list[tuple[SampleArticle, str]]) -> None:
    leaks = [(a.id, bad) for a, text in extracted for bad in must_not_appear(a) if bad in text]
    assert leaks == []


def test_every_body_paragraph_is_kept(extracted: list[tuple[SampleArticle, str]]) -> None:
    rules = boilerplate()
    missing = [
        (a.id, one_line(p)[:60])
        for a, text in extracted
        for p in a.paragraphs
        if boilerplate_rule(one_line(p), rules) is None and one_line(p) not in text
    ]
    assert missing == []


def test_headline_and_byline_are_not_body_text(extracted: list[tuple[SampleArticle, str]]) -> None:
    offenders = [a.id for a, text in extracted if a.title in text.split("\n\n") or f"By {a.author}" in text]
    assert offenders == []


def test_unmarked_comments_in_the_body_are_dropped(extracted: list[tuple[SampleArticle, str]]) -> None:
    pages = [(a, text) for a, text in extracted if unmarked(a)]
    assert len({a.outlet for a, _ in pages}) >= 2
    for article, text in pages:
        assert text.endswith(one_line(article.paragraphs[-1])), article.id
        for needle in ("Reply", "Report", " ago", " says:", *must_not_appear(article)):
            assert needle not in text, (article.id, needle)


def test_no_comment_reaches_a_summary_or_quote(extracted: list[tuple[SampleArticle, str]]) -> None:
    articles = [as_article(sample, text) for sample, text in extracted]
    judgements = relevance.judge_all(articles)
    kept = [a for a in articles if judgements[a.id].on_topic]
    built = stories.compose_stories(kept, judgements, ())
    comments = [one_line(c.text)[:60] for sample, _ in extracted for c in sample.comments]
    shown = [s.text for story in built for s in story.summary]
    shown += [quote.text for story in built for quote in story.quotes]
    assert len(built) >= 10 and comments
    assert [(c, line) for c in comments for line in shown if c in one_line(line)] == []


def as_article(sample: SampleArticle, text: str) -> Article:
    published = sample.published(NOW)
    return Article(
        id=sample.id,
        url=f"{BASE}/{sample.id}",
        feed_url=f"{BASE}/{sample.outlet}/feed",
        source=sample.outlet,
        title=sample.title,
        text=text,
        published=published,
        first_seen=published,
    )
