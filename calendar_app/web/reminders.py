"""The reminders in the browser, for the coordinator alone: each unit's channels on its home
(set, removed, tested), the coordinator's own and the channels in trouble (渠道异常) on the
dashboard, and 一键催办 for one unit or every red one. A unit's account gets 403 for all of it.

Sending goes through the same job as `calendar-app remind` (each reminder once a day, logged);
a training site sends nothing.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, request

from ..model import Plan
from ..remind import job
from ..remind.channels import SERVICE_CN, ChannelError, parse
from ..remind.due import COORDINATOR
from ..remind.wording import who
from .auth import coordinator_only
from .channels import channel_context
from .coordinator import dashboard_page, reviews
from .site import site
from .unit import home_page

blueprint = Blueprint("reminders", __name__)


def _recipient(plan: Plan) -> str:
    """The form's unit: a unit of the plan, or "" for the coordinator's own channels."""
    if "unit" not in request.form:
        abort(400)
    unit = request.form["unit"]
    if unit != COORDINATOR and unit not in plan.units:
        abort(404)
    return unit


def _back(unit: str):
    where = "/dashboard#remind" if unit == COORDINATOR else f"/?unit={unit}#channels"
    return redirect(where, code=303)


@blueprint.route("/channels", methods=["POST"])
@coordinator_only
def add():
    plan = site().plan()
    unit = _recipient(plan)
    typed = request.form.get("url", "")
    try:
        address = parse(typed)
    except ChannelError as refused:
        return _refused(plan, unit, typed, refused.cn), 400
    new = g.store.set_channel(unit, address.url, address.shown, address.ident, address.service,
                              site().clock(), g.account.login)
    flash(f"{'已添加' if new else '已更新'}{SERVICE_CN[address.service]} {address.shown}。"
          "可发送测试消息，确认群里收到。", "channel")
    return _back(unit)


def _refused(plan: Plan, unit: str, typed: str, error: str) -> str:
    """The page the form came from, with why the address was refused beside it."""
    if unit == COORDINATOR:
        return dashboard_page(panel_url=typed, panel_error=error)
    return home_page(plan, unit, channel_context(unit, typed, error))


@blueprint.route("/channels/remove", methods=["POST"])
@coordinator_only
def remove():
    unit = _recipient(site().plan())
    wanted = request.form.get("channel", type=int)
    found = [c for c in g.store.channels(unit) if c.id == wanted]
    if not found:
        abort(404)
    g.store.remove_channel(found[0].id)
    flash(f"已删除{SERVICE_CN.get(found[0].service, '')} {found[0].shown}。", "channel")
    return _back(unit)


@blueprint.route("/channels/test", methods=["POST"])
@coordinator_only
def test():
    plan = site().plan()
    unit = _recipient(plan)
    if site().training:
        flash("培训模式下不发送任何消息。", "channel")
        return _back(unit)
    now = site().clock()
    run = job.test(g.store, plan, unit, now.date(), now)
    for d in run.sent:
        flash(f"测试消息已送达{SERVICE_CN[d.channel.service]} {d.channel.shown}，"
              "请到群里（或邮箱）确认。", "channel")
    for d in run.failed:
        flash(f"测试消息未送达{SERVICE_CN[d.channel.service]} {d.channel.shown}：{d.error}",
              "channel-error")
    return _back(unit)


@blueprint.route("/urge", methods=["POST"])
@coordinator_only
def urge():
    """一键催办: `unit`, or every red unit (`all=red`), is sent its whole overdue list."""
    plan = site().plan()
    if site().training:
        flash("培训模式下不发送任何消息。", "channel")
        return redirect("/dashboard#remind", code=303)
    now = site().clock()
    if request.form.get("all") == "red":
        review, _, _ = reviews().get(g.store, plan, now.date())
        units = [s.id for s in review.units if s.light == "red"]
    else:
        unit = request.form.get("unit", "")
        if unit not in plan.units:
            abort(404)
        units = [unit]
    run, empty = job.urge_units(g.store, plan, units, now.date(), now)
    names = lambda found: "、".join(dict.fromkeys(who(plan, u) for u in found))  # noqa: E731
    reached = [d.notice.to for d in run.sent]
    if reached:
        flash(f"已向{len(set(reached))}个单位发送一键催办：{names(reached)}。", "channel")
    if run.before:
        flash(f"今天已催办过，没有重复发送：{names(n.to for n in run.before)}。", "channel")
    if empty:
        flash(f"没有逾期未报事项，无需催办：{names(empty)}。", "channel")
    if run.unheard:
        flash(f"尚未设置提醒渠道，无法催办：{names(n.to for n in run.unheard)}。", "channel-error")
    for d in run.failed:
        flash(f"渠道异常，未送达：{who(plan, d.notice.to)} {d.channel.shown}：{d.error}",
              "channel-error")
    return redirect("/dashboard#remind", code=303)
