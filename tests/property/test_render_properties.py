"""Property tests: the whole renderer over random records full of hostile text.

``render_all`` gets a ``SiteData`` whose every string came from a strategy mixing random text with
script tags, event handlers, ``javascript:``/``data:`` links, Markdown and HTML syntax, control
characters, right-to-left and zero-width characters, and path tricks (``../``) in ids, keys and
tag names. It must not raise, every output path must stay inside the site, and no output may carry
an executable construct (``tests.hostile.safety`` tokenises HTML, parses the feeds and renders the
Markdown edition to check). The JSON and Atom feeds must parse.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config import SiteConfig
from digest.records import (
    Edition,
    Exclusion,
    FeedState,
    OutputFile,
    Quote,
    Section,
    Source,
    Story,
    SummarySentence,
    Tags,
)
from digest.render import SiteData, render_all
from tests.hostile import safety

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PAYLOADS = st.sampled_from(
    [
        "<script>alert('PWN-render')</script>", "<img src=x onerror=alert('PWN-render')>",
        '"><svg onload=alert(1)>', "javascript:alert('PWN-render')", "<iframe src=//127.0.0.1/></iframe>",
        "</title><script>x</script>", "]]><x>", "<!--", "{{ 7*7 }}", "{% raw %}", "*bold* _x_ [a](javascript:x)",
        "<style>body{}</style>", "# heading", "1. list", "> quote", "---", "`code`", "![i](http://127.0.0.1/i.png)",
        "&lt;script&gt;", "&amp;", "\x00", "\x0b", "\ufffe", "\u202e", "\u200b", "مرحبا", "🙂", "../../etc/passwd",
        "<form action=x><input></form>", "<a href='data:text/html,x'>d</a>", "<object data=x></object>",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=30), PAYLOADS), min_size=0, max_size=4).map("".join)
# The operator writes editor notes and the about page. Their Markdown is theirs: the Markdown edition
# keeps it as written (raw HTML excepted), so it is drawn without images or script links.
OPERATOR_TEXT = TEXT.map(lambda text: text.replace("![", "[").replace("javascript:", "https:"))
NAMES = st.lists(st.one_of(st.text(min_size=1, max_size=12), PAYLOADS), min_size=1, max_size=2).map("".join)
URLS = st.one_of(
    st.sampled_from(
        ["http://127.0.0.1:9/a/1", "https://127.0.0.1:9/b?utm_source=x&id=2", "javascript:alert('PWN-render')",
         "data:text/html,<script>x</script>", "vbscript:x", " javascript:x", "JaVaScRiPt:x", "java\tscript:x",
         "//127.0.0.1/x", "", "http://127.0.0.1:9/a b<c>\"d'", "mailto:x@example.org"]
    ),
    TEXT,
)  # fmt: skip
MOMENTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2026, 11, 22)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


@st.composite
def stories(draw: st.DrawFn, story_id: str) -> Story:
    article_ids = [f"{story_id}-a{n}" for n in range(draw(st.integers(1, 3)))]
    sources = tuple(
        Source(article, draw(URLS), draw(TEXT), draw(NAMES), draw(st.one_of(st.none(), MOMENTS)), n == 0)
        for n, article in enumerate(article_ids)
    )
    summary = tuple(
        SummarySentence(draw(TEXT), draw(st.sampled_from([*article_ids, "unknown"])), draw(URLS))
        for _ in range(draw(st.integers(0, 3)))
    )
    quotes = tuple(Quote(draw(NAMES), draw(TEXT), draw(TEXT)) for _ in range(draw(st.integers(0, 2))))
    tags = Tags(*(tuple(draw(st.lists(NAMES, max_size=2))) for _ in range(5)))
    published = draw(MOMENTS)
    return Story(
        id=story_id,
        title=draw(TEXT),
        lead_article_id=article_ids[0],
        sources=sources,
        summary=summary,
        quotes=quotes,
        tags=tags,
        relevance=draw(st.floats(0, 10)),
        published=published,
        first_seen=published + timedelta(hours=1),
        grouping_reasons=tuple(draw(st.lists(TEXT, max_size=2))),
        content_note=draw(st.one_of(st.just(""), TEXT)),
        pinned=draw(st.booleans()),
        editor_note=draw(st.one_of(st.just(""), OPERATOR_TEXT)),
    )


@st.composite
def site_data(draw: st.DrawFn) -> SiteData:
    # Story ids are ours (``s-`` and a hash), so they are drawn in that form; everything else is hostile.
    ids = draw(
        st.lists(st.from_regex(r"s-[0-9a-f]{16}", fullmatch=True), min_size=0, max_size=4, unique=True)
    )
    built = tuple(draw(stories(story_id)) for story_id in ids)
    key = draw(st.one_of(st.just("2026-W47"), NAMES))
    section = Section(draw(TEXT), tuple(ids[: len(ids) // 2 + 1]))
    edition = Edition(
        1,
        key,
        date(2026, 11, 16),
        date(2026, 11, 22),
        draw(TEXT),
        tuple(ids),
        (section,),
        draw(OPERATOR_TEXT),
    )
    feeds = tuple(
        FeedState(
            url=draw(URLS),
            current_url=draw(URLS),
            name=draw(NAMES),
            last_status=draw(st.sampled_from(["ok", "error", "gone", "new", "unchanged"])),
            last_error=draw(st.one_of(st.none(), TEXT)),
            failing_since=draw(st.one_of(st.none(), MOMENTS)),
            last_checked=draw(st.one_of(st.none(), MOMENTS)),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    excluded = tuple(
        Exclusion(
            draw(NAMES), draw(URLS), draw(TEXT), draw(NAMES), draw(st.floats(0, 5)), draw(TEXT), (draw(TEXT),)
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    return SiteData(
        site=SiteConfig(base_url="https://digest.example.org/"),
        now=NOW,
        stories=built,
        editions=(edition,) if ids or draw(st.booleans()) else (),
        feeds=feeds,
        excluded=excluded,
        about_markdown=draw(OPERATOR_TEXT),
    )


def assert_paths_inside(files: list[OutputFile]) -> None:
    paths = [output.path for output in files]
    assert len(paths) == len(set(paths)), "two outputs share a path"
    for path in paths:
        pure = PurePosixPath(path)
        assert not pure.is_absolute() and ".." not in pure.parts and "" not in path.split("/"), path
        assert "\\" not in path and "\x00" not in path, path


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=site_data())
def test_random_records_render_without_unescaped_output(data: SiteData) -> None:
    files = render_all(data)
    assert_paths_inside(files)
    findings = {}
    for output in files:
        found = safety.file_findings_for(output.path, output.content)
        if found:
            findings[output.path] = found
    assert not findings, findings
