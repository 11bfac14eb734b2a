"""Small real filesystems for the reliability tests: a tmpfs to fill up or remount read-only.

They need the right to mount (root, as in CI); where it is refused, `tmpfs` says so and tests skip.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of `size` on `path` for the block; yields False when mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], capture_output=True, check=True)


def fill_filesystem(path: Path, leave_bytes: int = 0) -> Path:
    """Write a file in `path` until its filesystem is full, then give back `leave_bytes`.

    Returns the file: delete it to free the space.
    """
    filler = path / "filler"
    with filler.open("wb", buffering=0) as file:
        for block in (b"\0" * (64 << 10), b"\0" * 512):
            try:
                while True:
                    file.write(block)
            except OSError:
                pass
    if leave_bytes:
        os.truncate(filler, max(0, filler.stat().st_size - leave_bytes))
    return filler
