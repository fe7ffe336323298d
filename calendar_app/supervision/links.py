"""Where the supervision pages point: the static export's files (`StaticLinks`) or the web
application's pages (any `Links`), and which ledgers and circulars the dashboard offers
(`offered`, from the names the exports owner reads back). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import quote

from .. import exports as layout
from ..formats.words import cn_period
from ..model import ONE_DAY, anchor


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
    """(label, path) of the summaries, ledgers and circulars among `names` (those under
    reports/), for the dashboard to offer: the period's summary first, then ledgers, then the
    last six months' circulars, newest first."""
    found = sorted(layout.documents(names), key=lambda d: d.rel, reverse=True)
    summaries = [(f"{_period_cn(d.period)}{_SUMMARY_CN[d.kind]}（Word）", d.rel) for d in found
                 if d.kind in _SUMMARY_CN]
    ledgers = [(f"{_period_cn(d.period)}台账（Excel）", d.rel) for d in found if d.kind == "ledger"]
    circulars = [d for d in found if d.kind == "circular"]
    months = sorted({d.month for d in circulars}, reverse=True)[:6]
    circulars.sort(key=lambda d: (d.month, d.suffix == ".html"), reverse=True)  # 网页, then PDF
    return summaries + ledgers + [(f"{d.month[:4]}年{int(d.month[5:7])}月通报（{_KIND_CN[d.suffix]}）", d.rel)
                      for d in circulars if d.month in months]


_KIND_CN = {".pdf": "PDF", ".html": "网页"}
_SUMMARY_CN = {"summary": "实施情况总结", "midterm": "中期评估"}


def _period_cn(period: str) -> str:
    """2025 as 2025年, 2021-2025 as 2021—2025年, a period of days (2025-01-01至2025-06-30)
    as 2025年1月1日至6月30日: what the file holds, not how it is named."""
    if len(period) == 4:
        return f"{period}年"
    if len(period) == 9:
        return f"{period[:4]}—{period[5:]}年"
    first, _, last = period.partition("至")
    try:
        return cn_period(date.fromisoformat(first), date.fromisoformat(last) + ONE_DAY)
    except ValueError:
        return period
