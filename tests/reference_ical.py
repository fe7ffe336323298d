"""The reference writer, for tests and benchmarks only: the feeds' properties as icalendar
components, serialised by the library's own `to_ical`. The app's writer (`calendar_app.ical`)
must give the same content lines once unfolded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import icalendar

from calendar_app.feeds.assembly import calendar_props, components
from calendar_app.feeds.contents import Recur, Uri, feeds_of
from calendar_app.feeds.ical import timezone_years
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
        elif isinstance(val, Recur):
            component.add(name, icalendar.vRecur.from_ical(str(val)), parameters=params or None)
        elif isinstance(val, str):
            # As TEXT, also where icalendar would not know the type (NAME, X-WR-CALNAME).
            component.add(name, icalendar.vText(val), parameters=params or None)
        else:
            component.add(name, val, parameters=params or None)


def reference_calendars(plan: Plan, entries: Iterable[Entry], today: date,
                        domain: str = "example.invalid") -> dict[str, icalendar.Calendar]:
    """Every feed as icalendar components, one component per event and feed."""
    calendars = {}
    for feed in feeds_of(plan):
        cal = icalendar.Calendar()
        _add(cal, calendar_props(plan, feed, f"{plan.settings.base_url}/{feed.path}"))
        calendars[feed.key] = cal
    parts = components(plan, entries, today)
    timed: set[str] = set()
    for part in parts:
        for key, role in part.feeds:
            event = icalendar.Event()
            _add(event, part.props(role, domain))
            calendars[key].add_component(event)
            if part.timed:
                timed.add(key)
    first, last = timezone_years(parts)
    for key in timed:
        zone = icalendar.Timezone.from_tzid(ZONE, first_date=date(first, 1, 1),
                                            last_date=date(last + 1, 1, 1))
        zone.pop("COMMENT", None)
        calendars[key].subcomponents.insert(0, zone)
    return calendars


def reference_feeds(plan: Plan, entries: Iterable[Entry], today: date,
                    domain: str = "example.invalid") -> dict[str, bytes]:
    calendars = reference_calendars(plan, entries, today, domain)
    return {f"feeds/{key}.ics": cal.to_ical(sorted=False) for key, cal in calendars.items()}
