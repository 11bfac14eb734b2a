"""Hand-made lines for the refresh-side tests: likes at chosen times, and junk lines of known reasons."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

START = datetime(2026, 3, 1, 12, 0, 0)


def likes(count: int, *, first: int = 0, liker: str = "did:plc:liker", post: str = "p1") -> bytes:
    """`count` likes of one post by one user, one a second from START + `first` seconds."""
    lines = []
    for index in range(first, first + count):
        event = {
            "timestamp": (START + timedelta(seconds=index)).isoformat(),
            "action": "create",
            "path": f"app.bsky.feed.like/3like{index:06d}",
            "record": {"$type": "app.bsky.feed.like", "subject": {"uri": f"at://did:plc:a/app.bsky.feed.post/{post}"}},
            "repo": liker,
        }
        lines.append(json.dumps(event) + "\n")
    return "".join(lines).encode()


def junk(count: int, *, tag: str = "x") -> bytes:
    """`count` lines that are not JSON: each is rejected as "invalid JSON"."""
    return b"".join(f"not json {tag} {index}\n".encode() for index in range(count))


def not_objects(count: int) -> bytes:
    """`count` JSON lines that are not objects: each is rejected as "not a JSON object"."""
    return b"".join(f"[{index}]\n".encode() for index in range(count))
