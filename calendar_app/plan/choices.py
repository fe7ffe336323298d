"""What `calendar-app validate` says of a plan: what it holds, and every choice the county made
that the table (《重点任务责任分工表》) does not: a lead or a set of units other than the
measure's, each unit on its own where the table lists them together, or a rotation's place
added to each visit (`assigned`), and a day, window or frequency the table leaves open
(`assumed`).

Units read each such obligation's events as 县里安排 with these reasons, the others as 方案规定,
so the coordinator checks here, in one place, everything the plan adds to the table. Pure:
a plan in, lines of text out.
"""

from __future__ import annotations

from ..model import COUNTED, NO_COUNT, Obligation, Plan
from .rules import Rotation

NAMES_SHOWN = 6  # a longer list of co-organisers is counted, not named


def summary(plan: Plan) -> str:
    """What the plan holds, in one line."""
    return (f"{_count(len(plan.measures), 'measure')}, "
            f"{_count(len(plan.obligations), 'obligation')}, "
            f"{_count(len(plan.units), 'unit')} ({unit_counts(plan)}), "
            f"{_count(len(plan.groups), 'group')}, period {plan.start} to {plan.last}")


def unit_counts(plan: Plan) -> str:
    """24 county units plus the 12 townships; 1 county unit, no townships."""
    county = sum(u.kind == "county" for u in plan.units.values())
    towns = sum(u.kind == "township" for u in plan.units.values())
    units = _count(county, "county unit")
    if not towns:
        return f"{units}, no townships"
    return f"{units} plus {'1 township' if towns == 1 else f'the {towns} townships'}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def county_choices(plan: Plan) -> list[str]:
    """The section of `validate` that lists every county choice, obligation by obligation."""
    chosen = [o for o in plan.obligations if o.assigned or o.assumed or o.report_reason]
    units = sum(bool(o.assigned) for o in chosen)
    cadences = sum(bool(o.assumed) for o in chosen)
    grains = sum(bool(o.report_reason) for o in chosen)
    lines = [f"county choices ({len(chosen)} of {len(plan.obligations)} obligations: {units} "
             f"leads or unit sets, {cadences} days or frequencies"
             + (f", {grains} reported by period" if grains else "")
             + "; units read them as 县里安排, the rest as 方案规定):"]
    for obligation in chosen:
        lines.append(f"  {obligation.id} (measure {obligation.measure}, "
                     f"{plan.file}:{obligation.line})")
        if obligation.assigned:
            lines.append(f"    units: {_who(plan, obligation)}: {obligation.assigned}")
        if obligation.assumed:
            lines.append(f"    cadence: {obligation.assumed}")
        if obligation.report_reason:
            lines.append(f"    reported {obligation.report}, due {obligation.report_due_days} "
                         f"working days after each period: {obligation.report_reason}")
    return lines


def _who(plan: Plan, obligation: Obligation) -> str:
    names = [plan.unit_name(u) for u in obligation.units]
    if obligation.fanout and len(names) > 1:
        who = "、".join(names) if len(names) <= NAMES_SHOWN else f"its {len(names)} units"
        return f"each of {who} on its own, none leading"
    lead, *others = names
    if not others:
        who = f"{lead} alone"
    elif len(others) > NAMES_SHOWN:
        who = f"{lead} leads, with {len(others)} others"
    else:
        who = f"{lead} leads, with {'、'.join(others)}"
    rule = obligation.rule
    if isinstance(rule, Rotation) and not set(rule.places) <= set(obligation.units):
        who += f", and each visit's place ({rule.group}) as a co-organiser"
    return who


def decisions(plan: Plan) -> list[str]:
    """The section of `validate` that lists the measures nothing is scheduled for: the table
    states no rhythm for them, so the coordinator decides (an obligation, or none on purpose)."""
    open_ = [m for n, m in sorted(plan.measures.items())
             if not any(o.measure == n for o in plan.obligations)]
    if not open_:
        return []
    lines = [f"decisions for the coordinator ({len(open_)} measures without an obligation: "
             "the table states no rhythm for them, nothing is scheduled):"]
    lines += [f"  measure {m.number}: {m.title}" for m in open_]
    return lines


def counts(plan: Plan) -> list[str]:
    """The section of `validate` that lists what number each obligation's events ask for
    when reported done (`counted`), word by word: the coordinator reads the words units are
    asked in, and the obligations that ask none (无), in one place."""
    words: dict[str, list[str]] = {}
    for obligation in plan.obligations:
        if obligation.counted:
            words.setdefault(obligation.counted, []).append(obligation.id)
    if not words:
        return []
    default = sum(not o.counted for o in plan.obligations)
    lines = [f"numbers asked when an event is reported done (`counted`; {COUNTED} where it "
             f"says nothing, none where it says {NO_COUNT}):"]
    for word, ids in sorted(words.items(), key=lambda item: item[0] == NO_COUNT):
        said = f"{NO_COUNT}, none asked" if word == NO_COUNT else word
        lines.append(f"  {said} ({len(ids)}): {', '.join(ids)}")
    if default:
        lines.append(f"  {COUNTED} ({default}): the other obligations")
    return lines
