"""Built-in frameworks and administrators' own indicator systems."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfxl.model import layout as L
from perfxl.model.frameworks import examples, frameworks

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "workbook_templates"


@pytest.mark.parametrize("ident", ["department", "project", "self"])
def test_framework_weights_add_up(ident):
    rows = frameworks()[ident]["rows"]
    assert round(sum(r["weight"] for r in rows), 6) == 100


def test_self_evaluation_framework_has_the_fixed_split():
    rows = frameworks()["self"]["rows"]
    by_level = {}
    level = None
    for r in rows:
        level = r.get("level1") or level
        by_level[level] = by_level.get(level, 0) + r["weight"]
    assert list(by_level.values()) == [10, 50, 30, 10]


@pytest.mark.parametrize("name, title", [("部门整体", "部门整体支出绩效评价"), ("项目支出", "项目支出绩效评价"),
                                         ("project", "项目支出绩效评价")])
def test_template_from_framework(cli, tmp_path, name, title):
    run = cli("template", "--framework", name, "-o", "t.xlsx")
    assert run.code == 0, run.text
    assert title in run.out
    wb = load_workbook(tmp_path / "t.xlsx")
    ws = wb[L.SHEET_INDICATORS]
    names = [r[3].value for r in ws.iter_rows(min_row=2) if r[3].value]
    meta = next(m for m in frameworks().values() if m["title"] == title)
    assert names == [r["name"] for r in meta["rows"]]


def test_unknown_framework(cli):
    run = cli("template", "--framework", "不存在", "-o", "t.xlsx")
    assert run.code == 2 and "部门整体" in run.err


@pytest.mark.parametrize("ident", sorted(examples()))
def test_every_example_scores_end_to_end_and_opens_in_libreoffice(ident, cli, tmp_path, soffice):
    ex = examples()[ident]
    src = TEMPLATES / "examples" / ex["output"]
    path = tmp_path / src.name
    shutil.copy2(src, path)
    run = cli("score", path, "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert data["complete"] and data["total"] is not None and data["grade"]
    assert not [p for p in data["problems"] if p["severity"] == "error"]
    out = Path(data["output"])
    seen = soffice.sheets(out)
    summary = {r[0]: r[1] for r in seen[L.SHEET_SUMMARY] if len(r) > 1}
    assert float(summary["总分"]) == data["total"] and summary["等级"] == data["grade"]


def test_project_example_uses_figures_and_the_questionnaire(cli, tmp_path):
    ex = examples()["project_example"]
    path = tmp_path / "p.xlsx"
    shutil.copy2(TEMPLATES / "examples" / ex["output"], path)
    data = cli("score", path, "--json", "--no-write").json()
    by_code = {i["code"]: i for i in data["indicators"]}
    assert by_code["7"]["process"].startswith("资金到位率=1150/1200×100%=95.83%")
    assert by_code["7"]["score"] == round(3 * 1150 / 1200, 2)
    assert by_code["15"]["process"].startswith("预算节约率=(1200-1098.6)/1200×100%=8.45%")
    assert "问卷题组“服务对象满意度”共300个有效回答" in by_code["19"]["process"]


def test_self_example_shows_its_deviation(cli, tmp_path):
    ex = examples()["self_example"]
    path = tmp_path / "s.xlsx"
    shutil.copy2(TEMPLATES / "examples" / ex["output"], path)
    data = cli("score", path, "--json", "--no-write").json()
    assert [(d["code"], d["rule_score"], d["evaluator_score"]) for d in data["deviations"]] == \
        [("3", round(10 * 55 / 60, 2), 10.0)]
    by_code = {i["code"]: i for i in data["indicators"]}
    assert by_code["1"]["score"] == round(10 * 286.5 / 300, 2)          # 预算执行率 × 10
    assert "属于“部分达成并具有一定效果”档" in by_code["8"]["process"]


# --- own indicator systems ------------------------------------------------------------

SYSTEM = TEMPLATES / "指标体系" / "项目支出绩效评价指标体系.xlsx"


def test_template_from_own_indicator_list(cli, tmp_path):
    own = tmp_path / "我的指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    ws["D13"] = "改造小区数量"            # an administrator adapts the list
    ws["K13"] = "≥36个"
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx")
    assert run.code == 0, run.text
    ws = load_workbook(tmp_path / "模板.xlsx")[L.SHEET_INDICATORS]
    header = [c.value for c in ws[1]]
    row = {h: c.value for h, c in zip(header, ws[13])}
    assert row["三级指标"] == "改造小区数量" and row["目标值"] == "≥36个" and row["计分方法"] == "完成比率"
    setup = load_workbook(tmp_path / "模板.xlsx")[L.SHEET_SURVEY_SETUP]
    assert "服务对象满意度" in [c.value for c in setup["A"]]


def test_own_indicator_list_is_validated_first(cli, tmp_path):
    bad = tmp_path / "坏的指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    ws["E3"] = 5                   # weights no longer add up
    ws["H5"] = "瞎编"              # unknown 计分方法
    ws["I6"] = "①60%；②60%"        # checklist over 100%
    ws["J8"] = "不知道"            # unknown 数据来源
    wb.save(bad)
    run = cli("template", "--from", bad, "-o", "模板.xlsx", "--json")
    assert run.code == 1
    where = {(p["sheet"], p["cell"], p["code"]) for p in run.json()["problems"]}
    assert {("指标体系", "H5", "method_unknown"), ("指标体系", "I6", "params_invalid"),
            ("指标体系", "J8", "source_unknown"), ("指标体系", "E2:E20", "total_not_100")} <= where
    assert not (tmp_path / "模板.xlsx").exists()


def test_a_criterion_no_method_expresses_is_pointed_to_discretionary_scoring(cli, tmp_path):
    """An administrator's criterion none of the rule kinds expresses (a ranking among units), with a
    计分方法 they made up: the message lists the kinds and says which one takes any criterion, so the
    administrator is not left guessing among eleven names."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    ws["G5"] = "在全市同类单位中排名第一得满分，第二名得80%，其余得60%"
    ws["H5"], ws["I5"] = "按排名得分", None
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx", "--json")
    assert run.code == 1, run.text
    (p,) = [p for p in run.json()["problems"] if p["code"] == "method_unknown"]
    assert p["cell"] == "H5" and "按排名得分" in p["message"]
    assert "完成比率" in p["fix"] and "酌情评分" in p["fix"] and "评价说明" in p["fix"]


def test_warnings_about_the_indicator_list_are_shown_when_the_template_is_made(cli, tmp_path):
    """An administrator hides a row of their indicator list to drop that indicator: the template still
    holds it (a hidden row counts) but `template --from` said only “✓ 已生成”, the warning that says
    so was dropped. It is now printed (and in --json), naming the row; the template is still made."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    wb[L.SHEET_SYSTEM].row_dimensions[5].hidden = True
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx")
    assert run.code == 0, run.text
    assert "隐藏行" in run.out and "指标体系!A5" in run.out
    assert (tmp_path / "模板.xlsx").exists()
    data = cli("template", "--from", own, "-o", "模板2.xlsx", "--json").json()
    assert [(p["code"], p["cell"]) for p in data["problems"]] == [("row_hidden", "A5")]


def test_a_percent_target_of_the_indicator_list_stays_a_percent_in_the_template(cli, tmp_path):
    """An administrator types 目标值 95% into their list: Excel stores 0.95 shown as a percentage. The
    template wrote 0.95 with no format: evaluators saw “0.95” and every 评分过程 and report read
    “目标值≥0.95，实际值0.93”. The template cell now shows 95% and the figures say 95%."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    target = next(c.column for c in ws[1] if c.value == L.COLUMNS_BY_KEY["target"].header)
    ws.cell(row=14, column=target).value = 0.95                  # 质量达标率, 完成比率
    ws.cell(row=14, column=target).number_format = "0%"
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx")
    assert run.code == 0, run.text
    wb = load_workbook(tmp_path / "模板.xlsx")
    ws = wb[L.SHEET_INDICATORS]
    header = [c.value for c in ws[1]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=4).value == "质量达标率")
    cell = ws.cell(row=row, column=header.index(L.COLUMNS_BY_KEY["target"].header) + 1)
    assert cell.value == 0.95 and cell.number_format == "0%"
    ws.cell(row=row, column=header.index(L.COLUMNS_BY_KEY["actual"].header) + 1).value = "93%"
    wb.save(tmp_path / "填好.xlsx")
    data = cli("score", "填好.xlsx", "--no-write", "--json").json()
    (ind,) = [i for i in data["indicators"] if i["name"] == "质量达标率"]
    assert ind["target"] == "≥95%" and "目标值≥95%" in ind["process"] and "0.95" not in ind["process"]


def test_weights_typed_as_percentages_are_named_as_such(cli, tmp_path):
    """Many published indicator tables give 权重 as percentages (2%, 3% … 100% in all). Typed so, the
    cells hold 0.02, 0.03 …, and the administrator was told “全部三级指标分值合计 1，应为 100” about a
    column that visibly adds up to 100%. The message now says the 分值 are percentages and how to write them."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    weight = next(c.column for c in ws[1] if c.value == L.COLUMNS_BY_KEY["weight"].header)
    for row in range(2, ws.max_row + 1):
        cell = ws.cell(row=row, column=weight)
        if isinstance(cell.value, (int, float)):
            cell.value, cell.number_format = cell.value / 100, "0%"
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx", "--json")
    assert run.code == 1, run.text
    (p,) = [p for p in run.json()["problems"] if p["cell"].startswith("E2:")]
    assert p["code"] == "total_in_percent" and "百分比" in p["message"] and "2% 写 2" in p["fix"]


def test_a_code_excel_turned_into_a_date_is_caught_before_the_template_is_made(cli, tmp_path):
    """An administrator numbers indicators 1-1, 1-2 …: Excel stores them as dates (1月1日). The template
    was made anyway, its 编号 cells showing serial numbers (44927) no one had typed; the list is now
    refused at that cell, saying what happened and how to type such a 编号."""
    import datetime

    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    ws["A3"].value, ws["A3"].number_format = datetime.datetime(2026, 1, 2), "m月d日"
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx", "--json")
    assert run.code == 1, run.text
    (p,) = run.json()["problems"]
    assert (p["code"], p["cell"]) == ("code_is_date", "A3") and "日期" in p["message"] and "文本" in p["fix"]
    assert not (tmp_path / "模板.xlsx").exists()


def test_the_indicator_list_itself_is_not_taken_for_an_evaluation(cli, tmp_path, make_workbook):
    """An administrator runs `perfxl validate` on their indicator list, or leaves it in the folder of
    returned workbooks: they were told to rename its sheet to 指标评分 (wrong advice: it has no 实际值),
    and consolidation counted it as a failed submission (exit 1). Now validate says it is an indicator
    list and how to make the template from it; consolidation skips it like an earlier summary."""
    shutil.copy(SYSTEM, tmp_path / "指标体系.xlsx")
    run = cli("validate", "指标体系.xlsx", "--json")
    assert run.code == 2, run.text
    (p,) = run.json()["problems"]
    assert p["code"] == "system_not_evaluation" and "template --from 指标体系.xlsx" in p["fix"]
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy(SYSTEM, folder / "指标体系.xlsx")
    shutil.copy(make_workbook(), folder / "甲单位.xlsx")
    data = cli("consolidate", folder, "-o", "汇总.xlsx", "--json").json()
    assert (data["found"], data["included"], data["not_included"]) == (1, 1, 0)
    assert [(Path(s["file"]).name, "指标体系文件" in s["reason"]) for s in data["skipped"]] == [("指标体系.xlsx", True)]


@pytest.mark.parametrize("typed", ["项目立项(5分)", "项目 立项（5 分）", "项目立项\u200b（５分）"],
                         ids=["as-first", "spaced", "zero-width"])
def test_a_level2_under_two_level1s_is_pointed_out(cli, tmp_path, typed):
    """A 二级指标 name pasted under a second 一级指标 (项目立项 under 决策 and under 过程): its two groups
    are summed apart, which the administrator should know of; the list said nothing. The names are
    compared as rows are grouped (folded): a space, full-width digits or a zero-width space do not
    make it another 二级指标."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    assert str(ws["C11"].value).startswith("组织实施")
    ws["C11"] = typed
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx", "--json")
    assert run.code == 0, run.text
    (p,) = run.json()["problems"]
    assert (p["code"], p["severity"], p["cell"]) == ("level2_two_parents", "warning", "C11")
    assert "立项" in p["message"] and "决策" in p["message"] and "过程" in p["message"]


def test_one_sheet_list_with_other_sheet_name_and_headers(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["序号", "一级", "二级", "指标名称", "权重", "计分方式", "参数", "指标值"])
    ws.append([1, "产出(60分)", "数量(60分)", "完成户数", 60, "完成比率", None, "≥100户"])
    ws.append([2, "效益(40分)", "满意度(40分)", "满意度", 40, "阈值扣分", "≥90%得满分；每下降1%扣5%", None])
    wb.save(tmp_path / "list.xlsx")
    run = cli("template", "--from", "list.xlsx", "-o", "out.xlsx")
    assert run.code == 0, run.text


def test_indicator_list_without_required_header(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["序号", "一级指标", "二级指标", "三级指标", "计分方法"])
    wb.save(tmp_path / "list.xlsx")
    run = cli("template", "--from", "list.xlsx", "-o", "out.xlsx", "--json")
    assert run.code == 2
    assert "缺少“分值”列" in run.json()["problems"][0]["message"]


@pytest.mark.parametrize("name", ["部门整体", "项目支出", "自评表"])
def test_unfilled_framework_template_reports_what_is_missing(cli, name):
    assert cli("template", "--framework", name, "-o", "t.xlsx").code == 0
    run = cli("validate", "t.xlsx", "--json")
    assert run.code == 1
    codes = {p["code"] for p in run.json()["problems"]}
    assert "actual_missing" in codes or "figure_missing_input" in codes


def test_macro_enabled_template_from_the_command_line(cli, tmp_path):
    run = cli("template", "--framework", "项目支出", "--xlsm", "-o", "项目.xlsx")
    assert run.code == 0, run.text
    path = tmp_path / "项目.xlsm"
    assert path.exists()
    import zipfile

    names = zipfile.ZipFile(path).namelist()
    assert "xl/vbaProject.bin" in names
    # scoring it keeps the macros and the buttons, in a new file and in place
    import re

    def buttons(f):
        with zipfile.ZipFile(f) as zf:
            return zf.read("xl/vbaProject.bin"), sorted(
                shape for n in zf.namelist() if n.endswith(".vml")
                for shape in re.findall(rb"<v:shape\b.*?</v:shape>", zf.read(n), re.S)
                if b'ObjectType="Button"' in shape)
    kept = buttons(path)
    assert len(kept[1]) == 2
    data = cli("score", path, "--json").json()
    assert data["output"].endswith("项目_评分.xlsm")
    assert cli("score", path, "--in-place").code in (0, 1)
    for scored in (path, tmp_path / "项目_评分.xlsm"):
        assert buttons(scored) == kept


@pytest.mark.parametrize("name", sorted(p.name for p in (Path(__file__).resolve().parents[1] / "workbook_templates"
                                                          / "指标体系").glob("*.xlsx")))
def test_every_shipped_indicator_list_makes_a_template(cli, name):
    """An administrator copies a shipped list and runs template --from: targets are left to each
    evaluation (the 自评表 list has none), so the list itself is no error."""
    src = Path(__file__).resolve().parents[1] / "workbook_templates" / "指标体系" / name
    run = cli("template", "--from", src, "-o", "t.xlsx", "--json")
    assert run.code == 0, run.text
    # the workbook made from it is not filled in yet: it asks for what each evaluation must give
    codes = {p["code"] for p in cli("validate", "t.xlsx", "--json").json()["problems"]}
    assert codes & {"target_missing", "actual_missing", "figure_missing_input"}


def test_level_names_keep_the_brackets_they_were_typed_with(cli, tmp_path, soffice):
    """An administrator names a 二级指标 “项目立项（论证）” with Chinese brackets: the template and its
    得分汇总 wrote “项目立项(论证)” (folded to half-width, as names are compared). Names now show as
    typed; a row typing the same name half-width is still the same level."""
    own = tmp_path / "指标体系.xlsx"
    wb = load_workbook(SYSTEM)
    ws = wb[L.SHEET_SYSTEM]
    assert ws["C2"].value == "项目立项(5分)" and ws["C3"].value is None
    ws["C2"] = "项目立项（论证）（5分）"
    ws["C3"] = "项目立项(论证)"                  # the same level, typed half-width
    wb.save(own)
    run = cli("template", "--from", own, "-o", "模板.xlsx", "--json")
    assert run.code == 0, run.text
    seen = soffice.sheets(tmp_path / "模板.xlsx")
    body = [r for r in seen[L.SHEET_INDICATORS] if any(r)]
    at = body[0].index(L.COLUMNS_BY_KEY["level2"].header)
    assert [r[at] for r in body[1:3]] == ["项目立项（论证）"] * 2
    everything = "\n".join(",".join(r) for rows in seen.values() for r in rows)
    assert "项目立项(论证)" not in everything
