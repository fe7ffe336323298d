"""`calendar-app serve` killed with SIGKILL, as an out-of-memory killer or a crash ends it:
nothing it started lives on (its refresh worker, multiprocessing's resource tracker), and
after a loop of kills in the middle of uploads, the server that starts next leaves no
half-written file and no file that no report refers to."""

import random
import threading
import time
from pathlib import Path

import pytest
import requests

from calendar_app.store import Store

from .conftest import Served, _add_web_accounts
from .test_evidence import report_over_http, signed_in
from .test_web_reports import photo


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, state) of every process."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        fields = text[text.rindex(")") + 2:].split()
        found[int(stat.parent.name)] = (int(fields[1]), fields[0])
    return found


def descendants(pid: int) -> set[int]:
    table = processes()
    found: set[int] = set()
    fresh = {pid}
    while fresh:
        fresh = {child for child, (parent, _) in table.items() if parent in fresh} - found
        found |= fresh
    return found


def alive(pids: set[int]) -> set[int]:
    """Those still running: a zombie has ended (this machine's init may never reap it)."""
    table = processes()
    return {pid for pid in pids if pid in table and table[pid][1] != "Z"}


def kill_and_check(served: Served, expected: int = 2) -> None:
    """kill -9 the server once its children are up; within seconds none of them is left."""
    began = time.monotonic()
    while len(children := descendants(served.process.pid)) < expected:
        assert time.monotonic() - began < 60, f"the server's children: {children}"
        time.sleep(0.1)
    served.kill()
    began = time.monotonic()
    while alive(children) and time.monotonic() - began < 10:
        time.sleep(0.1)
    assert not alive(children), [Path(f"/proc/{p}/cmdline").read_bytes() for p in alive(children)]


@pytest.fixture
def ws(built_small):
    _add_web_accounts(built_small.db)
    return built_small


def _upload(url: str, files: list) -> None:
    try:
        report_over_http(signed_in(url), url, files)
    except requests.RequestException:
        pass  # killed under it


def test_nothing_the_server_started_outlives_a_kill_9(ws):
    served = Served(ws)
    session = signed_in(served.url)
    assert report_over_http(session, served.url, []).ok  # the refresh worker starts
    kill_and_check(served)  # the worker and the resource tracker


def test_a_kill_9_loop_during_uploads_leaves_no_file_and_no_process(ws):
    folder = ws.root / "calendar.files"
    rounds = random.Random(29)
    for round_ in range(4):
        served = Served(ws)
        session = signed_in(served.url)
        # A photo of its own each round: four reports saved, four files kept.
        round_photo = photo(size=(800 + round_, 600))
        assert report_over_http(session, served.url, [(f"第{round_}轮.jpg", round_photo)]).ok
        files = [(f"现场{i}.png", photo("PNG", (900 + 10 * round_ + i, 700)) + b"\0" * 400_000)
                 for i in range(10)]

        uploading = threading.Thread(target=_upload, args=(served.url, files))
        uploading.start()
        time.sleep(rounds.uniform(0.2, 1.2))
        kill_and_check(served)
        uploading.join(30)
    last = Served(ws)  # sweeps what the kills left, as it starts
    kill_and_check(last, expected=0)
    with Store.open(ws.db) as store:
        referenced = store.evidence_digests()
    left = [p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"]
    assert not [p.name for p in left if p.name.endswith(".tmp")]
    assert {p.name.split(".")[0] for p in left} <= referenced
    assert len(referenced) >= 4  # the reports that were saved kept their files
