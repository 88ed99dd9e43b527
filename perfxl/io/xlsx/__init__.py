"""Writing workbooks at the XML level (lxml + zipfile): ``Book`` edits an existing .xlsx/.xlsm so that
everything perfxl does not write survives byte for byte; ``workbook_bytes`` saves an openpyxl
workbook in memory (no temporary files) with the cached results of the formulas drawn on it."""
from __future__ import annotations

import io
import weakref

from perfxl.io.xlsx.values import Formula

__all__ = ["Formula", "workbook_bytes", "remember_cached"]

_CACHED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def remember_cached(wb, sheet: str, ref: str, value) -> None:
    """The cached result of a formula an openpyxl workbook holds (openpyxl cannot write one);
    ``value`` None forgets it."""
    cached = _CACHED.setdefault(wb, {})
    if value is None:
        cached.pop((sheet, ref), None)
    else:
        cached[(sheet, ref)] = value


def forget_cached(wb) -> None:
    """Every cached result remembered for ``wb`` dropped (its formulas are saved without results)."""
    _CACHED.pop(wb, None)


def workbook_bytes(wb) -> bytes:
    """An openpyxl workbook saved in memory (openpyxl's own save writes each worksheet to a temporary
    file first), then the cached results of its formulas written in."""
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        _in_memory_writer()(wb, archive).save()
    data = buf.getvalue()
    cached = _CACHED.get(wb)
    if cached:
        from perfxl.io.xlsx.book import Book
        from perfxl.io.xlsx.sheet import split_ref

        book = Book(data)
        for (sheet, ref), value in cached.items():
            if sheet in book.names():
                book.sheet(sheet).set_cached(*split_ref(ref), value)
        data = book.save()
    return data


def _in_memory_writer():
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
    from openpyxl.worksheet._writer import WorksheetWriter
    from openpyxl.writer.excel import ExcelWriter

    class InMemory(ExcelWriter):
        """openpyxl's writer with each worksheet written to memory instead of a temporary file."""

        def write_worksheet(self, ws):
            if self.workbook.write_only:
                return super().write_worksheet(ws)
            ws._drawing = SpreadsheetDrawing()
            ws._drawing.charts = ws._charts
            ws._drawing.images = ws._images
            writer = WorksheetWriter(ws, out=io.BytesIO())
            writer.write()
            ws._rels = writer._rels
            self._archive.writestr(ws.path[1:], writer.read())
            self.manifest.append(ws)

    return InMemory
