"""How perfxl's cells look, shared by every drawing back end (openpyxl styles, the XML writer,
xlwings): the border and link colours, and how many lines wrapped text takes."""
from __future__ import annotations

BORDER_COLOR = "B4B4B4"
LINK_COLOR = "0563C1"


def needed_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (CJK characters count double)."""
    per_line = max(int(width * 0.95), 4)
    return sum(-(-sum(2 if ord(ch) > 0x2E7F else 1 for ch in part) // per_line) or 1 for part in text.split("\n"))
