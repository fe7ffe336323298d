"""Printed monthly schedules: month views -> HTML pages (and PDFs), as bytes.

Pure: the plan, the stored entries and the generation date in, pages out; writing them under
exports/ (and skipping those already there) is the exports owner's job.

A page is a function of its month's frame, the records of the entries it shows
(`monthview.Shown`), the plan's names and categories and what it says of those entries'
obligations (why: 方案规定 or 县里安排; the full title), and the code and templates that lay it
out; not of the generation date. Each page carries a digest of those in a <meta> tag (and
`Page.digest`), so a rebuild renders a page again only when its digest changed: an edit
rewrites the pages it touches, and the others keep the date they were generated on.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from .. import exports, months
from ..errors import PrintError
from ..formats import render
from ..model import Entry, Plan
from . import monthview

TEMPLATE = "month.html"
PARTIALS = "_partials.html"
TEMPLATES = ("base.html", PARTIALS, TEMPLATE)  # what a page's look depends on
WEEKDAYS = tuple("一二三四五六日")
FONT_HINT = "apt-get install fonts-noto-cjk"


@dataclass(frozen=True)
class Page:
    """One printed month of one unit (None: the county), ready to be rendered on demand."""

    printer: Printer
    month: monthview.Month
    unit: str | None
    digest: str

    @property
    def path(self) -> str:
        """Where the page lives under exports/ (its PDF beside it)."""
        return exports.page(self.month.frame.key, self.unit)

    def html(self) -> str:
        return self.printer.html(self.month.view(self.unit), self.digest,
                                 self.printer.parts(self.month))


class Printer:
    """What every page of one run shares: the plan's names, the day, the templates."""

    def __init__(self, plan: Plan, generated: date, templates: Path | None = None):
        self.plan = plan
        self.generated = generated
        self.templates = templates
        self.hues = {code: i % 12 for i, code in enumerate(plan.categories)}
        # Everything a page depends on besides its month and its records.
        self.constants = hashlib.sha1(repr((
            plan.name, plan.source, plan.units, plan.categories,
            _fingerprint(templates))).encode()).digest()
        self._records: dict[str, bytes] = {}  # uid -> digest of its record, once per run
        # What a row prints of its obligation besides the record: its basis and full title.
        self._plan_text = {o.id: f"{o.basis}\n{o.title}\n{o.short}"
                           for o in self.plan.obligations}
        self._parts: tuple[monthview.Month, Parts] | None = None
        # Compiled now, once: not again in each worker process a build prints in.
        env = render.environment(templates)
        self._page = env.get_template(TEMPLATE)
        self._ui = env.get_template(PARTIALS).module

    def months(self, entries: Iterable[Entry], window: tuple[date, date]
               ) -> Iterator[tuple[str, list[Page]]]:
        """Every month touching `window`, as (YYYY-MM, pages of the county and every unit).

        Entries outside the months, and tombstones of events the plan dropped, are passed
        over here: the caller hands in what it read.
        """
        keys = months.between(*window)
        by_month: dict[tuple[int, int], list[monthview.Shown]] = {m: [] for m in keys}
        for entry in entries:
            if entry.orphaned:
                continue
            record = monthview.shown(entry)  # once, however many months and pages show it
            for key in months.between(record.start, record.end):
                if key in by_month:
                    by_month[key].append(record)
        units = (None, *self.plan.units)
        for (year, month), records in by_month.items():
            view = monthview.Month(self.plan, monthview.frame(self.plan, year, month), records)
            yield view.frame.key, self.pages(view, units)

    def pages(self, month: monthview.Month, units: Iterable[str | None]) -> list[Page]:
        frame = hashlib.sha1(repr(month.frame).encode()).digest()
        return [Page(self, month, unit, self._digest(month, unit, frame)) for unit in units]

    def _digest(self, month: monthview.Month, unit: str | None, frame: bytes) -> str:
        digest = hashlib.sha1(self.constants + frame)
        digest.update(f"{unit or ''}\n".encode())
        # In uid order: the page does not depend on the order the entries came in.
        for record in month.records_of(unit):
            known = self._records.get(record.uid)
            if known is None:
                text = repr(record) + self._plan_text.get(record.obligation, "")
                known = self._records[record.uid] = hashlib.sha1(text.encode()).digest()
            digest.update(known)
        return digest.hexdigest()

    def html(self, view: monthview.MonthView, digest: str, parts: Parts) -> str:
        return self._page.render(view=view, digest=digest, parts=parts, hues=self.hues,
                                 weekdays=WEEKDAYS, plan_name=self.plan.name,
                                 plan_source=self.plan.source, generated=self.generated)

    def parts(self, month: monthview.Month) -> Parts:
        """The month's shared pieces, made when its first page is rendered (and only the
        current month's are kept)."""
        if self._parts is None or self._parts[0] is not month:
            self._parts = (month, Parts(self._ui, self.hues))
        return self._parts[1]


def month_page(plan: Plan, entries: Iterable[Entry], year: int, month: int, unit: str | None,
               generated: date, templates: Path | None = None) -> Page:
    """One month for one unit id (or the county), from entries that include its month's."""
    view = monthview.Month(plan, monthview.frame(plan, year, month),
                           (monthview.shown(e) for e in entries if not e.orphaned))
    return Printer(plan, generated, templates).pages(view, [unit])[0]


class Parts:
    """Pieces of one month's pages rendered once and shared by all of them.

    The 1 + len(units) pages of a month have the same dates rows, and most weeks of a unit's
    page (a campaign band, no events of its own) look just like other units'; rendering those
    once is most of what makes a page cheap. Every piece comes from a macro of _partials.html
    rendered through the one environment, so autoescape guards it as it guards the rest of
    the page, and is kept under a key holding everything its macro reads: frozen values, so
    equal keys render alike.
    """

    def __init__(self, ui, hues: dict[str, int]):
        self._ui = ui
        self._hues = hues
        self._made: dict[tuple, Markup] = {}

    def _once(self, key: tuple, make) -> Markup:
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = make()
        return made

    def week(self, week: monthview.Week, free_mm: float, line_mm: float) -> Markup:
        """A week of the grid (<tbody>): the same on every page where its cells are."""
        return self._once(("week", week, free_mm, line_mm),
                          lambda: self._ui.week_rows(week, free_mm, line_mm, self, self._hues))

    def dates(self, week: monthview.Week) -> Markup:
        """The week's dates row: the month's, whatever the page (so its Monday names it)."""
        return self._once(("dates", week.days[0].day.day),
                          lambda: self._ui.dates_row([cell.day for cell in week.days]))

    def legend(self, unit_page: bool, categories: tuple) -> Markup:
        return self._once(("legend", unit_page, categories),
                          lambda: self._ui.legend(unit_page, categories, self._hues))

    def footer(self, plan_name: str, plan_source: str, generated: date) -> Markup:
        return self._once(("footer", plan_name, plan_source, generated),
                          lambda: self._ui.page_footer(plan_name, plan_source, generated))


@lru_cache(maxsize=8)
def _fingerprint(override: Path | None) -> str:
    """The templates and the code a page's look depends on: a new version of either renders
    every page again, though no plan changed."""
    env = render.environment(override)
    assert env.loader is not None  # render's environment always has its folders
    digest = hashlib.sha1("\0".join(env.loader.get_source(env, name)[0]
                                    for name in TEMPLATES).encode())
    for module in (monthview.__file__, __file__):  # the .py, or the .pyc of a sourceless install
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


# -- PDF -------------------------------------------------------------------------------------------

def cjk_fonts() -> list[str]:
    """Font families fontconfig offers for Chinese; WeasyPrint finds its fonts the same way."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                                text=True, check=False, timeout=60)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return []
    return sorted({line.split(",")[0].strip() for line in listed.stdout.splitlines()
                   if line.strip()})


def pdf_engine():
    """WeasyPrint, once we know it can draw Chinese; PrintError saying what to install if not.

    Checked before any page is rendered, so a missing font never leaves tofu boxes behind.
    """
    try:
        import weasyprint
    except (ImportError, OSError):  # OSError: the package is there but Pango is not
        raise PrintError("PDF output needs WeasyPrint and Pango: pip install weasyprint and "
                         "apt-get install libpango-1.0-0 libpangoft2-1.0-0") from None
    if not cjk_fonts():
        raise PrintError(f"no Chinese font found for the PDF (fc-list :lang=zh is empty): "
                         f"install one with `{FONT_HINT}`")
    return weasyprint


@lru_cache(maxsize=1)
def _font_config(engine):
    # Building the font configuration scans fontconfig; once per process is enough.
    from weasyprint.text.fonts import FontConfiguration
    return FontConfiguration()


def pdf_bytes(engine, html: str) -> bytes:
    return engine.HTML(string=html).write_pdf(font_config=_font_config(engine))


class Pdf:
    """Turns a page's HTML into a PDF. `wanted`: this run prints PDFs of every page; if not,
    the engine is still started for a page whose earlier PDF must be remade."""

    def __init__(self, wanted: bool):
        self.wanted = wanted
        self._engine = pdf_engine() if wanted else None  # no font: fail before writing anything

    def __call__(self, html: str) -> bytes:
        if self._engine is None:
            self._engine = pdf_engine()
        return pdf_bytes(self._engine, html)
