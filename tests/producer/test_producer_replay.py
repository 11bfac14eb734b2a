"""`./bluesky --replay`: recordings played back byte for byte, whatever their compression, or paced."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import zstandard

Run = Callable[..., Any]


@pytest.fixture
def recording(with_bad_lines: bytes) -> bytes:
    """A recording with malformed lines in it, and a last line without its newline."""
    return with_bad_lines + b'{"timestamp": "2026-01-01T00:00:12", "action": "create"'


def write_recording(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(data, compresslevel=1))
    elif name.endswith(".zst"):
        # Two frames, as appending to a recording makes.
        compressor = zstandard.ZstdCompressor()
        path.write_bytes(compressor.compress(data[:50_000]) + compressor.compress(data[50_000:]))
    else:
        path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["session.jsonl", "session.jsonl.gz", "session.jsonl.zst"])
def test_replay_prints_the_recording_byte_for_byte(bluesky: Run, recording: bytes, tmp_path: Path, name: str) -> None:
    result = bluesky(["--replay", str(write_recording(tmp_path, name, recording))])
    assert result.returncode == 0
    assert result.stderr == b""
    assert result.stdout == recording


def test_replay_reads_stdin(bluesky: Run, recording: bytes) -> None:
    result = bluesky(["--replay", "-"], stdin=recording)
    assert result.returncode == 0
    assert result.stdout == recording


def test_replay_samples_lines(bluesky: Run, recording: bytes, tmp_path: Path) -> None:
    path = write_recording(tmp_path, "session.jsonl.gz", recording)
    result = bluesky(["0.5", "--replay", str(path)])
    assert result.returncode == 0
    kept = io.BytesIO(result.stdout).readlines()
    assert 9000 < len(kept) < 11000
    remaining = iter(io.BytesIO(recording).readlines())
    assert all(line in remaining for line in kept)  # whole lines, in order


def test_speed_paces_lines_by_their_timestamps(bluesky: Run, tmp_path: Path) -> None:
    start = datetime(2026, 3, 1, 12)
    lines = [
        json.dumps({"timestamp": (start + timedelta(seconds=second / 10)).isoformat(), "action": "create"}) + "\n"
        for second in range(11)  # one second of recording, a line every 0.1 s
    ]
    path = write_recording(tmp_path, "paced.jsonl", "".join(lines).encode())
    began = time.monotonic()
    paced = bluesky(["--replay", str(path), "--speed", "2"])
    elapsed = time.monotonic() - began
    assert paced.returncode == 0
    assert paced.stdout == "".join(lines).encode()
    assert elapsed >= 0.45  # one second of timestamps at twice real time


def test_speed_prints_each_line_when_due(tmp_path: Path) -> None:
    lines = [b'{"timestamp": "2026-03-01T12:00:00"}\n', b"not json\n", b'{"timestamp": "2026-03-01T12:00:00.7"}\n']
    path = write_recording(tmp_path, "gap.jsonl", b"".join(lines))
    command = [str(Path(__file__).resolve().parents[2] / "bluesky"), "--replay", str(path), "--speed", "1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stdout.readline() == lines[0]
        began = time.monotonic()
        assert process.stdout.readline() == lines[1]  # no timestamp: printed at once, before the wait
        assert process.stdout.readline() == lines[2]
        assert time.monotonic() - began >= 0.5
        assert process.wait(timeout=10) == 0


def test_a_recording_cut_short_is_printed_up_to_the_cut_then_reported(
    bluesky: Run, recording: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "cut.jsonl.zst"
    path.write_bytes(zstandard.ZstdCompressor().compress(recording)[:-1000])
    result = bluesky(["--replay", str(path)])
    assert result.returncode == 1
    assert result.stderr.decode().startswith(f"bluesky: error: {path} is damaged or cut short")
    assert len(result.stdout) > len(recording) // 2
    assert recording.startswith(result.stdout)
