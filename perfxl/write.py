"""Write a scoring result back into a workbook file (openpyxl): result columns, highlights
and comments on problem cells, and the 得分汇总 / 校验结果 / 评价偏差 sheets."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from . import layout as L
from . import sheets as S
from .files import atomic_save, backup, ensure_writable, unsupported_content
from .problems import Problem, UnusableInput, problem
from .score import Result
from .values import fmt_score

_SINGLE_CELL = re.compile(r"^[A-Z]{1,3}\d+$")
_OUR_COLORS = {L.PALETTE.problem, L.PALETTE.warning, L.PALETTE.deviation}


@dataclass
class WriteReport:
    output: Path
    backup: Path | None = None
    not_carried: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def default_output(source: Path) -> Path:
    suffix = source.suffix.lower() if source.suffix.lower() in (".xlsx", ".xlsm") else ".xlsx"
    return source.with_name(f"{source.stem}{L.OUTPUT_SUFFIX}{suffix}")


def _ours(cell) -> bool:
    color = getattr(cell.fill.fgColor, "rgb", None)
    return isinstance(color, str) and color[-6:].upper() in _OUR_COLORS


def _clear_marks(ws, first_row: int, columns: dict[str, int] | None) -> None:
    """Remove comments and highlights perfxl put here on an earlier run."""
    for row in ws.iter_rows(min_row=first_row, max_row=ws.max_row):
        for cell in row:
            marked = cell.comment is not None and cell.comment.author == L.COMMENT_AUTHOR
            if marked:
                cell.comment = None
            if marked or _ours(cell):
                if _ours(cell):
                    key = next((k for k, c in (columns or {}).items() if c == cell.column), None)
                    role = L.COLUMNS_BY_KEY[key].role if key else L.INPUT
                    cell.fill = S.INPUT_FILL if role == L.INPUT else S.COMPUTED_FILL


def _ensure_computed_columns(ws, result: Result) -> dict[str, int]:
    table = result.checked.evaluation.table
    cols = dict(table.columns)
    next_col = max(ws.max_column, max(cols.values())) + 1
    for key in L.COMPUTED_KEYS:
        if key not in cols:
            col = L.COLUMNS_BY_KEY[key]
            S.put(ws, table.header_row, next_col, col.header, style="header")
            cols[key] = next_col
            next_col += 1
    return cols


def _mark(ws, ref: str, fill, lines: list[str]) -> None:
    cell = ws[ref]
    cell.fill = fill
    text = "\n".join(lines)
    cell.comment = S.comment(text[:2000])


def apply(wb, result: Result) -> None:
    """Put ``result`` into an open openpyxl workbook (no saving here)."""
    ev = result.checked.evaluation
    table = ev.table
    ws = wb[table.sheet]
    cols = _ensure_computed_columns(ws, result)
    _clear_marks(ws, table.header_row + 1, cols)
    for other in (ev.info_sheet, ev.basic_sheet, ev.survey.sheet if ev.survey else None,
                  ev.survey.setup_sheet if ev.survey else None):
        if other and other in wb.sheetnames:
            _clear_marks(wb[other], 1, None)
    if ev.basic_sheet and ev.basic_sheet in wb.sheetnames:
        S.write_figures(wb[ev.basic_sheet], result.checked.figures)
    # computed columns: clear, then write every scored row
    for r in range(table.header_row + 1, ws.max_row + 1):
        for key in L.COMPUTED_KEYS:
            ws.cell(row=r, column=cols[key]).value = None
    for res in result.indicators:
        r = res.indicator.row
        for key, value in (("rule_score", res.rule_score), ("score", res.score), ("rate", res.rate),
                           ("process", res.process)):
            c = S.put(ws, r, cols[key], value, style="computed", fmt=L.COLUMNS_BY_KEY[key].number_format)
            if key == "process":
                c.alignment = S.WRAP
    S.fit_rows(ws, [res.indicator.row for res in result.indicators])
    # problems: highlight and comment the cells they point to
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in result.problems:
        if p.sheet in wb.sheetnames and _SINGLE_CELL.match(p.cell or ""):
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, ref), probs in by_cell.items():
        severe = any(p.severity == "error" for p in probs)
        lines = [f"perfxl：{L.SEVERITY_LABELS[p.severity]}：{p.message}" + (f"\n修改：{p.fix}" if p.fix else "")
                 for p in probs]
        _mark(wb[sheet], ref, S.PROBLEM_FILL if severe else S.WARNING_FILL, lines)
    for res in result.deviations:
        ref = ev.cell(res.indicator.row, "evaluator_score")
        if (table.sheet, ref) not in by_cell:
            _mark(ws, ref, S.DEVIATION_FILL,
                  [f"perfxl：评价得分 {fmt_score(res.indicator.evaluator_score)} 与规则得分 "
                   f"{fmt_score(res.rule_score)} 不同（见“评价偏差”页）"])
    # output sheets, regenerated in place (or added after the indicator sheet)
    after = wb.sheetnames.index(table.sheet) + 1
    outputs = [(L.SHEET_SUMMARY, lambda s: S.write_summary(s, result)),
               (L.SHEET_PROBLEMS, lambda s: S.write_problems(s, result.problems)),
               (L.SHEET_DEVIATIONS, lambda s: S.write_deviations(s, result))]
    if result.survey is not None:
        outputs.insert(1, (L.SHEET_SURVEY_STATS, lambda s: S.write_survey_stats(s, result.survey)))
    for offset, (name, writer) in enumerate(outputs):
        if name not in wb.sheetnames:
            writer(S.clear_sheet(wb, name, after + offset))
        else:
            writer(S.clear_sheet(wb, name))


def write_back(result: Result, source: str | Path, output: str | Path | None = None, *,
               in_place: bool = False) -> WriteReport:
    """Write the scored workbook: a new file beside ``source`` unless ``in_place``."""
    from openpyxl import load_workbook

    source = Path(source)
    if source.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UnusableInput([problem("file_not_excel", file=str(source), path=source.name,
                                     detail="写回只支持 .xlsx/.xlsm；请先另存为 .xlsx")])
    keep_vba = source.suffix.lower() == ".xlsm"
    lost = unsupported_content(source, keep_vba=keep_vba)
    target = source if in_place else Path(output) if output else default_output(source)
    if target.resolve() == source.resolve():
        in_place = True
    if in_place and lost:
        raise UnusableInput([problem("unsupported_content", file=str(source), detail="、".join(lost))])
    ensure_writable(target)
    report = WriteReport(target, not_carried=lost)
    if lost:
        report.problems.append(problem("content_not_carried", file=str(target), detail="、".join(lost)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(source, keep_vba=keep_vba)
    apply(wb, result)
    wb.properties.lastModifiedBy = L.COMMENT_AUTHOR
    if target.exists() and (in_place or not written_by_perfxl(target)):
        report.backup = backup(target)
    atomic_save(wb, target)
    return report


def written_by_perfxl(path: Path) -> bool:
    """True when ``path`` was last saved by perfxl (nobody edited it since): no backup needed."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            core = zf.read("docProps/core.xml")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return re.search(rb"<cp:lastModifiedBy>\s*perfxl\s*</cp:lastModifiedBy>", core) is not None
