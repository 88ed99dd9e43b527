"""Read an open workbook through xlwings into the same grids the file reader produces.

``book_to_rawbook(book)`` works on any ``xlwings.Book``: live Excel (Windows/macOS, the BSD
engines) or the JSON description of xlwings Server/Lite (the ``remote`` engine). The result is
a ``perfxl.read.RawBook`` aligned like python-calamine's: row 0 is Excel row 1, column 0 is
column A, blanks are None, numbers are float, date-only values are ``datetime.date``; error
values become None with a ``CellMark("error", "#DIV/0!")``, exactly as the file reader marks
them. ``perfxl.model.load(name, book=rawbook)`` then runs unchanged.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from perfxl.io.read import CellMark, RawBook, SheetGrid, note_formula, put_formulas

#: Excel error literals (``err_to_str=True`` gives these on every engine)
ERROR_LITERALS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA",
    "#SPILL!", "#CONNECT!", "#BLOCKED!", "#UNKNOWN!", "#FIELD!", "#CALC!", "#BUSY!", "#DATA!",
})

#: COM error codes (HRESULT = -2146828288 + xlErr*) that xlwings' Windows engine leaves as int
_COM_ERRORS = {2000: "#NULL!", 2007: "#DIV/0!", 2015: "#VALUE!", 2023: "#REF!", 2029: "#NAME?",
               2036: "#NUM!", 2042: "#N/A", 2043: "#GETTING_DATA", 2045: "#SPILL!",
               2046: "#CONNECT!", 2047: "#BLOCKED!", 2048: "#UNKNOWN!", 2049: "#FIELD!",
               2050: "#CALC!", 2051: "#BUSY!"}
_COM_ERROR_BASE = -2146828288
_EXCEL_EPOCH_DAYS = (dt.date(1899, 12, 30), dt.date(1899, 12, 31))


def _cell(value: Any) -> tuple[Any, CellMark | None]:
    """One xlwings value -> (value as calamine gives it, mark)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str):
        if value in ERROR_LITERALS:
            return None, CellMark("error", value)
        return value, None
    if isinstance(value, int):
        code = value - _COM_ERROR_BASE
        if code in _COM_ERRORS:                  # an error xlwings did not translate
            return None, CellMark("error", _COM_ERRORS[code])
        return float(value), None
    if isinstance(value, float):
        return value, None
    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=None)
        if value.date() in _EXCEL_EPOCH_DAYS and value.time() != dt.time(0):
            return value.time(), None            # a time of day without a date
        if value.time() == dt.time(0):
            return value.date(), None            # calamine: date-only cells are dates
        return value, None
    if isinstance(value, dt.date):
        return value, None
    return value, None


def read_sheet(sheet) -> SheetGrid:
    """One xlwings Sheet as a grid from A1 to the last used cell."""
    last = sheet.used_range.last_cell
    nrows, ncols = last.row, last.column
    rng = sheet.range((1, 1), (nrows, ncols))
    data = rng.options(ndim=2, err_to_str=True).value
    rows: list[list[Any]] = []
    marks: dict[tuple[int, int], CellMark] = {}
    for r, row in enumerate(data or []):
        out = []
        for c, v in enumerate(row):
            value, mark = _cell(v)
            out.append(value)
            if mark is not None:
                marks[(r, c)] = mark
        rows.append(out)
    while rows and all(v is None for v in rows[-1]) and not any(k[0] == len(rows) - 1 for k in marks):
        rows.pop()                               # an empty used range (blank sheet) reads as [[None]]
    grid = SheetGrid(sheet.name, rows, marks)
    formula_cells: set[tuple[int, int]] = set()
    constants: dict[tuple[int, int], str] = {}
    for r, row in enumerate(_formulas(rng)):
        for c, f in enumerate(row):
            if isinstance(f, str) and f.startswith("=") and len(f) > 1:
                note_formula((r, c), f[1:], True, marks, constants, formula_cells)
    put_formulas(grid, formula_cells, constants)
    return grid


def _formulas(rng: Any) -> list[list[Any]]:
    """The range's formulas as rows (a cell without one gives its value as text); none where the engine
    cannot read them synchronously (xlwings Server/Lite: only what Excel shows is sent)."""
    try:
        f = rng.formula
    except NotImplementedError:
        return []
    if isinstance(f, str):
        return [[f]]
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in f or ()]


def book_to_rawbook(book, sheets: Iterable[str] | Callable[[list[str]], Iterable[str]] | None = None,
                    path: str | Path | None = None) -> RawBook:
    """Read sheets of an xlwings Book: all when ``sheets`` is None, else a list of names or a
    function choosing names from the book's sheet names (as ``perfxl.read.read_book``).

    ``path`` names the workbook in problems; default: the book's full name.
    """
    from perfxl.model.evaluation import table_sheets

    names = [s.name for s in book.sheets]
    if callable(sheets):
        sheets = sheets(names)
    wanted = names if sheets is None else [s for s in dict.fromkeys(sheets) if s in names]
    grids = {name: read_sheet(book.sheets[name]) for name in wanted}
    for name in table_sheets(wanted, system=True):     # asked of Excel only where the model looks at them
        grids[name].hidden_rows = hidden_rows(book.sheets[name], len(grids[name].rows))
    return RawBook(Path(path) if path is not None else Path(book.fullname), names, grids)


def hidden_rows(sheet, nrows: int) -> frozenset[int]:
    """The 0-based rows among the first ``nrows`` hidden in Excel (as the file reader finds them in the
    file), halving only ranges that mix hidden and shown rows: one question for a sheet with none. None
    where the engine cannot tell (xlwings Server and Lite answer only asynchronously; an xlwings before
    ``rows.hidden``)."""
    found: set[int] = set()

    def look(first: int, last: int) -> None:          # 1-based, inclusive
        state = sheet.range((first, 1), (last, 1)).rows.hidden
        if state is None and first < last:
            middle = (first + last) // 2
            look(first, middle)
            look(middle + 1, last)
        elif state:
            found.update(range(first - 1, last))

    if nrows and hasattr(type(sheet.range((1, 1)).rows), "hidden"):
        try:
            look(1, nrows)
        except NotImplementedError:
            return frozenset()
    return frozenset(found)
