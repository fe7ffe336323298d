"""Plan -> recurring.yaml text: the only writer of plan files (`reader` reads them back).

Used for a draft plan made from a county's table and for the next period's plan made from
the current one. What it writes reads back into the same plan: the same units, measures,
obligations, rules and working calendar, so the same events. Short mappings (a unit, a rule)
are written on one line, as a coordinator writes them; texts with line breaks as blocks.
Comments (`heading`, and a note above a measure) say what the coordinator must look at.
Pure: values in, text out; `save` alone writes, and only a plan the reader accepts.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import fields, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from .. import limits
from ..errors import PlanError, Problem
from ..model import ONE_DAY, Obligation, Plan, Settings, Target
from . import rules
from .reader import load_plan
from .workdays import Observance, WorkCalendar
from .yearday import WEEKDAY_CN, YearDay


class _Flow(dict):
    """A mapping written on one line: {id: jiaoyu, name: 县教育局}."""


class _FlowList(list):
    """A list written on one line: [县教育局, 县科协]."""


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping(
    "tag:yaml.org,2002:map", v.items(), flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence(
    "tag:yaml.org,2002:seq", v, flow_style=True))


def _dump(value: object) -> str:
    return yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     width=10**6, default_flow_style=False)


def _comment(lines: list[str]) -> str:
    return "".join(f"# {line}\n" if line else "#\n" for line in lines)


def plan_text(plan: Plan, heading: list[str], notes: dict[int, list[str]] | None = None) -> str:
    """The plan file of `plan`: `heading` as the comment on top, `notes` above measures."""
    notes = notes or {}
    head: dict[str, object] = {"name": plan.name}
    if plan.short != Plan.short:
        head["short"] = plan.short
    head.update(source=plan.source, start=plan.start, end=plan.last,
                timezone="Asia/Shanghai")
    parts = [_comment(heading), "\n", _dump({"plan": head})]
    settings = _settings(plan.settings)
    if settings:
        parts += ["\n", _dump({"settings": settings})]
    parts += ["\n", _dump({"categories": {c.code: c.name for c in plan.categories.values()}})]
    units = []
    for unit in plan.units.values():
        item = _Flow(id=unit.id, name=unit.name)
        if unit.kind != "county":
            item["kind"] = unit.kind
        if unit.aliases:
            item["aliases"] = _FlowList(unit.aliases)
        units.append(item)
    parts += ["\n", _dump({"units": units})]
    groups = []
    for group in plan.groups.values():
        entry: dict[str, Any] = {"id": group.id, "name": group.name}
        if group.aliases:
            entry["aliases"] = _FlowList(group.aliases)
        entry["members"] = _FlowList(plan.units[m].name for m in group.members)
        groups.append(entry)
    parts += ["\n", _dump({"groups": groups})]
    parts += ["\n", _dump({"calendar": calendar(plan.calendar)})]
    parts.append("\nmeasures:\n")
    by_measure: dict[int, list[Obligation]] = {}
    for obligation in plan.obligations:
        by_measure.setdefault(obligation.measure, []).append(obligation)
    for number, measure in sorted(plan.measures.items()):
        entry = {"number": number, "category": measure.category, "title": measure.title,
                 "text": measure.text, "units": _FlowList(
                     measure.listed or [_name(plan, u) for u in measure.units]),
                 "obligations": [_obligation(plan, o) for o in by_measure.get(number, [])]}
        parts += ["\n", _indent(_comment(notes.get(number, []))), _indent(_dump([entry]))]
    return "".join(parts)


def _indent(text: str) -> str:
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))


def _name(plan: Plan, unit_id: str) -> str:
    return plan.units[unit_id].name


def _settings(settings: Settings) -> dict[str, object]:
    defaults = Settings()
    found: dict[str, object] = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value == getattr(defaults, f.name) and f.name != "base_url":
            continue
        found[f.name] = limits.span_words(value) if isinstance(value, timedelta) else value
    return found


def year_day(day: YearDay) -> object:
    """05-12, or {month: 3, weekday: 周一, nth: -1}."""
    if day.day:
        return f"{day.month:02d}-{day.day:02d}"
    return _Flow(month=day.month, weekday=WEEKDAY_CN[day.weekday], nth=day.nth)


def _month_day(day: date) -> str:
    return f"{day.month:02d}-{day.day:02d}"


def calendar(cal: WorkCalendar) -> dict[str, object]:
    """The `calendar` section: holidays a plan gives, school terms, observance days."""
    found: dict[str, object] = {}
    if cal.overrides:
        found["holidays"] = {year: {
            "source": got.source,
            "days_off": {day: name for day, name in sorted(got.holidays.items())},
            "workdays": _FlowList(sorted(got.workdays))} for year, got in sorted(cal.overrides.items())}
    terms: dict[str, object] = {}
    if cal.terms:
        terms["table"] = [_Flow(id=t.id, name=t.name, start=t.start, end=t.end - ONE_DAY,
                                **({"estimated": True} if t.estimated else {}))
                          for t in cal.terms]
    if cal.term_shape:
        terms["fallback"] = _Flow({season: _FlowList([year_day(a), year_day(b)])
                                   for season, a, b in cal.term_shape})
    if terms:
        found["terms"] = terms
    observances: list[object] = []
    seen: set[int] = set()
    for obs in cal.observances.values():
        if id(obs) in seen:
            continue
        seen.add(id(obs))
        aliases = [k for k, v in cal.observances.items() if v is obs and k != obs.name]
        observances.append(_observance(obs, aliases))
    if observances:
        found["observances"] = observances
    return found


def _observance(obs: Observance, aliases: list[str]) -> object:
    item: dict[str, object] = {"name": obs.name}
    if aliases:
        item["aliases"] = _FlowList(aliases)
    if obs.renamed:
        item["renamed"] = _Flow(obs.renamed)
    if obs.rule is not None:
        item["rule"] = year_day(obs.rule)
    if obs.until is not None:
        item["until"] = year_day(obs.until)
    if obs.days != 1:
        item["days"] = obs.days
    if obs.table:
        item["years"] = {year: _FlowList([_month_day(first), _month_day(end - ONE_DAY)])
                         for year, (first, end) in sorted(obs.table.items())}
    if obs.estimated:
        item["estimated"] = _FlowList(sorted(obs.estimated))
    return item if obs.table else _Flow(item)


def rule_value(rule: rules.Rule) -> object:
    """A rule as the plan file writes it under its kind's key."""
    if isinstance(rule, rules.Weekly):
        return WEEKDAY_CN[rule.weekday]
    if isinstance(rule, rules.Monthly):
        return rule.day or _Flow(weekday=WEEKDAY_CN[rule.weekday], nth=rule.nth)
    if isinstance(rule, rules.Yearly):
        days = [_Flow({"from": year_day(d[0]), "to": year_day(d[1])}) if isinstance(d, tuple)
                else year_day(d) for d in rule.days]
        return days[0] if len(days) == 1 else _FlowList(days)
    if isinstance(rule, rules.ObservanceRule):
        return rule.name
    if isinstance(rule, rules.Span):
        return _Flow({"from": year_day(rule.first), "to": year_day(rule.last)})
    if isinstance(rule, rules.PerTerm):
        spec = _Flow(weeks=_FlowList(rule.weeks))
        if rule.count != 1:
            spec["count"] = rule.count
        return spec
    if isinstance(rule, rules.TimesAYear):
        spec = _Flow(min=rule.least)
        if rule.most != rule.least:
            spec["max"] = rule.most
        if rule.count != rule.least:
            spec["count"] = rule.count
        spec["from"], spec["to"] = year_day(rule.first), year_day(rule.last)
        if rule.around is not None or rule.around_name:
            spec["around"] = year_day(rule.around) if rule.around else rule.around_name
        return spec
    if isinstance(rule, rules.Lunar):
        spec = _Flow(month=rule.month, day=rule.day)
        if rule.offset:
            spec["offset"] = rule.offset
        if rule.before is not None:
            spec["before"] = _FlowList(rule.before)
        return spec
    if isinstance(rule, rules.Rotation):
        return _Flow({"places": rule.group, "years": rule.years, "from": year_day(rule.first),
                      "to": year_day(rule.last)})
    if isinstance(rule, rules.RRule):
        return rule.text
    if isinstance(rule, rules.Quota):
        return _Flow(per_year=rule.amount, unit=rule.unit)
    return _Flow(target=rule.amount, unit=rule.unit, by=rule.by)


def _target(target: Target) -> object:
    if target.kind == "quota":
        return _Flow(per_year=target.amount, unit=target.unit)
    return _Flow(target=target.amount, unit=target.unit, by=target.by)


def _obligation(plan: Plan, o: Obligation) -> dict[str, object]:
    item: dict[str, object] = {"id": o.id, "title": o.title}
    if o.short:
        item["short"] = o.short
    item["quote"] = o.quote
    item[o.rule.kind] = rule_value(o.rule)
    if o.target is not None and not isinstance(o.rule, rules.Quota | rules.Milestone):
        item["target"] = _target(o.target)
    measure = plan.measures[o.measure]
    if o.units != measure.units:
        if set(o.units) == set(measure.units):
            item["lead"] = _name(plan, o.lead)
        else:
            item["units"] = _FlowList(_name(plan, u) for u in o.units)
    if o.fanout:
        item["fanout"] = "each"
    if o.workdays != "keep":
        item["workdays"] = o.workdays
    if o.time is not None:
        item["time"] = f"{o.time:%H:%M}"
    if o.duration is not None:
        item["duration"] = limits.span_words(o.duration)
    if o.location:
        item["location"] = o.location
    if o.alarm is not None:
        item["alarm"] = limits.span_words(o.alarm)
    if o.assigned:
        item["assigned"] = o.assigned
    if o.assumed:
        item["assumed"] = o.assumed
    if o.counted:
        item["counted"] = o.counted
    if o.report != "each":
        item["report"] = o.report
        if o.report_due_days != Obligation.report_due_days:
            item["report_due_days"] = o.report_due_days
        item["report_reason"] = o.report_reason
    return item


def save(path: Path, text: str, force: bool = False) -> Plan:
    """Write the plan file `text` at `path`, whole or not at all, once the reader has read
    it back; the plan it reads. An existing file is replaced only when `force` is given."""
    if path.exists() and not force:
        raise Problem(f"{path} exists already: give another name, or --force to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            plan = load_plan(tmp)
        except PlanError as exc:  # our own writing is at fault: say where, keep nothing
            first = exc.problems[0]
            raise Problem(f"the plan written for {path} does not read back (line {first.line}: "
                          f"{first.message}); nothing was written") from None
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return replace(plan, file=str(path))
