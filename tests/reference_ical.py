"""The reference writer: the feeds' properties serialised by icalendar itself.

`ical.Feeds` writes content lines directly for speed; the tests hold it against this writer
(the same content lines once unfolded) and bench/ uses it as the floor to beat.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import icalendar

from calendar_app.ical import (
    Uri,
    calendar_props,
    event_props,
    feeds_of,
    memberships,
    order,
    shown,
    summary,
    timezone_years,
)
from calendar_app.model import ZONE, Entry, Plan


def _add(component: icalendar.cal.Component, props: list[tuple]) -> None:
    for name, val, params in props:
        if name == "VALARM":
            alarm = icalendar.Alarm()
            _add(alarm, val)
            component.add_component(alarm)
        elif isinstance(val, timedelta):
            component.add(name, icalendar.vDuration(val), parameters=params or None)
        elif isinstance(val, Uri):
            component.add(name, icalendar.vUri(str(val)), parameters=params or None)
        elif isinstance(val, str):
            # As TEXT, also where icalendar would not know the type (NAME, X-WR-CALNAME).
            component.add(name, icalendar.vText(val), parameters=params or None)
        else:
            component.add(name, val, parameters=params or None)


def reference_feeds(plan: Plan, entries: Iterable[Entry], today: date) -> dict[str, bytes]:
    """Every feed built as icalendar components and serialised by `to_ical`, event by event."""
    calendars = reference_calendars(plan, entries, today)
    return {f"feeds/{key}.ics": cal.to_ical(sorted=False) for key, cal in calendars.items()}


def reference_calendars(plan: Plan, entries: Iterable[Entry],
                        today: date) -> dict[str, icalendar.Calendar]:
    """Every feed as icalendar components: what `reference_feeds` serialises."""
    obligations = {o.id: o for o in plan.obligations}
    kept = sorted((e for e in entries if shown(e, today, plan.settings.grace_days)), key=order)
    calendars = {}
    for feed in feeds_of(plan):
        cal = icalendar.Calendar()
        _add(cal, calendar_props(plan, feed, f"{plan.settings.base_url}/{feed.path}"))
        calendars[feed.key] = cal
    timed: set[str] = set()
    for entry in kept:
        for key, role in memberships(plan, entry):
            head, tail = event_props(plan, entry, obligations)
            event = icalendar.Event()
            _add(event, [*head, ("SUMMARY", summary(plan, entry, role), {}), *tail])
            calendars[key].add_component(event)
            if not entry.all_day:
                timed.add(key)
    first, last = timezone_years(kept)
    for key in timed:
        calendars[key].subcomponents.insert(0, icalendar.Timezone.from_tzid(
            ZONE, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1)))
    return calendars
