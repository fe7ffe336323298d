"""The period's summary (实施情况总结), written by the real CLI from five years of realistic
records and read back with python-docx: a section per measure, the 36 units, and every number
the ledger of the same period and day gives; before the end it is a mid-term review."""

from __future__ import annotations

import io
import re

import docx
import openpyxl
import pytest

from .test_supervision import run

AFTER = "2026-01-10"  # the period has ended: the final summary
SUMMARY = "实施情况总结-2021-2025.docx"


@pytest.fixture(scope="module")
def made(realistic, tmp_path_factory):
    """The summary and the whole period's ledger, made as of the same day."""
    folder = tmp_path_factory.mktemp("summary")
    out = run(realistic, folder, "export", "summary", "--today", AFTER)
    path = folder / "exports" / "reports" / SUMMARY
    assert out.output.strip() == str(path)
    run(realistic, folder, "export", "ledger", "--today", AFTER)
    book = openpyxl.load_workbook(folder / "exports" / "reports" / "台账-2021-2025.xlsx")
    return docx.Document(str(path)), book, folder


def _rows(sheet) -> list[dict]:
    header = [c.value for c in sheet[2]]
    return [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)]


def _number(text: str, before: str) -> int:
    found = re.search(rf"{before}(\d+)", text)
    assert found, (before, text)
    return int(found[1])


def test_it_has_a_section_for_each_of_the_30_measures(made):
    document = made[0]
    sections = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert len(sections) == 30 and sections[0] == "措施1：提升各年龄阶段科学教育"
    assert sections[15] == "措施16：加强科普基础设施建设"
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.startswith("崇阳县全民科学素质行动实施方案（2021—2025年）实施情况总结\n")
    for heading in ("一、总体情况", "二、各项措施完成情况", "三、各单位完成情况", "四、存在的问题和不足",
                    "五、下一步工作打算"):
        assert f"\n{heading}\n" in text
    # what the plan required, verbatim, and the milestones reached or missed
    assert "方案要求：加强县科技馆建设和运营管理，积极开展各级科普教育基地创建。到2025年" in text
    assert re.search(r"创建科普小镇5家以上（2025年底截止）（2021年1月1日至2025年12月31日）："
                     r"已记录\d+家，目标5家，(已达到|未达到)。", text)
    assert "{observance}" not in text and "种子" not in text


def test_the_units_table_lists_the_36_units_as_the_ledger_does(made):
    document, book, _ = made
    table = document.tables[1]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["名次", "单位", "类别", "应办", "完成", "完成率", "逾期未报", "取消未补办",
                      "参加人数", "佐证材料"]
    rows = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert len(rows) == 36
    ledger = _rows(book["按单位"])
    assert [r[1] for r in rows] == [r["单位"] for r in ledger]
    for ours, theirs in zip(rows, ledger, strict=True):
        assert [int(x) for x in ours[3:5] + ours[6:10]] == \
            [theirs[k] for k in ("应办（次）", "完成（次）", "逾期未报", "取消未补办", "参加人数合计",
                                 "佐证材料（份）")], ours[1]


def test_the_overview_s_totals_are_the_ledger_s(made):
    document, book, _ = made
    overview = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    ledger = _rows(book["按措施"])
    assert len(ledger) == 30
    for ours, column in (("应办（项）", "应办（次）"), ("完成（项）", "完成（次）"),
                         ("逾期未报（项）", "逾期未报"), ("取消未补办（项）", "取消未补办"),
                         ("参加人数合计（人次）", "参加人数合计"), ("佐证材料（份）", "佐证材料（份）")):
        # — : a measure whose work asks no number (measure 30's budget lines)
        assert int(overview[ours]) == sum(r[column] for r in ledger if r[column] != "—"), ours
    assert int(overview["完成（项）"]) > 0 and int(overview["取消（项）"]) > 0
    assert int(overview["补办（项）"]) > 0
    events = _rows(book["活动明细"])
    assert int(overview["取消（项）"]) == sum(1 for r in events if r["状态"].startswith("取消"))
    paragraph = next(p.text for p in document.paragraphs if p.text.startswith("统计期间，日历共安排"))
    assert _number(paragraph, "已完成") == int(overview["完成（项）"])
    # each measure's section says the ledger's row
    for row in ledger:
        said = next(p.text for p in document.paragraphs
                    if p.text.startswith("完成情况：") and p._p.getprevious() is not None
                    and _section_of(document, p) == row["措施"])
        assert _number(said, "应办") == row["应办（次）"] and _number(said, "完成") == row["完成（次）"]
        if row["参加人数合计"] == "—":
            assert "人次" not in said, said
        else:
            assert f"参加{row['参加人数合计']}人次" in said, said
    assert [r["措施"] for r in ledger if r["参加人数合计"] == "—"] == [
        7, 10, 14, 17, 18, 22, 25, 28, 29, 30]


def _section_of(document, paragraph) -> int | None:
    number = None
    for p in document.paragraphs:
        if p.style.name == "Heading 2":
            number = int(re.match(r"措施(\d+)", p.text)[1])
        if p._p is paragraph._p:
            return number
    return None


def test_what_fell_short_is_in_the_gap_report_s_words(made, realistic, tmp_path):
    document = made[0]
    text = "\n".join(p.text for p in document.paragraphs)
    short = text.split("\n四、存在的问题和不足\n", 1)[1].split("\n五、", 1)[0]
    gaps = run(realistic, tmp_path, "gaps", "--today", AFTER, "--format", "json").output
    import json

    messages = [f["message"] for f in json.loads(gaps)["findings"]
                if f["kind"] not in ("rotation_uncovered", "idle_unit", "overload")]
    assert messages and short.splitlines() == messages


def test_the_dashboard_offers_it_and_the_same_day_gives_the_same_bytes(made, realistic):
    folder = made[2]
    page = (folder / "exports" / "gaps" / "index.html").read_text("utf-8")
    assert "2021—2025年实施情况总结（Word）" in page
    path = folder / "exports" / "reports" / SUMMARY
    before = path.read_bytes()
    run(realistic, folder, "export", "summary", "--today", AFTER)
    assert path.read_bytes() == before


def test_during_the_period_it_is_a_mid_term_review(realistic, tmp_path):
    run(realistic, tmp_path, "export", "summary", "--today", "2023-06-30")
    reports = tmp_path / "exports" / "reports"
    assert sorted(p.name for p in reports.iterdir()) == ["中期评估-2021-2025.docx"]
    document = docx.Document(str(reports / "中期评估-2021-2025.docx"))
    assert document.paragraphs[0].text.endswith("中期评估报告")
    assert "截至2023年6月30日" in document.paragraphs[1].text
    assert document.core_properties.created.date().isoformat() == "2023-06-30"


def test_the_coordinator_downloads_it_from_the_web_application(web):
    answer = web.client("kx").get("/summary.docx")
    assert answer.status_code == 200 and answer.mimetype.endswith("wordprocessingml.document")
    assert "filename*=UTF-8''%E4%B8%AD%E6%9C%9F" in answer.headers["Content-Disposition"]  # 中期
    document = docx.Document(io.BytesIO(answer.data))
    assert len(document.tables[1].rows) == 1 + len(web.site.plan().units)
    assert web.client("yj").get("/summary.docx").status_code == 403
    assert "/summary.docx" in web.client("kx").get("/dashboard").text
