"""The bronze layout: the one contract between the streaming writer and the refresh side.

Bronze is a directory of Parquet files `events-<seq>.parquet`, one per commit, never rewritten.
`seq` is a gap-free, increasing sequence number, so a reader can tell exactly what is new.
"""

from __future__ import annotations

import re
from pathlib import Path

EVENTS_SUBDIR = Path("bronze") / "events"
SEQ_DIGITS = 12
# Temporary files start with a dot and end in .tmp, so no reader's `*.parquet` glob can match them.
TEMP_PREFIX = "."
TEMP_SUFFIX = ".tmp"
_FILE_RE = re.compile(rf"^events-(\d{{{SEQ_DIGITS}}})\.parquet$")

# Column names of every bronze file.
LINE_COLUMN = "line"  # the line exactly as received, with its b"\n" when it had one
ORIGINAL_SIZE_COLUMN = "original_size"  # bytes received, when `line` holds only the first part; else null
LANDED_AT_COLUMN = "landed_at"  # UTC time of the commit


def events_dir(data_dir: Path) -> Path:
    """Directory holding the bronze event files under `data_dir`."""
    return data_dir / EVENTS_SUBDIR


def file_name(seq: int) -> str:
    """Committed file name for sequence number `seq`."""
    return f"events-{seq:0{SEQ_DIGITS}d}.parquet"


def temp_name(seq: int) -> str:
    """Name under which file `seq` is written before its atomic rename."""
    return f"{TEMP_PREFIX}{file_name(seq)}{TEMP_SUFFIX}"


def seq_of(name: str) -> int | None:
    """Sequence number of a committed file name, or None for any other name."""
    match = _FILE_RE.match(name)
    return int(match.group(1)) if match else None


def committed_seqs(directory: Path) -> list[int]:
    """Sorted sequence numbers of the committed files in `directory` (empty if it does not exist)."""
    try:
        names = [entry.name for entry in directory.iterdir()]
    except FileNotFoundError:
        return []
    return sorted(seq for seq in map(seq_of, names) if seq is not None)
