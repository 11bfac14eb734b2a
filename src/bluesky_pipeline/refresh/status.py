"""./periodic --status: the pipeline's health at a glance, from the published snapshot and the file system.

Reads only the snapshot (read-only), the bronze directory listing and the metric files: it never
takes the refresh lock or opens the warehouse, so it never waits for a refresh nor holds one up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import duckdb

from bluesky_pipeline.refresh import snapshot, warehouse
from bluesky_pipeline.refresh.bronze_scan import scan_bronze
from bluesky_pipeline.refresh.lock import running_holder
from bluesky_pipeline.refresh.metric_files import METRICS

EXIT_HEALTHY = 0
EXIT_UNHEALTHY = 1  # no refresh published yet, or the last refresh failed


class SnapshotUnreadableError(Exception):
    """The published snapshot is missing or cannot be read; the message says which."""


def show(data_dir: Path, metrics_dir: Path, out: TextIO) -> int:
    """Print the status report; exit code 0 when the last refresh succeeded, 1 otherwise."""
    try:
        with snapshot.open_snapshot(data_dir) as connection:
            info = snapshot.read_info(connection)
            last_run = connection.execute(
                f"select * from {warehouse.RUNS_TABLE} order by started_at desc limit 1"
            ).fetchone()
            columns = [column[0] for column in connection.description or ()]
            reasons = (
                connection.execute(
                    f"select reject_reason, lines from {snapshot.REASONS_TABLE} order by lines desc, reject_reason"
                ).fetchall()
                if info.data_refreshed_at
                else []
            )
    except snapshot.SnapshotMissingError as error:
        raise SnapshotUnreadableError(f"{error}; run ./periodic once") from None
    except duckdb.Error as error:
        detail = str(error).strip().splitlines()[0]
        raise SnapshotUnreadableError(f"cannot read {snapshot.snapshot_path(data_dir)}: {detail}") from None
    now = datetime.now(UTC).replace(tzinfo=None)
    run = dict(zip(columns, last_run, strict=True)) if last_run else {}
    lines = [
        ("last refresh", _describe_run(run, now)),
        ("running now", _describe_running(data_dir)),
        ("newest event", _describe_newest(info.newest_event_at, now, "event time, taken as UTC")),
        ("newest landed", _describe_newest(info.newest_landed_at, now, "commit time of the newest bronze file read")),
        ("bronze waiting", _describe_waiting(data_dir, info.through_seq)),
        ("rejected lines", _describe_rejected(info.rejected_lines, reasons)),
        ("metrics", _describe_metrics(metrics_dir, now)),
        ("snapshot", f"{snapshot.snapshot_path(data_dir)}, published {_ago(info.published_at, now)} (./query)"),
    ]
    width = max(len(label) for label, _ in lines)
    for label, text in lines:
        out.write(f"{label + ':':<{width + 1}} {text}\n")
    return EXIT_HEALTHY if run.get("status") == "success" else EXIT_UNHEALTHY


def format_age(seconds: float) -> str:
    """A duration the way a person says it: 42 s, 3.5 min, 2.1 h, 3.0 days."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def _ago(moment: datetime, now: datetime) -> str:
    seconds = (now - moment).total_seconds()
    when = f"{moment:%Y-%m-%d %H:%M:%S} UTC"
    return f"{when} ({format_age(seconds)} ago)" if seconds >= 0 else f"{when} (in the future)"


def _describe_run(run: dict[str, object], now: datetime) -> str:
    if not run:
        return "none recorded"
    finished_at, started_at = run["finished_at"], run["started_at"]
    assert isinstance(finished_at, datetime)
    assert isinstance(started_at, datetime)
    seconds = (finished_at - started_at).total_seconds()
    text = (
        f"{run['status']}, {_ago(finished_at, now)}, took {seconds:.1f} s; {run['new_events']:,} new events, "
        f"{run['rejected_lines']:,} rejected lines; "
        f"data tests {run['tests_passed']} passed, {run['tests_failed']} failed"
    )
    warnings = run.get("warnings") or []
    assert isinstance(warnings, list)
    if warnings:
        text += f", {len(warnings)} warned ({', '.join(warnings)})"
    if run.get("message"):
        text += f"; error: {run['message']}"
    return text


def _describe_running(data_dir: Path) -> str:
    pid = running_holder(data_dir)
    return f"a refresh is running (pid {pid})" if pid else "no refresh"


def _describe_newest(moment: datetime | None, now: datetime, what: str) -> str:
    if moment is None:
        return "none yet"
    return f"{moment:%Y-%m-%d %H:%M:%S} (lag {format_age((now - moment).total_seconds())}; {what})"


def _describe_waiting(data_dir: Path, through_seq: int) -> str:
    scan = scan_bronze(data_dir)
    waiting = scan.through_seq - through_seq
    files = f"{waiting:,} file{'s' if waiting > 1 else ''} (#{through_seq + 1}-#{scan.through_seq})"
    text = (
        f"{files} landed since the last refresh" if waiting > 0 else "none: every committed bronze file has been read"
    )
    if scan.first_missing_seq is not None:
        text += f"; file #{scan.first_missing_seq} is missing, later files wait for it"
    return text


def _describe_rejected(total: int, reasons: list[tuple[str, int]]) -> str:
    if not total:
        return "none"
    return f"{total:,} in all: " + ", ".join(f"{reason} {lines:,}" for reason, lines in reasons)


def _describe_metrics(metrics_dir: Path, now: datetime) -> str:
    files, newest = [], None
    for metric in METRICS:
        path = metrics_dir / metric.name
        try:
            rows = path.read_bytes().count(b"\n") - 1
            written = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
        except OSError:
            files.append(f"{metric.name} missing")
            continue
        files.append(f"{metric.name} {rows:,} rows")
        newest = written if newest is None else max(newest, written)
    if newest is None:
        return f"none in {metrics_dir}/"
    return f"in {metrics_dir}/, written {_ago(newest, now)}: " + ", ".join(files)
