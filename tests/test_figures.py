"""Derived figures from 基础数据: values against hand computation (the seed report's own
figures included), the 0/0 rule, and missing inputs named by cell."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from perfxl.model import layout as L
from perfxl.model.values import fmt_pct
from perfxl.score import figures as F

SEED = dict(budget_adjusted=549.6875, spent_total=580.8142, sangong_budget=4900, sangong_actual=1696,
            public_current=109896, public_previous=482649.12, procurement_budget=92.1, procurement_actual=0.063,
            staff_quota=10, staff_actual=9, assets_total=282817, assets_in_use=282817, budget_initial=536.67,
            funds_planned=500, funds_arrived=450, carryover=12.5, personnel=109.8246, spent_project=460)


@pytest.mark.parametrize("name, expected, shown", [
    ("支出预算执行率", 580.8142 / 549.6875, "105.66%"),                       # the report: 105.66%
    ("“三公”经费控制率", 1696 / 4900, "34.61%"),                              # the report: 34.61%
    ("公用经费变动率", (109896 - 482649.12) / 482649.12, "-77.23%"),           # the report: −77.23%
    ("政府采购执行率", 0.063 / 92.1, "0.07%"),                                 # the report: 0.07%
    ("在职人员控制率", 0.9, "90.00%"),
    ("固定资产利用率", 1.0, "100.00%"),
    ("政府采购节支率", (92.1 - 0.063) / 92.1, "99.93%"),
    ("预算调整率", (549.6875 - 536.67) / 536.67, "2.43%"),
    ("资金到位率", 0.9, "90.00%"),
    ("资金执行率", 580.8142 / 450, "129.07%"),
    ("结转结余率", 12.5 / 549.6875, "2.27%"),
    ("人员经费占比", 109.8246 / 580.8142, "18.91%"),
    ("项目支出占比", 460 / 580.8142, "79.20%"),
    ("预算节约率", (549.6875 - 580.8142) / 549.6875, "-5.66%"),           # overspent: negative
])
def test_each_figure_against_hand_computation(name, expected, shown):
    fv = F.compute(F.lookup(name), SEED)
    assert fv.value == pytest.approx(expected)
    assert fmt_pct(fv.value) == shown
    assert fv.text.endswith("=" + shown)


def test_every_figure_is_tested():
    import inspect

    src = inspect.getsource(test_each_figure_against_hand_computation)
    assert all(f.name in src for f in F.FIGURES)


def test_formula_text_as_reports_print_it():
    assert F.compute(F.lookup("支出预算执行率"), SEED).text == "支出预算执行率=580.8142/549.6875×100%=105.66%"
    assert F.compute(F.lookup("公用经费控制率"), SEED).text == \
        "公用经费变动率=(109896-482649.12)/482649.12×100%=-77.23%"


def test_zero_over_zero_rule():
    basic = dict(sangong_budget=0, sangong_actual=0)
    fig = F.lookup("三公经费控制率")
    assert F.compute(fig, basic, "full").value == 1.0
    assert "均为0" in F.compute(fig, basic, "full").text
    assert F.compute(fig, basic, "zero").value == 0.0
    assert F.compute(fig, basic, "problem").value is None
    spent_without_budget = F.compute(fig, dict(sangong_budget=0, sangong_actual=300))
    assert spent_without_budget.value is None and "为0" in spent_without_budget.reason


def test_missing_inputs_are_listed():
    fv = F.compute(F.lookup("支出预算执行率"), {"spent_total": 10})
    assert fv.value is None and fv.missing == ["budget_adjusted"]


# --- through the workbook ---------------------------------------------------------------

def _basic_cell(wb, key):
    ws = wb[L.SHEET_BASIC]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == L.BASIC_BY_KEY[key].label:
            return row[1]
    raise KeyError(key)


def test_missing_input_names_the_cell(make_workbook, cli):
    path = make_workbook(mutate=lambda wb: setattr(_basic_cell(wb, "budget_adjusted"), "value", None))
    run = cli("validate", path, "--json")
    assert run.code == 1
    [p] = [p for p in run.json()["problems"] if p["code"] == "figure_missing_input"]
    assert p["cell"] == "J8"                        # the 数据来源 cell of 支出预算执行率
    assert "基础数据!B3（调整后预算数）" in p["message"]


def test_text_in_basic_data(make_workbook, cli):
    path = make_workbook(mutate=lambda wb: setattr(_basic_cell(wb, "staff_quota"), "value", "十人"))
    problems = cli("validate", path, "--json").json()["problems"]
    assert any(p["code"] == "basic_not_number" and p["sheet"] == "基础数据" and p["cell"] == "B14" for p in problems)


@pytest.mark.parametrize("rule, code, sangong, procurement", [("视为100%", 0, 1.0, 3.0), ("视为0%", 0, 1.0, 0.0),
                                                               ("报告问题", 1, None, None)])
def test_zero_budget_zero_spent_follows_the_configured_rule(make_workbook, cli, rule, code, sangong, procurement):
    def none(wb):
        for key in ("sangong_budget", "sangong_actual", "procurement_budget", "procurement_actual"):
            _basic_cell(wb, key).value = 0
        ws = wb[L.SHEET_BASIC]
        for row in ws.iter_rows(min_col=1, max_col=2):
            if row[0].value == L.ZERO_OVER_ZERO_LABEL:
                row[1].value = rule
    run = cli("score", make_workbook(mutate=none), "--json", "--no-write")
    assert run.code == code
    scores = {i["code"]: i["score"] for i in run.json()["indicators"]}
    # “三公”经费控制率 (≤100%: 0% and 100% both pass) and 政府采购执行率 (bands: 100% full, 0% nothing)
    assert (scores["33"], scores["11"]) == (sangong, procurement)


def test_source_and_typed_actual_both_given(make_workbook, cli):
    def both(wb):
        ws = wb[L.SHEET_INDICATORS]
        ws["L8"] = "99%"                             # 实际值 of 支出预算执行率, which has a 数据来源
    problems = cli("validate", make_workbook(mutate=both), "--json").json()["problems"]
    assert any(p["code"] == "source_and_actual" and p["cell"] == "L8" for p in problems)


def test_unknown_source(make_workbook, cli):
    def bad(wb):
        wb[L.SHEET_INDICATORS]["J8"] = "执行得好不好"
    run = cli("validate", make_workbook(mutate=bad), "--json")
    assert run.code == 1
    assert any(p["code"] == "source_unknown" and p["cell"] == "J8" for p in run.json()["problems"])


def test_scored_workbook_shows_figures_and_formula(example, cli, soffice):
    assert cli("score", example).code == 0
    out = example.with_name(example.stem + "_评分.xlsx")
    ws = load_workbook(out)[L.SHEET_INDICATORS]
    assert ws["R8"].value.startswith("支出预算执行率=580.8142/549.6875×100%=105.66%")
    seen = soffice.sheets(out)
    figures = {r[0]: r for r in seen[L.SHEET_BASIC]}
    assert figures["支出预算执行率"][3].startswith("支出预算执行率=580.8142/549.6875")
    assert figures["“三公”经费控制率"][2].startswith("34.612")


def test_a_formula_without_its_result_in_a_setting_is_not_shown_as_a_python_object(make_workbook, cli):
    """分子分母均为0时 holding a formula saved without its result: the mark meant for the figures leaked into
    the setting, and the message showed “CellMark(kind=…)” as its value."""
    def formula(wb):
        ws = wb[L.SHEET_BASIC]
        for row in ws.iter_rows(min_col=1, max_col=2):
            if row[0].value == L.ZERO_OVER_ZERO_LABEL:
                row[1].value = '=IF(1,"视为10%","")'
    run = cli("validate", make_workbook(mutate=formula), "--json")
    assert "CellMark" not in run.text
