"""The official self-evaluation forms (项目支出/部门整体支出绩效自评表) as an Evaluation.

A form is found by its title; its blocks by their labels, wherever rows and columns were inserted:
the header block (项目名称, 主管部门, 实施单位 …), the 资金 block (资金来源 rows × 年初预算数 … 得分),
年度总体目标, and the indicator table down to 总分 and 等级. Each 三级指标 gets the rule of the 自评表
(DESIGN.md §1): a target with a number is scored by completion ratio, anything else by the evaluator's
judgement in three tiers, typed in 得分; the 资金 block scores 预算执行率 from 全年执行数 / 全年预算数.
Rows without 分值 are a record of completion and are not scored."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfxl.check.problems import Problem, problem
from perfxl.io.read import CellMark, RawBook, SheetGrid
from perfxl.model import layout as L
from perfxl.model.cells import cell_ref
from perfxl.model.text import is_blank, normalize


@dataclass
class FormPlaces:
    """Where a form's figures sit (1-based rows and columns), found on read."""
    spec: L.FormSpec
    sheet: str
    score_cells: dict[int, int] = field(default_factory=dict)    # indicator row -> column of its 得分
    rate_cell: tuple[int, int] | None = None                     # 执行率 of 年度资金总额
    execution_row: int | None = None
    total_cell: tuple[int, int] | None = None
    grade_cell: tuple[int, int] | None = None
    records_only: list[int] = field(default_factory=list)        # rows without 分值
    cells: dict[tuple[int, str], int] = field(default_factory=dict)   # (row, key) -> column, where not the table's
    label_col: int = 1                                           # the 资金 block's row labels

    def column(self, row: int, key: str, table_col: int | None) -> int | None:
        if key == "score" and self.score_cells.get(row):
            return self.score_cells[row]
        if (row, key) in self.cells:
            return self.cells[(row, key)]
        if row == self.execution_row:
            return self.label_col
        return table_col


def carry_levels(rec: dict[str, Any], last: dict[str, Any]) -> None:
    """Merged cells or blanks in 一级/二级 mean "same as above" (``last``: the names above, updated); a
    new 一级 whose 二级 is blank starts without one rather than taking the previous 一级's (the same 一级
    typed again on every row keeps the 二级 above)."""
    for k in ("level1", "level2"):
        if rec.get(k) is None:
            rec[k] = last[k]
        else:
            if k == "level1" and rec[k] != last[k] and rec.get("level2") is None:
                last["level2"] = None
            last[k] = rec[k]

def _norm(v: object) -> str:
    return normalize(v) if isinstance(v, str) else ""


def find_form(book: RawBook) -> tuple[str, L.FormSpec] | None:
    """The sheet holding a form and which form it is: by sheet name, else by a title in its first rows."""
    titles = {normalize(f.title): f for f in L.FORMS.values()}
    for name in book.sheet_names:
        if normalize(name) in titles:
            return name, titles[normalize(name)]
    for name in book.sheet_names:
        grid = book.sheets.get(name)
        for row in (grid.rows[:3] if grid is not None else ()):
            for v in row:
                if _norm(v) in titles:
                    return name, titles[_norm(v)]
    return None


def form_sheet_names(names: list[str]) -> list[str]:
    """Sheets that may hold a form, by name (the reader looks at no others)."""
    titles = {normalize(f.title) for f in L.FORMS.values()}
    return [n for n in names if normalize(n) in titles]


def _right_value(row: list[Any], c0: int, labels: set[str]) -> tuple[Any, int]:
    """The first non-blank cell right of column ``c0`` that is not another label: (value, 0-based col);
    none before the next label: (None, the cell right of ``c0``), the one to fill."""
    for c in range(c0 + 1, len(row)):
        v = row[c]
        if _norm(v) in labels:
            return None, c0 + 1
        if not is_blank(v):
            return v, c
    return None, c0 + 1


def read_form(book: RawBook, path: Path, sheet: str, spec: L.FormSpec, ev_cls: Any) -> Any:
    """The form on ``sheet`` as an Evaluation (``ev_cls``, passed in to keep the import one way)."""
    import pandas as pd

    grid: SheetGrid = book.sheets[sheet]
    rows = grid.rows
    file = str(path)
    problems: list[Problem] = []
    places = FormPlaces(spec, sheet)
    header_keys = L.lookup(L.FORM_HEADER_ALIASES.items())
    fund_cols = L.lookup((k, (h,)) for k, h in L.FORM_FUND_COLUMNS)
    fund_rows = L.lookup(L.FORM_FUND_ROW_ALIASES.items())
    ind_cols = L.lookup([(k, (h,)) for k, h in L.FORM_INDICATOR_COLUMNS] + list(L.FORM_INDICATOR_ALIASES.items()))
    stop = {normalize(L.FORM_TOTAL): "total", normalize(L.FORM_GRADE): "grade"}
    labels = set(header_keys) | set(fund_rows) | set(stop)
    info: dict[str, Any] = {"kind": spec.title}
    info_cells: dict[str, str] = {}
    basic_raw: dict[str, Any] = {}
    basic_cells: dict[str, str] = {}
    funds: dict[str, dict[str, tuple[Any, int, int]]] = {}
    fund_header: dict[str, int] | None = None
    label_col = 0
    table: dict[str, int] | None = None
    header_row = 0
    records: list[dict[str, Any]] = []
    index: list[int] = []
    marks: dict[tuple[int, str], Any] = {}
    last: dict[str, Any] = {"level1": None, "level2": None}
    formula_scores: set[int] = set()               # rows whose 得分 holds a formula
    typed: dict[tuple[int, str], Any] = {}          # 得分 typed where perfxl computes it: (row, "score") -> value
    year_re = re.compile(r"(\d{4})\s*年度?")
    for r0, row in enumerate(rows):
        texts = [_norm(v) for v in row]
        if table is None:
            if r0 < 4 and "year" not in info:
                for v in row:
                    m = year_re.search(v) if isinstance(v, str) else None
                    if m:
                        info["year"] = int(m.group(1))
                        info_cells["year"] = cell_ref(r0 + 1, row.index(v) + 1)
            for c0, t in enumerate(texts):
                key = header_keys.get(t)
                if key and key not in info:
                    value, vc = _right_value(row, c0, labels)
                    info[key] = value.strip() if isinstance(value, str) else value
                    info_cells[key] = cell_ref(r0 + 1, vc + 1)
            found = {fund_cols[t]: c + 1 for c, t in enumerate(texts) if t in fund_cols}
            if len(found) >= 3 and fund_header is None:
                fund_header = found
                continue
            if fund_header is not None:
                key, at = next(((fund_rows[t], c) for c, t in enumerate(texts[:min(fund_header.values()) - 1])
                                if t in fund_rows), (None, 0))
                if key == "total":
                    label_col = at + 1
                if key and key not in funds:
                    funds[key] = {k: (grid.marks.get((r0, c - 1)) or (row[c - 1] if c - 1 < len(row) else None),
                                      r0 + 1, c) for k, c in fund_header.items()}
            found = {ind_cols[t]: c + 1 for c, t in enumerate(texts) if t in ind_cols}
            if len(found) >= 4 and "name" in found:
                table, header_row = found, r0 + 1
            continue
        end = next((stop[t] for t in texts if t in stop), None)
        if end is not None:
            c = table.get("score", 0)
            if end == "total":
                places.total_cell = (r0 + 1, c)
            else:
                places.grade_cell = (r0 + 1, c)
            continue
        if places.total_cell is not None:
            continue
        rec: dict[str, Any] = {}
        for k, c in table.items():
            v = row[c - 1] if c - 1 < len(row) else None
            mark = grid.marks.get((r0, c - 1)) if grid.marks else None
            if mark is not None:
                marks[(r0 + 1, k)] = mark
                v = mark
            rec[k] = v.strip() or None if isinstance(v, str) else v
        if "score" in table and (r0, table["score"] - 1) in grid.formula_cells:
            formula_scores.add(r0 + 1)         # perfxl's formula (a live form): what it shows is not typed
            if rec.get("score") == L.FORMULA_MARKER:
                rec["score"] = None
        if all(v is None for v in rec.values()):
            continue
        carry_levels(rec, last)
        if rec.get("weight") is None:
            places.records_only.append(r0 + 1)
            continue
        records.append(rec)
        index.append(r0 + 1)
    if table is None:
        from perfxl.check.problems import UnusableInput

        raise UnusableInput([problem("form_table_missing", file=file, sheet=sheet, cell="A1", title=spec.title,
                                     headers="、".join(h for _, h in L.FORM_INDICATOR_COLUMNS))])
    out: list[tuple[int, dict[str, Any]]] = []
    total = funds.get("total")
    if total is not None:
        for key in ("budget_initial", "budget_adjusted", "spent_total"):
            if key in total:
                value, r, c = total[key]
                basic_raw[key] = value.strip() or None if isinstance(value, str) else value
                basic_cells[key] = cell_ref(r, c)
        weight = total.get("weight", (None,))[0]
        if not is_blank(weight):                 # points typed as text are reported by validation
            r = total["weight"][1]
            places.execution_row = r
            places.score_cells[r] = total["score"][2] if "score" in total else 0
            if "rate" in total:
                places.rate_cell = (r, total["rate"][2])
            places.cells[(r, "weight")] = total["weight"][2]
            if "score" in total:
                value, _, c = total["score"]
                if not is_blank(value) and (r - 1, c - 1) not in grid.formula_cells:
                    typed[(r, "score")] = value
            for key in ("source", "actual"):
                places.cells[(r, key)] = total["spent_total"][2] if "spent_total" in total else total["weight"][2]
            places.label_col = label_col or 1
            name1, name2, name3 = L.FORM_EXECUTION
            out.append((r, {"code": "1", "level1": name1, "level2": name2, "name": name3, "weight": weight,
                            "method": L.FORM_QUANTITATIVE_METHOD, "params": None,
                            "source": L.FORM_EXECUTION_SOURCE, "target": L.FORM_EXECUTION_TARGET,
                            "actual": None, "note": None}))
    from perfxl.model.values import parse_target

    for row_no, rec in zip(index, records):
        target = rec.get("target")
        quantitative = False
        if not is_blank(target) and not isinstance(target, CellMark):
            try:
                parse_target(target if isinstance(target, str) else str(target))
                quantitative = True
            except ValueError:
                pass
        places.score_cells[row_no] = table.get("score", 0)
        base = {"code": str(len(out) + 1), "level1": rec.get("level1"), "level2": rec.get("level2"),
                "name": rec.get("name"), "weight": rec.get("weight"), "source": None, "note": rec.get("note"),
                "target": target}
        if quantitative:
            out.append((row_no, {**base, "method": L.FORM_QUANTITATIVE_METHOD, "params": None,
                                 "actual": rec.get("actual")}))
            if not is_blank(rec.get("score")) and row_no not in formula_scores:
                typed[(row_no, "score")] = rec["score"]      # the evaluator's own figure (validation says so)
        else:
            method, params = L.FORM_QUALITATIVE
            score = rec.get("score")
            places.cells[(row_no, "actual")] = table.get("score", 0)
            out.append((row_no, {**base, "target": None, "method": method, "params": params,
                                 "actual": f"{score:g}分" if isinstance(score, (int, float)) else score}))
            if (row_no, "score") in marks:
                marks[(row_no, "actual")] = marks.pop((row_no, "score"))
    if places.records_only:
        problems.append(problem("form_records_only", file=file, sheet=sheet,
                                cell=f"{cell_ref(places.records_only[0], table['weight'])}",
                                count=len(places.records_only),
                                rows="、".join(str(r) for r in places.records_only[:10])
                                + ("…" if len(places.records_only) > 10 else "")))
    keys = ("code", "level1", "level2", "name", "weight", "method", "params", "source", "target", "actual", "note")
    frame = pd.DataFrame({k: [rec[k] for _, rec in out] for k in keys},
                         index=pd.Index([r for r, _ in out], name="row"), columns=list(keys), dtype=object)
    wanted = ("level1", "level2", "name", "weight", "target", "actual", "note")
    columns = {k: c for k, c in table.items() if k in wanted}
    layout = L.TableLayout(sheet, header_row, columns, max([header_row, *index]))
    ev = ev_cls(path=path, sheet_names=book.sheet_names, table=layout, frame=frame, marks=marks, levels1={},
                levels2={}, info=info, info_cells=info_cells, info_sheet=sheet, basic_sheet=sheet,
                basic_raw=basic_raw, basic_cells=basic_cells, problems=problems, package=book.package,
                grids=book.sheets, computed=typed)
    ev.form = places
    return ev
