"""Safe outputs (可靠性与安全): text from inputs that starts with = + - @ is text in every workbook perfxl
writes (LibreOffice sees the text, not a formula result); file names made from input text stay in the
output folder; macros in input workbooks are never run and are carried over; every catalogue message
is listed in the README."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, example_rows
from openpyxl import Workbook, load_workbook

from perfxl.model import layout as L
from perfxl.sheets.styles import put

#: a spreadsheet that evaluated these would show 2, 2, -2, 2 and a link
PAYLOADS = ["=1+1", "+1+1", "-1-1", "@SUM(1,1)", '=HYPERLINK("http://evil.example","点我")']


def set_info(wb, key: str, value) -> None:
    for row in wb[L.SHEET_INFO].iter_rows():
        if row[0].value == L.INFO_BY_KEY[key].label:
            put(wb[L.SHEET_INFO], row[0].row, 2, value)
            return
    raise AssertionError(key)


def texts(seen: dict, sheet: str) -> set[str]:
    return {v for row in seen[sheet] for v in row}


def test_score_output_keeps_unit_names_and_notes_as_text(make_workbook, cli, soffice):
    deviating = [i + 2 for i, r in enumerate(example_rows()) if r.get("evaluator_score") is not None]
    assert len(deviating) >= 4
    note_col = next(c.column for c in load_workbook(make_workbook(name="probe.xlsx"))["指标评分"][1]
                    if c.value == L.COLUMNS_BY_KEY["note"].header)

    def mutate(wb):
        set_info(wb, "unit", PAYLOADS[4])
        for row, payload in zip(deviating, PAYLOADS):
            put(wb["指标评分"], row, note_col, payload)
    path = make_workbook(mutate=mutate)
    run = cli("score", path)
    assert run.code == 0, run.text
    seen = soffice.sheets(path.with_name(path.stem + "_评分.xlsx"))
    assert PAYLOADS[4] in texts(seen, "得分汇总")
    assert set(PAYLOADS[:4]) <= texts(seen, "评价偏差")
    assert set(PAYLOADS[:4]) <= texts(seen, "指标评分")
    assert not {"2", "-2"} & {row[6] for row in seen["评价偏差"][1:] if len(row) > 6}


def test_template_from_an_indicator_system_keeps_names_as_text(tmp_path, cli, soffice):
    system = ROOT / "workbook_templates" / "指标体系" / "项目支出绩效评价指标体系.xlsx"
    wb = load_workbook(system)
    ws = wb[L.SHEET_SYSTEM]
    name_col = next(c.column for c in ws[1] if c.value == L.COLUMNS_BY_KEY["name"].header)
    for i, payload in enumerate(PAYLOADS):
        put(ws, 2 + i, name_col, payload)
    src = tmp_path / "体系.xlsx"
    wb.save(src)
    run = cli("template", "--from", src, "-o", tmp_path / "模板.xlsx")
    assert run.code == 0, run.text
    assert set(PAYLOADS) <= texts(soffice.sheets(tmp_path / "模板.xlsx"), "指标评分")


def test_fill_keeps_unit_names_as_text_and_file_names_inside_the_folder(tmp_path, cli, soffice):
    hostile = ["../../逃逸", "/etc/passwd", "C:\\Windows\\system32", "..", "CON", "a/../../b", "\u202egnp.exe"]
    wb = Workbook()
    ws = wb.active
    ws.append(["单位名称", "评价年度"])
    for i, name in enumerate(PAYLOADS + hostile):
        put(ws, i + 2, 1, name)
        put(ws, i + 2, 2, 2024)
    roster = tmp_path / "名单.xlsx"
    wb.save(roster)
    out = tmp_path / "分发"
    run = cli("fill", roster, "-o", out, "--json")
    assert run.code == 0, run.text
    written = [Path(p) for p in run.json()["written"]]
    assert len(written) == len(PAYLOADS) + len(hostile)
    for p in written:
        assert p.resolve().parent == out.resolve() and p.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"名单.xlsx", "分发"}          # nothing escaped
    by_unit = {i["unit"]: Path(i["path"]) for i in run.json()["items"]}
    for payload in (PAYLOADS[0], PAYLOADS[4]):
        seen = soffice.sheets(by_unit[payload])
        assert payload in texts(seen, L.SHEET_INFO)


def test_consolidated_summary_keeps_unit_names_as_text(make_workbook, tmp_path, cli, soffice):
    folder = tmp_path / "收回"
    folder.mkdir()
    for i, payload in enumerate(PAYLOADS[:3]):
        path = make_workbook(mutate=lambda wb, p=payload: set_info(wb, "unit", p), name=f"u{i}.xlsx")
        path.rename(folder / path.name)
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", folder, "-o", out, "--jobs", "1", "--json")
    assert run.code in (0, 1), run.text
    assert run.json()["included"] == 3
    seen = soffice.sheets(out)
    assert set(PAYLOADS[:3]) <= texts(seen, L.SHEET_CONS_SUMMARY)


# --- macros ------------------------------------------------------------------------------------

AUTO_RUN = """Sub Auto_Open()
    Dim f As Integer
    f = FreeFile
    Open "{marker}" For Output As #f
    Print #f, "macro ran"
    Close #f
End Sub
"""


def test_macros_are_never_run_and_the_vba_project_is_carried_over(make_workbook, tmp_path, cli):
    from devtools.vba import run_lo, uno_python
    from perfxl.excel.xlsm import pack_xlsm

    if uno_python() is None:
        pytest.skip("python3-uno not installed")   # test_xlsm.py fails CI when it is missing
    marker = tmp_path / "macro_ran.txt"
    src = tmp_path / "autorun.bas"
    src.write_text(AUTO_RUN.format(marker=marker), encoding="utf-8")
    built = tmp_path / "vba.xlsm"
    run_lo("build-vba", str(built), "AutoRun", str(src))
    with zipfile.ZipFile(built) as zf:
        vba = zf.read("xl/vbaProject.bin")
    xlsm = tmp_path / "宏.xlsm"
    xlsm.write_bytes(pack_xlsm(make_workbook().read_bytes(), vba, buttons=()))
    original = xlsm.read_bytes()
    run = cli("score", xlsm, "--json")
    assert run.code == 0, run.text
    assert not marker.exists()                      # the Auto_Open macro did not run
    assert xlsm.read_bytes() == original
    out = tmp_path / "宏_评分.xlsm"
    with zipfile.ZipFile(out) as zf:
        assert zf.read("xl/vbaProject.bin") == vba   # keep_vba: the project is carried over intact
        assert "macroEnabled" in zf.read("[Content_Types].xml").decode()
    run = cli("score", xlsm, "--in-place")
    assert run.code == 0 and not marker.exists()
    with zipfile.ZipFile(xlsm) as zf:
        assert zf.read("xl/vbaProject.bin") == vba
    import json

    # the macro is really there (checked last, as LibreOffice opens the file)
    seen = json.loads(run_lo("inspect", str(out)).stdout)
    assert any("Sub Auto_Open" in src for lib in seen["modules"].values() for src in lib.values())


# --- docs/messages.md lists every message ----------------------------------------------------------

def test_messages_doc_lists_every_catalogue_message():
    """docs/messages.md 由 CATALOGUE 生成：每个代码一行，消息与改法与 CATALOGUE 一致。"""
    from perfxl.check.problems import CATALOGUE, MESSAGES_DOC, messages_doc

    doc = (ROOT / MESSAGES_DOC).read_text(encoding="utf-8")
    assert doc == messages_doc(), f"{MESSAGES_DOC} 已过期：运行 python -m perfxl.check.problems --write"
    for code in CATALOGUE:
        assert f"`{code}`" in doc


def test_grade_labels_stay_text_on_the_summary_and_its_chart_sheet(make_workbook, tmp_path, cli, soffice):
    """等级 labels come from each workbook's grade table: on 汇总 and on 图表 (the grade distribution the
    charts draw from) they are text, never a live formula."""
    labels = dict(zip(("优", "良", "中", "差"), (PAYLOADS[0], PAYLOADS[4], PAYLOADS[1], PAYLOADS[3])))

    def hostile(wb, unit):
        set_info(wb, "unit", unit)
        for row in wb[L.SHEET_INFO].iter_rows():
            if row[0].value in labels:
                put(wb[L.SHEET_INFO], row[0].row, 1, labels[row[0].value])
    folder = tmp_path / "收回"
    folder.mkdir()
    for i in range(2):
        path = make_workbook(mutate=lambda wb, u=f"单位{i}": hostile(wb, u), name=f"u{i}.xlsx")
        path.rename(folder / path.name)
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", folder, "-o", out, "--jobs", "1", "--json")
    assert run.code in (0, 1), run.text
    assert run.json()["included"] == 2 and {u["grade"] for u in run.json()["units"]} == {PAYLOADS[4]}
    seen = soffice.sheets(out)
    assert PAYLOADS[4] in texts(seen, L.SHEET_CONS_SUMMARY)
    assert PAYLOADS[4] in texts(seen, L.SHEET_CONS_CHARTS), seen[L.SHEET_CONS_CHARTS][:5]
    import re

    with zipfile.ZipFile(out) as zf:
        formulas = [m for n in zf.namelist() if n.startswith("xl/worksheets/")
                    for m in re.findall(rb"<f>([^<]*)</f>", zf.read(n))]
    assert not [f for f in formulas if b"HYPERLINK" in f or b"evil" in f], formulas
