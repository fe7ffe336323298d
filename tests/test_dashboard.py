"""The coordinator's dashboard (exports/gaps/index.html) as `build` writes it from the
realistic records: what it says, where its links go, and how it behaves in a real browser
(the Debian chromium through Playwright) on a phone and printed on A4."""

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from calendar_app.supervision import dashboard
from calendar_app.supervision.lights import review

from .conftest import Workspace

NOW = "2026-12-02"


@pytest.fixture(scope="module")
def built(realistic, tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("dashboard"), realistic.plan)
    shutil.copy(realistic.db, ws.db)
    out = ws.run("build", "--today", NOW).output
    assert "gaps: 2 files written" in out  # the dashboard and its data
    assert "../reports/" not in page(ws)  # none made yet
    # the coordinator makes the ledger and the circular; the dashboard offers them at once
    ws.run("export", "ledger", "--today", NOW)
    ws.run("export", "circular", "--month", "2025-12", "--today", NOW)
    return ws


def page(ws) -> str:
    return (ws.exports / "gaps" / "index.html").read_text(encoding="utf-8")


def test_it_says_where_the_plan_stands_and_who_needs_attention(built):
    html = page(built)
    assert "实施期2021年1月1日至2025年12月31日已于2025年12月31日结束，以下为最终完成情况。" in html
    attention = html[html.index("需要关注的单位"):html.index("下载：")]
    assert re.findall(r'<a href="#u-([a-z]+)">', attention) == [
        "xuanchuan", "gangkou", "gaojian", "linye", "fagai", "jiaoyu", "zuzhi", "nongye",
        "tongji"]  # red by what is overdue or missed, then amber
    units = html[html.index('<section id="units">'):html.index('<section id="measures">')]
    assert units.count("<tr><td class=\"num\"") == 36
    assert "有活动结束超过7天仍未登记" in html  # the rules, on the page itself
    assert len(html.encode()) < 300_000


def test_every_link_leads_somewhere(built):
    html = page(built)
    folder = built.exports / "gaps"
    targets = set(re.findall(r'href="(\.\./[^"#]+)(?:#([^"]+))?"', html))
    offered = [unquote(t) for t, _ in targets if "reports/" in t]
    assert sorted(offered) == ["../reports/台账-2021-2025.xlsx", "../reports/通报-2025-12.html",
                               "../reports/通报-2025-12.pdf"]
    pages: dict[Path, str] = {}
    for target, row in targets:
        path = (folder / unquote(target)).resolve()
        assert path.exists(), target
        if row:
            text = pages.setdefault(path, path.read_text(encoding="utf-8"))
            assert f'<tr id="{row}"' in text, (target, row)


def test_the_page_is_a_pure_function_of_its_inputs(snapshot):
    plan, entries, reports = snapshot
    from datetime import date

    rev = review(plan, entries, date(2026, 12, 2), reports=reports)
    first = dashboard.page(rev, plan, entries)
    assert first == dashboard.page(review(plan, list(reversed(entries)), date(2026, 12, 2),
                                          reports=reports), plan, entries)

    class Web:  # the web application links to its own pages
        def event(self, uid, unit, day):
            return f"/events/{uid}"

        def month(self, unit, month):
            return f"/month/{month}?unit={unit}"

        def data(self):
            return "/gaps.json"

    web = dashboard.page(rev, plan, entries, Web(), [("2025年12月通报（PDF）", "/circular/2025-12.pdf")])
    assert 'href="/events/m19-daily-push/report-2024-11"' in web and "../" not in web
    assert '<a href="/circular/2025-12.pdf">2025年12月通报（PDF）</a>' in web


def test_on_a_phone_only_the_wide_tables_scroll(built, browser):
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    tab.goto((built.exports / "gaps" / "index.html").as_uri())
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    circular = next((built.exports / "reports").glob("通报-*.html"))
    tab.goto(circular.as_uri())
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    tab.close()


def test_on_a_phone_it_is_a_few_screens_long_with_each_units_findings_a_tap_away(built,
                                                                                 browser):
    tab = browser.new_page(viewport={"width": 390, "height": 844})
    tab.goto((built.exports / "gaps" / "index.html").as_uri())
    screens = tab.evaluate("document.documentElement.scrollHeight") / 844
    assert screens <= 10, screens
    group = tab.locator("details.unit-group").first
    assert not group.evaluate("d => d.open")
    group.locator("summary").click()
    assert group.locator("tbody tr").first.is_visible()
    # A link to a unit's findings (the heat map's and the ranking's) opens them.
    unit = tab.locator("details.unit-group").nth(3).get_attribute("id")
    tab.goto((built.exports / "gaps" / "index.html").as_uri() + "#" + unit)
    assert tab.locator(f"#{unit} tbody tr").first.is_visible()
    tab.close()


def test_sorting_and_one_measures_findings(built, browser):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.goto((built.exports / "gaps" / "index.html").as_uri())
    names = "#units tbody tr td:nth-child(2)"
    assert tab.locator(names).first.inner_text() != "县林业局"
    tab.locator("#units th", has_text="完成率").click()  # ascending: the lowest rate first
    assert tab.locator(names).first.inner_text() == "县林业局"
    tab.locator('a[data-measure="19"]').click()
    shown = tab.locator("#findings tbody tr:visible")
    measures = shown.evaluate_all("rows => rows.map(r => r.dataset.measure)")
    assert measures and set(measures) == {"19"}
    tab.locator("#show-all").click()
    assert shown.count() > len(measures)
    tab.close()


def test_it_prints_on_a4(built, browser, tmp_path):
    tab = browser.new_page()
    tab.goto((built.exports / "gaps" / "index.html").as_uri())
    pdf = tab.pdf(format="A4", landscape=True, print_background=True)
    tab.close()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 3 <= pages <= 8, pages


def test_the_ledgers_and_circulars_made_so_far_are_offered():
    from calendar_app.supervision.links import offered

    names = {"台账-2024.xlsx", "台账-2021-2025.xlsx", "台账-2025-01-01至2025-06-30.xlsx",
             "yingji-2025-05.xlsx", *(f"通报-2025-{m:02d}.html" for m in range(1, 13)),
             "通报-2025-12.pdf"}
    assert [label for label, _ in offered(names)] == [
        "2025年1月1日至6月30日台账（Excel）", "2024年台账（Excel）", "2021—2025年台账（Excel）",
        "2025年12月通报（网页）", "2025年12月通报（PDF）", *(f"2025年{m}月通报（网页）"
                                                     for m in range(11, 6, -1))]


def test_the_heat_map_s_cells_say_their_month_and_counts_in_words(built):
    """A cell's tooltip reads 2025年3月：应办2，完成1，逾期1, not 2025-03 应办2 完成1 逾期1
    (issue 28, point 7)."""
    titles = re.findall(r'<td class="(?:miss|part|wait|ok|ahead)" title="([^"]*)"', page(built))
    assert len(titles) > 100
    said = re.compile(r"\d{4}年\d{1,2}月：(应办\d+，完成\d+(，逾期\d+)?(，取消未补办\d+)?"
                      r"(，待登记\d+)?|尚未到期\d+项)")
    assert [t for t in titles if not said.fullmatch(t)] == []
    assert any("，逾期" in t for t in titles)
