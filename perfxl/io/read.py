"""Read a workbook file into plain grids of cell values (python-calamine, fast).

Calamine gives cached values only; error values (#DIV/0!) and formulas that were never
calculated come back as blanks. A light scan of the sheet XML marks those cells so that
validation can say what is really there.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from perfxl.io.package import (
    Package,
    check_every_worksheet,
    check_extent,
    read_member,
    refuse,
    short_error,
)
from perfxl.model.cells import col_index
from perfxl.model.text import strip_illegal

#: sheet parts larger than this are not scanned for error values (cost grows with the sheet)
_BIG_PART = 8 * 1024 * 1024


@dataclass(frozen=True)
class CellMark:
    kind: str      # "error" (an Excel error value) or "nocache" (formula without a cached value)
    text: str      # the error literal or the formula


@dataclass
class SheetGrid:
    name: str
    rows: list[list[Any]]                                  # 0-based; blanks are None
    marks: dict[tuple[int, int], CellMark] = field(default_factory=dict)
    array: Any = None                                      # the same cells as a 2-D numpy object array
    hidden_rows: frozenset = frozenset()                   # 0-based rows hidden in the file (xlsx/xlsm)

    def as_array(self):
        """The grid as a rectangular numpy object array (blanks None), built once."""
        if self.array is None:
            import numpy as np

            width = max((len(r) for r in self.rows), default=0)
            arr = np.empty((len(self.rows), width), dtype=object)
            for i, r in enumerate(self.rows):
                arr[i, :len(r)] = r
            self.array = arr
        return self.array

    def get(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    @property
    def height(self) -> int:
        return len(self.rows)


@dataclass
class RawBook:
    path: Path
    sheet_names: list[str]
    sheets: dict[str, SheetGrid]
    package: Package | None = None       # the file it was read from (None: an open Excel workbook)


def read_book(source: "str | Path | Package", sheets=None, *, password: str | None = None) -> RawBook:
    """Read sheets into grids: all when ``sheets`` is None, else a list of names or a function
    choosing names from the workbook's sheet names. ``source``: a Package already opened, or a
    path (opened here; ``password``: its opening password, decrypted in memory only)."""
    import python_calamine

    package = source if isinstance(source, Package) else Package.open(source, password)
    path = package.path
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(package.stream())
    except python_calamine.PasswordError:
        raise refuse("file_encrypted", path) from None
    except Exception as e:  # calamine raises several error types for broken files
        raise refuse("file_unreadable", path, detail=short_error(e)) from None
    names = list(wb.sheet_names)
    if callable(sheets):
        sheets = sheets(names)
    wanted = names if sheets is None else [s for s in dict.fromkeys(sheets) if s in names]
    scans = _scan_sheets(package, wanted) if package.is_zip else {}
    out: dict[str, SheetGrid] = {}
    for name in wanted:
        try:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as e:
            raise refuse("file_unreadable", path, detail=f"工作表“{name}”：{short_error(e)}") from None
        scan = scans.get(name)
        grid = _grid(name, data, scan.marks if scan else {})
        if scan and scan.hidden_rows:
            grid.hidden_rows = frozenset(scan.hidden_rows)
        out[name] = grid
    return RawBook(path, names, out, package)


class _Rows:
    """The rows of a big grid as lists, made on demand from its numpy array (a questionnaire of
    100,000 answers is read column-wise; only its header row is ever wanted as a list)."""

    def __init__(self, arr):
        self.arr = arr

    def __len__(self) -> int:
        return len(self.arr)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [r.tolist() for r in self.arr[i]]
        return self.arr[i].tolist()

    def __iter__(self):
        return (r.tolist() for r in self.arr)

    def __bool__(self) -> bool:
        return len(self.arr) > 0


#: sheets with more cells than this are normalised with numpy (a questionnaire of 100,000 answers)
_BIG = 50_000


def _grid(name: str, data: list[list[Any]], marks) -> SheetGrid:
    """Calamine's rows with "" turned into None, and text without the characters no workbook can
    hold (dropped on reading so that no writer meets them)."""
    if sum(len(r) for r in data[:1]) * len(data) > _BIG:
        import numpy as np

        arr = np.array(data, dtype=object)
        if arr.ndim == 2:
            arr[arr == ""] = None
            return SheetGrid(name, _Rows(arr), marks, arr)
    str_ = str
    return SheetGrid(name, [[v if v.__class__ is not str_ else (strip_illegal(v) or None) for v in row]
                            for row in data], marks)


# --- XML scan for error values and uncalculated formulas -------------------------

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE_E = re.compile(rb'\bt="e"')
_V = re.compile(rb"<v>([^<]*)</v>")
_F = re.compile(rb"<f\b[^>]*>([^<]*)</f>|<f\b[^>]*/>")
_HAS_FORMULA = re.compile(rb"<f[ >/]")          # not <formula1> of a drop-down list


def sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """sheet name -> part path inside the package."""
    wb = ElementTree.fromstring(bytes(read_member(zf, "xl/workbook.xml")))
    rels = ElementTree.fromstring(bytes(read_member(zf, "xl/_rels/workbook.xml.rels")))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
        target = target.lstrip("/")
        out[s.get("name")] = posixpath.normpath(target if target.startswith("xl/") else "xl/" + target)
    return out


@dataclass
class _SheetScan:
    marks: dict[tuple[int, int], CellMark] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)


def _scan_sheets(package: Package, sheets: list[str]) -> dict[str, _SheetScan]:
    """For the sheet parts of an xlsx/xlsm package: refuse sheets whose cell area would not fit
    in memory (before calamine allocates it), find hidden rows, mark error values and
    uncalculated formulas. Part sizes were verified when the package was opened."""
    if not sheets:
        return {}
    out: dict[str, _SheetScan] = {}
    path = package.path
    try:
        zf = package.zip
        try:
            parts = sheet_parts(zf)
        except (KeyError, ElementTree.ParseError):
            parts = {}
        if any(parts.get(name) not in zf.NameToInfo for name in sheets):
            check_every_worksheet(zf, path)   # a package laid out unusually: bound every sheet in it
        for name in sheets:
            part = parts.get(name)
            if not part or part not in zf.NameToInfo:
                continue
            data = read_member(zf, part)
            check_extent(data, path, name)
            scan = _SheetScan(hidden_rows=_hidden_rows(data) if len(data) <= _BIG_PART else set())
            if len(data) <= _BIG_PART and (b't="e"' in data or _HAS_FORMULA.search(data)):
                scan.marks = _marks(data)
            out[name] = scan
            del data
    except zipfile.BadZipFile as e:
        raise refuse("file_unreadable", path, detail=f"压缩包已损坏（{e}）") from None
    return out


def _marks(data: bytes) -> dict[tuple[int, int], CellMark]:
    marks = {}
    for m in _CELL.finditer(data):
        attrs, inner = m.group(1), m.group(2) or b""
        ref = _REF.search(attrs)
        if not ref:
            continue
        pos = (int(ref.group(2)) - 1, col_index(ref.group(1).decode()))
        v = _V.search(inner)
        if _TYPE_E.search(attrs) and v:
            marks[pos] = CellMark("error", v.group(1).decode("utf-8", "replace"))
        elif _HAS_FORMULA.search(inner) and (v is None or v.group(1) == b""):
            f = _F.search(inner)
            formula = (f.group(1) or b"").decode("utf-8", "replace") if f else ""
            marks[pos] = CellMark("nocache", "=" + formula if formula else "(共享公式)")
    return marks


_HIDDEN_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\bhidden="(?:1|true)"[^>]*>')
_ROW_R = re.compile(rb'\br="(\d+)"')


def _hidden_rows(data: bytes) -> set[int]:
    if b'hidden="' not in data:
        return set()
    out = set()
    for m in _HIDDEN_ROW.finditer(data):
        r = _ROW_R.search(m.group(0))
        if r:
            out.add(int(r.group(1)) - 1)
    return out


