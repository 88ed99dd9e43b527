"""Where results are drawn: one small interface, three back ends.

The drawing (perfxl.sheets.apply) and the output sheets (perfxl.sheets.outputs) are written once
against ``Canvas``; ``XmlCanvas`` draws into an existing workbook file at the XML level (everything
else in the package stays as it was), ``OpenpyxlCanvas`` into a workbook perfxl creates, and
``XlwingsCanvas`` into an open workbook through xlwings (Excel on Windows/macOS, or the JSON engine
of xlwings Server/Lite). Every back end takes a ``Formula`` (a live formula with its cached result)
wherever it takes a value, and keeps a user's own note beside perfxl's (``merge_note``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from perfxl.io.xlsx.notetext import merge_note
from perfxl.io.xlsx.values import Formula, clean_text
from perfxl.model import layout as L
from perfxl.model.text import looks_like_formula
from perfxl.sheets.look import BORDER_COLOR, LINK_COLOR, needed_lines, row_height

__all__ = ["Canvas", "Formula", "OpenpyxlCanvas", "XlwingsCanvas", "XmlCanvas", "merge_note"]

FILLS = {"problem": L.PALETTE.problem, "warning": L.PALETTE.warning, "deviation": L.PALETTE.deviation,
         "input": L.PALETTE.input, "computed": L.PALETTE.computed, "level1": L.PALETTE.level1,
         "header": L.PALETTE.header}


class Canvas(ABC):
    """Drawing operations perfxl needs. Rows and columns are 1-based. A back end must implement
    every one (an abstract base: a missing method fails at construction, not silently)."""

    #: the unit named in the page header of every sheet drawn (set by whoever draws a result)
    print_unit: str | None = None

    @abstractmethod
    def names(self) -> list[str]:
        """Sheet names, in order."""

    @abstractmethod
    def new_sheet(self, name: str, after: str | None) -> None:
        """Empty sheet ``name``: cleared in place if it exists, else inserted after ``after``."""

    @abstractmethod
    def write(self, sheet: str, row: int, col: int, rows: list[list[Any]], *, style: str | None = None,
              fmts: list[str | None] | None = None, bold: bool = False, fill: str | None = None) -> None:
        """A block of values: text is always text (never a formula), a ``Formula`` is a live formula
        written with its cached result; ``fmts`` per column; ``style`` a perfxl cell style."""

    @abstractmethod
    def fill(self, sheet: str, ref: str, kind: str) -> None:
        """Background of one cell: a key of ``FILLS``."""

    @abstractmethod
    def note(self, sheet: str, ref: str, text: str | None) -> None:
        """perfxl's part of the note on one cell (None removes it); a user's own note stays."""

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
    def hide_columns(self, sheet: str, cols: Iterable[int]) -> None:
        """Hide these columns (1-based)."""

    @abstractmethod
    def number_format(self, sheet: str, ref: str, fmt: str) -> None:
        """The number format of one cell, its value and the rest of its style kept."""

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
        from perfxl.io.xlsx import remember_cached
        from perfxl.sheets.styles import BOLD, put
        from perfxl.sheets.styles import fill as mkfill

        ws = self.wb[sheet]
        pf = mkfill(FILLS[fill]) if fill else None
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                fmt = fmts[j] if fmts and j < len(fmts) else None
                if isinstance(v, Formula):
                    c = put(ws, row + i, col + j, None, style=style, fmt=fmt)
                    c.value = "=" + v.text
                    remember_cached(self.wb, sheet, c.coordinate, v.cached)
                else:
                    c = put(ws, row + i, col + j, clean_text(v) if isinstance(v, str) else v, style=style, fmt=fmt)
                    remember_cached(self.wb, sheet, c.coordinate, None)
                if bold:
                    c.font = BOLD
                if pf is not None:
                    c.fill = pf

    def fill(self, sheet, ref, kind):
        from perfxl.sheets.styles import fill as mkfill

        self.wb[sheet][ref].fill = mkfill(FILLS[kind])

    def note(self, sheet, ref, text):
        from perfxl.sheets.styles import comment

        cell = self.wb[sheet][ref]
        merged = merge_note(cell.comment.text if cell.comment else None, clean_text(text[:2000]) if text else None)
        if merged is None:
            cell.comment = None
        elif cell.comment is None or cell.comment.text != merged:
            old = cell.comment
            cell.comment = comment(merged)
            if old is not None and old.author:
                cell.comment.author = old.author

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
        print_setup(ws, landscape=landscape, title_rows=title_rows, unit=self.print_unit)
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

    def hide_columns(self, sheet, cols):
        from openpyxl.utils import get_column_letter

        ws = self.wb[sheet]
        for c in cols:
            ws.column_dimensions[get_column_letter(c)].hidden = True

    def number_format(self, sheet, ref, fmt):
        self.wb[sheet][ref].number_format = fmt

    def finish_rows(self, sheet, rows):
        from perfxl.sheets.styles import fit_rows

        fit_rows(self.wb[sheet], rows)

    def close(self):
        pass


# --- xlwings ----------------------------------------------------------------------------------

class XlwingsCanvas(Canvas):
    """An open workbook. Writes go straight to Excel (desktop) or into the action list that
    xlwings Server/Lite sends back (JSON engine). Nothing is saved here."""

    def __init__(self, book) -> None:
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
                    protected = bool(api.ProtectContents)
                except Exception:
                    protected = False
                if protected:
                    try:
                        api.Unprotect()
                    except Exception:                 # the user's password: nothing can be written there
                        from perfxl.check.problems import UnusableInput, problem

                        raise UnusableInput([problem("excel_sheet_protected", file=self.book.name,
                                                     sheet=name)]) from None
                    self._reprotect.append(api)
        return sh

    def unlock(self, names) -> None:
        """Lift the protection of the sheets ``names`` (those present) before anything is written, so
        that a sheet protected with the user's password stops the run with the workbook untouched
        (raises UnusableInput; the sheets already unlocked are protected again)."""
        try:
            for name in names:
                if name in self.names():
                    self._sheet(name)
        except Exception:
            self.close()
            raise

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
        formulas = [(i, j, v) for i, r in enumerate(values) for j, v in enumerate(r) if isinstance(v, Formula)]
        rng.value = [[None if isinstance(v, Formula) else v for v in r] for r in values]
        for i, j, v in formulas:                 # Excel calculates them itself
            sh.range((row + i, col + j)).formula = "=" + v.text
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
        try:
            old, known = (rng.note.text if rng.note is not None else None), True
        except Exception:          # engines that cannot read a note's text (xlwings Server/Lite): replaced
            old, known = None, False
        merged = merge_note(old, text[:2000] if text else None)
        if known and merged == old:
            return
        if rng.note is not None:
            rng.note.delete()
        if merged:
            rng.add_note(merged)

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

    def hide_columns(self, sheet, cols):
        sh = self._sheet(sheet)
        for c in cols:
            try:
                sh.range((1, c)).api.EntireColumn.Hidden = True     # desktop Excel
            except Exception:
                pass                          # xlwings Server/Lite: the columns stay visible

    def number_format(self, sheet, ref, fmt):
        self._sheet(sheet).range(ref).number_format = fmt


def _safe(v):
    """Text that Excel would take as a formula is written with a leading apostrophe."""
    return "'" + v if looks_like_formula(v) else v


# --- the package itself (XML level) ---------------------------------------------------------

class XmlCanvas(Canvas):
    """An existing .xlsx/.xlsm edited at the XML level (``perfxl.io.xlsx.Book``): sheets perfxl owns are
    regenerated, in user sheets only the cells, formats and notes perfxl writes change; every other
    part, cell and byte stays as it was. Nothing is saved here."""

    #: perfxl's cell styles as format parts (the same look as the openpyxl named styles)
    STYLES = {
        "header": dict(fill=L.PALETTE.header, align={"horizontal": "center", "vertical": "center", "wrapText": "1"},
                       border=True, font=dict(bold=True, color=L.PALETTE.header_font)),
        "input": dict(fill=L.PALETTE.input, align={"vertical": "top", "wrapText": "1"}, border=True, locked=False),
        "computed": dict(fill=L.PALETTE.computed, align={"vertical": "top", "wrapText": "1"}, border=True, locked=True),
        "plain": dict(align={"vertical": "top", "wrapText": "1"}, border=True),
    }

    def __init__(self, book) -> None:
        self.book = book
        self._fresh: set[str] = set()
        self._links: dict[str, list[tuple[str, str]]] = {}
        self._xfs: dict[tuple, int] = {}
        self._looks: dict[tuple, dict] = {}

    def names(self):
        return self.book.names()

    def new_sheet(self, name, after):
        if name in self.book.names():
            self.book.sheet(name).clear()
        else:
            self.book.add_sheet(name, after)
        self._fresh.add(name)
        self._links[name] = []

    def _look(self, base: int, style, bold, fill) -> dict:
        """perfxl's look (a cell style, bold, a fill) as parts of a format derived from ``base``."""
        key = (base, style, bold, fill)
        if key not in self._looks:
            st = self.book.styles
            spec = self.STYLES.get(style, {}) if style else {}
            font_spec = dict(spec.get("font", {}))
            if bold:
                font_spec["bold"] = True
            font = st.font(st.font_of(base), **font_spec) if font_spec else None
            color = FILLS[fill] if fill else spec.get("fill")
            kw = dict(font=font, fill=color)
            if style:
                kw.update(border=BORDER_COLOR if spec.get("border") else None, align=spec.get("align"),
                          locked=spec.get("locked"))
            self._looks[key] = kw
        return self._looks[key]

    def write(self, sheet, row, col, rows, *, style=None, fmts=None, bold=False, fill=None):
        for i, values in enumerate(rows):
            for j, v in enumerate(values):
                fmt = fmts[j] if fmts and j < len(fmts) else None
                self.put(sheet, row + i, col + j, v, style=style, fmt=fmt, bold=bold, fill=fill)

    def put(self, sheet: str, r: int, c: int, v: Any, *, base: int | None = None, style: str | None = None,
            fmt: str | None = None, bold: bool = False, fill: str | None = None) -> None:
        """One value written as data (``Book.put_data``: quote prefix, date format) keeping the cell's
        look, or starting from the format ``base`` (a cellXfs index), with perfxl's look put on it."""
        sh = self.book.sheet(sheet)
        if v is None and not (style or fmt or bold or fill) and sh.raw_cell(r, c) is None:
            return
        if base is None:
            base = 0 if style else sh.style(r, c)
        look = self._look(base, style, bold, fill) if style or bold or fill else {}
        self.book.put_data(sheet, r, c, v, base, numfmt=fmt, **look)

    def fill(self, sheet, ref, kind):
        from perfxl.io.xlsx.sheet import split_ref

        sh = self.book.sheet(sheet)
        r, c = split_ref(ref)
        sh.put(r, c, None, self.book.styles.derive(sh.style(r, c), fill=FILLS[kind]), keep_value=True)

    def note(self, sheet, ref, text):
        from perfxl.io.xlsx.sheet import split_ref

        self.book.set_note(sheet, *split_ref(ref), text[:2000] if text else None, author=L.COMMENT_AUTHOR)

    def link(self, sheet, ref, target):
        from perfxl.io.xlsx.sheet import split_ref

        if sheet not in self._fresh:
            return                                # a user sheet's own links are not perfxl's to replace
        sh = self.book.sheet(sheet)
        r, c = split_ref(ref)
        st = self.book.styles
        base = sh.style(r, c)
        font = st.font(st.font_of(base), color=LINK_COLOR, underline=True)
        sh.put(r, c, None, st.derive(base, font=font), keep_value=True)
        self._links[sheet].append((ref, target))

    def widths(self, sheet, widths):
        if sheet in self._fresh:
            self.book.sheet(sheet).set_widths(list(widths))

    def finish(self, sheet, *, freeze=None, landscape=True, title_rows=None, rows_to_fit=()):
        sh = self.book.sheet(sheet)
        if freeze:
            sh.freeze(freeze)
        self.finish_rows(sheet, rows_to_fit)
        if sheet in self._fresh:
            from perfxl.sheets import look

            sh.page_setup(landscape, header=look.page_header(self.print_unit), footer=look.page_footer(),
                          margins=look.MARGINS)
            sh.protect()
            if title_rows:
                self.book.set_print_titles(sheet, title_rows)

    def column(self, sheet, col, first, last):
        sh = self.book.sheet(sheet)
        return [sh.value(r, col) for r in range(first, last + 1)]

    def last_row(self, sheet):
        return self.book.sheet(sheet).last_row()

    def last_col(self, sheet):
        return self.book.sheet(sheet).last_col()

    def hide(self, sheet):
        self.book.hide(sheet)

    def hide_columns(self, sheet, cols):
        self.book.sheet(sheet).hide_columns(cols)

    def number_format(self, sheet, ref, fmt):
        from perfxl.io.xlsx.sheet import split_ref

        sh = self.book.sheet(sheet)
        r, c = split_ref(ref)
        base = sh.style(r, c)
        key = ("numfmt", base, fmt)
        if key not in self._xfs:
            self._xfs[key] = self.book.styles.derive(base, numfmt=fmt)
        sh.put(r, c, None, self._xfs[key], keep_value=True)

    def finish_rows(self, sheet, rows):
        """Row heights that show wrapped text (as ``styles.fit_rows``); a taller height a user set stays."""
        sh = self.book.sheet(sheet)
        widths: dict[int, float] = {}
        hidden = sh.hidden_cols()
        for r in rows:
            lines = 1
            for c, v in sh.row_values(r):
                if isinstance(v, str) and v and c not in hidden:
                    if c not in widths:
                        widths[c] = sh.col_width(c)
                    lines = max(lines, needed_lines(v, widths[c]))
            height = row_height(lines)
            current = sh.row_height(r)
            if current is None or current < height:
                sh.set_row_height(r, height)

    def close(self):
        for sheet, links in self._links.items():
            if links:
                self.book.sheet(sheet).hyperlinks(links)
        self._links = {name: [] for name in self._links}
