"""Live formulas of an official form (项目支出/部门整体支出绩效自评表) scored by perfxl: the form computes
itself in Excel, WPS and LibreOffice after a person edits it, as the standard workbook does (``live``).

In the form's own cells: the 资金 block's 执行率 (全年执行数 ÷ 全年预算数) and its 得分, the 得分 of every
quantitative indicator (compiled from its 年度指标值 like any 完成比率 row), 总分 and 等级. A qualitative
indicator's 得分 is what the evaluator types: it stays an input, read by the roll-ups through a hidden
copy that takes it as the engine does (a number from 0 to 分值, rounded to the cent) or shows the marker.
得分汇总 rolls the rows up with the standard workbook's formulas. Hidden helper columns right of the form
hold each row's state, its score and 分值 as the roll-ups read them, and the rule's helper cells."""
from __future__ import annotations

from perfxl.model import layout as L
from perfxl.model.cells import col_letter
from perfxl.rules.formula import Ref, RowCells, compile_row
from perfxl.rules.formula import read as R
from perfxl.rules.formula import sheet as S
from perfxl.rules.formula.expr import Expr, call
from perfxl.rules.formula.row import MAX_HELPERS, NotCompilable, given_score, marker
from perfxl.sheets.live import Plan, _Planner

#: hidden helper columns per row: state, score and 分值 as the roll-ups read them, then the rule's helpers
FORM_HELPERS = 3 + MAX_HELPERS


def _read_score(score: Ref, weight: Ref, na: list[Ref], empty: Expr | str = "",
                guards: list[Expr] | None = None) -> Expr:
    """A row's 得分 as the roll-ups take it, whoever wrote it (perfxl's formula, or a person typing the
    judged score or their own figure over the formula): ``row.given_score`` (text like "12分" the engine
    reads is left to perfxl), the marker when ``guards`` fail, ``empty`` when the cell shows nothing."""
    shown = R.IF(R.blank(score), empty, given_score(score, weight, na))
    if guards:
        shown = R.IF(R.AND(*guards), shown, marker())
    return call("IFERROR", shown, marker())


def _waiting(inputs: Ref) -> Expr:
    """What an empty 得分 that perfxl computes means: waiting while its input is empty too (the formula
    shows nothing), else the formula was cleared (perfxl has a figure the form no longer shows)."""
    return R.IF(R.blank(inputs), "", marker())


class _FormPlanner(_Planner):
    def __init__(self, result, helpers: list[int]):
        ev = result.checked.evaluation
        self.form = ev.form
        cols = {"weight": helpers[2], "score": helpers[1]}
        super().__init__(result, cols, helpers)

    def cell(self, key: str, row: int) -> str | None:
        """Where a row's ``key`` sits on the form (the 资金 block and qualitative rows differ)."""
        if key in ("weight", "score"):
            return f"{self.letter[key]}{row}"
        col = self.form.column(row, key, self.ev.table.columns.get(key))
        return f"{col_letter(col)}{row}" if col else None

    def unchanged(self) -> Expr:
        """The indicator table holds the rows compiled: as many 三级指标 names and numeric 分值 between its
        header and 总分 as then."""
        ev = self.ev
        # from the header row to the 总分 row: a row inserted just under the header or just above 总分
        # falls inside the ranges (Excel widens a range only for rows inserted within it)
        first, last = ev.table.header_row, self.form.total_cell[0]
        grid = ev.grids[self.sheet]

        def column(key: str) -> tuple[int, Ref]:
            c = ev.table.columns[key]
            return c, Ref(f"{col_letter(c)}{first}:{col_letter(c)}{last}", self.sheet)

        (names_col, names), (weights_col, weights) = column("name"), column("weight")
        numbers = sum(1 for r0 in range(first - 1, last) if isinstance(v := grid.get(r0, weights_col - 1), (int, float))
                      and not isinstance(v, bool))
        same_names = S.table_unchanged(names, S.filled(grid, names_col, first, last))
        return R.AND(same_names, call("COUNT", weights).eq(numbers))

    def weight_cell(self, row: int) -> str:
        return f"{col_letter(self.form.column(row, 'weight', self.ev.table.columns.get('weight')))}{row}"

    def na_guard(self, na_rows: set[int]) -> Expr | None:
        """The rows compiled as 不适用 still are: their 实际完成值 (or typed 得分) and 分值 hold what they held."""
        cells = []
        for r in sorted(na_rows):
            for address in (self.cell("actual", r), self.weight_cell(r)):
                if address:
                    cells.append((Ref(address, self.sheet), self.raw(self.sheet, r, _col(address))))
        try:
            return S.still_not_applicable(cells)
        except NotCompilable:
            return None

    def indicators(self, figures, survey) -> dict[int, tuple[str, str | None]]:
        ev, form, sheet = self.ev, self.form, self.sheet
        letters = [col_letter(c) for c in self.helpers]
        levels: dict[int, tuple[str, str | None]] = {}
        for ind in self.result.checked.indicators:
            r = ind.row
            levels[r] = (ind.level1, ind.level2)
            state, score_copy, weight_copy = (f"{h}{r}" for h in letters[:3])
            weight = self.weight_cell(r)
            score = f"{col_letter(form.score_cells[r])}{r}"
            helpers = tuple(f"{h}{r}" for h in letters[3:])
            method = ind.raw.get("method")
            typed = ind.score_key == "score"            # a 得分 typed where perfxl computes it: the evaluator's
            rf = None
            na_cells: list[Ref] = []
            if r == form.execution_row:
                # the rate computed in a hidden cell from 全年预算数/全年执行数, as the engine does; the visible
                # 执行率 shows it (a figure typed over that one changes nothing, as for the engine)
                rate = helpers[-1]
                self.put(sheet, rate, self.figure(_execution_figure()))
                if form.rate_cell:
                    self.put(sheet, f"{col_letter(form.rate_cell[1])}{r}", S.shown(Ref(rate)))
                if not typed:
                    raw = {"method": method, "params": None, "target": L.FORM_EXECUTION_TARGET,
                           "source": L.FORM_EXECUTION_SOURCE}
                    rf = compile_row(raw, RowCells(actual=rate, weight=weight, rule_score=score,
                                                   helpers=helpers[:-1], source_value=Ref(rate)))
                copy = _read_score(Ref(score), Ref(weight), [], _waiting(Ref(rate)))
            elif method == L.FORM_QUANTITATIVE_METHOD:
                target, actual = self.cell("target", r), self.cell("actual", r)
                na_cells = [Ref(actual)]
                if not typed:
                    raw = {"method": method, "params": None, "target": self.raw(sheet, r, _col(target)),
                           "source": None}
                    rf = compile_row(raw, RowCells(actual=actual, weight=weight, rule_score=score, target=target,
                                                   helpers=helpers))
                copy = _read_score(Ref(score), Ref(weight), na_cells, _waiting(Ref(actual)))
            else:                                       # the evaluator's judged 得分, typed in the form
                na_cells = [Ref(score)]
                target = self.cell("target", r)         # (a 年度指标值 with a number makes it quantitative)
                guards = [R.same_text(Ref(target), self.raw(sheet, r, _col(target)))] if target else []
                copy = _read_score(Ref(score), Ref(weight), [], "", guards)
            if rf is not None:
                self.plan.compiled[r], self.plan.reasons[r] = rf.compiled, rf.reason
                self.put(sheet, score, rf.rule_score)
                for address, expr in rf.helpers:
                    self.put(sheet, address, expr)
            self.put(sheet, score_copy, copy)
            self.put(sheet, weight_copy, S.shown(Ref(weight)))
            level_cells = [(Ref(f"{col_letter(c)}{r}"), self.raw(sheet, r, c))
                           for k in ("level1", "level2") if (c := ev.table.columns.get(k)) and r != form.execution_row]
            self.put(sheet, state, S.row_state(Ref(score_copy), level_cells, na_cells))
        return levels

    def form_total(self) -> None:
        """总分 and 等级 in the form's own cells: what 得分汇总 shows."""
        head = L.SUMMARY_HEAD_ROWS
        for where, key in ((self.form.total_cell, "total"), (self.form.grade_cell, "grade")):
            if where is not None and where[1]:
                ref = Ref(f"B{head[key]}", L.SHEET_SUMMARY)
                self.put(self.sheet, f"{col_letter(where[1])}{where[0]}",
                         call("IFERROR", R.IF(R.blank(ref), "", ref), marker()))


def _col(address: str | None) -> int | None:
    from perfxl.rules.formula.expr import parse_cell

    return parse_cell(address)[1] if address else None


def _execution_figure():
    from perfxl.score import figures as F

    return F.lookup(L.FORM_EXECUTION_SOURCE)


def live_ready(result) -> bool:
    """The form has every cell its formulas need (得分 of each row, 总分)."""
    form = result.checked.evaluation.form
    return (form is not None and form.total_cell is not None and bool(form.total_cell[1])
            and all(form.score_cells.get(res.indicator.row) for res in result.indicators))


def plan(result, helpers: list[int]) -> Plan:
    """Every live formula of a scored form, helper columns at ``helpers`` (FORM_HELPERS of them)."""
    p = _FormPlanner(result, helpers)
    levels = p.indicators({}, {})
    p.summary(levels)
    p.form_total()
    p.evaluate()
    return p.plan


__all__ = ["FORM_HELPERS", "live_ready", "plan"]
