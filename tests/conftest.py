"""Shared fixtures: a fresh workspace (data and metrics directories) per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace(data_dir=tmp_path / "data", metrics_dir=tmp_path / "metrics")
