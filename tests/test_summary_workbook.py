"""The summary workbook of perfxl consolidate as a file: every unit charted (a chart per group of
units, one chart per printed page, data labels, a value axis fitted to the figures), a page setup on
every sheet, and text from the workbooks kept as typed (never a formula, never markup)."""
from __future__ import annotations

import math
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_consolidate import info, rows, write

import perfxl
from perfxl.model import layout as L

UNITS = 40          # more than one chart's worth of units


@pytest.fixture(scope="module")
def summary(tmp_path_factory) -> tuple[Path, object]:
    d = tmp_path_factory.mktemp("units")
    for n in range(UNITS):
        a = 8 + (n % 3)                              # totals between 80 and 100: 2.5·a per indicator
        write(d / f"u{n:02d}.xlsx", rows([a, a, 10, 10 - n % 2]), info(f"单位{n:02d}", "张三"))
    # text from the workbooks that XlsxWriter would read as a formula, markup or an escape
    write(d / "odd1.xlsx", rows([9, 9, 9, 9]), info("=SUM(1,2)", "张三"))
    write(d / "odd2.xlsx", rows([9, 9, 9, 8]), info("<r>粗体</r>", "张三"))
    write(d / "odd3.xlsx", rows([9, 9, 8, 8]), info("单位_x0041_", "张三"))
    cons = perfxl.consolidate(d, jobs=1)
    assert cons.included == UNITS + 3
    out = d / "汇总.xlsx"
    cons.to_excel(out)
    return out, cons


def xml(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(part).decode("utf-8")


def parts(path: Path, prefix: str) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return sorted((n for n in zf.namelist() if n.startswith(prefix)),
                      key=lambda n: int(re.search(r"(\d+)\.xml$", n).group(1)))


def test_text_from_workbooks_is_kept_as_typed(summary):
    path, cons = summary
    ws = load_workbook(path)[L.SHEET_CONS_SUMMARY]
    units = {c.value: c for c in ws["A"][1:]}
    assert set(units) == set(cons.summary["unit"])
    assert {"=SUM(1,2)", "<r>粗体</r>"} <= set(units)
    cell = units["=SUM(1,2)"]
    assert cell.data_type == "s" and cell.quotePrefix


TRICKY = ["=SUM(1,2)", "<r>粗体</r>", "单位_x0041_", " 前后空格 ", "a&b<c>", "+1", "普通文本", "换行\n第二行"]


def streamed(path: Path) -> Path:
    from perfxl.sheets import stream

    wb = stream.new_workbook(path)
    ws = wb.add_worksheet("表")
    quoted = wb.add_format({"quote_prefix": True})
    ws.write_rows(0, [[t, 1.5, 2, None, True] for t in TRICKY], [None] * 5, quoted_format=quoted)
    wb.close()
    return path


def test_streamed_text_reads_back_as_written(tmp_path):
    import python_calamine

    path = streamed(tmp_path / "t.xlsx")
    got = python_calamine.CalamineWorkbook.from_path(path).get_sheet_by_name("表").to_python()
    assert [r[0] for r in got] == TRICKY
    assert all(r[1:] == [1.5, 2, "", True] for r in got)
    cells = {c.value: c for c in load_workbook(path)["表"]["A"]}
    assert cells["=SUM(1,2)"].data_type == "s" and cells["=SUM(1,2)"].quotePrefix
    assert cells["+1"].quotePrefix and not cells["普通文本"].quotePrefix


def test_streamed_text_in_libreoffice(tmp_path, soffice):
    path = streamed(tmp_path / "t.xlsx")
    got = soffice.sheets(path)["表"]
    assert [r[0] for r in got] == TRICKY


def test_every_unit_is_charted_a_chart_per_page(summary):
    path, cons = summary
    n = len(cons.summary)
    per, per_rates = L.CHART_UNITS_PER_CHART, L.CHART_UNITS_PER_RATES_CHART
    expected = math.ceil(n / per) + 1 + math.ceil(n / per_rates)
    charts = parts(path, "xl/charts/chart")
    assert len(charts) == expected
    # the totals charts together list every unit exactly once, in rank order
    covered = []
    for c in charts[: math.ceil(n / per)]:
        ref = re.search(r"<c:cat>.*?<c:f>(.*?)</c:f>", xml(path, c), re.S).group(1)
        first, last = (int(x) for x in re.findall(r"\$(\d+)", ref))
        assert last - first + 1 <= per
        covered += list(range(first, last + 1))
    assert covered == list(range(2, n + 2))
    ws = load_workbook(path)[L.SHEET_CONS_CHARTS]
    label_col = next(c.column for c in ws[1] if c.value == L.CONS_HEADERS["label"])
    labels = [ws.cell(row=r, column=label_col).value for r in covered]
    order = cons.summary.sort_values(["rank", "unit"], kind="stable")["unit"].tolist()
    assert [label.replace("\n", "") for label in labels] == order      # long names wrapped


def test_charts_have_labels_and_an_axis_fitted_to_the_figures(summary):
    path, cons = summary
    totals = xml(path, parts(path, "xl/charts/chart")[0])
    assert '<c:showVal val="1"/>' in totals
    low = float(re.search(r'<c:min val="([\d.]+)"/>', totals).group(1))
    high = float(re.search(r'<c:max val="([\d.]+)"/>', totals).group(1))
    lo, hi = cons.summary["total"].min(), cons.summary["total"].max()
    assert 0 < low <= lo and hi <= high <= 100
    assert low >= lo - 10, "the axis starts near the lowest total, so differences show"


def test_no_chart_crosses_a_page_break(summary):
    path, _ = summary
    sheet = xml(path, "xl/worksheets/sheet2.xml")          # 图表
    breaks = [int(b) for b in re.findall(r'<brk id="(\d+)"', sheet)]
    drawing = xml(path, "xl/drawings/drawing1.xml")
    anchors = re.findall(r"<xdr:from><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>"
                         r".*?<xdr:to><xdr:col>\d+</xdr:col><xdr:colOff>\d+</xdr:colOff><xdr:row>(\d+)</xdr:row>",
                         drawing, re.S)
    assert anchors and len(breaks) == len(anchors) - 1
    edges = [0, *breaks, 10 ** 9]
    for top, bottom in ((int(a), int(b)) for a, b in anchors):
        page = next(i for i in range(len(edges) - 1) if edges[i] <= top < edges[i + 1])
        assert bottom < edges[page + 1], f"chart rows {top}–{bottom} cross the break at {edges[page + 1]}"


def test_every_sheet_has_a_page_setup(summary):
    path, _ = summary
    wb = load_workbook(path)
    assert wb.sheetnames == [L.SHEET_CONS_SUMMARY, L.SHEET_CONS_CHARTS, L.SHEET_CONS_DETAIL,
                             L.SHEET_CONS_ANALYSIS, L.SHEET_CONS_PANEL, L.SHEET_CONS_REJECTED, L.SHEET_CONS_README]
    for ws in wb.worksheets:
        assert int(ws.page_setup.paperSize) == 9, ws.title          # A4
        setup = ws.page_setup        # fitToWidth defaults to 1 when absent
        assert (setup.fitToWidth or 1) == 1 and int(setup.fitToHeight) == 0, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, ws.title
        if ws.title not in (L.SHEET_CONS_CHARTS, L.SHEET_CONS_README):
            assert ws.print_title_rows.replace("$", "") == "1:1", ws.title
            assert ws.freeze_panes == "A2" and ws.auto_filter.ref, ws.title


def test_packing_at_level_one_leaves_xlsxwriter_as_it_was(tmp_path):
    """The summary is packed at deflate level 1 by swapping XlsxWriter's ZipFile for the packing only:
    afterwards the library is as it was, and the package is sound (every member deflated, CRCs right)."""
    import xlsxwriter.workbook

    from perfxl.sheets import stream

    path = tmp_path / "a.xlsx"
    wb = stream.new_workbook(path)
    wb.add_worksheet("表").write(0, 0, "文字" * 1000)
    wb.close()
    assert xlsxwriter.workbook.ZipFile is zipfile.ZipFile
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_DEFLATED}
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.compress_size < sheet.file_size
