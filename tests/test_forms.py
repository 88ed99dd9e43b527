"""The official self-evaluation forms (项目支出/部门整体支出绩效自评表): generated, filled the way people
fill them (typed into LibreOffice through UNO), scored through the command line, figures found in the
form's own cells; any scored evaluation exported into one."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfxl.model import layout as L

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbook_templates" / "examples" / "青云谱区总工会2022_部门整体支出绩效评价.xlsx"


def places(path: Path, title: str) -> dict:
    """Where the form's blocks are, found by their labels (as a person reading the form would)."""
    ws = load_workbook(path)[title]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    header = cells["三级指标"].row
    col = {h: cells[h].column for h in ("一级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                         "偏差原因分析及改进措施") if cells.get(h) and cells[h].row == header}
    fund_header = cells["全年执行数"].row
    funds = {c.value: c.column for c in ws[fund_header] if isinstance(c.value, str)}
    rows = {ws.cell(row=r, column=col["三级指标"]).value: r for r in range(header + 1, ws.max_row + 1)
            if ws.cell(row=r, column=col["三级指标"]).value}
    return {"ws": ws, "col": col, "rows": rows, "funds": funds, "total_row": cells["年度资金总额"].row,
            "score_total": cells[L.FORM_TOTAL].row, "grade": cells[L.FORM_GRADE].row, "header": header,
            "labels": {k: (c.row, c.column) for k, c in cells.items()}}


def a1(row: int, col: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(col)}{row}"


QUANTITY = {"数量指标一": ("≥3000人次", "3120人次"), "数量指标二": ("≥60期", "55期"),
            "质量指标": ("≥90%", "93.5%"), "成本指标": ("≤200万元", "190万元"),
            "服务对象满意度": ("≥90%", "88%")}


def typed_form(p: dict, title: str) -> list[list[str]]:
    """What a unit types into a blank project form (cells found by their labels)."""
    col, rows, funds = p["col"], p["rows"], p["funds"]
    name_row, unit_row = p["labels"]["项目名称"], p["labels"]["实施单位"]
    typed = [[title, a1(name_row[0], name_row[1] + 1), "职工技能培训补助项目"],
             [title, a1(unit_row[0], unit_row[1] + 1), "某县总工会"],
             [title, "A2", "（2023年度）"],
             [title, a1(p["total_row"], funds["年初预算数"]), "300"],
             [title, a1(p["total_row"], funds["全年预算数"]), "300"],
             [title, a1(p["total_row"], funds["全年执行数"]), "286.5"],
             [title, a1(rows["时效指标"], col["实际完成值"]), "100%"],
             # qualitative: the judged score in 得分, a reason where points were lost
             [title, a1(rows["社会效益指标"], col["实际完成值"]), "职工技能明显提升"],
             [title, a1(rows["社会效益指标"], col["得分"]), "12"],
             [title, a1(rows["社会效益指标"], col["偏差原因分析及改进措施"]), "部分乡镇宣传不足，下年加强"],
             [title, a1(rows["可持续影响指标"], col["得分"]), "15"]]
    for name, (target, actual) in QUANTITY.items():
        typed += [[title, a1(rows[name], col["年度指标值"]), target],
                  [title, a1(rows[name], col["实际完成值"]), actual]]
    return typed


def test_project_form_round_trip_through_libreoffice(cli, lo, tmp_path, soffice):
    from formula_harness import lo_recalc

    run = cli("template", "--framework", "自评表", "-o", "自评表.xlsx")
    assert run.code == 0, run.text
    blank = tmp_path / "自评表.xlsx"
    title = L.FORM_PROJECT.title
    p = places(blank, title)
    col, rows, funds = p["col"], p["rows"], p["funds"]
    typed = typed_form(p, title)
    record_row = max(rows.values()) + 1              # an indicator recorded without points
    typed += [[title, a1(record_row, col["三级指标"]), "培训教材发放册数"],
              [title, a1(record_row, col["年度指标值"]), "≥3000册"],
              [title, a1(record_row, col["实际完成值"]), "3200册"]]
    filled = tmp_path / "已填.xlsx"
    result = lo_recalc([{"path": str(blank), "type": typed, "save": [str(filled)]}], tmp_path)[0]
    assert result["opened"]

    run = cli("score", filled, "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert [p_["code"] for p_ in data["problems"]] == ["form_records_only"]
    expected = {"数量指标一": 15.0, "数量指标二": round(10 * 55 / 60, 2), "质量指标": 10.0, "时效指标": 5.0,
                "成本指标": 10.0, "社会效益指标": 12.0, "可持续影响指标": 15.0,
                "服务对象满意度": round(10 * 88 / 90, 2)}
    execution = round(10 * 286.5 / 300, 2)
    total = round(sum(expected.values()) + execution, 2)
    assert data["total"] == total and data["grade"] == "优"

    out = Path(data["output"])
    ws = load_workbook(out, data_only=True)[title]
    for name, score in expected.items():
        assert ws[a1(rows[name], col["得分"])].value == score, name
    assert ws[a1(record_row, col["得分"])].value is None
    assert ws[a1(p["total_row"], funds["得分"])].value == execution
    assert ws[a1(p["total_row"], funds["执行率"])].value == pytest.approx(286.5 / 300)
    assert ws[a1(p["score_total"], col["得分"])].value == total
    assert ws[a1(p["grade"], col["得分"])].value == "优"
    # what LibreOffice shows of the scored form
    seen = soffice.sheets(out)[title]
    total_line = next(r for r in seen if r and r[0] == L.FORM_TOTAL)
    assert float(total_line[col["得分"] - 1]) == total


def test_form_without_points_is_a_record_of_completion(cli, tmp_path):
    """As in seed 002: 指标值 and 完成值 only. Accepted (exit 0), nothing scored, nothing invented."""
    assert cli("template", "--framework", "部门整体自评表", "-o", "部门.xlsx").code == 0
    title = L.FORM_DEPARTMENT.title
    p = places(tmp_path / "部门.xlsx", title)
    ws, col = p["ws"], p["col"]
    ws.cell(row=p["total_row"], column=p["funds"]["分值"]).value = None
    for r in p["rows"].values():
        ws.cell(row=r, column=col["分值"]).value = None
        ws.cell(row=r, column=col["实际完成值"]).value = "按年初计划完成"
    ws.parent.save(tmp_path / "部门.xlsx")
    run = cli("score", "部门.xlsx", "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert data["total"] is None and data["indicators"] == []
    assert [p_["code"] for p_ in data["problems"]] == ["info_missing", "form_records_only"]
    # the blank 部门（单位）名称: the cell beside its label (not the next label, 主管部门), in the form's words
    blank = data["problems"][0]
    label_row, label_col = p["labels"]["部门（单位）名称"]
    assert blank["cell"] == a1(label_row, label_col + 1) and blank["severity"] == "warning"
    assert "基本信息" not in blank["message"] and "表头" in blank["message"]


def test_qualitative_judgement_without_score_points_to_the_score_cell(cli, tmp_path):
    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    run = cli("validate", "f.xlsx", "--json")
    assert run.code == 1
    cells = {(q["code"], q["cell"]) for q in run.json()["problems"]}
    assert ("actual_missing", a1(p["rows"]["社会效益指标"], p["col"]["得分"])) in cells


def test_a_new_first_level_does_not_take_the_previous_second_level(cli, tmp_path):
    """A blank 二级指标 where a new 一级 starts is missing (as in the standard sheet), not the 二级 of the
    一级 above: 社会效益指标 must not be counted under 产出指标's 成本指标."""
    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    ws = p["ws"]
    row, col = p["rows"]["社会效益指标"], p["labels"]["二级指标"][1]
    assert ws.cell(row=row, column=p["labels"]["一级指标"][1]).value == "效益指标"
    ws.cell(row=row, column=col).value = None
    ws.parent.save(tmp_path / "f.xlsx")
    data = cli("score", "f.xlsx", "--json").json()
    ind = next(i for i in data["indicators"] if i["name"] == "社会效益指标")
    assert (ind["level1"], ind["level2"]) == ("效益指标", "")
    assert ("level_missing", a1(row, col)) in {(q["code"], q["cell"]) for q in data["problems"]}
    assert "nan" not in {lv["name"] for lv in data["levels"]}


def test_the_same_first_level_typed_on_every_row_keeps_the_second_level_above(cli, tmp_path):
    """一级 typed again on each row (not merged) while 二级 stays merged: the rows below keep their 二级."""
    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    ws = p["ws"]
    c1 = p["labels"]["一级指标"][1]
    first, second = p["rows"]["数量指标一"], p["rows"]["数量指标二"]
    for rng in [r for r in ws.merged_cells.ranges if r.min_col == c1 and r.min_row == first]:
        ws.unmerge_cells(str(rng))
    ws.cell(row=second, column=c1).value = ws.cell(row=first, column=c1).value        # 产出指标 again
    ws.parent.save(tmp_path / "f.xlsx")
    data = cli("score", "f.xlsx", "--json").json()
    ind = next(i for i in data["indicators"] if i["name"] == "数量指标二")
    assert (ind["level1"], ind["level2"]) == ("产出指标", "数量指标")
    assert not [q for q in data["problems"] if q["code"] == "level_missing"]


def test_any_scored_evaluation_exports_into_the_form(cli, tmp_path, soffice):
    src = tmp_path / EXAMPLE.name
    shutil.copy2(EXAMPLE, src)
    scored = cli("score", src, "--json", "--no-write").json()
    run = cli("report", src, "--form", "部门整体自评表", "-o", "自评表.xlsx", "--json")
    assert run.code == 0, run.text
    assert run.json()["total"] == scored["total"] == 88.78
    title = L.FORM_DEPARTMENT.title
    p = places(tmp_path / "自评表.xlsx", title)
    ws, col = p["ws"], p["col"]
    by_name = {i["name"]: i for i in scored["indicators"]}
    execution = next(i for i in scored["indicators"] if i["name"] == "支出预算执行率")
    assert ws.cell(row=p["total_row"], column=p["funds"]["得分"]).value == execution["score"]
    shown = {name: ws.cell(row=r, column=col["得分"]).value for name, r in p["rows"].items()}
    assert shown == {n: i["score"] for n, i in by_name.items() if n != "支出预算执行率"}
    assert ws.cell(row=p["score_total"], column=col["得分"]).value == 88.78
    assert ws.cell(row=p["grade"], column=col["得分"]).value == "良"
    assert p["ws"].cell(row=p["labels"]["部门（单位）名称"][0], column=2).value == scored["info"]["unit"]
    assert title in soffice.sheets(tmp_path / "自评表.xlsx")
    assert cli("report", src, "--form", "不存在的表", "-o", "x.xlsx").code == 2


def test_score_button_on_a_form_writes_what_the_command_line_writes(cli, tmp_path):
    """The form scored inside Excel (xlwings' JSON engine) and by the command line agree cell for cell."""
    import os

    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from test_excel import both_paths, sheet_values

    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    ws, col, rows = p["ws"], p["col"], p["rows"]
    for cell in (p["funds"]["全年预算数"], p["funds"]["全年执行数"]):
        ws.cell(row=p["total_row"], column=cell).value = 200 if cell == p["funds"]["全年预算数"] else 190
    for _name, r in rows.items():
        ws.cell(row=r, column=col["年度指标值"]).value = "≥10次"
        ws.cell(row=r, column=col["实际完成值"]).value = "9次"
    ws.parent.save(tmp_path / "f.xlsx")
    _, result, _ = both_paths(cli, tmp_path / "f.xlsx", tmp_path)
    assert result.total == round(10 * 190 / 200, 2) + round(90 * 0.9, 2)
    assert sheet_values(tmp_path / "excel.xlsx") == sheet_values(tmp_path / "file.xlsx")


def test_a_scored_form_can_be_validated_and_scored_again(cli, tmp_path):
    """A scored form has 得分汇总 beside it: the reader still finds the form (it stopped with an internal
    error, exit 3, on validate, score and score --in-place of a scored form)."""
    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    ws, col = p["ws"], p["col"]
    for r in p["rows"].values():
        ws.cell(row=r, column=col["年度指标值"]).value = "≥10次"
        ws.cell(row=r, column=col["实际完成值"]).value = "9次"
    ws.parent.save(tmp_path / "f.xlsx")
    first = cli("score", "f.xlsx", "-o", "scored.xlsx", "--json")
    assert first.code in (0, 1), first.text
    again = cli("validate", "scored.xlsx", "--json")
    assert again.code == first.code, again.text
    assert cli("score", "scored.xlsx", "--in-place", "--json").json()["total"] == first.json()["total"]


def test_a_scored_form_scores_itself_in_libreoffice(cli, lo, tmp_path):
    """After ``perfxl score``, a form edited in a spreadsheet without Python shows the engine's scores:
    each edit is typed in LibreOffice, recalculated and saved, and every 得分, 总分 and 等级 it shows
    is what ``perfxl score`` computes from the saved file — or empty (an input missing) or the marker
    (only perfxl can tell), never another number or an error value."""
    from formula_harness import lo_recalc, lo_value

    from perfxl.rules.formula import Err

    assert cli("template", "--framework", "自评表", "-o", "blank.xlsx").code == 0
    title = L.FORM_PROJECT.title
    p = places(tmp_path / "blank.xlsx", title)
    col, rows, funds = p["col"], p["rows"], p["funds"]
    lo_recalc([{"path": str(tmp_path / "blank.xlsx"), "type": typed_form(p, title),
                "save": [str(tmp_path / "filled.xlsx")]}], tmp_path)
    run = cli("score", "filled.xlsx", "-o", "scored.xlsx", "--json")
    assert run.code == 0, run.text

    def score_cell(name: str) -> str:
        return a1(rows[name], col["得分"])

    def actual(name: str) -> str:
        return a1(rows[name], col["实际完成值"])

    spent = a1(p["total_row"], funds["全年执行数"])
    blank_row = max(rows.values()) + 1
    edits = [
        [],                                                       # as perfxl wrote it
        [(actual("数量指标一"), "2800人次"), (actual("数量指标二"), "66期"), (actual("质量指标"), "0.85"),
         (actual("成本指标"), "210万元"), (spent, "310"), (score_cell("社会效益指标"), "13.456"),
         (actual("服务对象满意度"), "95%")],
        [(score_cell("社会效益指标"), "16")],                          # above its 分值: the engine refuses it
        [(score_cell("社会效益指标"), "14"), (a1(rows["数量指标一"], col["年度指标值"]), "≥2500人次")],
        [(a1(rows["数量指标一"], col["年度指标值"]), "≥3000人次"), (actual("质量指标"), "")],
        [(actual("质量指标"), "92%"), (a1(blank_row, col["三级指标"]), "新增指标"),
         (a1(blank_row, col["分值"]), "5")],                         # a new indicator perfxl has not seen
        [(a1(blank_row, col["三级指标"]), ""), (a1(blank_row, col["分值"]), ""), (actual("成本指标"), "不适用")],
    ]
    reads = [[title, f"A1:{a1(p['grade'] + 1, col['偏差原因分析及改进措施'])}"], [L.SHEET_SUMMARY, "A1:E25"]]
    steps = [{"type": [[title, ref, text] for ref, text in step], "read": reads,
              "save": [str(tmp_path / f"step{i}.xlsx")]} for i, step in enumerate(edits)]
    seen = lo_recalc([{"path": str(tmp_path / "scored.xlsx"), "steps": steps}], tmp_path)[0]["steps"]
    marker = L.FORMULA_MARKER
    totals = []
    for i, cells in enumerate(seen):
        shown = {k: lo_value(v) for k, v in cells.items()}
        assert not [k for k, v in shown.items() if isinstance(v, Err)], (i, shown)
        data = cli("score", f"step{i}.xlsx", "--json", "--no-write").json()
        by_row = {ind["row"]: ind for ind in data["indicators"]}
        checks = [(f"{title}!{a1(r, funds['得分'] if r == p['total_row'] else col['得分'])}", ind["score"])
                  for r, ind in by_row.items() if ind["method"] == L.FORM_QUANTITATIVE_METHOD]   # (not typed)
        checks.append((f"{title}!{a1(p['score_total'], col['得分'])}", data["total"]))
        for ref, engine in checks:
            value = shown.get(ref)
            if value == marker:
                continue
            if value in (None, ""):
                assert engine is None, (i, ref, engine)
            else:
                assert engine is not None and abs(value - engine) < 0.005, (i, ref, value, engine)
        total = shown.get(f"{title}!{a1(p['score_total'], col['得分'])}")
        grade = shown.get(f"{title}!{a1(p['grade'], col['得分'])}")
        if isinstance(total, float):
            assert grade == data["grade"], (i, grade, data["grade"])
        assert (shown.get(f"{L.SHEET_SUMMARY}!B4"), shown.get(f"{L.SHEET_SUMMARY}!B5")) == (total, grade)
        totals.append(total)
    # the edits were followed, not only tolerated: numbers that moved, the marker and empty where due
    assert isinstance(totals[0], float) and isinstance(totals[1], float) and totals[1] != totals[0]
    assert totals[2] == marker and totals[5] == marker
    assert seen[3][f"{title}!{score_cell('数量指标一')}"][1] == marker
    assert totals[4] in (None, "")



def _filled_form(tmp_path: Path) -> tuple[Path, dict]:
    """A project form filled as ``typed_form`` fills it (written by openpyxl: no spreadsheet needed)."""
    title = L.FORM_PROJECT.title
    blank = tmp_path / "blank.xlsx"
    p = places(blank, title)
    for _, ref, text in typed_form(p, title):
        value: object = text
        try:
            value = float(text)
        except ValueError:
            pass
        p["ws"][ref].value = value
    p["ws"].parent.save(tmp_path / "filled.xlsx")
    return tmp_path / "filled.xlsx", p


def test_a_scored_form_is_live_and_scored_again(cli, tmp_path):
    """``perfxl score`` writes an official form's figures as formulas with their results: validating or
    scoring the scored form again reads it (it used to stop with an internal error once 得分汇总 was
    beside it), every result agrees with the engine, and a result that does not is reported at its cell."""
    from test_live import _tamper

    assert cli("template", "--framework", "自评表", "-o", "blank.xlsx").code == 0
    filled, p = _filled_form(tmp_path)
    assert cli("score", filled, "-o", "scored.xlsx").code == 0
    title, col = L.FORM_PROJECT.title, p["col"]
    scored = tmp_path / "scored.xlsx"
    ws = load_workbook(scored)[title]
    total = a1(p["score_total"], col["得分"])
    quantity = a1(p["rows"]["数量指标二"], col["得分"])
    assert str(ws[quantity].value).startswith("=") and str(ws[total].value).startswith("=")
    assert ws[a1(p["rows"]["社会效益指标"], col["得分"])].value == 12          # typed: stays the evaluator's
    run = cli("validate", scored, "--json")
    assert run.code == 0, run.text
    assert not [q for q in run.json()["problems"] if q["code"] == "formula_result_differs"]
    first = cli("score", scored, "--json", "--no-write").json()
    assert first["total"] == 95.5
    assert cli("score", scored, "--in-place").code == 0                     # scored again, in place
    assert cli("score", scored, "--json", "--no-write").json()["total"] == 95.5
    tampered = tmp_path / "tampered.xlsx"
    _tamper(scored, tampered, {(title, quantity): b"1.5", (title, total): b"99"})
    differs = {(q["sheet"], q["cell"]) for q in cli("validate", tampered, "--json").json()["problems"]
               if q["code"] == "formula_result_differs"}
    assert differs == {(title, quantity), (title, total)}


def test_a_formula_saved_without_its_result_in_the_funds_row_is_named(cli, tmp_path):
    """全年执行数 holding a formula the saving program never calculated (a generator, a WPS macro): said as such
    at its cell (before: only 派生指标“支出预算执行率”缺少输入)."""
    assert cli("template", "--framework", "自评表", "-o", "blank.xlsx").code == 0
    filled, p = _filled_form(tmp_path)
    spent = a1(p["total_row"], p["funds"]["全年执行数"])
    wb = load_workbook(filled)
    wb[L.FORM_PROJECT.title][spent] = "=SUM(280,6.5)"          # openpyxl saves no result
    wb.save(filled)
    run = cli("validate", filled, "--json")
    assert run.code == 1, run.text
    errors = [(q["cell"], q["code"], q["message"]) for q in run.json()["problems"] if q["severity"] == "error"]
    assert errors == [(spent, "formula_no_cache", "决算支出数是公式 =SUM(280,6.5)，但文件中没有它的计算结果"
                                                  "（保存文件的程序没有计算公式）")]


def test_a_form_exported_by_report_scores_to_the_same_total(cli, tmp_path):
    """``report --form`` writes the evaluator's final scores into the form's 得分 cells; scoring that form
    keeps them as the evaluator's own figures (they were silently replaced by the rule's: 88.78 became
    89.73), says nothing of those equal to the rule's, and warns where they differ."""
    src = tmp_path / EXAMPLE.name
    shutil.copy2(EXAMPLE, src)
    assert cli("report", src, "--form", "部门整体自评表", "-o", "form.xlsx").code == 0
    run = cli("score", "form.xlsx", "-o", "scored.xlsx", "--json")
    data = run.json()
    assert run.code == 0 and data["total"] == 88.78 and data["grade"] == "良", run.text
    warned = [p["cell"] for p in data["problems"]]
    assert warned and all(p["severity"] == "warning" for p in data["problems"])
    # one warning per differing 得分 (the 资金 block's said it twice: typed, and differing from the rule)
    assert len(warned) == len(set(warned)) == sum(1 for ind in data["indicators"] if ind["deviation"]), warned
    title = L.FORM_DEPARTMENT.title
    p = places(tmp_path / "scored.xlsx", title)
    funds_score = a1(p["total_row"], p["funds"]["得分"])
    funds = next(p for p in data["problems"] if p["cell"] == funds_score)
    assert funds["code"] == "note_required_deviation" and "2.88" in funds["message"] and "4.00" in funds["message"]
    assert p["ws"][funds_score].value == 2.88                # kept as typed, not a formula
    assert cli("score", "scored.xlsx", "--json", "--no-write").json()["total"] == 88.78


def test_form_problems_are_worded_in_the_forms_terms(cli, tmp_path):
    """A form has 得分, 实际完成值, 年度指标值 and 偏差原因分析及改进措施 — no 实际值, 评价说明 or 评价得分 columns:
    its messages say what to do in the form; a typed quantitative 得分 is the evaluator's figure."""
    assert cli("template", "--framework", "自评表", "-o", "f.xlsx").code == 0
    p = places(tmp_path / "f.xlsx", L.FORM_PROJECT.title)
    ws, col, rows = p["ws"], p["col"], p["rows"]
    ws.cell(row=rows["数量指标一"], column=col["年度指标值"]).value = "≥3000人次"
    ws.cell(row=rows["数量指标一"], column=col["实际完成值"]).value = "3120人次"
    ws.cell(row=rows["数量指标一"], column=col["得分"]).value = 12            # typed over a computed score
    ws.cell(row=rows["社会效益指标"], column=col["得分"]).value = 16          # above its 分值 15
    ws.parent.save(tmp_path / "f.xlsx")
    problems = cli("validate", "f.xlsx", "--json").json()["problems"]
    by_cell = {(q["code"], q["cell"]): q for q in problems}
    typed = by_cell[("score_typed", a1(rows["数量指标一"], col["得分"]))]
    assert "评价得分" not in typed["message"] + typed["fix"] and "12" in typed["message"]
    assert ("note_required_deviation", a1(rows["数量指标一"], col["偏差原因分析及改进措施"])) in by_cell
    missing = by_cell[("actual_missing", a1(rows["可持续影响指标"], col["得分"]))]
    assert missing["message"] == "定性指标的得分为空" and "档次" in missing["fix"]
    assert ("note_required_judgement", a1(rows["可持续影响指标"], col["偏差原因分析及改进措施"])) not in by_cell
    assert "超过分值" in by_cell[("actual_invalid", a1(rows["社会效益指标"], col["得分"]))]["message"]
    for q in problems:
        words = q["message"] + q["fix"]
        assert not any(w in words for w in ("实际值", "评价说明", "评价得分")), q


def test_edits_a_scored_form_cannot_follow_show_the_marker_not_another_number(cli, lo, tmp_path):
    """What a person may do to a scored form that its formulas cannot follow — a score typed over perfxl's
    formula (above 分值, negative, more decimals, with 不适用), a formula cleared, a row inserted just under
    the header or just above 总分 with a new indicator, a qualitative row given a numeric 年度指标值 — each
    in LibreOffice: 总分 shows the engine's figure for the saved file or the marker, never another number,
    and never blank while the engine has a total."""
    from formula_harness import lo_recalc, lo_value

    assert cli("template", "--framework", "自评表", "-o", "blank.xlsx").code == 0
    title = L.FORM_PROJECT.title
    p = places(tmp_path / "blank.xlsx", title)
    col, rows = p["col"], p["rows"]
    lo_recalc([{"path": str(tmp_path / "blank.xlsx"), "type": typed_form(p, title),
                "save": [str(tmp_path / "filled.xlsx")]}], tmp_path)
    assert cli("score", "filled.xlsx", "-o", "scored.xlsx").code == 0

    def at(name: str, key: str, shift: int = 0) -> str:
        return a1(rows[name] + shift, col[key])

    def new_row(r: int) -> list:
        return [[title, a1(r, col["三级指标"]), "新增指标"], [title, a1(r, col["年度指标值"]), "≥10次"],
                [title, a1(r, col["实际完成值"]), "5次"], [title, a1(r, col["分值"]), "5"]]

    top, above_total = p["header"] + 1, p["score_total"]
    rate = a1(p["total_row"], p["funds"]["执行率"])
    cases = {
        "rate_typed": {"type": [[title, rate, "0.9"]]},                     # the engine computes it again
        "rate_cleared": {"type": [[title, rate, ""]]},
        "fund_score_cleared": {"type": [[title, a1(p["total_row"], p["funds"]["得分"]), ""]]},
        "over_weight": {"type": [[title, at("数量指标二", "得分"), "16"]]},
        "negative": {"type": [[title, at("数量指标二", "得分"), "-2"]]},
        "decimals": {"type": [[title, at("数量指标一", "得分"), "14.005"], [title, at("数量指标二", "得分"), "9.005"]]},
        "typed_then_na": {"type": [[title, at("数量指标一", "得分"), "14"],
                                   [title, at("数量指标一", "实际完成值"), "不适用"]]},
        "cleared": {"type": [[title, at("数量指标一", "得分"), ""]]},
        "insert_top": {"insert_rows": [[title, top, 1]],
                       "type": [*new_row(top), [title, at("数量指标二", "分值", 1), "5"]]},
        "insert_above_total": {"insert_rows": [[title, above_total, 1]],
                               "type": [*new_row(above_total), [title, at("数量指标二", "分值"), "5"]]},
        "qualitative_gets_target": {"type": [[title, at("可持续影响指标", "得分"), ""],
                                             [title, at("可持续影响指标", "年度指标值"), "≥95%"],
                                             [title, at("可持续影响指标", "实际完成值"), "96%"]]},
    }
    jobs = [{"path": str(tmp_path / "scored.xlsx"), **edit, "read": [[title, "A1:I40"]],
             "save": [str(tmp_path / f"{name}.xlsx")]} for name, edit in cases.items()]
    seen = lo_recalc(jobs, tmp_path)
    marker = L.FORMULA_MARKER
    for name, result in zip(cases, seen):
        shown = {k: lo_value(v) for k, v in result["cells"].items()}
        total_row = next(int(k.split("!A")[1]) for k, v in shown.items() if "!A" in k and v == L.FORM_TOTAL)
        total = shown[f"{title}!{a1(total_row, col['得分'])}"]
        engine = cli("score", f"{name}.xlsx", "--json", "--no-write").json()["total"]
        if engine is None:
            assert total in (marker, "", None), (name, total)
        else:
            assert total in (marker, engine), (name, total, engine)
