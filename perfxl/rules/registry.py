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
