"""The standard workbook: structure, dropdowns, protection, LibreOffice, and freshness of the
committed files in workbook_templates/."""
from pathlib import Path

from openpyxl import load_workbook

from devtools.build_templates import build_all, fingerprint
from perfxl.model import layout as L
from perfxl.rules import names

ROOT = Path(__file__).resolve().parents[1]


def test_template_command_builds_the_standard_sheets(cli, tmp_path):
    run = cli("template", "-o", "模板.xlsx")
    assert run.code == 0, run.text
    wb = load_workbook(tmp_path / "模板.xlsx")
    assert wb.sheetnames == [L.SHEET_GUIDE, L.SHEET_INFO, L.SHEET_BASIC, L.SHEET_INDICATORS, L.SHEET_SURVEY,
                             L.SHEET_SURVEY_SETUP, L.SHEET_SURVEY_COUNTS, L.SHEET_SUMMARY, L.SHEET_PROBLEMS,
                             L.SHEET_DEVIATIONS,
                             L.SHEET_LISTS]
    ws = wb[L.SHEET_INDICATORS]
    headers = [c.value for c in ws[1]]
    for h in ("编号", "一级指标", "二级指标", "三级指标", "分值", "评分标准", "计分方法", "计分参数", "数据来源",
              "目标值", "实际值", "评价得分", "评价说明", "规则得分", "得分", "得分率", "评分过程"):
        assert h in headers
    # dropdown of 计分方法 points at the list of every registered kind
    method_col = headers.index("计分方法") + 1
    dvs = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(ws.cell(row=2, column=method_col).coordinate in dv.sqref for dv in dvs)
    lists = wb[L.SHEET_LISTS]
    assert [c.value for c in lists["A"][1:] if c.value] == names()
    # input cells unlocked and pale yellow, computed ones locked and protected
    assert ws.protection.sheet
    actual = ws.cell(row=2, column=headers.index("实际值") + 1)
    score = ws.cell(row=2, column=headers.index("得分") + 1)
    assert actual.protection.locked is False and score.protection.locked is True
    assert actual.fill.fgColor.rgb[-6:] == L.PALETTE.input and score.fill.fgColor.rgb[-6:] == L.PALETTE.computed
    info = {r[0].value: r[1].value for r in wb[L.SHEET_INFO].iter_rows(min_row=2, max_row=len(L.INFO_FIELDS) + 1)}
    assert info["模板版本"] == L.TEMPLATE_VERSION and "评价年度" in info


def test_template_refuses_to_overwrite_without_force(cli, tmp_path):
    (tmp_path / "模板.xlsx").write_bytes(b"mine")
    run = cli("template", "-o", "模板.xlsx")
    assert run.code == 2 and (tmp_path / "模板.xlsx").read_bytes() == b"mine"
    run = cli("template", "-o", "模板.xlsx", "--force")
    assert run.code == 0 and list(tmp_path.glob("模板.bak-*.xlsx"))


def test_guide_documents_every_rule_kind_with_a_computed_example(cli, tmp_path):
    cli("template", "-o", "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")[L.SHEET_GUIDE]
    first_col = [c.value for c in ws["A"]]
    for name in names():
        assert name in first_col
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "2.87" in texts           # the 分档得分 example (支出预算执行率 105.66%) is scored by the engine


def test_template_opens_in_libreoffice(cli, tmp_path, soffice):
    cli("template", "-o", "t.xlsx")
    sheets = soffice.sheets(tmp_path / "t.xlsx")
    assert sheets["指标评分"][0][:5] == ["编号", "一级指标", "二级指标", "三级指标", "分值"]
    assert any(row and row[0] == "完成比率" for row in sheets["说明"])


def test_committed_workbooks_are_fresh(tmp_path):
    """workbook_templates/ must be what `python -m devtools.build_templates` makes now."""
    fresh = [p for p in build_all(tmp_path) if p.suffix == ".xlsx"]    # the .docx: tests/test_report.py
    for path in fresh:
        committed = ROOT / "workbook_templates" / path.relative_to(tmp_path)
        assert committed.exists(), f"{committed} missing: run `python -m devtools.build_templates`"
        stale = f"{committed} is stale: run `python -m devtools.build_templates`"
        assert fingerprint(committed) == fingerprint(path), stale
    expected = {p.relative_to(tmp_path) for p in fresh}
    actual = {p.relative_to(ROOT / "workbook_templates") for p in (ROOT / "workbook_templates").rglob("*.xlsx")}
    assert actual == expected, "workbook_templates/ holds files the build does not make"


def test_every_committed_workbook_opens_in_libreoffice(soffice, tmp_path):
    """Templates, indicator lists and examples in workbook_templates/: LibreOffice sees their sheets."""
    import shutil

    for path in sorted((ROOT / "workbook_templates").rglob("*.xlsx")):
        copy = tmp_path / path.name
        shutil.copy2(path, copy)
        sheets = soffice.sheets(copy)
        form = next((f for f in L.FORMS.values() if f.title in sheets), None)
        if form is not None:                    # an official self-evaluation form
            rows = sheets[form.title]
            assert rows[0][0] == form.title and any(r[1:4] == ["一级指标", "二级指标", "三级指标"] for r in rows)
            continue
        table = sheets.get(L.SHEET_INDICATORS) or sheets.get(L.SHEET_SYSTEM)
        assert table, f"{path.name}: LibreOffice shows no indicator sheet ({list(sheets)})"
        assert table[0][:4] == ["编号", "一级指标", "二级指标", "三级指标"], path.name
