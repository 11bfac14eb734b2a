"""Writes the gold marts to metrics/*.csv, each replaced atomically.

A reader always sees a complete file: each is written aside, fsynced, then renamed over the old one.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class MetricFile:
    name: str
    header: tuple[str, ...]
    query: str  # the rows, in file order


METRICS = (
    MetricFile(
        "likes-per-minutes.csv",
        ("time", "likes"),
        "select strftime(minute_at, '%Y-%m-%d %H:%M:%S'), likes from gold.likes_per_minute order by minute_at",
    ),
    MetricFile(
        "fast-likers.csv",
        ("user_id", "likes"),
        "select liker_did, likes from gold.fast_likers order by likes desc, liker_did",
    ),
    MetricFile(
        "top-10-word.csv",
        ("word", "count"),
        "select word, posts from gold.top_words order by posts desc, word",
    ),
    MetricFile(
        "trending-posts.csv",
        ("post_uri", "likes"),
        "select post_uri, likes from gold.trending_posts order by likes desc, post_uri",
    ),
)


def export_metrics(connection: duckdb.DuckDBPyConnection, metrics_dir: Path) -> None:
    """Write every metric file from the gold marts (an empty mart gives a header-only file)."""
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for metric in METRICS:
        write_atomically(metrics_dir / metric.name, metric.header, connection.execute(metric.query).fetchall())


def write_atomically(path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]]) -> None:
    temp_path = path.with_name(f".{path.name}.tmp")
    try:
        with temp_path.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
            writer.writerow(header)
            writer.writerows(rows)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
