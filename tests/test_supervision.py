"""The coordinator's supervision view on the shipped plan with five years of realistic records
(tests/realistic.py): findings one per problem, lights, completion rates, ranking, where the
plan stands, and the reminders a unit's home page shows."""

import json
from dataclasses import replace
from datetime import date, timedelta

from click.testing import CliRunner

from calendar_app.build import revision_time
from calendar_app.cli import cli
from calendar_app.schedule.expansion import expand
from calendar_app.store import Store
from calendar_app.supervision.lights import reminders, review

from . import realistic as story

END = date(2025, 12, 31)  # the plan's last day
NOW = date(2026, 12, 2)  # today: the plan period is over


def run(made, tmp_path, *args, ok=True):
    """The real CLI on the realistic database (read only here), exports in a fresh folder."""
    result = CliRunner().invoke(cli, ["--plan", str(made.plan), "--db", str(made.db),
                                      "--exports", str(tmp_path / "exports"), *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def standing(rev, unit):
    return next(s for s in rev.units if s.id == unit)


def led(entries, unit, test=lambda e: True):
    return [e for e in entries if e.units and e.lead == unit and not e.orphaned and test(e)]


def day(e):
    return e.start.date() if hasattr(e.start, "date") else e.start


def test_the_fixture_tells_its_story(snapshot):
    plan, entries, reports = snapshot
    done = [e for e in entries if e.status == "done"]
    assert len(done) == 2151  # of the shipped plan as it stands: a new obligation moves it
    # the daily push is reported by month: 58 monthly reports (not November 2024), no push
    push = [e for e in done if e.obligation == "m19-daily-push"]
    assert len(push) == 58 and {e.kind for e in push} == {"report"}
    assert all(e.done_count == e.planned_count == (e.slot_end - e.slot_start).days
               for e in push)
    assert [e.uid for e in entries if e.status == "cancelled"] == [
        "m21-disaster-day/2022", "m19-tv-weekly/2023-W05", story.MISSED]
    assert sum(1 for e in entries if e.fills) == 2 and sum(1 for e in entries if e.moved) == 1
    # every report is in the history, evidence two times in three
    assert {e.uid for e in done} <= set(reports)
    assert 0.5 < sum(reports[e.uid].evidence for e in done) / len(done) < 0.8


def test_one_finding_per_problem_with_every_event_it_covers(realistic, tmp_path):
    data = json.loads(run(realistic, tmp_path, "gaps", "--today", str(END), "--format",
                          "json").output)
    # the daily push unreported for November 2024 is one month's report, not 30 days
    (push,) = [f for f in data["findings"] if f["obligation"] == "m19-daily-push"]
    assert (push["unit"], push["kind"], push["count"]) == ("xuanchuan", "overdue", 1)
    assert push["events"] == ["m19-daily-push/report-2024-11"]
    assert push["message"] == ("2024年11月“天天科普”推送情况报送（截止2024年12月6日）逾期未报，"
                               "已过390天")
    # 港口乡's five overdue events after it stopped reporting: one line per problem, and
    # one per event in the detail
    detail = json.loads(run(realistic, tmp_path, "gaps", "--today", str(END), "--format", "json",
                            "--detail").output)["findings"]
    gangkou = [f for f in detail if f["unit"] == "gangkou" and f["kind"] == "overdue"]
    assert len(gangkou) == 5 and all(f["count"] == 1 for f in gangkou)
    assert sum(f["count"] for f in data["findings"]
               if f["unit"] == "gangkou" and f["kind"] == "overdue") == 5
    keys = [(f["kind"], f["unit"], f["obligation"]) for f in data["findings"]
            if f["kind"] in ("overdue", "unfilled_slot", "quota_behind", "milestone_behind")]
    assert len(keys) == len(set(keys))


def test_lights_as_of_the_plans_last_day(snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, END, reports=reports)
    lights = {s.id: s.light for s in rev.units}
    red = {"xuanchuan", "gangkou", "gaojian", "linye", "jiaoyu", "nongye", "fagai"}
    assert {u for u, light in lights.items() if light == "red"} == red
    # 县统计局's team is 27 of 30; 县委组织部 has not reported late December yet
    assert {u for u, light in lights.items() if light == "amber"} == {"tongji", "zuzhi"}
    assert standing(rev, "zuzhi").reasons == ("1项将在7天内逾期",)
    assert set(lights.values()) == {"red", "amber", "green"}
    assert standing(rev, "xuanchuan").reasons == ("逾期未报1项",)  # November 2024's push
    assert standing(rev, "jiaoyu").reasons == ("取消未补办1项",)  # the 2023 teachers: amber only
    assert standing(rev, "nongye").reasons == ("农民教育培训（每年2000人次以上）落后于进度",
                                               "农村创业创新带头人培育（县里按每年200名以上计）落后于进度")
    towns, teams = (next(o.title for o in plan.obligations if o.id == oid)
                    for oid in ("m16-towns", "m27-teams"))
    assert standing(rev, "fagai").reasons == (f"{towns}落后于进度",)
    assert standing(rev, "tongji").reasons == (f"{teams}略落后于进度",)
    assert standing(rev, "yingji").light == "green"  # cancelled, made up, moved: all in order
    measures = {s.id: s.light for s in rev.measures}
    assert measures["2"] == "red" and measures["3"] == "amber" and measures["21"] == "green"
    assert {s.id: s.lead for s in rev.measures}["26"] == "各乡镇"


def test_completion_rates_count_what_fell_due(snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, END, reports=reports)
    ended = led(entries, "linye", lambda e: e.live and e.after <= END)
    silent_2024 = [e for e in ended if day(e).year == 2024]
    linye = standing(rev, "linye").tally
    assert (linye.due, linye.done, linye.overdue) == (len(ended), len(ended) - 5, 5)
    assert len(silent_2024) == 5
    # the cancelled lecture tour counts as due and not done; the made-up 防灾减灾日 does not
    jiaoyu = standing(rev, "jiaoyu").tally
    assert (jiaoyu.missed, jiaoyu.due - jiaoyu.done) == (1, 1)
    yingji = standing(rev, "yingji").tally
    assert yingji.due == yingji.done == len(led(entries, "yingji",
                                                lambda e: e.live and e.after <= END))
    total = rev.total
    assert total.done == sum(1 for e in entries if e.status == "done" and e.after <= END)
    assert total.due == sum(s.tally.due for s in rev.units)
    assert round(total.rate, 4) == round(total.done / total.due, 4)


def test_ranking_by_completion_rate_then_overdue_then_light(snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, END, reports=reports)
    ranks = {s.id: s.rank for s in rev.units}
    greens = sum(1 for s in rev.units if s.light == "green")
    assert greens == 27 and sum(1 for r in ranks.values() if r == 1) == greens  # all at 100%
    # 100% but amber, then 100% but red (quotas behind), then by rate: 685/689 (a month of
    # the daily push is one report), 105/106 with one missed, 80/81 with a report pending,
    # 36/41 twice, 21/26
    assert [ranks[u] for u in ("tongji", "nongye", "fagai", "xuanchuan", "jiaoyu", "zuzhi",
                               "gangkou", "gaojian", "linye")] == [
        28, 29, 29, 31, 32, 33, 34, 34, 36]
    assert [s.id for s in rev.units][-1] == "linye"


def test_amber_turns_red_when_the_grace_runs_out(snapshot):
    plan, entries, reports = snapshot
    second_half = (date(2025, 7, 1), date(2026, 1, 1))
    # 港口乡 stopped reporting; its 科普月 event ended 2025-09-30: overdue from 10-08
    before = standing(review(plan, entries, date(2025, 10, 3), *second_half), "gangkou")
    assert (before.light, before.reasons) == ("amber", ("1项将在7天内逾期",))
    after = standing(review(plan, entries, date(2025, 10, 8), *second_half), "gangkou")
    assert (after.light, after.reasons) == ("red", ("逾期未报1项",))
    calm = replace(plan.settings, warn_days=3)  # overdue in 5 days, warned of 3 ahead: not yet
    quiet = standing(review(plan, entries, date(2025, 10, 3), *second_half, settings=calm),
                     "gangkou")
    assert (quiet.light, quiet.reasons) == ("green", ("按期推进，1项待登记（未到期限）",))


def test_reminders_for_a_units_home_page(snapshot):
    plan, entries, _ = snapshot
    soon = reminders(entries, "gangkou", date(2025, 10, 3), plan.settings)
    assert ([e.uid for e in soon.overdue], [e.uid for e in soon.soon]) == (
        [], ["m26-science-day/2025/gangkou"])
    later = reminders(entries, "gangkou", date(2025, 12, 31), plan.settings)
    assert [e.uid for e in later.overdue] == [e.uid for e in led(
        entries, "gangkou", lambda e: e.live and day(e) > story.STOPPED_AFTER
        and e.overdue(date(2025, 12, 31), 7))]
    assert len(later.overdue) == 5
    assert [day(e) for e in later.overdue] == sorted(day(e) for e in later.overdue)
    assert reminders(entries, "yingji", date(2025, 12, 31), plan.settings).overdue == ()


def test_the_final_state_once_the_plan_is_over(realistic, tmp_path, snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, NOW, reports=reports)
    assert rev.stage.state == "over" and "已于2025年12月31日结束" in rev.stage.text
    # the reports still missing at the snapshot are overdue by now
    late = [e for e in entries if e.after > story.SNAPSHOT + timedelta(days=1) and e.live]
    assert standing(rev, "xuanchuan").tally.overdue == 1 + sum(
        e.lead == "xuanchuan" and e.reported_alone for e in late)
    assert standing(rev, "fagai").tally.overdue == 3
    text = run(realistic, tmp_path, "gaps", "--today", str(NOW)).output
    assert text.splitlines()[1] == ("实施期2021年1月1日至2025年12月31日已于2025年12月31日结束，"
                                    "以下为最终完成情况。")


def test_before_the_plan_and_a_period_with_nothing_due(shipped, tmp_path):
    _nothing_recorded(shipped, tmp_path)
    text = shipped.run("gaps", "--today", "2020-06-01", "--from", "2021-01-01", "--to",
                       "2021-03-31").output
    assert text.splitlines()[1] == "实施期2021年1月1日至2025年12月31日尚未开始（还有214天），暂无到期事项。"
    assert "本期内还没有到期的事项，也没有发现问题。（本期共有" in text
    data = json.loads(shipped.run("gaps", "--today", "2020-06-01", "--format", "json").output)
    assert data["plan"]["stage"] == "before"
    assert {u["light"] for u in data["units"]} == {"none"}
    assert {u["reasons"][0] for u in data["units"]} == {"尚无到期事项"}
    empty = shipped.run("gaps", "--today", str(NOW), "--from", "2030-01-01", "--to",
                        "2030-12-31").output
    assert empty.endswith("本期内还没有到期的事项，也没有发现问题。\n")
    assert len(empty.splitlines()) == 3


def test_a_unit_with_no_events_in_the_period_is_listed_as_such(snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, END, category="H", reports=reports)  # 应急科普: a few units
    quiet = standing(rev, "tongji")
    assert (quiet.light, quiet.reasons, quiet.rank) == ("none", ("本期无活动",), None)
    assert [s.id for s in rev.measures] == ["20", "21"]
    assert [s.id for s in rev.units][-1] != "yingji" and standing(rev, "yingji").rank == 1


def test_last_report_and_evidence_come_from_the_history(snapshot):
    plan, entries, reports = snapshot
    rev = review(plan, entries, END, reports=reports)
    gangkou = standing(rev, "gangkou")
    last = max(reports[e.uid].at.date() for e in led(entries, "gangkou") if e.uid in reports)
    assert gangkou.last_report == last and last <= story.STOPPED_AFTER + timedelta(days=6)
    assert standing(review(plan, entries, END), "gangkou").last_report is None


def test_the_shipped_plan_with_nothing_recorded_reads_in_minutes(shipped, tmp_path):
    plan_entries = _nothing_recorded(shipped, tmp_path)
    out = shipped.run("gaps", "--today", str(END)).output
    lines = out.splitlines()
    assert len(lines) < 600, len(lines)  # 499 today: 36 units, 30 measures, the findings
    assert sum("崇阳网、云上崇阳App科普宣传栏推送" in line for line in lines) == 1
    # one report a month, those due by the day before: 59, at most 12 a year
    months = sum(1 for e in plan_entries if e.obligation == "m19-daily-push"
                 and e.kind == "report" and e.after <= END)
    assert months == 59 and f"逾期未报{months}次" in out and "【县委宣传部】红灯" in out
    assert sum(1 for e in plan_entries if e.obligation == "m19-daily-push"
               and e.kind == "report" and e.slot_start.year == 2025) == 12


def _nothing_recorded(ws, tmp_path):
    from calendar_app.plan.reader import load_plan

    plan = load_plan(ws.plan)
    with Store.open(ws.db, create=True) as store:
        store.sync(expand(plan).events, (plan.start, plan.end), revision_time(END), "test")
        return store.entries()


def test_overdue_means_more_than_overdue_days_after_the_event_ended(snapshot):
    _, entries, _ = snapshot
    (e,) = [e for e in entries if e.uid == "m19-tv-weekly/2025-W52"]  # unreported, 12-24
    assert e.after == date(2025, 12, 25)
    assert not e.overdue(date(2025, 12, 31), 7)  # the 7th day after: still in time
    assert e.overdue(date(2026, 1, 1), 7) and e.overdue(date(2025, 12, 25), 0)
    (done,) = [e for e in entries if e.uid == "m19-tv-weekly/2025-W50"]
    assert not done.overdue(NOW, 7)
    # a month's report is overdue the day after it is due; its pushes never are
    (task,) = [e for e in entries if e.uid == "m19-daily-push/report-2024-11"]
    assert day(task) == date(2024, 12, 6)  # 5 working days after November
    assert not task.overdue(date(2024, 12, 6), 7) and task.overdue(date(2024, 12, 7), 7)
    (push,) = [e for e in entries if e.uid == "m19-daily-push/2024-11-10"]
    assert push.status == "planned" and not push.overdue(NOW, 7)


def test_the_store_tells_when_each_event_was_last_reported(realistic_ws):
    ws = realistic_ws
    uid = "m19-daily-push/2024-11-10"
    with Store.open(ws.db) as store:
        assert uid not in store.reports()
    ws.run("record", "done", uid, "--evidence", "截图1张", "--attendance", "300")
    ws.run("record", "move", "m19-daily-push/2024-11-11", "--to", "2024-11-11T10:00")
    with Store.open(ws.db) as store:
        reports = store.reports()
    assert reports[uid].evidence == 1 and reports["m19-daily-push/2024-11-11"].evidence == 0
    fixture = [r.at for u, r in reports.items() if u.startswith("m") and "2024-11-1" not in u]
    assert reports[uid].at > max(fixture)  # the report just made is the latest
