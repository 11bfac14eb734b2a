"""Shared fixtures of the reliability tests: one realistic stream, and the metrics of a clean run of it.

Faulty runs (a killed writer, killed refreshes, refreshes racing the writer) are judged against the
metrics of one uninterrupted landing and one refresh of the same stream in a fresh workspace.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline import Workspace
from tests.reliability.files import metric_files_problems
from tests.reliability.streams import simulated_stream
from tests.rules import TOP_N


@pytest.fixture(scope="session")
def stream_lines() -> list[bytes]:
    """About 60,000 lines: simulated events, malformed lines, replays, late events, two fast likers."""
    return simulated_stream()


@pytest.fixture(scope="session")
def reference_metrics(stream_lines: list[bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The metric files of `stream_lines` landed in one go and refreshed once."""
    root: Path = tmp_path_factory.mktemp("reference")
    clean = Workspace(data_dir=root / "data", metrics_dir=root / "metrics")
    clean.land(b"".join(stream_lines))
    clean.refresh()
    assert metric_files_problems(clean.metrics_dir) == []
    metrics = clean.metrics()
    # The comparisons below are only as strong as these files are rich.
    assert metrics["fast-likers.csv"].count(b"\n") >= 3, metrics["fast-likers.csv"]
    assert metrics["top-10-word.csv"].count(b"\n") == 1 + TOP_N, metrics["top-10-word.csv"]
    assert metrics["trending-posts.csv"].count(b"\n") == 1 + TOP_N, metrics["trending-posts.csv"]
    assert metrics["likes-per-minutes.csv"].count(b"\n") >= 3, metrics["likes-per-minutes.csv"]
    return metrics
