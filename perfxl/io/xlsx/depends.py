"""Which formulas of a workbook read, directly or through other formulas, the cells of some sheets (whose
values changed): only their saved results become stale. A reference that cannot be followed (INDIRECT,
OFFSET, a defined name, another workbook, a shared formula's follower) counts as reading everything."""
from __future__ import annotations

import re
from collections import deque

from perfxl.model.cells import MAX_COL, MAX_ROW, col_index

_STRING = re.compile(r'("(?:[^"]|"")*")')          # text in a formula (the group keeps it in a split)
_SHEET = r"(?:'((?:[^']|'')+)'|([^\s'!():,;=<>&+\-*/^%{}\"\[\]]+))!"
_CELL = r"\$?([A-Z]{1,3})\$?(\d+)"
_REF = re.compile(r"(?<![\w.])(?:" + _SHEET + r")?(?:" + _CELL + r"(?::" + _CELL + r")?(?![\w(])"
                  r"|\$?([A-Z]{1,3}):\$?([A-Z]{1,3})(?![\w(])|\$?(\d+):\$?(\d+)(?![\w(]))")
_OPAQUE = re.compile(r"\b(?:INDIRECT|OFFSET)\s*\(|\[", re.I)
_NAME = re.compile(r"(?<![\w.$])([^\W\d][\w.]*)(?![\w.(!])")
_WORDS = {"TRUE", "FALSE"}
#: a range up to this many cells is indexed cell by cell; a larger one is checked against each changed cell
_SMALL = 256

Ref = tuple[str, int, int, int, int]          # sheet, first row, first column, last row, last column


def references(formula: str, sheet: str) -> list[Ref] | None:
    """The ranges ``formula`` (its text, without "=") on ``sheet`` reads; None when it cannot be told."""
    text = _STRING.sub('""', formula)
    if _OPAQUE.search(text):
        return None
    out: list[Ref] = []
    for m in _REF.finditer(text):
        quoted, bare = m.group(1), m.group(2)
        where = quoted.replace("''", "'") if quoted is not None else bare if bare is not None else sheet
        if m.group(3):
            r1, c1 = int(m.group(4)), col_index(m.group(3)) + 1
            r2, c2 = (int(m.group(6)), col_index(m.group(5)) + 1) if m.group(5) else (r1, c1)
        elif m.group(7):
            r1, r2, c1, c2 = 1, MAX_ROW, col_index(m.group(7)) + 1, col_index(m.group(8)) + 1
        else:
            r1, r2, c1, c2 = int(m.group(9)), int(m.group(10)), 1, MAX_COL
        out.append((where, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
    rest = _REF.sub(" ", text)
    if any(name.upper() not in _WORDS for name in _NAME.findall(rest)):
        return None                          # a defined name (or a table reference): where it points is unknown
    return out


_SPELLING = re.compile(r"\s+|_xlfn\.|_xlws\.|(?<=TRUE)\(\)|(?<=FALSE)\(\)", re.I)
_QUOTED_SHEET = re.compile(r"'((?:[^']|'')+)'!")
_NUMBER = re.compile(r"(?<![A-Z0-9_.$:!])(\d+\.?\d*(?:E[+-]?\d+)?)(?![\d.(A-Z_:!])")


def canonical(formula: str) -> str:
    """A formula's text as the programs re-spell it on saving made alike, for telling whether a cell still
    holds a formula perfxl wrote: LibreOffice writes ``FALSE()`` for ``FALSE``, drops the quotes of a
    sheet name that needs none and spells numbers its own way (``1E-09`` as ``0.000000001``); Excel
    writes ``_xlfn.`` before newer functions; either may add spaces. Text in double quotes is kept."""
    parts = _STRING.split(formula)
    out = []
    for i, p in enumerate(parts):
        if i % 2:
            out.append(p)
            continue
        p = _QUOTED_SHEET.sub(lambda m: m.group(1).replace("''", "'") + "!", p)
        p = _SPELLING.sub("", p).upper()
        out.append(_NUMBER.sub(lambda m: repr(float(m.group(1))), p))
    return "".join(out)


def canonical_texts(formulas: dict[tuple[str, int, int], str | None]) -> dict[tuple[str, int, int], str]:
    """``Book.formula_texts`` made ``canonical`` ("" where another cell holds the text)."""
    return {cell: canonical(text or "") for cell, text in formulas.items()}


def reading(formulas: dict[tuple[str, int, int], str | None], changed: set[str]) -> set[tuple[str, int, int]]:
    """Of ``formulas`` ((sheet, row, column) -> text, None when the text is elsewhere), the cells that read
    a cell of the ``changed`` sheets, directly or through other formulas in ``formulas``."""
    readers: dict[tuple[str, int, int], list[tuple[str, int, int]]] = {}
    wide: dict[str, list[tuple[Ref, tuple[str, int, int]]]] = {}
    found: set[tuple[str, int, int]] = set()
    todo: deque[tuple[str, int, int]] = deque()
    for cell, text in formulas.items():
        refs = None if text is None else references(text, cell[0])
        if refs is None or cell[0] in changed or any(ref[0] in changed for ref in refs):
            found.add(cell)
            todo.append(cell)
            continue
        for ref in refs:
            sheet, r1, c1, r2, c2 = ref
            if (r2 - r1 + 1) * (c2 - c1 + 1) <= _SMALL:
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        readers.setdefault((sheet, r, c), []).append(cell)
            else:
                wide.setdefault(sheet, []).append((ref, cell))
    while todo:
        sheet, r, c = todo.popleft()
        for reader in readers.get((sheet, r, c), ()):
            if reader not in found:
                found.add(reader)
                todo.append(reader)
        for (_, r1, c1, r2, c2), reader in wide.get(sheet, ()):
            if reader not in found and r1 <= r <= r2 and c1 <= c <= c2:
                found.add(reader)
                todo.append(reader)
    return found
