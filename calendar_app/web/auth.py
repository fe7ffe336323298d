"""Signing in and out, and who the request is from.

The session cookie (signed by Flask, HttpOnly, SameSite=Lax, Secure over https) holds a
session's token; the database keeps the session (its token's digest), which every request
checks: signing out ends it there, so a copy of the cookie made before is worth nothing
after, and a session ends `accounts.SESSION` after it began in any case. A new password or a
disabled account ends every session begun before it.

A browser that signed in gets a device cookie for that login (signed, a year): its attempts
are counted apart from everyone else's, so a stranger guessing the login's password cannot
lock its owner out (see `accounts.sign_in`).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response as BaseResponse

from .. import limits
from ..formats.words import cn_date
from ..model import TZ
from ..store import accounts
from .site import page, site

blueprint = Blueprint("auth", __name__)


DEVICE_COOKIE = "calendar_device"  # + "." + the login it was signed in to
DEVICE_DAYS = 365


@blueprint.before_app_request
def who() -> None:
    g.account = None
    token = session.get("token")
    if not isinstance(token, str):
        return
    found = g.store.session(token)
    now = site().clock()
    account = g.store.account(found[0]) if found else None
    if (found is None or account is None or not account.enabled
            # a new password, or the account disabled and enabled again, since
            or session.get("since") != account.changed.isoformat()
            or now - found[1] > accounts.SESSION):
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
    name = request.form.get("login", "").strip().lower()[:limits.LOGIN]
    password = request.form.get("password", "")
    device = _device(name)
    now = site().clock()
    try:
        result = accounts.sign_in(g.store, name, password,
                                  accounts.Source(request.remote_addr or "unknown", device), now)
    except accounts.SignInRefused as refused:
        return page("web/login.html", title="登录", login=name, next=target or "",
                    error=f"登录失败次数过多，已暂停登录，请于{_moment(refused.until, now)}后再试。"
                    ), 429
    if result.account is None:
        site().pause(result.delay)  # each further wrong guess costs the guesser more time
        return page("web/login.html", title="登录", login=name, next=target or "",
                    error="用户名或密码不正确。"), 401
    session.clear()
    session["token"] = g.store.start_session(result.account.login, now,
                                             forget_before=now - accounts.SESSION)
    session["since"] = result.account.changed.isoformat()
    session.permanent = False
    answer = redirect(_safe_next(target), code=303)
    _remember_device(answer, result.account.login, device or secrets.token_urlsafe(16))
    return answer


@blueprint.route("/logout", methods=["POST"])
def logout() -> BaseResponse:
    token = session.get("token")
    if isinstance(token, str):
        g.store.end_session(token, site().clock())  # a copy of the cookie ends with it
    session.clear()
    return redirect(url_for("auth.login"), code=303)


def _signer() -> URLSafeSerializer:
    key: bytes = current_app.config["SECRET_KEY"]
    return URLSafeSerializer(key, salt="device")


def _device(login: str) -> str:
    """The device id this browser proves for `login` with its device cookie, or ""."""
    cookie = request.cookies.get(f"{DEVICE_COOKIE}.{login}")
    if not cookie or not login:
        return ""
    try:
        said = _signer().loads(cookie)
    except BadSignature:
        return ""
    if not isinstance(said, dict) or said.get("login") != login:
        return ""
    device = said.get("device")
    return device if isinstance(device, str) else ""


def _remember_device(answer: Response | BaseResponse, login: str, device: str) -> None:
    answer.set_cookie(f"{DEVICE_COOKIE}.{login}",
                      _signer().dumps({"login": login, "device": device}),
                      max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                      secure=request.is_secure)


def _moment(when: datetime, now: datetime) -> str:
    """A moment as a notice says it: 10:23 today, else with its day."""
    local = when.astimezone(TZ)
    day = "" if local.date() == now.astimezone(TZ).date() else cn_date(local.date())
    return f"{day}{local:%H:%M}"
