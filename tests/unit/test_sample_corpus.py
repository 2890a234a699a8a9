"""Sample corpus loading: the bundled data validates, sorts deterministically, and every broken
article file is reported by name (all of them in one error), never skipped silently."""

from importlib.resources import files
from pathlib import Path

import pytest

from digest.sample.corpus import FEED_FORMATS, CorpusError, load_corpus, split_paragraphs

GOOD_ARTICLE = '''id = "{stem}"
outlet = "{outlet}"
title = "A title"
author = "A. Writer"
hours_ago = 5
summary = "What the feed says."
body = """
First paragraph
wrapped over two lines.

Second paragraph.
"""
'''


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A copy of the bundled outlets with an empty articles folder."""
    outlets = files("digest.sample").joinpath("outlets.toml").read_text(encoding="utf-8")
    (tmp_path / "outlets.toml").write_text(outlets, encoding="utf-8")
    (tmp_path / "articles").mkdir()
    return tmp_path


def _write(folder: Path, stem: str, text: str) -> None:
    (folder / "articles" / f"{stem}.toml").write_text(text, encoding="utf-8")


def test_bundled_corpus_has_the_seven_outlets_and_loads_every_article() -> None:
    corpus = load_corpus()
    assert [o.id for o in corpus.outlets] == sorted(
        ["harbour", "civic", "northlight", "policyline", "safeguard", "metro", "techbeat"]
    )
    assert {o.feed_format for o in corpus.outlets} == set(FEED_FORMATS)
    folder = files("digest.sample").joinpath("articles")
    stems = sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))
    assert sorted(a.id for a in corpus.articles) == stems
    for article in corpus.articles:
        assert article.paragraphs, article.id
        assert all("\n" not in p for p in article.paragraphs), article.id


def test_articles_are_sorted_by_outlet_then_newest_first() -> None:
    articles = load_corpus().articles
    keys = [(a.outlet, a.hours_ago, a.id) for a in articles]
    assert keys == sorted(keys)


def test_a_valid_article_is_read_with_paragraphs_joined(corpus_dir: Path) -> None:
    _write(corpus_dir, "one", GOOD_ARTICLE.format(stem="one", outlet="civic"))
    [article] = load_corpus(corpus_dir).articles
    assert article.paragraphs == ("First paragraph wrapped over two lines.", "Second paragraph.")
    assert article.comments == () and article.caption == ""


def test_every_broken_file_is_named_in_one_error(corpus_dir: Path) -> None:
    _write(corpus_dir, "good", GOOD_ARTICLE.format(stem="good", outlet="metro"))
    _write(corpus_dir, "stranger", GOOD_ARTICLE.format(stem="stranger", outlet="dailyplanet"))
    _write(corpus_dir, "renamed", GOOD_ARTICLE.format(stem="other-name", outlet="metro"))
    _write(
        corpus_dir,
        "untitled",
        GOOD_ARTICLE.format(stem="untitled", outlet="metro").replace('title = "A title"\n', ""),
    )
    _write(corpus_dir, "garbled", 'id = "garbled\n')
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    problems = caught.value.problems
    assert len(problems) == 4
    assert any("articles/stranger.toml" in p and "unknown outlet 'dailyplanet'" in p for p in problems)
    assert any("articles/renamed.toml" in p and "differs from the file name" in p for p in problems)
    assert any("articles/untitled.toml" in p and "missing field 'title'" in p for p in problems)
    assert any("articles/garbled.toml" in p and "not valid TOML" in p for p in problems)
    assert not any("good.toml" in p for p in problems)


def test_wrong_types_and_unknown_fields_are_reported(corpus_dir: Path) -> None:
    text = GOOD_ARTICLE.format(stem="odd", outlet="metro").replace("hours_ago = 5", 'hours_ago = "5"')
    _write(corpus_dir, "odd", text + 'subtitle = "x"\n')
    comment = GOOD_ARTICLE.format(stem="mute", outlet="metro") + '[[comments]]\nauthor = "Sam"\n'
    _write(corpus_dir, "mute", comment)
    with pytest.raises(CorpusError) as caught:
        load_corpus(corpus_dir)
    message = str(caught.value)
    assert "field 'hours_ago' should be int, not str" in message
    assert "unknown field 'subtitle'" in message
    assert "articles/mute.toml comments[0]: missing field 'text'" in message


def test_a_broken_outlet_table_is_reported(corpus_dir: Path) -> None:
    outlets = (corpus_dir / "outlets.toml").read_text(encoding="utf-8")
    (corpus_dir / "outlets.toml").write_text(outlets.replace('"rss10"', '"rss09"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"outlets.toml \[policyline\]: feed_format 'rss09'"):
        load_corpus(corpus_dir)


def test_split_paragraphs_drops_empty_chunks_and_joins_lines() -> None:
    body = "\n\n  One\n  two  \n\n\n\t\nThree.\n   \n"
    assert split_paragraphs(body) == ("One two", "Three.")
