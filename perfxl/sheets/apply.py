"""Draw a scoring result into an open workbook (any Canvas): the computed columns, highlights and
notes on the cells problems point to, and the 得分汇总 / 问卷统计 / 校验结果 / 评价偏差 sheets.
Nothing is saved here (files: ``perfxl.io.writeback``; Excel: ``perfxl.excel``)."""
from __future__ import annotations

from perfxl.check.problems import Problem
from perfxl.model import layout as L
from perfxl.model.cells import CellRef, col_letter
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


def save_written(cv: Canvas, result: Result) -> None:
    """What perfxl writes into the computed columns, row by row, so that the next run tells a figure a
    person typed there from perfxl's own. A typed 得分 taken as the evaluator's figure is not recorded:
    it stays a person's figure on every run."""
    previous = _written_rows(cv)
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
    from perfxl.sheets import live_form

    ev = result.checked.evaluation
    form = ev.form
    plan = None
    if live_form.live_ready(result):
        from perfxl.sheets.live import helper_columns

        table = ev.table
        helpers = helper_columns(ev, max(cv.last_col(form.sheet), max(table.columns.values())) + 1,
                                 live_form.FORM_HELPERS)
        plan = live_form.plan(result, helpers)
        rows = sorted({r for s, r, c in plan.cells if s == form.sheet and c in helpers})
        _helper_columns(cv, plan, form.sheet, table.header_row, rows)

    def put(where: tuple[int, int], value, fmt: str | None) -> None:
        f = plan.get(form.sheet, *where) if plan is not None else None
        cv.write(form.sheet, *where, [[f if f is not None else value]], fmts=[fmt])

    for res in result.indicators:
        col = form.score_cells.get(res.indicator.row)
        if col and res.indicator.score_key != "score":      # (a 得分 typed by a person stays: their figure)
            put((res.indicator.row, col), res.score, "0.00")
    if form.rate_cell is not None:
        fig = result.checked.figures.get(L.FORM_EXECUTION_SOURCE)
        put(form.rate_cell, getattr(fig, "value", None), "0.00%")
    for where, value, fmt in ((form.total_cell, result.total, "0.00"), (form.grade_cell, result.grade, None)):
        if where is not None and where[1]:
            put(where, value, fmt)
    cv.finish_rows(form.sheet, [res.indicator.row for res in result.indicators])
    cv.new_sheet(L.SHEET_SUMMARY, form.sheet)
    outputs.summary(cv, L.SHEET_SUMMARY, result, live=plan)
    if result.survey is not None:
        cv.new_sheet(L.SHEET_SURVEY_STATS, L.SHEET_SUMMARY)
        outputs.survey_stats(cv, L.SHEET_SURVEY_STATS, result.survey)


def _columns(cv: Canvas, result: Result) -> tuple[dict[str, int], list[int]]:
    """The indicator sheet's columns: its own, the computed ones (added after the last column when
    missing, with their headers) and the hidden helper columns of the live formulas."""
    from perfxl.sheets.live import helper_columns

    table = result.checked.evaluation.table
    cols = dict(table.columns)
    next_col = max(cv.last_col(table.sheet), max(cols.values())) + 1
    for key in L.COMPUTED_KEYS:
        if key not in cols:
            cv.write(table.sheet, table.header_row, next_col, [[L.COLUMNS_BY_KEY[key].header]], style="header")
            cols[key] = next_col
            next_col += 1
    return cols, helper_columns(result.checked.evaluation, max(next_col, max(cols.values()) + 1))


def _plan(cv: Canvas, result: Result, **kw):
    """The live plan of ``result``'s workbook as ``cv`` holds it (``live.plan``'s keywords in ``kw``), the
    indicator sheet's last row it covers and the 问卷统计 rows of the question sets."""
    from perfxl.sheets import live

    ev = result.checked.evaluation
    cols, helpers = _columns(cv, result)
    last = max(cv.last_row(ev.table.sheet), ev.table.last_row)
    survey_rows = outputs.survey_rows(ev, result.survey is not None)
    return live.plan(result, cols, helpers, last_row=last, survey_rows=survey_rows, **kw), last, survey_rows


def draw_live(cv: Canvas, result: Result, *, template: bool = False, keep: bool = False):
    """The scoring part of a result as live formulas, each with its cached value: the computed
    columns (评分过程 as text), the hidden helper columns, 实际值 fed by 数据来源, 得分汇总, 问卷统计
    and the 派生指标 on 基础数据. ``template``: a new workbook (评分过程 left empty). Returns the
    live.Plan drawn. ``keep``: values typed over perfxl's formulas stay (live.plan)."""
    ev = result.checked.evaluation
    table, sheet = ev.table, ev.table.sheet
    plan, last, survey_rows = _plan(cv, result, keep=keep)
    cols, first = plan.cols, table.header_row + 1
    by_row = {res.indicator.row: res for res in result.indicators}
    for key in L.COMPUTED_KEYS:
        col = cols[key]
        values = []
        for r in range(first, last + 1):
            res = by_row.get(r)
            if key == "process":
                values.append([None if res is None or template else res.process])
            else:
                f = plan.get(sheet, r, col)
                values.append([f if f is not None or res is None else getattr(res, key)])
        cv.write(sheet, first, col, values, style="computed", fmts=[L.COLUMNS_BY_KEY[key].number_format])
    cv.finish_rows(sheet, [res.indicator.row for res in result.indicators])
    _helper_columns(cv, plan, sheet, table.header_row, range(first, last + 1))
    actual = cols.get("actual")
    if actual:
        grid = ev.grids.get(sheet)
        for r in range(first, last + 1):
            f = plan.get(sheet, r, actual)
            typed = grid is not None and (r - 1, actual - 1) not in grid.formula_cells \
                and grid.get(r - 1, actual - 1) is not None
            if f is not None and not (template and typed):   # a new workbook keeps what was typed
                cv.write(sheet, r, actual, [[f]], style="computed", fmts=[L.COLUMNS_BY_KEY["rate"].number_format])
            elif template and (grid is None or ((r - 1, actual - 1) not in grid.formula_cells
                                                and isinstance(grid.get(r - 1, actual - 1), (str, type(None))))):
                cv.number_format(sheet, f"{col_letter(actual)}{r}", L.ACTUAL_FORMAT)
    cv.new_sheet(L.SHEET_SUMMARY, sheet)
    outputs.summary(cv, L.SHEET_SUMMARY, result, live=plan)
    if survey_rows:
        after = L.SHEET_SUMMARY
        cv.new_sheet(L.SHEET_SURVEY_STATS, after)
        outputs.survey_stats(cv, L.SHEET_SURVEY_STATS, result.survey, survey_rows, live=plan)
        _survey_helpers(cv, plan, survey_rows)
    if ev.basic_sheet and ev.basic_sheet in cv.names():
        outputs.figures(cv, ev.basic_sheet, result.checked.all_figures or result.checked.figures, live=plan)
    return plan


def refresh_results(book, result: Result, held: dict[tuple[str, int, int], str],
                    stale: set[tuple[str, int, int]]) -> int:
    """A workbook perfxl made live whose values a program changed (``fill``), not a spreadsheet: the
    formulas at ``stale`` that are still perfxl's get their results for the values now in the workbook
    (the plan ``draw_live`` draws); those 派生指标's 计算过程, those indicators' 评分过程 and, when the
    answers changed, 问卷统计 are drawn again; every other byte stays.
    ``held``: every formula the workbook holds, (sheet, row, column) -> ``depends.canonical`` text; one
    someone rewrote is theirs — left to compute, and what reads it is not given perfxl's value either.
    ``book``: the package being edited (``perfxl.io.xlsx.Book``). Returns how many results were set."""
    from perfxl.score.cached import made_live
    from perfxl.sheets.canvas import XmlCanvas

    ev = result.checked.evaluation
    if not made_live(ev) or any(k not in ev.table.columns for k in L.COMPUTED_KEYS):
        return 0
    cv = XmlCanvas(book)
    plan, _, survey_rows = _plan(cv, result, keep=True, only=stale, held=held)   # (the computed columns are there)
    n = sum(book.sheet(sheet).set_cached(r, c, f.cached) for (sheet, r, c), f in plan.cells.items())
    if ev.basic_sheet and ev.basic_sheet in book.names():
        refreshed = {r for sheet, r, c in plan.cells if sheet == ev.basic_sheet and c == 3}
        outputs.figures(cv, ev.basic_sheet, result.checked.all_figures or result.checked.figures,
                        texts_only=refreshed)
    stats = L.SHEET_SURVEY_STATS
    if result.survey is not None and survey_rows and stats in book.names() and any(s == stats for s, _, _ in stale):
        cv.new_sheet(stats, None)            # the answers changed: every figure of 问卷统计, as score draws it
        outputs.survey_stats(cv, stats, result.survey, survey_rows, live=plan)
        _survey_helpers(cv, plan, survey_rows)
    _processes(cv, result, {r for sheet, r, _ in plan.cells if sheet == ev.table.sheet})
    return n


def _processes(cv: Canvas, result: Result, rows: set[int]) -> None:
    """The 评分过程 of the indicators on ``rows`` written again for their new figures, where perfxl wrote
    one (a new workbook's stay empty)."""
    ev = result.checked.evaluation
    sheet, col = ev.table.sheet, ev.table.columns["process"]
    written = []
    for res in result.indicators:
        r = res.indicator.row
        if r in rows and cv.column(sheet, col, r, r)[0] not in (None, "") and res.process:
            cv.write(sheet, r, col, [[res.process]])
            written.append(r)
    cv.finish_rows(sheet, written)


def _helper_columns(cv: Canvas, plan, sheet: str, header_row: int, rows) -> None:
    """The hidden helper columns of the live indicator table (``plan.helpers``): their headers, the
    planned formulas on ``rows`` (in runs of consecutive rows), hidden."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    for n, col in enumerate(plan.helpers, start=1):
        cv.write(sheet, header_row, col, [[L.FORMULA_HELPER_HEADER.format(n=n)]], style="header")
        for run in runs:
            cv.write(sheet, run[0], col, [[plan.get(sheet, r, col)] for r in run], style="computed")
    cv.hide_columns(sheet, plan.helpers)


def _survey_helpers(cv: Canvas, plan, rows: dict[str, int]) -> None:
    """The hidden count cells the 问卷统计 rates read, after the set table."""
    first = L.SURVEY_STATS_HELPER_COL
    cols = list(range(first, first + plan.survey_helpers))
    if not cols or not rows:
        return
    sheet, top = L.SHEET_SURVEY_STATS, min(rows.values())
    cv.write(sheet, top - 1, first, [[L.FORMULA_HELPER_HEADER.format(n=n) for n in range(1, len(cols) + 1)]],
             style="header")
    for r in rows.values():
        cv.write(sheet, r, first, [[plan.get(sheet, r, c) for c in cols]], style="computed")
    cv.hide_columns(sheet, cols)


def apply(cv: Canvas, result: Result, *, only_problems: bool = False) -> None:
    """Draw ``result`` into an open workbook (no saving here): the live scoring (``draw_live``),
    highlights and notes on the cells problems point to, and the 校验结果 and 评价偏差 sheets.
    ``only_problems`` (the 校验 button): just the highlights, notes and 校验结果."""
    ev = result.checked.evaluation
    unit = result.info.get("unit")
    cv.print_unit = str(unit) if unit is not None else None
    table = ev.table
    sheet = table.sheet
    # undo last run's highlights and notes
    names = set(cv.names())
    previous = _registry(cv)
    for entry in previous:
        where, text = entry.rsplit("!", 1)
        ref = CellRef.parse(text)
        if where in names and ref is not None:
            cv.note(where, ref.a1, None)
            cv.fill(where, ref.a1, _cell_role(ev, where, ref))
    if not only_problems and ev.form is not None:     # an official form: its own cells, no added columns
        _draw_form(cv, result)
    elif not only_problems:
        draw_live(cv, result)
    # problems and deviations: highlight and annotate the cells they point to
    names = set(cv.names())
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
    # output sheets, regenerated in place (or added after the indicator sheet / the live ones)
    after = next((n for n in (L.SHEET_SURVEY_STATS, L.SHEET_SUMMARY) if n in cv.names() and not only_problems),
                 sheet)
    plan = [(L.SHEET_PROBLEMS, lambda n: outputs.problems(cv, n, result.problems))]
    if not only_problems:
        plan.append((L.SHEET_DEVIATIONS, lambda n: outputs.deviations(cv, n, result)))
    for name, draw in plan:
        cv.new_sheet(name, after)
        draw(name)
        after = name
    _save_registry(cv, marks, len(previous))
    if not only_problems:
        save_written(cv, result)
    cv.close()
