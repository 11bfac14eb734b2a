"""./periodic: bring the warehouse and every metric file up to date with what has landed, then exit.

One refresh: take the lock, find the bronze files that may be read, `dbt build` (models and data
tests), export the marts to CSV, record the run in ops.periodic_runs, print a short summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import duckdb

from bluesky_pipeline.bronze_layout import BronzeLayoutError
from bluesky_pipeline.cli_support import ArgumentParser, CliError, data_dir_argument, metrics_dir_argument
from bluesky_pipeline.refresh import compaction, warehouse
from bluesky_pipeline.refresh.bronze_check import CheckedBronze, check_bronze
from bluesky_pipeline.refresh.dbt_build import BuildResult, build
from bluesky_pipeline.refresh.export import export_metrics
from bluesky_pipeline.refresh.lock import RefreshAlreadyRunningError, RefreshLock

PROG = "periodic"

EPILOG = """\
examples:
  ./periodic                      refresh data/ and write metrics/*.csv
  watch -n 30 ./periodic          keep the metrics fresh while ./handle-stream runs
  ./periodic --full-refresh       rebuild silver and gold from every bronze file
  ./periodic --no-compact         refresh only, without this run's bronze compaction step

Safe to run while ./handle-stream is landing events: only ./periodic opens the warehouse.
A second ./periodic exits at once saying a refresh is already running (or waits, with --wait).
Every run is recorded in the warehouse table ops.periodic_runs.

After a successful refresh, one compaction step merges small bronze files that every model has read
(data/bronze/events/) into one file in data/bronze/compacted/: at most BLUESKY_COMPACT_MAX_FILES
files (default 3600) and BLUESKY_COMPACT_MAX_MB of them (default 320). The summary line says when it
ran; --no-compact skips it. A bronze file that is damaged or not bronze is moved to
data/bronze/quarantine/, named in an error line, and the refresh goes on with the others.
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Refresh the warehouse (dbt: silver and gold, with data tests) and the metric CSVs.",
        epilog=EPILOG,
    )
    data_dir_argument(parser)
    metrics_dir_argument(parser)
    parser.add_argument("--wait", action="store_true", help="wait for a running refresh instead of exiting")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from all bronze files instead of reading only what is new",
    )
    parser.add_argument("--no-compact", action="store_true", help="skip this run's bronze compaction step")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    data_dir: Path = args.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create data directory {data_dir}: {error.strerror}") from None
    try:
        with RefreshLock(data_dir, wait=args.wait) as lock:
            return _refresh(
                data_dir, args.metrics_dir, lock, full_refresh=args.full_refresh, compact=not args.no_compact
            )
    except RefreshAlreadyRunningError as running:
        print(f"{PROG}: a refresh is already running (pid {running}); nothing to do")
        return 0


def _refresh(data_dir: Path, metrics_dir: Path, lock: RefreshLock, *, full_refresh: bool, compact: bool) -> int:
    started_at, started = datetime.now(), time.monotonic()
    try:
        limits = compaction.CompactionLimits.from_environment()
        compaction.recover(data_dir)
    except (compaction.CompactionError, BronzeLayoutError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot finish the last compaction step in {data_dir}: {error.strerror}") from None
    try:
        warehouse.drop_transit_if_read(data_dir, rebuilding=full_refresh)
        with warehouse.connect(data_dir) as connection:
            after_seq = 0 if full_refresh else warehouse.staged_through(connection)
    except duckdb.Error as error:
        raise CliError(f"cannot open the warehouse in {data_dir}: {_first_line(error)}") from None
    checked = _check_bronze(data_dir, after_seq)
    scan = checked.scan
    notes = [f"{len(checked.quarantined)} bronze file(s) quarantined"] if checked.quarantined else []
    result = build(data_dir, after_seq, scan.through_seq, full_refresh=full_refresh, inherit_fds=(lock.fd,))
    failures = list(result.failures)
    counts = warehouse.BatchCounts()
    read_through = 0  # what every model has read: compaction may merge up to there
    try:
        with warehouse.connect(data_dir) as connection:
            counts = warehouse.batch_counts(connection, after_seq, scan.through_seq if result.succeeded else after_seq)
            if result.succeeded:
                try:
                    export_metrics(connection, metrics_dir)
                except OSError as error:
                    failures.append(f"cannot write metrics to {metrics_dir}: {error.strerror}")
            read_through = compaction.readable_through(connection)
            warehouse.record_run(
                connection,
                warehouse.RunRecord(
                    started_at=started_at,
                    finished_at=datetime.now(),
                    status="failed" if failures else "success",
                    through_seq=scan.through_seq,
                    counts=counts,
                    models_built=result.models_built,
                    tests_passed=result.tests_passed,
                    tests_failed=result.tests_failed,
                    message="; ".join([q.describe() for q in checked.quarantined] + failures),
                    quarantined_files=len(checked.quarantined),
                ),
            )
    except duckdb.Error as error:
        if not failures:
            failures.append(f"cannot record the run in the warehouse: {_first_line(error)}")
        else:  # the refresh already failed, most likely for the same reason: say it once
            print(f"{PROG}: the failed run could not be recorded in the warehouse either", file=sys.stderr)
    # After the run is recorded: a step cut short (kill -9) costs only the step, which the next run redoes.
    compaction_error = _compact(data_dir, read_through, limits, notes) if compact and not failures else None
    _print_summary(counts, result, notes, time.monotonic() - started, None if failures else metrics_dir)
    if failures:
        for failure in failures:
            print(f"{PROG}: error: {failure}", file=sys.stderr)
        print(f"{PROG}: refresh failed; the previous metric files are left in place", file=sys.stderr)
        return 1
    if compaction_error:
        print(f"{PROG}: error: {compaction_error}", file=sys.stderr)
        return 1
    return 0


def _check_bronze(data_dir: Path, after_seq: int) -> CheckedBronze:
    """The bronze files this refresh reads, with one error line per file quarantined."""
    try:
        checked = check_bronze(data_dir, after_seq)
    except BronzeLayoutError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot check the bronze files in {data_dir}: {error.strerror}") from None
    for quarantined in checked.quarantined:
        print(f"{PROG}: error: {quarantined.describe()}", file=sys.stderr)
    scan = checked.scan
    if scan.first_missing_seq is not None:
        print(
            f"{PROG}: warning: bronze file #{scan.first_missing_seq} is missing; "
            f"reading up to #{scan.through_seq} until it appears",
            file=sys.stderr,
        )
    return checked


def _compact(data_dir: Path, read_through: int, limits: compaction.CompactionLimits, notes: list[str]) -> str | None:
    """One compaction step of what every model has read, noted for the summary; its error, if any."""
    try:
        step = compaction.compact_once(data_dir, read_through, limits)
    except compaction.CompactionError as error:
        return str(error)
    if step:
        notes.append(step.describe())
    return None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _print_summary(
    counts: warehouse.BatchCounts, result: BuildResult, notes: list[str], seconds: float, metrics_dir: Path | None
) -> None:
    repeats = counts.events - counts.new_events
    tests = f"{result.tests_passed} passed, {result.tests_failed} failed"
    if result.tests_warned:
        tests += f", {result.tests_warned} warned"
    if result.tests_skipped:
        tests += f", {result.tests_skipped} skipped"
    print(
        f"{PROG}: {counts.new_events:,} new events ({repeats:,} repeats), {counts.rejected:,} rejected lines, "
        f"{counts.blank:,} blank; data tests {tests}; {''.join(note + '; ' for note in notes)}{seconds:.1f} s"
        + (f"; metrics in {metrics_dir}/" if metrics_dir else "")
    )
