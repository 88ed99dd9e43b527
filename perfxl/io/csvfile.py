"""CSV files (an OA system's roster, a survey platform's export) read as one grid, as a spreadsheet would."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from perfxl.io.package import read_file
from perfxl.io.read import SheetGrid

#: CSV encodings tried in turn (GB18030 is a superset of GBK and GB2312)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def _decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding's name as people know it."""
    names = {"utf-8-sig": "UTF-8（带 BOM）" if data.startswith(b"\xef\xbb\xbf") else "UTF-8", "gb18030": "GBK"}
    for enc in CSV_ENCODINGS:
        try:
            return data.decode(enc), names[enc]
        except UnicodeDecodeError:
            continue
    return data.decode("gb18030", errors="replace"), names["gb18030"]


def read_csv(path: Path) -> tuple[SheetGrid, str]:
    """A CSV file (UTF-8 with or without BOM, or GBK; comma, tab or semicolon) as one grid, and its encoding."""
    text, encoding = _decode(read_file(path, csv=True))
    first = text[:text.find("\n")] if "\n" in text else text
    delimiter = max((",", "\t", ";"), key=first.count)        # exports use commas; Excel "另存为" may use tabs
    rows = [[_csv_value(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return SheetGrid(path.name, rows), encoding


_INT = re.compile(r"^-?(?:0|[1-9]\d{0,14})$")


def _csv_value(v: str) -> Any:
    """CSV text as a spreadsheet would read it: blank None, whole numbers as numbers (not 001)."""
    v = v.strip()
    if not v:
        return None
    return int(v) if _INT.match(v) else v
