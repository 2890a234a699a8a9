"""Property tests: random article text through classification, quotes, stories and rendering.

Articles are drawn from on-topic sentences of the hostile corpus mixed with random text, payloads
(script tags, event handlers, Markdown), quotation marks in every style, control, zero-width and
right-to-left characters. ``relevance.judge_all``, ``quotes.extract_quotes`` and
``stories.compose_stories`` (clustering, summaries, quotes, tags) must not raise and must only return
text they were given; the stories rendered by ``render_all`` must carry no executable output.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import quotes, relevance, stories
from digest.config import SiteConfig
from digest.records import Article, Edition, FeedSource
from digest.render import SiteData, render_all
from tests.hostile import safety
from tests.hostile.server import ARTICLE_TEXTS

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
FEED = FeedSource(
    "http://127.0.0.1:9/feed", "Random Outlet", tags=("harassment",), jurisdiction="United Kingdom"
)
SENTENCES = [sentence for article in ARTICLE_TEXTS for sentence in article]
NOISE = st.sampled_from(
    [
        "<script>alert('PWN-text')</script>", "<img src=x onerror=alert(1)>", "[x](javascript:alert(1))",
        "\u201cWe will act on every report,\u201d said Dana Reyes, chief executive.", '"Quoted," she said.',
        "\u00abGuillemets\u00bb, a dit Marie Curie.", "\u202e", "\u200b", "\x00", "\x0b", "🙂", "مرحبا بالعالم",
        "Mr.", "U.S.", "e.g.", "...", "\u2018", "\u201c", "said", "Ofcom", "#", "*", "`", "\\",
    ]
)  # fmt: skip
PARAGRAPH = st.lists(
    st.one_of(st.sampled_from(SENTENCES), NOISE, st.text(max_size=40)), min_size=1, max_size=5
).map(" ".join)
TEXT = st.lists(PARAGRAPH, min_size=0, max_size=5).map("\n\n".join)
TITLE = st.one_of(st.sampled_from([article[0] for article in ARTICLE_TEXTS]), PARAGRAPH)


@st.composite
def articles(draw: st.DrawFn) -> list[Article]:
    count = draw(st.integers(1, 5))
    found = []
    for index in range(count):
        published = NOW - timedelta(hours=draw(st.integers(0, 24 * 20)))
        found.append(
            Article(
                id=f"{index:016x}",
                url=f"http://127.0.0.1:9/a/{index}",
                feed_url=FEED.url,
                source=draw(st.sampled_from(["Random Outlet", "Other <b>Outlet</b>", "مرصد"])),
                title=draw(TITLE),
                text=draw(TEXT),
                published=published,
                first_seen=published + timedelta(minutes=5),
                feed_tags=FEED.tags,
                feed_jurisdiction=FEED.jurisdiction,
            )
        )
    return found


TEXT_SETTINGS = settings(
    max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@TEXT_SETTINGS
@given(drawn=articles())
def test_judging_and_quoting_never_raise_and_quote_only_the_text(drawn: list[Article]) -> None:
    judgements = relevance.judge_all(drawn)
    assert set(judgements) == {article.id for article in drawn}
    for article in drawn:
        judgement = judgements[article.id]
        assert judgement.on_topic == (judgement.reason == ""), judgement
        for quote in quotes.extract_quotes(article):
            assert quote.speaker and quote.text, quote
            assert all(word in article.text for word in quote.text.split()[:3]), (quote, article.text)


@TEXT_SETTINGS
@given(drawn=articles())
def test_stories_from_random_articles_render_safely(drawn: list[Article]) -> None:
    judgements = relevance.judge_all(drawn)
    built = stories.compose_stories(drawn, judgements, [FEED])
    assert {source.article_id for story in built for source in story.sources} <= {
        article.id for article in drawn
    }
    texts = "\n".join(article.title + "\n" + article.text for article in drawn)
    for story in built:
        for sentence in story.summary:
            assert sentence.text.split()[0] in texts if sentence.text.split() else True, sentence
    edition = Edition(
        1, "2026-W47", NOW.date() - timedelta(days=6), NOW.date(), "Week 47", tuple(s.id for s in built)
    )
    site = SiteData(SiteConfig(), NOW, tuple(built), (edition,), (), ())
    findings = {}
    for output in render_all(site):
        found = safety.file_findings_for(output.path, output.content)
        if found:
            findings[output.path] = found
    assert not findings, findings
