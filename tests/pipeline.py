"""Test helpers: run the real executables on real streams and read back what they wrote.

Nothing here is mocked: handle-stream, periodic and bluesky run as child processes, exactly as a
user runs them, and results are read from the files they leave (bronze Parquet, metric CSVs).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh.metric_files import METRICS

REPO = Path(__file__).resolve().parent.parent
METRIC_FILES = tuple(metric.name for metric in METRICS)


@dataclass(frozen=True)
class Workspace:
    """A data directory and a metrics directory, as one user's installation would have."""

    data_dir: Path
    metrics_dir: Path

    def land(self, stream: bytes, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        """Pipe `stream` through ./handle-stream into this workspace."""
        return run_executable("handle-stream", "--data-dir", str(self.data_dir), *args, stdin=stream, check=check)

    def refresh(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ./periodic on this workspace (with `env` added to its environment)."""
        return run_executable(
            "periodic",
            "--data-dir", str(self.data_dir),
            "--metrics-dir", str(self.metrics_dir),
            *args,
            check=check,
            env=env,
        )  # fmt: skip

    def query(self, *args: str, check: bool = True, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run ./query on this workspace's snapshot."""
        return run_executable("query", "--data-dir", str(self.data_dir), *args, check=check, stdin=stdin)

    def metric(self, name: str) -> str:
        """The text of one metric file."""
        return (self.metrics_dir / name).read_text(encoding="utf-8")

    def metrics(self) -> dict[str, bytes]:
        """The bytes of every metric file."""
        return {name: (self.metrics_dir / name).read_bytes() for name in METRIC_FILES}

    def bronze_lines(self) -> list[bytes]:
        """Every landed line, in landing order, as stored (with its newline when it had one)."""
        return [row[0] for row in query_bronze(self.data_dir, "select line")]

    def warehouse(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of a query against the warehouse (read-only; run it when no refresh is running)."""
        with duckdb.connect(str(self.data_dir / "warehouse.duckdb"), read_only=True) as connection:
            # The staged lines not yet read by every model live in a database of their own.
            transit = str(self.data_dir / "transit.duckdb").replace("'", "''")
            connection.execute(f"attach if not exists '{transit}' as transit (read_only)")
            return connection.execute(sql).fetchall()

    def snapshot(self, sql: str) -> list[tuple[object, ...]]:
        """Rows of a query against the published snapshot, opened as any reader would (read-only)."""
        with duckdb.connect(str(self.data_dir / "snapshot.duckdb"), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def run_executable(
    name: str,
    *args: str,
    stdin: bytes | None = None,
    check: bool = True,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one of the root executables (with `env` added to its environment); with `check`, fail with
    its stderr when it exits non-zero."""
    completed = subprocess.run(
        [str(REPO / name), *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        timeout=timeout,
        env=child_environment() | (env or {}),
        cwd=REPO,
        check=False,
    )
    if check and completed.returncode != 0:
        raise AssertionError(
            f"./{name} {' '.join(args)} exited {completed.returncode}:\n{completed.stderr.decode(errors='replace')}"
        )
    return completed


def child_environment() -> dict[str, str]:
    """The environment for child processes, without the pipeline's own overrides from the caller."""
    return {key: value for key, value in os.environ.items() if not key.startswith("BLUESKY_")}


def query_bronze(data_dir: Path, select: str) -> list[tuple[object, ...]]:
    """`select` over every landed line, compacted or live, in landing order (file_seq, line_no).

    The columns are those of the dbt macro bronze_lines: file_seq, line_no, line, original_size, landed_at.
    """
    layout = bronze_layout.sql_environment(data_dir)
    compacted_through = int(layout[bronze_layout.COMPACTED_THROUGH_ENV])
    reads = []
    if list(bronze_layout.compacted_dir(data_dir).glob("*.parquet")):
        reads.append(
            "select file_seq, line_no, line, original_size, landed_at "
            f"from read_parquet('{layout[bronze_layout.COMPACTED_GLOB_ENV]}') where file_seq <= {compacted_through}"
        )
    if bronze_layout.committed_seqs(bronze_layout.events_dir(data_dir)):
        reads.append(
            f"select cast(regexp_extract(filename, '{layout[bronze_layout.LIVE_SEQ_PATTERN_ENV]}', 1) as bigint) "
            "as file_seq, file_row_number as line_no, line, original_size, landed_at "
            f"from read_parquet('{layout[bronze_layout.LIVE_GLOB_ENV]}', filename = true, file_row_number = true) "
            f"where file_seq > {compacted_through}"
        )
    if not reads:
        return []
    with duckdb.connect() as connection:
        return connection.execute(f"{select} from ({' union all '.join(reads)}) order by file_seq, line_no").fetchall()
