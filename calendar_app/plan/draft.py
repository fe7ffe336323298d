"""A draft plan from a county's responsibility table: every measure verbatim with its units
(the first leading), the units read against the county bodies the current plan names, and an
obligation for each rhythm a measure's text states (`rhythms`), each marked `assumed`.

The current plan lends what a table does not hold: the units' ids (so feeds keep their names),
the townships behind 各乡镇, the working calendar (terms, observance days, holidays) and the
settings. A county with no plan yet stands on the program's own (`fresh_ground`): its calendar,
settings and county bodies, not what is its county's. The townships are those given
(--townships), else the plan's, and every town (…镇, …乡, …街道) the table lists by name.
Pure: a table and a plan in, a plan and notes out; `writer` writes it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date

from ..errors import Problem
from ..model import Category, Group, Measure, Obligation, Plan, Settings, Unit
from .ids import unit_id
from .rhythms import rhythms
from .rules import Rotation
from .table import Row, Table

# What a name must look like to be taken as a unit the plan does not know yet: a body's
# name (县…局, …委, …部, 团县委, 市…分局), not a person, a place or a phrase.
_BODY = re.compile(r"^[\u4e00-\u9fff（）()]{2,30}(局|委|部|办|院|校|会|社|站|所|队|中心|公司|"
                   r"联|协|团|馆|行|处|室|厅|庭|台|署|司|科|股|分局|支队|大队|集团)$")
_TOWNSHIPS = re.compile(r"^各(乡镇|乡、镇|镇|乡|乡镇（街道）|镇（区）|镇区)$")
_LEADING_GROUP = re.compile(r"领导小组.*成员单位$")
# A town's name (城关镇, 港口乡, 天城街道办事处): a unit of kind township. Not 有关乡镇, a phrase,
# nor 县城乡 or 各镇.
_TOWN = re.compile(r"^(?![各县])[\u4e00-\u9fff]{2,12}(镇|乡|街道|街道办事处)$")
# The county a plan's name begins with (崇阳县全民科学素质行动实施方案): its place name.
_COUNTY = re.compile(r"^([\u4e00-\u9fff]{1,8}?)(自治县|县|市|区|旗)")
COUNTY_PREFIX = "县"


@dataclass
class Draft:
    """The plan made from a table, and how each of its names was read."""

    plan: Plan
    notes: list[str] = field(default_factory=list)
    decisions: list[int] = field(default_factory=list)  # measures with no rhythm in the text


@dataclass
class _Units:
    """The units a table names, read against the current plan's."""

    reference: Plan
    file: str
    townships: tuple[str, ...]
    found: dict[str, Unit] = field(default_factory=dict)  # id -> unit, in order of appearance
    aliases: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    group_names: dict[str, str] = field(default_factory=dict)  # group id -> name written

    def read(self, name: str, row: Row) -> None:
        """Take one name of a 责任单位 cell; a Problem when it is nothing a plan can hold."""
        ref = self.reference
        if name in ref.names:
            self._take(ref.names[name], name)
            return
        group = self._group(name, row)
        if group:
            self.group_names.setdefault(group, name)
            if group == "townships":
                for uid in self.townships:
                    self.found.setdefault(uid, ref.units[uid])
            return
        for guess in (COUNTY_PREFIX + name, name.removeprefix(COUNTY_PREFIX)):
            if guess in ref.names and guess != name:
                self._take(ref.names[guess], name)
                return
        close = [u for u in ref.units.values() if u.kind == "county" and _variant(name, u.name)]
        if len(close) == 1:
            self._take(close[0].id, name)
            return
        if _BODY.match(name):
            uid = unit_id(name, {*ref.units, *self.found})
            self.found[uid] = Unit(uid, name, "county")
            self.notes.append(f"measure {row.number}: {name} is not among the units of "
                              f"{ref.file}; added as a new unit (id {uid}, from its name: "
                              "shorten it before the first build if you like; it never "
                              "changes once published)")
            ref.names[name] = uid  # the next mention is the same unit
            return
        raise Problem(f"{row.units_cell}: unknown unit {name!r} in measure {row.number}: not "
                      f"among the units of {ref.file} and not the name of a body (县…局, …委, "
                      "…部); correct the table", self.file)

    def _take(self, uid: str, name: str) -> None:
        unit = self.reference.units[uid]
        if uid not in self.found:
            self.found[uid] = Unit(uid, unit.name, unit.kind)
        # An alias, where the table writes it otherwise: the plan's reader says how it read it.
        if name not in (unit.name, uid) and name not in self.aliases.setdefault(uid, []):
            self.aliases[uid].append(name)

    def _group(self, name: str, row: Row) -> str:
        """'townships' or 'leading-group' when `name` stands for several units."""
        ref = self.reference
        for group in ref.groups.values():
            if name in (group.name, *group.aliases):
                members = {ref.units[m].kind for m in group.members}
                return "townships" if members == {"township"} else "leading-group"
        if _TOWNSHIPS.match(name):
            if not self.townships:
                raise Problem(f"{row.units_cell}: measure {row.number} names {name}, and no "
                              f"township is known: neither the table nor {ref.file} lists "
                              "any; give the county's with --townships 甲镇,乙乡,…", self.file)
            return "townships"
        return "leading-group" if _LEADING_GROUP.search(name) else ""


def _is_town(name: str) -> bool:
    return bool(_TOWN.match(name)) and not name.endswith("乡镇")


def _townships(table: Table, ref: Plan, given: tuple[str, ...]) -> tuple[tuple[str, ...],
                                                                         list[str]]:
    """The ids of the townships behind 各乡镇, and notes: those `given` (--townships), else
    `ref`'s, then every town the table lists by name. A town `ref` does not know is added to
    it as a new unit of kind township, so the table's mentions read as that unit."""
    ids: list[str] = []
    made: list[str] = []

    def take(name: str) -> str:
        uid = ref.names.get(name)
        if uid is None:
            uid = unit_id(name, ref.units)
            ref.units[uid] = Unit(uid, name, "township")
            ref.names[name] = uid
            made.append(uid)
        elif ref.units[uid].kind != "township":
            raise Problem(f"--townships: {name} is a county unit of {ref.file}, not a township")
        if uid not in ids:
            ids.append(uid)
        return uid

    for name in given:
        take(name)
    notes = []
    if made:
        notes.append(f"--townships: {'、'.join(ref.units[u].name for u in made)} added as "
                     f"township{'s' if len(made) > 1 else ''} (id{'s' if len(made) > 1 else ''} "
                     f"{', '.join(made)}, from their names)")
    if not given:
        ids[:] = [u.id for u in ref.units.values() if u.kind == "township"]
    listed_only = not ids  # the table's towns alone: perhaps not all the county's
    for row in table.rows:
        for name in row.units:
            uid = ref.names.get(name)
            if uid is not None and ref.units[uid].kind == "township":
                take(name)
            elif uid is None and _is_town(name):
                notes.append(f"measure {row.number}: {name} is not among the units of "
                             f"{ref.file}; added as a township (id {take(name)}, from its "
                             "name)")
    if ids and listed_only and any(_TOWNSHIPS.match(n) for row in table.rows for n in row.units):
        notes.append(f"各乡镇 stands for the towns the table lists by name "
                     f"({'、'.join(ref.units[u].name for u in ids)}): give all the county's "
                     "with --townships")
    return tuple(ids), notes


def fresh_ground(shipped: Plan) -> tuple[Plan, list[str]]:
    """The program's own plan as the ground of a county that has none yet, and what to set
    before its first build: the working calendar, the settings but its address and its
    county's issuer, and its county bodies (县教育局 keeps its id) but any body named after
    its county; none of its townships or measures, and its name without the county."""
    found = _COUNTY.match(shipped.name)
    place = found.group(1) if found else ""

    def own(text: object) -> bool:
        return bool(place) and isinstance(text, str) and place in text

    units = {uid: u for uid, u in shipped.units.items() if u.kind == "county" and not own(u.name)}
    groups = {}
    for gid, group in shipped.groups.items():
        if {shipped.units[m].kind for m in group.members} == {"county"}:
            groups[gid] = replace(group, members=tuple(m for m in group.members if m in units))
    defaults = Settings()
    # Where the exports are served from and the feeds' UIDs are the county's own, always.
    reset = {"base_url", "uid_domain", "proxy"} | \
        {f.name for f in fields(Settings) if own(getattr(shipped.settings, f.name))}
    settings = replace(shipped.settings, **{k: getattr(defaults, k) for k in reset})
    name = shipped.name[found.end():] if found else shipped.name
    ground = replace(shipped, name=name, units=units, groups=groups, measures={},
                     obligations=(), categories={}, settings=settings, notes=(),
                     names={k: uid for k, uid in shipped.names.items() if uid in units},
                     file="the program's own plan")
    notes = ["before the first build, set plan.name (written without the county's name), "
             "settings.base_url (where exports/ will be served from; now a placeholder) and "
             f"settings.issuer (who signs the monthly circular; now {defaults.issuer})",
             "the school terms are the program's estimates, marked estimated: replace them "
             "with the county's 校历 once known"]
    return ground, notes


def _variant(name: str, known: str) -> bool:
    """县广文旅局 for 县文旅局: the same first and last character, the known name's
    characters in order within it, one or two more."""
    if not (name[:1] == known[:1] and name[-1:] == known[-1:]) or \
            not 0 < len(name) - len(known) <= 2:
        return False
    rest = iter(name)
    return all(c in rest for c in known)


def draft(table: Table, reference: Plan, start: date, end: date, name: str,
          townships: tuple[str, ...] = ()) -> Draft:
    """The plan of `table` for [start, end), named `name`, on `reference`'s ground; the
    county's `townships` by name, when given, in place of `reference`'s."""
    ref = replace(reference, units=dict(reference.units), names=dict(reference.names))
    towns, notes = _townships(table, ref, townships)
    units = _Units(ref, table.file, towns, notes=notes)
    for row in table.rows:
        for written in row.units:
            units.read(written, row)
    groups = _groups(units, ref)
    found = {uid: replace(u, aliases=tuple(units.aliases.get(uid, ()))) for uid, u in
             units.found.items()}
    names = {key: uid for uid, u in found.items() for key in (uid, u.name, *u.aliases)}
    for group in groups.values():
        for key in (group.name, *group.aliases):
            names.setdefault(key, group.id)

    codes: dict[str, str] = {}
    for row in table.rows:
        codes.setdefault(row.group or "重点任务", _code(len(codes)))
    categories = {code: Category(code, group) for group, code in codes.items()}
    township_group = groups["townships"].name if "townships" in groups else ""
    measures: dict[int, Measure] = {}
    obligations: list[Obligation] = []
    decisions: list[int] = []
    for row in sorted(table.rows, key=lambda r: r.number):
        ids = _measure_units(row, names, groups)
        measure = Measure(row.number, codes[row.group or "重点任务"], row.title, row.text,
                          tuple(ids), row.units)
        measures[row.number] = measure
        found_here = rhythms(row.text, row.title, start, ref.calendar.observances,
                             township_group)
        if not found_here:
            decisions.append(row.number)
        taken: set[str] = set()
        for rhythm in found_here:
            oid = f"m{row.number}-{rhythm.key}"
            n = 1
            while oid in taken:
                n += 1
                oid = f"m{row.number}-{rhythm.key}-{n}"
            taken.add(oid)
            obligations.append(Obligation(
                id=oid, measure=row.number, title=rhythm.title, quote=rhythm.quote,
                rule=rhythm.rule, units=measure.units, workdays=rhythm.workdays,
                assumed=rhythm.assumed, target=rhythm.target,
                assigned=_visited(rhythm.rule, measure, groups)))
    plan = Plan(name=name, source=_source(name, table), start=start, end=end, units=found,
                groups=groups, categories=categories, measures=measures,
                obligations=tuple(obligations), calendar=reference.calendar,
                settings=reference.settings, names=names)
    return Draft(plan, units.notes, decisions)


def _visited(rule: object, measure: Measure, groups: dict[str, Group]) -> str:
    """Why a rotation's places join each visit, where the measure does not list them: the
    county's reading, which the loader asks to be said."""
    if not isinstance(rule, Rotation):
        return ""
    places = next((g.members for g in groups.values() if g.name == rule.group), ())
    if set(places) <= set(measure.units):
        return ""
    return f"每次所到的{rule.group}不在本措施责任单位之列，县里暂安排其作为配合单位"


def _groups(units: _Units, ref: Plan) -> dict[str, Group]:
    """各乡镇 (the townships) and the leading group's member units: every county unit the
    table names, as the table does not list them."""
    groups = {}
    for gid, written in units.group_names.items():
        known = next((g for g in ref.groups.values() if written in (g.name, *g.aliases)), None)
        if gid == "townships":
            members = units.townships
        else:
            members = tuple(uid for uid, u in units.found.items() if u.kind == "county")
        name = known.name if known else written
        aliases = tuple(a for a in (known.aliases if known else ()) if a != name)
        if written not in (name, *aliases):
            aliases += (written,)
        groups[gid] = Group(gid, name, members, aliases)
    return groups


def _measure_units(row: Row, names: dict[str, str], groups: dict[str, Group]) -> list[str]:
    ids: list[str] = []
    for written in row.units:
        key = names.get(written, "")
        found = list(groups[key].members) if key in groups else [key]
        ids += [u for u in found if u and u not in ids]
    return ids


def _code(index: int) -> str:
    """A, B, ... Z, then AA, AB ...: the categories' codes in the table's order."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


def _source(name: str, table: Table) -> str:
    scheme = re.sub(r"（[^（）]*\d{4}[^（）]*）$", "", name)
    return f"{scheme}附件“{table.title or '重点任务责任分工表'}”"


_BY_YEAR = re.compile(r"到(20\d\d)年")


def stated_years(table: Table) -> tuple[int, int] | None:
    """Five years up to the last year a table's targets are set for (到2025年); None when
    it names none."""
    years = [int(y) for row in table.rows for y in _BY_YEAR.findall(row.text)]
    return (max(years) - 4, max(years)) if years else None


def stated_period(table: Table, reference: Plan) -> tuple[int, int]:
    """The years a table's plan runs, when not given: those its targets state, else the
    current plan's."""
    return stated_years(table) or (reference.start.year, reference.last.year)


def named_for(name: str, first: int, last: int) -> str:
    """The plan's name with its years: 崇阳县…实施方案（2021—2025年） for 2026-2030."""
    years = f"（{first}—{last}年）"
    renamed, count = re.subn(r"（\d{4}\s*[—–-]+\s*\d{4}年?）", years, name)
    return renamed if count else f"{name}{years}"


def heading(made: Draft, table: str) -> list[str]:
    """What the draft file says on top, to the coordinator who finishes it."""
    plan = made.plan
    return [
        f"{plan.name}：重点任务日历数据（草稿）",
        f"由{table}（{plan.source}）导入。",
        "",
        "每条措施按分工表原文录入，责任单位排第一的为牵头单位，其余为配合单位。",
        "分工表写明频次、指标或节日的，已生成对应日程（obligations），每条都在 assumed 里",
        "引用分工表原话，并写明县里暂定的部分（星期几、月份、次数），请逐条核对后修改。",
        f"分工表没有写频次的措施（{len(made.decisions)}条）暂无日程，calendar-app validate",
        "把它们列为“待统筹单位决定”：补上日程，或确认不排日程。",
        "新出现的单位按名称拼音编 id（如县数据局 shuju、城关镇 chengguan），可在第一次 build 之前",
        "改短；id 是日历订阅地址的一部分，发布后不再改。",
    ]


def measure_notes(made: Draft) -> dict[int, list[str]]:
    return {n: ["分工表未写频次：本措施暂无日程，待统筹单位决定"] for n in made.decisions}
