"""The refresh lock: one ./periodic at a time per data directory.

An flock on `<data-dir>/periodic.lock`: released by the kernel when the holder exits, even on kill -9,
so a crashed refresh never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from bluesky_pipeline.cli_support import CliError


class RefreshAlreadyRunningError(Exception):
    """Another ./periodic holds the lock."""


class RefreshLock:
    """Exclusive lock on a data directory's refresh; `wait=False` raises RefreshAlreadyRunningError if held."""

    def __init__(self, data_dir: Path, *, wait: bool) -> None:
        self._path = data_dir / "periodic.lock"
        self._wait = wait
        self._fd = -1

    @property
    def fd(self) -> int:
        """The locked descriptor: a child process given it keeps the lock held while it runs."""
        return self._fd

    def __enter__(self) -> RefreshLock:
        try:
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise CliError(f"cannot write in {self._path.parent}: {error.strerror}") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if self._wait else fcntl.LOCK_NB))
        except BlockingIOError:
            holder = os.pread(self._fd, 32, 0).decode(errors="replace").strip()
            os.close(self._fd)
            raise RefreshAlreadyRunningError(holder or "unknown") from None
        # Who holds the lock, for the "already running" message; best effort (the disk may be full).
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        os.close(self._fd)
