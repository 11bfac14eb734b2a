"""Test helpers for `./periodic --follow`: the real process in its own session, and what it has published.

A test waits on what the process writes (the published snapshot, its output, the metric files), never
on a sleep of a guessed length; every wait has a deadline and fails saying what it waited for.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from tests.pipeline import Workspace
from tests.reliability.files import committed_seqs
from tests.reliability.processes import Child

WAIT_S = 180.0


class Follow:
    """`./periodic --follow` on `workspace`, started now."""

    def __init__(self, workspace: Workspace, *args: str, env: dict[str, str] | None = None) -> None:
        self.workspace = workspace
        self.child = Child(
            "periodic",
            "--follow",
            "--data-dir", str(workspace.data_dir),
            "--metrics-dir", str(workspace.metrics_dir),
            *args,
            log_dir=workspace.data_dir.parent / "logs",
            stdin=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.child.pid

    def wait_until(self, condition: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
        """Poll `condition` until it holds; fail if the process exits first or the deadline passes."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.child.process.poll() is not None:
                code = self.child.process.returncode
                raise AssertionError(f"--follow exited ({code}) before {what}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"--follow did not reach {what} in {timeout_s:.0f} s:\n{self.output()}")
            time.sleep(0.02)

    def wait_until_current(self) -> None:
        """Until the published snapshot covers every committed bronze file."""
        self.wait_until(lambda: published_through(self.workspace.data_dir) == last_seq(self.workspace), "current")

    def signal(self, sig: int) -> None:
        self.child.process.send_signal(sig)

    def wait(self, timeout_s: float = WAIT_S) -> int:
        return self.child.wait(timeout_s)

    def output(self) -> str:
        return f"--- stdout:\n{self.child.stdout()}--- stderr:\n{self.child.stderr()}"


def published_through(data_dir: Path) -> int:
    """The last bronze file the published snapshot covers (0 before any successful refresh)."""
    try:
        with duckdb.connect(str(data_dir / "snapshot.duckdb"), read_only=True) as snapshot:
            row = snapshot.execute("select through_seq from ops.snapshot").fetchone()
    except duckdb.Error:
        return 0  # not published yet
    return int(row[0]) if row else 0


def last_seq(workspace: Workspace) -> int:
    seqs = committed_seqs(workspace.data_dir)
    return seqs[-1] if seqs else 0
