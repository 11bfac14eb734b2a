"""Durable file operations shared by the landing and refresh sides: fsync, atomic replace, flock.

One place decides what "committed" means: written aside, fsynced, renamed, and the directory fsynced.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path


def fsync_path(path: Path) -> None:
    """Flush a file's or a directory's contents (for a directory: its entries, so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Replace `path` by what `write(temp_path)` writes: a reader sees the old file or the new one, whole.

    The temporary file is `.<name>.tmp` beside `path` (no reader's glob matches a dot file), removed if
    anything fails. A reader that holds the old file open keeps reading the old file.
    """
    temp_path = path.with_name(f".{path.name}.tmp")
    temp_path.unlink(missing_ok=True)  # left by a writer killed mid-write
    try:
        write(temp_path)
        fsync_path(temp_path)
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def open_locked(path: Path, *, wait: bool) -> int:
    """Open (creating) `path` and take an exclusive flock on it; the descriptor holds the lock.

    The kernel releases the lock when every descriptor of it is closed, even on kill -9, so a crash
    never leaves a stale lock. Raises BlockingIOError if another process holds it and not `wait`,
    and OSError if the file cannot be opened.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BaseException:
        os.close(fd)
        raise
    return fd


def move_into(path: Path, directory: Path, name: str) -> Path:
    """Rename `path` to `directory/name` (same filesystem) and make both directory entries durable."""
    if not directory.exists():
        directory.mkdir(parents=True)
        fsync_path(directory.parent)
    target = directory / name
    os.rename(path, target)
    fsync_path(directory)
    fsync_path(path.parent)
    return target
