"""A full refresh: silver and gold dropped, then bronze read again in parts of bounded size.

After the reset, ./periodic builds the first part with dbt's --full-refresh and each later part as
an ordinary incremental refresh, so rebuilding a week of history needs no more disk or memory than
one part does (staged lines wait in the transit database only until every model has read them), and
gives what incremental refreshes give: the models give the same results however the input is split.
Dropping the old tables first lets the new ones reuse their space instead of doubling the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout
from bluesky_pipeline.refresh import warehouse

PART_LINES_ENV = "BLUESKY_REBUILD_PART_LINES"
# A full build of 10 million lines peaks at about 2.3 GB of memory and 85 bytes a line of transit
# database (bench/README.md), which a laptop has; a part ends at a file's end, so it may hold more.
DEFAULT_PART_LINES = 10_000_000


class RebuildError(Exception):
    """The full refresh cannot start: a bad setting, or a warehouse that cannot be reset."""


@dataclass(frozen=True)
class BronzeFile:
    first_seq: int
    last_seq: int  # a compacted file holds the lines of several sequence numbers
    path: Path


def part_lines_from_environment() -> int:
    try:
        lines = int(os.environ.get(PART_LINES_ENV) or DEFAULT_PART_LINES)
    except ValueError as error:
        raise RebuildError(f"{PART_LINES_ENV} must be a whole number of lines: {error}") from None
    if lines < 1:
        raise RebuildError(f"{PART_LINES_ENV} must be at least 1")
    return lines


def part_ends(data_dir: Path, through_seq: int, part_lines: int) -> list[int]:
    """The last bronze sequence number of each part, the last part ending at `through_seq`: a part
    ends after the file that brings it to `part_lines` lines."""
    ends, lines = [], 0
    for file in _bronze_files(data_dir):
        if file.last_seq >= through_seq:
            break
        lines += pq.read_metadata(file.path).num_rows
        if lines >= part_lines:
            ends.append(file.last_seq)
            lines = 0
    return [*ends, through_seq]


def reset(data_dir: Path) -> None:
    """Drop silver and gold in one transaction (the run records in ops stay) and the transit database."""
    warehouse.drop_transit_if_read(data_dir, rebuilding=True)
    if not warehouse.warehouse_path(data_dir).exists():
        return
    with warehouse.connect(data_dir) as connection:
        connection.execute("begin")
        connection.execute("drop schema if exists silver cascade")
        connection.execute("drop schema if exists gold cascade")
        connection.execute("commit")
        connection.execute("checkpoint")  # the dropped tables' blocks are free for the rebuilt ones


def _bronze_files(data_dir: Path) -> list[BronzeFile]:
    """Every bronze file, compacted and live, in sequence order (quarantined ones are not read)."""
    files = []
    for entry in bronze_layout.compacted_dir(data_dir).glob("events-*.parquet"):
        seqs = bronze_layout.compacted_range_of(entry.name)
        if seqs is not None:
            files.append(BronzeFile(seqs[0], seqs[1], entry))
    events = bronze_layout.events_dir(data_dir)
    for seq in bronze_layout.committed_seqs(events):
        files.append(BronzeFile(seq, seq, events / bronze_layout.file_name(seq)))
    return sorted(files, key=lambda file: file.first_seq)
