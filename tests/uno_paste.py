"""Paste a survey export into a workbook's 问卷 sheet the way a person does it in LibreOffice Calc:
type the export's headers over the sheet's (renaming them), copy the export's answer rows, click
A2 of 问卷 and paste; save as .xlsx. Run with LibreOffice's Python (``/usr/bin/python3``, which has
``uno``):

    python3 uno_paste.py EXPORT.xlsx WORKBOOK.xlsx SHEET OUT.xlsx

Prints JSON: whether the sheet was protected, whether the paste was refused, the rows and columns
pasted, and what Calc holds at the corners of the pasted block afterwards (read back from the
document, not from the source).

Copy and Paste go through the views' transferables (what the clipboard carries), as a headless
LibreOffice has no system clipboard. Two crashes of a headless LibreOffice 7 are avoided: the
copied rows come from a scratch document holding the export's cells (a transferable from one loaded
file pasted into another crashes it, as does a paste into row 1 of a loaded file), and the target's
undo is locked (recording the undo step of a paste into a loaded file crashes it)."""
from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import uno  # noqa: E402

from devtools.lo_uno import Office, _kill_left, _prop  # noqa: E402


def main(export, workbook, sheet_name, out):
    office = Office()
    profile = office.profile
    try:
        hidden = (_prop("Hidden", True),)
        export_doc = office.open(uno.systemPathToFileUrl(os.path.abspath(export)))
        sheet = export_doc.Sheets.getByIndex(0)
        cursor = sheet.createCursor()
        cursor.gotoEndOfUsedArea(False)
        rows, cols = cursor.RangeAddress.EndRow + 1, cursor.RangeAddress.EndColumn + 1
        cells = sheet.getCellRangeByPosition(0, 0, cols - 1, rows - 1).getDataArray()
        export_doc.close(True)
        src = office.desktop.loadComponentFromURL("private:factory/scalc", "_blank", 0, hidden)
        scratch = src.Sheets.getByIndex(0)
        scratch.getCellRangeByPosition(0, 0, cols - 1, rows - 2).setDataArray(cells[1:])
        src.getCurrentController().select(scratch.getCellRangeByPosition(0, 0, cols - 1, rows - 2))
        clip = src.getCurrentController().getTransferable()              # Copy
        doc = office.open(uno.systemPathToFileUrl(os.path.abspath(workbook)))
        doc.UndoManager.lock()
        target = doc.Sheets.getByName(sheet_name)
        protected = bool(target.isProtected())
        refused = ""
        try:
            for c, text in enumerate(cells[0]):                            # the person types the headers
                target.getCellByPosition(c, 0).setString(str(text))
            doc.getCurrentController().setActiveSheet(target)
            doc.getCurrentController().select(target.getCellRangeByName("A2"))
            doc.getCurrentController().insertTransferable(clip)            # Paste
        except Exception as e:                                             # a protected sheet refuses
            refused = type(e).__name__
        seen = {"protected": protected, "refused": refused, "rows": rows, "cols": cols,
                "first": target.getCellByPosition(0, 0).getString(),
                "last": target.getCellByPosition(cols - 1, rows - 1).getString(),
                "source_last": str(cells[-1][-1])}
        doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(out)), (_prop("FilterName", "Calc MS Excel 2007 XML"),))
        doc.close(True)
        src.close(True)
        print(json.dumps(seen, ensure_ascii=False))
    finally:
        office.close()
        _kill_left(profile)


if __name__ == "__main__":
    main(*sys.argv[1:5])
