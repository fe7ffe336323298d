"""The gap report as a terminal text, JSON, or an HTML page with a heat map."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta

from . import termtable
from .gaps import KINDS, SEVERITIES, Report
from .model import Plan, anchor
from .months import firsts
from .render import render

KIND_CN = {"uncovered_measure": "措施未覆盖", "unfilled_slot": "时段空缺", "overdue": "逾期未报",
           "quota_behind": "年度指标落后", "milestone_behind": "目标进度落后",
           "rotation_uncovered": "轮转未到达", "idle_unit": "单位闲置", "overload": "负荷过重"}
SEVERITY_CN = {"info": "提示", "low": "低", "medium": "中", "high": "高"}


def summary(report: Report) -> dict:
    by_measure: dict[int, Counter] = defaultdict(Counter)
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for f in report.findings:
        if f.measure is not None:
            by_measure[f.measure][f.kind] += 1
        if f.unit is not None:
            by_unit[f.unit][f.kind] += 1
    return {
        "findings": len(report.findings),
        "by_severity": {s: sum(1 for f in report.findings if f.severity == s)
                        for s in reversed(SEVERITIES)},
        "by_kind": {k: sum(1 for f in report.findings if f.kind == k) for k in KINDS},
        "by_measure": {str(m): dict(c) for m, c in sorted(by_measure.items())},
        "by_unit": {u: dict(c) for u, c in sorted(by_unit.items())},
    }


def as_json(report: Report) -> str:
    data = {
        "as_of": report.as_of.isoformat(),
        "period": {"from": report.start.isoformat(),
                   "to": (report.end - timedelta(days=1)).isoformat()},
        "summary": summary(report),
        "progress": [{**p.__dict__, "due_now": round(p.due_now, 1)} for p in report.progress],
        "findings": [f.as_json() for f in report.findings],
    }
    # One finding per line: readable in a diff, and much faster to write than indented JSON.
    head = json.dumps({k: v for k, v in data.items() if k != "findings"}, ensure_ascii=False)
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in data["findings"])
    return f'{head[:-1]}, "findings": [\n{lines}\n]}}\n'


def as_text(report: Report, plan: Plan) -> str:
    def unit_name(unit: str | None) -> str:
        return plan.units[unit].name if unit in plan.units else (unit or "")

    info = summary(report)
    last = report.end - timedelta(days=1)
    out = [f"差距报告  截至 {report.as_of}  期间 {report.start} 至 {last}",
           "共 {} 项：{}".format(info["findings"], "，".join(
               f"{SEVERITY_CN[s]} {n}" for s, n in info["by_severity"].items())), ""]
    kinds = [k for k in KINDS if info["by_kind"][k]]
    headers = [KIND_CN[k] for k in kinds]
    rows = [[f"{m} {plan.measures[int(m)].title}", *[str(c.get(k, "")) for k in kinds]]
            for m, c in info["by_measure"].items()]
    if rows:
        out += ["按措施", termtable.render(["措施", *headers], rows), ""]
    rows = [[unit.name, *[str(info["by_unit"][unit.id].get(k, "")) for k in kinds]]
            for unit in plan.units.values() if unit.id in info["by_unit"]]
    if rows:
        out += ["按单位", termtable.render(["单位", *headers], rows), ""]
    rows = [[SEVERITY_CN[f.severity], KIND_CN[f.kind], str(f.measure or ""), unit_name(f.unit),
             f.slot or "", f.message] for f in report.findings]
    out += ["问题清单", termtable.render(["级别", "类别", "措施", "单位", "时段", "说明"], rows)]
    return "\n".join(out) + "\n"


def as_html(report: Report, plan: Plan, source: str) -> str:
    months = [f"{first:%Y-%m}" for first in firsts(report.start, report.end)]
    years = Counter(m[:4] for m in months)
    units = [u for u in plan.units.values() if u.id in report.heat]
    names = {u.id: u.name for u in plan.units.values()}
    rows = [(f.severity, SEVERITY_CN[f.severity], KIND_CN[f.kind], f.measure or "",
             names.get(f.unit, ""), f.slot or "", _link(f.unit, f.start, f.uids), f.message)
            for f in report.findings]
    return render("gaps.html", plan_name=plan.name, source=source, report=report, rows=rows,
                  info=summary(report), months=months, years=sorted(years.items()), units=units,
                  level=_level, plan=plan,
                  kind_cn=KIND_CN, severity_cn=SEVERITY_CN, last_day=report.end - timedelta(days=1),
                  link=_link)


def _level(count: int) -> int:
    """Shade of a heat-map cell: fixed steps, so one busy unit does not wash out the rest."""
    return 1 if count <= 2 else 2 if count <= 5 else 3 if count <= 14 else 4


def _link(unit: str | None, day: date, uids: tuple[str, ...]) -> str:
    """Where a finding's events are printed: the month page of its unit, at the first one."""
    page = f"../print/{day:%Y-%m}/{unit or 'county'}.html"
    return f"{page}#{anchor(uids[0])}" if uids else page
