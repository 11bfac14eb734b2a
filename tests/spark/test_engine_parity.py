"""Both engines, the same hand-made streams: ./periodic on DuckDB and ./periodic --engine spark give the
same metric files byte for byte, and reject the same lines for the same reasons, refresh after refresh.

The expected files are test_metrics_exact's, worked out by hand from the stream; DuckDB's files are
compared too, so a difference is seen at the refresh where it appears. Marked `spark`: each Spark
refresh starts a JVM (seconds), so these are the focused subset CI runs with the spark extra.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import streams
from tests.e2e.test_hostile_identifiers import stream as hostile_stream
from tests.e2e.test_metrics_exact import AFTER_PART_1, AFTER_PART_2, EXPECTED, assert_files
from tests.pipeline import REPO, Workspace, child_environment

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        os.system("command -v java >/dev/null 2>&1") != 0
        or subprocess.run([str(REPO / ".venv/bin/python"), "-c", "import pyspark"], check=False).returncode != 0,
        reason="the Spark engine needs the spark extra (uv sync --frozen --extra spark) and Java 17",
    ),
]

SPARK = {"BLUESKY_ENGINE": "spark"}
REJECTED_BY_REASON = "select reject_reason, lines from silver.rejected_lines_by_reason order by reject_reason"


def workspaces(root: Path) -> tuple[Workspace, Workspace]:
    duck = Workspace(root / "duckdb" / "data", root / "duckdb" / "metrics")
    spark = Workspace(root / "spark" / "data", root / "spark" / "metrics")
    return duck, spark


def test_three_parts_give_the_same_files_on_both_engines(tmp_path: Path) -> None:
    duck, spark = workspaces(tmp_path)
    expected = [AFTER_PART_1, AFTER_PART_2, EXPECTED]
    for number, part in enumerate(streams.three_parts()):
        for workspace, env in ((duck, None), (spark, SPARK)):
            workspace.land(part)
            workspace.refresh(env=env)
        assert_files(duck.metrics(), expected[number], f"on DuckDB after part {number + 1}")
        assert_files(spark.metrics(), expected[number], f"on Spark after part {number + 1}")
        assert spark.metrics() == duck.metrics(), f"the engines' files differ after part {number + 1}"
        assert spark.snapshot(REJECTED_BY_REASON) == duck.snapshot(REJECTED_BY_REASON)
    counted = sum(lines for _, lines in spark.snapshot(REJECTED_BY_REASON))
    assert counted == streams.REJECTED_LINES
    # A run with nothing new changes nothing, and a full rebuild gives the same files.
    spark.refresh(env=SPARK)
    assert_files(spark.metrics(), EXPECTED, "on Spark after a refresh with nothing new")
    spark.refresh("--full-refresh", env=SPARK)
    assert_files(spark.metrics(), EXPECTED, "on Spark after --full-refresh")


def test_hostile_identifiers_are_judged_alike(tmp_path: Path) -> None:
    duck, spark = workspaces(tmp_path)
    data, rejected_by_reason = hostile_stream()
    for workspace, env in ((duck, None), (spark, SPARK)):
        workspace.land(data)
        workspace.refresh(env=env)
    assert spark.metrics() == duck.metrics()
    assert dict(spark.snapshot(REJECTED_BY_REASON)) == dict(duck.snapshot(REJECTED_BY_REASON)) == rejected_by_reason


def test_a_refresh_killed_midway_and_rerun_counts_nothing_twice(tmp_path: Path) -> None:
    """kill -9 of ./periodic (and dbt, and Spark's JVM) once the batch's first models have written
    their partitions, before the others and before their watermarks; the rerun gives the exact files."""
    _, spark = workspaces(tmp_path)
    first, second, third = streams.three_parts()
    spark.land(first)
    spark.refresh(env=SPARK)
    spark.land(second)
    written = spark.data_dir / "spark" / "warehouse" / "silver.db" / "int_lines_rejected" / "as_of_seq=2"
    refresh = subprocess.Popen(
        [str(REPO / "periodic"), "--data-dir", str(spark.data_dir), "--metrics-dir", str(spark.metrics_dir)],
        env=child_environment() | SPARK,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    while not written.exists() and refresh.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refresh.poll() is None, "the refresh ended before it could be killed midway"
    os.killpg(refresh.pid, signal.SIGKILL)
    refresh.wait()
    assert_files(spark.metrics(), AFTER_PART_1, "after the killed refresh (the previous files stay)")
    spark.refresh(env=SPARK)
    assert_files(spark.metrics(), AFTER_PART_2, "after the rerun of the killed refresh")
    spark.land(third)
    spark.refresh(env=SPARK)
    assert_files(spark.metrics(), EXPECTED, "after the last part")
