"""Formulas beyond one indicator row: 得分汇总 roll-ups, 总分, 等级 read from the 等级划分 table,
the derived figures of 基础数据 (score.figures) and questionnaire rates (survey.stats).

Each builder returns an expression whose value is the engine's number (or label) or the marker.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from perfxl.model import layout as L
from perfxl.model.text import fold
from perfxl.model.values import parse_yes_no

from . import read as R
from .expr import Expr, Ref, call, lift
from .row import NotCompilable, marker, round2


def _size(ref: Ref) -> int:
    r1, c1, r2, c2 = ref.bounds
    return (r2 - r1 + 1) * (c2 - c1 + 1)


def _safe(expr: Expr) -> Expr:
    return call("IFERROR", expr, marker())


def column_runs(column: str, rows: Sequence[int], sheet: str | None = None) -> list[Ref]:
    """The cells of ``column`` in ``rows`` as few references as possible (consecutive rows as ranges)."""
    out: list[Ref] = []
    rows = sorted(set(rows))
    start = prev = None
    for r in [*rows, None]:
        if r is not None and prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            out.append(Ref(f"{column}{start}" + (f":{column}{prev}" if prev != start else ""), sheet))
        start = prev = r
    return out


def _sum_of(cells: Sequence[Ref]) -> tuple[Expr, int]:
    return call("SUM", *cells), sum(_size(c) for c in cells)


def rollup(cells: Sequence[Ref]) -> Expr:
    """A sum of 得分 (or 分值) cells, rounded as the engine rounds: the marker unless every cell
    holds a number (engine._rollup: a level with an unscored indicator has no score)."""
    return _safe(_complete_sum(cells))


def _complete_sum(cells: Sequence[Ref]) -> Expr:
    """round2 of the cells' sum, the marker unless every cell holds a number."""
    total, n = _sum_of(cells)
    return R.IF(call("COUNT", *cells).eq(n), round2(total), marker())


#: a row's state (the hidden helper the roll-ups read): scored, waiting for input, needs perfxl
#: (its 得分 shows the marker), or its 一级/二级 指标 no longer what the roll-ups were compiled from
#: (MAYBE_NA: it needs perfxl and its 实际值 or 计分方法 may say 不适用, which takes its 分值 out of the level)
SCORED, WAITING, UNSCORED, REGROUPED, MAYBE_NA = 0, 1, 2, 3, 4
def row_state(score: Ref, levels: Sequence[tuple[Ref, object]], na_cells: Sequence[Ref] = ()) -> Expr:
    """The state of one indicator row, from its 得分 cell, its level cells (compiled values) and the
    cells that may say it does not apply (``na_cells``: 实际值, 计分方法)."""
    unscored = R.IF(R.maybe_not_applicable(na_cells), MAYBE_NA, UNSCORED) if na_cells else UNSCORED
    by_score = R.by_state(score, SCORED, WAITING, unscored)
    same = [R.same_text(ref, raw) for ref, raw in levels]
    return _safe_number(R.IF(R.AND(*same), by_score, REGROUPED) if same else by_score)


def _safe_number(expr: Expr) -> Expr:
    return call("IFERROR", expr, UNSCORED)


def filled(grid, col: int, first: int, last: int | None = None) -> int:
    """The cells with content in column ``col`` from row ``first`` to ``last`` (1-based; None: the sheet's
    end), as COUNTIFS(…, "<>") counts them: what ``table_unchanged`` compares with."""
    if grid is None:
        return 0
    end = grid.height if last is None else min(last, grid.height)
    return sum(1 for r0 in range(first - 1, end) if grid.get(r0, col - 1) not in (None, ""))


def table_unchanged(codes: Ref, count: int) -> Expr:
    """A table still has the rows perfxl compiled: as many filled cells in ``codes`` (its 编号, 三级指标 or
    题目 column) as then (a row added, inserted or emptied changes what the engine scores)."""
    return call("COUNTIFS", codes, "<>").eq(count)


def level_weight(weights: Sequence[Ref], states: Sequence[Ref], unchanged: Expr) -> Expr:
    """分值 of a level: the sum of its rows' 分值 while its rows are the compiled ones; the marker once a
    row may no longer apply (MAYBE_NA: the engine leaves its 分值 out)."""
    total, n = _sum_of(weights)
    ok = R.AND(unchanged, R.MAX(*states).lt(REGROUPED), call("COUNT", *weights).eq(n))
    return _safe(R.IF(ok, round2(total), marker()))


def level_score(scores: Sequence[Ref], states: Sequence[Ref], unchanged: Expr) -> Expr:
    """得分 of a level (engine._rollup): the sum of its rows' 得分 when every row is scored; empty
    text while some row waits for input; the marker when a row needs perfxl."""
    total, n = _sum_of(scores)
    worst = R.MAX(*states)
    value = R.IF(R.AND(worst.eq(SCORED), call("COUNT", *scores).eq(n)), round2(total),
                 R.IF(worst.eq(WAITING), "", marker()))
    return _safe(R.IF(unchanged, value, marker()))


def total(levels: Sequence[Ref]) -> Expr:
    """总分: the sum of the 一级 level scores (each a formula: number, empty text or the marker)."""
    if not levels:
        return lift("")
    summed, n = _sum_of(levels)
    bad = R.OR(*(R.AND(R.NOT(R.ISNUMBER(c)), R.NOT(c.eq(""))) for c in levels))
    return _safe(R.IF(call("COUNT", *levels).eq(n), round2(summed), R.IF(bad, marker(), "")))


#: AND takes at most 255 arguments in Excel: more 不适用 guards than this are not compiled
MAX_GUARDS = 200


def still_not_applicable(cells: Sequence[tuple[Ref, object]]) -> Expr:
    """The rows compiled as 不适用 still are: the cells that made them so (计分方法, 实际值, 分值) hold
    what they held; an edit there hands the roll-ups and the total back to perfxl."""
    if len(cells) > MAX_GUARDS:
        raise NotCompilable("too many 不适用 guards")
    return R.AND(*(R.same_text(ref, raw) for ref, raw in cells))


def fixed(value: float, guard: Expr) -> Expr:
    """A figure that cannot change while ``guard`` holds (a level whose indicators all do not apply:
    分值 0, 得分 0, as engine._rollup gives)."""
    return _safe(R.IF(guard, value, marker()))


def weight_sum(cells: Sequence[Ref]) -> Expr:
    """round2 of a sum of 分值 cells (engine.convert): the marker unless every cell holds a number."""
    return _complete_sum(cells) if cells else lift(0.0)


def converted_total(raw: Ref, method: str, applicable: Expr, excluded: Expr, guard: Expr) -> Expr:
    """总分 from the sum of the applicable scores when some indicators do not apply (engine.Conversion):
    得分÷适用分值×100, or plus the 不适用 分值, or the sum as it is; empty text or the marker as ``raw``
    shows them; the marker once ``guard`` fails (a 不适用 row or the method edited)."""
    if method == "rescale":
        value: Expr = R.IF(applicable.ne(0), round2(raw / applicable * 100), marker())
    elif method == "full":
        value = round2(raw + excluded)
    else:
        value = raw
    return _safe(R.IF(guard, R.IF(R.ISNUMBER(raw), value, raw), marker()))


def ratio(score: Expr, weight: Expr) -> Expr:
    """得分率 of a level: 得分 / 分值 (LevelRecord.rate); empty while the score waits for input."""
    ok = R.AND(R.ISNUMBER(score), R.ISNUMBER(weight))
    return _safe(R.IF(ok, R.IF(weight.ne(0), score / weight, marker()), R.IF(score.eq(""), "", marker())))


def shown(ref: Ref) -> Expr:
    """What a typed cell holds, empty text when it is empty (a bare reference would show 0)."""
    return R.IF(R.blank(ref), "", ref)


@dataclass(frozen=True)
class GradeTable:
    """The 等级划分 table as it stands: (label cell, minimum cell) per row, the row below it (must
    stay empty: the engine reads until an empty row) and the header's label cell with its text."""
    rows: tuple[tuple[Ref, Ref], ...]
    below: tuple[Ref, Ref]
    header: tuple[Ref, str] | None = None


def grade(total: Expr, table: GradeTable | None,
          defaults: Sequence[tuple[str, float]] = L.DEFAULT_GRADES) -> Expr:
    """等级 of ``total`` (engine.grade_for), read live from the table when there is one; the marker
    when the table is one validation rejects (the engine then grades by the defaults and reports it);
    empty while the total waits for input."""
    if table is None or not table.rows:
        chain: Expr = lift(defaults[-1][0])
        for label, minimum in reversed(list(defaults[:-1])):
            chain = R.IF(total.ge(minimum - 1e-9), label, chain)
        return _safe(R.by_state(total, chain, "", marker()))
    checks: list[Expr] = []
    labels = [lab for lab, _ in table.rows]
    mins = [m for _, m in table.rows]
    for lab in labels:
        checks += [call("ISTEXT", lab), R.LEN(lab).gt(0), R.EXACT(lab, call("TRIM", lab))]
    for i, a in enumerate(labels):
        checks += [R.NOT(R.EXACT(a, b)) for b in labels[i + 1:]]
    numbers = R.AND(*(R.is_number_cell(m) for m in mins))
    order = [m.ge(0) for m in mins] + [m.le(100) for m in mins] + [a.gt(b) for a, b in pairwise(mins)]
    checks.append(R.IF(numbers, R.AND(*order, mins[-1].eq(0)), False))
    checks += [R.blank(c) for c in table.below]
    if table.header is not None:
        checks.append(R.same_text(*table.header))
    chain = labels[-1]
    for lab, m in reversed(list(zip(labels[:-1], mins[:-1]))):
        chain = R.IF(total.ge(m - 1e-9), lab, chain)
    valid = R.AND(*checks)
    return _safe(R.by_state(total, R.IF(valid, chain, marker()), "", marker()))


# --- 基础数据: derived figures ------------------------------------------------------------------

def zero_rule(cell: Ref | None) -> Expr:
    """The 0/0 setting: 1 (视为100%), 0 (视为0%), #N/A (报告问题 or a value validation rejects)."""
    if cell is None:
        return lift(1.0 if L.ZERO_OVER_ZERO_CHOICES[L.ZERO_OVER_ZERO_DEFAULT] == "full" else 0.0)
    out: Expr = R.NA()
    for text, rule in L.ZERO_OVER_ZERO_CHOICES.items():
        if rule in ("full", "zero"):
            out = R.IF(R.EXACT(call("TRIM", cell), text), 1 if rule == "full" else 0, out)
    default = 1 if L.ZERO_OVER_ZERO_CHOICES[L.ZERO_OVER_ZERO_DEFAULT] == "full" else 0
    return R.IF(R.blank(cell), default, R.IF(call("ISTEXT", cell), out, R.NA()))


def figure(shape: str, a_cell: Ref, b_cell: Ref, zero_cell: Ref | None = None,
           b_scale: tuple[float, float] = (1.0, 1.0), guards: Sequence[Expr] = ()) -> Expr:
    """A derived figure (figures.compute): ``shape`` "ratio" a/b, "change" (a−b)/b, "saving"
    (a−b)/a; 0/0 of a ratio by the 基础数据 setting; empty text while an input is not typed yet.
    ``b_scale`` (m, d): b in a's unit is b×m/d (元 and 万元); ``guards``: the settings it was compiled
    from still hold (units, the chosen denominator), else the marker."""
    a, b = R.number_cell(a_cell), R.number_cell(b_cell)
    if b_scale != (1.0, 1.0):
        b = b * b_scale[0] / b_scale[1]
    if shape == "ratio":
        value = R.IF(b.eq(0), R.IF(a.eq(0), zero_rule(zero_cell), R.NA()), a / b)
    elif shape == "change":
        value = R.IF(b.eq(0), R.NA(), (a - b) / b)
    elif shape == "saving":
        value = R.IF(a.eq(0), R.NA(), (a - b) / a)
    else:
        raise ValueError(shape)
    out = R.IF(R.OR(R.blank(a_cell), R.blank(b_cell)), "", value)
    return _safe(R.IF(R.AND(*guards), out, marker()) if guards else out)


# --- 问卷: a question set's 得分率 and 满意率 -----------------------------------------------------------

@dataclass(frozen=True)
class SurveyOption:
    label: Ref
    label_raw: object        # the label cell's value (compiled into the COUNTIFS criteria)
    weight: Ref
    satisfied: Ref
    satisfied_raw: object    # the 计入满意 cell's value


@dataclass(frozen=True)
class SurveySet:
    """One question set: its answer ranges (one column per question, the response rows), the group
    column and group (None: every response), and the cells it was compiled from."""
    answers: tuple[Ref, ...]
    group_range: Ref | None
    group: str | None
    groups: tuple[str, ...]                 # every group label in the responses (for grouped sets)
    options: tuple[SurveyOption, ...]
    options_below: tuple[Ref, Ref]          # the row under the options (must stay empty)
    guards: tuple[tuple[Ref, object], ...]  # (cell, value) the formula was compiled from
    #: counts typed on 问卷汇总 instead of answers: per option, the cells its count is the sum of
    tallied: tuple[tuple[Ref, ...], ...] | None = None
    checks: tuple[Expr, ...] = ()           # further conditions the inputs must meet (typed counts valid)


_UNSAFE = re.compile(r"[*?~<>=\"]|^\s|\s$")


def _criterion(text: str) -> str:
    """A label COUNTIFS matches as the engine does (exactly, after its normalisation)."""
    if not text or _UNSAFE.search(text) or text.lower() != text.upper() or re.search(r"\s", text):
        raise NotCompilable(f"label {text!r} cannot be a COUNTIFS criterion")
    return text


def survey_counts(s: SurveySet) -> list[Expr]:
    """The answers of a set that are not empty, then the answers of each option (COUNTIFS over its
    questions, within its group): what ``survey`` reads from helper cells (an Excel formula is at
    most 8,192 characters; a set of many questions and options counted inline exceeds it)."""
    if s.tallied is not None:               # typed counts: every count is an answer of its option
        per = [call("SUM", *cells) if cells else lift(0.0) for cells in s.tallied]
        valid = per[0]
        for c in per[1:]:
            valid = valid + c
        return [valid, *per]
    group = [s.group_range, _criterion(s.group)] if s.group is not None else []

    def count(criterion) -> Expr:
        out = None
        for q in s.answers:
            term = call("COUNTIFS", q, criterion, *group)
            out = term if out is None else out + term
        return out
    for o in s.options:
        # the engine matches answers and labels folded (survey.stats._label): plain labels only
        if not isinstance(o.label_raw, str) or fold(o.label_raw) != o.label_raw:
            raise NotCompilable(f"option label {o.label_raw!r} is not plain text")
    answered = count("<>")
    for token in _SKIPPED:                   # what an export writes for a question not answered: not an answer
        answered = answered - count(token)
    return [answered, *(count(_criterion(o.label_raw)) for o in s.options)]


def _skipped() -> tuple[str, ...]:
    """The skip words (layout.SURVEY_SKIPPED_ANSWERS) a COUNTIFS criterion matches as the engine does: plain
    text without digits or letters (COUNTIFS matches letters in any case and may read "-3" as a number)."""
    out = []
    for token in L.SURVEY_SKIPPED_ANSWERS:
        try:
            _criterion(token)
        except NotCompilable:
            continue
        if not re.search(r"\d", token) and fold(token) == token:
            out.append(token)
    return tuple(out)


_SKIPPED = _skipped()


def survey(s: SurveySet, what: str = "rate", counts: Sequence[Ref] | None = None) -> Expr:
    """``what`` "rate": Σ count × weight / valid (option weights above 1 are scores out of the
    highest); "satisfied": share of the options counted as satisfied. The marker when an answer is
    not exactly an option (the engine normalises or rejects it) or a compiled cell changed; empty
    text while nothing is answered. ``counts``: helper cells holding ``survey_counts(s)`` (else
    counted inline)."""
    answered, *counts = counts if counts is not None else survey_counts(s)
    valid = counts[0]
    for c in counts[1:]:
        valid = valid + c
    checks: list[Expr] = [R.same_text(ref, raw) for ref, raw in s.guards] + list(s.checks)
    checks += [R.same_text(o.label, o.label_raw) for o in s.options]
    checks += [R.same_text(o.satisfied, o.satisfied_raw) for o in s.options]
    checks += [R.number_cell(o.weight).ge(0) for o in s.options]
    checks += [R.blank(c) for c in s.options_below]
    if s.group is not None:
        known: Expr = lift(0.0)
        for g in s.groups:
            term = call("COUNTIFS", s.group_range, _criterion(g))
            known = known + term
        checks.append(call("COUNTIFS", s.group_range, "<>").eq(known))
    if what == "rate":
        top = R.MAX(*(o.weight for o in s.options))
        scale = R.IF(top.gt(1 + 1e-9), top, 1)
        total = None
        for c, o in zip(counts, s.options):
            term = c * (o.weight / scale)
            total = term if total is None else total + term
        value = total / valid
    elif what == "satisfied":
        happy = [c for c, o in zip(counts, s.options) if parse_yes_no(o.satisfied_raw)]
        if not happy:
            value = lift(0.0) / valid
        else:
            value = happy[0]
            for c in happy[1:]:
                value = value + c
            value = value / valid
    else:
        raise ValueError(what)
    counted = R.IF(R.AND(answered.eq(valid), valid.gt(0)), value, marker())
    return _safe(R.IF(R.AND(*checks), R.IF(answered.eq(0), "", counted), marker()))


__all__ = ["GradeTable", "SurveyOption", "SurveySet", "figure", "grade", "level_score", "level_weight", "ratio",
           "rollup", "row_state", "shown", "survey", "survey_counts", "table_unchanged", "total", "zero_rule"]
