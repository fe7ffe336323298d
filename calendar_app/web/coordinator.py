"""The coordinator's pages: the supervision dashboard (lights, ranking, heat map, findings)
linking to every unit's and event's own pages, and the period's summary, the ledger and the
monthly circular made on request for download.

The dashboard is the one `calendar-app build` writes to exports/gaps/, with links into the
application instead of the printed files; it is judged afresh only when something was
reported (or the day changed), since it reads every event of the plan.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, request

from .. import months
from ..formats.render import render
from ..model import ONE_DAY, Plan
from ..supervision.report import percent
from .auth import coordinator_only
from .channels import panel
from .site import download, framed, refused, site
from .site import page as site_page

blueprint = Blueprint("coordinator", __name__)
AWAITING_SHOWN = 5  # reports awaiting review the dashboard names; /reviews lists them all
AWAITING_LISTED = 500


@dataclass(frozen=True)
class WebLinks:
    """Where the dashboard points inside the application."""

    def event(self, uid: str, unit: str, day: date) -> str:
        return f"/events/{quote(uid, safe='/')}"

    def month(self, unit: str, month: str) -> str:
        return f"/month/{month}?unit={quote(unit)}"

    def data(self) -> str:
        return "/dashboard.json"


def documents(plan: Plan, today: date) -> list[tuple[str, str]]:
    """What the dashboard offers to download, each named by the year or month it holds:
    after the plan's end "本年度" and "上月" would be a year and a month outside it."""
    month = circular_month(plan, today)
    circular = f"{month.year}年{month.month}月通报"
    return [("实施情况总结（Word）", "/summary.docx"),
            (f"{ledger_year(plan, today)}年台账（Excel）", "/ledger.xlsx"),
            ("全期台账（Excel）", "/ledger.xlsx?whole=1"), (f"{circular}（PDF）", "/circular.pdf"),
            (f"{circular}（网页）", "/circular"), ("各月通报", "/circulars")]


def ledger_year(plan: Plan, today: date) -> int:
    """The year /ledger.xlsx gives without `?year=`: this one, or the plan's nearest."""
    return min(max(today.year, plan.start.year), plan.last.year)


def circular_month(plan: Plan, today: date) -> date:
    """The month /circular gives without `?month=` (its first day): the month before this
    one, or the plan's nearest."""
    return months.within(today.replace(day=1) - ONE_DAY, plan.start, plan.end).replace(day=1)


class Reviews:
    """The last review made, kept while the database and the day are the same: the app's
    own (`app.extensions["reviews"]`), so two applications in one process never share it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.kept: tuple | None = None

    def get(self, store, plan, today: date):
        from ..supervision.lights import review

        key = (store.generation(), today, id(plan))
        with self.lock:
            if self.kept is not None and self.kept[0] == key:
                return self.kept[1:]
        entries, reports = store.entries(), store.reports()
        made = (review(plan, entries, today, reports=reports), entries, reports)
        with self.lock:
            self.kept = (key, *made)
        return made


def reviews() -> Reviews:
    return current_app.extensions["reviews"]


@blueprint.route("/dashboard")
@coordinator_only
def dashboard():
    return Response(dashboard_page(), mimetype="text/html")


def dashboard_page(panel_url: str = "", panel_error: str = "") -> str:
    """The dashboard with the application's frame and the reminders' part (催办与提醒渠道);
    `panel_url` and `panel_error`: an address for the coordinator's channel that was refused."""
    from ..supervision.dashboard import page

    plan, today = site().plan(), site().clock().date()
    review, entries, _ = reviews().get(g.store, plan, today)
    count, oldest = g.store.awaiting_review(AWAITING_SHOWN)
    below = render("web/_awaiting.html", count=count, oldest=oldest, plan=plan)
    # An ended period's archive urges no one: its reminders' part is left out.
    reminders = "" if site().archive else panel(review, panel_url, panel_error)
    return framed(page(review, plan, entries, WebLinks(), documents(plan, today), reminders),
                  below)


@blueprint.route("/reviews")
@coordinator_only
def awaiting():
    """待复核: every report filed and not yet reviewed, the oldest first."""
    count, oldest = g.store.awaiting_review(AWAITING_LISTED)
    return site_page("web/reviews.html", title="待复核", count=count, oldest=oldest)


@blueprint.route("/units")
@coordinator_only
def units():
    """各单位: every unit with its light, completion rate and overdue count as the dashboard
    judges them, its accounts and reminder channels, and the way into its own pages."""
    from ..remind.channels import SERVICE_CN

    plan = site().plan()
    review, _, _ = reviews().get(g.store, plan, site().clock().date())
    standing = {s.id: s for s in review.units}
    accounts: dict[str, list] = {}
    for account in g.store.accounts():
        accounts.setdefault(account.unit or "", []).append(account)
    channels: dict[str, list] = {}
    for channel in g.store.channels():
        channels.setdefault(channel.unit, []).append(channel)
    rows = [(unit, standing.get(unit.id), accounts.get(unit.id, []), channels.get(unit.id, []))
            for unit in plan.units.values()]
    return site_page("web/units.html", title="各单位", rows=rows, review=review,
                     month=f"{months.within(site().clock().date(), plan.start, plan.end):%Y-%m}",
                     percent=percent, service_cn=SERVICE_CN)


@blueprint.route("/circulars")
@coordinator_only
def circulars():
    """Every month's circular made so far: each month of the plan that has ended."""
    plan = site().plan()
    today = site().clock().date()
    ended = [first for first in months.firsts(plan.start, plan.end)
             if months.following(first) <= today]
    return site_page("web/circulars.html", title="通报", months=ended[::-1])


@blueprint.route("/dashboard.json")
@coordinator_only
def dashboard_data():
    from ..supervision.report import as_json

    review, _, _ = reviews().get(g.store, site().plan(), site().clock().date())
    return Response(as_json(review), mimetype="application/json")


@blueprint.route("/ledger.xlsx")
@coordinator_only
def ledger_download():
    """This year's ledger, or the whole plan period's with `?whole=1` (`?year=` for another)."""
    from ..supervision import ledger
    from ..supervision.lights import review

    plan = site().plan()
    today = site().clock().date()
    first_year, last_year = plan.start.year, plan.last.year
    if request.args.get("whole"):
        first, stop, name = plan.start, plan.end, f"{first_year}-{last_year}"
    else:
        wanted = request.args.get("year", "")
        year = int(wanted) if wanted.isascii() and wanted.isdigit() and len(wanted) <= 4 \
            else None if wanted else ledger_year(plan, today)
        if year is None or not first_year <= year <= last_year:
            years = f"{first_year}年" + (f"至{last_year}年" if last_year > first_year else "")
            return refused(404, "没有这一年的台账",
                           f"台账按实施方案的年份提供（{years}），请从督查看板选择年份下载。")
        first, stop, name = date(year, 1, 1), date(year + 1, 1, 1), str(year)
    first, stop = max(first, plan.start), min(stop, plan.end)
    entries, reports = g.store.entries(), g.store.reports()
    book = ledger.workbook(review(plan, entries, today, first, stop, reports=reports), plan,
                           entries, reports)
    return Response(book, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={"Content-Disposition": download(
                        f"台账-{name}.xlsx", f"ledger-{name}.xlsx")})


@blueprint.route("/summary.docx")
@coordinator_only
def summary_download():
    """The period's summary as of today (a mid-term review while the period runs)."""
    from .. import exports
    from ..supervision import summary

    plan = site().plan()
    review, entries, reports = reviews().get(g.store, plan, site().clock().date())
    rel = exports.summary(plan.start, plan.end, summary.final(review, plan))
    return Response(summary.document(review, plan, entries, reports),
                    mimetype="application/vnd.openxmlformats-officedocument."
                    "wordprocessingml.document",
                    headers={"Content-Disposition": download(
                        rel.rsplit("/", 1)[1],
                        f"summary-{plan.start.year}-{plan.last.year}.docx")})


@blueprint.route("/circular")
@blueprint.route("/circular.pdf")
@coordinator_only
def circular_download():
    """The circular of a month (`?month=YYYY-MM`, default: the month before this one)."""
    from ..supervision import circular

    plan = site().plan()
    today = site().clock().date()
    wanted = request.args.get("month")
    if wanted:
        try:
            first = date.fromisoformat(wanted + "-01")
        except ValueError:
            abort(404)
    else:
        first = circular_month(plan, today)
    if not (first < plan.end and months.following(first) > plan.start):
        abort(404)
    html = circular.page(plan, g.store.entries(), first, today, g.store.reports())
    if request.path.endswith(".pdf"):
        return Response(circular.pdf(html), mimetype="application/pdf", headers={
            "Content-Disposition": download(f"通报-{first:%Y-%m}.pdf",
                                            f"circular-{first:%Y-%m}.pdf", inline=True)})
    return Response(framed(html), mimetype="text/html")
