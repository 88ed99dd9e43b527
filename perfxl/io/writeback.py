"""Write a scored workbook file safely: a new file or in place (backup, atomic replace), legacy
formats into a new .xlsx, encrypted workbooks encrypted again. What is drawn comes from
``perfxl.sheets.apply``."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.io.files import (
    MAX_WRITE_CELLS,
    atomic_save,
    atomic_write_bytes,
    backup,
    ensure_writable,
    package_cells,
    unsupported_content,
)
from perfxl.io.package import Package
from perfxl.model import layout as L
from perfxl.model.text import strip_illegal
from perfxl.score.engine import Result
from perfxl.sheets.apply import apply
from perfxl.sheets.canvas import OpenpyxlCanvas


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
    decrypted is ever written). A legacy .xls/.xlsb/.ods source is never written: the results go
    into a new .xlsx holding its cell values at the same addresses. ``package``: the source as
    already opened for reading (else it is opened here)."""
    from openpyxl import load_workbook

    source = Path(source)
    suffix = source.suffix.lower()
    if suffix in LEGACY_KINDS:
        if in_place or (output is not None and Path(output).resolve() == source.resolve()):
            raise UnusableInput([problem("legacy_format_in_place", file=str(source), path=source.name,
                                         kind=LEGACY_KINDS[suffix])])
        if output is not None and Path(output).suffix.lower() not in (".xlsx", ".xlsm"):
            output = Path(output).with_suffix(".xlsx")
    elif suffix not in (".xlsx", ".xlsm"):
        raise UnusableInput([problem("file_not_excel", file=str(source), path=source.name,
                                     detail="写回只支持 .xlsx/.xlsm；请先另存为 .xlsx")])
    target = source if in_place else Path(output) if output else default_output(source)
    if target.resolve() == source.resolve():
        in_place = True
    package = package or result.checked.evaluation.package
    if package is None or Path(package.path) != source:
        package = Package.open(source, password)
    if package.changed():
        raise UnusableInput([problem("file_changed", file=str(source), path=source.name)])
    package.verify_full()                     # every member inflated and checked before openpyxl loads it
    encrypted = package.encrypted
    if suffix in LEGACY_KINDS:
        ensure_writable(target)
        wb = legacy_copy(package)
        report = WriteReport(target)
        report.problems.append(problem("legacy_format_output", file=str(source), path=source.name,
                                       kind=LEGACY_KINDS[suffix], output=target.name))
    else:
        keep_vba = suffix == ".xlsm"
        lost = unsupported_content(package.zip, keep_vba=keep_vba)
        if in_place and lost:
            raise UnusableInput([problem("unsupported_content", file=str(source), detail="、".join(lost))])
        ensure_writable(target)
        cells = package_cells(package.zip)
        if cells > MAX_WRITE_CELLS:
            raise UnusableInput([problem("too_big_to_write", file=str(source), path=source.name,
                                         cells=f"{cells:,}", limit=f"{MAX_WRITE_CELLS:,}")])
        report = WriteReport(target, not_carried=lost)
        if lost:
            report.problems.append(problem("content_not_carried", file=str(target), detail="、".join(lost)))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = load_workbook(package.stream(), keep_vba=keep_vba)
        except Exception as e:  # openpyxl is stricter than calamine about damaged XML
            raise UnusableInput([problem("write_load_failed", file=str(source), path=source.name,
                                         detail=f"{type(e).__name__}: {e}"[:200])]) from None
    apply(_CleanCanvas(wb), result)
    wb.properties.lastModifiedBy = L.COMMENT_AUTHOR
    if target.exists() and (in_place or not written_by_perfxl(target)):
        report.backup = backup(target)
    if encrypted:
        atomic_write_bytes(target, lambda fh: fh.write(encrypt_workbook(wb, password)))
    else:
        atomic_save(wb, target)
    return report


# --- robustness: legacy formats and encrypted workbooks (可靠性与安全) ---------------------------

#: formats calamine reads but openpyxl cannot write: results go into a new .xlsx
LEGACY_KINDS = {".xls": "Excel 97-2003（.xls）", ".xlsb": "Excel 二进制（.xlsb）", ".ods": "OpenDocument（.ods）"}


def legacy_copy(package: Package):
    """A new openpyxl workbook holding every sheet's cell values of a .xls/.xlsb/.ods file at the
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


def encrypt_workbook(wb, password: str) -> bytes:
    """The workbook saved and encrypted with ``password`` (ECMA-376 agile, as Excel does)."""
    import io

    from msoffcrypto.format.ooxml import OOXMLFile

    plain, out = io.BytesIO(), io.BytesIO()
    wb.save(plain)
    plain.seek(0)
    OOXMLFile(plain).encrypt(password, out)
    return out.getvalue()


def written_by_perfxl(path: Path) -> bool:
    """True when ``path`` was last saved by perfxl (nobody edited it since): no backup needed."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            with zf.open("docProps/core.xml") as fh:
                core = fh.read(64 * 1024)
    except Exception:  # anything unreadable is not known to be perfxl's: it gets a backup
        return False
    return re.search(rb"<cp:lastModifiedBy>\s*perfxl\s*</cp:lastModifiedBy>", core) is not None


class _CleanCanvas(OpenpyxlCanvas):
    """Text from inputs may hold characters a workbook cannot store (control characters from
    Excel's _x000B_ escapes): they are dropped rather than failing the save."""

    def write(self, sheet, row, col, rows, **kw):
        super().write(sheet, row, col, [[_clean(v) for v in r] for r in rows], **kw)

    def note(self, sheet, ref, text):
        super().note(sheet, ref, _clean(text))


def _clean(v):
    return strip_illegal(v) if isinstance(v, str) else v
