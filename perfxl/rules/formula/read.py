"""Formula readers of what people type in a cell, each the formula twin of a reader in
perfxl.model.values / perfxl.rules.kinds.

A reader accepts a subset of what the Python reader accepts and gives the same number for it;
for anything else (and for what the Python reader rejects) it gives #N/A, which every
visible cell turns into the marker. So a formula shows the engine's number or the marker,
never another number.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from perfxl.model.text import INVISIBLE
from perfxl.model.values import NO_WORDS, YES_WORDS

from .expr import Expr, Lit, Ref, call, lift

#: tolerance of the engine's comparisons (Condition.holds, Target.met_by, _linear_eval)
EPS = 1e-9

#: characters ``values.clean`` maps (NFKC, minus signs, blanks) that the text helper maps the same way
CLEAN_MAP: tuple[tuple[str, str], ...] = (
    (" ", ""), ("\u3000", ""), ("\u00a0", ""),
    *((chr(0xFF10 + i), str(i)) for i in range(10)),
    ("％", "%"), ("．", "."), ("－", "-"), ("＋", "+"), ("\u2212", "-"), ("—", "-"), ("\u2013", "-"),
    ("，", ","), ("；", ";"), ("：", ":"), ("（", "("), ("）", ")"), ("／", "/"), ("｜", "|"), ("～", "~"),
)

#: units a formula accepts after a number (the engine accepts any 1–3 letters or ideographs);
#: a target's own unit is always accepted too
UNITS: tuple[str, ...] = (
    "家", "人", "次", "个", "项", "处", "件", "份", "条", "起", "例", "户", "所", "座", "台", "套", "篇",
    "本", "场", "名", "位", "期", "批", "天", "日", "月", "年", "元", "万元", "亿元", "千元", "小时", "人次",
    "户次", "平方米", "亩", "公里", "米", "吨", "辆", "册", "张", "棵", "株", "间", "栋", "班", "所", "分",
    "km", "m", "kg", "t",
)

DIGITS = "0123456789"


def IF(c, a, b=None) -> Expr:
    return call("IF", c, a) if b is None else call("IF", c, a, b)


def AND(*xs) -> Expr:
    return call("AND", *xs)


def OR(*xs) -> Expr:
    return call("OR", *xs)


def NOT(x) -> Expr:
    return call("NOT", x)


def NA() -> Expr:
    return call("NA")


def LEN(x) -> Expr:
    return call("LEN", x)


def LEFT(x, n) -> Expr:
    return call("LEFT", x, n)


def RIGHT(x, n) -> Expr:
    return call("RIGHT", x, n)


def MID(x, s, n) -> Expr:
    return call("MID", x, s, n)


def EXACT(a, b) -> Expr:
    return call("EXACT", a, b)


def SUBSTITUTE(x, old, new) -> Expr:
    return call("SUBSTITUTE", x, old, new)


def ISNUMBER(x) -> Expr:
    return call("ISNUMBER", x)


def MIN(*xs) -> Expr:
    return call("MIN", *xs)


def MAX(*xs) -> Expr:
    return call("MAX", *xs)


def ROUND(x, n) -> Expr:
    return call("ROUND", x, n)


def ABS(x) -> Expr:
    return call("ABS", x)


def INT(x) -> Expr:
    return call("INT", x)


def contains(hay, needle: str) -> Expr:
    """``needle`` occurs in ``hay`` (never an empty needle: FIND("") differs between programs)."""
    if not needle:
        raise ValueError("empty needle")
    return ISNUMBER(call("FIND", needle, hay))


def by_state(x: Expr, number, blank, other) -> Expr:
    """What a formula shows by the state of the cell ``x`` it reads: ``number`` while it shows a number,
    ``blank`` while it is empty (an input not typed yet), ``other`` for anything else (text, the marker)."""
    return IF(ISNUMBER(x), number, IF(x.eq(""), blank, other))


def is_number_cell(a: Expr) -> Expr:
    """A number typed in the cell (a logical value is a number in LibreOffice: excluded)."""
    return AND(ISNUMBER(a), NOT(call("ISLOGICAL", a)))


def text_of(a: Expr) -> Expr:
    """The text of a cell as ``values.clean`` sees it, for the characters it maps alike
    ("" for a number or a logical value); a quote prefix Calc keeps as text ("'98%") dropped when it
    comes first (after a blank the engine drops it too: the formula's reading then fails, the marker)."""
    s: Expr = IF(LEFT(a, 1).eq("'"), MID(a, 2, LEN(a)), a.cat(""))
    for old, new in CLEAN_MAP:
        s = SUBSTITUTE(s, old, new)
    return IF(OR(ISNUMBER(a), call("ISLOGICAL", a)), "", s)


def unit_of(t: Expr) -> Expr:
    """The trailing run (up to 4 characters) of a cleaned text that is not digits or '.'."""
    z = lift("0000").cat(t)
    n = LEN(t)

    def digit(ch: Expr) -> Expr:
        return ISNUMBER(call("FIND", ch, DIGITS + "."))
    k = IF(digit(RIGHT(t, 1)), 0,
           IF(digit(MID(z, n + 3, 1)), 1, IF(digit(MID(z, n + 2, 1)), 2, IF(digit(MID(z, n + 1, 1)), 3, 4))))
    return IF(t.eq(""), "", RIGHT(t, k))


def magnitude(d: Expr) -> Expr:
    """Unsigned digits with at most one '.', as Python's float() reads them, else #N/A; computed as
    digits/10^n (one correctly rounded division, free of the locale's decimal separator)."""
    g = SUBSTITUTE(d, ".", "")
    rest = g
    for ch in DIGITS:
        rest = SUBSTITUTE(rest, ch, "")
    ok = AND(rest.eq(""), LEN(g).ge(1), LEN(g).le(15), (LEN(d) - LEN(g)).le(1))
    places = MAX(0, LEN(d) - call("FIND", ".", d.cat(".")))
    return IF(ok, call("VALUE", g) / (lift(10.0) ** places), NA())


def signed(x: Expr) -> Expr:
    return OR(LEFT(x, 1).eq("-"), LEFT(x, 1).eq("+"))


def decimal(x: Expr) -> Expr:
    """A signed decimal (digits, at most one '.', a leading + or -) as float() reads it, else #N/A."""
    return IF(LEFT(x, 1).eq("-"), -1, 1) * magnitude(IF(signed(x), MID(x, 2, LEN(x)), x))


def words(t: Expr, options: tuple[str, ...] | list[str] | set[str] | frozenset[str]) -> Expr:
    """The cleaned text, lower-cased, is one of ``options`` (lower-case words)."""
    low = call("LOWER", t)
    return OR(*(EXACT(low, w) for w in sorted(options)))


def yes_no(a: Expr, t: Expr) -> Expr:
    """1 / 0 for a yes-no word or logical value (values.parse_yes_no), -1 for anything else."""
    return IF(call("ISLOGICAL", a), IF(a, 1, 0),
              IF(ISNUMBER(a), -1, IF(words(t, YES_WORDS), 1, IF(words(t, NO_WORDS), 0, -1))))


def unit_allowed(u: Expr, units: tuple[str, ...]) -> Expr:
    listed = "|" + "|".join(dict.fromkeys(units)) + "|"
    return AND(NOT(contains(u, "|")), ISNUMBER(call("FIND", lift("|").cat(u).cat("|"), listed)))


def blank(ref: Expr) -> Expr:
    """An empty cell, or text of only spaces (values.is_blank, for ASCII spaces)."""
    return IF(call("ISTEXT", ref), call("TRIM", ref).eq(""), call("ISBLANK", ref))


def number_cell(ref: Expr) -> Expr:
    """A number typed in ``ref`` (分值, 评价得分, 基础数据), else #N/A."""
    return IF(is_number_cell(ref), ref, NA())


def same_text(ref: Expr, raw: object) -> Expr:
    """``ref`` still holds ``raw`` (the value a formula was compiled from): the guard that turns
    a compiled formula into the marker once someone edits its parameters."""
    if raw is None or (isinstance(raw, str) and raw.strip(" ") == ""):
        return blank(ref)
    if isinstance(raw, bool):
        return AND(call("ISLOGICAL", ref), IF(call("ISLOGICAL", ref), EXACT(ref, raw), False))
    if isinstance(raw, (int, float)):
        return IF(is_number_cell(ref), ref.eq(float(raw)), False)
    text = str(raw)
    trimmed = " ".join(p for p in text.split(" ") if p)
    return IF(call("ISTEXT", ref), EXACT(call("TRIM", ref), trimmed), False)


@dataclass(frozen=True)
class Quantity:
    """The formula reading of a number with an optional unit: ``value`` (number or #N/A) and
    ``unit`` (the unit text, "%" for a percentage)."""
    value: Expr
    unit: Expr


def number_parts(t: Expr, helper) -> tuple[Ref, Ref]:
    """(unit, number) of a cleaned text: the trailing non-digit run, and the signed decimal before
    it as a number or #N/A. ``helper`` puts an expression in a hidden helper cell and returns its
    reference (each is read several times further on)."""
    u = helper(unit_of(t))
    digits = helper(IF(signed(t), MID(t, 2, LEN(t) - LEN(u) - 1), LEFT(t, LEN(t) - LEN(u))))
    return u, helper(IF(LEFT(t, 1).eq("-"), -1, 1) * magnitude(digits))


def quantity_value(a: Expr, u: Expr, x: Expr, *, percent: bool, pct: bool, units: tuple[str, ...],
                   fractions: bool = True) -> Expr:
    """values.parse_quantity(raw, percent=percent), restricted: "%" / "‰" accepted only when
    ``pct``, other units only when listed in ``units``, a number cell strictly between -1 and 1 (but 0)
    only when ``fractions``; #N/A for anything else.

    (A formula cannot see whether a number cell shows a percentage: without ``fractions`` the likeliest
    one, 85% holding 0.85, is left to the marker, 0 and numbers from 1 up are still taken.)"""
    bare = IF(ABS(x).gt(10), NA(), x) if percent else x
    by_unit = IF(u.eq(""), bare, IF(unit_allowed(u, units), x, NA())) if units else \
        IF(u.eq(""), bare, NA())
    if pct:
        by_unit = IF(u.eq("%"), x / 100, IF(u.eq("‰"), x / 1000, by_unit))
    from_cell = IF(ABS(a).gt(10), NA(), a) if percent else a
    if not fractions:
        from_cell = IF(AND(ABS(a).lt(1), NOT(a.eq(0))), NA(), from_cell)
    return IF(call("ISLOGICAL", a), NA(), IF(ISNUMBER(a), from_cell, by_unit))


def trailing_strip(x: Expr, chars: str, times: int = 3) -> Expr:
    """``x`` without up to ``times`` trailing characters from ``chars`` (str.rstrip, bounded)."""
    z = lift("0" * times).cat(x)            # padding that is never stripped

    def strippable(k: int) -> Expr:          # the k-th character from the end
        c = MID(z, LEN(x) + times - k + 1, 1)
        return OR(*(c.eq(ch) for ch in chars))
    count: Expr = lift(times)
    for k in range(times, 0, -1):
        count = IF(strippable(k), count, k - 1)
    return LEFT(x, LEN(x) - count)


def strip_prefix(x: Expr, prefixes: tuple[str, ...]) -> Expr:
    """``x`` without one leading prefix (re.sub('^(a|b)', '', x)); prefixes of one length."""
    (size,) = {len(p) for p in prefixes}
    listed = "|" + "|".join(prefixes) + "|"
    found = ISNUMBER(call("FIND", lift("|").cat(LEFT(x, size)).cat("|"), listed))
    return IF(found, MID(x, size + 1, LEN(x)), x)


def holds(x: Expr, cond) -> Expr:
    """notation.Condition.holds(x) with its tolerance."""
    parts = []
    if cond.low is not None:
        parts.append(x.ge(cond.low.value - EPS))
        if not cond.low.inclusive:
            parts.append(x.gt(cond.low.value + EPS))
    if cond.high is not None:
        parts.append(x.le(cond.high.value + EPS))
        if not cond.high.inclusive:
            parts.append(x.lt(cond.high.value - EPS))
    return AND(*parts) if parts else Lit(True)


def step_units(excess: Expr, size: float, mode: str) -> Expr:
    """notation.step_units: round to 9 places, then ceil / floor."""
    units = ROUND(excess / size, 9)
    if mode == "向上取整":
        return -INT(-units)
    if mode == "向下取整":
        return INT(units)
    return units


#: fragments of values.NOT_APPLICABLE_WORDS a formula looks for (over-wide: a miss would count a 分值 the
#: engine leaves out; a false hit only shows the marker)
_NA_FRAGMENTS = ("适用", "涉及", "无此项", "n", "N", "ｎ", "Ｎ")
#: the blanks the engine's cleaning removes that a person puts inside a word (a space, Alt+Enter, a tab …);
#: a carriage return is left out (an XML reader turns it into a line feed)
_NA_BLANKS = (" ", "\u3000", "\u00a0", "\n", "\t")


def maybe_not_applicable(cells: Sequence[Expr]) -> Expr:
    """Some cell of ``cells`` may hold a 不适用 word (spaces removed); a number never does (and is never
    turned into text, whose digits differ between programs)."""
    hits = []
    for c in cells:
        squeezed = c
        for blank in _NA_BLANKS:
            squeezed = call("SUBSTITUTE", squeezed, blank, "")
        # spelled so that the text with blanks removed is written twice, not once per fragment (once per fragment,
        # this check was most of a row's formula text; a saved 指标评分 of 60 rows 840 KB, now 620 KB): a longer
        # fragment is there when removing the fragments shortens that text; a one-character fragment is in the
        # cell whether or not blanks are removed
        rest = squeezed
        for f in _NA_FRAGMENTS:
            if len(f) > 1:
                rest = call("SUBSTITUTE", rest, f, "")
        found = [LEN(rest).lt(LEN(squeezed)), *(contains(c, f) for f in _NA_FRAGMENTS if len(f) == 1)]
        # an invisible character (values.clean drops it) may split a word ("不适\u200b用"): over-wide, any one
        # in the text counts (removing them changes its length)
        visible = c
        for ch in INVISIBLE:
            visible = call("SUBSTITUTE", visible, ch, "")
        hits.append(IF(call("ISTEXT", c), OR(*found, LEN(visible).lt(LEN(c))), False))
    return OR(*hits) if hits else lift(False)
