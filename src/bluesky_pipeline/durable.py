"""Durable file operations for bronze maintenance: what survives a power loss, and in which order.

A file's bytes are durable once fsynced; a name (created, renamed or removed) once its directory is.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file or a directory by path."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_text(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically and durably: temp file, fsync, rename, directory fsync."""
    temp_path = path.with_name(f".{path.name}.tmp")
    try:
        with temp_path.open("w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


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
