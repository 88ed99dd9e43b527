"""Write a scoring result back: result columns, highlights and notes on problem cells, and the
得分汇总 / 问卷统计 / 校验结果 / 评价偏差 sheets. ``apply`` draws on any Canvas (a file through
openpyxl, or an open workbook through xlwings); ``write_back`` handles files safely."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import layout as L
from perfxl.sheets import outputs
from perfxl.sheets.canvas import Canvas, OpenpyxlCanvas
from perfxl.io.files import (MAX_WRITE_CELLS, atomic_save, atomic_write_bytes, backup, ensure_writable, package_cells,
                    unsupported_content)
from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.score.engine import Result
from perfxl.io.read import col_index
from perfxl.model.values import fmt_score

_SINGLE_CELL = re.compile(r"^[A-Z]{1,3}\d+$")


@dataclass
class WriteReport:
    output: Path
    backup: Path | None = None
    not_carried: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def default_output(source: Path) -> Path:
    suffix = source.suffix.lower() if source.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return source.with_name(f"{source.stem}{L.OUTPUT_SUFFIX}{suffix}")


def _cell_role(ev, sheet: str, ref: str) -> str:
    """The fill a marked cell returns to: its column's role on the indicator sheet, else input."""
    if sheet != ev.table.sheet:
        return "input"
    m = re.match(r"([A-Z]+)", ref)
    col = col_index(m.group(1)) + 1 if m else 0
    key = next((k for k, c in ev.table.columns.items() if c == col), None)
    return "computed" if key and L.COLUMNS_BY_KEY[key].role == L.COMPUTED else "input"


def _registry(cv: Canvas) -> list[str]:
    """Cells perfxl marked on the last run, as 'sheet!A1', from the hidden 选项 sheet."""
    if L.SHEET_LISTS not in cv.names():
        return []
    col = ord(L.LIST_COLUMNS["marks"]) - 64
    values = cv.column(L.SHEET_LISTS, col, 1, cv.last_row(L.SHEET_LISTS))
    if not values or values[0] != L.MARKS_HEADER:
        return []
    return [v for v in values[1:] if isinstance(v, str) and "!" in v]


def _save_registry(cv: Canvas, marks: list[str], previous: int) -> None:
    if L.SHEET_LISTS not in cv.names():
        cv.new_sheet(L.SHEET_LISTS, cv.names()[-1])
        cv.hide(L.SHEET_LISTS)
    col = ord(L.LIST_COLUMNS["marks"]) - 64
    rows = [[L.MARKS_HEADER], *([m] for m in marks), *([None] for _ in range(max(previous - len(marks), 0)))]
    cv.write(L.SHEET_LISTS, 1, col, rows)


def apply(cv: Canvas, result: Result, *, only_problems: bool = False) -> None:
    """Draw ``result`` into an open workbook (no saving here): computed columns, highlights and
    notes on the cells problems point to, the output sheets, and the 派生指标 values.
    ``only_problems`` (the 校验 button): just the highlights, notes and 校验结果."""
    ev = result.checked.evaluation
    table = ev.table
    sheet = table.sheet
    cols = dict(table.columns)
    next_col = max(cv.last_col(sheet), max(cols.values())) + 1
    for key in L.COMPUTED_KEYS:
        if key not in cols:
            cv.write(sheet, table.header_row, next_col, [[L.COLUMNS_BY_KEY[key].header]], style="header")
            cols[key] = next_col
            next_col += 1
    # undo last run's highlights and notes
    names = set(cv.names())
    previous = _registry(cv)
    for entry in previous:
        where, ref = entry.rsplit("!", 1)
        if where in names and _SINGLE_CELL.match(ref):
            cv.note(where, ref, None)
            cv.fill(where, ref, _cell_role(ev, where, ref))
    # computed columns, one block per column (stale values below the table cleared too)
    if only_problems:
        cols = {}
    first, last = table.header_row + 1, max(cv.last_row(sheet), table.last_row)
    by_row = {res.indicator.row: res for res in result.indicators}
    for key in (k for k in L.COMPUTED_KEYS if k in cols):
        values = []
        for r in range(first, last + 1):
            res = by_row.get(r)
            values.append([None if res is None else getattr(res, key)])
        cv.write(sheet, first, cols[key], values, style="computed", fmts=[L.COLUMNS_BY_KEY[key].number_format])
    # problems and deviations: highlight and annotate the cells they point to
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in result.problems:
        if p.sheet in names and _SINGLE_CELL.match(p.cell or ""):
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    marks = []
    for (where, ref), probs in by_cell.items():
        severe = any(p.severity == "error" for p in probs)
        lines = [f"perfxl：{L.SEVERITY_LABELS[p.severity]}：{p.message}" + (f"\n修改：{p.fix}" if p.fix else "")
                 for p in probs]
        cv.fill(where, ref, "problem" if severe else "warning")
        cv.note(where, ref, "\n".join(lines))
        marks.append(f"{where}!{ref}")
    for res in ([] if only_problems else result.deviations):
        ref = ev.cell(res.indicator.row, "evaluator_score")
        if (sheet, ref) not in by_cell:
            cv.fill(sheet, ref, "deviation")
            cv.note(sheet, ref, f"perfxl：评价得分 {fmt_score(res.indicator.evaluator_score)} 与规则得分 "
                                f"{fmt_score(res.rule_score)} 不同（见“评价偏差”页）")
            marks.append(f"{sheet}!{ref}")
    cv.finish_rows(sheet, [res.indicator.row for res in result.indicators])
    # output sheets, regenerated in place (or added after the indicator sheet)
    after = sheet
    plan = [] if only_problems else [(L.SHEET_SUMMARY, lambda n: outputs.summary(cv, n, result))]
    if result.survey is not None and not only_problems:
        plan.append((L.SHEET_SURVEY_STATS, lambda n: outputs.survey_stats(cv, n, result.survey)))
    plan.append((L.SHEET_PROBLEMS, lambda n: outputs.problems(cv, n, result.problems)))
    if not only_problems:
        plan.append((L.SHEET_DEVIATIONS, lambda n: outputs.deviations(cv, n, result)))
    for name, draw in plan:
        cv.new_sheet(name, after)
        draw(name)
        after = name
    if ev.basic_sheet and ev.basic_sheet in names and not only_problems:
        outputs.figures(cv, ev.basic_sheet, result.checked.figures)
    _save_registry(cv, marks, len(previous))
    cv.close()


def write_back(result: Result, source: str | Path, output: str | Path | None = None, *,
               in_place: bool = False, password: str | None = None) -> WriteReport:
    """Write the scored workbook: a new file beside ``source`` unless ``in_place``.

    ``password``: the source's opening password; the output is encrypted with it (nothing
    decrypted is ever written). A legacy .xls/.xlsb/.ods source is never written: the results go
    into a new .xlsx holding its cell values at the same addresses."""
    from openpyxl import load_workbook

    from perfxl.io.read import open_source

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
    data = open_source(source, password, full=True)   # every member verified before openpyxl loads it
    encrypted = not isinstance(data, Path)
    if suffix in LEGACY_KINDS:
        ensure_writable(target)
        wb = legacy_copy(source, password)
        report = WriteReport(target)
        report.problems.append(problem("legacy_format_output", file=str(source), path=source.name,
                                       kind=LEGACY_KINDS[suffix], output=target.name))
    else:
        keep_vba = suffix == ".xlsm"
        lost = unsupported_content(data, keep_vba=keep_vba)
        if in_place and lost:
            raise UnusableInput([problem("unsupported_content", file=str(source), detail="、".join(lost))])
        ensure_writable(target)
        cells = package_cells(data)
        if cells > MAX_WRITE_CELLS:
            raise UnusableInput([problem("too_big_to_write", file=str(source), path=source.name,
                                         cells=f"{cells:,}", limit=f"{MAX_WRITE_CELLS:,}")])
        report = WriteReport(target, not_carried=lost)
        if lost:
            report.problems.append(problem("content_not_carried", file=str(target), detail="、".join(lost)))
        if encrypted:
            data.seek(0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wb = load_workbook(data, keep_vba=keep_vba)
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


def legacy_copy(source: Path, password: str | None = None):
    """A new openpyxl workbook holding every sheet's cell values of a .xls/.xlsb/.ods file at the
    same addresses (formulas as their calculated values; text that looks like a formula as text),
    so that every cell a problem names is the same cell in both files."""
    import python_calamine
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from perfxl.sheets import styles as S
    from perfxl.model.evaluation import find_header_row
    from perfxl.io.read import open_source, read_book

    book = read_book(source, password=password)
    cells = sum(sum(v is not None for v in row) for grid in book.sheets.values() for row in grid.rows)
    if cells > MAX_WRITE_CELLS:
        raise UnusableInput([problem("too_big_to_write", file=str(source), path=source.name,
                                     cells=f"{cells:,}", limit=f"{MAX_WRITE_CELLS:,}")])
    hidden = set()
    try:
        src = open_source(source, password)
        cal = (python_calamine.CalamineWorkbook.from_path(str(src)) if isinstance(src, Path)
               else python_calamine.CalamineWorkbook.from_filelike(src))
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
    if isinstance(v, str) and not v.isprintable():
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", v)
    return v
