"""Shared by the formula tests: indicator rows laid out on a sheet with their compiled formulas,
what the rule engine says about each row, evaluation in Python, and LibreOffice recalculating.

The engine side repeats, for one row of raw cell values, what check.validate._parse_rule and
score.engine.score_indicator do (the full pipeline is exercised on the shipped examples)."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfxl.model import layout as L
from perfxl.model.cells import col_letter
from perfxl.model.values import Quantity, is_blank, is_date, parse_number, parse_target, round2
from perfxl.rules import RuleError, lookup
from perfxl.rules.formula import Book, Err, Ref, RowCells, compile_row, text
from perfxl.rules.formula import sheet as S
from perfxl.rules.formula.expr import Expr, Lit
from perfxl.rules.formula.row import MAX_HELPERS
from perfxl.score import figures as FIG
from perfxl.sheets.live import HELPERS as ALL_HELPERS

SHEET, BASIC = "指标", "基础"
COLS = dict(code="A", method="B", params="C", target="D", actual="E", weight="F", evaluator_score="G",
            rule_score="H", score="I", rate="J", source="K")
HELPERS = [col_letter(12 + i) for i in range(MAX_HELPERS)]
MARK = L.FORMULA_MARKER


@dataclass
class Case:
    """One indicator row as typed. ``figure``: (shape, a, b, 0/0 setting) feeding 数据来源."""
    method: Any
    params: Any = None
    target: Any = None
    actual: Any = None
    weight: Any = 1.0
    evaluator: Any = None
    figure: tuple | None = None
    typed: str | None = None          # typed into 实际值 through LibreOffice instead of ``actual``
    typed_as_text: bool = False       # ... into a cell formatted as Text (kept as typed)
    canonical: bool = False           # 实际值 typed the plain way: the formula must give the number

    @property
    def source(self) -> str | None:
        if self.figure is None:
            return None
        return next(f.name for f in FIG.FIGURES if f.shape == self.figure[0])


@dataclass
class Expect:
    rule: float | None
    score: float | None
    rate: float | None
    errors: list[str] = field(default_factory=list)
    score_errors: list[str] = field(default_factory=list)


def _weight(raw) -> float | None:
    if raw is None or is_blank(raw) or is_date(raw) or isinstance(raw, Err):
        return None
    try:
        w = parse_number(raw)
    except ValueError:
        return None
    return w if w > 0 else None


def _figure_value(fig: tuple | None, basic: tuple | None):
    """The FigureValue of a Case.figure computed by score.figures (basic: the a, b raw values)."""
    shape, a, b, zero = fig
    f = next(f for f in FIG.FIGURES if f.shape == shape)
    nums = {}
    for key, raw in zip(f.inputs, basic or (a, b)):
        try:
            nums[key] = None if raw is None or is_date(raw) or isinstance(raw, Err) else parse_number(raw)
        except ValueError:
            nums[key] = None
    default = L.ZERO_OVER_ZERO_CHOICES[L.ZERO_OVER_ZERO_DEFAULT]
    # validate._basic: an unknown setting is reported at its cell and the default applies
    choice = default if is_blank(zero) else L.ZERO_OVER_ZERO_CHOICES.get(str(zero).strip(), default)
    return FIG.compute(f, nums, choice)


def engine_row(raw: dict, figure: tuple | None = None, basic: tuple | None = None) -> Expect:
    """The engine's 规则得分 / 得分 / 得分率 for one row of raw cell values (as a reader returns them)."""
    raw = {k: (v.strip() or None) if isinstance(v, str) else v for k, v in raw.items()}
    errors: list[str] = []
    weight = _weight(raw.get("weight"))
    if weight is None:
        errors.append("weight")
    rule = None
    kind = lookup(raw["method"]) if isinstance(raw.get("method"), str) else None
    try:
        if kind is None:
            raise RuleError("method", "method")
        target = None
        t = raw.get("target")
        if is_date(t) or isinstance(t, Err):
            raise RuleError("target", "date")
        if is_blank(t):
            if kind.needs_target:
                raise RuleError("target", "missing")
        else:
            try:
                target = parse_target(t)
            except ValueError:
                raise RuleError("target", "invalid") from None
        p = raw.get("params")
        text = "" if p is None else (str(int(p)) if isinstance(p, float) and p.is_integer() else str(p).strip())
        if kind.needs_params and not text:
            raise RuleError("params", "missing")
        params = kind.parse_params(text, target)
        actual = raw.get("actual")
        if figure is not None:
            fv = _figure_value(figure, basic)
            value = fv.value
            if value is None:
                raise RuleError("source", "missing" if fv.missing else "figure")
            if target is not None and not target.quantity.is_percent:
                raise RuleError("target", "source_not_percent")
            actual = Quantity(value, "%")
        elif is_blank(actual) or is_date(actual) or isinstance(actual, Err):
            raise RuleError("actual", "missing")
        a = kind.parse_actual(actual, target, params)
        if weight is not None:
            out = kind.evaluate(params, target, a, weight)
            rule = round2(out.points_of(weight))
    except RuleError as e:
        errors.append(f"{e.where}: {e.message}")
    score_errors: list[str] = []
    ev = raw.get("evaluator_score")
    given = None
    if not is_blank(ev):
        try:
            if is_date(ev) or isinstance(ev, Err):
                raise ValueError
            given = parse_number(ev)
        except ValueError:
            score_errors.append("evaluator not a number")
        if given is not None and weight is not None and not (0 <= given <= weight + 1e-9):
            score_errors.append("evaluator out of range")
            given = None
    score = round2(given) if given is not None else rule
    rate = score / weight if score is not None and weight else None
    return Expect(rule, score, rate, errors, score_errors)


# --- a sheet of rows ----------------------------------------------------------------------------

def cells_of(r: int, with_source: bool = True) -> RowCells:
    c = {k: f"{v}{r}" for k, v in COLS.items()}
    return RowCells(actual=c["actual"], weight=c["weight"], rule_score=c["rule_score"], score=c["score"],
                    method=c["method"], params=c["params"], target=c["target"],
                    source=c["source"] if with_source else None, evaluator_score=c["evaluator_score"],
                    helpers=tuple(f"{h}{r}" for h in HELPERS),
                    source_value=Ref(f"C{r}", BASIC) if with_source else None)


@dataclass
class Layout:
    """Inputs and formulas of many rows: ``inputs`` / ``formulas`` map (sheet, address) to values
    and expressions."""
    cases: list[Case]
    inputs: dict[tuple[str, str], Any] = field(default_factory=dict)
    formulas: dict[tuple[str, str], Expr] = field(default_factory=dict)
    compiled: list[bool] = field(default_factory=list)

    def row(self, i: int) -> int:
        return i + 2

    def book(self, inputs: dict | None = None) -> Book:
        b = Book()
        for (sh, addr), v in (inputs if inputs is not None else self.inputs).items():
            b.set(sh, addr, v)
        for (sh, addr), e in self.formulas.items():
            b.set(sh, addr, e)
        return b


def lay_out(cases: list[Case]) -> Layout:
    lay = Layout(cases)
    for i, case in enumerate(cases):
        r = lay.row(i)
        values = dict(code=i + 1, method=case.method, params=case.params, target=case.target,
                      actual=case.actual, weight=case.weight, evaluator_score=case.evaluator, source=case.source)
        for key, v in values.items():
            lay.inputs[(SHEET, f"{COLS[key]}{r}")] = v
        cells = cells_of(r)
        if case.figure is not None:
            shape, a, b, zero = case.figure
            lay.inputs[(BASIC, f"A{r}")] = a
            lay.inputs[(BASIC, f"B{r}")] = b
            lay.inputs[(BASIC, f"D{r}")] = zero
            lay.formulas[(BASIC, f"C{r}")] = S.figure(shape, Ref(f"A{r}"), Ref(f"B{r}"), Ref(f"D{r}"))
        rf = compile_row({k: values[k] for k in ("method", "params", "target", "source")}, cells)
        lay.compiled.append(rf.compiled)
        for addr, e in rf.cells(cells, f"{COLS['rate']}{r}").items():
            lay.formulas[(SHEET, addr)] = e
    return lay


def expected(lay: Layout, inputs: dict | None = None) -> list[Expect]:
    """What the engine says about every row, from the cell values ``inputs`` (default: as laid out)."""
    inputs = lay.inputs if inputs is None else inputs
    out = []
    for i, case in enumerate(lay.cases):
        r = lay.row(i)
        raw = {k: inputs.get((SHEET, f"{COLS[k]}{r}")) for k in
               ("method", "params", "target", "actual", "weight", "evaluator_score")}
        basic = (inputs.get((BASIC, f"A{r}")), inputs.get((BASIC, f"B{r}"))) if case.figure else None
        fig = None
        if case.figure:
            fig = (case.figure[0], None, None, inputs.get((BASIC, f"D{r}")))
        out.append(engine_row(raw, fig, basic))
    return out


#: what the engine reports when nothing is typed yet where a row needs it: the formula may show ""
PENDING = ("actual: missing", "source: missing")


def agree(value: Any, engine: float | None, errors: list[str]) -> str | None:
    """Why a formula's value breaks the contract (None: it keeps it): the engine's number to the
    cent, or the marker; the marker whenever the engine reports an error; empty text only when
    the engine misses an input nobody typed yet."""
    if isinstance(value, Err) or value is None:
        return f"error value {value}"
    if value == MARK:
        return None
    if value == "":
        return None if any(e in PENDING for e in errors) else f"empty text where the engine reports {errors or engine}"
    if isinstance(value, str):
        return f"text {value!r}"
    if errors:
        return f"number {value} where the engine reports {errors}"
    if engine is None:
        return f"number {value} where the engine has none"
    if abs(value - engine) > 1e-9:
        return f"{value} != engine {engine}"
    return None


# --- LibreOffice -----------------------------------------------------------------------------------

def uno_available() -> bool:
    """LibreOffice's Python bridge is there; with CI=true its absence is a failure, not a skip."""
    import os

    import pytest

    from devtools.vba import uno_python

    if uno_python() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice 的 Python 接口 (python3-uno) 不可用：CI 中需要它重算公式")
        pytest.skip("python3-uno not installed")
    return True


def typing(lay: Layout) -> list[list]:
    """The lo_uno "type" entries of the rows whose 实际值 is typed through LibreOffice."""
    return [[SHEET, f"{COLS['actual']}{lay.row(i)}", c.typed, *(["text"] if c.typed_as_text else [])]
            for i, c in enumerate(lay.cases) if c.typed is not None]


def to_xlsx(lay: Layout, path: Path) -> Path:
    """The layout as an .xlsx (openpyxl): inputs as typed, formulas without cached values."""
    import openpyxl

    from perfxl.rules.formula import text

    wb = openpyxl.Workbook()
    wb.active.title = SHEET
    wb.create_sheet(BASIC)
    for (sh, addr), v in lay.inputs.items():
        cell = wb[sh][addr]
        cell.value = v
        if isinstance(v, str):
            cell.data_type = "s"             # text that begins with "=" stays text
    for (sh, addr), e in lay.formulas.items():
        wb[sh][addr] = "=" + text(e)
    wb.save(path)
    return path


def lo_recalc(jobs: list[dict], workdir: Path) -> list[dict]:
    """Run devtools/lo_uno.py recalc (one LibreOffice for every job)."""
    from devtools.vba import HERE, uno_python

    exe = uno_python()
    spec = workdir / "jobs.json"
    spec.write_text(json.dumps({"jobs": jobs}, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([exe, str(HERE / "lo_uno.py"), "recalc", str(spec)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)["results"]


def lo_value(cell: list) -> Any:
    kind, v = cell
    if kind == "error":
        return Err(v)
    if kind == "empty":
        return None
    return v


def read_inputs(path: Path, lay: Layout) -> dict:
    """The input cells of a saved workbook as perfxl's reader returns them."""
    from perfxl.io.read import CellMark, read_book
    from perfxl.rules.formula.expr import parse_cell

    book = read_book(path)
    out = {}
    for (sh, addr) in lay.inputs:
        r, c = parse_cell(addr)
        v = book.sheets[sh].get(r - 1, c - 1)
        mark = book.sheets[sh].marks.get((r - 1, c - 1))
        if isinstance(mark, CellMark):
            v = Err(mark.text) if mark.kind == "error" else None
        out[(sh, addr)] = v
    return out


# --- a whole workbook made live by perfxl (what template/score/fill write) --------------------------

@dataclass
class Live:
    """Where a live workbook's formulas are (addresses "sheet!A1"): indicator cells per Excel row,
    figures, questionnaire sets, 得分汇总 rows, 总分 and 等级."""
    sheet: str
    rows: dict[int, dict[str, str]] = field(default_factory=dict)        # row -> rule_score/score/rate -> address
    compiled: dict[int, bool] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)               # name -> address
    survey: dict[str, tuple[str, str]] = field(default_factory=dict)    # set -> (rate, satisfied) addresses
    levels: list[tuple[int, str, str | None, str, str, str]] = field(default_factory=list)
    total: str = ""
    grade: str = ""
    helpers: list[str] = field(default_factory=list)
    last_row: int = 0
    basic_sheet: str | None = None
    summary_rows: int = 0
    survey_rows: int = 0


def live_workbook(src: Path, out: Path) -> Live:
    """``perfxl score src -o out`` (the product: every formula perfxl writes, with cached values), and
    where its formulas are, found in the written workbook by its headers and labels."""
    import openpyxl

    from perfxl.io.writeback import write_back
    from perfxl.model.cells import col_letter
    from perfxl.score.pipeline import run

    result = run(src)
    write_back(result, src, out)
    ev = result.checked.evaluation
    wb = openpyxl.load_workbook(out)
    ws = wb[ev.table.sheet]
    header = {ws.cell(ev.table.header_row, c).value: col_letter(c) for c in range(1, ws.max_column + 1)}
    letter = {k: header[L.COLUMNS_BY_KEY[k].header] for k in ("rule_score", "score", "rate")}
    live = Live(ev.table.sheet, basic_sheet=ev.basic_sheet)
    live.helpers = [header[h] for h in (L.FORMULA_HELPER_HEADER.format(n=n) for n in range(1, ALL_HELPERS + 1))
                    if h in header]
    mark_formula = "=" + text(Lit(MARK))
    for ind in result.checked.indicators:
        live.rows[ind.row] = {k: f"{live.sheet}!{c}{ind.row}" for k, c in letter.items()}
        live.compiled[ind.row] = ws[f"{letter['rule_score']}{ind.row}"].value != mark_formula
        live.last_row = max(live.last_row, ind.row)
    if ev.basic_sheet:
        bs = wb[ev.basic_sheet]
        top = next(r for r in range(1, bs.max_row + 1) if bs.cell(r, 1).value == L.FIGURE_HEADER[0])
        for r in range(top + 1, bs.max_row + 1):
            name = bs.cell(r, 1).value
            if not name:
                break
            if FIG.lookup(name) is not None:
                live.figures[name] = f"{ev.basic_sheet}!C{r}"
    if L.SHEET_SURVEY_STATS in wb.sheetnames:
        ss = wb[L.SHEET_SURVEY_STATS]
        heads = list(L.SURVEY_STATS_SET_HEADERS)
        rate, sat = (col_letter(heads.index(h) + 1) for h in (L.SURVEY_STATS_RATE, L.SURVEY_STATS_SATISFIED))
        top = next(r for r in range(1, ss.max_row + 1) if ss.cell(r, 1).value == heads[0])
        for r in range(top + 1, ss.max_row + 1):
            if not ss.cell(r, 1).value:
                break
            live.survey[ss.cell(r, 1).value] = (f"{L.SHEET_SURVEY_STATS}!{rate}{r}", f"{L.SHEET_SURVEY_STATS}!{sat}{r}")
            live.survey_rows = r
    sm, name = wb[L.SHEET_SUMMARY], L.SHEET_SUMMARY
    parent, in_table = None, False
    for r in range(1, sm.max_row + 1):
        a, b = sm.cell(r, 1).value, sm.cell(r, 2).value
        if a == L.SUMMARY_HEAD["total"]:
            live.total = f"{name}!B{r}"
        elif a == L.SUMMARY_HEAD["grade"]:
            live.grade = f"{name}!B{r}"
        elif a == L.SUMMARY_HEADERS[0]:
            in_table = True
        elif in_table and b == L.SUMMARY_SUBTOTAL:
            parent = a
            live.levels.append((1, a, None, f"{name}!C{r}", f"{name}!D{r}", f"{name}!E{r}"))
        elif in_table and b:
            live.levels.append((2, b, parent, f"{name}!C{r}", f"{name}!D{r}", f"{name}!E{r}"))
        live.summary_rows = r
    return live


def live_reads(live: Live) -> list[list[str]]:
    reads = [[live.sheet, f"A1:{live.helpers[-1]}{live.last_row}"], [L.SHEET_SUMMARY, f"A1:E{live.summary_rows}"]]
    if live.basic_sheet:
        reads.append([live.basic_sheet, "A1:D60"])
    if live.survey_rows:
        reads.append([L.SHEET_SURVEY_STATS, f"A1:J{live.survey_rows}"])
    return reads
