"""Typed records of a scored workbook. They are what flows after scoring — to the JSON of the
command line, to consolidation and to reports — frozen and picklable (workers send them back).
Column names are English; Chinese headers appear only where a sheet or a document is drawn."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from perfxl.check.problems import ERROR, Problem


@dataclass(frozen=True, slots=True)
class IndicatorRecord:
    """One 三级指标 as scored: the inputs as the engine used them and every figure it gave."""
    code: str
    row: int
    level1: str
    level2: str
    name: str
    weight: float | None
    method: str
    rule_score: float | None = None
    evaluator_score: float | None = None      # rounded to 2 decimals, as it counts
    score: float | None = None
    rate: float | None = None                 # 得分率 = score / weight
    deviates: bool = False                    # evaluator_score differs from rule_score
    difference: float | None = None           # evaluator_score − rule_score, when it deviates
    criterion: str = ""
    note: str = ""
    process: str = ""                         # 评分过程, as reports print it
    score_cell: str = ""                      # A1 address of the evaluator's figure (deviations point there)
    target: str = ""                          # 目标值 as the engine used it ("≥90%", "≥20户、≥10户")
    actual: str = ""                          # 实际值 as the engine used it (a 数据来源's figure included)
    source: str = ""                          # 数据来源, when a figure stood for the typed 实际值
    source_text: str = ""                     # how that figure was computed
    applicable: bool = True                   # False: 不适用, excluded from the total
    params: str = ""                          # 计分参数 as written: with 计分方法, part of the indicator system

    @property
    def lost(self) -> float | None:
        """Points lost against the weight (None when not scored)."""
        if self.score is None or self.weight is None:
            return None
        return self.weight - self.score

    def compact(self) -> "IndicatorRecord":
        """The record without its long texts (consolidating thousands of files keeps only figures)."""
        return replace(self, criterion="", note="", process="", target="", actual="", source_text="")


@dataclass(frozen=True, slots=True)
class LevelRecord:
    """A 一级 (level 1) or 二级 (level 2) indicator: the sum of its 三级指标."""
    level: int
    name: str
    parent: str | None
    weight: float
    score: float | None
    declared: float | None = None

    @property
    def rate(self) -> float | None:
        if self.score is None or not self.weight:
            return None
        return self.score / self.weight


@dataclass(frozen=True, slots=True)
class FigureRecord:
    """A derived figure of 基础数据 (e.g. 支出预算执行率) with its computation in words."""
    name: str
    value: float | None
    text: str


@dataclass(frozen=True, slots=True)
class SurveyOptionRecord:
    """One option of a question set as reports tabulate it: weight, counted as satisfied or not,
    how many answers chose it and their share."""
    label: str
    weight: float | None            # share of full marks; None when it differs between the groups pooled
    satisfied: bool
    count: int
    share: float | None             # count / valid answers


@dataclass(frozen=True, slots=True)
class SurveyQuestionRecord:
    """One question of a set: its answers per option and its rates."""
    question: str
    valid: int
    counts: tuple[tuple[str, int], ...]
    rate: float | None
    satisfied: float | None


@dataclass(frozen=True, slots=True)
class SurveySetRecord:
    """A question set of a questionnaire: sample, rates and the share of every option."""
    name: str
    group: str | None
    valid: int                                    # answers counted (respondents × questions)
    rate: float | None                            # 得分率
    satisfied: float | None                       # 满意率
    questions: tuple[str, ...] = ()
    shares: tuple[tuple[str, float], ...] = ()    # largest first
    sample: int = 0                               # respondents (样本量, 份)
    options: tuple[SurveyOptionRecord, ...] = ()  # in the order of 问卷设置
    rate_formula: str = ""                        # 得分率＝∑（…）÷有效回答人次＝（非常满意43×100%＋…）÷52＝94.23%
    satisfied_formula: str = ""                   # 满意率＝…＝（非常满意43＋满意7）÷52＝96.15%
    source: str = "responses"                     # responses (问卷) or counts (问卷汇总)
    per_question: tuple[SurveyQuestionRecord, ...] = ()

    def compact(self) -> "SurveySetRecord":
        """Sample and rates only (what a consolidation keeps per unit)."""
        return replace(self, questions=(), shares=(), options=(), rate_formula="", satisfied_formula="",
                       per_question=())


@dataclass(frozen=True)
class FileRecord:
    """One workbook after scoring."""
    file: str
    info: dict[str, Any]
    total: float | None
    grade: str | None
    levels: tuple[LevelRecord, ...]
    indicators: tuple[IndicatorRecord, ...]
    problems: tuple[Problem, ...]
    grades: tuple[tuple[str, float], ...] = ()
    sheet: str = ""                               # the indicator sheet's name in this workbook
    columns: dict[str, str] = field(default_factory=dict)   # letters of its 编号, 三级指标, 分值, 一级/二级 columns
    info_sheet: str | None = None
    info_cells: dict[str, str] = field(default_factory=dict)
    basic: dict[str, float | None] = field(default_factory=dict)
    figures: tuple[FigureRecord, ...] = ()
    survey: tuple[SurveySetRecord, ...] = ()
    error_count: int | None = None                # set by compact(), which keeps only the first errors
    basic_units: dict[str, str] = field(default_factory=dict)   # 基础数据 key -> the unit its value is in
    raw_total: float | None = None                # sum of the applicable indicators' scores
    applicable_weight: float | None = None        # sum of their 分值 (None: as total_weight)
    na_method: str = "rescale"                    # how the total was converted (layout.NA_METHODS)
    conversion: str = ""                          # the conversion in words, when some indicators do not apply

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == ERROR)

    @property
    def n_errors(self) -> int:
        return len(self.errors) if self.error_count is None else self.error_count

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    @property
    def complete(self) -> bool:
        """Every indicator scored and no error left: the total can be relied on."""
        return self.total is not None and not self.has_errors

    @property
    def deviations(self) -> tuple[IndicatorRecord, ...]:
        return tuple(i for i in self.indicators if i.deviates)

    @property
    def level1(self) -> dict[str, float | None]:
        return {lv.name: lv.score for lv in self.levels if lv.level == 1}

    @property
    def total_weight(self) -> float:
        """The 分值 of the applicable indicators (100 when every indicator applies)."""
        return sum(lv.weight for lv in self.levels if lv.level == 1)

    @property
    def not_applicable(self) -> tuple[IndicatorRecord, ...]:
        return tuple(i for i in self.indicators if not i.applicable)

    def compact(self, keep_errors: int = 3) -> "FileRecord":
        """Figures only, and the first ``keep_errors`` errors (with their count): what consolidating
        many files keeps per file."""
        errors = self.errors
        return replace(self, indicators=tuple(i.compact() for i in self.indicators), basic={}, basic_units={},
                       figures=(), survey=tuple(s.compact() for s in self.survey), problems=errors[:keep_errors],
                       error_count=len(errors))

    def to_dict(self, *, output: str | None = None, extra_problems: tuple[Problem, ...] = ()) -> dict[str, Any]:
        """The JSON shape of ``perfxl score --json`` / ``validate --json``."""
        info = {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in self.info.items()}
        return {
            "file": self.file,
            "info": info,
            "total": self.total,
            "grade": self.grade,
            "complete": self.complete,
            "raw_total": self.raw_total,
            "applicable_weight": self.applicable_weight,
            "na_method": self.na_method,
            "conversion": self.conversion or None,
            "levels": [
                {"level": lv.level, "name": lv.name, "parent": lv.parent, "weight": lv.weight, "score": lv.score,
                 "rate": json_rate(lv.rate)}
                for lv in self.levels],
            "indicators": [
                {"code": i.code, "row": i.row, "level1": i.level1, "level2": i.level2, "name": i.name,
                 "weight": i.weight, "method": i.method, "target": i.target or None, "actual": i.actual or None,
                 "source": i.source or None, "applicable": i.applicable, "rule_score": i.rule_score,
                 "evaluator_score": i.evaluator_score, "score": i.score, "rate": json_rate(i.rate),
                 "deviation": i.deviates, "process": i.process}
                for i in self.indicators],
            "deviations": [
                {"code": i.code, "name": i.name, "cell": f"{self.sheet}!{i.score_cell}", "rule_score": i.rule_score,
                 "evaluator_score": i.evaluator_score, "difference": i.difference, "note": i.note}
                for i in self.deviations],
            "problems": [p.to_dict() for p in (*self.problems, *extra_problems)],
            "output": output,
        }


def json_rate(rate: float | None) -> float | None:
    """A rate for JSON: the fraction of a percentage with two decimals (0.954 is 95.40%)."""
    return None if rate is None else round(rate, 4)


@dataclass(frozen=True, slots=True)
class RankRow:
    """One unit (and year) of a consolidation: its figure (a panel's when several evaluators)."""
    unit: str
    year: Any
    total: float | None
    grade: str | None
    rank: int | None
    evaluators: int = 1
    evaluator_names: tuple[str, ...] = ()
    status: str = ""
    level1: tuple[tuple[str, float | None], ...] = ()


@dataclass(frozen=True)
class Overview:
    """What a report made from a consolidation adds to the per-unit sections: the ranking, the
    grade distribution and the account of every file (found = included + not included)."""
    ranking: tuple[RankRow, ...]
    grades: tuple[tuple[str, int], ...]           # (grade label, number of units), in scale order
    found: int
    included: int
    not_included: int
    panel_method: str = "mean"                    # a key of layout.PANEL_METHODS
    level1: tuple[str, ...] = ()
    #: with several 评价年度: each year's grade distribution (year, ((grade, units), ...)); ``grades``
    #: then counts unit-years, which no table shows alone
    grade_years: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
