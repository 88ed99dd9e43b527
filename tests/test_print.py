"""Printing: every sheet of every workbook perfxl writes has the one page setup (A4, an orientation, fit
to the page width, the unit's name above and 第 N 页 共 M 页 below), a declared Chinese font, number
formats that never leave a trailing dot (“90.”); LibreOffice prints the header and footer."""
from __future__ import annotations

import html
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from packages import sheet_xml

from perfxl.model import layout as L

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbook_templates" / "examples" / "青云谱区总工会2022_部门整体支出绩效评价.xlsx"
UNIT = "南昌市青云谱区总工会"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """One of every kind of workbook perfxl writes, made through the command line."""
    from conftest import run_cli

    d = tmp_path_factory.mktemp("print")

    def cli(*args):
        run = run_cli(*args, cwd=d)
        assert run.code in (0, 1), run.text

    src = d / EXAMPLE.name
    shutil.copy2(EXAMPLE, src)
    cli("template", "-o", "空白.xlsx")
    cli("template", "--framework", "项目支出", "-o", "项目.xlsx")
    cli("template", "--framework", "自评表", "-o", "自评表.xlsx")
    cli("template", "--framework", "部门整体自评表", "-o", "部门自评表.xlsx")
    cli("template", "--xlsm", "-o", "宏.xlsm")
    cli("template", "--summary", "-o", "汇总用.xlsm")
    cli("score", src, "-o", "评分.xlsx")
    cli("score", "自评表.xlsx", "-o", "自评表_评分.xlsx")
    cli("report", src, "--form", "自评表", "-o", "导出自评表.xlsx")
    copies = d / "收回"
    copies.mkdir()
    shutil.copy2(src, copies / "甲.xlsx")
    cli("consolidate", copies, "-o", "汇总.xlsx")
    out = {p.name: p for p in sorted(d.glob("*.xls?")) if p.name != src.name}
    for system in sorted((ROOT / "workbook_templates" / "指标体系").glob("*.xlsx")):
        out[system.name] = system
    return out


def sheets_of(path: Path) -> dict[str, str]:
    """sheet name -> its worksheet XML (hidden sheets included)."""
    return {name: xml.decode() for name, xml in sheet_xml(path).items()}


def test_every_sheet_of_every_workbook_has_the_page_setup(written):
    assert len(written) >= 12
    for name, path in written.items():
        for sheet, xml in sheets_of(path).items():
            where = f"{name} / {sheet}"
            setup = re.search(r"<pageSetup\b[^>]*>", xml)
            assert setup, f"{where}: no page setup"
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', setup.group(0)))
            assert attrs.get("paperSize") == "9", where
            assert attrs.get("orientation") in ("portrait", "landscape"), where
            assert attrs.get("fitToWidth", "1") == "1" and attrs.get("fitToHeight") == "0", where
            assert re.search(r'<pageSetUpPr [^>]*fitToPage="1"', xml), where
            footer = re.search(r"<oddFooter>(.*?)</oddFooter>", xml)
            assert footer, where
            assert html.unescape(footer.group(1)) == "&C" + L.PRINT_PAGE_OF.format(page="&P", pages="&N"), where
            header = re.search(r"<oddHeader>(.*?)</oddHeader>", xml)
            assert header and html.unescape(header.group(1)).startswith("&L"), where


def test_the_unit_is_named_above_every_page_of_a_scored_workbook(written):
    for sheet, xml in sheets_of(written["评分.xlsx"]).items():
        header = html.unescape(re.search(r"<oddHeader>(.*?)</oddHeader>", xml).group(1))
        assert header == f"&L{UNIT}&R&A", (sheet, header)


def test_header_rows_repeat_where_tables_run_over_pages(written):
    for name, sheet in (("评分.xlsx", L.SHEET_INDICATORS), ("自评表.xlsx", L.FORM_PROJECT.title),
                        ("部门自评表.xlsx", L.FORM_DEPARTMENT.title), ("汇总.xlsx", L.SHEET_CONS_SUMMARY)):
        with zipfile.ZipFile(written[name]) as zf:
            book = zf.read("xl/workbook.xml").decode()
        titles = re.findall(r'<definedName [^>]*name="_xlnm.Print_Titles"[^>]*>([^<]+)</definedName>', book)
        assert any(sheet in t for t in titles), (name, titles)


def test_fonts_declared_and_no_format_leaves_a_trailing_dot(written):
    for name, path in written.items():
        with zipfile.ZipFile(path) as zf:
            styles = zf.read("xl/styles.xml").decode()
        first = re.search(r"<font>(.*?)</font>", styles, re.S) or re.search(r"<font\b[^/]*?>(.*?)</font>", styles, re.S)
        assert re.search(r'<name val="(等线|宋体)"', first.group(1)), f"{name}: default font {first.group(1)}"
        for code in re.findall(r'formatCode="([^"]*)"', styles):
            assert not re.search(r"\.#+(?![#0])", code), f"{name}: number format {code} shows “90.” for 90"


def test_libreoffice_prints_the_unit_and_page_numbers(written, soffice):
    text = soffice.pdf_text(written["评分.xlsx"])
    assert UNIT in text
    pages = re.findall(r"第\s*(\d+)\s*页\s*共\s*(\d+)\s*页", text)
    assert pages and pages[0][0] == "1" and int(pages[-1][0]) == int(pages[-1][1]) > 1
    form = soffice.pdf_text(written["自评表.xlsx"])
    assert L.FORM_PROJECT.title in form and re.search(r"第\s*1\s*页\s*共\s*\d+\s*页", form)
