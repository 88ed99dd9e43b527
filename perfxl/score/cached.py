"""The workbook's own results against the engine's: every formula cell of a live workbook (规则得分,
得分, 得分率, 得分汇总, 总分, 等级, 派生指标, 问卷 rates) whose recorded result differs from what
the engine computed is reported with its cell. A formula showing the marker defers to perfxl, one
saved without its result (a program that does not calculate) says nothing, and cells without a
formula (typed values, an older static workbook) and workbooks perfxl did not make live are not
compared."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from perfxl.check.problems import Problem, problem
from perfxl.io.read import SheetGrid
from perfxl.model import layout as L
from perfxl.model.cells import cell_ref
from perfxl.model.text import is_blank
from perfxl.model.values import fmt_num

#: compare(sheet, row0, col0, engine value, column label[, tolerance])
Compare = Callable[..., None]

#: problems saying a figure was typed over one of perfxl's formulas in the indicator table
TYPED_CODES = frozenset({"computed_typed", "score_typed_overruled", "score_typed_not_applicable"})

#: how far a recorded result may be from the engine's: scores to the cent, fractions (rates) finer
SCORE_TOLERANCE, RATE_TOLERANCE = 0.005, 5e-7


def differences(result: Any) -> list[Problem]:
    """Problems (``formula_result_differs``) for ``result``'s workbook as it was read."""
    ev = result.checked.evaluation
    grids = getattr(ev, "grids", None) or {}
    if not any(g.formula_cells for g in grids.values()) or not made_live(ev):
        return []
    out: list[Problem] = []
    file = str(ev.path)

    def compare(sheet: str, r0: int, c0: int, engine: Any, what: str, tolerance: float = SCORE_TOLERANCE) -> None:
        grid = grids.get(sheet)
        if grid is None or (r0, c0) not in grid.formula_cells:
            return
        mark = grid.marks.get((r0, c0))
        if mark is not None and mark.kind == "nocache":
            return
        shown = f"错误值 {mark.text}" if mark is not None else grid.get(r0, c0)
        if shown == L.FORMULA_MARKER or _agrees(shown, engine, tolerance):
            return
        out.append(problem("formula_result_differs", file=file, sheet=sheet, cell=cell_ref(r0 + 1, c0 + 1),
                           column=what, value=_show(shown), engine=_show(engine, tolerance)))

    table = ev.table
    # figures a person typed over perfxl's formulas are said (computed_typed …); what reads them differs
    # from the engine because of them, not of a formula: that row and the roll-ups are not compared
    typed = {p.at.row for p in result.problems
             if p.code in TYPED_CODES and p.sheet == table.sheet and p.at is not None}
    for res in result.indicators:
        r0 = res.indicator.row - 1
        if res.indicator.row in typed:
            continue
        for key in ("rule_score", "score", "rate"):
            col = table.columns.get(key)
            if col:
                compare(table.sheet, r0, col - 1, getattr(res, key), L.COLUMNS_BY_KEY[key].header,
                        RATE_TOLERANCE if key == "rate" else SCORE_TOLERANCE)
    if ev.form is not None:
        _form(result, compare)
    if not typed:
        _summary(result, grids.get(L.SHEET_SUMMARY), compare)
    _figures(result, grids.get(ev.basic_sheet) if ev.basic_sheet else None, ev.basic_sheet, compare)
    _survey(result, grids.get(L.SHEET_SURVEY_STATS), compare)
    return out


def made_live(ev: Any) -> bool:
    """A workbook perfxl made live (its helper columns beside the table): its formulas are perfxl's. A
    person's own formulas elsewhere (a 得分 computed in their sheet) are their figures, not compared."""
    grid = (getattr(ev, "grids", None) or {}).get(ev.table.sheet)
    header_row = ev.table.header_row
    if grid is None or header_row - 1 >= grid.height:
        return False
    return L.FORMULA_HELPER_HEADER.format(n=1) in grid.rows[header_row - 1]


def _agrees(shown: Any, engine: Any, tolerance: float) -> bool:
    if engine is None:
        return is_blank(shown)                 # the engine has no result: the workbook shows none
    if isinstance(engine, str):
        return isinstance(shown, str) and shown.strip() == engine
    return isinstance(shown, (int, float)) and not isinstance(shown, bool) and abs(shown - engine) < tolerance


def _show(v: Any, tolerance: float = SCORE_TOLERANCE) -> str:
    if v is None or v == "":
        return "空白"
    if isinstance(v, float):
        return f"{v:.2%}" if tolerance == RATE_TOLERANCE else fmt_num(round(v, 6))
    return str(v)


def _summary(result: Any, grid: SheetGrid | None, compare: Compare) -> None:
    """得分汇总: 总分 and 等级 beside their labels, then the level table (一级 rows marked 小计)."""
    if grid is None or not grid.formula_cells:
        return
    levels = {(lv.level, lv.name, lv.parent): lv for lv in result.levels}
    heads = {L.SUMMARY_HEAD[k]: (v, L.SUMMARY_HEAD[k]) for k, v in (("total", result.total), ("grade", result.grade))}
    weight = sum(lv.weight for lv in result.levels if lv.level == 1)
    parent = None
    in_table = False
    for r0 in range(grid.height):
        a, b = grid.get(r0, 0), grid.get(r0, 1)
        if not in_table:
            if a in heads:
                compare(L.SHEET_SUMMARY, r0, 1, *heads[a])
            in_table = a == L.SUMMARY_HEADERS[0] and b == L.SUMMARY_HEADERS[1]
            continue
        cells: tuple[Any, Any, Any] | None
        if a == L.SUMMARY_TOTAL:
            summed = result.summed
            cells = (weight, summed, summed / weight if summed is not None and weight else None)
        elif b == L.SUMMARY_SUBTOTAL and isinstance(a, str):
            parent, lv = a, levels.get((1, a, None))
            cells = (lv.weight, lv.score, lv.rate) if lv else None
        elif isinstance(b, str) and parent is not None:
            lv = levels.get((2, b, parent))
            cells = (lv.weight, lv.score, lv.rate) if lv else None
        else:
            cells = None
        for c0, (engine, what, tol) in enumerate(zip(cells or (), L.SUMMARY_HEADERS[2:],
                                                    (SCORE_TOLERANCE, SCORE_TOLERANCE, RATE_TOLERANCE)), start=2):
            compare(L.SHEET_SUMMARY, r0, c0, engine, what, tol)


def _form(result: Any, compare: Compare) -> None:
    """An official form: each 得分 perfxl computes (a typed qualitative 得分 holds no formula), the 资金
    block's 执行率, 总分 and 等级."""
    form = result.checked.evaluation.form
    for res in result.indicators:
        col = form.score_cells.get(res.indicator.row)
        if col:
            compare(form.sheet, res.indicator.row - 1, col - 1, res.score, dict(L.FORM_INDICATOR_COLUMNS)["score"])
    if form.rate_cell is not None:
        fig = result.checked.figures.get(L.FORM_EXECUTION_SOURCE)
        compare(form.sheet, form.rate_cell[0] - 1, form.rate_cell[1] - 1, getattr(fig, "value", None),
                dict(L.FORM_FUND_COLUMNS)["rate"], RATE_TOLERANCE)
    for where, engine, what in ((form.total_cell, result.total, L.FORM_TOTAL),
                                (form.grade_cell, result.grade, L.FORM_GRADE)):
        if where is not None and where[1]:
            compare(form.sheet, where[0] - 1, where[1] - 1, engine, what)


def _figures(result: Any, grid: SheetGrid | None, sheet: str | None, compare: Compare) -> None:
    """基础数据: the 计算结果 of each 派生指标 below the figure table's header."""
    if grid is None or not grid.formula_cells:
        return
    values = result.checked.figures
    for r0, name in L.figure_rows(grid.column(0), grid.column(1)):
        fv = values.get(name)
        compare(sheet, r0, 2, fv.value if fv is not None else None, f"{name}（{L.FIGURE_HEADER[2]}）",
                RATE_TOLERANCE)


def _survey(result: Any, grid: SheetGrid | None, compare: Compare) -> None:
    """问卷统计: 得分率 and 满意率 of each question set in the set table."""
    survey = result.survey
    if grid is None or not grid.formula_cells or survey is None:
        return
    heads = list(L.SURVEY_STATS_SET_HEADERS)
    top = next((r for r in range(grid.height) if grid.get(r, 0) == heads[0] and grid.get(r, 1) == heads[1]), None)
    if top is None:
        return
    rate_c, sat_c = heads.index(L.SURVEY_STATS_RATE), heads.index(L.SURVEY_STATS_SATISFIED)
    for r0 in range(top + 1, grid.height):
        name = grid.get(r0, 0)
        if is_blank(name):
            break
        st = survey.sets.get(name)
        compare(L.SHEET_SURVEY_STATS, r0, rate_c, st.rate if st else None, f"{name}（{L.SURVEY_STATS_RATE}）",
                RATE_TOLERANCE)
        compare(L.SHEET_SURVEY_STATS, r0, sat_c, st.satisfied if st else None, f"{name}（{L.SURVEY_STATS_SATISFIED}）",
                RATE_TOLERANCE)
