"""Printed monthly schedules: month views -> HTML pages (and PDFs) under exports/print/.

`print_month` makes one page on request; `print_window` renders every month of a build for
the county and every unit.

A page is a function of its month's frame, the records of the entries it shows
(`monthview.Shown`), the plan's names and categories, and the code and templates that lay it
out; not of the generation date. Each page carries a digest of those in a <meta> tag, and a
rebuild renders a page again only when its digest changed: an edit rewrites the pages it
touches, and the others keep the date they were generated on. Each month's folder also keeps
a manifest (`.content`) of its pages' digests, so a month where nothing changed is passed
over without opening its pages, and an edit opens only the pages it changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

from . import monthview, render
from .errors import PrintError
from .model import Entry, Plan
from .publish import write_if_changed
from .store import Store

TEMPLATE = "month.html"
PARTIALS = "_partials.html"
TEMPLATES = ("base.html", PARTIALS, TEMPLATE)  # what a page's look depends on
WEEKDAYS = tuple("一二三四五六日")
MANIFEST = ".content"  # in each month's folder: "<page> <digest>" per line
_DIGEST = re.compile(rb'<meta name="calendar-app-content" content="([0-9a-f]+)">')
FONT_HINT = "apt-get install fonts-noto-cjk"


@dataclass
class Printer:
    """What every page of one run shares: the plan's names, the day, the templates."""

    plan: Plan
    exports: Path
    generated: date
    templates: Path | None = None
    pdf: bool = False
    written: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hues = {code: i % 12 for i, code in enumerate(self.plan.categories)}
        self.source_file = Path(self.plan.file).name
        # Everything a page depends on besides its month and its records.
        self.constants = hashlib.sha1(repr((
            self.plan.name, self.plan.source, self.source_file, self.plan.units,
            self.plan.categories, _fingerprint(self.templates))).encode()).digest()
        self._records: dict[str, bytes] = {}  # uid -> digest of its record, once per run
        self._parts: tuple[monthview.Month, Parts] | None = None
        self._engine = pdf_engine() if self.pdf else None  # fail before writing anything

    def folder(self, month: monthview.Month) -> Path:
        return self.exports / "print" / month.frame.key

    def digests(self, month: monthview.Month, units: Iterable[str | None]) -> dict[str | None, str]:
        """The digest of each unit's page (None: the county's) of `month`."""
        frame = hashlib.sha1(repr(month.frame).encode()).digest()
        return {unit: self._digest(month, unit, frame) for unit in units}

    def _digest(self, month: monthview.Month, unit: str | None, frame: bytes) -> str:
        digest = hashlib.sha1(self.constants + frame)
        digest.update(f"{unit or ''}\n".encode())
        # In uid order: the page does not depend on the order the entries came in.
        for record in month.records_of(unit):
            known = self._records.get(record.uid)
            if known is None:
                known = self._records[record.uid] = hashlib.sha1(repr(record).encode()).digest()
            digest.update(known)
        return digest.hexdigest()

    def html(self, view: monthview.MonthView, digest: str, parts: Parts) -> str:
        return render.render(TEMPLATE, override=self.templates, view=view, digest=digest,
                             parts=parts, hues=self.hues, weekdays=WEEKDAYS,
                             plan_name=self.plan.name, plan_source=self.plan.source,
                             source_file=self.source_file, generated=self.generated)

    def parts(self, month: monthview.Month) -> Parts:
        """The month's shared pieces, made when its first page is rendered (and only the
        current month's are kept)."""
        if self._parts is None or self._parts[0] is not month:
            ui = render.environment(self.templates).get_template(PARTIALS).module
            self._parts = (month, Parts(ui, self.hues))
        return self._parts[1]

    def month(self, month: monthview.Month, units: tuple[str | None, ...]) -> None:
        """Every page of `month` whose digest changed, then the month's manifest."""
        folder = self.folder(month)
        digests = self.digests(month, units)
        manifest = "".join(f"{_stem(unit)} {digest}\n" for unit, digest in digests.items())
        files = _listing(folder)
        kinds = (".html", ".pdf") if self.pdf else (".html",)
        wanted = {_stem(unit) + kind for unit in units for kind in kinds}
        stored = _read(folder / MANIFEST) or ""
        if stored == manifest and wanted <= files:
            return  # nothing changed: no page is even opened
        known = dict(line.split(" ", 1) for line in stored.splitlines() if " " in line)
        for unit, digest in digests.items():
            self.page(month, unit, digest, files, known.get(_stem(unit)))
        write_if_changed(folder / MANIFEST, manifest.encode())

    def page(self, month: monthview.Month, unit: str | None, digest: str,
             files: set[str] | None = None, known: str | None = None,
             force: bool = False) -> list[Path]:
        """Write the page's HTML (and PDF) unless it already shows `digest` (or `force`).

        `files` and `known`, when given, are what the month's folder held and the digest its
        manifest gave this page, read once for the whole month.
        """
        target = self.folder(month) / f"{_stem(unit)}.html"
        html = None
        changed = False
        if force or not _current(target, digest, files, known):
            html = self.html(month.view(unit), digest, self.parts(month))
            changed = write_if_changed(target, html.encode())
        paths = [target]
        if changed:
            self.written.append(target)
        pdf = target.with_suffix(".pdf")
        had_pdf = pdf.name in files if files is not None else pdf.exists()
        # A PDF made earlier (by `print --pdf`) is remade with its page, even when this run
        # was not asked for PDFs: a PDF that disagrees with the plan must not circulate.
        if self.pdf or (changed and had_pdf):
            if changed or force or not had_pdf:
                if html is None:
                    html = target.read_text(encoding="utf-8")
                if write_if_changed(pdf, pdf_bytes(self.engine(), html)):
                    self.written.append(pdf)
            paths.append(pdf)
        return paths

    def engine(self):
        if self._engine is None:
            self._engine = pdf_engine()
        return self._engine


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

    def footer(self, source_file: str, plan_source: str, generated: date) -> Markup:
        return self._once(("footer", source_file, plan_source, generated),
                          lambda: self._ui.page_footer(source_file, plan_source, generated))


@lru_cache(maxsize=8)
def _fingerprint(override: Path | None) -> str:
    """The templates and the code a page's look depends on: a new version of either renders
    every page again, though no plan changed."""
    env = render.environment(override)
    digest = hashlib.sha1("\0".join(env.loader.get_source(env, name)[0]
                                    for name in TEMPLATES).encode())
    for module in (monthview.__file__, __file__):  # the .py, or the .pyc of a sourceless install
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


def _stem(unit: str | None) -> str:
    return unit or "county"


def _current(target: Path, digest: str, files: set[str] | None, known: str | None) -> bool:
    """Whether the page on disk already shows `digest`: the month's manifest says so (and the
    file is there), or failing that the page's own meta tag does."""
    if files is not None and target.name not in files:
        return False
    return known == digest or _stored_digest(target) == digest


def _stored_digest(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            found = _DIGEST.search(handle.read(1024))
    except FileNotFoundError:
        return None
    return found[1].decode() if found else None


# -- the two entry points ----------------------------------------------------------------------

def print_month(plan: Plan, db: Path, exports: Path, year: int, month: int, unit: str | None,
                generated: date, templates: Path | None = None, pdf: bool = False) -> list[Path]:
    """One month for one unit id (or the county): the paths of its HTML (and PDF)."""
    printer = Printer(plan, exports, generated, templates, pdf)
    first, stop = monthview.month_bounds(year, month)
    with Store.open(db) as store:
        entries = store.entries(unit=unit, start=first, end=stop, include_removed=False)
    pages = monthview.Month(plan, monthview.frame(plan, year, month), map(monthview.shown, entries))
    paths = printer.page(pages, unit, printer.digests(pages, [unit])[unit], force=True)
    # The page may not be what a build would write (other templates): the next build reads
    # each page's own digest rather than trust the month's manifest.
    (printer.folder(pages) / MANIFEST).unlink(missing_ok=True)
    return paths


def print_window(plan: Plan, entries: list[Entry], window: tuple[date, date], exports: Path,
                 generated: date, templates: Path | None = None, pdf: bool = False) -> int:
    """Every month touching `window`, for the county and every unit; the files written.

    `entries` must cover the whole months (see `month_window`).
    """
    printer = Printer(plan, exports, generated, templates, pdf)
    months = months_between(*window)
    by_month: dict[tuple[int, int], list[monthview.Shown]] = {m: [] for m in months}
    for entry in entries:
        record = monthview.shown(entry)  # once, however many months and pages show it
        for key in months_between(record.start, record.end):
            if key in by_month:
                by_month[key].append(record)
    units = (None, *plan.units)
    for (year, month), records in by_month.items():
        printer.month(monthview.Month(plan, monthview.frame(plan, year, month), records), units)
    return len(printer.written)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _listing(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except FileNotFoundError:
        return set()


def months_between(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month overlapping [start, end)."""
    found = []
    y, m = start.year, start.month
    while date(y, m, 1) < end:
        found.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return found


def month_window(start: date, end: date) -> tuple[date, date]:
    """[start, end) widened to whole months: a page always shows its whole month."""
    months = months_between(start, end)
    return (monthview.month_bounds(*months[0])[0], monthview.month_bounds(*months[-1])[1])


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
