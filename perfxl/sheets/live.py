"""Live formulas: a workbook that scores itself in Excel, WPS and LibreOffice, without Python.

``plan`` compiles every formula perfxl owns in a scored workbook — 规则得分 / 得分 / 得分率 of each
indicator row with its hidden helper cells, the empty rows under the table, the 实际值 fed by
数据来源, the 基础数据 derived figures, the questionnaire rates on 问卷统计, and the 得分汇总
roll-ups, 总分 and 等级 — and evaluates each over the workbook's own cells (Excel's semantics,
``perfxl.rules.formula.Book``) for the cached value it is written with, so that readers that do not
calculate see the numbers. A formula shows the engine's number, empty text while an input is not
typed yet, or the marker (``layout.FORMULA_MARKER``) where only perfxl can tell. The drawing is
``perfxl.sheets.apply``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from perfxl.io.xlsx.values import Formula
from perfxl.model import layout as L
from perfxl.model.cells import MAX_ROW, col_letter
from perfxl.model.text import is_blank, text_of
from perfxl.model.values import is_date
from perfxl.rules.formula import Book, Ref, RowCells, compile_row
from perfxl.rules.formula import read as R
from perfxl.rules.formula import sheet as S
from perfxl.rules.formula import text as formula_text
from perfxl.rules.formula.expr import Divergent, Err, Expr, Lit, Unknown, call
from perfxl.rules.formula.row import MAX_HELPERS, NotCompilable, empty_row, marker

#: hidden helper columns per row: the row's state (read by the roll-ups), then the rule kinds' helpers
HELPERS = 1 + MAX_HELPERS
#: the longest formula Excel accepts (characters)
MAX_FORMULA = 8192
#: the columns whose content makes an empty row under the table a new indicator
ROW_INPUTS = ("code", "name", "weight", "method", "params", "target", "actual", "evaluator_score", "source")


@dataclass
class Plan:
    """Every formula of a live workbook with its cached value, by (sheet, row, column)."""
    sheet: str
    cols: dict[str, int]
    helpers: list[int]
    cells: dict[tuple[str, int, int], Formula] = field(default_factory=dict)
    sourced: set[int] = field(default_factory=set)        # rows whose 实际值 shows their 数据来源
    compiled: dict[int, bool] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)  # why a row's rule has no formula
    survey_helpers: int = 0                                # hidden count columns after 问卷统计's set table
    #: (keep) values a person typed over perfxl's formulas, left as typed
    kept: dict[tuple[str, int, int], Any] = field(default_factory=dict)

    def get(self, sheet: str, row: int, col: int) -> Any:
        """The formula (with its cached value) of a cell, or the value kept in it."""
        key = (sheet, row, col)
        return self.cells[key] if key in self.cells else self.kept.get(key)


def helper_columns(ev, first_free: int, count: int = HELPERS) -> list[int]:
    """``count`` helper columns of the indicator sheet: those a previous run made (found by header),
    the rest from ``first_free`` on."""
    grid = ev.grids.get(ev.table.sheet)
    header = grid.rows[ev.table.header_row - 1] if grid is not None and grid.height >= ev.table.header_row else []
    found = {v: c + 1 for c, v in enumerate(header) if isinstance(v, str)}
    out, nxt = [], first_free
    for n in range(1, count + 1):
        col = found.get(L.FORMULA_HELPER_HEADER.format(n=n))
        if col is None:
            while nxt in found.values() or nxt in out:
                nxt += 1
            col, nxt = nxt, nxt + 1
        out.append(col)
    return out


class _Planner:
    def __init__(self, result, cols: dict[str, int], helpers: list[int], keep: bool = False,
                 only: set | None = None):
        self.result = result
        self.keep = keep
        self.ev = ev = result.checked.evaluation
        self.sheet = ev.table.sheet
        #: indicator-sheet rows with a wanted formula (None: all); the others' cells are read as saved
        self.rows = None if only is None else {r for s, r, _ in only if s == self.sheet}
        self.cols = cols
        self.letter = {k: col_letter(c) for k, c in cols.items()}
        self.helpers = helpers
        self.exprs: dict[tuple[str, int, int], Expr] = {}
        self.plan = Plan(self.sheet, cols, helpers)

    # --- cells ----------------------------------------------------------------------------------
    def raw(self, sheet: str | None, row: int, col: int | None) -> Any:
        grid = self.ev.grids.get(sheet) if sheet else None
        if grid is None or col is None:
            return None
        return grid.get(row - 1, col - 1)

    def cell(self, key: str, row: int) -> str | None:
        return f"{self.letter[key]}{row}" if key in self.letter else None

    def put(self, sheet: str, address: str, expr: Expr) -> None:
        from perfxl.rules.formula.expr import parse_cell

        r, c = parse_cell(address)
        if self.keep:
            grid = self.ev.grids.get(sheet)
            v = grid.get(r - 1, c - 1) if grid is not None else None
            if grid is not None and (r - 1, c - 1) not in grid.formula_cells and not is_blank(v):
                self.plan.kept[(sheet, r, c)] = v     # typed over the formula: what the others read
                return
        self.exprs[(sheet, r, c)] = expr

    # --- 基础数据 ---------------------------------------------------------------------------------
    def figures(self) -> dict[str, Ref]:
        from perfxl.score import figures as F

        ev, out = self.ev, {}
        grid = ev.grids.get(ev.basic_sheet) if ev.basic_sheet else None
        if grid is None:
            return out
        zero = Ref(ev.zero_rule[1]) if ev.zero_rule else None
        for r0, name in L.figure_rows(grid.column(0), grid.column(1)):
            fig = F.lookup(name)
            if fig is None:
                continue
            self.put(ev.basic_sheet, f"C{r0 + 1}", self.figure(fig, zero))
            out.setdefault(fig.name, Ref(f"C{r0 + 1}", ev.basic_sheet))
        return out

    def figure(self, fig, zero: Ref | None = None) -> Expr:
        """A derived figure's formula from the cells its operands were read from (the marker when
        they cannot be used)."""
        ev = self.ev
        key_b, guards = self.figure_settings(fig)
        basic = self.result.checked.basic
        unusable = any(not is_blank(ev.basic_raw.get(k)) and basic.get(k) is None for k in (fig.a, key_b))
        if fig.a not in ev.basic_cells or key_b not in ev.basic_cells or unusable:
            return marker()
        units = self.result.checked.units
        ua = units.get(fig.a, L.BASIC_BY_KEY[fig.a].unit)
        ub = units.get(key_b, L.BASIC_BY_KEY[key_b].unit)
        scale = (1.0, 1.0) if ua == ub else (L.UNITS[ub][1], L.UNITS[ua][1])
        return S.figure(fig.shape, Ref(ev.basic_cells[fig.a]), Ref(ev.basic_cells[key_b]), zero, scale, guards)

    def figure_settings(self, fig) -> tuple[str, list[Expr]]:
        """A figure's denominator as validation chose it (预算执行率分母) and the guards that its
        settings cells (that choice, the units of its operands) still hold what it was compiled from."""
        ev = self.ev
        key_b, guards = fig.b, list[Expr]()
        if fig.bases and ev.budget_base is not None:
            raw, cell = ev.budget_base
            chosen = L.basic_lookup().get(L.normalize(text_of(raw))) if not is_blank(raw) else None
            key_b = chosen if chosen in fig.bases else fig.b
            guards.append(R.same_text(Ref(str(cell)), raw))
        for key in dict.fromkeys((fig.a, key_b)):
            if key in ev.basic_units:
                raw, cell = ev.basic_units[key]
                guards.append(R.same_text(Ref(str(cell)), raw))
        return key_b, guards

    # --- 问卷统计 ---------------------------------------------------------------------------------
    def survey(self, rows: dict[str, int]) -> dict[str, tuple[Ref, Ref]]:
        from perfxl.sheets.live_survey import set_formulas
        from perfxl.sheets.outputs import SURVEY_RATE_COL, SURVEY_SATISFIED_COL

        out = {}
        if not rows:
            return out
        sheet = L.SHEET_SURVEY_STATS
        compiled = set_formulas(self.ev, self.result.checked.survey)
        first = L.SURVEY_STATS_HELPER_COL                    # hidden helper columns: the set's counts
        for name, row in rows.items():
            rate_cell = f"{col_letter(SURVEY_RATE_COL)}{row}"
            sat_cell = f"{col_letter(SURVEY_SATISFIED_COL)}{row}"
            sset = compiled.get(name)
            if sset is None:
                rate = satisfied = marker()
            else:
                counts = []
                for i, expr in enumerate(S.survey_counts(sset)):
                    cell = f"{col_letter(first + i)}{row}"
                    self.put(sheet, cell, expr)
                    counts.append(Ref(cell))
                    self.plan.survey_helpers = max(self.plan.survey_helpers, i + 1)
                rate, satisfied = S.survey(sset, "rate", counts), S.survey(sset, "satisfied", counts)
            self.put(sheet, rate_cell, rate)
            self.put(sheet, sat_cell, satisfied)
            out[name] = (Ref(rate_cell, sheet), Ref(sat_cell, sheet))
        return out

    # --- 指标评分 ---------------------------------------------------------------------------------
    def source_value(self, text: object, figures: dict[str, Ref], survey: dict[str, tuple[Ref, Ref]]) -> Ref | None:
        from perfxl.check.validate import _survey_ref
        from perfxl.score import figures as F

        kind, name = _survey_ref(text_of(text))
        if kind:
            pair = survey.get(name)
            return None if pair is None else pair[0 if kind == L.SOURCE_SURVEY_RATE else 1]
        fig = F.lookup(text)
        return figures.get(fig.name) if fig is not None else None

    def indicators(self, figures, survey) -> dict[int, tuple[str, str | None]]:
        """Each indicator row's formulas; returns row -> (level1, level2) as compiled."""
        sheet, cols = self.sheet, self.cols
        helper_letters = [col_letter(c) for c in self.helpers]
        levels = {}
        for ind in self.result.checked.indicators:
            r = ind.row
            levels[r] = (ind.level1, ind.level2)
            if self.rows is not None and r not in self.rows:
                continue
            raw = {k: self.raw(sheet, r, cols.get(k)) for k in ("method", "params", "target", "source", "actual")}
            sourced = not is_blank(raw["source"])
            source_value = self.source_value(raw["source"], figures, survey) if sourced else None
            cells = RowCells(actual=self.cell("actual", r), weight=self.cell("weight", r),
                             rule_score=self.cell("rule_score", r), score=self.cell("score", r),
                             method=self.cell("method", r), params=self.cell("params", r),
                             target=self.cell("target", r), source=self.cell("source", r),
                             evaluator_score=self.cell("evaluator_score", r),
                             helpers=tuple(f"{h}{r}" for h in helper_letters[1:]), source_value=source_value)
            rf = compile_row(raw, cells)
            rule, helpers, ok, why = rf.rule_score, rf.helpers, rf.compiled, rf.reason
            if not sourced and is_date(raw["actual"]):
                # a date where a value belongs: a formula cannot tell a date from its serial number
                rule, helpers, ok, why = marker(), (), False, "a date as 实际值"
            self.plan.compiled[r], self.plan.reasons[r] = ok, why
            self.put(sheet, cells.rule_score, rule)
            if getattr(ind, "score_key", "evaluator_score") != "score":
                self.put(sheet, cells.score, rf.score)   # (a 得分 typed by a person stays: it is their figure)
            self.put(sheet, self.cell("rate", r), rf.rate)
            for address, expr in helpers:
                self.put(sheet, address, expr)
            if sourced and source_value is not None:
                self.put(sheet, cells.actual, source_value)
                self.plan.sourced.add(r)
            # (its 编号 too: a 编号 moved to another row keeps their count, but not this row's indicator)
            level_cells = [(Ref(self.cell(k, r)), self.raw(sheet, r, cols[k])) for k in ("code", "level1", "level2")
                           if k in cols]
            na_cells = [Ref(c) for c in (cells.actual, cells.method) if c and not (c == cells.actual and sourced)]
            self.put(sheet, f"{helper_letters[0]}{r}", S.row_state(Ref(cells.score), level_cells, na_cells))
        return levels

    def empty_rows(self, last: int, indicator_rows) -> None:
        ev, sheet = self.ev, self.sheet
        inputs_of = [k for k in ROW_INPUTS if k in self.cols]
        grid = ev.grids.get(sheet)
        for r in range(ev.table.header_row + 1, last + 1):
            if r in indicator_rows or (self.rows is not None and r not in self.rows):
                continue
            if grid is not None and any(not is_blank(grid.get(r - 1, self.cols[k] - 1))
                                        for k in L.INPUT_KEYS if k in self.cols):
                continue                      # a note or a total row under the table: not perfxl's
            expr = empty_row(tuple(self.cell(k, r) for k in inputs_of))
            for key in ("rule_score", "score", "rate"):
                self.put(sheet, self.cell(key, r), expr)

    # --- 得分汇总 ---------------------------------------------------------------------------------
    def summary(self, levels: dict[int, tuple[str, str | None]]) -> None:
        from perfxl.rules.formula.sheet import column_runs
        from perfxl.sheets.outputs import summary_rows

        ev, sheet, name = self.ev, self.sheet, L.SHEET_SUMMARY
        result = self.result
        level_rows, total_row = summary_rows(result)
        state = col_letter(self.helpers[0])
        unchanged = self.unchanged()
        na_rows = {r.indicator.row for r in result.indicators if not r.applicable}
        guard = self.na_guard(na_rows) if na_rows else None
        deferred = bool(na_rows) and guard is None     # not compilable: left to perfxl (markers below)
        if deferred:
            na_rows = set()
        elif guard is not None:
            unchanged = R.AND(unchanged, guard)
        l1_scores, l1_weights = [], []
        rows1: dict[Any, list[int]] = {}
        rows2: dict[tuple[Any, Any], list[int]] = {}
        for row, (l1, l2) in levels.items():
            if row not in na_rows:
                rows1.setdefault(l1, []).append(row)
                rows2.setdefault((l1, l2), []).append(row)
        for r, lvl in level_rows:
            members = rows1.get(lvl.name, []) if lvl.level == 1 else rows2.get((lvl.parent, lvl.name), [])
            if members:
                weights = column_runs(self.letter["weight"], members, sheet)
                scores = column_runs(self.letter["score"], members, sheet)
                states = column_runs(state, members, sheet)
                self.put(name, f"C{r}", S.level_weight(weights, states, unchanged))
                self.put(name, f"D{r}", S.level_score(scores, states, unchanged))
            else:                        # every indicator of the level does not apply
                self.put(name, f"C{r}", S.fixed(0.0, unchanged))
                self.put(name, f"D{r}", S.fixed(0.0, unchanged))
            self.put(name, f"E{r}", S.ratio(Ref(f"D{r}"), Ref(f"C{r}")))
            if lvl.level == 1:
                l1_scores.append(Ref(f"D{r}"))
                l1_weights.append(Ref(f"C{r}"))
        head = L.SUMMARY_HEAD_ROWS
        total = S.total(l1_scores) if l1_scores else _no_levels(unchanged)
        if na_rows:                      # 合计 shows the sum of the applicable scores; 总分 converts it
            self.put(name, f"D{total_row}", total)
            total = self.converted(Ref(f"D{total_row}"), na_rows, unchanged)
        self.put(name, f"B{head['total']}", total)
        self.put(name, f"B{head['grade']}", S.grade(Ref(f"B{head['total']}"), self.grade_table()))
        self.put(name, f"B{head['status']}", self.status(Ref(f"B{head['total']}")))
        for key in ("unit", "year"):
            if key in ev.info_cells and ev.info_sheet:
                self.put(name, f"B{head[key]}", S.shown(Ref(ev.info_cells[key], ev.info_sheet)))
        if l1_weights:
            self.put(name, f"C{total_row}", S.rollup(l1_weights))
        if not na_rows:
            self.put(name, f"D{total_row}", Ref(f"B{head['total']}"))
        self.put(name, f"E{total_row}", S.ratio(Ref(f"D{total_row}"), Ref(f"C{total_row}")))
        if na_rows:
            self.put(name, f"B{L.SUMMARY_CONVERSION_ROW}", self.conversion_line(Ref(f"B{head['total']}")))
        if deferred:
            self.summary_markers(level_rows, total_row)

    def unchanged(self) -> Expr:
        """The indicator table still holds the rows compiled (none added, inserted or emptied): as many
        filled cells in the 编号 column, from its header down (a row inserted just under the header falls
        inside the range: Excel widens a range only for rows inserted within it), as then."""
        ev, letter = self.ev, self.letter["code"]
        codes = Ref(f"{letter}{ev.table.header_row}:{letter}{MAX_ROW}", self.sheet)
        return S.table_unchanged(codes, S.filled(ev.grids.get(self.sheet), self.cols["code"], ev.table.header_row))

    def na_guard(self, na_rows: set[int]) -> Expr | None:
        """The rows compiled as 不适用 still are, and the conversion method is still the one compiled;
        None when that cannot be compiled (too many such rows)."""
        ev, sheet = self.ev, self.sheet
        cells = [(Ref(self.cell(k, r), sheet), self.raw(sheet, r, self.cols.get(k)))
                 for r in sorted(na_rows) for k in ("method", "actual", "weight") if self.cell(k, r)]
        if "na_method" in ev.info_cells and ev.info_sheet:
            from perfxl.rules.formula.expr import parse_cell

            r, c = parse_cell(ev.info_cells["na_method"])
            cells.append((Ref(ev.info_cells["na_method"], ev.info_sheet), self.raw(ev.info_sheet, r, c)))
        try:
            return S.still_not_applicable(cells)
        except NotCompilable:
            return None

    def converted(self, raw: Ref, na_rows: set[int], guard: Expr) -> Expr:
        """总分 converted for the 不适用 rows by the workbook's method (engine.convert)."""
        rows = [r.indicator.row for r in self.result.indicators]
        weights = {key: S.column_runs(self.letter["weight"], [r for r in rows if (r in na_rows) == out], self.sheet)
                   for key, out in (("applicable", False), ("excluded", True))}
        return S.converted_total(raw, self.result.checked.na_method, S.weight_sum(weights["applicable"]),
                                 S.weight_sum(weights["excluded"]), guard)

    def conversion_line(self, total: Ref) -> Expr:
        """The head line explaining the conversion: perfxl's words while 总分 is still what perfxl
        computed, a pointer to perfxl once the formulas have changed it."""
        from perfxl.sheets.outputs import conversion_line

        result = self.result
        conv = result.conversion
        line = conversion_line(result) or ""
        moved = L.CONVERSION_LIVE.format(method=conv.label if conv is not None else "")
        same = total.eq(result.total) if result.total is not None else R.NOT(R.ISNUMBER(total))
        return call("IFERROR", R.IF(same, line, moved), moved)

    def summary_markers(self, level_rows, total_row: int) -> None:
        """得分汇总 left to perfxl: roll-ups, 总分 and 等级 show the marker."""
        name = L.SHEET_SUMMARY
        head = L.SUMMARY_HEAD_ROWS
        for r in [*(row for row, _ in level_rows), total_row]:
            for c in "CDE":
                self.put(name, f"{c}{r}", marker())
        for key in ("total", "grade"):
            self.put(name, f"B{head[key]}", marker())

    def grade_table(self):
        ev = self.ev
        if not ev.grade_rows or not ev.info_sheet:
            return None
        first, last = ev.grade_rows[0][2], ev.grade_rows[-1][2]
        info = ev.info_sheet
        return S.GradeTable(tuple((Ref(f"A{g}", info), Ref(f"B{g}", info)) for _, _, g in ev.grade_rows),
                            (Ref(f"A{last + 1}", info), Ref(f"B{last + 1}", info)),
                            (Ref(f"A{first - 1}", info), self.raw(info, first - 1, 1)))

    def status(self, total: Ref) -> Expr:
        from perfxl.rules.formula import read as R
        from perfxl.sheets.outputs import status

        result = self.result
        known = status(result) if result.total is not None else L.SUMMARY_STATUS_LIVE["computed"]
        live = L.SUMMARY_STATUS_LIVE
        return R.by_state(total, known, live["waiting"], live["unscored"])

    # --- cached values ----------------------------------------------------------------------------
    def evaluate(self, only: set | None = None, held: dict | None = None) -> None:
        book = Book(self.ev.grids)
        texts: dict[tuple[str, int, int], str] = {}         # each formula's text, rendered once
        theirs = set()
        if held is not None:
            from perfxl.io.xlsx.depends import canonical

            texts = {key: formula_text(expr) for key, expr in self.exprs.items()}
            theirs = {key for key, text in texts.items() if held.get(key) != canonical(text)}
        for key, expr in self.exprs.items():
            if key not in theirs:                  # (a formula someone rewrote: what it shows is read as saved)
                book.formulas[key] = expr
        for (sheet, r, c), expr in self.exprs.items():
            if (only is not None and (sheet, r, c) not in only) or (sheet, r, c) in theirs:
                continue
            try:
                value = book.value(sheet, r, c)
            except Unknown:
                value = None                  # a cell it reads has no recorded result: Excel computes it
            except Divergent:                 # the programs would not agree: never write such a formula
                expr, value = marker(), L.FORMULA_MARKER
            if isinstance(value, Err):
                value = str(value)
            if isinstance(expr, Lit):
                value = expr.value
            text = texts.get((sheet, r, c)) if expr is self.exprs[(sheet, r, c)] else None
            text = formula_text(expr) if text is None else text
            if len(text) >= MAX_FORMULA:          # Excel would not open the file: perfxl scores this cell
                text, value = formula_text(marker()), L.FORMULA_MARKER
            self.plan.cells[(sheet, r, c)] = Formula(text, value)


def _no_levels(unchanged: Expr) -> Expr:
    """总分 of a table without indicators: empty while it stays so, the marker once one is typed."""
    from perfxl.rules.formula import read as R

    return R.IF(unchanged, "", marker())


def plan(result, cols: dict[str, int], helpers: list[int], *, last_row: int,
         survey_rows: dict[str, int] | None = None, keep: bool = False, only: set | None = None,
         held: dict | None = None) -> Plan:
    """Every live formula of ``result``'s workbook, the computed columns at ``cols`` (column key ->
    1-based column), the helper columns at ``helpers``, empty rows down to ``last_row``, question
    sets at ``survey_rows`` (set name -> row on 问卷统计). ``keep``: a value typed where a formula
    belongs stays (as a spreadsheet recalculating keeps it), the formulas reading it see it. ``only``:
    the (sheet, row, column) cells whose formulas are wanted: indicator rows without one are not compiled
    (what the wanted ones read there is the result saved in the file), other cells not evaluated.
    ``held``: the formulas the workbook holds ((sheet, row, column) -> ``depends.canonical`` text); a cell
    whose formula is not the planned one (someone rewrote it) is left out and read as saved."""
    p = _Planner(result, cols, helpers, keep, only)
    figures = p.figures()
    survey = p.survey(survey_rows or {})
    levels = p.indicators(figures, survey)
    p.empty_rows(last_row, set(levels))
    p.summary(levels)
    p.evaluate(only, held)
    return p.plan


__all__ = ["HELPERS", "NotCompilable", "Plan", "helper_columns", "plan"]
