"""The rule kinds found in published evaluation reports, one small function set each.

Every kind: parse its 计分参数, parse the 实际值 it expects, evaluate to an Outcome whose
``detail`` is the computation in words, as reports print it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from perfxl.model.layout import normalize, unit_of
from perfxl.model.values import (
    NO_WORDS,
    PARTIAL,
    PERCENT_SUSPECT,
    YES,
    Quantity,
    Target,
    clean,
    fmt_num,
    fmt_pct,
    fmt_pct_short,
    fmt_score,
    parse_quantity,
    parse_verdict,
    parse_yes_no,
)

from .formula import read as F
from .formula.row import Face
from .multi import COMBINE_WORDS
from .notation import (
    _NUM,
    Amount,
    Bound,
    Condition,
    Step,
    cn_number,
    parse_amount,
    parse_condition,
    parse_step,
    segments,
    step_units,
    step_units_many,
    take_rounding,
)
from .registry import Example, Outcome, RuleError, RuleKind, Scores, by_value, register


@dataclass
class Parsed:
    """Base for parsed parameters; ``warnings`` are shown but do not block scoring."""
    warnings: list[str] = field(default_factory=list)


def _need_target(target: Target | None, kind: str) -> Target:
    if target is None:
        raise RuleError("target", f"“{kind}”需要目标值，如 ≥60家、=100%")
    return target


def _numeric(raw: object, percent: bool) -> Quantity:
    try:
        return parse_quantity(raw, percent=percent)
    except ValueError as e:
        raise RuleError("actual", str(e)) from None


def _against_target(raw: object, target: Target) -> Quantity:
    q = _numeric(raw, target.quantity.is_percent)
    if target.quantity.is_percent and q.unit not in ("%", ""):
        raise RuleError("actual", f"实际值“{raw}”的单位“{q.unit}”与目标值的百分比不一致")
    tu, au = target.quantity.unit, q.unit
    if not target.quantity.is_percent and q.is_percent and isinstance(raw, str) and tu:
        # (against a bare number, "95%" typed as text counts as the 0.95 a percentage-formatted cell holds:
        # 实际值 cells of a new workbook are text, and the same keystrokes get the same verdict)
        raise RuleError("actual", f"实际值“{raw}”是百分比，而目标值{target.show()}不是")
    if not target.quantity.is_percent and q.is_percent and not tu and abs(target.quantity.value) > PERCENT_SUSPECT:
        # a bare target above 10 is no fraction a percentage could be compared with: "≥80" against "85%"
        # meant 80%, and 0.85 of 80 would give nearly nothing without a word (the mirror of values'
        # "疑似漏写百分号")
        typed = raw if isinstance(raw, str) else q.show()
        raise RuleError("actual", f"实际值“{typed}”是百分比，而目标值{target.show()}不是："
                                  f"若目标是 {target.quantity.show()}%，请在目标值中写上百分号")
    if tu and au and tu != au and not target.quantity.is_percent:
        t_kind, a_kind = unit_of(tu), unit_of(au)
        if t_kind and a_kind and t_kind[0] == a_kind[0]:
            return Quantity(q.value * a_kind[1] / t_kind[1], tu)       # 50000元 against ≥5万元: 5万元
        if t_kind and a_kind:
            raise RuleError("actual", f"实际值“{raw}”的单位“{au}”与目标值{target.show()}的单位“{tu}”不能换算")
    return q


def _show(value: float, like: Quantity) -> str:
    return Quantity(value, like.unit).show()


def _no_params_allowed(text: str, target: Target | None) -> Parsed:
    if segments(text or ""):
        raise RuleError("params", "这种计分方法不需要计分参数，请清空")
    return Parsed()


def _bare(value: float, like: Quantity, short: bool = False) -> str:
    """A number for a formula: percentages keep their % (``short``: as notation, else two decimals),
    counts drop their unit."""
    if like.is_percent:
        return fmt_pct_short(value) if short else fmt_pct(value)
    return fmt_num(value)


def deduction(units: float, amount: Amount, weight: float, head: str) -> Outcome:
    """``units`` steps of ``amount`` taken off full marks ("扣完为止": clipping is the caller's)."""
    deduct = units * amount.value
    if amount.points:
        return Outcome(points=weight - deduct, detail=f"{head}，共扣{fmt_num(deduct)}分")
    return Outcome(rate=1.0 - deduct, detail=f"{head}，共扣{fmt_pct(min(deduct, 1.0))}权重分")


# --- many rows at once (evaluate_many): the same figures as evaluate, over numpy arrays ----------

def _bind(fn, evaluate):
    """An ``evaluate_many`` from ``fn(params, target, actuals, weights) -> (rate, points, failed)``
    over the rows' numbers. A failed row (and every row, when params and target cannot score at all)
    gets its RuleError from the kind's ``evaluate``: the messages are the row-by-row ones."""
    def many(params, target, actuals: list, weights) -> Scores:
        import numpy as np

        n = len(actuals)
        try:
            rate, points, failed = fn(params, target, actuals, weights)
        except RuleError as e:
            return Scores(np.full(n, np.nan), np.full(n, np.nan), {i: e for i in range(n)})
        errors = {}
        for i in np.flatnonzero(failed).tolist() if failed is not None else ():
            try:
                evaluate(params, target, actuals[i], float(weights[i]))
            except RuleError as e:
                errors[i] = e
        return Scores(rate, points, errors)
    return many


def _nums(actuals: list):
    import numpy as np

    return np.fromiter((a.value for a in actuals), dtype=float, count=len(actuals))


def _nan(n: int):
    import numpy as np

    return np.full(n, np.nan)


def _deduction_many(units, amount: Amount, weights, done_rate, done):
    """``deduction`` where ``done`` is False; ``done_rate`` where it is True."""
    import numpy as np

    deduct = units * amount.value
    if amount.points:
        return np.where(done, done_rate, np.nan), np.where(done, np.nan, weights - deduct)
    return np.where(done, done_rate, 1.0 - deduct), _nan(len(units))


# === 完成比率 =====================================================================

@dataclass
class RatioParams(Parsed):
    positive: bool | None = None
    floor: float | None = None
    combine: str | None = None           # several targets in one row: multi.ALL / multi.MEAN


def _ratio_params(text: str, target: Target | None) -> RatioParams:
    p = RatioParams()
    for s in segments(text or ""):
        if s in ("正向", "正向指标", "越大越好"):
            p.positive = True
        elif s in ("反向", "反向指标", "越小越好"):
            p.positive = False
        elif m := re.fullmatch(rf"(?:完成率)?(?:低于|不足|<)({_NUM})%(?:的?不得分|得0分|为0)", s):
            p.floor = float(m.group(1)) / 100
        elif s in COMBINE_WORDS:
            p.combine = COMBINE_WORDS[s]
        else:
            raise RuleError("params", f"“{s}”无法识别；完成比率可选参数：正向、反向、低于60%不得分；"
                                      "一行几个目标时：平均完成率（默认）或 全部达标")
    return p


def _ratio_actual(raw, target, params):
    return _against_target(raw, _need_target(target, "完成比率"))


def _ratio_eval(p: RatioParams, target: Target | None, a: Quantity, weight: float) -> Outcome:
    t = _need_target(target, "完成比率")
    positive = t.positive if p.positive is None else p.positive
    tv, av = t.value, a.value
    ts, as_ = t.quantity.notation(), _show(av, t.quantity)
    if positive:
        if tv <= 0:
            ratio = 1.0 if av >= tv else 0.0
            detail = f"目标值{ts}，实际值{as_}"
        else:
            ratio = av / tv
            detail = (f"目标值{t.show()}，实际值{as_}，"
                      f"完成率={_bare(av, t.quantity)}/{_bare(tv, t.quantity, True)}×100%={fmt_pct(ratio)}")
    else:
        if av <= tv:
            ratio = 1.0
            detail = f"目标值{t.show()}，实际值{as_}，未超过目标"
        elif av <= 0:
            ratio = 1.0
            detail = f"目标值{t.show()}，实际值{as_}"
        else:
            ratio = tv / av
            detail = (f"目标值{t.show()}，实际值{as_}，完成率={_bare(tv, t.quantity, True)}/{_bare(av, t.quantity)}"
                      f"×100%={fmt_pct(ratio)}（反向指标）")
    rate = max(0.0, min(1.0, ratio))
    if p.floor is not None and ratio < p.floor - 1e-12:
        rate = 0.0
        detail += f"，低于{fmt_pct_short(p.floor)}不得分"
    elif ratio >= 1 - 1e-12:
        detail += "，已完成目标"
    return Outcome(rate=rate, detail=detail)



def _ratio_many(p: RatioParams, target: Target | None, actuals: list, weights):
    import numpy as np

    t = _need_target(target, "完成比率")
    positive = t.positive if p.positive is None else p.positive
    tv, av = t.value, _nums(actuals)
    with np.errstate(divide="ignore", invalid="ignore"):
        if positive:
            ratio = np.where(av >= tv, 1.0, 0.0) if tv <= 0 else av / tv
        else:
            ratio = np.where(av <= tv, 1.0, np.where(av <= 0, 1.0, tv / av))
    rate = np.maximum(0.0, np.minimum(1.0, ratio))
    if p.floor is not None:
        rate = np.where(ratio < p.floor - 1e-12, 0.0, rate)
    return rate, _nan(len(av)), None


def _ratio_formula(p: RatioParams, target: Target | None, ctx) -> Face:
    t = _need_target(target, "完成比率")
    a = ctx.against(t).value
    positive = t.positive if p.positive is None else p.positive
    tv = t.value
    if positive:
        ratio = F.IF(a.ge(tv), 1, 0) if tv <= 0 else a / tv
    else:
        ratio = F.IF(a.le(tv), 1, F.IF(a.le(0), 1, tv / a))
    r = ctx.helper(ratio)
    rate = F.MAX(0, F.MIN(1, r))
    if p.floor is not None:
        rate = F.IF(r.lt(p.floor - 1e-12), 0, rate)
    return Face(rate=rate)


register(RuleKind(
    name="完成比率",
    aliases=("按完成比率", "按完成比率得分", "完成率", "按比率得分", "按比例得分", "比率"),
    summary="完成目标得满分，否则按 实际值/目标值 的比率得分；目标值为 ≤ 时按反向指标计算（目标值/实际值）。",
    syntax="可不填。可选：正向 / 反向（默认按目标值的比较符判断）；低于60%不得分",
    actual_hint="数值，如 62、62家、96%",
    examples=(Example("", "≥24次", "20次", 1, "全部完成得100%权重分，未达到目标值按比率得分"),
              Example("", "≥60家", "62家", 1, "完成得100%权重分，否则按完成比率得分")),
    parse_params=_ratio_params, parse_actual=_ratio_actual, evaluate=_ratio_eval,
    evaluate_many=_bind(_ratio_many, _ratio_eval),
    needs_target=True, monotone=True, tags=("ratio", "multi"),
    formula=_ratio_formula,
))


# === 得分率计分 =====================================================================

def _rate_actual(raw, target, params):
    q = _numeric(raw, True)
    if q.unit not in ("%", ""):
        raise RuleError("actual", f"实际值“{raw}”应为得分率，如 89.90%")
    if q.value < 0:
        raise RuleError("actual", f"得分率“{raw}”不能为负")
    return q


def _rate_eval(p: Parsed, target, q: Quantity, weight: float) -> Outcome:
    rate = min(q.value, 1.0)
    capped = "（超过100%按100%计）" if q.value > 1 + 1e-12 else ""
    return Outcome(rate=rate, detail=f"得分={fmt_score(weight)}×{fmt_pct(rate)}={fmt_score(weight * rate)}{capped}")


def _rate_many(p: Parsed, target, actuals: list, weights):
    import numpy as np

    v = _nums(actuals)
    return np.minimum(v, 1.0), _nan(len(v)), None


def _rate_formula(p: Parsed, target, ctx) -> Face:
    q = ctx.quantity(percent=True, pct=True).value
    return Face(rate=F.IF(q.ge(0), F.MIN(q, 1), F.NA()))


register(RuleKind(
    name="得分率计分",
    aliases=("按得分率", "分值乘得分率", "按比例计分", "问卷得分率"),
    summary="得分 = 分值 × 得分率（如问卷得分率 89.90% → 3×89.90%=2.70），得分率超过100%按100%计。",
    syntax="不填",
    actual_hint="得分率，如 89.90%；常用数据来源“问卷:题组名”",
    examples=(Example("", "", "89.90%", 3, "问卷得分率89.90%，得分=3.00×89.90%=2.70"),),
    parse_params=_no_params_allowed, parse_actual=_rate_actual, evaluate=_rate_eval,
    evaluate_many=_bind(_rate_many, _rate_eval),
    monotone=True,
    formula=_rate_formula,
))


# === 达标得分 =====================================================================

@dataclass
class PassParams(Parsed):
    partial: float = 0.0                 # not met ("未达标得50%")
    partly: float | None = None          # met in part ("部分达标得50%"); None: as not met
    combine: str | None = None           # several targets in one row: multi.ALL / multi.MEAN


def _pass_params(text: str, target: Target | None) -> PassParams:
    p = PassParams()
    for s in segments(text or ""):
        if s in COMBINE_WORDS:
            p.combine = COMBINE_WORDS[s]
            continue
        m = re.fullmatch(rf"(?P<what>未达标|未完成|不符合|否则|部分达标|部分完成|基本相符|基本完成|基本达标|部分符合)"
                         rf"(?:的)?得(?P<amt>{_NUM})%", s)
        if not m:
            raise RuleError("params", f"“{s}”无法识别；达标得分可选参数：未达标得50%、部分达标得50%；"
                                      "一行几个目标时：全部达标（默认）或 平均完成率")
        if m.group("what") in ("未达标", "未完成", "不符合", "否则"):
            p.partial = float(m.group("amt")) / 100
        else:
            p.partly = float(m.group("amt")) / 100
    return p


@dataclass(frozen=True)
class Verdict:
    ok: bool
    text: str
    level: str = ""                      # values.YES / PARTIAL / NO

    def show(self) -> str:
        return self.text


def _pass_actual(raw, target, params):
    v = parse_verdict(raw)
    if v is not None:
        text = str(raw).strip() if isinstance(raw, str) else ("是" if v == YES else "否")
        return Verdict(v == YES, text, v)
    if target is None:
        raise RuleError("actual", f"实际值“{raw}”应为表示完成与否的词（完成/未完成、符合/不符合、相符/不相符、"
                                  "达到/未达到、有/无、是/否；部分完成、基本相符按未达标计，可用参数“部分达标得50%”），"
                                  "或与目标值比较的数值（请同时填写目标值）")
    return _against_target(raw, target)


def _pass_eval(p: PassParams, target: Target | None, a, weight: float) -> Outcome:
    if isinstance(a, Verdict):
        ok, detail = a.ok, f"评价结论：{a.text}"
        if a.level == PARTIAL:
            rate = p.partial if p.partly is None else p.partly
            how = "按未达标计" if p.partly is None else "按“部分达标”计"
            return Outcome(rate=rate, detail=f"{detail}（部分达标，{how}，得{fmt_pct(rate)}权重分）")
    else:
        ok = target.met_by(a.value)
        detail = f"目标值{target.show()}，实际值{_show(a.value, target.quantity)}，" + ("已达标" if ok else "未达标")
    rate = 1.0 if ok else p.partial
    return Outcome(rate=rate, detail=detail)


def met_by(target: Target, x) -> "F.Expr":
    """Target.met_by as a formula."""
    t = target.value
    eps = 1e-9 * max(1.0, abs(t))
    return {"≥": lambda: x.ge(t - eps), ">": lambda: x.gt(t + eps), "≤": lambda: x.le(t + eps),
            "<": lambda: x.lt(t - eps), "=": lambda: F.ABS(x - t).le(eps)}[target.op]()


def _pass_formula(p: PassParams, target: Target | None, ctx) -> Face:
    by_number = None
    if target is not None:
        by_number = F.IF(met_by(target, ctx.against(target).value), 1, p.partial)
    if ctx.source is not None:
        if by_number is None:
            ctx.fail("a 数据来源 percentage is no verdict")
        return Face(rate=by_number)
    yn = ctx.helper(F.yes_no(ctx.actual, ctx.text()))
    return Face(rate=F.IF(yn.eq(1), 1, F.IF(yn.eq(0), p.partial, by_number if by_number is not None else F.NA())))


register(RuleKind(
    name="达标得分",
    aliases=("完成得分", "是否完成", "全部完成得分", "是否达标", "符合得分", "通过得分", "是否符合"),
    summary="达到目标（或结论为 是/符合/完成）得满分，否则不得分（或得“未达标得X%”）。",
    syntax="可不填。可选：未达标得50%；部分达标得50%（实际值为 部分完成、基本相符 等时）",
    actual_hint="完成/未完成、符合/不符合、相符/不相符、达到/未达到、有/无、是/否（完整列表见“说明”页）；"
                "或与目标值比较的数值",
    examples=(Example("", "≥1次", "1次", 0.5, "全部完成得100%权重分，否则不得分"),
              Example("", "", "符合", 1, "选址与实际相符，符合得满分，不符合不得分")),
    parse_params=_pass_params, parse_actual=_pass_actual, evaluate=_pass_eval,
    evaluate_many=by_value(_pass_eval),
    monotone=True, tags=("multi", "verdict"),
    formula=_pass_formula,
))


# === 差额扣分 / 阈值扣分 / 变动率 (one linear-deduction core) ======================

@dataclass
class LinearParams(Parsed):
    step: Step | None = None
    line: Condition | None = None        # the full-marks line, if given in the params
    line_text: str = ""
    floor: Condition | None = None       # below/above this: 0
    rounding: str = "按比例"


_SUBJECT = re.compile(r"^[^\d≥>≤<=+\-.]*?(?=≥|>|≤|<|=|不低于|不高于|不超过|低于|高于|超过|不足|[+-]?\d)")


def _strip_subject(s: str) -> str:
    """'满意度≥90%' -> '≥90%', '满分线90%' -> '90%'."""
    return _SUBJECT.sub("", s, count=1)


def _line_from_segment(s: str) -> Condition | None:
    body = s
    for tail in ("得满分", "满分", "得100%"):
        if body.endswith(tail):
            body = body[: -len(tail)]
            break
    body = _strip_subject(body)
    try:
        cond = parse_condition(body)
    except RuleError:
        return None
    if cond.low is not None and cond.high is not None:
        if cond.low.value != cond.high.value:
            raise RuleError("params", f"满分线“{s}”应为单边条件，如 ≥90% 或 ≤0%")
        cond = Condition(cond.low, None, cond.text)          # "90%" alone: at least 90%
    return cond


def _linear_params(text: str, target: Target | None, *, kind: str, need_line: bool) -> LinearParams:
    p = LinearParams()
    p.rounding, segs = take_rounding(segments(text or ""))
    for s in segs:
        step = parse_step(s)
        if step is not None:
            if p.step is not None:
                raise RuleError("params", f"扣分步长写了两次：“{s}”")
            p.step = step
        elif s.endswith("不得分") or s.endswith("得0分"):
            p.floor = parse_condition(_strip_subject(s[:-3]))
        else:
            line = _line_from_segment(s)
            if line is None:
                raise RuleError("params", f"“{s}”无法识别")
            p.line = line
    if p.step is None:
        raise RuleError("params", f"{kind}需要扣分步长，如“每少1次扣20%”“每下降1%扣5%”“每超过5%扣10%”")
    if p.line is None and need_line:
        raise RuleError("params", f"{kind}需要满分线，如“≥90%得满分”或“≤0%得满分”")
    if p.line is not None and p.step.below is not None and p.step.below != (p.line.low is not None):
        raise RuleError("params", "满分线与扣分方向矛盾：“≥”的满分线配“每下降…扣…”，“≤”的满分线配“每超过…扣…”")
    return p


def _linear_eval(p: LinearParams, target: Target | None, a: Quantity, weight: float,
                 *, noun: str = "实际值") -> Outcome:
    eps = 1e-9
    if p.line is not None:
        below = p.line.low is not None                     # a ≥ line: deduct below it
        line_value = (p.line.low or p.line.high).value
        met = p.line.holds(a.value)
        ref = "满分线" + Quantity(line_value, a.unit).notation()
        ref_full = ("满分线≥" if below else "满分线≤") + Quantity(line_value, a.unit).notation()
    else:
        if target is None:
            raise RuleError("target", "需要目标值（或在计分参数中写满分线，如“≥90%得满分”）")
        below = p.step.below if p.step.below is not None else target.positive
        line_value = target.value
        met = (a.value >= line_value - eps) if below else (a.value <= line_value + eps)
        ref = "目标值" + target.quantity.notation()
        ref_full = "目标值" + target.show()
    shown = a.show()
    if met:
        return Outcome(rate=1.0, detail=f"{noun}{shown}，达到{ref_full}，得满分")
    if p.floor is not None and p.floor.holds(a.value):
        return Outcome(rate=0.0, detail=f"{noun}{shown}，属于“{p.floor.text}”，不得分")
    gap = (line_value - a.value) if below else (a.value - line_value)
    units = step_units(gap, p.step.size, p.rounding)
    gap_show = fmt_num(gap * 100) + "个百分点" if a.is_percent else fmt_num(gap) + (a.unit or p.step.unit)
    per = f"每{'少' if below else '超'}{p.step.show_size()}扣{p.step.amount.show()}"
    head = f"{noun}{shown}，{'低于' if below else '高于'}{ref}共{gap_show}，{per}"
    return deduction(units, p.step.amount, weight, head)


def _linear_many(p: LinearParams, target: Target | None, actuals: list, weights, values=None):
    import numpy as np

    a = _nums(actuals) if values is None else values
    eps = 1e-9
    if p.line is not None:
        below = p.line.low is not None
        line_value = (p.line.low or p.line.high).value
        met = p.line.holds_many(a)
    else:
        if target is None:
            raise RuleError("target", "需要目标值（或在计分参数中写满分线，如“≥90%得满分”）")
        below = p.step.below if p.step.below is not None else target.positive
        line_value = target.value
        met = (a >= line_value - eps) if below else (a <= line_value + eps)
    zero = np.zeros(len(a), dtype=bool) if p.floor is None else (~met & p.floor.holds_many(a))
    gap = (line_value - a) if below else (a - line_value)
    units = step_units_many(gap, p.step.size, p.rounding)
    rate, points = _deduction_many(units, p.step.amount, weights, 0.0, zero)
    return np.where(met, 1.0, rate), np.where(met, np.nan, points), None


def _linear_formula(p: LinearParams, target: Target | None, a, ctx) -> Face:
    """_linear_eval as a formula, on the number ``a``."""
    eps = 1e-9
    if p.line is not None:
        below = p.line.low is not None
        line_value = (p.line.low or p.line.high).value
        met = F.holds(a, p.line)
    else:
        if target is None:
            raise RuleError("target", "需要目标值（或在计分参数中写满分线，如“≥90%得满分”）")
        below = p.step.below if p.step.below is not None else target.positive
        line_value = target.value
        met = a.ge(line_value - eps) if below else a.le(line_value + eps)
    w = ctx.weight
    gap = (line_value - a) if below else (a - line_value)
    deduct = F.step_units(gap, p.step.size, p.rounding) * p.step.amount.value
    cut = (w - deduct) if p.step.amount.points else (1 - deduct) * w
    if p.floor is not None:
        cut = F.IF(F.holds(a, p.floor), 0, cut)
    return Face(points=F.IF(met, w, cut))


def _shortfall_formula(p: LinearParams, target: Target | None, ctx) -> Face:
    t = _need_target(target, "差额扣分")
    if p.step.percent != t.quantity.is_percent:
        raise RuleError("params", "扣分步长与目标值的单位不一致")
    return _linear_formula(p, t, ctx.against(t).value, ctx)


def _shortfall_actual(raw, target, params: LinearParams):
    t = _need_target(target, "差额扣分")
    q = _against_target(raw, t)
    if params.step.percent != t.quantity.is_percent:
        raise RuleError("params", f"扣分步长“{params.step.show_size()}”与目标值{t.show()}的单位不一致")
    return q


register(RuleKind(
    name="差额扣分",
    aliases=("按差额扣分", "每少扣分", "少一次扣分", "按缺口扣分", "每少一次扣分"),
    summary="达到目标值得满分；每比目标少一个步长扣一定比例（或一定分数），扣完为止。反向指标写“每多1次扣…”。",
    syntax="每少1次扣20%（扣分值占分值的比例）或 每少1人扣0.01分（扣分数）；可加：向上取整 / 向下取整（默认按比例）",
    actual_hint="数值，与目标值单位一致，如 4、4次",
    examples=(Example("每少1次扣20%", "≥5次", "4次", 0.5, "完成得100%权重分，否则每少一次扣20%权重分，扣完为止"),
              Example("每少1人扣0.01分", "≥5538人", "5516人", 3, "比指标数少22人，扣0.22分")),
    parse_params=lambda t, tg: _linear_params(t, tg, kind="差额扣分", need_line=False),
    parse_actual=_shortfall_actual,
    evaluate=_linear_eval,
    evaluate_many=_bind(_linear_many, _linear_eval),
    needs_target=True, needs_params=True, monotone=True,
    formula=_shortfall_formula,
))


def _threshold_actual(raw, target, params: LinearParams):
    percent = params.step.percent or bool(params.line and "%" in params.line.text)
    if params.line is None and target is not None:
        percent = target.quantity.is_percent
    return _numeric(raw, percent)


def _threshold_formula(p: LinearParams, target: Target | None, ctx) -> Face:
    percent = p.step.percent or bool(p.line and "%" in p.line.text)
    if p.line is None and target is not None:
        percent = target.quantity.is_percent
    return _linear_formula(p, target, ctx.numeric(percent).value, ctx)


register(RuleKind(
    name="阈值扣分",
    aliases=("阈值线性扣分", "每下降扣分", "线性扣分", "低于扣分"),
    summary="达到满分线得满分，否则每低于（或高于）一个步长扣一定比例，扣完为止；可设“低于60%不得分”。"
            "满分线写在参数里，不写则用目标值。",
    syntax="≥90%得满分；每下降1%扣5%（可加：低于60%不得分；向上取整）",
    actual_hint="数值，多为百分比，如 96%",
    examples=(Example("≥90%得满分；每下降1%扣5%", "≥90%", "96%", 8,
                      "满意度≥90%得100%权重分，否则每下降1%扣5%权重分，扣完为止"),
              Example("≥100%得满分；每下降1%扣20%", "=100%", "97%", 1,
                      "到位率为100%得满分，否则每下降1%扣20%权重分，扣完为止")),
    parse_params=lambda t, tg: _linear_params(t, tg, kind="阈值扣分", need_line=False),
    parse_actual=_threshold_actual,
    evaluate=_linear_eval,
    evaluate_many=_bind(_linear_many, _linear_eval),
    needs_params=True, monotone=True,
    formula=_threshold_formula,
))


@dataclass(frozen=True)
class ChangeRate:
    rate: Quantity
    current: float | None = None
    previous: float | None = None

    @property
    def value(self) -> float:
        return self.rate.value

    @property
    def is_percent(self) -> bool:
        return True

    @property
    def unit(self) -> str:
        return "%"

    def show(self) -> str:
        return self.rate.show()


def _change_actual(raw, target, params):
    if isinstance(raw, str):
        parts = [x for x in re.split(r"[;,/、|]", clean(raw)) if x]
        if len(parts) == 2:
            try:
                cur = float(re.sub(r"^(本年|本期|当年)", "", parts[0]).rstrip("元万"))
                prev = float(re.sub(r"^(上年|上期|去年)", "", parts[1]).rstrip("元万"))
            except ValueError:
                raise RuleError("actual", f"实际值“{raw}”应为变动率（如 -77.23%）或“本年值;上年值”") from None
            if prev == 0:
                raise RuleError("actual", "上年值为 0，无法计算变动率")
            return ChangeRate(Quantity((cur - prev) / prev, "%"), cur, prev)
    return ChangeRate(_numeric(raw, True))


def _change_eval(p: LinearParams, target, a: ChangeRate, weight: float) -> Outcome:
    out = _linear_eval(p, target, a.rate, weight, noun="变动率")
    if a.current is not None:
        formula = (f"变动率=({fmt_num(a.current)}-{fmt_num(a.previous)})/{fmt_num(a.previous)}"
                   f"×100%={a.rate.show()}，")
        out = Outcome(rate=out.rate, points=out.points,
                      detail=formula + out.detail.replace(f"变动率{a.rate.show()}，", "", 1))
    return out


def _change_many(p: LinearParams, target, actuals: list, weights):
    import numpy as np

    values = np.fromiter((a.rate.value for a in actuals), dtype=float, count=len(actuals))
    return _linear_many(p, target, actuals, weights, values)


#: separators of "本年值;上年值" a formula reads: _change_actual's less ",", which values.clean may
#: first take for a thousands separator ("1,234" is one number)
_CHANGE_SEPARATORS = ";/、|"


def _change_formula(p: LinearParams, target, ctx) -> Face:
    """_change_actual + _change_eval: a rate, or "本年值;上年值"."""
    if ctx.source is not None:
        return _linear_formula(p, target, ctx.numeric(True).value, ctx)
    t = ctx.text()
    single = ctx.numeric(True).value
    bare, unified = t, t
    for c in _CHANGE_SEPARATORS + ",":
        bare = F.SUBSTITUTE(bare, c, "")
    for c in _CHANGE_SEPARATORS[1:]:
        unified = F.SUBSTITUTE(unified, c, ";")
    unified = ctx.helper(unified)
    pos = F.call("FIND", ";", unified)
    current = ctx.helper(F.strip_prefix(F.LEFT(unified, pos - 1), ("本年", "本期", "当年")))
    previous = ctx.helper(F.strip_prefix(F.MID(unified, pos + 1, F.LEN(unified)), ("上年", "上期", "去年")))
    current, previous = ctx.helper(F.trailing_strip(current, "元万")), ctx.helper(F.trailing_strip(previous, "元万"))
    prev = ctx.helper(F.decimal(previous))
    pair = F.IF(prev.eq(0), F.NA(), (F.decimal(current) - prev) / prev)
    count = F.LEN(t) - F.LEN(bare)
    commas = F.contains(t, ",")
    rate = ctx.helper(F.IF(F.ISNUMBER(ctx.actual), single,
                           F.IF(count.eq(0), single, F.IF(F.AND(count.eq(1), F.NOT(commas)), pair, F.NA()))))
    return _linear_formula(p, target, rate, ctx)


register(RuleKind(
    name="变动率",
    aliases=("变动比率", "变动率扣分", "增长率"),
    summary="变动率=(本年−上年)/上年×100%；达到满分线（如 ≤0%）得满分，否则每超出一个步长扣一定比例。",
    syntax="≤0%得满分；每超过5%扣10%",
    actual_hint="变动率如 -77.23%，或“本年值;上年值”如 109896;482649.12",
    examples=(Example("≤0%得满分；每超过5%扣10%", "", "109896;482649.12", 2,
                      "“公用经费”变动比率≤0%得满分，否则每超过5%扣10%权重分，扣完为止"),
              Example("≤0%得满分；每超过5%扣10%", "", "8%", 2, "变动比率≤0%得满分，否则每超过5%扣10%权重分")),
    parse_params=lambda t, tg: _linear_params(t, tg, kind="变动率", need_line=True),
    parse_actual=_change_actual,
    evaluate=_change_eval,
    evaluate_many=_bind(_change_many, _change_eval),
    needs_params=True,
    formula=_change_formula,
))


# === 按问题扣分 ===================================================================

@dataclass
class FindingParams(Parsed):
    amount: Amount = None
    per: float = 1.0
    unit: str = "处"


_FINDING_RE = re.compile(
    rf"每(?:发现)?(?P<n>{_NUM}|[一二两三四五六七八九十])?(?P<unit>处|项|次|个|人|条|起|例|份|件|家|户)?"
    rf"[^扣]*扣(?:除)?(?P<amt>{_NUM})(?P<kind>%|分)")


def _finding_params(text: str, target) -> FindingParams:
    segs = segments(text or "")
    if len(segs) != 1:
        raise RuleError("params", "按问题扣分只需一段参数，如“每处扣25%”")
    m = _FINDING_RE.fullmatch(segs[0])
    if not m:
        raise RuleError("params", f"“{segs[0]}”无法识别，应写成“每处扣25%”或“每项扣0.5分”")
    amt = float(m.group("amt"))
    return FindingParams(amount=Amount(amt / 100, False) if m.group("kind") == "%" else Amount(amt, True),
                         per=cn_number(m.group("n")) if m.group("n") else 1.0,
                         unit=m.group("unit") or "处")


def _count_actual(raw, target, params):
    yn = parse_yes_no(raw)
    if yn is False:           # 无 / 否: no findings
        return 0
    if isinstance(raw, str) and clean(raw) in ("未发现", "没有", "零", "0处"):
        return 0
    try:
        q = parse_quantity(raw)
    except ValueError:
        raise RuleError("actual", f"实际值“{raw}”应为发现问题的数量，如 0、2处") from None
    if q.value < 0 or abs(q.value - round(q.value)) > 1e-9 or q.is_percent:
        raise RuleError("actual", f"实际值“{raw}”应为非负整数（发现问题的数量）")
    return int(round(q.value))


def _finding_eval(p: FindingParams, target, n: int, weight: float) -> Outcome:
    if n == 0:
        return Outcome(rate=1.0, detail="未发现问题")
    units = n / p.per
    per = f"每{fmt_num(p.per) if p.per != 1 else ''}{p.unit}扣{p.amount.show()}"
    return deduction(units, p.amount, weight, f"发现问题{n}{p.unit}，{per}")


def _finding_many(p: FindingParams, target, actuals: list, weights):
    import numpy as np

    n = np.array(actuals, dtype=float)
    rate, points = _deduction_many(n / p.per, p.amount, weights, 1.0, n == 0)
    return rate, points, None


_NO_FINDINGS = ("未发现", "没有", "零", "0处")


def _finding_formula(p: FindingParams, target, ctx) -> Face:
    a, t = ctx.actual, ctx.text()
    q = ctx.quantity(percent=False, pct=False, units=F.UNITS).value
    whole = F.IF(F.AND(q.ge(0), F.ABS(q - F.ROUND(q, 0)).le(1e-9)), F.ROUND(q, 0), F.NA())
    n = ctx.helper(F.IF(F.call("ISLOGICAL", a), F.IF(a, F.NA(), 0),
                        F.IF(F.OR(F.words(t, NO_WORDS), F.words(t, _NO_FINDINGS)), 0, whole)))
    w = ctx.weight
    deduct = (n / p.per) * p.amount.value
    cut = (w - deduct) if p.amount.points else (1 - deduct) * w
    return Face(points=F.IF(n.eq(0), w, cut))


register(RuleKind(
    name="按问题扣分",
    aliases=("问题扣分", "每发现扣分", "发现问题扣分", "每处扣分"),
    summary="未发现问题得满分；每发现一处（项、次、人）扣一定比例或分数，扣完为止。",
    syntax="每处扣25% 或 每项扣0.5分（单位可写 处、项、次、个、人）",
    actual_hint="发现问题的数量，如 0、2处；“无”即 0",
    examples=(Example("每处扣25%", "", "0", 6, "现场核查财务凭证，每发现1处不符合上述要求扣25%权重分，扣完为止"),
              Example("每项扣20%", "", "1项", 5,
                      "部门工作在年度内均按时完成得100%，否则每发现1项未及时完成扣20%权重分")),
    parse_params=_finding_params, parse_actual=_count_actual, evaluate=_finding_eval,
    evaluate_many=_bind(_finding_many, _finding_eval),
    needs_params=True,
    formula=_finding_formula,
))


# === 分档得分 =====================================================================

@dataclass
class BandParams(Parsed):
    bands: list[tuple[Condition, Amount]] = field(default_factory=list)
    penalty: Step | None = None
    penalty_from: float = 1.0
    rounding: str = "按比例"
    percent: bool = False


def _band_params(text: str, target) -> BandParams:
    p = BandParams()
    p.rounding, segs = take_rounding(segments(text or ""))
    for s in segs:
        if "每" in s and "扣" in s:
            head, tail = s.split("每", 1)
            step = parse_step("每" + tail)
            if step is None:
                raise RuleError("params", f"“{s}”无法识别，超额扣分应写成“超过100%每1%扣5%”或“超支每1%扣5%”")
            m = re.search(rf"({_NUM})%", head)
            p.penalty_from = float(m.group(1)) / 100 if m else 1.0
            p.penalty = step
            continue
        if s.endswith("不得分"):
            cond_text, amount = s[:-3], Amount(0.0, False)
        else:
            m = re.fullmatch(r"(.+?)(?:得|:|→)(.+)", s)
            if not m:
                raise RuleError("params", f"“{s}”无法识别，每档写成“条件得分值”，如“90%(含)~100%得4分”")
            cond_text, amount = m.group(1), parse_amount(m.group(2))
        cond_text = re.sub(r"^(?:完成率|执行率|利用率|比率|实际值|否则)(?:在|为)?", "", cond_text)
        p.bands.append((parse_condition(cond_text), amount))
        p.percent = p.percent or "%" in cond_text
    if not p.bands:
        raise RuleError("params", "分档得分至少需要一档，如“100%得满分；80%以下不得分”")
    return p


def _band_actual(raw, target, params: BandParams):
    return _numeric(raw, params.percent)


def _band_eval(p: BandParams, target, a: Quantity, weight: float) -> Outcome:
    shown = a.show()
    if p.penalty is not None and a.value > p.penalty_from + 1e-9:
        gap = a.value - p.penalty_from
        units = step_units(gap, p.penalty.size, p.rounding)
        base = Quantity(p.penalty_from, a.unit).notation()
        gap_show = fmt_num(gap * 100) + "个百分点" if a.is_percent else fmt_num(gap)
        head = f"实际值{shown}，超过{base}，超出{gap_show}，每超{p.penalty.show_size()}扣{p.penalty.amount.show()}"
        return deduction(units, p.penalty.amount, weight, head)
    for cond, amount in p.bands:
        if cond.holds(a.value):
            what = "不得分" if amount.value == 0 else ("得满分" if not amount.points and amount.value == 1
                                                    else f"得{amount.show()}")
            return Outcome(rate=None if amount.points else amount.value,
                           points=amount.value if amount.points else None,
                           detail=f"实际值{shown}，属于“{cond.text}”档，{what}")
    raise RuleError("actual", f"实际值{shown}不在任何分档内，请检查计分参数是否覆盖了这个值")


def _band_many(p: BandParams, target, actuals: list, weights):
    import numpy as np

    a = _nums(actuals)
    n = len(a)
    rate, points = _nan(n), _nan(n)
    left = np.ones(n, dtype=bool)
    if p.penalty is not None:
        over = a > p.penalty_from + 1e-9
        units = step_units_many(a - p.penalty_from, p.penalty.size, p.rounding)
        r, pts = _deduction_many(units, p.penalty.amount, weights, np.nan, ~over)
        rate, points = np.where(over, r, rate), np.where(over, pts, points)
        left &= ~over
    for cond, amount in p.bands:
        m = left & cond.holds_many(a)
        if amount.points:
            points = np.where(m, amount.value, points)
        else:
            rate = np.where(m, amount.value, rate)
        left &= ~m
    return rate, points, left


def _band_formula(p: BandParams, target, ctx) -> Face:
    a = ctx.numeric(p.percent).value
    w = ctx.weight
    out = F.NA()                                 # in no band: the engine refuses the value
    for cond, amount in reversed(p.bands):
        out = F.IF(F.holds(a, cond), amount.value if amount.points else amount.value * w, out)
    if p.penalty is not None:
        deduct = F.step_units(a - p.penalty_from, p.penalty.size, p.rounding) * p.penalty.amount.value
        cut = (w - deduct) if p.penalty.amount.points else (1 - deduct) * w
        out = F.IF(a.gt(p.penalty_from + 1e-9), cut, out)
    return Face(points=out)


register(RuleKind(
    name="分档得分",
    aliases=("分档", "区间得分", "分段得分", "分档计分", "按区间得分"),
    summary="按实际值所在的区间得分，从左到右第一个符合的档生效；可加超额扣分（如超支每1%扣5%）。"
            "区间默认含下限、不含上限，上限要含时写“(含)”。",
    syntax="100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%",
    actual_hint="数值，多为百分比，如 105.66%",
    examples=(Example("100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%",
                      "", "105.66%", 4,
                      "支出预算完成率为100%得满分，否则90%(含)~100%得4分，80%(含)~90%得2分，80%以下不得分。"
                      "如若存在超支现象，按照每超支1%扣5%权重分计算，扣完为止"),
              Example("100%得满分；90%(含)~100%得1.5分；80%(含)~90%得1分；80%以下不得分",
                      "", "85%", 3,
                      "政府采购执行率为100%得满分，否则在90%(含)~100%得1.5分，80%(含)~90%得1分，80%以下不得分")),
    parse_params=_band_params, parse_actual=_band_actual, evaluate=_band_eval,
    evaluate_many=_bind(_band_many, _band_eval),
    needs_params=True,
    formula=_band_formula,
))


# === 清单计分 =====================================================================

_LABEL = r"#(\d+)#|\((\d+)\)"
_CIRCLED_OUT = {i + 1: chr(0x2460 + i) for i in range(20)}


def show_label(n: int) -> str:
    return _CIRCLED_OUT.get(n, f"({n})")


@dataclass
class ChecklistParams(Parsed):
    items: dict[int, tuple[float, bool]] = field(default_factory=dict)   # label -> (share, gate)
    points: bool = False


def _labels(s: str) -> list[int]:
    m = re.fullmatch(rf"(?:{_LABEL})(?:~|至|到|-)(?:{_LABEL})", s)
    if m:
        a = int(m.group(1) or m.group(2))
        b = int(m.group(3) or m.group(4))
        if a > b:
            raise RuleError("params", f"要点范围“{s}”前大后小")
        return list(range(a, b + 1))
    found = re.findall(_LABEL, s)
    if not found or re.sub(rf"{_LABEL}|、", "", s):
        raise RuleError("params", f"“{s}”不是要点编号，要点写成 ①②③ 或 (1)(2)(3)")
    return [int(x or y) for x, y in found]


def _checklist_params(text: str, target) -> ChecklistParams:
    p = ChecklistParams()
    kinds = set()
    for s in segments(text or ""):
        m = re.fullmatch(rf"(?P<labels>.+?)(?:各|每项|分别)?(?:占|得)?(?P<amt>{_NUM})(?P<kind>%|分)"
                         r"(?:\((?P<flag>门槛|必备|前提|否决|必须满足|必须)\)|(?P<flag2>门槛|为门槛|必备))?", s)
        if not m:
            raise RuleError("params", f"“{s}”无法识别，每个要点写成“①20%”，门槛要点写成“①20%(门槛)”，"
                                      "同权重可写“①~④各25%”")
        share = float(m.group("amt"))
        kinds.add(m.group("kind"))
        share = share / 100 if m.group("kind") == "%" else share
        gate = bool(m.group("flag") or m.group("flag2"))
        for n in _labels(m.group("labels")):
            if n in p.items:
                raise RuleError("params", f"要点{show_label(n)}写了两次")
            p.items[n] = (share, gate)
    if not p.items:
        raise RuleError("params", "清单计分需要列出要点及其占比，如“①30%；②40%；③30%”")
    if len(kinds) > 1:
        raise RuleError("params", "要点占比不能同时用 % 和 分")
    p.points = kinds == {"分"}
    total = sum(v for v, _ in p.items.values())
    if not p.points:
        if total > 1 + 1e-9:
            raise RuleError("params", f"要点占比合计{fmt_pct(total)}，超过100%")
        if total < 1 - 1e-9:
            p.warnings.append(f"要点占比合计{fmt_pct(total)}，全部满足也只能得{fmt_pct(total)}权重分")
    return p


def _checklist_actual(raw, target, params: ChecklistParams) -> frozenset[int]:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(int(raw)) if float(raw).is_integer() else str(raw)
    s = clean(raw)
    if s in ("全部", "均满足", "全部满足", "都满足", "全部符合", "均符合"):
        return frozenset(params.items)
    if s in ("无", "均不满足", "都不满足", "0", "均不符合", "全部不满足"):
        return frozenset()
    s = re.sub(r"^(满足|符合)", "", s)
    if re.fullmatch(r"\d+(?:[、,;/ ]\d+)*", s):
        got = [int(x) for x in re.split(r"[、,;/ ]", s)]
    elif re.fullmatch(rf"(?:(?:{_LABEL})[、]?)+", s):
        got = [int(x or y) for x, y in re.findall(_LABEL, s)]
    else:
        raise RuleError("actual", f"实际值“{raw}”应列出满足的要点，如 ①②③、1,2,3、全部 或 无")
    unknown = [n for n in got if n not in params.items]
    if unknown:
        raise RuleError("actual", f"实际值中的要点{'、'.join(show_label(n) for n in unknown)}"
                                  f"不在计分参数里（参数中只有{''.join(show_label(n) for n in sorted(params.items))}）")
    return frozenset(got)


def _checklist_eval(p: ChecklistParams, target, met: frozenset[int], weight: float) -> Outcome:
    yes = sorted(met)
    no = sorted(set(p.items) - met)
    yes_s = "".join(show_label(n) for n in yes) or "无"
    no_s = "".join(show_label(n) for n in no) or "无"
    failed_gates = [n for n in no if p.items[n][1]]
    if failed_gates:
        return Outcome(rate=0.0, detail=f"未满足门槛要点{''.join(show_label(n) for n in failed_gates)}，此指标不得分")
    shares = [p.items[n][0] for n in yes]
    if p.points:
        pts = sum(shares)
        formula = "=" + "+".join(fmt_num(v) for v in shares) + "=" if len(shares) > 1 else ""
        return Outcome(points=pts, detail=f"满足{yes_s}，未满足{no_s}；得分{formula}{fmt_num(pts)}分")
    rate = sum(shares)
    formula = "=" + "+".join(fmt_pct_short(v) for v in shares) + "=" if len(shares) > 1 else ""
    return Outcome(rate=rate, detail=f"满足{yes_s}，未满足{no_s}；得分率{formula}{fmt_pct(rate)}")


_ALL_MET = ("全部", "均满足", "全部满足", "都满足", "全部符合", "均符合")
_NONE_MET = ("无", "均不满足", "都不满足", "0", "均不符合", "全部不满足")


def _label_forms(n: int) -> list[str]:
    """How a label n is typed: ① ❶ ⓵ (values.clean turns them into #n#) or (n)."""
    out = [chr(0x2460 + n - 1)] if n <= 20 else []
    out += [chr(0x2776 + n - 1), chr(0x24F5 + n - 1)] if n <= 10 else []
    return out + [f"({n})"]


def _checklist_formula(p: ChecklistParams, target, ctx) -> Face:
    """_checklist_actual + _checklist_eval: which labels the text names, then shares and gates."""
    a, t = ctx.actual, ctx.text()
    s = ctx.helper(F.IF(F.call("ISLOGICAL", a), F.NA(),
                        F.IF(F.ISNUMBER(a), F.IF(a.eq(F.INT(a)), a.cat(""), F.NA()), t)))
    body = ctx.helper(F.strip_prefix(s, ("满足", "符合")))
    listed = body
    for sep in ",;/":
        listed = F.SUBSTITUTE(listed, sep, "、")
    # "1、2" -> "、1、、2、": every number between its own two separators
    numbers = ctx.helper(F.lift("、").cat(F.SUBSTITUTE(listed, "、", "、、")).cat("、"))
    rest_numbers, rest_labels = numbers, body
    for n in sorted(p.items):
        rest_numbers = F.SUBSTITUTE(rest_numbers, f"、{n}、", "")
        for form in _label_forms(n):
            rest_labels = F.SUBSTITUTE(rest_labels, form, "")
    labels_ok = F.AND(F.LEN(body).gt(0), F.NOT(F.LEFT(body, 1).eq("、")), F.NOT(F.contains(body, "、、")),
                      F.SUBSTITUTE(rest_labels, "、", "").eq(""))
    form = ctx.helper(F.IF(F.words(s, _ALL_MET), 1, F.IF(F.words(s, _NONE_MET), 0,
                      F.IF(rest_numbers.eq(""), 2, F.IF(labels_ok, 3, F.NA())))))

    def met(n: int):
        named = F.OR(*(F.contains(body, f) for f in _label_forms(n)))
        return F.IF(form.eq(1), 1, F.IF(form.eq(2), F.IF(F.contains(numbers, f"、{n}、"), 1, 0),
                                        F.IF(form.eq(3), F.IF(named, 1, 0), 0)))
    total = None
    for n in sorted(p.items):
        part = met(n) * p.items[n][0]
        total = part if total is None else total + part
    gates = [n for n in sorted(p.items) if p.items[n][1]]
    if gates:
        total = F.IF(F.OR(*(met(n).eq(0) for n in gates)), 0, total)
    total = F.IF(F.ISNUMBER(form), total, F.NA())
    return Face(points=total) if p.points else Face(rate=total)


register(RuleKind(
    name="清单计分",
    aliases=("加权清单", "要点计分", "逐项计分", "分项计分", "要点得分", "清单"),
    summary="评分标准列出若干要点（①②③…），每个要点占分值的一定比例，满足的要点相加；"
            "标为“门槛”的要点不满足时整项不得分。",
    syntax="①20%(门槛)；②40%；③40%   或   ①~④各25%   或   ①30%；②40%；③30%",
    actual_hint="满足的要点，如 ①②③、1,2,3、全部、无",
    examples=(Example("①20%(门槛)；②40%；③40%", "", "①③", 2,
                      "满足①得20%权重分，否则此指标不得分；②③分别占40%权重分"),
              Example("①30%；②40%；③30%", "", "①", 3, "①②③每项分别占30%、40%、30%的权重分")),
    parse_params=_checklist_params, parse_actual=_checklist_actual, evaluate=_checklist_eval,
    evaluate_many=by_value(_checklist_eval),
    needs_params=True,
    formula=_checklist_formula,
))


# === 等级评分 =====================================================================

@dataclass
class LevelParams(Parsed):
    levels: dict[str, tuple[str, Amount]] = field(default_factory=dict)   # normalized -> (label, amount)


def _level_params(text: str, target) -> LevelParams:
    p = LevelParams()
    s_all = clean(text or "")
    m = re.fullmatch(r"(.+?)分别(?:可)?得?(.+?)(?:的?权重分?)?", s_all)
    pairs: list[tuple[str, str]] = []
    if m and "、" in m.group(1):
        labels, values = m.group(1).split("、"), m.group(2).split("、")
        if len(labels) != len(values):
            raise RuleError("params", f"等级{len(labels)}个，得分{len(values)}个，数量不一致")
        pairs = list(zip(labels, values))
    else:
        for s in segments(text or ""):
            m2 = re.fullmatch(rf"(.+?)(?:=|:|→|得)?({_NUM}(?:%|分)|满分|不得分)", s)
            if not m2:
                raise RuleError("params", f"“{s}”无法识别，每个等级写成“优=100%”或“良=1.5分”")
            pairs.append((m2.group(1).rstrip("=:得"), m2.group(2)))
    if not pairs:
        raise RuleError("params", "等级评分需要列出各等级的得分，如“优=100%；良=75%；中=50%；差=0%”")
    for label, value in pairs:
        key = normalize(label)
        if key in p.levels:
            raise RuleError("params", f"等级“{label}”写了两次")
        p.levels[key] = (label, parse_amount(value))
    return p


def _level_actual(raw, target, params: LevelParams):
    key = normalize(raw)
    if key not in params.levels:
        allowed = "、".join(label for label, _ in params.levels.values())
        raise RuleError("actual", f"实际值“{raw}”不是计分参数中的等级（可选：{allowed}）")
    return key


def _level_eval(p: LevelParams, target, key: str, weight: float) -> Outcome:
    label, amount = p.levels[key]
    return Outcome(rate=None if amount.points else amount.value,
                   points=amount.value if amount.points else None,
                   detail=f"评价等级为“{label}”，对应{amount.show()}")


def _level_formula(p: LevelParams, target, ctx) -> Face:
    a, t = ctx.actual, ctx.text()
    w = ctx.weight
    out = F.NA()
    for key, (_, amount) in reversed(list(p.levels.items())):
        out = F.IF(F.EXACT(F.call("LOWER", t), key), amount.value if amount.points else amount.value * w, out)
    return Face(points=F.IF(F.OR(F.ISNUMBER(a), F.call("ISLOGICAL", a)), F.NA(), out))


register(RuleKind(
    name="等级评分",
    aliases=("等级", "分级评分", "按等级得分", "定性分级", "档次评分"),
    summary="按评定的等级得对应比例（或分数）。",
    syntax="优=100%；良=75%；中=50%；较差=25%；差=0%   或   优、良、中、较差、差分别得100%、75%、50%、25%、0%",
    actual_hint="等级名称，如 良",
    examples=(Example("优=100%；良=75%；中=50%；较差=25%；差=0%", "", "良", 2,
                      "部门考核情况分优、良、中、较差和差，分别可得100%、75%、50%、25%、0%的权重分"),
              Example("达成年度指标=100%；部分达成并具有一定效果=70%；未达成且效果较差=30%", "",
                      "部分达成并具有一定效果", 10, "定性指标按达成程度分三档")),
    parse_params=_level_params, parse_actual=_level_actual, evaluate=_level_eval,
    evaluate_many=by_value(_level_eval),
    needs_params=True,
    formula=_level_formula,
))


# === 酌情评分 =====================================================================

#: the three tiers of qualitative indicators in 项目支出绩效自评表 (DESIGN.md §1)
SELF_EVAL_TIERS = (("达成年度指标", Condition(Bound(0.8, False), Bound(1.0, True), "(80%,100%]")),
                   ("部分达成并具有一定效果", Condition(Bound(0.6, False), Bound(0.8, True), "(60%,80%]")),
                   ("未达成且效果较差", Condition(Bound(0.0, True), Bound(0.6, True), "[0%,60%]")))


@dataclass
class JudgementParams(Parsed):
    points: bool = False
    tier: Condition | None = None
    tiers: tuple = ()


def _judgement_params(text: str, target) -> JudgementParams:
    p = JudgementParams()
    for s in segments(text or ""):
        if s in ("得分率", "按得分率", "比例"):
            p.points = False
        elif s in ("得分", "按得分", "分数"):
            p.points = True
        elif s.startswith("区间"):
            p.tier = parse_condition(s[2:].lstrip("=:"))
        elif s in ("自评三档", "三档", "定性三档"):
            p.tiers = SELF_EVAL_TIERS
        else:
            raise RuleError("params", f"“{s}”无法识别；酌情评分可选参数：得分率 / 得分；区间80%~100%(含)；自评三档")
    return p


def _judgement_actual(raw, target, params: JudgementParams):
    if params.tiers and isinstance(raw, str):
        named = next(((label, c) for label, c in params.tiers if normalize(label) == normalize(clean(raw))), None)
        if named is not None:          # a tier named alone: the evaluator still chooses within it
            label, c = named
            raise RuleError("actual", f"“{label}”是自评档次，还需写出在该档 {c.text} 内判定的得分率，"
                                      f"如“{label} {_tier_example(c)}”")
        # "部分达成并具有一定效果 70%": the tier named, then the rate chosen within it
        m = re.fullmatch(rf"(.+?)[:：\s]*({_NUM}%)", clean(raw))
        if m and not re.fullmatch(rf"{_NUM}", m.group(1)):
            named = next((c for label, c in params.tiers if normalize(label) == normalize(m.group(1))), None)
            if named is None:
                raise RuleError("actual", f"“{m.group(1)}”不是自评档次"
                                          f"（可选：{'、'.join(l for l, _ in params.tiers)}）")
            q = _judgement_actual(m.group(2), target, params)
            if not named.holds(q.value):
                raise RuleError("actual", f"得分率{fmt_pct(q.value)}不在“{m.group(1)}”档{named.text}内")
            return q
    try:
        q = parse_quantity(raw, percent=not params.points and not (isinstance(raw, str) and clean(raw).endswith("分")))
    except ValueError as e:
        raise RuleError("actual", f"{e}；酌情评分的实际值填评价人判定的得分率（如 75%）或得分（如 1.5分）") from None
    if q.unit not in ("%", "分", ""):
        raise RuleError("actual", f"实际值“{raw}”应为得分率（如 75%）或得分（如 1.5分）")
    if q.value < 0:
        raise RuleError("actual", f"实际值“{raw}”不能为负")
    if q.is_percent and q.value > 1 + 1e-9:
        raise RuleError("actual", f"得分率“{raw}”超过100%")
    return q


def _tier_example(c: Condition) -> str:
    """A rate inside a tier, for the message: the middle of (60%,80%] is 70%."""
    low = c.low.value if c.low else 0.0
    high = c.high.value if c.high else 1.0
    return fmt_pct_short(round((low + high) / 2, 2))


def _judgement_eval(p: JudgementParams, target, q: Quantity, weight: float) -> Outcome:
    if q.is_percent:
        rate = q.value
        if p.tier is not None and not p.tier.holds(rate):
            raise RuleError("actual", f"得分率{fmt_pct(rate)}不在规定区间“{p.tier.text}”内")
        tier = next((f"，属于“{label}”档{c.text}" for label, c in p.tiers if c.holds(rate)), "")
        return Outcome(rate=rate, detail=f"评价人酌情判定得分率{fmt_pct(rate)}{tier}")
    if q.value > weight + 1e-9:
        raise RuleError("actual", f"酌情得分{fmt_num(q.value)}分超过分值{fmt_num(weight)}分")
    if p.tier is not None and not p.tier.holds(q.value / weight):
        raise RuleError("actual", f"得分率{fmt_pct(q.value / weight)}不在规定区间“{p.tier.text}”内")
    return Outcome(points=q.value, detail=f"评价人酌情判定得{fmt_num(q.value)}分")


def _judgement_formula(p: JudgementParams, target, ctx) -> Face:
    """_judgement_actual + _judgement_eval: a rate (or points) typed by the evaluator."""
    w = ctx.weight
    if ctx.source is not None:
        value, is_rate = ctx.source_value(), F.lift(1)
    else:
        a, t = ctx.actual, ctx.text()
        u, x = ctx.parts()
        bare_rate = 0 if p.points else 1         # a bare number is a rate unless the params say 得分

        def bare(v):
            return v if p.points else F.IF(F.ABS(v).gt(10), F.NA(), v)
        number = F.IF(F.ISNUMBER(a), bare(a),
                      F.IF(u.eq("%"), x / 100, F.IF(u.eq("‰"), x / 1000, F.IF(u.eq("分"), x,
                                                                             F.IF(u.eq(""), bare(x), F.NA())))))
        flag = F.IF(F.ISNUMBER(a), bare_rate, F.IF(F.OR(u.eq("%"), u.eq("‰")), 1, F.IF(u.eq("分"), 0, bare_rate)))
        if p.tiers:
            labels = [label for label, _ in p.tiers]
            if any(x != y and normalize(y).startswith(normalize(x)) for x in labels for y in labels):
                ctx.fail("one tier name begins another")
            which = ctx.helper(F.IF(F.ISNUMBER(a), 0, _first_match(t, labels)))
            after = F.MID(t, 1 + _pick(which, [len(normalize(label)) for label in labels]), F.LEN(t))
            rest = ctx.helper(F.IF(which.eq(0), "", _strip_colons(after)))
            ok = F.IF(F.LEN(rest).gt(1), F.AND(F.RIGHT(rest, 1).eq("%"),
                                               F.ISNUMBER(F.call("FIND", F.LEFT(rest, 1), F.DIGITS))), False)
            # "90%" after the tier name: a number that begins with a digit (a sign is refused there)
            named = ctx.helper(F.magnitude(ctx.helper(F.IF(ok, F.LEFT(rest, F.LEN(rest) - 1), ""))) / 100)
            in_tier = named
            for i, (_, cond) in reversed(list(enumerate(p.tiers, start=1))):
                in_tier = F.IF(which.eq(i), F.IF(F.holds(named, cond), named, F.NA()), in_tier)
            signed = F.AND(F.RIGHT(t, 1).eq("%"), F.OR(*(F.LEFT(t, 1).eq(c) for c in "+-.")))
            number = F.IF(which.gt(0), in_tier, F.IF(signed, F.NA(), number))
            flag = F.IF(which.gt(0), 1, flag)
        value, is_rate = ctx.helper(F.IF(F.call("ISLOGICAL", a), F.NA(), number)), ctx.helper(flag)
    ok = value.ge(0)
    rate = F.IF(F.AND(ok, value.le(1 + 1e-9)), value, F.NA())
    points = F.IF(F.AND(ok, value.le(w + 1e-9)), value, F.NA())
    if p.tier is not None:
        rate = F.IF(F.holds(value, p.tier), rate, F.NA())
        points = F.IF(F.holds(value / w, p.tier), points, F.NA())
    return Face(points=F.IF(is_rate.eq(1), rate * w, points))


def _first_match(t, labels: list[str]):
    """1-based index of the label ``t`` begins with, 0 for none."""
    out = F.lift(0)
    for i, label in reversed(list(enumerate(labels, start=1))):
        key = normalize(label)
        out = F.IF(F.EXACT(F.call("LOWER", F.LEFT(t, len(key))), key), i, out)
    return out


def _pick(index, values: list[float]):
    out = F.lift(values[-1])
    for i, v in reversed(list(enumerate(values[:-1], start=1))):
        out = F.IF(index.eq(i), v, out)
    return out


def _strip_colons(x, times: int = 3):
    """``x`` without up to ``times`` leading ':' (the regex's [:：\\s]*, after cleaning)."""
    count = F.lift(times)
    for k in range(times, 0, -1):
        count = F.IF(F.MID(x, k, 1).eq(":"), count, k - 1)
    return F.MID(x, count + 1, F.LEN(x))


register(RuleKind(
    name="酌情评分",
    aliases=("评价判断", "酌情扣分", "专家判断", "主观评分", "定性评分", "评价人判断"),
    summary="评分标准要求评价人酌情判定：实际值填判定的得分率（或得分），评价说明必须写明理由。"
            "可用“区间”限定得分率范围（如自评表定性指标的三档）。",
    syntax="可不填。可选：得分率（默认）/ 得分；区间80%~100%(含)",
    actual_hint="得分率如 75%，或得分如 1.5分",
    examples=(Example("", "", "75%", 2, "按计划完成得100%权重分，否则按完成比率酌情扣分"),
              Example("自评三档", "", "部分达成并具有一定效果 70%", 10,
                      "定性指标：达成年度指标 (100%–80%]，部分达成并具有一定效果 (80%–60%]，"
                      "未达成且效果较差 (60%–0%]")),
    parse_params=_judgement_params, parse_actual=_judgement_actual, evaluate=_judgement_eval,
    evaluate_many=by_value(_judgement_eval),
    needs_note=True,
    formula=_judgement_formula,
))
