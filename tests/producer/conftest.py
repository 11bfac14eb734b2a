"""Fixtures for the producer tests: running the real `./bluesky`, parsing what it prints, and one shared
simulated stream (60 simulated seconds, made once per session, on which most `--simulate` checks run).

Helpers are fixtures rather than imports: test directories have no `__init__.py`, so a module imported by
name could collide with another directory's.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bluesky_pipeline.producer.cli import main

ROOT = Path(__file__).resolve().parents[2]
BLUESKY = ROOT / "bluesky"
SIMULATED_SECONDS = 60
START = "2026-01-01T00:00:00"  # reproducible streams name their start and seed (the defaults differ per run)


def run_bluesky(
    args: Sequence[str], stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """Run `./bluesky` from the repository root and wait for it."""
    return subprocess.run(
        [str(BLUESKY), *args], input=stdin, capture_output=True, cwd=ROOT, timeout=timeout, check=False
    )


@dataclass(frozen=True)
class Stream:
    """A run's stdout, as raw lines and as the events among them that parse."""

    raw: bytes
    lines: list[bytes]
    events: list[dict[str, Any]]


def parse_stream(raw: bytes) -> Stream:
    lines = raw.splitlines(keepends=True)
    events = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return Stream(raw=raw, lines=lines, events=events)


@pytest.fixture(scope="session")
def simulated() -> Stream:
    """60 simulated seconds (120,000 lines) with seed 7 from `START`, as fast as possible."""
    result = run_bluesky(
        ["--simulate", "--rate", "0", "--duration", str(SIMULATED_SECONDS), "--seed", "7", "--start", START]
    )
    assert result.returncode == 0, result.stderr
    return parse_stream(result.stdout)


@pytest.fixture(scope="session")
def with_bad_lines() -> bytes:
    """20,000 simulated lines of which about 5% are malformed (seed 1, from `START`)."""
    result = run_bluesky(
        ["--simulate", "--rate", "0", "--count", "20000", "--bad-lines", "0.05", "--seed", "1", "--start", START]
    )
    assert result.returncode == 0, result.stderr
    return bytes(result.stdout)


@pytest.fixture
def bluesky() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """Runs `./bluesky ARGS` and returns the completed process."""
    return run_bluesky


@pytest.fixture(scope="module")
def bluesky_module() -> Callable[..., subprocess.CompletedProcess[bytes]]:
    """`bluesky`, for module-scoped fixtures."""
    return run_bluesky


@pytest.fixture
def bluesky_in_process(capsysbinary: pytest.CaptureFixture[bytes]) -> Callable[[Sequence[str]], bytes]:
    """Runs the same command line inside the test process (no start-up cost) and returns its stdout."""

    def run(args: Sequence[str]) -> bytes:
        capsysbinary.readouterr()
        assert main(list(args)) == 0
        return capsysbinary.readouterr().out

    return run


@pytest.fixture
def parse() -> Callable[[bytes], Stream]:
    """Splits a run's stdout into lines and the events that parse."""
    return parse_stream
