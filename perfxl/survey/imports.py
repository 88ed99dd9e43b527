"""Survey platform exports (问卷星, 腾讯问卷) as they come, into the shape of the 问卷 sheet
(respondents × questions), and written into an evaluation workbook.

Recognised: Excel (.xlsx, .xls) and CSV (UTF-8 with or without BOM, GBK/GB18030) exports; the
platforms' metadata columns (序号/编号 kept as the respondent number; 提交答卷时间, 所用时间, 来源,
来源详情, 来自IP, 总分, 开始/结束答题时间, 答题时长, 地理位置…, 用户标识, 昵称, IP, UA … ignored);
question headers with their numbering ("1、您对…是否满意？", "Q1.", "第1题", "5(服务态度)",
"3.请评价:服务态度"); answers as option text or option numbers ("按序号下载"), an option with its
fill-in ("一般〖场地偏远〗") as the option (``stats.answer_label``). Matrix questions
become one question per row (they share the question number, so 题5 names them all); multiple
choice (one column joined with ┋, or one 0/1 or option-text column per option), ranking (→) and
open or fill-in questions are reported and not imported."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.io.csvfile import read_csv
from perfxl.model import layout as L
from perfxl.model.text import is_blank
from perfxl.survey.headers import norm, parse
from perfxl.survey.sheet import find_header, header_kind

if TYPE_CHECKING:
    import numpy.typing as npt

    from perfxl.io.read import SheetGrid
    from perfxl.io.xlsx.book import Book
    from perfxl.io.xlsx.sheet import Sheet

#: a column with more distinct answers than this is an open question, not a choice
MAX_CHOICES = 20
_MULTI_JOIN, _RANK_JOIN = "┋", "→"
_SELECTED = {"1", "√", "☑", "✓", "是", "选中"}

KIND_LABELS = L.SURVEY_COLUMN_KINDS


@dataclass
class ExportColumn:
    """One column of the export and what it was recognised as."""
    header: str
    column: int                    # 1-based
    kind: str                      # id, group, meta, single, matrix, multiple, ranking, text, fill_in, empty
    number: int | None = None      # the question number in the header


@dataclass
class SurveyImport:
    """An export read into the 问卷 sheet's shape, with what was recognised, ignored and skipped."""
    source: Path
    platform: str                  # a key of layout.SURVEY_PLATFORMS
    format: str                    # xlsx, xls, csv
    encoding: str | None           # a CSV's encoding
    sheet: str | None              # the sheet read (Excel)
    header_row: int                # 1-based
    questions: list[str]           # headers of the imported questions (the 问卷 sheet's headers)
    answers: Any                   # numpy object array, respondents × questions, raw values (blank: None)
    ids: list[Any]                 # respondent numbers
    groups: list[Any]              # 对象类别 per respondent (the set name, an export column, or None)
    columns: list[ExportColumn] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    set_name: str | None = None

    @property
    def ignored(self) -> list[ExportColumn]:
        return [c for c in self.columns if c.kind == "meta"]

    @property
    def skipped(self) -> list[ExportColumn]:
        return [c for c in self.columns if c.kind in ("multiple", "ranking", "text", "fill_in", "empty")]

    @property
    def platform_name(self) -> str:
        return L.SURVEY_PLATFORMS[self.platform]


def import_export(export_path: str | Path, *, set_name: str | None = None) -> SurveyImport:
    """Read a platform export (.xlsx/.xlsm/.xls/.csv). ``set_name``: the 对象类别 every response
    gets (and the name of the 题组 ``write_import`` adds). Raises UnusableInput when the file
    cannot be read or holds no question."""
    path = Path(export_path)
    file = str(path)
    if not path.exists():
        raise UnusableInput([problem("file_missing", file=file, path=path.name)])
    if path.suffix.lower() in (".csv", ".txt"):
        (grid, encoding), sheet, fmt = read_csv(path), None, "csv"
    else:
        grid, sheet = _read_excel(path)
        encoding, fmt = None, path.suffix.lower().lstrip(".")
    header = find_header(grid)
    if header is None:
        raise UnusableInput([problem("survey_export_no_header", file=file, path=path.name, rows=L.HEADER_SEARCH_ROWS)])
    arr = grid.as_array()
    heads = list(arr[header])
    body = arr[header + 1:]
    if body.size:
        # numpy's stubs take no None as a ufunc operand
        body = body[np.not_equal(body, None).any(axis=1)]  # type: ignore[call-overload]
    else:
        body = body.reshape(0, len(heads))
    cols, id_col, group_col = _classify(heads, body)
    imp = SurveyImport(path, _platform(heads), fmt, encoding, sheet, header + 1, [], np.empty((0, 0), dtype=object),
                       [], [], cols, [], set_name=set_name)
    kept = [c for c in cols if c.kind in ("single", "matrix")]
    if not kept:
        raise UnusableInput([problem("survey_export_no_question", file=file, path=path.name,
                                     detail="、".join(f"{c.header}（{KIND_LABELS[c.kind]}）"
                                                     for c in cols[:8]) or "无")])
    imp.questions = [c.header for c in kept]
    imp.answers = body[:, [c.column - 1 for c in kept]]
    imp.ids = [_value(v) for v in body[:, id_col]] if id_col is not None else list(range(1, len(body) + 1))
    if set_name:
        imp.groups = [set_name] * len(body)
    elif group_col is not None:
        imp.groups = [_value(v) for v in body[:, group_col]]
    else:
        imp.groups = [None] * len(body)
    imp.problems = _report(imp)
    return imp


# --- reading -------------------------------------------------------------------------------------

def _read_excel(path: Path) -> tuple[SheetGrid, str]:
    """The first sheet with a recognisable header (else the first sheet), through perfxl's safe reader."""
    from perfxl.io.read import read_book

    book = read_book(path)
    for name in book.sheet_names:
        grid = book.sheets.get(name)
        if grid is not None and find_header(grid) is not None:
            return grid, name
    name = book.sheet_names[0]
    return book.sheets[name], name


def _value(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None if is_blank(v) else v


# --- recognising columns ----------------------------------------------------------------------------

def _platform(heads: list[Any]) -> str:
    names = {norm(h) for h in heads if isinstance(h, str)}
    for key, marks in L.SURVEY_PLATFORM_MARKS.items():
        if names & {norm(x) for x in marks}:
            return key
    return "generic"


def _classify(heads: list[Any], body: npt.NDArray[np.object_]) -> tuple[list[ExportColumn], int | None, int | None]:
    """Every column's kind; the respondent number and 对象类别 columns (0-based) if any."""
    from perfxl.survey.stats import answer_label, skipped_labels

    skipped = skipped_labels()
    cols: list[ExportColumn] = []
    id_col = group_col = None
    groups: list[list[int]] = []           # runs of question columns sharing a number
    for c0, h in enumerate(heads):
        if is_blank(h):
            continue
        text = str(h).strip()
        kind = header_kind(text)
        if kind == "id" and id_col is None:
            id_col = c0
        elif kind == "group" and group_col is None:
            group_col = c0
        if kind != "question":
            cols.append(ExportColumn(text, c0 + 1, kind))
            continue
        p = parse(text)
        cols.append(ExportColumn(text, c0 + 1, "single", p.number))
        last = groups[-1] if groups else None
        if last and p.number is not None and cols[last[-1]].number == p.number and last[-1] == len(cols) - 2:
            last.append(len(cols) - 1)
        else:
            groups.append([len(cols) - 1])

    def values(i: int) -> list[str]:
        """The distinct answers of a column (as labels), skipped ones left out."""
        import pandas as pd

        column = body[:, cols[i].column - 1] if cols[i].column - 1 < body.shape[1] else np.empty(0, dtype=object)
        labels = (answer_label(v) for v in pd.unique(pd.Series(column, dtype=object).dropna()))
        return list(dict.fromkeys(lab for lab in labels if lab is not None and lab not in skipped))

    for run in groups:
        parts = []
        for i in run:
            if parse(cols[i].header).fill_in:
                cols[i].kind = "fill_in"
            else:
                parts.append(i)
        if not parts:
            continue
        vals = {i: values(i) for i in parts}
        if len(parts) > 1 and all(_option_column(cols[i].header, vals[i], run_headers=[cols[j].header for j in parts])
                                  for i in parts):
            for i in parts:
                cols[i].kind = "multiple"
            continue
        for i in parts:
            v = vals[i]
            if not v:
                kind = "empty"
            elif any(_MULTI_JOIN in x for x in v):
                kind = "multiple"
            elif any(_RANK_JOIN in x for x in v):
                kind = "ranking"
            elif len(set(v)) > MAX_CHOICES:
                kind = "text"
            else:
                kind = "matrix" if len(parts) > 1 else "single"
            cols[i].kind = kind
    return cols, id_col, group_col


def _option_column(header: str, values: list[str], run_headers: list[str]) -> bool:
    """One option of a multiple-choice question: only 0/1 (问卷星 按序号), or only the option's own
    text or a tick (腾讯问卷)."""
    if not values:
        return True
    if set(values) <= {"0", "1"} and "0" in values:
        return True
    sub = _sub_label(header, run_headers)
    return all(v == sub or v in _SELECTED for v in values)


def _sub_label(header: str, run_headers: list[str]) -> str:
    """The part of a header after what the headers of its question share: the option or row."""
    p = parse(header)
    if p.sub:
        return norm(p.sub)
    import os

    common = os.path.commonprefix([norm(h) for h in run_headers])
    return norm(header)[len(common):].lstrip(":：-—_")


def _report(imp: SurveyImport) -> list[Problem]:
    """What was recognised, as INFO/WARNING problems (the command prints them)."""
    file = str(imp.source)
    sheet = imp.sheet or imp.source.name
    from perfxl.model.cells import cell_ref

    out = [problem("survey_export_read", file=file, sheet=sheet, path=imp.source.name, kind=imp.platform_name,
                   detail=imp.format.upper() + (f"，{imp.encoding}编码" if imp.encoding else ""),
                   count=len(imp.answers), total=len(imp.questions))]
    if imp.ignored:
        out.append(problem("survey_columns_ignored", file=file, sheet=sheet,
                           cell=cell_ref(imp.header_row, imp.ignored[0].column), count=len(imp.ignored),
                           columns="、".join(c.header for c in imp.ignored)))
    by_number: dict[tuple[int | None, str], list[ExportColumn]] = {}
    for c in imp.columns:
        if c.kind == "matrix" or c in imp.skipped:
            by_number.setdefault((c.number if c.number is not None else -c.column, c.kind), []).append(c)
    for (_, kind), cs in by_number.items():
        cell = cell_ref(imp.header_row, cs[0].column)
        names = "、".join(c.header for c in cs[:6]) + ("…" if len(cs) > 6 else "")
        if kind == "matrix":
            out.append(problem("survey_export_matrix", file=file, sheet=sheet, cell=cell, count=len(cs), columns=names))
        else:
            out.append(problem("survey_export_skipped", file=file, sheet=sheet, cell=cell, kind=KIND_LABELS[kind],
                               columns=names))
    return out


# --- writing into a workbook ------------------------------------------------------------------------

@dataclass
class ImportWrite:
    target: Path
    backup: Path | None
    rows: int                      # responses written
    replaced: int = 0              # responses of the same 对象类别 removed first
    new_columns: list[str] = field(default_factory=list)
    set_added: str | None = None   # the 题组 added to 问卷设置
    problems: list[Problem] = field(default_factory=list)
    #: a header the 问卷 sheet had is not where it was (placeholder questions replaced, columns moved);
    #: columns only appended after the old ones do not count
    headers_moved: bool = True


def write_import(imp: SurveyImport, target: str | Path, *, replace: bool = False) -> ImportWrite:
    """Put the imported responses into ``target``'s 问卷 sheet (created if missing): questions
    matched to its headers by text (with or without numbering), new ones added as columns; with a
    set name, a 题组 of that name over these questions is added to 问卷设置. Responses of the same
    对象类别 already there are refused unless ``replace``. The package is edited at the XML level: only
    the 问卷 and 问卷设置 sheets (and the sheet list and styles, where they change) are written; of the
    formulas reading them, perfxl's own get their results for the new answers (``writeback.refreshed``; not
    when questions were replaced or moved) and the others lose their saved ones (Excel, WPS and
    LibreOffice compute them on opening); pictures, charts, controls, macros and everything else stay as
    they were.
    A backup is made, then the file is replaced atomically."""
    from perfxl.io.files import atomic_write_bytes, ensure_writable
    from perfxl.io.package import Package
    from perfxl.io.writeback import refreshed
    from perfxl.io.xlsx.book import edit_package
    from perfxl.io.xlsx.depends import canonical_texts, reading
    from perfxl.sheets import outputs
    from perfxl.sheets.canvas import XmlCanvas

    target = Path(target)
    file = str(target)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise UnusableInput([problem("file_not_excel", file=file, path=target.name,
                                     detail="导入只能写入 .xlsx/.xlsm；请先另存为 .xlsx")])
    package = Package.open(target, full=True)   # every member inflated and checked before it is copied
    if package.kind not in (".xlsx", ".xlsm"):
        raise UnusableInput([problem("file_not_excel", file=file, path=target.name,
                                     detail="文件内容不是 .xlsx/.xlsm（可能是改了扩展名的 .xls 或 .ods）；"
                                            "请先另存为 .xlsx")])
    ensure_writable(target)

    Cell = tuple[str, int, int]

    def edit(book: Book) -> tuple[ImportWrite, set[Cell], dict[Cell, str]]:
        written = _fill(book, imp, file, replace)
        changed = {n for n in (L.match_sheet(L.SHEET_SURVEY, book.names()),
                               L.match_sheet(L.SHEET_SURVEY_SETUP, book.names())) if n}
        formulas = book.formula_texts()
        if L.SHEET_SURVEY_STATS in book.names():      # its figures are the old answers' until a refresh draws it
            outputs.survey_stats_outdated(XmlCanvas(book), L.SHEET_SURVEY_STATS,
                                          {(r, c) for s, r, c in formulas if s == L.SHEET_SURVEY_STATS})
        stale = reading(formulas, changed)
        book.forget_results(stale)
        return written, stale, canonical_texts(formulas) if stale and not written.headers_moved else {}

    (report, stale, texts), data = edit_package(package.data, target, edit)
    # perfxl's formulas reading the answers get their new results; not when questions were replaced or
    # moved: its questionnaire formulas were compiled for the old columns, so few would still be perfxl's
    # and the scoring pass (seconds for 100,000 answers) would buy little
    if stale and not report.headers_moved:
        data = refreshed(data, target, stale, texts)
    if package.changed():
        raise UnusableInput([problem("file_changed", file=file, path=target.name)])
    report.target = target
    report.backup = atomic_write_bytes(target, lambda fh: fh.write(data), keep_backup=True)
    return report


def _values(ws: Sheet) -> list[list[Any]]:
    """The values of an XML-level sheet (io.xlsx.Sheet), row 1 first ("" read as empty)."""
    rows: list[list[Any]] = []
    for r in range(1, ws.last_row() + 1):
        cells = ws.row_values(r)
        row: list[Any] = [None] * max((c for c, _ in cells), default=0)
        for c, v in cells:
            row[c - 1] = None if v == "" else v
        rows.append(row)
    return rows


class _Writer:
    """Cells of one XML-level sheet written as data (``XmlCanvas.put``), styled as the sheet has them: a
    cell keeps its style, a new one takes its row's or column's (what Excel gives a typed cell)."""

    def __init__(self, book: Book, name: str) -> None:
        from perfxl.sheets.canvas import XmlCanvas

        self.ws, self.name, self.canvas = book.sheet(name), name, XmlCanvas(book)

    def put(self, r: int, c: int, v: Any, style: int | None = None) -> None:
        self.canvas.put(self.name, r, c, v, base=style)

    def header(self, r: int, c: int, text: str, heads: list[Any]) -> None:
        """A header cell looking like the others of its row (bold when none has a style)."""
        ws = self.ws
        like = next((ws.style(r, j) for j, v in enumerate(heads, start=1)
                     if j != c and not is_blank(v) and ws.style(r, j)), None)
        if like is None:
            self.canvas.put(self.name, r, c, text, bold=True)
        else:
            self.put(r, c, text, like)

    def like_above(self, r: int, c: int, v: Any, header: int) -> None:
        """A value in a table: a cell already styled (an input cell of the template) keeps its style,
        one without takes the style of the row above unless that is the table's header."""
        ws = self.ws
        raw = ws.raw_cell(r, c)
        styled = raw is not None and ws.style(r, c) != 0
        above = ws.style(r - 1, c) if not styled and r - 1 > header else 0
        self.put(r, c, v, above or None)


def _fill(book: Book, imp: SurveyImport, file: str, replace: bool) -> ImportWrite:
    """Draw the import into an XML-level workbook (io.xlsx.Book; no saving). The 问卷 table is worked out
    as values — rows of the same 对象类别 removed, placeholder questions of an unanswered sheet replaced,
    new question columns, the responses appended — and written over the old one, cell by cell."""
    from perfxl.io.read import SheetGrid
    from perfxl.survey.stats import label_of

    name = L.match_sheet(L.SHEET_SURVEY, book.names())
    if name is None:
        book.add_sheet(L.SHEET_SURVEY, L.match_sheet(L.SHEET_INDICATORS, book.names()))
        name = L.SHEET_SURVEY
    out = _Writer(book, name)
    old = _values(out.ws)
    h0 = find_header(SheetGrid(name, old))
    table = [list(r) for r in old]
    if h0 is None:                                    # a 问卷 sheet without header: start one on top
        table.insert(0, [L.SURVEY_ID_HEADERS[0], L.SURVEY_GROUP_HEADERS[0]])
        h0 = 0
    hr = h0 + 1
    heads = list(table[h0])
    before = list(heads)
    kinds = {c: header_kind(v) for c, v in enumerate(heads, start=1) if not is_blank(v)}
    id_col = next((c for c, k in kinds.items() if k == "id"), None)
    group_col = next((c for c, k in kinds.items() if k == "group"), None)
    body = table[h0 + 1:]
    data = [i for i, row in enumerate(body) if any(not is_blank(v) for v in row)]
    report = ImportWrite(Path(file), None, len(imp.answers))
    if group_col is None and any(g is not None for g in imp.groups):
        group_col = len(heads) + 1
        heads.append(L.SURVEY_GROUP_HEADERS[0])
    groups = {label_of(g) for g in imp.groups}

    def at(row: list[Any], c: int | None) -> Any:
        return row[c - 1] if c and c - 1 < len(row) else None

    same = [i for i in data if label_of(at(body[i], group_col)) in groups]
    if same and not replace:
        raise UnusableInput([problem("survey_import_group_exists", file=file, sheet=name,
                                     cell=f"A{hr + 1 + same[0]}", count=len(same),
                                     value="、".join(sorted(g or L.SURVEY_NO_GROUP for g in groups)))])
    gone = set(same)
    body = [row for i, row in enumerate(body) if i not in gone]
    report.replaced = len(same)
    questions = {c: v for c, v in enumerate(heads, start=1) if kinds.get(c) == "question"}
    if len(data) == len(same) and questions:          # nothing answered yet: the imported questions replace them
        keep = [c for c in range(1, max([len(heads), *(len(r) for r in body)]) + 1) if c not in questions]
        moved = {c: i for i, c in enumerate(keep, start=1)}
        heads = [at(heads, c) for c in keep]
        body = [[at(row, c) for c in keep] for row in body]
        id_col = moved.get(id_col) if id_col else None
        group_col = moved.get(group_col) if group_col else None
        questions = {}
    col_of: dict[int, int] = {}
    known: dict[str, int] = {}
    for c, v in questions.items():
        known.setdefault(norm(v), c)
        known.setdefault(norm(parse(str(v)).stem), c)

    def head(c: int, text: str) -> None:
        heads.extend([None] * (c - len(heads)))
        heads[c - 1] = text

    next_col = max(len(heads), id_col or 0, group_col or 0) + 1
    new_cols: list[int] = []
    for j, q in enumerate(imp.questions):
        col = known.get(norm(q)) or known.get(norm(parse(q).stem))
        if col is None or col in col_of.values():
            col = next_col
            next_col += 1
            head(col, q)
            new_cols.append(col)
            report.new_columns.append(q)
        col_of[j] = col
    if id_col is None:
        id_col = next_col
        head(id_col, L.SURVEY_ID_HEADERS[0])
    last = max((i for i, row in enumerate(body) if any(not is_blank(v) for v in row)), default=-1)
    body = body[:last + 1]
    width = max(id_col, group_col or 0, *col_of.values())
    for i, answers in enumerate(imp.answers):
        row: list[Any] = [None] * width
        row[id_col - 1] = imp.ids[i]
        if group_col:
            row[group_col - 1] = imp.groups[i]
        for j, v in enumerate(answers):
            row[col_of[j] - 1] = v
        body.append(row)
    _write_over(out, old, [*table[:h0], heads, *body], hr)

    def trimmed(row: list[Any]) -> list[Any]:
        return row[:max((i + 1 for i, v in enumerate(row) if not is_blank(v)), default=0)]

    old_heads = trimmed(before)
    report.headers_moved = trimmed(heads)[:len(old_heads)] != old_heads
    for c in new_cols:
        out.ws.set_width(c, 16)
    if imp.set_name:
        used = [heads[col_of[j] - 1] for j in range(len(imp.questions))]
        report.set_added = _add_set(book, imp.set_name, used)
    return report


def _write_over(out: _Writer, old: list[list[Any]], new: list[list[Any]], header_row: int) -> None:
    """Write table ``new`` (rows from row 1) over ``old``: only the cells whose value changes; a cell
    emptied keeps its style; the header row's new cells look like its others; rows past every row the
    sheet has are made in one pass, styled as their columns."""
    from perfxl.model.text import looks_like_formula
    from perfxl.model.values import is_date

    heads = new[header_row - 1] if header_row - 1 < len(new) else []
    ws = out.ws
    tail = max(len(old), ws.last_row_element(), header_row) + 1    # rows from here on do not exist yet
    rest = new[tail - 1:]
    plain = not any(looks_like_formula(v) or is_date(v) for row in rest for v in row)
    if rest and plain:                      # (formula-like text and dates need their cell's format: put)
        styles = [ws.style(tail, c) for c in range(1, max(len(r) for r in rest) + 1)]
        if ws.append_rows(tail, rest, styles) == len(rest):
            new = new[:tail - 1]
    for r in range(1, max(len(old), len(new)) + 1):
        was = old[r - 1] if r - 1 < len(old) else []
        now = new[r - 1] if r - 1 < len(new) else []
        for c in range(1, max(len(was), len(now)) + 1):
            a = was[c - 1] if c - 1 < len(was) else None
            b = now[c - 1] if c - 1 < len(now) else None
            if a == b and type(a) is type(b):
                continue
            if r == header_row and b is not None:
                out.header(r, c, b, heads)
            else:
                out.put(r, c, b)


def _add_set(book: Book, name_: str, questions: list[str]) -> str | None:
    """A 题组 ``name_`` over these 问卷 headers, for the 对象类别 of the same name, unless one exists."""
    from perfxl.survey.sheet import find_row

    name = L.match_sheet(L.SHEET_SURVEY_SETUP, book.names())
    if name is None:                                  # the default options, then the 题组 table
        name = L.SHEET_SURVEY_SETUP
        book.add_sheet(name, L.match_sheet(L.SHEET_SURVEY, book.names()))
        out = _Writer(book, name)
        heads = list(L.SURVEY_OPTION_HEADER[:3])
        for j, h in enumerate(heads, start=1):
            out.header(1, j, h, heads)
        for i, (label, weight, happy) in enumerate(L.DEFAULT_SURVEY_OPTIONS, start=2):
            for j, v in enumerate((label, weight, "是" if happy else "否"), start=1):
                out.put(i, j, v)
    from perfxl.io.read import SheetGrid

    out = _Writer(book, name)
    grid = SheetGrid(name, _values(out.ws))
    top = find_row(grid, (L.SURVEY_SET_HEADER[0],), (L.SURVEY_SET_HEADER[1],))
    if top is None:
        top = grid.height + 1
        heads = list(L.SURVEY_SET_HEADER)
        for j, h in enumerate(heads, start=1):
            out.header(top + 1, j, h, heads)
    r = top + 1
    while r < grid.height and not all(is_blank(grid.get(r, c)) for c in (0, 1)):
        if norm(grid.get(r, 0) or "") == norm(name_):
            return None
        r += 1
    for j, v in enumerate((name_, "、".join(dict.fromkeys(questions)), name_), start=1):
        out.like_above(r + 1, j, v, top + 1)
    return name_
