"""A full disk, on a real (small) tmpfs: `build`, `record` and `import` say "the disk is
full" and exit 1, with no traceback, and leave the database and the exports as they were
(each file whole: old or new, never half). Skipped where a tmpfs cannot be mounted (it needs
root, as in CI)."""

import errno
import os
import shutil
import sqlite3
import subprocess

import pytest

from .conftest import DATA, Workspace


@pytest.fixture
def disk(tmp_path):
    """A folder on a tmpfs of its own, 8 MB."""
    folder = tmp_path / "disk"
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(folder)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder, leave=0):
    """Take all the free space of `folder`'s disk but `leave` bytes."""
    free = shutil.disk_usage(folder).free - leave
    with open(folder / "filler", "wb") as out:
        try:
            while free > 0:
                free -= out.write(b"\0" * min(free, 1 << 20))
            out.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def files(root):
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def dump(db):
    with sqlite3.connect(db) as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("event", "event_unit", "history", "setting")]


def full(result, what=""):
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    last = result.output.strip().splitlines()[-1]  # import lists its rows before it writes
    assert last.startswith("the disk is full") and what in last, result.output
    return True


@pytest.mark.parametrize("jobs", ["1", "2"])  # in this process, and in two forked workers
def test_a_build_whose_exports_fill_the_disk_keeps_every_file_whole(tmp_path, disk, jobs):
    ws = Workspace(tmp_path, DATA / "small.yaml")
    ws.exports = disk / "exports"
    ws.run("build", "--today", "2025-01-01")
    old = files(ws.exports)
    (tmp_path / "ref").mkdir()
    ref = Workspace(tmp_path / "ref", DATA / "small.yaml")  # the same builds with room
    ref.run("build", "--today", "2025-01-01")
    for w in (ws, ref):
        w.edit("weekly: 周三", "weekly: 周四")  # the TV segment moves: most files change
    ref.run("build", "--today", "2025-01-02")
    new = {name: data.replace(str(ref.plan).encode(), str(ws.plan).encode())  # footers
           for name, data in files(ref.exports).items()}
    fill(disk, leave=8 * 1024)  # room for a file or two, not for the rebuilt pages
    assert full(ws.run("build", "--today", "2025-01-02", "--jobs", jobs, ok=False))
    now = files(ws.exports)
    assert not [name for name in now if name.endswith(".tmp")]
    assert [n for n in now if now[n] not in (old.get(n), new.get(n))] == []  # old or new
    assert set(old) - {".views"} <= set(now)  # the stamp of a complete build goes first
    (disk / "filler").unlink()
    ws.run("build", "--today", "2025-01-02")  # with room again, the build completes
    assert files(ws.exports) == new


def test_record_import_and_build_with_the_database_on_a_full_disk(tmp_path, disk):
    ws = Workspace(tmp_path, DATA / "small.yaml")
    ws.db = disk / "calendar.db"
    ws.run("build", "--today", "2025-01-01")
    ws.run("record", "done", "m02-monthly/2025-05", "--attendance", "15")
    before = dump(ws.db)
    fill(disk)
    assert full(ws.run("record", "done", "m02-day/2025", "--attendance", "120", ok=False),
                str(ws.db))
    assert full(ws.run("import", str(DATA / "report_may_filled.csv"), ok=False), str(ws.db))
    ws.edit("weekly: 周三", "weekly: 周四")
    assert full(ws.run("build", "--today", "2025-01-02", ok=False), str(ws.db))
    (disk / "filler").unlink()
    assert dump(ws.db) == before
    with sqlite3.connect(ws.db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    ws.run("record", "done", "m02-day/2025", "--attendance", "120")  # and it works again


def test_a_transaction_that_runs_out_of_room_half_way_is_rolled_back(tmp_path, disk):
    ws = Workspace(tmp_path, DATA / "small.yaml")
    ws.db = disk / "calendar.db"
    ws.run("build", "--today", "2025-01-01")
    before = dump(ws.db)
    fill(disk, leave=24 * 1024)  # room to open the database, not to rewrite 60 events
    ws.edit("weekly: 周三", "weekly: 周四")
    assert full(ws.run("build", "--today", "2025-01-02", ok=False), str(ws.db))
    (disk / "filler").unlink()
    assert dump(ws.db) == before
