"""Which committed bronze files a refresh may read.

Files are renamed into place in sequence order, but a directory listing taken while the writer
commits may see file N+1 and not yet N. Reading only up to the end of the gap-free run of sequence
numbers makes sure no file is ever skipped by a watermark that has already moved past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bluesky_pipeline import bronze_layout


@dataclass(frozen=True)
class BronzeScan:
    through_seq: int  # every committed file up to this one is present (0: no file yet)
    first_missing_seq: int | None  # a hole before later files, if any


def scan_bronze(data_dir: Path) -> BronzeScan:
    """The end of the gap-free run of committed bronze files, and the first hole after it."""
    seqs = bronze_layout.committed_seqs(bronze_layout.events_dir(data_dir))
    if not seqs:
        return BronzeScan(0, None)
    through = seqs[0]
    for seq in seqs[1:]:
        if seq != through + 1:
            return BronzeScan(through, through + 1)
        through = seq
    return BronzeScan(through, None)


def gap_warning(scan: BronzeScan) -> str | None:
    """The warning for a hole in the sequence (later files wait for it), or None."""
    if scan.first_missing_seq is None:
        return None
    return f"bronze file #{scan.first_missing_seq} is missing; reading up to #{scan.through_seq} until it appears"
