"""Question headers as they arrive: numbered by survey platforms ("1、您对…是否满意？", "Q1.",
"第1题", "5(服务态度)", "21.…？:与家人交流"), mixed with platform metadata columns, and named by
people in 题组 (names holding 、，,；;/ and other punctuation, numbers, ranges such as 题1~题5)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from perfxl.model import layout as L
from perfxl.model.text import fold, visible


def norm(text: object) -> str:
    """Canonical text for matching: folded (NFKC, no whitespace or invisible characters), lower case."""
    return fold(str(text)).lower()


@dataclass(frozen=True)
class Header:
    number: int | None      # the question number the header carries, if any
    stem: str               # the question text without its numbering
    sub: str | None         # a matrix row or multiple-choice option written in the header
    fill_in: bool = False   # a fill-in part of a question (腾讯问卷 "_填空1", 问卷星 "〖〗")


# "第5题(服务态度)" / "第1题 您的性别"
_NTH = re.compile(r"^第(\d{1,3})题(?:\((.+)\))?[、.:\s]*(.*)$")
# "Q1.您的性别" / "Q1:…" / "Q1 …" / "Q1"
_Q = re.compile(r"^[Qq](\d{1,3})(?:[、.:)\s_-]+(.*)|$)")
# "题1" / "题1、…"
_TI = re.compile(r"^题(\d{1,3})(?:[、.:\s]+(.*))?$")
# 问卷星 matrix row or option column: "5(服务态度)"
_PAREN = re.compile(r"^(\d{1,3})\((.+)\)$")
# "1、您对…" / "1.您…" (not "1.5倍…") / "1:…"
_PLAIN = re.compile(r"^(\d{1,3})(?:[、:]|\.(?!\d))\s*(.+)$")
_FILL = re.compile(r"_填空\d*$|〖.*〗$")


@lru_cache(maxsize=4096)
def parse(header: str) -> Header:
    """The numbering of a question header, if it has one."""
    s = visible(unicodedata.normalize("NFKC", str(header))).strip()
    fill = bool(_FILL.search(s))
    if m := _NTH.match(s):
        return Header(int(m.group(1)), m.group(3) or m.group(2) or s, m.group(2), fill)
    if m := _PAREN.match(s):
        return Header(int(m.group(1)), m.group(2), m.group(2), fill)
    for rx in (_Q, _TI, _PLAIN):
        if m := rx.match(s):
            stem = (m.group(2) or "").strip()
            return Header(int(m.group(1)), stem or s, None, fill)
    return Header(None, s, None, fill)


@lru_cache(maxsize=1)
def _meta() -> frozenset[str]:
    return frozenset(norm(h) for h in L.SURVEY_META_HEADERS)


def is_meta(header: object) -> bool:
    """A platform's metadata column (提交答卷时间, 来自IP, 地理位置…), never a question."""
    if header is None:
        return False
    n = norm(header)
    return n in _meta() or n.startswith("地理位置") or (parse(str(header)).number is None and n.startswith("unnamed:"))


_SEPARATORS = "、,;，；/|"
_RANGE = re.compile(r"^(?:第|题|q)?(\d{1,3})题?[~\-至—–](?:第|题|q)?(\d{1,3})题?$")
_NUMBER = re.compile(r"^(?:第|题|q)?(\d{1,3})题?$")


def resolve(text: object, headers: list[str]) -> tuple[list[int] | None, str]:
    """Columns (indexes into ``headers``) a 题组's 题目 cell names, and the part not understood.

    A question is named by its header (punctuation and all), by its text without the numbering,
    by its number (题3, Q3, 第3题, 3: every column carrying that number, e.g. a matrix's rows), or
    by a range of numbers (题1~题5, 1-5, 第1~5题); names are separated by 、，,；;/; 全部 is every
    question. A name that is itself a header wins over splitting it at its punctuation."""
    written = fold(str(text))
    s = written.lower()
    if len(written) != len(s):
        written = s
    if s in {norm(x) for x in L.SURVEY_ALL_QUESTIONS}:
        return list(range(len(headers))), ""
    exact: dict[str, list[int]] = {}
    stems: dict[str, list[int]] = {}
    numbers: dict[int, list[int]] = {}
    for i, h in enumerate(headers):
        exact.setdefault(norm(h), []).append(i)
        p = parse(h)
        stems.setdefault(norm(p.stem).rstrip("?:。."), []).append(i)
        if p.number is not None:
            numbers.setdefault(p.number, []).append(i)
    whole = {**{k: v for k, v in stems.items() if k}, **{k + "?": v for k, v in stems.items() if k}, **exact}
    names = sorted(whole, key=len, reverse=True)
    out: list[int] = []
    i = 0
    while i < len(s):
        if s[i] in _SEPARATORS:
            i += 1
            continue
        name = next((n for n in names if s.startswith(n, i)
                     and (i + len(n) == len(s) or s[i + len(n)] in _SEPARATORS)), None)
        if name:
            out += whole[name]
            i += len(name)
            continue
        j = i
        while j < len(s) and s[j] not in _SEPARATORS:
            j += 1
        token, start, i = s[i:j], i, j
        found = _token(token, stems, numbers)
        if found is None:
            return None, written[start:j]
        out += found
    return list(dict.fromkeys(out)), ""


def _token(token: str, stems: dict[str, list[int]], numbers: dict[int, list[int]]) -> list[int] | None:
    if token.rstrip("?:。.") in stems:
        return stems[token.rstrip("?:。.")]
    if m := _RANGE.match(token):
        a, b = int(m.group(1)), int(m.group(2))
        if a > b or any(n not in numbers for n in range(a, b + 1)):
            return None
        return [c for n in range(a, b + 1) for c in numbers[n]]
    if (m := _NUMBER.match(token)) and int(m.group(1)) in numbers:
        return numbers[int(m.group(1))]
    return None
