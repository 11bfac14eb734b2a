"""Which committed bronze files a refresh may read.

Files are renamed into place in sequence order, but a directory listing taken while the writer
commits may see file N+1 and not yet N. Reading only up to the end of the gap-free run of sequence
numbers makes sure no file is ever skipped by a watermark that has already moved past it. The run
starts right after the compacted files, and a quarantined file's seq is a hole accounted for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bluesky_pipeline import bronze_layout


@dataclass(frozen=True)
class BronzeScan:
    through_seq: int  # every file up to this one is present, compacted or quarantined (0: no file yet)
    first_missing_seq: int | None  # a hole before later files, if any


def scan_bronze(data_dir: Path) -> BronzeScan:
    """The end of the gap-free run of bronze files, and the first hole after it.

    The run ends at its last live file: a quarantined file after it waits for a good one to follow,
    so that a read range always holds a live file.
    """
    compacted_through = bronze_layout.read_compaction_state(data_dir).compacted_through_seq
    live = {seq for seq in bronze_layout.committed_seqs(bronze_layout.events_dir(data_dir)) if seq > compacted_through}
    present = sorted(live | {seq for seq in bronze_layout.quarantined_seqs(data_dir) if seq > compacted_through})
    if not present:
        return BronzeScan(compacted_through, None)
    expected = compacted_through + 1 if compacted_through > 0 else present[0]
    through = compacted_through
    for seq in present:
        if seq != expected:
            return BronzeScan(through, expected)
        if seq in live:
            through = seq
        expected = seq + 1
    return BronzeScan(through, None)


def gap_warning(scan: BronzeScan) -> str | None:
    """The warning for a hole in the sequence (later files wait for it), or None."""
    if scan.first_missing_seq is None:
        return None
    return f"bronze file #{scan.first_missing_seq} is missing; reading up to #{scan.through_seq} until it appears"
