"""Runs the dbt project (seeds, models and data tests) as a child process and sums up the outcome.

A child process, not dbt in-process: its DuckDB connection is surely closed when it exits, so the
export can open the warehouse next; and its memory goes back to the system after every refresh.
dbt's own log is <data-dir>/dbt/logs/dbt.log; the outcome is read from its run_results.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.cli_support import DATA_DIR_ENV

PROJECT_DIR = Path(__file__).resolve().parents[3] / "transform"
THROUGH_SEQ_ENV = "BLUESKY_BRONZE_THROUGH_SEQ"
TESTS_AFTER_SEQ_ENV = "BLUESKY_TESTS_AFTER_SEQ"
LOW_DISK_BYTES = 16 << 20  # below this, a dbt crash is reported as the full disk it almost surely is


@dataclass
class BuildResult:
    """What one `dbt build` did."""

    succeeded: bool = False
    models_built: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    tests_skipped: int = 0  # not run, because a model they test failed
    failures: list[str] = field(default_factory=list)  # one line per failed node or error


def build(
    data_dir: Path, after_seq: int, through_seq: int, *, full_refresh: bool, inherit_fds: tuple[int, ...] = ()
) -> BuildResult:
    """`dbt build` against the warehouse in `data_dir`, reading bronze files up to `through_seq`.

    Data tests on history-sized tables check the rows of files after `after_seq` (the batch). dbt
    unit tests are left to the test suite: they check the SQL, not the data, and cost seconds.

    `inherit_fds` are passed to the child: the refresh lock's descriptor, so that the lock stays
    held for as long as dbt runs, even if this process is killed.
    """
    work_dir = data_dir.resolve() / "dbt"
    target_dir = work_dir / "target"
    results_file = target_dir / "run_results.json"
    results_file.unlink(missing_ok=True)
    command = [
        str(Path(sys.executable).with_name("dbt")),
        "build",
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(target_dir),
        "--log-path", str(work_dir / "logs"),
        "--no-use-colors",
        "--quiet",
        "--exclude", "test_type:unit",
    ]  # fmt: skip
    if full_refresh:
        command.append("--full-refresh")
    env = (
        os.environ
        | {
            DATA_DIR_ENV: str(data_dir.resolve()),
            THROUGH_SEQ_ENV: str(through_seq),
            TESTS_AFTER_SEQ_ENV: str(after_seq),
            "DO_NOT_TRACK": "1",
        }
        | bronze_layout.sql_environment(data_dir)
    )
    completed = _run_forwarding_signals(command, env, inherit_fds)
    result = _read_results(results_file)
    result.succeeded = completed.returncode == 0 and not result.failures
    if completed.returncode != 0 and not result.failures:
        result.failures.append(_describe_crash(completed, work_dir))
    return result


def _describe_crash(completed: subprocess.CompletedProcess[str], work_dir: Path) -> str:
    """One line for a dbt run that stopped before reporting any node."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(work_dir).free < LOW_DISK_BYTES:
            return f"no space left on device for the warehouse in {work_dir.parent}"
    output = [line.strip() for line in (completed.stdout + completed.stderr).splitlines() if line.strip()]
    detail = output[-1][:300] if output else "no output"
    return f"dbt build stopped (exit code {completed.returncode}): {detail} (log: {work_dir / 'logs' / 'dbt.log'})"


def _run_forwarding_signals(
    command: list[str], env: dict[str, str], inherit_fds: tuple[int, ...]
) -> subprocess.CompletedProcess[str]:
    """Run `command`; a SIGINT/SIGTERM to this process is passed on to it, then re-raised here."""
    child = subprocess.Popen(
        command, env=env, pass_fds=inherit_fds, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    received: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stdout, stderr = child.communicate()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise KeyboardInterrupt
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


def _read_results(results_file: Path) -> BuildResult:
    result = BuildResult()
    try:
        nodes = json.loads(results_file.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return result  # dbt stopped before running anything; the caller reports its output
    for node in nodes:
        resource_type, _, name = node["unique_id"].partition(".")
        name = name.partition(".")[2]
        status, message = node["status"], _short_message(node.get("message") or "")
        if resource_type in ("test", "unit_test"):
            if status == "pass":
                result.tests_passed += 1
            elif status == "warn":
                result.tests_warned += 1
            elif status == "skipped":
                result.tests_skipped += 1
            else:
                result.tests_failed += 1
                result.failures.append(f"{resource_type} {name}: {status}: {message}")
        elif status == "success":
            result.models_built += 1
        else:
            result.failures.append(f"{resource_type} {name}: {status}{': ' + message if message else ''}")
    return result


def _short_message(text: str) -> str:
    """The first three non-empty lines of a dbt message, on one line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[:3])[:300]
