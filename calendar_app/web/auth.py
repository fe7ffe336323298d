"""Signing in and out, and who the request is from.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax, Secure behind https) holds the
login and when the account last changed; a new password or a disabled account therefore ends
every session made before it.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, redirect, request, session, url_for

from ..store import accounts
from .site import page, site

blueprint = Blueprint("auth", __name__)


@blueprint.before_app_request
def who() -> None:
    g.account = None
    login = session.get("login")
    if login is None:
        return
    account = g.store.account(login)
    if account is None or not account.enabled or session.get("since") != account.changed.isoformat():
        session.clear()
        return
    g.account = account


def signed_in(view):
    """Anonymous requests go to the sign-in page and come back afterwards."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.account is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def coordinator_only(view):
    @wraps(view)
    @signed_in
    def wrapper(*args, **kwargs):
        if not g.account.coordinator:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never send someone elsewhere after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return url_for("unit.home")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("unit.home")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    target = request.values.get("next")
    if request.method == "GET":
        if g.account is not None:
            return redirect(_safe_next(target))
        return page("web/login.html", title="登录", login="", error="", next=target or "")
    name = request.form.get("login", "").strip().lower()
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    try:
        result = accounts.sign_in(g.store, name, password, address, site().clock())
    except accounts.SignInRefused as refused:
        minutes = int(refused.wait.total_seconds() // 60)
        return page("web/login.html", title="登录", login=name, next=target or "",
                    error=f"登录失败次数过多，请 {minutes} 分钟后再试。"), 429
    if result.account is None:
        site().pause(result.delay)  # each further wrong guess costs the guesser more time
        return page("web/login.html", title="登录", login=name, next=target or "",
                    error="用户名或密码不正确。"), 401
    session.clear()
    session["login"] = result.account.login
    session["since"] = result.account.changed.isoformat()
    session.permanent = False
    return redirect(_safe_next(target), code=303)


@blueprint.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"), code=303)
