"""Unit tests of the line framer: any split of the input into reads gives the same lines."""

from __future__ import annotations

import random

import pytest

from bluesky_pipeline.landing.framing import LineBatch, LineFramer


def frame(data: bytes, reads: list[int], *, batch_bytes: int = 64, max_line: int = 1 << 20) -> list[LineBatch]:
    """Feed `data` to a framer in reads of the given sizes; take a batch whenever it is full."""
    framer = LineFramer(batch_bytes=batch_bytes, max_line_bytes=max_line, block_bytes=min(max_line, 1 << 20))
    position, batches = 0, []
    sizes = iter(reads)

    def read_into(view: memoryview) -> int:
        nonlocal position
        n = min(len(view), next(sizes, len(view)), len(data) - position)
        view[:n] = data[position : position + n]
        position += n
        return n

    while framer.fill(read_into):
        if framer.is_full and (batch := framer.take()) is not None:
            batches.append(batch)
    if (last := framer.take(include_partial=True)) is not None:
        batches.append(last)
    return batches


def lines_of(batches: list[LineBatch]) -> list[bytes]:
    lines = []
    for batch in batches:
        start = 0
        for end in batch.ends:
            lines.append(bytes(batch.data[start:end]))
            start = int(end)
    return lines


@pytest.mark.parametrize("seed", range(20))
def test_any_split_of_the_input_gives_the_lines_as_received(seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(200):
        length = rng.choice([0, 1, 5, 80, 300])
        lines.append(bytes(rng.randrange(256) for _ in range(length)).replace(b"\n", b"") + b"\n")
    data = b"".join(lines) + b"no newline at the end"
    reads = [rng.randint(1, 700) for _ in range(len(data))]
    assert lines_of(frame(data, reads)) == [*lines, b"no newline at the end"]


def test_empty_input_gives_no_batch() -> None:
    assert frame(b"", [10]) == []


def test_a_line_over_the_cap_keeps_its_start_and_its_size() -> None:
    cap = 1024
    long_line = b"{" + b"x" * 5000 + b"}\n"
    data = b"before\n" + long_line + b"after\n"
    batches = frame(data, [100] * 200, batch_bytes=1 << 20, max_line=cap)
    assert lines_of(batches) == [b"before\n", long_line[:cap], b"after\n"]
    assert batches[0].cut_sizes == {1: len(long_line)}


def test_a_cut_line_spanning_batches_is_handed_over_once_with_its_full_size() -> None:
    cap = 1024
    long_line = b"y" * 10_000 + b"\n"
    data = b"a\n" * 100 + long_line + b"b\n"
    batches = frame(data, [64] * 1000, batch_bytes=128, max_line=cap)
    lines = lines_of(batches)
    assert lines == [b"a\n"] * 100 + [long_line[:cap], b"b\n"]
    cut = [size for batch in batches for size in batch.cut_sizes.values()]
    assert cut == [len(long_line)]


def test_an_unterminated_line_over_the_cap_at_end_of_input_is_kept_cut() -> None:
    cap = 1024
    batches = frame(b"z" * 3000, [500] * 10, batch_bytes=1 << 20, max_line=cap)
    assert lines_of(batches) == [b"z" * cap]
    assert batches[0].cut_sizes == {0: 3000}


def test_a_line_just_over_the_cap_ending_in_the_same_read_is_cut() -> None:
    cap = 1024
    line = b"w" * (cap + 300) + b"\n"
    data = b"x\n" + line + b"after\n"
    batches = frame(data, [700, 700, 700, 700], batch_bytes=1 << 20, max_line=cap)
    assert lines_of(batches) == [b"x\n", line[:cap], b"after\n"]
    assert batches[0].cut_sizes == {1: len(line)}


def test_reused_buffers_hold_only_the_new_lines() -> None:
    # Each batch is released as soon as its lines are read, so later batches are framed in buffers
    # still holding older bytes: none of them may leak into a line.
    rng = random.Random(7)
    lines = [bytes([65 + n % 26]) * rng.choice([1, 30, 200]) + b"\n" for n in range(3000)]
    data = b"".join(lines)
    framer = LineFramer(batch_bytes=1000, max_line_bytes=1 << 20, block_bytes=256)
    position, received, buffers = 0, [], set()

    def read_into(view: memoryview) -> int:
        nonlocal position
        n = min(len(view), rng.randint(1, 256), len(data) - position)
        view[:n] = data[position : position + n]
        position += n
        return n

    while framer.fill(read_into):
        if framer.is_full and (batch := framer.take()) is not None:
            received += lines_of([batch])
            buffers.add(id(batch.data))
            batch.release()
    if (last := framer.take(include_partial=True)) is not None:
        received += lines_of([last])
    assert received == lines
    assert len(buffers) <= LineFramer.BUFFERS_KEPT  # buffers were reused, not allocated per batch
