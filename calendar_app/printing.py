"""Printed monthly schedules: month views -> HTML pages (and PDFs) under exports/print/.

`print_month` makes one page on request; `print_window` renders every month of a build for
the county and every unit. Each page carries a digest of what it shows (the view, the plan's
names, the templates; not the generation date) in a <meta> tag. When the file on disk already
carries the same digest the month is not rendered again: a rebuild re-renders only the months
whose content changed, and the others keep the date they were generated on.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from . import monthview, render
from .errors import PrintError
from .model import Entry, Plan
from .publish import write_if_changed
from .store import Store

TEMPLATE = "month.html"
TEMPLATES = ("base.html", "_partials.html", TEMPLATE)  # what a page's look depends on
WEEKDAYS = tuple("一二三四五六日")
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
        self.constants = (self.plan.name, self.plan.source, Path(self.plan.file).name,
                          _templates_fingerprint(self.templates))
        self._engine = pdf_engine() if self.pdf else None  # fail before writing anything

    def path(self, view: monthview.MonthView) -> Path:
        return self.exports / "print" / view.frame.key / f"{view.unit or 'county'}.html"

    def digest(self, view: monthview.MonthView) -> str:
        # A view is frozen dataclasses of dates, strings and tuples: its repr is stable.
        return hashlib.sha1(repr((view, self.constants)).encode()).hexdigest()

    def html(self, view: monthview.MonthView, digest: str) -> str:
        return render.render(TEMPLATE, override=self.templates, view=view, digest=digest,
                             hues=self.hues, weekdays=WEEKDAYS, plan_name=self.plan.name,
                             plan_source=self.plan.source, source_file=self.constants[2],
                             generated=self.generated)

    def page(self, view: monthview.MonthView, force: bool = False) -> list[Path]:
        """Write the month's HTML (and PDF); unless `force`, skip a page whose digest matches."""
        target = self.path(view)
        digest = self.digest(view)
        html = None
        changed = False
        if force or _stored_digest(target) != digest:
            html = self.html(view, digest)
            changed = write_if_changed(target, html.encode())
        paths = [target]
        if changed:
            self.written.append(target)
        pdf = target.with_suffix(".pdf")
        # A PDF made earlier (by `print --pdf`) is remade with its page, even when this run
        # was not asked for PDFs: a PDF that disagrees with the plan must not circulate.
        if self.pdf or (changed and pdf.exists()):
            if changed or force or not pdf.exists():
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


def _stored_digest(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            found = _DIGEST.search(handle.read(1024))
    except FileNotFoundError:
        return None
    return found[1].decode() if found else None


@lru_cache(maxsize=8)
def _templates_fingerprint(override: Path | None) -> str:
    env = render.environment(override)
    text = "\0".join(env.loader.get_source(env, name)[0] for name in TEMPLATES)
    return hashlib.sha1(text.encode()).hexdigest()


# -- the two entry points ----------------------------------------------------------------------

def print_month(plan: Plan, db: Path, exports: Path, year: int, month: int, unit: str | None,
                generated: date, templates: Path | None = None, pdf: bool = False) -> list[Path]:
    """One month for one unit id (or the county): the paths of its HTML (and PDF)."""
    printer = Printer(plan, exports, generated, templates, pdf)
    first, stop = monthview.month_bounds(year, month)
    with Store.open(db) as store:
        entries = store.entries(unit=unit, start=first, end=stop, include_removed=False)
    view = monthview.view(plan, monthview.frame(plan, year, month), entries, unit)
    return printer.page(view, force=True)


def print_window(plan: Plan, entries: list[Entry], window: tuple[date, date], exports: Path,
                 generated: date, templates: Path | None = None, pdf: bool = False) -> int:
    """Every month touching `window`, for the county and every unit; the files written.

    `entries` must cover the whole months (see `month_window`). The month's frame is computed
    once and shared by its 1 + len(units) pages.
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
    kinds = ("html", "pdf") if pdf else ("html",)
    names = {f"{u or 'county'}.{kind}" for u in units for kind in kinds}
    plan_names = repr((plan.units, plan.categories))
    for (year, month), found in by_month.items():
        frame = monthview.frame(plan, year, month)
        folder = exports / "print" / frame.key
        # Every page of the month is a function of this; when it has not changed and the
        # pages are all there, the month is skipped without building its 37 views.
        digest = hashlib.sha1(repr((frame, found, plan_names, printer.constants)).encode())
        stamp = folder / ".content"
        if _read(stamp) == digest.hexdigest() and names <= _listing(folder):
            continue
        pages = monthview.Month(plan, frame, found)
        for unit in units:
            printer.page(pages.view(unit))
        write_if_changed(stamp, digest.hexdigest().encode())
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
