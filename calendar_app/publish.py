"""Writing exports/ safely: every file lands whole or not at all, and unchanged files are
left alone so their mtime (and every HTTP cache keyed on it) stays put."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that.

    Returns True when the file was written. A temporary file in the same folder is renamed
    over the target, so a reader (or a subscribing client) never sees half a file. There is
    no fsync: everything under exports/ is rebuilt from the database, which is what must
    survive a power cut, and an fsync per file made a cold build of 2,000 pages seconds slower.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; the files are served and shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
