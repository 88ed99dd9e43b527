"""The consolidation's tables as people see them: English column keys renamed to the summary
workbook's headers (layout.CONS_HEADERS) only where a sheet, a terminal table or a report is drawn."""
from __future__ import annotations

from typing import Any

from perfxl.model import layout as L


def header(key: str) -> str:
    """The header of a column key; columns without one (the 一级指标 names) keep their name."""
    return L.CONS_HEADERS.get(key, key)


def display_frame(frame: Any) -> Any:
    """``frame`` with Chinese headers (a copy; the frame itself keeps its keys)."""
    return frame.rename(columns={k: header(k) for k in frame.columns})
