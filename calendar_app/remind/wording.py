"""How a reminder reads in a work chat group or a mailbox: short Chinese a staff member takes
in at a glance, a title such as 【临近提醒】县应急管理局, one line per thing, and the address of
the page where it is handled (under `settings.base_url`). Pure.

Every message ends with a 查看和登记 line: a DingTalk robot guarded by a keyword can take 登记.
"""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote

from ..formats.words import COORDINATOR_CN, by_obligation, cn_date, cn_period, cn_when
from ..model import Entry, Plan, day_of
from ..schedule.reporting import name_without_period
from .due import COORDINATOR, KIND_CN, Item, Kind, Notice

MOST = 8  # lines of one list in a message; the page has the rest


def who(plan: Plan, unit: str) -> str:
    """A unit's name, or the coordinator's, as messages and lists say it."""
    if unit == COORDINATOR:
        return COORDINATOR_CN
    return plan.units[unit].name if unit in plan.units else unit


def title(plan: Plan, notice: Notice) -> str:
    head = f"【{KIND_CN[notice.kind]}】"
    return head if notice.to == COORDINATOR else head + who(plan, notice.to)


def text(plan: Plan, notice: Notice) -> tuple[str, str]:
    """The message's title and body."""
    body = {Kind.DIGEST: _digest, Kind.NEAR: _near, Kind.OVERDUE: _overdue, Kind.COPY: _copy,
            Kind.RETURNED: _returned, Kind.URGE: _urge, Kind.TEST: _test}[notice.kind]
    lines, link = body(plan, notice)
    return title(plan, notice), "\n".join([*lines, f"查看和登记：{link}"])


def test_notice(unit: str, today: date) -> Notice:
    """The 测试消息 `channels test` sends."""
    return Notice(unit, Kind.TEST, today)


def _home(plan: Plan, unit: str = "") -> str:
    """A unit's home as its staff open it (as the coordinator opens it, with `unit`)."""
    return f"{plan.settings.base_url}/" + (f"?unit={quote(unit)}" if unit else "")


def _event(plan: Plan, entry: Entry) -> str:
    return f"{plan.settings.base_url}/events/{quote(entry.uid, safe='/')}"


def _listed(lines: list[str], more: str = "项") -> list[str]:
    if len(lines) <= MOST:
        return lines
    return [*lines[:MOST], f"……另有{len(lines) - MOST}{more}，见下方链接"]


def _soon(entry: Entry, today: date) -> str:
    left = (day_of(entry.start) - today).days
    return {0: "今天", 1: "明天"}.get(left, f"还有{left}天")


def _name(item: Item) -> str:
    """What an item is about: its event, or for several periods' reports the report task
    without a period (not 2025年3月…, which would say only the latest)."""
    latest = item.entries[-1]
    return name_without_period(latest) if item.count > 1 else latest.title


def _late(plan: Plan, item: Item) -> str:
    """One obligation's unreported events: the one event, or how many since when."""
    latest = item.entries[-1]
    if item.count > 1:
        return (f"{_name(item)}：逾期未报{item.count}次"
                f"（最早{cn_date(item.first or latest.slot_start)}）")
    said = f"{latest.title}：{cn_when(latest)}"
    return f"{said}，已逾期{item.late}天" if item.late else f"{said}，今天起逾期"


def _digest(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    monday = notice.week or notice.day
    lines = [f"本周（{cn_period(monday, monday + timedelta(days=7))}）："]
    for role, entries in (("牵头", notice.lead), ("配合", notice.co)):
        if not entries:
            continue
        groups = by_obligation(list(entries))
        lines.append(f"{role}{len(groups)}项：")
        lines += _listed([f"· {_week_line(group)}" for group in groups])
    if not notice.lead and not notice.co:
        lines[0] = lines[0].replace("：", "没有安排活动。")
    if notice.items:
        lines.append(f"{_backlog(notice.items)}，请尽快登记。")
    return lines, _home(plan)


def _week_line(group: list[Entry]) -> str:
    first = group[0]
    if len(group) == 1:
        return f"{cn_when(first)}{'截止' if first.kind == 'report' else ''} {first.title}"
    return f"{first.title}：本周{len(group)}次，{cn_when(first)}起"


def _near(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    entries = [i.entries[0] for i in notice.items]
    lines = ["以下事项由本单位牵头，日期临近，请提前做好准备："]
    lines += _listed([f"· {e.title}：{cn_when(e)}{'截止' if e.kind == 'report' else ''}，"
                      f"{_soon(e, notice.day)}" for e in entries])
    if any(e.kind != "report" for e in entries):
        lines.append(f"活动结束后{plan.settings.overdue_days}天内请登记完成情况。")
    if any(e.kind == "report" for e in entries):
        lines.append("报告请在截止日前登记。")
    return lines, _event(plan, entries[0]) if len(entries) == 1 else _home(plan)


def _overdue(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    lines = ["以下事项已过登记期限仍未登记，请尽快登记完成、取消或改期："]
    lines += _listed([f"· {_late(plan, i)}" for i in notice.items])
    one = notice.items[0] if len(notice.items) == 1 and notice.items[0].count == 1 else None
    return lines, _event(plan, one.entries[0]) if one else _home(plan)


def _backlog(items: tuple[Item, ...]) -> str:
    count = sum(i.count for i in items)
    return f"有{len(items)}项活动逾期未报" + (f"（共{count}次）" if count > len(items) else "")


def _copy(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    """One line per unit: the coordinator's group would not read three hundred."""
    units: dict[str, list[Item]] = {}
    for item in notice.items:
        units.setdefault(item.unit, []).append(item)
    lines = ["以下单位的活动逾期未报，已催办两周以上仍未登记："]
    lines += _listed([f"· {who(plan, unit)}：{_name(items[0])}"
                      f"{f'等{len(items)}项活动' if len(items) > 1 else ''}，"
                      f"最早{cn_date(min(i.first for i in items if i.first))}"
                      for unit, items in units.items()], "个单位")
    return lines, f"{plan.settings.base_url}/dashboard"


def _urge(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    lines = [f"{plan.settings.issuer}提醒：以下事项已逾期未报，请尽快登记："]
    lines += _listed([f"· {_late(plan, i)}" for i in notice.items])
    return lines, _home(plan)


def _returned(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    lines = ["以下登记被退回，请补充后重新提交："]
    # The reason on a line of its own: it is the unit's to-do, and may be long.
    lines += _listed([f"· {i.entries[0].title}：{cn_when(i.entries[0])}"
                      + (f"\n  退回原因：{i.reason}" if i.reason else "") for i in notice.items])
    one = notice.items[0].entries[0] if len(notice.items) == 1 else None
    return lines, _event(plan, one) if one else _home(plan)


def _test(plan: Plan, notice: Notice) -> tuple[list[str], str]:
    return [f"这是“{plan.name}”提醒渠道的测试消息（{cn_date(notice.day)}）。",
            "收到这条消息，说明今后的本周任务、临近提醒和到期催办都会发到这里。"], _home(plan)
