"""LibreOffice (headless, through UNO) for the macro-enabled workbook. Stdlib + ``uno`` only.

Run with a Python that has LibreOffice's ``uno`` module (Debian: package python3-uno, used by
/usr/bin/python3), never imported by perfxl itself:

    python3 lo_uno.py build-vba OUT.xlsm MODULE SOURCE_FILE   # a workbook whose VBA project
                                                              # holds MODULE (LibreOffice writes
                                                              # xl/vbaProject.bin from it)
    python3 lo_uno.py inspect FILE                            # JSON: sheets, form controls and
                                                              # the Basic/VBA modules LibreOffice
                                                              # sees when it opens FILE
    python3 lo_uno.py recalc JOBS.json                        # JSON: for each workbook, type text
                                                              # into cells as a user would, force a
                                                              # full recalculation, read ranges,
                                                              # save copies (.xlsx / .ods)
    python3 lo_uno.py docx-pdf DOCX PDF [DOCX PDF ...]        # Word documents to PDF, their tables of
                                                              # contents and fields updated first (as
                                                              # a user does with 更新目录), one office
    python3 lo_uno.py decorate IN OUT SPEC.json               # what a user adds in LibreOffice Calc:
                                                              # pictures, a chart, notes, a button,
                                                              # rich text, a conditional format, a
                                                              # named range, formulas; saved as .xlsx
    python3 lo_uno.py type SRC SPEC.json OUT...               # type into SRC's cells exactly what a
                                                              # person types, save as each OUT
                                                              # (.xlsx or .ods); prints JSON of what
                                                              # Calc shows in each typed cell

JOBS.json: {"jobs": [{"path": FILE, "insert_rows": [[SHEET, 5, 1]] (1-based row, count: before typing),
                      "type": [[SHEET, "A1", "96%"], [SHEET, "A2", "62家", "text"], ...],
                      "read": [[SHEET, "A1:K40"], ...], "save": ["out.xlsx", "out.ods"]}]}
           (or "steps": [{"type": ..., "read": ..., "save": ...}, ...], each step recalculating)
Output: {"results": [{"opened": true, "steps": [{"SHEET!A1": ["num"|"text"|"error"|"empty", value]}]}]}
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import uno  # noqa: E402  (LibreOffice's Python bridge)
from com.sun.star.beans import PropertyValue  # noqa: E402

PROJECT = "VBAProject"


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


class Office:
    """A private headless soffice, connected over a named pipe."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="perfxl-lo-")
        self.pipe = f"perfxl{os.getpid()}"
        exe = shutil.which("soffice") or shutil.which("libreoffice") or "soffice"
        self.proc = subprocess.Popen(
            [exe, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             "-env:UserInstallation=" + uno.systemPathToFileUrl(self.profile),
             f"--accept=pipe,name={self.pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                self.ctx = resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.close()
                    raise RuntimeError("LibreOffice did not start") from None
                time.sleep(0.2)
        self.desktop = self.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def open(self, url):
        return self.desktop.loadComponentFromURL(url, "_blank", 0, (
            _prop("Hidden", True), _prop("ReadOnly", False),
            # load VBA as code, do not run anything
            _prop("MacroExecutionMode", 0)))

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except Exception:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def build_vba(out, module, source_file):
    """Save a one-sheet workbook whose VBA project holds ``module`` as .xlsm."""
    from com.sun.star.script import ModuleInfo
    from com.sun.star.script.ModuleType import NORMAL

    with open(source_file, encoding="utf-8") as fh:
        code = fh.read()
    office = Office()
    try:
        doc = office.open("private:factory/scalc")
        libs = doc.BasicLibraries
        libs.VBACompatibilityMode = True
        libs.ProjectName = PROJECT
        lib = libs.getByName(PROJECT) if libs.hasByName(PROJECT) else libs.createLibrary(PROJECT)
        info = ModuleInfo()
        info.ModuleType = NORMAL
        lib.insertModuleInfo(module, info)
        lib.insertByName(module, "Option VBASupport 1\n" + code)
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                       (_prop("FilterName", "Calc MS Excel 2007 VBA XML"),))
        doc.close(True)
    finally:
        office.close()


def inspect(path):
    office = Office()
    try:
        doc = office.open(uno.systemPathToFileUrl(os.path.abspath(path)))
        if doc is None:
            return {"opened": False}
        sheets = list(doc.Sheets.ElementNames)
        libs = doc.BasicLibraries
        modules = {}
        for name in libs.ElementNames:
            libs.loadLibrary(name)
            lib = libs.getByName(name)
            modules[name] = {m: lib.getByName(m) for m in lib.ElementNames}
        controls = []
        for sheet_name in sheets:
            page = doc.Sheets.getByName(sheet_name).DrawPage
            for i in range(page.Count):
                shape = page.getByIndex(i)
                model = getattr(shape, "Control", None)
                if model is None:
                    continue
                controls.append({"sheet": sheet_name, "label": getattr(model, "Label", None),
                                 "name": getattr(model, "Name", None),
                                 "events": _control_events(doc, sheet_name, model)})
        vba = bool(getattr(libs, "VBACompatibilityMode", False))
        notes = {s: doc.Sheets.getByName(s).Annotations.Count for s in sheets}
        doc.close(True)
        return {"opened": True, "sheets": sheets, "modules": modules, "controls": controls,
                "notes": notes, "vba_mode": vba}
    finally:
        office.close()


def docx_pdf(pairs):
    """Each DOCX to its PDF: indexes (the 目录) and fields updated, then exported; one office for all.
    Prints one JSON line per document: the number of indexes updated."""
    office = Office()
    try:
        for src, out in pairs:
            doc = office.open(uno.systemPathToFileUrl(os.path.abspath(src)))
            indexes = doc.getDocumentIndexes()
            count = indexes.getCount()
            for i in range(count):
                indexes.getByIndex(i).update()
            doc.getTextFields().refresh()
            doc.refresh()
            for i in range(count):                       # page numbers settle once the TOC has its size
                indexes.getByIndex(i).update()
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)),
                           (_prop("FilterName", "writer_pdf_Export"),))
            doc.close(True)
            print(json.dumps({"file": src, "indexes": count}, ensure_ascii=False), flush=True)
    finally:
        office.close()


def _control_events(doc, sheet_name, model):
    """Script events bound to a form control (macro assigned to the button)."""
    try:
        forms = doc.Sheets.getByName(sheet_name).DrawPage.Forms
        for f in range(forms.Count):
            form = forms.getByIndex(f)
            for i in range(form.Count):
                if form.getByIndex(i) == model:
                    return [e.ScriptCode for e in form.getScriptEvents(i)]
    except Exception:
        pass
    return []


_FILTERS = {".xlsx": "Calc Office Open XML", ".ods": "calc8", ".xls": "MS Excel 97"}


def _cells(ranges):
    out = set()
    for addr in ranges.RangeAddresses:
        for r in range(addr.StartRow, addr.EndRow + 1):
            for c in range(addr.StartColumn, addr.EndColumn + 1):
                out.add((r, c))
    return out


def _read_range(sheet, name, address, out):
    """Every cell of ``address`` as (kind, value): what LibreOffice computed, not a cached value.
    Errors are reported without their text (a few UNO calls for the whole range)."""
    rng = sheet.getCellRangeByName(address)
    start = rng.RangeAddress
    data = rng.DataArray
    errors = _cells(rng.queryFormulaCells(4))          # com.sun.star.sheet.FormulaResult.ERROR
    empty = _cells(rng.queryEmptyCells())
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            r, c = start.StartRow + i, start.StartColumn + j
            ref = f"{name}!{_col(c)}{r + 1}"
            if (r, c) in errors:
                out[ref] = ["error", None]
            elif (r, c) in empty:
                out[ref] = ["empty", None]
            elif isinstance(v, str):
                out[ref] = ["text", v]
            else:
                out[ref] = ["num", v]


def _col(c):
    s = ""
    c += 1
    while c:
        c, m = divmod(c - 1, 26)
        s = chr(65 + m) + s
    return s


def recalc(jobs_file):
    with open(jobs_file, encoding="utf-8") as fh:
        jobs = json.load(fh)["jobs"]
    office = Office()
    results = []
    try:
        for job in jobs:
            doc = office.open(uno.systemPathToFileUrl(os.path.abspath(job["path"])))
            if doc is None:
                results.append({"opened": False})
                continue
            try:
                steps = []
                for step in job.get("steps") or [job]:
                    steps.append(_step(doc, step))
                results.append({"opened": True, "cells": steps[0], "steps": steps})
            finally:
                doc.close(True)
    finally:
        office.close()
    return {"results": results}


def _step(doc, step):
    for sheet_name, row, count in step.get("insert_rows", ()):     # as a user inserts rows (before ``row``)
        doc.Sheets.getByName(sheet_name).Rows.insertByIndex(row - 1, count)
    for sheet_name, address, text, *how in step.get("type", ()):
        cell = doc.Sheets.getByName(sheet_name).getCellRangeByName(address)
        if how == ["text"]:
            cell.setString(text)          # typing into a cell formatted as Text: kept as typed
        else:
            # typing into a General cell: LibreOffice's input parser turns "96%" into 0.96
            # formatted as a percentage, "2023-1-5" into a date, "=1+1" into a formula ...
            cell.setFormula(text)
    doc.calculateAll()
    cells = {}
    for sheet_name, address in step.get("read", ()):
        _read_range(doc.Sheets.getByName(sheet_name), sheet_name, address, cells)
    for out in step.get("save", ()):
        ext = os.path.splitext(out)[1].lower()
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (_prop("FilterName", _FILTERS[ext]),))
    return cells


def _size(w, h):
    from com.sun.star.awt import Size

    s = Size()
    s.Width, s.Height = w, h
    return s


def _point(x, y):
    from com.sun.star.awt import Point

    p = Point()
    p.X, p.Y = x, y
    return p


def _address(sheet, ref):
    return sheet.getCellRangeByName(ref).getCellAddress()


def decorate(src, out, spec_file):
    """Open ``src``, add what ``spec`` lists (each key optional), save as .xlsx to ``out``.

    spec: {"picture": [sheet, cell, png], "chart": [sheet, "A1:B5", cell], "notes": [[sheet, cell, text]],
    "button": [sheet, label], "rich": [sheet, cell, bold, plain], "conditional": [sheet, "A1:A9"],
    "name": [name, "$Sheet.$A$1:$A$3"], "formulas": [[sheet, cell, formula]]}"""
    with open(spec_file, encoding="utf-8") as fh:
        spec = json.load(fh)
    office = Office()
    try:
        doc = office.open(uno.systemPathToFileUrl(os.path.abspath(src)))
        sheets = doc.Sheets
        if "picture" in spec:
            name, cell, png = spec["picture"]
            sheet = sheets.getByName(name)
            shape = doc.createInstance("com.sun.star.drawing.GraphicObjectShape")
            provider = office.ctx.ServiceManager.createInstanceWithContext("com.sun.star.graphic.GraphicProvider",
                                                                             office.ctx)
            shape.Graphic = provider.queryGraphic((_prop("URL", uno.systemPathToFileUrl(os.path.abspath(png))),))
            sheet.DrawPage.add(shape)
            shape.setSize(_size(2000, 2000))
            shape.Anchor = sheet.getCellRangeByName(cell)
        if "chart" in spec:
            name, rng, cell = spec["chart"]
            sheet = sheets.getByName(name)
            r = sheet.getCellRangeByName(rng).getRangeAddress()
            pos = sheet.getCellRangeByName(cell).Position
            from com.sun.star.awt import Rectangle

            rect = Rectangle()
            rect.X, rect.Y, rect.Width, rect.Height = pos.X, pos.Y, 8000, 5000
            sheet.Charts.addNewByName("图表1", rect, (r,), True, False)
        for name, cell, text in spec.get("notes", []):
            sheet = sheets.getByName(name)
            sheet.Annotations.insertNew(_address(sheet, cell), text)
        if "button" in spec:
            name, label = spec["button"]
            sheet = sheets.getByName(name)
            shape = doc.createInstance("com.sun.star.drawing.ControlShape")
            model = doc.createInstance("com.sun.star.form.component.CommandButton")
            model.Label = label
            model.Name = "按钮1"
            shape.Control = model
            shape.setSize(_size(3000, 800))
            shape.setPosition(_point(12000, 500))
            sheet.DrawPage.add(shape)
        if "rich" in spec:
            name, cell, bold, plain = spec["rich"]
            c = sheets.getByName(name).getCellRangeByName(cell)
            c.setString("")
            text = c.getText()
            cursor = text.createTextCursor()
            cursor.CharWeight = 150.0
            text.insertString(cursor, bold, False)
            cursor.CharWeight = 100.0
            text.insertString(cursor, plain, False)
        if "conditional" in spec:
            from com.sun.star.sheet.ConditionOperator import GREATER

            name, rng = spec["conditional"]
            target = sheets.getByName(name).getCellRangeByName(rng)
            entries = target.ConditionalFormat
            entries.addNew((_prop("Operator", GREATER), _prop("Formula1", "0"), _prop("StyleName", "Good")))
            target.ConditionalFormat = entries
        if "name" in spec:
            name, content = spec["name"]
            doc.NamedRanges.addNewByName(name, content, _address(sheets.getByIndex(0), "A1"), 0)
        for name, cell, formula in spec.get("formulas", []):
            sheets.getByName(name).getCellRangeByName(cell).setFormula(formula)
        doc.calculateAll()
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
    finally:
        office.close()


def type_cells(src, spec_file, outs):
    """Open ``src``, type each entry of the spec into its cell, save as every file of ``outs``.

    spec: [[sheet, cell, text, how], ...]; how "enter" (default) types the text into the selected cell
    as the keyboard does (Calc's input line: 90% becomes 0.9 with a percent format, 2023-06-30 a date,
    =100% a formula), "formula" sets it with setFormula (no automatic format). Prints JSON: per typed
    cell what Calc shows (string) and holds (value, formula). Each output is typed in a session of its
    own: a headless Calc goes down on the second save of a document typed into."""
    with open(spec_file, encoding="utf-8") as fh:
        spec = json.load(fh)
    seen = None
    for out in outs:
        for attempt in range(3):      # a headless Calc under load sometimes goes down: type it again
            try:
                typed = _type_session(src, spec, out)
                break
            except Exception:
                if attempt == 2:
                    raise
        seen = typed if seen is None else seen
    print(json.dumps(seen or [], ensure_ascii=False))


def _type_session(src, spec, out):
    office = Office()
    copy = os.path.join(office.profile, "typed" + os.path.splitext(src)[1])
    shutil.copyfile(src, copy)         # its lock file stays in the session's own folder
    try:
        doc = office.open(uno.systemPathToFileUrl(copy))
        doc.UndoManager.lock()         # a headless Calc crashes recording undo steps in a loaded file
        typed = _type_into(office, doc, spec)
        doc.calculateAll()
        ext = os.path.splitext(out)[1].lower()
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (_prop("FilterName", _FILTERS[ext]),))
        try:
            doc.close(True)
        except Exception:
            pass
        return typed
    finally:
        office.close()
        _kill_left(office.profile)


def _type_into(office, doc, spec):
    ctrl = doc.getCurrentController()
    dispatcher = office.ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", office.ctx)
    seen = []
    for entry in spec:
        name, ref, text = entry[:3]
        how = entry[3] if len(entry) > 3 else "enter"
        sheet = doc.Sheets.getByName(name)
        cell = sheet.getCellRangeByName(ref)
        if how == "formula":
            cell.setFormula(text)
        else:
            ctrl.setActiveSheet(sheet)
            ctrl.select(cell)
            dispatcher.executeDispatch(ctrl.getFrame(), ".uno:EnterString", "", 0, (_prop("StringName", text),))
        seen.append({"sheet": name, "cell": ref, "typed": text, "shown": cell.getString(),
                     "value": cell.getValue(), "formula": cell.getFormula()})
    return seen


def _kill_left(profile):
    """A Calc that went down may leave its soffice.bin running: end the one started with this run's
    own profile directory (by its process id, nothing else)."""
    import signal

    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if profile.encode() in fh.read():
                    os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def main(argv):
    if argv[:1] == ["decorate"] and len(argv) == 4:
        decorate(argv[1], argv[2], argv[3])
        return 0
    if argv[:1] == ["type"] and len(argv) >= 4:
        type_cells(argv[1], argv[2], argv[3:])
        return 0
    if argv[:1] == ["build-vba"] and len(argv) == 4:
        build_vba(argv[1], argv[2], argv[3])
        return 0
    if argv[:1] == ["inspect"] and len(argv) == 2:
        print(json.dumps(inspect(argv[1]), ensure_ascii=False))
        return 0
    if argv[:1] == ["recalc"] and len(argv) == 2:
        print(json.dumps(recalc(argv[1]), ensure_ascii=False))
        return 0
    if argv[:1] == ["docx-pdf"] and len(argv) >= 3 and len(argv) % 2 == 1:
        docx_pdf(list(zip(argv[1::2], argv[2::2])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
