"""Both engines, the same hand-made stream in three parts: ./periodic on DuckDB and ./periodic --engine
spark give the same metric files byte for byte and reject the same lines for the same reasons, refresh
after refresh, with Spark's refresh of each part killed once midway and rerun.

The expected files are test_metrics_exact's, worked out by hand from the stream; DuckDB's are checked
too, so that a difference is seen at the refresh where it appears. One Spark workspace goes through
every step (each Spark refresh starts a JVM and costs tens of seconds): this is the focused subset CI
runs with the spark extra.
"""

from __future__ import annotations

from pathlib import Path

from bluesky_pipeline.refresh.bronze_scan import scan_bronze
from tests.e2e import streams
from tests.e2e.test_metrics_exact import AFTER_PART_1, AFTER_PART_2, EXPECTED, assert_files
from tests.pipeline import Workspace
from tests.spark.engines import (
    REJECTED_BY_REASON,
    SPARK,
    SPARK_TESTS,
    engine_workspaces,
    kill_spark_refresh_when,
    spark_table_dir,
)

pytestmark = SPARK_TESTS


def kill_point(spark: Workspace, part: int, through_seq: int) -> Path:
    """Where the Spark refresh of each part is killed: part 1 (a first build, every table created) while
    a mart is being written, its files not yet committed; part 2 once an append model has written its
    batch but no watermark has moved past it; part 3 once a running total has written its new state
    and its new watermark, beside the old ones it has not dropped yet."""
    return [
        spark_table_dir(spark, "gold.top_words") / "_temporary",
        spark_table_dir(spark, "silver.int_event_copies_tracked") / f"as_of_seq={through_seq}",
        spark_table_dir(spark, "silver.watermarks") / "model_name=likes_per_minute" / f"through_seq={through_seq}",
    ][part]


def test_three_parts_give_the_same_files_on_both_engines_through_kills_and_a_rebuild(tmp_path: Path) -> None:
    duck, spark = engine_workspaces(tmp_path)
    expected = [AFTER_PART_1, AFTER_PART_2, EXPECTED]
    for number, part in enumerate(streams.three_parts()):
        duck.land(part)
        duck.refresh()
        spark.land(part)
        kill_spark_refresh_when(spark, kill_point(spark, number, scan_bronze(spark.data_dir).through_seq))
        if number > 0:
            assert_files(spark.metrics(), expected[number - 1], f"after the killed refresh of part {number + 1}")
        spark.refresh(env=SPARK)
        assert_files(duck.metrics(), expected[number], f"on DuckDB after part {number + 1}")
        assert_files(spark.metrics(), expected[number], f"on Spark after part {number + 1}")
        assert spark.snapshot(REJECTED_BY_REASON) == duck.snapshot(REJECTED_BY_REASON), f"after part {number + 1}"
    assert sum(lines for _, lines in spark.snapshot(REJECTED_BY_REASON)) == streams.REJECTED_LINES

    # A refresh with nothing new changes nothing; a full rebuild gives the same files.
    spark.refresh(env=SPARK)
    assert_files(spark.metrics(), EXPECTED, "on Spark after a refresh with nothing new")
    assert spark.snapshot("select lines from ops.periodic_runs order by finished_at desc limit 1") == [(0,)]
    spark.refresh("--full-refresh", env=SPARK)
    assert_files(spark.metrics(), EXPECTED, "on Spark after --full-refresh")
