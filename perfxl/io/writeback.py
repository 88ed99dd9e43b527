"""Write a scored workbook file safely: a new file or in place (backup, atomic replace), legacy
formats into a new .xlsx, encrypted workbooks encrypted again, all in memory until the final write.

An .xlsx/.xlsm is edited at the XML level (``perfxl.io.xlsx``): only the sheets perfxl owns are
regenerated and only the cells, formats and notes it draws change, so pictures, charts, buttons,
macros, custom XML, printer settings, rich text and the cached results of a user's formulas all
survive, in place as in a new file. What is drawn comes from ``perfxl.sheets.apply``."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.io.files import MAX_WRITE_CELLS, atomic_write_bytes, ensure_writable, real_target
from perfxl.io.package import Package
from perfxl.model import layout as L
from perfxl.score.engine import Result
from perfxl.sheets.apply import apply, refresh_results
from perfxl.sheets.canvas import OpenpyxlCanvas, XmlCanvas


@dataclass
class WriteReport:
    output: Path
    backup: Path | None = None
    not_carried: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def default_output(source: Path) -> Path:
    suffix = source.suffix.lower() if source.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return source.with_name(f"{source.stem}{L.OUTPUT_SUFFIX}{suffix}")


def write_back(result: Result, source: str | Path, output: str | Path | None = None, *,
               in_place: bool = False, password: str | None = None,
               package: Package | None = None) -> WriteReport:
    """Write the scored workbook: a new file beside ``source`` unless ``in_place``.

    ``password``: the source's opening password; the output is encrypted with it (nothing
    decrypted is ever written, not even to a temporary file). A legacy .xls/.xlsb/.ods source is
    never written: the results go into a new .xlsx holding its cell values at the same addresses.
    ``package``: the source as already opened for reading (else it is opened here)."""
    source = Path(source)
    package = package or result.checked.evaluation.package
    if package is None or Path(package.path) != source:
        package = Package.open(source, password)
    suffix = package.kind                     # by content: an .xls or .ods named .xlsx is written as one
    legacy = LEGACY_KINDS.get(suffix) or (STRICT_KIND if package.strict else None)
    if legacy:
        if in_place or (output is not None and os.path.realpath(output) == os.path.realpath(source)):
            raise UnusableInput([problem("legacy_format_in_place", file=str(source), path=source.name,
                                         kind=legacy)])
        if output is not None and Path(output).suffix.lower() not in (".xlsx", ".xlsm"):
            output = Path(output).with_suffix(".xlsx")
    elif suffix not in (".xlsx", ".xlsm"):
        raise UnusableInput([problem("file_not_excel", file=str(source), path=source.name,
                                     detail="写回只支持 .xlsx/.xlsm；请先另存为 .xlsx")])
    target = source if in_place else Path(output) if output else default_output(source)
    if os.path.realpath(real_target(target)) == os.path.realpath(real_target(source)):
        in_place, target = True, source
    if package.changed():
        raise UnusableInput([problem("file_changed", file=str(source), path=source.name)])
    package.verify_full()                     # every member inflated and checked before it is copied
    ensure_writable(target)
    report = WriteReport(target)
    when = datetime.now(timezone.utc).replace(microsecond=0)
    if legacy:
        from perfxl.io.xlsx import workbook_bytes

        wb = legacy_copy(package)
        report.problems.append(problem("legacy_format_output", file=str(source), path=source.name,
                                       kind=legacy, output=target.name))
        apply(OpenpyxlCanvas(wb), result)
        wb.properties.lastModifiedBy = L.COMMENT_AUTHOR
        wb.properties.modified = when.replace(tzinfo=None)
        data = workbook_bytes(wb)
    else:
        data = _edited(package, result, target, report, when)
    if package.encrypted:
        data = encrypt_bytes(data, password)
    keep = target.exists() and (in_place or not written_by_perfxl(target))
    report.backup = atomic_write_bytes(target, lambda fh: fh.write(data), keep_backup=keep)
    _stamp_written(target, when)
    return report


def _edited(package: Package, result: Result, target: Path, report: WriteReport, when: datetime) -> bytes:
    """The package with the result drawn into it at the XML level (bytes, in memory)."""
    from perfxl.io.xlsx.book import edit_package

    def edit(book) -> None:
        apply(XmlCanvas(book), result)
        if book.set_macros(target.suffix.lower() == ".xlsm"):
            report.not_carried.append("宏（VBA）")
            report.problems.append(problem("macros_not_in_xlsx", file=str(target), path=target.name))
        book.touch_core(L.COMMENT_AUTHOR, when)
        if book.has_formulas():              # perfxl's values feed them: Excel and LibreOffice recalculate
            book.recalc_on_load()

    return edit_package(package.data, package.path, edit)[1]


def refreshed(data: bytes, path: Path, stale: set[tuple[str, int, int]],
              texts: dict[tuple[str, int, int], str]) -> bytes:
    """``data``, a package a program has just changed (named ``path``), with ``refresh_results`` applied:
    read and scored as it now stands, its ``stale`` formulas that are still perfxl's get their results
    (``texts``: every formula it holds, ``depends.canonical``). A workbook perfxl cannot score, or did
    not make live, is returned as it was: ``data`` is already complete (the stale results dropped, the
    workbook asking to be recalculated on opening), so the refresh never costs the write it follows."""
    from perfxl.io.read import read_book
    from perfxl.io.xlsx.book import edit_package
    from perfxl.model.evaluation import sheets_to_read
    from perfxl.score.pipeline import score_book

    try:
        result = score_book(read_book(Package.of_bytes(data, path.with_suffix(".xlsx").name),
                                      sheets=sheets_to_read()))
        return edit_package(data, path, lambda book: refresh_results(book, result, texts, stale))[1]
    except Exception:  # best effort: a spreadsheet computes what perfxl could not
        return data


def _stamp_written(path: Path, when: datetime) -> None:
    """The file's time is the time perfxl records inside it: a later save by anyone changes one but
    not the other (see ``written_by_perfxl``)."""
    try:
        real = real_target(path)
        os.utime(real, (os.stat(real).st_atime, when.timestamp()))
    except OSError:
        pass


# --- robustness: legacy formats and encrypted workbooks (可靠性与安全) ---------------------------

#: formats calamine reads but openpyxl cannot write: results go into a new .xlsx
LEGACY_KINDS = {".xls": "Excel 97-2003（.xls）", ".xlsb": "Excel 二进制（.xlsb）", ".ods": "OpenDocument（.ods）"}
#: an .xlsx saved as “Strict Open XML”: calamine reads it, the package editor writes transitional parts only
STRICT_KIND = "Excel Strict Open XML（.xlsx）"


def legacy_copy(package: Package):
    """A new openpyxl workbook holding every sheet's cell values of a .xls/.xlsb/.ods (or strict) file at the
    same addresses (formulas as their calculated values; text that looks like a formula as text),
    so that every cell a problem names is the same cell in both files."""
    import python_calamine
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from perfxl.io.read import read_book
    from perfxl.model.evaluation import find_header_row
    from perfxl.sheets import styles as S

    source = package.path
    book = read_book(package)
    cells = sum(sum(v is not None for v in row) for grid in book.sheets.values() for row in grid.rows)
    if cells > MAX_WRITE_CELLS:
        raise UnusableInput([problem("too_big_to_write", file=str(source), path=source.name,
                                     cells=f"{cells:,}", limit=f"{MAX_WRITE_CELLS:,}")])
    hidden = set()
    try:
        cal = python_calamine.CalamineWorkbook.from_filelike(package.stream())
        hidden = {m.name for m in cal.sheets_metadata if str(m.visible).lower().endswith(("hidden", "veryhidden"))}
    except Exception:
        pass
    wb = Workbook()
    wb.remove(wb.active)
    for name in book.sheet_names:
        grid = book.sheets[name]
        ws = wb.create_sheet(re.sub(r"[\\/*?:\[\]]", "_", name)[:31] or "Sheet")
        for r, row in enumerate(grid.rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    cell = S.put(ws, r, c, v)
                    if hasattr(v, "year") or hasattr(v, "hour"):
                        cell.number_format = "yyyy-mm-dd" if not hasattr(v, "hour") else "yyyy-mm-dd hh:mm"
        if name in hidden:
            ws.sheet_state = "hidden"
        if L.match_sheet(L.SHEET_INDICATORS, [name]):
            found = find_header_row(grid, L.header_lookup())
            if found:
                header, cols = found
                for key, where in cols.items():
                    for c in where:
                        S.put(ws, header, c, grid.get(header - 1, c - 1), style="header")
                        ws.column_dimensions[get_column_letter(c)].width = L.COLUMNS_BY_KEY[key].width
    if not wb.sheetnames:
        wb.create_sheet(L.SHEET_INDICATORS)
    return wb


def encrypt_bytes(data: bytes, password: str) -> bytes:
    """A package encrypted with ``password`` (ECMA-376 agile, as Excel does), in memory."""
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def written_by_perfxl(path: Path) -> bool:
    """True when ``path`` is as perfxl last wrote it (nobody saved it since): perfxl is the last
    author recorded inside it and the file's time is still exactly the time recorded with it (perfxl
    sets it so; LibreOffice keeps the author and the recorded time when it saves, but not the file's)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            with zf.open("docProps/core.xml") as fh:
                core = fh.read(64 * 1024)
        mtime = os.stat(path).st_mtime_ns
    except Exception:  # anything unreadable is not known to be perfxl's: it gets a backup
        return False
    if re.search(rb"<cp:lastModifiedBy>\s*perfxl\s*</cp:lastModifiedBy>", core) is None:
        return False
    m = re.search(rb"<dcterms:modified[^>]*>([^<]+)</dcterms:modified>", core)
    try:
        recorded = datetime.strptime(m.group(1).decode().strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (AttributeError, ValueError):
        return False
    return mtime == int(recorded.timestamp()) * 10 ** 9   # any save since (LibreOffice keeps both fields) moves it
