"""Independent calendar software reads the feeds of the shipped plan: the strict `ical`
parser every feed; a Radicale server on loopback (whole-calendar PUT, and one resource per
UID as a CalDAV client names them) and a vdirsyncer http-to-filesystem sync one feed of each
kind (see `one_of_each_kind`). Also the size targets of issue 13 and the words a unit must
never read."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from ical.calendar_stream import IcsCalendarStream

from .conftest import SHIPPED, Workspace
from .feedcheck import feeds, parse

BIN = Path(sys.executable).parent
KB = 1000


@pytest.fixture(scope="module")
def shipped_feeds(tmp_path_factory):
    """The shipped plan built on its first day: the window holds all five years, the most a
    feed ever carries."""
    ws = Workspace(tmp_path_factory.mktemp("shipped"), SHIPPED)
    ws.run("build", "--today", "2021-01-01")
    return ws


def one_of_each_kind(files: dict[str, bytes]) -> dict[str, bytes]:
    """The feeds the other clients take: the county's (every event), the largest unit's, the
    unit's with the most reminders, the smallest unit's and a category's. One writer makes
    every feed and the strict parser reads them all, so what a client could refuse in one
    feed (a UID, an override, a reminder, the size) is in these; the 51 took Radicale about
    seven seconds."""
    units = {n: d for n, d in files.items() if n != "all.ics" and not n.startswith("category-")}
    chosen = ["all.ics", max(units, key=lambda n: len(units[n])),
              max(units, key=lambda n: units[n].count(b"BEGIN:VALARM")),
              min(units, key=lambda n: len(units[n])),
              min(n for n in files if n.startswith("category-"))]
    return {n: files[n] for n in dict.fromkeys(chosen)}


@pytest.fixture
def scratch(tmp_path):
    """A folder for the clients' many small files: in memory where the machine has /dev/shm
    (their writes and fsyncs were half of their time on disk)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=shm, prefix="calendar-app-test-") as folder:
        yield Path(folder)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, proc: subprocess.Popen) -> None:
    for _ in range(200):
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def test_the_strict_ical_parser_reads_every_feed(shipped_feeds):
    for name, data in feeds(shipped_feeds.exports).items():
        calendar = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
        assert calendar.events or name.startswith("category-"), name
        # It expands the routines too, as a client would.
        assert list(calendar.timeline) is not None


def test_no_unit_feed_over_300_kb_and_the_county_under_800_kb(shipped_feeds):
    # The first day (all five years ahead) and mid-plan, when 90 days of unreported daily
    # pushes are overrides marked overdue: the largest feeds of bench/feeds.py.
    for day in ("2022-07-01", "2021-01-01"):
        shipped_feeds.run("export", "feeds", "--today", day)
        sizes = {n: len(d) for n, d in feeds(shipped_feeds.exports).items()}
        units = {n: s for n, s in sizes.items()
                 if n != "all.ics" and not n.startswith("category-")}
        assert max(units.values()) < 300 * KB, (day, max(units.items(), key=lambda kv: kv[1]))
        assert sizes["all.ics"] < 800 * KB, day
    before = feeds(shipped_feeds.exports)
    shipped_feeds.run("build", "--today", "2021-01-01")
    assert feeds(shipped_feeds.exports) == before  # byte-identical across unchanged rebuilds


SLOT_CODE = re.compile(r"\b(?:19|20)\d\d-(?:W\d\d|H[12]|Q[1-4]|T[1-3]|M\d\d|spring|autumn)\b"
                       r"|\b(?:19|20)\d\d-(?:19|20)\d\d/")


def _readable(path: Path) -> str:
    """What a reader sees of a file: a page's text without its markup and ids, a feed's
    values without UIDs (a client never shows them)."""
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix == ".html":
        return re.sub(r"<[^>]*>", " ", text)
    if path.suffix == ".ics":
        return "\n".join(line for line in text.replace("\r\n ", "").split("\r\n")
                         if not line.startswith(("UID:", "RRULE:")))
    rows = [line.rsplit(",", 1)[0] for line in text.splitlines()]  # a sheet: its last column
    return "\n".join(rows)  # (编号, hidden) is the key for import, not for the reader


def _unit_outputs(ws: Workspace) -> list[Path]:
    ws.run("export", "report-template", "--unit", "县科协", "--month", "2021-03",
           "--today", "2021-01-01")
    out = sorted((ws.exports / "feeds").glob("*.ics"))
    out += [ws.exports / "index.html", *sorted((ws.exports / "print").rglob("*.html"))[:400]]
    return out + sorted((ws.exports / "reports").glob("*.csv"))


def test_no_slot_code_anywhere_a_unit_reads(shipped_feeds):
    for path in _unit_outputs(shipped_feeds):
        found = SLOT_CODE.search(_readable(path))
        assert found is None, (path.name, found and found.group())


def test_the_word_zhongzi_nowhere_a_unit_reads(shipped_feeds):
    for path in _unit_outputs(shipped_feeds):
        assert "种子" not in _readable(path), path.name


@pytest.fixture
def radicale(scratch):
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "radicale"), "--server-hosts", f"127.0.0.1:{port}", "--auth-type", "none",
         "--rights-type", "authenticated", "--storage-filesystem-folder", str(scratch / "collections")],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _put(url: str, data: bytes) -> int:
    request = urllib.request.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": "text/calendar; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def _request(url: str, method: str) -> int:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.status


def _resources(data: bytes) -> dict[str, bytes]:
    """One calendar object per UID (a routine with its overrides), as a CalDAV client sends."""
    calendar = parse(data)
    zones = b"".join(z.to_ical() for z in calendar.walk("VTIMEZONE"))
    grouped: dict[str, list[bytes]] = {}
    for event in calendar.walk("VEVENT"):
        grouped.setdefault(str(event["UID"]), []).append(event.to_ical())
    return {uid: b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + zones
            + b"".join(parts) + b"END:VCALENDAR\r\n" for uid, parts in grouped.items()}


def test_radicale_takes_the_feeds_whole_and_each_uid_as_a_resource(shipped_feeds, radicale):
    everything = feeds(shipped_feeds.exports)
    files = one_of_each_kind(everything)
    assert _request(f"{radicale}/county/", "MKCOL") == 201
    for name, data in files.items():
        assert _put(f"{radicale}/county/{name.removesuffix('.ics')}/", data) == 201, name
    # The county's and one unit's feed in one calendar, one resource per UID, named after it:
    # no 403 for a '/' in a UID, no 409 for one UID in two feeds.
    assert _request(f"{radicale}/county/mine/", "MKCALENDAR") == 201
    # Every routine (with its overrides) and the first events of each (Radicale takes about
    # 50 ms a resource: the whole feeds would take a minute).
    for name in ("all.ics", "kexie.ics"):
        resources = _resources(everything[name])
        chosen = [u for u, body in resources.items() if b"RRULE" in body] + list(resources)[:30]
        for uid in dict.fromkeys(chosen):
            assert _put(f"{radicale}/county/mine/{uid}.ics", resources[uid]) == 201, (name, uid)


def test_the_chosen_feeds_are_one_of_each_kind(shipped_feeds):
    chosen = one_of_each_kind(feeds(shipped_feeds.exports))
    assert len(chosen) == 5 and "all.ics" in chosen and "category-A.ics" in chosen
    assert b"BEGIN:VALARM" in b"".join(chosen.values()) and b"RRULE" in chosen["all.ics"]


def test_vdirsyncer_syncs_the_feeds_over_http(shipped_feeds, tmp_path, scratch):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", str(shipped_feeds.exports / "feeds")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait(port, server)
        names = sorted(one_of_each_kind(feeds(shipped_feeds.exports)))
        config = [f'[general]\nstatus_path = "{scratch / "status"}"\n']
        for name in names:
            key = name.removesuffix(".ics").replace("-", "_")
            (scratch / "local" / key).mkdir(parents=True)
            config.append(
                f'[pair {key}]\na = "{key}_remote"\nb = "{key}_local"\ncollections = null\n'
                f'conflict_resolution = "a wins"\n'
                f'[storage {key}_remote]\ntype = "http"\n'
                f'url = "http://127.0.0.1:{port}/{name}"\n'
                f'[storage {key}_local]\ntype = "filesystem"\npath = "{scratch / "local" / key}"\n'
                f'fileext = ".ics"\n')
        (tmp_path / "config").write_text("\n".join(config))
        env = {"VDIRSYNCER_CONFIG": str(tmp_path / "config"), "PATH": str(BIN), "HOME": str(tmp_path)}
        for command in (["discover"], ["sync"]):
            done = subprocess.run([str(BIN / "vdirsyncer"), *command], env=env, input="y\n" * 200,
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
        for name in names:
            key = name.removesuffix(".ics").replace("-", "_")
            uids = {str(e["UID"]) for e in parse(feeds(shipped_feeds.exports)[name]).walk("VEVENT")}
            assert len(list((scratch / "local" / key).glob("*.ics"))) == len(uids), name
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_window_still_reaches_the_plans_end(shipped_feeds):
    data = feeds(shipped_feeds.exports)["kexie.ics"]
    starts = [e.decoded("DTSTART") for e in parse(data).walk("VEVENT")]
    first = min(d if type(d) is date else d.date() for d in starts)
    last = max(d if type(d) is date else d.date() for d in starts)
    assert first < date(2021, 2, 1) and last >= date(2025, 12, 1)
