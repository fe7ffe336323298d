"""The `events` and `units` listings as JSON objects, CSV rows or terminal tables."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from ..model import Entry, Plan
from ..plan.yearday import WEEKDAY_CN
from . import termtable
from .words import ACTION_CN, status_cn

EVENT_FIELDS = ("uid", "title", "start", "end", "all_day", "lead", "units", "measure",
                "category", "obligation", "slot", "status", "location", "notes", "sequence")


def entry_dict(entry: Entry) -> dict:
    """The JSON shape of one event (`end` exclusive, as in iCalendar)."""
    return {
        "uid": entry.uid, "title": entry.title, "start": entry.start.isoformat(),
        "end": entry.end.isoformat(), "all_day": entry.all_day, "lead": entry.lead,
        "units": list(entry.units), "measure": entry.measure or None,
        "category": entry.category or None,
        "obligation": entry.obligation, "slot": entry.slot, "status": entry.shown_status,
        "location": entry.location, "notes": list(entry.notes), "sequence": entry.sequence,
        "attendance": entry.attendance, "moved": entry.moved, "orphaned": entry.orphaned,
        "fills": entry.fills or None,
    }


def events_json(entries: list[Entry]) -> str:
    return json.dumps([entry_dict(e) for e in entries], ensure_ascii=False, indent=2)


def events_csv(entries: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EVENT_FIELDS)
    for entry in entries:
        row = entry_dict(entry)
        row["units"] = " ".join(row["units"])
        row["notes"] = "; ".join(row["notes"])
        writer.writerow([row[f] for f in EVENT_FIELDS])
    return out.getvalue()


def history_table(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        detail = "; ".join(f"{k}={v}" for k, v in sorted(row["detail"].items())
                           if v not in (None, ""))
        lines.append([row["at"][:16].replace("T", " "), row["by"],
                      ACTION_CN.get(row["action"], row["action"]), detail])
    return termtable.render(["时间", "操作人", "操作", "详情"], lines)


def when(entry: Entry) -> str:
    """`2025-06-01 周日` for a day, `2025-06-01 周日 至 06-30` for a span, with time if timed."""
    if isinstance(entry.start, datetime):
        return f"{_day_text(entry.start.date())} {entry.start:%H:%M}"
    last = date.fromordinal(entry.end.toordinal() - 1)
    if last > entry.start:
        return f"{_day_text(entry.start)} 至 {last:%m-%d}"
    return _day_text(entry.start)


def _day_text(d: date) -> str:
    return f"{d.isoformat()} {WEEKDAY_CN[d.weekday()]}"


def events_table(entries: list[Entry], plan: Plan) -> str:
    rows = [[when(e), e.title, str(e.measure or ""),
             plan.unit_name(e.lead) if e.lead in plan.units else e.lead, status_cn(e, plan), e.uid]
            for e in entries]
    table = termtable.render(["日期", "活动", "措施", "牵头单位", "状态", "uid"], rows)
    return f"{table}\n{len(entries)} events"


def units_rows(plan: Plan) -> list[dict]:
    memberships: dict[str, list[str]] = {u: [] for u in plan.units}
    for group in plan.groups.values():
        for member in group.members:
            memberships[member].append(group.id)
    return [{"id": u.id, "name": u.name, "kind": u.kind, "aliases": list(u.aliases),
             "groups": memberships[u.id]} for u in plan.units.values()]


def units_table(plan: Plan) -> str:
    kinds = {"county": "县直单位", "township": "乡镇"}
    rows = [[r["id"], r["name"], kinds[r["kind"]], "、".join(r["aliases"])]
            for r in units_rows(plan)]
    return termtable.render(["id", "名称", "类别", "别名"], rows)
