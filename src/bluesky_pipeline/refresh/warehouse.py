"""The warehouse as ./periodic sees it around a dbt build: batch bounds, batch counts, run records.

Opened only between dbt runs and only under the refresh lock, so it never contends with dbt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from bluesky_pipeline.refresh import spark_warehouse
from bluesky_pipeline.refresh.engine import DEFAULT_ENGINE

WAREHOUSE_FILE = "warehouse.duckdb"
# The staged lines not yet read by every model live in a database of their own (transform/profiles.yml),
# deleted once every model has read them: a full build's staged history never stays behind as free
# space in the warehouse file.
TRANSIT_FILE = "transit.duckdb"
TRANSIT_ALIAS = "transit"
STAGING_MODEL = "stg_bronze__lines"
STREAM_CLOCK_MODEL = "int_stream_blocks"  # its watermark row holds the newest event time landed (stream_time.sql)


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
    started_at: datetime  # UTC
    finished_at: datetime  # UTC
    status: str
    through_seq: int
    counts: BatchCounts
    models_built: int
    tests_passed: int
    tests_failed: int
    tests_warned: int
    warnings: tuple[str, ...]  # names of the data tests that warned
    message: str
    quarantined_files: int = 0  # bronze files found damaged or foreign and moved aside

    def row(self) -> dict[str, object]:
        """The record as ops.periodic_runs columns (times as naive UTC, like every `_at` column)."""
        counts = self.counts
        return {
            "started_at": self.started_at.astimezone(UTC).replace(tzinfo=None),
            "finished_at": self.finished_at.astimezone(UTC).replace(tzinfo=None),
            "status": self.status,
            "bronze_through_seq": self.through_seq,
            "lines": counts.lines,
            "events": counts.events,
            "new_events": counts.new_events,
            "rejected_lines": counts.rejected,
            "blank_lines": counts.blank,
            "models_built": self.models_built,
            "tests_passed": self.tests_passed,
            "tests_failed": self.tests_failed,
            "tests_warned": self.tests_warned,
            "warnings": list(self.warnings),
            "message": self.message,
            "quarantined_files": self.quarantined_files,
        }


# ops.periodic_runs, column by column: (name, type, description). Columns added after the first
# version come last and are nullable, so that an existing warehouse gains them with `add column`.
RUN_COLUMNS = (
    ("started_at", "timestamp not null", "UTC time the refresh started"),
    ("finished_at", "timestamp not null", "UTC time the refresh finished"),
    ("status", "varchar not null", "success or failed"),
    ("bronze_through_seq", "bigint not null", "the last bronze file sequence number this refresh read"),
    ("lines", "bigint not null", "lines in the bronze files this refresh read"),
    ("events", "bigint not null", "events among those lines, repeats included"),
    ("new_events", "bigint not null", "events not seen before (the rest were repeats)"),
    ("rejected_lines", "bigint not null", "lines rejected, each kept in silver.int_lines_rejected with its reason"),
    ("blank_lines", "bigint not null", "empty or whitespace-only lines"),
    ("models_built", "integer not null", "dbt models built"),
    ("tests_passed", "integer not null", "data tests passed"),
    ("tests_failed", "integer not null", "data tests failed (or errored)"),
    ("message", "varchar", "one line per failure, separated by '; ' (empty on success)"),
    ("tests_warned", "integer", "data tests that warned"),
    ("warnings", "varchar[]", "names of the data tests that warned"),
    ("quarantined_files", "bigint", "bronze files found damaged or foreign and moved to data/bronze/quarantine/"),
)
RUNS_TABLE = "ops.periodic_runs"


def warehouse_path(data_dir: Path) -> Path:
    return data_dir / WAREHOUSE_FILE


def connect(data_dir: Path, engine: str = DEFAULT_ENGINE) -> duckdb.DuckDBPyConnection:
    """The warehouse, with the transit database attached as dbt attaches it; on Spark, DuckDB views
    over Spark's tables named the same way (spark_warehouse.py)."""
    if engine == "spark":
        ops = data_dir / spark_warehouse.SPARK_DIR / spark_warehouse.OPS_FILE
        ops.parent.mkdir(parents=True, exist_ok=True)
        connection = open_duckdb(str(ops))
        try:
            return spark_warehouse.connect(data_dir, connection)
        except BaseException:
            connection.close()
            raise
    connection = open_duckdb(str(warehouse_path(data_dir)))
    connection.execute(f"attach {_sql_string(str(data_dir / TRANSIT_FILE))} as {TRANSIT_ALIAS}")
    return connection


def open_duckdb(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set like dbt's profile: nothing downloaded, and times with a zone read in UTC."""
    connection = duckdb.connect(database, read_only=read_only, config={"autoinstall_known_extensions": False})
    connection.execute("set TimeZone = 'UTC'")  # a setting of the built-in icu extension: set once it is loaded
    return connection


def drop_transit_if_read(data_dir: Path) -> bool:
    """Delete the transit database when every model's watermark has reached staging's (all staged
    lines have been read); True if it was deleted. Called under the refresh lock, before dbt runs.

    A model that has never run has no watermark yet (a first build cut short after staging), so the
    watermarks alone cannot tell that it has read everything: a successful refresh recorded through
    staging's watermark can, since every model ran in it."""
    if not (data_dir / TRANSIT_FILE).exists():
        return False
    with open_duckdb(str(warehouse_path(data_dir))) as db:
        if not (_table_exists(db, "silver", "watermarks") and _table_exists(db, "ops", "periodic_runs")):
            return False
        row = db.execute(
            f"""
            select
                min(through_seq) = max(through_seq) filter (where model_name = ?)
                and max(through_seq) filter (where model_name = ?) <= (
                    select max(bronze_through_seq) from {RUNS_TABLE} where status = 'success'
                )
            from silver.watermarks
            """,
            [STAGING_MODEL, STAGING_MODEL],
        ).fetchone()
    if not (row and row[0]):
        return False
    _delete_transit(data_dir)
    return True


def _delete_transit(data_dir: Path) -> None:
    transit = data_dir / TRANSIT_FILE
    for path in (transit, transit.with_name(transit.name + ".wal")):
        path.unlink(missing_ok=True)


def reset(data_dir: Path, engine: str = DEFAULT_ENGINE) -> None:
    """Before a full refresh: drop silver and gold in one transaction (the run records in ops stay), and
    the transit database. The rebuilt tables then reuse the dropped ones' space in the file, instead of
    being built beside them (DuckDB reuses freed blocks but never shrinks a file). On Spark, its tables
    and their catalog go (spark_warehouse.py)."""
    if engine == "spark":
        spark_warehouse.reset(data_dir)
        return
    _delete_transit(data_dir)
    if not warehouse_path(data_dir).exists():
        return
    with open_duckdb(str(warehouse_path(data_dir))) as connection:
        connection.execute("begin")
        connection.execute("drop schema if exists silver cascade")
        connection.execute("drop schema if exists gold cascade")
        connection.execute("commit")
        connection.execute("checkpoint")


def staged_through(connection: duckdb.DuckDBPyConnection) -> int:
    """The last bronze sequence number the staging model has read (0 before the first refresh)."""
    if not _table_exists(connection, "silver", "watermarks"):
        return 0
    row = connection.execute(
        "select coalesce(max(through_seq), 0) from silver.watermarks where model_name = ?", [STAGING_MODEL]
    ).fetchone()
    return int(row[0]) if row else 0


def batch_rows(connection: duckdb.DuckDBPyConnection, after_seq: int, through_seq: int) -> dict[str, int]:
    """Rows of every silver and gold table (staging's in the transit database too): those from bronze
    files (after_seq, through_seq] where the table has a file_seq (read by zonemaps: the batch's row
    groups only), else all of them (DuckDB's count). Keyed by schema.table, as dbt names them."""
    tables = connection.execute(
        f"""
        select
            tables.database_name,
            tables.schema_name || '.' || tables.table_name,
            tables.estimated_size,
            count(columns.column_name) > 0
        from duckdb_tables() as tables
        left join duckdb_columns() as columns
            on columns.table_oid = tables.table_oid and columns.column_name = 'file_seq'
        where
            tables.database_name in (current_database(), '{TRANSIT_ALIAS}')
            and tables.schema_name in ('silver', 'gold')
        group by all
        order by 2
        """
    ).fetchall()
    rows = {}
    for database, table, size, has_file_seq in tables:
        batch = (
            connection.execute(
                f"select count(*) from {database}.{table} where file_seq > ? and file_seq <= ?",
                [after_seq, through_seq],
            ).fetchone()
            if has_file_seq
            else None
        )
        rows[str(table)] = int(batch[0] if batch else size)
    return rows


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
    # The copies that count are the new events (int_events_deduplicated is a view, which Spark keeps no files of).
    new_row = connection.execute(
        "select count(*) from silver.int_event_copies_tracked where is_counted and file_seq > ? and file_seq <= ?",
        bounds,
    ).fetchone()
    assert row is not None
    assert new_row is not None
    return BatchCounts(lines=row[0], events=row[1], new_events=new_row[0], rejected=row[2], blank=row[3])


def record_run(connection: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """Append one row to ops.periodic_runs, the history of every refresh."""
    if _table_exists(connection, "ops", "periodic_runs"):
        _add_missing_run_columns(connection)
    else:
        create_runs_table(connection, RUNS_TABLE)
    insert_run(connection, RUNS_TABLE, run)


def create_runs_table(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Create an empty run records table `table` (and its schema), each column described."""
    connection.execute(f"create schema if not exists {table.rpartition('.')[0]}")
    connection.execute(f"create table {table} ({', '.join(f'{name} {kind}' for name, kind, _ in RUN_COLUMNS)})")
    for name, _, description in RUN_COLUMNS:
        _describe_column(connection, table, name, description)


def _add_missing_run_columns(connection: duckdb.DuckDBPyConnection) -> None:
    existing = {
        row[0]
        for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'ops' and table_name = ?",
            [RUNS_TABLE.partition(".")[2]],
        ).fetchall()
    }
    for name, kind, description in RUN_COLUMNS:
        if name not in existing:
            connection.execute(f"alter table {RUNS_TABLE} add column {name} {kind.removesuffix(' not null')}")
            _describe_column(connection, RUNS_TABLE, name, description)


def _describe_column(connection: duckdb.DuckDBPyConnection, table: str, column: str, description: str) -> None:
    quoted = description.replace("'", "''")
    connection.execute(f"comment on column {table}.{column} is '{quoted}'")


def insert_run(connection: duckdb.DuckDBPyConnection, table: str, run: RunRecord) -> None:
    row = run.row()
    connection.execute(
        f"insert into {table} ({', '.join(row)}) values ({', '.join('?' for _ in row)})", list(row.values())
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
