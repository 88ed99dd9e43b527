"""Broken workbooks through the CLI: each gives its cell-addressed Chinese message, the right exit
code, and no traceback (the ``cli`` fixture fails on any traceback)."""
from __future__ import annotations

import zipfile

import pytest
from openpyxl import load_workbook

S = "指标评分"


def problems_of(run) -> list[dict]:
    return run.json()["problems"]


def at(run, cell: str) -> list[dict]:
    return [p for p in problems_of(run) if f"{p['sheet']}!{p['cell']}" == cell]


def setter(**cells):
    def mutate(wb):
        for ref, value in cells.items():
            wb[S][ref] = value
    return mutate


@pytest.mark.parametrize("cells, where, words", [
    ({"E5": "两分"}, "指标评分!E5", "分值“两分”不是数字"),
    ({"E5": -1}, "指标评分!E5", "分值为 -1，不能为负数"),
    ({"H5": "按心情"}, "指标评分!H5", "计分方法“按心情”不存在"),
    ({"I8": "100%得满分；九十以上得4分"}, "指标评分!I8", "计分参数有误"),
    ({"I2": ""}, "指标评分!I2", "需要计分参数"),
    ({"K16": "大约六十家"}, "指标评分!K16", "目标值“大约六十家”无法识别"),
    ({"L16": "很多"}, "指标评分!L16", "实际值不符合“完成比率”"),
    ({"L16": None}, "指标评分!L16", "实际值为空"),
    ({"L3": "①⑤"}, "指标评分!L3", "要点⑤不在计分参数里"),
    ({"L16": "=60+2"}, "指标评分!L16", "没有它的计算结果"),
    ({"M2": 5}, "指标评分!M2", "评价得分 5 超出 0～2 分"),
    ({"M5": 0.5, "N5": None}, "指标评分!N5", "与规则得分 0.90 不同，但没有评价说明"),
    ({"N25": None}, "指标评分!N25", "“酌情评分”必须填写评价说明"),
    ({"D10": None}, "指标评分!D10", "三级指标为空"),
    ({"L16": "很多", "M16": 0.5, "N16": "现场核实"}, "指标评分!M16", "无法按规则计分，已采用评价得分 0.50"),
])
def test_cell_problems(make_workbook, cli, cells, where, words):
    path = make_workbook(mutate=setter(**cells))
    run = cli("validate", path, "--json")
    assert run.code == 1, run.text
    found = at(run, where)
    assert found, f"no problem at {where}: {problems_of(run)}"
    assert any(words in p["message"] for p in found), found
    assert all(p["severity"] in ("error", "warning") and p["fix"] for p in found)


def test_duplicate_codes_point_at_both_cells(make_workbook, cli):
    run = cli("validate", make_workbook(mutate=setter(A3=1)), "--json")
    assert run.code == 1
    assert {p["cell"] for p in problems_of(run) if p["code"] == "duplicate_code"} == {"A2", "A3"}


def test_weights_not_adding_up(make_workbook, cli):
    run = cli("validate", make_workbook(mutate=setter(E2=3)), "--json")
    assert run.code == 1
    msgs = {p["cell"]: p["message"] for p in problems_of(run)}
    assert "合计 6，与标注的 5 分不符" in msgs["C2"]           # 部门规划计划(5分)
    assert "合计 16，与标注的 15 分不符" in msgs["B2"]          # 部门决策(15分)
    assert "合计 101，应为 100" in msgs["E2:E45"]


def test_console_output_names_cell_and_fix(make_workbook, cli):
    run = cli("validate", make_workbook(mutate=setter(E5="两分")))
    assert run.code == 1
    assert "指标评分!E5" in run.out and "分值“两分”不是数字" in run.out and "请填写数字" in run.out


def test_missing_sheet_is_unusable(make_workbook, cli):
    def drop(wb):
        del wb[S]
    run = cli("score", make_workbook(mutate=drop))
    assert run.code == 2
    assert "缺少工作表“指标评分”" in run.text and "perfxl template" in run.text


def test_renamed_headers_matched_by_alias(make_workbook, cli):
    path = make_workbook(mutate=setter(A1="序号", E1="权　重", K1="年度指标值", L1=" 实际完成值 ", H1="计分方式"))
    run = cli("score", path, "--json", "--no-write")
    assert run.code == 0, run.text
    assert run.json()["total"] == 88.78


def test_unknown_header_is_unusable_and_names_the_column(make_workbook, cli):
    run = cli("validate", make_workbook(mutate=setter(L1="完成情况")), "--json")
    assert run.code == 2
    [p] = problems_of(run)
    assert p["sheet"] == S and p["cell"] == "1:1" and "缺少“实际值”列" in p["message"]
    assert "实际完成值" in p["fix"]


def test_header_below_a_title_row_is_found(make_workbook, cli):
    def title(wb):
        wb[S].insert_rows(1)
        wb[S]["A1"] = "青云谱区总工会部门整体支出绩效评价指标评分表"
    run = cli("score", make_workbook(mutate=title), "--json", "--no-write")
    assert run.code == 0 and run.json()["total"] == 88.78


def test_bad_grade_table(make_workbook, cli):
    def grades(wb):
        ws = wb["基本信息"]
        for row in ws.iter_rows():
            if row[0].value == "良":
                row[1].value = 95
    run = cli("validate", make_workbook(mutate=grades), "--json")
    assert run.code == 1
    assert any(p["code"] == "grade_invalid" and "递减" in p["message"] for p in problems_of(run))


def test_not_an_excel_file(tmp_path, cli):
    fake = tmp_path / "报表.xlsx"
    fake.write_text("这不是工作簿", encoding="utf-8")
    run = cli("score", fake)
    assert run.code == 2 and "不是 Excel 工作簿" in run.text and "报表.xlsx" in run.text
    assert not list(tmp_path.glob("*_评分.xlsx"))


def test_truncated_workbook(example, cli, tmp_path):
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(example.read_bytes()[:5000])
    run = cli("validate", broken)
    assert run.code == 2 and "坏.xlsx" in run.text


def test_missing_file(cli):
    run = cli("score", "没有这个文件.xlsx", "--json")
    assert run.code == 2
    assert problems_of(run)[0]["code"] == "file_missing"


def test_usage_error_is_chinese(cli):
    run = cli("score", "--bogus")
    assert run.code == 2 and "命令用法有误" in run.err


def test_error_values_saved_by_a_real_spreadsheet(make_workbook, cli, soffice, tmp_path):
    src = make_workbook(mutate=setter(L16="=1/0", L17="=#REF!+1"), name="src.xlsx")
    soffice.convert(src, "xlsx", tmp_path / "lo")                 # LibreOffice calculates and saves
    saved = tmp_path / "lo" / "src.xlsx"
    run = cli("validate", saved, "--json")
    assert run.code == 1
    assert any("错误值 #DIV/0!" in p["message"] for p in at(run, "指标评分!L16"))
    assert at(run, "指标评分!L17") and "错误值" in at(run, "指标评分!L17")[0]["message"]


def test_score_writes_problems_into_the_workbook(make_workbook, cli, soffice):
    path = make_workbook(mutate=setter(E5="两分", H6="按心情"))
    run = cli("score", path)
    assert run.code == 1
    out = path.with_name(path.stem + "_评分.xlsx")
    wb = load_workbook(out)
    ws = wb[S]
    assert ws["E5"].comment is not None and "不是数字" in ws["E5"].comment.text
    assert ws["E5"].fill.fgColor.rgb.endswith("F8CBAD")
    rows = [[c.value for c in r] for r in wb["校验结果"].iter_rows(min_row=2)]
    assert {r[3] for r in rows} >= {"E5", "H6"}
    seen = soffice.sheets(out)
    assert any("分值“两分”不是数字" in " ".join(r) for r in seen["校验结果"])
    assert dict((r[0], r[1]) for r in seen["得分汇总"] if len(r) > 1)["状态"].startswith("未完成")


def test_rescoring_after_a_fix_clears_old_marks(make_workbook, cli):
    path = make_workbook(mutate=setter(E5="两分"))
    cli("score", path, "--in-place")
    wb = load_workbook(path)
    wb[S]["E5"] = 3
    wb.save(path)
    run = cli("score", path, "--in-place")
    assert run.code == 0
    ws = load_workbook(path)[S]
    assert ws["E5"].comment is None and ws["E5"].fill.fgColor.rgb.endswith("FFF9E5")


def test_workbook_is_not_a_zip_member_bomb_victim(tmp_path, cli):
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    run = cli("validate", bomb)
    assert run.code == 2 and "过大" in run.text
