"""Cell addresses: column letters, and ``CellRef``, a typed reference used instead of strings
re-parsed by regex."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_A1 = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
#: the last row and column of a sheet (Excel 2007+, LibreOffice, WPS)
MAX_ROW, MAX_COL = 1_048_576, 16_384


@lru_cache(maxsize=1024)
def col_letter(n: int) -> str:
    """1-based column number -> letters (28 -> AB)."""
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def col_index(letters: str) -> int:
    """Column letters -> 0-based index (A -> 0, AB -> 27)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def cell_ref(row: int, col: int) -> str:
    """1-based row and column -> 'B12'."""
    return f"{col_letter(col)}{row}"


@dataclass(frozen=True, slots=True, order=True)
class CellRef:
    """One cell: 1-based row and column (``CellRef(12, 2).a1 == 'B12'``)."""
    row: int
    col: int

    @property
    def a1(self) -> str:
        return cell_ref(self.row, self.col)

    def __str__(self) -> str:
        return self.a1

    @classmethod
    def parse(cls, text: str) -> "CellRef | None":
        """'B12' or '$B$12' -> CellRef(12, 2); anything else (a range, a row) -> None."""
        m = _A1.match(text or "")
        return cls(int(m.group(2)), col_index(m.group(1)) + 1) if m else None
