"""Reporting on the web: done with attendance and photos, cancelled, moved, made up, taken
back; every field checked; evidence checked by its content; two people at once."""

import io
import json
import re
import zipfile
from datetime import date

import pytest
from PIL import Image

from calendar_app.store import Store

from .conftest import csrf, on_both_databases
from .feedcheck import by_uid

pytestmark = on_both_databases
UID = "m02-day/2025"  # 县应急管理局 leads it, on 2025-05-12


def photo(kind: str = "JPEG", size=(800, 600)) -> bytes:
    if kind == "HEIF":
        import pillow_heif
        pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(out, kind)
    return out.getvalue()


def document(kind: str) -> bytes:
    if kind == "pdf":
        return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as book:  # dated, so each run (and worker) has the same bytes
        for member, text in (("[Content_Types].xml", "<Types/>"),
                             ("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")):
            book.writestr(zipfile.ZipInfo(member, date_time=(2025, 6, 20, 10, 0, 0)), text)
    return out.getvalue()


def report(web, client, action, data, files=(), uid=UID):
    page = client.get(f"/events/{uid}").text
    form = {"seen": str(web.entry(uid).sequence), **data}
    if files:
        form["files"] = [(io.BytesIO(content), name) for name, content in files]
    return client.post(f"/events/{uid}/{action}", data={"csrf_token": csrf(page), **form},
                       content_type="multipart/form-data")


def test_a_history_stamp_reads_as_an_office_writes_it_in_chongyang_time():
    from calendar_app.formats.words import cn_stamp

    assert cn_stamp("2025-06-20T06:05:00+00:00") == "2025年6月20日 14:05"
    assert cn_stamp("2025-06-20T14:05:31.250000+08:00") == "2025年6月20日 14:05"
    assert cn_stamp("2025-01-01T00:00:00+08:00", day_only=True) == "2025年1月1日"


def test_done_with_attendance_and_a_photo_shows_on_the_page_in_the_feed_and_the_month(web):
    client = web.client("yj")
    answer = report(web, client, "done", {"on": "2025-05-12", "attendance": "120",
                                          "note": "广场演练"}, [("现场.jpg", photo())])
    assert answer.status_code == 303 and answer.headers["Location"] == f"/events/{UID}"
    page = client.get(f"/events/{UID}").text
    assert "已登记完成，附件1个" in page and "完成（120人）" in page and "广场演练" in page
    assert "安排依据：</strong>方案规定（频次、牵头和配合单位均按分工表）" in page
    # the history: the build's row by its day (it has no moment), the report by its minute
    assert "2025年1月1日 · 系统（按计划生成）" in page and "2025年6月20日 10:00 · yj" in page
    entry = web.entry(UID)
    assert entry.status == "done" and entry.attendance == 120 and entry.remark == "广场演练"
    # The file is kept by its digest beside the database, with a thumbnail, never in exports/.
    with Store.open(web.ws.db) as store:
        (kept,) = store.evidence(UID)
        history = store.history(UID)
    assert kept.kind == "jpeg" and kept.name == "现场.jpg" and kept.by == "yj"
    stored = web.site.files().path(kept.sha256, "jpeg")
    assert stored.read_bytes() == photo() and stored.parent.parent == web.ws.root / "calendar.files"
    assert not list(web.ws.exports.rglob("*.jpg"))
    assert history[-1]["by"] == "yj" and history[-1]["detail"]["files"][0]["name"] == "现场.jpg"
    thumb = client.get(f"/evidence/{kept.sha256}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.data)).size[0] <= 320
    assert f'src="/evidence/{kept.sha256}/thumb"' in page
    assert web.client("xc").get(f"/evidence/{kept.sha256}").status_code == 200  # co-organiser
    # At once, without a build: the feed and the unit's month say so.
    feed = by_uid((web.ws.exports / "feeds" / "yingji.ics").read_bytes())
    assert "已完成" in str(next(e for u, e in feed.items() if u.startswith("m02-day"))["DESCRIPTION"])
    month = client.get("/month/2025-05").text
    assert re.search(r"防灾减灾日宣传</a>.*?完成（120人）", month, re.S)


def test_evidence_of_another_units_event_is_not_served(web):
    client = web.client("xc")
    push = "m02-tv/2025-W20"  # 县委宣传部 leads the TV segment; 县应急管理局 co-organises
    assert report(web, client, "done", {}, [("a.png", photo("PNG"))], uid=push).status_code == 303
    with Store.open(web.ws.db) as store:
        (kept,) = store.evidence(push)
    assert web.client("yj").get(f"/evidence/{kept.sha256}").status_code == 200
    # 天城镇 has nothing to do with it.
    web.ws.run("accounts", "add", "tc", "--unit", "tiancheng", "--password-stdin",
               input="tiancheng-password\n")
    stranger = web.client("tc", "tiancheng-password")
    # Not "forbidden", which would tell that some event holds the file: the same answer as
    # for a digest no event holds.
    for variant in ("", "/thumb"):
        theirs = stranger.get(f"/evidence/{kept.sha256}{variant}")
        unknown = stranger.get(f"/evidence/{'0' * 64}{variant}")
        assert theirs.status_code == unknown.status_code == 404
        # Alike but for the sign-out form's CSRF token, which is stamped to the second.
        token = re.compile(r'name="csrf_token" value="[^"]+"')
        assert token.sub("", theirs.text) == token.sub("", unknown.text)
        assert "没有找到这个页面" in theirs.text


@pytest.mark.parametrize("name, content, kind", [
    ("IMG_0001.HEIC", photo("HEIF", (64, 48)), "heic"), ("签到表.pdf", document("pdf"), "pdf"),
    ("总结.docx", document("docx"), "docx"), ("名单.xlsx", document("xlsx"), "xlsx"),
    ("照片.png", photo("PNG"), "png"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_photos_and_documents_are_recognised_by_their_content(web, name, content, kind):
    client = web.client("yj")
    assert report(web, client, "done", {}, [(name, content)]).status_code == 303
    with Store.open(web.ws.db) as store:
        (kept,) = store.evidence(UID)
    assert kept.kind == kind and kept.name == name
    served = client.get(f"/evidence/{kept.sha256}")
    assert served.data == content
    if kind in ("pdf", "docx", "xlsx", "heic"):
        assert served.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("name, content, message", [
    ("照片.jpg", b"this is text, whatever its name", "不是可接受的文件"),
    ("病毒.exe", b"MZ\x90\x00" + b"\x00" * 100, "不是可接受的文件"),
    ("坏图.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 50, "无法作为图片打开"),
    ("空.png", b"", "是空文件"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_a_file_of_another_kind_is_refused_and_nothing_is_kept(web, name, content, message):
    client = web.client("yj")
    answer = report(web, client, "done", {"attendance": "30", "note": "保留所填"},
                    [(name, content), ("好的.png", photo("PNG"))])
    assert answer.status_code == 400
    assert message in answer.text and 'value="30"' in answer.text and "保留所填" in answer.text
    assert web.entry(UID).status == "planned"
    assert not (web.ws.root / "calendar.files").exists()


def test_a_file_over_the_limit_is_refused(web):
    text = web.ws.plan.read_text(encoding="utf-8")
    web.ws.plan.write_text(text + "\nsettings:\n  evidence_mb: 1\n", encoding="utf-8")
    client = web.client("yj")
    big = photo("PNG", (2000, 2000))[:100] + b"\x00" * (1024 * 1024 + 1)
    answer = report(web, client, "done", {}, [("大图.png", big)])
    assert answer.status_code == 400 and "超过1 MB" in answer.text
    assert web.entry(UID).status == "planned" and not (web.ws.root / "calendar.files").exists()


@pytest.mark.parametrize("action, data, field, message", [
    ("done", {"attendance": "-3"}, "attendance", "参加人数须为0或更大的整数"),
    ("done", {"attendance": "很多"}, "attendance", "参加人数须为0或更大的整数"),
    ("done", {"attendance": "99999999999999999999"}, "attendance", "参加人数须为0或更大的整数"),
    ("done", {"on": "2026-02-01"}, "on", "日期须在实施方案期限内（2025年1月1日至12月31日）"),
    ("done", {"on": "2025-02-30"}, "on", "请填写日期"),
    ("done", {"on": "2025-06-21"}, "on", "实际日期2025年6月21日还没到：请填写活动实际举行的日期"),
    ("cancel", {"reason": "  "}, "reason", "请填写取消原因"),
    ("move", {"day": ""}, "day", "请填写日期"),
    ("move", {"day": "2024-12-31"}, "day", "日期须在实施方案期限内（2025年1月1日至12月31日）"),
    ("move", {"day": "2025-05-13", "clock": "25:99"}, "clock", "时间格式如14:30"),
])
def test_a_bad_field_is_named_beside_it_keeps_what_was_typed_and_changes_nothing(
        web, action, data, field, message):
    client = web.client("yj")
    before = web.entry(UID)
    answer = report(web, client, action, data)
    assert answer.status_code == 400
    assert re.search(rf'name="{field}"[^>]*>.*?<div class="field-error" role="alert">{message}',
                     answer.text, re.S), answer.text[-3000:]
    typed = next(iter(v for v in data.values() if v.strip()), None)
    if typed:
        assert typed in answer.text
    assert web.entry(UID) == before


def test_an_event_still_to_come_is_reported_done_only_on_a_day_already_past(web):
    """On 2025-06-20 the segment of Wednesday 6-25 has not been broadcast: done on its
    planned day is refused beside the day's field; held early, on 6-19, it is taken."""
    client = web.client("xc")
    uid = "m02-tv/2025-W26"
    before = web.entry(uid)
    page = client.get(f"/events/{uid}").text
    assert "活动安排在2025年6月25日，还没到：举行后再登记完成。" in page
    assert '<details class="form" >\n  <summary>登记完成</summary>' in page  # closed
    assert 'name="on" type="date" value="2025-06-20"' in page  # today, not the day to come
    answer = report(web, client, "done", {"on": "2025-06-25"}, uid=uid)
    assert answer.status_code == 400
    assert re.search(r'name="on"[^>]*>.*?<div class="field-error" role="alert">实际日期2025年6月25日'
                     r"还没到", answer.text, re.S)
    assert web.entry(uid) == before
    assert report(web, client, "done", {"on": "2025-06-19"}, uid=uid).status_code == 303
    assert (web.entry(uid).status, web.entry(uid).done_on) == ("done", date(2025, 6, 19))


def test_cancel_then_make_up_then_take_it_back(web):
    client = web.client("yj")
    assert report(web, client, "cancel", {"reason": "暴雨预警"}).status_code == 303
    page = client.get(f"/events/{UID}").text
    # no 登记完成 form for a cancelled event (the 补办 form may report its make-up done)
    assert "暴雨预警" in page and "<summary>补办</summary>" in page
    assert f'action="/events/{UID}/done"' not in page and "<summary>登记完成</summary>" not in page
    answer = report(web, client, "makeup", {"title": "防灾减灾日宣传（补办）",
                                            "day": "2025-05-19", "clock": "09:00"})
    assert answer.status_code == 303
    made = answer.headers["Location"].removeprefix("/events/")
    makeup = web.entry(made)
    assert makeup.fills == UID and makeup.start.hour == 9 and makeup.units[0] == "yingji"
    assert "补 <a href" in client.get(f"/events/{made}").text
    assert f'href="/events/{made}"' in client.get(f"/events/{UID}").text
    # A cancelled event cannot be done: the way out is to take the cancellation back.
    assert "请先撤销登记" in report(web, client, "done", {}).text
    assert report(web, client, "reset", {"confirm": "yes"}).status_code == 303
    assert web.entry(UID).status == "planned"


def test_a_move_to_a_day_and_time(web):
    client = web.client("yj")
    assert report(web, client, "move", {"day": "2025-05-14", "clock": "15:30"}).status_code == 303
    entry = web.entry(UID)
    assert entry.moved and entry.start.isoformat() == "2025-05-14T15:30:00+08:00"
    history = json.loads(web.ws.run("history", UID, "--format", "json").output)
    assert history[-1]["action"] == "moved" and history[-1]["by"] == "yj"


def test_a_move_onto_the_day_of_the_routine_s_next_occurrence_is_refused(web):
    client = web.client("xc")  # 县委宣传部 leads the weekly TV segment (Wednesdays)
    tv = "m02-tv/2025-W20"
    before = web.entry(tv)
    answer = report(web, client, "move", {"day": "2025-05-21"}, uid=tv)
    assert answer.status_code == 400
    assert "2025年5月21日已有同一项活动（电视科普栏目），不能改期到这一天" in answer.text
    assert web.entry(tv) == before
    assert report(web, client, "move", {"day": "2025-05-16"}, uid=tv).status_code == 303


def test_two_people_reporting_at_once_one_lands_and_the_other_sees_what_happened(web):
    first, second = web.client("yj"), web.client("xc")
    page_one, page_two = first.get(f"/events/{UID}").text, second.get(f"/events/{UID}").text
    one = first.post(f"/events/{UID}/done", data={"csrf_token": csrf(page_one), "seen": "0",
                                                  "attendance": "80"})
    two = second.post(f"/events/{UID}/cancel", data={"csrf_token": csrf(page_two), "seen": "0",
                                                     "reason": "下雨"})
    assert one.status_code == 303 and two.status_code == 409
    assert "这项活动刚刚由 yj" in two.text and "你的登记没有保存" in two.text
    assert "完成（80人）" in two.text  # the new state, shown to the one who came second
    assert web.entry(UID).status == "done"


@pytest.mark.parametrize("action, data", [
    ("done", {"attendance": "80"}), ("cancel", {"reason": "下雨"}), ("move", {"day": "2025-05-13"}),
    ("reset", {}),
])
def test_a_form_without_the_revision_it_was_made_from_is_refused_like_a_stale_one(
        web, action, data):
    client = web.client("yj")
    before = web.entry(UID)
    page = client.get(f"/events/{UID}").text
    for seen in ({}, {"seen": ""}, {"seen": "abc"}):
        answer = client.post(f"/events/{UID}/{action}",
                             data={"csrf_token": csrf(page), **seen, **data})
        assert answer.status_code == 409
        assert "这张表单没有注明它所依据的活动版本，你的登记没有保存" in answer.text
    assert web.entry(UID) == before


def test_a_cancelled_event_is_made_up_once_on_the_web(web):
    client = web.client("yj")
    assert report(web, client, "cancel", {"reason": "暴雨预警"}).status_code == 303
    page = client.get(f"/events/{UID}").text  # two tabs open on the cancelled event
    made = [client.post(f"/events/{UID}/makeup", data={
        "csrf_token": csrf(page), "seen": str(web.entry(UID).sequence), "title": title,
        "day": day}) for title, day in (("补办一", "2025-05-19"), ("补办二", "2025-05-20"))]
    assert [m.status_code for m in made] == [303, 400]
    assert "这项活动已安排补办（补办一，2025年5月19日），一项取消的活动只补办一次" in made[1].text
    with Store.open(web.ws.db) as store:
        assert [e.title for e in store.make_ups(UID)] == ["补办一"]


def test_what_units_type_is_text_everywhere(web):
    client = web.client("yj")
    evil = '<script>alert("x")</script>'
    report(web, client, "done", {"note": evil}, [('<img src=x onerror=alert(1)>.png', photo("PNG"))])
    page = client.get(f"/events/{UID}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_a_report_on_the_web_keeps_the_feed_uids_the_build_gave(web):
    text = web.ws.plan.read_text(encoding="utf-8")
    web.ws.plan.write_text(text + "\nsettings:\n  base_url: https://kx.chongyang.example/cal\n",
                           encoding="utf-8")
    web.ws.run("build", "--today", "2025-06-20")
    feed = web.ws.exports / "feeds" / "yingji.ics"
    before = set(by_uid(feed.read_bytes()))
    assert before and all(uid.endswith("@kx.chongyang.example") for uid in before)
    assert report(web, web.client("yj"), "done", {"attendance": "9"}).status_code == 303
    assert set(by_uid(feed.read_bytes())) == before
