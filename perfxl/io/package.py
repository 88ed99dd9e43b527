"""A workbook file as one verified package, opened once.

``Package.open(path)`` reads the file once (decrypting it in memory when it has an opening
password) and refuses, before any parser sees it, what is missing, not a workbook, encrypted, a
zip bomb, a package that lies about its sizes, or XML with a DTD (entity bombs, external entities).
Readers and writers then share the same bytes: the zip is not opened again. Sheets whose cell area
would not fit in memory are refused from their XML before calamine allocates them.
"""
from __future__ import annotations

import errno
import io
import re
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from perfxl.check.problems import UnusableInput, problem
from perfxl.io.names import APPLEDOUBLE_PREFIX, LOCK_PREFIX, MACOSX_FOLDER
from perfxl.model.cells import MAX_COL, col_index, col_letter

#: refuse archives that would expand beyond this (zip bombs); a big real workbook is far smaller
MAX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_RATIO = 200
#: a workbook file itself larger than this is not read into memory
MAX_FILE_BYTES = MAX_UNCOMPRESSED
#: the workbooks a folder is searched for; .et is WPS 表格's own format (an .xls inside: read by content)
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0"
#: the workbook relationship of a Strict Open XML package (transitional: schemas.openxmlformats.org)
RT_STRICT_OFFICE = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"
ZIP_MAGIC = b"PK\x03\x04"
#: archives a workbook may come in (a unit's e-mail attachment): found by a folder walk, refused with advice
ARCHIVE_MAGIC = {b"Rar!\x1a\x07": "RAR", b"7z\xbc\xaf\x27\x1c": "7z"}
ARCHIVE_SUFFIXES = {".zip", ".rar", ".7z"}


@dataclass
class Package:
    """One workbook file read once: its bytes (decrypted in memory when it had a password)."""
    path: Path
    data: bytes
    encrypted: bool = False            # decrypted from an encrypted file: a save must encrypt again
    full: bool = False                 # every member inflated and checked (size, CRC)
    _zip: zipfile.ZipFile | None = field(default=None, repr=False)
    stamp: tuple[int, int] = (0, 0)    # (size, mtime_ns) of the file when it was read

    @classmethod
    def open(cls, path: str | Path, password: str | None = None, *, full: bool = False) -> "Package":
        """Read and verify ``path``. ``full``: inflate every member now (before openpyxl loads it);
        otherwise only each member's XML prolog is checked (what calamine needs)."""
        path = Path(path)
        data = read_file(path)
        encrypted = False
        if data.startswith(OLE_MAGIC) and _is_encrypted_ole(data):
            if password is None:
                raise refuse("file_encrypted", path)
            data, encrypted = decrypt(data, path, password), True
        zf = None
        if data.startswith(ZIP_MAGIC):
            zf = check_package(data, path, full=full)
        elif not data.startswith(OLE_MAGIC):
            archive = next((k for magic, k in ARCHIVE_MAGIC.items() if data.startswith(magic)), None)
            if archive:
                raise refuse("file_archive", path, kind=archive, inside="")
            kind = "空文件" if not data else "文件内容不是 xlsx/xlsm/xls/ods 格式"
            raise refuse("file_not_excel", path, detail=kind)
        else:
            _check_xls_extent(data, path)     # calamine reads an .xls sheet into a dense grid at once
        return cls(path, data, encrypted, full, zf, _stamp(path))

    @classmethod
    def of_bytes(cls, data: bytes, path: str | Path) -> "Package":
        """A package perfxl made in memory (``path``: the name it will have), verified as a file is."""
        path = Path(path)
        return cls(path, data, False, False, check_package(data, path, full=False))

    @property
    def kind(self) -> str:
        """The format by content, as a suffix (.xlsx, .xlsm, .xls, .xlsb, .ods): a file's name may lie."""
        named = self.path.suffix.lower()
        if self.data.startswith(OLE_MAGIC):
            return ".xls"
        if not self.is_zip:
            return named
        zipped = zip_kind(self.zip)
        if zipped is not None:
            return zipped
        return named if named in (".xlsx", ".xlsm") else ".xlsm" if "xl/vbaProject.bin" in self.zip.NameToInfo \
            else ".xlsx"

    @property
    def strict(self) -> bool:
        """An .xlsx saved as Excel's “Strict Open XML 电子表格”: its parts use the ISO namespaces, which
        calamine reads but perfxl's package editor does not write."""
        if not self.is_zip or "_rels/.rels" not in self.zip.NameToInfo:
            return False
        return RT_STRICT_OFFICE.encode() in bytes(read_member(self.zip, "_rels/.rels"))

    @property
    def is_zip(self) -> bool:
        return self.data.startswith(ZIP_MAGIC)

    def stream(self) -> io.BytesIO:
        """A fresh file object over the bytes (for calamine and openpyxl)."""
        return io.BytesIO(self.data)

    @property
    def zip(self) -> zipfile.ZipFile:
        """The package's zip directory, parsed once."""
        if self._zip is None:
            try:
                self._zip = zipfile.ZipFile(io.BytesIO(self.data))
            except zipfile.BadZipFile as e:
                raise refuse("file_unreadable", self.path, detail=f"压缩包已损坏（{short_error(e)}）") from None
        return self._zip

    def verify_full(self) -> None:
        """Inflate every member once (size and CRC checked), as before openpyxl loads the package."""
        if not self.full and self.is_zip:
            try:
                verify_members(self.zip, self.path, full=True)
            except zipfile.BadZipFile as e:
                raise refuse("file_unreadable", self.path, detail=f"压缩包已损坏（{short_error(e)}）") from None
            except (NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as e:
                raise refuse("file_unreadable", self.path, detail=f"压缩包无法解开（{short_error(e)}）") from None
            self.full = True

    def changed(self) -> bool:
        """The file on disk is no longer the one read (saved again, replaced, removed)."""
        try:
            return _stamp(self.path) != self.stamp
        except OSError:
            return True


def read_file(path: Path, csv: bool = False) -> bytes:
    """The file's bytes (a workbook, or with ``csv`` a CSV, refused in a CSV's words); refuses what is missing,
    a folder, not a regular file (a FIFO would block) or too large to be a workbook."""
    not_file, too_large, unreadable = (("csv_not_file", "csv_too_large", "csv_unreadable") if csv
                                       else ("file_not_excel", "file_too_large", "file_unreadable"))
    try:
        st = path.stat()
    except FileNotFoundError:
        raise refuse("file_missing", path) from None
    except OSError as e:
        raise refuse(unreadable, path, detail=short_error(e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise refuse(not_file, path, detail="这是一个文件夹")
    if not stat.S_ISREG(st.st_mode):
        raise refuse(not_file, path, detail="不是普通文件")
    if st.st_size > MAX_FILE_BYTES:
        raise refuse(too_large, path, detail=f"文件 {st.st_size / 1024 / 1024:.0f} MB")
    try:
        return path.read_bytes()
    except OSError as e:
        raise refuse(unreadable, path, detail=short_error(e)) from None


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns)


def _is_encrypted_ole(data: bytes) -> bool:
    return "EncryptedPackage".encode("utf-16-le") in data[: 1 << 20]


def refuse(code: str, path: Path, **kw) -> UnusableInput:
    return UnusableInput([problem(code, file=str(path), path=path.name, **kw)])


#: why a file could not be read or written, in the user's words
_OS_REASONS = {errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EACCES: "没有写入权限",
               errno.EPERM: "没有写入权限", errno.EROFS: "所在的磁盘是只读的", errno.EISDIR: "这是一个文件夹",
               errno.ENAMETOOLONG: "文件名太长", errno.EFBIG: "文件太大", errno.ELOOP: "符号链接循环",
               errno.ENOTDIR: "路径中有一部分不是文件夹", errno.EIO: "读写出错（磁盘或网络故障）",
               errno.ENXIO: "不是普通文件"}


def os_reason(e: OSError, reading: bool = False) -> str:
    """An OSError in the user's words (``reading``: a permission is a permission to read)."""
    if reading and e.errno in (errno.EACCES, errno.EPERM):
        return "没有读取权限"
    return _OS_REASONS.get(e.errno) or (e.strerror or type(e).__name__)


def short_error(e: Exception) -> str:
    if isinstance(e, OSError) and e.errno in _OS_REASONS:
        return os_reason(e, reading=True)
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:200]


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


def check_package(data: bytes, path: Path, *, full: bool = True) -> zipfile.ZipFile:
    """Refuse a zip package that is broken, a bomb or has XML with a DTD; return its directory.

    ``full``: inflate every member (checking its size and CRC), as before openpyxl loads a package;
    otherwise only the start of each member is read (its XML prolog), which is what calamine needs:
    it stops at a member's declared size by itself, and perfxl's own reads are bounded the same way."""
    if _member_count(data) > MAX_MEMBERS:
        raise refuse("file_too_large", path, detail=f"压缩包中的条目超过 {MAX_MEMBERS:,} 个")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.NameToInfo.keys()
        if not {"[Content_Types].xml", "mimetype", "content.xml"} & names and not any(
                n.startswith("xl/") for n in names):                        # none of a workbook's parts
            books = workbooks_inside(zf)
            raise refuse("file_archive", path, kind="zip", inside="：其中有 " + "、".join(books[:5]) + (
                f" 等 {len(books)} 个工作簿" if len(books) > 5 else "") if books else "")
        verify_members(zf, path, full=full)
        kind = zip_kind(zf)
        if kind == ".ods":
            _check_ods_extent(read_member(zf, "content.xml"), path)   # calamine reads every table at once
        elif kind == ".xlsb":
            for name in zf.NameToInfo:
                if name.startswith("xl/worksheets/") and name.endswith(".bin"):
                    _check_xlsb_extent(read_member(zf, name), path, name)
    except zipfile.BadZipFile as e:
        raise refuse("file_unreadable", path, detail=f"压缩包已损坏（{short_error(e)}）") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, OSError, ValueError) as e:
        raise refuse("file_unreadable", path, detail=f"压缩包无法解开（{short_error(e)}）") from None
    return zf


def workbooks_inside(zf: zipfile.ZipFile) -> list[str]:
    """The names of the workbooks a zip archive holds (macOS's leftovers aside)."""
    names = [PurePosixPath(_member_name(i)).name for i in zf.infolist()
             if not i.is_dir() and MACOSX_FOLDER + "/" not in i.filename]
    return [n for n in names if PurePosixPath(n).suffix.lower() in EXCEL_SUFFIXES
            and not n.startswith((APPLEDOUBLE_PREFIX, LOCK_PREFIX))]


def _member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its maker wrote it: Windows' zip tools write Chinese names in GBK without
    saying so, Info-ZIP UTF-8 (zipfile then decodes both as cp437)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gbk"):        # Info-ZIP writes UTF-8 without the flag too
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return info.filename


def zip_kind(zf: zipfile.ZipFile) -> str | None:
    """A zip package's format when it is not .xlsx/.xlsm, by its members: ".xlsb" (a binary
    workbook) or ".ods" (OpenDocument: content.xml, no xl/workbook.xml); None otherwise."""
    names = zf.NameToInfo
    if "xl/workbook.bin" in names:
        return ".xlsb"
    if "content.xml" in names and "xl/workbook.xml" not in names:
        return ".ods"
    return None


def verify_members(zf: zipfile.ZipFile, path: Path, *, full: bool) -> None:
    """Declared sizes within bounds and consistent; every XML prolog without a DTD; with ``full``
    every member inflated in bounded chunks (zipfile checks size and CRC at the end)."""
    infos = zf.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED or (total > 50 * 1024 * 1024 and total / packed > MAX_RATIO):
        raise refuse("file_too_large", path, detail=f"{total / 1024 / 1024:.0f} MB")
    for info in infos:
        if info.compress_size > info.file_size * 1.01 + 1024:
            raise refuse("file_unreadable", path,
                        detail=f"压缩包中“{info.filename}”的大小记录与内容不符（文件已损坏或被改动过）")
    for info in infos:
        _verify_member(zf, info, path, full)


def read_member(zf: zipfile.ZipFile, name) -> bytearray:
    """A member's bytes, inflated in bounded chunks: never more than its declared size (zipfile
    stops there and checks the CRC), however the member was made."""
    out = bytearray()
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
    return out


_PROLOG = 64 * 1024
_HEAD = 1024


def _verify_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, full: bool) -> None:
    """Look for a DTD in the prolog of anything that starts like XML; with ``full`` inflate the
    whole member in bounded chunks (zipfile checks size and CRC at the end)."""
    import zlib

    try:
        with zf.open(info) as fh:
            # the first kilobyte settles almost every member; a longer prolog is read up to _PROLOG
            head = fh.read(_HEAD if not full else _CHUNK)
            if _unsafe_prolog(head, more=len(head) < info.file_size) and not full and len(head) < info.file_size:
                head += fh.read(_PROLOG - len(head))
            if _unsafe_prolog(head, more=len(head) < info.file_size):
                raise refuse("file_unsafe", path, member=info.filename)
            if full:
                while fh.read(_CHUNK):
                    pass
    except zlib.error as e:
        raise refuse("file_unreadable", path, detail=f"压缩包中“{info.filename}”已损坏（{short_error(e)}）") from None


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


def _member_count(data: bytes) -> int:
    """Entries the zip's end record declares (read before zipfile builds one object per entry)."""
    tail = data[-66_000:]
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return 0
    count = struct.unpack_from("<H", tail, at + 10)[0]
    if count == 0xFFFF:                      # zip64: the count is in the zip64 end record
        z64 = tail.rfind(b"PK\x06\x06", 0, at)
        if z64 >= 0 and z64 + 40 <= len(tail):
            count = struct.unpack_from("<Q", tail, z64 + 32)[0]
    return count


def decrypt(data: bytes, path: Path, password: str) -> bytes:
    """Decrypted bytes of a password-protected Office file (in memory only)."""
    try:
        import msoffcrypto
        from msoffcrypto import exceptions as mx
    except ImportError:
        raise refuse("password_unsupported", path) from None
    out = io.BytesIO()
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=password)
        office.decrypt(out)
    except mx.InvalidKeyError:
        raise refuse("password_wrong", path) from None
    except Exception as e:  # msoffcrypto raises many types for damaged or unusual files
        if "password" in str(e).lower() or "key" in str(e).lower():
            raise refuse("password_wrong", path) from None
        raise refuse("file_unreadable", path, detail=f"无法解密（{short_error(e)}）") from None
    return out.getvalue()


_TWO_LETTER_REF = re.compile(rb'r="[A-Z][A-Z]')
#: a reference past ZZ999: three letters or four digits (one pass: the two apart cost twice as much)
_PAST_ZZ999 = re.compile(rb'r="(?:[A-Z]{3}|[A-Z]{0,3}\d{4})')
_PREFIXED_CELL = re.compile(rb":c[ >]")
_CELL_WITHOUT_LEADING_R = re.compile(rb'<c[ >](?!r=")')
_THREE_LETTER_REF = re.compile(rb'r="[A-Z][A-Z][A-Z]')
_TOKENS = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_ATTR_R = re.compile(rb'\br="([A-Z]*)(\d*)"')


def _valued_refs(data: bytes, letters: str, digits: str) -> list[tuple[bytes, bytes]]:
    """(column letters, row digits) of cells with content whose reference has that shape."""
    pat = re.compile(rb'r="(' + letters.encode() + rb')(' + digits.encode() + rb')"[^>]*(?<!/)>')
    return pat.findall(data)




#: a prefixed cell (<x:c>), or a cell whose first attribute is not r="" (two literal-led regex
#: searches: much faster over a big sheet than one alternation, or than bytes.count)


def odd_cells(data: bytes) -> bool:
    return bool(_PREFIXED_CELL.search(data) or _CELL_WITHOUT_LEADING_R.search(data))


def _extent(data: bytes, odd: bool | None = None) -> tuple[int, int, str]:
    """(rows, columns) bounding the cells with content of a sheet part, and the reference of its
    far corner. Exact where cheap bounds do not already show the area is small. ``odd``: ``odd_cells``
    when already known."""
    if odd_cells(data) if odd is None else odd:
        return _extent_by_tokens(data)        # cells without a leading r="" (or prefixed): walk them
    if not _PAST_ZZ999.search(data):
        return 999, 702, "ZZ999"              # a bound (ZZ999) far below the limit: no need to be exact
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
    max_row = max_col = 1
    for (row, col), _, content in cells(data):
        if content is not None:
            max_row, max_col = max(max_row, row + 1), max(max_col, col + 1)
    return max_row, max_col, f"{col_letter(max_col)}{max_row}"


def cells(data: bytes) -> Iterator[tuple[tuple[int, int], bytes, int | None]]:
    """Every cell of a sheet part, in any namespace prefix (<c>, <x:c>): its 0-based (row, column),
    its attributes, and where its content starts (None: a self-closed cell; see ``cell_content``).
    A cell without r="" is the one after the cell before it, a row without r="" the one after the
    row before it (the spec allows both; some programs write no references at all). Only opening
    tags are matched: a cell left unclosed cannot hide the cells after it."""
    row = col = -1
    for m in _TOKENS.finditer(data):
        tag, attrs, closed = m.groups()
        ref = _ATTR_R.search(attrs)
        if tag == b"row":
            row, col = (int(ref.group(2)) - 1 if ref and ref.group(2) else row + 1), -1
            continue
        if ref and ref.group(1):
            col = col_index(ref.group(1).decode())
            if ref.group(2):
                row = int(ref.group(2)) - 1
        else:
            col += 1
        yield (row, col), attrs, None if closed else m.end()


_CELL_END = re.compile(rb"</(?:\w+:)?c>")


def cell_content(data: bytes, start: int | None) -> bytes:
    """The XML inside a cell whose content starts at ``start`` (from ``cells``)."""
    if start is None:
        return b""
    end = _CELL_END.search(data, start)
    return data[start:end.start() if end else len(data)]


def check_extent(data: bytes, path: Path, sheet: str, odd: bool | None = None) -> None:
    rows, cols, far = _extent(data, odd)
    _too_large(path, sheet, rows, cols, far, cell=far)


def check_every_worksheet(zf: zipfile.ZipFile, path: Path) -> None:
    for info in zf.infolist():
        if info.file_size and not info.is_dir():
            data = read_member(zf, info)
            if b"sheetData" in data:
                check_extent(data, path, info.filename)
            del data


#: an OpenDocument table's start (its name), a row (attributes, "/" if empty) and a cell or covered cell
#: (attributes, "/" if empty), in content.xml; how many times a row or a cell repeats
ODS_TOKENS = re.compile(rb"<table:table (?:[^>]*?)table:name=\"([^\"]*)\"|<table:table-row\b([^>]*?)(/?)>"
                        rb"|<table:(?:covered-)?table-cell\b([^>]*?)(/?)>")
ODS_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
ODS_COLS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')


def _too_large(path: Path, sheet: str, rows: int, cols: int, far: str | None = None, **where) -> None:
    """Refuse a sheet whose cell area (``rows`` × ``cols`` from A1, farthest cell ``far``) is past the limit."""
    if rows * cols > MAX_SHEET_CELLS:
        far = far or f"{col_letter(min(max(cols, 1), MAX_COL))}{rows}"
        raise UnusableInput([problem("sheet_too_large", file=str(path), sheet=sheet, path=path.name, far=far,
                                     rows=f"{rows:,}", cols=f"{cols:,}", limit=f"{MAX_SHEET_CELLS:,}", **where)])


#: BIFF8 records holding one cell (row and column first) and the ones holding a run of cells
_BIFF_CELLS = {0x0006, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00D6}
_BIFF_RUNS = {0x00BD, 0x00BE}                      # MULRK, MULBLANK: row, first column … last column
_BIFF_BOF, _BIFF_SHEET, _BIFF_FILEPASS = 0x0809, 0x0085, 0x002F


def _check_xls_extent(data: bytes, path: Path) -> None:
    """An .xls is read a whole sheet at a time into a grid from A1 to its farthest cell (an 80 KB file
    can reach IV65536, 1.3 GB): bound every sheet's extent from its cell records first."""
    try:
        import olefile
    except ImportError:                            # not installable here: calamine reads it unbounded
        return
    try:
        with olefile.OleFileIO(data) as ole:
            stream = next((s for s in ("Workbook", "Book") if ole.exists(s)), None)
            if stream is None:
                return
            book = ole.openstream(stream).read()
    except (OSError, ValueError, IndexError, EOFError) as e:
        raise refuse("file_unreadable", path, detail=short_error(e)) from None
    names: dict[int, str] = {}
    sheet, rows, cols, pos = "", 0, 0, 0
    unpack = struct.unpack_from
    while pos + 4 <= len(book):
        kind, size = unpack("<HH", book, pos)
        body = pos + 4
        if kind == _BIFF_FILEPASS:                 # encrypted records: calamine refuses them anyway
            return
        if kind == _BIFF_SHEET and size >= 8:
            offset, length, flags = unpack("<IxxBB", book, body)
            raw = book[body + 8:body + 8 + length * (2 if flags & 1 else 1)]
            names[offset] = raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")
        elif kind == _BIFF_BOF:
            _too_large(path, sheet, rows, cols)
            sheet, rows, cols = names.get(pos, sheet), 0, 0
        elif kind in _BIFF_CELLS and size >= 4:
            r, c = unpack("<HH", book, body)
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        elif kind in _BIFF_RUNS and size >= 6:
            r, = unpack("<H", book, body)
            last, = unpack("<H", book, body + size - 2)
            rows, cols = max(rows, r + 1), max(cols, last + 1)
        pos = body + size
    _too_large(path, sheet, rows, cols)


def _xlsb_number(data: bytes, pos: int, most: int) -> tuple[int, int]:
    """A record type or size of an .xlsb part: 7 bits a byte, the high bit says another follows."""
    value = shift = 0
    for _ in range(most):
        if pos >= len(data):
            break
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return value, pos


def _check_xlsb_extent(part: bytes, path: Path, sheet: str) -> None:
    """An .xlsb sheet part, bounded like an .xls sheet: rows from BrtRowHdr, columns from the cell
    records (BrtCellBlank … BrtFmlaError, the column first)."""
    rows = cols = row = pos = 0
    while pos < len(part):
        kind, pos = _xlsb_number(part, pos, 2)
        size, pos = _xlsb_number(part, pos, 4)
        if kind == 0 and size >= 4:                # BrtRowHdr
            row = struct.unpack_from("<I", part, pos)[0] + 1
        elif 1 <= kind <= 11 and size >= 4:
            col = struct.unpack_from("<I", part, pos)[0] + 1
            rows, cols = max(rows, row), max(cols, col)
        pos += size
    _too_large(path, sheet, rows, cols)


def _check_ods_extent(content: bytes, path: Path) -> None:
    """An OpenDocument spreadsheet repeats rows and cells by count: bound the area of the cells with
    content of every table (a repeated cell with content is expanded by every reader)."""
    name, row, col, rep = "", 0, 0, 1
    max_row = max_col = 0

    def check() -> None:
        _too_large(path, name, max_row, max_col)

    for m in ODS_TOKENS.finditer(content):
        if m.group(1) is not None:
            check()
            name, row, max_row, max_col = m.group(1).decode("utf-8", "replace"), 0, 0, 0
        elif m.group(2) is not None:
            r = ODS_ROWS_REPEATED.search(m.group(2))
            rep = int(r.group(1)) if r else 1
            row += rep
            col = 0
        else:
            attrs, closed = m.group(4), m.group(5)
            c = ODS_COLS_REPEATED.search(attrs)
            col += int(c.group(1)) if c else 1
            if not closed or b"value-type" in attrs:
                max_row, max_col = max(max_row, row), max(max_col, col)
    check()
