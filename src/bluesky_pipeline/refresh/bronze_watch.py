"""Waits for bronze files to land: inotify on the bronze directory (Linux, through ctypes), else polling.

`./periodic --follow` sleeps here between refreshes. A committed file is renamed into the directory
(IN_MOVED_TO) or, copied by hand, closed after writing (IN_CLOSE_WRITE): either wakes it at once.
Python's standard library has no file-system notification; inotify is two libc calls, so no new
dependency. The caller rescans the directory after every wake, so an event is never parsed, only
drained, and a lost watch (the directory removed and made again) costs at most one `max_wait_s`.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_NONBLOCK = os.O_NONBLOCK
IN_CLOEXEC = 0o2000000
POLL_INTERVAL_S = 0.25  # without inotify: how often the directory is listed again
DRAIN_BYTES = 64 << 10


class BronzeWatch:
    """Sleeps until the bronze directory changes, another descriptor is readable, or a timeout."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._fd: int | None = None

    def __enter__(self) -> BronzeWatch:
        self._fd = _inotify(self._directory)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    @property
    def how(self) -> str:
        """How changes are seen, for the start-up line."""
        return "inotify" if self._fd is not None else f"listing the directory every {POLL_INTERVAL_S:g} s"

    def wait(self, timeout_s: float, also: Sequence[int] = ()) -> None:
        """Return once the directory may have changed, a descriptor of `also` is readable, or after `timeout_s`."""
        timeout_s = max(0.0, timeout_s)
        if self._fd is None:
            select.select(list(also), [], [], min(timeout_s, POLL_INTERVAL_S))
            return
        readable, _, _ = select.select([self._fd, *also], [], [], timeout_s)
        if self._fd in readable:
            with contextlib.suppress(BlockingIOError):
                while os.read(self._fd, DRAIN_BYTES):
                    pass


def _inotify(directory: Path) -> int | None:
    """An inotify descriptor watching `directory`, or None where inotify cannot be had (not Linux, no watch left)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        init, add_watch = libc.inotify_init1, libc.inotify_add_watch
    except (OSError, AttributeError):
        return None
    fd = int(init(IN_NONBLOCK | IN_CLOEXEC))
    if fd < 0:
        return None
    if int(add_watch(fd, os.fsencode(directory), IN_MOVED_TO | IN_CLOSE_WRITE)) < 0:
        os.close(fd)
        return None
    return fd
