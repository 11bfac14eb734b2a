"""SIGINT/SIGTERM to handle-stream land what was read, then exit 0; a restart appends (docs/guarantees.md)."""

from __future__ import annotations

import signal
import time

import pytest

from tests.pipeline import Workspace
from tests.reliability.files import committed_seqs, temp_files
from tests.reliability.processes import Child
from tests.reliability.streams import PacedFeeder

pytestmark = pytest.mark.reliability

LONG_INTERVAL = "60"  # no timed commit during the test: whatever lands, the signal landed it
READ_GRACE_S = 1.0  # a line in the pipe this long has surely been read by handle-stream


def start_writer(workspace: Workspace, *args: str) -> Child:
    return Child(
        "handle-stream", "--data-dir", str(workspace.data_dir), *args, log_dir=workspace.data_dir.parent / "logs"
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lands_everything_read_and_a_restart_appends(
    workspace: Workspace, stream_lines: list[bytes], stop_signal: signal.Signals
) -> None:
    first, second = stream_lines[:2000], stream_lines[2000:4000]
    partial = stream_lines[4000][:37]  # a last line cut short, no newline: landed as it is
    writer = start_writer(workspace, "--commit-interval", LONG_INTERVAL)
    assert writer.process.stdin is not None
    writer.process.stdin.write(b"".join(first) + partial)
    writer.process.stdin.flush()
    time.sleep(READ_GRACE_S)
    writer.process.send_signal(stop_signal)
    code = writer.wait(60)
    writer.process.stdin.close()

    assert code == 0, writer.stderr()
    assert "Traceback" not in writer.stderr()
    assert workspace.bronze_lines() == [*first, partial]
    assert temp_files(workspace.data_dir) == []
    seqs_before = committed_seqs(workspace.data_dir)

    workspace.land(b"".join(second))
    assert workspace.bronze_lines() == [*first, partial, *second]
    seqs = committed_seqs(workspace.data_dir)
    assert seqs[: len(seqs_before)] == seqs_before
    assert len(seqs) > len(seqs_before)
    assert seqs == list(range(1, len(seqs) + 1)), f"the restart did not continue the sequence: {seqs}"


def test_sigterm_while_data_flows_lands_a_prefix_up_to_what_was_read(
    workspace: Workspace, stream_lines: list[bytes]
) -> None:
    writer = start_writer(workspace, "--commit-interval", LONG_INTERVAL)
    assert writer.process.stdin is not None
    feeder = PacedFeeder(writer.process.stdin, stream_lines, 5_000, close_at_end=False)
    feeder.start()
    time.sleep(3.0)
    signalled_at = time.monotonic()
    writer.process.send_signal(signal.SIGTERM)
    code = writer.wait(60)
    feeder.stop.set()
    feeder.join()

    assert code == 0, writer.stderr()
    landed = b"".join(workspace.bronze_lines())
    assert b"".join(stream_lines).startswith(landed), "the landed bytes are not a prefix of the stream"
    # Every line in the pipe for a while before the signal had been read, so it was landed.
    must_land = len(b"".join(stream_lines[: feeder.lines_written_by(signalled_at - READ_GRACE_S)]))
    assert len(landed) >= must_land > 0, f"landed {len(landed)} bytes, {must_land} had been read"
