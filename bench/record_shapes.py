"""The shapes of records in a JSONL stream: per collection, every JSON path with the type of its value.

Reads lines as `./bluesky` prints them (`path`, `record`) or as Jetstream sends them (`commit.collection`,
`commit.record`), creates only. Binary values (Jetstream's `{"$link": ...}`, `{"$bytes": ...}`) count as
`binary`, as the reference producer prints them as "<binary>". An object with a `$type` names it in its path
(`embed{app.bsky.embed.images}.images[].image.ref`), so that each member of a union has its own paths.

    uv run --frozen python bench/record_shapes.py stream.jsonl                 # shapes, with their shares
    uv run --frozen python bench/record_shapes.py --diff simulated.jsonl recorded.jsonl   # what differs
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from bluesky_pipeline.producer.events import BINARY, with_binary_placeholders

Shapes = dict[str, tuple[int, Counter[tuple[str, str]]]]  # collection -> (records, (path, type) -> records)


def records(path: Path) -> Iterator[tuple[str, object]]:
    """(collection, record) of every created record in the file, in either format."""
    with path.open("rb") as lines:
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            commit = event.get("commit")
            if isinstance(commit, dict):  # Jetstream
                if commit.get("operation") == "create" and commit.get("record") is not None:
                    yield str(commit.get("collection")), with_binary_placeholders(commit["record"])
            elif event.get("action", "create") == "create" and isinstance(event.get("record"), dict):
                yield str(event.get("path", "")).split("/", 1)[0], event["record"]


def kind(value: object) -> str:
    """The JSON type of a value, with "<binary>" strings as `binary`."""
    if value == BINARY:
        return "binary"
    for name, types in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", float)):
        if isinstance(value, types):
            return name
    return {str: "string", list: "array", dict: "object"}[type(value)]


def paths(value: object, at: str) -> Iterator[tuple[str, str]]:
    """(path, type) of the value and of everything inside it."""
    yield at, kind(value)
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$type":
                continue
            named = f"{{{item['$type']}}}" if isinstance(item, dict) and isinstance(item.get("$type"), str) else ""
            yield from paths(item, f"{at}.{key}{named}")
    elif isinstance(value, list):
        for item in value:
            named = f"{{{item['$type']}}}" if isinstance(item, dict) and isinstance(item.get("$type"), str) else ""
            yield from paths(item, f"{at}[]{named}")


def shapes(path: Path) -> Shapes:
    counts: defaultdict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for collection, record in records(path):
        totals[collection] += 1
        counts[collection].update(set(paths(record, "record")))
    return {collection: (totals[collection], counts[collection]) for collection in sorted(totals)}


def show(name: Path, found: Shapes) -> None:
    print(f"== {name}")
    for collection, (total, shape) in found.items():
        print(f"{collection}: {total} records")
        for (at, type_), seen in sorted(shape.items()):
            print(f"  {seen / total:6.1%}  {at}: {type_}")


def show_differences(first: Path, second: Path) -> None:
    """Per collection that both hold, the (path, type) pairs only one of them has."""
    ours, theirs = shapes(first), shapes(second)
    for collection in sorted(set(ours) | set(theirs)):
        if collection not in ours or collection not in theirs:
            where = first if collection in ours else second
            print(f"{collection}: only in {where}")
            continue
        mine, other = set(ours[collection][1]), set(theirs[collection][1])
        print(f"{collection}: {ours[collection][0]} vs {theirs[collection][0]} records")
        for at, type_ in sorted(mine - other):
            print(f"  only in {first.name}: {at}: {type_}")
        for at, type_ in sorted(other - mine):
            print(f"  only in {second.name}: {at}: {type_}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JSONL files (plain)")
    parser.add_argument("--diff", action="store_true", help="with two files: only what differs between them")
    args = parser.parse_args()
    if args.diff:
        if len(args.files) != 2:
            parser.error("--diff takes exactly two files")
        show_differences(*args.files)
        return
    for path in args.files:
        show(path, shapes(path))


if __name__ == "__main__":
    main()
