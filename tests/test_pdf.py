"""PDFs read back with poppler, and the HTML printed by headless Chromium: the text is
there in Chinese, the font is embedded, and a month's grid is exactly page 1.

These need Debian packages (fonts-noto-cjk, poppler-utils, chromium) that `.ci/run`
installs; in CI a missing one fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest


def tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{name} is missing; .ci/run installs it")
    pytest.skip(f"{name} is not installed (see the README's set-up)")


def run(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=120).stdout


def page_text(pdf: Path, page: int) -> str:
    return run(tool("pdftotext"), "-f", str(page), "-l", str(page), "-layout", str(pdf), "-")


def pages(pdf: Path) -> tuple[int, float, float]:
    info = run(tool("pdfinfo"), str(pdf))
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    width, height = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
                        .groups())
    return count, width, height


def test_pdf_has_the_chinese_text_and_an_embedded_cjk_font(built_small):
    tool("pdftotext")
    out = built_small.run("print", "--month", "2025-06", "--unit", "yingji", "--pdf",
                          "--today", "2025-01-02").output.split()
    html, pdf = map(Path, out)
    assert pdf == html.with_suffix(".pdf") and pdf.exists()
    count, width, height = pages(pdf)
    assert count >= 2 and width > height  # A4 landscape
    first = page_text(pdf, 1)
    for words in ("县应急管理局", "2025年6月", "安全生产月", "端午节", "电视科普栏目", "月度例会",
                  "生成日期：2025年1月2日"):
        assert words in first, words
    assert "30" in first and "配合单位" not in first  # the whole grid, and only it, on page 1
    assert "配合单位" in page_text(pdf, 2)
    fonts = run(tool("pdffonts"), str(pdf)).splitlines()[2:]
    cjk = [line.split() for line in fonts if "CJK" in line or "WenQuanYi" in line]
    assert cjk and all(parts[-5] == "yes" for parts in cjk), fonts  # the "emb" column


def test_pdf_without_a_chinese_font_says_what_to_install(built_small, tmp_path, monkeypatch):
    tool("fc-list")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f"<?xml version='1.0'?><fontconfig><dir>{tmp_path / 'none'}</dir>"
                    f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    result = built_small.run("print", "--month", "2025-06", "--pdf", ok=False)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "no Chinese font found for the PDF (fc-list :lang=zh is empty): install one with "
        "`apt-get install fonts-noto-cjk`"]
    assert not list((built_small.exports / "print").glob("*/*.pdf"))
    assert built_small.run("build", "--pdf", ok=False).exit_code == 1


def chromium_print(html: Path, tmp_path: Path) -> Path:
    chromium = tool("chromium")
    out = tmp_path / (html.stem + "-chromium.pdf")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={out}", html.as_uri()],
                   capture_output=True, check=False, timeout=120)
    assert out.exists(), "chromium printed nothing"
    return out


@pytest.mark.parametrize("month, unit, last", [("2025-06", "yingji", "30"),
                                              ("2025-05", "county", "31")])
def test_chromium_prints_one_month_grid_on_one_page(built_small, tmp_path, month, unit, last):
    tool("pdftotext")
    pdf = chromium_print(built_small.exports / "print" / month / f"{unit}.html", tmp_path)
    count, width, height = pages(pdf)
    assert count >= 2 and width > height
    first = page_text(pdf, 1)
    assert "科普活动安排" in first and "生成日期" in first  # header and footer of the grid
    assert re.search(rf"\b{last}\b", first)  # the month's last day
    assert "配合单位" not in first  # the agenda's header starts page 2
    assert "配合单位" in page_text(pdf, 2)


def test_a_pdf_follows_its_page_when_the_plan_changes(built_small):
    tool("pdftotext")
    pdf = Path(built_small.run("print", "--month", "2025-06", "--unit", "yingji", "--pdf",
                               "--today", "2025-01-02").output.split()[1])
    built_small.edit("title: 月度例会", "title: 月度工作例会")
    built_small.run("build", "--today", "2025-01-03")  # no --pdf: the PDF made earlier is remade
    assert "月度工作例会" in page_text(pdf, 1)
    assert not (built_small.exports / "print" / "2025-06" / "county.pdf").exists()
