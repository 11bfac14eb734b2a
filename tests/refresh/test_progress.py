"""BuildProgress on dbt's structured log events (the shape dbt 1.11 prints with --log-format json)."""

from __future__ import annotations

import io
import json

from bluesky_pipeline.refresh.progress import BuildProgress


def event(event_name: str, level: str = "info", msg: str = "", **data: object) -> str:
    return json.dumps({"info": {"name": event_name, "level": level, "msg": msg}, "data": data}) + "\n"


def node(schema: str, alias: str) -> dict[str, object]:
    return {"node_name": alias, "node_relation": {"schema": schema, "alias": alias}}


START = event("LogStartLine", description="sql incremental model silver.int_events_deduplicated", index=8, total=38)
MODEL_DONE = event(
    "LogModelResult", index=8, total=38, status="OK", execution_time=1.234, node_info=node("silver", "int_x")
)
TEST_PASSED = event("LogTestResult", index=9, num_models=38, status="pass", name="unique_x", execution_time=0.01)
TEST_WARNED = event("LogTestResult", index=10, num_models=38, status="warn", name="assert_y", execution_time=0.02)


def test_on_a_terminal_each_model_and_each_test_that_did_not_pass_has_a_line() -> None:
    out = io.StringIO()
    progress = BuildProgress(out, "periodic", live=True)
    for line in (START, MODEL_DONE, TEST_PASSED, TEST_WARNED, "not json\n"):
        progress.feed(line)
    progress.tick()  # on a terminal the lines above say it all
    assert out.getvalue() == (
        "periodic:    8/38 silver.int_x: OK in 1.23 s\nperiodic:   10/38 test assert_y: WARN in 0.02 s\n"
    )


def test_off_a_terminal_a_line_now_and_then_says_how_far_the_build_is() -> None:
    out = io.StringIO()
    progress = BuildProgress(out, "periodic", live=False, interval_s=0.0)
    progress.feed(MODEL_DONE)
    progress.feed(START.replace('"index": 8', '"index": 9'))
    assert out.getvalue() == ""
    progress.tick()
    assert out.getvalue() == (
        "periodic: dbt build running for 0 s: 8 of 38 nodes done; "
        "now: sql incremental model silver.int_events_deduplicated\n"
    )


def test_error_events_are_kept_for_a_build_that_stops_early() -> None:
    progress = BuildProgress(io.StringIO(), "periodic", live=False)
    progress.feed(event("MainEncounteredError", level="error", msg="Encountered an error:\nDisk full"))
    assert progress.errors == ["Encountered an error:\nDisk full"]


def test_rows_are_counted_and_shown_on_a_terminal_only() -> None:
    live, quiet = io.StringIO(), io.StringIO()
    counted: list[str] = []

    def count_rows() -> dict[str, int]:
        counted.append("counted")
        return {"silver.a": 15_000, "gold.b": 3}

    BuildProgress(live, "periodic", live=True).rows(count_rows)
    BuildProgress(quiet, "periodic", live=False).rows(count_rows)
    assert live.getvalue() == "periodic: rows: gold.b 3, silver.a 15,000\n"
    assert quiet.getvalue() == ""
    assert counted == ["counted"]  # off a terminal the rows are not even counted
