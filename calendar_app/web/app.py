"""The app factory: one Flask application per site, its blueprints, its store per request
(`g.store`) and its error pages.

Whatever goes wrong, a person reads a page in Chinese saying what happened and that nothing
was saved: the database away (503, 数据库暂时不可用), a full disk (507, 磁盘已满), anything
refused by HTTP itself, and any failure of ours (500). A NUL character in anything sent (a
note, a login, a file's name), which no database stores, is refused at the door (400).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import diskfull, limits
from ..errors import StoreError
from ..store.location import locate
from ..store.store import Store
from . import admin, auth, batch, coordinator, events, files, proxy, reminders, server, unit
from .coordinator import Reviews
from .refresh import Refresher
from .site import Site, refused, secret_key


class _Opened:
    """The application's one store, opened at its first request (the database may be built
    after the application is made). Its threads share it, each on its own connection."""

    def __init__(self, site: Site):
        self.site = site
        self.lock = threading.Lock()
        self.opened: Store | None = None

    def store(self) -> Store:
        with self.lock:
            if self.opened is None:
                self.opened = Store.open(self.site.db)
            return self.opened


def create_app(site: Site, refresh_in_background: bool = True, secret: bytes | None = None
               ) -> Flask:
    """The application of `site`; `secret` signs its sessions (default: the key kept beside
    its database, made on first use)."""
    app = Flask(__name__, static_folder=None)
    plan = site.plan()
    app.config.update(
        SECRET_KEY=secret or secret_key(site.private(".secret")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME=files.SESSION_COOKIE,
        # A report's files and a megabyte for its fields: waitress is told a little more
        # (cli.serve), so what is over meets this application's page, not waitress's.
        MAX_CONTENT_LENGTH=(plan.settings.evidence_mb * limits.EVIDENCE_FILES + 1) * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["site"] = site
    app.extensions["refresher"] = Refresher(site, background=refresh_in_background)
    app.extensions["reviews"] = Reviews()
    opened = _Opened(site)
    CSRFProtect(app)

    def asking() -> None:
        """Who is asking, for the frame of a page refusing the request before `auth.who`
        has run (the CSRF check, a body over the limit, a NUL): someone signed in keeps
        their menu and the way back to their home; anyone else gets the way to sign in."""
        if "account" in g:
            return
        g.account = None
        try:
            if "store" not in g:
                g.store = opened.store()
            auth.who()
        except StoreError:
            g.account = None  # the database away: the page says so for anyone

    @app.before_request
    def no_nul() -> tuple[str, int] | None:
        sent = [*request.args.values(), *request.form.values(),
                *(upload.filename or "" for upload in request.files.values())]
        if any("\x00" in text for text in sent):
            asking()
            return refused(400, "内容无法保存", "所填内容含有无法保存的控制字符（NUL），没有保存"
                           "任何内容。请删去后重新提交。")
        return None

    @app.before_request
    def open_store() -> None:
        g.store = opened.store()

    @app.teardown_request
    def release_store(_exc) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.release()

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
        asking()
        return refused(400, "页面已过期",
                       "页面已过期或来源不明，没有保存任何内容。请返回上一页，刷新后重新提交。")

    refusals = {**REFUSALS, 413: ("提交的内容太大", (
        f"提交的内容超过上限，没有保存任何内容：每次登记最多附{limits.EVIDENCE_FILES}个文件，"
        f"每个不超过{plan.settings.evidence_mb} MB。照片请压缩后分次上传。"))}
    places = _places(site)

    @app.errorhandler(HTTPException)
    def http_refused(error: HTTPException) -> Response | tuple[str, int]:
        code = error.code or 500
        if code < 400:
            return error.get_response()  # a redirect werkzeug raises (a missing slash)
        title, message = refusals.get(code, refusals[400 if code < 500 else 500])
        asking()
        return refused(code, title, message)

    @app.errorhandler(Exception)
    def failed(error: Exception) -> tuple[str, int, dict[str, str]]:
        full = diskfull.disk_full(error, places)
        if full is not None:
            log.error("a request failed, the disk is full: %s", full or error)
            return (*refused(507, "磁盘已满，本次登记未保存",
                             "服务器的磁盘已满，本次登记未保存，之前登记的内容都在。请告知管理员"
                             "清理磁盘后再提交。"), {})
        if isinstance(error, StoreError):
            log.error("a request failed, the database is away: %s", error)
            return (*refused(503, "数据库暂时不可用，请稍后再试",
                             "数据库暂时不可用，本次操作没有保存。请稍后再试。"),
                    {"Retry-After": "30"})
        log.exception("a request failed")
        return (*refused(500, *REFUSALS[500]), {})

    app.register_blueprint(auth.blueprint)
    app.register_blueprint(unit.blueprint)
    app.register_blueprint(events.blueprint)
    app.register_blueprint(batch.blueprint)
    app.register_blueprint(files.blueprint)
    app.register_blueprint(coordinator.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(reminders.blueprint)
    app.wsgi_app = files.PublicFiles(app.wsgi_app, site)  # type: ignore[method-assign]
    proxy.install(app, site)  # outermost: the public files see the request as it came too
    return app


def refusal_pages(app: Flask) -> dict[int, bytes]:
    """The pages of what the server refuses before `app` sees the request (a body over its
    limit, a malformed request), by status: made once, in the site's frame as a visitor who
    has not signed in sees it (its menu, 登录), with the server's sentences."""
    with app.test_request_context("/"):
        return {code: refused(code, title, message)[0].encode()
                for code, (title, message) in server.REFUSALS.items()}


log = logging.getLogger(__name__)

REFUSALS = {  # status -> the page's title and its sentence
    400: ("请求无法识别", "浏览器发来的请求格式不对，没有保存任何内容。请返回上一页，刷新后重试。"),
    403: ("无权操作", "本账号无权查看或登记这项内容。"),
    404: ("页面不存在", "没有找到这个页面或活动。"),
    405: ("无法这样操作", "这个页面不接受这种操作，没有保存任何内容。请从页面上的按钮操作。"),
    500: ("服务器出错", "服务器处理时出错，本次操作没有保存。请稍后再试；如一再出现，请告知县科协。"),
}


def _places(site: Site) -> list[Path]:
    """Where a full disk would show: the SQLite file (first, when the database is one), the
    evidence folder and the exports."""
    where = locate(site.db)
    return [p for p in (where.path, site.private(".files"), site.exports) if p is not None]
