"""`--replay FILE`: play back a recording byte for byte (plain, `.gz` or `.zst` by extension; `-` is stdin).

As fast as the reader takes it by default, or paced by the lines' timestamps with `--speed` (1 = real time).
"""

from __future__ import annotations

import gzip
import io
import re
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import zstandard

from bluesky_pipeline.cli_support import CliError
from bluesky_pipeline.producer.output import Sampler

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CHUNK_BYTES = 1 << 16
MIN_SLEEP_S = 0.002  # closer than this to a line's time, print it rather than sleep
_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"([^"]{10,40})"')


@contextmanager
def open_recording(path: str) -> Iterator[BinaryIO]:
    """The recording at `path`, decompressed according to its extension; `-` is stdin, read as is."""
    if path == "-":
        yield sys.stdin.buffer
        return
    with _open_file(path) as raw:
        if path.endswith(".gz"):
            yield io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), CHUNK_BYTES)
        elif path.endswith((".zst", ".zstd")):
            yield io.BufferedReader(_ZstdFrames(raw), CHUNK_BYTES)
        else:
            yield raw


class _ZstdFrames(io.RawIOBase):
    """The decompressed bytes of one or more zstd frames, raising ZstdError if the last is cut short.

    zstandard's own stream reader ends a truncated frame in silence; a recording stopped mid-write (the
    compressor killed along with the producer) should be reported, after everything before the cut.
    """

    def __init__(self, compressed: BinaryIO) -> None:
        super().__init__()
        self._compressed = compressed
        self._frame = zstandard.ZstdDecompressor().decompressobj()
        self._in_frame = False  # some of the current frame has been read, not its end
        self._ready = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        while not self._ready:
            data = self._compressed.read(CHUNK_BYTES)
            if not data:
                if self._in_frame:
                    raise zstandard.ZstdError("the last frame is cut short")
                return 0
            self._ready = memoryview(self._decompress(data))
        target = memoryview(buffer).cast("B")
        size = min(len(target), len(self._ready))
        target[:size] = self._ready[:size]
        self._ready = self._ready[size:]
        return size

    def _decompress(self, data: bytes) -> bytes:
        output = []
        while data:
            self._in_frame = True
            output.append(self._frame.decompress(data))
            data = b""
            if self._frame.eof:  # a frame ended: what follows is the next one
                data = self._frame.unused_data
                self._frame = zstandard.ZstdDecompressor().decompressobj()
                self._in_frame = False
        return b"".join(output)


def _open_file(path: str) -> BinaryIO:
    try:
        return Path(path).open("rb")
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}") from None


def replay(path: str, out: BinaryIO, sampler: Sampler | None, speed: float | None) -> None:
    """Copy the recording at `path` to `out`: whole when neither sampled nor paced, else line by line."""
    with open_recording(path) as recording:
        try:
            if sampler is None and speed is None:
                shutil.copyfileobj(recording, out, CHUNK_BYTES)
            else:
                _replay_lines(recording, out, sampler, None if speed is None else _Pacer(speed, out))
        except (EOFError, gzip.BadGzipFile, zstandard.ZstdError) as error:
            raise CliError(f"{path} is damaged or cut short: {error}") from None
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                raise
            raise CliError(f"cannot read {path}: {error}") from None
    out.flush()


def _replay_lines(recording: BinaryIO, out: BinaryIO, sampler: Sampler | None, pacer: _Pacer | None) -> None:
    for line in recording:
        if pacer is not None:
            pacer.wait_for(line)
        if sampler is None or sampler.keep():
            out.write(line)


class _Pacer:
    """Holds each line back until its timestamp, counted from the first line's, divided by `speed`.

    Lines stamped before the latest one seen (late events) go out at once; so do lines without a
    readable timestamp.
    """

    def __init__(self, speed: float, out: BinaryIO) -> None:
        self._speed = speed
        self._out = out
        self._first: tuple[datetime, float] | None = None  # (first timestamp, wall clock when printed)

    def wait_for(self, line: bytes) -> None:
        stamp = _timestamp_of(line)
        if stamp is None:
            return
        if self._first is None:
            self._first = (stamp, time.monotonic())
            return
        first_stamp, first_wall = self._first
        delay = first_wall + (stamp - first_stamp).total_seconds() / self._speed - time.monotonic()
        if delay > MIN_SLEEP_S:
            self._out.flush()  # what is due now goes out before the wait
            time.sleep(delay)


def _timestamp_of(line: bytes) -> datetime | None:
    """The line's timestamp, naive; one with a zone is converted to UTC (docs/input.md)."""
    found = _TIMESTAMP.search(line)
    if found is None:
        return None
    try:
        stamp = datetime.fromisoformat(found.group(1).decode("ascii"))
    except ValueError:  # UnicodeDecodeError included
        return None
    return stamp if stamp.tzinfo is None else stamp.astimezone(UTC).replace(tzinfo=None)
