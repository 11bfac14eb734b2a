"""What ./run shows on stderr: messages, and on a terminal one status line redrawn in place.

Everything else the children say goes to their log files; a closed terminal (SIGHUP) silences this.
"""

from __future__ import annotations

import shutil
from typing import TextIO


class Console:
    """Messages as `run: ...` lines; `status` redraws one line on a terminal and is ignored elsewhere."""

    def __init__(self, stream: TextIO, prog: str) -> None:
        self._stream = stream
        self._prog = prog
        self._is_tty = stream.isatty()
        self._status_shown = False
        self._gone = False

    def say(self, message: str) -> None:
        self._write(f"{self._clear()}{self._prog}: {message}\n")
        self._status_shown = False

    @property
    def shows_status(self) -> bool:
        return self._is_tty

    def note(self, message: str) -> None:
        """A message that the status line carries on a terminal: a line only elsewhere (a log)."""
        if not self._is_tty:
            self.say(message)

    def status(self, text: str) -> None:
        if not self._is_tty:
            return
        width = shutil.get_terminal_size().columns
        self._write(f"\r\x1b[K{text[: max(width - 1, 20)]}")
        self._status_shown = True

    def close(self) -> None:
        if self._status_shown:
            self._write(self._clear())

    def _clear(self) -> str:
        return "\r\x1b[K" if self._status_shown else ""

    def _write(self, text: str) -> None:
        # After a hang-up every write to the terminal fails; stopping goes on all the same.
        if self._gone:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError:
            self._gone = True
