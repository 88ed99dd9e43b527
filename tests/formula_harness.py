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
from perfxl.model.values import is_blank, is_date, parse_number, parse_target, round2
from perfxl.rules import RuleError, lookup
from perfxl.rules.formula import Book, Err, Ref, RowCells, compile_row
from perfxl.model.cells import col_letter
from perfxl.rules.formula.expr import Expr
from perfxl.rules.formula.row import MAX_HELPERS
from perfxl.rules.formula import sheet as S
from perfxl.score import figures as FIG

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
    """(value or None) of a Case.figure computed by score.figures (basic: the a, b raw values)."""
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
    return FIG.compute(f, nums, choice).value


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
            value = _figure_value(figure, basic)
            if value is None:
                raise RuleError("source", "figure")
            if target is not None and not target.quantity.is_percent:
                raise RuleError("target", "source_not_percent")
            actual = f"{value * 100!r}%"
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


def agree(value: Any, engine: float | None, errors: list[str]) -> str | None:
    """Why a formula's value breaks the contract (None: it keeps it): the engine's number to the
    cent, or the marker; the marker whenever the engine reports an error."""
    if isinstance(value, Err) or value is None:
        return f"error value {value}"
    if value == MARK:
        return None
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
