"""A workbook file as the JSON description that xlwings' remote engine works on.

xlwings Server and xlwings Lite hand Python a JSON description of the open workbook
(``xw.Book(json=...)``); writes are not applied to it but recorded as actions
(``book.json()["actions"]``) that the Excel side replays. This module builds that description
from a file, the way the Office.js client does (values from A1 to the last used cell, blanks
as "", error values as their literal, dates as ISO strings), and replays recorded actions onto
an openpyxl workbook, so that the Excel entry points can be tested without Excel.

The remote engine is part of xlwings PRO (PolyForm Noncommercial or a paid licence, see
/work/notes/xlwings_findings.md): building the description needs no xlwings at all; turning
it into a Book needs the ``remote`` engine, i.e. an xlwings licence key in the environment.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

#: client name the remote engine checks for notes, comments and gridlines (xlwings Lite)
CLIENT = "Office.js"


def _cell_json(value: Any) -> Any:
    """One cell as the Office.js client sends it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return f"{value.isoformat()}T00:00:00.000Z"
    if isinstance(value, dt.time):
        return f"1899-12-30T{value.strftime('%H:%M:%S')}.000Z"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)           # JSON.stringify(2022.0) == "2022"
    if isinstance(value, (int, float, str)):
        return value
    return str(value)


def workbook_json(path: str | Path, version: str | None = None) -> dict:
    """The JSON description of a workbook file, as xlwings Lite's Office.js client sends it.

    Cached values only (what Excel shows); formulas are not part of the payload.
    """
    import openpyxl
    from openpyxl.utils import get_column_letter

    if version is None:
        try:
            from importlib.metadata import version as _version
            version = _version("xlwings")
        except Exception:  # pragma: no cover - xlwings not installed
            version = "0.0.0"
    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        nrows, ncols = ws.max_row, ws.max_column
        empty = nrows == 1 and ncols == 1 and ws.cell(1, 1).value is None
        values = [[_cell_json(c.value) for c in row]
                  for row in ws.iter_rows(min_row=1, max_row=nrows, max_col=ncols)] if not empty else [[""]]
        notes = [{"address": f"${get_column_letter(c.column)}${c.row}"}
                 for row in ws.iter_rows() for c in row if c.comment is not None]
        sheets.append({
            "name": ws.title,
            "values": values,
            "used_range_address": None if empty else f"$A$1:${get_column_letter(ncols)}${nrows}",
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
            "notes": notes,
            "notes_supported": True,
            "pictures": [], "shapes": [], "charts": [], "tables": [], "pivot_tables": [],
            "print_area": None,
            "show_gridlines": bool(ws.sheet_view.showGridLines is not False),
        })
    names = []
    for name, dn in wb.defined_names.items():
        dests = list(dn.destinations)
        if len(dests) != 1 or dests[0][0] not in wb.sheetnames:
            continue
        sheet, ref = dests[0]
        names.append({"name": name, "sheet_index": wb.sheetnames.index(sheet),
                      "address": ref.replace("$", ""), "refers_to": f"={dn.attr_text}",
                      "scope_sheet_name": None, "scope_sheet_index": None, "book_scope": True})
    active = wb.sheetnames.index(wb.active.title) if wb.active is not None else 0
    return {
        "client": CLIENT,
        "version": version,
        "book": {"name": path.name, "active_sheet_index": active, "selection": "A1"},
        "names": names,
        "sheets": sheets,
    }


# --- replaying recorded actions onto an openpyxl workbook ---------------------------------

def apply_actions(wb, actions: list[dict]) -> list[dict]:
    """Apply the actions of ``book.json()`` to an openpyxl workbook, as the Excel side would.

    Covers what perfxl writes (values, number formats, fills, fonts, notes, column widths,
    wrapping, sheets added/cleared/deleted/renamed/activated). Returns the ``alert`` actions
    (message boxes) in order. Unknown actions raise, so a test notices what it cannot see.
    """
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    alerts: list[dict] = []

    def sheet(a):
        return wb.worksheets[a["sheet_position"]]

    def cells(a):
        ws = sheet(a)
        r0, c0 = a["start_row"] + 1, a["start_column"] + 1
        for r in range(r0, r0 + a["row_count"]):
            for c in range(c0, c0 + a["column_count"]):
                yield ws.cell(r, c)

    def from_json(v):
        if v == "":
            return None
        if isinstance(v, str) and len(v) >= 10 and v[4:5] == "-" and v[7:8] == "-":
            try:
                d = dt.datetime.fromisoformat(v)
                return d
            except ValueError:
                return v
        return v

    for a in actions:
        f, args = a["func"], a.get("args") or [None]
        if f == "setValues":
            ws = sheet(a)
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    cell = ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                    if isinstance(v, str) and v.startswith("'"):      # Excel: a leading ' means text
                        cell.value = v[1:]
                        cell.data_type = "s"
                    else:
                        cell.value = from_json(v)
        elif f == "setFormula":                                     # Excel calculates it itself
            ws = sheet(a)
            for i, row in enumerate(a["values"]):
                for j, v in enumerate(row):
                    ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j).value = v
        elif f == "setNumberFormat":
            for c in cells(a):
                c.number_format = args[0]
        elif f == "setRangeColor":
            for c in cells(a):
                c.fill = PatternFill() if args[0] is None else \
                    PatternFill("solid", fgColor=args[0].lstrip("#").upper())
        elif f == "setRangeColors":
            ws = sheet(a)
            for i, row in enumerate(args[0]):
                for j, color in enumerate(row):
                    if color == "keep":
                        continue
                    cell = ws.cell(a["start_row"] + 1 + i, a["start_column"] + 1 + j)
                    cell.fill = PatternFill() if color is None else \
                        PatternFill("solid", fgColor=color.lstrip("#").upper())
        elif f == "setFontProperty":
            prop, value = args[0], args[1]
            for c in cells(a):
                kw = {"color": value.lstrip("#").upper()} if prop == "color" else {prop: value}
                c.font = Font(**{**_font_kw(c.font), **kw})
        elif f == "setWrapText":
            for c in cells(a):
                c.alignment = Alignment(wrap_text=bool(args[0]), vertical=c.alignment.vertical,
                                        horizontal=c.alignment.horizontal)
        elif f == "setColumnWidth":
            from openpyxl.utils import get_column_letter
            ws = sheet(a)
            for c in range(a["start_column"] + 1, a["start_column"] + 1 + a["column_count"]):
                ws.column_dimensions[get_column_letter(c)].width = args[0]
        elif f in ("addNote", "setNoteText"):
            ws = sheet(a)
            ws[args[0].replace("$", "")].comment = Comment(args[1], "perfxl")
        elif f == "freezePaneAtRange":
            sheet(a).freeze_panes = str(args[0]).replace("$", "").split(":")[0]
        elif f == "deleteNote":
            sheet(a)[args[0].replace("$", "")].comment = None
        elif f == "setSheetVisibility":
            sheet(a).sheet_state = "visible" if args[0] == "Visible" else "hidden"
        elif f in ("rangeClear", "rangeClearContents"):
            for c in cells(a):
                c.value = None
                if f == "rangeClear":
                    c.style = "Normal"
                    c.comment = None
        elif f in ("sheetClear", "sheetClearContents"):
            ws = sheet(a)
            for row in ws.iter_rows():
                for c in row:
                    c.value = None
                    if f == "sheetClear":
                        c.style = "Normal"
                        c.comment = None
        elif f == "addSheet":
            wb.create_sheet(args[1], args[0])
        elif f == "sheetDelete":
            wb.remove(sheet(a))
        elif f == "setSheetName":
            sheet(a).title = args[0]
        elif f == "activateSheet":
            wb.active = int(args[0])
        elif f == "alert":
            alerts.append({"prompt": args[0], "title": args[1], "buttons": args[2], "mode": args[3]})
        elif f in ("setAutofit", "setSheetAutofit", "setScreenUpdating", "calculate"):
            pass                      # presentation only: nothing a file check can see
        else:
            raise NotImplementedError(f"apply_actions: action {f!r} not supported")
    return alerts


def _font_kw(font) -> dict:
    return {"name": font.name, "size": font.size, "bold": font.bold, "italic": font.italic,
            "color": font.color}


def json_book(data: dict):
    """``xlwings.Book(json=data)`` on the remote engine (xlwings PRO: needs XLWINGS_LICENSE_KEY,
    e.g. ``noncommercial`` under the PolyForm Noncommercial licence, or a paid key)."""
    import xlwings as xw

    if "remote" not in [e.name for e in xw.engines]:
        try:   # xlwings was imported before the key was set: register the engine now
            from xlwings.pro import _xlremote
        except Exception as e:
            raise RuntimeError("xlwings 的 remote 引擎不可用：需要设置环境变量 XLWINGS_LICENSE_KEY"
                               "（非商业用途可设为 noncommercial，商业用途需购买 xlwings PRO 许可）") from e
        xw.engines.add(xw.Engine(impl=_xlremote.engine))
    return xw.Book(json=data, engine="remote")
