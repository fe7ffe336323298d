"""Ended plan periods beside the current one. Each ended period is served read-only under
/periods/<first>-<last>/ from its own plan folder (its database, evidence and exports, left as
they are: its archive), with its own sign-in; the current period keeps every other address,
the feeds included. Every page carries the switcher: 2026—2030 | 2021—2025（已结束）.

The archived application is the same application as the current one, mounted under a prefix:
its pages' links (written from the root) are given the prefix on the way out, and anything but
reading (a report, an upload, a reset) is refused with a page saying the period has ended.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import Flask, request
from markupsafe import escape

from ..errors import CalendarAppError
from ..model import Plan
from ..store.store import Store
from .app import create_app
from .site import Site, refused

PREFIX = "/periods/"
READING = ("GET", "HEAD")
SIGN_IN = ("/login", "/logout")  # an archive has its own accounts: signing in is reading
_LINK = re.compile(r'((?:href|action|src)=")/(?!/)')
_BODY = re.compile(r"<body[^>]*>")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Period:
    """One period the server shows: its key (2021-2025), its label, where it is served."""

    key: str
    label: str
    prefix: str  # "" for the current period
    ended: bool


def period_of(plan: Plan, today: date, prefix: str = "") -> Period:
    first, last = plan.start.year, plan.last.year
    ended = today >= plan.end
    label = f"{first}—{last}" + ("（已结束）" if ended else "")
    return Period(f"{first}-{last}", label, prefix, ended)


def archived_app(site: Site, current: Plan, secret: bytes) -> tuple[Flask, Period]:
    """The application of an ended period's `site`, read-only, for mounting under its prefix;
    its sessions signed with the current application's `secret`, so nothing is written into
    the archive. ValueError when the period does not end before `current` starts."""
    plan = site.plan()
    if plan.end > current.start:
        raise ValueError(f"{site.plan_path} runs {plan.start} to {plan.last}, not "
                         f"before the current plan's {current.start}: only an earlier period "
                         "is shown beside it")
    period = period_of(plan, site.clock().date(), f"{PREFIX}{plan.start.year}-"
                                                  f"{plan.last.year}")
    app = create_app(site, refresh_in_background=False, secret=secret)
    # Its own session, sent only under its prefix: the two periods' accounts are apart.
    app.config.update(SESSION_COOKIE_NAME=f"calendar_session_{period.key}",
                      SESSION_COOKIE_PATH=period.prefix)

    @app.before_request
    def read_only() -> Any:
        if request.method not in READING and request.path not in SIGN_IN:
            return refused(403, "实施期已结束",
                           f"{period.label}实施期已结束，这里是它的存档，只能查看，不能再登记、"
                           "修改或上传。当前实施期的登记请回到本系统首页。")
        return None

    return app, period


class Periods:
    """The WSGI application of the current period with the ended ones mounted beside it."""

    def __init__(self, current: WSGIApp, period: Period,
                 archives: list[tuple[WSGIApp, Period]]):
        self.current = current
        self.period = period
        self.archives = archives

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        app, period = self.current, self.period
        for archive, archived in self.archives:
            if path == archived.prefix or path.startswith(archived.prefix + "/"):
                environ = {**environ, "SCRIPT_NAME": environ.get("SCRIPT_NAME", "") +
                           archived.prefix, "PATH_INFO": path[len(archived.prefix):] or "/"}
                app, period = archive, archived
                break
        if not self.archives:
            return app(environ, start_response)
        return self._shown(app, period, environ, start_response)

    def _shown(self, app: WSGIApp, period: Period, environ: dict[str, Any],
               start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The response, its pages with the switcher and (in an archive) links under the
        prefix; anything else (a feed, a PDF, a download) passes as it is."""
        caught: list[Any] = []

        def catch(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            caught[:] = [status, headers, exc_info]
            return lambda data: None  # the bodies used here are returned, not written

        body = app(environ, catch)
        status, headers, exc_info = caught
        kind = next((v for k, v in headers if k.lower() == "content-type"), "")
        if period.prefix:
            headers = [(k, self._located(v, period)) if k.lower() == "location" else (k, v)
                       for k, v in headers]
        if not kind.startswith("text/html"):
            start_response(status, headers, exc_info)
            return body
        try:
            html = b"".join(body).decode("utf-8")
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        if period.prefix:
            html = _LINK.sub(lambda m: f"{m[1]}{period.prefix}/", html)
        html = _BODY.sub(lambda m: m[0] + self._switcher(period), html, count=1)
        data = html.encode("utf-8")
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(data))))
        start_response(status, headers, exc_info)
        return [data]

    @staticmethod
    def _located(value: str, period: Period) -> str:
        if value.startswith("/") and not value.startswith("//") and \
                not (value == period.prefix or value.startswith(period.prefix + "/")):
            return period.prefix + value
        return value

    def _switcher(self, shown: Period) -> str:
        """实施期：2026—2030 | 2021—2025（已结束）, the one shown in bold; an archive says it
        is one (its pages leave out the forms it would refuse: the templates' `archive`)."""
        links = []
        for period in [self.period, *(p for _, p in self.archives)]:
            label = escape(period.label)
            if period == shown:
                links.append(f"<strong>{label}</strong>")
            else:
                links.append(f'<a href="{period.prefix or "/"}">{label}</a>')
        bar = ('<nav class="periods noprint" style="padding:.3rem .8rem;background:#f4efe6;'
               'font-size:.9rem">实施期：' + "　".join(links) + "</nav>")
        if shown.prefix:
            bar += ('<div class="noprint" style="padding:.3rem .8rem;background:#fff3cd">'
                    f"{escape(shown.label)}实施期存档：只能查看，不能登记。</div>")
        return bar


def with_archives(app: Flask, site: Site, plans: list[Path]) -> tuple[WSGIApp, list[Flask]]:
    """The current application `app` with the ended periods whose plan files are `plans`
    beside it (each with its database and exports beside its plan, as `build` left them),
    and the archived applications (to close with the current one). CalendarAppError when
    one cannot be shown."""
    current = site.plan()
    today = site.clock().date()
    mounted: list[tuple[WSGIApp, Period]] = []
    apps = []
    for path in plans:
        home = path.parent
        archive = Site(path, home / "calendar.db", home / "exports", clock=site.clock,
                       training=site.training, archive=True)
        try:
            Store.open(archive.db).close()  # no database there: say so now
            made, period = archived_app(archive, current, app.config["SECRET_KEY"])
        except ValueError as exc:
            raise CalendarAppError(str(exc)) from None
        if any(p.key == period.key for _, p in mounted):
            raise CalendarAppError(f"{path}: the period {period.key} is given twice")
        mounted.append((made, period))
        apps.append(made)
    return Periods(app, period_of(current, today), mounted), apps
