"""Bounds chosen on purpose, in one place: how large a plan may be, what people may type
and upload, and what a client of `serve` may take. Free of imports, so the command line can
show them without loading more.

A county plan runs five years with a few dozen units and a few thousand events. The bounds
leave room for ten times that and keep every mistake cheap: a plan beyond them is refused in
well under a second with `FILE:LINE: message`, instead of building for an hour, filling the
disk or overflowing a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

PLAN_BYTES = 4 * 1024 * 1024  # a plan file; the shipped one is about 150 KB
FIRST_YEAR = 1950  # every date of a plan lies in these years
LAST_YEAR = 2149
PERIOD_YEARS = 20  # a plan lasts at most this many years
EVENTS_PER_OBLIGATION = 20_000  # a daily event for 20 years is 7,305
EVENTS = 200_000  # in the whole plan; the shipped plan has about 3,900

TITLE = 200  # characters in a name or title (plan, unit, group, category, measure, obligation)
TEXT = 5_000  # characters in a measure's text, a quote, an `assumed` reason, a source
UNITS = 500  # each unit has a feed and a printed page per month
GROUPS = 100
CATEGORIES = 50  # each category has a feed
OBLIGATIONS = 2_000
MEASURE_NUMBER = 999  # measures are numbered 1..999

DAYS = 366  # days in an observance, or before/after a lunar date
PER_YEAR = 366  # events a year (times_a_year) or a term (per_term): at most one a day
AMOUNT = 10**9  # a quota or milestone target
ATTENDANCE = 10_000_000  # people at one event (the county has about half a million)
SHORT_NAME = 12  # characters in the plan's short name, which calendars show before a unit's
COUNTED = 20  # characters in what a report's number is called (队伍人数, 推送条数)
REPORT_DUE_DAYS = 60  # working days after its period that a period's report may be due
WHOLE_SETTING = 3_650  # grace_days, overdue_days, idle_months, overload_day, overload_week

# What people type and send: the web forms, the command line and the report sheets alike.
# A feed carries every note and title to every subscriber, and a printed page every one of
# them: a 1 MB note made one unit's feed 9.8 MB.
NOTE = 500  # characters in a note (备注), a cancellation reason, where the evidence is
TYPED_TITLE = 80  # characters in the title of an event a unit adds (a make-up)
LOGIN = 32  # characters in a login (accounts.py says which)
PASSWORD = 128  # characters in a password
FILE_NAME = 120  # characters of an uploaded file's name kept and shown
EVIDENCE_MB = 100  # the most `settings.evidence_mb` may allow for one file
EVIDENCE_FILES = 10  # files attached to one report
UNIT_DAY_MB = 200  # evidence one unit (or the coordinator) uploads in a day
IMAGE_PIXELS = 50_000_000  # a photo's pixels (a 48-megapixel camera's); checked before decoding
SHEET_BYTES = 5 * 1024 * 1024  # a report sheet as uploaded (a unit's month is a few KB)
SHEET_UNPACKED = 20 * 1024 * 1024  # an XLSX workbook's members, uncompressed, all together
SHEET_ROWS = 2_000  # rows of a report sheet below its header (a busy unit's year is ~600)
SHEET_COLUMNS = 50  # columns of a report sheet (the template has 13)
SHEET_PROBLEMS = 50  # problems of a sheet listed; the rest are counted

SPANS = {  # YAML key -> (least, most)
    "duration": (timedelta(minutes=1), timedelta(days=7)),
    "alarm": (timedelta(0), timedelta(days=366)),  # a milestone warns 90 days ahead
    "refresh": (timedelta(minutes=15), timedelta(days=7)),
}


def span_words(span: timedelta) -> str:
    """15m, 7d, 1h30m: a span as the plan file writes it."""
    days, rest = span.days, span.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    text = (f"{days}d" if days else "") + (f"{hours}h" if hours else "") + \
        (f"{minutes}m" if minutes else "")
    return text or "0m"


@dataclass(frozen=True)
class ServeLimits:
    # Timeouts are seconds; the command line takes whole ones, tests take fractions.
    header_timeout: float = 10  # seconds for a request's line and headers to arrive
    channel_timeout: float = 60  # seconds a kept-alive connection may sit idle
    connection_limit: int = 1000  # connections open at once
    threads: int = 8  # requests answered at once
    max_body: int = 65536  # bytes of request body read at all; the web application sets its own
    min_body_rate: int = 1024  # bytes a second, on average, for a request body (an upload)
    body_timeout: float = 600  # seconds a request body may take at most, however fast
