"""A realistic record of the shipped plan, 2021-2025, for the supervision tests: a workspace
with the plan, its database, and what the units reported, applied through the store by the
same Recorder the CLI uses. Deterministic: the same files every run.

The story (the tests count on it):
- every event of the plan that ended by 2025-12-23 is reported done on its day, with the
  number its obligation asks for (none where it asks none) and (two in three) evidence,
  except what follows;
- the daily push is reported by month (its report task, filed within the five working days
  after the month, every push done), and its pushes are never reported one by one; but
  县委宣传部 did not report the push of November 2024;
- 县林业局 reported nothing of 2024;
- 港口乡 and 高枧乡 stopped reporting after 2025-06-30;
- events after 2025-12-23 are not reported yet (the snapshot's day), the year-end checks
  of the three 2025 milestones among them;
- 防灾减灾日 2022 was cancelled (疫情防控) and made up on 2022-05-20; the TV segment of
  2023-W05 was cancelled (春节停播) and made up on 2023-02-03; the lecture tour of autumn
  2023 was cancelled (场地维修) and never made up;
- 消防日 2024 was moved to 2024-11-12 and held then;
- quotas: rural teachers 32 a year but 26 in 2023 (a little behind); farmer training 1,100
  an event but 700 + 800 in 2024 (clearly behind); rural leaders 210 a year but 150 in 2022;
- milestones: the 2020 volunteer count (1,050) is recorded; bases 3 + 3 + 3 = 9 of 8;
  科普小镇 2 + 1 = 3 of 5; villages 11 a year, 55 of 50; every unit's volunteer team has 32
  members but 县统计局's 27.

`python -m tests.realistic DIR` writes the workspace into DIR (plan, calendar.db) for a look
at the dashboard in a browser.
"""

from __future__ import annotations

import shutil
import sys
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from calendar_app.build import revision_time
from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.reports.records import Recorder
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store

SHIPPED = Path(__file__).parent.parent / "recurring.yaml"
SNAPSHOT = date(2025, 12, 23)  # reports received up to this day
PUSH_GAP = (date(2024, 11, 1), date(2024, 11, 30))  # 县委宣传部's unreported daily push
SILENT_2024 = "linye"
STOPPED = ("gangkou", "gaojian")  # nothing reported after STOPPED_AFTER
STOPPED_AFTER = date(2025, 6, 30)
MISSED = "m2-lecture-tour/2023-autumn#1"
MADE_UP = {"m21-disaster-day/2022": ("疫情防控", date(2022, 5, 20), "防灾减灾日应急科普宣教（补办）"),
           "m19-tv-weekly/2023-W05": ("春节停播", date(2023, 2, 3), "崇阳电视台科普知识栏目（补播）")}
MOVED = ("m21-fire-day/2024", date(2024, 11, 12))
QUOTAS = {"m3-rural-teachers": (32, {"m3-rural-teachers/2023#1": 26}),
          "m4-farmer-training": (1100, {"m4-farmer-training/2024#1": 700,
                                        "m4-farmer-training/2024#2": 800}),
          "m4-leader-training": (210, {"m4-leader-training/2022#1": 150})}
TEAM, SMALL_TEAM = 32, ("tongji", 27)
TOWARD = {  # milestone -> (unit, day, number achieved) added toward it
    "m27-registered-2020": [("kexie", date(2021, 1, 5), 1050)],
    "m16-bases": [("fagai", date(y, 6, 15), 3) for y in (2022, 2023, 2025)],
    "m16-towns": [("fagai", date(2023, 9, 1), 2), ("fagai", date(2025, 9, 1), 1)],
    "m16-villages": [("fagai", date(y, 10, 15), 11) for y in range(2021, 2026)],
}


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _day(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def _at(day: date, uid: str) -> datetime:
    """When the unit reported: one to five days after the event, in the evening."""
    return datetime.combine(day + timedelta(days=1 + _hash(uid) % 5), time(18), tzinfo=TZ)


@dataclass
class Realistic:
    root: Path
    plan: Path
    db: Path
    exports: Path


def silent(entry) -> bool:
    """Whether the story leaves this event unreported."""
    start, lead = _day(entry.start), entry.lead
    if entry.kind == "report":
        start = entry.slot_start  # the period it reports on
    return (entry.after > SNAPSHOT + timedelta(days=1)
            or (entry.obligation == "m19-daily-push" and PUSH_GAP[0] <= start <= PUSH_GAP[1])
            or (lead == SILENT_2024 and start.year == 2024)
            or (lead in STOPPED and start > STOPPED_AFTER))


def attendance(entry, plan) -> int | None:
    if not plan.asks(entry):
        return None  # counted: 无 (a TV segment, a progress report): no number is asked
    if entry.obligation in QUOTAS:
        usual, special = QUOTAS[entry.obligation]
        return special.get(entry.uid, usual)
    if entry.obligation == "m27-teams":
        return SMALL_TEAM[1] if entry.lead == SMALL_TEAM[0] else TEAM
    if entry.obligation.startswith("m16-") and "/by-" in entry.uid:
        return 0  # the year-end check: what was created is counted by the events toward it
    return 20 + _hash(entry.uid) % 180


def make(root: Path) -> Realistic:
    """The shipped plan, built and reported as the story says, in `root`."""
    root.mkdir(parents=True, exist_ok=True)
    plan_path = root / "recurring.yaml"
    shutil.copy(SHIPPED, plan_path)
    plan = load_plan(plan_path)
    db = root / "calendar.db"
    with Store.open(db, create=True) as store:
        store.sync(expand(plan).events, (plan.start, plan.end), revision_time(date(2021, 1, 1)),
                   "fixture")
        with store.transaction():
            _report(store, plan)
    return found(root)


def found(root: Path) -> Realistic:
    """The workspace `make` made in `root`."""
    return Realistic(root, root / "recurring.yaml", root / "calendar.db", root / "exports")


def _report(store: Store, plan) -> None:
    def by(unit: str, day: date, uid: str) -> Recorder:
        return Recorder(store, plan, _at(day, uid), plan.units[unit].name)

    for uid, (reason, on, title) in MADE_UP.items():
        entry = store.entry(uid)
        by(entry.lead, _day(entry.start), uid).cancel(uid, reason)
        added = by(entry.lead, on, uid).add(entry.lead, title, on, fills=uid)
        by(entry.lead, on, added).done(added, attendance=150 if plan.asks(entry) else None,
                                       evidence="照片6张")
    entry = store.entry(MISSED)
    by(entry.lead, _day(entry.start), MISSED).cancel(MISSED, "场地维修")
    uid, to = MOVED
    by(store.entry(uid).lead, to, uid).move(uid, to)
    for obligation, steps in TOWARD.items():
        for unit, day, number in steps:
            added = by(unit, day, obligation).add(unit, f"{plan.units[unit].name}创建成果登记",
                                                  day, toward=obligation)
            by(unit, day, added).done(added, attendance=number, evidence="批复文件")
    for entry in store.entries():
        if (entry.origin != "plan" or not entry.live or entry.status != "planned"
                or not entry.reported_alone or silent(entry)):
            continue
        if entry.kind == "report":
            at = datetime.combine(entry.slot_end + timedelta(days=_hash(entry.uid) % 4), time(18),
                                  tzinfo=TZ)
            planned = len([e for e in store.period_events(entry) if e.live])
            Recorder(store, plan, at, plan.units[entry.lead].name).period(entry.uid, planned)
            continue
        day = _day(entry.start)
        evidence = f"照片{2 + _hash(entry.uid) % 9}张" if _hash(entry.uid) % 3 else ""
        by(entry.lead, day, entry.uid).done(entry.uid, attendance=attendance(entry, plan),
                                            evidence=evidence)


if __name__ == "__main__":
    made = make(Path(sys.argv[1]))
    print(f"{made.db}: the shipped plan with the realistic records")
