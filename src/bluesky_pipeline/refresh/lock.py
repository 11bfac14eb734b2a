"""The refresh lock: one ./periodic at a time per data directory.

An flock on `<data-dir>/periodic.lock`: released by the kernel when the holder exits, even on kill -9,
so a crashed refresh never leaves a stale lock behind. The file holds the holder's pid.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType

from bluesky_pipeline import durable

LOCK_FILE = "periodic.lock"


class RefreshLockError(Exception):
    """The lock file cannot be created or opened."""


class RefreshAlreadyRunningError(Exception):
    """Another ./periodic holds the lock; the message is its pid (or "unknown")."""


class RefreshLock:
    """Exclusive lock on a data directory's refresh; `wait=False` raises RefreshAlreadyRunningError if held."""

    def __init__(self, data_dir: Path, *, wait: bool) -> None:
        self._path = data_dir / LOCK_FILE
        self._wait = wait
        self._fd = -1

    @property
    def fd(self) -> int:
        """The locked descriptor: a child process given it keeps the lock held while it runs."""
        return self._fd

    def __enter__(self) -> RefreshLock:
        try:
            self._fd = durable.open_locked(self._path, wait=self._wait)
        except BlockingIOError:
            raise RefreshAlreadyRunningError(holder(self._path.parent)) from None
        except OSError as error:
            raise RefreshLockError(f"cannot write in {self._path.parent}: {error.strerror}") from None
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


def holder(data_dir: Path) -> str:
    """The pid written by the refresh that holds (or last held) the lock, or "unknown"."""
    try:
        with (data_dir / LOCK_FILE).open("rb") as file:
            text = file.read(32).decode(errors="replace").strip()
    except OSError:
        return "unknown"
    return text or "unknown"


def running_holder(data_dir: Path) -> str | None:
    """The pid of the refresh holding the lock right now, or None; never touches the lock itself.

    Read from the kernel's table of locks (/proc/locks, Linux): trying the lock instead would, for an
    instant, make a refresh starting then exit saying one is already running.
    """
    try:
        lock_stat = (data_dir / LOCK_FILE).stat()
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF": the device as hex major:minor, then the inode.
    wanted = f"{os.major(lock_stat.st_dev):02x}:{os.minor(lock_stat.st_dev):02x}:{lock_stat.st_ino}"
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == wanted:
            return holder(data_dir)
    return None
