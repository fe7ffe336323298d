"""How a county office writes what the calendar holds: dates, periods, statuses, the history.

Pure text functions shared by the web pages and the listings, so that a date or a record
reads the same wherever a unit meets it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time

from ..model import COUNTED, ONE_DAY, STATUS_CN, TZ, Entry, Grain, Plan, day_of, days
from ..plan.yearday import WEEKDAY_CN
from ..schedule.reporting import task_period

# What each history row's action is called, and the details it may carry.
ACTION_CN = {"created": "生成", "changed": "计划变更", "removed": "移出计划", "restored": "恢复",
             "done": "登记完成", "cancelled": "登记取消", "moved": "登记改期", "reset": "撤销登记",
             "added": "新增", "amended": "补充材料", "passed": "复核通过", "returned": "复核退回",
             "resubmitted": "补充后重新提交"}
DETAIL_CN = {"on": "实际日期", "attendance": "参加人数", "note": "备注", "evidence": "佐证材料",
             "reason": "取消原因", "from": "原定", "to": "改至", "was": "原状态", "title": "活动",
             "fills": "补办", "done": "完成数量", "planned": "计划数量", "missed": "未完成日期",
             "filed": "报送日期", "carried": "由逐项登记汇总", "batch": "按计划全部完成",
             "verdict": "退回理由"}

# How often a routine reported by period is reported, as a unit reads it.
GRAIN_CN: dict[Grain, str] = {"each": "逐项", "weekly": "按周", "monthly": "按月",
                              "quarterly": "按季度"}

# What each row of the accounts' history says was done.
ACCOUNT_ACTION_CN = {"created": "新建账号", "password": "重置密码", "disabled": "停用",
                     "enabled": "启用"}
COORDINATOR_CN = "县科协（统筹）"
BY_COMMAND_LINE = "系统管理员（命令行）"


def account_unit(plan: Plan, unit: str | None) -> str:
    """Whom an account reports for: its unit's name, or the coordinator's (unit None)."""
    if unit is None:
        return COORDINATOR_CN
    return plan.units[unit].name if unit in plan.units else unit


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# A day as people type it into a sheet or a form: 2025年6月18日, 2025-06-18, 2025/6/18 or
# 2025.6.18, with a time of day after it where one is asked for (14:30, 14：30).
_WRITTEN = re.compile(r"(\d{4})\s*(?:年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?|[-/.]\s*(\d{1,2})\s*"
                      r"[-/.]\s*(\d{1,2}))(?:\s*[T\s]\s*(\d{1,2})\s*[:：]\s*(\d{2})(?::\d{2})?)?")


def read_date(text: str) -> date | None:
    """The day `text` writes (cn_date's reverse, ISO too), or None when it is no day."""
    moment = read_moment(text)
    return None if moment is None or isinstance(moment, datetime) else moment


def read_moment(text: str) -> date | datetime | None:
    """A day, or a day and time of day (naive), as `text` writes it; None when it is
    neither, or names a day no calendar has (2025年2月30日)."""
    found = _WRITTEN.fullmatch(text.strip())
    if not found:
        return None
    year, month, day, month2, day2, hour, minute = found.groups()
    try:
        written = date(int(year), int(month or month2), int(day or day2))
        if hour is None:
            return written
        return datetime.combine(written, time(int(hour), int(minute)))
    except ValueError:
        return None


def cn_moment(moment: datetime) -> str:
    """2025年5月9日 09:00, in Chongyang's time."""
    here = moment.astimezone(TZ)
    return f"{cn_date(here.date())} {here:%H:%M}"


def cn_stamp(stamp: str, day_only: bool = False) -> str:
    """A history row's ISO stamp as an office writes it: 2025年6月20日 14:05, in Chongyang's
    time; the day alone (2025年1月1日) for a build's rows, stamped with their day, not a
    moment."""
    moment = datetime.fromisoformat(stamp)
    if day_only:
        return cn_date(moment.date())
    return cn_moment(moment) if moment.tzinfo else f"{cn_date(moment.date())} {moment:%H:%M}"


def actor_cn(by: str, logins: Collection[str]) -> str:
    """Who did it, as a history row names them: an account's login (what the county gave its
    staff), a name given with `--by`, or, for the server's own user name that the command
    line records by default (root), 系统管理员（命令行）: the stored row keeps the name for
    the administrators' own listing."""
    return by if by in logins or not by.isascii() else BY_COMMAND_LINE


def cn_day(day: date) -> str:
    """6月18日（周三）: a day within a page that already names its year."""
    return f"{day.month}月{day.day}日（{WEEKDAY_CN[day.weekday()]}）"


def cn_when(entry: Entry) -> str:
    """When an event takes place: a day with its weekday and time, or a span of days."""
    first, after = days(entry.start, entry.end)
    last = after - ONE_DAY
    if isinstance(entry.start, datetime):
        return f"{cn_date(first)}（{WEEKDAY_CN[first.weekday()]}）{entry.start.astimezone(TZ):%H:%M}"
    if last > first:
        return f"{cn_date(first)}至{_short(last, first)}"
    return f"{cn_date(first)}（{WEEKDAY_CN[first.weekday()]}）"


def cn_period(start: date, end: date) -> str:
    """A half-open period [start, end) as people write it: 2025年3月3日至3月9日."""
    last = end - ONE_DAY
    return cn_date(start) if last <= start else f"{cn_date(start)}至{_short(last, start)}"


def cn_months(first: date, last: date) -> str:
    """The months from `first`'s to `last`'s (both taken): 2025年3月, 2025年1月至3月,
    2024年11月至2025年2月."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.year}年{first.month}月"
    tail = f"{last.month}月" if last.year == first.year else f"{last.year}年{last.month}月"
    return f"{first.year}年{first.month}月至{tail}"


def cn_target_period(period: str) -> str:
    """A quota's or milestone's period as the gap analysis keeps it (2025, 2021-01-01—2025-12-31
    or 2021-06-30前) in words: 2025年, 2021年1月1日至2025年12月31日, 2021年6月30日前."""
    if period.endswith("前"):
        return cn_date(date.fromisoformat(period[:-1])) + "前"
    if "—" in period:
        first, last = (date.fromisoformat(part) for part in period.split("—"))
        return cn_period(first, last + ONE_DAY)
    return f"{period}年"


def _short(last: date, first: date) -> str:
    if last.year != first.year:
        return cn_date(last)
    return f"{last.month}月{last.day}日"


def by_obligation(entries: list[Entry]) -> list[list[Entry]]:
    """Entries grouped by obligation (added events each on their own, and an obligation's
    report tasks apart from its events), in the order of each group's first entry: a weekly
    routine left unreported is one line, not twenty, and a report due is never counted in."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry.obligation or entry.uid, entry.kind), []).append(entry)
    return list(groups.values())


def by_routine(entries: list[Entry]) -> list[list[Entry]]:
    """Entries in their order, the occurrences of each routine reported by period gathered
    at the first of them (a fortnight of daily pushes is one line: its report task is what
    is reported); every other entry a list of its own."""
    runs: dict[str, list[Entry]] = {}
    out: list[list[Entry]] = []
    for entry in entries:
        if entry.kind == "event" and not entry.reported_alone and entry.obligation:
            if entry.obligation in runs:
                runs[entry.obligation].append(entry)
                continue
            runs[entry.obligation] = [entry]
            out.append(runs[entry.obligation])
        else:
            out.append([entry])
    return out


def cn_run(run: list[Entry]) -> str:
    """The days a run of one routine's occurrences spans: 2025年6月20日至7月3日."""
    return cn_period(day_of(run[0].start), day_of(run[-1].start) + ONE_DAY)


def cn_listed(entry: Entry) -> str:
    """An entry within such a line: when it takes place, or for a report task its period
    and due day (2025年5月，2025年6月9日截止)."""
    if entry.kind == "report":
        return f"{task_period(entry)}，{cn_date(day_of(entry.start))}截止"
    return cn_when(entry)


# A count's name split into what was counted and its measure word: 听众|人数, 培训|人次,
# 推送|条数, 新创建基地|数|（处）. 人数 is tried before 数, so 培训教师人数（名） is 培训教师|人数|名.
_COUNT = re.compile(r"^(?P<what>.*?)(?P<word>人数|人次|条数|数)(?:（(?P<unit>[^）]+)）)?$")
_MEASURE_WORD = {"人数": "人", "人次": "人次", "条数": "条", "数": ""}


def count_phrase(asked: str, n: int) -> str:
    """A reported number in the words of what was asked: 参加120人, 听众80人, 培训300人次,
    新创建基地3处, 推送28条; a name this cannot split is put before the number (数量5)."""
    found = _COUNT.match(asked)
    if found is None:
        return f"{asked}{n}"
    return f"{found['what']}{n}{found['unit'] or _MEASURE_WORD[found['word']]}"


def count_short(asked: str, n: int) -> str:
    """The same where the status says the rest: 120人 for the default 参加人数, as always; the
    phrase for any other (听众80人, 新创建基地3处)."""
    return f"{n}人" if asked == COUNTED else count_phrase(asked, n)


def status_cn(entry: Entry, plan: Plan | None = None) -> str:
    """计划, 完成（120人）, 待报送, 已报送（28/30）, 取消, 改期, or 取消（已移出计划）; with the
    plan, a number in its obligation's words (完成（新创建基地3处）)."""
    word = STATUS_CN[entry.shown_status]
    if entry.kind == "report" and entry.shown_status == "planned":
        return "待报送"
    if entry.shown_status == "done" and entry.done_count is not None:
        return f"已报送（{entry.done_count}/{entry.planned_count}）"
    if entry.shown_status == "done" and entry.attendance is not None:
        asked = plan.asks(entry) if plan is not None else COUNTED
        return f"{word}（{count_short(asked, entry.attendance)}）"
    if entry.orphaned:
        return f"{word}（已移出计划）"
    return word


def history_detail(detail: dict, asked: str = COUNTED) -> str:
    """A history row's details in words: 参加人数：120；备注：广场演练; the number under the
    name its obligation asks it by (`asked`: 听众人数：80)."""
    parts = []
    for key, value in detail.items():
        if key not in DETAIL_CN or value in (None, "", [], {}):
            continue
        if key == "was":
            value = STATUS_CN.get(value, value)
        elif key in ("on", "from", "to", "filed"):
            value = _when_text(str(value))
        elif key == "missed":
            value = "、".join(_when_text(str(day)) for day in value)
        elif key == "carried":
            parts.append("此前已逐项登记完成，按期汇总")
            continue
        name = (asked or COUNTED) if key == "attendance" else DETAIL_CN[key]
        parts.append(f"{name}：{value}")
    if detail.get("files"):
        parts.append("附件：" + "、".join(f["name"] for f in detail["files"]))
    return "；".join(parts)


def _when_text(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return text
    if isinstance(moment, datetime):
        return cn_moment(moment)
    return cn_date(moment)
