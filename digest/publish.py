"""Publish a rendered site by swapping in a complete new tree.

The new tree is made beside the published one, in ``.<name>.staging``, then the two folders are
exchanged in one ``renameat2(RENAME_EXCHANGE)`` call. A build killed at any moment leaves either the
old site or the new one, never a mix.

Files whose bytes did not change are hard-linked from the published tree, so an unchanged page keeps
its inode and mtime. The tree an exchange retires stays in the staging folder, and the next build
updates it in place rather than making a tree from nothing: making a folder costs far more than
finding one (0.35 ms against 2 us on the bench machine's ext4, and a site has a folder per story),
and removing a whole tree costs as much again. Most of its files are links to the published ones,
so it takes little space; a file in it is never written through, only replaced, so the published
file it may share an inode with never changes. Whatever the retired tree holds (a build killed while
updating it leaves it half done), every file is checked against the published tree and the new bytes,
and files no longer wanted are removed. A failed build removes the staging folder.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import logging
import os
import shutil
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from digest.errors import OutputError
from digest.records import OutputFile

log = logging.getLogger(__name__)

MARKER = ".digest-site"  # written into every tree we publish; we never replace a folder without it
MARKER_TEXT = b"written by online-abuse-digest\n"
ODD_PARTS = frozenset(("", ".", ".."))  # parts of a path that need a closer look
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


Later = Callable[[Path], Callable[[], Sequence[OutputFile]]]


def publish_tree(
    files: Sequence[OutputFile],
    out_dir: Path,
    later: Later = lambda staging: tuple,
    rest: Callable[[], Sequence[OutputFile]] = tuple,
) -> int:
    """Replace ``out_dir`` by a tree holding exactly ``files``, the files ``rest`` gives and the files
    ``later`` gives; return how many files were written. ``files`` are staged first and the retired
    tree's other files removed; ``later`` is then given the folder, which holds nothing else, and
    gives a function that waits for its own files (the search indexer reads the story pages there),
    and ``rest`` is called meanwhile: a build renders the rest of its site while the indexer runs.
    Whatever ``rest`` or ``later`` raises is raised as it is, with the published site untouched."""
    out_dir = out_dir.absolute()
    _refuse_foreign_folder(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}.staging")
    try:
        tree = Staging(str(staging), str(out_dir), *_retired(staging))
        tree.place(OutputFile(MARKER, MARKER_TEXT))
        written = tree.place_all(files)
        # The indexer reads every story page in the folder: one the retired tree holds and this build
        # does not make (a story gone or hidden since) would be found by a search, with no page to show.
        tree.remove_unplaced_files()
    except OSError as exc:
        raise _cannot_write(out_dir, staging, exc) from None
    waiting = _started(later, staging)
    rest_files = _given(rest, waiting, staging)
    try:
        written += tree.place_all(rest_files)
    except OSError as exc:
        _wait_quietly(waiting)  # it reads the staging folder: done with it before the folder goes
        raise _cannot_write(out_dir, staging, exc) from None
    more = _waited(waiting, staging)
    try:
        written += tree.place_all(more)
        tree.remove_unwanted()
        _swap_in(staging, out_dir)
    except OSError as exc:
        raise _cannot_write(out_dir, staging, exc) from None
    return written  # the staging folder now holds the retired tree, for the next build to update


@dataclass(slots=True)
class Staging:
    """The tree being made: ``root``, the staging folder; ``published``, the tree it will replace.

    Paths are strings here, not ``Path``s: a site has thousands of files, and making, hashing and
    joining ``Path`` objects was most of the time spent placing them."""

    root: str
    published: str
    retired_files: set[str]  # what the staging folder held before this build (relative paths)
    retired_folders: set[str]  # (absolute paths) known to be there: making one costs a system call
    folders: set[str] = field(default_factory=set)  # the folders of this tree's files, and above
    placed: set[str] = field(default_factory=set)

    def place_all(self, files: Sequence[OutputFile]) -> int:
        """Place each file; return how many were written rather than linked or kept."""
        return sum(self.place(output) for output in files)

    def place(self, output: OutputFile) -> bool:
        relative = _safe_relative(output.path)
        target, old = f"{self.root}/{relative}", f"{self.published}/{relative}"
        self._make_folder(os.path.dirname(target))
        self.placed.add(relative)
        present = _lstat(target)
        if output.kept:  # a page whose key is the published one's: the published file itself
            unchanged: os.stat_result | None = _published_page(old)
        else:
            unchanged = _lstat(old) if _same_bytes(old, output.content) else None
        if unchanged is not None and present is not None and _same_file(present, unchanged):
            return False  # the retired tree's file is already the published one
        if present is not None:
            self._clear(target, present)  # replaced, never written through: it may be a published file
        if unchanged is not None and _linked(old, target):
            return False
        content = _read(old) if output.kept else output.content
        with open(target, "wb") as written:
            written.write(content)
        return True

    def remove_unwanted(self) -> None:
        """Remove the retired tree's files this tree does not hold, then its folders not used."""
        self.remove_unplaced_files()
        for folder in sorted(self.retired_folders - self.folders, key=lambda path: -path.count("/")):
            with contextlib.suppress(OSError):  # gone with a folder above, or holds what a file replaced
                os.rmdir(folder)

    def remove_unplaced_files(self) -> None:
        """Remove the retired tree's files not placed so far; its folders stay for the files to come."""
        for relative in sorted(self.retired_files - self.placed):
            path = f"{self.root}/{relative}"
            found = _lstat(path)
            if found is not None and not stat.S_ISDIR(found.st_mode):  # a folder now: it is in use
                os.unlink(path)
        self.retired_files &= self.placed  # each file is looked for once

    def _make_folder(self, folder: str) -> None:
        if folder in self.folders:
            return
        if folder not in self.retired_folders:
            try:
                os.mkdir(folder)
            except FileNotFoundError:  # the folder above is not there yet
                self._make_folder(os.path.dirname(folder))
                os.mkdir(folder)
            except (FileExistsError, NotADirectoryError):
                if not os.path.isdir(folder):  # a retired file stands where a folder goes, or on the way
                    _clear_way(Path(self.root), Path(folder))
                    os.makedirs(folder, exist_ok=True)
        while folder not in self.folders and len(folder) > len(self.root):
            self.folders.add(folder)
            folder = os.path.dirname(folder)

    def _clear(self, target: str, present: os.stat_result) -> None:
        if stat.S_ISDIR(present.st_mode):  # a retired folder where a file goes: gone, with all below
            shutil.rmtree(target)
            below = target + "/"
            self.retired_folders = {f for f in self.retired_folders if not (f + "/").startswith(below)}
        else:
            os.unlink(target)


def _retired(staging: Path) -> tuple[set[str], set[str]]:
    """The files (relative paths) and folders (absolute) of the tree the last build retired, to be
    updated in place (whatever else the staging folder holds is removed by then)."""
    found = _lstat(staging)
    if found is not None and stat.S_ISDIR(found.st_mode):
        files: set[str] = set()
        folders: set[str] = set()
        _walk(str(staging), files, folders)
        start = len(str(staging)) + 1
        return {path[start:] for path in files}, folders
    if found is not None:
        staging.unlink()  # a file, or a link: never followed
    staging.mkdir(parents=True)
    return set(), set()


def _walk(folder: str, files: set[str], folders: set[str]) -> None:
    """Everything under ``folder``; links, to folders too, are files here, never followed."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                folders.add(entry.path)
                _walk(entry.path, files, folders)
            else:
                files.add(entry.path)


def _lstat(path: str | Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def _same_bytes(old: str, content: bytes) -> bool:
    try:
        return os.stat(old).st_size == len(content) and _read(old) == content
    except OSError:
        return False


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _published_page(path: str) -> os.stat_result:
    found = _lstat(path)
    if found is None or not stat.S_ISREG(found.st_mode):
        # The build checked it a moment ago (``derived.published_pages``): something else is at work.
        raise FileNotFoundError(errno.ENOENT, f"{path}: published page gone during the build")
    return found


def _same_file(left: os.stat_result, right: os.stat_result) -> bool:
    return (left.st_ino, left.st_dev) == (right.st_ino, right.st_dev) and stat.S_ISREG(left.st_mode)


def _clear_way(root: Path, folder: Path) -> None:
    """Remove what is not a folder on the way from ``root`` to ``folder`` (a retired file)."""
    for step in reversed((folder, *folder.parents)):
        if step.is_relative_to(root) and step != root:
            found = _lstat(step)
            if found is not None and not stat.S_ISDIR(found.st_mode):
                step.unlink()


def _linked(old: str, target: str) -> bool:
    try:
        os.link(old, target)
    except OSError:  # no hard links here (or too many): the file is written instead
        return False
    return True


def _started(later: Later, staging: Path) -> Callable[[], Sequence[OutputFile]]:
    try:
        return later(staging)
    except BaseException:  # raised as it is: what went wrong in making these is not the site's folder
        _remove_quietly(staging)
        raise


def _given(
    rest: Callable[[], Sequence[OutputFile]], waiting: Callable[[], Sequence[OutputFile]], staging: Path
) -> Sequence[OutputFile]:
    try:
        return rest()
    except BaseException:  # raised as it is, once the indexer is done with the staging folder
        _wait_quietly(waiting)
        _remove_quietly(staging)
        raise


def _waited(waiting: Callable[[], Sequence[OutputFile]], staging: Path) -> Sequence[OutputFile]:
    try:
        return waiting()
    except BaseException:
        _remove_quietly(staging)
        raise


def _wait_quietly(waiting: Callable[[], Sequence[OutputFile]]) -> None:
    try:
        waiting()
    except Exception as exc:  # the site's folder error is the one reported
        log.debug("files given later, not published: %s", exc)


def _cannot_write(out_dir: Path, staging: Path, exc: OSError) -> OutputError:
    _remove_quietly(staging)
    return OutputError(f"{out_dir}: cannot write the site: {exc.strerror or exc}")


def _refuse_foreign_folder(out_dir: Path) -> None:
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).exists():
        raise OutputError(f"{out_dir}: not empty and not a site this tool wrote; refusing to replace it")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: exists and is not a folder")


def _safe_relative(path: str) -> str:
    """``path`` as a relative path in its plainest form ("a//./b" is "a/b"); an absolute path, one
    that climbs out ("..") or one that names no file is refused."""
    if ODD_PARTS.isdisjoint(path.split("/")):  # each part a name: as it is (nearly every path)
        return path
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OSError(errno.EINVAL, f"unsafe output path {path!r}")
    return "/".join(pure.parts)


def _swap_in(staging: Path, out_dir: Path) -> None:
    _fsync_dir(staging)
    if not out_dir.exists():
        os.rename(staging, out_dir)
    elif not _exchange(staging, out_dir):
        # No atomic exchange on this kernel or file system: two renames, a brief gap.
        retired = out_dir.with_name(f".{out_dir.name}.previous")
        _remove(retired)
        os.rename(out_dir, retired)
        os.rename(staging, out_dir)
        os.rename(retired, staging)
    _fsync_dir(out_dir.parent)


def _exchange(first: Path, second: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code))


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)


def _remove_quietly(folder: Path) -> None:
    try:
        _remove(folder)
    except OSError as exc:
        log.warning("%s: could not remove: %s", folder, exc)
