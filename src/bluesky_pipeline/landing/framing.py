"""Line framing for handle-stream: reads stdin in large blocks straight into a batch buffer.

Lines are never copied or decoded: newlines are found with numpy, and a full batch is handed on as
the buffer plus the end offset of each line. Judging lines (UTF-8, JSON, fields) is the SQL side's job.
Buffers come back once their batch is written and are reused: a fresh one costs a zeroing pass and a
page fault every 4 KiB, which was a fifth of handle-stream's CPU.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

NEWLINE = 10
ReadInto = Callable[[memoryview], int]


class BufferPool:
    """Batch buffers given back once written, for the framer to fill again (at most `keep` kept).

    Safe between one taking thread and any number of giving threads (deque operations are atomic).
    """

    def __init__(self, keep: int) -> None:
        self._free: deque[bytearray] = deque(maxlen=keep)

    def take(self, size: int) -> bytearray:
        """A buffer of at least `size` bytes, with whatever it held before."""
        while True:
            try:
                buffer = self._free.pop()
            except IndexError:
                return bytearray(size)
            if len(buffer) >= size:
                return buffer

    def give_back(self, buffer: bytearray) -> None:
        self._free.append(buffer)


@dataclass(frozen=True)
class LineBatch:
    """Complete lines, back to back in `data`, each with its newline when it had one."""

    data: bytearray
    ends: npt.NDArray[np.int64]  # end offset of each line in `data`
    cut_sizes: dict[int, int] = field(default_factory=dict)  # line index -> bytes received, for cut lines
    pool: BufferPool | None = field(default=None, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.ends)

    @property
    def nbytes(self) -> int:
        return int(self.ends[-1]) if len(self.ends) else 0

    def release(self) -> None:
        """The lines are written and nothing refers to `data` any more: the framer may refill it."""
        if self.pool is not None:
            self.pool.give_back(self.data)


class LineFramer:
    """Accumulates lines read from a file descriptor into batches of about `batch_bytes`.

    Memory is bounded whatever the input: a line longer than `max_line_bytes` keeps its first
    `max_line_bytes` bytes (so SQL can see and reject it with a reason) and the rest is skipped,
    counted in `LineBatch.cut_sizes`. Released batches' buffers are reused.
    """

    BUFFERS_KEPT = 4  # one filling, two being written, one waiting for a writer

    def __init__(self, batch_bytes: int, max_line_bytes: int, block_bytes: int = 1 << 20) -> None:
        if block_bytes > max_line_bytes:
            raise ValueError("block_bytes must not exceed max_line_bytes")
        self._batch_bytes = batch_bytes
        self._max_line = max_line_bytes
        self._block = block_bytes
        self._pool = BufferPool(self.BUFFERS_KEPT)
        self._is_newline = np.empty(block_bytes, dtype=np.bool_)  # scratch, reused by every read
        self._lines_taken = 0  # lines handed over in batches so far
        self._new_buffer(b"")

    def _new_buffer(self, tail: bytes | bytearray | memoryview) -> None:
        # Room for a full batch plus one block; grown only while a long line straddles the batch end.
        self._buf = self._pool.take(max(self._batch_bytes, len(tail)) + self._block)
        self._buf[: len(tail)] = tail
        self._len = len(tail)  # bytes held: complete lines, then the current partial line
        self._line_start = 0  # where the current partial line starts
        self._ends: list[npt.NDArray[np.int64]] = []
        self._count = 0  # complete lines held
        self._cut_sizes: dict[int, int] = {}
        self._skipping: int | None = None  # bytes received so far of a line being cut, while skipping it

    @property
    def pending_bytes(self) -> int:
        """Bytes held, complete lines and partial line alike."""
        return self._len

    @property
    def lines_framed(self) -> int:
        """Complete lines read so far, taken or still held: what the live rate counts."""
        return self._lines_taken + self._count

    @property
    def is_full(self) -> bool:
        return self._line_start >= self._batch_bytes

    def fill(self, read_into: ReadInto) -> int:
        """Read one block with `read_into` and frame it; returns the bytes read (0 at end of input)."""
        if len(self._buf) < self._len + self._block:
            self._buf.extend(bytes(self._len + self._block - len(self._buf)))
        view = memoryview(self._buf)[self._len : self._len + self._block]
        n = read_into(view)
        view.release()
        if n:
            self._frame(self._len, n)
        return n

    def _frame(self, start: int, n: int) -> None:
        if self._skipping is not None:
            start, n = self._skip(start, n)
            if not n:
                return
        is_newline = self._is_newline[:n]
        np.equal(np.frombuffer(self._buf, np.uint8, count=n, offset=start), NEWLINE, out=is_newline)
        ends = np.flatnonzero(is_newline).astype(np.int64, copy=False)
        self._len = start + n
        if len(ends):
            ends += start + 1
            if ends[0] - self._line_start > self._max_line:
                # The line the block completes began in earlier reads and is over the cap. (A line
                # wholly inside one block is never over it: blocks are at most max_line bytes.)
                ends = self._cut_first_line(ends)
            self._ends.append(ends)
            self._count += len(ends)
            self._line_start = int(ends[-1])
        if self._len - self._line_start > self._max_line:
            self._cut_current_line()

    def _cut_first_line(self, ends: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Keep the first max_line bytes of the line ending at ends[0]; close the gap after them."""
        kept_end = self._line_start + self._max_line
        dropped = int(ends[0]) - kept_end
        self._cut_sizes[self._count] = int(ends[0]) - self._line_start
        self._buf[kept_end : self._len - dropped] = self._buf[int(ends[0]) : self._len]
        self._len -= dropped
        return ends - dropped

    def _cut_current_line(self) -> None:
        # Keep the line's first max_line bytes; drop the rest as it arrives, up to the line's newline.
        self._skipping = self._len - self._line_start
        self._len = self._line_start + self._max_line

    def _skip(self, start: int, n: int) -> tuple[int, int]:
        """Drop the bytes of a line being cut, up to its newline; returns the block left to frame."""
        assert self._skipping is not None
        newline = self._buf.find(NEWLINE, start, start + n)
        if newline < 0:
            self._skipping += n
            return start, 0
        dropped = newline + 1 - start
        self._end_cut_line(self._skipping + dropped)
        rest = n - dropped
        self._buf[start : start + rest] = self._buf[newline + 1 : newline + 1 + rest]
        return start, rest

    def _end_cut_line(self, received: int) -> None:
        self._cut_sizes[self._count] = received
        self._ends.append(np.array([self._len], dtype=np.int64))
        self._count += 1
        self._line_start = self._len
        self._skipping = None

    def take(self, *, include_partial: bool = False) -> LineBatch | None:
        """Hand over the complete lines held (and the partial last line if asked); None if no line."""
        if include_partial and self._skipping is not None:
            self._end_cut_line(self._skipping)
        elif include_partial and self._len > self._line_start:
            self._ends.append(np.array([self._len], dtype=np.int64))
            self._count += 1
            self._line_start = self._len
        if not self._count:
            return None
        batch = LineBatch(
            data=self._buf,
            ends=np.concatenate(self._ends) if len(self._ends) > 1 else self._ends[0],
            cut_sizes=self._cut_sizes,
            pool=self._pool,
        )
        self._lines_taken += self._count
        skipping = self._skipping
        self._new_buffer(memoryview(self._buf)[self._line_start : self._len])
        self._skipping = skipping  # a line being cut goes on being cut in the new buffer
        return batch
