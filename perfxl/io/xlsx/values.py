"""Cell values as SpreadsheetML stores them: reading a cell's value, and writing one (text always as
text, never as a formula; a ``Formula`` together with its cached result)."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from perfxl.io.xlsx.xmlbits import esc, unescape
from perfxl.model.text import strip_illegal


@dataclass(frozen=True)
class Formula:
    """A live formula and the value it computes to (written as the cell's cached value, so that
    readers that do not calculate, perfxl's own included, see it). ``text`` without the '='."""
    text: str
    cached: Any = None

    def __post_init__(self):
        if self.text.startswith("="):
            object.__setattr__(self, "text", self.text[1:])


ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA", "#SPILL!", "#CALC!"}
#: lone surrogates: not text, and UTF-8 cannot encode them
_SURROGATES = re.compile("[\ud800-\udfff]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
MAX_TEXT = 32767
_T_ATTR = re.compile(rb"(?<![\w:])t\s*=\s*[\"']([^\"']*)[\"']")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)
DATE_FORMATS = {datetime: "yyyy-mm-dd hh:mm", date: "yyyy-mm-dd", time: "hh:mm:ss", timedelta: "[h]:mm:ss"}


def clean_text(text: str) -> str:
    """Text as a cell can hold it: characters XML cannot carry dropped, text that reads like one of
    Excel's _xHHHH_ escapes escaped itself, at most 32,767 characters."""
    text = _SURROGATES.sub("", strip_illegal(text))
    return _ESCAPE_LIKE.sub(r"_x005F_\1", text)[:MAX_TEXT]


def date_format(value) -> str | None:
    for kind, fmt in DATE_FORMATS.items():
        if isinstance(value, kind):
            return fmt
    return None


def _serial(value, date1904: bool) -> float:
    epoch = _EPOCH_1904 if date1904 else _EPOCH
    if isinstance(value, timedelta):
        return value.total_seconds() / 86400
    if isinstance(value, time):
        return (value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6) / 86400
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    serial = (value - epoch).total_seconds() / 86400
    if not date1904 and serial < 61:             # Excel's phantom 1900-02-29
        serial -= 1 if serial < 60 else 0
    return serial


def _number(v) -> bytes:
    if isinstance(v, bool):
        return b"1" if v else b"0"
    if isinstance(v, int):
        return str(v).encode()
    r = repr(float(v))
    return (r[:-2] if r.endswith(".0") else r).encode()


def _scalar(value, date1904: bool) -> tuple[bytes | None, bytes | None]:
    """(t attribute, <v> text) of a plain value; t b'inlineStr' means text (empty text: no value, as
    Excel stores a cell whose text was deleted)."""
    if value is None or value == "":
        return None, None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):      # numpy scalars
        try:
            value = value.item()
        except Exception:
            pass
    if isinstance(value, bool):
        return b"b", _number(value)
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            return b"inlineStr", esc(str(value))
        return b"n", _number(value)
    if isinstance(value, (datetime, date, time, timedelta)):
        return b"n", _number(_serial(value, date1904))
    return b"inlineStr", esc(clean_text(str(value)))


def cached_parts(cached, date1904: bool = False) -> tuple[bytes | None, bytes | None]:
    """(t attribute or None for a number, <v> text) of a formula's cached result; (None, None): none."""
    if cached is None or (isinstance(cached, float) and not math.isfinite(cached)):
        return None, None                        # (an overflow: no spreadsheet records one; it computes)
    if cached == "":
        return b"str", b""                       # empty text, as Excel records it
    if isinstance(cached, str) and cached in ERRORS:
        return b"e", esc(cached)
    t, v = _scalar(cached, date1904)
    return {b"inlineStr": b"str", b"n": None}.get(t, t), v


def cell_xml(p: bytes, ref: str, style: int, value, date1904: bool = False) -> bytes:
    """One <c> element (``p``: the prefix of the main namespace in this part)."""
    head = b"<" + p + b'c r="' + ref.encode() + b'"' + (b' s="%d"' % style if style else b"")
    if isinstance(value, Formula):
        f = b"<" + p + b"f>" + esc(clean_text(value.text)) + b"</" + p + b"f>"
        t, v = cached_parts(value.cached, date1904)
        if v is None:
            return head + b">" + f + b"</" + p + b"c>"
        return (head + (b' t="' + t + b'"' if t else b"") + b">" + f
                + b"<" + p + b"v>" + v + b"</" + p + b"v></" + p + b"c>")
    t, v = _scalar(value, date1904)
    if t is None:
        return head + b"/>"
    if t == b"inlineStr":
        edge = v[:1].isspace() or v[-1:].isspace() or v.startswith(b"&#13;") or v.endswith(b"&#13;")
        space = b' xml:space="preserve"' if edge or b"\n" in v or b"\t" in v else b""
        return (head + b' t="inlineStr"><' + p + b"is><" + p + b"t" + space + b">" + v + b"</" + p + b"t></"
                + p + b"is></" + p + b"c>")
    return head + (b' t="' + t + b'"' if t != b"n" else b"") + b"><" + p + b"v>" + v + b"</" + p + b"v></" + p + b"c>"


@lru_cache(maxsize=8)
def _patterns(p: bytes) -> dict[str, re.Pattern]:
    """The patterns reading cells of a part whose main namespace has prefix ``p``."""
    return {"rph": re.compile(rb"<" + p + rb"rPh\b.*?</" + p + rb"rPh>", re.S),
            "t": re.compile(rb"<" + p + rb"t(?:\s[^>]*)?>(.*?)</" + p + rb"t>", re.S),
            "c": re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>"),
            "is": re.compile(rb"<" + p + rb"is>(.*?)</" + p + rb"is>", re.S),
            "v": re.compile(rb"<" + p + rb"v(?:\s[^>]*)?>(.*?)</" + p + rb"v>", re.S)}


def _text_of(raw: bytes, p: bytes) -> str:
    """Concatenated <t> text of an inline or shared string, without phonetic runs."""
    pat = _patterns(p)
    if b"rPh" in raw:
        raw = pat["rph"].sub(b"", raw)
    text = "".join(unescape(x) for x in pat["t"].findall(raw))
    return _UNESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def cell_value(raw: bytes, p: bytes, shared) -> Any:
    """The value of a raw <c> element (its cached result for a formula); ``shared()`` gives the
    shared string table when needed."""
    pat = _patterns(p)
    m = pat["c"].match(raw)
    if m is None or m.group(2):
        return None
    t = _T_ATTR.search(m.group(1))
    t = t.group(1) if t else b"n"
    if t == b"inlineStr":
        inner = pat["is"].search(raw)
        return _text_of(inner.group(1), p) if inner else None
    v = pat["v"].search(raw)
    if v is None:
        return None
    text = unescape(v.group(1)) if b"&" in v.group(1) else v.group(1).decode("utf-8")
    if t == b"s":
        try:
            return shared()[int(text)]
        except (ValueError, IndexError):
            return None
    if t in (b"str", b"e"):
        return text
    if t == b"b":
        return text.strip() in ("1", "true")
    try:
        n = float(text)
    except ValueError:
        return text
    return int(n) if n.is_integer() and re.fullmatch(r"\s*-?\d+\s*", text) else n


def shared_strings(data: bytes | None) -> list[str]:
    if not data:
        return []
    from perfxl.io.xlsx.xmlbits import find_root, prefix_of

    p = prefix_of(find_root(data), b"http://schemas.openxmlformats.org/spreadsheetml/2006/main") or b""
    pattern = re.compile(rb"<" + p + rb"si>(.*?)</" + p + rb"si>|<" + p + rb"si/>", re.S)
    return [_text_of(m.group(1), p) if m.group(1) else "" for m in pattern.finditer(data)]
