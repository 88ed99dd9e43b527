"""How perfxl's cells look, shared by every drawing back end (openpyxl styles, the XML writer,
xlwings): the border and link colours, how wide text is and how many lines it takes wrapped."""
from __future__ import annotations

import unicodedata

BORDER_COLOR = "B4B4B4"
LINK_COLOR = "0563C1"


def char_width(ch: str) -> int:
    """A character's width in half-em units (a cell, a chart label, a report table): East Asian wide and
    full-width characters (CJK, full-width punctuation) count 2, others 1."""
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def display_width(text: str) -> int:
    """``text``'s width in half-em units (``char_width`` summed)."""
    return sum(map(char_width, text))


def needed_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (CJK characters count double)."""
    per_line = max(int(width * 0.95), 4)
    return sum(-(-display_width(part) // per_line) or 1 for part in text.split("\n"))


#: a row of wrapped text: points a line, and the most lines a row grows to (a longer text scrolls in its cell)
LINE_HEIGHT, MAX_ROW_LINES = 15.0, 12


def row_height(lines: int) -> float:
    """The height (points) of a row whose tallest wrapped text takes ``lines`` lines: spreadsheets do not
    grow rows a library wrote."""
    return LINE_HEIGHT * min(lines, MAX_ROW_LINES)


def break_lines(text: str, width: int) -> list[str]:
    """``text`` cut into lines of at most ``width`` (``char_width``): for labels a program does not wrap
    by itself (chart axes)."""
    lines, line, used = [], "", 0
    for ch in text:
        w = char_width(ch)
        if line and used + w > width:
            lines.append(line)
            line, used = "", 0
        line, used = line + ch, used + w
    return [*lines, line]


# --- printing and fonts: the one page setup every sheet perfxl writes gets ------------------------

PAPER_A4 = 9
#: inches, as spreadsheet files store them
MARGINS = dict(left=0.5, right=0.5, top=0.75, bottom=0.75, header=0.3, footer=0.3)
#: the Chinese font declared for every cell perfxl styles (Excel's theme supplies the Latin font with
#: scheme "minor"; LibreOffice and WPS substitute a CJK font of the same family where it is missing)
FONT_NAME, FONT_SIZE, FONT_CHARSET = "等线", 11, 134


def _hf(text: str) -> str:
    """Text for a page header/footer: a literal & doubled; {page} and {pages} become fields."""
    return text.replace("&", "&&").replace("{page}", "&P").replace("{pages}", "&N")


def header_parts(unit: str | None = None) -> dict[str, str]:
    """The page header: the unit's name (or the workbook's subject) left, the sheet's name right."""
    from perfxl.model import layout as L
    from perfxl.model.text import strip_illegal

    label = strip_illegal(str(unit)).strip()[:80] if unit else ""
    return {"L": _hf(label or L.PRINT_HEADER_DEFAULT), "R": "&A"}


def footer_parts() -> dict[str, str]:
    """The page footer: 第 N 页 共 M 页, centred."""
    from perfxl.model import layout as L

    return {"C": _hf(L.PRINT_PAGE_OF)}


def joined(parts: dict[str, str]) -> str:
    """Header/footer parts as the file stores them: &L…&C…&R…"""
    return "".join(f"&{k}{parts[k]}" for k in "LCR" if parts.get(k))


def page_header(unit: str | None = None) -> str:
    return joined(header_parts(unit))


def page_footer() -> str:
    return joined(footer_parts())
