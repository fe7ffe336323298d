"""Evidence files: checked before anything is stored, photos decoded in bounded memory (each
case measured in a process of its own under a memory limit the test sets), at most so many
files a report and megabytes a unit a day, nothing left behind by a refused report or a
killed server, and `calendar-app fsck` for what a crash left."""

import io
import os
import re
import textwrap
import time

import pytest
import requests
from PIL import Image

from calendar_app.reports.evidence import GRACE, Files
from calendar_app.store import Store

from .bounded import run_bounded
from .conftest import PASSWORDS, WEB_NOW, Served, _add_web_accounts, csrf, on_both_databases
from .images import blank_png
from .test_web_reports import UID, photo, report

CHECK = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    from calendar_app.reports.evidence import EvidenceError, Files

    data, count, folder = Path(sys.argv[1]).read_bytes(), int(sys.argv[2]), Path(sys.argv[3])
    said = []

    def one():
        try:
            said.append(f"thumbnail {len(Files(folder).check(data, '现场.png').thumb)}")
        except EvidenceError as refused:
            said.append(str(refused))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print("\\n".join(said))
""")


def checked(tmp_path, data: bytes, count: int, megabytes: int) -> list[str]:
    """What `count` threads checking the same upload at once say, in a process allowed
    `megabytes` of address space. glibc reserves 64 MB of it for each thread's own heap: two
    heaps are allowed, so the limit counts the pictures, not the threads."""
    upload = tmp_path / "upload"
    upload.write_bytes(data)
    done = run_bounded(["python", "-c", CHECK, str(upload), str(count), str(tmp_path / "files")],
                       megabytes, env={**os.environ, "MALLOC_ARENA_MAX": "2"})
    assert done.returncode == 0 and "Error" not in done.stderr, done.stderr[-2000:]
    return done.stdout.splitlines()


def test_a_small_file_of_a_huge_image_is_refused_before_it_is_decoded(tmp_path):
    """The reported bomb: 13000×13000 pixels in 480 KB took 742 MB to make its thumbnail."""
    bomb = blank_png(13000, 13000)
    assert len(bomb) < 500_000
    said = checked(tmp_path, bomb, 1, megabytes=400)
    assert said == ["“现场.png”的图像尺寸过大（超过5,000万像素），请缩小后再上传"]
    # Just over the bound: refused by its header, naming its size.
    said = checked(tmp_path, blank_png(7100, 7100), 1, megabytes=400)
    assert said == ["“现场.png”的图像尺寸过大（超过5,000万像素）：7100×7100像素，请缩小后再上传"]


def test_eight_large_photos_at_once_cost_one_photo_s_memory(tmp_path):
    """49 megapixels each, the most allowed: decoded whole they take 196 MB apiece, so eight
    at once took 1.6 GB; one at a time, they fit in 1000 MB with room to spare."""
    said = checked(tmp_path, blank_png(7000, 7000), 8, megabytes=1000)
    assert len(said) == 8 and all(line.startswith("thumbnail ") for line in said), said


def test_a_large_jpeg_is_decoded_already_scaled_down(tmp_path):
    """A 48-megapixel JPEG decoded whole takes 200 MB more than the 300 MB allowed here."""
    out = io.BytesIO()
    Image.new("RGB", (8000, 6000), (10, 20, 30)).save(out, "JPEG", quality=90)
    said = checked(tmp_path, out.getvalue(), 1, megabytes=300)
    assert len(said) == 1 and said[0].startswith("thumbnail "), said


# -- on the web ---------------------------------------------------------------------------------

def kept(web) -> list[str]:
    """Every file under the evidence folder but its lock, as paths relative to it."""
    folder = web.ws.root / "calendar.files"
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and p.name != ".lock") if folder.exists() else []


@on_both_databases
def test_a_refused_report_leaves_no_file_behind(web):
    client = web.client("yj")
    stale = client.post(f"/events/{UID}/done", data={
        "csrf_token": csrf(client.get(f"/events/{UID}").text), "seen": "7",
        "files": [(io.BytesIO(photo()), "现场.jpg")]}, content_type="multipart/form-data")
    assert stale.status_code == 409
    assert report(web, client, "cancel", {"reason": "暴雨"}).status_code == 303
    cancelled = report(web, client, "done", {}, [("现场.jpg", photo()), ("签到.png", photo("PNG"))])
    assert cancelled.status_code == 400 and "请先撤销登记" in cancelled.text
    assert kept(web) == []


@on_both_databases
def test_a_report_carries_at_most_ten_files(web):
    client = web.client("yj")
    files = [(f"现场{i}.png", photo("PNG", (40 + i, 30))) for i in range(11)]
    answer = report(web, client, "done", {"attendance": "12"}, files)
    assert answer.status_code == 400
    assert "每次登记最多附10个文件（这次选了11个）" in answer.text and 'value="12"' in answer.text
    assert web.entry(UID).status == "planned" and kept(web) == []
    assert report(web, client, "done", {}, files[:10]).status_code == 303
    assert len(kept(web)) == 20  # ten files and their thumbnails


@on_both_databases
def test_a_unit_uploads_at_most_so_many_megabytes_a_day(web, database):
    client = web.client("yj")
    # Earlier today yj (县应急管理局) handed in 199.5 MB; yesterday's does not count.
    for size, at in ((int(199.5 * 1024 * 1024), WEB_NOW), (10**9, WEB_NOW.replace(day=19))):
        database.execute(
            'INSERT INTO evidence (uid, sha256, kind, size, name, "by", at) VALUES '
            f"('m02-monthly/2025-05', '{'a' * 64}', 'pdf', {size}, '旧.pdf', 'yj', "
            f"'{at.isoformat()}')")
    big = photo("PNG", (1400, 1000))  # about 1 MB of noise-free PNG is less: pad it out
    big = big + b"\0" * (1024 * 1024 - len(big))
    answer = report(web, client, "done", {}, [("现场.png", big)])
    assert answer.status_code == 400
    assert "本单位今天已上传佐证材料199.5 MB，加上这次的1 MB，超过每天200 MB的上限" in answer.text
    assert web.entry(UID).status == "planned" and kept(web) == []
    # Another unit's quota is its own.
    other = web.client("xc")
    assert report(web, other, "done", {}, [("现场.png", big)], uid="m02-tv/2025-W20").status_code \
        == 303


# -- what a crash leaves, and fsck --------------------------------------------------------------

def signed_in(url: str, login: str = "yj") -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/login", timeout=20).text
    answer = session.post(url + "/login", data={"login": login, "password": PASSWORDS[login],
                                                "csrf_token": csrf(page)}, timeout=20)
    assert answer.ok, answer.text
    return session


def report_over_http(session: requests.Session, url: str, files) -> requests.Response:
    page = session.get(f"{url}/events/{UID}", timeout=20).text
    seen = re.search(r'name="seen" value="(\d+)"', page)[1]
    return session.post(f"{url}/events/{UID}/done", timeout=30,
                        data={"csrf_token": csrf(page), "seen": seen, "attendance": "40"},
                        files=[("files", f) for f in files])


# The server kills itself once the evidence files are written and the report is not yet
# saved, or in the middle of writing the first of them: the faults are injected here.
KILLED_AFTER_WRITING = """
import os, signal
from calendar_app.store import store

def die(self, *args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

store.Store.mark_done = die
"""
KILLED_WHILE_WRITING = """
import os, signal

replace = os.replace

def die(source, target, *args, **kwargs):
    if ".files" in str(target):
        os.kill(os.getpid(), signal.SIGKILL)
    return replace(source, target, *args, **kwargs)

os.replace = die
"""


@pytest.fixture
def served_ws(built_small):
    _add_web_accounts(built_small.db)
    return built_small


@pytest.mark.parametrize("fault", [KILLED_AFTER_WRITING, KILLED_WHILE_WRITING],
                         ids=["after-writing", "while-writing"])
def test_a_server_killed_while_saving_evidence_leaves_nothing_once_it_starts_again(served_ws,
                                                                                   fault):
    ws = served_ws
    folder = ws.root / "calendar.files"
    files = [("现场.jpg", photo()), ("签到.png", photo("PNG"))]
    dying = Served(ws, prelude=fault)
    with pytest.raises(requests.ConnectionError):
        report_over_http(signed_in(dying.url), dying.url, files)
    assert dying.process.wait(timeout=20) == -9
    left = [p.name for p in folder.rglob("*") if p.is_file() and p.name != ".lock"]
    assert left and all(n.endswith(".tmp") for n in left) == (fault == KILLED_WHILE_WRITING)

    again = Served(ws)
    try:
        assert again.said[0].startswith(f"{folder}: ")
        assert [p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"] == []
        session = signed_in(again.url)
        assert report_over_http(session, again.url, files).status_code == 200  # after 303
    finally:
        again.stop()
    with Store.open(ws.db) as store:
        digests = {e.sha256 for e in store.evidence(UID)}
    assert len(digests) == 2
    names = {p.name.split(".")[0] for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}
    assert names == digests


@on_both_databases
def test_fsck_removes_what_no_report_refers_to_and_names_what_is_missing(web):
    client = web.client("yj")
    assert report(web, client, "done", {}, [("现场.png", photo("PNG"))]).status_code == 303
    files = web.site.files()
    with Store.open(web.ws.db) as store:
        (referenced,) = store.evidence(UID)
    orphan = files.path("b" * 64, "pdf")
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"%PDF-1.4 left by a killed server")
    files.thumbnail("b" * 64).write_bytes(b"a thumbnail")
    half = files.path(referenced.sha256, "png").with_name(".x.png.k2j3.tmp")
    half.write_bytes(b"half")
    before = kept(web)

    dry = web.ws.run("fsck", "--dry-run")
    assert dry.output == (f"{files.folder}: 1 half-written files and 2 files no report refers "
                          "to would be removed (0.0 MB)\n")
    assert kept(web) == before
    done = web.ws.run("fsck")
    assert "1 half-written files and 2 files no report refers to removed" in done.output
    assert kept(web) == sorted(str(p.relative_to(files.folder)) for p in (
        files.path(referenced.sha256, "png"), files.thumbnail(referenced.sha256)))

    files.path(referenced.sha256, "png").unlink()
    missing = web.ws.run("fsck", ok=False)
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert f"1 files that reports refer to are missing: {referenced.sha256}" in missing.output


def test_fsck_spares_young_files_while_a_server_may_be_saving_them(web):
    files = web.site.files()
    young = files.path("c" * 64, "pdf")
    old = files.path("d" * 64, "pdf")
    for path in (young, old):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4")
    past = time.time() - GRACE - 60
    os.utime(old, (past, past))
    with files.in_use():  # a server is running
        result = web.ws.run("fsck")
    assert "0 half-written files and 1 files no report refers to removed" in result.output
    assert "1 files younger than an hour left alone: a server is running" in result.output
    assert young.exists() and not old.exists()
    assert "1 files no report refers to removed" in web.ws.run("fsck").output  # alone now
    assert not young.exists()


def test_a_photo_s_thumbnail_keeps_its_orientation(tmp_path):
    image = Image.new("RGB", (800, 600), (200, 0, 0))
    exif = image.getexif()
    exif[0x0112] = 6  # taken holding the phone upright: shown turned a quarter
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    thumb = Files(tmp_path).check(out.getvalue(), "竖拍.jpg").thumb
    assert Image.open(io.BytesIO(thumb)).size == (240, 320)
