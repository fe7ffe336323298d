"""Training that touches nothing real: `serve --today DAY` (or `--training`) works on a copy
of the database, evidence and exports, says 培训模式 on every page, and leaves the live ones
byte for byte as they were; and reports outside training refresh the published files as of
the day they were written for, never emptying feeds written for another."""

import hashlib
import io
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from PIL import Image

from calendar_app.reports.evidence import Files
from calendar_app.store import Store

from .conftest import DATA, Served, csrf, on_both_databases, sign_in

BANNER = "培训模式（数据不会保存到正式系统）"
UID = "m02-day/2025"  # 防灾减灾日宣传, led by 县应急管理局
LIVE = "m02-monthly/2025-01"


def files_of(folder: Path) -> dict[str, str]:
    """Every file under `folder`, hidden ones too, by the digest of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def live_state(ws) -> tuple:
    return (files_of(ws.exports),
            ws.database.rows("SELECT id, uid, at, by, action, detail FROM history ORDER BY id"),
            ws.database.rows("SELECT uid, status, sequence, attendance, revised FROM event "
                             "ORDER BY uid"),
            ws.database.rows("SELECT COUNT(*) FROM evidence"),
            ws.database.rows("SELECT login, password, enabled, changed FROM account ORDER BY login"),
            files_of(ws.root / "calendar.files"))  # the live evidence (none here, on either)


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]
    for field, name, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
                     f'filename="{name}"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
                     + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


ENDED = "已经结束"  # the subscription page after the plan's period


@on_both_databases
def test_a_report_made_in_training_leaves_everything_live_as_it_was(web):
    # Built after the plan's end, as a daily build then does: every feed empty, the period
    # over. Training on a day inside the plan has that day's feeds and subscription page.
    web.ws.run("build", "--today", "2026-06-01")
    assert (web.ws.exports / "feeds" / "yingji.ics").read_text().count("BEGIN:VEVENT") == 0
    assert ENDED in (web.ws.exports / "index.html").read_text(encoding="utf-8")
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), (30, 120, 60)).save(photo, "JPEG")
    # Something reported live before, with its evidence, which the copy carries.
    client = web.client("yj")
    page = client.get(f"/events/{LIVE}").text
    assert client.post(f"/events/{LIVE}/done", content_type="multipart/form-data", data={
        "csrf_token": csrf(page), "seen": re.search(r'name="seen" value="(\d+)"', page)[1],
        "files": [(io.BytesIO(photo.getvalue()), "live.jpg")]}).status_code == 303
    before = live_state(web.ws)
    assert before[-1]  # the live evidence file
    served = Served(web.ws, "--today", "2025-06-20")
    try:
        assert BANNER in urllib.request.urlopen(served.url + "/login", timeout=20).read().decode()
        subscribe = urllib.request.urlopen(served.url + "/index.html", timeout=20).read().decode()
        assert BANNER in subscribe and ENDED not in subscribe
        feed = urllib.request.urlopen(served.url + "/feeds/yingji.ics", timeout=20).read()
        assert feed.count(b"BEGIN:VEVENT") > 5
        home, client = sign_in(served.url)
        assert BANNER in home.read().decode()
        page = client.open(f"{served.url}/events/{UID}", timeout=20).read().decode()
        assert BANNER in page
        seen = re.search(r'name="seen" value="(\d+)"', page)[1]
        photo = io.BytesIO()
        Image.new("RGB", (320, 240), (200, 120, 60)).save(photo, "JPEG")  # another photo
        body, boundary = multipart({"csrf_token": csrf(page), "seen": seen, "attendance": "88",
                                    "note": "培训"}, [("files", "现场.jpg", photo.getvalue())])
        answer = client.open(urllib.request.Request(
            f"{served.url}/events/{urllib.parse.quote(UID)}/done", data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}), timeout=20)
        shown = answer.read().decode()
        assert "已登记完成，附件1个" in shown and BANNER in shown
        for _ in range(200):  # the training copy's feed is rewritten just after
            feed = urllib.request.urlopen(served.url + "/feeds/yingji.ics",
                                          timeout=20).read().decode().replace("\r\n ", "")
            if "已完成（参加88人）" in feed:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the training copy's feed never showed the report")
    finally:
        said = served.stop()
    assert "training (培训模式): on a copy in" in "".join(served.said) + said
    assert live_state(web.ws) == before
    copy = web.ws.root / "calendar.training"
    assert "已完成（参加88人）" in (copy / "exports" / "feeds" / "yingji.ics").read_text(
        encoding="utf-8").replace("\r\n ", "")
    with Store.open(copy / "calendar.db") as store:
        (kept,) = store.evidence(UID)
        assert store.entry(UID).attendance == 88
        (carried,) = store.evidence(LIVE)
    assert Files(copy / "calendar.files").path(kept.sha256, kept.kind).is_file()
    assert Files(copy / "calendar.files").path(carried.sha256, carried.kind).is_file()


def test_training_starts_afresh_each_time_and_says_so_on_the_pages_that_stand_alone(web):
    web.ws.run("build", "--today", "2025-06-20")
    leftover = web.ws.root / "calendar.training" / "leftover.txt"
    leftover.parent.mkdir()
    leftover.write_text("from an earlier session", encoding="utf-8")
    served = Served(web.ws, "--training")
    try:
        assert not leftover.exists()
        _, client = sign_in(served.url, login="kx")
        for url in ("/dashboard", "/index.html", "/circular?month=2025-05", "/month/2025-06/print",
                    "/units", "/accounts", "/no-such-page"):
            try:
                text = client.open(served.url + url, timeout=60).read().decode()
            except urllib.error.HTTPError as error:
                text = error.read().decode()
            assert BANNER in text, url
        anonymous = urllib.request.urlopen(served.url + "/index.html", timeout=20).read().decode()
        assert BANNER in anonymous
    finally:
        served.stop()
    live = Served(web.ws)
    try:
        assert BANNER not in urllib.request.urlopen(live.url + "/login", timeout=20).read().decode()
    finally:
        live.stop()


def test_a_report_after_a_build_for_another_day_keeps_the_feeds_of_that_day(built_small):
    """Built as of 2025-01-01; `record`, `add` and `import` read the real clock (after the
    plan's end): the feeds stay as of 2025-01-01, with the reports, not emptied as of today,
    and so do the subscription page and the dashboard."""
    ws = built_small
    feed = ws.exports / "feeds" / "yingji.ics"
    events = feed.read_text(encoding="utf-8").count("BEGIN:VEVENT")
    assert events > 5
    ws.run("record", "done", UID, "--attendance", "120")
    ws.run("add", "--unit", "yingji", "--title", "应急避险演练（增补）", "--on", "2025-02-11")
    assert ws.run("import", str(DATA / "report_may_filled.csv")).output.strip().endswith(
        "6 events changed")
    text = feed.read_text(encoding="utf-8").replace("\r\n ", "")
    assert text.count("BEGIN:VEVENT") > events
    assert "已完成（参加120人）" in text and "应急避险演练（增补）" in text
    assert "设备检修" in text  # the sheet's cancellation
    # What they left is what the feeds written afresh as of that day are, byte for byte.
    fresh = ws.root / "fresh"
    ws.run("--exports", str(fresh), "export", "feeds", "--today", "2025-01-01")
    assert files_of(fresh) == {rel: digest for rel, digest in files_of(ws.exports).items()
                               if rel.startswith("feeds/") or rel in ("index.html", ".day")}
    assert ENDED not in (ws.exports / "index.html").read_text(encoding="utf-8")
    assert "截至2025年1月1日" in (ws.exports / "gaps" / "index.html").read_text(encoding="utf-8")
    assert (ws.exports / ".day").read_text() == "2025-01-01"
    ws.run("export", "feeds", "--today", "2025-03-01")  # a build or `export feeds` moves it
    assert (ws.exports / ".day").read_text() == "2025-03-01"
