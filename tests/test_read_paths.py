"""The read step's fast paths against its general ones, on generated sheet parts: a part whose cells all
start <c r="…" is searched for its formulas, percent styles and hidden rows with a few regex passes;
any other is walked cell by cell (``package.cells``). Both must find the same things in every part."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.check.problems import UnusableInput
from perfxl.io import package as P
from perfxl.io import read as R
from perfxl.model.cells import col_letter

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STYLES = {3: R.SCALED, 7: R.LITERAL, 12: R.SCALED}

formula_text = st.sampled_from([
    "100%", " 0.9 ", "1", "+5%", "-2", "&#49;&#48;&#48;%",                  # constants, some as character references
    "IF(A1&gt;0,1,0)", "SUM(B2:B9)", "IFERROR(E2/F2,&quot;&#28165;&quot;)", "A1&amp;&quot;%&quot;", "",
])


@st.composite
def cell(draw, ref: str) -> str:
    s = draw(st.sampled_from(["", ' s="3"', ' s="7"', ' s="12"', ' s="30"']))
    kind = draw(st.sampled_from(["number", "text", "formula", "formula", "shared", "empty", "error"]))
    if kind == "error":                  # a value saved as an error, by a formula or typed (#N/A)
        f = draw(st.sampled_from(["", "<f>1/0</f>", '<f t="shared" si="1"/>']))
        v = draw(st.sampled_from(["<v>#DIV/0!</v>", "<v>#N/A</v>", ""]))
        return f'<c r="{ref}"{s} t="e">{f}{v}</c>'
    if kind == "number":
        return f'<c r="{ref}"{s}><v>{draw(st.integers(0, 200))}</v></c>'
    if kind == "text":
        return f'<c r="{ref}"{s} t="inlineStr"><is><t>x</t></is></c>'
    if kind == "empty":
        return f'<c r="{ref}"{s}/>'
    t = draw(st.sampled_from(["", ' t="str"']))
    v = draw(st.sampled_from(["", "<v></v>", "<v>1</v>"]))
    if kind == "shared":
        si = draw(st.integers(0, 2))
        head = draw(st.booleans())
        f = f'<f t="shared" ref="A1:A9" si="{si}">{draw(formula_text)}</f>' if head else f'<f t="shared" si="{si}"/>'
    else:
        f = f"<f>{draw(formula_text)}</f>"
    return f'<c r="{ref}"{s}{t}>{f}{v}</c>'


@st.composite
def sheet(draw) -> bytes:
    rows = []
    for r in sorted(draw(st.sets(st.integers(1, 40), max_size=8))):
        hidden = draw(st.sampled_from(["", ' hidden="1"', ' hidden="true"', ' hidden="0"']))
        style = draw(st.sampled_from(["", ' s="3" customFormat="1"']))
        cols = sorted(draw(st.sets(st.integers(1, 40), max_size=6)))
        cells = "".join(draw(cell(f"{col_letter(c)}{r}")) for c in cols)
        rows.append(f'<row r="{r}"{style}{hidden}>{cells}</row>')
    cols = draw(st.sampled_from(["", '<cols><col min="2" max="3" hidden="1" width="9"/></cols>']))
    return (f'<worksheet xmlns="{NS}">{cols}<sheetData>{"".join(rows)}</sheetData></worksheet>').encode()


def _marks(found):
    marks, constants, formula_cells = found
    return {pos: (m.kind, m.text) for pos, m in marks.items()}, constants, formula_cells


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=sheet())
def test_the_fast_paths_find_what_walking_every_cell_finds(data):
    assert not P.odd_cells(data)
    assert _marks(R._marks(data, False)) == _marks(R._marks(data, True))
    assert R._percent_cells(data, STYLES, False) == R._percent_cells(data, STYLES, True)
    tree = ElementTree.fromstring(data)
    hidden = {int(r.get("r")) - 1 for r in tree.iter(f"{{{NS}}}row") if r.get("hidden") in ("1", "true")}
    assert R._hidden_rows(data) == hidden


def test_the_fast_formula_path_is_taken_for_plain_parts():
    """(else the property above would compare the walker with itself)"""
    data = f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1"><f>SUM(B1:B2)</f><v></v></c>' \
           f'<c r="B1" s="3"><f>100%</f></c><c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>' \
           f'</sheetData></worksheet>'.encode()
    assert R._plain_cells(data) is not None
    marks, constants, cells = R._marks(data, False)
    assert cells == {(0, 0), (0, 1)} and constants == {(0, 1): "100%"}
    assert {p: (m.kind, m.text) for p, m in marks.items()} == {(0, 0): ("nocache", "=SUM(B1:B2)"),
                                                               (0, 2): ("error", "#DIV/0!")}


@pytest.mark.parametrize("far", ["Z99", "ZZ999", "AAA1", "A1000", "Z192307", "Z192308", "GJ26316", "GJ26317",
                                 "XFD1048576"])
def test_a_sheet_is_refused_exactly_when_its_area_is_past_the_limit(far, tmp_path: Path):
    """The cheap bound (no three-letter column, no four-digit row) never lets a sheet past the exact check."""
    row = int(far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    first = '<row r="1"><c r="A1"><v>1</v></c></row>' if row > 1 else ""
    data = f'<worksheet xmlns="{NS}"><sheetData>{first}<row r="{row}"><c r="{far}"><v>1</v></c></row>' \
           f'</sheetData></worksheet>'.encode()
    rows, cols, _ = P._extent_by_tokens(data)
    too_big = rows * cols > P.MAX_SHEET_CELLS
    try:
        P.check_extent(data, tmp_path / "x.xlsx", "指标评分")
        refused = False
    except UnusableInput as e:
        refused = e.problems[0].code == "sheet_too_large"
    assert refused == too_big
