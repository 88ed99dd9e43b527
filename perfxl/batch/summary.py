"""Write the summary workbook of a consolidation in one pass (XlsxWriter in constant-memory mode,
long tables streamed by ``sheets.stream``): memory stays flat however long 指标明细 grows. Native
charts that can go into a report: every unit named (a chart per group of units, one chart per printed
page), data labels, a value axis fitted to the figures. Every sheet has a page setup (A4, fit to
width, header row repeated, 第 N 页 共 M 页)."""
from __future__ import annotations

import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from xlsxwriter.exceptions import FileCreateError

from perfxl.io.files import atomic_write_bytes, temp_write_failed
from perfxl.model import layout as L
from perfxl.sheets import look, stream

H = L.CONS_HEADERS
SCORE, RATE, INT = "0.00", "0.00%", "0"

#: number format and width of each column, by key
_FORMATS = {"total": SCORE, "weight": SCORE, "rule_score": SCORE, "evaluator_score": SCORE, "score": SCORE,
            "mean": SCORE, "min": SCORE, "max": SCORE, "panel_score": SCORE, "median": SCORE, "spread": SCORE,
            "std": "0.0000", "rate": RATE, "mean_rate": RATE, "rank": INT, "evaluators": INT, "units": INT,
            "lost": INT, "deviations": INT, "seq": INT, "count": INT, "sample": INT, "valid": INT,
            "survey_rate": RATE, "satisfied": RATE}
_WIDTHS = {"unit": 26, "credit_code": 20, "year": 9, "kind": 18, "total": 8, "grade": 6, "rank": 6, "evaluators": 8,
           "evaluator_names": 18, "status": 16, "note": 30, "files": 40, "evaluator": 10, "file": 40,
           "template_version": 8, "code": 7, "level1": 12, "level2": 14, "name": 24, "weight": 8, "method": 10,
           "rule_score": 9, "evaluator_score": 9, "score": 8, "rate": 9, "deviates": 10, "units": 8, "mean": 10,
           "min": 10, "max": 10, "mean_rate": 11, "lost": 10, "deviations": 12, "panel_score": 10, "median": 9,
           "spread": 8, "std": 9, "figures": 40, "outliers": 36, "seq": 6, "category": 12, "reason": 60,
           "sheet": 10, "cell": 8, "fix": 50, "survey": 22, "group": 12, "sample": 10, "valid": 12,
           "survey_rate": 9, "satisfied": 9, "survey_source": 18}
#: columns printed in portrait (the rest of the tables are wide: landscape)
_PORTRAIT = {L.SHEET_CONS_README}

#: the 图表 sheet: a chart per printed page, this many rows apart (default row height 20 px)
_PAGE_ROWS = 32
_CHART_W, _CHART_H = 980, 600          # pixels: A4 landscape, fitted to the page width
_LABEL_WIDTH = 32                       # a unit's name on a chart: lines of 16 汉字 at most


class _Styles:
    """The formats of one workbook (XlsxWriter keeps one per distinct look)."""

    def __init__(self, wb):
        self.wb = wb
        header = {"bold": True, "font_color": L.PALETTE.header_font, "bg_color": L.PALETTE.header,
                  "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1, "border_color": "#B4B4B4"}
        self.header = wb.add_format(header)
        self.header_quoted = wb.add_format({**header, "quote_prefix": True})
        self.bold = wb.add_format({"bold": True})
        self.quoted = wb.add_format({"quote_prefix": True})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.wrap_quoted = wb.add_format({"text_wrap": True, "valign": "top", "quote_prefix": True})
        self._num: dict[tuple[str | None, bool], Any] = {}

    def number(self, fmt: str | None, *, top: bool = False):
        """A number format (None: none); ``top``: aligned to the top, beside wrapped text (a format even
        without a number format)."""
        if fmt is None and not top:
            return None
        if (fmt, top) not in self._num:
            self._num[fmt, top] = self.wb.add_format({**({"valign": "top"} if top else {}),
                                                      **({"num_format": fmt} if fmt else {})})
        return self._num[fmt, top]


def _print_setup(ws, *, landscape: bool = True, repeat_header: bool = True) -> None:
    """The page setup of every sheet perfxl writes (sheets.look): A4, fit to the page width, header row
    repeated, the summary's subject and the sheet name above, 第 N 页 共 M 页 below."""
    ws.set_paper(look.PAPER_A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)
    if repeat_header:
        ws.repeat_rows(0)
    ws.set_header(look.page_header(L.CONS_PRINT_HEADER))
    ws.set_footer(look.page_footer())
    m = look.MARGINS
    ws.set_margins(left=m["left"], right=m["right"], top=m["top"], bottom=m["bottom"])


def _key_of() -> dict[str, str]:
    out: dict[str, str] = {}
    for k, h in H.items():
        out.setdefault(h, k)
    return out


def _table_sheet(wb, st: _Styles, title: str, frame, *, widths: dict[str, float] | None = None,
                 formats: dict[str, str] | None = None, wrap: bool = False) -> None:
    """One sheet holding one DataFrame (English keys): header, number formats and widths by column,
    header frozen, filter, print setup. ``widths``/``formats`` are for columns without a key (一级指标).
    ``wrap``: text wraps in its column and each row is as tall as its longest text (a 60-character
    unit name, a panel's files one per line), for a table of one row per unit."""
    from perfxl.batch.tables import header

    ws = wb.add_worksheet(title)
    keys = list(frame.columns)
    headers = [header(k) for k in keys]
    widths, formats = widths or {}, formats or {}
    width_of = [widths.get(k) or _WIDTHS.get(k, 10) for k in keys]
    for j, w in enumerate(width_of):
        ws.set_column(j, j, w)
    ws.freeze_panes(1, 0)
    if keys:
        ws.autofilter(0, 0, max(len(frame), 1), len(keys) - 1)
    _print_setup(ws, landscape=title not in _PORTRAIT)
    ws.set_row(0, 32)
    _header(ws, st, 0, 0, headers)
    columns = [frame[k].tolist() for k in keys]
    if not wrap:
        fmts = [st.number(formats.get(k) or _FORMATS.get(k)) for k in keys]
        ws.write_columns(1, columns, fmts, quoted_format=st.quoted)
        return
    texts = [(values, w) for values, w in zip(columns, width_of) if any(isinstance(v, str) for v in values)]
    lines = [max([look.needed_lines(v, w) for values, w in texts if isinstance(v := values[i], str)], default=1)
             for i in range(len(frame))]
    ws.write_columns(1, columns, [st.number(formats.get(k) or _FORMATS.get(k), top=True) for k in keys],
                     text_format=st.wrap, quoted_format=st.wrap_quoted,
                     heights=[look.row_height(n) if n > 1 else None for n in lines])


def _header(ws, st: _Styles, row: int, col: int, headers: list[str]) -> None:
    """A header row from ``col`` on (headers may come from the workbooks: 一级指标 names)."""
    ws.write_rows(row, [[None] * col + list(headers)], [None] * (col + len(headers)), st.header, st.header_quoted)


# --- 图表 ---------------------------------------------------------------------------------------

def _axis_range(values: list[float], *, top: float, step: float) -> tuple[float, float]:
    """A value axis that shows differences: from a round figure below the lowest value to one
    above the highest (never beyond 0 … ``top``)."""
    lo, hi = min(values), max(values)
    low = max(0.0, math.floor((lo - step / 2) / step) * step)
    high = min(top, math.ceil((hi + step / 4) / step) * step)
    if high <= low:
        high = min(top, low + step) if low + step <= top else top
        low = min(low, high - step)
    return low, high


def _groups(n: int, size: int) -> list[range]:
    """Split n units into groups of at most ``size``, as even as possible (no group of 2 after 25)."""
    if n == 0:
        return []
    count = -(-n // size)
    per, extra = divmod(n, count)               # the first ``extra`` groups take one unit more
    starts = [i * per + min(i, extra) for i in range(count + 1)]
    return [range(a, b) for a, b in zip(starts, starts[1:])]


def _wrapped(label: str, width: int = _LABEL_WIDTH) -> str:
    """A chart's category label in lines of at most ``width`` (CJK characters count double): a long unit
    name on one line takes the chart's width from its bars (Calc does not wrap axis labels)."""
    return "\n".join(look.break_lines(label, width))


def _chart(wb, kind: str, title: str):
    ch = wb.add_chart({"type": kind})
    ch.set_title({"name": title, "name_font": {"size": 12, "bold": True}})
    ch.set_size({"width": _CHART_W, "height": _CHART_H})
    ch.set_chartarea({"border": {"none": True}})
    return ch


def _charts_sheet(wb, st: _Styles, cons) -> None:
    """Charts stacked one per printed page (a page break between them); their data in a table to
    the right, outside the print area."""
    ws = wb.add_worksheet(L.SHEET_CONS_CHARTS)
    _print_setup(ws, landscape=True, repeat_header=False)
    summary = cons.summary
    years = summary["year"].astype(str).nunique() if len(summary) else 0
    # ranks are per year: with several years, each year's units together, in rank order
    order = summary.assign(_y=summary["year"].astype(str)).sort_values(
        ["_y", "rank", "unit"] if years > 1 else ["rank", "unit"], kind="stable").drop(columns="_y") \
        if len(summary) else summary
    year_of = order["year"].astype(str).tolist() if len(summary) else []
    levels = cons.level1
    weights = _level1_weights(cons)

    # the data, right of the charts
    c0 = 16                                     # column Q: charts take A:P
    headers = [H["label"], H["total"], *[L.CONS_LEVEL1_RATE.format(name=n) for n in levels]]
    ws.set_column(c0, c0, 28)
    ws.set_column(c0 + 1, c0 + len(headers) - 1, 11)
    _header(ws, st, 0, c0, headers)
    rows, totals, rates_all = [], [], []
    for r in order.itertuples(index=False):
        rec = r._asdict() if hasattr(r, "_asdict") else dict(zip(order.columns, r))
        label = _wrapped(str(rec["unit"]) + (f"（{rec['year']}）" if years > 1 else ""))
        rates = [(rec[n] / weights[n]) if weights.get(n) and rec[n] is not None else None for n in levels]
        rows.append((label, rec["total"], *rates))
        totals.append(float(rec["total"]))
        rates_all += [x for x in rates if x is not None]
    lead = [None] * c0
    ws.write_rows(1, [lead + list(r) for r in rows],
                  lead + [None, st.number(SCORE)] + [st.number(RATE)] * len(levels), quoted_format=st.quoted)
    n_units = len(rows)
    grade_row = n_units + 2
    # units per grade: with several years one column per year (a unit is counted once a year)
    per_year = cons.grade_counts()
    year_names = [y for y, _ in per_year if y is not None]
    _header(ws, st, grade_row, c0, [H["grade"], *([f"{y}{L.YEAR_SUFFIX}" for y in year_names] or [H["count"]])])
    counts = [[dict(c)[g] for _, c in per_year] for g in cons.grade_labels]
    ws.write_rows(grade_row + 1, [lead + [str(g), *n] for g, n in zip(cons.grade_labels, counts)],
                  lead + [None] + [st.number(INT)] * len(counts[0] if counts else [0]), quoted_format=st.quoted)
    if n_units == 0:
        return
    sheet = L.SHEET_CONS_CHARTS
    page = 0
    breaks = []

    def place(chart) -> None:
        nonlocal page
        if page:
            breaks.append(page * _PAGE_ROWS)
        ws.insert_chart(page * _PAGE_ROWS, 0, chart, {"x_offset": 4, "y_offset": 4, "object_position": 3})
        page += 1

    def parts(size: int) -> list[tuple[range, str]]:
        """The units' rows split into charts (each year apart), with each chart's title suffix."""
        out = []
        for year in dict.fromkeys(year_of):
            first = year_of.index(year)
            groups = _groups(year_of.count(year), size)
            head = f"（{year}{L.YEAR_SUFFIX}）" if years > 1 else ""
            for gi, g in enumerate(groups, start=1):
                part = L.CHART_PART.format(i=gi, n=len(groups), first=g.start + 1, last=g.stop) \
                    if len(groups) > 1 else ""
                out.append((range(first + g.start, first + g.stop), head + part))
        return out

    low, high = _axis_range(totals, top=100.0, step=5.0)
    for g, part in parts(L.CHART_UNITS_PER_CHART):
        ch = _chart(wb, "bar", L.CHART_TITLES["totals"] + part)
        ch.add_series({"name": H["total"], "categories": [sheet, g.start + 1, c0, g.stop, c0],
                       "values": [sheet, g.start + 1, c0 + 1, g.stop, c0 + 1],
                       "fill": {"color": "#4472C4"}, "gap": 60,
                       "data_labels": {"value": True, "num_format": SCORE, "position": "outside_end",
                                       "font": {"size": 9}}})
        ch.set_x_axis({"min": low, "max": high, "major_unit": 5 if high - low > 10 else 1,
                       "num_format": "0", "name": H["total"],
                       "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9", "width": 0.75}}})
        ch.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"size": 9}})   # first unit on top, axis below
        ch.set_legend({"none": True})
        place(ch)

    grades = _chart(wb, "column", L.CHART_TITLES["grades"])
    n_grades = len(cons.grade_labels)
    for j in range(max(1, len(year_names))):
        grades.add_series({"name": [sheet, grade_row, c0 + 1 + j],
                           "categories": [sheet, grade_row + 1, c0, grade_row + n_grades, c0],
                           "values": [sheet, grade_row + 1, c0 + 1 + j, grade_row + n_grades, c0 + 1 + j],
                           **({} if year_names else {"fill": {"color": "#4472C4"}}),   # years: the theme's colours
                           "data_labels": {"value": True, "num_format": INT}})
    grades.set_y_axis({"name": H["count"], "min": 0, "num_format": "0",
                       "major_unit": max(1, math.ceil(max((n for row in counts for n in row), default=1) / 8)),
                       "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9", "width": 0.75}}})
    grades.set_legend({"position": "bottom"} if year_names else {"none": True})
    place(grades)

    if levels and rates_all:
        rlow, rhigh = _axis_range(rates_all, top=1.0, step=0.1)
        for g, part in parts(L.CHART_UNITS_PER_RATES_CHART):
            ch = _chart(wb, "bar", L.CHART_TITLES["rates"] + part)
            for j, _name in enumerate(levels, start=2):
                ch.add_series({"name": [sheet, 0, c0 + j], "categories": [sheet, g.start + 1, c0, g.stop, c0],
                               "values": [sheet, g.start + 1, c0 + j, g.stop, c0 + j], "gap": 50,
                               "data_labels": {"value": True, "num_format": "0%", "font": {"size": 8}}})
            ch.set_x_axis({"min": rlow, "max": rhigh, "major_unit": 0.1 if rhigh - rlow > 0.25 else 0.05,
                           "num_format": "0%", "name": H["rate"],
                           "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9", "width": 0.75}}})
            ch.set_y_axis({"reverse": True, "crossing": "max", "num_font": {"size": 9}})
            ch.set_legend({"position": "bottom"})
            place(ch)
    ws.set_h_pagebreaks(breaks)
    ws.print_area(0, 0, page * _PAGE_ROWS - 1, c0 - 1)


def _level1_weights(cons) -> dict[str, float]:
    out: dict[str, float] = {}
    if cons.analysis is not None and len(cons.analysis):
        first_year = cons.analysis["year"].iloc[0]
        a = cons.analysis[cons.analysis["year"] == first_year]
        for level1, weight in zip(a["level1"], a["weight"]):
            out[level1] = out.get(level1, 0.0) + float(weight or 0)
    return out


def _readme_sheet(wb, st: _Styles, cons) -> None:
    from perfxl import __version__
    ws = wb.add_worksheet(L.SHEET_CONS_README)
    width = 76                                  # A4 portrait at 100 %: Calc does not shrink one wrapped column
    ws.set_column(0, 0, width, st.wrap)
    _print_setup(ws, landscape=False, repeat_header=False)
    lines = [
        ("绩效评价工作簿汇总 · 说明", True),
        (f"生成时间：{datetime.now():%Y-%m-%d %H:%M}；perfxl {__version__}（模板版本 {L.TEMPLATE_VERSION}）", False),
        ("", False),
        (f"找到 {cons.found} 个文件：纳入 {cons.included} 个，未纳入 {cons.not_included} 个"
         f"（见“{L.SHEET_CONS_REJECTED}”）；汇总 {len(cons.summary)} 个单位（年度）。", True),
        *((f"另跳过 {len(cons.skipped)} 个不是提交的文件（perfxl 的备份、Excel 锁文件、汇总工作簿、macOS 附带的文件），"
           "不计入找到的文件："
           + "、".join(Path(p.file).name for p in cons.skipped[:50]) + ("……" if len(cons.skipped) > 50 else ""),
           False),) * bool(cons.skipped),
        ("", False),
        ("规则", True),
        ("1. 每个文件与 perfxl score 用同一套代码读取、校验和计分。", False),
        ("2. 能读取且总分可以计算的工作簿纳入汇总；有校验错误但总分可计算的，纳入并在“状态”中标明"
         "“有校验错误，总分仅供参考”" + ("（本次使用了 --strict：有校验错误的工作簿一律未纳入）" if cons.strict else "")
         + "；总分无法计算、单位名称或评价年度未填写的不纳入。", False),
        ("3. 以多数工作簿的指标体系（编号、三级指标、分值、一级/二级指标，以及各指标的计分方法和计分参数）为准，"
         "按编号对照；其他模板版本的工作簿指标一致即纳入（“备注”中注明），不一致的不纳入，不混算。", False),
        ("4. 同一单位、年度、评价人的重复提交：内容相同只纳入第一份；内容不同则均不纳入。", False),
        (f"5. 同一单位、年度有多位评价人时（见“{L.SHEET_CONS_PANEL}”），各三级指标按"
         f"“{L.PANEL_METHODS[cons.panel_method]}”汇总为评价组得分（保留两位小数）；"
         "去掉最高和最低时评价人少于 3 位则取平均值。"
         "单位总分和一级指标得分为评价组得分之和（有不适用的指标时按该单位工作簿的“不适用指标的总分换算”换算；"
         "某位评价人填“不适用”的指标按其余评价人的得分汇总），等级按该单位工作簿的等级划分。", False),
        (f"6. 某评价人的得分与评价组中位数相差超过该指标分值的 {cons.outlier_share:.0%} 时，"
         "列为“偏离较大的评价人”。", False),
        ("7. 排名在同一评价年度内按总分从高到低，总分相同名次相同。", False),
        (f"8. “{L.SHEET_CONS_ANALYSIS}”按单位统计（多人评价的单位用评价组得分）；“失分单位数”为得分低于分值的单位数；"
         "“评价得分与规则不同数”按评价人工作簿统计。", False),
        (f"9. “{L.SHEET_CONS_CHARTS}”中列出全部单位：按排名每 {L.CHART_UNITS_PER_CHART} 个单位一张总分图、"
         f"每 {L.CHART_UNITS_PER_RATES_CHART} 个单位一张得分率图（有多个评价年度时各年度分开），每张图占一页；"
         "数值轴从略低于最低值处起，便于比较差异。", False),
        *((f"10. “{L.SHEET_CONS_SURVEY}”列出每份纳入的工作簿中每个问卷题组的样本量、有效回答人次、得分率和满意率"
           "（与 perfxl score 的“问卷统计”相同；多人评价的单位逐个评价人列出）。", False),) * bool(
            cons.survey is not None and len(cons.survey)),
    ]
    for i, (text, bold) in enumerate(lines):
        if text:
            # spreadsheets do not grow a row a library wrote: without a height, Calc prints one line, cut
            lines_needed = look.needed_lines(text, width)
            if lines_needed > 1:
                ws.set_row(i, look.LINE_HEIGHT * lines_needed)
            ws.write_string(i, 0, text, st.bold if bold else st.wrap)


def _files_from(frame, folder: Path):
    """The 汇总 table with its 文件 relative to the summary workbook's folder (absolute when on another
    drive): ``perfxl report 汇总.xlsx`` finds them from wherever it is run, and so does a person."""
    if not len(frame):
        return frame

    def rel(files: str) -> str:
        out = []
        for f in files.split("\n"):
            try:
                out.append(os.path.relpath(os.path.abspath(f), os.path.abspath(folder)))
            except ValueError:          # another drive (Windows)
                out.append(os.path.abspath(f))
        return "\n".join(out)
    return frame.assign(files=[rel(f) for f in frame["files"]])


def write_workbook(cons, path: Path) -> Path:
    """The summary workbook, saved atomically. XlsxWriter keeps the sheets in temporary files until it
    packs them: a failure there (a full temporary folder) is reported as the temporary folder's."""
    def write(fh) -> None:
        wb = stream.new_workbook(fh)
        try:
            _write_sheets(wb, cons, path)
        except OSError as e:
            if wb.target_failed:
                raise
            raise temp_write_failed(path, e) from None

    atomic_write_bytes(Path(path), write)
    return path


def _write_sheets(wb, cons, path: Path) -> None:
    """Every sheet, then the package (written to the workbook's file object)."""
    st = _Styles(wb)
    level1 = {n: 9 for n in cons.level1}
    _table_sheet(wb, st, L.SHEET_CONS_SUMMARY, _files_from(cons.summary, Path(path).parent), widths=level1,
                 formats={n: SCORE for n in cons.level1}, wrap=True)
    _charts_sheet(wb, st, cons)
    _table_sheet(wb, st, L.SHEET_CONS_DETAIL, cons.detail)
    _table_sheet(wb, st, L.SHEET_CONS_ANALYSIS, cons.analysis)
    _table_sheet(wb, st, L.SHEET_CONS_PANEL, cons.panel)
    if cons.survey is not None and len(cons.survey):
        _table_sheet(wb, st, L.SHEET_CONS_SURVEY, cons.survey)
    _table_sheet(wb, st, L.SHEET_CONS_REJECTED, cons.rejected)
    _readme_sheet(wb, st, cons)
    wb.set_properties({"creator": "perfxl"})
    try:
        wb.close()
    except FileCreateError as e:        # XlsxWriter wraps the OSError (disk full, no permission)
        raise (e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e))) from None
