"""The readable Chinese notation of 计分参数, parsed into small value objects.

Grammar pieces shared by the rule kinds (documented on the 说明 sheet):

* amount      ``20%`` (of the weight) or ``0.5分`` (points); ``满分``, ``不得分``
* step        ``每少1次扣20%``, ``每下降1%扣5%``, ``每超过5%扣10%``, ``每少1人扣0.01分``
* condition   ``100%``, ``=100%``, ``90%(含)~100%``, ``80%以下``, ``≥90%``, ``80%(含)以上``
* rounding    ``按比例`` (default), ``向上取整``, ``向下取整``
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from perfxl.model.values import _NUM, clean, fmt_num, fmt_pct_short

from .registry import RuleError

_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_NOISE = ("权重分", "权重", "扣完为止", "为止")


def segments(text: str) -> list[str]:
    """Split parameters on ； ; , ， and line breaks, dropping filler words."""
    s = clean(text)
    for word in _NOISE:
        s = s.replace(word, "")
    return [p for p in re.split(r"[;,\n。]+", s) if p]


def cn_number(s: str) -> float:
    if s in _CN_DIGITS:
        return float(_CN_DIGITS[s])
    return float(s)


# --- amounts ---------------------------------------------------------------

@dataclass(frozen=True)
class Amount:
    value: float      # fraction of the weight, or points
    points: bool

    def of(self, weight: float) -> float:
        return self.value if self.points else self.value * weight

    def show(self) -> str:
        return f"{fmt_num(self.value)}分" if self.points else f"{fmt_pct_short(self.value)}权重分"


_AMOUNT_RE = re.compile(rf"^({_NUM})(%|分)$")


def parse_amount(s: str, where: str = "params") -> Amount:
    if s in ("满分", "全分", "100%"):
        return Amount(1.0, False)
    if s in ("不得分", "0", "0分", "零分"):
        return Amount(0.0, False)
    m = _AMOUNT_RE.match(s)
    if not m:
        raise RuleError(where, f"“{s}”不是得分写法，应为 20%（占分值的比例）或 0.5分")
    v = float(m.group(1))
    return Amount(v / 100, False) if m.group(2) == "%" else Amount(v, True)


# --- steps (linear deduction) --------------------------------------------------

BELOW_WORDS = ("少", "低", "缺", "差", "下降", "降低", "减少", "不足", "短")
ABOVE_WORDS = ("多", "超支", "超过", "超出", "超", "增加", "高", "上升", "增长")
_STEP_RE = re.compile(
    rf"每(?P<verb>{'|'.join(sorted(BELOW_WORDS + ABOVE_WORDS, key=len, reverse=True))})?"
    rf"(?P<step>{_NUM}|[一二两三四五六七八九十])?(?P<unit>%|个百分点|[^\d扣]{{0,3}}?)"
    rf"扣(?P<amount>{_NUM})(?P<kind>%|分)$")


@dataclass(frozen=True)
class Step:
    below: bool | None   # True: deduct when short of the line; False: when above; None: from context
    size: float          # in the actual's units (percent as fraction)
    percent: bool
    amount: Amount
    unit: str = ""

    def show_size(self) -> str:
        return fmt_pct_short(self.size) if self.percent else f"{fmt_num(self.size)}{self.unit}"


def parse_step(seg: str) -> Step | None:
    """'每少1次扣20%' -> Step; None if the segment is not a step."""
    m = _STEP_RE.search(seg)
    if not m:
        return None
    verb = m.group("verb") or ""
    below = True if verb in BELOW_WORDS else False if verb in ABOVE_WORDS else None
    size = cn_number(m.group("step")) if m.group("step") else 1.0
    unit = m.group("unit") or ""
    percent = unit in ("%", "个百分点")
    if percent:
        size /= 100
    if size <= 0:
        raise RuleError("params", f"“{seg}”中的步长必须大于 0")
    amt = float(m.group("amount"))
    amount = Amount(amt / 100, False) if m.group("kind") == "%" else Amount(amt, True)
    return Step(below, size, percent, amount, "" if percent else unit)


ROUNDING = {"按比例": "按比例", "比例": "按比例", "连续": "按比例",
            "向上取整": "向上取整", "不足1个按1个": "向上取整", "进一": "向上取整",
            "向下取整": "向下取整", "整数": "向下取整", "去尾": "向下取整"}


def take_rounding(segs: list[str]) -> tuple[str, list[str]]:
    mode, rest = "按比例", []
    for s in segs:
        key = s.replace("取整=", "").replace("取整:", "")
        if key in ROUNDING:
            mode = ROUNDING[key]
        elif s.startswith("取整") and s[2:].lstrip("=:") in ("向上", "向下", "按比例"):
            mode = {"向上": "向上取整", "向下": "向下取整", "按比例": "按比例"}[s[2:].lstrip("=:")]
        else:
            rest.append(s)
    return mode, rest


def step_units(excess: float, size: float, mode: str) -> float:
    units = round(excess / size, 9)
    if mode == "向上取整":
        return float(math.ceil(units))
    if mode == "向下取整":
        return float(math.floor(units))
    return units


def step_units_many(excess, size: float, mode: str):
    """``step_units`` for every value of a numpy array (Python's rounding, value by value)."""
    import numpy as np

    units = np.array([round(u, 9) for u in (excess / size).tolist()], dtype=float)
    if mode == "向上取整":
        return np.ceil(units)
    if mode == "向下取整":
        return np.floor(units)
    return units


# --- conditions ---------------------------------------------------------------

@dataclass(frozen=True)
class Bound:
    value: float
    inclusive: bool


@dataclass(frozen=True)
class Condition:
    low: Bound | None
    high: Bound | None
    text: str

    def holds(self, x: float) -> bool:
        eps = 1e-9
        if self.low is not None:
            if x < self.low.value - eps or (not self.low.inclusive and x <= self.low.value + eps):
                return False
        if self.high is not None:
            if x > self.high.value + eps or (not self.high.inclusive and x >= self.high.value - eps):
                return False
        return True

    def holds_many(self, x):
        """``holds`` for every value of a numpy array."""
        import numpy as np

        eps = 1e-9
        ok = np.ones(len(x), dtype=bool)
        if self.low is not None:
            ok &= ~((x < self.low.value - eps) | ((not self.low.inclusive) & (x <= self.low.value + eps)))
        if self.high is not None:
            ok &= ~((x > self.high.value + eps) | ((not self.high.inclusive) & (x >= self.high.value - eps)))
        return ok


_INC = r"(?:\(含\)|含)"
_Q = rf"{_NUM}%?"


def _q(s: str) -> float:
    return float(s[:-1]) / 100 if s.endswith("%") else float(s)


def parse_condition(s: str) -> Condition:
    """'100%', '90%(含)~100%', '80%以下', '≥90%', '80%(含)以上', '-5%~0%(含)'."""
    text = s
    s = s.replace("为", "", 1) if s.startswith("为") else s
    m = re.fullmatch(rf"({_Q})({_INC})?(?:~|至|到|-)({_Q})({_INC})?", s)
    if m:
        lo, hi = _q(m.group(1)), _q(m.group(3))
        if lo > hi:
            raise RuleError("params", f"区间“{text}”下限大于上限")
        # default: lower bound included, upper excluded, unless marked (含)
        return Condition(Bound(lo, True), Bound(hi, bool(m.group(4))), text)
    m = re.fullmatch(rf"(?:=|等于)?({_Q})", s)
    if m:
        v = _q(m.group(1))
        return Condition(Bound(v, True), Bound(v, True), text)
    m = re.fullmatch(rf"(≥|>|≤|<|不低于|不少于|低于|不足|不高于|不超过|高于|超过|大于|小于)({_Q})", s)
    if m:
        op, v = m.group(1), _q(m.group(2))
        if op in ("≥", "不低于", "不少于"):
            return Condition(Bound(v, True), None, text)
        if op in (">", "高于", "超过", "大于"):
            return Condition(Bound(v, False), None, text)
        if op in ("≤", "不高于", "不超过"):
            return Condition(None, Bound(v, True), text)
        return Condition(None, Bound(v, False), text)
    m = re.fullmatch(rf"({_Q})({_INC})?(以下|以上|及以下|及以上)({_INC})?", s)
    if m:
        v = _q(m.group(1))
        inc = bool(m.group(2) or m.group(4)) or m.group(3).startswith("及")
        if m.group(3).endswith("以下"):
            return Condition(None, Bound(v, inc), text)
        return Condition(Bound(v, inc), None, text)
    raise RuleError("params", f"条件“{text}”无法识别，可写 100%、90%(含)~100%、80%以下、≥90%")

