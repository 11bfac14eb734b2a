"""The child processes of ./run: root executables, each in its own process group, logging to a file.

Own process groups, so that Ctrl-C on the terminal reaches ./run alone and ./run stops the children in
order; a parent-death signal, so that a ./run killed outright (kill -9) does not leave them running.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from bluesky_pipeline.cli_support import PROJECT_ROOT

PR_SET_PDEATHSIG = 1  # Linux prctl option: a signal for this process when its parent exits
TAIL_BYTES = 8192  # enough for the last few status lines of a log


class Child:
    """`./<name> <args>` started now, with stdout (unless piped) and stderr appended to `log_path`."""

    def __init__(
        self,
        name: str,
        args: Sequence[str],
        *,
        log_path: Path,
        stdin: int | IO[bytes] | None = None,
        stdout: int | None = None,
        on_parent_death: signal.Signals | None = None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        with log_path.open("ab") as log:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            log.write(f"--- {stamp} ./run started: ./{name} {' '.join(args)}\n".encode())
            log.flush()
            self._log_offset = log.tell()  # where this child's own output starts
            self._read_offset = self._log_offset  # how far new_lines() has read
            self.process = subprocess.Popen(
                [str(PROJECT_ROOT / name), *args],
                stdin=stdin,
                stdout=log if stdout is None else stdout,
                stderr=log,
                process_group=0,
                preexec_fn=None if on_parent_death is None else _die_with_parent(on_parent_death),  # noqa: PLW1509 (./run starts no thread)
            )
        self.exited_at: float | None = None

    def poll(self) -> int | None:
        """The exit code once it has exited (negative: killed by that signal), else None."""
        code = self.process.poll()
        if code is not None and self.exited_at is None:
            self.exited_at = time.monotonic()
        return code

    def send(self, sig: signal.Signals) -> None:
        """Send `sig` unless the child has already exited (and been reaped)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(sig)

    def output(self) -> list[str]:
        """The lines this child has written to its log so far (for short-lived children)."""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace").splitlines()

    def new_lines(self) -> list[str]:
        """The complete lines this child has written to its log since the last call (for long-lived children)."""
        with self.log_path.open("rb") as log:
            log.seek(self._read_offset)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._read_offset += len(complete)
        return complete.decode(errors="replace").splitlines()

    def last_line(self, prefix: str = "") -> str | None:
        """The last complete line of its log that starts with `prefix`, from the log's tail only."""
        with self.log_path.open("rb") as log:
            size = log.seek(0, os.SEEK_END)
            log.seek(max(self._log_offset, size - TAIL_BYTES))
            tail = log.read().decode(errors="replace")
        complete = tail[: tail.rfind("\n") + 1].splitlines()
        return next((line for line in reversed(complete) if line.startswith(prefix) and line.strip()), None)


def _die_with_parent(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec function asking the kernel to send `sig` to the child when ./run exits (Linux only)."""
    prctl = getattr(ctypes.CDLL(None), "prctl", None)  # looked up before the fork, not in the child
    if prctl is None:
        return None
    parent = os.getpid()

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig))
        if os.getppid() != parent:  # ./run died before the request was made
            os.kill(os.getpid(), sig)

    return arm
