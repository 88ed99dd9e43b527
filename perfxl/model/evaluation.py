"""From raw grids to the evaluation model: locate sheets and headers, build the indicator
table (a DataFrame indexed by Excel row), the 基本信息 fields and the grade scale."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.io.read import CellMark, RawBook, SheetGrid, read_book
from perfxl.model import layout as L
from perfxl.model.cells import CellRef, cell_ref, col_letter
from perfxl.model.form import carry_levels, find_form, form_sheet_names, read_form
from perfxl.model.text import fold, is_blank
from perfxl.survey.sheet import read_survey

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    import pandas as pd


@dataclass
class Level:
    name: str
    declared: float | None      # "部门决策(15分)" -> 15
    cell: str                   # where it was first written


@dataclass
class Evaluation:
    path: Path
    sheet_names: list[str]
    table: L.TableLayout
    frame: Any                                   # pandas.DataFrame, index = Excel row
    marks: dict[tuple[int, str], CellMark]       # (Excel row, column key) -> mark
    levels1: dict[str, Level]
    levels2: dict[tuple[str, str], Level]
    info: dict[str, Any] = field(default_factory=dict)
    info_cells: dict[str, str] = field(default_factory=dict)
    info_sheet: str | None = None
    #: 基本信息 cells holding an error value or a formula saved without its result (their info is None)
    info_marks: dict[str, CellMark] = field(default_factory=dict)
    grade_rows: list[tuple[Any, Any, int]] = field(default_factory=list)   # (label, min, Excel row)
    basic_sheet: str | None = None
    basic_raw: dict[str, Any] = field(default_factory=dict)                # 基础数据 key -> cell value
    basic_cells: dict[str, str] = field(default_factory=dict)
    basic_units: dict[str, tuple[Any, str]] = field(default_factory=dict)   # key -> (unit cell value, cell)
    zero_rule: tuple[Any, str] | None = None                               # (value, cell)
    budget_base: tuple[Any, str] | None = None                             # (value, cell): 预算执行率分母
    #: constant formulas typed into the indicator table ("=100%" in 目标值): (Excel row, key) -> "100%"
    formulas: dict[tuple[int, str], str] = field(default_factory=dict)
    #: figures found in the computed columns (规则得分, 得分, 得分率): (Excel row, key) -> value
    computed: dict[tuple[int, str], Any] = field(default_factory=dict)
    #: what perfxl wrote into them last time (hidden 选项 sheet): Excel row -> {key: value}
    written: dict[int, dict[str, Any]] = field(default_factory=dict)
    survey: Any = None                                                     # survey.SurveyInput
    problems: list[Problem] = field(default_factory=list)                  # found while modelling
    package: Any = None                                                    # io.package.Package read (None: live Excel)
    form: Any = None                                                       # model.form.FormPlaces of an official form
    grids: dict[str, SheetGrid] = field(default_factory=dict)              # the sheets as read, by name

    def cell(self, row: int, key: str) -> "CellRef | str":
        """The cell of column ``key`` in Excel row ``row`` ('' when the table has no such column)."""
        col = self.table.columns.get(key)
        if self.form is not None:
            col = self.form.column(row, key, col)
        return CellRef(row, col) if col else ""


#: a level name's declared weight, folded or as typed (full-width or not): '部门决策（15分）', '部门决策 15分'
_NUMBER = r"([\d０-９]+(?:[.．][\d０-９]+)?)"
_TYPED_WEIGHT = re.compile(rf"\s*(?:[(（]\s*{_NUMBER}\s*分?\s*[)）]|{_NUMBER}\s*分)\s*$")


@lru_cache(maxsize=4096)
def _split_level(text: str) -> tuple[str, float | None, str]:
    """'部门决策（15分）' -> ('部门决策', 15.0, '部门决策'); '资金管理' -> ('资金管理', None, '资金管理'): the
    name folded (full-width → half-width, no spaces: how names are compared), its declared weight,
    and the name as typed without the weight (the folded name when the two part ways)."""
    raw = fold(text)
    m = _TYPED_WEIGHT.search(raw)             # a name of nothing but a weight has none
    name, weight = (raw[:m.start()], float(m.group(1) or m.group(2))) if m and m.start() else (raw, None)
    shown = text.strip()
    if weight is not None:
        shown = _TYPED_WEIGHT.sub("", shown)
    return name, weight, shown if fold(shown) == name else name


def shown_level(text: object) -> str:
    """The name as typed, without its declared weight: '产出指标（数量）（20分）' -> '产出指标（数量）'."""
    return _split_level(str(text))[2]


def find_header_row(grid: SheetGrid, lookup: Mapping[str, str]) -> tuple[int, dict[str, list[int]]] | None:
    best = None
    for r in range(min(L.HEADER_SEARCH_ROWS, grid.height)):
        found: dict[str, list[int]] = {}
        for c, v in enumerate(grid.rows[r]):
            if isinstance(v, str) and (key := lookup.get(L.normalize(v))):
                found.setdefault(key, []).append(c + 1)
        if len(found) >= 3 and (best is None or len(found) > len(best[1])):
            best = (r + 1, found)
    return best


def _table_names(system: bool) -> tuple[str, ...]:
    return (L.SHEET_SYSTEM, L.SHEET_INDICATORS) if system else (L.SHEET_INDICATORS,)


def table_sheets(names: list[str], *, system: bool = False) -> list[str]:
    """The sheets of ``names`` the indicator table is looked for in, first choice first (an indicator list:
    指标体系, then 指标评分); its hidden rows are pointed out (a hidden indicator still counts)."""
    return [s for s in (L.match_sheet(w, names) for w in _table_names(system)) if s]


def _read_table(book: RawBook, path: Path, system: bool = False) -> tuple[L.TableLayout, SheetGrid, list[Problem]]:
    wanted = _table_names(system)
    sheet = next(iter(table_sheets(book.sheet_names, system=system)), None)
    if sheet is None and system and len(book.sheet_names) == 1:
        sheet = book.sheet_names[0]          # a one-sheet indicator list, whatever its name
    if sheet is None and not system and L.is_summary(book.sheet_names):
        raise UnusableInput([problem("summary_not_evaluation", file=str(path), path=path.name)])
    if sheet is None and not system and L.match_sheet(L.SHEET_SYSTEM, book.sheet_names):
        raise UnusableInput([problem("system_not_evaluation", file=str(path), path=path.name)])
    if sheet is None:
        raise UnusableInput([problem("sheet_missing", file=str(path), sheet=wanted[0],
                                     names="、".join(book.sheet_names) or "无")])
    grid = book.sheets[sheet]
    found = find_header_row(grid, L.header_lookup())
    if found is None:
        raise UnusableInput([problem("header_row_missing", file=str(path), sheet=sheet,
                                     rows=L.HEADER_SEARCH_ROWS, cell="A1")])
    header_row, cols = found
    problems: list[Problem] = []
    required = L.SYSTEM_REQUIRED if system else [c.key for c in L.INDICATOR_COLUMNS if c.required]
    missing = [L.COLUMNS_BY_KEY[k] for k in required if k not in cols]
    if missing:
        raise UnusableInput([
            problem("header_missing", file=str(path), sheet=sheet, cell=f"{header_row}:{header_row}",
                    row=header_row, header=c.header, aliases="、".join((c.header, *c.aliases)))
            for c in missing])
    for key, where in cols.items():
        if len(where) > 1:
            problems.append(problem("header_duplicate", file=str(path), sheet=sheet,
                                    cell=cell_ref(header_row, where[1]), header=L.COLUMNS_BY_KEY[key].header,
                                    cells="、".join(cell_ref(header_row, c) for c in where)))
    layout = L.TableLayout(sheet, header_row, {k: v[0] for k, v in cols.items()})
    return layout, grid, problems




#: computed columns whose figures are compared with what perfxl wrote (评分过程 is text, always rewritten)
FIGURE_KEYS = ("rule_score", "score", "rate")


def _build_frame(grid: SheetGrid, table: L.TableLayout, path: Path, ev_formulas: dict[tuple[int, str], str],
                 ev_computed: dict[tuple[int, str], Any],
                 ) -> tuple[pd.DataFrame, dict[tuple[int, str], CellMark], list[Problem],
                            tuple[dict[str, Level], dict[tuple[str, str], Level]]]:
    """The indicator table's rows as a frame (Excel rows as its index), its cells' marks, the rows'
    problems, and the levels (一级/二级 columns hold their names, the declared weights split off)."""
    import numpy as np
    import pandas as pd

    keys = [k for k in L.INPUT_KEYS if k in table.columns]
    figure_cols = [(k, table.columns[k] - 1) for k in FIGURE_KEYS if k in table.columns]
    records: list[dict[str, Any]] = []
    index: list[int] = []
    marks: dict[tuple[int, str], CellMark] = {}
    problems: list[Problem] = []
    last: dict[str, Any] = {"level1": None, "level2": None}
    last_row = table.header_row
    _check_table_length(grid, table, keys, path)
    codeless = 0
    where = [(k, table.columns[k] - 1) for k in keys]
    cols = [c0 for _, c0 in where]
    grid_marks, grid_rows, grid_formulas = grid.marks, grid.rows, grid.formulas
    # the few rows with a mark or a formula in the table's columns, looked up cell by cell
    in_table = set(cols)
    special = {r for r, c in (*grid_marks, *grid_formulas) if c in in_table}
    for r0 in _content_rows(grid, table, keys):
        excel_row = r0 + 1
        row = grid_rows[r0]
        width = len(row)
        values = [row[c0] if c0 < width else None for c0 in cols]
        rec: dict[str, Any] = {k: (v.strip() or None) if v.__class__ is str else v for k, v in zip(keys, values)}
        if r0 in special:
            for k, c0 in where:
                if (mark := grid_marks.get((r0, c0))) is not None:
                    marks[(excel_row, k)] = rec[k] = mark
                if (r0, c0) in grid_formulas:
                    ev_formulas[(excel_row, k)] = grid_formulas[(r0, c0)]
        if all(v is None for v in rec.values()):
            continue
        if rec.get("source") is not None and "actual" in table.columns \
                and (r0, table.columns["actual"] - 1) in grid.formula_cells:
            # a live workbook's 实际值 showing its 数据来源 value (a formula perfxl wrote): not typed
            rec["actual"] = None
            marks.pop((excel_row, "actual"), None)
        if rec.get("code") is None:
            label = next((rec[k] for k in ("level1", "level2", "name") if rec.get(k) is not None), None)
            if isinstance(label, str) and L.normalize(label) in L.TOTAL_ROW_WORDS:
                continue
            if all(rec.get(k) is None for k in ("name", "weight", "method", "actual")):
                # a stray note under the table: not an indicator
                continue
            codeless += 1
            if codeless <= MAX_ROW_PROBLEMS:
                problems.append(problem("row_without_code", file=str(path), sheet=table.sheet,
                                        cell=cell_ref(excel_row, table.columns["code"]),
                                        column=L.COLUMNS_BY_KEY["code"].header))
            carry_levels(rec, last)        # (its 一级/二级, merged over the rows below, still apply to them)
            continue
        if r0 in grid.hidden_rows:
            problems.append(problem("row_hidden", file=str(path), sheet=table.sheet, row=excel_row,
                                    cell=cell_ref(excel_row, table.columns["code"]),
                                    column=L.COLUMNS_BY_KEY["code"].header))
        carry_levels(rec, last)
        if isinstance(rec.get("code"), float) and rec["code"].is_integer():
            rec["code"] = int(rec["code"])
        for k, c0 in figure_cols:
            v = row[c0] if c0 < width else None
            if v is not None and not is_blank(v) and (r0, c0) not in grid.formula_cells \
                    and v != L.FORMULA_MARKER:             # a formula computes; the marker is perfxl's
                ev_computed[(excel_row, k)] = v
        records.append(rec)
        index.append(excel_row)
        last_row = excel_row
    if codeless > MAX_ROW_PROBLEMS:
        problems.append(problem("row_without_code_more", file=str(path), sheet=table.sheet,
                                cell=f"{col_letter(table.columns['code'])}{table.header_row + 1}:"
                                     f"{col_letter(table.columns['code'])}{grid.height}",
                                count=codeless - MAX_ROW_PROBLEMS, shown=MAX_ROW_PROBLEMS))
    table.last_row = last_row
    columns = {k: [rec.get(k) for rec in records] for k in keys}
    levels = _split_levels(columns["level1"], columns["level2"], index, table)
    # the frame is one block of objects: filled from a 2-D array, twice as fast as from the columns
    cells = np.empty((len(records), len(keys)), dtype=object)
    for j, k in enumerate(keys):
        cells[:, j] = columns[k]
    frame = pd.DataFrame(cells, index=pd.Index(index, name="row"), columns=keys, dtype=object, copy=False)
    return frame, marks, problems, levels


def _levels(frame: pd.DataFrame, table: L.TableLayout,
            ) -> tuple[dict[str, Level], dict[tuple[str, str], Level]]:
    """Split "部门决策(15分)" into name and declared weight; the frame keeps the names."""
    names1, names2 = list(frame["level1"]), list(frame["level2"])
    out = _split_levels(names1, names2, list(frame.index), table)
    if len(frame):
        frame["level1"] = names1
        frame["level2"] = names2
    return out


def _split_levels(names1: list[Any], names2: list[Any], rows: list[int], table: L.TableLayout,
                  ) -> tuple[dict[str, Level], dict[tuple[str, str], Level]]:
    """``_levels`` on the columns' lists, which are left holding the names."""
    levels1: dict[str, Level] = {}
    levels2: dict[tuple[str, str], Level] = {}
    # rows are grouped by the folded name and show it as first typed (full-width brackets kept)
    shown1: dict[str, str] = {}
    shown2: dict[tuple[str, str], str] = {}
    col1, col2 = table.columns["level1"], table.columns["level2"]
    for i, (row, v1, v2) in enumerate(zip(rows, names1, names2)):
        if v1 is None or isinstance(v1, CellMark):
            continue
        f1, d1, s1 = _split_level(str(v1))
        n1 = shown1.setdefault(f1, s1)
        if n1 not in levels1:
            levels1[n1] = Level(n1, d1, cell_ref(row, col1))
        elif d1 is not None and levels1[n1].declared is None:
            levels1[n1].declared = d1
        names1[i] = n1
        if v2 is None or isinstance(v2, CellMark):
            continue
        f2, d2, s2 = _split_level(str(v2))
        n2 = shown2.setdefault((f1, f2), s2)
        key = (n1, n2)
        if key not in levels2:
            levels2[key] = Level(n2, d2, cell_ref(row, col2))
        elif d2 is not None and levels2[key].declared is None:
            levels2[key].declared = d2
        names2[i] = n2
    return levels1, levels2


def _read_info(book: RawBook, ev: Evaluation) -> None:
    sheet = L.match_sheet(L.SHEET_INFO, book.sheet_names)
    if sheet is None:
        ev.problems.append(problem("sheet_missing", severity="warning", file=str(ev.path), sheet=L.SHEET_INFO,
                                   names="、".join(book.sheet_names)))
        return
    ev.info_sheet = sheet
    grid = book.sheets[sheet]
    lookup = L.info_lookup()
    grade_header = None
    for r0, row in enumerate(grid.rows):
        label = row[0] if row else None
        if not isinstance(label, str):
            continue
        norm = L.normalize(label)
        grade_names = (L.GRADE_HEADER[0], *L.GRADE_HEADER_ALIASES[L.GRADE_HEADER[0]])
        if grade_header is None and norm in {L.normalize(x) for x in grade_names}:
            second = row[1] if len(row) > 1 else None
            if isinstance(second, str):
                grade_header = r0
                continue
        if grade_header is not None:
            if all(is_blank(v) for v in row[:2]):
                break
            ev.grade_rows.append((row[0], row[1] if len(row) > 1 else None, r0 + 1))
            continue
        key = lookup.get(norm)
        if key and key not in ev.info:
            value = row[1] if len(row) > 1 else None
            if (mark := grid.marks.get((r0, 1))) is not None:
                ev.info_marks[key] = mark
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            ev.info[key] = value.strip() or None if isinstance(value, str) else value
            ev.info_cells[key] = cell_ref(r0 + 1, 2)


def _read_basic(book: RawBook, ev: Evaluation) -> None:
    sheet = L.match_sheet(L.SHEET_BASIC, book.sheet_names)
    if sheet is None:
        return
    ev.basic_sheet = sheet
    lookup = L.basic_lookup()
    zero_label, base_label = L.normalize(L.ZERO_OVER_ZERO_LABEL), L.normalize(L.BUDGET_BASE_LABEL)
    grid = book.sheets[sheet]
    for r0, row in enumerate(grid.rows):
        label = row[0] if row else None
        if not isinstance(label, str):
            continue
        value = row[1] if len(row) > 1 else None
        if isinstance(value, str):
            value = value.strip() or None
        norm = L.normalize(label)
        if norm == zero_label:
            ev.zero_rule = (value, cell_ref(r0 + 1, 2))
        elif norm == base_label:
            ev.budget_base = (value, cell_ref(r0 + 1, 2))
        elif (key := lookup.get(norm)) and key not in ev.basic_raw:
            # an error value or a formula saved without its result: the mark, which validation reports as such
            ev.basic_raw[key] = grid.marks.get((r0, 1)) or value
            ev.basic_cells[key] = cell_ref(r0 + 1, 2)
            unit = row[2] if len(row) > 2 else None
            ev.basic_units[key] = (unit.strip() or None if isinstance(unit, str) else unit, cell_ref(r0 + 1, 3))


def _read_written(book: RawBook, ev: Evaluation) -> None:
    """The figures perfxl wrote into the computed columns last time (hidden 选项 sheet)."""
    grid = book.sheets.get(L.SHEET_LISTS)
    if grid is None:
        return
    c0 = ord(L.LIST_COLUMNS["written"]) - 65
    if grid.get(0, c0) != L.WRITTEN_HEADER:
        return
    for r0 in range(1, grid.height):
        row = grid.get(r0, c0)
        if not isinstance(row, (int, float)) or isinstance(row, bool):
            break
        ev.written[int(row)] = {k: grid.get(r0, c0 + 1 + i) for i, k in enumerate(FIGURE_KEYS)}


def sheets_to_read(*, system: bool = False) -> Callable[[list[str]], list[str]]:
    """The sheets an evaluation (or, ``system``, an indicator list) is modelled from: a chooser of
    names for ``read_book`` (only these sheets are read)."""
    wanted = _table_names(system) + (() if system else (
        L.SHEET_INFO, L.SHEET_BASIC, *L.SURVEY_SHEETS, L.SHEET_SUMMARY, L.SHEET_SURVEY_STATS))

    def choose(names: list[str]) -> list[str]:
        found = [n for n in (L.match_sheet(s, names) for s in wanted) if n]
        if not system and L.match_sheet(L.SHEET_INDICATORS, names) is None:
            # an official form (scored: beside 得分汇总): by its sheet name, or the first sheet's title
            found += [n for n in form_sheet_names(names) or names[:1] if n not in found]
        if not system and L.SHEET_LISTS in names:
            found.append(L.SHEET_LISTS)          # what perfxl wrote last time
        return found or (names[:1] if system and len(names) == 1 else [])
    return choose


def sheets_with_numbers() -> Callable[[list[str]], list[str]]:
    """The sheets whose number formats matter (a chooser for ``read_book(formats=...)``): all read but
    the questionnaire's answers, which are option names, not percentages."""
    choose = sheets_to_read()

    def formats(names: list[str]) -> list[str]:
        survey = L.match_sheet(L.SHEET_SURVEY, names)
        return [n for n in choose(names) if n != survey]
    return formats


def load(path: str | Path, book: RawBook | None = None, *, system: bool = False,
         password: str | None = None) -> Evaluation:
    """Read and model a workbook file. Raises UnusableInput when it cannot be understood.

    ``system``: the file is an administrator's indicator list (指标体系), not an evaluation.
    ``password``: the workbook's opening password, if it has one.
    """
    path = Path(path)
    if book is None:
        book = read_book(path, sheets=sheets_to_read(system=system), password=password)
    if not system and L.match_sheet(L.SHEET_INDICATORS, book.sheet_names) is None and (form := find_form(book)):
        ev: Evaluation = read_form(book, path, *form, Evaluation)
        ev.levels1, ev.levels2 = _levels(ev.frame, ev.table)
        return ev
    table, grid, problems = _read_table(book, path, system)
    formulas: dict[tuple[int, str], str] = {}
    computed: dict[tuple[int, str], Any] = {}
    frame, marks, row_problems, (levels1, levels2) = _build_frame(grid, table, path, formulas, computed)
    ev = Evaluation(path=path, sheet_names=book.sheet_names, table=table, frame=frame, marks=marks,
                    levels1=levels1, levels2=levels2, problems=problems + row_problems,
                    package=book.package, formulas=formulas, computed=computed, grids=book.sheets)
    if not system:
        _read_info(book, ev)
        _read_basic(book, ev)
        ev.survey = read_survey(book, ev.path)
        _read_written(book, ev)
    return ev


# --- robustness: oversized indicator tables (可靠性与安全) -------------------------------------

#: rows with content under the 指标评分 header (the template allows 2,000 indicators)
MAX_TABLE_ROWS = 10_000
#: "row without 编号" problems listed one by one; the rest are counted in one problem
MAX_ROW_PROBLEMS = 50


def _content_rows(grid: SheetGrid, table: L.TableLayout, keys: list[str]) -> Iterable[int]:
    """Rows under the header to model: all of them, or for a long sheet only those with content
    (or an error value) in a column of the table."""
    if grid.height - table.header_row <= 5_000:
        return range(table.header_row, grid.height)
    import numpy as np

    arr = grid.as_array()
    cols = [table.columns[k] - 1 for k in keys if table.columns[k] - 1 < arr.shape[1]]
    body = arr[table.header_row:, cols]
    # numpy's stubs take no None, yet an object array compares with it cell by cell
    filled = np.not_equal(body, None).any(axis=1)  # type: ignore[call-overload]
    rows = set((np.flatnonzero(filled) + table.header_row).tolist())
    rows |= {r for r, c in grid.marks if r >= table.header_row}
    return sorted(rows)


def _check_table_length(grid: SheetGrid, table: L.TableLayout, keys: list[str], path: Path) -> None:
    """Refuse an indicator table with more rows of content than any evaluation has (e.g. 200,000
    rows pasted below it), before modelling them one by one."""
    if grid.height - table.header_row <= MAX_TABLE_ROWS:
        return
    import numpy as np

    arr = grid.as_array()
    cols = [table.columns[k] - 1 for k in keys if table.columns[k] - 1 < arr.shape[1]]
    body = arr[table.header_row:, cols]
    filled = np.not_equal(body, None).any(axis=1)  # type: ignore[call-overload]  # as in _content_rows
    count = int(filled.sum()) if body.size else 0
    if count > MAX_TABLE_ROWS:
        raise UnusableInput([problem("table_too_long", file=str(path), sheet=table.sheet,
                                     cell=f"A{table.header_row + 1}", count=f"{count:,}", path=path.name,
                                     limit=f"{MAX_TABLE_ROWS:,}")])
