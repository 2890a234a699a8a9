"""Publishing: a whole tree swapped in, unchanged files kept, foreign folders never replaced."""

from collections.abc import Callable
from pathlib import Path

import pytest

from digest.errors import OutputError
from digest.publish import MARKER, MARKER_TEXT, publish_tree
from digest.records import OutputFile


def test_first_publish_then_only_changed_files_are_written(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = [OutputFile("index.html", b"one"), OutputFile("a/b.html", b"same"), OutputFile("gone.txt", b"x")]
    assert publish_tree(first, out) == 3
    inode_same = (out / "a/b.html").stat().st_ino
    second = [OutputFile("index.html", b"two"), OutputFile("a/b.html", b"same")]
    assert publish_tree(second, out) == 1
    assert (out / "index.html").read_bytes() == b"two"
    assert (out / "a/b.html").stat().st_ino == inode_same  # untouched: hard-linked from the old tree
    assert not (out / "gone.txt").exists()  # orphans removed
    assert (out / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site.staging", "site"]  # the retired tree


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_retired_tree_is_updated_in_place_and_never_written_through(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree(
        [OutputFile("x.html", b"1"), OutputFile("keep.html", b"k"), OutputFile("old/a.html", b"o")], out
    )
    kept_inode = (out / "keep.html").stat().st_ino
    publish_tree(
        [OutputFile("x.html", b"1"), OutputFile("keep.html", b"k"), OutputFile("new.html", b"n")], out
    )
    retired = tmp_path / ".site.staging"
    assert (retired / "x.html").stat().st_ino == (out / "x.html").stat().st_ino  # little space: links
    published_while_staging: dict[str, bytes] = {}

    def look(staging: Path) -> Callable[[], list[OutputFile]]:
        published_while_staging.update(files_in(out))
        return list

    third = [OutputFile("x.html", b"2"), OutputFile("keep.html", b"k"), OutputFile("new.html", b"n")]
    assert publish_tree(third, out, later=look) == 1
    assert published_while_staging["x.html"] == b"1"  # the shared inode was replaced, not written
    assert files_in(out) == {MARKER: MARKER_TEXT, "x.html": b"2", "keep.html": b"k", "new.html": b"n"}
    assert (out / "keep.html").stat().st_ino == kept_inode
    assert not (out / "old").exists()


def test_whatever_the_retired_tree_holds_the_site_is_exactly_the_new_files(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("keep.html", b"k"), OutputFile("a.html", b"a")], out)
    publish_tree([OutputFile("keep.html", b"k"), OutputFile("a.html", b"a")], out)
    retired = tmp_path / ".site.staging"
    (retired / "keep.html").unlink()
    (retired / "keep.html").write_bytes(b"half-written by a killed build")
    (retired / "stray.html").write_bytes(b"stray")
    (retired / "empty/deeper").mkdir(parents=True)
    (retired / "stories").write_bytes(b"a file where a folder goes")
    (retired / "a.html").unlink()
    (retired / "a.html").mkdir()  # a folder where a file goes
    (retired / "a.html/inside.txt").write_bytes(b"x")
    wanted = [
        OutputFile("keep.html", b"k"),
        OutputFile("a.html", b"a"),
        OutputFile("stories/s/index.html", b"s"),
    ]
    publish_tree(wanted, out)
    assert files_in(out) == {MARKER: MARKER_TEXT, **{o.path: o.content for o in wanted}}
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()) == [
        "stories",
        "stories/s",
    ]


def test_a_path_with_empty_or_dot_parts_is_published_at_its_plain_path_build_after_build(
    tmp_path: Path,
) -> None:
    out = tmp_path / "site"
    for content in (b"first", b"second", b"second"):
        publish_tree([OutputFile("stories//s/./index.html", content), OutputFile("index.html", b"home")], out)
        assert files_in(out) == {MARKER: MARKER_TEXT, "stories/s/index.html": content, "index.html": b"home"}


def test_a_link_in_place_of_the_staging_folder_is_never_followed(tmp_path: Path) -> None:
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_bytes(b"keep me")
    (tmp_path / ".site.staging").symlink_to(elsewhere)
    publish_tree([OutputFile("index.html", b"home")], out)
    assert files_in(out) == {MARKER: MARKER_TEXT, "index.html": b"home"}
    assert files_in(elsewhere) == {"precious.txt": b"keep me"}


def test_a_foreign_folder_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "home"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not a site this tool wrote"):
        publish_tree([OutputFile("index.html", b"x")], out)
    assert (out / "precious.txt").read_text() == "keep me"


def test_unsafe_paths_fail_and_leave_the_previous_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("index.html", b"old")], out)
    with pytest.raises(OutputError):
        publish_tree([OutputFile("index.html", b"new"), OutputFile("../escape.txt", b"x")], out)
    assert (out / "index.html").read_bytes() == b"old"
    assert not (tmp_path / "escape.txt").exists()


def test_unwritable_output_is_a_one_line_error(tmp_path: Path) -> None:
    # A regular file where the parent folder should be: fails for root too (unlike chmod).
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write the site") as caught:
        publish_tree([OutputFile("index.html", b"x")], blocker / "site")
    assert "\n" not in str(caught.value)


def test_files_given_later_are_published_with_the_rest_and_counted(tmp_path: Path) -> None:
    out = tmp_path / "site"
    pages = [OutputFile("index.html", b"home")]
    bundle = [OutputFile("pagefind/pagefind.js", b"js")]
    assert publish_tree(pages, out, later=lambda staging: lambda: bundle) == 2
    assert (out / "pagefind/pagefind.js").read_bytes() == b"js"
    assert publish_tree(pages, out, later=lambda staging: lambda: bundle) == 0  # unchanged: linked


def test_later_is_given_the_staging_folder_once_the_first_files_are_in_it(tmp_path: Path) -> None:
    out = tmp_path / "site"
    pages = [OutputFile("index.html", b"home"), OutputFile("stories/a/index.html", b"story")]
    seen: dict[str, bool] = {}

    def indexer(staging: Path) -> Callable[[], list[OutputFile]]:
        seen["story"] = (staging / "stories/a/index.html").read_bytes() == b"story"
        seen["home"] = (staging / "index.html").exists()
        seen["published"] = out.exists()
        return list

    publish_tree(pages[1:], out, later=indexer, rest=lambda: pages[:1])
    assert seen == {"story": True, "home": False, "published": False}
    assert (out / "index.html").read_bytes() == b"home"


def test_later_finds_no_file_of_the_retired_tree_that_this_build_does_not_make(tmp_path: Path) -> None:
    """The staging folder holds the tree of two builds ago: a story page gone since must not be read
    by the indexer (a search would find it, with no page behind the result)."""
    out = tmp_path / "site"
    publish_tree([OutputFile("stories/gone/index.html", b"old"), OutputFile("index.html", b"1")], out)
    publish_tree([OutputFile("stories/kept/index.html", b"k"), OutputFile("index.html", b"2")], out)
    assert (tmp_path / ".site.staging" / "stories/gone/index.html").exists()  # the retired tree
    seen: dict[str, bytes] = {}

    def indexer(staging: Path) -> Callable[[], list[OutputFile]]:
        seen.update(files_in(staging))
        return list

    pages = [OutputFile("stories/kept/index.html", b"k")]
    publish_tree(pages, out, later=indexer, rest=lambda: [OutputFile("index.html", b"3")])
    assert seen == {MARKER: MARKER_TEXT, "stories/kept/index.html": b"k"}
    assert files_in(out) == {MARKER: MARKER_TEXT, "stories/kept/index.html": b"k", "index.html": b"3"}


def test_an_error_in_rendering_the_rest_leaves_the_previous_site_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("index.html", b"old")], out)
    indexer_done: list[bool] = []

    def indexer(staging: Path) -> Callable[[], list[OutputFile]]:
        def done() -> list[OutputFile]:
            indexer_done.append(True)
            return []

        return done

    def rest_failed() -> list[OutputFile]:
        raise ValueError("template broken")

    with pytest.raises(ValueError, match="template broken"):
        publish_tree([OutputFile("index.html", b"new")], out, later=indexer, rest=rest_failed)
    assert indexer_done == [True]  # waited for before the staging folder went
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_error_in_the_later_files_leaves_the_previous_site_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("index.html", b"old")], out)

    def indexer_failed() -> list[OutputFile]:
        raise RuntimeError("indexer crashed")

    with pytest.raises(RuntimeError, match="indexer crashed"):
        publish_tree([OutputFile("index.html", b"new")], out, later=lambda staging: indexer_failed)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_a_kept_page_is_the_published_file_itself(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("story.html", b"rendered once"), OutputFile("a.html", b"a")], out)
    inode = (out / "story.html").stat().st_ino
    kept = OutputFile("story.html", b"", "key", kept=True)
    assert publish_tree([kept, OutputFile("a.html", b"b")], out) == 1  # only a.html is written
    assert (out / "story.html").read_bytes() == b"rendered once"
    assert (out / "story.html").stat().st_ino == inode
    assert publish_tree([kept, OutputFile("a.html", b"b")], out) == 0  # the retired tree holds it too
    assert (out / "story.html").stat().st_ino == inode


def test_a_kept_page_whose_published_file_is_gone_fails_and_leaves_the_site(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish_tree([OutputFile("a.html", b"a")], out)
    with pytest.raises(OutputError, match="published page gone during the build"):
        publish_tree([OutputFile("a.html", b"b"), OutputFile("story.html", b"", "key", kept=True)], out)
    assert files_in(out) == {MARKER: MARKER_TEXT, "a.html": b"a"}
