"""The Excel entry points (校验 / 评分 buttons), run through xlwings' own Book API on its JSON
engine (the engine of xlwings Server and Lite; no Excel here). What they write is replayed onto
the file and compared with what the command line writes: the two paths must agree exactly.

The JSON engine is xlwings PRO, used here under its PolyForm Noncommercial licence (key
``noncommercial``); the desktop entry points themselves are BSD-licensed xlwings."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from perfxl.model import layout as L

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def open_in_excel(path):
    from devtools.xlwings_json import json_book, workbook_json

    return json_book(workbook_json(path))


def replay(path, book, out):
    """What Excel would hold after the click: the recorded actions applied to the file."""
    from devtools.xlwings_json import apply_actions

    wb = load_workbook(path)
    alerts = apply_actions(wb, book.json()["actions"])
    wb.save(out)
    return alerts


def sheet_values(path) -> dict:
    """Every sheet's values (numbers to 15 significant digits, what Excel shows: openpyxl, which replays
    the Excel side here, stores 16, perfxl's writer the exact double)."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = [[float(f"{c.value:.15g}") if isinstance(c.value, float) else c.value for c in r]
                for r in ws.iter_rows()]
        for r in rows:
            while r and r[-1] is None:
                r.pop()
        while rows and not rows[-1]:
            rows.pop()
        out[ws.title] = rows
    return out


def marks(path) -> dict:
    """Cells carrying a perfxl note, with their fill colour."""
    wb = load_workbook(path)
    return {(ws.title, c.coordinate): (c.comment.text, c.fill.fgColor.rgb[-6:])
            for ws in wb.worksheets for r in ws.iter_rows() for c in r
            if c.comment is not None and c.comment.text.startswith("perfxl：")}


def both_paths(cli, path, tmp_path, *, validate=False):
    import perfxl.excel as excel

    book = open_in_excel(path)
    result = (excel.validate if validate else excel.score)(book)
    alerts = replay(path, book, tmp_path / "excel.xlsx")
    if not validate:
        cli("score", path, "-o", tmp_path / "file.xlsx")
    return book, result, alerts


def test_score_button_writes_what_the_command_line_writes(example, cli, tmp_path, soffice):
    book, result, alerts = both_paths(cli, example, tmp_path)
    assert result.total == 88.78
    assert sheet_values(tmp_path / "excel.xlsx") == sheet_values(tmp_path / "file.xlsx")
    assert marks(tmp_path / "excel.xlsx") == marks(tmp_path / "file.xlsx")
    assert len(marks(tmp_path / "excel.xlsx")) == 4            # the 4 deviations
    [alert] = alerts
    assert "总分 88.78，等级：良" in alert["prompt"] and alert["mode"] == "info"
    actions = {a["func"] for a in book.json()["actions"]}
    assert "save" not in actions                               # never saved behind the user's back
    seen = soffice.sheets(tmp_path / "excel.xlsx")
    assert dict((r[0], r[1]) for r in seen[L.SHEET_SUMMARY] if len(r) > 1)["总分"] == "88.78"


def test_broken_workbook_same_problems_on_both_paths(make_workbook, cli, tmp_path):
    def broken(wb):
        wb[L.SHEET_INDICATORS]["E5"] = "两分"
        wb[L.SHEET_INDICATORS]["H6"] = "按心情"
    path = make_workbook(mutate=broken)
    book, result, alerts = both_paths(cli, path, tmp_path)
    excel, file = sheet_values(tmp_path / "excel.xlsx"), sheet_values(tmp_path / "file.xlsx")
    assert excel[L.SHEET_PROBLEMS] == file[L.SHEET_PROBLEMS]
    assert excel == file
    assert marks(tmp_path / "excel.xlsx") == marks(tmp_path / "file.xlsx")
    [alert] = alerts
    assert alert["mode"] == "critical" and "指标评分!E5" in alert["prompt"]


def test_validate_button_marks_problems_without_scoring(make_workbook, tmp_path):
    def broken(wb):
        wb[L.SHEET_INDICATORS]["E5"] = "两分"
    path = make_workbook(mutate=broken)
    import perfxl.excel as excel

    book = open_in_excel(path)
    excel.validate(book)
    replay(path, book, tmp_path / "v.xlsx")
    values, before = sheet_values(tmp_path / "v.xlsx"), sheet_values(path)
    header = values[L.SHEET_INDICATORS][0]
    score_col = header.index("得分")

    def scores(v):        # the template's own live formulas, nothing scored by the button
        return [r[score_col] if len(r) > score_col else None for r in v[L.SHEET_INDICATORS][1:]]
    assert scores(values) == scores(before)
    assert all(s is None or str(s).startswith("=") for s in scores(values))
    assert any("分值“两分”不是数字" in str(r) for r in values[L.SHEET_PROBLEMS])
    assert ("指标评分", "E5") in marks(tmp_path / "v.xlsx")


def test_second_click_after_a_fix_removes_old_marks(make_workbook, tmp_path):
    import perfxl.excel as excel

    def broken(wb):
        wb[L.SHEET_INDICATORS]["E5"] = "两分"
    path = make_workbook(mutate=broken)
    book = open_in_excel(path)
    excel.score(book)
    first = tmp_path / "first.xlsx"
    replay(path, book, first)
    wb = load_workbook(first)                  # the user corrects the cell and clicks again
    wb[L.SHEET_INDICATORS]["E5"] = 3
    wb.save(first)
    book = open_in_excel(first)
    result = excel.score(book)
    assert result.complete
    replay(first, book, tmp_path / "second.xlsx")
    assert marks(tmp_path / "second.xlsx") == marks(tmp_path / "second.xlsx") and \
        ("指标评分", "E5") not in marks(tmp_path / "second.xlsx")
    cell = load_workbook(tmp_path / "second.xlsx")[L.SHEET_INDICATORS]["E5"]
    assert cell.fill.fgColor.rgb[-6:] == L.PALETTE.input


def test_button_uses_the_calling_workbook(example, tmp_path):
    import perfxl.excel as excel

    book = open_in_excel(example)
    book.set_mock_caller()
    result = excel.score()                      # as RunPython calls it: no argument
    assert result.total == 88.78


def test_unusable_workbook_gives_a_message_box_not_a_traceback(make_workbook, tmp_path):
    import perfxl.excel as excel

    def drop(wb):
        del wb[L.SHEET_INDICATORS]
    path = make_workbook(mutate=drop)
    book = open_in_excel(path)
    assert excel.score(book) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    assert "缺少工作表“指标评分”" in actions[0]["args"][0]


def test_questionnaire_example_through_excel(cli, tmp_path):
    from pathlib import Path

    from perfxl.model.frameworks import examples

    folder = Path(__file__).resolve().parents[1] / "workbook_templates" / "examples"
    src = folder / examples()["project_example"]["output"]
    path = tmp_path / "p.xlsx"
    shutil.copy2(src, path)
    book, result, _ = both_paths(cli, path, tmp_path)
    assert sheet_values(tmp_path / "excel.xlsx") == sheet_values(tmp_path / "file.xlsx")
    assert L.SHEET_SURVEY_STATS in load_workbook(tmp_path / "excel.xlsx").sheetnames


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "@SUM(A1)"])
def test_formula_like_text_stays_text_in_excel_too(make_workbook, tmp_path, text):
    import perfxl.excel as excel

    def note(wb):
        wb[L.SHEET_INDICATORS]["N9"] = text       # 评价说明 of a row with a deviation? any input text
        wb[L.SHEET_INDICATORS]["M9"] = 5          # evaluator figure differs from the rule: the note is shown
    path = make_workbook(mutate=note)
    book = open_in_excel(path)
    excel.score(book)
    sent = [v for a in book.json()["actions"] if a["func"] == "setValues" for row in a["values"] for v in row]
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in sent)


def test_xlwings_lite_script_calls_the_same_entry_points(example):
    """The script users paste into xlwings Lite runs the entry points on the book it is given."""
    from pathlib import Path

    source = (Path(__file__).resolve().parents[1] / "macros" / "xlwings_lite_main.py").read_text(encoding="utf-8")
    namespace: dict = {}
    exec(compile(source, "main.py", "exec"), namespace)
    book = open_in_excel(example)
    namespace["评分"](book)
    alerts = [a for a in book.json()["actions"] if a["func"] == "alert"]
    assert "总分 88.78" in alerts[0]["args"][0]


def test_consolidate_button_draws_the_same_tables_as_the_api(make_workbook, tmp_path):
    import perfxl
    import perfxl.excel as excel
    from perfxl.sheets.template import admin_workbook

    folder = tmp_path / "收回"
    folder.mkdir()
    for unit, fix in (("甲单位", None), ("乙单位", "两分"), ("丙单位", None)):
        def info(wb, unit=unit, fix=fix):
            wb[L.SHEET_INFO]["B2"] = unit
            if fix:
                wb[L.SHEET_INDICATORS]["E5"] = fix      # a broken file: not included
        shutil.copy2(make_workbook(mutate=info, name=f"{unit}.xlsx"), folder / f"{unit}.xlsx")
    wb = admin_workbook()
    wb[L.SHEET_CONS_SETUP]["B2"] = str(folder)
    admin = tmp_path / "汇总.xlsx"
    wb.save(admin)
    book = open_in_excel(admin)
    cons = excel.consolidate(book)
    assert (cons.found, cons.included) == (3, 2)
    replay(admin, book, tmp_path / "after.xlsx")
    values = sheet_values(tmp_path / "after.xlsx")
    api = perfxl.consolidate([folder], jobs=1)
    from perfxl.batch.tables import display_frame

    assert values[L.SHEET_CONS_SUMMARY][0] == list(display_frame(api.summary).columns)
    assert [r[0] for r in values[L.SHEET_CONS_SUMMARY][1:]] == list(api.summary.iloc[:, 0])
    assert len(values[L.SHEET_CONS_REJECTED]) == 2          # header + the broken file
    alert = [a for a in book.json()["actions"] if a["func"] == "alert"][0]["args"][0]
    assert "共找到 3 个文件：纳入 2 个，未纳入 1 个" in alert


def test_summary_workbook_from_the_command_line(cli, tmp_path):
    run = cli("template", "--summary")
    assert run.code == 0, run.text
    import zipfile

    assert "xl/vbaProject.bin" in zipfile.ZipFile(tmp_path / "汇总.xlsm").namelist()
    assert L.SHEET_CONS_SETUP in load_workbook(tmp_path / "汇总.xlsm").sheetnames


def test_a_formula_reaches_excel_as_a_formula(example, tmp_path):
    """The xlwings back end takes the same Formula values as the file back ends: Excel gets the formula
    (and calculates it), text that looks like one stays text."""
    from perfxl.sheets.canvas import Formula, XlwingsCanvas

    book = open_in_excel(example)
    XlwingsCanvas(book).write(L.SHEET_INDICATORS, 60, 1, [[Formula("SUM(E2:E4)", 7), "=不是公式"]])
    replay(example, book, tmp_path / "f.xlsx")
    ws = load_workbook(tmp_path / "f.xlsx")[L.SHEET_INDICATORS]
    assert ws["A60"].value == "=SUM(E2:E4)"
    assert ws["B60"].value == "=不是公式" and ws["B60"].data_type == "s"


class _DesktopSheetApi:
    """What desktop Excel's COM object says of a sheet the user protected with a password."""

    ProtectContents = True

    def Unprotect(self, *args):
        raise RuntimeError("(-2147352567, '发生意外。', (0, 'Microsoft Excel', '密码不正确。'))")

    def Protect(self, *args, **kw):
        pass


def test_a_sheet_protected_with_a_password_is_named_and_nothing_is_written(example, monkeypatch):
    """评分 on a workbook whose 指标评分 the user protected with a password: Excel refused the unprotect,
    perfxl carried on, and every write into that sheet failed with a COM error after the other sheets had
    been half written (a traceback in xlwings' error box). Now the sheet is named before anything is
    written, with how to lift the protection."""
    import xlwings

    import perfxl.excel as excel

    real = xlwings.main.Sheet.api
    monkeypatch.setattr(xlwings.main.Sheet, "api", property(
        lambda sh: _DesktopSheetApi() if sh.name == L.SHEET_INDICATORS else real.fget(sh)))
    book = open_in_excel(example)
    assert excel.score(book) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]           # the workbook untouched
    text = actions[0]["args"][0]
    assert "工作表“指标评分”设置了保护密码" in text and "撤消工作表保护" in text and "Traceback" not in text


def test_excel_refusing_a_write_gives_a_message_not_a_traceback(example, monkeypatch):
    """Excel refuses writes while a cell is being edited (and in other states the harness cannot open): the
    exception escaped the button as a Python traceback; now a message says the results may be partly
    written and that clicking again writes them all."""
    import perfxl.excel as excel
    from perfxl.sheets.canvas import XlwingsCanvas

    def refused(self, *args, **kw):
        raise OSError("(-2146777998, 'OLE error 0x800ac472', None, None)")

    monkeypatch.setattr(XlwingsCanvas, "fill", refused)
    book = open_in_excel(example)
    assert excel.score(book) is None
    [alert] = [a for a in book.json()["actions"] if a["func"] == "alert"]
    text = alert["args"][0]
    assert "结果可能只写入了一部分" in text and "再点一次按钮" in text and "0x800ac472" in text


@pytest.mark.parametrize("folder", [None, "收回"])
def test_consolidate_button_in_an_unsaved_workbook_asks_for_a_folder(tmp_path, monkeypatch, folder):
    """汇总 in a summary workbook not saved yet (Excel calls it 工作簿1, no folder) with no folder, or a relative
    one, on 汇总设置: the folder was taken relative to Excel's working directory, and whatever workbooks lay
    there were consolidated into the summary without a word. Now the user is asked to name the folder."""
    import perfxl.excel as excel
    from devtools.xlwings_json import json_book, workbook_json
    from perfxl.sheets.template import admin_workbook

    wb = admin_workbook()
    wb[L.SHEET_CONS_SETUP]["B2"] = folder
    wb.save(tmp_path / "汇总.xlsx")
    cwd = tmp_path / "cwd"
    (cwd / "收回").mkdir(parents=True)
    shutil.copy2(Path(__file__).resolve().parents[1] / "workbook_templates" / "examples" /
                 "青云谱区总工会2022_部门整体支出绩效评价.xlsx", cwd / "收回" / "某单位.xlsx")
    shutil.copy2(cwd / "收回" / "某单位.xlsx", cwd / "某单位.xlsx")
    monkeypatch.chdir(cwd)
    data = workbook_json(tmp_path / "汇总.xlsx")
    data["book"]["name"] = "工作簿1"
    book = json_book(data)
    assert excel.consolidate(book) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    assert "还没有保存" in actions[0]["args"][0] and "汇总设置" in actions[0]["args"][0]


@pytest.mark.parametrize("refusal", ["password", "busy"])
def test_consolidate_button_refused_before_writing_leaves_the_workbook_untouched_and_says_so(
        make_workbook, tmp_path, monkeypatch, refusal):
    """汇总 clicked again in a summary workbook whose 汇总 sheet the user protected with a password, or
    while Excel refuses every call (a cell being edited while the folder was read): the sheets were unlocked
    inside the step that writes, so a refusal there said the results might be partly written although
    nothing was. The unlock is now a step of its own: nothing written, and the message says so."""
    import xlwings

    import perfxl.excel as excel
    from perfxl.sheets.canvas import XlwingsCanvas
    from perfxl.sheets.template import admin_workbook

    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(make_workbook(name="甲单位.xlsx"), folder / "甲单位.xlsx")
    wb = admin_workbook()
    wb[L.SHEET_CONS_SETUP]["B2"] = str(folder)
    wb.create_sheet(L.SHEET_CONS_SUMMARY)                     # an earlier click's
    admin = tmp_path / "汇总.xlsx"
    wb.save(admin)
    if refusal == "password":
        real = xlwings.main.Sheet.api
        monkeypatch.setattr(xlwings.main.Sheet, "api", property(
            lambda sh: _DesktopSheetApi() if sh.name == L.SHEET_CONS_SUMMARY else real.fget(sh)))
    else:
        def busy(self):
            raise OSError("(-2146777998, 'OLE error 0x800ac472', None, None)")

        monkeypatch.setattr(XlwingsCanvas, "names", busy)
    book = open_in_excel(admin)
    assert excel.consolidate(book) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]           # the workbook untouched
    text = actions[0]["args"][0]
    assert "未被修改" in text and "一部分" not in text and "Traceback" not in text
    if refusal == "password":
        assert f"工作表“{L.SHEET_CONS_SUMMARY}”设置了保护密码" in text


def test_consolidate_button_with_excel_busy_reading_its_settings_says_so(tmp_path, monkeypatch):
    """Excel refusing the first read of 汇总设置 (a cell being edited when the button is clicked): the
    settings were read outside any guard, so the user met a Python traceback. Now a message box says
    Excel refused, that nothing was changed, and how to go on; not “perfxl 内部错误”."""
    import xlwings

    import perfxl.excel as excel
    from perfxl.sheets.template import admin_workbook

    admin = tmp_path / "汇总.xlsx"
    admin_workbook().save(admin)
    book = open_in_excel(admin)

    def busy(self):
        raise OSError("(-2146777998, 'OLE error 0x800ac472', None, None)")

    monkeypatch.setattr(xlwings.main.Range, "value", property(busy))
    assert excel.consolidate(book) is None
    actions = book.json()["actions"]
    assert [a["func"] for a in actions] == ["alert"]
    text = actions[0]["args"][0]
    assert "Excel 拒绝了这次操作" in text and "未被修改" in text and "按 Enter 或 Esc" in text
    assert "内部错误" not in text


def test_a_write_excel_refuses_puts_the_templates_protection_back(example, monkeypatch):
    """评分 lifts the template's sheet protection to write, then Excel refuses a write (a cell being
    edited): the protection was put back only after a write that succeeded, so the user's workbook was
    left with its sheets unprotected. It is now put back whatever happens."""
    import xlwings

    import perfxl.excel as excel
    from perfxl.sheets.canvas import XlwingsCanvas

    calls: list[str] = []

    class Protected:                           # the template's protection, without a password
        @property
        def ProtectContents(self):
            return not calls or calls[-1] == "Protect"

        def Unprotect(self, *args):
            calls.append("Unprotect")

        def Protect(self, *args, **kw):
            calls.append("Protect")

    sheet = Protected()
    real = xlwings.main.Sheet.api
    monkeypatch.setattr(xlwings.main.Sheet, "api", property(
        lambda sh: sheet if sh.name == L.SHEET_INDICATORS else real.fget(sh)))

    def refused(self, *args, **kw):
        raise OSError("(-2146777998, 'OLE error 0x800ac472', None, None)")

    monkeypatch.setattr(XlwingsCanvas, "fill", refused)
    book = open_in_excel(example)
    assert excel.score(book) is None
    assert calls[0] == "Unprotect" and calls[-1] == "Protect"


def test_a_step_that_returns_nothing_is_not_taken_for_a_failure(example):
    """The guard around each step of a button returned None for a failure and for a step that returns
    nothing alike (callers added ``or True``): its result now tells them apart."""
    from perfxl.excel.ui import FAILED, guarded

    book = open_in_excel(example)
    assert guarded(book, lambda: None, "无法写入结果") is None
    assert guarded(book, lambda: 1 / 0, "无法写入结果") is FAILED
    [alert] = [a for a in book.json()["actions"] if a["func"] == "alert"]
    assert "ZeroDivisionError" in alert["args"][0]


def test_a_hidden_indicator_row_is_pointed_out_by_the_buttons_as_by_the_command_line(example, cli, tmp_path,
                                                                                       monkeypatch):
    """An indicator row the user hid in 指标评分 is still scored: the command line warns (row_hidden) and the
    校验/评分 buttons said nothing, as the Excel reader never asked which rows are hidden. It now asks desktop
    Excel (rows.hidden, answered here from the file as Excel answers it: True, False, or None when mixed);
    xlwings Server/Lite cannot tell synchronously, and read as before."""
    from xlwings.pro import _xlremote

    import perfxl.excel as excel

    path = tmp_path / "隐藏行.xlsx"
    wb = load_workbook(example)
    wb[L.SHEET_INDICATORS].row_dimensions[6].hidden = True
    wb[L.SHEET_INDICATORS].row_dimensions[7].hidden = True
    wb.save(path)
    hidden = {ws.title: {r for r, d in ws.row_dimensions.items() if d.hidden} for ws in load_workbook(path)}

    def row_hidden(rng):                                # what desktop Excel's Rows.Hidden says
        states = {r in hidden[rng.sheet.name] for r in range(rng.row, rng.row + rng.shape[0])}
        return states.pop() if len(states) == 1 else None

    def warned(problems) -> list[tuple[str, str]]:
        return sorted((p["sheet"], p["cell"]) for p in problems if p["code"] == "row_hidden")

    by_cli = warned(cli("validate", path, "--json").json()["problems"])
    assert by_cli == [(L.SHEET_INDICATORS, "A6"), (L.SHEET_INDICATORS, "A7")]
    monkeypatch.setattr(_xlremote.Range, "row_hidden", property(row_hidden))
    result = excel.validate(open_in_excel(path))
    assert warned(p.to_dict() for p in result.problems) == by_cli
