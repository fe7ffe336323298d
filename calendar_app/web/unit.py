"""A unit's pages: its home (what is overdue, what comes next, its month, its targets, its
feed), the month as the printed schedule, and the monthly report sheet to download and upload.

The coordinator sees each of them for any unit (`?unit=`), and the county's month.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, g, get_flashed_messages, redirect, request, url_for

from .. import exports as layout
from .. import months
from ..model import Entry, Plan, Target, day_of, overlaps
from ..printed import pages
from ..printed.monthview import Item
from ..reports import batch, sheets
from ..reports.records import Recorder
from ..supervision.lights import deadline, due_soon
from .auth import signed_in
from .channels import channel_context
from .site import download, framed, page, refresher, site

blueprint = Blueprint("unit", __name__)
UPCOMING = timedelta(days=14)
BACKLOG_SHOWN = 4  # overdue groups shown open on the home; the rest behind one line (phones)


def chosen_unit(plan: Plan) -> str:
    """The unit a page is about: the account's own, or for the coordinator `?unit=`."""
    unit = unit_or_county(plan)
    if unit is None:
        abort(404)
    return unit


def unit_or_county(plan: Plan) -> str | None:
    """The same, where the coordinator may ask for none: None is then the county."""
    account = g.account
    if not account.coordinator:
        return account.unit
    wanted = request.values.get("unit")
    if wanted and wanted not in plan.units:
        abort(404)
    return wanted or None


@blueprint.route("/")
@signed_in
def home():
    if g.account.coordinator and "unit" not in request.args:
        return redirect(url_for("coordinator.dashboard"))
    plan = site().plan()
    unit = chosen_unit(plan)
    extra = channel_context(unit) if g.account.coordinator else {}
    return home_page(plan, unit, extra)


def home_page(plan: Plan, unit: str, extra: dict[str, Any]) -> str:
    """A unit's home; `extra`: what the coordinator sees there besides (its channels)."""
    return page("web/home.html", title=plan.units[unit].name, **home_lists(plan, unit), **extra)


def home_lists(plan: Plan, unit: str) -> dict:
    """What a unit's home shows, each list read by its own narrow query (a busy unit has
    thousands of events: reading them all made the page slow)."""
    today = site().clock().date()
    settings = plan.settings
    store = g.store
    late = today - timedelta(days=settings.overdue_days)  # over by then: overdue today
    overdue = store.unreported(unit, today, settings.overdue_days)
    awaiting = [e for e in store.entries(unit=unit, start=late,
                                         end=today + timedelta(days=settings.warn_days))
                if e.lead == unit and due_soon(e, today, settings)]
    # 本周待办: what the unit leads this week and has still to do or report, and what falls
    # due soon; routines reported by period are in their period's report task instead.
    monday = today - timedelta(days=today.weekday())
    todo = {e.uid: e for e in store.entries(unit=unit, start=monday,
                                            end=monday + timedelta(days=7),
                                            include_removed=False)
            if e.lead == unit and e.live and e.status == "planned" and e.reported_alone
            and not e.overdue(today, settings.overdue_days)}
    todo.update((e.uid, e) for e in awaiting)
    this_week = sorted(todo.values(), key=lambda e: (deadline(e, settings.overdue_days), e.uid))
    routines = [(o, batch.default_choice(today)) for o in batch.routines(plan, unit)]
    first, stop = months.bounds(today.year, today.month)
    shown = months.within(today, plan.start, plan.end)  # the month its link opens
    near = store.entries(unit=unit, start=min(first, today), end=max(stop, today + UPCOMING),
                         include_removed=False)
    upcoming = [e for e in near if e.live and today <= day_of(e.start) < today + UPCOMING]
    this_month = [e for e in near if overlaps(e.start, e.end, first, stop)]
    out = site().out()
    feed = layout.feed(unit)
    return {
        "unit": unit, "today": today, "overdue": overdue, "this_week": this_week,
        "routines": routines, "backlog_shown": BACKLOG_SHOWN,
        # Only the page's own: the reminders' forms tell theirs beside the channels.
        "flashes": get_flashed_messages(category_filter=["message"]),
        "returned": store.returned(unit),
        "upcoming": upcoming, "this_month": this_month, "month_key": f"{shown:%Y-%m}",
        "progress": _progress(plan, unit, today),
        "feed_https": out.url(feed), "feed_webcal": out.webcal(feed),
        "overdue_days": settings.overdue_days, "warn_days": settings.warn_days,
        "plan_over": today >= plan.end,
        "last_day": plan.last,
    }


def _progress(plan: Plan, unit: str, today: date) -> list:
    """Quota and milestone progress of the obligations the unit takes part in."""
    from ..supervision.gaps import analyse

    mine = {o.id: o for o in plan.obligations if o.target is not None and unit in o.units
            and (_in_period(plan, o.target) or o.lead == unit)}
    if not mine:
        return []
    report = analyse(plan, g.store.entries(obligations=mine), today)
    return [p for p in report.progress
            if p.obligation in mine and (not mine[p.obligation].fanout or p.unit == unit)]


def _in_period(plan: Plan, target: Target) -> bool:
    """Whether a target falls due within the plan: one due before it began (the table's 2020
    volunteer count) is on no unit's calendar, and only its lead, who reports it, sees it."""
    return target.by is None or target.by >= plan.start


# -- the month ----------------------------------------------------------------------------------

def _month(key: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in key.split("-"))
        months.bounds(year, month)
    except ValueError:
        abort(404)
    return year, month


def _in_plan(plan: Plan, key: str) -> tuple[date, date]:
    """The bounds of the month `key` names, or 404 when it is not one of the plan's."""
    first, stop = months.bounds(*_month(key))
    if not (first < plan.end and stop > plan.start):
        abort(404)
    return first, stop


def _month_page(key: str) -> tuple[pages.Page, str | None]:
    return _month_entries(key)[:2]


def _month_entries(key: str) -> tuple[pages.Page, str | None, list[Entry]]:
    plan = site().plan()
    unit = unit_or_county(plan)
    year, month = _month(key)
    first, stop = _in_plan(plan, key)
    entries = g.store.entries(unit=unit, start=first, end=stop, include_removed=False)
    return (pages.month_page(plan, entries, year, month, unit, site().clock().date()), unit,
            entries)


@blueprint.route("/month")
@signed_in
def this_month():
    """This month, or the plan's last when it is over (its first before it starts)."""
    plan = site().plan()
    today = months.within(site().clock().date(), plan.start, plan.end)
    values: dict[str, Any] = {**request.args.to_dict(), "key": f"{today:%Y-%m}"}
    return redirect(url_for("unit.month", **values))


@blueprint.route("/month/<key>")
@signed_in
def month(key: str):
    plan = site().plan()
    printed, unit, entries = _month_entries(key)
    view = printed.month.view(unit)
    today = site().clock().date()
    # What the unit must still report (in the county's month, anyone's), and what was returned
    late = {e.uid for e in entries if e.overdue(today, plan.settings.overdue_days)
            and (unit is None or e.lead == unit)}
    returned = {e.uid for e in entries if e.review == "returned"}
    first = view.frame.first
    before = months.bounds(*((first.year, first.month - 1) if first.month > 1
                             else (first.year - 1, 12)))[0]
    after = months.following(first)
    return page("web/month.html", title=f"{view.frame.title}活动安排", view=view, unit=unit,
                agenda=folded(view.agenda, plan, {e.uid for e in entries if e.kind == "report"}),
                key=key, late=late, returned=returned,
                previous=f"{before:%Y-%m}" if before >= plan.start.replace(day=1) else "",
                following=f"{after:%Y-%m}" if after < plan.end else "")


def folded(agenda: Iterable[Item], plan: Plan,
           tasks: set[str]) -> list[tuple[Item, int]]:
    """The month's list as a phone shows it: (item, how many days it stands for). A routine
    reported by period (the daily push) is one line for the month at its first day, since none
    of its days is reported on its own; a day recorded alone keeps its own line. The printed
    month keeps every day in its grid. `tasks`: the report tasks' uids, each its own line."""
    by_period = {o.id for o in plan.obligations if o.report != "each"}
    listed: list[tuple[Item, int]] = []
    at: dict[tuple[str, str], int] = {}
    for item in agenda:
        key = (item.obligation, item.role)
        if item.obligation in by_period and item.status == "planned" \
                and not tasks.intersection(item.uids):
            if key in at:
                first, days = listed[at[key]]
                listed[at[key]] = (replace(first, end=max(first.end, item.end),
                                           uids=first.uids + item.uids), days + 1)
                continue
            at[key] = len(listed)
        listed.append((item, 1))
    return listed


@blueprint.route("/month/<key>/print")
@signed_in
def month_print(key: str):
    printed, _ = _month_page(key)
    return Response(framed(printed.html()), mimetype="text/html")


@blueprint.route("/month/<key>/pdf")
@signed_in
def month_pdf(key: str):
    printed, unit = _month_page(key)
    data = pages.Pdf(True)(printed.html())
    plan = site().plan()
    year, month_ = _month(key)
    who = plan.units[unit].name if unit else "全县"
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": download(
        f"{who}{year}年{month_}月活动安排.pdf", f"{unit or 'county'}-{key}.pdf", inline=True)})


# -- report sheets ------------------------------------------------------------------------------

@blueprint.route("/sheets/<key>.<kind>")
@signed_in
def sheet_download(key: str, kind: str):
    if kind not in ("xlsx", "csv"):
        abort(404)
    plan = site().plan()
    unit = chosen_unit(plan)
    year, month_ = _month(key)
    first, stop = _in_plan(plan, key)
    entries = sheets.month_rows(g.store.entries(unit=unit, start=first, end=stop))
    return _sheet(plan, unit, entries, key, kind, f"{year}年{month_}月报表")


@blueprint.route("/sheets/backlog.<kind>")
@signed_in
def backlog_download(kind: str):
    """逾期未报清单: every event the unit leads that is overdue, across months, in one sheet
    that imports as a month's does."""
    if kind not in ("xlsx", "csv"):
        abort(404)
    plan = site().plan()
    unit = chosen_unit(plan)
    if unit is None:
        abort(404)
    today = site().clock().date()
    entries = sheets.backlog(g.store.entries(unit=unit, unreported_by=today), unit, today,
                             plan.settings.overdue_days)
    return _sheet(plan, unit, entries, sheets.BACKLOG, kind, sheets.BACKLOG)


def _sheet(plan: Plan, unit: str, entries: list[Entry], key: str, kind: str,
           name: str) -> Response:
    files = sheets.template_files(entries, plan, unit, key, site().clock().date(),
                                  g.store.planned_counts(entries))
    data = files[layout.sheet(unit, key, f".{kind}")]
    media = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv": "text/csv; charset=utf-8"}[kind]
    ascii_key = "backlog" if key == sheets.BACKLOG else key
    return Response(data, mimetype=media, headers={"Content-Disposition": download(
        f"{plan.units[unit].name}{name}.{kind}", f"{unit}-{ascii_key}.{kind}")})


@blueprint.route("/sheets", methods=["GET", "POST"])
@signed_in
def sheet_upload():
    plan = site().plan()
    # The coordinator picks the unit whose sheet to download; a sheet of any unit may be
    # uploaded, each of its rows checked against who may report it.
    unit = unit_or_county(plan)
    today = months.within(site().clock().date(), plan.start, plan.end)
    key = request.values.get("month") or f"{today:%Y-%m}"
    last = plan.last
    context: dict[str, object] = {"unit": unit, "key": key, "problems": [], "changes": None,
                                  "forbidden": False, "month_error": "",
                                  # a list, not <input type=month>: Chromium writes that
                                  # in its own language (June 2025)
                                  "months": [(f"{m:%Y-%m}", f"{m.year}年{m.month}月") for m in
                                             reversed(months.firsts(plan.start.replace(day=1),
                                                                    months.following(last)))]}
    try:
        year, month_ = (int(part) for part in key.split("-"))
        first, stop = months.bounds(year, month_)
    except ValueError:
        first = stop = plan.end
    if not (first < plan.end and stop > plan.start):
        context.update(key="", month_error=f"请选择实施期内的月份（{plan.start.year}年"
                                           f"{plan.start.month}月至{last.year}年{last.month}月）。")
    if request.method == "GET":
        return page("web/sheets.html", title="月度报表", **context)
    upload = request.files.get("sheet")
    if upload is None or not upload.filename:
        return page("web/sheets.html", title="月度报表", **{
            **context, "problems": ["请选择要上传的报表文件（xlsx 或 csv）。"]}), 400
    suffix = ".xlsx" if upload.filename.lower().endswith(".xlsx") else ".csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"报表{suffix}"
        upload.save(path)
        recorder = Recorder(g.store, plan, site().clock(), g.account.login)
        try:
            changes = sheets.import_sheet(path, recorder, owner=g.account.may_report)
        except sheets.SheetForbidden as refused:
            return page("web/sheets.html", title="月度报表", **{
                **context, "forbidden": True,
                "problems": [_row(p) for p in refused.problems]}), 403
        except sheets.SheetError as bad:
            return page("web/sheets.html", title="月度报表", **{
                **context, "problems": [_row(p) for p in bad.problems]}), 400
    refresher().touched(recorder.touched)
    return page("web/sheets.html", title="月度报表", **{**context, "changes": changes})


def _row(problem) -> str:
    return f"第{problem.line}行：{problem.message}" if problem.line else problem.message


def visible(entry: Entry | None) -> Entry:
    """The entry, if the account may see it; 404 or 403 otherwise."""
    if entry is None:
        abort(404)
    if not g.account.may_report(entry):
        abort(403)
    return entry
