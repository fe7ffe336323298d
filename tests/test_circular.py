"""The monthly circular (通报): written by the real CLI as HTML and PDF, the PDF read back with
pdftotext; one or two A4 pages whatever the month holds."""

import re
import subprocess
from dataclasses import replace
from datetime import date

import pytest

from calendar_app.supervision import circular

from .test_supervision import _nothing_recorded, run

NOVEMBER = (date(2025, 11, 1), date(2025, 12, 1))
MADE_ON = date(2025, 12, 2)


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return int(next(line.split()[1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


@pytest.fixture(scope="module")
def november(realistic, tmp_path_factory):
    folder = tmp_path_factory.mktemp("circular")
    out = run(realistic, folder, "export", "circular", "--month", "2025-11", "--today",
              str(MADE_ON)).output.split()
    reports = folder / "exports" / "reports"
    assert out == [str(reports / "通报-2025-11.html"), str(reports / "通报-2025-11.pdf")]
    return reports / "通报-2025-11.pdf"


def _tally(entries, start, end, today):
    """Due and done in [start, end) as the rules count them, by hand."""
    mine = [e for e in entries if not e.orphaned and e.live and e.reported_alone
            and (e.start.date() if hasattr(e.start, "date") else e.start) < end and e.after > start]
    due = [e for e in mine if e.status == "done" or e.after <= today]
    return len(due), sum(e.status == "done" for e in due)


def test_the_shape_and_the_numbers_of_a_month(november, snapshot):
    _, entries, _ = snapshot
    text = pdf_text(november)
    flat = "".join(text.split())
    assert pages(november) <= 2
    assert "崇阳县全民科学素质工作领导小组办公室" in text and "关于2025年11月重点任务落实情况的通报" in text
    assert "县全民科学素质工作领导小组各成员单位，各乡镇：" in flat
    due, done = _tally(entries, *NOVEMBER, MADE_ON)
    assert f"本月全县应办活动{due}项，已登记完成{done}项，完成率{done / due:.1%}。" in flat
    year_due, year_done = _tally(entries, date(2025, 1, 1), NOVEMBER[1], MADE_ON)
    assert f"2025年1月至11月累计应办{year_due}项，完成{year_done}项" in flat
    assert "33个单位为绿灯，0个为黄灯，3个为红灯" in flat
    # ranked: 港口乡 and 高枧乡, silent since July, share the last place
    assert "35港口乡●红灯0/150.0%3" in flat and "35高枧乡●红灯0/150.0%3" in flat
    overdue = flat[flat.index("三、逾期未报事项"):flat.index("四、指标进度")]
    assert overdue.count("（3项）") == 2 and "港口乡" in overdue and "县林业局" not in overdue
    progress = flat[flat.index("四、指标进度"):flat.index("五、下步要求")]
    assert "“创建科普小镇5家以上" in progress and "县发改局已完成3家" in progress
    assert "（2021年1月1日至2025年12月31日）" in progress
    assert not re.search(r"\d{4}-\d\d-\d\d", flat)  # a circular writes its dates out
    assert "请上述单位于2025年12月9日前补登记" in flat
    assert flat.endswith("崇阳县全民科学素质工作领导小组办公室2025年12月2日—2—")


def test_two_pages_even_when_nothing_was_reported(shipped, tmp_path):
    entries = _nothing_recorded(shipped, tmp_path)
    from calendar_app.plan.reader import load_plan

    plan = load_plan(shipped.plan)
    for month in (date(2025, 12, 1),):  # the fullest month: the year's ranking and lists
        path = tmp_path / f"{month:%m}.pdf"
        path.write_bytes(circular.pdf(circular.page(plan, entries, month, date(2026, 12, 2))))
        assert pages(path) <= 2
        text = "".join(pdf_text(path).split())
        assert "0个单位为绿灯" in text and "也有逾期未报事项，详见台账" in text


def test_what_the_plan_says_is_printed_as_text(snapshot):
    plan, entries, reports = snapshot
    odd = replace(plan, settings=replace(plan.settings, issuer="<i>县科协</i>"))
    html = circular.page(odd, entries, NOVEMBER[0], MADE_ON, reports)
    assert "&lt;i&gt;县科协&lt;/i&gt;" in html and "<i>" not in html


def test_a_month_outside_the_plan_is_refused_and_writes_nothing(realistic, tmp_path):
    bad = run(realistic, tmp_path, "export", "circular", "--month", "2026-03", ok=False)
    assert bad.exit_code == 1
    assert bad.output == "2026-03 is outside the plan period 2021-01-01 to 2025-12-31\n"
    assert not (tmp_path / "exports").exists()
