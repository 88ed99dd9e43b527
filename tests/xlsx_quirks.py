"""Workbooks as Excel and WPS write them, built at the XML level: number formats (built-in ids 9 and
10, custom codes with colours, locales and quoted percent signs), formulas with and without a cached
value, inline and shared strings. Only what perfxl reads is written: 基本信息 and 指标评分."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from perfxl.model import layout as L

#: the 指标评分 columns these workbooks have, in order (A..)
HEADERS = [L.COLUMNS_BY_KEY[k].header for k in
           ("code", "level1", "level2", "name", "weight", "method", "params", "source", "target", "actual",
            "evaluator_score", "note", "rule_score", "score", "rate", "process")]
COL = {k: chr(65 + i) for i, k in enumerate(
    ("code", "level1", "level2", "name", "weight", "method", "params", "source", "target", "actual",
     "evaluator_score", "note", "rule_score", "score", "rate", "process"))}


class Cell:
    """A cell as a spreadsheet program stores it: a value (number or text), a style index, a formula
    (with its cached value unless ``cached`` is False; ``f_attrs`` the formula element's attributes, as
    ' t="shared" si="0"', and ``f=""`` a formula element without text), text stored as a shared string or
    inline, ``t`` a value type written as it is ("e": an error value)."""

    def __init__(self, value=None, *, s: int | None = None, f: str | None = None, cached: bool = True,
                 shared: bool = True, f_attrs: str = "", t: str | None = None):
        self.value, self.s, self.f, self.cached, self.shared = value, s, f, cached, shared
        self.f_attrs, self.t = f_attrs, t


def _cell_xml(ref: str, cell, strings: list[str]) -> str:
    if not isinstance(cell, Cell):
        cell = Cell(cell)
    style = f' s="{cell.s}"' if cell.s is not None else ""
    formula = "" if cell.f is None else f"<f{cell.f_attrs}>{escape(cell.f)}</f>" if cell.f else f"<f{cell.f_attrs}/>"
    v = cell.value
    if v is None and not formula:
        return ""
    if cell.t is not None:
        return f'<c r="{ref}"{style} t="{cell.t}">{formula}<v>{escape(str(v))}</v></c>'
    if isinstance(v, str):
        if cell.shared:
            strings.append(v)
            body = f"<v>{len(strings) - 1}</v>" if cell.cached or not formula else ""
            return f'<c r="{ref}"{style} t="s">{formula}{body}</c>'
        return f'<c r="{ref}"{style} t="inlineStr">{formula}<is><t>{escape(v)}</t></is></c>'
    body = f"<v>{v!r}</v>" if v is not None and (cell.cached or not formula) else ""
    return f'<c r="{ref}"{style}>{formula}{body}</c>'


def _sheet_xml(cells: dict[str, object], strings: list[str], refs: bool = True) -> str:
    """``refs`` False: no cell has r="A1" (as the spec allows: each cell follows the one before it, an
    empty <c/> standing for a cell left out)."""
    rows: dict[int, list[tuple[str, object]]] = {}
    for ref, cell in cells.items():
        letters = "".join(ch for ch in ref if ch.isalpha())
        rows.setdefault(int(ref[len(letters):]), []).append((ref, cell))
    out = []
    for r in sorted(rows):
        row = sorted(rows[r], key=lambda x: (len(x[0]), x[0]))
        if refs:
            inner = "".join(_cell_xml(ref, c, strings) for ref, c in row)
        else:
            by_col = {ord(ref[0]) - 65: (ref, c) for ref, c in row}
            inner = "".join(re.sub(r'^<c r="[A-Z]+\d+"', "<c", _cell_xml(*by_col[k], strings) or "<c/>")
                            if k in by_col else "<c/>" for k in range(max(by_col) + 1))
        out.append(f'<row r="{r}">{inner}</row>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{"".join(out)}</sheetData></worksheet>')


def prefixed(xml: str, prefix: str) -> str:
    """A worksheet part with every element in the spreadsheet namespace written with ``prefix`` (<x:c>),
    as programs built on the Open XML SDK write them."""
    xml = re.sub(r"<(/?)(?![?!])(\w+)([ >/])", rf"<\1{prefix}:\2\3", xml)
    return xml.replace('xmlns="http://schemas', f'xmlns:{prefix}="http://schemas', 1)


def write_xlsx(path: Path, sheets: dict[str, dict[str, object]], *, num_fmts: dict[int, str] | None = None,
               xfs: list[int] | None = None, refs: bool = True, date1904: bool = False, prefix: str = "") -> Path:
    """A minimal package: ``sheets`` {name: {ref: value or Cell}}; ``num_fmts`` custom formats {id: code};
    ``xfs`` the numFmtId of each cell style (index = the style a Cell's ``s`` names; 0 is General);
    ``refs`` False: cells written without their r="A1" (columns A..Z only); ``date1904``: the 1904 date system
    (Mac Excel); ``prefix``: the worksheet parts' elements written with this namespace prefix."""
    strings: list[str] = []
    parts = {f"xl/worksheets/sheet{i}.xml": _sheet_xml(cells, strings, refs)
             for i, cells in enumerate(sheets.values(), start=1)}
    if prefix:
        parts = {name: prefixed(xml, prefix) for name, xml in parts.items()}
    xfs = xfs or [0]
    fmts = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
                   for i, code in (num_fmts or {}).items())
    styles = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              + (f'<numFmts count="{len(num_fmts)}">{fmts}</numFmts>' if num_fmts else "")
              + '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
              '<fills count="2"><fill><patternFill patternType="none"/></fill>'
              '<fill><patternFill patternType="gray125"/></fill></fills>'
              '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
              '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
              f'<cellXfs count="{len(xfs)}">'
              + "".join(f'<xf numFmtId="{n}" fontId="0" fillId="0" borderId="0" xfId="0"'
                        f'{" applyNumberFormat=" + chr(34) + "1" + chr(34) if n else ""}/>' for n in xfs)
              + "</cellXfs></styleSheet>")
    sst = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
           f'uniqueCount="{len(strings)}">' + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    names = list(sheets)
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                + ('<workbookPr date1904="1"/>' if date1904 else "") + '<sheets>'
                + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
                + "</sheets></workbook>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                      f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
            + f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/styles" Target="styles.xml"/>'
            + f'<Relationship Id="rId{len(names) + 2}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
             '<Default Extension="xml" ContentType="application/xml"/>'
             '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
             'spreadsheetml.sheet.main+xml"/>'
             + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                       'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                       for i in range(1, len(names) + 1))
             + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
               'spreadsheetml.styles+xml"/>'
               '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
               'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", rels)
        z.writestr("xl/styles.xml", styles)
        z.writestr("xl/sharedStrings.xml", sst)
        for name, xml in parts.items():
            z.writestr(name, xml)
    return path


def evaluation(path: Path, rows: list[dict], *, num_fmts=None, xfs=None, info: dict | None = None,
               refs: bool = True, date1904: bool = False, prefix: str = "") -> Path:
    """An evaluation workbook: 基本信息 (unit, year) and 指标评分 with ``rows`` (column key -> value or
    Cell), indicators on rows 2, 3 …"""
    sheet = {f"{chr(65 + i)}1": h for i, h in enumerate(HEADERS)}
    for r, row in enumerate(rows, start=2):
        for key, value in row.items():
            sheet[f"{COL[key]}{r}"] = value
    info = {"unit": "测试单位", "year": 2023, **(info or {})}
    basic = {"A1": L.INFO_HEADER[0], "B1": L.INFO_HEADER[1]}
    for r, (key, value) in enumerate(info.items(), start=2):
        basic[f"A{r}"], basic[f"B{r}"] = L.INFO_BY_KEY[key].label, value
    return write_xlsx(path, {L.SHEET_INFO: basic, L.SHEET_INDICATORS: sheet}, num_fmts=num_fmts, xfs=xfs, refs=refs,
                      date1904=date1904, prefix=prefix)
