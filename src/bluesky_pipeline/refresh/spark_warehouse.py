"""The Spark warehouse as ./periodic reads it between dbt runs: DuckDB views over Spark's Parquet tables.

Spark keeps its tables as Parquet directories under <data-dir>/spark/warehouse; after every model of a
run has finished, each directory holds exactly the table (spark_incremental.sql drops what a killed
run left), so DuckDB reads them without a second JVM (5 s a start) and the export, the run records and
the snapshot are the DuckDB engine's own code. Run records live in <data-dir>/spark/runs.duckdb.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

SPARK_DIR = "spark"
OPS_FILE = "runs.duckdb"  # (not ops.duckdb: a catalog named ops would hide the schema ops)
TRANSIT_ALIAS = "transit"  # where the DuckDB engine keeps staging; the same name here, so readers need no case
STAGING_MODEL = "stg_bronze__lines"
# Spark's views (no files of their own) that ./periodic reads, as DuckDB SQL over the tables beside them.
VIEWS = {
    "silver.int_events_deduplicated": f"""
        select events.*
        from {TRANSIT_ALIAS}.silver.{STAGING_MODEL} as events
        anti join (select file_seq, line_no from silver.int_event_copies_tracked where not is_counted) as repeats
            on events.file_seq = repeats.file_seq and events.line_no = repeats.line_no
        where events.line_kind = 'event'
    """,
}


def tables_dir(data_dir: Path) -> Path:
    """spark.sql.warehouse.dir of transform/profiles.yml's spark output."""
    return data_dir / SPARK_DIR / "warehouse"


def connect(data_dir: Path, open_duckdb: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`open_duckdb` (the run records' database) with a view per Spark table, named as dbt names them."""
    connection = open_duckdb
    connection.execute(f"attach ':memory:' as {TRANSIT_ALIAS}")
    connection.execute(f"create schema {TRANSIT_ALIAS}.silver")
    for schema in ("silver", "gold"):
        connection.execute(f"create schema if not exists {schema}")
        for table_dir in sorted((tables_dir(data_dir) / f"{schema}.db").glob("*")):
            files = _parquet_glob(table_dir)
            if files is None:
                continue
            name = table_dir.name
            target = f"{TRANSIT_ALIAS}.silver.{name}" if name == STAGING_MODEL else f"{schema}.{name}"
            columns = "* exclude (as_of_seq)" if _is_batched(table_dir) else "*"
            connection.execute(
                f"create or replace view {target} as select {columns}"
                f" from read_parquet('{files}', hive_partitioning = true, union_by_name = true)"
            )
    if _has(connection, TRANSIT_ALIAS, STAGING_MODEL) and _has(connection, None, "int_event_copies_tracked"):
        for name, query in VIEWS.items():
            connection.execute(f"create or replace view {name} as {query}")
    return connection


def _is_batched(table_dir: Path) -> bool:
    return any(child.name.startswith("as_of_seq=") for child in table_dir.iterdir())


def _parquet_glob(table_dir: Path) -> str | None:
    """The glob of a table's data files (partition directories below it), None when it has none yet."""
    for depth in range(3):
        pattern = "/".join(["*"] * depth + ["*.parquet"])
        if next(table_dir.glob(pattern), None) is not None:
            return str(table_dir / pattern).replace("'", "''")
    return None


def _has(connection: duckdb.DuckDBPyConnection, database: str | None, table: str) -> bool:
    row = connection.execute(
        "select count(*) from information_schema.tables where table_name = ?"
        " and table_catalog = coalesce(?, current_database())",
        [table, database],
    ).fetchone()
    return bool(row and row[0])
