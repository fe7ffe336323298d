"""The plan's own load: for every unit, the most events it gets on one day and in one ISO week
from the plan alone (the daily push left aside, as the placement limits are), the days and
weeks over the limits, and how many overload findings the gap report raises as of a day.

    python bench/load.py [--plan recurring.yaml] [--today 2025-12-31]

Not a speed figure: what the placement of issue 14 is judged by. Works in bench/.work/.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calendar_app.build import revision_time  # noqa: E402
from calendar_app.plan.reader import load_plan  # noqa: E402
from calendar_app.plan.rules import RRule  # noqa: E402
from calendar_app.schedule.expansion import expand  # noqa: E402
from calendar_app.schedule.placement import busiest  # noqa: E402
from calendar_app.store import Store  # noqa: E402
from calendar_app.supervision.gaps import analyse  # noqa: E402

WORK = Path(__file__).resolve().parent / ".work" / "load"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plan", default=str(ROOT / "recurring.yaml"))
    parser.add_argument("--today", default="2025-12-31")
    args = parser.parse_args()
    plan = load_plan(args.plan)
    events = expand(plan).events
    daily = [o.id for o in plan.obligations
             if isinstance(o.rule, RRule) and o.rule.text.upper().startswith("FREQ=DAILY")]
    peaks = busiest(events, daily)
    limits = plan.settings.overload_day, plan.settings.overload_week
    print(f"{len(events)} events; left aside: {', '.join(daily) or 'nothing'}; "
          f"limits {limits[0]} a day, {limits[1]} a week")
    print(f"{'unit':<14} {'max/day':>7} {'max/week':>8}")
    for unit_id, unit in plan.units.items():
        day, week = peaks.get(unit_id, (0, 0))
        print(f"{unit.id:<14} {day:>7} {week:>8}   {unit.name}")
    worst = max(peaks.values())
    print(f"busiest: {worst[0]} a day, {max(w for _, w in peaks.values())} a week")

    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    with Store.open(WORK / "calendar.db", create=True) as store:
        store.sync(events, (plan.start, plan.end), revision_time(date(2025, 1, 1)), "bench")
        entries = store.entries()
    report = analyse(plan, entries, date.fromisoformat(args.today))
    overload = [f for f in report.findings if f.kind == "overload"]
    kinds = Counter(("day" if f.severity == "medium" else "week or day off") for f in overload)
    print(f"gap report as of {args.today}: {len(overload)} overload findings "
          f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items())) or 'none'})")


if __name__ == "__main__":
    main()
