"""A power-loss model checked against the real system calls of ./periodic, as strace records them.

After a power cut only what was made durable survives: a file's bytes once fsynced, a name (created,
renamed, removed) once its directory was fsynced. Anything not yet durable may or may not have
reached the disk. At every point of the trace, every such combination of pending directory changes
is applied to the durable state, and the bronze layout is read back as the next ./periodic would
(recovery first): every seq must be readable exactly once, from a file whose bytes are durable.
"""

from __future__ import annotations

import codecs
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from bluesky_pipeline import bronze_layout

STRACE_CALLS = "openat,write,fsync,fdatasync,rename,renameat,renameat2,unlink,unlinkat"
_CALL_RE = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)\s+= (?P<result>-?\d+)")
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')
_FD_PATH_RE = re.compile(r"^\d+<(?P<path>[^>]*)>")
MAX_PENDING = 12  # 2**12 combinations at most per point


@dataclass(frozen=True)
class Call:
    """One traced system call that touches the bronze directory."""

    name: str  # create, write, fsync, rename, unlink
    path: str
    target: str = ""  # rename's new name
    data: str = ""  # write's bytes (as strace shows them), for compaction.json


def parse_trace(text: str, root: Path) -> list[Call]:
    """The successful calls on paths under `root` (a data directory's bronze/), in order."""
    prefix = str(root)
    calls = []
    for line in text.splitlines():
        match = _CALL_RE.match(line.strip())
        if not match or int(match["result"]) < 0:
            continue
        name, args = match["name"], match["args"]
        strings = [codecs.decode(value, "unicode_escape") for value in _STRING_RE.findall(args)]
        fd_path = _FD_PATH_RE.match(args)
        if name == "openat" and "O_CREAT" in args:
            calls.append(Call("create", strings[0]))
        elif name == "write" and fd_path:
            calls.append(Call("write", fd_path["path"], data=strings[0] if strings else ""))
        elif name in ("fsync", "fdatasync") and fd_path:
            calls.append(Call("fsync", fd_path["path"]))
        elif name.startswith("rename"):
            calls.append(Call("rename", strings[0], strings[1]))
        elif name.startswith("unlink"):
            calls.append(Call("unlink", strings[0]))
    return [call for call in calls if call.path.startswith(prefix)]


@dataclass
class _File:
    durable: bool  # its bytes, as they are now, survive a power cut
    text: str = ""  # what was written to it (kept for compaction.json)
    durable_text: str = ""  # what was written to it by its last fsync


@dataclass(frozen=True)
class _Change:
    """A directory change not yet made durable, with the file it names."""

    call: Call
    file: _File | None


@dataclass
class _Disk:
    names: dict[str, _File]  # what a process sees now
    durable_names: dict[str, _File]  # what survives a power cut, whatever was pending
    pending: dict[str, list[_Change]] = field(default_factory=dict)  # by directory


def check_power_loss(calls: list[Call], data_dir: Path, last_seq: int, initial: dict[str, str]) -> list[str]:
    """Every way a power cut at any point of `calls` breaks the rule "each seq readable exactly once".

    `initial` maps each existing path (all durable) to its text (only compaction.json's matters).
    """
    files = {path: _File(True, text, text) for path, text in initial.items()}
    disk = _Disk(dict(files), dict(files))
    problems: list[str] = []
    for index, call in enumerate(calls):
        _apply(disk, call)
        pending = [change for changes in disk.pending.values() for change in changes]
        assert len(pending) <= MAX_PENDING, f"{len(pending)} directory changes pending at call {index}"
        for count in range(len(pending) + 1):
            for subset in itertools.combinations(pending, count):
                names = dict(disk.durable_names)
                for change in subset:
                    _change(names, change)
                problem = _read_back(names, data_dir, last_seq)
                if problem:
                    also = ", ".join(f"{c.call.name} {Path(c.call.path).name}" for c in subset) or "none"
                    problems.append(
                        f"power cut after call {index} ({call.name} {call.path}; on disk too: {also}): {problem}"
                    )
    return problems


def _apply(disk: _Disk, call: Call) -> None:
    directory = str(Path(call.path).parent)
    match call.name:
        case "create" if call.path in disk.names:  # O_TRUNC of an existing file
            disk.names[call.path].durable, disk.names[call.path].text = False, ""
        case "create":
            disk.names[call.path] = _File(False)
            disk.pending.setdefault(directory, []).append(_Change(call, disk.names[call.path]))
        case "write":
            file = disk.names[call.path]
            file.durable = False
            file.text += call.data
        case "fsync" if call.path not in disk.names:  # a directory: its changes reach the disk, in order
            for change in disk.pending.pop(call.path, []):
                _change(disk.durable_names, change)
        case "fsync":
            file = disk.names[call.path]
            file.durable, file.durable_text = True, file.text
        case "rename":
            assert Path(call.target).parent == Path(call.path).parent, call
            disk.names[call.target] = disk.names.pop(call.path)
            disk.pending.setdefault(directory, []).append(_Change(call, disk.names[call.target]))
        case "unlink":
            del disk.names[call.path]
            disk.pending.setdefault(directory, []).append(_Change(call, None))


def _change(names: dict[str, _File], change: _Change) -> None:
    call = change.call
    if call.name == "create" and change.file is not None:
        names[call.path] = change.file
    elif call.name == "rename" and change.file is not None:
        names.pop(call.path, None)
        names[call.target] = change.file
    elif call.name == "unlink":
        names.pop(call.path, None)


def _read_back(names: dict[str, _File], data_dir: Path, last_seq: int) -> str | None:
    """What the next ./periodic would find wrong in this on-disk state, or None."""
    state_path = str(data_dir / bronze_layout.COMPACTION_STATE_FILE)
    boundary, merging = 0, None
    if state_path in names:
        state_file = names[state_path]
        if not state_file.durable_text:
            return "compaction.json is there but its bytes were never fsynced"
        state = json.loads(state_file.durable_text)
        boundary, merging = state["compacted_through_seq"], state["merging"]
    compacted = {
        seqs: file
        for path, file in names.items()
        if Path(path).parent == bronze_layout.compacted_dir(data_dir)
        and (seqs := bronze_layout.compacted_range_of(Path(path).name))
    }
    if merging:  # recovery: finish the step only if its merged file is whole
        merged = compacted.get((merging[0], merging[1]))
        boundary = merging[1] if merged is not None and merged.durable else boundary
    for seq in range(1, last_seq + 1):
        if seq <= boundary:
            holders = [file for (first, last), file in compacted.items() if first <= seq <= last]
            if not holders or not holders[0].durable:
                return f"seq {seq} is below the compacted boundary {boundary} but in no durable compacted file"
        elif str(bronze_layout.events_dir(data_dir) / bronze_layout.file_name(seq)) not in names:
            return f"seq {seq} is above the compacted boundary {boundary} but its live file is gone"
    return None
