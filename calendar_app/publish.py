"""Which views are written where: stored entries -> every output under exports/.

Each view is a pure function of the entries (read once from the store), the plan and the day;
this module hands what they make to the folder's one owner (`exports.Exports`), which writes
only what changed. `build` publishes everything; `print`, `export feeds` one view; every
report (`record`, `add`, `import`, the web application) refreshes what it touched, so a
subscriber sees it on the next poll without a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from . import exports as layout
from . import months
from .exports import Exports
from .model import Entry, Plan, Reported, days


@dataclass
class FeedsReport:
    feeds: int  # feed files the plan has
    written: int  # files (re)written, index.html included; unchanged files are left alone
    removed: int  # feeds of units or categories the plan no longer has


def feeds(plan: Plan, entries: list[Entry], out: Exports, today: date,
          domain: str) -> FeedsReport:
    """Every feed and the subscription page; `domain` is the UIDs' (`view.feed_domain`)."""
    from .feeds import view

    files = view.files(plan, entries, today, out, domain)
    out.remove(f"{layout.FEEDS}/{layout.MEMO}")  # serialised events of earlier versions
    written = out.write_all(files)
    out.built_for(today)
    # A feed of a unit the plan dropped would otherwise go on claiming its old events forever;
    # without the file its subscribers' clients report the feed as gone.
    stale = sorted(name for name in out.listing(layout.FEEDS)
                   if name.endswith(".ics") and f"{layout.FEEDS}/{name}" not in files)
    for name in stale:
        out.remove(f"{layout.FEEDS}/{name}")
    return FeedsReport(len(files) - 1, written, len(stale))


def everything(plan: Plan, entries: list[Entry], out: Exports, window: tuple[date, date],
               today: date, domain: str, reports: Mapping[str, Reported] | None = None,
               templates: Path | None = None, pdf: bool = False,
               jobs: int | None = None) -> dict[str, int]:
    """What a build writes: the feeds, the printed months touching `window`, the dashboard;
    the files (re)written of each.

    Each is a job of its own (a month's pages are one), spread over a process per core
    (`jobs` sets how many; 1: this process): even the smallest plan's build is quicker so,
    the workers being forked in a few milliseconds. The files are the same either way.
    """
    from . import workers

    months = _months(plan, entries, out, window, today, templates, pdf)
    views: list[Callable[[], Any]] = [partial(feeds, plan, entries, out, today, domain),
                                      partial(gaps, plan, entries, out, today, reports), *months]
    feeds_made, gaps_written, *printed = workers.run(views, jobs)
    return {"feeds": feeds_made.written, "print": sum(printed), "gaps": gaps_written}


def pages(plan: Plan, entries: Iterable[Entry], out: Exports, window: tuple[date, date],
          generated: date, templates: Path | None = None, pdf: bool = False) -> int:
    """The printed month of the county and every unit, for every month touching `window`;
    the files written."""
    return sum(job() for job in _months(plan, entries, out, window, generated, templates, pdf))


def _months(plan, entries, out, window, generated, templates, pdf) -> list[Callable[[], int]]:
    """A job printing each month touching `window` (its files written)."""
    from .printed.pages import Pdf, Printer

    maker = Pdf(pdf)
    return [partial(out.publish_month, month, month_pages, maker)
            for month, month_pages in Printer(plan, generated, templates).months(entries,
                                                                                 window)]


def page(plan: Plan, entries: Iterable[Entry], out: Exports, year: int, month: int,
         unit: str | None, generated: date, templates: Path | None = None,
         pdf: bool = False) -> list[Path]:
    """One unit's (or the county's) month, written afresh; the paths of its HTML (and PDF)."""
    from .printed.pages import Pdf, month_page

    return out.publish_page(month_page(plan, entries, year, month, unit, generated, templates),
                            Pdf(pdf))


def published_day(out: Exports, today: date) -> date:
    """The day the published files are as of, or `today` where they do not say."""
    return out.day() or today


def gaps(plan: Plan, entries: list[Entry], out: Exports, today: date,
         reports: Mapping[str, Reported] | None = None) -> int:
    """The supervision dashboard and its JSON for the plan period, as of `today`, offering
    the ledgers and circulars made so far."""
    from .supervision import dashboard
    from .supervision.links import offered

    documents = offered(out.listing("reports"))
    return out.write_all(dashboard.files(plan, entries, today, reports, documents))


def refresh(plan: Plan, entries: list[Entry], out: Exports, today: date,
            spans: Iterable[tuple], domain: str,
            reports: Mapping[str, Reported] | None = None) -> int:
    """After reports: the feeds, the months the reported events were and are on (`spans`
    of (start, end)), and the gap report. Unchanged files are left alone.

    All as of the day the published feeds were written for (`today` only when the exports
    do not say): what changes is the reports, never the day. Feeds written for another day
    would change every event that depends on it (overdue marks, the window of the last 90
    days), and after the plan's end empty them, under subscribers who asked for neither."""
    today = published_day(out, today)
    touched: set[tuple[int, int]] = set()
    for start, end in spans:
        touched.update(months.between(*days(start, end)))
    written = 0
    for year, month in sorted(touched):
        window = months.bounds(year, month)
        if window[0] < plan.end and window[1] > plan.start:
            written += pages(plan, entries, out, window, today, pdf=plan.settings.pdf)
    return written + dated(plan, entries, out, today, domain, reports)


def dated(plan: Plan, entries: list[Entry], out: Exports, today: date, domain: str,
          reports: Mapping[str, Reported] | None = None) -> int:
    """What depends on the day, as of `today`: the feeds (overdue marks, the window of the
    last days), the subscription page (whether the period has ended) and the dashboard; the
    files (re)written. The printed months do not (see `printed.pages`)."""
    return feeds(plan, entries, out, today, domain).written + gaps(plan, entries, out, today,
                                                                  reports)
