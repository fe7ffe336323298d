"""The main job as a Python API: plan file -> events -> database -> exports.

The CLI is a thin shell over these functions; tests and scripts can call them directly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

from . import gapviews, printing
from .feeds import write_feeds
from .gaps import analyse
from .model import ZONE, Entry, Plan, days
from .plan import load_plan
from .publish import write_if_changed
from .render import default_templates
from .schedule import expand
from .store import Store, SyncResult

VIEWS = ("feeds", "print", "gaps")


@dataclass
class BuildReport:
    plan: Plan
    window: tuple[date, date]
    events: int
    sync: SyncResult
    estimated_years: list[int]
    written: dict[str, int] = field(default_factory=dict)  # files (re)written, per kind
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage


def revision_time(today: date) -> datetime:
    """Revisions are stamped with the build's day, so a rebuild on the same day is identical."""
    return datetime.combine(today, time(0), tzinfo=ZoneInfo(ZONE))


def build(plan_path: str | Path, db_path: str | Path, exports: str | Path, today: date, by: str,
          start: date | None = None, end: date | None = None, pdf: bool = False,
          templates: Path | None = None) -> BuildReport:
    """Expand the plan over [start, end) (default: its period), sync it into the database, then
    write the views under `exports`: the feeds, a printed schedule per month for the county
    and every unit (PDFs too when `pdf` or the plan's settings.pdf), and the gap report, all
    as of `today`.

    The plan is read and expanded before the database is opened, so a bad plan leaves the
    database exactly as it was. `report.timings` holds the seconds each stage took.
    """
    clock = _Stopwatch()
    plan = load_plan(plan_path)
    pdf = pdf or plan.settings.pdf
    if pdf:
        printing.pdf_engine()  # no PDF engine or Chinese font: say so before changing anything
    window = (start or plan.start, end or plan.end)
    clock.lap("load")
    expansion = expand(plan, *window)
    clock.lap("expand")
    exports = Path(exports)
    with Store.open(db_path, create=True) as store:
        result = store.sync(expansion.events, window, revision_time(today), by)
        clock.lap("store")
        report = BuildReport(plan, window, len(expansion.events), result,
                             expansion.estimated_years)
        key = views_key(plan_path, store.generation(), window, today, pdf, templates)
        stamp = exports / ".views"
        if stamp.exists() and stamp.read_text() == key:
            # Every view is a function of `key`, and the files made from it are there.
            report.written = dict.fromkeys(VIEWS, 0)
            report.timings = clock.laps
            return report
        entries = store.entries()
        clock.lap("read")
    report.written["feeds"] = write_feeds(plan, entries, exports, today).written
    clock.lap("feeds")
    months = printing.month_window(*window)
    shown = [e for e in entries if not e.orphaned and _overlaps(e, *months)]
    report.written["print"] = printing.print_window(plan, shown, window, exports, today,
                                                    templates, pdf)
    clock.lap("print")
    report.written["gaps"] = write_gaps(plan, entries, exports, today, str(plan_path))
    clock.lap("gaps")
    write_if_changed(stamp, key.encode())
    report.timings = clock.laps
    return report


def forget_views(exports: Path) -> None:
    """Another command wrote under exports/ (a page with other templates, feeds for another
    day): the next build must not take the files for what its key describes."""
    (Path(exports) / ".views").unlink(missing_ok=True)


def views_key(plan_path: str | Path, generation: int, window: tuple[date, date], today: date,
              pdf: bool, templates: Path | None) -> str:
    """Everything the files under exports/ are made from: the plan file, the state of the
    database (its generation grows with every change), the window, the day, the options, the
    templates and this program. A build whose key matches the last one writes nothing."""
    digest = hashlib.sha1()
    digest.update(Path(plan_path).read_bytes())
    digest.update(repr((generation, window, today, pdf, str(templates))).encode())
    code = Path(__file__).parent
    for folder in (code, default_templates(), templates):
        for path in sorted(Path(folder).glob("*.*")) if folder else ():
            if path.suffix in (".py", ".html"):
                digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


class _Stopwatch:
    def __init__(self):
        self.laps: dict[str, float] = {}
        self.last = perf_counter()

    def lap(self, name: str) -> None:
        now = perf_counter()
        self.laps[name] = now - self.last
        self.last = now


def _overlaps(entry: Entry, start: date, end: date) -> bool:
    first, after = days(entry.start, entry.end)
    return first < end and after > start


def write_gaps(plan: Plan, entries: list[Entry], exports: Path, today: date, source: str) -> int:
    """exports/gaps/index.html and gaps.json for the plan period, as of `today`."""
    report = analyse(plan, entries, today)
    folder = exports / "gaps"
    written = write_if_changed(folder / "gaps.json", gapviews.as_json(report).encode())
    html = gapviews.as_html(report, plan, source).encode()
    return written + write_if_changed(folder / "index.html", html)
