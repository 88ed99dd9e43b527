"""Prefill workbooks from a roster: one workbook per roster row, 基本信息 and 基础数据 filled
from the roster's columns (matched by header, tolerantly), file names made safe from the unit name.

The template is read once (where each field goes, which formulas read the filled sheets); for every
row the mapped cells are written at the XML level (text never becomes a formula; a blank roster cell
keeps the template's value); in a workbook perfxl made live, perfxl's formulas then carry their results
for the filled values. Each workbook is saved atomically under a new name. Existing files are never
overwritten unless ``force`` (then a backup is made first).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfxl.check.problems import ERROR, Problem, UnusableInput, problem
from perfxl.io.names import MAX_NAME_BYTES, cut_name, safe_filename
from perfxl.model import layout as L
from perfxl.model.text import fold
from perfxl.model.values import is_blank, parse_number

# --- the roster ----------------------------------------------------------------------

@dataclass
class Roster:
    path: Path
    sheet: str
    header_row: int                                  # 1-based
    columns: dict[str, int]                          # "info:unit" / "basic:budget_initial" -> 1-based column
    headers: dict[str, str]                          # same keys -> the roster's own header text
    rows: list[tuple[int, dict[str, Any]]]           # (Excel row, {key: value})
    problems: list[Problem] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)   # "basic:…" -> the unit its header names (年初预算数（万元）)


#: a unit written after a figure or in brackets at the end of a header: 12人, 536.67万元, 预算数（单位：万元）
_VALUE_UNIT = re.compile(r"^(.*\d)([^\d.,]+)$")
_HEADER_UNIT = re.compile(r"^(.+?)[(\[【](?:单位[:：]?)?([^()\[\]【】]+)[)\]】]$")


def _header_unit(text: str) -> tuple[str, str | None]:
    """A header without the unit it names in brackets at its end, and that unit."""
    m = _HEADER_UNIT.match(fold(text))
    if m and (unit := L.unit_name(m.group(2))) is not None:
        return m.group(1), unit
    return text, None


def _roster_key(text: object, info: Mapping[str, str], basic: Mapping[str, str]) -> str | None:
    norm = L.normalize(text)
    if norm in info:
        return f"info:{info[norm]}"
    if norm in basic:
        return f"basic:{basic[norm]}"
    return None


def read_roster(path: str | Path, sheet: str | None = None) -> Roster:
    """The roster: the header row (the row near the top naming 单位名称 and the most known fields)
    and every non-blank row below it. Unknown columns are reported, never silently dropped."""
    from perfxl.io.read import read_book
    from perfxl.model.cells import cell_ref

    path = Path(path)
    if path.suffix.lower() in (".csv", ".txt"):   # an OA system's export, UTF-8 or GBK
        from perfxl.io.csvfile import read_csv

        grid, name = read_csv(path)[0], path.name
    else:
        book = read_book(path, sheets=lambda names: [sheet] if sheet else names[:1])
        if sheet is not None and sheet not in book.sheets:
            raise UnusableInput([problem("sheet_missing", file=str(path), sheet=sheet,
                                         names="、".join(book.sheet_names) or "无")])
        name = sheet or (book.sheet_names[0] if book.sheet_names else "")
        grid = book.sheets.get(name)
    info, basic = L.info_lookup(), L.basic_lookup()
    best = None
    for r0 in range(min(L.ROSTER_HEADER_SEARCH_ROWS, grid.height if grid else 0)):
        keys = [_roster_key(v, info, basic) for v in grid.rows[r0] if isinstance(v, str)]
        if "info:unit" in keys and (best is None or sum(k is not None for k in keys) > best[1]):
            best = (r0, sum(k is not None for k in keys))
    if best is None:
        raise UnusableInput([problem("fill_roster_no_header", file=str(path), sheet=name, path=path.name,
                                     rows=L.ROSTER_HEADER_SEARCH_ROWS)])
    r0 = best[0]
    header_row = r0 + 1

    def key_of(v: object) -> tuple[str | None, str | None]:
        if not isinstance(v, str):
            return None, None
        bare, unit = _header_unit(v)
        return _roster_key(bare, info, basic), unit

    # a two-level header (merged 基础数据 over 年初预算数 | 决算支出数 in the row below): the row below names
    # the columns the header row leaves blank or names only as a group; the data start under it
    below = {c0: v for c0, v in enumerate(grid.rows[r0 + 1]) if key_of(v)[0] is not None} \
        if r0 + 1 < grid.height else {}
    if not below or any(key_of(grid.get(r0, c0))[0] is not None for c0 in below):
        below = {}
    heads = {c0: (v, header_row) for c0, v in enumerate(grid.rows[r0]) if not is_blank(v)}
    heads.update({c0: (v, header_row + 1) for c0, v in below.items()})
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    seen: dict[str, list[str]] = {}
    units: dict[str, str] = {}
    problems: list[Problem] = []
    for c0, (v, hr) in sorted(heads.items()):
        cell = cell_ref(hr, c0 + 1)
        key, unit = key_of(v)
        if key is None:
            problems.append(problem("fill_unknown_column", file=str(path), sheet=name, cell=cell, value=v))
            continue
        if key == "info:template_version":
            problems.append(problem("fill_column_ignored", file=str(path), sheet=name, cell=cell, value=v))
            continue
        seen.setdefault(key, []).append(cell)
        if key not in columns:
            columns[key], headers[key] = c0 + 1, str(v).strip()
            if unit is not None and key.startswith("basic:"):
                units[key] = unit
    for key, cells in seen.items():
        if len(cells) > 1:
            problems.append(problem("fill_column_duplicate", file=str(path), sheet=name,
                                    cell=cells[1], header=headers[key], cells="、".join(cells)))
    if below:
        r0 += 1
    # a cell merged over several rows (one unit over its evaluators' rows) holds its value for each of them
    carry = {(r, c): grid.get(ra, ca) for (ra, ca), (rb, cb) in grid.merged if ra > r0
             for r in range(ra + 1, rb + 1) for c in range(ca, cb + 1)}
    rows = []
    for r in range(r0 + 1, grid.height):
        rec = {k: carry.get((r, c - 1), grid.get(r, c - 1)) for k, c in columns.items()}
        rec = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in rec.items()}
        if all(is_blank(v) for v in rec.values()):
            continue
        rows.append((r + 1, rec))
    if not rows:
        raise UnusableInput([problem("fill_roster_empty", file=str(path), sheet=name, path=path.name,
                                     cell=f"A{r0 + 2}")])
    return Roster(path, name, header_row, columns, headers, rows, problems, units)


# --- the template ----------------------------------------------------------------------

@dataclass
class _Target:
    sheet: str
    row: int
    col: int
    unit: str | None = None               # 基础数据: the unit the template's row is in


def _label_rows(grid, lookup: Mapping[str, str], labels: dict[str, str], label_col: int,
                start: int = 1) -> dict[str, int]:
    """field key -> row (1-based), by the label in ``label_col``. A row carrying the field's own label
    wins over one carrying an alias (the 基本信息 header 项目 is an alias of 项目名称)."""
    exact: dict[str, int] = {}
    alias: dict[str, int] = {}
    own = {L.normalize(text): key for key, text in labels.items()}
    for r in range(start, grid.height + 1):
        v = grid.get(r - 1, label_col - 1)
        if not isinstance(v, str):
            continue
        norm = L.normalize(v)
        if norm in own:
            exact.setdefault(own[norm], r)
        elif (key := lookup.get(norm)) is not None:
            alias.setdefault(key, r)
    return {**alias, **exact}


def _basic_columns(grid) -> tuple[int, int, int, int | None]:
    """(header row, label column, value column, 0-based unit column or None) of the 基础数据 table: found
    by its header (项目 | 数值 | 单位), else columns A, B and C from the top."""
    want_label, want_value, want_unit = (L.normalize(h) for h in L.BASIC_HEADER[:3])
    for r0 in range(min(L.HEADER_SEARCH_ROWS, grid.height)):
        names = [L.normalize(v) if isinstance(v, str) else None for v in grid.rows[r0][:30]]
        if want_label in names and want_value in names:
            last = {n: c0 for c0, n in enumerate(names)}
            return (r0 + 1, last[want_label] + 1, last[want_value] + 1,
                    names.index(want_unit) if want_unit in names else None)
    return 0, 1, 2, 2


def _targets(book, roster: Roster, template: Path) -> tuple[dict[str, _Target], list[Problem]]:
    """Where each roster column goes in the template (``book``: its sheets as read)."""
    problems: list[Problem] = []
    out: dict[str, _Target] = {}
    names = book.sheet_names
    info_sheet = L.match_sheet(L.SHEET_INFO, names)
    if info_sheet is None or info_sheet not in book.sheets:
        raise UnusableInput([problem("sheet_missing", file=str(template), sheet=L.SHEET_INFO,
                                     names="、".join(names))])
    rows = _label_rows(book.sheets[info_sheet], L.info_lookup(), {f.key: f.label for f in L.INFO_FIELDS}, 1)
    for key in roster.columns:
        kind, name = key.split(":")
        if kind != "info":
            continue
        if name in rows:
            out[key] = _Target(info_sheet, rows[name], 2)
        else:
            problems.append(problem("fill_field_missing", file=str(template), sheet=info_sheet,
                                    field=L.INFO_BY_KEY[name].label))
    basic_keys = [k for k in roster.columns if k.startswith("basic:")]
    if basic_keys:
        basic_sheet = L.match_sheet(L.SHEET_BASIC, names)
        if basic_sheet is None or basic_sheet not in book.sheets:
            problems.append(problem("fill_no_basic_sheet", file=str(template), sheet=L.SHEET_BASIC,
                                    columns="、".join(f"“{roster.headers[k]}”" for k in basic_keys)))
        else:
            grid = book.sheets[basic_sheet]
            head, label_col, value_col, unit_col = _basic_columns(grid)
            rows = _label_rows(grid, L.basic_lookup(), {f.key: f.label for f in L.BASIC_FIELDS}, label_col,
                               head + 1)
            for key in basic_keys:
                name = key.split(":")[1]
                if name in rows:
                    shown = grid.get(rows[name] - 1, unit_col) if unit_col is not None else None
                    unit = (L.unit_name(fold(shown)) if isinstance(shown, str) and not is_blank(shown) else None) \
                        or L.BASIC_BY_KEY[name].unit
                    out[key] = _Target(basic_sheet, rows[name], value_col, unit)
                else:
                    problems.append(problem("fill_field_missing", file=str(template), sheet=basic_sheet,
                                            field=L.BASIC_BY_KEY[name].label))
    return out, problems


def _made_live(book) -> bool:
    """Whether the template is a workbook perfxl made live (its formulas are perfxl's to draw again)."""
    from perfxl.model.evaluation import load
    from perfxl.score.cached import made_live

    try:
        return made_live(load(book.path, book))       # (its header row tells: no need to score it)
    except UnusableInput:                         # not an evaluation workbook perfxl can read
        return False


# --- filling ------------------------------------------------------------------------

@dataclass
class FillItem:
    row: int                              # roster row (Excel)
    unit: str | None
    path: Path | None
    status: str                           # "written" | "overwritten" | "skipped"
    backup: Path | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class FillReport:
    items: list[FillItem]
    problems: list[Problem]               # roster and template level

    @property
    def written(self) -> list[FillItem]:
        return [i for i in self.items if i.status != "skipped"]

    @property
    def all_problems(self) -> list[Problem]:
        """Roster and template problems, then every row's."""
        return [*self.problems, *(p for i in self.items for p in i.problems)]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.all_problems)

    def to_dict(self) -> dict:
        """The JSON shape of ``perfxl fill --json``."""
        return {
            "written": [str(i.path) for i in self.written],
            "items": [{"row": i.row, "unit": i.unit, "path": str(i.path) if i.path else None, "status": i.status,
                       "backup": str(i.backup) if i.backup else None,
                       "problems": [p.to_dict() for p in i.problems]} for i in self.items],
            "problems": [p.to_dict() for p in self.problems]}


def _value(key: str, v: Any, roster: Roster, r: int, target: _Target) -> tuple[Any, Problem | None]:
    """A roster value as it should be stored: whole numbers as int; 基础数据 as numbers in the unit of the
    template's row (a figure the roster gives in another unit, by its header or after the figure, converted:
    4.9 under “三公经费预算数（万元）” is 49000 元, never 4.9 元). ``None``: not written."""
    from perfxl.model.cells import cell_ref

    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, datetime) and v.time() == datetime.min.time():
        v = v.date()
    where = dict(file=str(roster.path), sheet=roster.sheet, cell=cell_ref(r, roster.columns[key]),
                 column=roster.headers[key], value=v)
    if key == "info:credit_code" and isinstance(v, (int, float)) and abs(v) >= 1e15:
        return None, problem("fill_code_number", **where)      # 913601001234567890 is stored as …936
    if not key.startswith("basic:"):
        return v, None
    unit = roster.units.get(key)
    if isinstance(v, str):
        m = _VALUE_UNIT.match(fold(v))
        text = v
        if m and (tail := L.unit_name(m.group(2))) is not None:
            text, unit = m.group(1), tail
        try:
            n = parse_number(text)
        except ValueError:
            return v, problem("fill_not_number", **where)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        n = v
    else:
        return v, None
    want = target.unit
    if unit is not None and want is not None and unit != want:
        (kind, have_f), (want_kind, want_f) = L.UNITS[unit], L.UNITS[want]
        if kind != want_kind:
            return None, problem("fill_unit_mismatch", **where, unit=unit, want=want,
                                 field=L.BASIC_BY_KEY[key.split(":")[1]].label)
        n = float(Decimal(repr(float(n))) * Decimal(repr(have_f)) / Decimal(repr(want_f)))
    n = float(n)
    return int(n) if n.is_integer() else n, None


def fill(roster_path: str | Path, template: str | Path | None, outdir: str | Path, *, sheet: str | None = None,
         force: bool = False) -> FillReport:
    """One workbook per roster row in ``outdir``. ``template`` None: the standard template."""
    from perfxl.io.files import made_folder

    with made_folder(Path(outdir)):     # left empty (stopped before the first workbook, none written): removed
        return _fill(roster_path, template, Path(outdir), sheet=sheet, force=force)


def _fill(roster_path: str | Path, template: str | Path | None, outdir: Path, *, sheet: str | None,
          force: bool) -> FillReport:
    from perfxl.io.files import atomic_write_bytes, ensure_writable
    from perfxl.io.package import Package
    from perfxl.io.read import read_book
    from perfxl.model.cells import cell_ref
    from perfxl.model.evaluation import sheets_to_read

    roster = read_roster(roster_path, sheet)
    problems = list(roster.problems)
    if template is None:
        from perfxl.io.xlsx import workbook_bytes
        from perfxl.sheets.template import new_workbook

        suffix, tpath = ".xlsx", Path("（标准模板）")
        package = Package.of_bytes(workbook_bytes(new_workbook()), "标准模板.xlsx")
    else:
        tpath = Path(template)
        package = Package.open(tpath, full=True)
        if package.kind not in (".xlsx", ".xlsm"):
            raise UnusableInput([problem("file_unreadable", file=str(tpath), path=tpath.name,
                                         detail="模板须是 .xlsx 或 .xlsm；请先另存为 .xlsx")])
        suffix = package.kind
    data = package.data
    read = read_book(package, sheets=sheets_to_read())
    targets, target_problems = _targets(read, roster, tpath)
    problems += target_problems
    stale = _Stale.of(data, {t.sheet for t in targets.values()}, _made_live(read), tpath)

    items: list[FillItem] = []
    names: dict[str, int] = {}
    for r, rec in roster.rows:
        unit = rec.get("info:unit")
        item = FillItem(r, None if is_blank(unit) else str(unit).strip(), None, "skipped")
        items.append(item)
        where = dict(file=str(roster.path), sheet=roster.sheet)
        if item.unit is None:
            item.problems.append(problem("fill_unit_missing", **where, row=r,
                                         cell=cell_ref(r, roster.columns["info:unit"])))
            continue
        if L.normalize(item.unit) in L.TOTAL_ROW_WORDS:      # the 合计 row at the bottom of a roster
            item.unit = None
            item.problems.append(problem("fill_total_row", **where, row=r, value=unit,
                                         cell=cell_ref(r, roster.columns["info:unit"])))
            continue
        stem = safe_filename(item.unit)
        evaluator = rec.get("info:evaluator")
        if not is_blank(evaluator):
            tail = "_" + cut_name(safe_filename(evaluator), 60)        # kept whole: it tells the evaluators apart
            stem = safe_filename(cut_name(stem, MAX_NAME_BYTES - len(tail.encode("utf-8"))) + tail)
        target = outdir / f"{stem}{suffix}"
        key = target.name.casefold()            # Windows and macOS file names ignore case
        if key in names:
            item.problems.append(problem("fill_name_clash", **where, row=r, other=names[key], name=target.name,
                                         cell=cell_ref(r, roster.columns["info:unit"])))
            continue
        names[key] = r
        item.path = target
        if target.exists() and not force:
            item.problems.append(problem("fill_exists", file=str(target), path=str(target)))
            continue
        try:
            ensure_writable(target)
        except UnusableInput as e:
            item.problems += e.problems
            continue
        values: list[tuple[_Target, Any]] = []
        for k, t in targets.items():
            v = rec.get(k)
            if is_blank(v):                      # the template's cell stays as it is
                continue
            v, p = _value(k, v, roster, r, t)
            if v is not None:
                values.append((t, v))
            if p:
                item.problems.append(p)
        filled = _filled(data, values, tpath, stale)
        item.backup = atomic_write_bytes(target, lambda fh, data=filled: fh.write(data), keep_backup=True)
        item.status = "overwritten" if item.backup else "written"
    return FillReport(items, problems)


@dataclass
class _Stale:
    """What filling does to the template's formulas, worked out once for every workbook: ``cells``, those
    whose saved results go stale (they read the filled sheets, directly or not); ``texts``, every formula
    it holds ((sheet, row, column) -> ``depends.canonical`` text; "" where another cell holds it);
    ``live``: the template is a workbook perfxl made live, whose own formulas get their new results."""
    cells: set[tuple[str, int, int]]
    texts: dict[tuple[str, int, int], str]
    live: bool

    @classmethod
    def of(cls, template: bytes, sheets: set[str], live: bool, tpath: Path) -> "_Stale":
        from perfxl.io.xlsx.book import edit_package
        from perfxl.io.xlsx.depends import canonical_texts, reading

        texts, _ = edit_package(template, tpath, lambda book: book.formula_texts())
        return cls(reading(texts, sheets), canonical_texts(texts), live)


def _filled(template: bytes, values: list[tuple[_Target, Any]], tpath: Path, stale: _Stale) -> bytes:
    """The template's package with ``values`` written into their cells at the XML level: every other
    part and cell byte-identical (pictures, charts, buttons, macros, the user's formulas); formula-like
    text stays text, dates get a date format, a cell keeps its look. The formulas reading the filled
    sheets lose their stale results; in a live template perfxl's get the new ones."""
    from perfxl.io.writeback import refreshed
    from perfxl.io.xlsx.book import edit_package
    from perfxl.sheets.canvas import XmlCanvas

    def edit(book) -> None:
        canvas = XmlCanvas(book)
        for t, v in values:
            canvas.write(t.sheet, t.row, t.col, [[v]])
        if values:
            book.forget_results(stale.cells)

    _, data = edit_package(template, tpath, edit)
    if stale.live and values and stale.cells:
        data = refreshed(data, tpath, stale.cells, stale.texts)
    return data
