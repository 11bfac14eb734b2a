"""./query: run SQL against the published snapshot and print the result as an aligned table or as CSV.

The snapshot is opened read-only, so a query may run (or be left open) for as long as anyone likes:
refreshes publish the next snapshot beside it and are never blocked.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import TextIO

import duckdb

from bluesky_pipeline.cli_support import ArgumentParser, CliError, data_dir_argument
from bluesky_pipeline.refresh.snapshot import SnapshotMissingError, open_snapshot

PROG = "query"
FETCH_ROWS = 10_000
TABLES_SQL = """
select
    schema_name || '.' || table_name as "table",
    estimated_size as "rows",
    column_count as columns,
    comment
from duckdb_tables()
where database_name = current_database()
order by schema_name, table_name
"""

EPILOG = """\
examples:
  ./query                                            list the tables of the snapshot
  ./query "select * from gold.trending_posts"
  ./query "select * from silver.rejected_lines_by_reason"
  ./query "select started_at, status, new_events, warnings from ops.periodic_runs order by started_at desc limit 5"
  ./query --csv "select * from gold.likes_per_minute order by minute_at" > likes.csv
  echo "select count(*) from gold.fast_likers" | ./query -

The snapshot (<data-dir>/snapshot.duckdb) is published by every ./periodic: the marts (gold.*), the
newest run records (ops.periodic_runs, UTC), the newest rejected lines (silver.int_lines_rejected)
and every rejected line counted by reason (silver.rejected_lines_by_reason). Read-only.
"""


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="Run SQL (DuckDB) against the published snapshot of the warehouse; never blocks a refresh.",
        epilog=EPILOG,
    )
    data_dir_argument(parser)
    parser.add_argument("sql", nargs="?", help="the query ('-': read it from stdin; none: list the tables)")
    parser.add_argument("--csv", action="store_true", help="print CSV (every value whole) instead of a table")
    parser.add_argument(
        "--max-width", type=int, default=60, metavar="N", help="cut table cells to N characters (default: 60)"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    sql = sys.stdin.read() if args.sql == "-" else (args.sql or TABLES_SQL)
    if not sql.strip():
        raise CliError("empty query")
    try:
        with open_snapshot(args.data_dir) as connection:
            result = connection.execute(sql)
            header = [column[0] for column in result.description or ()]
            if not header:
                return 0  # a statement without a result (set, pragma)
            if args.csv:
                _print_csv(result, header, sys.stdout)
            else:
                _print_table(result.fetchall(), header, sys.stdout, max(args.max_width, 4))
    except SnapshotMissingError as error:
        raise CliError(f"{error}; run ./periodic once") from None
    except duckdb.Error as error:
        raise CliError(_first_line(error)) from None
    return 0


def _print_csv(result: duckdb.DuckDBPyConnection, header: list[str], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    while rows := result.fetchmany(FETCH_ROWS):
        writer.writerows([_text(value) for value in row] for row in rows)


def _print_table(rows: list[tuple[object, ...]], header: list[str], out: TextIO, max_width: int) -> None:
    cells = [[_cut(_text(value).translate(_VISIBLE), max_width) for value in row] for row in rows]
    numeric = [bool(rows) and all(isinstance(row[i], int | float | None) for row in rows) for i in range(len(header))]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(header)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if is_number else value.ljust(width)
            for value, width, is_number in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out.write(line(header) + "\n")
    out.write("  ".join("-" * width for width in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")
    out.write(f"({len(rows):,} row{'s' if len(rows) != 1 else ''})\n")


# Line breaks and tabs shown as escapes, so that every row stays on one line of the table.
_VISIBLE = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _text(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="backslashreplace")
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
