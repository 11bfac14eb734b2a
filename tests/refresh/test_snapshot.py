"""The published snapshot: readers never block a refresh, it is bounded, and it tells of failed refreshes.

Every expectation is counted from the hand-made lines landed (tests/refresh/lines.py), never taken
from a run.
"""

from __future__ import annotations

import duckdb

from bluesky_pipeline.refresh.metric_files import METRICS
from tests.pipeline import Workspace
from tests.refresh.lines import junk, likes, not_objects
from tests.rules import FAST_LIKER_MIN_LIKES, FAST_LIKER_WINDOW_SECONDS

REJECTED_KEPT = 10_000  # the snapshot's bound, as documented (docs/operations.md)
LINE_BYTES_KEPT = 1_000


def minutes(workspace: Workspace) -> list[tuple[object, ...]]:
    return workspace.snapshot("select strftime(minute_at, '%H:%M'), likes from gold.likes_per_minute order by 1")


def test_a_reader_holding_the_snapshot_open_never_blocks_the_next_refreshes(workspace: Workspace) -> None:
    workspace.land(likes(3) + junk(2))
    workspace.refresh()
    # A real DuckDB session, as a user would leave one open, held across two refreshes.
    reader = duckdb.connect(str(workspace.data_dir / "snapshot.duckdb"), read_only=True)
    try:
        assert reader.execute("select likes from gold.likes_per_minute").fetchall() == [(3,)]
        workspace.land(likes(4, first=3) + not_objects(1))
        first = workspace.refresh()
        workspace.land(likes(5, first=7))
        second = workspace.refresh()
        # The held session still reads its own snapshot, whole and unchanged.
        assert reader.execute("select likes from gold.likes_per_minute").fetchall() == [(3,)]
        assert reader.execute("select * from silver.rejected_lines_by_reason").fetchall()[0][:2] == ("invalid JSON", 2)
    finally:
        reader.close()
    assert first.returncode == second.returncode == 0
    assert b"error" not in (first.stderr + second.stderr).lower()

    # A new reader sees the newest one: 3 + 4 + 5 likes, all in 12:00; 3 rejected lines.
    assert minutes(workspace) == [("12:00", 12)]
    assert workspace.snapshot(
        "select reject_reason, lines from silver.rejected_lines_by_reason order by reject_reason"
    ) == [("invalid JSON", 2), ("not a JSON object", 1)]
    covered = workspace.snapshot(
        "select through_seq, strftime(newest_event_at, '%H:%M:%S'), rejected_lines from ops.snapshot"
    )
    assert covered == [(3, "12:00:11", 3)]  # likes at 12:00:00-12:00:11
    assert workspace.snapshot("select status, new_events from ops.periodic_runs order by started_at") == [
        ("success", 3),
        ("success", 4),
        ("success", 5),
    ]
    leftovers = [path.name for path in workspace.data_dir.iterdir() if path.name.startswith(".snapshot")]
    assert leftovers == []


def test_the_snapshot_keeps_the_newest_rejected_lines_cut_short_and_counts_them_all(workspace: Workspace) -> None:
    long_line = b"x" * 5_000 + b"\n"
    workspace.land(junk(6_000, tag="a") + long_line)
    workspace.refresh()
    workspace.land(junk(6_000, tag="b"))
    workspace.refresh()

    # 12,001 rejected lines landed; the newest 10,000 are kept: a2001..a5999, the long line, b0..b5999.
    kept = workspace.snapshot(
        "select count(*), count(*) filter (where decode(rejected_line) like 'not json a %'), "
        "count(*) filter (where decode(rejected_line) like 'not json b %') from silver.int_lines_rejected"
    )
    assert kept == [(REJECTED_KEPT, 3_999, 6_000)]
    oldest = workspace.snapshot("select rejected_line from silver.int_lines_rejected order by all limit 1")
    assert oldest == [(b"not json a 2001\n",)]
    assert workspace.snapshot(
        "select rejected_line, line_bytes from silver.int_lines_rejected where decode(rejected_line) like 'xxx%'"
    ) == [(b"x" * LINE_BYTES_KEPT, len(long_line))]
    assert workspace.snapshot("select reject_reason, lines from silver.rejected_lines_by_reason") == [
        ("invalid JSON", 12_001)
    ]
    # The warehouse keeps every one of them, whole.
    assert workspace.warehouse("select count(*), max(octet_length(rejected_line)) from silver.int_lines_rejected") == [
        (12_001, len(long_line))
    ]


def test_a_full_refresh_publishes_the_same_snapshot_as_the_incremental_ones(workspace: Workspace) -> None:
    fast_likes = FAST_LIKER_WINDOW_SECONDS + 10
    workspace.land(likes(3) + junk(2))
    workspace.refresh()
    workspace.land(likes(fast_likes, first=3, liker="did:plc:fast") + not_objects(2) + junk(1, tag="late"))
    workspace.refresh()
    tables = (
        *(f"select * from {metric.mart} order by all" for metric in METRICS),
        "select * from silver.int_lines_rejected order by all",
        "select * from silver.rejected_lines_by_reason order by all",
        "select through_seq, newest_event_at, newest_landed_at, rejected_lines from ops.snapshot",
    )
    incremental = [workspace.snapshot(sql) for sql in tables]
    workspace.refresh("--full-refresh")
    assert [workspace.snapshot(sql) for sql in tables] == incremental
    # Likes one a second: at most fast_liker_window_seconds of them in one window [t, t + window).
    in_one_window = FAST_LIKER_WINDOW_SECONDS
    fast_likers = [("did:plc:fast", in_one_window)] if in_one_window >= FAST_LIKER_MIN_LIKES else []
    assert workspace.snapshot("select * from gold.fast_likers order by all") == fast_likers


def test_a_refresh_blocked_by_a_warehouse_session_is_published_as_failed(workspace: Workspace) -> None:
    workspace.land(likes(3))
    workspace.refresh()
    workspace.land(likes(2, first=3))
    # A DuckDB session a user left open on the warehouse holds its lock: the refresh cannot write.
    with duckdb.connect(str(workspace.data_dir / "warehouse.duckdb")):
        failed = workspace.refresh(check=False)
        status = workspace.refresh("--status", check=False)
    assert failed.returncode == 1
    errors = [line for line in failed.stderr.decode().splitlines() if "error" in line]
    assert len(errors) == 1, failed.stderr
    assert "lock" in errors[0].lower()
    # The snapshot kept the last good data and tells of the failed run.
    assert minutes(workspace) == [("12:00", 3)]
    newest = workspace.snapshot("select status, message from ops.periodic_runs order by started_at desc limit 1")
    assert newest[0][0] == "failed"
    assert "lock" in str(newest[0][1]).lower()
    assert status.returncode == 1
    assert status.stdout.decode().startswith("last refresh:   failed"), status.stdout

    workspace.refresh()
    assert minutes(workspace) == [("12:00", 5)]
    assert [row[0] for row in workspace.snapshot("select status from ops.periodic_runs order by started_at")] == [
        "success",
        "failed",
        "success",
    ]
