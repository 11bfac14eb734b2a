"""How much one dbt build reads: a refresh's new bronze files, cut into parts of bounded size.

A backlog (a full refresh, a first refresh of days of landed files, --follow started late) read as
one batch would stage all of it in the transit database at once (about 85 bytes a line) and hold it
in dbt's memory. ./periodic builds it part after part instead, each an ordinary incremental refresh
of about BLUESKY_MAX_BATCH_LINES lines; the models give the same results however the input is split.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout

MAX_BATCH_LINES_ENV = "BLUESKY_MAX_BATCH_LINES"
# A build of 10 million new lines peaks at about 2.3 GB of memory and 0.9 GB of transit database
# (bench/README.md), which a laptop has.
DEFAULT_MAX_BATCH_LINES = 10_000_000


class BatchSettingError(Exception):
    """BLUESKY_MAX_BATCH_LINES is not a positive whole number."""


def max_batch_lines_from_environment() -> int:
    try:
        lines = int(os.environ.get(MAX_BATCH_LINES_ENV) or DEFAULT_MAX_BATCH_LINES)
    except ValueError as error:
        raise BatchSettingError(f"{MAX_BATCH_LINES_ENV} must be a whole number of lines: {error}") from None
    if lines < 1:
        raise BatchSettingError(f"{MAX_BATCH_LINES_ENV} must be at least 1")
    return lines


def part_ends(data_dir: Path, after_seq: int, through_seq: int, max_lines: int) -> list[int]:
    """The last bronze sequence number of each part of (after_seq, through_seq], the last being
    `through_seq`: a part ends after the file that brings it to `max_lines` lines (a file is never cut,
    so a part may hold more). Only the files of the range are opened, for their footers' row counts."""
    ends, lines = [], 0
    for last_seq, path in _files_after(data_dir, after_seq):
        if last_seq >= through_seq:
            break
        lines += pq.read_metadata(path).num_rows
        if lines >= max_lines:
            ends.append(last_seq)
            lines = 0
    return [*ends, through_seq]


def _files_after(data_dir: Path, after_seq: int) -> list[tuple[int, Path]]:
    """(last seq, path) of every bronze file holding seqs after `after_seq`, in sequence order;
    compacted/ is listed only when the range starts below its boundary (quarantined files are not read)."""
    files = []
    if after_seq < bronze_layout.read_compaction_state(data_dir).compacted_through_seq:
        for entry in bronze_layout.compacted_dir(data_dir).glob("events-*.parquet"):
            seqs = bronze_layout.compacted_range_of(entry.name)
            if seqs is not None and seqs[1] > after_seq:
                files.append((seqs[1], entry))
    events = bronze_layout.events_dir(data_dir)
    for seq in bronze_layout.committed_seqs(events):
        if seq > after_seq:
            files.append((seq, events / bronze_layout.file_name(seq)))
    return sorted(files)
