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


def test_project_form_round_trip_through_libreoffice(cli, lo, tmp_path, soffice):
    from formula_harness import lo_recalc

    run = cli("template", "--framework", "自评表", "-o", "自评表.xlsx")
    assert run.code == 0, run.text
    blank = tmp_path / "自评表.xlsx"
    title = L.FORM_PROJECT.title
    p = places(blank, title)
    col, rows, funds = p["col"], p["rows"], p["funds"]
    name_row, unit_row = p["labels"]["项目名称"], p["labels"]["实施单位"]
    quantity = {"数量指标一": ("≥3000人次", "3120人次"), "数量指标二": ("≥60期", "55期"),
                "质量指标": ("≥90%", "93.5%"), "成本指标": ("≤200万元", "190万元"),
                "服务对象满意度": ("≥90%", "88%")}
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
    for name, (target, actual) in quantity.items():
        typed += [[title, a1(rows[name], col["年度指标值"]), target],
                  [title, a1(rows[name], col["实际完成值"]), actual]]
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
    assert [p_["code"] for p_ in data["problems"]] == ["form_records_only"]


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
