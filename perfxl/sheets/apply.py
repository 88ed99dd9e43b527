"""Draw a scoring result into an open workbook (any Canvas): the computed columns, highlights and
notes on the cells problems point to, and the 得分汇总 / 问卷统计 / 校验结果 / 评价偏差 sheets.
Nothing is saved here (files: ``perfxl.io.writeback``; Excel: ``perfxl.excel``)."""
from __future__ import annotations

from perfxl.check.problems import Problem
from perfxl.model import layout as L
from perfxl.model.cells import CellRef
from perfxl.model.values import fmt_score
from perfxl.score.engine import Result
from perfxl.sheets import outputs
from perfxl.sheets.canvas import Canvas


def _cell_role(ev, sheet: str, ref: CellRef) -> str:
    """The fill a marked cell returns to: its column's role on the indicator sheet, else input."""
    if sheet != ev.table.sheet:
        return "input"
    key = next((k for k, c in ev.table.columns.items() if c == ref.col), None)
    return "computed" if key and L.COLUMNS_BY_KEY[key].role == L.COMPUTED else "input"


def _registry(cv: Canvas) -> list[str]:
    """Cells perfxl marked on the last run, as 'sheet!A1', from the hidden 选项 sheet."""
    if L.SHEET_LISTS not in cv.names():
        return []
    col = ord(L.LIST_COLUMNS["marks"]) - 64
    values = cv.column(L.SHEET_LISTS, col, 1, cv.last_row(L.SHEET_LISTS))
    if not values or values[0] != L.MARKS_HEADER:
        return []
    return [v for v in values[1:] if isinstance(v, str) and "!" in v]


def _save_registry(cv: Canvas, marks: list[str], previous: int) -> None:
    _lists_sheet(cv)
    col = ord(L.LIST_COLUMNS["marks"]) - 64
    rows = [[L.MARKS_HEADER], *([m] for m in marks), *([None] for _ in range(max(previous - len(marks), 0)))]
    cv.write(L.SHEET_LISTS, 1, col, rows)


def _lists_sheet(cv: Canvas) -> None:
    if L.SHEET_LISTS not in cv.names():
        cv.new_sheet(L.SHEET_LISTS, cv.names()[-1])
        cv.hide(L.SHEET_LISTS)
        cv.finish(L.SHEET_LISTS, landscape=False)


WRITTEN_KEYS = ("rule_score", "score", "rate")


def _save_written(cv: Canvas, result: Result, previous: int) -> None:
    """What perfxl writes into the computed columns, row by row, so that the next run tells a figure a
    person typed there from perfxl's own. A typed 得分 taken as the evaluator's figure is not recorded:
    it stays a person's figure on every run."""
    _lists_sheet(cv)
    col = ord(L.LIST_COLUMNS["written"]) - 64
    rows = [[L.WRITTEN_HEADER, None, None, None]]
    for res in result.indicators:
        own = {k: getattr(res, k) for k in WRITTEN_KEYS}
        if res.indicator.score_key == "score":
            own["score"] = None
        rows.append([res.indicator.row, *(own[k] for k in WRITTEN_KEYS)])
    rows += [[None] * 4 for _ in range(max(previous - len(rows) + 1, 0))]
    cv.write(L.SHEET_LISTS, 1, col, rows)


def _written_rows(cv: Canvas) -> int:
    """How many rows the written-figures block of the 选项 sheet had (to clear what is left over)."""
    if L.SHEET_LISTS not in cv.names():
        return 0
    col = ord(L.LIST_COLUMNS["written"]) - 64
    values = cv.column(L.SHEET_LISTS, col, 1, cv.last_row(L.SHEET_LISTS))
    return sum(1 for v in values[1:] if v is not None) if values and values[0] == L.WRITTEN_HEADER else 0


def _draw_form(cv: Canvas, result: Result) -> None:
    """The figures of an official form, into its own cells: each indicator's 得分, the 执行率 of the
    资金 block, 总分 and 等级."""
    ev = result.checked.evaluation
    form = ev.form
    for res in result.indicators:
        col = form.score_cells.get(res.indicator.row)
        if col:
            cv.write(form.sheet, res.indicator.row, col, [[res.score]], fmts=["0.00"])
    if form.rate_cell is not None:
        fig = result.checked.figures.get(L.FORM_EXECUTION_SOURCE)
        cv.write(form.sheet, *form.rate_cell, [[getattr(fig, "value", None)]], fmts=["0.00%"])
    for where, value, fmt in ((form.total_cell, result.total, "0.00"), (form.grade_cell, result.grade, None)):
        if where is not None and where[1]:
            cv.write(form.sheet, *where, [[value]], fmts=[fmt])


def apply(cv: Canvas, result: Result, *, only_problems: bool = False) -> None:
    """Draw ``result`` into an open workbook (no saving here): computed columns, highlights and
    notes on the cells problems point to, the output sheets, and the 派生指标 values.
    ``only_problems`` (the 校验 button): just the highlights, notes and 校验结果."""
    ev = result.checked.evaluation
    unit = result.info.get("unit")
    cv.print_unit = str(unit) if unit is not None else None
    table = ev.table
    sheet = table.sheet
    cols = dict(table.columns)
    next_col = max(cv.last_col(sheet), max(cols.values())) + 1
    if ev.form is not None:                 # an official form: its own 得分 cells, no added columns
        cols = {}
        if not only_problems:
            _draw_form(cv, result)
    for key in L.COMPUTED_KEYS:
        if key not in cols and ev.form is None:
            cv.write(sheet, table.header_row, next_col, [[L.COLUMNS_BY_KEY[key].header]], style="header")
            cols[key] = next_col
            next_col += 1
    # undo last run's highlights and notes
    names = set(cv.names())
    previous = _registry(cv)
    for entry in previous:
        where, text = entry.rsplit("!", 1)
        ref = CellRef.parse(text)
        if where in names and ref is not None:
            cv.note(where, ref.a1, None)
            cv.fill(where, ref.a1, _cell_role(ev, where, ref))
    # computed columns, one block per column (stale values below the table cleared too)
    if only_problems:
        cols = {}
    first, last = table.header_row + 1, max(cv.last_row(sheet), table.last_row)
    by_row = {res.indicator.row: res for res in result.indicators}
    for key in (k for k in L.COMPUTED_KEYS if k in cols):
        values = []
        for r in range(first, last + 1):
            res = by_row.get(r)
            values.append([None if res is None else getattr(res, key)])
        cv.write(sheet, first, cols[key], values, style="computed", fmts=[L.COLUMNS_BY_KEY[key].number_format])
    # problems and deviations: highlight and annotate the cells they point to
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in result.problems:
        if p.sheet in names and p.at is not None:
            by_cell.setdefault((p.sheet, p.at.a1), []).append(p)
    marks = []
    for (where, ref), probs in by_cell.items():
        severe = any(p.severity == "error" for p in probs)
        lines = [f"perfxl：{L.SEVERITY_LABELS[p.severity]}：{p.message}" + (f"\n修改：{p.fix}" if p.fix else "")
                 for p in probs]
        cv.fill(where, ref, "problem" if severe else "warning")
        cv.note(where, ref, "\n".join(lines))
        marks.append(f"{where}!{ref}")
    for res in ([] if only_problems else result.deviations):
        ref = str(ev.cell(res.indicator.row, res.indicator.score_key))
        if (sheet, ref) not in by_cell:
            cv.fill(sheet, ref, "deviation")
            cv.note(sheet, ref, f"perfxl：评价得分 {fmt_score(res.indicator.evaluator_score)} 与规则得分 "
                                f"{fmt_score(res.rule_score)} 不同（见“评价偏差”页）")
            marks.append(f"{sheet}!{ref}")
    cv.finish_rows(sheet, [res.indicator.row for res in result.indicators])
    # output sheets, regenerated in place (or added after the indicator sheet)
    after = sheet
    plan = [] if only_problems else [(L.SHEET_SUMMARY, lambda n: outputs.summary(cv, n, result))]
    if result.survey is not None and not only_problems:
        plan.append((L.SHEET_SURVEY_STATS, lambda n: outputs.survey_stats(cv, n, result.survey)))
    plan.append((L.SHEET_PROBLEMS, lambda n: outputs.problems(cv, n, result.problems)))
    if not only_problems:
        plan.append((L.SHEET_DEVIATIONS, lambda n: outputs.deviations(cv, n, result)))
    for name, draw in plan:
        cv.new_sheet(name, after)
        draw(name)
        after = name
    if ev.basic_sheet and ev.basic_sheet in names and not only_problems and ev.form is None:
        outputs.figures(cv, ev.basic_sheet, result.checked.all_figures or result.checked.figures)
    _save_registry(cv, marks, len(previous))
    if not only_problems:
        _save_written(cv, result, _written_rows(cv))
    cv.close()
