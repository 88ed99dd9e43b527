"""Where results are drawn: one small interface, two back ends.

The writer (perfxl.write) and the output sheets (perfxl.outputs) are written once against
``Canvas``; ``OpenpyxlCanvas`` draws into a workbook file, ``XlwingsCanvas`` into an open
workbook through xlwings (Excel on Windows/macOS, or the JSON engine of xlwings Server/Lite).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from perfxl.model import layout as L
from perfxl.model.text import looks_like_formula

FILLS = {"problem": L.PALETTE.problem, "warning": L.PALETTE.warning, "deviation": L.PALETTE.deviation,
         "input": L.PALETTE.input, "computed": L.PALETTE.computed, "level1": L.PALETTE.level1,
         "header": L.PALETTE.header}


class Canvas(ABC):
    """Drawing operations perfxl needs. Rows and columns are 1-based. A back end must implement
    every one (an abstract base: a missing method fails at construction, not silently)."""

    @abstractmethod
    def names(self) -> list[str]:
        """Sheet names, in order."""

    @abstractmethod
    def new_sheet(self, name: str, after: str | None) -> None:
        """Empty sheet ``name``: cleared in place if it exists, else inserted after ``after``."""

    @abstractmethod
    def write(self, sheet: str, row: int, col: int, rows: list[list[Any]], *, style: str | None = None,
              fmts: list[str | None] | None = None, bold: bool = False, fill: str | None = None) -> None:
        """A block of values (never formulas); ``fmts`` per column; ``style`` a perfxl cell style."""

    @abstractmethod
    def fill(self, sheet: str, ref: str, kind: str) -> None:
        """Background of one cell: a key of ``FILLS``."""

    @abstractmethod
    def note(self, sheet: str, ref: str, text: str | None) -> None:
        """perfxl's note on one cell (None removes it)."""

    @abstractmethod
    def link(self, sheet: str, ref: str, target: str) -> None:
        """An internal hyperlink (``'Sheet'!A1``) on one cell."""

    @abstractmethod
    def widths(self, sheet: str, widths: Iterable[float]) -> None:
        """Column widths from column A."""

    @abstractmethod
    def finish(self, sheet: str, *, freeze: str | None = None, landscape: bool = True,
               title_rows: str | None = None, rows_to_fit: Iterable[int] = ()) -> None:
        """Freeze panes, print setup and protection of a sheet perfxl drew."""

    @abstractmethod
    def column(self, sheet: str, col: int, first: int, last: int) -> list[Any]:
        """Values of one column between two rows."""

    @abstractmethod
    def last_row(self, sheet: str) -> int: ...

    @abstractmethod
    def last_col(self, sheet: str) -> int: ...

    @abstractmethod
    def hide(self, sheet: str) -> None: ...

    @abstractmethod
    def finish_rows(self, sheet: str, rows: Iterable[int]) -> None:
        """Make wrapped text in these rows visible."""

    @abstractmethod
    def close(self) -> None:
        """Drawing is over (e.g. protection lifted for writing is put back)."""


# --- openpyxl ---------------------------------------------------------------------------------

class OpenpyxlCanvas(Canvas):
    def __init__(self, wb):
        self.wb = wb

    def names(self):
        return list(self.wb.sheetnames)

    def new_sheet(self, name, after):
        from perfxl.sheets.styles import clear_sheet

        if name in self.wb.sheetnames:
            clear_sheet(self.wb, name)
        else:
            index = self.wb.sheetnames.index(after) + 1 if after in self.wb.sheetnames else None
            self.wb.create_sheet(name, index)

    def write(self, sheet, row, col, rows, *, style=None, fmts=None, bold=False, fill=None):
        from perfxl.sheets.styles import BOLD, put
        from perfxl.sheets.styles import fill as mkfill

        ws = self.wb[sheet]
        pf = mkfill(FILLS[fill]) if fill else None
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                c = put(ws, row + i, col + j, v, style=style, fmt=(fmts[j] if fmts and j < len(fmts) else None))
                if bold:
                    c.font = BOLD
                if pf is not None:
                    c.fill = pf

    def fill(self, sheet, ref, kind):
        from perfxl.sheets.styles import fill as mkfill

        self.wb[sheet][ref].fill = mkfill(FILLS[kind])

    def note(self, sheet, ref, text):
        from perfxl.sheets.styles import comment

        self.wb[sheet][ref].comment = comment(text[:2000]) if text else None

    def link(self, sheet, ref, target):
        from openpyxl.styles import Font

        c = self.wb[sheet][ref]
        c.hyperlink = f"#{target}"
        c.font = Font(color="0563C1", underline="single")

    def widths(self, sheet, widths):
        from openpyxl.utils import get_column_letter

        ws = self.wb[sheet]
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w

    def finish(self, sheet, *, freeze=None, landscape=True, title_rows=None, rows_to_fit=()):
        from perfxl.sheets.styles import fit_rows, print_setup, protect

        ws = self.wb[sheet]
        if freeze:
            ws.freeze_panes = freeze
        fit_rows(ws, rows_to_fit)
        print_setup(ws, landscape=landscape, title_rows=title_rows)
        protect(ws)

    def column(self, sheet, col, first, last):
        ws = self.wb[sheet]
        return [ws.cell(row=r, column=col).value for r in range(first, last + 1)]

    def last_row(self, sheet):
        return self.wb[sheet].max_row

    def last_col(self, sheet):
        return self.wb[sheet].max_column

    def hide(self, sheet):
        self.wb[sheet].sheet_state = "hidden"

    def finish_rows(self, sheet, rows):
        from perfxl.sheets.styles import fit_rows

        fit_rows(self.wb[sheet], rows)

    def close(self):
        pass


# --- xlwings ----------------------------------------------------------------------------------

class XlwingsCanvas(Canvas):
    """An open workbook. Writes go straight to Excel (desktop) or into the action list that
    xlwings Server/Lite sends back (JSON engine). Nothing is saved here."""

    def __init__(self, book):
        self.book = book
        self._seen: set[str] = set()
        self._reprotect: list = []

    def _sheet(self, name):
        sh = self.book.sheets[name]
        if name not in self._seen:
            self._seen.add(name)
            api = getattr(sh, "api", None)
            if api is not None and not isinstance(api, dict):      # desktop Excel: lift our protection
                try:
                    if api.ProtectContents:
                        api.Unprotect()
                        self._reprotect.append(api)
                except Exception:
                    pass
        return sh

    def close(self):
        for api in self._reprotect:          # protection as the template sets it
            try:
                api.Protect(Contents=True, AllowFormattingCells=True, AllowFormattingColumns=True,
                            AllowFormattingRows=True, AllowInsertingRows=True, AllowDeletingRows=True,
                            AllowSorting=True, AllowFiltering=True)
            except Exception:
                pass
        self._reprotect.clear()

    def finish_rows(self, sheet, rows):
        pass                                   # Excel grows rows with wrapped text itself

    def names(self):
        return [s.name for s in self.book.sheets]

    def new_sheet(self, name, after):
        if name in self.names():
            self._sheet(name).clear()
        else:
            ref = self.book.sheets[after] if after in self.names() else self.book.sheets[-1]
            self.book.sheets.add(name, after=ref)

    def write(self, sheet, row, col, rows, *, style=None, fmts=None, bold=False, fill=None):
        if not rows:
            return
        sh = self._sheet(sheet)
        width = max(len(r) for r in rows)
        values = [[_safe(v) for v in r] + [None] * (width - len(r)) for r in rows]
        rng = sh.range((row, col), (row + len(rows) - 1, col + width - 1))
        rng.value = values
        if fmts:
            for j, fmt in enumerate(fmts):
                if fmt:
                    sh.range((row, col + j), (row + len(rows) - 1, col + j)).number_format = fmt
        color = FILLS.get(fill) or {"header": FILLS["header"], "computed": FILLS["computed"],
                                    "input": FILLS["input"]}.get(style)
        if color:
            rng.color = "#" + color
        if bold or style == "header":
            rng.font.bold = True
        if style == "header":
            rng.font.color = "#FFFFFF"

    def fill(self, sheet, ref, kind):
        self._sheet(sheet).range(ref).color = "#" + FILLS[kind]

    def note(self, sheet, ref, text):
        rng = self._sheet(sheet).range(ref)
        if rng.note is not None:
            rng.note.delete()
        if text:
            rng.add_note(text[:2000])

    def link(self, sheet, ref, target):
        pass                     # internal links need the desktop API; the address is shown as text

    def widths(self, sheet, widths):
        sh = self._sheet(sheet)
        for j, w in enumerate(widths, start=1):
            try:
                sh.range((1, j)).column_width = w
            except Exception:
                pass

    def finish(self, sheet, *, freeze=None, landscape=True, title_rows=None, rows_to_fit=()):
        sh = self._sheet(sheet)
        if freeze:
            try:
                sh.freeze_panes.freeze_at(freeze)
            except Exception:
                pass
        for r in rows_to_fit:
            try:
                sh.range(f"{r}:{r}").autofit()
            except Exception:
                pass

    def column(self, sheet, col, first, last):
        if last < first:
            return []
        vals = self.book.sheets[sheet].range((first, col), (last, col)).options(ndim=1).value
        return list(vals or [])

    def last_row(self, sheet):
        return self.book.sheets[sheet].used_range.last_cell.row

    def last_col(self, sheet):
        return self.book.sheets[sheet].used_range.last_cell.column

    def hide(self, sheet):
        self.book.sheets[sheet].visible = False


def _safe(v):
    """Text that Excel would take as a formula is written with a leading apostrophe."""
    return "'" + v if looks_like_formula(v) else v
