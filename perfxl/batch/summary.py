"""Write the summary workbook of a consolidation (openpyxl, write-only: memory stays flat however
long 指标明细 grows), with native Excel charts (openpyxl.chart)."""
from __future__ import annotations

import math
from copy import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from perfxl.io.files import atomic_save
from perfxl.model import layout as L
from perfxl.model.text import looks_like_formula, strip_illegal
from perfxl.sheets import styles as S

H = L.CONS_HEADERS
SCORE, RATE, INT = "0.00", "0.00%", "0"

#: number format and width of each column, by key
_FORMATS = {"total": SCORE, "weight": SCORE, "rule_score": SCORE, "evaluator_score": SCORE, "score": SCORE,
            "mean": SCORE, "min": SCORE, "max": SCORE, "panel_score": SCORE, "median": SCORE, "spread": SCORE,
            "std": "0.0000", "rate": RATE, "mean_rate": RATE, "rank": INT, "evaluators": INT, "units": INT,
            "lost": INT, "deviations": INT, "seq": INT, "count": INT}
_WIDTHS = {"unit": 26, "credit_code": 20, "year": 9, "kind": 18, "total": 8, "grade": 6, "rank": 6, "evaluators": 8,
           "evaluator_names": 18, "status": 16, "note": 30, "files": 40, "evaluator": 10, "file": 40,
           "template_version": 8, "code": 7, "level1": 12, "level2": 14, "name": 24, "weight": 7, "method": 10,
           "rule_score": 8, "evaluator_score": 8, "score": 8, "rate": 8, "deviates": 10, "units": 7, "mean": 8,
           "min": 8, "max": 8, "mean_rate": 9, "lost": 9, "deviations": 10, "panel_score": 9, "median": 8,
           "spread": 7, "std": 8, "figures": 40, "outliers": 36, "seq": 6, "category": 12, "reason": 60,
           "sheet": 10, "cell": 8, "fix": 50}
_KEY_OF = {}
for _k, _h in H.items():
    _KEY_OF.setdefault(_h, _k)


def _text_safe(ws, value: Any):
    """A cell value that is always data: formula-looking text stays text (as sheets.put does),
    characters XML cannot hold are dropped, NaN becomes blank."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        value = strip_illegal(value)
        if looks_like_formula(value):
            c = WriteOnlyCell(ws, value)
            c.data_type = "s"
            c.quotePrefix = True
            return c
    return value


def _styled(ws, value: Any, fmt: str | None = None, header: bool = False, bold: bool = False):
    v = _text_safe(ws, value)
    c = v if isinstance(v, Cell) else WriteOnlyCell(ws, v)
    if fmt:
        c.number_format = fmt
    if header:
        c.font, c.fill, c.alignment, c.border = S.HEADER_FONT, S.HEADER_FILL, S.CENTER, S.BORDER
    elif bold:
        c.font = S.BOLD
    return c


def _print_setup(ws, landscape: bool = True, title_rows: str | None = "1:1") -> None:
    ws.PAPERSIZE_A4 = Worksheet.PAPERSIZE_A4      # write-only sheets lack the constant sheets.print_setup uses
    S.print_setup(ws, landscape=landscape, title_rows=title_rows)


#: long tables (指标明细, 评价组: one row per indicator) format only their rates: scores are already
#: rounded to 2 decimals, and a styled cell costs about twice a plain one to write
LONG_TABLE_ROWS = 5000


def _table_sheet(wb, title: str, frame, *, widths: dict[str, float] | None = None,
                 formats: dict[str, str] | None = None, landscape: bool = True):
    """One sheet holding one DataFrame: styled header, number formats by column, frozen header,
    filter. ``widths``/``formats`` (by header) are for columns without a key (the 一级指标)."""
    long = len(frame) > LONG_TABLE_ROWS
    ws = wb.create_sheet(title)
    headers = list(frame.columns)
    keys = [_KEY_OF.get(h) for h in headers]
    widths, formats = widths or {}, formats or {}
    for j, (h, k) in enumerate(zip(headers, keys), start=1):
        ws.column_dimensions[get_column_letter(j)].width = widths.get(h) or _WIDTHS.get(k, 10)
    ws.freeze_panes = "A2"
    if headers:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(frame) + 1}"
    _print_setup(ws, landscape=landscape)
    ws.append([_styled(ws, h, header=True) for h in headers])
    fmts = [formats.get(h) or _FORMATS.get(k) for h, k in zip(headers, keys)]
    if long:
        fmts = [f if f == RATE else None for f in fmts]
    protos = {f: _styled(ws, 0, f)._style for f in set(fmts) if f}     # one style per format, copied

    def formatted(v, f):
        v = _text_safe(ws, v)
        if v is None:
            return None
        c = v if isinstance(v, Cell) else WriteOnlyCell(ws, v)
        c._style = copy(protos[f])
        return c

    for row in frame.itertuples(index=False, name=None):
        ws.append([_text_safe(ws, v) if f is None else formatted(v, f) for v, f in zip(row, fmts)])
    return ws


def _charts_sheet(wb, cons) -> None:
    ws = wb.create_sheet(L.SHEET_CONS_CHARTS)
    _print_setup(ws, landscape=True, title_rows=None)          # one page wide: charts are never cut
    summary = cons.summary
    top = summary.head(0)
    if len(summary):
        order = summary.sort_values(["rank", "unit"], kind="stable")
        top = order.head(L.CHART_MAX_UNITS)
    years = summary["year"].astype(str).nunique() if len(summary) else 0
    levels = cons.level1
    headers = [H["label"], H["total"], *[L.CONS_LEVEL1_RATE.format(name=n) for n in levels]]
    weights = _level1_weights(cons)
    ws.column_dimensions["A"].width = 28
    for j in range(2, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 11
    ws.append([_styled(ws, h, header=True) for h in headers])
    for _, r in top.iterrows():
        label = str(r["unit"]) + (f"（{r['year']}）" if years > 1 else "")
        rates = [(r[n] / weights[n]) if weights.get(n) and r[n] is not None else None for n in levels]
        ws.append([_text_safe(ws, label), _styled(ws, r["total"], SCORE),
                   *[_styled(ws, x, RATE) for x in rates]])
    n_units = len(top)
    ws.append([])
    grade_row = n_units + 3
    ws.append([_styled(ws, H["grade"], header=True), _styled(ws, H["count"], header=True)])
    counts = summary["grade"].value_counts() if len(summary) else {}
    for g in cons.grade_labels:
        ws.append([g, _styled(ws, int(counts.get(g, 0)), INT)])
    n_grades = len(cons.grade_labels)
    if n_units == 0:
        return
    anchor_col = get_column_letter(len(headers) + 2)
    cats = Reference(ws, min_col=1, min_row=2, max_row=n_units + 1)

    totals = BarChart()
    totals.type, totals.style = "bar", 10
    totals.title = L.CHART_TITLES["totals"] + (f"（前 {n_units} 名）" if len(summary) > n_units else "")
    totals.add_data(Reference(ws, min_col=2, min_row=1, max_row=n_units + 1), titles_from_data=True)
    totals.set_categories(cats)
    totals.legend = None
    totals.x_axis.scaling.orientation = "maxMin"      # the first unit on top
    totals.y_axis.scaling.min, totals.y_axis.scaling.max = 0, 100
    totals.y_axis.title = H["total"]
    totals.y_axis.number_format = "0"
    _axes_visible(totals)
    totals.width, totals.height = 18, max(7.5, 0.6 * n_units + 2)
    ws.add_chart(totals, f"{anchor_col}1")

    grades = BarChart()
    grades.type, grades.style = "col", 10
    grades.title = L.CHART_TITLES["grades"]
    grades.add_data(Reference(ws, min_col=2, min_row=grade_row, max_row=grade_row + n_grades), titles_from_data=True)
    grades.set_categories(Reference(ws, min_col=1, min_row=grade_row + 1, max_row=grade_row + n_grades))
    grades.legend = None
    grades.y_axis.title = H["count"]
    grades.y_axis.majorUnit = 1
    _axes_visible(grades)
    grades.width, grades.height = 12, 7.5
    rows_used = int(totals.height / 0.5) + 2          # ≈ 0.5 cm per row
    ws.add_chart(grades, f"{anchor_col}{rows_used}")

    if levels:
        rates = BarChart()
        rates.type, rates.style, rates.grouping = "col", 10, "clustered"
        rates.title = L.CHART_TITLES["rates"]
        rates.add_data(Reference(ws, min_col=3, max_col=2 + len(levels), min_row=1, max_row=n_units + 1),
                       titles_from_data=True)
        rates.set_categories(cats)
        rates.y_axis.scaling.min, rates.y_axis.scaling.max = 0, 1
        rates.y_axis.number_format = "0%"
        rates.y_axis.title = H["rate"]
        _axes_visible(rates)
        rates.width, rates.height = max(18, 1.2 * n_units), 9
        ws.add_chart(rates, f"{anchor_col}{rows_used + int(grades.height / 0.5) + 2}")


def _axes_visible(chart) -> None:
    # openpyxl ≥ 3.1 marks axes deleted unless told otherwise; Excel then hides them
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _level1_weights(cons) -> dict[str, float]:
    out: dict[str, float] = {}
    if cons.analysis is not None and len(cons.analysis):
        first_year = cons.analysis["year"].iloc[0]
        for _, r in cons.analysis[cons.analysis["year"] == first_year].iterrows():
            out[r["level1"]] = out.get(r["level1"], 0.0) + float(r["weight"] or 0)
    return out


def _readme_sheet(wb, cons) -> None:
    from perfxl import __version__
    ws = wb.create_sheet(L.SHEET_CONS_README)
    ws.column_dimensions["A"].width = 120
    lines = [
        ("绩效评价工作簿汇总 · 说明", True),
        (f"生成时间：{datetime.now():%Y-%m-%d %H:%M}；perfxl {__version__}（模板版本 {L.TEMPLATE_VERSION}）", False),
        ("", False),
        (f"找到 {cons.found} 个文件：纳入 {cons.included} 个，未纳入 {cons.not_included} 个"
         f"（见“{L.SHEET_CONS_REJECTED}”）；汇总 {len(cons.summary)} 个单位（年度）。", True),
        ("", False),
        ("规则", True),
        ("1. 每个文件与 perfxl score 用同一套代码读取、校验和计分。", False),
        ("2. 能读取且总分可以计算的工作簿纳入汇总；有校验错误但总分可计算的，纳入并在“状态”中标明"
         "“有校验错误，总分仅供参考”" + ("（本次使用了 --strict：有校验错误的工作簿一律未纳入）" if cons.strict else "")
         + "；总分无法计算、单位名称或评价年度未填写的不纳入。", False),
        ("3. 以多数工作簿的指标体系（编号、三级指标、分值、一级/二级指标）为准，按编号对照；"
         "其他模板版本的工作簿指标一致即纳入（“备注”中注明），不一致的不纳入，不混算。", False),
        ("4. 同一单位、年度、评价人的重复提交：内容相同只纳入第一份；内容不同则均不纳入。", False),
        (f"5. 同一单位、年度有多位评价人时（见“{L.SHEET_CONS_PANEL}”），各三级指标按"
         f"“{L.PANEL_METHODS[cons.panel_method]}”汇总为评价组得分（保留两位小数）；去掉最高和最低时评价人少于 3 位则取平均值。"
         "单位总分和一级指标得分为评价组得分之和，等级按该单位工作簿的等级划分。", False),
        (f"6. 某评价人的得分与评价组中位数相差超过该指标分值的 {cons.outlier_share:.0%} 时，列为“偏离较大的评价人”。", False),
        ("7. 排名在同一评价年度内按总分从高到低，总分相同名次相同。", False),
        (f"8. “{L.SHEET_CONS_ANALYSIS}”按单位统计（多人评价的单位用评价组得分）；“失分单位数”为得分低于分值的单位数；"
         "“评价得分与规则不同数”按评价人工作簿统计。", False),
        (f"9. “{L.SHEET_CONS_CHARTS}”中的图表最多显示排名前 {L.CHART_MAX_UNITS} 个单位。", False),
    ]
    for text, bold in lines:
        ws.append([_styled(ws, text, bold=bold) if text else None])


def write_workbook(cons, path: Path) -> Path:
    """The summary workbook, saved atomically."""
    from perfxl.batch.tables import display_frame

    wb = Workbook(write_only=True)
    _table_sheet(wb, L.SHEET_CONS_SUMMARY, display_frame(cons.summary), widths={h: 9 for h in cons.level1},
                 formats={h: SCORE for h in cons.level1})
    _charts_sheet(wb, cons)
    _table_sheet(wb, L.SHEET_CONS_DETAIL, display_frame(cons.detail))
    _table_sheet(wb, L.SHEET_CONS_ANALYSIS, display_frame(cons.analysis))
    _table_sheet(wb, L.SHEET_CONS_PANEL, display_frame(cons.panel))
    _table_sheet(wb, L.SHEET_CONS_REJECTED, display_frame(cons.rejected))
    _readme_sheet(wb, cons)
    wb.properties.creator = "perfxl"
    atomic_save(wb, path)
    return path
