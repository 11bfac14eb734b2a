"""./periodic: bring the warehouse and every metric file up to date with what has landed, then exit.

One refresh: take the lock, find the bronze files that may be read, `dbt build` (models and data
tests), export the marts to CSV, publish the snapshot, record the run in ops.periodic_runs, print a
short summary. `--follow` keeps the lock and runs that refresh whenever files land (follow.py), with
dbt kept loaded; `--status` reads the snapshot only; `--freshness` runs dbt's source freshness.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.bronze_layout import BronzeLayoutError
from bluesky_pipeline.cli_support import ArgumentParser, CliError, data_dir_argument, metrics_dir_argument
from bluesky_pipeline.refresh import batch_parts, compaction, follow, snapshot, spark_warehouse, status, warehouse
from bluesky_pipeline.refresh.bronze_check import QuarantinedFile, check_bronze
from bluesky_pipeline.refresh.bronze_scan import BronzeScan, gap_warning, scan_bronze
from bluesky_pipeline.refresh.dbt_build import (
    BuildResult,
    BuildStep,
    DbtProjectMissingError,
    build,
    check_project,
    freshness,
    log_path,
)
from bluesky_pipeline.refresh.dbt_warm import DbtParseError, WarmDbt
from bluesky_pipeline.refresh.engine import DEFAULT_ENGINE, ENGINE_ENV, ENGINES, EngineUnavailableError, check_engine
from bluesky_pipeline.refresh.export import MetricsDirError, check_metrics_dir, export_metrics
from bluesky_pipeline.refresh.follow_report import FollowReport, RefreshOutcome
from bluesky_pipeline.refresh.lock import RefreshAlreadyRunningError, RefreshLock, RefreshLockError
from bluesky_pipeline.refresh.progress import BuildProgress

PROG = "periodic"

EPILOG = """\
examples:
  ./periodic                      refresh data/ and write metrics/*.csv
  watch -n 30 ./periodic          keep the metrics fresh while ./handle-stream runs
  ./periodic --follow             stay running: refresh as soon as files land (seconds-fresh metrics)
  ./periodic --full-refresh       rebuild silver and gold from every bronze file
  ./periodic --status             last refresh, lag, files waiting, rejected lines (never waits)
  ./periodic --freshness          dbt source freshness on bronze (waits for a running refresh)
  ./periodic --no-compact         refresh only, without this run's bronze compaction step
  ./periodic --engine spark       the same refresh on Apache Spark (uv sync --frozen --extra spark)

Safe to run while ./handle-stream is landing events: only ./periodic opens the warehouse.
A second ./periodic exits at once saying a refresh is already running (or waits, with --wait).
--follow holds that lock until stopped (Ctrl-C, SIGTERM, SIGHUP: it finishes the refresh in flight and
reads what landed meanwhile; a second signal abandons it, which the next run redoes).
Every run is recorded in ops.periodic_runs; after each run the marts, the run records and the
rejected lines are published to <data-dir>/snapshot.duckdb: query it with ./query, any time.
dbt's log: <data-dir>/dbt/logs/dbt.log.

One dbt build reads at most about BLUESKY_MAX_BATCH_LINES new lines (default 10,000,000): a backlog,
or every bronze file for --full-refresh (which first drops silver and gold), is read in parts, one
summary line each, and the metric files are written after the last part (after each with --follow).

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
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=os.environ.get(ENGINE_ENV) or DEFAULT_ENGINE,
        help=f"the engine that runs the dbt project (default: ${ENGINE_ENV}, else {DEFAULT_ENGINE}); "
        "a data directory keeps one engine's warehouse (docs/scaling-out.md)",
    )
    parser.add_argument("--wait", action="store_true", help="wait for a running refresh instead of exiting")
    parser.add_argument("--no-compact", action="store_true", help="skip this run's bronze compaction step")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from all bronze files instead of reading only what is new",
    )
    mode.add_argument(
        "--follow",
        action="store_true",
        help="keep running and refresh as soon as new bronze files land, dbt kept loaded; stop with Ctrl-C, "
        "SIGTERM or SIGHUP",
    )
    mode.add_argument(
        "--status",
        action="store_true",
        help="show the last refresh, the lag, bronze files waiting and rejected lines, from the snapshot",
    )
    mode.add_argument(
        "--freshness",
        action="store_true",
        help="run dbt source freshness on bronze (exit 1 when stale); waits for a running refresh",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir
    if args.engine not in ENGINES:  # argparse checks --engine, not a default taken from the environment
        parser.error(f"{ENGINE_ENV}={args.engine!r} is not an engine: use one of {', '.join(ENGINES)}")
    if args.status:
        try:
            return status.show(data_dir, args.metrics_dir, sys.stdout)
        except status.SnapshotUnreadableError as error:
            raise CliError(str(error)) from None
    try:
        check_project()
        check_engine(args.engine)
    except (DbtProjectMissingError, EngineUnavailableError) as error:
        raise CliError(str(error)) from None
    _prepare_data_dir(data_dir)
    with contextlib.ExitStack() as stack:
        lock = _take_lock(stack, data_dir, wait=args.wait or args.freshness)
        if lock is None:
            code = 0
        elif args.freshness:
            code = _freshness(data_dir, lock, args.engine)
        elif args.follow:
            code = _follow(data_dir, args.metrics_dir, lock, args.engine, compact=not args.no_compact)
        else:
            code = _refresh(
                data_dir,
                args.metrics_dir,
                lock,
                args.engine,
                full_refresh=args.full_refresh,
                compact=not args.no_compact,
            )
    return code


def _prepare_data_dir(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise CliError(f"data directory {data_dir} is not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CliError(f"cannot create data directory {data_dir}: {error.strerror}") from None


def _take_lock(stack: contextlib.ExitStack, data_dir: Path, *, wait: bool) -> RefreshLock | None:
    """The refresh lock, held until `stack` closes; None when another refresh holds it and not `wait`."""
    try:
        try:
            return stack.enter_context(RefreshLock(data_dir, wait=False))
        except RefreshAlreadyRunningError as running:
            if not wait:
                print(f"{PROG}: a refresh is already running (pid {running}); nothing to do")
                return None
            print(f"{PROG}: waiting for the refresh running as pid {running} to finish", file=sys.stderr, flush=True)
        return stack.enter_context(RefreshLock(data_dir, wait=True))
    except RefreshLockError as error:
        raise CliError(str(error)) from None


@dataclass
class Refresh:
    """One refresh as it goes: what it reads, what dbt did, what went wrong (one line each)."""

    started_at: datetime
    scan: BronzeScan
    engine: str = DEFAULT_ENGINE
    max_batch_lines: int = batch_parts.DEFAULT_MAX_BATCH_LINES
    full_refresh: bool = False  # a part of a full refresh: the first builds with dbt's --full-refresh
    following: bool = False  # --follow: every part is exported, as every refresh is
    part: int = 1  # a backlog is read in parts (batch_parts.py), part 1 of `parts`
    parts: int = 1  # known once the batch's start is
    after_seq: int = 0
    result: BuildResult = field(default_factory=BuildResult)
    counts: warehouse.BatchCounts = field(default_factory=warehouse.BatchCounts)
    failures: list[str] = field(default_factory=list)
    quarantined: list[QuarantinedFile] = field(default_factory=list)
    read_through: int = 0  # what every model has read once dbt ran: compaction may merge up to there
    notes: list[str] = field(default_factory=list)  # for the summary: quarantine, compaction

    @property
    def exports(self) -> bool:
        """Whether the metrics and the snapshot follow this part (a one-shot's parts but the last do not)."""
        return self.following or self.part == self.parts

    def record(self) -> warehouse.RunRecord:
        result = self.result
        return warehouse.RunRecord(
            started_at=self.started_at,
            finished_at=datetime.now(UTC),
            status="failed" if self.failures else "success",
            through_seq=self.scan.through_seq,
            counts=self.counts,
            models_built=result.models_built,
            tests_passed=result.tests_passed,
            tests_failed=result.tests_failed,
            tests_warned=result.tests_warned,
            warnings=tuple(result.warnings),
            message="; ".join([file.describe() for file in self.quarantined] + self.failures),
            quarantined_files=len(self.quarantined),
        )


def _refresh(
    data_dir: Path, metrics_dir: Path, lock: RefreshLock, engine: str, *, full_refresh: bool, compact: bool
) -> int:
    limits = _recover_compaction(data_dir)
    max_batch_lines = _max_batch_lines()
    scan = _scan_bronze(data_dir)
    if scan is None:
        return 0
    _check_metrics_dir(metrics_dir)
    if full_refresh:
        _reset_warehouse(data_dir, engine)
    progress = BuildProgress(sys.stderr, PROG, live=sys.stderr.isatty())
    part, parts = 1, 1
    while part <= parts:  # the first part tells how many there are
        started = time.monotonic()
        refresh = Refresh(
            started_at=datetime.now(UTC),
            scan=scan,
            max_batch_lines=max_batch_lines,
            engine=engine,
            full_refresh=full_refresh,
            part=part,
        )
        compaction_error = _run_steps(
            data_dir,
            metrics_dir,
            refresh,
            lock=lock,
            progress=progress,
            build_step=functools.partial(build, engine=engine),
            limits=limits,
            compact=compact,
        )
        print(_summary(refresh, time.monotonic() - started, metrics_dir), flush=True)
        code = _report_failures(refresh)
        if compaction_error:
            print(f"{PROG}: error: {compaction_error}", file=sys.stderr)
            code = 1
        if code:
            return code
        part, parts = part + 1, refresh.parts
    return 0


def _max_batch_lines() -> int:
    try:
        return batch_parts.max_batch_lines_from_environment()
    except batch_parts.BatchSettingError as error:
        raise CliError(str(error)) from None


def _reset_warehouse(data_dir: Path, engine: str) -> None:
    try:
        warehouse.reset(data_dir, engine)
    except (duckdb.Error, OSError) as error:
        raise CliError(f"cannot reset the warehouse in {data_dir} for a full refresh: {_first_line(error)}") from None


def _run_steps(
    data_dir: Path,
    metrics_dir: Path,
    refresh: Refresh,
    *,
    lock: RefreshLock,
    progress: BuildProgress,
    build_step: BuildStep,
    limits: compaction.CompactionLimits,
    compact: bool,
) -> str | None:
    """The steps of every refresh, one-shot or followed: batch start, quarantine, the part to read, build,
    export, publish, record, then a compaction step after the exported ones if `compact`; the
    compaction's error, if any."""
    refresh.after_seq = _batch_start(data_dir, refresh)
    if not refresh.failures:
        _quarantine_bad_files(data_dir, refresh)
        _take_part(data_dir, refresh)
        _clear_unfinished_writes(data_dir, refresh)
    if not refresh.failures:
        _build(data_dir, refresh, lock, progress, build_step)
    _finish(data_dir, metrics_dir, refresh, progress)
    # After the run is recorded: a step cut short (kill -9) costs only the step, which the next run redoes.
    return _compact(data_dir, refresh, limits) if compact and refresh.exports and not refresh.failures else None


def _clear_unfinished_writes(data_dir: Path, refresh: Refresh) -> None:
    """On Spark, what a killed build left half-written goes first (spark_warehouse.py)."""
    if refresh.engine != "spark":
        return
    try:
        spark_warehouse.clear_unfinished_writes(data_dir)
    except OSError as error:
        refresh.failures.append(f"cannot clear what a cut-short Spark build left in {data_dir}: {error.strerror}")


def _take_part(data_dir: Path, refresh: Refresh) -> None:
    """Read only the first part of the new files when they hold more than one build should."""
    try:
        ends = batch_parts.part_ends(data_dir, refresh.after_seq, refresh.scan.through_seq, refresh.max_batch_lines)
    except OSError as error:
        raise CliError(f"cannot read the bronze files in {data_dir}: {error}") from None
    refresh.scan = replace(refresh.scan, through_seq=ends[0])
    refresh.parts = refresh.part + len(ends) - 1


def _follow(data_dir: Path, metrics_dir: Path, lock: RefreshLock, engine: str, *, compact: bool) -> int:
    """./periodic --follow: the refresh above whenever bronze files land, with dbt loaded once (and on
    Spark, its session kept)."""
    dbt = WarmDbt(data_dir, engine)
    report = FollowReport(sys.stdout, sys.stderr, PROG)
    limits = _recover_compaction(data_dir)  # later steps are finished or undone by this process itself
    max_batch_lines = _max_batch_lines()

    def load() -> None:
        try:
            dbt.load()
        except DbtParseError as error:
            raise CliError(str(error)) from None

    def refresh_step(scan: BronzeScan) -> RefreshOutcome:
        started = time.monotonic()
        refresh = Refresh(
            started_at=datetime.now(UTC), scan=scan, engine=engine, max_batch_lines=max_batch_lines, following=True
        )
        try:
            check_metrics_dir(metrics_dir)
        except MetricsDirError as error:
            refresh.failures.append(str(error))  # no build, but the failed run is recorded and published
        progress = BuildProgress(report.progress_sink(), PROG, live=False)
        try:
            compaction_error = _run_steps(
                data_dir,
                metrics_dir,
                refresh,
                lock=lock,
                progress=progress,
                build_step=dbt.build,
                limits=limits,
                compact=compact,
            )
        except CliError as error:  # the bronze files could not be checked: this refresh fails, the next tries
            refresh.failures.append(str(error))
            compaction_error = None
        seconds = time.monotonic() - started
        counts = refresh.counts
        compaction_lines = [f"{PROG}: error: {compaction_error}"] if compaction_error else []
        return RefreshOutcome(
            through_seq=refresh.scan.through_seq,
            events=counts.events,
            new_events=counts.new_events,
            rejected=counts.rejected,
            seconds=seconds,
            summary=_summary(refresh, seconds, metrics_dir),
            failure_lines=(*_failure_lines(refresh), *compaction_lines),
        )

    try:
        return follow.follow(data_dir, load, refresh_step, report)
    except follow.BronzeDirError as error:
        raise CliError(str(error)) from None


def _recover_compaction(data_dir: Path) -> compaction.CompactionLimits:
    """The compaction settings, once a step cut short by the last run is finished or undone."""
    try:
        limits = compaction.CompactionLimits.from_environment()
        compaction.recover(data_dir)
    except (compaction.CompactionError, BronzeLayoutError) as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot finish the last compaction step in {data_dir}: {error.strerror}") from None
    return limits


def _quarantine_bad_files(data_dir: Path, refresh: Refresh) -> None:
    """Check the bronze files this refresh is about to read; one error line per file quarantined."""
    try:
        checked = check_bronze(data_dir, refresh.after_seq)
    except BronzeLayoutError as error:
        raise CliError(str(error)) from None
    except OSError as error:
        raise CliError(f"cannot check the bronze files in {data_dir}: {error.strerror}") from None
    for quarantined in checked.quarantined:
        print(f"{PROG}: error: {quarantined.describe()}", file=sys.stderr)
    if checked.quarantined:
        refresh.notes.append(f"{len(checked.quarantined)} bronze file(s) quarantined")
    refresh.scan, refresh.quarantined = checked.scan, checked.quarantined


def _compact(data_dir: Path, refresh: Refresh, limits: compaction.CompactionLimits) -> str | None:
    """One compaction step of what every model has read, noted for the summary; its error, if any."""
    try:
        step = compaction.compact_once(data_dir, refresh.read_through, limits)
    except compaction.CompactionError as error:
        return str(error)
    if step:
        refresh.notes.append(step.describe())
    return None


def _scan_bronze(data_dir: Path) -> BronzeScan | None:
    """The bronze files that may be read; None (having said so) when nothing has landed at all."""
    scan = scan_bronze(data_dir)
    if scan.through_seq == 0 and scan.first_missing_seq is None:
        print(
            f"{PROG}: no bronze files in {bronze_layout.events_dir(data_dir)}: nothing has landed there yet "
            f"(./handle-stream --data-dir {data_dir} writes them); nothing to refresh"
        )
        return None
    gap = gap_warning(scan)
    if gap:
        print(f"{PROG}: warning: {gap}", file=sys.stderr)
    return scan


def _check_metrics_dir(metrics_dir: Path) -> None:
    try:
        check_metrics_dir(metrics_dir)
    except MetricsDirError as error:
        raise CliError(str(error)) from None


def _batch_start(data_dir: Path, refresh: Refresh) -> int:
    """The last bronze file already staged (0 after a full refresh's reset), or a failure when the
    warehouse is locked."""
    try:
        if refresh.engine == "duckdb":
            warehouse.drop_transit_if_read(data_dir)
        with warehouse.connect(data_dir, refresh.engine) as connection:
            return warehouse.staged_through(connection)
    except (duckdb.Error, OSError) as error:  # (OSError: the Spark tables cannot be listed)
        refresh.failures.append(f"cannot open the warehouse in {data_dir}: {_first_line(error)}")
        return 0


def _build(
    data_dir: Path,
    refresh: Refresh,
    lock: RefreshLock,
    progress: BuildProgress,
    build_step: BuildStep,
) -> None:
    scan, after_seq = refresh.scan, refresh.after_seq
    new_files = f"bronze files #{after_seq + 1}-#{scan.through_seq}" if scan.through_seq > after_seq else "no new file"
    progress.begin(f"{_part_label(refresh)}dbt build of {new_files}; dbt's log: {log_path(data_dir)}")
    refresh.result = build_step(
        data_dir,
        after_seq,
        scan.through_seq,
        full_refresh=refresh.full_refresh and refresh.part == 1,
        progress=progress,
        inherit_fds=(lock.fd,),
    )
    refresh.failures.extend(refresh.result.failures)


def _finish(data_dir: Path, metrics_dir: Path, refresh: Refresh, progress: BuildProgress) -> None:
    """Export the metrics, publish the snapshot and record the run: whatever part of it still can be done.
    A one-shot's earlier parts only record their run: the metrics and the snapshot follow its last."""
    succeeded = refresh.result.succeeded
    publishing = refresh.exports or bool(refresh.failures)
    try:
        with warehouse.connect(data_dir, refresh.engine) as connection:
            through = refresh.scan.through_seq if succeeded else refresh.after_seq
            refresh.counts = warehouse.batch_counts(connection, refresh.after_seq, through)
            if succeeded and refresh.engine == "duckdb":  # (Spark's tables are views here: no row counts to read)
                progress.rows(lambda: warehouse.batch_rows(connection, refresh.after_seq, refresh.scan.through_seq))
            if succeeded and refresh.exports:
                _export(connection, metrics_dir, refresh)
            if publishing:
                # Rebuilt from the warehouse after several parts: the batch alone is only the last part.
                rebuild = refresh.full_refresh or (refresh.part > 1 and not refresh.following)
                _publish(connection, data_dir, refresh, refreshed=succeeded, rebuild=rebuild)
            refresh.read_through = compaction.readable_through(connection)
            warehouse.record_run(connection, refresh.record())
    except (duckdb.Error, OSError) as error:
        if not refresh.failures:
            refresh.failures.append(f"cannot record the run in the warehouse: {_first_line(error)}")
        # The warehouse cannot be read (held open by someone, a full disk): publish the failed run alone,
        # so that ./periodic --status tells what is wrong.
        with warehouse.open_duckdb() as memory:
            _publish(memory, data_dir, refresh, refreshed=False, rebuild=False)


def _export(connection: duckdb.DuckDBPyConnection, metrics_dir: Path, refresh: Refresh) -> None:
    try:
        export_metrics(connection, metrics_dir)
    except OSError as error:
        refresh.failures.append(f"cannot write metrics to {metrics_dir}: {error.strerror}")


def _publish(
    connection: duckdb.DuckDBPyConnection, data_dir: Path, refresh: Refresh, *, refreshed: bool, rebuild: bool
) -> None:
    try:
        snapshot.publish(connection, data_dir, refresh.record(), refreshed=refreshed, rebuild=rebuild)
    except (OSError, duckdb.Error) as error:
        detail = error.strerror if isinstance(error, OSError) else _first_line(error)
        if not refresh.failures:  # after a failure, most likely for the same reason: said once
            refresh.failures.append(f"cannot publish {snapshot.snapshot_path(data_dir)}: {detail}")


def _freshness(data_dir: Path, lock: RefreshLock, engine: str) -> int:
    scan = _scan_bronze(data_dir)
    if scan is None:
        return 1
    progress = BuildProgress(sys.stderr, PROG, live=False)
    checked = freshness(data_dir, scan.through_seq, progress=progress, inherit_fds=(lock.fd,), engine=engine)
    if checked.newest_landed_at is None or checked.age_s is None:
        raise CliError(f"bronze freshness could not be checked: {checked.message}")
    landed = checked.newest_landed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    print(
        f"{PROG}: bronze freshness: {checked.status}: the newest bronze file landed at {landed} UTC, "
        f"{status.format_age(checked.age_s)} ago"
    )
    return 0 if checked.status == "pass" else 1


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _summary(refresh: Refresh, seconds: float, metrics_dir: Path) -> str:
    """The summary line of one refresh."""
    counts, result = refresh.counts, refresh.result
    repeats = counts.events - counts.new_events
    tests = f"{result.tests_passed} passed, {result.tests_failed} failed"
    if result.warnings:
        tests += f", {len(result.warnings)} warned ({', '.join(result.warnings)})"
    part = _part_label(refresh)
    return (
        f"{PROG}: {part}{counts.new_events:,} new events ({repeats:,} repeats), {counts.rejected:,} rejected lines, "
        f"{counts.blank:,} blank; data tests {tests}; {''.join(note + '; ' for note in refresh.notes)}{seconds:.1f} s"
        + ("" if refresh.failures or not refresh.exports else f"; metrics in {metrics_dir}/")
    )


def _part_label(refresh: Refresh) -> str:
    if refresh.parts == 1:
        return ""
    if refresh.following:
        return f"backlog, {refresh.parts - 1} more part(s) after this one: "
    return f"{'full refresh' if refresh.full_refresh else 'backlog'}, part {refresh.part} of {refresh.parts}: "


def _report_failures(refresh: Refresh) -> int:
    """One line per failure on stderr, then what was kept; the exit code."""
    lines = _failure_lines(refresh)
    for line in lines:
        print(line, file=sys.stderr)
    return 1 if lines else 0


def _failure_lines(refresh: Refresh) -> list[str]:
    if not refresh.failures:
        return []
    nodes_skipped = refresh.result.nodes_skipped
    skipped = f" ({nodes_skipped} dbt nodes after it skipped)" if nodes_skipped else ""
    return [
        *(f"{PROG}: error: {failure}" for failure in refresh.failures),
        f"{PROG}: refresh failed{skipped}; the previous metric files are left in place",
    ]
