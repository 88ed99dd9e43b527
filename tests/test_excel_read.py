"""Reading through xlwings gives the file reader's grids and the same scoring result.

The workbook is handed to xlwings' own Book API on its JSON engine (the engine of xlwings
Server and Lite), built from the file's contents; nothing here is a hand-written fake of xlwings.
That engine is xlwings PRO: free for noncommercial use under the PolyForm Noncommercial licence
(key ``noncommercial``), a paid licence otherwise (see /work/notes/xlwings_findings.md).
"""
from __future__ import annotations

import datetime as dt
import os

import pytest
from openpyxl import load_workbook

from perfxl.check.problems import UnusableInput
from perfxl.io.read import CellMark, read_book
from perfxl.model import layout as L

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def excel_book(path):
    from devtools.xlwings_json import json_book, workbook_json

    return json_book(workbook_json(path))


def trimmed(rows):
    out = [list(r) for r in rows]
    for r in out:
        while r and r[-1] is None:
            r.pop()
    while out and not out[-1]:
        out.pop()
    return out


def fingerprint(result) -> dict:
    from perfxl.score.engine import record

    return record(result).to_dict()


def column(wb, key: str) -> str:
    """Column letter of a 指标评分 header, found by its name (columns move as the layout grows)."""
    ws = wb[L.SHEET_INDICATORS]
    for cell in ws[1]:
        if cell.value == L.COLUMNS_BY_KEY[key].header:
            return cell.column_letter
    raise AssertionError(f"no header {L.COLUMNS_BY_KEY[key].header}")


def assert_same(path):
    from perfxl.excel.read import book_to_rawbook
    from perfxl.score.pipeline import run

    raw = book_to_rawbook(excel_book(path), path=path)
    from_file = read_book(path)
    assert raw.sheet_names == from_file.sheet_names
    for name in from_file.sheet_names:
        assert trimmed(raw.sheets[name].rows) == trimmed(from_file.sheets[name].rows), name
    via_excel, via_file = run(path, book=raw), run(path)
    a, b = fingerprint(via_excel), fingerprint(via_file)
    assert a["total"] == b["total"] and a["grade"] == b["grade"]
    assert [(i["code"], i["score"], i["rule_score"]) for i in a["indicators"]] == \
        [(i["code"], i["score"], i["rule_score"]) for i in b["indicators"]]
    assert [(p["sheet"], p["cell"], p["message"]) for p in a["problems"]] == \
        [(p["sheet"], p["cell"], p["message"]) for p in b["problems"]]
    assert a == b
    return via_excel, raw


def test_public_example_scores_the_same_through_xlwings(example):
    result, _ = assert_same(example)
    assert result.total == pytest.approx(88.78) and result.grade == "良"
    assert len(result.indicators) == 44


def test_broken_workbook_gives_the_same_problems_through_xlwings(make_workbook, soffice, tmp_path):
    def mutate(wb):
        ws, col = wb[L.SHEET_INDICATORS], lambda key: column(wb, key)
        ws[f"{col('weight')}5"] = "两分"
        ws[f"{col('method')}6"] = "按心情"
        ws[f"{col('actual')}16"] = "=1/0"
        ws[f"{col('actual')}17"] = "=#REF!+1"
        ws[f"{col('actual')}18"] = None
        ws[f"{col('evaluator_score')}2"] = 5
        wb[L.SHEET_INFO]["B4"] = "二〇二二"
    src = make_workbook(mutate=mutate, name="broken.xlsx")
    soffice.convert(src, "xlsx", tmp_path / "lo")          # LibreOffice calculates: cached #DIV/0!
    path = tmp_path / "lo" / "broken.xlsx"
    result, raw = assert_same(path)
    assert result.has_errors and len(result.problems) >= 6
    wb = load_workbook(path)
    actual = wb[L.SHEET_INDICATORS][f"{column(wb, 'actual')}16"]
    assert raw.sheets[L.SHEET_INDICATORS].marks[(15, actual.column - 1)] == CellMark("error", "#DIV/0!")
    assert any("#DIV/0!" in p.message and p.cell == actual.coordinate for p in result.problems)


def test_unusable_workbook_gives_the_same_problems_through_xlwings(make_workbook):
    from perfxl.excel.read import book_to_rawbook
    from perfxl.score.pipeline import run

    path = make_workbook(mutate=lambda wb: wb.remove(wb[L.SHEET_INDICATORS]), name="nosheet.xlsx")
    with pytest.raises(UnusableInput) as via_file:
        run(path)
    with pytest.raises(UnusableInput) as via_excel:
        run(path, book=book_to_rawbook(excel_book(path), path=path))
    assert [p.to_dict() for p in via_excel.value.problems] == [p.to_dict() for p in via_file.value.problems]


def test_values_as_live_excel_returns_them():
    """What the Windows/macOS engines give (ints for untranslated errors, datetimes) is aligned
    with python-calamine."""
    from perfxl.excel.read import _cell

    assert _cell(-2146826281) == (None, CellMark("error", "#DIV/0!"))     # COM #DIV/0!
    assert _cell(-2146826243) == (None, CellMark("error", "#SPILL!"))     # newer error, left as int
    assert _cell("#N/A") == (None, CellMark("error", "#N/A"))
    assert _cell(2022) == (2022.0, None) and isinstance(_cell(2022)[0], float)
    assert _cell(True) == (True, None)
    assert _cell("") == (None, None)
    assert _cell(dt.datetime(2023, 6, 30)) == (dt.date(2023, 6, 30), None)
    assert _cell(dt.datetime(2023, 6, 30, 12, 30)) == (dt.datetime(2023, 6, 30, 12, 30), None)
    assert _cell(dt.datetime(1899, 12, 30, 8, 30)) == (dt.time(8, 30), None)


def test_only_the_sheets_asked_for_are_read(example):
    from perfxl.excel.read import book_to_rawbook

    raw = book_to_rawbook(excel_book(example), sheets=lambda names: [n for n in names if n == L.SHEET_INFO])
    assert list(raw.sheets) == [L.SHEET_INFO] and L.SHEET_INDICATORS in raw.sheet_names
    assert raw.path.name == example.name


def test_recorded_writes_replay_onto_the_file(example, soffice, tmp_path):
    """What code writes through xlwings' Book API is recorded as actions; replayed onto the file
    they give a workbook LibreOffice opens, with the values, note and new sheet in place."""
    from openpyxl import load_workbook

    from devtools.xlwings_json import apply_actions

    book = excel_book(example)
    info = book.sheets[L.SHEET_INFO]
    info["E2"].value = [["总分", 88.78], ["等级", "良"]]
    info["F2"].number_format = "0.00"
    info["F2"].color = "#FFF2CC"
    info["F2"].add_note("由 perfxl 写入")
    new = book.sheets.add("检查", after=book.sheets[L.SHEET_INFO])
    new["A1"].value = "问题"
    book.app.alert("评分完成：88.78 分（良）", title="perfxl", buttons="ok", mode="info")
    assert info["E2"].value is None                       # the snapshot does not change: actions only

    wb = load_workbook(example)
    alerts = apply_actions(wb, book.json()["actions"])
    assert alerts == [{"prompt": "评分完成：88.78 分（良）", "title": "perfxl", "buttons": "ok", "mode": "info"}]
    out = tmp_path / "replayed.xlsx"
    wb.save(out)
    check = load_workbook(out)
    assert check[L.SHEET_INFO]["F2"].comment.text == "由 perfxl 写入"
    assert check[L.SHEET_INFO]["F2"].number_format == "0.00"
    assert check.sheetnames.index("检查") == check.sheetnames.index(L.SHEET_INFO) + 1
    seen = soffice.sheets(out)
    assert seen[L.SHEET_INFO][1][4:6] == ["总分", "88.78"] and seen[L.SHEET_INFO][2][4:6] == ["等级", "良"]
    assert seen["检查"][0][0] == "问题"
