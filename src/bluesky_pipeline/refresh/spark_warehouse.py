"""The Spark warehouse as ./periodic reads it between dbt runs: DuckDB views over Spark's Parquet tables.

Spark keeps its tables as Parquet directories under <data-dir>/spark/warehouse; after every model of a
run has finished, each directory holds exactly the table (spark_incremental.sql drops what a killed
run left), so DuckDB reads them without a second JVM (5 s a start) and the export, the run records and
the snapshot are the DuckDB engine's own code. Run records live in <data-dir>/spark/runs.duckdb.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

SPARK_DIR = "spark"
WAREHOUSE_DIR = "warehouse"  # spark.sql.warehouse.dir and the Derby metastore's database, under SPARK_DIR
METASTORE_DIR = "metastore"  # (transform/profiles.yml)
OPS_FILE = "runs.duckdb"  # (not ops.duckdb: a catalog named ops would hide the schema ops)
TRANSIT_ALIAS = "transit"  # where the DuckDB engine keeps staging; the same name here, so readers need no case
STAGING_MODEL = "stg_bronze__lines"
BATCH_COLUMN = "as_of_seq"  # the partition column of Spark's incremental tables (spark_incremental.sql)
# What Spark's file commit protocol writes before a job commits, per table directory.
UNFINISHED_WRITES = ("*.db/*/_temporary", "*.db/*/.spark-staging-*")
COLUMN_FILES = "_columns/*.parquet"  # an empty file of a table's columns (spark_incremental.sql)


def tables_dir(data_dir: Path) -> Path:
    """spark.sql.warehouse.dir of transform/profiles.yml's spark output."""
    return data_dir / SPARK_DIR / WAREHOUSE_DIR


def clear_unfinished_writes(data_dir: Path) -> None:
    """Before a Spark build, under the refresh lock: delete what a write cut short (a kill -9) left in
    the tables' directories. Spark refuses to create a table in a directory that is not empty, so a
    table it was rebuilding (a mart, every table of a first build) would fail every later build."""
    for pattern in UNFINISHED_WRITES:
        for leftover in tables_dir(data_dir).glob(pattern):
            shutil.rmtree(leftover)


def reset(data_dir: Path) -> None:
    """Before a full refresh: delete Spark's tables and the metastore that catalogs them (the run records
    stay), so that the rebuild starts from nothing, as the DuckDB engine's does. Under the refresh lock,
    with no Spark session open."""
    for name in (WAREHOUSE_DIR, METASTORE_DIR):
        directory = data_dir / SPARK_DIR / name
        if directory.exists():
            shutil.rmtree(directory)


def connect(data_dir: Path, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`connection` (to the run records' database) with a view per Spark table, named as dbt names them."""
    connection.execute(f"attach ':memory:' as {TRANSIT_ALIAS}")
    connection.execute(f"create schema {TRANSIT_ALIAS}.silver")
    for schema in ("silver", "gold"):
        # The views of the last connection are dropped: a table gone since (a full refresh) must not stay.
        connection.execute(f"drop schema if exists {schema} cascade")
        connection.execute(f"create schema {schema}")
        for table_dir in sorted((tables_dir(data_dir) / f"{schema}.db").glob("*")):
            read = _read_table(table_dir) if table_dir.is_dir() else None  # (a stray file is no table)
            if read is None:
                continue
            name = table_dir.name
            target = f"{TRANSIT_ALIAS}.silver.{name}" if name == STAGING_MODEL else f"{schema}.{name}"
            connection.execute(f"create or replace view {target} as {read}")
    return connection


def _read_table(table_dir: Path) -> str | None:
    """A query of the table's rows, without the partition column as_of_seq that Spark adds to the
    incremental tables; None when there is no file to read its columns from."""
    keys = _partition_keys(table_dir)
    data = "/".join([f"{key}=*" for key in keys] + ["*.parquet"])
    if next(table_dir.glob(data), None) is not None:
        hive = str(bool(keys)).lower()
        files = f"read_parquet({_sql_string(str(table_dir / data))}, hive_partitioning = {hive})"
        batched = BATCH_COLUMN in keys
    elif next(table_dir.glob(COLUMN_FILES), None) is not None:  # (only incremental tables have one)
        files = f"read_parquet({_sql_string(str(table_dir / COLUMN_FILES))})"
        batched = True
    else:
        return None
    return f"select * {f'exclude ({BATCH_COLUMN}) ' if batched else ''}from {files}"


def _partition_keys(table_dir: Path) -> list[str]:
    """The partition columns of a table, from its directories (key=value), outermost first."""
    keys: list[str] = []
    directory = table_dir
    while True:
        partitions = (entry for entry in directory.iterdir() if entry.is_dir() and "=" in entry.name)
        child = next((entry for entry in partitions if entry.name[0] not in "_."), None)
        if child is None:
            return keys
        keys.append(child.name.partition("=")[0])
        directory = child


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
