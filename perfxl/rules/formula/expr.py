"""Spreadsheet formulas as small expression trees.

An expression renders to the formula text Excel 2010, WPS and LibreOffice read (English function
names, ``,`` separators, as stored in .xlsx), and evaluates in Python with their semantics, in two
dialects: ``excel`` (Excel and WPS) and ``calc`` (LibreOffice). Evaluating gives the cached value a
formula is written with, and lets tests prove a formula equal to the rule engine and the two
dialects equal to each other. ``FUNCTIONS`` is the one list of functions formulas may use.
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from perfxl.model.cells import cell_ref

# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Err:
    """A spreadsheet error value (#N/A, #VALUE!, #DIV/0! ...)."""
    code: str

    def __str__(self) -> str:
        return self.code


NA, VALUE, DIV0, NUM = Err("#N/A"), Err("#VALUE!"), Err("#DIV/0!"), Err("#NUM!")
DIALECTS = ("excel", "calc")


class Divergent(Exception):
    """The spreadsheet programs would not agree on this evaluation (a compiler defect)."""


class _Raise(Exception):
    def __init__(self, err: Err):
        self.err = err


# --- expressions ----------------------------------------------------------------------------------

def lift(x: Any) -> Expr:
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        return Lit(x)
    if isinstance(x, (int, float)):
        return Lit(float(x))
    if isinstance(x, str):
        return Lit(x)
    raise TypeError(f"not a formula value: {x!r}")


class Expr:
    __slots__ = ()

    # rendering
    def render(self) -> str:
        raise NotImplementedError

    def operand(self) -> str:
        """Rendered as an operand of an operator (parenthesised when compound)."""
        return self.render()

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self) -> Iterator[Expr]:
        yield self
        for c in self.children():
            yield from c.walk()

    def depth(self) -> int:
        """Nesting depth of function calls (Excel 2010 allows 64)."""
        own = 1 if isinstance(self, Call) else 0
        return own + max((c.depth() for c in self.children()), default=0)

    # building
    def __add__(self, o): return Op("+", self, lift(o))
    def __radd__(self, o): return Op("+", lift(o), self)
    def __sub__(self, o): return Op("-", self, lift(o))
    def __rsub__(self, o): return Op("-", lift(o), self)
    def __mul__(self, o): return Op("*", self, lift(o))
    def __rmul__(self, o): return Op("*", lift(o), self)
    def __truediv__(self, o): return Op("/", self, lift(o))
    def __rtruediv__(self, o): return Op("/", lift(o), self)
    def __pow__(self, o): return Op("^", self, lift(o))
    def __rpow__(self, o): return Op("^", lift(o), self)
    def __neg__(self): return Neg(self)
    def eq(self, o): return Op("=", self, lift(o))
    def ne(self, o): return Op("<>", self, lift(o))
    def lt(self, o): return Op("<", self, lift(o))
    def le(self, o): return Op("<=", self, lift(o))
    def gt(self, o): return Op(">", self, lift(o))
    def ge(self, o): return Op(">=", self, lift(o))
    def cat(self, o): return Op("&", self, lift(o))

    def eval(self, env: Env) -> Any:
        raise NotImplementedError


_SIG15 = re.compile(r"^-?(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$")


def _number_text(v: float) -> str:
    """A float literal Excel and LibreOffice parse back to the same double."""
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    r = repr(v)
    digits = re.sub(r"e.*$", "", r).replace("-", "").replace(".", "").lstrip("0")
    if len(digits) <= 15:
        return r.replace("e", "E")
    for scale in (100, 1000, 10000):        # 0.33330000000000004 = 33.33/100: keep the arithmetic
        t = float(f"{v * scale:.12g}")
        if t / scale == v:
            return f"({_number_text(t)}/{scale})"
    return format(v, ".17g").replace("e", "E")


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


#: Excel refuses text constants longer than 255 characters inside a formula
MAX_LITERAL = 255


def _string_literal(s: str) -> str:
    chunks, cur, n = [], [], 0
    for ch in s:
        w = _utf16_len(ch)
        if n + w > MAX_LITERAL:
            chunks.append("".join(cur))
            cur, n = [], 0
        cur.append(ch)
        n += w
    chunks.append("".join(cur))
    quoted = ['"' + c.replace('"', '""') + '"' for c in chunks]
    return quoted[0] if len(quoted) == 1 else "(" + "&".join(quoted) + ")"


@dataclass(frozen=True, eq=False)
class Lit(Expr):
    value: Any          # float, str or bool

    def render(self) -> str:
        v = self.value
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, float):
            return _number_text(v)
        return _string_literal(v)

    def operand(self) -> str:
        text = self.render()
        return f"({text})" if text.startswith("-") else text

    def eval(self, env):
        return self.value


def parse_cell(address: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    from perfxl.model.cells import CellRef

    ref = CellRef.parse(address)
    if ref is None:
        raise ValueError(f"not a cell address: {address}")
    return ref.row, ref.col


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """One cell (``A1``) or a range (``A1:B9``), on ``sheet`` or on the formula's own sheet."""
    address: str
    sheet: str | None = None

    @property
    def bounds(self) -> tuple[int, int, int, int]:
        first, _, last = self.address.partition(":")
        r1, c1 = parse_cell(first)
        r2, c2 = parse_cell(last) if last else (r1, c1)
        return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)

    @property
    def is_range(self) -> bool:
        return ":" in self.address

    def render(self) -> str:
        return (quote_sheet(self.sheet) + "!" if self.sheet else "") + self.address

    def eval(self, env):
        if self.is_range:
            raise Divergent(f"range {self.render()} used as a single value")
        r, c = parse_cell(self.address)
        return env.cell(self.sheet, r, c)

    def cells(self, env) -> list:
        r1, c1, r2, c2 = self.bounds
        return env.range(self.sheet, r1, c1, r2, c2)


_OPS = {"+", "-", "*", "/", "^", "&", "=", "<>", "<", "<=", ">", ">="}


@dataclass(frozen=True, eq=False)
class Op(Expr):
    op: str
    a: Expr
    b: Expr

    def __post_init__(self):
        if self.op not in _OPS:
            raise ValueError(self.op)

    def children(self):
        return (self.a, self.b)

    def render(self) -> str:
        return f"{self.a.operand()}{self.op}{self.b.operand()}"

    def operand(self) -> str:
        return f"({self.render()})"

    def eval(self, env):
        a, b = self.a.eval(env), self.b.eval(env)
        if isinstance(a, Err):
            return a
        if isinstance(b, Err):
            return b
        if self.op == "&":
            return env.text(a) + env.text(b)
        if self.op in ("+", "-", "*", "/", "^"):
            x, y = env.number(a), env.number(b)
            try:
                if self.op == "+":
                    r = x + y
                elif self.op == "-":
                    r = x - y
                elif self.op == "*":
                    r = x * y
                elif self.op == "/":
                    if y == 0:
                        return DIV0
                    r = x / y
                else:
                    if x == 0 and y <= 0:
                        raise Divergent("0^0 or 0^negative")
                    r = math.pow(x, y)
            except (OverflowError, ValueError):
                return NUM
            return NUM if not math.isfinite(r) else r
        return env.compare(self.op, a, b)


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    a: Expr

    def children(self):
        return (self.a,)

    def render(self) -> str:
        return "-" + self.a.operand()

    def operand(self) -> str:
        return f"({self.render()})"

    def eval(self, env):
        v = self.a.eval(env)
        return v if isinstance(v, Err) else -env.number(v)


@dataclass(frozen=True, eq=False)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]

    def __post_init__(self):
        if self.name not in FUNCTIONS:
            raise ValueError(f"{self.name} is not in the allowed function list")
        fn = FUNCTIONS[self.name]
        if not fn.min_args <= len(self.args) <= fn.max_args:
            raise ValueError(f"{self.name} takes {fn.min_args}..{fn.max_args} arguments, not {len(self.args)}")

    def children(self):
        return self.args

    def render(self) -> str:
        return f"{self.name}({','.join(a.render() for a in self.args)})"

    def eval(self, env):
        return FUNCTIONS[self.name].call(env, self.args)


def call(name: str, *args) -> Call:
    return Call(name, tuple(lift(a) for a in args))


# --- evaluation environment ---------------------------------------------------------------------

class Env:
    """Evaluation context: where cells come from and which program's rules apply."""

    def __init__(self, book: Book, sheet: str, dialect: str):
        self.book, self.sheet, self.dialect = book, sheet, dialect

    def cell(self, sheet, row, col):
        return self.book.value(sheet or self.sheet, row, col, self.dialect)

    def range(self, sheet, r1, c1, r2, c2) -> list:
        return self.book.range_values(sheet or self.sheet, r1, c1, r2, c2, self.dialect)

    # coercions, as the programs do them where they agree; Divergent where they do not
    def number(self, v) -> float:
        if isinstance(v, bool):
            return 1.0 if v else 0.0
        if isinstance(v, float):
            return v
        if v is None:
            return 0.0
        raise Divergent(f"text {v!r} used as a number (Excel converts it, LibreOffice may not)")

    def text(self, v) -> str:
        if isinstance(v, str):
            return v
        if v is None:
            return ""
        if isinstance(v, bool):
            if self.dialect == "calc":      # a logical cell is a number formatted TRUE/FALSE
                return "1" if v else "0"
            return "TRUE" if v else "FALSE"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        raise Divergent(f"number {v!r} converted to text (its digits depend on the program)")

    def truth(self, v) -> bool:
        if isinstance(v, bool):
            return v
        if isinstance(v, float):
            return v != 0
        if v is None:
            return False
        raise Divergent(f"text {v!r} used as a condition")

    def compare(self, op: str, a, b):
        if a is None:
            a = "" if isinstance(b, str) else 0.0
        if b is None:
            b = "" if isinstance(a, str) else 0.0
        if isinstance(a, bool) or isinstance(b, bool):
            if isinstance(a, bool) and isinstance(b, bool):
                a, b = float(a), float(b)
            else:
                raise Divergent("a logical value compared")
        if isinstance(a, str) and isinstance(b, str):
            if op not in ("=", "<>"):
                raise Divergent("text ordered (collation differs between programs)")
            same = a.lower() == b.lower()
            return same if op == "=" else not same
        if isinstance(a, str) or isinstance(b, str):
            if op in ("=", "<>"):
                return op == "<>"
            raise Divergent("text ordered against a number")
        return {"=": a == b, "<>": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


# --- the allowed functions -------------------------------------------------------------------------

@dataclass(frozen=True)
class Function:
    name: str
    impl: Callable
    min_args: int
    max_args: int
    lazy: bool = False          # receives unevaluated arguments (IF, IFERROR)
    ranges: bool = False        # arguments may be ranges (handed over as Ref)
    note: str = ""

    def call(self, env: Env, args: tuple[Expr, ...]):
        if self.lazy or self.ranges:
            return self.impl(env, *args)
        values = [a.eval(env) for a in args]
        for v in values:
            if isinstance(v, Err):
                return v
        try:
            return self.impl(env, *values)
        except _Raise as e:
            return e.err


def _if(env, cond, yes, no=None):
    c = cond.eval(env)
    if isinstance(c, Err):
        return c
    if env.truth(c):
        return yes.eval(env)
    return False if no is None else no.eval(env)


def _iferror(env, x, fallback):
    v = x.eval(env)
    return fallback.eval(env) if isinstance(v, Err) else v


def _logical(env, args, combine):
    values = [a.eval(env) for a in args]
    for v in values:
        if isinstance(v, Err):
            return v
    return combine(env.truth(v) for v in values)


def _is(pred):
    def impl(env, x):
        return pred(env, x.eval(env))
    return impl


def _isnumber(env, v):
    if isinstance(v, bool):
        return env.dialect == "calc"
    return isinstance(v, float)


def _round_decimal(x: float, places: int) -> Decimal:
    # both programs round half away from zero on the number's decimal form (ROUND(2.675,2)=2.68),
    # taken to 15 significant digits
    return Decimal(format(x, ".15g")).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _round(env, x, n):
    x, n = env.number(x), env.number(n)
    if n != int(n) or not 0 <= n <= 15:
        raise Divergent("ROUND to a negative or fractional number of places")
    if x == 0 or abs(x) >= 1e15:
        return x
    return float(_round_decimal(x, int(n)))


def _int(env, x):
    return float(math.floor(env.number(x)))


def _units(env, s: str) -> list:
    """A text as the program counts it: Excel and WPS in UTF-16 code units, LibreOffice in
    characters (LEN("𠀀a") is 3 in Excel, 2 in LibreOffice)."""
    if env.dialect == "calc":
        return list(s)
    b = s.encode("utf-16-le", "surrogatepass")
    return [b[i: i + 2] for i in range(0, len(b), 2)]


def _join(env, units: list) -> str:
    if env.dialect == "calc":
        return "".join(units)
    return b"".join(units).decode("utf-16-le", "surrogatepass")


def _count(env, n) -> int:
    n = env.number(n)
    if n < 0:
        raise _Raise(VALUE)
    return int(n)


def _left(env, s, n=1.0):
    return _join(env, _units(env, env.text(s))[: _count(env, n)])


def _right(env, s, n=1.0):
    u, k = _units(env, env.text(s)), _count(env, n)
    return _join(env, u[len(u) - k:] if k else [])


def _mid(env, s, start, n):
    st, k = env.number(start), _count(env, n)
    if st < 1:
        raise _Raise(VALUE)
    i = int(st) - 1
    return _join(env, _units(env, env.text(s))[i: i + k])


def _len(env, s):
    return float(len(_units(env, env.text(s))))


def _find(env, needle, hay, start=1.0):
    n, h, st = env.text(needle), env.text(hay), int(env.number(start))
    if n == "":
        if env.dialect == "calc":
            raise _Raise(VALUE)
        return float(st)
    hu, nu = _units(env, h), _units(env, n)
    for i in range(st - 1, len(hu) - len(nu) + 1):
        if hu[i: i + len(nu)] == nu:
            return float(i + 1)
    raise _Raise(VALUE)


def _substitute(env, s, old, new):
    o = env.text(old)
    if o == "":
        raise Divergent("SUBSTITUTE of an empty text")
    return env.text(s).replace(o, env.text(new))


def _trim(env, s):
    return re.sub(" +", " ", env.text(s).strip(" "))


def _value(env, s):
    t = env.text(s)
    if not re.fullmatch(r"\d{1,15}", t):
        raise Divergent(f"VALUE of {t!r}: only plain digit strings read the same everywhere")
    return float(int(t))


def _exact(env, a, b):
    return env.text(a) == env.text(b)


def _minmax(pick):
    def impl(env, *args):
        nums = []
        for a in args:
            if isinstance(a, Ref) and a.is_range:
                nums += [v for v in a.cells(env) if isinstance(v, float)]
                continue
            v = a.eval(env)
            if isinstance(v, Err):
                return v
            nums.append(env.number(v))
        return pick(nums) if nums else 0.0
    return impl


def _range_numbers(env, ref: Ref) -> Iterable[Any]:
    for v in ref.cells(env):
        if isinstance(v, Err):
            raise _Raise(v)
        if isinstance(v, float) or (isinstance(v, bool) and env.dialect == "calc"):
            yield float(v)


def _sum(env, *args):
    total = 0.0
    try:
        for a in args:
            if isinstance(a, Ref) and a.is_range:
                total += sum(_range_numbers(env, a))
                continue
            v = a.eval(env)
            if isinstance(v, Err):
                return v
            total += env.number(v)
    except _Raise as e:
        return e.err
    return total


def _count_numbers(env, *args):
    n = 0
    for a in args:
        if isinstance(a, Ref) and a.is_range:
            n += sum(1 for v in a.cells(env) if isinstance(v, float)
                     or (isinstance(v, bool) and env.dialect == "calc"))
            continue
        v = a.eval(env)
        n += isinstance(v, float) or (isinstance(v, bool) and env.dialect == "calc")
    return float(n)


_CRITERIA_UNSAFE = re.compile(r"[*?~<>=]")


def _criterion(env, crit):
    """A COUNTIFS criterion: "<>" (not empty) or a plain label (no wildcard, no operator)."""
    c = crit.eval(env)
    if isinstance(c, Err):
        raise _Raise(c)
    if c == "<>":
        return lambda v: v is not None and v != ""
    if isinstance(c, float):
        c = env.text(c)
    if not isinstance(c, str) or c == "" or _CRITERIA_UNSAFE.search(c):
        raise Divergent(f"COUNTIFS criterion {c!r}: wildcards and operators are read differently")
    try:
        num = float(c) if re.fullmatch(r"-?\d+(?:\.\d+)?", c) else None
    except ValueError:
        num = None
    low = c.lower()

    def match(v):
        if isinstance(v, str):
            return v.lower() == low
        if isinstance(v, float) and not isinstance(v, bool):
            return num is not None and v == num
        return False
    return match


def _countifs(env, *args):
    if len(args) % 2:
        raise Divergent("COUNTIFS needs range/criterion pairs")
    try:
        tests = [_criterion(env, c) for c in args[1::2]]
    except _Raise as e:
        return e.err
    counts, sample = env.book.tally(list(args[::2]), env.sheet, env.dialect)
    return float(sum(n for k, n in counts.items() if all(t(v) for t, v in zip(tests, sample[k]))))


def _lower(env, s):
    return env.text(s).lower()


def _not(env, x):
    return not env.truth(x)


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("IF", _if, 2, 3, lazy=True),
    Function("IFERROR", _iferror, 2, 2, lazy=True, note="Excel 2007+"),
    Function("AND", lambda env, *a: _logical(env, a, all), 1, 255, lazy=True,
             note="evaluates every argument (no short circuit)"),
    Function("OR", lambda env, *a: _logical(env, a, any), 1, 255, lazy=True,
             note="evaluates every argument (no short circuit)"),
    Function("NOT", _not, 1, 1),
    Function("ISNUMBER", _is(_isnumber), 1, 1, lazy=True, note="LibreOffice: TRUE for a logical value"),
    Function("ISTEXT", _is(lambda env, v: isinstance(v, str)), 1, 1, lazy=True),
    Function("ISLOGICAL", _is(lambda env, v: isinstance(v, bool)), 1, 1, lazy=True),
    Function("ISBLANK", _is(lambda env, v: v is None), 1, 1, lazy=True),
    Function("ISERROR", _is(lambda env, v: isinstance(v, Err)), 1, 1, lazy=True),
    Function("NA", lambda env: NA, 0, 0),
    Function("ROUND", _round, 2, 2, note="half away from zero on the decimal form in every program"),
    Function("INT", _int, 1, 1, note="rounds down (floor)"),
    Function("ABS", lambda env, x: abs(env.number(x)), 1, 1),
    Function("MIN", _minmax(min), 1, 255, ranges=True),
    Function("MAX", _minmax(max), 1, 255, ranges=True),
    Function("SUM", _sum, 1, 255, ranges=True),
    Function("COUNT", _count_numbers, 1, 255, ranges=True, note="LibreOffice counts logical values"),
    Function("COUNTIFS", _countifs, 2, 254, ranges=True,
             note="criteria are plain labels or \"<>\"; Excel 2007+"),
    Function("LEN", _len, 1, 1, note="UTF-16 code units in Excel, characters in LibreOffice"),
    Function("LEFT", _left, 1, 2),
    Function("RIGHT", _right, 1, 2),
    Function("MID", _mid, 3, 3),
    Function("FIND", _find, 2, 3, note="never with an empty needle: Excel gives 1, LibreOffice #VALUE!"),
    Function("SUBSTITUTE", _substitute, 3, 3),
    Function("TRIM", _trim, 1, 1),
    Function("LOWER", _lower, 1, 1),
    Function("EXACT", _exact, 2, 2),
    Function("VALUE", _value, 1, 1, note="only on plain digit strings (no decimal point: locale-free)"),
)}

#: functions that must never appear (not in Excel 2010, or computed differently by the programs)
FORBIDDEN = ("LET", "LAMBDA", "IFS", "XLOOKUP", "XMATCH", "SWITCH", "TEXTJOIN", "CONCAT", "FILTER", "SORT",
             "UNIQUE", "SEQUENCE", "MAXIFS", "MINIFS", "NUMBERVALUE", "UNICODE", "UNICHAR", "REGEX", "CELL",
             "INDIRECT", "OFFSET", "CEILING", "FLOOR")


# --- a workbook to evaluate in ----------------------------------------------------------------------

class Unknown(Divergent):
    """A cell whose value the programs compute but nobody recorded (a formula saved without its
    result): what depends on it is unknown until a spreadsheet calculates."""


def _raw(v: Any) -> Any:
    """A cell value as a reader gives it -> the value a formula sees."""
    from datetime import date, datetime, time, timedelta

    if v is None or isinstance(v, (bool, str, Err)):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        return v
    if isinstance(v, (date, datetime, time, timedelta)):
        from perfxl.model.values import excel_serial

        return excel_serial(v)
    kind = getattr(v, "kind", None)        # perfxl.io.read.CellMark
    if kind == "error":
        return Err(v.text)
    if kind == "nocache":
        raise Unknown(f"a formula without a recorded result ({v.text})")
    if hasattr(v, "item"):                 # numpy scalars
        return _raw(v.item())
    raise TypeError(f"not a cell value: {v!r}")


def _key(v: Any):
    """What COUNTIFS criteria tell apart in a value: text case-insensitively, numbers exactly."""
    if isinstance(v, str):
        return ("s", v.lower())
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, float):
        return ("n", v)
    return None if v is None else ("e", str(v))


class Book:
    """Cells (raw values) and formulas by (sheet, row, column); formulas evaluate lazily, once
    per dialect. Cells not set are read from ``grids`` (sheet -> an object with ``get(r0, c0)``,
    ``height`` and ``marks``, e.g. perfxl.io.read.SheetGrid); ranges see the cells set and the
    grid rows."""

    def __init__(self, grids: dict | None = None):
        self.values: dict[tuple[str, int, int], Any] = {}
        self.formulas: dict[tuple[str, int, int], Expr] = {}
        self.grids = dict(grids or {})
        self._memo: dict[tuple[str, str, int, int], Any] = {}
        self._busy: set = set()
        self._tallies: dict = {}

    def set(self, sheet: str, address: str, value: Any) -> None:
        r, c = parse_cell(address)
        key = (sheet, r, c)
        self._memo.clear()
        self._tallies.clear()
        if isinstance(value, Expr):
            self.formulas[key] = value
            self.values.pop(key, None)
        else:
            self.values[key] = _raw(value)
            self.formulas.pop(key, None)

    def _grid_value(self, sheet: str, row: int, col: int) -> Any:
        grid = self.grids.get(sheet)
        if grid is None:
            return None
        mark = grid.marks.get((row - 1, col - 1))
        return _raw(mark if mark is not None else grid.get(row - 1, col - 1))

    def value(self, sheet: str, row: int, col: int, dialect: str = "excel") -> Any:
        key = (sheet, row, col)
        if key not in self.formulas:
            return self.values[key] if key in self.values else self._grid_value(sheet, row, col)
        memo = (dialect, *key)
        if memo in self._memo:
            return self._memo[memo]
        if memo in self._busy:
            raise Divergent(f"circular reference at {sheet}!{cell_ref(row, col)}")
        self._busy.add(memo)
        try:
            v = self.formulas[key].eval(Env(self, sheet, dialect))
        finally:
            self._busy.discard(memo)
        if v is None:
            v = 0.0                          # a formula returning an empty cell shows 0
        self._memo[memo] = v
        return v

    def get(self, sheet: str, address: str, dialect: str = "excel") -> Any:
        return self.value(sheet, *parse_cell(address), dialect)

    def _rows(self, sheet, r1, c1, r2, c2) -> list[int]:
        if (r2 - r1 + 1) * (c2 - c1 + 1) <= 100_000:
            return list(range(r1, r2 + 1))
        # a tall range: only the rows of the sheet that hold something (the same rows for every
        # column, so that parallel ranges of COUNTIFS stay aligned)
        rows = {r for s, r, _ in (*self.values, *self.formulas) if s == sheet and r1 <= r <= r2}
        grid = self.grids.get(sheet)
        if grid is not None:
            rows.update(range(r1, min(r2, grid.height) + 1))
        return sorted(rows)

    def range_values(self, sheet, r1, c1, r2, c2, dialect) -> list:
        return [self.value(sheet, r, c, dialect) for r in self._rows(sheet, r1, c1, r2, c2)
                for c in range(c1, c2 + 1)]

    def tally(self, refs: list[Ref], sheet: str, dialect: str):
        """COUNTIFS's view of parallel ranges: how often each combination of cell keys occurs (with a
        cell value standing for each key), counted once per set of ranges."""
        spans = tuple((r.sheet or sheet, r.bounds) for r in refs)
        memo = (dialect, spans)
        if memo not in self._tallies:
            from collections import Counter

            columns = []
            for name, (r1, c1, r2, c2) in spans:
                if c1 != c2 and r1 != r2:
                    raise Divergent("COUNTIFS over a block of several rows and columns")
                columns.append(self.range_values(name, r1, c1, r2, c2, dialect))
            if len({len(c) for c in columns}) != 1:
                raise Divergent("COUNTIFS ranges of different sizes")
            counts: Counter = Counter()
            sample: dict = {}
            for values in zip(*columns):
                k = tuple(_key(v) for v in values)
                counts[k] += 1
                sample.setdefault(k, values)
            self._tallies[memo] = (counts, sample)
        return self._tallies[memo]

    def evaluate(self, sheet: str, expr: Expr, dialect: str = "excel") -> Any:
        return expr.eval(Env(self, sheet, dialect))


def text(expr: Expr) -> str:
    """The formula as stored in a cell (without the leading ``=``)."""
    return expr.render()


FORMULA_FUNCTION = re.compile(r"([A-Z][A-Z0-9.]*)\(")


def functions_in(formula: str) -> set[str]:
    """Function names in a formula text (outside string literals)."""
    outside = re.sub(r'"(?:[^"]|"")*"', '""', formula)
    outside = re.sub(r"'(?:[^']|'')*'!", "", outside)
    return set(FORMULA_FUNCTION.findall(outside))
