"""Points in a refresh that a test can wait for (to kill or signal it there): dbt's log, the export, time.

Each is a function or object polled by the test while the refresh runs, reading only what the
refresh writes (its dbt log, the metrics directory), as an operator watching it would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


class DbtLog:
    """Watches dbt's log of the data directory for a line, reading only what was appended."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / "dbt" / "logs" / "dbt.log"
        self._offset = self._path.stat().st_size if self._path.exists() else 0
        self._seen = b""

    def shows(self, text: str) -> bool:
        try:
            with self._path.open("rb") as log:
                log.seek(self._offset)
                new = log.read()
        except FileNotFoundError:
            return False
        self._offset += len(new)
        self._seen = self._seen[-4096:] + new
        return text.encode() in self._seen


def after_seconds(seconds: float) -> Callable[[], bool]:
    start = time.monotonic()
    return lambda: time.monotonic() - start >= seconds


def export_started(metrics_dir: Path) -> Callable[[], bool]:
    """True once a metric file is being written aside (its temporary file exists)."""

    def reached() -> bool:
        try:
            return any(name.endswith(".tmp") for name in (entry.name for entry in metrics_dir.iterdir()))
        except FileNotFoundError:
            return False

    return reached
