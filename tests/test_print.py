"""`calendar-app print` and the monthly pages `build` writes: content, escaping, stability."""

from __future__ import annotations

import os
import re
from pathlib import Path

from calendar_app.printed import monthview

from .conftest import DATA, Workspace


def page(workspace, *args: str) -> tuple[Path, str]:
    out = workspace.run("print", "--today", "2025-01-02", *args).output.split()
    path = Path(out[0])
    return path, path.read_text(encoding="utf-8")


def text(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def day_cell(html: str, day: int) -> str:
    """The date cell of an in-month day: its class and its text."""
    found = re.search(rf'<td class="(\w*)"><div class="dhead">(<span class="num">{day}</span>'
                      r'.*?)</div></td>', html)
    assert found, day
    return f"{found[1]}|{text(found[2])}"


def test_june_2025_for_the_emergency_bureau(built_small):
    path, html = page(built_small, "--month", "2025-06", "--unit", "县应急管理局")
    assert path == built_small.exports / "print" / "2025-06" / "yingji.html"
    # The Safety Month band, its own events in bold (lead) and the TV segment it co-organises.
    assert re.search(r'class="band ev lead[^"]*">.*?安全生产月', html)
    assert re.search(r'<div class="ev lead s-planned">.*?月度例会', html)
    assert re.search(r'<div class="ev co s-planned">.*?19:30.*?电视科普栏目', html)
    # 端午节 (05-31 .. 06-02): 6/1 and 6/2 shaded and named.
    assert day_cell(html, 1) == "off|1休端午节"
    assert day_cell(html, 2) == "off|2休端午节"
    assert day_cell(html, 3) == "|3"
    # Header and footer: unit, month, plan name; the table it follows and the date passed in.
    plain = text(html)
    assert "县应急管理局2025年6月科普活动安排" in plain
    assert "测试县科学素质行动" in plain
    assert "依据：测试分工表" in plain and "生成日期：2025年1月2日" in plain
    assert "recurring.yaml" not in plain  # a file name is not for the units
    # The agenda lists every event with the eight columns.
    assert "<th>日期</th><th>星期</th><th>活动</th><th>措施</th><th>牵头单位</th><th>配合单位</th>" \
           "<th>地点</th><th>状态</th>" in html
    assert plain.count("电视科普栏目") == 8  # four in the grid, four in the agenda


def test_may_2025_for_the_county(built_small):
    path, html = page(built_small, "--month", "2025-05")
    assert path.name == "county.html"
    assert day_cell(html, 12) == "|12◆全国防灾减灾日"
    assert day_cell(html, 1) == "off|1休劳动节"
    assert re.search(r'class="band campaign[^"]*"><span class="lbl">全国科技活动周 →', html)
    assert re.search(r'class="band campaign before"><span class="lbl">← 全国科技活动周<', html)
    assert "全县2025年5月科普活动安排" in text(html)


def test_makeup_working_day_is_labelled(built_small):
    _, html = page(built_small, "--month", "2025-04")
    assert day_cell(html, 27) == "makeup|27班调休上班"


def test_user_text_is_never_markup(tmp_path):
    plan = (DATA / "small.yaml").read_text(encoding="utf-8")
    plan = plan.replace("name: 测试县科学素质行动", 'name: "<b>县</b>"')
    plan = plan.replace("title: 安全生产月,", 'title: "<script>alert(1)</script>",')
    plan = plan.replace("title: 月度例会", "title: <img src=x onerror=alert(2)>")
    source = tmp_path / "evil.yaml"
    source.write_text(plan, encoding="utf-8")
    (tmp_path / "w").mkdir()
    work = Workspace(tmp_path / "w", source)
    work.run("build", "--today", "2025-01-01")
    _, html = page(work, "--month", "2025-06", "--unit", "yingji")
    assert "<script>" not in html and "<img" not in html and "<b>县" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_the_same_inputs_give_the_same_bytes(small):
    small.run("build", "--today", "2025-01-02")
    built = (small.exports / "print" / "2025-06" / "yingji.html").read_text(encoding="utf-8")
    # `print` for the same day writes exactly the page the build wrote, and so does a second.
    _, first = page(small, "--month", "2025-06", "--unit", "yingji")
    _, again = page(small, "--month", "2025-06", "--unit", "yingji")
    assert first == built and again == built
    # Another day changes only the footer's date.
    other = small.run("print", "--today", "2025-03-04", "--month", "2025-06", "--unit",
                      "yingji").output.split()[0]
    changed = Path(other).read_text(encoding="utf-8")
    assert changed != built
    assert changed.replace("2025年3月4日", "2025年1月2日") == built


def test_a_month_outside_the_plan_is_refused_and_writes_nothing(built_small):
    result = built_small.run("print", "--month", "2027-01", ok=False)
    assert result.exit_code == 2
    assert "2027-01 is outside the plan period 2025-01 to 2025-12" in result.output
    assert not (built_small.exports / "print" / "2027-01").exists()


def test_build_writes_every_month_for_the_county_and_every_unit(small):
    out = small.run("build", "--today", "2025-01-01").output
    assert "print: 108 files written" in out  # 12 months x (county + 8 units)
    june = sorted(p.name for p in (small.exports / "print" / "2025-06").glob("*.html"))
    assert june == sorted(["county.html", "jiaoyu.html", "wenlv.html", "yingji.html",
                           "xuanchuan.html", "kexie.html", "tiancheng.html", "shaping.html",
                           "shicheng.html"])


def test_a_rebuild_rewrites_only_the_pages_whose_content_changed(built_small):
    pages = sorted((built_small.exports / "print").glob("*/*.html"))
    for p in pages:
        os.utime(p, (1_000_000, 1_000_000))
    assert "print: 0 files written" in built_small.run("build", "--today", "2025-01-05").output
    # The monthly meeting (measure 2, led by 应急管理局 with 文旅局 and 宣传部) gets a new title.
    built_small.edit("title: 月度例会", "title: 月度工作例会")
    out = built_small.run("build", "--today", "2025-01-06").output
    changed = sorted(str(p.relative_to(built_small.exports / "print")) for p in pages
                     if p.stat().st_mtime != 1_000_000)
    assert changed == [f"{m}/{u}.html" for m in ("2025-01", "2025-02", "2025-03", "2025-04",
                                                   "2025-05", "2025-06", "2025-07", "2025-08",
                                                   "2025-09", "2025-10", "2025-11", "2025-12")
                       for u in ("county", "wenlv", "xuanchuan", "yingji")]
    assert f"print: {len(changed)} files written" in out
    _, html = page(built_small, "--month", "2025-06")
    assert "月度工作例会" in html


def touched(workspace, pages: list[Path]) -> list[str]:
    """The pages written since `untouch`, as "YYYY-MM/unit.html"."""
    return sorted(str(p.relative_to(workspace.exports / "print")) for p in pages
                  if p.stat().st_mtime != 1_000_000)


def untouch(workspace) -> list[Path]:
    pages = sorted((workspace.exports / "print").glob("*/*.html"))
    for p in pages:
        os.utime(p, (1_000_000, 1_000_000))
    return pages


def test_moving_one_units_event_rewrites_its_page_and_the_countys_only(built_small, monkeypatch):
    pages = untouch(built_small)
    laid_out = []
    view = monthview.Month.view
    monkeypatch.setattr(monthview.Month, "view", lambda self, unit=None: laid_out.append(
        (self.frame.key, unit)) or view(self, unit))
    # 天城镇's own theme event (a fan-out copy: no other unit is on it) moves within April;
    # the report refreshes the pages at once.
    built_small.run("record", "move", "m03-theme/2025#1/tiancheng", "--to", "2025-04-10")
    # Only those two pages were even laid out; the other 106 were known unchanged.
    assert sorted(laid_out, key=lambda p: p[1] or "") == [("2025-04", None), ("2025-04", "tiancheng")]
    assert touched(built_small, pages) == ["2025-04/county.html", "2025-04/tiancheng.html"]
    # The other pages of the month were not rendered again; the one that was is as of the
    # day the published files are for (the build's), not the day `record` ran.
    assert "生成日期：2025年1月1日" in (built_small.exports / "print/2025-04/shaping.html").read_text(
        encoding="utf-8")
    moved = (built_small.exports / "print/2025-04/tiancheng.html").read_text(encoding="utf-8")
    assert "生成日期：2025年1月1日" in moved and 'class="ev lead s-moved"' in moved
    assert "print: 0 files written" in built_small.run("build", "--today", "2025-01-01").output


def test_without_the_months_manifest_the_pages_own_digests_decide(built_small):
    for manifest in (built_small.exports / "print").glob("*/.content"):
        manifest.unlink()
    pages = untouch(built_small)
    assert "print: 0 files written" in built_small.run("build", "--today", "2025-01-05").output
    assert touched(built_small, pages) == []
    assert len(list((built_small.exports / "print").glob("*/.content"))) == 12


def test_a_page_printed_with_other_templates_is_rebuilt_by_the_next_build(built_small, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "month.html").write_text("{{ view.unit_name }}\n", encoding="utf-8")
    path, html = page(built_small, "--month", "2025-06", "--unit", "yingji", "--templates", str(mine))
    assert html == "县应急管理局\n"
    pages = untouch(built_small)
    assert "print: 1 files written" in built_small.run("build", "--today", "2025-01-01").output
    assert touched(built_small, pages) == ["2025-06/yingji.html"]
    assert "科普活动安排" in path.read_text(encoding="utf-8")


def test_templates_override(built_small, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "month.html").write_text("{{ view.unit_name }} {{ view.agenda|length }} 项\n",
                                     encoding="utf-8")
    _, html = page(built_small, "--month", "2025-06", "--unit", "yingji", "--templates", str(mine))
    assert html == "县应急管理局 7 项\n"


def test_unknown_unit_and_missing_database(small):
    result = small.run("print", "--month", "2025-06", "--unit", "应急局", ok=False)
    assert result.exit_code == 1 and "unknown unit '应急局'" in result.output
    assert "Traceback" not in result.output
    result = small.run("print", "--month", "2025-06", ok=False)
    assert "run `calendar-app build` first" in result.output


def test_shipped_plan_june_and_may_2025(shipped):
    shipped.run("build", "--from", "2025-05-01", "--to", "2025-06-30", "--today", "2025-01-01")
    _, june = page(shipped, "--month", "2025-06", "--unit", "县应急管理局")
    assert re.search(r'class="band campaign[^"]*"><span class="lbl">安全生产月', june)
    assert re.search(r'class="band ev lead[^"]*">.*?安全生产月', june)  # its own campaign work
    assert day_cell(june, 2) == "off|2休端午节"
    _, may = page(shipped, "--month", "2025-05")
    assert "◆全国防灾减灾日" in day_cell(may, 12)
    assert re.search(r'class="band campaign[^"]*"><span class="lbl">全国科技活动周', may)
