"""Score validated indicators: rule result, evaluator figure, 评分过程 text, roll-ups,
total (sum of rounded scores) and grade."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from sys import intern as _sys_intern
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, overload

from perfxl.check.problems import ERROR, Problem, problem
from perfxl.check.validate import Checked, Indicator, sort_problems
from perfxl.model import layout as L
from perfxl.model.records import LevelRecord  # a level's 分值 is that of its applicable indicators
from perfxl.model.text import text_of
from perfxl.model.values import fmt_num, fmt_pct, fmt_score, round2
from perfxl.rules import RuleError, evaluate_rows, multi

if TYPE_CHECKING:
    from perfxl.model.evaluation import Evaluation
    from perfxl.model.records import FileRecord, IndicatorRecord, SurveySetRecord
    from perfxl.rules.registry import Outcome
    from perfxl.score.figures import FigureValue
    from perfxl.survey.stats import SetStat, SurveyResult

_T = TypeVar("_T")
#: an indicator's rule result: (rule score, rate before rounding), or why it could not be scored
RuleResult: TypeAlias = "tuple[float, float] | RuleError"


@dataclass
class IndicatorResult:
    indicator: Indicator
    rule_score: float | None = None
    rule_rate: float | None = None       # the rule's share of the weight, before rounding
    score: float | None = None
    rate: float | None = None            # 得分率 = 得分 / 分值
    detail: str = ""
    process: str = ""

    @property
    def applicable(self) -> bool:
        return self.indicator.applicable

    @property
    def deviates(self) -> bool:
        ind = self.indicator
        return (ind.evaluator_score is not None and self.rule_score is not None
                and abs(round2(ind.evaluator_score) - self.rule_score) >= 0.005)

    @property
    def difference(self) -> float | None:
        given, rule = self.indicator.evaluator_score, self.rule_score
        if given is None or rule is None or not self.deviates:
            return None
        return round2(round2(given) - rule)


@dataclass(frozen=True)
class Conversion:
    """How the total was made from the scores when some indicators do not apply."""
    method: str                           # a value of layout.NA_METHODS
    raw: float | None                     # sum of the applicable indicators' scores
    applicable: float                     # sum of their 分值
    excluded: float                       # sum of the 分值 of the 不适用 indicators
    count: int                            # how many do not apply

    @property
    def label(self) -> str:
        return next(k for k, v in L.NA_METHODS.items() if v == self.method)

    def total(self) -> float | None:
        """The total: the raw sum, converted by the method when some indicators do not apply."""
        if self.raw is None or not self.count:
            return self.raw
        if self.method == "rescale":
            return round2(self.raw / self.applicable * 100) if self.applicable else None
        if self.method == "full":
            return round2(self.raw + self.excluded)
        return self.raw

    def text(self, total: float | None) -> str:
        """'得分合计86.50÷适用分值95×100=91.05' (empty when every indicator applies)."""
        if not self.count or self.raw is None or total is None:
            return ""
        if self.method == "rescale":
            return f"得分合计{fmt_score(self.raw)}÷适用分值{fmt_num(self.applicable)}×100={fmt_score(total)}"
        if self.method == "full":
            return f"得分合计{fmt_score(self.raw)}+不适用指标分值{fmt_num(self.excluded)}={fmt_score(total)}"
        return f"得分合计{fmt_score(self.raw)}（满分{fmt_num(self.applicable)}，不换算）"


@dataclass
class Result:
    checked: Checked
    indicators: list[IndicatorResult]
    levels: list[LevelRecord]
    total: float | None
    grade: str | None
    problems: list[Problem] = field(default_factory=list)
    conversion: Conversion | None = None

    @property
    def summed(self) -> float | None:
        """合计 of 得分汇总: the sum of the applicable indicators' scores (总分 before a 不适用 conversion)."""
        return self.conversion.raw if self.conversion is not None else self.total

    @property
    def complete(self) -> bool:
        """Every indicator scored and no error left: the total can be relied on."""
        return self.total is not None and not self.has_errors

    @property
    def deviations(self) -> list[IndicatorResult]:
        return [r for r in self.indicators if r.deviates]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def info(self) -> dict[str, Any]:
        return self.checked.evaluation.info

    @property
    def figures(self) -> list[FigureValue]:
        """Derived figures that could be computed from 基础数据 (figures.FigureValue)."""
        return list(self.checked.figures.values())

    @property
    def survey(self) -> SurveyResult | None:
        survey: SurveyResult | None = self.checked.survey
        return survey


def grade_for(total: float, grades: list[tuple[str, float]]) -> str:
    for label, minimum in grades:
        if total >= minimum - 1e-9:
            return label
    return grades[-1][0]


def _process(ind: Indicator, res: IndicatorResult) -> str:
    parts: list[str] = []
    if res.rule_score is not None:
        assert ind.weight is not None, "a rule score needs the 分值"
        rate = res.rule_rate if res.rule_rate is not None else res.rule_score / ind.weight
        verb = "应得" if res.deviates else "得"
        parts.append(f"{res.detail}。依据评分标准，该项指标{verb}{fmt_pct(max(0.0, min(rate, 1.0)))}权重分"
                     f"{fmt_score(res.rule_score)}分")
    if ind.evaluator_score is not None:
        if res.deviates:
            why = f"，理由：{ind.note.rstrip('。.；;')}" if ind.note else ""
            parts.append(f"评价人给定{fmt_score(ind.evaluator_score)}分（与规则得分相差"
                         f"{res.difference:+.2f}分）{why}")
        elif res.rule_score is None:
            parts.append(f"评价人给定{fmt_score(ind.evaluator_score)}分")
    return "；".join(parts) + ("。" if parts else "")


def _rule_scores(checked: list[Checked]) -> dict[tuple[int, int], RuleResult]:
    """The rule result of every ready indicator of a chunk, (workbook, indicator) -> (rule score,
    rate before rounding) or the RuleError: rows sharing kind, parameters and target are scored
    together by the kind's ``evaluate_many``."""
    import numpy as np

    groups: dict[tuple[str, int, int], list[tuple[int, int]]] = {}
    out: dict[tuple[int, int], RuleResult] = {}
    for f, ch in enumerate(checked):
        for i, ind in enumerate(ch.indicators):
            if not ind.rule_ready or ind.weight is None or ind.kind is None:     # ready: the kind is known
                continue
            if isinstance(ind.target, multi.MultiTarget):        # several targets: scored part by part
                try:
                    outcome = _evaluate(ind)
                except RuleError as e:
                    out[(f, i)] = e
                    continue
                r = round2(outcome.points_of(ind.weight))
                out[(f, i)] = (r, outcome.rate if outcome.rate is not None else r / ind.weight)
                continue
            # parsed params and targets are cached: equal texts give the same object
            groups.setdefault((ind.kind.name, id(ind.params), id(ind.target)), []).append((f, i))
    for members in groups.values():
        inds = [checked[f].indicators[i] for f, i in members]
        first = inds[0]
        # grouped: every member is ready and has one target (several are scored above)
        assert first.kind is not None and not isinstance(first.target, multi.MultiTarget)
        weights = np.array([x.weight for x in inds], dtype=float)
        scores = evaluate_rows(first.kind, first.params, first.target, [x.actual for x in inds], weights)
        points = scores.points_of(weights).tolist()
        rates = scores.rate.tolist()
        for j, key in enumerate(members):
            if j in scores.errors:
                out[key] = scores.errors[j]
                continue
            r = round2(points[j])
            rate = rates[j]
            out[key] = (r, rate if rate == rate else r / float(weights[j]))
    return out


def _evaluate(ind: Indicator) -> Outcome:
    """The kind's row-by-row ``evaluate`` (a row with several targets: part by part, combined)."""
    assert ind.kind is not None and ind.weight is not None, "evaluated only when rule_ready"
    if isinstance(ind.target, multi.MultiTarget):
        return multi.evaluate(ind.kind, ind.params, ind.target, ind.actual, ind.weight)
    return ind.kind.evaluate(ind.params, ind.target, ind.actual, ind.weight)


def _detail(ind: Indicator) -> str:
    """The rule's computation in words (评分过程), from the kind's row-by-row ``evaluate``."""
    try:
        outcome = _evaluate(ind)
    except RuleError:
        return ""
    return f"{ind.source_text}；{outcome.detail}" if ind.source_text else outcome.detail


def score_indicator(ind: Indicator, rule: RuleResult | None = None, *,
                    texts: bool = True) -> tuple[IndicatorResult, list[RuleError]]:
    """One indicator's result from its rule result (``_rule_scores``); ``texts``: with 评分过程."""
    res = IndicatorResult(ind)
    errors: list[RuleError] = []
    if not ind.applicable:
        res.process = f"不适用（{ind.na_reason}），不计分，分值{fmt_num(ind.weight or 0)}不计入适用分值。"
        return res, errors
    if isinstance(rule, RuleError):
        errors.append(rule)
    elif rule is not None:
        res.rule_score, res.rule_rate = rule
        if texts:
            res.detail = _detail(ind)
    if ind.evaluator_score is not None:
        res.score = round2(ind.evaluator_score)
    else:
        res.score = res.rule_score
    if res.score is not None and ind.weight:
        res.rate = res.score / ind.weight
    if texts:
        res.process = _process(ind, res)
    return res, errors


def _rollup(checked: Checked, results: list[IndicatorResult]) -> tuple[list[LevelRecord], float | None]:
    ev = checked.evaluation
    levels: list[LevelRecord] = []
    order1: dict[str, list[IndicatorResult]] = {}
    order2: dict[tuple[str, str], list[IndicatorResult]] = {}
    for r in results:
        order1.setdefault(r.indicator.level1, []).append(r)
        order2.setdefault((r.indicator.level1, r.indicator.level2), []).append(r)

    def total_of(rs: list[IndicatorResult]) -> tuple[float, float | None]:
        rs = [r for r in rs if r.applicable]
        weight = round2(sum(r.indicator.weight or 0 for r in rs))
        scores = [r.score for r in rs if r.score is not None]
        return weight, None if len(scores) < len(rs) else round2(sum(scores))

    grand: list[float | None] = []
    for name1, rs1 in order1.items():
        w1, s1 = total_of(rs1)
        lvl1 = ev.levels1.get(name1)
        levels.append(LevelRecord(1, name1, None, w1, s1, lvl1.declared if lvl1 else None))
        grand.append(s1)
        for (p, name2), rs2 in order2.items():
            if p != name1:
                continue
            w2, s2 = total_of(rs2)
            lvl2 = ev.levels2.get((p, name2))
            levels.append(LevelRecord(2, name2, name1, w2, s2, lvl2.declared if lvl2 else None))
    known = [s for s in grand if s is not None]
    total = None if (not grand or len(known) < len(grand)) else round2(sum(known))
    return levels, total


def convert(checked: Checked, results: list[IndicatorResult], raw: float | None) -> tuple[float | None, Conversion]:
    """The total from the sum of the applicable scores, by the workbook's method when some indicators
    do not apply (基本信息: 不适用指标的总分换算)."""
    out = [r for r in results if not r.applicable]
    applicable = round2(sum(r.indicator.weight or 0 for r in results if r.applicable))
    excluded = round2(sum(r.indicator.weight or 0 for r in out))
    conv = Conversion(checked.na_method, raw, applicable, excluded, len(out))
    return conv.total(), conv


def score(checked: Checked) -> Result:
    return score_many([checked])[0]


def score_many(checked: list[Checked], *, texts: bool = True) -> list[Result]:
    """Score a chunk of validated workbooks: the rules of all of them at once (``_rule_scores``),
    then each workbook's indicators, roll-ups, total and grade. A workbook scored alone is a chunk
    of one: the same code. ``texts``: write 评分过程 (consolidation keeps figures only)."""
    rules = _rule_scores(checked)
    return [_score_one(ch, f, rules, texts) for f, ch in enumerate(checked)]


def _score_one(checked: Checked, f: int, rules: dict[tuple[int, int], RuleResult], texts: bool) -> Result:
    ev = checked.evaluation
    file, sheet = str(ev.path), ev.table.sheet
    problems = list(checked.problems)
    results: list[IndicatorResult] = []
    for i, ind in enumerate(checked.indicators):
        res, errors = score_indicator(ind, rules.get((f, i)), texts=texts)
        for e in errors:
            assert ind.kind is not None, "only a known kind's rule can fail"
            key = e.where if e.where in ("params", "target") else "actual"
            problems.append(problem("actual_invalid" if key == "actual" else f"{key}_invalid", file=file,
                                    sheet=sheet, cell=ev.cell(ind.row, key),
                                    column=L.COLUMNS_BY_KEY[key].header, value=str(ind.raw.get(key) or ""),
                                    method=ind.method, detail=e.message, syntax=ind.kind.syntax,
                                    hint=ind.kind.actual_hint))
        if res.deviates and not ind.note and ind.evaluator_score is not None and res.rule_score is not None:
            col = "note" if "note" in ev.table.columns else "evaluator_score"
            problems.append(problem("note_required_deviation", file=file, sheet=sheet,
                                    cell=ev.cell(ind.row, col), column=L.COLUMNS_BY_KEY["note"].header,
                                    evaluator=fmt_score(ind.evaluator_score), rule=fmt_score(res.rule_score)))
        if res.rule_score is None and ind.evaluator_score is not None and ind.kind is not None:
            problems.append(problem("rule_unscored", file=file, sheet=sheet,
                                    cell=ev.cell(ind.row, ind.score_key),
                                    column=L.COLUMNS_BY_KEY[ind.score_key].header,
                                    evaluator=fmt_score(ind.evaluator_score)))
        problems += _typed_computed(ev, res, file)
        results.append(res)
    levels, raw = _rollup(checked, results)
    total, conversion = convert(checked, results, raw)
    grade = grade_for(total, checked.grades) if total is not None else None
    return Result(checked, results, levels, total, grade, sort_problems(problems, ev), conversion)


def _typed_computed(ev: Evaluation, res: IndicatorResult, file: str) -> list[Problem]:
    """规则得分 and 得分率 typed by a person (validation found them): said, with what replaces them."""
    out: list[Problem] = []
    for key, value in res.indicator.typed.items():
        if key == "score":
            continue
        new = getattr(res, key)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        tol = 0.005 if key == "rule_score" else 0.00005
        if number and new is not None and abs(value - new) < tol:
            continue
        fmt = fmt_score if key == "rule_score" else fmt_pct
        shown = fmt(value) if number else str(value)
        out.append(problem("computed_typed", file=file, sheet=ev.table.sheet, cell=ev.cell(res.indicator.row, key),
                           column=L.COLUMNS_BY_KEY[key].header, value=shown,
                           computed=fmt(new) if new is not None else "空白"))
    return out


# --- typed records (what flows after scoring) ---------------------------------------------------

def _plain(v: object) -> bool | int | float | str | None:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return str(v)


def record(result: Result, *, compact: bool = False) -> "FileRecord":
    """The scored workbook as a FileRecord (frozen, picklable, English field names). ``compact``:
    figures only, as ``FileRecord.compact()`` gives, built directly (consolidation, per workbook)."""
    from perfxl.model.records import FigureRecord, FileRecord, IndicatorRecord

    ev = result.checked.evaluation
    # compact records of thousands of workbooks share their repeating texts (one object per text)
    s: Callable[[str], str] = _intern if compact else _same
    inds: list[IndicatorRecord] = []
    for r in result.indicators:
        i = r.indicator
        inds.append(IndicatorRecord(
            code=s(i.code), row=i.row, level1=s(i.level1), level2=s(i.level2), name=s(i.name), weight=i.weight,
            method=s(i.method), rule_score=r.rule_score,
            evaluator_score=None if i.evaluator_score is None else round2(i.evaluator_score),
            score=r.score, rate=r.rate, deviates=r.deviates, difference=r.difference,
            criterion="" if compact else i.criterion, note="" if compact else i.note,
            process="" if compact else r.process, score_cell=str(ev.cell(i.row, i.score_key)),
            target="" if compact or i.target is None else i.target.show(), actual="" if compact else used_actual(i),
            source=i.source, source_text="" if compact else i.source_text, applicable=i.applicable,
            params=s(text_of(i.raw.get("params")))))
    if compact:
        return _compact_record(result, ev, tuple(inds))
    levels = tuple(result.levels)
    figures = tuple(FigureRecord(f.name, f.value, f.text) for f in result.figures)
    survey = () if result.survey is None else tuple(_survey_record(s) for s in result.survey.sets.values())
    return FileRecord(
        file=str(ev.path), info={k: _plain(v) for k, v in result.info.items()}, total=result.total,
        grade=result.grade, levels=levels, indicators=tuple(inds), problems=tuple(result.problems),
        grades=tuple((str(g), float(m)) for g, m in result.checked.grades), sheet=ev.table.sheet,
        columns=_system_columns(ev), info_sheet=ev.info_sheet,
        info_cells=dict(ev.info_cells), basic=dict(result.checked.basic or {}), figures=figures, survey=survey,
        basic_units={k: u for k, u in result.checked.units.items() if (result.checked.basic or {}).get(k) is not None},
        **_conversion_fields(result))


def used_actual(ind: Indicator) -> str:
    """The 实际值 as the engine used it, as text: a number with its unit, a verdict, the points of a
    checklist, a level, or the figure a 数据来源 gave."""
    a = ind.actual
    if a is None or not ind.rule_ready:
        return ""
    if hasattr(a, "show"):
        shown: str = a.show()
        return shown
    if isinstance(a, frozenset):
        from perfxl.rules.kinds import show_label

        return "".join(show_label(n) for n in sorted(a)) or "无"
    if isinstance(a, str) and hasattr(ind.params, "levels") and a in ind.params.levels:
        label: str = ind.params.levels[a][0]
        return label
    return str(a)


def _survey_record(s: SetStat) -> SurveySetRecord:
    """A question set's statistics (survey.stats.SetStat) as a record."""
    from perfxl.model.records import SurveyOptionRecord, SurveyQuestionRecord, SurveySetRecord
    from perfxl.survey.stats import COUNTS

    options = tuple(SurveyOptionRecord(label, s.weights[label], s.happy[label], n,
                                       n / s.valid if s.valid else None) for label, n in s.counts.items())
    questions = tuple(SurveyQuestionRecord(q.question, q.valid, tuple((lab, q.count_of()[lab]) for lab in s.counts),
                                           q.rate, q.satisfied) for q in s.per_question)
    return SurveySetRecord(s.name, s.group, s.valid, s.rate, s.satisfied, tuple(s.questions), tuple(s.shares.items()),
                           sample=s.sample, options=options, rate_formula=s.rate_formula,
                           satisfied_formula=s.satisfied_formula,
                           source="counts" if s.source == COUNTS else "responses", per_question=questions)


@overload
def _intern(v: str) -> str: ...
@overload
def _intern(v: _T) -> _T: ...
def _intern(v: object) -> object:
    return _sys_intern(v) if v.__class__ is str else v


def _same(v: _T) -> _T:
    return v


def _system_columns(ev: Evaluation) -> dict[str, str]:
    """Letters of the columns that make the indicator system (编号, 三级指标, 分值, 一级/二级指标, the rule): where a
    consolidation points when a workbook's system differs from the others'."""
    from perfxl.model.cells import col_letter

    return {k: col_letter(n) for k in ("code", "name", "weight", "level1", "level2", "method", "params")
            if (n := ev.table.columns.get(k))}


def _compact_record(result: Result, ev: Evaluation, inds: tuple[IndicatorRecord, ...]) -> FileRecord:
    from perfxl.model.records import FileRecord

    errors = tuple(p for p in result.problems if p.severity == ERROR)
    return FileRecord(
        file=str(ev.path), info={k: _intern(_plain(v)) for k, v in result.info.items()}, total=result.total,
        grade=result.grade, levels=tuple(LevelRecord(lv.level, _intern(lv.name), _intern(lv.parent), lv.weight,
                                                     lv.score, lv.declared) for lv in result.levels),
        indicators=inds, problems=errors[:3], grades=tuple((str(g), float(m)) for g, m in result.checked.grades),
        sheet=ev.table.sheet, columns=_system_columns(ev), info_sheet=ev.info_sheet,
        info_cells=dict(ev.info_cells), error_count=len(errors), **_conversion_fields(result),
        survey=() if result.survey is None else tuple(_survey_record(s).compact()
                                                       for s in result.survey.sets.values()))


def _conversion_fields(result: Result) -> dict[str, Any]:
    """The record's fields of the total's conversion when some indicators do not apply."""
    conv = result.conversion
    return dict(raw_total=conv.raw if conv else result.total, applicable_weight=conv.applicable if conv else None,
                na_method=result.checked.na_method, conversion=conv.text(result.total) if conv else "")
