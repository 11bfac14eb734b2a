"""Writes the gold marts to metrics/*.csv (the files of the metric registry), each replaced atomically.

A reader always sees a complete file: each is written aside, fsynced, then renamed over the old one.
"""

from __future__ import annotations

import csv
import os
import tempfile
from pathlib import Path

import duckdb

from bluesky_pipeline import durable
from bluesky_pipeline.refresh.metric_files import METRICS


class MetricsDirError(Exception):
    """The metrics directory cannot be created or written."""


def check_metrics_dir(metrics_dir: Path) -> None:
    """Make sure the metrics can be written, before any work is done: create the directory, probe a write."""
    if metrics_dir.exists() and not metrics_dir.is_dir():
        raise MetricsDirError(f"metrics directory {metrics_dir} is not a directory")
    try:
        metrics_dir.mkdir(parents=True, exist_ok=True)
        # A real write, not os.access: root passes access checks, and a read-only mount fails only here.
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=metrics_dir)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise MetricsDirError(f"cannot write metrics to {metrics_dir}: {error.strerror}") from None


def export_metrics(connection: duckdb.DuckDBPyConnection, metrics_dir: Path) -> None:
    """Write every metric file from the gold marts (an empty mart gives a header-only file)."""
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for metric in METRICS:
        write_csv_atomically(metrics_dir / metric.name, metric.header, connection.execute(metric.query).fetchall())


def write_csv_atomically(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    def write(temp_path: Path) -> None:
        with temp_path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(header)
            writer.writerows(rows)

    durable.replace_atomically(path, write)
