"""Vectorized rendering for the simulator: thousands of lines of one shape built at once, as rows of bytes.

A like, a follow, ... is fixed-width once its timestamp has all six fraction digits, so numpy lays out
each row from a template: the literal bytes once, then every field as a column of fixed-width strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache

import numpy as np

EPOCH = datetime(1970, 1, 1)

# A template is literal bytes and names of fields. A field is a table of fixed-width byte strings (a
# numpy void array) and, for every slot of the batch, its row in that table (None: the slot's own row).
Template = tuple[bytes | str, ...]
Field = tuple[np.ndarray, np.ndarray | None]
Fields = Mapping[str, Field]

TIMESTAMP: Template = ("date", b"T", "time", b".", "micros_high", "micros_low")  # naive, 6 digits
CREATED_AT: Template = ("created_date", b"T", "created_time", b".", "created_millis", b"Z")  # UTC, ms


def byte_strings(rows: np.ndarray) -> np.ndarray:
    """A 2-D uint8 array as a 1-D array of fixed-width byte strings, one per row (no copy)."""
    rows = np.ascontiguousarray(rows, dtype=np.uint8)
    return rows.view(f"V{rows.shape[1]}").reshape(len(rows))


def _digits(count: int, width: int) -> np.ndarray:
    numbers = np.arange(count)
    powers = 10 ** np.arange(width - 1, -1, -1)
    return byte_strings((numbers[:, None] // powers % 10 + ord("0")).astype(np.uint8))


THREE_DIGITS = _digits(1000, 3)  # "000" ... "999"
_TWO_DIGITS = np.frombuffer(b"".join(b"%02d" % number for number in range(100)), dtype=np.uint8).reshape(100, 2)


def _times_of_day() -> np.ndarray:
    """ "HH:MM:SS" for every second of a day."""
    second = np.arange(86_400)
    rows = np.empty((86_400, 8), dtype=np.uint8)
    rows[:, 0:2] = _TWO_DIGITS[second // 3600]
    rows[:, 3:5] = _TWO_DIGITS[second // 60 % 60]
    rows[:, 6:8] = _TWO_DIGITS[second % 60]
    rows[:, [2, 5]] = ord(":")
    return byte_strings(rows)


TIMES_OF_DAY = _times_of_day()


def time_fields(micros: np.ndarray, created_micros: np.ndarray) -> dict[str, Field]:
    """The fields of `TIMESTAMP` and `CREATED_AT` for times in microseconds since the epoch."""
    seconds, fraction = np.divmod(micros, 1_000_000)
    created_seconds, created_fraction = np.divmod(created_micros, 1_000_000)
    days, time = np.divmod(seconds, 86_400)
    created_days, created_time = np.divmod(created_seconds, 86_400)
    first = int(min(days.min(), created_days.min()))
    last = int(max(days.max(), created_days.max()))
    dates = b"".join((EPOCH + timedelta(days=day)).date().isoformat().encode() for day in range(first, last + 1))
    date_table = np.frombuffer(dates, dtype="V10")
    return {
        "date": (date_table, days - first),
        "time": (TIMES_OF_DAY, time),
        "micros_high": (THREE_DIGITS, fraction // 1000),
        "micros_low": (THREE_DIGITS, fraction % 1000),
        "created_date": (date_table, created_days - first),
        "created_time": (TIMES_OF_DAY, created_time),
        "created_millis": (THREE_DIGITS, created_fraction // 1000),
    }


def drop_zero_fraction(line: bytes) -> bytes:
    """`line` (which starts with its timestamp) without a `.000000` fraction, as `isoformat()` writes it."""
    return line.replace(b'.000000"', b'"', 1)


@lru_cache(maxsize=256)
def _layout(template: Template, widths: tuple[int, ...]) -> tuple[np.void, np.dtype[np.void], tuple[str, ...]]:
    """The row of literals (fields left blank), and a structured dtype naming each field's columns."""
    literal, names, formats, offsets = bytearray(), [], [], []
    fields = iter(widths)
    for position, part in enumerate(template):
        if isinstance(part, bytes):
            literal += part
        else:
            width = next(fields)
            names.append(f"{position}:{part}")
            formats.append(f"V{width}")
            offsets.append(len(literal))
            literal += bytes(width)
    base = np.frombuffer(bytes(literal), dtype=f"V{len(literal)}")[0]
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": len(literal)})
    return base, dtype, tuple(names)


def render_array(template: Template, fields: Fields, slots: np.ndarray) -> np.ndarray:
    """The template rendered for each slot in `slots`, as an array of fixed-width byte strings."""
    names = [part for part in template if isinstance(part, str)]
    base, dtype, columns = _layout(template, tuple(fields[name][0].dtype.itemsize for name in names))
    rows = np.full(len(slots), base, dtype=base.dtype)
    columns_view = rows.view(dtype)
    for column, name in zip(columns, names, strict=True):
        table, index = fields[name]
        columns_view[column] = table[slots if index is None else index[slots]]
    return rows


def render(template: Template, fields: Fields, slots: np.ndarray) -> list[bytes]:
    """The template rendered for each slot in `slots`, as bytes."""
    rows = render_array(template, fields, slots)
    return rows.view(f"S{rows.dtype.itemsize}").tolist()  # type: ignore[no-any-return]


def render_into(rendered: np.ndarray, template: Template, fields: Fields, slots: np.ndarray) -> None:
    """The template rendered for each slot in `slots`, stored as bytes at those slots of `rendered`."""
    if len(slots):
        rows = render_array(template, fields, slots)
        rendered[slots] = rows.view(f"S{rows.dtype.itemsize}")
