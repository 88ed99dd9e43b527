"""Compile one indicator row to live formulas: 规则得分 from the row's rule kind (its ``formula``
face in the registry), 得分 and 得分率, and the hidden helper cells they read through.

The result of a compiled formula is the engine's number or the marker (layout.FORMULA_MARKER):
the marker when the rule cannot be compiled, when an input is one the engine rejects or one the
formula readers do not cover, and when 计分方法 / 计分参数 / 目标值 / 数据来源 no longer hold what the
formula was compiled from.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from perfxl.model import layout as L
from perfxl.model.text import is_blank, text_of
from perfxl.model.values import PERCENT_SUSPECT, Target, is_date, parse_target

from ..registry import RuleError, lookup
from . import read as R
from .expr import Expr, Lit, Ref, call, lift

#: helper cells one row may need at most (变动率 with "本年;上年" uses them all)
MAX_HELPERS = 12


class NotCompilable(Exception):
    """The row's rule has no formula: the cell shows the marker."""


@dataclass(frozen=True)
class Face:
    """A kind's formula outcome: a share of the weight, or points (cf. registry.Outcome)."""
    rate: Expr | None = None
    points: Expr | None = None


@dataclass(frozen=True)
class RowCells:
    """Addresses, on the indicator sheet, of one row's cells (None: the sheet has no such column).

    ``helpers``: free cells (hidden columns) the compiler may fill, in order. ``source_value``:
    the cell holding the derived figure or questionnaire rate the row's 数据来源 names."""
    actual: str
    weight: str
    rule_score: str
    score: str | None = None
    method: str | None = None
    params: str | None = None
    target: str | None = None
    source: str | None = None
    evaluator_score: str | None = None
    helpers: tuple[str, ...] = ()
    source_value: Ref | None = None


@dataclass(frozen=True)
class RowFormulas:
    rule_score: Expr
    score: Expr
    rate: Expr
    helpers: tuple[tuple[str, Expr], ...] = ()
    compiled: bool = True
    reason: str = ""                   # why the rule did not compile (for logs and tests)

    def cells(self, cells: RowCells, rate_cell: str | None = None) -> dict[str, Expr]:
        """address -> formula for every cell of the row the formulas fill."""
        out = dict(self.helpers)
        out[cells.rule_score] = self.rule_score
        if cells.score:
            out[cells.score] = self.score
        if rate_cell:
            out[rate_cell] = self.rate
        return out


def marker() -> Lit:
    return Lit(L.FORMULA_MARKER)


def weight_of(ref: Expr) -> Expr:
    """分值 as the engine takes it: a positive number, else #N/A."""
    return R.IF(R.is_number_cell(ref), R.IF(ref.gt(0), ref, R.NA()), R.NA())


def given_score(score: Ref, weight: Ref, na: list[Ref]) -> Expr:
    """A score a person typed (评价得分, a form's 得分) as the engine takes it: a number from 0 to 分值 rounded
    to the cent, else the marker — also when a cell of ``na`` may now say 不适用 (the engine then scores
    nothing, typed figure or not)."""
    m, w = marker(), weight_of(weight)
    given = R.IF(R.is_number_cell(score), R.IF(R.AND(score.ge(0), score.le(w + R.EPS)), round2(score), m), m)
    return R.IF(R.maybe_not_applicable(na), m, given) if na else given


def round2(x: Expr) -> Expr:
    """values.round2: 2 places half up, after 9 places (binary noise away)."""
    return R.ROUND(R.ROUND(x, 9), 2)


class Ctx:
    """What a kind's formula face builds with: the row's cells, its readers, its helper cells."""

    def __init__(self, cells: RowCells, source: Expr | None):
        self.cells = cells
        self.actual = Ref(cells.actual)
        self.weight = weight_of(Ref(cells.weight))
        self.source = source
        self.helpers: list[tuple[str, Expr]] = []
        self._text: Ref | None = None
        self._parts: tuple[Ref, Ref] | None = None

    def helper(self, expr: Expr) -> Ref:
        if len(self.helpers) >= len(self.cells.helpers):
            raise NotCompilable(f"needs more than {len(self.cells.helpers)} helper cells")
        address = self.cells.helpers[len(self.helpers)]
        self.helpers.append((address, expr))
        return Ref(address)

    def fail(self, reason: str) -> NoReturn:
        raise NotCompilable(reason)

    def text(self) -> Ref:
        """The cleaned text of 实际值 (values.clean, for the characters it maps alike)."""
        if self.source is not None:
            self.fail("a 数据来源 value is a percentage, not words")
        if self._text is None:
            self._text = self.helper(R.text_of(self.actual))
        return self._text

    def parts(self) -> tuple[Ref, Ref]:
        """(unit, number) of the typed text, see read.number_parts."""
        if self._parts is None:
            self._parts = R.number_parts(self.text(), self.helper)
        return self._parts

    def source_value(self) -> Ref:
        """A 数据来源 value: the engine hands it to the kind as the percentage Quantity(v, "%")."""
        v = self.source
        return self.helper(R.IF(R.ISNUMBER(v), v, R.NA()))

    def quantity(self, *, percent: bool, pct: bool, units: tuple[str, ...] = (), fractions: bool = True) -> R.Quantity:
        """values.parse_quantity(actual, percent=percent), see read.quantity_value."""
        if self.source is not None:
            if not pct:
                self.fail("this reader rejects a percentage, which a 数据来源 value is")
            return R.Quantity(self.source_value(), Lit("%"))
        u, x = self.parts()
        value = R.quantity_value(self.actual, u, x, percent=percent, pct=pct, units=units, fractions=fractions)
        return R.Quantity(self.helper(value), u)

    def against(self, target: Target) -> R.Quantity:
        """kinds._against_target: a number comparable with the target."""
        if target.quantity.is_percent:
            return self.quantity(percent=True, pct=True)
        # against a bare target above 10 the engine refuses a number the cell shows as a percentage
        # ("85%" against "≥80" meant 80%), which a formula cannot tell from a plain number: a fraction
        # (85% holds 0.85, a plain count never does) shows the marker; 0% and 100% or more stay the
        # README's known exception (a formula does not see the cell's format)
        suspect = not target.quantity.unit and abs(target.quantity.value) > PERCENT_SUSPECT
        return self.quantity(percent=False, pct=False, units=units_for(target), fractions=not suspect)

    def numeric(self, percent: bool) -> R.Quantity:
        """kinds._numeric(raw, percent)."""
        return self.quantity(percent=percent, pct=True, units=() if percent else R.UNITS)


def units_for(target: Target | None) -> tuple[str, ...]:
    """The units an actual value may carry against ``target``. When the target's unit is one the
    engine converts (万元, 人 …), an actual in another such unit is converted or refused there
    (kinds._against_target): the formula leaves that row to the marker."""
    unit = target.quantity.unit if target is not None else ""
    allowed = R.UNITS + ((unit,) if unit and unit != "%" else ())
    own = L.unit_of(unit)
    if own is not None:                  # same kind and factor (次 and 个): the engine's number is unchanged
        allowed = tuple(u for u in allowed if u == unit or L.unit_of(u) in (None, own))
    return allowed


def _guard(raw: Mapping[str, Any], cells: RowCells) -> Expr:
    parts = [R.same_text(Ref(ref), raw.get(key)) for key, ref in
             (("method", cells.method), ("params", cells.params), ("target", cells.target),
              ("source", cells.source)) if ref]
    return R.AND(*parts) if parts else Lit(True)


def _face(raw: Mapping[str, Any], cells: RowCells, ctx: Ctx) -> Face:
    """Resolve kind, target and parameters as validation does, then build the kind's face."""
    method = raw.get("method")
    if is_blank(method):
        ctx.fail("no 计分方法")
    kind = lookup(method)
    if kind is None:
        ctx.fail(f"unknown 计分方法 {method!r}")
    if kind.formula is None:
        ctx.fail(f"{kind.name} has no formula face")
    target = None
    t_raw = raw.get("target")
    if is_date(t_raw):
        ctx.fail("a date as 目标值")
    if is_blank(t_raw):
        if kind.needs_target:
            ctx.fail("目标值 missing")
    else:
        try:
            target = parse_target(t_raw if not isinstance(t_raw, str) else t_raw.strip())
        except ValueError:
            ctx.fail("目标值 unreadable")
    params_text = text_of(raw.get("params"))
    if kind.needs_params and not params_text:
        ctx.fail("计分参数 missing")
    try:
        params = kind.parse_params(params_text, target)
    except RuleError as e:
        ctx.fail(f"计分参数: {e.message}")
    if ctx.source is not None and target is not None and not target.quantity.is_percent:
        ctx.fail("数据来源 with a target that is not a percentage")
    try:
        return kind.formula(params, target, ctx)
    except RuleError as e:       # a parameter/target combination evaluate() would refuse
        ctx.fail(e.message)


def pending(cells: RowCells, sourced: bool) -> Expr:
    """Nothing typed yet where the row needs it: 实际值 empty (or the 数据来源 value it takes
    empty, its inputs not typed yet). The row then shows empty text, not the marker: there is
    nothing for perfxl to explain, only something to fill in."""
    return R.blank(cells.source_value if sourced else Ref(cells.actual))


def empty_row(inputs: tuple[str, ...]) -> Expr:
    """A row under the table that held no indicator when perfxl wrote it: empty text while it stays
    empty, the marker once something is typed in ``inputs`` (a new indicator perfxl has not compiled)."""
    return R.IF(R.AND(*(R.blank(Ref(a)) for a in inputs)), "", marker()) if inputs else lift("")


def compile_row(raw: Mapping[str, Any], cells: RowCells) -> RowFormulas:
    """The formulas of one indicator row.

    ``raw``: the cell values of 计分方法 (method), 计分参数 (params), 目标值 (target) and 数据来源
    (source) as they stand in the workbook (what the guard compares against). ``cells``: where the
    row's cells are. A row with a 数据来源 needs ``cells.source_value``.

    规则得分 is the rule's number, the marker, or (a compiled rule) empty text while 实际值 (or its
    数据来源 value) is still empty; 得分 and 得分率 follow 评价得分 when it is filled, else 规则得分.
    """
    m = marker()
    source = None
    # (a row without a 数据来源 cell may still take a figure: the 资金 block of an official form)
    sourced = (cells.source is not None or cells.source_value is not None) and not is_blank(raw.get("source"))
    if sourced:
        source = cells.source_value
    ctx = Ctx(cells, source)
    compiled, reason = True, ""
    wait = pending(cells, source is not None)
    try:
        if sourced and source is None:
            ctx.fail("数据来源 names nothing the workbook computes")
        face = _face(raw, cells, ctx)
        w = ctx.weight
        points = face.points if face.points is not None else face.rate * w
        value = round2(R.MIN(R.MAX(points, 0), w))
        rule = call("IFERROR", R.IF(_guard(raw, cells), R.IF(wait, "", value), m), m)
    except NotCompilable as e:
        compiled, reason = False, str(e)
        ctx.helpers.clear()
        rule = m                         # from the start: this row needs perfxl
    rule_ref = Ref(cells.rule_score)
    w = weight_of(Ref(cells.weight))
    from_rule = R.by_state(rule_ref, rule_ref, "", m)
    if cells.evaluator_score:
        e = Ref(cells.evaluator_score)
        given = given_score(e, Ref(cells.weight), [Ref(c) for c in (cells.actual, cells.method) if c])
        score = call("IFERROR", R.IF(R.blank(e), from_rule, given), m)
    else:
        score = call("IFERROR", from_rule, m)
    score_ref = Ref(cells.score) if cells.score else None
    rate = call("IFERROR", R.by_state(score_ref, score_ref / w, "", m), m) if score_ref else m
    return RowFormulas(rule, score, rate, tuple(ctx.helpers), compiled, reason)
