"""Validate a modelled evaluation: pandera schemas per sheet (lazy, every failure kept),
then cross-sheet checks and rule parsing. Produces typed indicators and a problem list."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

from perfxl.check.problems import ERROR, Problem, problem, reworded
from perfxl.io.read import CellMark
from perfxl.model import layout as L
from perfxl.model.evaluation import Evaluation
from perfxl.model.text import fold, is_blank, text_of
from perfxl.model.values import (
    PERCENT_SUSPECT,
    Percent,
    Quantity,
    Target,
    Unparsed,
    clean,
    excel_serial,
    fmt_num,
    fmt_pct,
    fmt_pct_short,
    fmt_score,
    is_date,
    is_not_applicable,
    parse_number,
    parse_quantity,
    parse_target,
    round2,
    show_date,
)
from perfxl.rules import RuleError, RuleKind, lookup, multi, names

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

    from perfxl.model.cells import CellRef
    from perfxl.score.figures import FigureValue
    from perfxl.survey.stats import SurveyResult


@dataclass
class Indicator:
    row: int
    code: str
    level1: str
    level2: str
    name: str
    weight: float | None
    criterion: str = ""
    kind: RuleKind | None = None
    params: Any = None
    target: Target | multi.MultiTarget | None = None
    actual: Any = None
    evaluator_score: float | None = None
    note: str = ""
    rule_ready: bool = False          # params, target and actual all usable
    source: str = ""                  # the 数据来源 whose value stands for 实际值
    source_text: str = ""             # how a 数据来源 value was derived (formula with numbers)
    raw: dict[str, Any] = field(default_factory=dict)
    applicable: bool = True           # False: 不适用 this year (marked so, or 分值 0): excluded from the total
    na_reason: str = ""               # how it was marked
    score_key: str = "evaluator_score"   # the column the evaluator's own figure was typed in
    #: figures a person typed into computed columns (规则得分, 得分, 得分率), not perfxl's own: key -> value
    typed: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.kind.name if self.kind else str(self.raw.get("method") or "")


@dataclass
class Checked:
    evaluation: Evaluation
    indicators: list[Indicator]
    grades: list[tuple[str, float]]
    problems: list[Problem]
    basic: dict[str, float | None] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)        # name -> figures.FigureValue
    survey: Any = None                                           # survey.SurveyResult
    units: dict[str, str] = field(default_factory=dict)          # 基础数据 key -> its unit, as used
    na_method: str = "rescale"                                   # a value of layout.NA_METHODS
    all_figures: dict[str, Any] = field(default_factory=dict)    # every figure, computable or not

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


def _H(key: str) -> str:
    """The 指标评分 header of a column key."""
    return L.COLUMNS_BY_KEY[key].header


# pandera check name -> catalogue code
_CHECK_CODES = {"not_nullable": "required", "field_uniqueness": "duplicate_code"}


_text = text_of


def _failures(frame: pd.DataFrame, schema: pa.DataFrameSchema, *, unique_code: str = "duplicate_code",
              ) -> list[tuple[Any, str, str, Any, dict[str, str]]]:
    """Run ``schema`` once, lazily, over ``frame``: every failure as (index, column key, catalogue
    code, the value to quote, extra placeholders)."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    out = []
    for rec in cases.itertuples(index=False):
        key, check, idx, value = rec.column, str(rec.check), rec.index, rec.failure_case
        if idx is None or key is None:
            continue
        code = _CHECK_CODES.get(check, check)
        if code == "duplicate_code":
            if rec.schema_context == "DataFrameSchema" and key != "code":
                continue            # the per-workbook uniqueness check reports every column of the row
            code = unique_code
        original: Any = frame.at[idx, key]      # an object column: whatever the cell held
        if isinstance(original, Unparsed):
            original = value = original.raw
        if code == "cell_mark":
            code = "cell_error_value" if original.kind == "error" else "formula_no_cache"
            value = original.text
        extra: dict[str, str] = {}
        if code == "not_number" and is_date(original):
            code, value, extra = "date_not_number", show_date(original), _date_extra(original)
        if code == "method_unknown":
            extra["choices"] = "、".join(names())
        if code == "info_kind":
            extra["choices"] = "、".join(L.EVALUATION_TYPES)
        out.append((idx, key, code, value if value is not None else original, extra))
    return out


def _pandera_problems(frame: pd.DataFrame, schema: pa.DataFrameSchema, where: Callable[[Any, str], str | CellRef],
                      headers: dict[str, str], file: str, sheet: str, *, unique_code: str = "duplicate_code",
                      ) -> tuple[list[Problem], set[tuple[Any, str]]]:
    out: list[Problem] = []
    bad: set[tuple[Any, str]] = set()
    for idx, key, code, value, extra in _failures(frame, schema, unique_code=unique_code):
        out.append(problem(code, file=file, sheet=sheet, cell=where(idx, key), column=headers.get(key, key),
                           value=_text(value), **extra))
        bad.add((idx, key))
    return out, bad


def _cross_levels(ev: Evaluation, file: str, inds: list[Indicator]) -> list[Problem]:
    out: list[Problem] = []
    sheet = ev.table.sheet
    for ind in inds:
        for key in ("level1", "level2"):
            label = L.COLUMNS_BY_KEY[key].header
            if not getattr(ind, key):
                out.append(problem("level_missing", file=file, sheet=sheet, cell=ev.cell(ind.row, key), column=label))
    parents: dict[str, str] = {}                # folded 二级 -> the 一级 it first appears under
    for (name1, name2), lvl in ev.levels2.items():
        first = parents.setdefault(fold(name2), name1)   # as rows are grouped: by the folded names
        if fold(first) != fold(name1):             # a copy-paste slip, or two 二级 that need two names
            out.append(problem("level2_two_parents", file=file, sheet=sheet, cell=lvl.cell, column=_H("level2"),
                               name=name2, first=first, second=name1))
    weighted = [(i, i.weight) for i in inds if i.weight is not None]
    if len(weighted) < len(inds):
        return out      # sums are meaningless while a weight is missing
    sums1: dict[str, float] = {}
    sums2: dict[tuple[str, str], float] = {}
    for i, weight in weighted:
        sums1[i.level1] = sums1.get(i.level1, 0.0) + weight
        sums2[(i.level1, i.level2)] = sums2.get((i.level1, i.level2), 0.0) + weight
    for pair, lvl in ev.levels2.items():
        total = round2(sums2.get(pair, 0.0))
        if lvl.declared is not None and abs(total - lvl.declared) > 1e-6:
            out.append(problem("level_sum", file=file, sheet=sheet, cell=lvl.cell, column=_H("level2"),
                               level=_H("level2"), name=lvl.name, total=fmt_num(total), declared=fmt_num(lvl.declared)))
    for name, lvl in ev.levels1.items():
        total = round2(sums1.get(name, 0.0))
        if lvl.declared is not None and abs(total - lvl.declared) > 1e-6:
            out.append(problem("level_sum", file=file, sheet=sheet, cell=lvl.cell, column=_H("level1"),
                               level=_H("level1"), name=lvl.name, total=fmt_num(total), declared=fmt_num(lvl.declared)))
    grand = round2(sum(sums1.values()))
    if inds and abs(grand - 100) > 1e-6:
        col = ev.table.columns["weight"]
        from perfxl.model.cells import cell_ref
        rng = f"{cell_ref(inds[0].row, col)}:{cell_ref(inds[-1].row, col)}"
        # 权重 typed as percentages (2%, 3% … adding up to 100%): the cells hold 0.02, 0.03 …
        code = "total_in_percent" if abs(grand - 1) < 1e-6 and all(
            isinstance(v, Percent) for v in ev.frame["weight"] if v is not None) else "total_not_100"
        out.append(problem(code, file=file, sheet=sheet, cell=rng, column=_H("weight"), total=fmt_num(grand)))
    return out


@lru_cache(maxsize=4096, typed=True)          # typed: Percent(0.9) is "90%", a bare 0.9 is not
def _target(raw: object) -> Target:
    """Targets and parameters repeat across the workbooks of a collection: parse each text once."""
    return parse_target(raw)


@lru_cache(maxsize=4096)
def _params(kind: RuleKind, text: str, target: Target | multi.MultiTarget | None) -> Any:
    # a row's several targets are combined after scoring: the parameters never read them
    return kind.parse_params(text, None if isinstance(target, multi.MultiTarget) else target)


class _At(Protocol):
    """Report ``code`` at the row's cell of column ``key``."""
    def __call__(self, key: str, code: str, **kw: str) -> None: ...


def _parse_rule(ev: Evaluation, ind: Indicator, bad: set[tuple[int, str]], file: str,
                sources: dict[str, tuple[float, str]], system: bool = False) -> list[Problem]:
    """Resolve kind, target, params and actual for one row; problems go to their cells."""
    sheet, row, raw = ev.table.sheet, ind.row, ind.raw
    out: list[Problem] = []

    def at(key: str, code: str, **kw: str) -> None:
        col = L.COLUMNS_BY_KEY[key].header
        out.append(problem(code, file=file, sheet=sheet, cell=ev.cell(row, key), column=col,
                           value=_text(raw.get(key)), **kw))

    def dated(key: str) -> bool:
        """A date where a number belongs: reported as such (not as an unreadable value)."""
        if not is_date(raw.get(key)):
            return False
        col = L.COLUMNS_BY_KEY[key].header
        out.append(problem("date_not_number", file=file, sheet=sheet, cell=ev.cell(row, key), column=col,
                           value=show_date(raw[key]), **_date_extra(raw[key])))
        return True

    if system and is_date(raw.get("code")):
        # “1-1”, “1/2” typed into a list's 编号: Excel made them dates, the template would show serial numbers
        out.append(problem("code_is_date", file=file, sheet=sheet, cell=ev.cell(row, "code"), column=_H("code"),
                           value=show_date(raw["code"])))
    why = _not_applicable(ind, raw)
    if why:
        ind.applicable, ind.na_reason = False, why
        return out
    if (row, "method") in bad or raw.get("method") is None:
        return out
    kind = lookup(raw["method"])
    ind.kind = kind
    if kind is None:
        return out
    m = dict(method=kind.name, syntax=kind.syntax, hint=kind.actual_hint)
    target: Target | multi.MultiTarget | None = None
    if (row, "target") not in bad:
        if dated("target"):
            return out
        t_raw = raw.get("target")
        if (row, "target") in ev.formulas:
            t_raw = _formula_target(ev.formulas[(row, "target")], t_raw, _percent_actual(raw), at)
        if is_blank(t_raw):
            if kind.needs_target and not system:        # an indicator list: each evaluation sets its target
                at("target", "target_missing", **m)
                return out
        else:
            try:
                target = _target(t_raw)
            except ValueError as e:
                target = multi.parse_multi_target(t_raw)
                if target is None:
                    at("target", "target_invalid", detail=str(e))
                    return out
                if "multi" not in kind.tags:
                    at("target", "target_invalid",
                       detail=f"目标值“{_text(t_raw)}”是一行中的几个目标；只有 "
                              f"{'、'.join(k.name for k in _multi_kinds())} 可以一行写几个目标，"
                              "否则请把每个目标分成一行（一个三级指标）")
                    return out
    else:
        return out
    ind.target = target
    if (row, "params") in bad:
        return out
    params_text = _text(raw.get("params"))
    if kind.needs_params and not params_text:
        if "params" in ev.table.columns:
            at("params", "params_missing", **m)
        else:
            header_cells = f"{ev.table.header_row}:{ev.table.header_row}"
            out.append(problem("header_missing", file=file, sheet=sheet, cell=header_cells,
                               row=ev.table.header_row, header=_H("params"),
                               aliases="、".join((_H("params"), *L.COLUMNS_BY_KEY["params"].aliases))))
        return out
    try:
        params = _params(kind, params_text, target)
    except RuleError as e:
        at("target" if e.where == "target" else "params",
           "target_invalid" if e.where == "target" else "params_invalid", detail=e.message, **m)
        return out
    ind.params = params
    for w in getattr(params, "warnings", ()):
        at("params", "params_warning", detail=w)
    if system:
        return out
    actual_raw = raw.get("actual")
    if not is_blank(raw.get("source")):
        derived = sources.get(_text(raw["source"]))
        if derived is None:               # a problem was already reported at the source cell
            return out
        value, ind.source_text = derived
        ind.source = _text(raw["source"])
        if not is_blank(actual_raw) and not _same_percent(actual_raw, value) and not _shows_source(actual_raw, value):
            at("actual", "source_and_actual", source=ind.source, derived=fmt_pct(value))
        if target is not None and not target.quantity.is_percent:
            at("target", "source_not_percent", source=_text(raw["source"]))
            return out
        actual_raw = Quantity(value, "%")
    elif (row, "actual") in bad or dated("actual"):
        return out
    elif is_blank(actual_raw):
        at("actual", "actual_missing", **m)
        return out
    try:
        if isinstance(target, multi.MultiTarget):
            ind.actual = multi.parse_actual(kind, actual_raw, target, params)
        else:
            ind.actual = kind.parse_actual(actual_raw, target, params)
    except RuleError as e:
        key = {"params": "params", "target": "target"}.get(e.where, "actual")
        code = {"params": "params_invalid", "target": "target_invalid"}.get(e.where, "actual_invalid")
        at(key, code, detail=e.message, **m)
        return out
    ind.rule_ready = True
    return out


def _not_applicable(ind: Indicator, raw: dict[str, Any]) -> str:
    """How a row is marked 不适用 ('' when it applies): the word in 计分方法 or 实际值, or 分值 0."""
    for key in ("method", "actual"):
        if is_not_applicable(raw.get(key)):
            return f"{L.COLUMNS_BY_KEY[key].header}填写“{_text(raw[key])}”"
    if ind.weight == 0:
        return f"{L.COLUMNS_BY_KEY['weight'].header}为0"
    return ""


def _multi_kinds() -> list[RuleKind]:
    from perfxl.rules import KINDS

    return [k for k in KINDS.values() if "multi" in k.tags]


def _percent_actual(raw: dict[str, Any]) -> bool:
    """The row's 实际值 is a percentage (or a 数据来源 gives one)."""
    a = raw.get("actual")
    if not is_blank(raw.get("source")) or isinstance(a, Percent):
        return True
    return isinstance(a, str) and clean(a).endswith(("%", "‰"))


def _formula_target(formula: str, value: object, percent_actual: bool, at: _At) -> str:
    """A 目标值 cell holding a constant formula: the person typed "=100%" (the comparator "=" and the
    target) and the spreadsheet made it a formula. Read it as that text; a formula without "%" (Excel
    and WPS may store "=100%" as "=1") is a percentage when the row's 实际值 is one, with a warning."""
    text = formula.replace(" ", "")
    if text.endswith("%"):
        return "=" + text
    if isinstance(value, Percent):
        return "=" + value.as_text()
    number = float(text)
    if percent_actual and abs(number) <= PERCENT_SUSPECT:
        read = "=" + fmt_pct_short(number)
        at("target", "target_formula", formula="=" + text, read=read)
        return read
    return "=" + fmt_num(number, 6)


def _same_percent(typed: object, value: float) -> bool:
    """A 实际值 typed beside a 数据来源 that says the same (to two decimals of a percent)."""
    try:
        q = parse_quantity(typed, percent=True)
    except ValueError:
        return False
    return q.unit == "%" and abs(round(q.value * 100, 2) - round(value * 100, 2)) < 1e-9


def _typed_figures(ev: Evaluation, ind: Indicator, file: str) -> list[Problem]:
    """Figures in the computed columns that perfxl did not write (a unit's own 得分, typed in): a typed
    得分 becomes the evaluator's own figure (or, beside a 评价得分, is overruled by it), with a warning
    naming the cell; 规则得分 and 得分率 are compared with perfxl's result when scored."""
    out: list[Problem] = []
    written = ev.written.get(ind.row, {})
    for key in _FIGURE_KEYS:
        v = ev.computed.get((ind.row, key))
        if v is None:
            continue
        w = written.get(key)
        if isinstance(v, (int, float)) and isinstance(w, (int, float)) and abs(v - w) < 1e-6:
            continue                                   # perfxl's own figure from the last run
        ind.typed[key] = v
    v = ind.typed.get("score")
    if v is None:
        return out
    cell, col = ev.cell(ind.row, "score"), _H("score")
    shown = fmt_num(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else _text(v)
    if not ind.applicable:
        out.append(problem("score_typed_not_applicable", file=file, sheet=ev.table.sheet, cell=cell, column=col,
                           value=shown, why=ind.na_reason))
    elif not isinstance(v, (int, float)) or isinstance(v, bool):
        out.append(problem("computed_typed", file=file, sheet=ev.table.sheet, cell=cell, column=col, value=shown,
                           computed="perfxl 的计算结果"))
    elif ind.evaluator_score is None and is_blank(ind.raw.get("evaluator_score")):
        ind.evaluator_score, ind.score_key = float(v), "score"
        ind.typed.pop("score")
        out.append(problem("score_typed", file=file, sheet=ev.table.sheet, cell=cell, column=col, value=shown,
                           evaluator=_H("evaluator_score")))
    elif ind.evaluator_score is not None and abs(round2(ind.evaluator_score) - round2(v)) >= 0.005:
        out.append(problem("score_typed_overruled", file=file, sheet=ev.table.sheet, cell=cell, column=col,
                           value=shown, evaluator=fmt_score(ind.evaluator_score)))
        ind.typed.pop("score")
    else:
        ind.typed.pop("score")
    return out


_FIGURE_KEYS = ("rule_score", "score", "rate")


def _shows_source(actual: Any, value: float) -> bool:
    """实际值 is what a live workbook's formula shows for its 数据来源 (read where formulas are not
    visible, e.g. an open workbook through xlwings): the source's value, or the marker."""
    if actual == L.FORMULA_MARKER:
        return True
    return isinstance(actual, float) and abs(actual - value) <= 1e-9 * max(1.0, abs(value))


def _grades(ev: Evaluation, file: str) -> tuple[list[tuple[str, float]], list[Problem]]:
    import pandas as pd

    if not ev.grade_rows:
        return list(L.DEFAULT_GRADES), []
    if [(lbl, mn) for lbl, mn, _ in ev.grade_rows] == [(lbl, mn) for lbl, mn in L.DEFAULT_GRADES]:
        return list(L.DEFAULT_GRADES), []        # the template's own table, known to be valid
    sheet = ev.info_sheet or L.SHEET_INFO
    frame = pd.DataFrame([(lbl, mn) for lbl, mn, _ in ev.grade_rows], columns=["label", "min"],
                         index=[r for *_, r in ev.grade_rows], dtype=object)
    frame = frame.where(frame.notna(), None)
    from perfxl.check.schemas import grade_schema

    probs, bad = _pandera_problems(frame, grade_schema(), lambda r, k: f"{'A' if k == 'label' else 'B'}{r}",
                                   dict(zip(("label", "min"), L.GRADE_HEADER)), file, sheet,
                                   unique_code="grade_duplicate")
    if probs:
        return list(L.DEFAULT_GRADES), probs
    grades = [(str(lbl).strip(), parse_number(mn)) for lbl, mn, _ in ev.grade_rows]
    mins = [m for _, m in grades]
    detail = None
    if any(a <= b for a, b in zip(mins, mins[1:])):
        detail = "最低分必须从上到下严格递减"
    elif mins[-1] != 0:
        detail = "最后一级的最低分应为 0，否则低分无等级可评"
    if detail:
        first, last = ev.grade_rows[0][2], ev.grade_rows[-1][2]
        return list(L.DEFAULT_GRADES), [problem("grade_invalid", file=file, sheet=sheet,
                                                cell=f"A{first}:B{last}", detail=detail)]
    return grades, []


_INFO_KEYS = ("unit", "year", "credit_code", "kind", "date")


def _info_many(evs: list[Evaluation]) -> list[list[Problem]]:
    """基本信息 of a chunk: one pandera call per set of fields present; the template version."""
    import pandas as pd

    from perfxl.check.schemas import info_schema

    out: list[list[Problem]] = [[] for _ in evs]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i, ev in enumerate(evs):
        if ev.info_sheet is None:
            continue
        keys = tuple(k for k in _INFO_KEYS if k in ev.info_cells)
        if keys:
            groups.setdefault(keys, []).append(i)
    for keys, members in groups.items():
        frame = pd.DataFrame([[evs[i].info_marks.get(k, evs[i].info.get(k)) for k in keys] for i in members],
                             columns=list(keys), dtype=object)
        frame = frame.where(frame.notna(), None)
        labels = {k: L.INFO_BY_KEY[k].label for k in keys}
        for idx, key, code, value, extra in _failures(frame, info_schema(keys)):
            ev = evs[members[idx]]
            out[members[idx]].append(problem(code, file=str(ev.path), sheet=ev.info_sheet or L.SHEET_INFO,
                                             cell=ev.info_cells[key],
                                             column=labels.get(key, key), value=_text(value), **extra))
    for i, ev in enumerate(evs):
        version = ev.info.get("template_version") if ev.info_sheet is not None else None
        if version is not None and _text(version) != L.TEMPLATE_VERSION:
            out[i].append(problem("template_version", file=str(ev.path), sheet=ev.info_sheet or L.SHEET_INFO,
                                  cell=ev.info_cells.get("template_version", ""), found=_text(version),
                                  current=L.TEMPLATE_VERSION))
    return out


def _full_on_form(ev: Evaluation, ind: Indicator) -> bool:
    """On an official form a judgement needs its 偏差原因分析 only when it gives less than full points."""
    q = ind.actual
    if ev.form is not None and q is None:
        return True                      # no score read yet: that is the problem to report, not the note
    if ev.form is None or not hasattr(q, "value"):
        return False
    full = 1.0 if q.is_percent else (ind.weight or 0)
    return bool(q.value >= full - 1e-9)


def in_form_terms(problems: list[Problem], ev: Evaluation,
                  same: "set[int] | frozenset[int]" = frozenset()) -> list[Problem]:
    """An official form's problems in its own terms (problems.FORM_CATALOGUE): its 得分, 实际完成值,
    年度指标值 and 偏差原因 columns, its 资金 block (whose typed 得分 has no note cell: the problem points
    at the 得分). ``same``: rows whose typed 得分 is the rule's own (a form exported by perfxl report):
    nothing to say about them."""
    from perfxl.model.cells import CellRef

    form = ev.form
    if form is None:
        return problems
    actual_col = ev.table.columns.get("actual")
    # the 资金 block's deviation, at its 得分 too, already says the typed 得分 is the evaluator's (and what
    # the rule gives): one warning at that cell, not two
    funds_deviate = any(p.code == "note_required_deviation" and p.at is not None and p.at.row == form.execution_row
                        for p in problems)
    out = []
    for p in problems:
        if p.code == "score_typed" and p.at is not None and (
                p.at.row in same or (funds_deviate and p.at.row == form.execution_row)):
            continue
        if p.sheet != form.sheet or p.at is None:
            out.append(p)
            continue
        row = p.at.row
        score_col = form.score_cells.get(row)
        if row == form.execution_row:
            out.append(reworded(p, "funds", CellRef(row, score_col) if score_col else None))
        else:
            out.append(reworded(p, "score" if score_col and p.at.col == score_col else
                                "actual" if p.at.col == actual_col else ""))
    return sort_problems(out, ev)


def validate(ev: Evaluation, *, system: bool = False) -> Checked:
    """``system``: check an indicator list (structure, rules, sources) without evaluation data."""
    return validate_many([ev], system=system)[0]


def validate_many(evs: list[Evaluation], *, system: bool = False) -> list[Checked]:
    """Validate a chunk of workbooks: their indicator tables in one frame (one pandera call per
    schema and column set), failures mapped back to each workbook's sheet and cell; then each
    workbook's own checks. A workbook validated alone is a chunk of one: the same code."""
    tables = _tables(evs)
    infos = [[] for _ in evs] if system else _info_many(evs)
    return [_validate_one(ev, rows, records, probs, bad, info_probs, system)
            for ev, (rows, records, probs, bad), info_probs in zip(evs, tables, infos)]


#: indicator columns that hold numbers: parsed once, before validation (values.to_number)
NUMBER_KEYS = ("weight", "evaluator_score")


#: a workbook's indicator table, validated: Excel rows, typed row records, problems, failed (row, key) cells
_Table = tuple[list[int], list[dict[str, Any]], list[Problem], set[tuple[int, str]]]


def _tables(evs: list[Evaluation]) -> list[_Table]:
    """Per workbook: Excel rows, typed row records, schema problems and the (row, key) cells that
    failed. Workbooks with the same columns are validated in one frame."""
    import pandas as pd

    from perfxl.check.schemas import FILE_KEY, indicator_schema
    from perfxl.model.values import to_number

    headers = {c.key: c.header for c in L.INDICATOR_COLUMNS}
    out: dict[int, _Table] = {}             # by position in ``evs``
    groups: dict[tuple[tuple[str, ...], bool], list[int]] = {}
    for i, ev in enumerate(evs):
        groups.setdefault((tuple(ev.frame.columns), bool(ev.marks)), []).append(i)
    for (keys, marks), members in groups.items():
        columns: dict[str, list[Any]] = {k: [] for k in keys}
        owner: list[int] = []
        rows: list[int] = []
        for i in members:
            frame = evs[i].frame
            # the frame's columns in one call (one object block), not a Series per column
            for k, values in zip(frame.columns, frame.to_numpy(dtype=object).T.tolist()):
                if k in NUMBER_KEYS:
                    values = [v if isinstance(v, CellMark) else to_number(v) for v in values]
                columns[k] += values
            owner += [i] * len(frame)
            rows += frame.index.tolist()
        big = pd.DataFrame(columns, columns=list(keys), dtype=object)
        big[FILE_KEY] = owner
        found: dict[int, tuple[list[Problem], set[tuple[int, str]]]] = {i: ([], set()) for i in members}
        for idx, key, code, value, extra in _failures(big, indicator_schema(keys, marks)):
            i, row = owner[idx], rows[idx]
            ev = evs[i]
            probs, bad = found[i]
            probs.append(problem(code, file=str(ev.path), sheet=ev.table.sheet, cell=ev.cell(row, key),
                                 column=headers.get(key, key), value=_text(value), **extra))
            bad.add((row, key))
        at = 0
        for i in members:
            n = len(evs[i].frame)
            records = [dict(zip(keys, values)) for values in zip(*(columns[k][at:at + n] for k in keys))]
            out[i] = (rows[at:at + n], records, *found[i])
            at += n
    return [out[i] for i in range(len(evs))]


def _validate_one(ev: Evaluation, rows: list[int], records: list[dict[str, Any]], table_problems: list[Problem],
                  bad: set[tuple[int, str]], info_problems: list[Problem], system: bool) -> Checked:
    file = str(ev.path)
    problems = list(ev.problems) + table_problems
    if not records and not (ev.form is not None and ev.form.records_only):   # a form may only record
        problems.append(problem("no_indicators", file=file, sheet=ev.table.sheet,
                                cell=f"A{ev.table.header_row + 1}"))

    basic, units, settings, basic_problems = _basic(ev, file)
    problems += basic_problems
    cells = [(row, rec.get("source")) for row, rec in zip(rows, records)] if "source" in ev.frame.columns else []
    sources, figures, all_figures, survey, source_problems = _sources(ev, cells, bad, basic, units, settings,
                                                                      file, system)
    problems += source_problems
    indicators: list[Indicator] = []
    for row, rec in zip(rows, records):
        weight = rec.get("weight") if isinstance(rec.get("weight"), float) else None
        ev_score = rec.get("evaluator_score") if isinstance(rec.get("evaluator_score"), float) else None
        ind = Indicator(
            row=row, code=_text(rec.get("code")), level1=_text(rec.get("level1")), level2=_text(rec.get("level2")),
            name=_text(rec.get("name")), weight=weight, criterion=_text(rec.get("criterion")),
            evaluator_score=ev_score, note=_text(rec.get("note")), raw=rec)
        problems += _parse_rule(ev, ind, bad, file, sources, system)
        if not system and ev.computed:
            problems += _typed_figures(ev, ind, file)
        if not ind.applicable:
            if ind.evaluator_score is not None and ind.score_key == "evaluator_score":
                problems.append(problem("score_typed_not_applicable", file=file, sheet=ev.table.sheet,
                                        cell=ev.cell(row, "evaluator_score"), column=_H("evaluator_score"),
                                        value=fmt_num(ind.evaluator_score), why=ind.na_reason))
            ind.evaluator_score = None
            indicators.append(ind)
            continue
        ev_score = ind.evaluator_score
        if ev_score is not None and weight is not None and not (0 <= ev_score <= weight + 1e-9):
            problems.append(problem("score_out_of_range", file=file, sheet=ev.table.sheet,
                                    cell=ev.cell(row, ind.score_key), column=_H(ind.score_key),
                                    value=fmt_num(ev_score), weight=fmt_num(weight)))
            ind.evaluator_score = None
        if ind.kind is not None and ind.kind.needs_note and not ind.note and not system \
                and not _full_on_form(ev, ind):
            col = "note" if "note" in ev.table.columns else "actual"
            problems.append(problem("note_required_judgement", file=file, sheet=ev.table.sheet,
                                    cell=ev.cell(row, col), column=_H("note")))
        indicators.append(ind)

    problems += _cross_levels(ev, file, indicators)
    grades, grade_problems = _grades(ev, file)
    na_method = L.NA_METHODS[L.NA_METHOD_DEFAULT]
    if not system:
        problems += grade_problems + info_problems
        na_method, na_problems = _na_method(ev, file)
        problems += na_problems
    return Checked(ev, indicators, grades, sort_problems(problems, ev), basic, figures, survey, units, na_method,
                   all_figures)


def _na_method(ev: Evaluation, file: str) -> tuple[str, list[Problem]]:
    """How the total is converted when indicators do not apply (基本信息)."""
    default = L.NA_METHODS[L.NA_METHOD_DEFAULT]
    raw = ev.info.get("na_method")
    if is_blank(raw):
        return default, []
    choice = {L.normalize(k): v for k, v in L.NA_METHODS.items()}.get(L.normalize(_text(raw)))
    if choice is None:
        label = L.INFO_BY_KEY["na_method"].label
        return default, [problem("na_method_invalid", file=file, sheet=ev.info_sheet or L.SHEET_INFO,
                                 cell=ev.info_cells.get("na_method", ""), column=label, value=_text(raw),
                                 choices="、".join(L.NA_METHODS), default=L.NA_METHOD_DEFAULT)]
    return choice, []


def _basic(ev: Evaluation, file: str) -> tuple[dict[str, float | None], dict[str, str], dict[str, Any], list[Problem]]:
    """基础数据 values (as typed, in their units), the unit of each, the settings (分子分母均为0时,
    预算执行率分母) and the problems found. A value with a unit perfxl cannot convert is not used."""
    out: dict[str, float | None] = {}
    units: dict[str, str] = {}
    probs: list[Problem] = []
    sheet = ev.basic_sheet or L.SHEET_BASIC     # named whenever there are values or settings
    for key, raw in ev.basic_raw.items():
        label = L.BASIC_BY_KEY[key].label
        units[key] = L.BASIC_BY_KEY[key].unit
        if isinstance(raw, CellMark):
            probs.append(problem("cell_error_value" if raw.kind == "error" else "formula_no_cache", file=file,
                                 sheet=sheet, cell=ev.basic_cells[key], column=label, value=raw.text))
            out[key] = None
            continue
        if is_blank(raw):
            out[key] = None
            continue
        if is_date(raw):
            probs.append(problem("date_not_number", file=file, sheet=sheet, cell=ev.basic_cells[key],
                                 column=label, value=show_date(raw), **_date_extra(raw)))
            out[key] = None
            continue
        try:
            out[key] = parse_number(raw)
        except ValueError:
            probs.append(problem("basic_not_number", file=file, sheet=sheet, cell=ev.basic_cells[key],
                                 column=label, value=_text(raw)))
            out[key] = None
            continue
        unit, unit_problem = _unit(ev, key, file)
        if unit_problem is not None:
            probs.append(unit_problem)
            out[key] = None
        else:
            units[key] = unit
    settings: dict[str, Any] = {"zero_rule": L.ZERO_OVER_ZERO_CHOICES[L.ZERO_OVER_ZERO_DEFAULT],
                                "budget_base": L.BUDGET_BASE_KEYS[0]}
    if ev.zero_rule is not None and not is_blank(ev.zero_rule[0]):
        choice = L.ZERO_OVER_ZERO_CHOICES.get(_text(ev.zero_rule[0]))
        if choice is None:
            probs.append(problem("zero_rule_invalid", file=file, sheet=sheet, cell=ev.zero_rule[1],
                                 column=L.ZERO_OVER_ZERO_LABEL, value=_text(ev.zero_rule[0]),
                                 choices="、".join(L.ZERO_OVER_ZERO_CHOICES)))
        else:
            settings["zero_rule"] = choice
    if ev.budget_base is not None and not is_blank(ev.budget_base[0]):
        base = L.basic_lookup().get(L.normalize(_text(ev.budget_base[0])))
        if base not in L.BUDGET_BASE_KEYS:
            probs.append(problem("budget_base_invalid", file=file, sheet=sheet, cell=ev.budget_base[1],
                                 column=L.BUDGET_BASE_LABEL, value=_text(ev.budget_base[0]),
                                 choices="、".join(L.BASIC_BY_KEY[k].label for k in L.BUDGET_BASE_KEYS)))
        else:
            settings["budget_base"] = base
    return out, units, settings, probs


def _unit(ev: Evaluation, key: str, file: str) -> tuple[str, Problem | None]:
    """The unit a 基础数据 value is in: the unit cell (blank: the field's own unit), if perfxl can
    convert it to the field's own unit."""
    own = L.BASIC_BY_KEY[key].unit
    raw, cell = ev.basic_units.get(key, (None, ""))
    if is_blank(raw):
        return own, None
    unit = L.unit_name(fold(_text(raw)))
    if unit is not None and L.UNITS[unit][0] == L.UNITS[own][0]:
        return unit, None
    choices = "、".join(u for u, (k, _) in L.UNITS.items() if k == L.UNITS[own][0])
    return own, problem("basic_unit_invalid", file=file, sheet=ev.basic_sheet or L.SHEET_BASIC, cell=cell,
                        column=L.BASIC_BY_KEY[key].label, value=_text(raw), choices=choices, own=own)


def _sources(ev: Evaluation, cells: list[tuple[int, Any]], bad: set[tuple[int, str]], basic: dict[str, float | None],
             units: dict[str, str], settings: dict[str, Any], file: str, system: bool = False,
             ) -> tuple[dict[str, tuple[float, str]], dict[str, FigureValue], dict[str, FigureValue],
                        SurveyResult | None, list[Problem]]:
    """Resolve every 数据来源 once (``cells``: (Excel row, value) of the column): derived figures and
    questionnaire sets -> (value, text)."""
    from perfxl.score import figures as F

    sheet = ev.table.sheet
    resolved: dict[str, tuple[float, str]] = {}
    probs: list[Problem] = []
    values = {f.name: F.compute(f, basic, settings["zero_rule"], units=units, base=settings["budget_base"])
              for f in F.FIGURES}
    unusable = {k for k, v in ev.basic_raw.items() if not is_blank(v) and basic.get(k) is None}
    wanted: dict[str, list[int]] = {}
    for row, v in cells:
        if not is_blank(v) and (row, "source") not in bad:
            wanted.setdefault(_text(v), []).append(row)
    survey_sets: dict[str, list[tuple[str, str]]] = {}
    for text in wanted:
        kind, name = _survey_ref(text)
        if kind:
            survey_sets.setdefault(name, []).append((text, kind))
    survey = None
    if ev.survey is not None and (ev.survey.has_data or survey_sets):     # an untouched questionnaire is not in use
        from perfxl.survey.stats import analyze

        survey = analyze(ev.survey, set(survey_sets), file)
        probs += survey.problems
    for text, rows in wanted.items():
        def at_rows(code: str, rows: list[int] = rows, text: str = text, **kw: str) -> None:
            for r in rows:
                probs.append(problem(code, file=file, sheet=sheet, cell=ev.cell(r, "source"), column=_H("source"),
                                     value=text, **kw))
        kind, name = _survey_ref(text)
        if system:                      # an indicator list: the names must exist, values come later
            if not kind and F.lookup(text) is None:
                at_rows("source_unknown", figures="、".join(F.names()))
            continue
        if kind:
            if survey is None:
                at_rows("survey_missing")
            elif name not in {s.name for s in ev.survey.sets}:
                at_rows("survey_set_missing", sets="、".join(s.name for s in ev.survey.sets) or "无")
            elif name in survey.sets and survey.sets[name].valid:
                stat = survey.sets[name]
                value = stat.rate if kind == L.SOURCE_SURVEY_RATE else stat.satisfied
                assert value is not None, "a set with valid answers has both rates"
                label = L.SURVEY_RATE_LABELS[kind]
                resolved[text] = (value, f"{stat.text()}，取{label}{fmt_pct(value)}")
            elif name in survey.sets:
                at_rows("survey_set_empty")
            continue
        fig = F.lookup(text)
        if fig is None:
            at_rows("source_unknown", figures="、".join(F.names()))
            continue
        fv = values[fig.name]
        if fv.missing:
            if set(fv.missing) & unusable:
                continue                  # the unusable input was reported at its own cell
            basic_sheet = ev.basic_sheet or L.SHEET_BASIC
            inputs = "、".join(f"{basic_sheet}!{ev.basic_cells.get(k, '?')}（{L.BASIC_BY_KEY[k].label}）"
                             if k in ev.basic_cells else f"“{L.BASIC_BY_KEY[k].label}”（基础数据页没有这一行）"
                             for k in fv.missing)
            at_rows("figure_missing_input", figure=fig.name, cells=inputs)
        elif fv.value is None:
            at_rows("figure_not_computable", figure=fig.name, detail=fv.reason,
                    fix_hint=f"如分子分母均为0，可在“基础数据”页设定“{L.ZERO_OVER_ZERO_LABEL}”")
        else:
            resolved[text] = (fv.value, fv.text)
    figures = {name: fv for name, fv in values.items() if fv.value is not None}
    return resolved, figures, values, survey, probs


def _survey_ref(text: str) -> tuple[str | None, str]:
    """'问卷:职工满意度' -> ('问卷', '职工满意度'); '问卷满意率:X' -> ('问卷满意率', 'X')."""
    s = fold(text)
    for prefix in (L.SOURCE_SURVEY_SATISFIED, L.SOURCE_SURVEY_RATE):
        if s.startswith(prefix + ":"):
            return prefix, s[len(prefix) + 1:].strip()
    return None, s


def sort_problems(problems: list[Problem], ev: Evaluation | None = None) -> list[Problem]:
    """By file, sheet (in workbook order), row, column, code; duplicates dropped."""
    order = {name: i for i, name in enumerate(ev.sheet_names)} if ev else {}

    def key(p: Problem) -> tuple[str, int, int, int, str]:
        row, col = (p.at.row, p.at.col) if p.at is not None else (0, 0)
        return (p.file, order.get(p.sheet, -1 if not p.sheet else 99), row, col, p.code)

    seen: set[tuple[str, str, str, str, str]] = set()
    out: list[Problem] = []
    for p in sorted(problems, key=key):
        ident = (p.file, p.sheet, p.cell, p.code, p.message)
        if ident not in seen:
            seen.add(ident)
            out.append(p)
    return out


def _date_extra(raw: object) -> dict[str, str]:
    serial = excel_serial(raw)
    return {"serial": fmt_num(serial, 6) if serial is not None else "?"}
