"""Reminders: what is due to whom on a day (the pure view), how it reads, and runs that send
it through real channels on loopback (a JSON webhook, an SMTP server) each once."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from calendar_app.model import TZ
from calendar_app.plan.reader import load_plan
from calendar_app.remind import job
from calendar_app.remind.channels import parse
from calendar_app.remind.due import COORDINATOR, Key, Kind, Returned, due, quiet, urge
from calendar_app.remind.wording import text
from calendar_app.store import Store

from .conftest import DATA, SHIPPED, Workspace, on_both_databases
from .receivers import Hook, Mailbox

AT = datetime(2025, 5, 9, 9, 0, tzinfo=TZ)


@pytest.fixture(scope="module")
def small_view(_small_database):
    """The small plan and its stored events, read once: the pure view's inputs."""
    with Store.open(_small_database) as store:
        return load_plan(DATA / "small.yaml"), store.entries()


def notices(view, day: date, to: str, kind: Kind):
    plan, entries = view
    return [n for n in due(plan, entries, day) if n.to == to and n.kind == kind]


def subjects(found) -> list[str]:
    return [item.key.subject for n in found for item in n.items]


# -- the pure view -----------------------------------------------------------------------------

def test_near_reminders_come_before_an_event_the_unit_leads_and_a_weekend_brings_them_forward(
        small_view):
    # 防灾减灾日 is Monday 2025-05-12: three days before is Friday, and one day before is a
    # Sunday, brought forward to the same Friday: one message, not two.
    friday = notices(small_view, date(2025, 5, 9), "yingji", Kind.NEAR)
    [item] = [i for n in friday for i in n.items if i.key.subject == "m02-day/2025"]
    assert item.key == Key("yingji", Kind.NEAR, "m02-day/2025", date(2025, 5, 9))
    # Monday finds the same reminder (same key: the log has it), nothing new.
    monday = notices(small_view, date(2025, 5, 12), "yingji", Kind.NEAR)
    assert [i.key for n in monday for i in n.items if i.key.subject == "m02-day/2025"] == [
        item.key]
    plan, _ = small_view
    title, body = text(plan, friday[0])
    assert title == "【临近提醒】县应急管理局"
    assert "防灾减灾日宣传：2025年5月12日（周一），还有3天" in body
    assert body.endswith("查看和登记：https://example.invalid/calendar/events/m02-day/2025")


def test_nothing_is_due_on_a_weekend_or_a_holiday_unless_the_plan_says_so(small_view):
    plan, entries = small_view
    assert quiet(plan, date(2025, 5, 10)) and due(plan, entries, date(2025, 5, 10)) == []
    assert quiet(plan, date(2025, 10, 1))  # 国庆节, a Wednesday
    assert not quiet(plan, date(2025, 9, 28))  # a Sunday worked for the holiday (调休)
    every_day = replace(plan, reminders=replace(plan.reminders, quiet=()))
    assert due(every_day, entries, date(2025, 5, 10)) != []


def test_routines_get_no_near_reminder_but_are_in_the_weekly_digest(small_view):
    near = notices(small_view, date(2025, 5, 12), "xuanchuan", Kind.NEAR)
    assert not any(s.startswith("m02-tv/") for s in subjects(near))
    [digest] = notices(small_view, date(2025, 5, 12), "yingji", Kind.DIGEST)
    assert [e.uid for e in digest.lead] == ["m02-day/2025"]
    assert [e.uid for e in digest.co] == ["m02-tv/2025-W20"]
    assert digest.key == Key("yingji", Kind.DIGEST, "2025-W20", date(2025, 5, 12))
    plan, _ = small_view
    _, body = text(plan, digest)
    assert body.splitlines()[:5] == [
        "本周（2025年5月12日至5月18日）：", "牵头1项：", "· 2025年5月12日（周一） 防灾减灾日宣传",
        "配合1项：", "· 2025年5月14日（周三）19:30 电视科普栏目"]


def test_the_digest_of_a_week_is_due_from_its_day_to_the_week_end_and_not_before(small_view):
    assert notices(small_view, date(2025, 5, 16), "yingji", Kind.DIGEST)[0].key.day == \
        date(2025, 5, 12)
    wednesday = replace(small_view[0], reminders=replace(small_view[0].reminders, digest=2))
    digests = lambda day: [n for n in due(wednesday, small_view[1], day)  # noqa: E731
                           if n.to == "yingji" and n.kind == Kind.DIGEST]
    assert not digests(date(2025, 5, 12)) and not digests(date(2025, 5, 13))
    [digest] = digests(date(2025, 5, 14))
    assert (digest.key.day, digest.week) == (date(2025, 5, 14), date(2025, 5, 12))
    assert text(wednesday, digest)[1].startswith("本周（2025年5月12日至5月18日）：")
    # The weekly 到期催办 comes on the digest's weekday too: Wednesday 5-28, not Monday 5-26.
    overdue = [i.key.day for n in due(wednesday, small_view[1], date(2025, 5, 28))
               if n.to == "yingji" and n.kind == Kind.OVERDUE for i in n.items
               if i.key.subject == "m02-day"]
    assert overdue == [date(2025, 5, 28)]


def test_overdue_is_urged_when_it_falls_due_then_weekly_and_copied_from_the_second_repeat(
        small_view):
    # 防灾减灾日 (Monday 5-12) falls overdue on Tuesday 5-20; repeats come on Mondays.
    def urged(day: date):
        found = notices(small_view, day, "yingji", Kind.OVERDUE)
        return [i for n in found for i in n.items if i.key.subject == "m02-day"]

    assert urged(date(2025, 5, 19)) == []
    assert [(i.key.day, i.repeats) for i in urged(date(2025, 5, 20))] == [(date(2025, 5, 20), 0)]
    assert [i.key.day for i in urged(date(2025, 5, 23))] == [date(2025, 5, 20)]
    assert [(i.key.day, i.repeats) for i in urged(date(2025, 5, 26))] == [(date(2025, 5, 26), 1)]
    copies = lambda day: subjects(notices(small_view, day, COORDINATOR, Kind.COPY))  # noqa: E731
    assert "yingji/m02-day" not in copies(date(2025, 5, 26))
    # Monday 6-2 is 端午节: the second repeat goes out on Tuesday, with the copy.
    assert copies(date(2025, 6, 2)) == []
    assert "yingji/m02-day" in copies(date(2025, 6, 3))
    plan, _ = small_view
    [copy] = notices(small_view, date(2025, 6, 3), COORDINATOR, Kind.COPY)
    assert {i.key.day for i in copy.items if i.unit == "yingji"} >= {date(2025, 6, 2)}
    title, body = text(plan, copy)
    assert title == "【到期催办·抄送】" and "县应急管理局：" in body
    assert body.endswith("https://example.invalid/calendar/dashboard")


def test_an_overdue_obligation_is_one_line_with_its_count_and_first_day(small_view):
    plan, _ = small_view
    [notice] = notices(small_view, date(2025, 5, 9), "yingji", Kind.OVERDUE)
    _, body = text(plan, notice)
    assert "· 月度例会：逾期未报4次（最早2025年1月6日）" in body


def test_urging_sends_the_whole_overdue_list_once_a_day(small_view):
    plan, entries = small_view
    notice = urge(plan, entries, "yingji", date(2025, 5, 9))
    assert notice is not None and notice.key == Key("yingji", Kind.URGE, "overdue",
                                                    date(2025, 5, 9))
    title, body = text(plan, notice)
    assert title == "【一键催办】县应急管理局"
    assert body.startswith("县全民科学素质工作领导小组办公室提醒：")
    assert urge(plan, entries, "yingji", date(2025, 1, 2)) is None  # nothing overdue yet


def test_several_periods_reports_overdue_are_named_without_a_period(shipped_built):
    # 县委宣传部's monthly “天天科普” reports: one line for all of them, not named after the
    # latest month (2025年4月…逾期未报52次 would say one month was late 52 times).
    plan = load_plan(shipped_built.plan)
    with Store.open(shipped_built.db) as store:
        entries = store.entries()
    notice = urge(plan, entries, "xuanchuan", date(2025, 5, 13))
    assert notice is not None
    lines = text(plan, notice)[1].splitlines()
    assert "· “天天科普”推送情况报送：逾期未报52次（最早2021年2月5日）" in lines
    assert not any("月“天天科普”推送情况报送：逾期未报" in line for line in lines)


def test_several_periods_reports_are_named_as_the_units_pages_name_them(shipped_built):
    """A report task's name without its period has one owner (schedule/reporting), read off
    the stored titles as the home's backlog reads it: a plan edited and not yet built does
    not rename the task in the reminder alone."""
    from calendar_app.schedule.reporting import name_without_period, task_name

    plan = load_plan(shipped_built.plan)
    push = next(o for o in plan.obligations if o.id == "m19-daily-push")
    renamed = replace(plan, obligations=[replace(o, short="每日科普推送") if o is push else o
                                         for o in plan.obligations])
    with Store.open(shipped_built.db) as store:
        entries = store.entries()
    tasks = [e for e in entries if e.obligation == push.id and e.kind == "report"]
    assert {name_without_period(e) for e in tasks} == {task_name(push)}
    for edited in (plan, renamed):
        notice = urge(edited, entries, "xuanchuan", date(2025, 5, 13))
        assert notice is not None
        lines = text(edited, notice)[1].splitlines()
        assert f"· {task_name(push)}：逾期未报52次（最早2021年2月5日）" in lines


def test_a_report_due_this_week_is_a_line_of_its_own_in_the_digest(shipped_built):
    # 县委宣传部's April push report is due on Monday 5-12, in the week of its daily pushes:
    # the week's list says it, and counts the pushes alone (7, not 8).
    plan = load_plan(shipped_built.plan)
    with Store.open(shipped_built.db) as store:
        entries = store.entries()
    [digest] = [n for n in due(plan, entries, date(2025, 5, 12))
                if n.to == "xuanchuan" and n.kind == Kind.DIGEST]
    lines = text(plan, digest)[1].splitlines()
    assert "· 2025年5月12日（周一）截止 2025年4月“天天科普”推送情况报送" in lines
    assert "· “天天科普”推送：本周7次，2025年5月12日（周一）起" in lines
    assert lines[1] == "牵头4项："


def test_a_returned_report_is_announced_to_its_lead_once(small_view):
    plan, entries = small_view
    returned = [Returned("m02-day/2025", date(2025, 5, 21), "需补充佐证材料")]
    found = [n for n in due(plan, entries, date(2025, 5, 22), returned)
             if n.kind == Kind.RETURNED]
    assert [(n.to, n.items[0].key) for n in found] == [
        ("yingji", Key("yingji", Kind.RETURNED, "m02-day/2025", date(2025, 5, 21)))]
    _, body = text(plan, found[0])
    assert "· 防灾减灾日宣传：2025年5月12日（周一）\n  退回原因：需补充佐证材料\n" in body
    # Not before it was returned.
    assert not [n for n in due(plan, entries, date(2025, 5, 20), returned)
                if n.kind == Kind.RETURNED]


def test_a_report_returned_through_the_review_step_reaches_its_unit_once_per_return(
        stored_small, hook):
    # The review step (issue 23) keeps each return in the history; 退回通知 hangs on it.
    uid = "m02-day/2025"
    _set(stored_small, "县应急管理局", hook.url("yj"))
    stored_small.run("record", "done", uid, "--attendance", "120")

    def at(day: int) -> datetime:
        return datetime(2025, 5, day, 10, 0, tzinfo=TZ)

    with Store.open(stored_small.db) as store:
        store.review(uid, at(21), "kexie", False, "需补充现场照片")
    for day in ("2025-05-22", "2025-05-23"):
        stored_small.run("remind", "--today", day)
    [body] = hook.messages("【退回通知】县应急管理局")
    assert "退回原因：需补充现场照片" in body and body.endswith("/events/m02-day/2025")
    # Resubmitted and returned again: a second return, a second notice; a note added to a
    # returned report (not resubmitted) announces nothing new.
    with Store.open(stored_small.db) as store:
        store.supplement(uid, at(26), "yj", "补充", "补充")
        store.supplement(uid, at(26), "yj", "补充了照片", "照片", resubmit=True)
        store.review(uid, at(27), "kexie", False, "照片仍不清楚")
        store.supplement(uid, at(28), "yj", "补充了照片，另附说明", "说明")
    for day in ("2025-05-27", "2025-05-28", "2025-05-29"):
        stored_small.run("remind", "--today", day)
    assert [b.splitlines()[2] for b in hook.messages("【退回通知】县应急管理局")] == [
        "  退回原因：需补充现场照片", "  退回原因：照片仍不清楚"]


def test_the_view_is_the_same_for_the_same_inputs(small_view):
    plan, entries = small_view
    day = date(2025, 6, 3)
    first = [text(plan, n) for n in due(plan, entries, day)]
    assert first == [text(plan, n) for n in due(plan, list(reversed(entries)), day)]


# -- runs: sending each once ----------------------------------------------------------------

@pytest.fixture
def hook():
    receiver = Hook()
    yield receiver
    receiver.stop()


def _set(ws: Workspace, unit: str, url: str) -> None:
    ws.run("channels", "set", unit, url)


@on_both_databases
def test_a_second_run_on_the_same_day_sends_nothing(stored_small, hook):
    _set(stored_small, "县应急管理局", hook.url("yj"))
    first = stored_small.run("remind", "--today", "2025-05-09").output
    assert "sent 临近提醒 to 县应急管理局 via json://127.0.0.1:" in first
    received = list(hook.received)
    assert "【临近提醒】县应急管理局" in [r["title"] for r in received]
    second = stored_small.run("remind", "--today", "2025-05-09").output
    assert "2025-05-09: 0 sent, 0 failed" in second
    assert hook.received == received


@on_both_databases
def test_a_failing_channel_keeps_no_other_waiting_and_is_retried_next_run(stored_small, hook):
    down = Hook()
    down.stop()
    _set(stored_small, "县应急管理局", hook.url("yj"))
    _set(stored_small, "县应急管理局", down.url("robot"))
    result = stored_small.run("remind", "--today", "2025-05-09")
    assert result.exit_code == 0
    assert f"failed: 临近提醒 to 县应急管理局 via json://127.0.0.1:{down.port}/robot: 无法连接" \
        in result.output
    assert "【临近提醒】县应急管理局" in hook.titles("yj")
    listed = stored_small.run("channels", "list").output
    assert "渠道异常：无法连接" in listed
    down.start()
    try:
        again = stored_small.run("remind", "--today", "2025-05-09").output
        assert "0 failed" in again
        assert down.titles().count("【临近提醒】县应急管理局") == 1
        assert hook.titles("yj").count("【临近提醒】县应急管理局") == 1
        stored_small.run("remind", "--today", "2025-05-09")
        assert down.titles().count("【临近提醒】县应急管理局") == 1
        assert "渠道异常" not in stored_small.run("channels", "list").output
    finally:
        down.stop()


def test_a_hanging_service_costs_the_timeout_once_and_the_run_goes_on(stored_small, hook):
    slow = Hook()
    slow.delay = 3
    try:
        plan = load_plan(stored_small.plan)
        with Store.open(stored_small.db) as store:
            for unit, url in (("yingji", slow.url("slow")), ("xuanchuan", hook.url("xc"))):
                found = parse(url)
                store.set_channel(unit, found.url, found.shown, found.ident, found.service, AT,
                                  "test")
            began = datetime.now()
            run = job.remind(store, plan, date(2025, 5, 9), AT, timeout=0.5)
            took = (datetime.now() - began).total_seconds()
        assert {d.error for d in run.failed} == {"连接超时：0.5秒内没有应答"}
        assert len(run.failed) > 1  # the rest of the slow channel's messages wait
        assert took < 2.5  # one timeout, not one per message
        assert hook.titles("xc") and not slow.received
    finally:
        slow.stop()


def test_a_run_after_missed_days_catches_up_without_repeating(stored_small, hook):
    # No run on Thursday 5-8 or Friday 5-9: Monday's run sends 防灾减灾日's reminder once
    # (its three-day and one-day reminders were both due on Friday), and the week's digest.
    _set(stored_small, "县应急管理局", hook.url("yj"))
    stored_small.run("remind", "--today", "2025-05-12")
    near = hook.messages("【临近提醒】县应急管理局")
    assert len(near) == 1 and "防灾减灾日宣传：2025年5月12日（周一），今天" in near[0]
    stored_small.run("remind", "--today", "2025-05-13")
    assert len(hook.messages("【临近提醒】县应急管理局")) == 1
    assert len(hook.messages("【本周任务】县应急管理局")) == 1


def test_a_dry_run_says_what_would_go_and_sends_and_logs_nothing(stored_small, hook, database):
    _set(stored_small, "县应急管理局", hook.url("yj"))
    result = stored_small.run("remind", "--today", "2025-05-09", "--dry-run").output
    assert f"would send 临近提醒 to 县应急管理局 via json://127.0.0.1:{hook.port}/yj:" in result
    assert "    · 防灾减灾日宣传：2025年5月12日（周一），还有3天" in result
    assert hook.received == []
    assert database.rows("SELECT COUNT(*) FROM reminder") == [(0,)]
    stored_small.run("remind", "--today", "2025-05-09")
    assert "【临近提醒】县应急管理局" in hook.titles()


def test_a_quiet_day_sends_nothing_and_says_so(stored_small, hook):
    _set(stored_small, "县应急管理局", hook.url("yj"))
    result = stored_small.run("remind", "--today", "2025-05-10").output
    assert result.strip() == "2025-05-10 is a quiet day (a weekend or holiday): no reminders"
    assert hook.received == []


def test_the_coordinators_channel_gets_the_copies(stored_small, hook):
    _set(stored_small, "coordinator", hook.url("kx"))
    stored_small.run("remind", "--today", "2025-06-03")
    [body] = hook.messages("【到期催办·抄送】")
    assert "· 县应急管理局：" in body


@on_both_databases
def test_one_sender_at_a_time(stored_small, hook):
    _set(stored_small, "县应急管理局", hook.url("yj"))
    plan = load_plan(stored_small.plan)
    with Store.open(stored_small.db) as first, Store.open(stored_small.db) as second:
        with first.sending("another-server:1", AT, job.LEASE) as mine:
            assert mine
            run = job.remind(second, plan, date(2025, 5, 9), AT)
            assert run.held and not run.sent
        assert hook.received == []
        result = stored_small.run("remind", "--today", "2025-05-09").output
        assert "sent 临近提醒" in result


@on_both_databases
def test_one_sender_among_processes(stored_small, hook):
    # Real processes: while another holds the lock (this test's store, as a server sending),
    # a `calendar-app remind` process sends nothing; then two started at once send each
    # reminder once between them (one waits out the other's lock, or finds it all logged).
    import subprocess
    import sys

    from .conftest import ROOT

    _set(stored_small, "县应急管理局", hook.url("yj"))
    command = [sys.executable, "-m", "calendar_app", "--plan", str(stored_small.plan), "--db",
               str(stored_small.db), "remind", "--today", "2025-05-09"]

    def start() -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    with Store.open(stored_small.db) as store:
        with store.sending("another-server:1", datetime.now(TZ), job.LEASE) as mine:
            assert mine
            said, _ = start().communicate(timeout=120)
            assert said.strip() == ("2025-05-09: another process is sending the reminders "
                                    "(a lock in the database); nothing sent by this one")
    assert hook.received == []
    hook.delay = 0.5  # the first is still sending when the second looks
    both = [start(), start()]
    outputs = [p.communicate(timeout=120)[0] for p in both]
    assert [p.returncode for p in both] == [0, 0]
    assert sum("sent 临近提醒 to 县应急管理局" in out for out in outputs) == 1
    titles = hook.titles("yj")
    assert "【临近提醒】县应急管理局" in titles and len(titles) == len(set(titles))


def test_a_lease_left_by_a_sender_that_died_is_taken_over(stored_small):
    with Store.open(stored_small.db) as store:
        with store.sending("died:1", AT, job.LEASE):
            pass
        # As if `died:1` never let go: the row is written back by hand.
        store.t.setting.insert(key="remind_sender", value='{"holder": "died:1", "until": '
                               f'"{(AT + job.LEASE).isoformat()}"}}').execute()
        with store.sending("me:2", AT + timedelta(minutes=5), job.LEASE) as mine:
            assert not mine
        with store.sending("me:2", AT + job.LEASE, job.LEASE) as mine:
            assert mine


def test_mail_arrives_at_a_real_smtp_server(stored_small):
    mailbox = Mailbox()
    try:
        _set(stored_small, "coordinator", mailbox.url("kx@cy.example"))
        stored_small.run("remind", "--today", "2025-06-03")
        [(sender, to, subject, body)] = mailbox.received
        assert (sender, to, subject) == ("kx@cy.example", ["kx@cy.example"], "【到期催办·抄送】")
        assert "· 县应急管理局：" in body and "最早2025年1月6日" in body
    finally:
        mailbox.stop()


def test_mail_through_a_server_that_asks_for_a_login_says_when_the_login_is_refused(
        stored_small, database):
    mailbox = Mailbox(password="Auth0rCode-1")
    try:
        wrong = mailbox.url("yj@cy.example", "kexie", "WrongCode-9")
        _set(stored_small, "县应急管理局", wrong)
        shown = f"mailto://kexie:****@127.0.0.1:{mailbox.port}/yj@cy.example"
        result = stored_small.run("remind", "--today", "2025-05-09")
        assert result.exit_code == 0
        assert f"failed: 临近提醒 to 县应急管理局 via {shown}: 邮件服务器拒绝登录：请核对用户名和授权码" \
            in result.output
        listed = stored_small.run("channels", "list").output
        assert "渠道异常：邮件服务器拒绝登录" in listed
        # (smtplib tries each way of logging in the server offers: PLAIN, then LOGIN)
        assert mailbox.received == [] and set(mailbox.logins) == {("kexie", False)}
        # The right authorisation code in place of the wrong one: its 测试消息 arrives (one
        # message: Apprise spaces a mailbox's messages seconds apart).
        right = mailbox.url("yj@cy.example", "kexie", "Auth0rCode-1")
        _set(stored_small, "县应急管理局", right)
        stored_small.run("channels", "remove", "县应急管理局", wrong)
        tested = stored_small.run("channels", "test", "县应急管理局").output
        assert tested.strip() == f"{shown}: arrived (the service accepted the 测试消息)"
        [(_, to, subject, body)] = mailbox.received
        assert (to, subject) == (["yj@cy.example"], "【测试消息】县应急管理局")
        assert mailbox.logins[-1] == ("kexie", True)
        assert "渠道异常" not in stored_small.run("channels", "list").output
        everything = result.output + listed + tested
        assert "WrongCode-9" not in everything and "Auth0rCode-1" not in everything
        # The log keeps the channel by Apprise's identity for it, never its URL.
        logged = database.rows("SELECT unit, kind, subject, day, channel, error FROM reminder")
        kept = database.rows("SELECT shown, ident, error FROM channel")
        assert logged and kept and all(secret not in str(row) for row in logged + kept
                                       for secret in ("WrongCode-9", "Auth0rCode-1"))
    finally:
        mailbox.stop()


def test_a_login_given_to_a_mail_server_that_offers_none_is_named_so(stored_small):
    """Not 无法连接: the server answered, but has no login for the user and code the
    address carries (an office's relay on the wrong port, or the address of another)."""
    mailbox = Mailbox()  # no password: the server offers no AUTH
    try:
        _set(stored_small, "县应急管理局", mailbox.url("yj@cy.example", "kexie", "Code-1"))
        result = stored_small.run("remind", "--today", "2025-05-09")
        assert result.exit_code == 0
        assert "邮件服务器不提供登录：请核对服务器地址和端口，或去掉地址中的用户名和授权码" in result.output
        assert "无法连接" not in result.output and mailbox.received == []
        assert "渠道异常：邮件服务器不提供登录" in stored_small.run("channels", "list").output
    finally:
        mailbox.stop()


# -- done when: the shipped plan ---------------------------------------------------------------

def test_the_shipped_plan_reminds_the_emergency_bureau_of_disaster_prevention_day(
        shipped_built, tmp_path, hook):
    # The "done when", step by step, on the shipped plan.
    ws = Workspace(tmp_path, SHIPPED)
    shutil.copy(shipped_built.db, ws.db)
    _set(ws, "县应急管理局", hook.url("yj"))
    channel = f"json://127.0.0.1:{hook.port}/yj"

    def logged() -> int:
        with closing(sqlite3.connect(ws.db)) as db:
            return db.execute("SELECT COUNT(*) FROM reminder").fetchone()[0]

    # --dry-run says what would go, and sends and logs nothing.
    dry = ws.run("remind", "--today", "2025-05-09", "--dry-run").output
    assert f"would send 临近提醒 to 县应急管理局 via {channel}:" in dry and "防灾减灾日" in dry
    assert hook.received == [] and logged() == 0
    # The channel's service is down: the run ends well (exit 0), naming the channel.
    hook.stop()
    down = ws.run("remind", "--today", "2025-05-09")
    assert down.exit_code == 0
    assert f"failed: 临近提醒 to 县应急管理局 via {channel}: 无法连接" in down.output
    # It is back: the next run delivers the 临近提醒 naming 防灾减灾日, once.
    hook.start()
    again = ws.run("remind", "--today", "2025-05-09")
    assert f"sent 临近提醒 to 县应急管理局 via {channel}" in again.output
    [near] = hook.messages("【临近提醒】县应急管理局")
    assert "防灾减灾日" in near and "2025年5月12日（周一），还有3天" in near
    # A second run the same day sends nothing.
    arrived = list(hook.received)
    assert "2025-05-09: 0 sent, 0 failed" in ws.run("remind", "--today", "2025-05-09").output
    assert hook.received == arrived
    assert hook.messages("【临近提醒】县应急管理局") == [near]


# -- serve sends them at the hour ---------------------------------------------------------------

@on_both_databases
def test_two_servers_on_one_database_send_each_reminder_once(stored_small, hook):
    from concurrent.futures import ThreadPoolExecutor

    from calendar_app.remind.timer import Timer

    _set(stored_small, "县应急管理局", hook.url("yj"))
    hook.delay = 0.2  # the first server is still sending when the second looks
    plan = load_plan(stored_small.plan)
    servers = [Timer(lambda: plan, str(stored_small.db), lambda: AT, print) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = list(pool.map(lambda t: t.tick(), servers))
        assert sorted(bool(r.held) for r in runs) == [False, True]
        titles = hook.titles("yj")
        assert "【临近提醒】县应急管理局" in titles and len(titles) == len(set(titles))
        # The same hour again: neither runs; the next hour, the log leaves nothing to send.
        assert [t.tick() for t in servers] == [None, None]
        later = AT + timedelta(hours=1)
        for t in servers:
            t.clock = lambda: later
        assert [len(t.tick().sent) for t in servers] == [0, 0]
        assert hook.titles("yj") == titles
    finally:
        for t in servers:
            if t.store is not None:
                t.store.close()


def test_no_run_before_the_hour_or_after_the_working_hours(stored_small, hook):
    from calendar_app.remind.timer import Timer

    _set(stored_small, "县应急管理局", hook.url("yj"))
    plan = load_plan(stored_small.plan)
    timer = Timer(lambda: plan, str(stored_small.db), lambda: AT.replace(hour=8, minute=59),
                  print)
    try:
        assert timer.tick() is None
        timer.clock = lambda: AT.replace(hour=19)
        assert timer.tick() is None and hook.received == []
    finally:
        assert timer.store is None


def test_serve_sends_the_days_reminders_itself(stored_small, hook):
    import re
    import subprocess
    import sys

    from .conftest import ROOT

    hour = datetime.now(TZ).hour
    stored_small.edit("  timezone: Asia/Shanghai\n",
                      f"  timezone: Asia/Shanghai\nreminders:\n  hour: {hour}\n")
    _set(stored_small, "县应急管理局", hook.url("yj"))
    stored_small.run("build", "--today", "2025-05-09")
    process = subprocess.Popen(
        [sys.executable, "-m", "calendar_app", "--plan", str(stored_small.plan), "--db",
         str(stored_small.db), "serve", "--port", "0", "--today", "2025-05-09", "--reminders"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = [process.stdout.readline() for _ in range(3)]
        assert re.search(r"http://127\.0\.0\.1:\d+/", said[1])
        assert said[2].startswith(f"sending the reminders from {hour}:00")
        line = process.stderr.readline()  # the run's summary, once it is done (after warnings)
        while line.startswith("warning:"):
            line = process.stderr.readline()
        assert line.startswith("reminders 2025-05-09: ") and " 0 failed" in line
        assert "【临近提醒】县应急管理局" in hook.titles("yj")
    finally:
        process.terminate()
        process.wait(timeout=20)
