"""What evaluators write and how evaluations are practised: verdict words, tier names, header aliases
of the official forms, 不适用 indicators and the total's conversion, the 预算执行率 denominator, several
targets in one row, a zero denominator, units of 基础数据, figures typed into perfxl's computed columns,
a typed 实际值 beside a 数据来源, percentages with two decimals, and what --json says of each row."""
from __future__ import annotations

import json

import pytest
from openpyxl import load_workbook

from perfxl import api
from perfxl.model import layout as L
from perfxl.model.values import NO_WORDS, PARTIAL_WORDS, YES_WORDS


def rows_of(*specs, weight=None):
    """Indicators under one 一级指标, weights equal unless given, adding up to 100."""
    w = weight or 100 / len(specs)
    return [dict(code=i + 1, level1="产出(100分)" if i == 0 else None, level2="数量", name=f"指标{i + 1}",
                 weight=s.pop("weight", w), **s) for i, s in enumerate(specs)]


def check(path):
    r = api.validate_file(path)
    return r.record, list(r.problems)


def codes(problems):
    return [p.code for p in problems]


# --- words evaluators write ------------------------------------------------------------------------

WORDS = sorted(w for w in YES_WORDS | NO_WORDS | PARTIAL_WORDS if not w.isascii())


@pytest.mark.parametrize("word", ["圆满完成", "按时完成", "按时按量完成", "已完成", "全部完成", "相符", "达到", "有"])
def test_words_that_say_done_score_full(make_workbook, word):
    path = make_workbook(rows_of(dict(method="达标得分", actual=word), dict(method="达标得分", actual="是")))
    rec, problems = check(path)
    assert rec.indicators[0].score == 50.0 and rec.indicators[0].process.startswith(f"评价结论：{word}")
    assert problems == []


@pytest.mark.parametrize("word", ["未完成", "不相符", "未达到", "无"])
def test_words_that_say_not_done_score_nothing(make_workbook, word):
    path = make_workbook(rows_of(dict(method="达标得分", actual=word), dict(method="达标得分", actual="是")))
    rec, _ = check(path)
    assert rec.indicators[0].score == 0.0 and rec.total == 50.0


@pytest.mark.parametrize("word", ["部分完成", "基本相符"])
def test_partly_done_is_not_met_unless_the_parameters_give_a_share(make_workbook, word):
    path = make_workbook(rows_of(dict(method="达标得分", actual=word),
                                 dict(method="达标得分", actual=word, params="部分达标得60%")))
    rec, problems = check(path)
    assert [i.score for i in rec.indicators] == [0.0, 30.0]
    assert "按未达标计" in rec.indicators[0].process and "按“部分达标”计，得60.00%权重分" in rec.indicators[1].process
    assert problems == []


def test_the_words_are_listed_on_the_guide_sheet(tmp_path):
    from perfxl.sheets.template import new_workbook

    text = "\n".join(str(c) for row in new_workbook()[L.SHEET_GUIDE].iter_rows(values_only=True) for c in row if c)
    assert all(w in text for w in WORDS)


def test_a_word_that_is_no_verdict_shows_the_accepted_words(make_workbook):
    path = make_workbook(rows_of(dict(method="达标得分", actual="还行"), dict(method="达标得分", actual="是")))
    _, problems = check(path)
    (p,) = [p for p in problems if p.code == "actual_invalid"]
    assert p.cell == "L2" and "完成/未完成、符合/不符合、相符/不相符、达到/未达到、有/无、是/否" in p.message


def test_a_tier_named_alone_asks_for_the_rate_within_it(make_workbook):
    path = make_workbook(rows_of(dict(method="酌情评分", params="自评三档", actual="达成年度指标", note="按计划完成"),
                                 dict(method="酌情评分", params="自评三档", actual="部分达成并具有一定效果 70%",
                                      note="部分完成")))
    rec, problems = check(path)
    (p,) = [p for p in problems if p.code == "actual_invalid"]
    assert (p.sheet, p.cell) == ("指标评分", "L2")
    assert p.message == ("实际值不符合“酌情评分”：“达成年度指标”是自评档次，还需写出在该档 (80%,100%] 内判定的得分率，"
                         "如“达成年度指标 90%”")
    assert rec.indicators[1].score == 35.0


# --- header aliases of the official forms ------------------------------------------------------------

def test_headers_and_labels_of_the_official_self_evaluation_form(make_workbook):
    def rename(wb):
        ws = wb[L.SHEET_INDICATORS]
        official = {"目标值": "年度指标值", "实际值": "实际完成值", "评价说明": "偏差原因分析及改进措施"}
        for c in ws[1]:
            c.value = official.get(c.value, c.value)
        basic = wb[L.SHEET_BASIC]
        for row in basic.iter_rows(min_row=2, max_col=1):
            row[0].value = {"调整后预算数": "全年预算数", "决算支出数": "全年执行数"}.get(row[0].value, row[0].value)

    path = make_workbook(rows_of(dict(method="完成比率", source="执行率", target="=100%"),
                                 dict(method="完成比率", target="≥10户", actual="8户", evaluator_score=45,
                                      note="受疫情影响")),
                         basic={"budget_adjusted": 200, "spent_total": 190}, mutate=rename)
    rec, problems = check(path)
    assert rec.indicators[0].actual == "95.00%" and rec.indicators[0].score == 47.5
    assert rec.indicators[1].note == "受疫情影响" and rec.indicators[1].target == "≥10户"
    assert problems == []


# --- 不适用 ------------------------------------------------------------------------------------------------

def na_rows():
    return rows_of(dict(method="完成比率", target="≥10次", actual="9次", weight=40),
                   dict(method="达标得分", actual="不适用", weight=10),
                   dict(method="不适用", weight=10),
                   dict(method="达标得分", actual="是", weight=0),
                   dict(method="达标得分", actual="是", weight=40))


@pytest.mark.parametrize("method, total", [
    (None, round((36 + 40) / 80 * 100, 2)),             # default: 得分 ÷ 适用分值 × 100 = 95.00
    ("得分÷适用分值×100", 95.0), ("不适用指标按满分计", 96.0), ("不换算（直接相加）", 76.0)])
def test_not_applicable_indicators_and_the_conversion_of_the_total(make_workbook, method, total):
    info = {"unit": "甲", "year": 2023, **({"na_method": method} if method else {})}
    rows = na_rows()
    rows[-1]["weight"] = 40
    path = make_workbook(rows, info=info)
    rec, problems = check(path)
    assert [i.applicable for i in rec.indicators] == [True, False, False, False, True]
    assert rec.raw_total == 76.0 and rec.applicable_weight == 80.0 and rec.total == total
    assert rec.indicators[1].process == "不适用（实际值填写“不适用”），不计分，分值10不计入适用分值。"
    assert rec.indicators[2].process == "不适用（计分方法填写“不适用”），不计分，分值10不计入适用分值。"
    assert rec.indicators[3].process == "不适用（分值为0），不计分，分值0不计入适用分值。"
    assert problems == []


def test_the_conversion_is_shown_in_the_summary_sheet_and_the_json(make_workbook, cli, tmp_path):
    rows = na_rows()
    rows[-1]["weight"] = 40
    path = make_workbook(rows)
    run = cli("score", path, "--json")
    data = run.json()
    assert data["total"] == 95.0 and data["raw_total"] == 76.0 and data["applicable_weight"] == 80.0
    assert data["conversion"] == "得分合计76.00÷适用分值80×100=95.00"
    ws = load_workbook(data["output"], data_only=True)[L.SHEET_SUMMARY]
    cells = {r[0]: r[1] for r in ws.iter_rows(min_row=2, max_row=8, max_col=2, values_only=True)}
    # the live 总分 converts as the engine does (its formula's saved result), the line below says how
    assert cells["总分"] == 95.0
    assert cells[L.INFO_BY_KEY["na_method"].label] == (
        "得分÷适用分值×100：得分合计76.00÷适用分值80×100=95.00（不适用指标3项：指标2、指标3、指标4，分值合计20）")
    run = cli("score", path, "--no-write")
    assert ("不适用指标 3 项（指标2、指标3、指标4），总分按“得分÷适用分值×100”换算："
            "得分合计76.00÷适用分值80×100=95.00") in run.out


def test_an_unknown_conversion_method_is_said_and_the_default_used(make_workbook):
    rows = na_rows()
    rows[-1]["weight"] = 40
    path = make_workbook(rows, info={"unit": "甲", "year": 2023, "na_method": "按比例"})
    rec, problems = check(path)
    (p,) = problems
    assert (p.code, p.sheet, p.severity) == ("na_method_invalid", "基本信息", "warning") and rec.total == 95.0
    assert p.message == "“不适用指标的总分换算”的设定“按比例”无效，已按默认的“得分÷适用分值×100”换算总分"


def test_a_negative_weight_is_still_refused(make_workbook):
    path = make_workbook(rows_of(dict(method="达标得分", actual="是", weight=-5),
                                 dict(method="达标得分", actual="是", weight=105)))
    _, problems = check(path)
    (p,) = [p for p in problems if p.code == "not_positive"]
    assert p.cell == "E2" and p.message == "分值为 -5，不能为负数"


# --- 预算执行率 denominator, zero denominators, units ----------------------------------------------------

def budget_rows():
    return rows_of(dict(method="完成比率", source="支出预算执行率", target="=100%"),
                   dict(method="达标得分", actual="是"))


@pytest.mark.parametrize("base, rate", [(None, "95.00%"), ("调整后预算数", "95.00%"), ("全年预算数", "95.00%"),
                                        ("年初预算数", "100.00%")])
def test_budget_execution_rate_on_the_chosen_denominator(make_workbook, base, rate):
    def choose(wb):
        ws = wb[L.SHEET_BASIC]
        for row in ws.iter_rows():
            if row[0].value == L.BUDGET_BASE_LABEL:
                row[1].value = base
    path = make_workbook(budget_rows(), basic={"budget_initial": 190, "budget_adjusted": 200, "spent_total": 190},
                         mutate=choose)
    rec, problems = check(path)
    assert rec.indicators[0].actual == rate and problems == []
    if base == "年初预算数":
        assert rec.indicators[0].process.startswith("支出预算执行率=190/190×100%=100.00%（分母为年初预算数）")


def test_a_zero_denominator_says_so(make_workbook, tmp_path):
    path = make_workbook(budget_rows(), basic={"budget_adjusted": 0, "spent_total": 190})
    rec, problems = check(path)
    (p,) = problems
    assert (p.code, p.cell) == ("figure_not_computable", "J2")
    assert p.message == "派生指标“支出预算执行率”无法计算：分母为0：调整后预算数为0，无法计算支出预算执行率"
    out = tmp_path / "out.xlsx"
    api.score_file(path, output=out)
    ws = load_workbook(out)[L.SHEET_BASIC]
    row = next(r for r in ws.iter_rows(values_only=True) if r[0] == "支出预算执行率")
    assert row[3] == "分母为0：调整后预算数为0，无法计算支出预算执行率"


def test_units_of_basic_data_are_converted(make_workbook):
    # 决算支出 typed in 元, 预算 left in 万元: 1,900,000 元 / 200 万元 = 95%
    path = make_workbook(budget_rows(), basic={"budget_adjusted": 200, "spent_total": 1_900_000,
                                               "spent_total:unit": "元"})
    rec, problems = check(path)
    assert rec.indicators[0].actual == "95.00%" and problems == []
    assert rec.indicators[0].source_text == "支出预算执行率=1900000元/2000000元×100%=95.00%"
    assert rec.basic_units["spent_total"] == "元" and rec.basic_units["budget_adjusted"] == "万元"


def test_the_report_prints_the_unit_the_figure_was_typed_in(make_workbook):
    from perfxl.report.sections import basic_rows

    path = make_workbook(budget_rows(), basic={"budget_adjusted": 2_000_000, "budget_adjusted:unit": "元",
                                               "spent_total": 1_900_000, "spent_total:unit": "元"})
    basic = {r["label"]: (r["value"], r["unit"]) for r in basic_rows(check(path)[0])}
    assert basic["调整后预算数"] == ("2,000,000.00", "元")


def test_a_unit_perfxl_cannot_convert_is_refused_at_its_cell(make_workbook):
    path = make_workbook(budget_rows(), basic={"budget_adjusted": 200, "spent_total": 190, "spent_total:unit": "美元"})
    rec, problems = check(path)
    (p,) = problems
    assert (p.code, p.sheet, p.cell) == ("basic_unit_invalid", "基础数据", "C4")
    assert p.message == "基础数据“决算支出数”的单位“美元”无法换算，该数值未使用"
    assert p.fix == "单位改为 元、千元、万元、百万元、亿元 之一（数值按所填单位换算），或留空按“万元”计"


def test_target_and_actual_in_units_of_one_kind_are_converted(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥5万元", actual="48000元"),
                                 dict(method="完成比率", target="≥10人", actual="8家")))
    rec, problems = check(path)
    assert rec.indicators[0].score == 48.0 and rec.indicators[0].actual == "4.8万元"
    (p,) = problems
    assert p.cell == "L3" and "实际值“8家”的单位“家”与目标值≥10人的单位“人”不能换算" in p.message


# --- several targets in one row --------------------------------------------------------------------------

def test_several_targets_average_of_completion_rates(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥20户、≥10户", actual="22户、9户"),
                                 dict(method="完成比率", target="≥20户、≥10户", actual="22户、9户", params="全部达标")))
    rec, problems = check(path)
    assert [i.score for i in rec.indicators] == [47.5, 0.0]
    assert rec.indicators[0].process.endswith("各项完成率取平均=(100.00%+90.00%)/2=95.00%。"
                                              "依据评分标准，该项指标得95.00%权重分47.50分。")
    assert "第2项未达标，按“各项全部达标”不得分" in rec.indicators[1].process
    assert rec.indicators[0].target == "≥20户、≥10户" and rec.indicators[0].actual == "22户、9户"
    assert problems == []


def test_each_target_for_every_part(make_workbook):
    path = make_workbook(rows_of(dict(method="达标得分", target="各1个", actual="1个、1个、0个"),
                                 dict(method="达标得分", target="各1个", actual="各1个"),
                                 dict(method="达标得分", target="各1个", actual="1个、1个、0个", params="平均完成率"),
                                 weight=None))
    rec, _ = check(path)
    w = 100 / 3
    assert [i.score for i in rec.indicators] == [0.0, round(w, 2), round(w * 2 / 3, 2)]


def test_several_targets_with_a_different_number_of_actual_values(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥20户、≥10户", actual="22户"),
                                 dict(method="达标得分", actual="是")))
    _, problems = check(path)
    (p,) = problems
    assert p.cell == "L2"
    assert p.message == ("实际值不符合“完成比率”：目标值有2项（≥20户、≥10户），"
                         "实际值应同样列出2项，用顿号分隔，如“20户、10户”")


def test_several_targets_for_a_kind_that_cannot_take_them(make_workbook):
    path = make_workbook(rows_of(dict(method="差额扣分", params="每少1户扣10%", target="≥20户、≥10户",
                                      actual="1户、2户"),
                                 dict(method="达标得分", actual="是")))
    _, problems = check(path)
    (p,) = problems
    assert p.cell == "K2" and p.message.startswith("目标值“≥20户、≥10户”是一行中的几个目标；"
                                                   "只有 完成比率、达标得分 可以一行写几个目标")


# --- figures typed into perfxl's computed columns ---------------------------------------------------------

def typed(ws_cells):
    def mutate(wb):
        for ref, value in ws_cells.items():
            wb[L.SHEET_INDICATORS][ref] = value
    return mutate


def test_a_score_typed_into_the_computed_column_is_the_evaluators_figure(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥10次", actual="8次", note="自评"),
                                 dict(method="达标得分", actual="是")), mutate=typed({"P2": 45}))
    rec, problems = check(path)
    first = rec.indicators[0]
    assert (first.rule_score, first.evaluator_score, first.score, first.deviates) == (40.0, 45.0, 45.0, True)
    assert first.score_cell == "P2"
    (p,) = problems
    assert (p.code, p.severity, p.sheet, p.cell) == ("score_typed", "warning", "指标评分", "P2")
    assert p.message == "“得分”是 perfxl 计算的列，这里填了 45：已作为评价人给定的得分（同“评价得分”）使用"


def test_a_typed_score_beside_an_evaluator_score_is_overruled_and_said(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥10次", actual="8次", evaluator_score=42, note="x"),
                                 dict(method="达标得分", actual="是")), mutate=typed({"P2": 45}))
    rec, problems = check(path)
    assert rec.indicators[0].score == 42.0
    (p,) = problems
    assert (p.code, p.cell) == ("score_typed_overruled", "P2")
    assert p.message == "“得分”填了 45，与评价得分 42.00 不同：以评价得分为准，这一格将改写为 42.00"


def test_typed_rule_scores_and_rates_are_said_to_be_rewritten(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥10次", actual="8次"),
                                 dict(method="达标得分", actual="是")), mutate=typed({"O2": 50, "Q2": 0.5, "O3": 50}))
    rec, problems = check(path)
    assert rec.indicators[0].score == 40.0
    assert [(p.code, p.cell, p.message) for p in problems] == [
        ("computed_typed", "O2", "“规则得分”是 perfxl 计算的列，这里填了 50.00，评分后将改写为 40.00"),
        ("computed_typed", "Q2", "“得分率”是 perfxl 计算的列，这里填了 50.00%，评分后将改写为 80.00%")]


def test_perfxls_own_figures_from_the_last_run_are_not_taken_for_typed_ones(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥10次", actual="8次"),
                                 dict(method="达标得分", actual="是")))
    assert api.score_file(path, in_place=True).total == 90.0
    wb = load_workbook(path)
    wb[L.SHEET_INDICATORS]["L2"] = "10次"            # the evaluator corrects the actual value
    wb.save(path)
    again = api.score_file(path, in_place=True)
    assert again.total == 100.0 and again.problems == ()


def test_a_typed_score_stays_the_evaluators_figure_on_every_run(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥10次", actual="8次", note="自评"),
                                 dict(method="达标得分", actual="是")), mutate=typed({"P2": 45}))
    for _ in range(2):
        scored = api.score_file(path, in_place=True)
        assert scored.total == 95.0 and codes(scored.problems) == ["score_typed"]


def test_a_typed_actual_beside_a_data_source(make_workbook):
    path = make_workbook(rows_of(dict(method="完成比率", source="支出预算执行率", target="=100%", actual="98%"),
                                 dict(method="完成比率", source="支出预算执行率", target="=100%", actual="95.0%")),
                         basic={"budget_adjusted": 200, "spent_total": 190})
    rec, problems = check(path)
    assert [i.actual for i in rec.indicators] == ["95.00%", "95.00%"]
    (p,) = problems                                  # the second says the same as its source: nothing to say
    assert (p.code, p.cell) == ("source_and_actual", "L2")
    assert p.message == ("已填写数据来源“支出预算执行率”（按基础数据算得 95.00%），实际值“98%”未使用："
                         "数据来源优先，因为它由原始数字算出，评分过程写出公式，可以核对")


# --- two decimals, and what --json says of every row ----------------------------------------------------

def test_percentages_with_two_decimals_in_process_terminal_and_json(make_workbook, cli):
    path = make_workbook(rows_of(dict(method="完成比率", target="≥90%", actual="85.86%"),
                                 dict(method="得分率计分", actual="89.9%")))
    run = cli("score", path, "--no-write", "-v")
    assert "完成率=85.86%/90%×100%=95.40%" in run.out and "95.40%" in run.out
    data = cli("score", path, "--no-write", "--json").json()
    first, second = data["indicators"]
    assert first["rate"] == 0.954 and "得95.40%权重分47.70分" in first["process"]
    assert second["process"] == "得分=50.00×89.90%=44.95。依据评分标准，该项指标得89.90%权重分44.95分。"
    assert (first["target"], first["actual"], first["source"]) == ("≥90%", "85.86%", None)


def test_json_carries_target_actual_and_source_as_used(make_workbook, cli):
    path = make_workbook(rows_of(dict(method="完成比率", source="支出预算执行率", target="=100%"),
                                 dict(method="清单计分", params="①50%；②50%", actual="①")),
                         basic={"budget_adjusted": 200, "spent_total": 190})
    data = cli("validate", path, "--json").json()
    first, second = data["indicators"]
    assert (first["target"], first["actual"], first["source"]) == ("=100%", "95.00%", "支出预算执行率")
    assert (second["target"], second["actual"], second["source"]) == (None, "①", None)
    json.dumps(data)
