"""The supervision report as terminal text and as JSON: lights and ranking of units and
measures, then the findings grouped by unit (or, `detail`, one line per event)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

from ..formats import termtable
from ..formats.words import cn_date, cn_period
from ..model import ONE_DAY, SEVERITIES, Plan
from .gaps import HINTS, KINDS, Finding
from .lights import LIGHT_CN, LIGHTS, Review, Standing, Tally, rules

KIND_CN = {"uncovered_measure": "措施未覆盖", "unfilled_slot": "取消未补办", "overdue": "逾期未报",
           "quota_behind": "年度指标落后", "milestone_behind": "目标进度落后",
           "rotation_uncovered": "轮转未到达", "idle_unit": "单位闲置", "overload": "负荷过重"}
SEVERITY_CN = {"info": "提示", "low": "低", "medium": "中", "high": "高"}


def percent(rate: float | None) -> str:
    """A completion rate as the page prints it: 97.5%, or — when nothing is due."""
    return "—" if rate is None else f"{rate:.1%}"


def summary(review: Review, findings: list[Finding]) -> dict:
    by_measure: dict[int, Counter] = defaultdict(Counter)
    by_unit: dict[str, Counter] = defaultdict(Counter)
    for f in findings:
        if f.measure is not None:
            by_measure[f.measure][f.kind] += 1
        if f.unit is not None:
            by_unit[f.unit][f.kind] += 1
    total = review.total
    return {
        "findings": len(findings),
        "by_severity": {s: sum(1 for f in findings if f.severity == s)
                        for s in reversed(SEVERITIES)},
        "by_kind": {k: sum(1 for f in findings if f.kind == k) for k in KINDS},
        "by_measure": {str(m): dict(c) for m, c in sorted(by_measure.items())},
        "by_unit": {u: dict(c) for u, c in sorted(by_unit.items())},
        "due": total.due, "done": total.done, "rate": _rate(total), "overdue": total.overdue,
        "missed": total.missed, "soon": total.soon,
        "lights": {light: review.count(light) for light in LIGHT_CN},
    }


def _rate(tally: Tally) -> float | None:
    return None if tally.rate is None else round(tally.rate, 4)


def _standing(s: Standing) -> dict:
    t = s.tally
    return {"id": s.id, "name": s.name, "rank": s.rank, "light": s.light,
            "reasons": list(s.reasons), "due": t.due, "done": t.done, "rate": _rate(t),
            "overdue": t.overdue, "missed": t.missed, "soon": t.soon, "events": t.events,
            "last_report": s.last_report.isoformat() if s.last_report else None,
            "findings": s.findings, **({"lead": s.lead} if s.lead else {})}


def as_json(review: Review, detail: bool = False) -> str:
    report = review.report
    findings = report.detail if detail else report.findings
    data = {
        "as_of": review.as_of.isoformat(),
        "period": {"from": review.start.isoformat(), "to": review.last.isoformat()},
        "plan": {"stage": review.stage.state, "says": review.stage.text},
        "rules": rules(review.settings),
        "summary": summary(review, findings),
        "units": [_standing(s) for s in review.units],
        "measures": [_standing(s) for s in review.measures],
        "progress": [{**p.progress.__dict__, "due_now": round(p.progress.due_now, 1),
                      "light": p.light} for p in review.paces],
        "findings": [f.as_json() for f in findings],
    }
    # One finding per line: readable in a diff, and much faster to write than indented JSON.
    head = json.dumps({k: v for k, v in data.items() if k != "findings"}, ensure_ascii=False)
    lines = ",\n".join(json.dumps(f, ensure_ascii=False) for f in data["findings"])
    return f'{head[:-1]}, "findings": [\n{lines}\n]}}\n'


def as_text(review: Review, plan: Plan, detail: bool = False) -> str:
    report = review.report
    findings = report.detail if detail else report.findings
    info = summary(review, findings)
    # Set apart by ideographic spaces, as a document's header is; dates as 2025年6月20日.
    out = [f"督查报告\u3000截至{cn_date(review.as_of)}\u3000统计期间"
           f"{cn_period(review.start, review.last + ONE_DAY)}",
           review.stage.text]
    if not review.total.due and all(f.kind in HINTS for f in findings):
        ahead = review.total.events
        out.append("本期内还没有到期的事项，也没有发现问题。"
                   + (f"（本期共有{ahead}项活动尚未到期。）" if ahead else ""))
        notes = hints(findings)
        if notes:
            out += ["", "计划安排提示（不影响灯色）", *(_line(f) for f in notes)]
        return "\n".join(out) + "\n"
    t = review.total
    lights = "，".join(f"{LIGHT_CN[k] if k != 'none' else '无灯色'}{n}个"
                      for k, n in info["lights"].items() if n)
    out += [f"应办{t.due}项，已完成{t.done}项，完成率{percent(t.rate)}；"
            f"逾期未报{t.overdue}项，取消未补办{t.missed}项。",
            f"单位灯色：{lights}。问题{info['findings']}项：" + "，".join(
                f"{SEVERITY_CN[s]}{n}项" for s, n in info["by_severity"].items()) + "。"]
    said = rules(review.settings)
    out += ["灯色规则：", *(f"  {LIGHT_CN[k]}：{said[k]}" for k in ("red", "amber", "green")),
            f"  {said['rate']}", "", "各单位排名（按完成率）"]
    rows = [[str(s.rank or ""), s.name, s.light_cn, percent(s.tally.rate),
             f"{s.tally.done}/{s.tally.due}", str(s.tally.overdue), str(s.tally.missed),
             cn_date(s.last_report) if s.last_report else "—", "；".join(s.reasons)]
            for s in review.units]
    out += [termtable.render(["名次", "单位", "灯色", "完成率", "完成/应办", "逾期", "未补办",
                              "最近登记", "说明"], rows), "", "各措施"]
    rows = [[s.id, s.name, s.lead, s.light_cn, percent(s.tally.rate),
             f"{s.tally.done}/{s.tally.due}", str(s.tally.overdue)] for s in review.measures]
    out += [termtable.render(["措施", "名称", "牵头单位", "灯色", "完成率", "完成/应办", "逾期"],
                             rows), ""]
    if detail:
        out += ["问题明细（逐项）", _detail_table(findings, plan)]
    elif findings:
        out += ["问题清单（红灯单位在前）", *_by_unit(review, findings, plan)]
    else:
        out.append("没有发现问题。")
    return "\n".join(out).rstrip("\n") + "\n"


def _detail_table(findings: list[Finding], plan: Plan) -> str:
    rows = [[SEVERITY_CN[f.severity], KIND_CN[f.kind], str(f.measure or ""),
             unit_name(plan, f.unit), cn_date(f.start), f.message] for f in findings]
    return termtable.render(["级别", "类别", "措施", "单位", "日期", "说明"], rows)


def unit_name(plan: Plan, unit: str | None) -> str:
    return plan.units[unit].name if unit in plan.units else (unit or "")


def grouped(review: Review, findings: list[Finding]) -> list[tuple[Standing | None, list[Finding]]]:
    """The problems by unit, red units first and the most overdue first among them; notes
    on the plan's arrangement (HINTS) are left out, see `hints`."""
    by_unit: dict[str | None, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.kind not in HINTS:
            by_unit[f.unit].append(f)
    order = sorted(review.units, key=lambda s: (LIGHTS.index(s.light),
                                                -(s.tally.overdue + s.tally.missed),
                                                s.rank or 999))
    out: list[tuple[Standing | None, list[Finding]]] = [
        (s, by_unit.pop(s.id)) for s in order if s.id in by_unit]
    rest = [f for group in by_unit.values() for f in group]
    return out + ([(None, rest)] if rest else [])


def hints(findings: list[Finding]) -> list[Finding]:
    """Idle months, crowded days and rotations still ahead, by unit."""
    return sorted((f for f in findings if f.kind in HINTS), key=lambda f: (f.unit or "", f.kind))


def _by_unit(review: Review, findings: list[Finding], plan: Plan) -> list[str]:
    lines = []
    for standing, group in grouped(review, findings):
        head = f"【{standing.name}】{standing.light_cn}" if standing else "【其他】"
        lines.append(f"{head}\u3000问题{len(group)}项")
        lines += [_line(f) for f in group]
    notes = hints(findings)
    if notes:
        lines += ["", "计划安排提示（不影响灯色）", *(_line(f) for f in notes)]
    return lines


def _line(f: Finding) -> str:
    measure = f"措施{f.measure}" if f.measure else ""
    return f"  {SEVERITY_CN[f.severity]}  {KIND_CN[f.kind]}  {measure}  {f.message}".replace(
        "    ", "  ")
