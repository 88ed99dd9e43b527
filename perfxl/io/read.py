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

from perfxl.check.problems import UnusableInput, problem

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


def _fail(code: str, path: Path, **kw) -> UnusableInput:
    return UnusableInput([problem(code, file=str(path), path=path.name, **kw)])


def check_container(path: Path, *, full: bool = True) -> None:
    """Refuse missing, non-Excel, encrypted or bomb-like files before any parser sees them
    (``full``: see ``check_package``)."""
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
        check_package(path, path, full=full)
        return
    kind = "空文件" if not head else "文件内容不是 xlsx/xlsm/xls/ods 格式"
    raise _fail("file_not_excel", path, detail=kind)


def _is_encrypted_ole(path: Path) -> bool:
    with path.open("rb") as fh:
        data = fh.read(1 << 20)
    return "EncryptedPackage".encode("utf-16-le") in data


#: characters no workbook, XML or Word file can hold (vertical tab, form feed …: they arrive from
#: Excel's _x000B_ escapes); dropped on reading so that no writer meets them
_ILLEGAL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _norm(v: Any) -> Any:
    if v == "":
        return None
    if v.__class__ is str and not v.isprintable():
        v = _ILLEGAL_CHARS.sub("", v) or None
    return v


def read_book(path: str | Path, sheets=None, *, password: str | None = None) -> RawBook:
    """Read sheets into grids: all when ``sheets`` is None, else a list of names or a
    function choosing names from the workbook's sheet names. ``password``: the workbook's
    opening password (decrypted in memory only)."""
    import python_calamine

    path = Path(path)
    source = open_source(path, password)
    try:
        if isinstance(source, Path):
            wb = python_calamine.CalamineWorkbook.from_path(str(source))
        else:
            source.seek(0)
            wb = python_calamine.CalamineWorkbook.from_filelike(source)
    except python_calamine.PasswordError:
        raise _fail("file_encrypted", path) from None
    except Exception as e:  # calamine raises several error types for broken files
        raise _fail("file_unreadable", path, detail=_short(e)) from None
    names = list(wb.sheet_names)
    if callable(sheets):
        sheets = sheets(names)
    wanted = names if sheets is None else [s for s in dict.fromkeys(sheets) if s in names]
    scans = _scan_sheets(source, path, wanted)
    out: dict[str, SheetGrid] = {}
    for name in wanted:
        try:
            data = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception as e:
            raise _fail("file_unreadable", path, detail=f"工作表“{name}”：{_short(e)}") from None
        scan = scans.get(name)
        grid = _grid(name, data, scan.marks if scan else {})
        if scan and scan.hidden_rows:
            grid.hidden_rows = frozenset(scan.hidden_rows)
        out[name] = grid
    return RawBook(path, names, out)


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
    """Calamine's rows with "" turned into None."""
    if sum(len(r) for r in data[:1]) * len(data) > _BIG:
        import numpy as np

        arr = np.array(data, dtype=object)
        if arr.ndim == 2:
            arr[arr == ""] = None
            return SheetGrid(name, _Rows(arr), marks, arr)
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


def col_letter(n: int) -> str:
    """1-based column number -> letters (28 -> AB)."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
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


def _scan_sheets(source, path: Path, sheets: list[str]) -> dict[str, _SheetScan]:
    """For the sheet parts of an xlsx/xlsm package: refuse sheets whose cell area would not fit
    in memory (before calamine allocates it), find hidden rows, mark error values and
    uncalculated formulas. Part sizes were verified by ``check_package``."""
    if not _is_zip_source(source) or not sheets:
        return {}
    out: dict[str, _SheetScan] = {}
    try:
        with zipfile.ZipFile(source) as zf:
            try:
                parts = _sheet_parts(zf)
            except (KeyError, ElementTree.ParseError):
                parts = {}
            if any(parts.get(name) not in zf.NameToInfo for name in sheets):
                _check_every_worksheet(zf, path)   # a package laid out unusually: bound every sheet in it
            for name in sheets:
                part = parts.get(name)
                if not part or part not in zf.NameToInfo:
                    continue
                data = read_member(zf, part)
                _check_extent(data, path, name)
                scan = _SheetScan(hidden_rows=_hidden_rows(data) if len(data) <= _BIG_PART else set())
                if len(data) <= _BIG_PART and (b't="e"' in data or _HAS_FORMULA.search(data)):
                    scan.marks = _marks(data)
                out[name] = scan
                del data
    except zipfile.BadZipFile as e:
        raise _fail("file_unreadable", path, detail=f"压缩包已损坏（{e}）") from None
    return out


def _check_extent(data: bytes, path: Path, sheet: str) -> None:
    rows, cols, far = _extent(data)
    if rows * cols > MAX_SHEET_CELLS:
        raise UnusableInput([problem("sheet_too_large", file=str(path), sheet=sheet, cell=far, far=far,
                                     path=path.name, rows=f"{rows:,}", cols=f"{cols:,}",
                                     limit=f"{MAX_SHEET_CELLS:,}")])


def _check_every_worksheet(zf: zipfile.ZipFile, path: Path) -> None:
    for info in zf.infolist():
        if info.file_size and not info.is_dir():
            data = read_member(zf, info)
            if b"sheetData" in data:
                _check_extent(data, path, info.filename)
            del data


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


# --- robustness: hostile and broken packages (可靠性与安全) ------------------------------
#
# Every zip member is inflated once, in bounded chunks, before any parser sees the package:
# a member that inflates beyond its declared size fails its CRC check (so the declared sizes,
# summed against MAX_UNCOMPRESSED, are real), and an XML member with a DTD (<!DOCTYPE>,
# <!ENTITY>: entity bombs, external entities) is refused, since no spreadsheet needs one. Then,
# per sheet read, the cell area is bounded from the XML before calamine allocates it densely
# (one value at XFD1048576 would make it allocate 17 billion cells and abort the process).

#: most cells (rows × columns of the area holding values) a sheet may span
MAX_SHEET_CELLS = 5_000_000
#: most members a package may list (a real workbook has tens; a thousand sheets a few thousand)
MAX_MEMBERS = 20_000
_CHUNK = 1 << 20


def check_package(source, path: Path, *, full: bool = True) -> None:
    """Refuse a zip package (a file path or file object) that is broken, a bomb or has XML with a DTD.

    ``full``: inflate every member (checking its size and CRC), as before openpyxl loads a package;
    otherwise only the start of each member is read (its XML prolog), which is what calamine needs:
    it stops at a member's declared size by itself, and perfxl's own reads are bounded the same way."""
    if _member_count(source) > MAX_MEMBERS:
        raise _fail("file_too_large", path, detail=f"压缩包中的条目超过 {MAX_MEMBERS:,} 个")
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            packed = sum(i.compress_size for i in infos) or 1
            if total > MAX_UNCOMPRESSED or (total > 50 * 1024 * 1024 and total / packed > MAX_RATIO):
                raise _fail("file_too_large", path, detail=f"{total / 1024 / 1024:.0f} MB")
            for info in infos:
                if info.compress_size > info.file_size * 1.01 + 1024:
                    raise _fail("file_unreadable", path,
                                detail=f"压缩包中“{info.filename}”的大小记录与内容不符（文件已损坏或被改动过）")
            for info in infos:
                _verify_member(zf, info, path, full)
            if "content.xml" in zf.NameToInfo and "xl/workbook.xml" not in zf.NameToInfo:
                _check_ods_extent(read_member(zf, "content.xml"), path)   # calamine reads every table at once
    except zipfile.BadZipFile as e:
        raise _fail("file_unreadable", path, detail=f"压缩包已损坏（{_short(e)}）") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as e:
        raise _fail("file_unreadable", path, detail=f"压缩包无法解开（{_short(e)}）") from None


def read_member(zf: zipfile.ZipFile, name) -> bytearray:
    """A member's bytes, inflated in bounded chunks: never more than its declared size (zipfile
    stops there and checks the CRC), however the member was made."""
    out = bytearray()
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
    return out


_PROLOG = 64 * 1024


def _verify_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, full: bool) -> None:
    """Look for a DTD in the prolog of anything that starts like XML; with ``full`` inflate the
    whole member in bounded chunks (zipfile checks size and CRC at the end)."""
    import zlib

    try:
        with zf.open(info) as fh:
            head = fh.read(_PROLOG if not full else _CHUNK)
            if _unsafe_prolog(head, more=len(head) < info.file_size):
                raise _fail("file_unsafe", path, member=info.filename)
            if full:
                while fh.read(_CHUNK):
                    pass
    except zlib.error as e:
        raise _fail("file_unreadable", path, detail=f"压缩包中“{info.filename}”已损坏（{_short(e)}）") from None


def _unsafe_prolog(head: bytes, more: bool) -> bool:
    """True when an XML member declares a DTD (<!DOCTYPE>, <!ENTITY>) before its root element, or
    its prolog runs past what was read. Parsers act on a DTD only there."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[1:2] == b"\x00" or head[:1] == b"\x00":
        enc = "utf-16-le" if head[:2] == b"\xff\xfe" or head[1:2] == b"\x00" else "utf-16-be"
        text = head.decode(enc, "ignore")
    else:
        text = head.decode("utf-8", "ignore")
    text = text.lstrip("\ufeff")
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            return more and text.strip() != ""          # prolog longer than what was read
        if not text.startswith("<", i):
            return False                               # not XML: no parser gets as far as a DTD
        if text.startswith("<?", i):
            end, close = text.find("?>", i + 2), 2
        elif text.startswith("<!--", i):
            end, close = text.find("-->", i + 4), 3
        elif text.startswith("<!", i):
            return True                                # <!DOCTYPE (or anything else declared)
        else:
            return False                               # the root element: the prolog is over
        if end < 0:
            return more
        i = end + close


def _member_count(source) -> int:
    """Entries the zip's end record declares (read before zipfile builds one object per entry)."""
    import struct

    try:
        if isinstance(source, Path):
            with source.open("rb") as fh:
                return _member_count_of(fh, struct)
        return _member_count_of(source, struct)
    except (OSError, struct.error):
        return 0


def _member_count_of(fh, struct) -> int:
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(max(0, size - 66_000))
    tail = fh.read()
    fh.seek(0)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return 0
    count = struct.unpack_from("<H", tail, at + 10)[0]
    if count == 0xFFFF:                      # zip64: the count is in the zip64 end record
        z64 = tail.rfind(b"PK\x06\x06", 0, at)
        if z64 >= 0 and z64 + 40 <= len(tail):
            count = struct.unpack_from("<Q", tail, z64 + 32)[0]
    return count


def _is_zip_source(source) -> bool:
    if isinstance(source, Path):
        with source.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    source.seek(0)
    head = source.read(4)
    source.seek(0)
    return head == b"PK\x03\x04"


def open_source(path: Path, password: str | None = None, *, full: bool = False):
    """The workbook to read: ``path`` itself after ``check_container``, or, for a workbook with an
    opening password, its decrypted bytes (an in-memory file object; nothing decrypted is written).
    ``full``: verify every member of the package (before openpyxl loads it)."""
    path = Path(path)
    encrypted_ole = False
    if password is not None and path.is_file():
        with path.open("rb") as fh:
            encrypted_ole = fh.read(8).startswith(b"\xd0\xcf\x11\xe0")
    data = decrypt(path, password) if encrypted_ole else None
    if data is None:                         # no password, not encrypted, or a legacy .xls
        check_container(path, full=full)
        return path
    if data.getvalue()[:4] == b"PK\x03\x04":
        check_package(data, path, full=full)
    data.seek(0)
    return data


def decrypt(path: Path, password: str):
    """Decrypted bytes of a password-protected Office file (BytesIO), or None when not encrypted."""
    import io

    try:
        import msoffcrypto
        from msoffcrypto import exceptions as mx
    except ImportError:
        raise _fail("password_unsupported", path) from None
    out = io.BytesIO()
    try:
        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            if not office.is_encrypted():
                return None
            office.load_key(password=password)
            office.decrypt(out)
    except mx.InvalidKeyError:
        raise _fail("password_wrong", path) from None
    except Exception as e:  # msoffcrypto raises many types for damaged or unusual files
        if "password" in str(e).lower() or "key" in str(e).lower():
            raise _fail("password_wrong", path) from None
        raise _fail("file_unreadable", path, detail=f"无法解密（{_short(e)}）") from None
    out.seek(0)
    return out


_TWO_LETTER_REF = re.compile(rb'r="[A-Z][A-Z]')
_THREE_LETTER_REF = re.compile(rb'r="[A-Z][A-Z][A-Z]')
_TOKENS = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_ATTR_R = re.compile(rb'\br="([A-Z]*)(\d*)"')


def _valued_refs(data: bytes, letters: str, digits: str) -> list[tuple[bytes, bytes]]:
    """(column letters, row digits) of cells with content whose reference has that shape."""
    pat = re.compile(rb'r="(' + letters.encode() + rb')(' + digits.encode() + rb')"[^>]*(?<!/)>')
    return pat.findall(data)




#: a prefixed cell (<x:c>), or a cell whose first attribute is not r="" (two literal-led regex
#: searches: much faster over a big sheet than one alternation, or than bytes.count)
_PREFIXED_CELL = re.compile(rb":c[ >]")
_CELL_WITHOUT_LEADING_R = re.compile(rb'<c[ >](?!r=")')


def _odd_cells(data: bytes) -> bool:
    return bool(_PREFIXED_CELL.search(data) or _CELL_WITHOUT_LEADING_R.search(data))


def _extent(data: bytes) -> tuple[int, int, str]:
    """(rows, columns) bounding the cells with content of a sheet part, and the reference of its
    far corner. Exact where cheap bounds do not already show the area is small."""
    if _odd_cells(data):
        return _extent_by_tokens(data)        # cells without a leading r="" (or prefixed): walk them
    if not _TWO_LETTER_REF.search(data):
        cols = 26
    else:
        refs = _valued_refs(data, "[A-Z]{3}", r"\d+") if _THREE_LETTER_REF.search(data) else []
        refs = refs or _valued_refs(data, "[A-Z]{2}", r"\d+")
        cols = max((col_index(c.decode()) + 1 for c, _ in refs), default=26)
        cols = max(cols, 26)
    refs = _valued_refs(data, "[A-Z]{1,3}", r"\d{6,7}")
    rows = max((int(r) for _, r in refs), default=99_999)
    if cols == 26 and rows * cols > MAX_SHEET_CELLS:          # 26 was a bound: find the last column used
        cols = next((i + 1 for i in range(25, -1, -1)
                     if re.search(rb'r="' + bytes([65 + i]) + rb'\d+"[^>]*(?<!/)>', data)), 1)
    for d in range(5, 0, -1):
        if refs or rows * cols <= MAX_SHEET_CELLS:
            break
        refs = _valued_refs(data, "[A-Z]{1,3}", rf"\d{{{d}}}")
        rows = max((int(r) for _, r in refs), default=10 ** (d - 1) - 1)
    return max(rows, 1), cols, f"{col_letter(cols)}{max(rows, 1)}"


def _extent_by_tokens(data: bytes) -> tuple[int, int, str]:
    row = col = 0
    max_row = max_col = 1
    for m in _TOKENS.finditer(data):
        tag, attrs, closed = m.groups()
        ref = _ATTR_R.search(attrs)
        if tag == b"row":
            row = int(ref.group(2)) if ref and ref.group(2) else row + 1
            col = 0
            continue
        if ref and ref.group(1):
            col = col_index(ref.group(1).decode()) + 1
            if ref.group(2):
                row = int(ref.group(2))
        else:
            col += 1
        if not closed:
            max_row, max_col = max(max_row, row), max(max_col, col)
    return max_row, max_col, f"{col_letter(max_col)}{max_row}"



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


_ODS_TOKENS = re.compile(rb"<table:table (?:[^>]*?)table:name=\"([^\"]*)\"|<table:table-row\b([^>]*?)(/?)>"
                         rb"|<table:table-cell\b([^>]*?)(/?)>|<table:covered-table-cell\b([^>]*?)(/?)>")
_ODS_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_ODS_COLS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')


def _check_ods_extent(content: bytes, path: Path) -> None:
    """An OpenDocument spreadsheet repeats rows and cells by count: bound the area of the cells with
    content of every table (a repeated cell with content is expanded by every reader)."""
    name, row, col, rep = "", 0, 0, 1
    max_row = max_col = 0

    def check() -> None:
        if max_row * max_col > MAX_SHEET_CELLS:
            raise UnusableInput([problem("sheet_too_large", file=str(path), sheet=name, path=path.name,
                                         rows=f"{max_row:,}", cols=f"{max_col:,}", limit=f"{MAX_SHEET_CELLS:,}",
                                         far=f"{col_letter(min(max_col, 16384))}{max_row}")])

    for m in _ODS_TOKENS.finditer(content):
        if m.group(1) is not None:
            check()
            name, row, max_row, max_col = m.group(1).decode("utf-8", "replace"), 0, 0, 0
        elif m.group(2) is not None:
            r = _ODS_ROWS_REPEATED.search(m.group(2))
            rep = int(r.group(1)) if r else 1
            row += rep
            col = 0
        else:
            attrs, closed = (m.group(4), m.group(5)) if m.group(4) is not None else (m.group(6), m.group(7))
            c = _ODS_COLS_REPEATED.search(attrs)
            col += int(c.group(1)) if c else 1
            if not closed or b"value-type" in attrs:
                max_row, max_col = max(max_row, row), max(max_col, col)
    check()
