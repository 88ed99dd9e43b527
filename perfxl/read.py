"""Read a workbook file into plain grids of cell values (python-calamine, fast).

Calamine gives cached values only; error values (#DIV/0!) and formulas that were never
calculated come back as blanks. A light scan of the sheet XML marks those cells so that
validation can say what is really there.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from .problems import UnusableInput, problem

#: refuse archives that would expand beyond this (zip bombs); a big real workbook is far smaller
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200
#: sheet parts larger than this are not scanned for error values (cost grows with the sheet)
_BIG_PART = 8 * 1024 * 1024

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}


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


def _fail(code: str, path: Path, **kw) -> UnusableInput:
    return UnusableInput([problem(code, file=str(path), path=path.name, **kw)])


def check_container(path: Path) -> None:
    """Refuse missing, non-Excel, encrypted or bomb-like files before any parser sees them."""
    if not path.exists():
        raise _fail("file_missing", path)
    if path.is_dir():
        raise _fail("file_not_excel", path, detail="这是一个文件夹")
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        # OLE container: a legacy .xls, or an OOXML package encrypted with a password
        if _is_encrypted_ole(path):
            raise _fail("file_encrypted", path)
        return
    if head[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as zf:
                infos = zf.infolist()
        except zipfile.BadZipFile as e:
            raise _fail("file_unreadable", path, detail=f"压缩包已损坏（{e}）") from None
        total = sum(i.file_size for i in infos)
        packed = sum(i.compress_size for i in infos) or 1
        if total > MAX_UNCOMPRESSED or (total > 50 * 1024 * 1024 and total / packed > MAX_RATIO):
            raise _fail("file_too_large", path, detail=f"{total / 1024 / 1024:.0f} MB")
        return
    kind = "空文件" if not head else "文件内容不是 xlsx/xlsm/xls/ods 格式"
    raise _fail("file_not_excel", path, detail=kind)


def _is_encrypted_ole(path: Path) -> bool:
    with path.open("rb") as fh:
        data = fh.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in data


def _norm(v: Any) -> Any:
    if v == "":
        return None
    return v


def read_book(path: str | Path, sheets=None) -> RawBook:
    """Read sheets into grids: all when ``sheets`` is None, else a list of names or a
    function choosing names from the workbook's sheet names."""
    import python_calamine

    path = Path(path)
    check_container(path)
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError:
        raise _fail("file_encrypted", path) from None
    except Exception as e:  # calamine raises several error types for broken files
        raise _fail("file_unreadable", path, detail=_short(e)) from None
    names = list(wb.sheet_names)
    if callable(sheets):
        sheets = sheets(names)
    wanted = names if sheets is None else [s for s in dict.fromkeys(sheets) if s in names]
    marks_by_sheet = _scan_marks(path, wanted)
    out: dict[str, SheetGrid] = {}
    for name in wanted:
        try:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as e:
            raise _fail("file_unreadable", path, detail=f"工作表“{name}”：{_short(e)}") from None
        out[name] = _grid(name, data, marks_by_sheet.get(name, {}))
    return RawBook(path, names, out)


#: sheets with more cells than this are normalised with numpy (a questionnaire of 100,000 answers)
_BIG = 50_000


def _grid(name: str, data: list[list[Any]], marks) -> SheetGrid:
    """Calamine's rows with "" turned into None."""
    if sum(len(r) for r in data[:1]) * len(data) > _BIG:
        import numpy as np

        arr = np.array(data, dtype=object)
        if arr.ndim == 2:
            arr[arr == ""] = None
            return SheetGrid(name, arr.tolist(), marks, arr)
    return SheetGrid(name, [[_norm(v) for v in row] for row in data], marks)


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


# --- XML scan for error values and uncalculated formulas -------------------------

_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
       "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
_CELL = re.compile(rb"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_TYPE_E = re.compile(rb'\bt="e"')
_V = re.compile(rb"<v>([^<]*)</v>")
_F = re.compile(rb"<f\b[^>]*>([^<]*)</f>|<f\b[^>]*/>")
_HAS_FORMULA = re.compile(rb"<f[ >/]")          # not <formula1> of a drop-down list


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """sheet name -> part path inside the package."""
    wb = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels}
    out = {}
    for s in wb.iterfind("m:sheets/m:sheet", _NS):
        target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
        target = target.lstrip("/")
        out[s.get("name")] = target if target.startswith("xl/") else "xl/" + target
    return out


def _scan_marks(path: Path, sheets: list[str]) -> dict[str, dict[tuple[int, int], CellMark]]:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    out: dict[str, dict[tuple[int, int], CellMark]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            parts = _sheet_parts(zf)
            for name in sheets:
                part = parts.get(name)
                if not part:
                    continue
                if zf.getinfo(part).file_size > _BIG_PART:
                    continue                 # a huge answer sheet: error cells there read as blanks
                data = zf.read(part)
                if b't="e"' not in data and not _HAS_FORMULA.search(data):
                    continue
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
                if marks:
                    out[name] = marks
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    return out
