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
from perfxl.rules.formula import Book, Err, Ref, RowCells, compile_row
from perfxl.rules.formula import sheet as S
from perfxl.rules.formula.expr import Expr
from perfxl.rules.formula.row import MAX_HELPERS
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


# --- a whole workbook made live (the prototype of what template/score will write) --------------------

SCRATCH = "公式检验"


@dataclass
class Live:
    """Where a live workbook's formulas are: indicator cells per Excel row, figures, questionnaire
    sets, 得分汇总 rows (on the scratch sheet), 总分 and 等级."""
    sheet: str
    rows: dict[int, dict[str, str]] = field(default_factory=dict)        # row -> rule_score/score/rate -> address
    compiled: dict[int, bool] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)               # name -> basic-sheet address
    survey: dict[str, tuple[str, str]] = field(default_factory=dict)    # set -> (rate, satisfied) addresses
    levels: list[tuple[int, str, str | None, str, str, str]] = field(default_factory=list)
    total: str = ""
    grade: str = ""
    helpers: list[str] = field(default_factory=list)
    last_row: int = 0
    basic_sheet: str | None = None


def live_workbook(src: Path, out: Path) -> Live:
    """``src`` with every formula perfxl can compile: 指标评分 (rule/score/rate + hidden helpers),
    基础数据 figures, questionnaire rates, and 得分汇总 / 总分 / 等级 on a scratch sheet."""
    import openpyxl

    from perfxl.check.validate import _survey_ref, validate
    from perfxl.model.evaluation import load
    from perfxl.rules.formula import text
    from perfxl.rules.formula.expr import Lit
    from perfxl.survey.stats import _label, resolve_sets

    ev = load(src)
    checked = validate(ev)
    wb = openpyxl.load_workbook(src)
    ws = wb[ev.table.sheet]
    cols = ev.table.columns
    live = Live(ev.table.sheet, basic_sheet=ev.basic_sheet)
    scratch = wb.create_sheet(SCRATCH)
    put = {}                                       # (sheet, address) -> Expr

    # 基础数据: derived figures in the 计算结果 column of the figure table
    if ev.basic_sheet:
        bs = wb[ev.basic_sheet]
        top = next(r for r in range(1, bs.max_row + 1) if bs.cell(r, 1).value == L.FIGURE_HEADER[0]
                   and bs.cell(r, 2).value == L.FIGURE_HEADER[1])
        zero = Ref(ev.zero_rule[1]) if ev.zero_rule else None
        for r in range(top + 1, bs.max_row + 1):
            fig = FIG.lookup(bs.cell(r, 1).value) if bs.cell(r, 1).value else None
            if fig is None:
                continue
            if all(k in ev.basic_cells for k in fig.inputs):
                e = S.figure(fig.shape, Ref(ev.basic_cells[fig.a]), Ref(ev.basic_cells[fig.b]), zero)
            else:
                e = Lit(MARK)
            put[(ev.basic_sheet, f"C{r}")] = e
            live.figures[fig.name] = f"C{r}"

    # 问卷: a set's 得分率 and 满意率 on the scratch sheet
    srow = 1
    sv = ev.survey
    if sv is not None and sv.setup_sheet:
        resolve_sets(sv, str(src))
        setup, qws = wb[sv.setup_sheet], wb[sv.sheet]
        col_of = dict(sv.questions)
        options = []
        for o in sv.options:
            r = int(o.cell[1:])
            options.append(S.SurveyOption(Ref(f"A{r}", sv.setup_sheet), setup.cell(r, 1).value,
                                          Ref(f"B{r}", sv.setup_sheet), Ref(f"C{r}", sv.setup_sheet),
                                          setup.cell(r, 3).value))
        below = max(int(o.cell[1:]) for o in sv.options) + 1
        groups = sorted({g for g in (_label(qws.cell(r, sv.group_col).value) for r in
                                     range(sv.header_row + 1, qws.max_row + 1)) if g} if sv.group_col else set())
        from perfxl.model.cells import col_letter

        for qs in sv.sets:
            r = int(qs.cell[1:])
            answers = tuple(Ref(f"{col_letter(col_of[q])}{sv.header_row + 1}:{col_letter(col_of[q])}1048576",
                                sv.sheet) for q in qs.questions)
            grange = (Ref(f"{col_letter(sv.group_col)}{sv.header_row + 1}:{col_letter(sv.group_col)}1048576",
                          sv.sheet) if sv.group_col else None)
            guards = tuple((Ref(f"{c}{r}", sv.setup_sheet), setup[f"{c}{r}"].value) for c in "ABC")
            guards += tuple((Ref(f"{col_letter(col_of[q])}{sv.header_row}", sv.sheet), q) for q in qs.questions)
            sset = S.SurveySet(answers, grange, qs.group, tuple(groups), tuple(options),
                               (Ref(f"A{below}", sv.setup_sheet), Ref(f"B{below}", sv.setup_sheet)), guards)
            srow += 1
            scratch.cell(srow, 1, qs.name)
            for col, what in (("B", "rate"), ("C", "satisfied")):
                try:
                    put[(SCRATCH, f"{col}{srow}")] = S.survey(sset, what) if qs.questions else Lit(MARK)
                except Exception as e:          # NotCompilable
                    from perfxl.rules.formula.row import NotCompilable

                    if not isinstance(e, NotCompilable):
                        raise
                    put[(SCRATCH, f"{col}{srow}")] = Lit(MARK)
            live.survey[qs.name] = (f"B{srow}", f"C{srow}")

    # 指标评分: each row
    from perfxl.model.cells import col_letter

    first_helper = ws.max_column + 1
    live.helpers = [col_letter(first_helper + i) for i in range(MAX_HELPERS)]
    for i, h in enumerate(live.helpers, start=1):
        ws[f"{h}{ev.table.header_row}"] = L.FORMULA_HELPER_HEADER.format(n=i)
        ws.column_dimensions[h].hidden = True
    letter = {k: col_letter(c) for k, c in cols.items()}
    for row in ev.frame.index:
        raw = {k: ws[f"{letter[k]}{row}"].value if k in letter else None
               for k in ("method", "params", "target", "source")}
        source_value = None
        if raw.get("source") not in (None, ""):
            kind, name = _survey_ref(str(raw["source"]).strip())
            if kind:
                pair = live.survey.get(name)
                source_value = Ref(pair[0 if kind == L.SOURCE_SURVEY_RATE else 1], SCRATCH) if pair else None
            elif (fig := FIG.lookup(raw["source"])) is not None and fig.name in live.figures:
                source_value = Ref(live.figures[fig.name], ev.basic_sheet)
        cells = RowCells(actual=f"{letter['actual']}{row}", weight=f"{letter['weight']}{row}",
                         rule_score=f"{letter['rule_score']}{row}", score=f"{letter['score']}{row}",
                         method=f"{letter['method']}{row}", params=f"{letter['params']}{row}",
                         target=f"{letter['target']}{row}", source=f"{letter['source']}{row}",
                         evaluator_score=f"{letter['evaluator_score']}{row}",
                         helpers=tuple(f"{h}{row}" for h in live.helpers), source_value=source_value)
        rf = compile_row(raw, cells)
        live.compiled[row] = rf.compiled
        for addr, e in rf.cells(cells, f"{letter['rate']}{row}").items():
            put[(ev.table.sheet, addr)] = e
        live.rows[row] = {k: f"{letter[k]}{row}" for k in ("rule_score", "score", "rate")}
        live.last_row = row

    # 得分汇总, 总分, 等级
    order1: dict[str, list[int]] = {}
    order2: dict[tuple[str, str], list[int]] = {}
    for ind in checked.indicators:
        order1.setdefault(ind.level1, []).append(ind.row)
        order2.setdefault((ind.level1, ind.level2), []).append(ind.row)
    r = srow + 2
    level1_scores = []
    for name1, rows1 in order1.items():
        groups = [(1, name1, None, rows1)] + [(2, n2, name1, rs) for (p, n2), rs in order2.items() if p == name1]
        for level, name, parent, rows in groups:
            r += 1
            scratch.cell(r, 1, name)
            put[(SCRATCH, f"B{r}")] = S.rollup(S.column_runs(letter["weight"], rows, ev.table.sheet))
            put[(SCRATCH, f"C{r}")] = S.rollup(S.column_runs(letter["score"], rows, ev.table.sheet))
            put[(SCRATCH, f"D{r}")] = S.ratio(Ref(f"C{r}"), Ref(f"B{r}"))
            live.levels.append((level, name, parent, f"B{r}", f"C{r}", f"D{r}"))
            if level == 1:
                level1_scores.append(Ref(f"C{r}"))
    r += 2
    put[(SCRATCH, f"B{r}")] = S.rollup(level1_scores)
    live.total = f"B{r}"
    table = None
    if ev.grade_rows:
        info = wb[ev.info_sheet]
        first, last = ev.grade_rows[0][2], ev.grade_rows[-1][2]
        table = S.GradeTable(tuple((Ref(f"A{g}", ev.info_sheet), Ref(f"B{g}", ev.info_sheet))
                                   for _, _, g in ev.grade_rows),
                             (Ref(f"A{last + 1}", ev.info_sheet), Ref(f"B{last + 1}", ev.info_sheet)),
                             (Ref(f"A{first - 1}", ev.info_sheet), info[f"A{first - 1}"].value))
    put[(SCRATCH, f"C{r}")] = S.grade(Ref(f"B{r}"), table)
    live.grade = f"C{r}"

    for (sh, addr), e in put.items():
        wb[sh][addr] = "=" + text(e)
    wb.save(out)
    return live


def live_reads(live: Live) -> list[list[str]]:
    reads = [[live.sheet, f"A1:{live.helpers[-1]}{live.last_row}"], [SCRATCH, "A1:D200"]]
    if live.basic_sheet:
        reads.append([live.basic_sheet, "A1:D60"])
    return reads
