"""Keeps handle-stream's resident memory flat: large buffers go back to the system when freed.

glibc raises its mmap threshold after the first large free, after which freed batch buffers stay in
per-thread arenas; Arrow's own allocator also keeps freed memory. Both would make RSS grow in steps.
"""

from __future__ import annotations

import ctypes

import pyarrow as pa

_M_MMAP_THRESHOLD = -3  # glibc mallopt parameters (malloc.h)
_M_ARENA_MAX = -8
_MMAP_THRESHOLD_BYTES = 1 << 20


def bound_memory() -> None:
    """Route large allocations through mmap (returned on free) and Arrow through the system allocator."""
    pa.set_memory_pool(pa.system_memory_pool())
    # The process's own symbols include the C library's (find_library would run ldconfig: 40 ms).
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is not None:  # None: not glibc, nothing to tune
        mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES)
        mallopt(_M_ARENA_MAX, 2)
