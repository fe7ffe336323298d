"""The ledger (台账) of the realistic records, written by the real CLI and read back with
openpyxl: the sheets, frozen headers and filters, real dates and numbers, and the counts."""

from datetime import date, datetime

import openpyxl
import pytest

from calendar_app.formats.termtable import width

from .test_supervision import run


@pytest.fixture(scope="module")
def book(realistic, tmp_path_factory):
    folder = tmp_path_factory.mktemp("ledger")
    out = run(realistic, folder, "export", "ledger", "--year", "2024", "--today", "2026-12-02")
    path = folder / "exports" / "reports" / "台账-2024.xlsx"
    assert out.output.strip() == str(path)
    return openpyxl.load_workbook(path)


def rows(sheet):
    header = [c.value for c in sheet[2]]
    return [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)]


def test_sheets_have_a_title_a_frozen_header_and_filters(book):
    assert book.sheetnames == ["按措施", "按单位", "活动明细", "说明"]
    for name in ("按措施", "按单位", "活动明细"):
        sheet = book[name]
        assert sheet["A1"].value.endswith("重点任务台账（2024年1月1日至12月31日）　截至2026年12月2日")
        assert sheet.freeze_panes == "B3"
        assert sheet.auto_filter.ref == f"A2:{sheet.cell(2, sheet.max_column).column_letter}" \
                                        f"{sheet.max_row}"
        assert all(c.font.b for c in sheet[2])
        # columns as wide as their Chinese heading at least, and no wider than the limit
        for cell in sheet[2]:
            size = sheet.column_dimensions[cell.column_letter].width
            assert width(cell.value) <= size <= 62, (name, cell.value, size)


def test_every_event_of_the_year_with_real_dates_and_numbers(book, snapshot):
    plan, entries, _ = snapshot
    events = rows(book["活动明细"])
    # the daily push by its monthly reports, not day by day
    of_2024 = [e for e in entries if not e.orphaned and e.after > date(2024, 1, 1)
               and (e.start.date() if hasattr(e.start, "date") else e.start).year <= 2024
               and e.reported_alone]
    assert len(events) == len(of_2024)
    first = book["活动明细"]["A3"]
    assert isinstance(first.value, datetime) and first.number_format == "yyyy-mm-dd"
    done = [r for r in events if r["状态"] == "完成"]
    assert all(isinstance(r["完成日期"], datetime) for r in done)
    # a number where the obligation asks one; none for a TV segment or a progress report
    silent = {e.title for e in entries if not plan.asks(e)}
    counted = [r for r in done if "情况报送" not in r["活动"]]
    assert all(isinstance(r["参加人数"], int) for r in counted if r["活动"] not in silent)
    assert all(r["参加人数"] is None for r in counted if r["活动"] in silent)
    assert sum(r["活动"] == "崇阳电视台科普知识栏目" for r in counted) > 40
    pushes = [r for r in events if "“天天科普”推送情况报送" in r["活动"]]
    assert len(pushes) == 12 and pushes[0]["活动"] == "2023年12月“天天科普”推送情况报送"
    # January's is due 2024-02-06: 02-04, a Sunday, is worked (调休)
    assert pushes[1]["备注"] == "完成31/计划31" and pushes[1]["日期"] == datetime(2024, 2, 6)
    # November's report of 县委宣传部, 5 events of 县林业局
    assert sum(r["状态"] == "逾期未报" for r in events) == 6
    (moved,) = [r for r in events if r["备注"] and "已改期" in r["备注"]]
    assert moved["日期"] == datetime(2024, 11, 12) and moved["状态"] == "完成"
    assert {r["牵头单位"] for r in events if r["状态"] == "逾期未报"} == {"县委宣传部", "县林业局"}


def test_by_unit_counts_and_rates(book, snapshot):
    units = {r["单位"]: r for r in rows(book["按单位"])}
    assert len(units) == 36
    linye = units["县林业局"]
    assert (linye["应办（次）"], linye["完成（次）"], linye["逾期未报"], linye["灯色"]) == (5, 0, 5, "红灯")
    assert linye["名次"] == 36 and linye["最近登记"] is None
    push = units["县委宣传部"]
    assert push["逾期未报"] == 1 and push["完成（次）"] == push["应办（次）"] - 1
    assert push["完成率"] == pytest.approx(push["完成（次）"] / push["应办（次）"])
    cell = next(c for c in book["按单位"]["F"][2:] if isinstance(c.value, float))
    assert cell.number_format == "0.0%"
    assert units["县农业农村局"]["灯色"] == "红灯"  # farmer training: 1,500 of 2,000 in 2024


def test_by_measure_with_the_plans_words_and_what_was_done(book, snapshot):
    plan, _, _ = snapshot
    measures = {r["措施"]: r for r in rows(book["按措施"])}
    assert sorted(measures) == list(range(1, 31))
    m21 = measures[21]
    assert m21["方案原文"] == plan.measures[21].text and m21["牵头单位"] == "县应急管理局"
    assert "全国消防日应急科普宣教（消防演练）：完成1次/应办1次（2024年11月12日" in m21["完成情况"]
    assert m21["佐证材料（份）"] >= 0 and isinstance(m21["参加人数合计"], int)
    assert measures[4]["灯色"] == "红灯" and measures[19]["逾期未报"] == 1
    assert ("崇阳网、云上崇阳App科普宣传栏推送（天天科普）：报送11期/应报12期（报送的各期完成336/计划336）"
            in measures[19]["完成情况"])


def test_the_same_day_gives_the_same_bytes_and_a_bad_period_is_refused(realistic, tmp_path):
    period = ("--from", "2022-05-01", "--to", "2023-02-28", "--today", "2026-12-02")
    run(realistic, tmp_path, "export", "ledger", *period)
    path = tmp_path / "exports" / "reports" / "台账-2022-05-01至2023-02-28.xlsx"
    first = path.read_bytes()
    run(realistic, tmp_path, "export", "ledger", *period)
    assert path.read_bytes() == first
    made_up = [r for r in rows(openpyxl.load_workbook(path)["活动明细"])
               if r["备注"] and r["备注"].startswith("补办：原定")]
    assert [r["备注"] for r in made_up] == ["补办：原定2022-05-12", "补办：原定2023-02-01"]
    bad = run(realistic, tmp_path, "export", "ledger", "--year", "2030", ok=False)
    assert bad.exit_code == 1
    assert bad.output == "2030-01-01 to 2030-12-31 is outside the plan period 2021-01-01 to 2025-12-31\n"
    assert not (tmp_path / "exports" / "reports" / "台账-2030.xlsx").exists()


def test_no_title_keeps_its_placeholder(book):
    """An obligation titled "{observance}…" is 全国科普日… where no one year is meant; each
    event's own row says that year's name (全国科普月 from 2025)."""
    cells = [str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
             if v is not None]
    assert not [c for c in cells if "{observance}" in c]
    assert any("全国科普日期间公共交通、户外电子屏、楼宇电视科普内容集中投放" in c for c in cells)
