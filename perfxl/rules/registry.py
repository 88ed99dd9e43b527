"""The registry of rule kinds (计分方法). Adding a kind touches one place: its module calls
``register``; the dropdown, the 说明 sheet and validation all read from here."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perfxl.model.layout import normalize
from perfxl.model.values import Target


class RuleError(ValueError):
    """A rule input that cannot be used. ``where`` is 'params', 'target' or 'actual'."""

    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where = where
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """What a rule gives: a share of the weight, or absolute points, and how it got there."""
    rate: float | None = None
    points: float | None = None
    detail: str = ""

    def points_of(self, weight: float) -> float:
        raw = self.points if self.points is not None else (self.rate or 0.0) * weight
        return min(max(raw, 0.0), weight)


@dataclass
class Scores:
    """What a rule gives for many rows that share its parameters and target (``evaluate_many``):
    per row a share of the weight or absolute points (NaN where the other one applies), and the
    rows it could not score with why. Equal, row by row, to ``evaluate`` (property-tested)."""
    rate: Any                        # numpy float array
    points: Any                      # numpy float array
    errors: dict[int, RuleError] = field(default_factory=dict)

    def points_of(self, weights) -> Any:
        """Outcome.points_of for every row (NaN where the row has an error)."""
        import numpy as np

        raw = np.where(np.isnan(self.points), np.nan_to_num(self.rate) * weights, self.points)
        out = np.minimum(np.maximum(raw, 0.0), weights)
        if self.errors:
            out[list(self.errors)] = np.nan
        return out


def by_value(evaluate: Callable[[Any, "Target | None", Any, float], Outcome]):
    """``evaluate_many`` for a kind whose 实际值 is a label, a set or a verdict: ``evaluate`` once per
    distinct (实际值, 分值) of the rows, the same result for every row that shares them."""
    def many(params, target, actuals: list, weights) -> Scores:
        import numpy as np

        n = len(actuals)
        rate, points = np.full(n, np.nan), np.full(n, np.nan)
        errors: dict[int, RuleError] = {}
        seen: dict[tuple, Outcome | RuleError] = {}
        for i, (a, w) in enumerate(zip(actuals, weights.tolist())):
            key = (a, w)
            got = seen.get(key)
            if got is None:
                try:
                    got = evaluate(params, target, a, w)
                except RuleError as e:
                    got = e
                seen[key] = got
            if isinstance(got, RuleError):
                errors[i] = got
            elif got.points is not None:
                points[i] = got.points
            elif got.rate is not None:
                rate[i] = got.rate
        return Scores(rate, points, errors)
    return many


@dataclass(frozen=True)
class Example:
    params: str
    target: str
    actual: str
    weight: float
    criterion: str


@dataclass(frozen=True)
class RuleKind:
    name: str
    summary: str
    syntax: str
    actual_hint: str
    examples: tuple[Example, ...]
    parse_params: Callable[[str, Target | None], Any]
    parse_actual: Callable[[Any, Target | None, Any], Any]
    evaluate: Callable[[Any, Target | None, Any, float], Outcome]
    #: the same scoring for many rows sharing params and target: (params, target, actuals, weights
    #: as a numpy array) -> Scores. None: ``evaluate`` row by row (``evaluate_rows``)
    evaluate_many: Callable[[Any, Target | None, list, Any], Scores] | None = None
    aliases: tuple[str, ...] = ()
    needs_target: bool = False
    needs_params: bool = False
    needs_note: bool = False
    #: the formula face: (params, target, formula.row.Ctx) -> formula.row.Face, the same scoring as
    #: ``evaluate`` as a spreadsheet formula (None: the row shows the marker until perfxl scores it)
    formula: Callable[[Any, Target | None, Any], Any] | None = None
    #: scoring is monotone non-decreasing in a numeric actual for 正向 targets (property-tested)
    monotone: bool = False
    tags: tuple[str, ...] = field(default=())


def evaluate_rows(kind: RuleKind, params, target: Target | None, actuals: list, weights) -> Scores:
    """Score rows that share kind, params and target: the kind's ``evaluate_many``, or ``evaluate``
    row by row when it has none."""
    return (kind.evaluate_many or by_value(kind.evaluate))(params, target, actuals, weights)


KINDS: dict[str, RuleKind] = {}
_LOOKUP: dict[str, str] = {}


def register(kind: RuleKind) -> RuleKind:
    if kind.name in KINDS:
        raise RuntimeError(f"rule kind registered twice: {kind.name}")
    KINDS[kind.name] = kind
    for text in (kind.name, *kind.aliases):
        _LOOKUP[normalize(text)] = kind.name
    return kind


def lookup(text: object) -> RuleKind | None:
    return KINDS.get(_LOOKUP.get(normalize(text), ""))


def names() -> list[str]:
    return list(KINDS)
