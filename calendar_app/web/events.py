"""One event's page and the forms that report on it: done, cancelled, moved, a make-up,
and taking a report back.

Every form is checked field by field before anything is written; a refused form comes back
with the message beside its field and what was typed still in it. Each form carries the
revision of the event it was shown with, so when two people report the same event at once,
one lands and the other is shown what happened instead of overwriting it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import Blueprint, abort, flash, g, get_flashed_messages, redirect, request, url_for

from .. import limits
from ..formats.words import ACTION_CN, cn_period, read_date
from ..model import REVIEW_CN, TZ, Entry, Evidence, Obligation, Plan, Slot, day_of
from ..reports.evidence import KINDS_CN, EvidenceError, Upload
from ..reports.records import MOST_ATTENDANCE, NOT_COUNTED, Conflict, Recorder, RecordError, check_text
from ..schedule.reporting import opens
from .auth import signed_in
from .site import page, refresher, site
from .unit import visible

blueprint = Blueprint("events", __name__)
FORMS = ("done", "cancel", "move", "makeup", "reset", "period", "supplement", "resubmit",
         "pass", "return")


@dataclass(frozen=True)
class Period:
    """What a period's report task page shows: the period's events still planned or done,
    from which day it may be reported, and what its number is called."""

    events: tuple[Entry, ...]
    opens: date
    counted: str

    @property
    def planned(self) -> int:
        return len(self.events)

    @property
    def recorded(self) -> int:
        """Of them, those reported done one by one (before there were grains, say)."""
        return sum(1 for e in self.events if e.status == "done")


def _period(entry: Entry, obligation: Obligation | None) -> Period | None:
    if entry.kind != "report":
        return None
    events = tuple(e for e in g.store.period_events(entry) if e.live)
    slot = Slot(entry.slot, entry.slot_start, entry.slot_end)
    return Period(events, opens(slot), obligation.tallied if obligation is not None else "数量")


@dataclass
class Form:
    """A submitted form: which one, what was typed, and the message for each bad field."""

    name: str = ""
    values: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    def bad(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)


@blueprint.route("/events/<path:uid>")
@signed_in
def show(uid: str):
    return _page(visible(g.store.entry(uid)))


def _page(entry: Entry, form: Form | None = None, conflict: str = "", status: int = 200):
    plan = site().plan()
    obligation = next((o for o in plan.obligations if o.id == entry.obligation), None)
    body = page("web/event.html", title=entry.title, entry=entry,
                measure=plan.measures.get(entry.measure), obligation=obligation,
                history=g.store.history(entry.uid), **_files(entry),
                logins={a.login for a in g.store.accounts()},
                review_cn=REVIEW_CN,
                form=form or Form(), conflict=conflict, flashes=get_flashed_messages(),
                today=site().clock().date(), filled=_filled(entry),
                period=_period(entry, obligation), counted=plan.asks(entry),
                limit_mb=plan.settings.evidence_mb, kinds_cn=KINDS_CN, actions_cn=ACTION_CN,
                note_most=limits.NOTE, title_most=limits.TYPED_TITLE,
                files_most=limits.EVIDENCE_FILES)
    return body, status


def _files(entry: Entry) -> dict[str, list[Evidence]]:
    """The evidence of the report as it stands, and what was handed in before a 撤销登记
    (kept, and named in the history)."""
    files = g.store.evidence(entry.uid)
    resets = [row["at"] for row in g.store.history(entry.uid) if row["action"] == "reset"]
    if not resets:
        return {"files": files, "earlier_files": []}
    last = datetime.fromisoformat(resets[-1])
    return {"files": [f for f in files if f.at > last],
            "earlier_files": [f for f in files if f.at <= last]}


def _filled(entry: Entry) -> Entry | None:
    """The make-up this cancelled event's slot has, if any."""
    if entry.live:
        return None
    return next((e for e in g.store.make_ups(entry.uid) if e.live), None)


@blueprint.route("/events/<path:uid>/<action>", methods=["POST"])
@signed_in
def report(uid: str, action: str):
    if action not in FORMS:
        abort(404)
    entry = visible(g.store.entry(uid))
    clock = site().clock()
    plan = site().plan()
    form = Form(action, request.form.to_dict())
    seen = _whole(request.form.get("seen", ""))
    if seen is None:
        # Without the revision it was made from, a form cannot tell whether someone else
        # reported since: it is refused as a stale one is, never applied blind.
        return _page(entry, conflict="这张表单没有注明它所依据的活动版本，你的登记没有保存；"
                     "现在的状态见下方，请核对后在本页重新提交。", status=409)
    recorder = Recorder(g.store, plan, clock, g.account.login, files=site().files())
    try:
        done = {"done": _done, "cancel": _cancel, "move": _move, "makeup": _makeup,
                "reset": _reset, "period": _report_period, "supplement": _supplement,
                "resubmit": _supplement, "pass": _review,
                "return": _review}[action](recorder, entry, form, seen)
    except Conflict as conflict:
        return _page(conflict.entry, conflict=_conflict_text(conflict.entry), status=409)
    except RecordError as refused:
        if refused.field == "review":
            # No field to put it beside: said at the top of the page; a unit's account that
            # asked for a review is refused outright.
            form.bad("", refused.cn)
            return _page(g.store.entry(uid), form,
                         status=400 if g.account.coordinator else 403)
        form.bad(refused.field, refused.cn)
        return _page(g.store.entry(uid), form, status=400)
    if form.errors:
        return _page(entry, form, status=400)
    refresher().touched(recorder.touched)
    flash(done)
    # A make-up is shown on its own page; every other report on the event's.
    return redirect(url_for("events.show", uid=form.values.get("made", uid)), code=303)


def _conflict_text(entry: Entry) -> str:
    last = g.store.history(entry.uid)[-1]
    return (f"这项活动刚刚由 {last['by']} 于 {last['at'][11:16]} 更新，现在的状态见下方；"
            "你的登记没有保存，请核对后如需再提交。")


def _done(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    plan = recorder.plan
    on = _day(form, "on", plan) if form.values.get("on") else None
    attendance = _attendance(form, recorder.plan, entry)
    note = typed_text(form, "note", limits.NOTE)
    uploads = checked_uploads(form)
    if form.errors:
        return ""
    # The files are written inside the report's transaction, once it has passed its checks.
    recorder.done(entry.uid, on, attendance, note, uploads=uploads, seen=seen)
    return "已登记完成" + (f"，附件{len(uploads)}个" if uploads else "")


def _attendance(form: Form, plan: Plan, entry: Entry) -> int | None:
    """The number typed, in the words of the event's obligation; where it asks none (the form
    has no field for it), a number sent anyway is refused at the top of the page."""
    text = form.values.get("attendance", "").strip()
    asked = plan.asks(entry)
    if text and not asked:
        form.bad("", NOT_COUNTED)
        return None
    attendance = _whole(text)
    if text and (attendance is None or attendance > MOST_ATTENDANCE):
        form.bad("attendance", f"{asked}须为0或更大的整数")
    return attendance


def typed_text(form: Form, name: str, most: int) -> str:
    """A text field, trimmed; beside it the message when it is too long or holds a NUL."""
    value = form.values.get(name, "").strip()
    try:
        check_text(value, most, name)
    except RecordError as bad:
        form.bad(name, bad.cn)
    return value


def _report_period(recorder: Recorder, entry: Entry, form: Form, seen: int | None) -> str:
    text = form.values.get("done", "").strip()
    done = _count(text)
    if done is None:
        form.bad("done", "请填写本期完成的数量（整数）")
    missed = []
    for value in request.form.getlist("missed"):
        try:
            missed.append(date.fromisoformat(value))
        except ValueError:
            form.bad("missed", "未完成日期须是本期的日期")
    form.values["missed"] = request.form.getlist("missed")
    note = typed_text(form, "note", limits.NOTE)
    uploads = checked_uploads(form)
    if form.errors or done is None:
        return ""
    planned = recorder.period(entry.uid, done, note, tuple(missed), uploads, seen)
    return f"已报送本期情况：完成{done}（计划{planned}）" + (f"，附件{len(uploads)}个"
                                                        if uploads else "")


def _count(text: str) -> int | None:
    """A whole number as typed, its sign kept (so a negative count is said to be one)."""
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isascii() and digits.isdigit() and len(digits) <= 9 else None


def checked_uploads(form: Form) -> list[Upload]:
    """Every file of the form checked before any is kept: one refused, none is stored. At
    most `limits.EVIDENCE_FILES` a report, and `limits.UNIT_DAY_MB` a unit a day."""
    sent = [upload for upload in request.files.getlist("files") if upload.filename]
    if len(sent) > limits.EVIDENCE_FILES:
        form.bad("files", f"每次登记最多附{limits.EVIDENCE_FILES}个文件（这次选了"
                          f"{len(sent)}个）；请挑选后再传，或把签到表等合并成一份 PDF")
        return []
    sizes = [upload.stream.seek(0, io.SEEK_END) for upload in sent]
    if sizes:
        today = site().clock().replace(hour=0, minute=0, second=0, microsecond=0)
        account = g.account
        used = g.store.evidence_uploaded(None if account.coordinator else account.unit, today)
        if used + sum(sizes) > limits.UNIT_DAY_MB * 1024 * 1024:
            whose = "统筹账号" if account.coordinator else "本单位"
            form.bad("files", f"{whose}今天已上传佐证材料{_mb(used)} MB，加上这次的"
                              f"{_mb(sum(sizes))} MB，超过每天{limits.UNIT_DAY_MB} MB的上限；"
                              "请压缩照片后再传，或明天再传")
            return []
    files = site().files()
    found = []
    for upload in sent:
        try:
            found.append(files.check(upload.stream, upload.filename or ""))
        except EvidenceError as refused:
            form.bad("files", str(refused))
    return found


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def _cancel(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    reason = typed_text(form, "reason", limits.NOTE)
    if not reason:
        form.bad("reason", "请填写取消原因")
    if form.errors:
        return ""
    recorder.cancel(entry.uid, reason, seen=seen)
    return "已登记取消；如需补办，可在本页“补办”中安排"


def _move(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    to = _moment(form, recorder.plan)
    if form.errors or to is None:
        return ""
    recorder.move(entry.uid, to, seen=seen)
    return "已登记改期"


def _makeup(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    title = typed_text(form, "title", limits.TYPED_TITLE)
    if not title:
        form.bad("title", "请填写补办活动的名称")
    on = _moment(form, recorder.plan)
    text = form.values.get("attendance", "").strip()
    attendance = _attendance(form, recorder.plan, entry)
    uploads = checked_uploads(form)
    if form.errors or on is None:
        return ""
    # A make-up that has taken place is reported done in the same form and transaction.
    held = day_of(on) <= day_of(recorder.at)
    if not held and (text or uploads):
        asked = recorder.plan.asks(entry)
        form.bad("attendance" if asked else "files",
                 f"补办日期还没到：举行后再登记{asked + '和' if asked else ''}佐证材料")
        return ""
    unit = entry.lead if g.account.coordinator else g.account.unit
    with recorder.batch():
        made = recorder.add(unit, title, on, fills=entry.uid, seen=seen)
        if held:
            recorder.done(made, day_of(on), attendance, uploads=uploads)
    form.values["made"] = made
    return "已补办并登记完成" + (f"，附件{len(uploads)}个" if uploads else "") if held \
        else "已安排补办"


def _reset(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    if form.values.get("confirm") != "yes":
        form.bad("confirm", "请勾选“确认撤销本项登记”后再撤销")
        return ""
    recorder.reset(entry.uid, seen=seen)
    return "已撤销登记，恢复为计划安排；原佐证材料保留在办理记录中"


def _supplement(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    """补充 a done report (a note, evidence), or, returned, 补充后重新提交."""
    note = typed_text(form, "note", limits.NOTE)
    uploads = checked_uploads(form)
    if form.errors:
        return ""
    again = form.name == "resubmit"
    recorder.supplement(entry.uid, note, uploads, resubmit=again, seen=seen)
    return "已重新提交，等待县科协复核" if again else "已补充" + (
        f"佐证材料{len(uploads)}个" if uploads else "说明")


def _review(recorder: Recorder, entry: Entry, form: Form, seen: int) -> str:
    """The coordinator's 通过 or 退回 (with its reason)."""
    passed = form.name == "pass"
    reason = "" if passed else typed_text(form, "verdict", limits.NOTE)
    if form.errors:
        return ""
    recorder.review(entry.uid, passed, reason, coordinator=g.account.coordinator, seen=seen)
    return "已复核通过" if passed else f"已退回{entry.title}：{reason}"


def _whole(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def _day(form: Form, name: str, plan) -> date | None:
    text = form.values.get(name, "").strip()
    day = read_date(text)
    if day is None:
        form.bad(name, "请填写日期，如2025年6月18日")
        return None
    if not plan.start <= day < plan.end:
        form.bad(name, f"日期须在实施方案期限内（{cn_period(plan.start, plan.end)}）")
        return None
    return day


def _moment(form: Form, plan) -> date | datetime | None:
    """The new day, with a time of day when one is given (`day` and `clock` fields)."""
    day = _day(form, "day", plan)
    text = form.values.get("clock", "").strip()
    if day is None or not text:
        return day
    try:
        return datetime.combine(day, time.fromisoformat(text), tzinfo=TZ)
    except ValueError:
        form.bad("clock", "时间格式如14:30")
        return None

