"""Checks the bronze files a refresh is about to read; a damaged or foreign one is moved to quarantine.

Left in place, a file that is not readable bronze (truncated, corrupted, another schema) would fail
this refresh and every later one. Moved to bronze/quarantine/ (kept, never deleted), its seq becomes
a hole accounted for, and the refresh reads the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from bluesky_pipeline import bronze_layout, durable
from bluesky_pipeline.refresh.bronze_scan import BronzeScan, scan_bronze


@dataclass(frozen=True)
class QuarantinedFile:
    path: Path  # where it is now
    reason: str

    def describe(self) -> str:
        return f"bronze file {self.path.name} is {self.reason}; moved to {self.path.parent}/ and skipped"


def quarantine_unreadable(data_dir: Path, after_seq: int, through_seq: int) -> list[QuarantinedFile]:
    """Check every bronze file holding seqs in (after_seq, through_seq]; quarantine the bad ones.

    Live files are read whole (footer, schema, every page decoded: about 1 ms a file, bench/README.md),
    which finds every damage that would make DuckDB fail. Compacted files, reached only by a read from
    before the compacted boundary (a full refresh), get the footer and schema check: decoding them all
    would double the cost of a full rebuild.
    """
    quarantined = []
    events_dir = bronze_layout.events_dir(data_dir)
    compacted_through = bronze_layout.read_compaction_state(data_dir).compacted_through_seq
    for seq in bronze_layout.committed_seqs(events_dir):
        if max(after_seq, compacted_through) < seq <= through_seq:
            path = events_dir / bronze_layout.file_name(seq)
            problem = file_problem(path, bronze_layout.LIVE_SCHEMA, decode=True)
            if problem:
                quarantined.append(_quarantine(data_dir, path, problem))
    if after_seq < compacted_through:
        for path in sorted(bronze_layout.compacted_dir(data_dir).glob("*.parquet")):
            seqs = bronze_layout.compacted_range_of(path.name)
            if seqs and seqs[1] > after_seq and seqs[0] <= min(through_seq, compacted_through):
                problem = file_problem(path, bronze_layout.COMPACTED_SCHEMA, decode=False)
                if problem:
                    quarantined.append(_quarantine(data_dir, path, problem))
    return quarantined


def file_problem(path: Path, schema: pa.Schema, *, decode: bool) -> str | None:
    """Why `path` is not a readable bronze file of `schema`, or None."""
    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as error:
        return f"not a readable Parquet file ({_first_line(error)})"
    with parquet:
        found = parquet.schema_arrow
        if [(field.name, field.type) for field in found] != [(field.name, field.type) for field in schema]:
            columns = ", ".join(f"{field.name} {field.type}" for field in found)
            return f"not a bronze file (columns: {columns})"
        try:
            for index in range(parquet.num_row_groups if decode else 0):
                parquet.read_row_group(index)
        except (OSError, pa.ArrowException) as error:
            return f"damaged ({_first_line(error)})"
    return None


def _quarantine(data_dir: Path, path: Path, reason: str) -> QuarantinedFile:
    directory = bronze_layout.quarantine_dir(data_dir)
    name, copy = path.name, 0
    while (directory / name).exists():
        copy += 1
        name = f"{path.name}.{copy}"
    return QuarantinedFile(durable.move_into(path, directory, name), reason)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


@dataclass(frozen=True)
class CheckedBronze:
    scan: BronzeScan  # what this refresh may read, all of it checked
    quarantined: list[QuarantinedFile]


def check_bronze(data_dir: Path, after_seq: int) -> CheckedBronze:
    """The bronze files a refresh from `after_seq` may read, once the bad ones are quarantined."""
    scan = scan_bronze(data_dir)
    quarantined = quarantine_unreadable(data_dir, after_seq, scan.through_seq)
    if quarantined:
        # A quarantined file can end the run early; never go past what was checked.
        rescan = scan_bronze(data_dir)
        scan = BronzeScan(min(rescan.through_seq, scan.through_seq), rescan.first_missing_seq)
    return CheckedBronze(scan, quarantined)
