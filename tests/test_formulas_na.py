"""不适用 indicators in a live workbook: the roll-ups leave their 分值 out and 总分 is converted by the
workbook's method (得分÷适用分值×100, 不适用指标按满分计, 不换算), as formulas. LibreOffice recalculates
them, before and after an evaluator types new 实际值, and shows what `perfxl score` of the saved file
gets; an edit to a 不适用 row or to the method hands the roll-ups and 总分 back to perfxl (the marker),
never a number other than perfxl's."""
from __future__ import annotations

from pathlib import Path

import pytest
from formula_harness import MARK, live_reads, live_workbook, lo_recalc
from openpyxl import load_workbook
from test_formulas_examples import EXAMPLES, _check, _edits, _letter, _values

from perfxl.model import layout as L

pytestmark = pytest.mark.lo

EXAMPLE = EXAMPLES[0]
METHODS = {v: k for k, v in L.NA_METHODS.items()}          # rescale / full / sum -> the label typed


def _variant(dst: Path, method: str, cells: dict[tuple[int, str], object]) -> Path:
    """The example with ``cells`` ((row, column key) -> value) typed and 不适用指标的总分换算 set."""
    wb = load_workbook(EXAMPLE)
    ws = wb[L.SHEET_INDICATORS]
    head = {c.value: c.column_letter for c in ws[1]}
    for (row, key), value in cells.items():
        ws[f"{head[L.COLUMNS_BY_KEY[key].header]}{row}"] = value
    info = wb[L.SHEET_INFO]
    row = next(r for r in range(1, info.max_row + 1) if info.cell(r, 1).value == L.INFO_BY_KEY["na_method"].label)
    info.cell(row, 2).value = METHODS[method]
    wb.save(dst)
    return dst


#: rows of the example (决策/项目立项 is rows 2–3; row 13 产出数量 is alone in its 二级)
VARIANTS = {
    "rescale": {(3, "actual"): "不适用"},
    "full": {(3, "actual"): "不涉及", (13, "method"): "不适用"},
    "sum": {(2, "actual"): "不适用", (3, "actual"): "无此项"},          # a whole 二级 does not apply
}


@pytest.fixture(scope="module")
def runs(lo):
    from perfxl.score.pipeline import run

    work = lo.mktemp("lo-na")
    jobs, plans = [], []
    for method, cells in VARIANTS.items():
        src = _variant(work / f"{method}.xlsx", method, cells)
        engine = run(src)
        assert engine.conversion is not None and engine.conversion.count == len(cells), method
        live = live_workbook(src, work / f"{method}_live.xlsx")
        reads = live_reads(live)
        ev = engine.checked.evaluation
        actual = ev.table.columns["actual"]
        na_row = min(row for row, _ in cells)
        x1, x2 = work / f"{method}_lo.xlsx", work / f"{method}_lo_edited.xlsx"
        edits = _edits(engine, live)
        jobs.append({"path": str(work / f"{method}_live.xlsx"), "steps": [
            {"read": reads, "save": [str(x1)]},
            {"type": edits, "read": reads, "save": [str(x2)]},
            {"type": [[ev.table.sheet, f"{_letter(actual)}{na_row}", "85%"]], "read": reads}]})
        info_cell = ev.info_cells["na_method"]
        other = next(m for m in METHODS if m != method)
        jobs.append({"path": str(work / f"{method}_live.xlsx"), "steps": [
            {"type": [[ev.info_sheet, info_cell, METHODS[other]]], "read": reads}]})
        plans.append((method, engine, live, x1, x2, edits))
    results = lo_recalc(jobs, work)
    out = []
    for k, (method, engine, live, x1, x2, edits) in enumerate(plans):
        steps, method_step = results[2 * k]["steps"], results[2 * k + 1]["steps"][0]
        out.append((method, engine, live, [(run(x1), _values(steps[0])), (run(x2), _values(steps[1]))],
                    _values(steps[2]), _values(method_step), edits))
    return out


@pytest.mark.parametrize("index", range(len(VARIANTS)), ids=list(VARIANTS))
def test_libreoffice_converts_the_total_as_the_engine_does(runs, index):
    method, engine, live, stages, _, _, edits = runs[index]
    assert edits
    for result, got in stages:
        assert result.conversion is not None and result.conversion.method == method
        assert not _check(result, got, live), _check(result, got, live)[:5]
        assert result.total is not None and got[live.total] == result.total and got[live.grade] == result.grade
        assert not [p for p in result.problems if p.code == "formula_result_differs"]
    (before, _), (after, got) = stages
    assert after.total != before.total                   # the typed 实际值 moved the converted total


def test_a_level_whose_indicators_all_do_not_apply_counts_zero(runs):
    _, _, live, stages, *_ = next(r for r in runs if r[0] == "sum")
    result, got = stages[0]
    empty = [lv for lv in result.levels if lv.weight == 0]
    assert empty and all(lv.score == 0 for lv in empty)
    addresses = {(level, name): (w, s) for level, name, _, w, s, _ in live.levels}
    for lv in empty:
        w, s = addresses[(lv.level, lv.name)]
        assert got[w] == 0 and got[s] == 0


def test_editing_a_not_applicable_row_or_the_method_hands_the_total_to_perfxl(runs):
    for method, _, live, _, na_edited, method_edited, _ in runs:
        for got in (na_edited, method_edited):
            assert got[live.total] == MARK and got[live.grade] == MARK, method
            assert all(got[w] == MARK and got[s] == MARK for _, _, _, w, s, _ in live.levels), method



@pytest.mark.parametrize("typed", ["不适用", "无此\n项", "不适\n用", "无此\t项", "不\u00a0适用"],
                         ids=["word", "lf", "lf2", "tab", "nbsp"])
def test_an_evaluator_score_on_a_row_typed_not_applicable_is_not_counted(lo, typed):
    """不适用 typed into 实际值 of a row with 评价得分 — also with Alt+Enter, a tab or a no-break space inside
    the word, which the engine's cleaning removes: the engine leaves the row out (and converts 总分); the
    formulas used to keep the evaluator's figure in 得分, the roll-ups and 总分 (75.00 中 where perfxl said
    100.00 优; 85.38 where it said 83.98). Now its 得分 shows the marker, nothing a number other than the
    engine's."""
    from perfxl.score.pipeline import run

    work = lo.mktemp("lo-na-evaluator")
    example = next(e for e in EXAMPLES if "青云谱" in e.name)          # (it has 评价得分)
    engine = run(example)
    ev = engine.checked.evaluation
    row = next(r.indicator.row for r in engine.indicators
               if r.indicator.evaluator_score is not None and not r.indicator.source)
    live = live_workbook(example, work / "live.xlsx")
    saved = work / "na.xlsx"
    cell = f"{_letter(ev.table.columns['actual'])}{row}"
    got = _values(lo_recalc([{"path": str(work / "live.xlsx"), "type": [[ev.table.sheet, cell, typed, "text"]],
                              "read": live_reads(live), "save": [str(saved)]}], work)[0]["cells"])
    result = run(saved)
    assert not next(r for r in result.indicators if r.indicator.row == row).applicable
    assert got[live.rows[row]["score"]] == MARK and got[live.total] in (MARK, result.total)
    levels = {(lv.level, lv.name): lv for lv in result.levels}
    for level, name, _, w, s, _ in live.levels:           # the roll-ups: the engine's figure or the marker
        lv = levels[(level, name)]
        assert got[w] in (MARK, lv.weight) and got[s] in (MARK, lv.score), (name, got[w], got[s], lv)
