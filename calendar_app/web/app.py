"""The app factory: one Flask application per site, its blueprints, its store per request
(`g.store`) and its error pages."""

from __future__ import annotations

import threading

from flask import Flask, g
from flask_wtf.csrf import CSRFError, CSRFProtect

from ..store.store import Store
from . import admin, auth, coordinator, events, files, proxy, unit
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


def create_app(site: Site, refresh_in_background: bool = True) -> Flask:
    app = Flask(__name__, static_folder=None)
    plan = site.plan()
    app.config.update(
        SECRET_KEY=secret_key(site.private(".secret")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME=files.SESSION_COOKIE,
        MAX_CONTENT_LENGTH=(plan.settings.evidence_mb * 10 + 1) * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    app.extensions["site"] = site
    app.extensions["refresher"] = Refresher(site, background=refresh_in_background)
    app.extensions["reviews"] = Reviews()
    opened = _Opened(site)
    CSRFProtect(app)

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
        return refused(400, "页面已过期",
                       "页面已过期或来源不明，没有保存任何内容。请返回上一页，刷新后重新提交。")

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
    app.register_blueprint(admin.blueprint)
    app.wsgi_app = files.PublicFiles(app.wsgi_app, site)  # type: ignore[method-assign]
    proxy.install(app, site)  # outermost: the public files see the request as it came too
    return app


def _error_page(status: int, title: str, message: str):
    def handler(_error):
        return refused(status, title, message)
    return handler
