"""Runs the dbt project (seeds, models and data tests; source freshness) as a child process, sums up the outcome.

A child process, not dbt in-process: its DuckDB connection is surely closed when it exits, so the
export can open the warehouse next; and its memory goes back to the system after every refresh.
(`./periodic --follow` keeps dbt loaded instead: dbt_warm.py, the other BuildStep.)
dbt's own log is <data-dir>/dbt/logs/dbt.log; progress is read from its structured log on stdout as
it comes, the outcome from its run_results.json (sources.json for freshness).

The dbt project is transform/ of the checkout: the pipeline runs from a checkout of its repository
(its executables are scripts at the root), so the project is not shipped inside the package.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import IO, Protocol

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.cli_support import DATA_DIR_ENV
from bluesky_pipeline.refresh.engine import DBT_TARGETS, DEFAULT_ENGINE
from bluesky_pipeline.refresh.progress import BuildProgress

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
    nodes_skipped: int = 0  # models and tests dbt did not run because a node they depend on failed
    warnings: list[str] = field(default_factory=list)  # names of the data tests that warned
    failures: list[str] = field(default_factory=list)  # one line per failed node or error


@dataclass(frozen=True)
class Freshness:
    """What `dbt source freshness` said of bronze."""

    status: str  # pass, warn, error (dbt's words), or runtime error
    newest_landed_at: datetime | None  # UTC
    age_s: float | None
    message: str


class DbtProjectMissingError(Exception):
    """The dbt project is not where a checkout has it (the package was installed from a wheel)."""


class BuildStep(Protocol):
    """One `dbt build` of the bronze files up to `through_seq` (data tests on those after `after_seq`)."""

    def __call__(
        self,
        data_dir: Path,
        after_seq: int,
        through_seq: int,
        *,
        full_refresh: bool,
        progress: BuildProgress,
        inherit_fds: tuple[int, ...] = (),
    ) -> BuildResult: ...


def check_project() -> None:
    """Fail with one line when the dbt project is not beside the package, as in a wheel install."""
    if not (PROJECT_DIR / "dbt_project.yml").is_file():
        raise DbtProjectMissingError(
            f"the dbt project is not at {PROJECT_DIR}: bluesky-pipeline runs from a checkout of its "
            "repository (git clone, uv sync --frozen, ./periodic), not from an installed wheel"
        )


def log_path(data_dir: Path) -> Path:
    """dbt's own log for this data directory."""
    return data_dir / "dbt" / "logs" / "dbt.log"


def build(
    data_dir: Path,
    after_seq: int,
    through_seq: int,
    *,
    full_refresh: bool,
    progress: BuildProgress,
    inherit_fds: tuple[int, ...] = (),
    engine: str = DEFAULT_ENGINE,
) -> BuildResult:
    """`dbt build` against the warehouse in `data_dir`, reading bronze files up to `through_seq`.

    Data tests on history-sized tables check the rows of files after `after_seq` (the batch). dbt
    unit tests are left to the test suite: they check the SQL, not the data, and cost seconds.

    `inherit_fds` are passed to the child: the refresh lock's descriptor, so that the lock stays
    held for as long as dbt runs, even if this process is killed.
    """
    results_file = results_path(data_dir)
    results_file.unlink(missing_ok=True)
    command = [_dbt_executable(), *build_arguments(data_dir, full_refresh=full_refresh, engine=engine)]
    env = os.environ | build_environment(data_dir, after_seq, through_seq)
    returncode, stderr = _run_forwarding_signals(command, env, inherit_fds, progress)
    result = read_results(results_file)
    result.succeeded = returncode == 0 and not result.failures
    if returncode != 0 and not result.failures:
        result.failures.append(describe_crash(f"exit code {returncode}", [*progress.errors, *stderr], data_dir))
    return result


def build_arguments(
    data_dir: Path, *, full_refresh: bool, seeds: bool = True, engine: str = DEFAULT_ENGINE
) -> list[str]:
    """dbt's arguments for one refresh's build on `engine` (without the executable); without the seeds
    if not `seeds`."""
    excluded = ["test_type:unit"] if seeds else ["test_type:unit", "resource_type:seed"]
    arguments = [*dbt_arguments("build", data_dir, engine), "--exclude", *excluded]
    return [*arguments, "--full-refresh"] if full_refresh else arguments


def build_environment(data_dir: Path, after_seq: int, through_seq: int) -> dict[str, str]:
    """The environment variables the dbt project reads for one build."""
    return _environment(data_dir, through_seq) | {TESTS_AFTER_SEQ_ENV: str(after_seq)}


def results_path(data_dir: Path) -> Path:
    """dbt's run_results.json of the last build in `data_dir`."""
    return _target_dir(data_dir) / "run_results.json"


def freshness(
    data_dir: Path,
    through_seq: int,
    *,
    progress: BuildProgress,
    inherit_fds: tuple[int, ...] = (),
    engine: str = DEFAULT_ENGINE,
) -> Freshness:
    """`dbt source freshness` on bronze: how long ago the newest file landed, judged by the source's warn_after."""
    sources_file = _target_dir(data_dir) / "sources.json"
    sources_file.unlink(missing_ok=True)
    command = [_dbt_executable(), *dbt_arguments("source", data_dir, engine)]
    command.insert(command.index("source") + 1, "freshness")
    env = os.environ | _environment(data_dir, through_seq)
    returncode, stderr = _run_forwarding_signals(command, env, inherit_fds, progress)
    try:
        results = json.loads(sources_file.read_text())["results"]
        source = next(result for result in results if result["unique_id"].endswith(".bronze.events"))
    except (OSError, ValueError, KeyError, StopIteration):
        crash = describe_crash(f"exit code {returncode}", [*progress.errors, *stderr], data_dir)
        return Freshness("runtime error", None, None, crash)
    loaded = source.get("max_loaded_at")
    return Freshness(
        status=str(source["status"]),
        newest_landed_at=datetime.fromisoformat(loaded) if loaded else None,
        age_s=source.get("max_loaded_at_time_ago_in_s"),
        message=_short_message(str(source.get("error") or "")),
    )


def _dbt_executable() -> str:
    return str(Path(sys.executable).with_name("dbt"))


def dbt_arguments(subcommand: str, data_dir: Path, engine: str = DEFAULT_ENGINE) -> list[str]:
    """dbt's arguments for `subcommand` on the project on `engine`, with its target and logs under `data_dir`."""
    work_dir = data_dir.resolve() / "dbt"
    return [
        subcommand,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROJECT_DIR),
        "--target-path", str(_target_dir(data_dir)),
        "--log-path", str(work_dir / "logs"),
        "--no-use-colors",
        "--log-format", "json",  # one event per line on stdout, followed as it comes (progress.py)
        "--target", DBT_TARGETS[engine],
    ]  # fmt: skip


def _target_dir(data_dir: Path) -> Path:
    return data_dir.resolve() / "dbt" / "target"


def _environment(data_dir: Path, through_seq: int) -> dict[str, str]:
    return {
        DATA_DIR_ENV: str(data_dir.resolve()),
        THROUGH_SEQ_ENV: str(through_seq),
        "DO_NOT_TRACK": "1",
    } | bronze_layout.sql_environment(data_dir)  # the bronze paths and patterns, defined once


def describe_crash(how: str, output: list[str], data_dir: Path) -> str:
    """One line for a dbt run that stopped (`how`: its exit code, say) before reporting any node."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(data_dir / "dbt").free < LOW_DISK_BYTES:
            return f"no space left on device for the warehouse in {data_dir}"
    said = [line.strip() for line in output if line.strip()]
    detail = " ".join(said[-1].split())[:300] if said else "no output"
    return f"dbt stopped ({how}): {detail} (log: {log_path(data_dir)})"


def _run_forwarding_signals(
    command: list[str], env: dict[str, str], inherit_fds: tuple[int, ...], progress: BuildProgress
) -> tuple[int, list[str]]:
    """Run `command`, its stdout fed to `progress` as it comes; returns its exit code and stderr lines.

    A SIGINT/SIGTERM to this process is passed on to the child, then re-raised here.
    """
    child = subprocess.Popen(
        command, env=env, pass_fds=inherit_fds, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stderr is not None
    stderr: list[str] = []
    readers = [
        threading.Thread(target=_pump, args=(child.stdout, progress.feed), daemon=True),
        threading.Thread(target=_pump, args=(child.stderr, stderr.append), daemon=True),
    ]
    received: list[int] = []

    def forward(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for reader in readers:
            reader.start()
        while True:
            try:
                child.wait(timeout=progress.seconds_to_next_tick())
                break
            except subprocess.TimeoutExpired:
                progress.tick()
        for reader in readers:
            reader.join()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        raise KeyboardInterrupt
    return child.returncode, stderr


def _pump(stream: IO[str], sink: Callable[[str], None]) -> None:
    with stream:
        for line in stream:
            sink(line)


def read_results(results_file: Path) -> BuildResult:
    """The outcome of a build, node by node, from its run_results.json."""
    result = BuildResult()
    try:
        nodes = json.loads(results_file.read_text())["results"]
    except (OSError, ValueError, KeyError):
        return result  # dbt stopped before running anything; the caller reports its output
    for node in nodes:
        resource_type, _, name = node["unique_id"].partition(".")
        name = name.partition(".")[2].partition(".")[0]  # without the project, and a generic test's hash
        status, message = node["status"], _short_message(node.get("message") or "")
        if status == "skipped":  # a consequence of the failure that is reported: not one more line
            result.nodes_skipped += 1
        elif resource_type in ("test", "unit_test"):
            if status == "pass":
                result.tests_passed += 1
            elif status == "warn":
                result.tests_warned += 1
                result.warnings.append(name)
            else:
                result.tests_failed += 1
                result.failures.append(f"{resource_type} {name}: {status}: {message}")
        elif status == "success":
            if resource_type != "operation":  # an on-run-start hook is no model
                result.models_built += 1
        else:
            result.failures.append(f"{resource_type} {name}: {status}{': ' + message if message else ''}")
    return result


def _short_message(text: str) -> str:
    """The first three non-empty lines of a dbt message, on one line."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[:3])[:300]
