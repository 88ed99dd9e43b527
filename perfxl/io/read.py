"""Read a workbook file into plain grids of cell values (python-calamine, fast).

Calamine gives cached values only, and no number formats; error values (#DIV/0!) and formulas
that were never calculated come back as blanks. A light scan of the sheet XML (and of styles.xml,
once) marks those cells so that validation can say what is really there, turns numbers that a
percent format shows as "90%" into ``values.Percent`` (xlsx/xlsm: built-in formats 9/10 and custom
codes; ods: cells of value type percentage), and keeps the text of constant formulas (``=100%``
typed into a cell becomes a formula) with their value computed when the file has none.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from perfxl.io.package import ODS_COLS_REPEATED as _ODS_COLS
from perfxl.io.package import ODS_ROWS_REPEATED as _ODS_ROWS
from perfxl.io.package import ODS_TOKENS as _ODS_TOKENS
from perfxl.io.package import (
    Package,
    cell_content,
    cells,
    check_every_worksheet,
    check_extent,
    odd_cells,
    read_member,
    refuse,
    short_error,
    zip_kind,
)
from perfxl.model.cells import col_index
from perfxl.model.text import strip_illegal
from perfxl.model.values import Percent

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: sheet parts larger than this are not scanned for error values (cost grows with the sheet)
_BIG_PART = 8 * 1024 * 1024


class CellMark:
    """A cell whose value cannot be used as it stands: ``kind`` "error" (an Excel error value) or
    "nocache" (a formula saved without its result); ``text`` the error literal or the formula. A
    formula read from a file keeps its XML bytes (``raw``) and is decoded only when its text is
    asked for: a workbook saved without results holds hundreds of long formulas nobody reads."""
    __slots__ = ("kind", "_text", "_raw")

    def __init__(self, kind: str, text: str | None = None, *, raw: bytes | None = None):
        self.kind, self._text, self._raw = kind, text, raw

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "=" + _formula_text(self._raw) if self._raw else "(共享公式)"
        return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellMark) and (self.kind, self.text) == (other.kind, other.text)

    def __hash__(self) -> int:
        return hash((self.kind, self.text))

    def __repr__(self) -> str:
        return f"CellMark(kind={self.kind!r}, text={self.text!r})"

    def __reduce__(self):
        return CellMark, (self.kind, self.text)


@dataclass
class SheetGrid:
    name: str
    rows: list[list[Any]]                                  # 0-based; blanks are None
    marks: dict[tuple[int, int], CellMark] = field(default_factory=dict)
    array: Any = None                                      # the same cells as a 2-D numpy object array
    hidden_rows: frozenset = frozenset()                   # 0-based rows hidden in the file (xlsx/xlsm)
    #: constant formulas as typed after the "=" ("100%", "1"): a person typed "=100%" into the cell
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)
    #: every cell holding a formula (xlsx/xlsm): what it shows is computed, not typed
    formula_cells: frozenset = frozenset()
    #: merged ranges ((first row, first column), (last row, last column)), 0-based, where the file says
    merged: tuple = ()

    def as_array(self) -> npt.NDArray[np.object_]:
        """The grid as a rectangular numpy object array (blanks None), built once."""
        if self.array is None:
            import numpy as np

            width = max((len(r) for r in self.rows), default=0)
            arr = np.empty((len(self.rows), width), dtype=object)
            for i, r in enumerate(self.rows):
                arr[i, :len(r)] = r
            self.array = arr
        return self.array

    def put(self, r: int, c: int, value: Any) -> None:
        """Replace the value of a cell inside the grid (a typed reading of what the file stores)."""
        if isinstance(self.rows, _Rows):
            self.rows.arr[r, c] = value
        elif 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            self.rows[r][c] = value

    def get(self, r: int, c: int) -> Any:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    @property
    def height(self) -> int:
        return len(self.rows)

    def column(self, c: int) -> list[Any]:
        """The values of column ``c`` (0-based), row 1 first."""
        return [self.get(r, c) for r in range(len(self.rows))]


@dataclass
class RawBook:
    path: Path
    sheet_names: list[str]
    sheets: dict[str, SheetGrid]
    package: Package | None = None       # the file it was read from (None: an open Excel workbook)


def read_book(source: "str | Path | Package", sheets=None, *, password: str | None = None,
              formats=None) -> RawBook:
    """Read sheets into grids: all when ``sheets`` is None, else a list of names or a function
    choosing names from the workbook's sheet names. ``source``: a Package already opened, or a
    path (opened here; ``password``: its opening password, decrypted in memory only). ``formats``:
    the sheets whose number formats are read (names, or a chooser like ``sheets``; None: all read)."""
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
    if callable(formats):
        formats = formats(names)
    scans, date1904 = _scan_sheets(package, wanted, set(wanted if formats is None else formats)) \
        if package.is_zip else ({}, False)
    out: dict[str, SheetGrid] = {}
    for name in wanted:
        try:
            sheet = wb.get_sheet_by_name(name)
            data = sheet.to_python(skip_empty_area=False)
        except Exception as e:
            raise refuse("file_unreadable", path, detail=f"工作表“{name}”：{short_error(e)}") from None
        scan = scans.get(name)
        grid = _grid(name, data, scan.marks if scan else {})
        try:
            grid.merged = tuple(sheet.merged_cell_ranges or ())
        except Exception:                      # formats calamine keeps no merges for
            pass
        if date1904:
            _mark_1904(grid)
        if scan:
            if scan.hidden_rows:
                grid.hidden_rows = frozenset(scan.hidden_rows)
            _apply_formats(grid, scan)
        out[name] = grid
    return RawBook(path, names, out, package)


#: an .xlsx/.xlsm saved in the 1904 date system (Mac Excel; workbookPr date1904): its dates count from
#: 1904-01-01, and the number behind one (what a person typed) is 1462 days less than in 1900's
_DATE1904 = re.compile(rb'<(?:\w+:)?workbookPr\b[^>]*?\bdate1904="(?:1|true)"')


class _Date1904(date):
    date1904 = True


class _DateTime1904(datetime):
    date1904 = True


def _mark_1904(grid: SheetGrid) -> None:
    """The grid's dates marked as read from a 1904 workbook (``values.excel_serial`` counts from there)."""
    for r, row in enumerate(grid.rows):
        for c, v in enumerate(row):
            if isinstance(v, datetime):
                grid.put(r, c, _DateTime1904(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond))
            elif isinstance(v, date):
                grid.put(r, c, _Date1904(v.year, v.month, v.day))


def _apply_formats(grid: SheetGrid, scan: "_SheetScan") -> None:
    """Numbers shown as percentages become ``Percent``; constant formulas keep their text and, when
    the file holds no value for them, get the value computed here."""
    for (r, c), kind in scan.percent.items():
        v = grid.get(r, c)
        if v.__class__ in (float, int):
            grid.put(r, c, Percent(v if kind == SCALED else v / 100))
    put_formulas(grid, scan.formula_cells, scan.formulas, scan.percent)


def put_formulas(grid: SheetGrid, formula_cells: set[tuple[int, int]], constants: dict[tuple[int, int], str],
                 percent: dict[tuple[int, int], str] | None = None) -> None:
    """Record a sheet's formula cells on its grid (every reader); a constant formula keeps its text and,
    with no value shown, gets the value computed here."""
    if formula_cells:
        grid.formula_cells = frozenset(formula_cells)
    for pos, text in constants.items():
        grid.formulas[pos] = text
        if grid.get(*pos) is None:
            grid.put(*pos, constant_value(text, (percent or {}).get(pos)))


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
    return SheetGrid(name, [[v if v.__class__ is not str_ else (v or None) if v.isprintable()
                             else (strip_illegal(v) or None) for v in row] for row in data], marks)


# --- XML scan for error values and uncalculated formulas -------------------------

#: the spreadsheet and relationship namespaces: transitional (what Excel and WPS save by default) and
#: strict (Excel's 另存为 “Strict Open XML 电子表格”)
_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_R_NS = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships",
         "http://purl.oclc.org/ooxml/officeDocument/relationships")
_TYPE_E = re.compile(rb'\bt="e"')
_TYPE_STR = re.compile(rb'\bt="str"')
_V = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_F = re.compile(rb"<(?:\w+:)?f\b[^>]*>([^<]*)</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>")
_HAS_FORMULA = re.compile(rb"<f[ >/]")          # not <formula1> of a drop-down list
_HAS_FORMULA_PREFIXED = re.compile(rb"<\w+:f[ >/]")   # (a separate search: a prefix-led one is slow)


def sheet_parts(zf: zipfile.ZipFile, workbook: bytes | None = None) -> dict[str, str]:
    """sheet name -> part path inside the package (``workbook``: xl/workbook.xml, when already read)."""
    wb = bytes(read_member(zf, "xl/workbook.xml")) if workbook is None else workbook
    rels = bytes(read_member(zf, "xl/_rels/workbook.xml.rels"))
    small = len(wb) + len(rels) <= _MEMO_BYTES
    return dict((_sheet_parts_memo if small else _sheet_parts_of)(wb, rels))


#: parts up to this size are parsed once per process and remembered by their bytes
_MEMO_BYTES = 256 * 1024


def _sheet_parts_of(workbook: bytes, rels_xml: bytes) -> tuple[tuple[str, str], ...]:
    wb = ElementTree.fromstring(workbook)
    rels = ElementTree.fromstring(rels_xml)
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    ns = next((n for n in _MAIN_NS if wb.tag == f"{{{n}}}workbook"), _MAIN_NS[0])
    for s in wb.iterfind(f"{{{ns}}}sheets/{{{ns}}}sheet"):
        target = targets.get(s.get(f"{{{_R_NS[0]}}}id") or s.get(f"{{{_R_NS[1]}}}id"), "")
        target = target.lstrip("/")
        out[s.get("name")] = posixpath.normpath(target if target.startswith("xl/") else "xl/" + target)
    return tuple(out.items())


_sheet_parts_memo = lru_cache(maxsize=32)(_sheet_parts_of)      # the workbooks of one template share them


@dataclass
class _SheetScan:
    marks: dict[tuple[int, int], CellMark] = field(default_factory=dict)
    hidden_rows: set[int] = field(default_factory=set)
    percent: dict[tuple[int, int], str] = field(default_factory=dict)     # cell -> SCALED / LITERAL
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)    # cell -> constant formula text
    formula_cells: set[tuple[int, int]] = field(default_factory=set)      # every cell with a formula


def _scan_sheets(package: Package, sheets: list[str], formats: set[str]) -> tuple[dict[str, _SheetScan], bool]:
    """For the sheet parts of an xlsx/xlsm package: refuse sheets whose cell area would not fit
    in memory (before calamine allocates it), find hidden rows, mark error values and
    uncalculated formulas. Part sizes were verified when the package was opened. With the scans, whether
    the workbook counts dates from 1904 (read from the same xl/workbook.xml as the sheet list)."""
    if not sheets:
        return {}, False
    out: dict[str, _SheetScan] = {}
    path = package.path
    try:
        zf = package.zip
        if zip_kind(zf) == ".ods":
            return _scan_ods(zf, [s for s in sheets if s in formats]), False
        workbook = bytes(read_member(zf, "xl/workbook.xml")) if "xl/workbook.xml" in zf.NameToInfo else None
        date1904 = workbook is not None and _DATE1904.search(workbook) is not None
        try:
            parts = sheet_parts(zf, workbook)
        except (KeyError, ElementTree.ParseError):
            parts = {}
        if any(parts.get(name) not in zf.NameToInfo for name in sheets):
            check_every_worksheet(zf, path)   # a package laid out unusually: bound every sheet in it
        styles = percent_styles(zf)
        for name in sheets:
            part = parts.get(name)
            if not part or part not in zf.NameToInfo:
                continue
            data = read_member(zf, part)
            odd = odd_cells(data)
            check_extent(data, path, name, odd)
            scan = _SheetScan(hidden_rows=_hidden_rows(data) if len(data) <= _BIG_PART else set())
            if len(data) <= _BIG_PART:
                if b't="e"' in data or _HAS_FORMULA.search(data) or (odd and _HAS_FORMULA_PREFIXED.search(data)):
                    scan.marks, scan.formulas, scan.formula_cells = _marks(data, odd)
                if styles and name in formats:
                    scan.percent = _percent_cells(data, styles, odd)
            out[name] = scan
            del data
    except zipfile.BadZipFile as e:
        raise refuse("file_unreadable", path, detail=f"压缩包已损坏（{e}）") from None
    return out, date1904


def _marks(data: bytes, odd: bool) -> tuple[dict[tuple[int, int], CellMark], dict[tuple[int, int], str], set]:
    """Error values and formulas without a cached value (marks); constant formulas (their text);
    every cell with a formula. A shared formula's other cells (``<f t="shared" si="0"/>``: "=100%" typed
    once and filled down in Excel) have the text of the cell that holds it: a constant's is the same.
    A formula's text is decoded only when it is needed: a constant, or a formula saved without its result.
    ``odd``: whether some cell is prefixed or lacks r="" (``odd_cells``). The cells are found with a few
    regex passes in the common layout (``_plain_cells``), else by walking every cell (``_walked_cells``)."""
    found = None if odd else _plain_cells(data)
    marks, constants, formula_cells = {}, {}, set()
    shared: dict[bytes, bytes] = {}
    followers: list[tuple[tuple[int, int], bytes, bool]] = []
    for pos, error, f_tag, raw, cached in _walked_cells(data) if found is None else found:
        if error is not None:
            marks[pos] = CellMark("error", error.decode("utf-8", "replace"))
            continue
        is_shared = b'"shared"' in f_tag
        maybe_constant = _MAYBE_CONSTANT.fullmatch(raw) is not None
        if not is_shared and not maybe_constant:                        # the common case, inline
            formula_cells.add(pos)
            if not cached:
                marks[pos] = CellMark("nocache", raw=raw)
            continue
        si = _SI.search(f_tag) if is_shared else None
        if si and raw:
            shared[si.group(1)] = raw
        elif si:
            followers.append((pos, si.group(1), cached))
            continue
        text = _formula_text(raw) if maybe_constant else ""
        note_formula(pos, text, cached, marks, constants, formula_cells, raw=raw)
    for pos, index, cached in followers:
        raw = shared.get(index, b"")
        text = _formula_text(raw) if _MAYBE_CONSTANT.fullmatch(raw) else ""
        note_formula(pos, text if _CONSTANT.fullmatch(text) else "", cached, marks, constants, formula_cells)
    return marks, constants, formula_cells


#: a cell with an error value or a formula, as ``_marks`` takes it: (row, column), the error literal (None
#: for a formula), the formula's tag (its attributes, ``si``), its raw text, whether its result was saved
_FoundCell = tuple[tuple[int, int], "bytes | None", bytes, bytes, bool]


def _walked_cells(data: bytes) -> Iterator[_FoundCell]:
    """The error and formula cells of a part, found by walking every cell (any layout, any prefix)."""
    for pos, attrs, start in cells(data):
        inner = cell_content(data, start)
        v = _V.search(inner)
        if _TYPE_E.search(attrs) and v:
            yield pos, v.group(1), b"", b"", False
        elif _HAS_FORMULA.search(inner) or _HAS_FORMULA_PREFIXED.search(inner):
            f = _F.search(inner)
            # (a formula whose result is empty text is recorded as t="str" and an empty value)
            cached = v is not None and (v.group(1) != b"" or bool(_TYPE_STR.search(attrs)))
            yield pos, None, f.group(0) if f else b"", (f.group(1) or b"") if f else b"", cached


#: a formula cell as Excel, WPS, LibreOffice and openpyxl write it: <c r="B2" …><f …>text</f><v>value</v></c>
_PLAIN_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"([^>]*)><f([^>]*?)(?:/>|>([^<]*)</f>)(<v>([^<]*)</v>)?</c>')


def _plain_cells(data: bytes) -> list[_FoundCell] | None:
    """The error and formula cells of a part whose cells all start <c r="…", found with a few regex passes;
    None when some formula is not a plain formula cell (the part is then walked)."""
    found = _PLAIN_FORMULA_CELL.findall(data)
    if len(found) != len(_HAS_FORMULA.findall(data)):
        return None
    errors = _plain_errors(data)
    out: list[_FoundCell] = []
    for col, row, attrs, f_tag, raw, has_v, v in found:
        pos = (int(row) - 1, _col(col))
        if pos not in errors:              # (an error value shows, not the formula)
            cached = bool(has_v) and (v != b"" or (b't="str"' in attrs and bool(_TYPE_STR.search(attrs))))
            out.append((pos, None, f_tag, raw, cached))
    out.extend((pos, error, b"", b"", False) for pos, error in errors.items())
    return out


def _error_attrs(data: bytes) -> list[int]:
    """Where the t="e" of the cells holding an error value are (a literal-led search: \bt="e" is slow)."""
    if b't="e"' not in data:
        return []
    return [m.start() for m in _TYPE_E_AT.finditer(data) if not _WORD.fullmatch(data, m.start() - 1, m.start())]


_TYPE_E_AT = re.compile(rb't="e"')


def _plain_errors(data: bytes) -> dict[tuple[int, int], bytes]:
    """(row, column) -> the error literal of the cells holding an error value, in a part whose cells all
    start <c r="…"."""
    out = {}
    for hit in _error_attrs(data):
        at = data.rfind(b"<c ", 0, hit)
        head_end = data.find(b">", hit)
        if at < 0 or data.find(b">", at, hit) >= 0 or head_end < 0 or data[head_end - 1:head_end] == b"/":
            continue                       # not a cell's attribute, or a cell without content
        ref = _CELL_REF.match(data, at)
        end = data.find(_CELL_END_PLAIN, head_end)
        v = _V.search(data, head_end, end if end >= 0 else len(data))
        if ref and v:
            out[(int(ref.group(2)) - 1, _col(ref.group(1)))] = v.group(1)
    return out


@lru_cache(maxsize=1024)
def _col(letters: bytes) -> int:
    return col_index(letters.decode())


def _formula_text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace"))       # (&gt; is >)


#: what a constant formula's text can be before decoding (digits, sign, point, %, spaces; as character references)
_MAYBE_CONSTANT = re.compile(rb"(?:[\s+\-.%0-9]|&#[0-9]+;|&#x[0-9A-Fa-f]+;)*")
_CELL_END_PLAIN = b"</c>"


_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"')


_SI = re.compile(rb'\bsi="(\d+)"')


def note_formula(pos: tuple[int, int], formula: str, cached: bool, marks: dict[tuple[int, int], CellMark],
                 constants: dict[tuple[int, int], str], formula_cells: set[tuple[int, int]],
                 raw: bytes | None = None) -> None:
    """One cell holding ``formula`` (the text after "="; ``raw``: its XML bytes, when only they were
    read), for every reader (file, xlwings): a formula cell; a constant formula ("=100%") keeps its
    text; one saved without its result is marked."""
    formula_cells.add(pos)
    if _CONSTANT.fullmatch(formula):
        constants[pos] = formula.strip()
    elif not cached:
        marks[pos] = CellMark("nocache", raw=raw) if raw is not None and not formula else \
            CellMark("nocache", "=" + formula if formula else "(共享公式)")


# --- number formats: what a cell shows as a percentage ---------------------------------------

#: a formula that is a number, as typed after "=" ("=100%", "=0.9", "=1")
_CONSTANT = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)\s*%?\s*")
SCALED, LITERAL = "scaled", "literal"      # 0.9 shown as 90%; 90 shown as 90% (a quoted "%")
#: built-in number formats that show a percentage (ECMA-376 18.8.30: 0% and 0.00%)
_BUILTIN_PERCENT = {9: SCALED, 10: SCALED}


def constant_value(text: str, kind: str | None = None) -> float:
    """The value of a constant formula: '100%' -> Percent(1.0); '1' -> 1.0 (Percent when the cell's
    format shows a percentage)."""
    t = text.strip()
    if t.endswith("%"):
        return Percent(float(t[:-1].strip()) / 100)
    value = float(t)
    if kind == SCALED:
        return Percent(value)
    return Percent(value / 100) if kind == LITERAL else value


def percent_kind(code: str) -> str | None:
    """SCALED when a number format code multiplies by 100 and shows "%" (0.0%, 0.00%;[Red]-0.00%),
    LITERAL when its "%" (or a full-width "％") is only quoted or escaped text (0"%", 0\\%, 0"％"), None otherwise.
    Only the first section (positive numbers) counts; colours, conditions and locale tags ([$-804]) are skipped."""
    section, quoted, i = code.split(";")[0], False, 0
    literal = scaled = False
    while i < len(section):
        ch = section[i]
        if ch == '"':
            quoted = not quoted
        elif quoted:                       # (a Chinese input method's full-width ％ too)
            literal = literal or ch in "%％"
        elif ch == "\\" and i + 1 < len(section):
            literal = literal or section[i + 1] in "%％"
            i += 1
        elif ch == "[":
            end = section.find("]", i)
            i = len(section) if end < 0 else end
        elif ch == "%":
            scaled = True
        i += 1
    return SCALED if scaled else LITERAL if literal else None


_NUMFMT = re.compile(rb'<(?:\w+:)?numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"'
                     rb'|<(?:\w+:)?numFmt\b[^>]*?formatCode="([^"]*)"[^>]*?numFmtId="(\d+)"')
_CELL_XFS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)")
_XF_FMT = re.compile(rb'\bnumFmtId="(\d+)"')


def percent_styles(zf: zipfile.ZipFile) -> dict[int, str]:
    """Cell style (xf) index -> SCALED / LITERAL for the styles of xl/styles.xml that show numbers
    as percentages (read once per workbook, with a byte scan: no XML tree is built)."""
    name = next((n for n in ("xl/styles.xml", "xl/Styles.xml") if n in zf.NameToInfo), None)
    if name is None:
        return {}
    data = bytes(read_member(zf, name))
    return dict((_percent_styles_memo if len(data) <= _MEMO_BYTES else _percent_styles_of)(data))


def _percent_styles_of(data: bytes) -> tuple[tuple[int, str], ...]:
    formats = dict(_BUILTIN_PERCENT)
    for m in _NUMFMT.finditer(data):
        fid, code = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        kind = percent_kind(unescape(code.decode("utf-8", "replace")))
        if kind:
            formats[int(fid)] = kind
        else:
            formats.pop(int(fid), None)
    xfs = _CELL_XFS.search(data)
    if xfs is None:
        return ()
    out = []
    for i, m in enumerate(_XF.finditer(xfs.group(0))):
        f = _XF_FMT.search(m.group(1))
        kind = formats.get(int(f.group(1))) if f else None
        if kind:
            out.append((i, kind))
    return tuple(out)


_percent_styles_memo = lru_cache(maxsize=32)(_percent_styles_of)


def _percent_cells(data: bytes, styles: dict[int, str], odd: bool) -> dict[tuple[int, int], str]:
    """The cells of a sheet part whose style shows a percentage: found from where those styles' s="…"
    attributes are (a part laid out unusually, ``odd``, is walked cell by cell when it holds one)."""
    if odd:
        if not any(f' s="{i}"'.encode() in data for i in styles):
            return {}
        out = {}
        for pos, attrs, _ in cells(data):
            st = _S.search(attrs)
            if st and int(st.group(1)) in styles:
                out[pos] = styles[int(st.group(1))]
        return out
    out = {}
    for m in _style_attr(tuple(styles)).finditer(data):
        at = data.rfind(b"<c ", 0, m.start())
        if at >= 0 and data.find(b">", at, m.start()) < 0:       # the attribute is this cell's
            ref = _CELL_REF.match(data, at)
            if ref:
                out[(int(ref.group(2)) - 1, _col(ref.group(1)))] = styles[int(m.group(1))]
    return out


@lru_cache(maxsize=32)
def _style_attr(ids: tuple[int, ...]) -> re.Pattern[bytes]:
    """ s="<one of ids>" (what a cell with one of those styles holds)."""
    return re.compile(rb' s="(' + b"|".join(str(i).encode() for i in ids) + rb')"[ />]')


_S = re.compile(rb'\bs="(\d+)"')


# --- OpenDocument: cells of value type percentage, constant formulas -----------------------------

_ODS_FORMULA = re.compile(rb'table:formula="(?:of:)?=([^"]*)"')


def _scan_ods(zf: zipfile.ZipFile, sheets: list[str]) -> dict[str, _SheetScan]:
    """Percentages and constant formulas of an OpenDocument spreadsheet's tables (content.xml): only
    the wanted tables that hold a percentage or a formula are walked."""
    content = bytes(read_member(zf, "content.xml"))
    if b'value-type="percentage"' not in content and b"table:formula=" not in content:
        return {}
    wanted = {n.encode("utf-8") for n in sheets}
    starts = [(m.start(), m.group(1)) for m in _ODS_TABLE.finditer(content)]
    out: dict[str, _SheetScan] = {}
    for k, (start, name) in enumerate(starts):
        if name not in wanted:
            continue
        end = starts[k + 1][0] if k + 1 < len(starts) else len(content)
        if content.find(b'value-type="percentage"', start, end) < 0 and content.find(b"table:formula=", start, end) < 0:
            continue
        out[name.decode("utf-8", "replace")] = _walk_ods_table(content, start, end)
    return out


_ODS_TABLE = re.compile(rb'<table:table [^>]*?table:name="([^"]*)"')


def _walk_ods_table(content: bytes, start: int, end: int) -> _SheetScan:
    scan = _SheetScan()
    row, rows, col = 0, 0, 0       # row: first of the current (repeated) row; rows: its count
    for m in _ODS_TOKENS.finditer(content, start, end):
        if m.group(1) is not None:
            continue
        if m.group(2) is not None:
            r = _ODS_ROWS.search(m.group(2))
            row, rows, col = row + rows, int(r.group(1)) if r else 1, 0
            continue
        attrs = m.group(4)
        c = _ODS_COLS.search(attrs) if b"repeated" in attrs else None
        count = int(c.group(1)) if c else 1
        if b'value-type="percentage"' in attrs:
            for rr in range(row, row + min(rows, 1024)):
                for k in range(min(count, 1024)):
                    scan.percent[(rr, col + k)] = SCALED
        f = _ODS_FORMULA.search(attrs) if b"table:formula=" in attrs else None
        if f and count == 1 and rows == 1:
            text = f.group(1).decode("utf-8", "replace")
            if _CONSTANT.fullmatch(text):
                scan.formulas[(row, col)] = text.strip()
        col += count
    return scan


_HIDDEN_ATTR = re.compile(rb'hidden="(?:1|true)"')      # (literal-led: a leading \b would make it slow)
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_WORD = re.compile(rb"\w")
_ROW_R = re.compile(rb'\br="(\d+)"')


def _hidden_rows(data: bytes) -> set[int]:
    """0-based rows whose <row> says hidden (found from the few hidden="1" in a part, not by walking its rows)."""
    if b'hidden="' not in data:
        return set()
    out = set()
    for m in _HIDDEN_ATTR.finditer(data):
        if _WORD.fullmatch(data, m.start() - 1, m.start()):
            continue
        tag = _ROW_TAG.match(data, data.rfind(b"<", 0, m.start()))    # (no "<" inside a tag)
        if tag and tag.end() >= m.end():
            r = _ROW_R.search(tag.group(0))
            if r:
                out.add(int(r.group(1)) - 1)
    return out
