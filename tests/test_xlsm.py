"""The macro-enabled workbook: LibreOffice opens it, sees the template sheets, the VBA module with
its procedures and the buttons bound to them; the shipped VBA project matches macros/perfxl.bas."""
from __future__ import annotations

import json
import os
import re
import subprocess
import zipfile

import pytest

from devtools.vba import uno_python
from perfxl.excel.xlsm import (
    BAS,
    BUTTONS,
    MODULE,
    procedures,
    read_bas,
    vba_ascii,
    write_xlsm,
)
from perfxl.model import layout as L

EXPECTED = ["PerfxlValidate", "PerfxlScore", "PerfxlConsolidate"]


@pytest.fixture(scope="session")
def lo_inspect():
    """LibreOffice through UNO (Debian: python3-uno) reporting what it sees in a file."""
    exe = uno_python()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice 的 Python 接口 (python3-uno) 不可用：CI 中需要它检查 .xlsm")
        pytest.skip("python3-uno not installed")

    def inspect(path) -> dict:
        from devtools.vba import HERE

        proc = subprocess.run([exe, str(HERE / "lo_uno.py"), "inspect", str(path)], capture_output=True,
                              text=True, timeout=240)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)
    return inspect


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory):
    return write_xlsm(tmp_path_factory.mktemp("xlsm") / "评分模板.xlsm")


def _lo_source(text: str) -> str:
    """Module source as stored, without the two lines LibreOffice adds on import."""
    lines = [l.rstrip() for l in text.replace("\r\n", "\n").split("\n")
             if not l.startswith("Rem Attribute VBA_ModuleType") and l.strip() != "Option VBASupport 1"]
    return "\n".join(lines).strip("\n")


def test_libreoffice_sees_sheets_module_procedures_and_buttons(xlsm, lo_inspect):
    from perfxl.sheets.template import new_workbook

    seen = lo_inspect(xlsm)
    assert seen["opened"] and seen["vba_mode"]
    assert seen["sheets"] == new_workbook().sheetnames
    modules = {m: src for lib in seen["modules"].values() for m, src in lib.items()}
    assert MODULE in modules
    assert procedures(modules[MODULE]) == EXPECTED
    assert "RunPython" in modules[MODULE] and "perfxl.excel.score()" not in modules[MODULE]  # built at run time
    assert 'perfxl.excel." & entry & "()' in modules[MODULE]
    buttons = {c["label"]: c for c in seen["controls"]}
    assert set(buttons) == {b.caption for b in BUTTONS}
    for b in BUTTONS:
        assert buttons[b.caption]["sheet"] == L.SHEET_INFO
        assert any(e.endswith(f".{MODULE}.{b.macro}?language=Basic&location=document")
                   for e in buttons[b.caption]["events"]), buttons[b.caption]


def test_shipped_vba_project_is_built_from_macros_bas(xlsm, lo_inspect):
    """Fails when macros/perfxl.bas changed without ``python -c 'from devtools.vba import
    build_vba_project; build_vba_project()'``."""
    seen = lo_inspect(xlsm)
    module = next(src for lib in seen["modules"].values() for m, src in lib.items() if m == MODULE)
    assert _lo_source(module) == vba_ascii(read_bas()).strip("\n")


def test_template_content_survives_packing(xlsm, soffice):
    seen = soffice.sheets(xlsm)
    header = seen[L.SHEET_INDICATORS][0]
    for key in ("code", "name", "weight", "actual", "score"):
        assert L.COLUMNS_BY_KEY[key].header in header
    assert any(row and row[0] == "单位名称" for row in seen[L.SHEET_INFO])


def test_package_is_macro_enabled(xlsm):
    with zipfile.ZipFile(xlsm) as zf:
        ct = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in ct
        assert 'Extension="bin" ContentType="application/vnd.ms-office.vbaProject"' in ct
        assert "relationships/vbaProject" in zf.read("xl/_rels/workbook.xml.rels").decode()
        assert 'codeName="ThisWorkbook"' in zf.read("xl/workbook.xml").decode()
        vml = [n for n in zf.namelist() if n.endswith(".vml")]
        assert any(b"[0]!PerfxlScore" in zf.read(n) for n in vml)


def test_bas_file_is_gbk_with_chinese_guidance():
    raw = BAS.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    text = read_bas()
    assert "导入文件" in text and "pip install perfxl" in text and "xlwings addin install" in text
    assert procedures(text) == EXPECTED
    assert re.search(r'^Attribute VB_Name = "perfxl"$', text, re.M)


def test_vba_ascii_keeps_every_string():
    """Chinese strings survive as ChrW() calls, character for character; lines stay under VBA's
    1023-character limit."""
    src = read_bas()
    out = vba_ascii(src)
    assert out.isascii()
    assert all(len(line) < 1023 for line in out.splitlines())

    def decode(expr: str) -> str:
        parts = re.findall(r'"((?:[^"]|"")*)"|ChrW\(&H([0-9A-F]{4})\)', expr)
        return "".join(s.replace('""', '"') if s else chr(int(h, 16)) for s, h in parts)

    original = re.findall(r'"(?:[^"]|"")*[^\x00-\x7f](?:[^"]|"")*"', "\n".join(
        l for l in src.splitlines() if not l.lstrip().startswith("'")))
    converted = re.findall(r"\((?:\"(?:[^\"]|\"\")*\"|ChrW\(&H[0-9A-F]{4}\)|\s*&\s*)+\)", out)
    assert original and len(original) == len(converted)
    for a, b in zip(original, converted):
        assert decode(b) == a[1:-1].replace('""', '"')


def test_buttons_on_a_sheet_with_notes_keep_the_notes(tmp_path, lo_inspect):
    from openpyxl import load_workbook

    path = write_xlsm(tmp_path / "notes.xlsm", sheet=L.SHEET_INDICATORS)
    notes = sum(1 for row in load_workbook(path)[L.SHEET_INDICATORS].iter_rows() for c in row if c.comment)
    assert notes > 0
    seen = lo_inspect(path)
    assert seen["notes"][L.SHEET_INDICATORS] == notes
    assert {c["label"] for c in seen["controls"] if c["sheet"] == L.SHEET_INDICATORS} == \
        {b.caption for b in BUTTONS}
