"""`./bluesky` as a command: help, one-line usage errors, and a quiet end when the reader goes away."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
Run = Callable[..., Any]


def test_help_explains_the_modes_with_runnable_examples(bluesky: Run) -> None:
    result = bluesky(["--help"])
    assert result.returncode == 0
    text = result.stdout.decode()
    for needle in ("--simulate", "--replay", "--cursor", "--collections", "--seed", "--speed", "RATE", "examples:"):
        assert needle in text, needle
    assert "./bluesky --simulate --duration 120 | ./handle-stream" in text


@pytest.mark.parametrize(
    "args",
    [
        ["2"],  # a sampling rate is at most 1
        ["0"],
        ["often"],
        ["--simulate", "--replay", "x.jsonl"],  # one mode at a time
        ["--rate", "100"],  # a --simulate option in live mode
        ["--simulate", "--speed", "2"],  # a --replay option
        ["--replay", "x.jsonl", "--cursor", "5"],  # a live option
        ["--simulate", "--count", "0"],
        ["--simulate", "--rate", "-1"],
        ["--simulate", "--bad-lines", "1.5"],
        ["--simulate", "--start", "yesterday"],
        ["--simulate", "--seed", "-1"],
        ["--url", "http://example.org/subscribe"],
        ["--collections", ","],
        ["--no-such-option"],
    ],
)
def test_bad_usage_is_one_clear_line_and_exit_2(bluesky: Run, args: list[str]) -> None:
    result = bluesky(args, timeout=20)
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("bluesky: error: ")


def test_a_missing_recording_is_one_line_and_exit_1(bluesky: Run, tmp_path: Path) -> None:
    result = bluesky(["--replay", str(tmp_path / "nothing.jsonl.zst")])
    assert result.returncode == 1
    assert (
        result.stderr.decode()
        == f"bluesky: error: cannot read {tmp_path / 'nothing.jsonl.zst'}: No such file or directory\n"
    )


@pytest.mark.parametrize(
    "args",
    [["--simulate"], ["0.5", "--simulate", "--rate", "0", "--bad-lines", "0.1"]],
)
def test_a_reader_that_leaves_ends_it_quietly_with_exit_0(args: list[str]) -> None:
    # As in `./bluesky --simulate | head -1`: the producer must notice the closed pipe and stop, silently.
    command = [str(ROOT / "bluesky"), *args]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        assert process.wait(timeout=30) == 0
        assert first.startswith(b'{"timestamp": ')
        logged = process.stderr.read().decode().splitlines()
        assert len(logged) == 1  # the seed and start it chose, and no complaint about the pipe
        assert logged[0].startswith("bluesky: simulating with --seed ")
