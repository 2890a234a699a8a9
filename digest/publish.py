"""Publish a rendered site by swapping in a complete new tree.

The new tree is written beside the published one (files whose bytes did not change are
hard-linked from the old tree, so an unchanged page keeps its inode and mtime), then the two
folders are exchanged in one ``renameat2(RENAME_EXCHANGE)`` call. A build killed at any moment
leaves either the old site or the new one, never a mix.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath

from digest.errors import OutputError
from digest.records import OutputFile

log = logging.getLogger(__name__)

MARKER = ".digest-site"  # written into every tree we publish; we never replace a folder without it
MARKER_TEXT = b"written by online-abuse-digest\n"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


Later = Callable[[Path], Callable[[], Sequence[OutputFile]]]


def publish_tree(
    files: Sequence[OutputFile],
    out_dir: Path,
    later: Later = lambda staging: tuple,
    first: Callable[[OutputFile], bool] = lambda output: False,
) -> int:
    """Replace ``out_dir`` by a tree holding exactly ``files`` and the files ``later`` gives; return
    how many files were written. The files ``first`` picks are staged first; ``later`` is then given
    the folder they are in (the search indexer reads the story pages there while the rest are
    staged) and gives a function that waits for its own files."""
    out_dir = out_dir.absolute()
    _refuse_foreign_folder(out_dir)
    staging = out_dir.with_name(f".{out_dir.name}.staging")
    early = [output for output in files if first(output)]
    rest = [output for output in files if not first(output)]
    made: set[Path] = set()
    try:
        _remove(staging)
        written = _stage(early, staging, out_dir, made)
    except OSError as exc:
        raise _cannot_write(out_dir, staging, exc) from None
    waiting = _started(later, staging)
    try:
        written += sum(_place(output, staging, out_dir, made) for output in rest)
    except OSError as exc:
        _wait_quietly(waiting)  # it reads the staging folder: done with it before the folder goes
        raise _cannot_write(out_dir, staging, exc) from None
    more = _waited(waiting, staging)
    try:
        written += sum(_place(output, staging, out_dir, made) for output in more)
        _swap_in(staging, out_dir)
    except OSError as exc:
        raise _cannot_write(out_dir, staging, exc) from None
    _remove_quietly(staging)  # holds the previous tree after an exchange
    return written


def _started(later: Later, staging: Path) -> Callable[[], Sequence[OutputFile]]:
    try:
        return later(staging)
    except BaseException:  # raised as it is: what went wrong in making these is not the site's folder
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


def _stage(files: Sequence[OutputFile], staging: Path, previous: Path, made: set[Path]) -> int:
    """Write the new tree; return how many files were written rather than linked unchanged.
    ``made`` holds the folders made so far: a mkdir costs a system call even when it finds one."""
    staging.mkdir(parents=True)
    _place(OutputFile(MARKER, MARKER_TEXT), staging, previous, made)
    return sum(_place(output, staging, previous, made) for output in files)


def _place(output: OutputFile, staging: Path, previous: Path, made: set[Path]) -> bool:
    relative = _safe_relative(output.path)
    target = staging / relative
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    if _link_if_unchanged(previous / relative, target, output.content):
        return False
    target.write_bytes(output.content)
    return True


def _safe_relative(path: str) -> Path:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise OSError(errno.EINVAL, f"unsafe output path {path!r}")
    return Path(*pure.parts)


def _link_if_unchanged(old: Path, target: Path, content: bytes) -> bool:
    try:
        if old.stat().st_size != len(content) or old.read_bytes() != content:
            return False
        os.link(old, target)
    except OSError:
        return False
    return True


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
