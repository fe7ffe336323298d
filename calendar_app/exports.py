"""The exports folder's one owner: where each output lives, its address, and how it is written.

Everything under exports/ is a view of the database, rebuilt at will, and may be served to
the public as static files. This module alone knows

- the layout: `feeds/<unit|all|category-X>.ics`, `index.html` (how to subscribe),
  `print/YYYY-MM/<unit|county>.html` (and `.pdf`), `gaps/index.html` and `gaps/gaps.json`,
  `reports/<unit>-YYYY-MM.csv` (and `.xlsx`), the ledger `reports/台账-….xlsx`, the
  circular `reports/通报-YYYY-MM.html` (and `.pdf`) and the period's summary
  `reports/实施情况总结-2021-2025.docx` (`中期评估-…` while the period runs), and so the names
  a unit id must not take;
- the addresses: a file's URL under `settings.base_url`, and relative links between files;
- the writing: every file lands whole (a temporary file renamed over it) or not at all, and an
  unchanged file is left alone, so its mtime (and every HTTP cache keyed on it) stays put;
- the day the published files are as of (`.day`, written with the feeds), which later
  refreshes keep to;
- the caches that let a build skip work, and when they go stale: `.views` (the key of the
  build that wrote everything; any other write clears it), each month folder's `.content`
  (the digest of each page in it); `feeds/.events.json`, a cache of earlier versions, is
  removed. Hidden files are never served.
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Literal, NamedTuple, Protocol

FEEDS = "feeds"
INDEX = "index.html"
GAPS_PAGE = "gaps/index.html"
GAPS_JSON = "gaps/gaps.json"
COUNTY_FEED = "all"
COUNTY_PAGE = "county"
CATEGORY = "category-"
VIEWS = ".views"
DAY = ".day"  # the day the feeds (and with them every day-dependent view) were written for
MANIFEST = ".content"
MEMO = ".events.json"  # the feed cache of earlier versions: removed when found
# What a printed page says it shows, in its <head>: read when the manifest cannot be trusted.
_PAGE_DIGEST = re.compile(rb'<meta name="calendar-app-content" content="([0-9a-f]+)">')


class Page(Protocol):
    """A printed page as `printed.pages.Page` makes it: its path, its digest, its HTML on demand."""

    @property
    def path(self) -> str: ...

    @property
    def digest(self) -> str: ...

    def html(self) -> str: ...


class Pdf(Protocol):
    wanted: bool  # a PDF of every page, not only of pages that had one

    def __call__(self, html: str) -> bytes: ...


def reserved(unit_id: str) -> bool:
    """Whether a unit id would take the name of one of the county's own files."""
    return unit_id in (COUNTY_FEED, COUNTY_PAGE) or unit_id.startswith(CATEGORY)


def feed(key: str) -> str:
    """A feed's path: `key` is a unit id, COUNTY_FEED, or CATEGORY + a category code."""
    return f"{FEEDS}/{key}.ics"


def page(month: str, unit: str | None, suffix: str = ".html") -> str:
    """A printed month (`month` as YYYY-MM) of a unit, or of the county when `unit` is None."""
    return f"print/{month}/{unit or COUNTY_PAGE}{suffix}"


def sheet(unit: str, month: str, suffix: str) -> str:
    return f"reports/{unit}-{month}{suffix}"


def ledger(start: date, end: date) -> str:
    """The ledger of [start, end): 台账-2025.xlsx for a year, 台账-2021-2025.xlsx for whole
    years, else named by its first and last day."""
    last = date.fromordinal(end.toordinal() - 1)
    if (start.month, start.day, last.month, last.day) == (1, 1, 12, 31):
        years = str(start.year) if start.year == last.year else f"{start.year}-{last.year}"
        return f"reports/台账-{years}.xlsx"
    return f"reports/台账-{start}至{last}.xlsx"


def circular(month: date, suffix: str) -> str:
    """The circular of the month starting `month` (`suffix` .html or .pdf)."""
    return f"reports/通报-{month:%Y-%m}{suffix}"


SUMMARY = "实施情况总结"
MIDTERM = "中期评估"


def summary(start: date, end: date, final: bool) -> str:
    """The period's summary: 实施情况总结-2021-2025.docx once the plan has ended (`final`),
    中期评估-2021-2025.docx while it runs, so a mid-term review never takes the final's name."""
    last = date.fromordinal(end.toordinal() - 1)
    return f"reports/{SUMMARY if final else MIDTERM}-{start.year}-{last.year}.docx"


class Document(NamedTuple):
    """A ledger, circular or summary found under reports/: `period` is a ledger's (2025,
    2021-2025, or its first and last day) or a summary's (2021-2025), `month` a circular's
    (2025-06); `rel` its path."""

    kind: Literal["ledger", "circular", "summary", "midterm"]
    rel: str
    period: str = ""
    month: str = ""
    suffix: str = ""


def documents(names: Iterable[str]) -> list[Document]:
    """The ledgers and circulars among the names of reports/ (see `ledger`, `circular`)."""
    found = []
    for name in names:
        if name.startswith("台账-") and name.endswith(".xlsx"):
            found.append(Document("ledger", f"reports/{name}", period=name[3:-5], suffix=".xlsx"))
        elif name.startswith("通报-") and name.endswith((".html", ".pdf")):
            stem, _, suffix = name.rpartition(".")
            found.append(Document("circular", f"reports/{name}", month=stem[3:], suffix=f".{suffix}"))
        elif name.endswith(".docx") and name.startswith((f"{SUMMARY}-", f"{MIDTERM}-")):
            kind: Literal["summary", "midterm"] = "summary" if name.startswith(SUMMARY) else \
                "midterm"
            word = SUMMARY if kind == "summary" else MIDTERM
            found.append(Document(kind, f"reports/{name}", period=name[len(word) + 1:-5],
                                  suffix=".docx"))
    return found


def link(source: str, target: str, anchor: str = "") -> str:
    """A relative link from the file `source` to the file `target` (both paths under exports/)."""
    href = posixpath.relpath(target, posixpath.dirname(source) or ".")
    return f"{href}#{anchor}" if anchor else href


class Exports:
    """One exports folder, and the public address (`base_url`) it is served from."""

    def __init__(self, root: str | Path, base_url: str = ""):
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")
        self.written: list[str] = []
        self._fresh = False  # whether .views has been cleared by this writer already

    def path(self, rel: str) -> Path:
        return self.root / rel

    def url(self, rel: str) -> str:
        return f"{self.base_url}/{rel}"

    def webcal(self, rel: str) -> str:
        return "webcal://" + self.url(rel).split("://", 1)[-1]

    # -- writing ---------------------------------------------------------------------------

    def write(self, rel: str, data: bytes) -> bool:
        """Write `data` at `rel` unless the file already holds exactly that; True if written.

        The first write of a writer clears `.views`: the folder no longer is what the last
        build's key describes (a page printed with other templates, feeds of another day).
        """
        if not self._fresh:
            self.path(VIEWS).unlink(missing_ok=True)
            self._fresh = True
        if write_if_changed(self.path(rel), data):
            self.written.append(rel)
            return True
        return False

    def write_all(self, files: dict[str, bytes]) -> int:
        return sum(self.write(rel, data) for rel, data in files.items())

    def remove(self, rel: str) -> bool:
        try:
            self.path(rel).unlink()
        except FileNotFoundError:
            return False
        return True

    def listing(self, folder: str) -> set[str]:
        """The names in one folder of the exports (empty when it does not exist)."""
        try:
            return set(os.listdir(self.path(folder)))
        except (FileNotFoundError, NotADirectoryError):
            return set()

    # -- printed pages ---------------------------------------------------------------------

    def publish_month(self, month: str, pages: list[Page], pdf: Pdf) -> int:
        """Every page of a month folder whose digest changed (with its PDF), then the folder's
        manifest; a month whose manifest matches, with its files there, is not even opened.
        Returns the files written."""
        before = len(self.written)
        files = self.listing(f"print/{month}")
        digests = {_stem(p.path): p.digest for p in pages}
        kinds = (".html", ".pdf") if pdf.wanted else (".html",)
        stored = self.manifest(month)
        if stored == digests and {s + k for s in digests for k in kinds} <= files:
            return 0
        for page in pages:
            self._publish(page, pdf, files, stored.get(_stem(page.path)), force=False)
        self.save_manifest(month, digests)
        return len(self.written) - before

    def publish_page(self, page: Page, pdf: Pdf) -> list[Path]:
        """One page written afresh (and its PDF when wanted); the paths of both. Its digest
        goes into the month's manifest, so a build with other templates still redoes it."""
        month = page.path.split("/")[1]
        paths = self._publish(page, pdf, None, None, force=True)
        self.save_manifest(month, {**self.manifest(month), _stem(page.path): page.digest})
        return paths

    def _publish(self, page: Page, pdf: Pdf, files: set[str] | None, known: str | None,
                 force: bool) -> list[Path]:
        """`files` and `known`, when given, are what the month's folder held and the digest
        its manifest gave this page, read once for the whole month."""
        html_rel = page.path
        pdf_rel = html_rel.removesuffix(".html") + ".pdf"
        html = None
        changed = False
        if force or not self._current(html_rel, page.digest, files, known):
            html = page.html()
            changed = self.write(html_rel, html.encode())
        paths = [self.path(html_rel)]
        name = pdf_rel.rsplit("/", 1)[1]
        had_pdf = name in files if files is not None else self.path(pdf_rel).exists()
        # A PDF made earlier (by `print --pdf`) is remade with its page, even when this run
        # was not asked for PDFs: a PDF that disagrees with the plan must not circulate.
        if pdf.wanted or (changed and had_pdf):
            if changed or force or not had_pdf:
                if html is None:
                    html = self.path(html_rel).read_text(encoding="utf-8")
                self.write(pdf_rel, pdf(html))
            paths.append(self.path(pdf_rel))
        return paths

    def _current(self, rel: str, digest: str, files: set[str] | None, known: str | None) -> bool:
        """Whether the page on disk already shows `digest`: the month's manifest says so (and
        the file is there), or failing that the page's own meta tag does."""
        if files is not None and rel.rsplit("/", 1)[1] not in files:
            return False
        if known == digest:
            return True
        try:
            with self.path(rel).open("rb") as handle:
                found = _PAGE_DIGEST.search(handle.read(1024))
        except FileNotFoundError:
            return False
        return found is not None and found[1].decode() == digest

    # -- caches ----------------------------------------------------------------------------

    def day(self) -> date | None:
        """The day the published feeds were written for (None: never written, or by an
        earlier version): what a refresh after a report writes them as of."""
        text = _read(self.path(DAY))
        try:
            return date.fromisoformat(text.strip()) if text else None
        except ValueError:
            return None

    def built_for(self, day: date) -> None:
        write_if_changed(self.path(DAY), day.isoformat().encode())

    def current(self, key: str) -> bool:
        """Whether the last build with this key wrote everything and nothing wrote since."""
        return _read(self.path(VIEWS)) == key

    def complete(self, key: str) -> None:
        """Everything under exports/ is now what `key` describes."""
        write_if_changed(self.path(VIEWS), key.encode())
        self._fresh = False

    def manifest(self, month: str) -> dict[str, str]:
        """The digest of every page of a month folder, as the last writer left them."""
        text = _read(self.path(f"print/{month}/{MANIFEST}")) or ""
        return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)

    def save_manifest(self, month: str, digests: dict[str, str]) -> None:
        text = "".join(f"{stem} {digest}\n" for stem, digest in digests.items())
        write_if_changed(self.path(f"print/{month}/{MANIFEST}"), text.encode())


def _stem(rel: str) -> str:
    return rel.rsplit("/", 1)[1].rsplit(".", 1)[0]


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        return None


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that.

    Returns True when the file was written. A temporary file in the same folder is renamed
    over the target, so a reader (or a subscribing client) never sees half a file. There is
    no fsync: everything under exports/ is rebuilt from the database, which is what must
    survive a power cut, and an fsync per file made a cold build of 2,000 pages seconds slower.
    """
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; the files are served and shared
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True
