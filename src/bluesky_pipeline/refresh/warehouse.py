"""The warehouse as ./periodic sees it around a dbt build: batch bounds, batch counts, run records.

Opened only between dbt runs and only under the refresh lock, so it never contends with dbt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

WAREHOUSE_FILE = "warehouse.duckdb"
# The staged lines not yet read by every model live in a database of their own (transform/profiles.yml),
# deleted once every model has read them: a full build's staged history never stays behind as free
# space in the warehouse file.
TRANSIT_FILE = "transit.duckdb"
TRANSIT_ALIAS = "transit"
STAGING_MODEL = "stg_bronze__lines"


@dataclass(frozen=True)
class BatchCounts:
    """What the bronze files of one refresh held."""

    lines: int = 0
    events: int = 0
    new_events: int = 0  # events not seen before (the rest were repeats)
    rejected: int = 0
    blank: int = 0


@dataclass(frozen=True)
class RunRecord:
    started_at: datetime
    finished_at: datetime
    status: str
    through_seq: int
    counts: BatchCounts
    models_built: int
    tests_passed: int
    tests_failed: int
    message: str
    quarantined_files: int = 0  # bronze files found damaged or foreign and moved aside


def warehouse_path(data_dir: Path) -> Path:
    return data_dir / WAREHOUSE_FILE


def connect(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, with the transit database attached as dbt attaches it."""
    connection = duckdb.connect(str(warehouse_path(data_dir)), config={"autoinstall_known_extensions": False})
    connection.execute(f"attach {_sql_string(str(data_dir / TRANSIT_FILE))} as {TRANSIT_ALIAS}")
    return connection


def drop_transit_if_read(data_dir: Path, *, rebuilding: bool) -> bool:
    """Delete the transit database when every model's watermark has reached staging's (all staged
    lines have been read), or when everything is rebuilt; True if it was deleted. Called under the
    refresh lock, before dbt runs."""
    transit = data_dir / TRANSIT_FILE
    if not transit.exists():
        return False
    if not rebuilding:
        with duckdb.connect(str(warehouse_path(data_dir)), config={"autoinstall_known_extensions": False}) as db:
            if not _table_exists(db, "silver", "watermarks"):
                return False
            row = db.execute(
                "select min(through_seq) = max(through_seq) filter (where model_name = ?) from silver.watermarks",
                [STAGING_MODEL],
            ).fetchone()
        if not (row and row[0]):
            return False
    for path in (transit, transit.with_name(transit.name + ".wal")):
        path.unlink(missing_ok=True)
    return True


def staged_through(connection: duckdb.DuckDBPyConnection) -> int:
    """The last bronze sequence number the staging model has read (0 before the first refresh)."""
    if not _table_exists(connection, "silver", "watermarks"):
        return 0
    row = connection.execute(
        "select coalesce(max(through_seq), 0) from silver.watermarks where model_name = ?", [STAGING_MODEL]
    ).fetchone()
    return int(row[0]) if row else 0


def batch_counts(connection: duckdb.DuckDBPyConnection, after_seq: int, through_seq: int) -> BatchCounts:
    """Counts of the lines staged from bronze files (after_seq, through_seq]."""
    if through_seq <= after_seq or not _table_exists(connection, "silver", STAGING_MODEL, TRANSIT_ALIAS):
        return BatchCounts()
    bounds = [after_seq, through_seq]
    row = connection.execute(
        f"""
        select
            count(*),
            count(*) filter (where line_kind = 'event'),
            count(*) filter (where line_kind = 'rejected'),
            count(*) filter (where line_kind = 'blank')
        from {TRANSIT_ALIAS}.silver.{STAGING_MODEL}
        where file_seq > ? and file_seq <= ?
        """,
        bounds,
    ).fetchone()
    new_row = connection.execute(
        "select count(*) from silver.int_events_deduplicated where file_seq > ? and file_seq <= ?", bounds
    ).fetchone()
    assert row is not None
    assert new_row is not None
    return BatchCounts(lines=row[0], events=row[1], new_events=new_row[0], rejected=row[2], blank=row[3])


def record_run(connection: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """Append one row to ops.periodic_runs, the history of every refresh."""
    connection.execute("create schema if not exists ops")
    connection.execute(
        """
        create table if not exists ops.periodic_runs (
            started_at timestamp not null,
            finished_at timestamp not null,
            status varchar not null,
            bronze_through_seq bigint not null,
            lines bigint not null,
            events bigint not null,
            new_events bigint not null,
            rejected_lines bigint not null,
            blank_lines bigint not null,
            models_built integer not null,
            tests_passed integer not null,
            tests_failed integer not null,
            message varchar
        )
        """
    )
    # Added after the first release: warehouses created before it gain the column.
    connection.execute("alter table ops.periodic_runs add column if not exists quarantined_files bigint default 0")
    counts = run.counts
    connection.execute(
        "insert into ops.periodic_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run.started_at,
            run.finished_at,
            run.status,
            run.through_seq,
            counts.lines,
            counts.events,
            counts.new_events,
            counts.rejected,
            counts.blank,
            run.models_built,
            run.tests_passed,
            run.tests_failed,
            run.message,
            run.quarantined_files,
        ],
    )


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str, database: str | None = None) -> bool:
    row = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = ? and table_name = ? and table_catalog = coalesce(?, current_database())",
        [schema, table, database],
    ).fetchone()
    return bool(row and row[0])


def _sql_string(text: str) -> str:
    """A SQL string literal (ATTACH takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"
