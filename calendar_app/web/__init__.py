"""The web application: units sign in, see their tasks, report what happened, print their
month; the coordinator sees every unit. A Flask app factory with one blueprint per audience.

Thin like the CLI: a view parses the request, checks who may do it, calls the same records,
sheets and views the commands call, and renders through the one Jinja environment of
`render` (autoescape on). It writes no SQL and no file itself: reports go through `Recorder`,
files under exports/ through `publish` (refreshed in the background, see `Refresher`),
evidence through `evidence.Files`. Feeds, the subscription page and (when the coordinator
turns it on) the printed months are served from exports/ as static files to anyone; every
other page needs a signed-in account.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from markupsafe import Markup

from ..exports import Exports
from ..formats import render
from ..model import ONE_DAY, TZ, Plan
from ..plan.reader import load_plan
from ..reports.evidence import Files
from ..store.location import target
from ..store.store import Store
from .refresh import Refresher


def _now() -> datetime:
    return datetime.now(TZ)


@dataclass
class Site:
    """What the application serves: the plan, its database, exports and evidence folder."""

    plan_path: Path
    db: str | Path  # a SQLite file, or a postgresql:// URL
    exports: Path
    clock: Callable[[], datetime] = _now  # tests pass a fixed one
    pause: Callable[[float], None] = time.sleep  # how a wrong password is held back
    _plan: tuple[float, Plan] | None = field(default=None, repr=False)

    def plan(self) -> Plan:
        """The plan, read again when its file changed."""
        stamp = self.plan_path.stat().st_mtime
        if self._plan is None or self._plan[0] != stamp:
            self._plan = (stamp, load_plan(self.plan_path))
        return self._plan[1]

    def out(self) -> Exports:
        return Exports(self.exports, self.plan().settings.base_url)

    def files(self) -> Files:
        return Files(self.private(".files"), self.plan().settings.evidence_mb)

    def private(self, suffix: str) -> Path:
        """Where something that must stay private is kept: beside a SQLite database, or
        beside the plan when the database is on a server (one plan folder per county)."""
        where = target(self.db)
        base = where.path if where.sqlite else Path(self.plan_path).parent / "calendar.db"
        return base.with_suffix(suffix)


def secret_key(path: Path) -> bytes:
    """The key that signs session cookies: made once, kept beside the database (not in
    exports/, which is public), readable by its owner alone."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "xb") as handle:  # two processes starting at once keep one key
            path.chmod(0o600)
            handle.write(key)
    except FileExistsError:
        return path.read_bytes()
    return key


def create_app(site: Site, refresh_in_background: bool = True) -> Flask:
    from . import auth, coordinator, events, files, unit

    app = Flask(__name__, static_folder=None)
    plan = site.plan()
    app.config.update(
        SECRET_KEY=secret_key(site.private(".secret")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=plan.settings.base_url.startswith("https://"),
        SESSION_COOKIE_NAME="calendar_session",
        MAX_CONTENT_LENGTH=(plan.settings.evidence_mb * 10 + 1) * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["site"] = site
    app.extensions["refresher"] = Refresher(site, background=refresh_in_background)
    CSRFProtect(app)

    @app.before_request
    def open_store() -> None:
        g.store = Store.open(site.db)

    @app.teardown_request
    def close_store(_exc) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def csrf_refused(error):
        return page("web/error.html", title="页面已过期",
                    message="页面已过期或来源不明，没有保存任何内容。请返回上一页，刷新后重新提交。"), 400

    for status, title, message in (
            (403, "无权操作", "本账号无权查看或登记这项内容。"),
            (404, "页面不存在", "没有找到这个页面或活动。"),
            (413, "文件太大", f"上传的文件太大：单个文件不超过 {plan.settings.evidence_mb} MB。")):
        app.register_error_handler(status, _error_page(status, title, message))

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(unit.blueprint)
    app.register_blueprint(events.blueprint)
    app.register_blueprint(files.blueprint)
    app.register_blueprint(coordinator.blueprint)
    app.wsgi_app = files.PublicFiles(app.wsgi_app, site)
    return app


def _error_page(status: int, title: str, message: str):
    def handler(_error):
        return page("web/error.html", title=title, message=message), status
    return handler


def site() -> Site:
    from flask import current_app
    return current_app.extensions["site"]


def refresher() -> Refresher:
    from flask import current_app
    return current_app.extensions["refresher"]


def page(template: str, **context) -> str:
    """A page through the one Jinja environment, with what every page's frame needs."""
    plan = site().plan()
    account = g.get("account")
    return render.render(template, plan_name=plan.name, plan=plan, account=account,
                         unit_name=_unit_name(plan, account), path=request.path,
                         csrf_token=Markup(generate_csrf()), one_day=ONE_DAY, **context)


def _unit_name(plan: Plan, account) -> str:
    if account is None:
        return ""
    if account.coordinator:
        return "县科协（统筹）"
    return plan.units[account.unit].name if account.unit in plan.units else account.unit
