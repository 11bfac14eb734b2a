"""The published snapshot: after every refresh, the marts, run records and rejected lines in a read-only file.

`<data-dir>/snapshot.duckdb` is what people query (./query, ./periodic --status) instead of the warehouse,
which only ./periodic may open. It is replaced atomically (written aside, fsynced, renamed): a reader
that holds the old file open keeps reading it, and never blocks the next publish (nor is blocked by it).

What it holds, and why its cost per refresh is bounded, not growing with history:
- `gold.<mart>` of every metric file: copies of the marts (small by definition: 10 rows, one row a
  minute, the fast likers).
- `silver.int_lines_rejected`: the newest REJECTED_LINES_KEPT rejected lines, each cut to its first
  REJECTED_LINE_BYTES_KEPT bytes (`line_bytes` is its stored size), with its reason: the previous
  snapshot's rows plus this refresh's, trimmed. The warehouse keeps every rejected line whole.
- `silver.rejected_lines_by_reason`: every rejected line of history counted by reason, the previous
  snapshot's counts plus this refresh's.
- `ops.periodic_runs`: the newest RUNS_KEPT run records (UTC times).
- `ops.snapshot`: one row: when it was published, the last bronze file its data covers, the newest event
  and landing times, the rejected lines of history (again: previous values plus this refresh's).
The batch is read by bronze file number from models that hold it right after the build (silver may
keep a table only until its children have read it); the rejected lines from the dead-letter model.
After a failed refresh the snapshot keeps the previous data and gains the failed run's record. A full
refresh, a first publish, or a previous snapshot that cannot be read rebuilds it from the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bluesky_pipeline import durable
from bluesky_pipeline.refresh import warehouse
from bluesky_pipeline.refresh.metric_files import METRICS

SNAPSHOT_FILE = "snapshot.duckdb"
FORMAT_VERSION = 1  # bumped when the snapshot's tables change: an older snapshot is then rebuilt
REJECTED_LINES_KEPT = 10_000
REJECTED_LINE_BYTES_KEPT = 1_000
RUNS_KEPT = 10_000
INFO_TABLE = "ops.snapshot"
REJECTED_TABLE = "silver.int_lines_rejected"
REASONS_TABLE = "silver.rejected_lines_by_reason"


class SnapshotMissingError(Exception):
    """No snapshot has been published in this data directory yet."""


@dataclass(frozen=True)
class SnapshotInfo:
    """The `ops.snapshot` row: what a snapshot covers."""

    published_at: datetime  # UTC
    data_refreshed_at: datetime | None  # UTC time of the successful refresh its data comes from
    through_seq: int  # its data covers bronze files up to this one (0: none yet)
    newest_event_at: datetime | None  # event time, as the events carry it
    newest_landed_at: datetime | None  # UTC commit time of the newest bronze file read
    rejected_lines: int


INFO_COLUMNS = (
    "format_version integer not null",
    "published_at timestamp not null",
    "data_refreshed_at timestamp",
    "through_seq bigint not null",
    "newest_event_at timestamp",
    "newest_landed_at timestamp",
    "rejected_lines bigint not null",
)


def snapshot_path(data_dir: Path) -> Path:
    return data_dir / SNAPSHOT_FILE


def open_snapshot(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published snapshot: it never blocks, nor waits for, a refresh."""
    path = snapshot_path(data_dir)
    if not path.is_file():
        raise SnapshotMissingError(f"no snapshot in {data_dir} yet: it is published by each ./periodic")
    return warehouse.open_duckdb(str(path), read_only=True)


def read_info(connection: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    """The `ops.snapshot` row of the snapshot `connection` is on."""
    info = _read_info(connection, INFO_TABLE)
    assert info is not None
    return info


def publish(
    connection: duckdb.DuckDBPyConnection,
    data_dir: Path,
    run: warehouse.RunRecord,
    *,
    refreshed: bool,
    rebuild: bool = False,
) -> None:
    """Publish a new snapshot of `data_dir`, with `run` as its newest run record.

    `connection` is on the warehouse, or in memory when the warehouse cannot be opened. `refreshed`:
    the refresh succeeded, so the data is taken from the warehouse (the bronze files up to
    `run.through_seq`); otherwise it is carried over from the previous snapshot. `rebuild`: ignore the
    previous snapshot's data (a full refresh).
    """
    path = snapshot_path(data_dir)
    source = _current_catalog(connection) if refreshed else None

    def write(temp_path: Path) -> None:
        temp_wal = temp_path.with_name(temp_path.name + ".wal")
        temp_wal.unlink(missing_ok=True)
        connection.execute(f"attach {_literal(temp_path)} as fresh")
        has_previous = False
        try:
            has_previous = _attach_previous(connection, path)
            previous = _read_info(connection, f"previous.{INFO_TABLE}") if has_previous else None
            if source is not None:
                # Incremental on the previous snapshot, unless it covers more than the warehouse (reset).
                usable = not rebuild and previous is not None and previous.through_seq <= run.through_seq
                _publish_data(connection, source, previous if usable else None, run)
            elif previous is not None:
                _carry_data_over(connection, run.finished_at)
            _publish_runs(connection, has_previous, run, source)
            if source is None and previous is None:
                _write_info(connection, _empty_info(run.finished_at))
            _describe_tables(connection)
        finally:
            connection.execute("detach fresh")
            if has_previous:
                connection.execute("detach previous")
            temp_wal.unlink(missing_ok=True)

    durable.replace_atomically(path, write)


def _publish_data(
    connection: duckdb.DuckDBPyConnection, source: str, previous: SnapshotInfo | None, run: warehouse.RunRecord
) -> None:
    """The marts from the warehouse; rejected lines and counts: the previous snapshot's plus the new batch's."""
    after_seq, through_seq = (previous.through_seq if previous else 0), run.through_seq
    batch = f"file_seq > {after_seq} and file_seq <= {through_seq}"
    _copy_marts(connection, source)
    connection.execute("create schema fresh.silver")
    cut = REJECTED_LINE_BYTES_KEPT
    kept_before = f"select * from previous.{REJECTED_TABLE} union all by name " if previous else ""
    connection.execute(
        f"""
        create table fresh.{REJECTED_TABLE} as
        with newest as (
            {kept_before}
            select
                file_seq,
                line_no,
                landed_at,
                reject_reason,
                case
                    when octet_length(rejected_line) <= {cut} then rejected_line
                    else unhex(left(hex(rejected_line), {2 * cut}))
                end as rejected_line,
                octet_length(rejected_line) as line_bytes
            from {source}.{REJECTED_TABLE}
            where {batch}
            order by file_seq desc, line_no desc
            limit {REJECTED_LINES_KEPT}
        )
        select * from newest order by file_seq, line_no
        """
    )
    counted_before = f"select * from previous.{REASONS_TABLE} union all " if previous else ""
    connection.execute(
        f"""
        create table fresh.{REASONS_TABLE} as
        with counts as (
            {counted_before}
            select reject_reason, count(*) as lines, max(landed_at) as last_landed_at
            from {source}.{REJECTED_TABLE}
            where {batch}
            group by reject_reason
        )
        select reject_reason, sum(lines)::bigint as lines, max(last_landed_at) as last_landed_at
        from counts
        group by reject_reason
        order by lines desc, reject_reason
        """
    )
    landed = connection.execute(
        f"select max(landed_at) from {warehouse.TRANSIT_ALIAS}.silver.{warehouse.STAGING_MODEL} where {batch}"
    ).fetchone()
    # The newest event time landed so far: the stream clock recorded with int_stream_blocks' watermark.
    events = connection.execute(
        f"select max(newest_event_at) from {source}.silver.watermarks where model_name = ?",
        [warehouse.STREAM_CLOCK_MODEL],
    ).fetchone()
    rejected = connection.execute(f"select count(*) from {source}.{REJECTED_TABLE} where {batch}").fetchone()
    assert landed is not None
    assert events is not None
    assert rejected is not None
    base = previous or _empty_info(run.finished_at)
    _write_info(
        connection,
        SnapshotInfo(
            published_at=run.finished_at,
            data_refreshed_at=run.finished_at,
            through_seq=through_seq,
            newest_event_at=_latest(base.newest_event_at, events[0]),
            newest_landed_at=_latest(base.newest_landed_at, landed[0]),
            rejected_lines=base.rejected_lines + rejected[0],
        ),
    )


def _carry_data_over(connection: duckdb.DuckDBPyConnection, published_at: datetime) -> None:
    """After a failed refresh: the previous snapshot's data, unchanged."""
    _copy_marts(connection, "previous")
    connection.execute("create schema fresh.silver")
    for table in (REJECTED_TABLE, REASONS_TABLE):
        connection.execute(f"create table fresh.{table} as select * from previous.{table}")
    connection.execute("create schema fresh.ops")
    connection.execute(f"create table fresh.{INFO_TABLE} as select * from previous.{INFO_TABLE}")
    connection.execute(f"update fresh.{INFO_TABLE} set published_at = ?", [_naive_utc(published_at)])


def _copy_marts(connection: duckdb.DuckDBPyConnection, source: str) -> None:
    connection.execute("create schema fresh.gold")
    for metric in METRICS:
        connection.execute(f"create table fresh.{metric.mart} as select * from {source}.{metric.mart}")


def _publish_runs(
    connection: duckdb.DuckDBPyConnection, has_previous: bool, run: warehouse.RunRecord, source: str | None
) -> None:
    """The newest RUNS_KEPT records: the previous snapshot's, the warehouse's newer ones, and `run`."""
    table = f"fresh.{warehouse.RUNS_TABLE}"
    warehouse.create_runs_table(connection, table)
    if has_previous:
        connection.execute(f"insert into {table} by name select * from previous.{warehouse.RUNS_TABLE}")
    if source is not None and _has_table(connection, source, warehouse.RUNS_TABLE):
        # Runs recorded since the previous publish (one whose publish failed), or all of them when rebuilding.
        connection.execute(
            f"""
            insert into {table} by name
            select * from {source}.{warehouse.RUNS_TABLE}
            where started_at > (select coalesce(max(started_at), '-infinity'::timestamp) from {table})
            order by started_at desc
            limit {RUNS_KEPT}
            """
        )
    warehouse.insert_run(connection, table, run)
    connection.execute(
        f"""
        delete from {table} where started_at < (
            select min(started_at) from (select started_at from {table} order by started_at desc limit {RUNS_KEPT})
        )
        """
    )


def _describe_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """A comment on every table of the new snapshot, for `./query` (which lists them)."""
    comments = {metric.mart: f"the mart behind {metric.name}, at the last successful refresh" for metric in METRICS}
    comments |= {
        REJECTED_TABLE: f"the newest {REJECTED_LINES_KEPT:,} rejected lines, cut to {REJECTED_LINE_BYTES_KEPT:,} bytes",
        REASONS_TABLE: "every rejected line of history, counted by reason",
        warehouse.RUNS_TABLE: f"the newest {RUNS_KEPT:,} refreshes (times in UTC)",
        INFO_TABLE: "what this snapshot covers: publish time, last bronze file read, newest event, rejected lines",
    }
    for table, comment in comments.items():
        if _has_table(connection, "fresh", table):
            connection.execute(f"comment on table fresh.{table} is '{comment}'")


def _write_info(connection: duckdb.DuckDBPyConnection, info: SnapshotInfo) -> None:
    connection.execute("create schema if not exists fresh.ops")
    connection.execute(f"create table fresh.{INFO_TABLE} ({', '.join(INFO_COLUMNS)})")
    values = [
        FORMAT_VERSION,
        _naive_utc(info.published_at),
        _naive_utc(info.data_refreshed_at),
        info.through_seq,
        info.newest_event_at,
        info.newest_landed_at,
        info.rejected_lines,
    ]
    connection.execute(f"insert into fresh.{INFO_TABLE} values ({', '.join('?' for _ in values)})", values)


def _empty_info(published_at: datetime) -> SnapshotInfo:
    return SnapshotInfo(published_at, None, 0, None, None, 0)


def _attach_previous(connection: duckdb.DuckDBPyConnection, path: Path) -> bool:
    """Attach the current snapshot as `previous`, if there is one of this format that can be read."""
    if not path.is_file():
        return False
    try:
        connection.execute(f"attach {_literal(path)} as previous (read_only)")
    except duckdb.Error:
        return False  # unreadable, or held open for writing by someone: rebuilt from the warehouse
    try:
        row = connection.execute(f"select format_version from previous.{INFO_TABLE}").fetchone()
    except duckdb.Error:
        row = None
    if row is None or row[0] != FORMAT_VERSION:
        connection.execute("detach previous")
        return False
    return True


def _read_info(connection: duckdb.DuckDBPyConnection, table: str) -> SnapshotInfo | None:
    names = [field.name for field in fields(SnapshotInfo)]
    row = connection.execute(f"select {', '.join(names)} from {table}").fetchone()
    return SnapshotInfo(*row) if row else None


def _current_catalog(connection: duckdb.DuckDBPyConnection) -> str:
    row = connection.execute("select current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _has_table(connection: duckdb.DuckDBPyConnection, catalog: str, table: str) -> bool:
    schema, _, name = table.partition(".")
    row = connection.execute(
        "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, schema, name],
    ).fetchone()
    return bool(row and row[0])


def _latest(old: datetime | None, new: datetime | None) -> datetime | None:
    return max((time for time in (old, new) if time is not None), default=None)


def _naive_utc(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"
