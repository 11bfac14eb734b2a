"""The output line: what the reference producer prints for one create operation (docs/input.md).

Every mode writes exactly this shape; the simulator's fast templates are tested against `create_line`.
"""

from __future__ import annotations

import json
from datetime import datetime

PY_TYPE = "com.atproto.sync.subscribeRepos#repoOp"
BINARY = "<binary>"


def create_line(timestamp: datetime, path: str, cid: object, record: object, repo: str) -> bytes:
    """One output line, newline included: `json.dumps` with its default separators, keys in this order.

    `timestamp` is naive local time, so `isoformat()` gives microseconds, or no fraction when they are 0.
    Non-ASCII text is written as UTF-8 rather than `\\u` escapes: the same JSON, and shorter.
    """
    event = {
        "timestamp": timestamp.isoformat(),
        "action": "create",
        "path": path,
        "cid": cid,
        "prev": None,
        "py_type": PY_TYPE,
        "record": record,
        "repo": repo,
    }
    try:
        return json.dumps(event, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate, which UTF-8 cannot carry: let JSON escape it
        return json.dumps(event).encode("ascii") + b"\n"


def with_binary_placeholders(value: object) -> object:
    """`value` with binary data replaced by `"<binary>"`, as the reference producer shows it.

    Jetstream writes a CID link as `{"$link": ...}` (blob refs) and raw bytes as `{"$bytes": ...}`;
    in the firehose the reference producer decodes, both are binary.
    """
    if isinstance(value, dict):
        if len(value) == 1 and ("$link" in value or "$bytes" in value):
            return BINARY
        return {key: with_binary_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_binary_placeholders(item) for item in value]
    return value
