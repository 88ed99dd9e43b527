"""Indicators with several targets in one row: "≥20户、≥10户" (one target per part) or "各1个" (the same
target for every part the actual value lists). Each part is scored by the row's kind and the parts are
combined by a stated method: every part met (全部达标), or the average of the parts' completion rates
(平均完成率). Kinds that accept several targets are tagged "multi" and have a ``combine`` parameter."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from perfxl.model.values import Target, clean, fmt_pct, parse_target, parse_verdict

from .registry import Outcome, RuleError, RuleKind

ALL, MEAN = "all", "mean"
#: how 计分参数 state the combination
COMBINE_WORDS = {"全部达标": ALL, "各项均达标": ALL, "全部完成": ALL, "多目标全部达标": ALL,
                 "平均完成率": MEAN, "取平均": MEAN, "各项平均": MEAN, "多目标取平均": MEAN}
COMBINE_NAMES = {ALL: "各项全部达标", MEAN: "各项完成率取平均"}
_SEPARATORS = re.compile(r"[、;,/]")
_EACH = "各"
#: a row lists at most this many parts
MAX_PARTS = 20


@dataclass(frozen=True)
class MultiTarget:
    """Several targets of one row. ``each``: one target that every part of the actual must meet."""
    parts: tuple[Target, ...]
    each: bool = False

    def show(self) -> str:
        if self.each:
            return _EACH + self.parts[0].show()
        return "、".join(t.show() for t in self.parts)

    @property
    def quantity(self):
        return self.parts[0].quantity


def parse_multi_target(raw: object) -> MultiTarget | None:
    """'≥20户、≥10户' or '各1个' as a MultiTarget; None when the text is not several targets."""
    if not isinstance(raw, str):
        return None
    s = clean(raw)
    try:
        if s.startswith(_EACH) and len(s) > 1:
            return MultiTarget((parse_target(s[1:]),), each=True)
        parts = [p for p in _SEPARATORS.split(s) if p]
        if 2 <= len(parts) <= MAX_PARTS:
            return MultiTarget(tuple(parse_target(p) for p in parts))
    except ValueError:
        return None
    return None


@dataclass(frozen=True)
class MultiActual:
    """The actual value of a row with several targets: one value per part, or one for every part."""
    parts: tuple[Any, ...]
    each: bool = False
    verdict: Any = None            # a verdict about the whole row (达标得分: "全部完成")

    def show(self) -> str:
        if self.verdict is not None:
            return self.verdict.text
        shown = [p.show() if hasattr(p, "show") else str(p) for p in self.parts]
        return (_EACH + shown[0]) if self.each else "、".join(shown)


def parse_actual(kind: RuleKind, raw: object, target: MultiTarget, params: Any) -> MultiActual:
    """Split the actual value into the parts of ``target`` and parse each with the kind."""
    if parse_verdict(raw) is not None and "verdict" in kind.tags:       # "全部完成": about the whole row
        return MultiActual((), verdict=kind.parse_actual(raw, None, params))
    s = clean(raw) if isinstance(raw, str) else None
    each = bool(s and s.startswith(_EACH) and len(s) > 1)
    texts = [s[1:]] if each else ([p for p in _SEPARATORS.split(s) if p] if s else [raw])
    if not target.each and not each and len(texts) != len(target.parts):
        n = len(target.parts)
        raise RuleError("actual", f"目标值有{n}项（{target.show()}），实际值应同样列出{n}项，"
                                  f"用顿号分隔，如“{'、'.join(t.quantity.notation() for t in target.parts)}”")
    if len(texts) > MAX_PARTS:
        raise RuleError("actual", f"实际值列出了{len(texts)}项，最多{MAX_PARTS}项")
    if each and not target.each:
        texts = texts * len(target.parts)                 # "各1次" against "≥1次、≥1次"
        each = False
    targets = target.parts * len(texts) if target.each else target.parts
    return MultiActual(tuple(kind.parse_actual(t, tg, params) for t, tg in zip(texts, targets)), each)


def evaluate(kind: RuleKind, params: Any, target: MultiTarget, actual: MultiActual, weight: float) -> Outcome:
    """Score every part with the kind, then combine them by the stated method."""
    method = getattr(params, "combine", None) or kind_default(kind)
    partial = getattr(params, "partial", 0.0)
    if actual.verdict is not None:
        out = kind.evaluate(params, None, actual.verdict, weight)
        return Outcome(rate=out.rate, points=out.points, detail=f"目标值{target.show()}，{out.detail}")
    targets = target.parts * len(actual.parts) if target.each else target.parts
    rates, details = [], []
    for i, (t, a) in enumerate(zip(targets, actual.parts), start=1):
        out = kind.evaluate(params, t, a, weight)
        rate = out.rate if out.rate is not None else out.points_of(weight) / weight if weight else 0.0
        rates.append(max(0.0, min(1.0, rate)))
        details.append(f"第{i}项：{out.detail}")
    if len(details) == 1:
        details[0] = details[0].split("：", 1)[1]
    head = "；".join(details)
    if method == MEAN:
        rate = sum(rates) / len(rates)
        formula = "+".join(fmt_pct(r) for r in rates)
        return Outcome(rate=rate, detail=f"{head}；{COMBINE_NAMES[MEAN]}=({formula})/{len(rates)}={fmt_pct(rate)}")
    short = [i for i, r in enumerate(rates, start=1) if r < 1 - 1e-12]
    if not short:
        return Outcome(rate=1.0, detail=f"{head}；{COMBINE_NAMES[ALL]}")
    which = "、".join(f"第{i}项" for i in short)
    return Outcome(rate=partial, detail=f"{head}；{which}未达标，按“{COMBINE_NAMES[ALL]}”"
                                        + ("不得分" if partial == 0 else f"得{fmt_pct(partial)}权重分"))


def kind_default(kind: RuleKind) -> str:
    return MEAN if "ratio" in kind.tags else ALL
