"""Which views are written where: stored entries -> every output under exports/.

Each view is a pure function of the entries (read once from the store), the plan and the day;
this module hands what they make to the folder's one owner (`exports.Exports`), which writes
only what changed. `build` publishes everything; `print`, `export feeds` one view; every
report (`record`, `add`, `import`, the web application) refreshes what it touched, so a
subscriber sees it on the next poll without a rebuild.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import exports as layout
from . import months
from .exports import Exports
from .model import Entry, Plan, Reported, days

# Printed pages below which a build prints in one process: forking the workers and handing
# the months out costs about as much as rendering a few hundred pages.
PARALLEL_FROM = 400


@dataclass
class FeedsReport:
    feeds: int  # feed files the plan has
    written: int  # files (re)written, index.html included; unchanged files are left alone
    removed: int  # feeds of units or categories the plan no longer has


def feeds(plan: Plan, entries: list[Entry], out: Exports, today: date,
          domain: str) -> FeedsReport:
    """Every feed and the subscription page; `domain` is the UIDs' (`feeds.feed_domain`)."""
    from . import feeds as feed_view

    files = feed_view.files(plan, entries, today, out, domain)
    out.remove(f"{layout.FEEDS}/{layout.MEMO}")  # serialised events of earlier versions
    written = out.write_all(files)
    # A feed of a unit the plan dropped would otherwise go on claiming its old events forever;
    # without the file its subscribers' clients report the feed as gone.
    stale = sorted(name for name in out.listing(layout.FEEDS)
                   if name.endswith(".ics") and f"{layout.FEEDS}/{name}" not in files)
    for name in stale:
        out.remove(f"{layout.FEEDS}/{name}")
    return FeedsReport(len(files) - 1, written, len(stale))


@contextmanager
def printing(plan: Plan, entries: Iterable[Entry], out: Exports, window: tuple[date, date],
             generated: date, templates: Path | None = None, pdf: bool = False,
             jobs: int | None = None) -> Iterator[Callable[[], int]]:
    """Starts printing the month of the county and every unit, for every month touching
    `window`; the caller may write other views meanwhile, then call what this yields for
    the count of files written (it waits for the printing to be done).

    Months go to a worker process per core (`jobs` sets how many; 1: this process) when
    there are pages enough to pay for starting them; the files are the same either way.
    """
    from .printing import Pdf, Printer
    from .workers import Spread

    maker = Pdf(pdf)
    months = list(Printer(plan, generated, templates).months(entries, window))
    if jobs is None and sum(len(month_pages) for _, month_pages in months) < PARALLEL_FROM:
        jobs = 1

    def publish(index: int) -> list[str]:
        month, month_pages = months[index]
        part = Exports(out.root, out.base_url)  # counts what it wrote, in a worker or here
        part.publish_month(month, month_pages, maker)
        return part.written

    def written() -> int:
        files = [rel for part in spread.results() for rel in part]
        out.written.extend(files)
        return len(files)

    with Spread(publish, len(months), jobs) as spread:
        yield written


def pages(plan: Plan, entries: Iterable[Entry], out: Exports, window: tuple[date, date],
          generated: date, templates: Path | None = None, pdf: bool = False,
          jobs: int | None = None) -> int:
    """What `printing` prints, with nothing else to do meanwhile: the files written."""
    with printing(plan, entries, out, window, generated, templates, pdf, jobs) as written:
        return written()


def page(plan: Plan, entries: Iterable[Entry], out: Exports, year: int, month: int,
         unit: str | None, generated: date, templates: Path | None = None,
         pdf: bool = False) -> list[Path]:
    """One unit's (or the county's) month, written afresh; the paths of its HTML (and PDF)."""
    from .printing import Pdf, month_page

    return out.publish_page(month_page(plan, entries, year, month, unit, generated, templates),
                            Pdf(pdf))


def gaps(plan: Plan, entries: list[Entry], out: Exports, today: date,
         reports: Mapping[str, Reported] | None = None) -> int:
    """The supervision dashboard and its JSON for the plan period, as of `today`, offering
    the ledgers and circulars made so far."""
    from . import supervision

    documents = supervision.offered(out.listing("reports"))
    return out.write_all(supervision.files(plan, entries, today, reports, documents))


def refresh(plan: Plan, entries: list[Entry], out: Exports, today: date,
            spans: Iterable[tuple], domain: str,
            reports: Mapping[str, Reported] | None = None) -> int:
    """After reports: the feeds, the months the reported events were and are on (`spans`
    of (start, end)), and the gap report. Unchanged files are left alone."""
    touched: set[tuple[int, int]] = set()
    for start, end in spans:
        touched.update(months.between(*days(start, end)))
    written = feeds(plan, entries, out, today, domain).written
    for year, month in sorted(touched):
        window = months.bounds(year, month)
        if window[0] < plan.end and window[1] > plan.start:
            written += pages(plan, entries, out, window, today, pdf=plan.settings.pdf)
    return written + gaps(plan, entries, out, today, reports)
