"""Test helpers for the two engines: one workspace on DuckDB and one on Spark fed the same stream, a
Spark refresh killed midway (kill -9 of ./periodic, dbt and Spark's JVM), and the skip without Spark.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bluesky_pipeline.refresh.engine import EngineUnavailableError, check_engine
from tests.pipeline import REPO, Workspace, child_environment
from tests.rules import hand_worked_rules_skip_reason


def _spark_missing() -> str | None:
    try:
        check_engine("spark")
    except EngineUnavailableError as error:
        return str(error)
    return None


SPARK_MISSING = _spark_missing()
RULES_DIFFERING = hand_worked_rules_skip_reason()
# Each module of tests/spark/ sets pytestmark = SPARK_TESTS. Their streams are tests/e2e's, whose
# expectations hold for the rules they were worked out for (skipped otherwise, as tests/e2e's are).
SPARK_TESTS = [
    pytest.mark.spark,
    pytest.mark.skipif(SPARK_MISSING is not None, reason=str(SPARK_MISSING)),
    pytest.mark.skipif(RULES_DIFFERING is not None, reason=str(RULES_DIFFERING)),
]
SPARK = {"BLUESKY_ENGINE": "spark"}
REJECTED_BY_REASON = "select reject_reason, lines from silver.rejected_lines_by_reason order by reject_reason"


def engine_workspaces(root: Path) -> tuple[Workspace, Workspace]:
    """A workspace for DuckDB and one for Spark."""
    duck = Workspace(root / "duckdb" / "data", root / "duckdb" / "metrics")
    spark = Workspace(root / "spark" / "data", root / "spark" / "metrics")
    return duck, spark


def spark_table_dir(workspace: Workspace, table: str) -> Path:
    """Where Spark keeps the files of `table` (schema.name): spark.sql.warehouse.dir in transform/profiles.yml."""
    schema, name = table.split(".")
    return workspace.data_dir / "spark" / "warehouse" / f"{schema}.db" / name


def kill_spark_refresh_when(workspace: Workspace, written: Path, timeout_s: float = 600) -> None:
    """Start ./periodic --engine spark and kill -9 its whole process group as soon as `written` exists;
    fail if the refresh ended first."""
    refresh = subprocess.Popen(
        [str(REPO / "periodic"), "--data-dir", str(workspace.data_dir), "--metrics-dir", str(workspace.metrics_dir)],
        env=child_environment() | SPARK,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout_s
    while not written.exists() and refresh.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert refresh.poll() is None, f"the refresh ended before {written} appeared"
    os.killpg(refresh.pid, signal.SIGKILL)
    refresh.wait()
