"""Cell types as spreadsheets store them: percent number formats as Excel and WPS write them (read at
the XML level from the one package perfxl opens), "=100%" typed into 目标值 that became a formula, text
that holds numbers, thousands separators, full-width digits, comparators written in several ways."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xlsx_quirks import Cell, evaluation

from perfxl import api
from perfxl.io.read import LITERAL, SCALED, percent_kind
from perfxl.model.values import Percent

RATIO = dict(level1="产出(100分)", level2="数量", method="完成比率")


def two(target, actual, second=None, **kw):
    """Two indicators of 50: the first with ``target``/``actual``, the second always full."""
    return [dict(code=1, name="指标一", weight=50, target=target, actual=actual, **RATIO, **kw),
            second or dict(code=2, name="指标二", weight=50, target="≥1次", actual="1次", **RATIO)]


def scored(path):
    r = api.validate_file(path)
    return r.record, r.problems


@pytest.mark.parametrize("code, kind", [
    ("0%", SCALED), ("0.00%", SCALED), ("0.0%_ ", SCALED), ("#,##0.00%", SCALED), ("0.00%;[Red]-0.00%", SCALED),
    ("[$-804]0.0%", SCALED), ('"完成"0%', SCALED), ('0"%"', LITERAL), ("0\\%", LITERAL), ("0.00;[Red]-0.00%", None),
    ("yyyy-mm-dd", None), ("General", None), ("@", None), ('"%"@', LITERAL), ('0"％"', LITERAL), ("0.0\\％", LITERAL)])
def test_percent_kind_of_number_format_codes(code, kind):
    assert percent_kind(code) == kind


def test_excel_builtin_percent_formats_9_and_10(tmp_path):
    # Excel writes 90% typed into a cell as 0.9 with built-in format 9 (0%), 95.4% with 10 (0.00%)
    path = evaluation(tmp_path / "excel.xlsx", two(Cell(0.9, s=1), Cell(0.954, s=2)), xfs=[0, 9, 10])
    rec, problems = scored(path)
    first = rec.indicators[0]
    assert (first.target, first.actual, first.score) == ("≥90%", "95.40%", 50.0)
    assert "完成率=95.40%/90%×100%=106.00%" in first.process
    assert rec.total == 100.0 and problems == ()


def test_a_target_below_its_percent_actual_is_scored_as_the_percentages_shown(tmp_path):
    # before: target 0.9 read as "≥0.9" and the actual "85%" refused as a percentage against a number
    path = evaluation(tmp_path / "excel.xlsx", two(Cell(0.9, s=1), Cell(0.85, s=1)), xfs=[0, 9])
    rec, _ = scored(path)
    assert rec.indicators[0].score == round(50 * 0.85 / 0.9, 2) == 47.22


@pytest.mark.parametrize("code", ["0.0%", "0%;[Red]-0%", "[$-804]0.00%_ ", "#,##0.0%"])
def test_wps_custom_percent_formats(tmp_path, code):
    path = evaluation(tmp_path / "wps.xlsx", two(Cell(0.9, s=1), Cell(0.954, s=1)), num_fmts={176: code}, xfs=[0, 176])
    rec, _ = scored(path)
    assert (rec.indicators[0].target, rec.indicators[0].actual, rec.indicators[0].score) == ("≥90%", "95.40%", 50.0)


def test_a_quoted_percent_sign_shows_the_number_itself_as_the_percentage(tmp_path):
    # 0"%" shows 90 as "90%": the person sees 90%, the cell holds 90
    path = evaluation(tmp_path / "wps.xlsx", two(Cell(90, s=1), Cell(81, s=1)), num_fmts={177: '0"%"'}, xfs=[0, 177])
    rec, _ = scored(path)
    assert (rec.indicators[0].target, rec.indicators[0].actual, rec.indicators[0].score) == ("≥90%", "81.00%", 45.0)


def test_a_quoted_full_width_percent_sign_is_read_as_the_percentage_shown(tmp_path):
    # 0"％" typed with a Chinese input method shows 90 as "90％": it was read as the bare number 90, and the
    # actual 0.81 shown as 81% then scored against "≥90" as 0.81 of 90 (0.45 points, no word said)
    path = evaluation(tmp_path / "wps.xlsx", two(Cell(90, s=1), Cell(0.81, s=2)), num_fmts={177: '0"％"'},
                      xfs=[0, 177, 9])
    rec, _ = scored(path)
    assert (rec.indicators[0].target, rec.indicators[0].actual, rec.indicators[0].score) == ("≥90%", "81.00%", 45.0)


def test_a_percent_format_in_a_style_not_used_by_the_cell_changes_nothing(tmp_path):
    path = evaluation(tmp_path / "plain.xlsx", two("≥90%", Cell(0.95, s=0)), xfs=[0, 9])
    rec, _ = scored(path)
    assert rec.indicators[0].actual == "95.00%" and rec.indicators[0].score == 50.0    # 0.95 against a percentage


@pytest.mark.parametrize("cached", [True, False])
def test_equals_100_percent_typed_into_the_target_is_read_as_typed(tmp_path, cached):
    # typing =100% makes a formula: with or without a value the program computed, the target is "=100%"
    path = evaluation(tmp_path / "f.xlsx", two(Cell(1, f="100%", cached=cached), "98%"))
    rec, problems = scored(path)
    first = rec.indicators[0]
    assert first.target == "=100%" and first.actual == "98.00%" and first.score == 49.0
    assert not [p for p in problems if p.code == "formula_no_cache"]


@pytest.mark.parametrize("cached", [True, False])
def test_a_target_formula_stored_as_1_against_a_percentage_is_read_as_100_percent_with_a_warning(tmp_path, cached):
    path = evaluation(tmp_path / "f.xlsx", two(Cell(1, f="1", cached=cached), "98%"))
    rec, problems = scored(path)
    assert rec.indicators[0].target == "=100%" and rec.indicators[0].score == 49.0
    (w,) = [p for p in problems if p.code == "target_formula"]
    assert (w.severity, w.sheet, w.cell) == ("warning", "指标评分", "I2")
    assert w.message == ("目标值单元格是公式“=1”（在 Excel、WPS 中键入“=100%”会变成公式）；"
                         "本行实际值是百分比，已按目标值“=100%”计分")


def test_a_target_formula_against_a_count_is_that_count(tmp_path):
    path = evaluation(tmp_path / "f.xlsx", two(Cell(5, f="5"), "4次"))
    rec, problems = scored(path)
    assert rec.indicators[0].target == "=5" and rec.indicators[0].score == 40.0
    assert not [p for p in problems if p.code == "target_formula"]


def test_a_formula_without_a_value_that_is_not_a_constant_is_still_reported(tmp_path):
    path = evaluation(tmp_path / "f.xlsx", two("≥90%", Cell(None, f="B7*2", cached=False)))
    _, problems = scored(path)
    (p,) = [p for p in problems if p.code == "formula_no_cache"]
    assert p.cell == "J2"


@pytest.mark.parametrize("target, actual, expected", [
    (">=90%", "95%", 50.0), ("≥ 90 %", "81 %", 45.0), ("大于或等于90%", "90％", 50.0), ("达到90%以上", "０.９", 50.0),
    ("≥1,000", "1,234.50", 50.0), ("≥1,000", "８００", 40.0), ("≥ 1 000 人", "900人", 45.0),
    # pasted from a web page, WeChat or a PDF: a zero-width space, a byte order mark (were "“96%”不是数值")
    ("≥90%\u200b", "96%\u200b", 50.0), ("\ufeff≥60家", "\u200b48家\u200d", 40.0)])
def test_text_as_people_type_it(tmp_path, target, actual, expected):
    path = evaluation(tmp_path / "t.xlsx", two(Cell(target, shared=False), Cell(actual)))
    rec, problems = scored(path)
    assert rec.indicators[0].score == expected, problems


def test_a_verdict_or_a_blank_pasted_with_an_invisible_character(tmp_path):
    # "符合" pasted with a zero-width space was no verdict; a cell holding only one was not blank
    rows = [dict(code=1, name="指标一", weight=50, level1="产出(100分)", level2="数量", method="达标得分",
                 actual="符合\u200b", note="\u200b"),
            dict(code=2, name="指标二", weight=50, target="≥1次", actual="1次", **RATIO)]
    rec, problems = scored(evaluation(tmp_path / "pasted.xlsx", rows))
    assert rec.indicators[0].score == 50.0 and rec.total == 100.0 and problems == ()


def test_a_logical_is_quoted_as_the_spreadsheet_shows_it(tmp_path):
    rows = two("≥10次", "10次")
    rows[0]["weight"] = Cell(1, t="b")                    # TRUE in 分值: was quoted as “True”
    _, problems = scored(evaluation(tmp_path / "logical.xlsx", rows))
    assert [(p.cell, p.message) for p in problems if p.severity == "error"] == [("E2", "分值“TRUE”不是数字")]


@pytest.mark.parametrize("date1904, shown", [(False, "1900-01-03"), (True, "1904-01-04")])
def test_a_number_in_a_date_format_is_told_as_typed_in_either_date_system(tmp_path, date1904, shown):
    # 分值 3 in a cell formatted as a date: a workbook in the 1904 date system (Mac Excel) shows 1904-01-04,
    # and the number typed was told as 1465 (counted from 1900)
    rows = two("≥10次", "10次")
    rows[0]["weight"] = Cell(3, s=1)
    _, problems = scored(evaluation(tmp_path / "dated.xlsx", rows, xfs=[0, 14], date1904=date1904))
    assert [(p.cell, p.message) for p in problems if p.severity == "error"] == [
        ("E2", f"分值是日期“{shown}”，不是数字（该单元格被设成了日期格式，原来的数字是 3）")]


def test_numbers_kept_as_text_in_number_columns(tmp_path):
    # a text-formatted 分值 "50" and 评价得分 "40.5"
    rows = two("≥10次", "10次")
    rows[0]["weight"] = Cell("50")
    rows[0]["evaluator_score"] = Cell("40.5")
    rows[0]["note"] = "现场核查有瑕疵"
    rec, problems = scored(evaluation(tmp_path / "t.xlsx", rows))
    assert rec.indicators[0].weight == 50 and rec.indicators[0].score == 40.5 and rec.total == 90.5


def test_a_formula_in_the_score_column_is_computed_not_typed(tmp_path):
    # a live workbook computes 得分 with a formula: its cached value is no figure a person typed
    rows = two("≥10次", "8次")
    rows[0]["score"] = Cell(45.0, f="M2")
    rec, problems = scored(evaluation(tmp_path / "live.xlsx", rows))
    assert rec.indicators[0].score == 40.0 and problems == ()
    rows[0]["score"], rows[0]["note"] = Cell(45.0), "单位自评"
    rec, problems = scored(evaluation(tmp_path / "typed.xlsx", rows))
    assert rec.indicators[0].score == 45.0 and [(p.code, p.cell) for p in problems] == [("score_typed", "N2")]


def test_cells_written_without_references_are_read_where_they_stand(tmp_path):
    # the spec lets a program leave out r="A1" (each cell follows the one before it): the percent format,
    # the formula in 得分 and the error value were lost, so 0.9 was "≥0.9", the formula's result a typed
    # score and #DIV/0! an empty cell
    rows = two(Cell(0.9, s=1), Cell(0.954, s=1))
    rows[0]["score"] = Cell(45.0, f="M2")
    rows[1]["actual"] = Cell("#DIV/0!", t="e")
    rec, problems = scored(evaluation(tmp_path / "norefs.xlsx", rows, xfs=[0, 9], refs=False))
    first = rec.indicators[0]
    assert (first.target, first.actual, first.score) == ("≥90%", "95.40%", 50.0)
    assert [(p.code, p.cell, p.message) for p in problems] == [("cell_error_value", "J3", "实际值是错误值 #DIV/0!")]


@pytest.mark.parametrize("refs", [True, False])
def test_a_sheet_written_with_a_namespace_prefix_keeps_its_formats_formulas_and_errors(tmp_path, refs):
    # <x:c r="J2" s="1"> (Open XML SDK exports): the cell walker only knew <c>, so 0.9 in a percent
    # style was "≥0.9" against 95.40%, the formula in 得分 a typed score and a formula saved without
    # its result went unreported
    rows = two(Cell(0.9, s=1), Cell(0.954, s=1))
    rows[0]["score"] = Cell(45.0, f="M2")
    rows[1]["actual"] = Cell(None, f="B7*2", cached=False)
    path = evaluation(tmp_path / "prefixed.xlsx", rows, xfs=[0, 9], refs=refs, prefix="x")
    assert b"<x:c " in __import__("zipfile").ZipFile(path).read("xl/worksheets/sheet2.xml")
    rec, problems = scored(path)
    first = rec.indicators[0]
    assert (first.target, first.actual, first.score) == ("≥90%", "95.40%", 50.0)
    assert [(p.code, p.cell) for p in problems] == [("formula_no_cache", "J3")]


def test_equals_100_percent_filled_down_is_read_as_typed_in_every_cell(tmp_path):
    # "=100%" typed once and filled down: Excel keeps the formula in the first cell only, the others
    # refer to it (<f t="shared" si="0"/>); they were read as the number 1 ("≥1")
    second = dict(code=2, name="指标二", weight=50, target=Cell(1, f="", f_attrs=' t="shared" si="0"'), actual="90%",
                  **RATIO)
    rows = two(Cell(1, f="100%", f_attrs=' t="shared" ref="I2:I3" si="0"'), "98%", second)
    rec, problems = scored(evaluation(tmp_path / "filled.xlsx", rows))
    assert [(i.target, i.score) for i in rec.indicators] == [("=100%", 49.0), ("=100%", 45.0)]
    assert problems == ()


_CELLS = st.sampled_from([None, "", "  ", " 文本 ", "≥90%", 1.5, 2, Percent(0.5), True])


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_marks_and_constant_formulas_land_in_their_cells_of_the_frame(data):
    """_build_frame takes a row's values in one pass and looks up marks and constant formulas only in
    the rows that have some in the table's columns: every cell still gets its mark (in place of its
    value) and its formula, wherever they stand, and the other cells their values, stripped."""
    from pathlib import Path

    from perfxl.io.read import CellMark, SheetGrid
    from perfxl.model import layout as L
    from perfxl.model.evaluation import FIGURE_KEYS, _build_frame

    keys = [*L.INPUT_KEYS, *FIGURE_KEYS]
    width = len(keys) + data.draw(st.integers(0, 2))          # columns beyond the table too
    n = data.draw(st.integers(1, 8))
    rows: list[list] = [[L.COLUMNS_BY_KEY[k].header for k in keys]]
    for r in range(n):
        row = [data.draw(_CELLS) for _ in range(width)]
        row[:3] = [f"1-{r}", "产出", "数量"]                     # 编号, 一级, 二级: every row an indicator
        rows.append(row[:data.draw(st.integers(len(keys) - 3, width))])   # some rows shorter than others
    anywhere = st.tuples(st.integers(0, n + 1), st.integers(0, width))
    marks = {rc: CellMark("error", "#N/A") for rc in data.draw(st.lists(anywhere, max_size=6))}
    formulas = {rc: "100%" for rc in data.draw(st.lists(anywhere, max_size=6))}
    grid = SheetGrid("指标评分", rows, marks=marks, formulas=formulas)
    table = L.TableLayout("指标评分", 1, {k: c for c, k in enumerate(keys, start=1)})
    ev_formulas: dict = {}
    frame, got_marks, _, _ = _build_frame(grid, table, Path("x.xlsx"), ev_formulas, {})
    inputs = [k for k in L.INPUT_KEYS if k in frame.columns]
    assert list(frame.index) == list(range(2, n + 2))
    for r0 in range(1, n + 1):
        for c0, k in enumerate(keys):
            if k not in inputs:
                continue
            v = rows[r0][c0] if c0 < len(rows[r0]) else None
            want = marks.get((r0, c0), (v.strip() or None) if isinstance(v, str) else v)
            assert frame.at[r0 + 1, k] is want or frame.at[r0 + 1, k] == want
    wanted = {c0 for c0, k in enumerate(keys) if k in inputs}
    assert got_marks == {(r + 1, keys[c]): m for (r, c), m in marks.items() if 1 <= r <= n and c in wanted}
    assert ev_formulas == {(r + 1, keys[c]): f for (r, c), f in formulas.items() if 1 <= r <= n and c in wanted}
