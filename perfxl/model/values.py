"""Numbers, percentages, targets and actual values as people type them in Excel.

Accepts ``62``, ``62家``, ``96%``, ``0.96``, ``９６％``, ``1,234.5``, ``≥60家``, ``不低于90%``.
Percentages are held as fractions (96% -> 0.96). Errors are ``ValueError`` with a
Chinese message that the caller puts into a problem.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING

from perfxl.model.text import is_blank, unspaced

if TYPE_CHECKING:
    from datetime import date

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUM_RE = re.compile(rf"^({_NUM})\s*(.*)$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?:\D|$))")

#: a bare number this large against a percentage target is almost surely a missing "%"
PERCENT_SUSPECT = 10.0


_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}
_CIRCLED.update({chr(0x2776 + i): i + 1 for i in range(10)})   # ❶..❿
_CIRCLED.update({chr(0x24F5 + i): i + 1 for i in range(10)})   # ⓵..⓾


def clean(text: object) -> str:
    """NFKC, unify minus signs and comparators, drop thousands separators, spaces (invisible characters too)
    and a leading quote prefix (').

    Circled numbers (①, which NFKC would turn into a bare 1) become ``#1#``.
    """
    if isinstance(text, Quantity):
        text = text.notation()
    elif isinstance(text, Percent):
        text = fmt_pct_short(text)
    return _clean(str(text))


#: texts up to this length are remembered (thousands of workbooks repeat the same words)
_MEMO_LEN = 256


def _clean(text: str) -> str:
    return _clean_memo(text) if len(text) <= _MEMO_LEN else _clean_text(text)


def _clean_text(text: str) -> str:
    s = "".join(f"#{_CIRCLED[ch]}#" if ch in _CIRCLED else ch for ch in text)
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\u2212", "-").replace("—", "-").replace("\u2013", "-")
    s = s.replace("≧", "≥").replace("≦", "≤").replace(">=", "≥").replace("<=", "≤")
    s = _THOUSANDS.sub("", s)
    s = unspaced(s)
    # a quote prefix kept as text: Calc keeps the ' typed before =100% or 62家 in a text-formatted cell
    return s[1:] if s.startswith("'") else s


_clean_memo = lru_cache(maxsize=16384)(_clean_text)


_HUGE = 1e15     # beyond this, two decimals mean nothing and Decimal.quantize overflows


_ROUNDED: dict[float, float] = {}
_CENT = Decimal("0.01")


def round2(x: float) -> float:
    """Round half up to 2 decimals (2.865 -> 2.87), immune to binary noise. Figures repeat (weights,
    scores): each is rounded once (a bounded memo; zero, whose sign a key would lose, is not kept)."""
    got = _ROUNDED.get(x)
    if got is not None:
        return got
    if not math.isfinite(x) or abs(x) >= _HUGE:
        return x
    out = float(Decimal(repr(round(x, 9))).quantize(_CENT, rounding=ROUND_HALF_UP))
    if x:
        if len(_ROUNDED) >= 65_536:
            _ROUNDED.clear()
        _ROUNDED[x] = out
    return out


#: figures repeat (weights, scores, rates, a collection's targets): each is formatted once. Typed: a
#: Percent or an int formats as the float it equals, but the caches are not asked to know that
@lru_cache(maxsize=16384, typed=True)
def fmt_num(x: float, places: int = 2) -> str:
    """2 -> '2', 2.5 -> '2.5', 0.8333 -> '0.83', 482649.12 -> '482649.12'."""
    if not math.isfinite(x) or abs(x) >= _HUGE:
        return format(x, ".6g")
    q = Decimal(repr(round(x, 9))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def fmt_score(x: float) -> str:
    """Scores always show 2 decimals: 2 -> '2.00'."""
    return f"{round2(x):.2f}"


@lru_cache(maxsize=16384, typed=True)
def fmt_pct(fraction: float, places: int = 2) -> str:
    """A computed or measured percentage, always with two decimals as reports print them:
    0.7169 -> '71.69%', 0.954 -> '95.40%', 1 -> '100.00%'."""
    x = fraction * 100
    if not math.isfinite(x) or abs(x) >= _HUGE:
        return format(x, ".6g") + "%"
    q = Decimal(repr(round(x, 9))).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    return ("0." + "0" * places if s.lstrip("-").strip("0.") == "" else s) + "%"


def fmt_pct_short(fraction: float) -> str:
    """A percentage as notation (a target, a threshold, a share in 计分参数), trailing zeros
    dropped as people write it: 0.9 -> '90%', 0.055 -> '5.5%'."""
    return fmt_num(fraction * 100, 4) + "%"


class Percent(float):
    """A number a cell shows as a percentage (a percent number format, or an OpenDocument
    percentage): the fraction behind it, 90% -> Percent(0.9). Everything that reads numbers
    takes it as the float it is; what reads targets and actual values takes it as "90%"."""
    __slots__ = ()

    def __repr__(self) -> str:
        return f"Percent({float(self)!r})"

    def __reduce__(self) -> tuple[type[Percent], tuple[float]]:
        return (Percent, (float(self),))

    def __str__(self) -> str:          # messages show what the cell shows: 90%, not 0.9
        return self.as_text()

    def as_text(self) -> str:
        return fmt_pct_short(self)


@dataclass(frozen=True)
class Unparsed:
    """A cell that should hold a number but does not: the value as typed, kept for the message."""
    raw: object


def to_number(raw: object) -> "float | Unparsed | None":
    """A number cell parsed once: a float, ``Unparsed(raw)`` when it is not a number, None when blank."""
    if is_blank(raw):
        return None
    try:
        return parse_number(raw)
    except ValueError:
        return Unparsed(raw)


@dataclass(frozen=True)
class Quantity:
    value: float          # percentages as fractions
    unit: str = ""        # "%" for a percentage, else 家 / 人 / 次 / 万元 ... or ""

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    def show(self) -> str:
        """As a measured value: percentages with two decimals (95.40%)."""
        if self.is_percent:
            return fmt_pct(self.value)
        return fmt_num(self.value) + self.unit

    def notation(self) -> str:
        """As written in a target or a parameter: 90%, 60家."""
        if self.is_percent:
            return fmt_pct_short(self.value)
        return fmt_num(self.value) + self.unit


def parse_number(raw: object) -> float:
    """A plain number, optionally followed by 分: 2, '2', '２．５', '2分', '1,234.5'."""
    if isinstance(raw, bool):
        raise ValueError("是逻辑值，不是数字")
    if isinstance(raw, (int, float)):
        if isinstance(raw, float) and not math.isfinite(raw):
            raise ValueError("不是有限的数字")
        return float(raw)
    s = clean(raw)
    m = _NUM_RE.match(s)
    if not m or m.group(2) not in ("", "分"):
        raise ValueError(f"“{raw}”不是数字")
    return float(m.group(1))


def parse_year(raw: object) -> int | None:
    """A 评价年度 as validation accepts it: 2023, 2023.0, '2023', '2023年', '2023年度', '２０２３'; None when it
    is not a whole number (validation and consolidation read the year with this one function)."""
    try:
        y = parse_number(re.sub("年度?", "", str(raw)))
    except ValueError:
        return None
    return int(y) if y.is_integer() else None


def parse_quantity(raw: object, *, percent: bool = False) -> Quantity:
    """An actual or target value. ``percent``: the figure is expected to be a percentage.

    Numbers from Excel cells are taken as stored: a cell formatted 96% holds 0.96. A Quantity
    (e.g. a derived figure from 数据来源) is taken as it is.
    """
    if isinstance(raw, Quantity):
        return raw
    if isinstance(raw, Percent):
        return Quantity(float(raw), "%")
    if isinstance(raw, bool):
        raise ValueError("是逻辑值（TRUE/FALSE），不是数值")
    if isinstance(raw, (int, float)):
        if not math.isfinite(float(raw)):
            raise ValueError("不是有限的数字")
        value = float(raw)
        if percent and abs(value) > PERCENT_SUSPECT:
            raise ValueError(f"{fmt_num(value)} 作为百分比是 {fmt_pct(value)}，疑似漏写百分号")
        return Quantity(value, "%" if percent else "")
    s = clean(raw)
    if s.endswith("‰"):
        m = _NUM_RE.match(s[:-1])
        if m and not m.group(2):
            return Quantity(float(m.group(1)) / 1000, "%")
    m = _NUM_RE.match(s)
    if not m:
        raise ValueError(f"“{raw}”不是数值")
    number, unit = float(m.group(1)), m.group(2)
    if unit == "%":
        return Quantity(number / 100, "%")
    if unit and (not re.fullmatch(r"[A-Za-z\u4e00-\u9fff/·]{1,3}", unit)
                 or re.search(r"以|余|多|约|左右|近|超|吧", unit)):
        raise ValueError(f"“{raw}”不是数值（数字后只能跟单位，如 家、人、次、%）")
    if percent and not unit:
        if abs(number) > PERCENT_SUSPECT:
            raise ValueError(f"“{raw}”疑似漏写百分号：若指 {fmt_num(number)}%，请写“{fmt_num(number)}%”")
        return Quantity(number, "%")
    return Quantity(number, unit)


_OPS_PREFIX = (
    ("大于或等于", "≥"), ("小于或等于", "≤"), ("不小于", "≥"), ("不大于", "≤"),
    ("不低于", "≥"), ("不少于", "≥"), ("至少", "≥"), ("大于等于", "≥"), ("≥", "≥"),
    ("不高于", "≤"), ("不超过", "≤"), ("不多于", "≤"), ("至多", "≤"), ("小于等于", "≤"), ("≤", "≤"),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), (">", ">"),
    ("小于", "<"), ("低于", "<"), ("<", "<"),
    ("等于", "="), ("=", "="), ("达到", "≥"),
)
_OPS_SUFFIX = (("及以上", "≥"), ("以上", "≥"), ("及以下", "≤"), ("以下", "≤"), ("以内", "≤"))


@dataclass(frozen=True)
class Target:
    op: str               # one of ≥ ≤ = > <
    quantity: Quantity

    @property
    def value(self) -> float:
        return self.quantity.value

    @property
    def positive(self) -> bool:
        """正向 (more is better) unless the target caps the value from above."""
        return self.op not in ("≤", "<")

    def show(self) -> str:
        return self.op + self.quantity.notation()

    def met_by(self, x: float) -> bool:
        t = self.value
        eps = 1e-9 * max(1.0, abs(t))
        return {
            "≥": x >= t - eps, ">": x > t + eps, "≤": x <= t + eps,
            "<": x < t - eps, "=": abs(x - t) <= eps,
        }[self.op]


def parse_target(raw: object) -> Target:
    """'≥60家', '≤5%', '=100%', '100%', '不低于90%', '60家以上', 60."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Target("≥", parse_quantity(raw))
    s = clean(raw)
    if not s:
        raise ValueError("目标值为空")
    op = None
    for word, sym in _OPS_PREFIX:
        if s.startswith(word):
            op, s = sym, s[len(word):]
            break
    for word, sym in _OPS_SUFFIX:
        if s.endswith(word) and op in (None, sym):       # "达到90%以上": both say the same
            op, s = sym, s[: -len(word)]
            break
    try:
        q = parse_quantity(s)
    except ValueError:
        raise ValueError(f"目标值“{raw}”无法识别，应写成 ≥60家、≤5%、=100% 这样的“比较符+数字+单位”") from None
    return Target(op or "≥", q)


# --- verdicts: the words evaluators write for yes / no (the one mapping; the 说明 sheet lists it) --------

#: met: full marks under 达标得分 and the like
YES_WORDS = frozenset({
    "是", "有", "符合", "相符", "一致", "完成", "已完成", "全部完成", "圆满完成", "按时完成", "按期完成", "如期完成",
    "按时按量完成", "全面完成", "超额完成", "达标", "已达标", "达到", "已达到", "达成", "已达成", "达成年度指标",
    "满足", "通过", "合格", "√", "✓", "✔", "yes", "y", "true"})
#: not met
NO_WORDS = frozenset({
    "否", "无", "没有", "不符合", "不相符", "不一致", "未完成", "没有完成", "未按时完成", "未按期完成", "不达标",
    "未达标", "未达到", "未达成", "未达成且效果较差", "不满足", "未通过", "不合格", "×", "✗", "✘", "no", "n",
    "false"})
#: met in part: not met, unless the kind's parameters give a share for it (达标得分: 部分达标得50%)
PARTIAL_WORDS = frozenset({
    "部分完成", "基本完成", "部分相符", "基本相符", "部分符合", "基本符合", "基本一致", "部分达到", "基本达到",
    "部分达标", "基本达标", "部分达成", "部分达成并具有一定效果"})
YES, PARTIAL, NO = "yes", "partial", "no"


def parse_verdict(raw: object) -> str | None:
    """YES / PARTIAL / NO for a verdict word or an Excel logical; None when it is not one."""
    if isinstance(raw, bool):
        return YES if raw else NO
    if isinstance(raw, (int, float)) or raw is None:
        return None
    s = clean(raw).lower().rstrip("。.!！")
    if s in YES_WORDS:
        return YES
    if s in NO_WORDS:
        return NO
    if s in PARTIAL_WORDS:
        return PARTIAL
    return None


def parse_yes_no(raw: object) -> bool | None:
    """True / False for a yes-no word or Excel logical; None when it is not one (a partial verdict
    included: it is neither)."""
    v = parse_verdict(raw)
    return True if v == YES else False if v == NO else None


#: an indicator marked like this in 实际值 or 计分方法 does not apply this year: excluded from the total
NOT_APPLICABLE_WORDS = frozenset({"不适用", "不涉及", "本年不适用", "本年度不适用", "无此项", "n/a", "na"})


def is_not_applicable(raw: object) -> bool:
    return isinstance(raw, str) and _clean(raw).lower().rstrip("。.") in NOT_APPLICABLE_WORDS


# --- robustness: dates where numbers belong (可靠性与安全) --------------------------------------

def is_date(raw: object) -> bool:
    """A cell value a reader returned as a date or time: the cell was formatted as a date."""
    return isinstance(raw, _DATE_TYPES)


#: what a reader returns for a cell formatted as a date or time (is_date asks of every cell it is given)
_DATE_TYPES = (_dt.date, _dt.time, _dt.timedelta)


def excel_serial(raw: object) -> float | None:
    """The number Excel stores behind a date/time value, as the user typed it: in the 1900 date system, or
    the 1904 one for a date read from such a workbook (the reader marks it ``date1904``)."""
    from datetime import date, datetime, time, timedelta

    if isinstance(raw, timedelta):
        return raw.total_seconds() / 86400
    if isinstance(raw, time):
        return (raw.hour * 3600 + raw.minute * 60 + raw.second + raw.microsecond / 1e6) / 86400
    shift = _DAYS_1900_TO_1904 if getattr(raw, "date1904", False) else 0
    if isinstance(raw, datetime):
        day = raw.date()
        frac = (raw - datetime(day.year, day.month, day.day)).total_seconds() / 86400
        return _day_serial(day) + frac - shift
    if isinstance(raw, date):
        return _day_serial(raw) - shift
    return None


#: serial 0 of the 1904 date system (Mac Excel; a workbook's workbookPr date1904) is serial 1462 of the 1900 one
_DAYS_1900_TO_1904 = 1462


def _day_serial(day: date) -> float:
    from datetime import date

    days = (day - date(1899, 12, 30)).days
    return float(days if days >= 61 else days - 1)      # Excel counts a 29 February 1900


def show_date(raw: object) -> str:
    from datetime import datetime

    if isinstance(raw, datetime) and raw.hour == raw.minute == raw.second == 0:
        return raw.date().isoformat()
    return raw.isoformat() if hasattr(raw, "isoformat") else str(raw)
