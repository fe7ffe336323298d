"""recurring.yaml -> Plan: the only reader of the plan file.

Validation collects every problem, each as `FILE:LINE: message`, before giving up, so a
coordinator fixes a file in one pass. The seed's quirks (a unit listed twice, `教育局` without
`县`, the one-off `县广文旅局`) are read on purpose and recorded in `Plan.notes`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

from .. import limits
from ..errors import PlanError, Problem, shown
from ..exports import reserved
from ..model import (
    GRAINS,
    NO_COUNT,
    QUIET,
    REVIEW_MODES,
    Category,
    Group,
    Measure,
    Obligation,
    Plan,
    Reminders,
    Settings,
    Target,
    Unit,
    proxy_networks,
)
from . import rules as rule_kinds
from .workdays import Observance, Term, WorkCalendar, YearHolidays
from .yamlread import Mapping, Seq, load, read
from .yearday import YearDay, parse_month_day, parse_weekday

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_SPAN = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_FRAGMENT = re.compile(r"\s*(?:\.\.\.|…+)\s*")

OBLIGATION_KEYS = {"id", "title", "short", "quote", "assumed", "assigned", "units", "lead",
                   "fanout", "workdays", "time", "duration", "location", "alarm",
                   "target", "report", "report_due_days", "report_reason",
                   "counted"} | set(rule_kinds.RULES)
WORKDAY_POLICIES = ("keep", "next", "previous", "skip", "within-week")
# Every key and keyword a plan file may hold: words for the plan's author, said in YAML
# comments, never in a text units read (a title, a reason, a place). tests/test_unit_words.py
# holds this list to every key the reader and the rule kinds accept.
CONFIG_WORDS = frozenset({
    "plan", "units", "groups", "categories", "calendar", "measures", "settings", "reminders",
    "name", "source", "start", "end", "timezone", "id", "kind", "aliases", "members",
    "holidays", "terms", "observances", "days_off", "workdays", "table", "fallback",
    "estimated", "rule", "days", "until", "years", "renamed", "number", "category", "title",
    "text", "obligations", "hour", "lead_days", "digest", "quiet", "autumn", "spring",
    "township", "county", "joint", "each", "weekday", "nth", "from", "to", "weeks", "count",
    "min", "max", "around", "month", "day", "offset", "before", "places", "per_year", "unit",
    "by", *OBLIGATION_KEYS, *WORKDAY_POLICIES, *Settings.__dataclass_fields__})
_ASCII_WORD = re.compile(r"[A-Za-z_]+")
# Where a reason quotes the table (分工表规定“……”), the words quoted must be the table's.
_TABLE_QUOTE = re.compile(r"分工表[^“”，。；]{0,8}“([^”]+)”")
# What units read names the source as the table or the plan, in the county's words.
_NOT_FOR_READERS = "种子"


def config_word(text: str) -> str:
    """The first configuration word (`count`, `per_year`) in a text, or ""."""
    return next((w for w in _ASCII_WORD.findall(text) if w in CONFIG_WORDS), "")


def shipped_file() -> Path | None:
    """The plan the program comes with (Chongyang's), beside the package in the checkout it
    was installed from (pip install -e .); None when it is not there."""
    path = Path(__file__).resolve().parents[2] / "recurring.yaml"
    return path if path.is_file() else None


def load_plan(path: str | Path) -> Plan:
    """Read and validate the plan; PlanError lists every problem found."""
    path = Path(path)
    try:
        data = load(read(path), str(path))
    except Problem as problem:
        raise PlanError([problem]) from None
    return _Reader(str(path)).read(data)


class _Reader:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.notes: list[str] = []
        self.names: dict[str, str] = {}  # id, name or alias -> unit id
        self.groups: dict[str, Group] = {}
        self.group_names: dict[str, str] = {}

    # -- helpers ---------------------------------------------------------------------------

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(message, self.file, line or None))  # 0: no line known

    def section(self, data: Mapping, key: str, kind: type, required: bool = True):
        value = data.get(key)
        if value is None:
            if required:
                self.fail(data.line, f"missing section {key!r}")
            return kind()
        if not isinstance(value, kind):
            self.fail(data.line_of(key), f"{key!r} must be a {'list' if kind is Seq else 'mapping'}")
            return kind()
        return value

    def check_keys(self, item: Mapping, allowed: set[str], what: str) -> None:
        for key in item:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.fail(item.line_of(key), f"unknown key {key!r} in {what}{hint}")

    def text(self, item: Mapping, key: str, what: str, most: int = limits.TITLE) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(item.line_of(key), f"{what} needs a non-empty {key!r}")
            return ""
        return self.bounded(value.strip(), item.line_of(key), f"{what} {key}", most)

    def optional_text(self, item: Mapping, key: str, what: str, most: int = limits.TITLE,
                      default: str = "") -> str:
        value = item.get(key, default)
        if not isinstance(value, str):
            self.fail(item.line_of(key), f"{what}: {key} must be text, not {shown(value)}")
            return default
        return self.bounded(value, item.line_of(key), f"{what} {key}", most)

    def bounded(self, text: str, line: int, what: str, most: int) -> str:
        if len(text) > most:
            self.fail(line, f"{what} is {len(text)} characters long; at most {most} are allowed")
            return text[:most]
        return text

    def names_list(self, item: Mapping, key: str, what: str) -> list[str]:
        """A list of names (aliases): text, each no longer than a title."""
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                                  for v in value):
            self.fail(item.line_of(key), f"{what}: {key} must be a list of names")
            return []
        return [self.bounded(v.strip(), item.line_of(key), f"{what} {key}", limits.TITLE)
                for v in value]

    def count(self, items: list, most: int, line: int, what: str) -> list:
        if len(items) > most:
            self.fail(line, f"{len(items)} {what}; at most {most} are allowed")
            return items[:most]
        return items

    def as_date(self, value: object, line: int, what: str) -> date | None:
        if isinstance(value, datetime):
            self.fail(line, f"{what}: {value} is a date and time; write the date alone, "
                            "like 2025-05-12")
            return None
        if isinstance(value, date):
            day = value
        else:
            try:
                day = date.fromisoformat(str(value))
            except ValueError:
                self.fail(line, f"{what}: impossible or malformed date {shown(value)} "
                                "(write 2025-05-12)")
                return None
        if not limits.FIRST_YEAR <= day.year <= limits.LAST_YEAR:
            self.fail(line, f"{what}: {day} is outside the years {limits.FIRST_YEAR} to "
                            f"{limits.LAST_YEAR}")
            return None
        return day

    def unit_ref(self, name: object, line: int) -> list[str]:
        """Unit ids a name in a unit list stands for: one unit, or a group's members."""
        key = str(name).strip()
        if key in self.names:
            return [self.names[key]]
        if key in self.group_names:
            return list(self.groups[self.group_names[key]].members)
        close = difflib.get_close_matches(key, list(self.names) + list(self.group_names),
                                          n=3, cutoff=0.4)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        self.fail(line, f"unknown unit {shown(key)}{hint}")
        return []

    # -- sections --------------------------------------------------------------------------

    def read(self, data: object) -> Plan:
        if not isinstance(data, Mapping):
            raise PlanError([Problem("the plan must be a YAML mapping with plan, units, groups, "
                                     "categories, calendar and measures", self.file, 1)])
        self.check_keys(data, {"plan", "units", "groups", "categories", "calendar", "measures",
                               "settings", "reminders"}, "the plan")
        head = self.section(data, "plan", Mapping)
        self.check_keys(head, {"name", "short", "source", "start", "end", "timezone"}, "plan")
        name, start, last = "", None, None
        if head:  # else the section itself was reported; its keys need no line each
            name = self.text(head, "name", "plan")
            start = self.as_date(head.get("start"), head.line_of("start"), "plan start")
            last = self.as_date(head.get("end"), head.line_of("end"), "plan end")
        if start and last and last < start:
            self.fail(head.line_of("end"), "plan end comes before its start")
        elif start and last and last.year - start.year >= limits.PERIOD_YEARS and \
                (last.year - start.year, last.month, last.day) >= \
                (limits.PERIOD_YEARS, start.month, start.day):
            self.fail(head.line_of("end"), f"the plan runs from {start} to {last}; a plan may "
                                           f"last at most {limits.PERIOD_YEARS} years")
            last = None
        if head.get("timezone", "Asia/Shanghai") != "Asia/Shanghai":
            self.fail(head.line_of("timezone"), "only Asia/Shanghai is supported")
        units = self.read_units(self.section(data, "units", Seq))
        self.read_groups(self.section(data, "groups", Seq))
        categories = self.read_categories(self.section(data, "categories", Mapping))
        calendar = self.read_calendar(self.section(data, "calendar", Mapping, required=False))
        settings = self.read_settings(self.section(data, "settings", Mapping, required=False))
        reminders = self.read_reminders(self.section(data, "reminders", Mapping, required=False))
        # With its start missing or broken (reported above), the measures are still read from
        # the first day a plan may have, so that their own problems are reported in this pass.
        measures, obligations = self.read_measures(
            self.section(data, "measures", Seq), categories, calendar,
            start or date(limits.FIRST_YEAR, 1, 1))
        source = self.optional_text(head, "source", "plan", limits.TEXT)
        if not self.problems and start and last:  # only a valid plan can be counted
            self.count_events(obligations, calendar, start, last)
        if self.problems or start is None or last is None:
            raise PlanError(sorted(self.problems, key=lambda p: p.line or 0))
        return Plan(name=name, source=source, start=start, end=last + timedelta(days=1),
                    units=units,
                    groups=self.groups, categories=categories, measures=measures,
                    obligations=tuple(obligations), calendar=calendar, file=self.file,
                    notes=tuple(self.notes), names=dict(self.names), settings=settings,
                    reminders=reminders,
                    short=self.optional_text(head, "short", "plan", limits.SHORT_NAME).strip()
                    or Plan.short)

    def count_events(self, obligations: list[Obligation], calendar: WorkCalendar, start: date,
                     last: date) -> None:
        """Refuse a plan that would make too many events, before anything is placed.

        Most rules bound their own count (a weekly rule: 53 a year), and when those bounds
        are within the limits nothing is counted. Otherwise the rules' occurrences are
        counted, over whole years as `schedule.expansion.expand` reads them, stopping at the limit."""
        span = (date(start.year, 1, 1), date(last.year + 1, 1, 1))
        years = last.year - start.year + 1
        each = limits.EVENTS_PER_OBLIGATION
        # A period's report task needs an event in its period: at most one per event.
        copies = [(len(o.units) if o.fanout else 1) * (1 if o.report == "each" else 2)
                  for o in obligations]
        bounds = [_most_events(o.rule, years, len(calendar.terms)) for o in obligations]

        def exact(i: int) -> int:
            occurrences = obligations[i].rule.occurrences(*span, calendar)
            return copies[i] * sum(1 for _ in islice(occurrences, each // copies[i] + 1))

        found: list[int] = []  # an upper bound of each obligation's events, or their count
        for i, obligation in enumerate(obligations):
            bound = bounds[i]
            found.append(bound * copies[i] if bound is not None else each + 1)
            if found[i] > each:
                found[i] = exact(i)
                if found[i] > each:
                    self.fail(obligation.line, f"obligation {obligation.id} makes more than "
                                               f"{each:,} events from {start} to {last}; at "
                                               f"most {each:,} are allowed per obligation")
        if sum(found) <= limits.EVENTS:
            return
        total = 0
        for i, obligation in enumerate(obligations):
            total += exact(i) if found[i] <= each else found[i]
            if total > limits.EVENTS:
                self.fail(obligation.line, f"the plan makes more than {limits.EVENTS:,} events "
                                           f"(with obligation {obligation.id}); at most "
                                           f"{limits.EVENTS:,} are allowed")
                return

    def read_units(self, items: Seq) -> dict[str, Unit]:
        units: dict[str, Unit] = {}
        for i, item in enumerate(self.count(items, limits.UNITS, items.line, "units")):
            line = items.line_of(i)
            if not isinstance(item, Mapping):
                self.fail(line, "a unit must be a mapping with id and name")
                continue
            self.check_keys(item, {"id", "name", "kind", "aliases"}, "a unit")
            uid, name = self.text(item, "id", "a unit"), self.text(item, "name", "a unit")
            if uid and not _ID.match(uid):
                self.fail(item.line_of("id"), f"unit id {uid!r} must be lower-case ASCII, "
                                              "digits and '-'")
            elif reserved(uid):
                self.fail(item.line_of("id"), f"unit id {uid!r} is reserved for the county's "
                                              "own feeds and pages; choose another")
            kind = item.get("kind", "county")
            if kind not in ("county", "township"):
                self.fail(item.line_of("kind"), "unit kind must be county or township, not "
                                                f"{shown(kind)}")
            aliases = self.names_list(item, "aliases", f"unit {uid}")
            for key in [uid, name, *aliases]:
                if key and key in self.names and self.names[key] != uid:
                    self.fail(line, f"duplicate id, name or alias {key!r}")
                elif key:
                    self.names[key] = uid
            if uid in units:
                self.fail(item.line_of("id"), f"duplicate unit id {uid!r}")
            units[uid] = Unit(uid, name, kind, tuple(aliases))
        self.units = units
        return units

    def read_groups(self, items: Seq) -> None:
        for i, item in enumerate(self.count(items, limits.GROUPS, items.line, "groups")):
            if not isinstance(item, Mapping):
                self.fail(items.line_of(i), "a group must be a mapping with id, name, members")
                continue
            self.check_keys(item, {"id", "name", "aliases", "members"}, "a group")
            gid, name = self.text(item, "id", "a group"), self.text(item, "name", "a group")
            members = item.get("members")
            if not isinstance(members, Seq) or not members:
                self.fail(item.line_of("members"), f"group {name!r} needs a list of members")
                continue
            ids: list[str] = []
            for j, member in enumerate(members):
                ids += self.unit_ref(member, members.line_of(j))
            if gid in self.groups:
                self.fail(item.line_of("id"), f"duplicate group id {gid!r}")
            aliases = self.names_list(item, "aliases", f"group {gid}")
            for key in [gid, name, *aliases]:
                if key in self.names or key in self.group_names:
                    self.fail(item.line_of("id"), f"duplicate id, name or alias {key!r}")
                self.group_names[key] = gid
            self.groups[gid] = Group(gid, name, tuple(dict.fromkeys(ids)), tuple(aliases))

    def read_settings(self, data: Mapping) -> Settings:
        defaults = Settings()
        values = {}
        self.check_keys(data, set(Settings.__dataclass_fields__), "settings")
        for key, value in data.items():
            line = data.line_of(key)
            if not isinstance(key, str) or not hasattr(defaults, key):
                continue
            default = getattr(defaults, key)
            if isinstance(default, timedelta):
                value = self.read_span(data, key, "settings")
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    self.fail(line, f"settings {key} must be true or false")
                    continue
            elif isinstance(default, int):
                least, most = (1, limits.EVIDENCE_MB) if key == "evidence_mb" else \
                    (0, limits.WHOLE_SETTING)
                if (isinstance(value, bool) or not isinstance(value, int)
                        or not least <= value <= most):
                    self.fail(line, f"settings {key} must be a whole number from {least} to "
                                    f"{most}")
                    continue
            elif not isinstance(value, str) or not value:
                self.fail(line, f"settings {key} must be text")
                continue
            else:
                value = self.bounded(value, line, f"settings {key}", limits.TEXT)
            if key == "base_url":
                value = self.read_base_url(value, line)
            elif key == "proxy":
                value = self.read_proxy(value, line)
            elif key == "review" and value not in REVIEW_MODES:
                self.fail(line, f"settings review must be optional (a report counts as done "
                                f"when filed) or required (once the coordinator passed it), "
                                f"not {shown(value)}")
                value = None
            elif key == "uid_domain" and not _DOMAIN.match(value):
                # It ends every feed UID, and a UID never changes once subscribed.
                self.fail(line, f"settings uid_domain {shown(value)} must be a domain name, "
                                "like kx.chongyang.example")
                value = None
            if value is not None:
                values[key] = value
        return Settings(**values)

    def read_reminders(self, data: Mapping) -> Reminders:
        """When reminders go out (hour, lead days, the digest's weekday, quiet days); the
        channels they go through are kept in the database, never here: they hold secrets."""
        defaults = Reminders()
        self.check_keys(data, {"hour", "lead_days", "digest", "quiet"}, "reminders")
        hour, lead, digest, quiet = defaults.hour, defaults.lead_days, defaults.digest, \
            defaults.quiet
        if "hour" in data:
            value = data["hour"]
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 23:
                self.fail(data.line_of("hour"), f"reminders hour must be a whole hour from 0 to "
                                                f"23, not {shown(value)}")
            else:
                hour = value
        if "lead_days" in data:
            value = data["lead_days"]
            values = value if isinstance(value, list) else [value]
            bad = [v for v in values if isinstance(v, bool) or not isinstance(v, int)
                   or not 0 <= v <= limits.DAYS]
            if bad:
                self.fail(data.line_of("lead_days"), f"reminders lead_days must be whole numbers "
                                                     f"of days from 0 to {limits.DAYS}, not "
                                                     f"{shown(bad[0])}")
            else:
                lead = tuple(sorted(set(values), reverse=True))
        if "digest" in data:
            try:
                digest = parse_weekday(data["digest"])
            except ValueError as exc:
                self.fail(data.line_of("digest"), f"reminders digest: {exc}")
        if "quiet" in data:
            value = data["quiet"]
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and v in QUIET for v in values):
                self.fail(data.line_of("quiet"), "reminders quiet is a list of weekends and "
                                                 f"holidays (or []), not {shown(value)}")
            else:
                quiet = tuple(q for q in QUIET if q in values)
        return Reminders(hour, lead, digest, quiet)

    def read_proxy(self, value: str, line: int) -> str | None:
        """The reverse proxy's addresses (or networks), as `web.proxy` reads them back."""
        try:
            proxy_networks(value)
        except ValueError as bad:
            self.fail(line, f"settings proxy {shown(value)}: {bad}; give the reverse proxy's "
                            "address, like 127.0.0.1 or 10.0.0.0/24, several separated by commas")
            return None
        return value

    def read_base_url(self, value: str, line: int) -> str | None:
        """Where exports/ is served: an http(s) address with a host, written into every feed
        and link, so nothing in it may end a line (a CR/LF would inject feed properties) or
        leave the URI (javascript:, quotes, spaces)."""
        problem = None
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
            problem = "holds a space or a control character"
        elif not value.isascii():
            problem = "holds characters outside ASCII (write a Chinese domain in punycode)"
        elif any(c in value for c in '"<>\\^`{|}'):
            problem = "holds characters a URL may not contain"
        else:
            try:
                parts = urlsplit(value)
                parts.port  # noqa: B018 - raises ValueError for a port that is not a number
            except ValueError:
                parts = None
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                problem = "must be an http:// or https:// address with a host"
            elif parts.query or parts.fragment or "?" in value or "#" in value:
                problem = "is where exports/ is served: no ? or # in it"
        if problem:
            self.fail(line, f"settings base_url {shown(value)} {problem}, like "
                            "https://kx.chongyang.example/calendar")
            return None
        return value.rstrip("/")

    def read_categories(self, data: Mapping) -> dict[str, Category]:
        found = {}
        for code in self.count(list(data), limits.CATEGORIES, data.line, "categories"):
            line = data.line_of(code)
            # The code names a feed file (category-<code>.ics): nothing that walks out of it.
            if not _CODE.match(str(code)):
                self.fail(line, f"category code {shown(code)} must be ASCII letters, digits "
                                "and '-', like A or H2")
                continue
            name = self.optional_text(data, code, f"category {code}")
            if not name.strip():
                self.fail(line, f"category {code} needs a name")
            found[str(code)] = Category(str(code), name.strip())
        return found

    def read_calendar(self, data: Mapping) -> WorkCalendar:
        self.check_keys(data, {"holidays", "terms", "observances"}, "calendar")
        return WorkCalendar(
            observances=self.read_observances(self.section(data, "observances", Seq, False)),
            terms=self.read_terms(data),
            term_shape=self.read_term_shape(data),
            overrides=self.read_holidays(self.section(data, "holidays", Mapping, False)))

    def read_holidays(self, data: Mapping) -> dict[int, YearHolidays]:
        years: dict[int, YearHolidays] = {}
        for year, spec in data.items():
            line = data.line_of(year)
            if (not isinstance(year, int) or isinstance(year, bool)
                    or not limits.FIRST_YEAR <= year <= limits.LAST_YEAR
                    or not isinstance(spec, Mapping)):
                self.fail(line, "holidays are given per year: 2027: {source, days_off, workdays}")
                continue
            what = f"holidays {year}"
            self.check_keys(spec, {"source", "days_off", "workdays"}, what)
            listed = spec.get("days_off") or Mapping()
            worked = spec.get("workdays") or Seq()
            if not isinstance(listed, Mapping):
                self.fail(spec.line_of("days_off"), f"{what}: days_off maps each day to the "
                                                    "holiday's name, e.g. 2027-01-01: 元旦")
                listed = Mapping()
            if not isinstance(worked, list):
                self.fail(spec.line_of("workdays"), f"{what}: workdays is a list of dates")
                worked = Seq()
            off: dict[date, str] = {}
            for day in listed:
                got = self.in_year(day, year, listed.line_of(day), what)
                if got:
                    off[got] = self.optional_text(listed, day, what)
            days = [self.in_year(d, year, spec.line_of("workdays"), what) for d in worked]
            years[year] = YearHolidays(off, frozenset(d for d in days if d),
                                       self.optional_text(spec, "source", what, limits.TEXT,
                                                          "recurring.yaml"))
        return years

    def in_year(self, value: object, year: int, line: int, what: str) -> date | None:
        day = self.as_date(value, line, what)
        if day is not None and day.year != year:
            self.fail(line, f"{what}: {day} is not in {year}")
            return None
        return day

    def read_terms(self, data: Mapping) -> tuple[Term, ...]:
        spec = self.section(data, "terms", Mapping, False)
        self.check_keys(spec, {"table", "fallback"}, "calendar.terms")
        table = self.section(spec, "table", Seq, False)
        terms: list[Term] = []
        for i, item in enumerate(table):
            if not isinstance(item, Mapping):
                self.fail(table.line_of(i), "a term must be a mapping with id, name, start, end")
                continue
            self.check_keys(item, {"id", "name", "start", "end", "estimated"}, "a term")
            first = self.as_date(item.get("start"), item.line_of("start"), "term start")
            last = self.as_date(item.get("end"), item.line_of("end"), "term end")
            if first and last and last < first:
                self.fail(item.line_of("end"), "a term must end after it starts")
            estimated = item.get("estimated", False)
            if not isinstance(estimated, bool):
                self.fail(item.line_of("estimated"), "a term's estimated is true (its dates are "
                          "the county's estimate, not the school calendar) or false")
            elif first and last:
                terms.append(Term(self.text(item, "id", "a term"), self.text(item, "name", "a term"),
                                  first, last + timedelta(days=1), estimated=estimated))
        ordered = sorted(terms, key=lambda t: t.start)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start < before.end:
                self.fail(table.line, f"terms {before.id} and {after.id} overlap")
        return tuple(ordered)

    def read_term_shape(self, data: Mapping):
        spec = data.get("terms")
        fallback = spec.get("fallback") if isinstance(spec, Mapping) else None
        if not isinstance(fallback, Mapping):
            return ()
        shape = []
        for season, span in fallback.items():
            line = fallback.line_of(season)
            if season not in ("autumn", "spring") or not isinstance(span, list) or len(span) != 2:
                self.fail(line, "term fallback is autumn: [MM-DD, MM-DD] and spring: [MM-DD, MM-DD]")
                continue
            try:
                shape.append((season, YearDay.parse(span[0]), YearDay.parse(span[1])))
            except ValueError as exc:
                self.fail(line, f"term fallback {season}: {exc}")
        return tuple(shape)

    def read_observances(self, items: Seq) -> dict[str, Observance]:
        found: dict[str, Observance] = {}
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                self.fail(items.line_of(i), "an observance must be a mapping with a name")
                continue
            self.check_keys(item, {"name", "aliases", "rule", "days", "until", "years",
                                   "renamed", "estimated"}, "an observance")
            name = self.text(item, "name", "an observance")
            rule = until = None
            try:
                rule = YearDay.parse(item["rule"]) if "rule" in item else None
                until = YearDay.parse(item["until"]) if "until" in item else None
            except ValueError as exc:
                self.fail(item.line_of("rule"), f"observance {name}: {exc}")
            days = item.get("days", 1)
            if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= limits.DAYS:
                self.fail(item.line_of("days"), f"observance {name}: days must be 1 to "
                                                f"{limits.DAYS}")
                days = 1
            table = item.get("years") or Mapping()
            if not isinstance(table, Mapping):
                self.fail(item.line_of("years"), f"observance {name}: years maps each year to "
                                                 "its dates, e.g. 2025: [05-24, 05-31]")
                table = Mapping()
            table = self.read_year_table(table, name)
            if rule is None and not table:
                self.fail(item.line, f"observance {name} needs a rule, a years table, or both")
            obs = Observance(name, table, rule, days, until,
                             self.read_renamed(item, name), self.read_estimated(item, name, table))
            for key in [name, *self.names_list(item, "aliases", f"observance {name}")]:
                if key in found:
                    self.fail(item.line, f"duplicate observance {key!r}")
                found[key] = obs
        return found

    def read_renamed(self, item: Mapping, name: str) -> tuple[tuple[int, str], ...]:
        """`renamed: {2025: 全国科普月}`: from that year on the observance goes by that name."""
        spec = item.get("renamed")
        if spec is None:
            return ()
        if not isinstance(spec, Mapping) or not all(
                isinstance(y, int) and isinstance(n, str) and n.strip() for y, n in spec.items()):
            self.fail(item.line_of("renamed"), f"observance {name}: renamed is YEAR: new name")
            return ()
        return tuple((year, called.strip()) for year, called in spec.items())

    def read_estimated(self, item: Mapping, name: str, table: dict) -> frozenset[int]:
        """`estimated: [2027, 2028]`: years of the table worked out by the rule, not announced."""
        spec = item.get("estimated")
        if spec is None:
            return frozenset()
        if not isinstance(spec, list) or not all(isinstance(y, int) and not isinstance(y, bool)
                                                 for y in spec):
            self.fail(item.line_of("estimated"), f"observance {name}: estimated is a list of "
                                                 "years, e.g. [2027, 2028]")
            return frozenset()
        missing = [y for y in spec if y not in table]
        if missing:
            self.fail(item.line_of("estimated"), f"observance {name}: estimated names "
                                                 f"{missing[0]}, which its years table lacks")
        return frozenset(spec)

    def read_year_table(self, table: Mapping, name: str) -> dict[int, tuple[date, date]]:
        result: dict[int, tuple[date, date]] = {}
        for year, span in table.items():
            line = table.line_of(year)
            parts = span if isinstance(span, list) else [span]
            try:
                if (not isinstance(year, int) or isinstance(year, bool)
                        or not limits.FIRST_YEAR <= year <= limits.LAST_YEAR
                        or len(parts) not in (1, 2)):
                    raise ValueError("write YEAR: MM-DD or YEAR: [MM-DD, MM-DD]")
                first, last = (date(year, *parse_month_day(p)) for p in (parts[0], parts[-1]))
            except ValueError as exc:
                self.fail(line, f"observance {name} {year}: {exc}")
                continue
            if last < first:
                self.fail(line, f"observance {name} {year}: ends before it starts")
                continue
            result[year] = (first, last + timedelta(days=1))
        return result

    # -- measures and obligations ----------------------------------------------------------

    def read_measures(self, items: Seq, categories, calendar, start):
        measures: dict[int, Measure] = {}
        obligations: list[Obligation] = []
        seen_ids: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, Mapping):
                self.fail(items.line_of(i), "a measure must be a mapping")
                continue
            self.check_keys(item, {"number", "category", "title", "text", "units", "obligations"},
                            "a measure")
            number = item.get("number")
            if (not isinstance(number, int) or isinstance(number, bool)
                    or not 1 <= number <= limits.MEASURE_NUMBER):
                self.fail(item.line_of("number"), "a measure needs a whole number from 1 to "
                                                  f"{limits.MEASURE_NUMBER}")
                continue
            if number in measures:
                self.fail(item.line_of("number"), f"duplicate measure number {number}")
            category = str(item.get("category", ""))
            if category not in categories:
                self.fail(item.line_of("category"), f"measure {number}: unknown category "
                                                    f"{shown(category)}")
            units = self.measure_units(item, number)
            listed = item.get("units")
            measure = Measure(number, category, self.text(item, "title", f"measure {number}"),
                              self.text(item, "text", f"measure {number}", limits.TEXT),
                              tuple(units), tuple(str(n).strip() for n in listed)
                              if isinstance(listed, Seq) else ())
            measures[number] = measure
            obls = item.get("obligations", Seq())
            if not isinstance(obls, Seq):
                self.fail(item.line_of("obligations"), f"measure {number}: obligations must be "
                                                       "a list")
                continue
            # No obligation is allowed: `validate` lists it as the coordinator's decision and
            # the gap report shows it as uncovered.
            for j, spec in enumerate(obls):
                if len(obligations) == limits.OBLIGATIONS:
                    self.fail(obls.line_of(j), f"more than {limits.OBLIGATIONS} obligations; "
                                               f"at most {limits.OBLIGATIONS} are allowed")
                    return measures, obligations
                if not isinstance(spec, Mapping):
                    self.fail(obls.line_of(j), "an obligation must be a mapping")
                    continue
                obligation = self.read_obligation(spec, measure, calendar, start)
                if obligation is None:
                    continue
                if obligation.id in seen_ids:
                    self.fail(spec.line_of("id"), f"duplicate obligation id {obligation.id!r} "
                                                  f"(first at line {seen_ids[obligation.id]})")
                seen_ids[obligation.id] = spec.line_of("id")
                obligations.append(obligation)
        return measures, obligations

    def measure_units(self, item: Mapping, number: int) -> list[str]:
        listed = item.get("units")
        if not isinstance(listed, Seq) or not listed:
            self.fail(item.line_of("units"), f"measure {number} needs its responsible units")
            return []
        ids: list[str] = []
        for j, name in enumerate(listed):
            found = self.unit_ref(name, listed.line_of(j))
            key = str(name)
            canonical = self.units[found[0]].name if len(found) == 1 else key
            if key not in (canonical, found[0] if found else key):
                self.notes.append(f"measure {number}: {key} read as {canonical} (alias)")
            for uid in found:
                if uid in ids and len(found) == 1:
                    self.notes.append(f"measure {number}: {key} listed twice, kept once")
                elif uid not in ids:
                    ids.append(uid)
        return ids

    def read_obligation(self, spec: Mapping, measure: Measure, calendar: WorkCalendar,
                        start: date) -> Obligation | None:
        self.check_keys(spec, OBLIGATION_KEYS, "an obligation")
        oid = self.text(spec, "id", "an obligation")
        if oid and not _ID.match(oid):
            self.fail(spec.line_of("id"), f"obligation id {oid!r} must be lower-case ASCII")
        what = f"obligation {oid or '?'}"
        quote = self.text(spec, "quote", what, limits.TEXT)
        flat = re.sub(r"\s+", "", measure.text)
        for fragment in _FRAGMENT.split(quote):
            if fragment and re.sub(r"\s+", "", fragment) not in flat:
                self.fail(spec.line_of("quote"), f"{what}: quote {shown(fragment)} is not in the "
                                                 f"text of measure {measure.number}")
        kinds = [k for k in rule_kinds.RULES if k in spec]
        if len(kinds) != 1:
            self.fail(spec.line, f"{what} needs exactly one rule "
                                 f"({', '.join(rule_kinds.RULES)}), found {len(kinds) or 'none'}")
            return None
        kind = kinds[0]
        try:
            rule = self.read_rule(kind, spec[kind], calendar, start)
        except ValueError as exc:
            self.fail(spec.line_of(kind), f"{what}: {exc}")
            return None
        units = self.obligation_units(spec, measure)
        policy = spec.get("workdays", "keep")
        if policy not in WORKDAY_POLICIES:
            self.fail(spec.line_of("workdays"), f"{what}: workdays must be one of "
                                                f"{', '.join(WORKDAY_POLICIES)}")
        fanout = spec.get("fanout", "joint")
        if fanout not in ("joint", "each"):
            self.fail(spec.line_of("fanout"), f"{what}: fanout must be joint or each")
        assigned = self.optional_text(spec, "assigned", what, limits.TEXT).strip()
        self.check_assigned(spec, what, measure, units, assigned,
                            self.reshaped(spec, measure, units, rule, fanout == "each"))
        at = self.read_time(spec, what)
        duration = self.read_span(spec, "duration", what)
        if duration and at is None:
            self.fail(spec.line_of("duration"), f"{what}: a duration needs a time of day")
        if isinstance(rule, rule_kinds.Milestone):
            rule = replace(rule, since=min(start, rule.by))
        title = self.text(spec, "title", what)
        short = self.optional_text(spec, "short", what).strip()
        assumed = self.optional_text(spec, "assumed", what, limits.TEXT).strip()
        self.check_reader_text(spec, what, measure, rule)
        grain, due_days, reason = self.read_grain(spec, what, rule)
        counted = self.optional_text(spec, "counted", what, limits.COUNTED).strip()
        target = self.read_target(spec, rule, what)
        if counted == NO_COUNT and target is not None:
            # A quota or milestone adds up the numbers its events are reported done with.
            self.fail(spec.line_of("counted"), f"{what}: counted: {NO_COUNT} asks no number, but "
                      f"its {target.kind} ({target.amount}{target.unit}) adds up the numbers "
                      "reported; say what is counted (such as 培训人次) instead")
        return Obligation(
            id=oid, measure=measure.number, title=title, quote=quote,
            rule=rule, units=tuple(units), fanout=fanout == "each", workdays=policy, time=at,
            duration=duration, location=self.optional_text(spec, "location", what),
            alarm=self.read_span(spec, "alarm", what), assumed=assumed, assigned=assigned,
            short=short, target=target, line=spec.line,
            report=grain, report_due_days=due_days, report_reason=reason, counted=counted)

    def read_grain(self, spec: Mapping, what: str, rule: object) -> tuple:
        """How the obligation's work is reported (`report`), when a period's report is due
        (`report_due_days`, working days after the period) and why (`report_reason`): how
        to report is never the table's word, so a grain other than each says why."""
        grain = spec.get("report", "each")
        if grain not in GRAINS:
            self.fail(spec.line_of("report"), f"{what}: report must be one of "
                                              f"{', '.join(GRAINS)}, not {shown(grain)}")
            grain = "each"
        reason = self.optional_text(spec, "report_reason", what, limits.TEXT).strip()
        due = spec.get("report_due_days", Obligation.report_due_days)
        if isinstance(due, bool) or not isinstance(due, int) or \
                not 0 <= due <= limits.REPORT_DUE_DAYS:
            self.fail(spec.line_of("report_due_days"), f"{what}: report_due_days must be a "
                      f"whole number of working days from 0 to {limits.REPORT_DUE_DAYS}")
            due = Obligation.report_due_days
        if grain == "each":
            for key in ("report_due_days", "report_reason"):
                if key in spec:
                    self.fail(spec.line_of(key), f"{what}: {key} is for an obligation reported "
                              "by period (report: weekly, monthly or quarterly); drop it")
            return grain, due, ""
        if isinstance(rule, rule_kinds.Quota | rule_kinds.Milestone):
            self.fail(spec.line_of("report"), f"{what}: report: {grain} counts a period's "
                      f"events; a {type(rule).__name__.lower()} is reported by the number "
                      "reached, not by period")
        if not reason:
            self.fail(spec.line_of("report"), f"{what}: report: {grain} is the county's choice "
                      "(the table says nothing of reporting); say why in `report_reason`")
        return grain, due, reason

    def reshaped(self, spec: Mapping, measure: Measure, units: list[str],
                 rule: rule_kinds.Rule, each: bool) -> tuple[int, str]:
        """(line, how) when the obligation gives its events other units than the table lists
        together, with the measure's own lead and units: each unit on its own (`fanout:
        each`), or a rotation's place added to each visit. The county's choice, like a
        changed lead."""
        if each and len(units) > 1:
            return spec.line_of("fanout"), (f"fanout: each gives each of its {len(units)} units "
                                            "an event of its own where the table lists them "
                                            "together")
        if isinstance(rule, rule_kinds.Rotation) and not set(rule.places) <= set(units):
            return spec.line_of("rotation"), (
                f"its rotation adds each visit's place ({rule.group}) to the units, and "
                f"measure {measure.number} does not list them")
        return 0, ""

    def check_assigned(self, spec: Mapping, what: str, measure: Measure, units: list[str],
                       assigned: str, reshaped: tuple[int, str] = (0, "")) -> None:
        """A lead or a unit set other than the table's is the county's choice, and says why;
        so is an obligation `reshaped` gives other units than the table lists together."""
        if not units or not measure.units:
            return
        line, how = reshaped
        if tuple(units) == measure.units and not how:
            if assigned:
                self.fail(spec.line_of("assigned"), f"{what}: assigned says the county chose "
                          f"the units, but they are measure {measure.number}'s own; drop it")
            return
        if assigned:
            return
        if tuple(units) == measure.units:
            self.fail(line, f"{what}: {how}; say why in `assigned`")
            return
        names = "、".join(self.units[u].name for u in units)
        if units[0] != measure.units[0]:
            change = (f"its lead {self.units[units[0]].name} is not measure {measure.number}'s "
                      f"({self.units[measure.units[0]].name})")
        else:
            change = f"its units ({names}) are not all of measure {measure.number}'s"
        self.fail(spec.line_of("lead") if "lead" in spec else spec.line_of("units"),
                  f"{what}: {change}; say why in `assigned`")

    def check_reader_text(self, spec: Mapping, what: str, measure: Measure, rule) -> None:
        """What units read: never 种子, quotes of the table that are the table's words, and
        `{observance}` only where the event hangs on an observance."""
        flat = re.sub(r"\s+", "", measure.text)
        for key in ("title", "short", "assumed", "assigned", "location", "report_reason",
                    "counted"):
            value = spec.get(key)
            if not isinstance(value, str):
                continue
            if _NOT_FOR_READERS in value:
                self.fail(spec.line_of(key), f"{what}: {key} says {_NOT_FOR_READERS}; units read "
                          "it: call the source 分工表 or 实施方案")
            word = config_word(value.replace("{observance}", ""))  # a placeholder, replaced
            if word:
                self.fail(spec.line_of(key), f"{what}: {key} says {word!r}, a word of the plan "
                          "file; units read it: put notes for the plan's author in a YAML comment")
            for quoted in _TABLE_QUOTE.findall(value):
                if re.sub(r"\s+", "", quoted) not in flat:
                    self.fail(spec.line_of(key), f"{what}: {key} quotes “{quoted}” as the "
                              f"table's words, but measure {measure.number} does not say it")
            if "{observance}" in value and not rule_kinds.observance_of(rule):
                self.fail(spec.line_of(key), f"{what}: {key} names {{observance}}, but the "
                          "rule hangs on no observance")

    def read_rule(self, kind: str, value: object, calendar: WorkCalendar,
                  start: date) -> rule_kinds.Rule:
        if kind == "rrule":
            return rule_kinds.RRule.parse(value, dtstart=start)
        if kind == "rotation":
            rotation = rule_kinds.Rotation.parse(value, since=start.year)
            members = self.groups.get(self.group_names.get(rotation.group, ""))
            if members is None:
                raise ValueError(f"rotation places must name a group, not {rotation.group!r}")
            return replace(rotation, places=members.members)
        rule = rule_kinds.PLAIN_RULES[kind].parse(value)
        name = rule_kinds.observance_of(rule)
        if name and name not in calendar.observances:
            close = difflib.get_close_matches(name, list(calendar.observances), n=2)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(f"unknown observance {name!r}{hint}")
        return rule

    def obligation_units(self, spec: Mapping, measure: Measure) -> list[str]:
        """The lead, then the co-organisers in the order the table lists them (a unit the
        measure does not list goes after them, in the order written)."""
        units = list(measure.units)
        if "units" in spec:
            listed = spec["units"]
            if not isinstance(listed, Seq) or not listed:
                self.fail(spec.line_of("units"), "units must be a non-empty list")
            else:
                units = []
                for j, name in enumerate(listed):
                    units += [u for u in self.unit_ref(name, listed.line_of(j)) if u not in units]
        if "lead" in spec:
            lead = self.unit_ref(spec["lead"], spec.line_of("lead"))
            if len(lead) == 1:
                units = lead + [u for u in units if u != lead[0]]
            elif lead:
                self.fail(spec.line_of("lead"), "the lead must be one unit, not a group")
        order = {u: i for i, u in enumerate(measure.units)}
        rest = sorted(units[1:], key=lambda u: (order.get(u, len(order)), units.index(u)))
        return units[:1] + rest

    def read_time(self, spec: Mapping, what: str) -> time | None:
        if "time" not in spec:
            return None
        value = spec["time"]
        match = _TIME.match(value) if isinstance(value, str) else None
        if not match or int(match[1]) > 23 or int(match[2]) > 59:
            self.fail(spec.line_of("time"), f'{what}: time must be quoted "HH:MM", e.g. "19:30"')
            return None
        return time(int(match[1]), int(match[2]))

    def read_span(self, spec: Mapping, key: str, what: str) -> timedelta | None:
        if key not in spec:
            return None
        match = _SPAN.match(str(spec[key]).strip())
        if not match or not any(match.groups()):
            self.fail(spec.line_of(key), f"{what}: {key} must look like 1d, 2h, 30m or 1h30m")
            return None
        d, h, m = (int(g or 0) for g in match.groups())
        least, most = limits.SPANS.get(key, (timedelta(0), timedelta(days=366)))
        # Compared as minutes first: 99999999999d does not fit in a timedelta.
        minutes = (d * 24 + h) * 60 + m
        if not least <= timedelta(minutes=min(minutes, 10**9)) <= most:
            self.fail(spec.line_of(key), f"{what}: {key} must be from {limits.span_words(least)} "
                                         f"to {limits.span_words(most)}")
            return None
        return timedelta(minutes=minutes)

    def read_target(self, spec: Mapping, rule, what: str) -> Target | None:
        if isinstance(rule, rule_kinds.Quota):
            return Target("quota", rule.amount, rule.unit)
        if isinstance(rule, rule_kinds.Milestone):
            return Target("milestone", rule.amount, rule.unit, rule.by, rule.since)
        if "target" not in spec:
            return None
        value = spec["target"]
        try:
            if isinstance(value, Mapping) and "per_year" in value:
                quota = rule_kinds.Quota.parse(value)
                return Target("quota", quota.amount, quota.unit)
            milestone = rule_kinds.Milestone.parse(value)
            return Target("milestone", milestone.amount, milestone.unit, milestone.by)
        except ValueError as exc:
            self.fail(spec.line_of("target"), f"{what}: target {exc}")
            return None


def _most_events(rule, years: int, terms: int) -> int | None:
    """An upper bound on the events `rule` makes in `years` whole years (None: count them)."""
    per_year = {
        rule_kinds.Weekly: 53, rule_kinds.Monthly: 12, rule_kinds.ObservanceRule: 1,
        rule_kinds.Span: 1, rule_kinds.Quota: 0, rule_kinds.Milestone: 1,
        rule_kinds.RRule: 366,  # nothing more often than daily is accepted
    }.get(type(rule))
    if per_year is not None:
        return per_year * (years + 1)
    if isinstance(rule, rule_kinds.Yearly):
        return len(rule.days) * years
    if isinstance(rule, rule_kinds.TimesAYear):
        return rule.count * years
    if isinstance(rule, rule_kinds.Lunar):
        return years + 3  # the lunar years around the period
    if isinstance(rule, rule_kinds.PerTerm):
        return rule.count * (terms + 2 * (years + 1))  # the table's, else two a school year
    if isinstance(rule, rule_kinds.Rotation):
        return len(rule.places) * (years // rule.years + 2)
    return None  # a kind this does not know: counted
