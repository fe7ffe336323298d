"""The main job as a Python API: plan file -> events -> database -> exports.

The CLI is a thin shell over these functions; tests and scripts can call them directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from time import perf_counter

from .errors import CalendarAppError
from .exports import Exports
from .model import TZ, Plan
from .store.store import NoDatabase, Store, SyncResult


@dataclass
class BuildReport:
    window: tuple[date, date]
    events: int
    sync: SyncResult
    estimated_years: list[int]
    written: dict[str, int] = field(default_factory=dict)  # files (re)written, per view
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    plan: Plan | None = None  # None when the plan did not need reading (nothing changed)


def revision_time(today: date) -> datetime:
    """Revisions are stamped with the build's day, so a rebuild on the same day is identical."""
    return datetime.combine(today, time(0), tzinfo=TZ)


@dataclass(frozen=True)
class BuildRequest:
    """What a build is asked for: the plan file, the database (a SQLite path or a PostgreSQL
    URL), the exports folder, the day it is built as of and who builds it; optionally a window
    [start, end) inside the plan period, PDFs, a folder of template overrides, and how many
    processes write the views."""

    plan: str | Path
    db: str | Path
    exports: str | Path
    today: date
    by: str
    start: date | None = None
    end: date | None = None
    pdf: bool = False
    templates: Path | None = None
    jobs: int | None = None


@dataclass(frozen=True)
class _Source:
    """The plan file's bytes, and what a build was made from (its digest, this program's, the
    window asked for): the database keeps the last one, so an unchanged build is seen as such."""

    text: bytes
    made_from: dict


def build(request: BuildRequest) -> BuildReport:
    """Expand the plan over [start, end) (default: its period), sync it into the database, then
    write the views under `exports`: the feeds, a printed schedule per month for the county
    and every unit (PDFs too when `pdf` or the plan's settings.pdf), and the gap report, all
    as of `today`.

    The plan is read and expanded before the database is opened, so a bad plan leaves the
    database exactly as it was. A plan file that is byte for byte the one the database was
    last built from is not read again, and when the exports are also what this build would
    write, nothing is. `report.timings` holds the seconds each stage took. `jobs` processes
    write the views at once (default: one per core, up to 8).
    """
    clock = _Stopwatch()
    r = request
    text = Path(r.plan).read_bytes() if Path(r.plan).is_file() else b""
    source = _Source(text, {"plan": hashlib.sha1(text).hexdigest(), "code": code_digest(),
                            "window": [str(r.start), str(r.end)]})
    done = _unchanged(r.db, source.made_from)
    if done is not None:
        key = views_key(text, done["generation"], r.today, r.pdf, r.templates)
        if Exports(r.exports).current(key):
            last = done["last"]
            window = (date.fromisoformat(last["from"]), date.fromisoformat(last["to"]))
            report = BuildReport(window, last["events"], SyncResult(unchanged=last["events"]),
                                 last["estimated"])
            report.written = dict.fromkeys(("feeds", "print", "gaps"), 0)
            report.timings = clock.laps
            return report
    return _build(request, source, clock)


def _build(r: BuildRequest, source: _Source, clock: _Stopwatch) -> BuildReport:
    from . import publish
    from .plan.reader import load_plan
    from .schedule.expansion import expand

    plan = load_plan(r.plan)
    today, pdf, templates = r.today, r.pdf or plan.settings.pdf, r.templates
    if pdf:
        from .printed.pages import pdf_engine
        pdf_engine()  # no PDF engine or Chinese font: say so before changing anything
    window = (r.start or plan.start, r.end or plan.end)
    if window[0] < plan.start or window[1] > plan.end or window[0] >= window[1]:
        # The plan's bounds hold for its period; a window of other centuries would expand
        # the rules over every year between.
        last = plan.last
        raise CalendarAppError(f"the window {window[0]} to {window[1] - timedelta(days=1)} is "
                               f"not within the plan period, {plan.start} to {last}")
    clock.lap("load")
    expansion = expand(plan, *window)
    clock.lap("expand")
    outline = {"from": window[0].isoformat(), "to": window[1].isoformat(),
               "events": len(expansion.events), "estimated": expansion.estimated_years}
    # The whole build holds the county's build lock (PostgreSQL): a second build waits, then
    # finds the sync and the files done. A build cut short leaves the last commit's state, and
    # the files of what it did commit are written by the next build, which finds them behind.
    with Store.open(r.db, create=True) as store, store.building():
        result = store.sync(expansion.events, window, revision_time(today), r.by,
                            {**source.made_from, "last": outline})
        clock.lap("store")
        report = BuildReport(window, len(expansion.events), result, expansion.estimated_years,
                             plan=plan)
        key = views_key(source.text, store.generation(), today, pdf, templates)
        out = Exports(r.exports, plan.settings.base_url)
        if out.current(key):
            # Every view is a function of `key`, and the files made from it are there.
            report.written = dict.fromkeys(("feeds", "print", "gaps"), 0)
            report.timings = clock.laps
            return report
        entries, reports = store.entries(), store.reports()
        from .feeds.view import feed_domain

        domain = feed_domain(plan, store.uid_domain)
        clock.lap("read")
        report.written = publish.everything(plan, entries, out, window, today, domain, reports,
                                            templates, pdf, r.jobs)
        clock.lap("views")
        out.complete(key)
    report.timings = clock.laps
    return report


def _unchanged(db_path: str | Path, made_from: dict) -> dict | None:
    """What the database says of its last build, if it was made from exactly `made_from`."""
    try:
        store = Store.open(db_path)
    except NoDatabase:
        return None
    with store:
        last = store.last_sync()
        if last is None or any(last.get(k) != v for k, v in made_from.items()):
            return None
        return {"last": last["last"], "generation": store.generation()}


def views_key(plan_text: bytes, generation: int, today: date, pdf: bool,
              templates: Path | None) -> str:
    """Everything the files under exports/ are made from: the plan file, the state of the
    database (its generation grows with every change), the day, the options, the templates
    and this program. A build whose key matches the last one writes nothing."""
    from .formats.render import default_templates

    digest = hashlib.sha1(plan_text)
    digest.update(repr((generation, today, pdf, str(templates), code_digest())).encode())
    for folder in (default_templates(), templates):
        for path in sorted(Path(folder).glob("*.html")) if folder else ():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_digest() -> str:
    """This program and the holiday tables it reads: a new version of either may expand the
    same plan differently, or lay out the same events differently."""
    digest = hashlib.sha1()
    spec = find_spec("chinese_calendar")
    assert spec is not None and spec.origin is not None  # a dependency: always installed
    holidays = Path(spec.origin).parent
    for folder in (Path(__file__).parent, holidays):
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


class _Stopwatch:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self.last = perf_counter()

    def lap(self, name: str) -> None:
        now = perf_counter()
        self.laps[name] = now - self.last
        self.last = now
