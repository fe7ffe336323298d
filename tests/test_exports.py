"""Atomic writes that leave unchanged files alone."""

import os

from calendar_app.exports import write_if_changed


def test_writes_new_files_and_leaves_identical_ones_alone(tmp_path):
    target = tmp_path / "feeds" / "a.ics"
    assert write_if_changed(target, b"one") is True
    os.utime(target, (1_000_000, 1_000_000))
    assert write_if_changed(target, b"one") is False
    assert target.stat().st_mtime == 1_000_000
    assert write_if_changed(target, b"two") is True
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["a.ics"]  # no temporary left behind
