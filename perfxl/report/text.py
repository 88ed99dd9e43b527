"""Report text: values formatted as printed, and paragraphs as runs of plain text, bold text and
placeholders (what a person must still write). Everything here is plain data; the renderer turns
a paragraph into Word runs, escaping every character."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from perfxl.model import layout as L
from perfxl.model.values import fmt_num, fmt_score

DASH = "—"
#: characters Word cannot hold (and \a, \f, which docxtpl would turn into paragraph and page breaks)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARKS = re.compile("[" + L.REPORT_DITTO + "]")

TEXT, BOLD, TODO = "text", "bold", "todo"


@dataclass(frozen=True)
class Run:
    kind: str            # TEXT, BOLD or TODO
    text: str


Para = tuple[Run, ...]


def para(*parts: "str | Run | None") -> Para:
    """A paragraph from strings (plain text) and runs; empty parts are dropped."""
    runs = []
    for p in parts:
        if p is None or p == "":
            continue
        run = p if isinstance(p, Run) else Run(TEXT, text(p))
        if run.text:
            runs.append(run)
    return tuple(runs)


def bold(s: str) -> Run:
    return Run(BOLD, text(s))


def todo(what: str) -> Run:
    """A placeholder: 【待填写：what】, shown highlighted."""
    return Run(TODO, L.REPORT_PLACEHOLDER.format(what=text(what)))


def todo_key(key: str) -> Run:
    return todo(L.REPORT_TODO[key])


def plain(p: Para) -> str:
    return "".join(r.text for r in p)


# --- values -----------------------------------------------------------------------

def text(value: Any) -> str:
    """Any value as report text (control characters that Word cannot hold removed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _MARKS.sub("", _XML_ILLEGAL.sub("", s)).strip()


def score_text(x: float | None) -> str:
    return DASH if x is None else fmt_score(x)


def weight_text(x: float | None) -> str:
    return DASH if x is None else fmt_num(x)


def rate_text(x: float | None) -> str:
    """Always 2 decimals: 0.78 -> '78.00%'."""
    return DASH if x is None else f"{fmt_score(x * 100)}%"


def pct_text(x: float | None) -> str:
    """A share as published reports write it: 0.6 -> '60%', 0.8798 -> '87.98%'."""
    if x is None:
        return DASH
    return f"{fmt_num(round(x * 100, 2))}%"


def amount_text(x: Any, unit: str = "") -> str:
    """Budget figures: thousands separators, at least 2 decimals, more when typed (580.8142)."""
    if x is None or isinstance(x, bool):
        return "" if x is None else text(x)
    if not isinstance(x, (int, float)):
        return text(x)
    if unit == "人" and float(x).is_integer():
        return f"{int(x):,}"
    places = 2
    s = fmt_num(float(x), 6)
    if "." in s:
        places = max(2, len(s.split(".")[1]))
    return f"{float(x):,.{places}f}"


def date_text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    s = text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?", s)
    if m:
        y, mo, d = m.groups()
        return f"{y}年{int(mo)}月" + (f"{int(d)}日" if d else "")
    return s


def sentence(s: str) -> str:
    """``s`` ending with a full stop (unless it already ends a sentence)."""
    s = text(s)
    ends = "。！？.!?；;"
    if not s or s[-1] in ends or (s[-1] in "）)”" and len(s) > 1 and s[-2] in ends):
        return s
    return s + "。"


def join_cn(items: list[str], last: str = "和") -> str:
    """'甲、乙和丙'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return "、".join(items[:-1]) + last + items[-1]
