"""File checks for the reliability tests: committed bronze files, and complete, well-formed metric files.

Metric files are judged against the package's metric registry (names and headers), so a new metric
is checked here without an edit.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import duckdb

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.bronze_layout import events_dir
from bluesky_pipeline.refresh.metric_files import METRICS
from tests.pipeline import query_bronze
from tests.rules import FAST_LIKER_MIN_LIKES, TOP_N

METRIC_HEADERS = {metric.name: list(metric.header) for metric in METRICS}
MINUTE_RE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:00")
COUNT_RE = re.compile(r"[1-9]\d*")


def committed_files(data_dir: Path) -> list[Path]:
    """Every file a reader's `*.parquet` glob sees in the bronze directory, in name order."""
    directory = events_dir(data_dir)
    return sorted(directory.glob("*.parquet")) if directory.exists() else []


def temp_files(data_dir: Path) -> list[Path]:
    directory = events_dir(data_dir)
    return sorted(path for path in directory.iterdir() if path.name.endswith(".tmp")) if directory.exists() else []


def committed_seqs(data_dir: Path) -> list[int]:
    return bronze_layout.committed_seqs(events_dir(data_dir))


def unreadable_bronze_files(data_dir: Path, already_checked: set[Path] | None = None) -> list[str]:
    """Committed files DuckDB cannot read (each with its error); skips those in `already_checked`."""
    problems = []
    with duckdb.connect() as connection:
        for path in committed_files(data_dir):
            if already_checked is not None and path in already_checked:
                continue
            try:
                connection.execute(
                    "select count(*), sum(octet_length(line)) from read_parquet(?)", [str(path)]
                ).fetchall()
            except duckdb.Error as error:
                problems.append(f"{path.name}: {error}")
                continue
            if already_checked is not None:
                already_checked.add(path)
    return problems


def bronze_with_sizes(data_dir: Path) -> list[tuple[bytes, int | None]]:
    """(line, original_size) of every landed line, in landing order."""
    return [(bytes(line), size) for line, size in query_bronze(data_dir, "select line, original_size")]


def metric_file_problem(name: str, data: bytes) -> str | None:
    """Why `data` is not a complete, well-formed metric file `name` (None when it is)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text.endswith("\n"):
        return f"does not end with a newline (cut short?): {text[-80:]!r}"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or rows[0] != METRIC_HEADERS[name]:
        return f"header is {rows[:1]!r}"
    if name in ("top-10-word.csv", "trending-posts.csv") and len(rows) > 1 + TOP_N:
        return f"{len(rows) - 1} rows, more than {TOP_N}"
    return next(filter(None, (metric_row_problem(name, row) for row in rows[1:])), None)


def metric_row_problem(name: str, row: list[str]) -> str | None:
    if len(row) != 2 or not row[0] or not COUNT_RE.fullmatch(row[1]):
        return f"malformed row {row!r}"
    if name == "likes-per-minutes.csv" and not MINUTE_RE.fullmatch(row[0]):
        return f"not a minute: {row!r}"
    if name == "fast-likers.csv" and int(row[1]) < FAST_LIKER_MIN_LIKES:
        return f"fast liker under {FAST_LIKER_MIN_LIKES} likes: {row!r}"
    return None


def metric_files_problems(metrics_dir: Path) -> list[str]:
    """Problems of every metric file present (an absent file is fine: not exported yet)."""
    problems = []
    for name in METRIC_HEADERS:
        try:
            data = (metrics_dir / name).read_bytes()
        except FileNotFoundError:
            continue
        problem = metric_file_problem(name, data)
        if problem:
            problems.append(f"{name}: {problem}")
    return problems


class MetricReader(threading.Thread):
    """Reads every metric file over and over, recording any read that is not a complete file.

    Also records a file that disappears once it has existed: an atomic replace never removes it.
    """

    def __init__(self, metrics_dir: Path, pause_s: float = 0.005) -> None:
        super().__init__(daemon=True)
        self._metrics_dir = metrics_dir
        self._pause_s = pause_s
        self.stop = threading.Event()
        self.reads = 0
        self.versions: dict[str, set[bytes]] = {name: set() for name in METRIC_HEADERS}
        self.problems: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            for name in METRIC_HEADERS:
                try:
                    data = (self._metrics_dir / name).read_bytes()
                except FileNotFoundError:
                    if self.versions[name]:
                        self.problems.append(f"{name} disappeared after it had been written")
                    continue
                self.reads += 1
                if data not in self.versions[name]:
                    problem = metric_file_problem(name, data)
                    if problem:
                        self.problems.append(f"{name}: {problem}")
                    self.versions[name].add(data)
            self.stop.wait(self._pause_s)
