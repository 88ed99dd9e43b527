"""Text primitives shared by every layer: one normaliser, one blank test, one cell-text coercion,
one illegal-character stripper and one formula-injection test."""
from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

#: the invisible characters text pasted from a web page, WeChat or a PDF carries (soft hyphen, zero-width
#: space and joiners, direction marks, word joiner, byte order mark): no one sees them in a cell
INVISIBLE = ("\u00ad", *map(chr, range(0x200B, 0x2010)), *map(chr, range(0x2060, 0x2065)), "\ufeff")
#: the invisible characters alone
_INVISIBLE = re.compile("[" + "".join(INVISIBLE) + "]+")
#: whitespace and the invisible characters
_SPACE = re.compile("[\\s" + "".join(INVISIBLE) + "]+")
#: characters no workbook, XML or Word file can hold (vertical tab, form feed …: they arrive from
#: Excel's _x000B_ escapes); dropped on reading and again before writing
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: what makes a spreadsheet take text for a formula (OWASP CSV injection): = + - @ tab CR
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@lru_cache(maxsize=16384)
def fold(text: str) -> str:
    """NFKC (full-width → half-width) without any whitespace: how names are compared."""
    return unspaced(unicodedata.normalize("NFKC", text))


def unspaced(text: str) -> str:
    """``text`` without whitespace and the invisible characters pasted text carries (``_SPACE``)."""
    return _SPACE.sub("", text)


def visible(text: str) -> str:
    """``text`` without its invisible characters, its whitespace kept (where spaces separate parts)."""
    return _INVISIBLE.sub("", text)


def normalize(text: object) -> str:
    """Canonical form for tolerant matching of headers and labels: folded, no decoration
    (``*``, colons), no trailing unit in brackets (分值(分), 得分率(%)), lower case."""
    return _normalize(text if isinstance(text, str) else str(text or ""))


@lru_cache(maxsize=8192)
def _normalize(text: str) -> str:
    s = fold(text)
    s = s.replace("*", "").replace(":", "").replace("：", "")
    s = re.sub(r"\((?:分|%|元|万元|个|人|次)\)$", "", s)
    return s.lower()


def is_blank(raw: object) -> bool:
    """None, empty or whitespace-only text (invisible characters count as white space), or NaN."""
    return raw is None or (isinstance(raw, str) and (raw.strip() == "" or (
        not raw.isprintable() and unspaced(raw) == ""))) or (isinstance(raw, float) and math.isnan(raw))


def text_of(value: object) -> str:
    """A cell value as text: '' for blank, whole floats without '.0' (2.0 → '2'), stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"   # a logical as Excel, WPS and Calc show it (not Python's True)
    if isinstance(value, float):
        if value != value:                    # NaN: a blank cell as pandas holds it
            return ""
        if type(value) is not float and hasattr(value, "as_text"):
            shown: str = value.as_text()      # values.Percent: 0.9 -> '90%', as the cell shows it
            return shown
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def strip_illegal(text: str) -> str:
    """``text`` without the characters no workbook or Word file can hold."""
    if text.isprintable():                # cheap test first: most text is printable
        return text
    return _ILLEGAL.sub("", text)


def looks_like_formula(value: object) -> bool:
    """Text a spreadsheet would take for a formula if written as is."""
    return isinstance(value, str) and value.startswith(FORMULA_START)
