"""A summary workbook written by ``perfxl consolidate``, read back: the workbooks its 汇总 sheet lists
and the panel method its 汇总说明 states, so that a report made from it is the consolidation again
(panel figures, ranks), not each evaluator separately."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.model import layout as L
from perfxl.model.cells import cell_ref


@dataclass
class SummaryBook:
    path: Path
    files: list[Path]
    panel: str = "mean"
    missing: list[Problem] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)       # each file -> the 汇总 cell that lists it
    #: the files its 未纳入文件 sheet lists: a report of it accounts for them too (found = 纳入 + 未纳入)
    left_out: int = 0


def read_summary(path: Path, password: str | None = None) -> SummaryBook | None:
    """The summary workbook at ``path``, or None when it is not one (e.g. an evaluation workbook)."""
    from perfxl.io.read import read_book

    try:
        book = read_book(path, sheets=[L.SHEET_CONS_SUMMARY, L.SHEET_CONS_README, L.SHEET_CONS_REJECTED],
                         password=password)
    except UnusableInput:
        return None
    grid = book.sheets.get(L.SHEET_CONS_SUMMARY)
    if grid is None or not L.is_summary(book.sheet_names):
        return None
    found = _column(grid, L.CONS_HEADERS["files"])
    if found is None:
        return None
    header, col = found
    out = SummaryBook(Path(path), [])
    for r, row in enumerate(grid.rows[header + 1:], start=header + 2):
        cell = row[col] if col < len(row) else None
        for file, found in _files(str(cell or ""), Path(path).parent):
            if found:
                out.files.append(file)
                out.cells[str(file)] = cell_ref(r, col + 1)
            else:
                out.missing.append(problem("report_summary_file_missing", file=str(path), sheet=L.SHEET_CONS_SUMMARY,
                                           cell=cell_ref(r, col + 1), path=str(file)))
    rejected = book.sheets.get(L.SHEET_CONS_REJECTED)
    listed = _column(rejected, L.CONS_HEADERS["file"]) if rejected is not None else None
    if rejected is not None and listed is not None:
        at, c = listed
        out.left_out = sum(1 for row in rejected.rows[at + 1:] if c < len(row) and str(row[c] or "").strip())
    readme = book.sheets.get(L.SHEET_CONS_README)
    text = "\n".join(str(v) for row in (readme.rows if readme else []) for v in row if v)
    out.panel = next((key for key, label in L.PANEL_METHODS.items() if f"“{label}”" in text), "mean")
    return out


def _files(text: str, base: Path) -> list[tuple[Path, bool]]:
    """The files a 文件 cell lists, one per line, and whether each was found: a name holding a line break
    itself (possible outside Windows) is found by joining lines until a file exists."""
    def where(name: str) -> Path:
        file = Path(name.strip())
        if not file.is_absolute() and (base / file).exists() or not file.exists():
            file = base / file          # relative to the summary workbook (older ones: to where it ran)
        return file

    out: list[tuple[Path, bool]] = []
    pending: list[str] = []
    for line in text.split("\n"):
        pending.append(line)
        joined = "\n".join(pending)
        file = where(joined)
        if joined.strip() and file.exists():
            out.append((file, True))
            pending = []
    out += [(where(name), False) for name in pending if name.strip()]
    return out


def dropped(book: SummaryBook, rejected) -> list[Problem]:
    """The workbooks the summary included that consolidating them again leaves out (``rejected``: its
    未纳入文件 table), i.e. changed since: a report of the summary would silently lose their unit."""
    return [problem("report_summary_file_dropped", file=str(book.path), sheet=L.SHEET_CONS_SUMMARY,
                    cell=book.cells.get(str(row.file), ""), path=str(row.file), reason=row.reason)
            for row in rejected.itertuples() if str(row.file) in book.cells]


def _column(grid, header: str) -> tuple[int, int] | None:
    """(row, column), 0-based, of ``header`` in the first rows of a sheet perfxl wrote."""
    row = next((i for i, cells in enumerate(grid.rows[:10]) if header in cells), None)
    return None if row is None else (row, grid.rows[row].index(header))
