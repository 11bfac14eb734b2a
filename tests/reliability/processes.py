"""Process control for the reliability tests: executables in their own session, killed as a whole tree.

A test can kill ./periodic and its dbt child at once, as a power cut or the OOM killer would.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import IO

from tests.pipeline import REPO, child_environment

COMMIT_INTERVAL_S = 1.0  # handle-stream's default --commit-interval


class Child:
    """A root executable running in its own session, its output going to files in `log_dir`."""

    def __init__(
        self,
        name: str,
        *args: str,
        log_dir: Path,
        stdin: int | IO[bytes] | None = subprocess.PIPE,
        env: dict[str, str] | None = None,
    ) -> None:
        log_dir.mkdir(parents=True, exist_ok=True)
        stem = f"{name}-{time.monotonic_ns()}"
        self._stdout_path = log_dir / f"{stem}.out"
        self._stderr_path = log_dir / f"{stem}.err"
        with self._stdout_path.open("wb") as out, self._stderr_path.open("wb") as err:
            self.process = subprocess.Popen(
                [str(REPO / name), *args],
                stdin=stdin,
                stdout=out,
                stderr=err,
                env=child_environment() | (env or {}),
                cwd=REPO,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to every process of the session (the executable and its children)."""
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.pid, sig)

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill_group()
            self.process.wait()
            raise AssertionError(f"{self.process.args} still running after {timeout} s") from None

    def stdout(self) -> str:
        return self._stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self._stderr_path.read_text(encoding="utf-8", errors="replace")

    def session_processes(self) -> dict[int, str]:
        """pid -> command line of every live (non-zombie) process in this child's session."""
        found = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                cmdline = Path(entry.path, "cmdline").read_bytes()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            state, session = fields[0], int(fields[3])
            if session == self.pid and state != "Z":
                found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
        return found


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def error_lines(stderr: str) -> list[str]:
    """The lines of `stderr` that report an error."""
    return [line for line in stderr.splitlines() if "error" in line.lower()]
