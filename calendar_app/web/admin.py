"""账号管理: the coordinator's accounts page. Add an account for a unit's staff member or for
the coordinator, give one a new password, disable or enable it: the same verbs as `calendar-app
accounts`, each kept in the accounts' history with the coordinator's login.

A new password is shown once, on the page that answers the form, and kept nowhere but as its
hash: not in the session cookie (a flashed message would put it there), not in a redirect.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, get_flashed_messages, redirect, request

from ..errors import StoreError
from ..formats.words import ACCOUNT_ACTION_CN, account_unit
from ..store import accounts as users
from .auth import coordinator_only
from .events import Form
from .site import page, site

blueprint = Blueprint("admin", __name__)
COORDINATOR = "coordinator"  # the unit field's value for a coordinator's account
HISTORY = 50  # changes the page lists


@blueprint.route("/accounts")
@coordinator_only
def accounts() -> tuple[str, int]:
    wanted = request.args.get("unit", "")
    form = Form("add", {"unit": wanted if wanted in site().plan().units else ""})
    return _page(form)


def _page(form: Form | None = None, shown: str = "", told: str = "", status: int = 200,
          ) -> tuple[str, int]:
    plan = site().plan()
    form = form or Form("add", {})
    form.values.setdefault("password", users.new_password())
    found = g.store.accounts()
    order = {unit: i for i, unit in enumerate(plan.units)}
    found.sort(key=lambda a: (not a.coordinator, order.get(a.unit or "", len(order)), a.login))
    return page("web/accounts.html", title="账号管理", accounts=found, form=form,
                shown=shown, told=told, flashes=get_flashed_messages(),
                changes=g.store.account_changes(HISTORY), unit_of=account_unit,
                logins={a.login for a in found},
                account_action_cn=ACCOUNT_ACTION_CN,
                coordinator=COORDINATOR, least=users.MIN_PASSWORD), status


@blueprint.route("/accounts", methods=["POST"])
@coordinator_only
def add() -> tuple[str, int]:
    plan = site().plan()
    values = {k: request.form.get(k, "").strip() for k in ("login", "unit", "password")}
    form = Form("add", values)
    login = values["login"].lower()
    unit = values["unit"]
    if not login:
        form.bad("login", "请填写用户名。")
    if not unit:
        form.bad("unit", "请选择账号所属的单位，或选择县科协统筹账号。")
    elif unit != COORDINATOR and unit not in plan.units:
        form.bad("unit", "没有这个单位，请从列表中选择。")
    if form.errors:
        return _page(form, status=400)
    coordinator = unit == COORDINATOR
    try:
        password = users.add(g.store, plan, login, None if coordinator else unit, coordinator,
                             values["password"], site().clock(), g.account.login)
    except users.AccountError as refused:
        form.bad(refused.field, refused.said)
        return _page(form, status=400)
    who = account_unit(plan, None if coordinator else unit)
    return _page(shown=password, told=f"已为{who}新建账号 {login}。")


@blueprint.route("/accounts/<login>/<action>", methods=["POST"])
@coordinator_only
def change(login: str, action: str) -> Response | tuple[str, int]:
    account = g.store.account(login)
    if account is None or action not in ("password", "disable", "enable"):
        abort(404)
    plan = site().plan()
    who = f"{account_unit(plan, account.unit)}的账号 {login}"
    at, by = site().clock(), g.account.login
    try:
        if action == "password":
            password = users.set_password(g.store, login, None, at, by)
            return _page(shown=password, told=f"已为{who} 重置密码，原来的密码和已登录的会话随即失效。")
        if action == "disable":
            users.disable(g.store, login, at, by)
            flash(f"已停用{who}：不能再登录，已登记的内容保留。")
        else:
            users.enable(g.store, login, at, by)
            flash(f"已启用{who}，可用原来的密码登录。")
    except users.AccountError as refused:
        form = Form("change", {"login": login})
        form.bad("change", refused.said)
        return _page(form, status=400)
    except StoreError:
        abort(404)
    return redirect("/accounts", code=303)  # type: ignore[return-value]
