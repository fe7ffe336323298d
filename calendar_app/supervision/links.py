"""The supervision pages as files: where the pages link to, which ledgers and circulars the
dashboard offers, and the dashboard with its data (`files`, pure: plan, entries, `today` and
the history's reports in, {path under exports/: bytes} out; `publish.gaps` writes them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import quote

from .. import exports as layout
from ..model import Entry, Plan, Reported, anchor


class Links(Protocol):
    """Where the supervision pages point: the static export's files (StaticLinks), or the
    web application's own pages."""

    def event(self, uid: str, unit: str, day: date) -> str: ...
    def month(self, unit: str, month: str) -> str: ...
    def data(self) -> str: ...


@dataclass(frozen=True)
class StaticLinks:
    """Where exports/gaps/index.html points, relative to it."""

    def event(self, uid: str, unit: str, day: date) -> str:
        """An event's row on its unit's printed month (its status and what was recorded)."""
        return layout.link(layout.GAPS_PAGE, layout.page(f"{day:%Y-%m}", unit), anchor(uid))

    def month(self, unit: str, month: str) -> str:
        return layout.link(layout.GAPS_PAGE, layout.page(month, unit))

    def document(self, rel: str) -> str:
        """A ledger or circular under exports/ (names with Chinese in them, quoted)."""
        return quote(layout.link(layout.GAPS_PAGE, rel))

    def data(self) -> str:
        return layout.link(layout.GAPS_PAGE, layout.GAPS_JSON)


def offered(names: set[str]) -> list[tuple[str, str]]:
    """(label, path) of the ledgers and circulars among `names` (those under reports/), for
    the dashboard to offer: ledgers first, then the last six months' circulars, newest first."""
    ledgers, circulars = [], []
    for name in sorted(names, reverse=True):
        if name.startswith("台账-") and name.endswith(".xlsx"):
            period = name[3:-5]
            said = (f"{period}年" if len(period) == 4 else
                    f"{period[:4]}—{period[5:]}年" if len(period) == 9 else period)
            ledgers.append((f"{said}台账（Excel）", f"reports/{name}"))
        elif name.startswith("通报-") and name.endswith((".html", ".pdf")):
            year, month = name[3:7], name[8:10]
            kind = "PDF" if name.endswith(".pdf") else "网页"
            circulars.append((name[3:10], f"{year}年{int(month)}月通报（{kind}）", f"reports/{name}"))
    months = sorted({c[0] for c in circulars}, reverse=True)[:6]
    circulars.sort(key=lambda c: (c[0], c[2].endswith(".html")), reverse=True)  # 网页, then PDF
    return ledgers + [(label, rel) for month, label, rel in circulars if month in months]


def files(plan: Plan, entries: list[Entry], today: date,
          reports: Mapping[str, Reported] | None = None,
          documents: list[tuple[str, str]] = ()) -> dict[str, bytes]:
    """The dashboard and its data as of `today`; `documents` ((label, path) of the ledgers and
    circulars made so far, see `offered`) are what the dashboard offers for download. They are
    made on request (`export ledger`, `export circular`): the ledger alone takes a second to
    write, more than a whole build may spend on the report after every change."""
    from . import dashboard, lights
    from . import report as gapviews

    review = lights.review(plan, entries, today, reports=reports)
    links = StaticLinks()
    shown = [(label, links.document(rel)) for label, rel in documents]
    return {layout.GAPS_PAGE: dashboard.page(review, plan, entries, links, shown).encode(),
            layout.GAPS_JSON: gapviews.as_json(review).encode()}
