"""kill -9 of handle-stream mid-stream, then a restart fed the tail with an overlap (docs/guarantees.md).

What may be lost is only what was read since the last commit (about one commit interval); no half
file is ever visible; a replayed overlap counts once, so the metrics equal an uninterrupted run's.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.pipeline import Workspace
from tests.reliability.files import committed_files, committed_seqs, temp_files, unreadable_bronze_files
from tests.reliability.processes import COMMIT_INTERVAL_S, Child
from tests.reliability.streams import PacedFeeder

pytestmark = pytest.mark.reliability

FEED_RATE = 5_000  # lines/s: a busy moment of the live network
RUN_BEFORE_KILL_S = 3.5
# Time for the last batch to be encoded, fsynced and renamed once cut, on a loaded 2-core machine.
COMMIT_SLACK_S = 1.0
OVERLAP_LINES = 3_000  # lines replayed after the restart, as a reconnecting producer would


def test_kill_9_loses_at_most_the_last_second_and_a_replayed_tail_counts_once(
    workspace: Workspace, stream_lines: list[bytes], reference_metrics: dict[str, bytes]
) -> None:
    writer = Child("handle-stream", "--data-dir", str(workspace.data_dir), log_dir=workspace.data_dir.parent / "logs")
    assert writer.process.stdin is not None
    feeder = PacedFeeder(writer.process.stdin, stream_lines, FEED_RATE)
    feeder.start()

    # A reader polling the bronze directory as the writer commits never meets a broken file.
    checked: set = set()
    deadline = time.monotonic() + RUN_BEFORE_KILL_S
    while time.monotonic() < deadline:
        assert unreadable_bronze_files(workspace.data_dir, checked) == []
        time.sleep(0.2)
    killed_at = time.monotonic()
    writer.kill_group(signal.SIGKILL)
    writer.wait()
    feeder.stop.set()
    feeder.join()

    assert unreadable_bronze_files(workspace.data_dir) == []
    assert len(committed_files(workspace.data_dir)) >= 2, "the writer committed nothing while running"
    landed = workspace.bronze_lines()
    kept = len(landed)
    assert landed == stream_lines[:kept], "the landed lines are not an exact prefix of the input"
    sent = feeder.lines_sent
    assert kept <= sent
    if kept < sent:
        # The first lost line had been in the pipe for no longer than about one commit interval.
        waited = killed_at - feeder.sent_by(kept)
        assert waited <= COMMIT_INTERVAL_S + COMMIT_SLACK_S, (
            f"line {kept} was written {waited:.2f} s before the kill and is lost ({sent - kept} lines lost)"
        )

    # Restart, replaying the tail from before the last commit, as a reconnecting producer does.
    seqs_before = committed_seqs(workspace.data_dir)
    replay_from = max(0, kept - OVERLAP_LINES)
    restarted = workspace.land(b"".join(stream_lines[replay_from:]))
    assert b"Traceback" not in restarted.stderr
    assert temp_files(workspace.data_dir) == [], "a half-written file of the killed writer is left behind"
    seqs = committed_seqs(workspace.data_dir)
    assert seqs[: len(seqs_before)] == seqs_before
    assert seqs == list(range(1, len(seqs) + 1)), f"sequence numbers have gaps: {seqs}"
    assert workspace.bronze_lines() == stream_lines[:kept] + stream_lines[replay_from:]

    workspace.refresh()
    assert workspace.metrics() == reference_metrics
