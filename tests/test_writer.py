"""Nothing lost when writing back (可靠性与安全): perfxl edits the package at the XML level.

A corpus of workbooks with what people put in them — pictures, charts, buttons, macros, custom XML
(sensitivity labels), printer settings, rich text, notes, data validation, conditional formats,
defined names and formulas with cached results — made both at the XML level as Excel writes them and
by LibreOffice through UNO, is scored in place and into a new file. The package is then diffed part by
part: every part is byte-identical except the ones perfxl owns, and within the sheets perfxl patches
every cell it does not own is byte-identical too. LibreOffice opens every file written and sees
perfxl's values.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, example_basic, example_info, example_rows
from lxml import etree
from packages import MAIN, R, cells, parts, rels_of, sheet_parts, without_cached_results

from perfxl.model import layout as L
from perfxl.sheets.live import HELPERS

S = L.SHEET_INDICATORS
OWNED = {L.SHEET_SUMMARY, L.SHEET_SURVEY_STATS, L.SHEET_PROBLEMS, L.SHEET_DEVIATIONS, L.SHEET_LISTS}
#: parts any write may change (xl/calcChain.xml is dropped once perfxl writes formulas: Excel rebuilds it)
PACKAGE_LEVEL = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                 "docProps/core.xml", "xl/calcChain.xml"}
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8cf"
                    "c0f01f0005000201a5d6b8c60000000049454e44ae426082")
USER_NOTE = "张三:\n请复核该项得分"


# --- reading packages (independently of perfxl's editor) -------------------------------------------

def strip_style(raw: bytes) -> bytes:
    return re.sub(rb' s="\d+"', b"", raw, count=1)


def c14n(el) -> bytes:
    return etree.tostring(el, method="c14n", exclusive=True)


def note_texts(pk: dict[str, bytes], sheet_part: str) -> dict[str, str]:
    out = {}
    for _, kind, target in rels_of(pk, sheet_part):
        if kind == "comments" and target in pk:
            for c in etree.fromstring(pk[target]).iter("{%s}comment" % MAIN):
                out[c.get("ref")] = "".join(t.text or "" for t in c.iter("{%s}t" % MAIN))
    return out


def owned_columns(path: Path) -> set[str]:
    """Column letters of the computed columns and the live formulas' hidden helper columns (by their
    headers in row 1)."""
    from openpyxl import load_workbook

    headers = {L.COLUMNS_BY_KEY[k].header for k in L.COMPUTED_KEYS}
    headers |= {L.FORMULA_HELPER_HEADER.format(n=n) for n in range(1, HELPERS + 1)}
    ws = load_workbook(path, read_only=True)[S]
    return {c.column_letter for c in next(ws.iter_rows(min_row=1, max_row=1)) if c.value in headers}


def sourced_actuals(path: Path) -> set[str]:
    """The 实际值 cells of rows with a 数据来源: perfxl writes them (a reference to the source's value)."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    ws = load_workbook(path, read_only=True)[S]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    want = (L.COLUMNS_BY_KEY["source"].header, L.COLUMNS_BY_KEY["actual"].header)
    top = next((i for i, r in enumerate(rows) if all(h in r for h in want)), None)
    if top is None:
        return set()
    src, act = (rows[top].index(h) for h in want)
    letter = get_column_letter(act + 1)
    return {f"{letter}{i}" for i, r in enumerate(rows, start=1)
            if i > top + 1 and len(r) > src and r[src] not in (None, "")}


def check_nothing_else_changed(before: Path, after: Path, marked: set[tuple[str, str]],
                               computed: set[str] | None = None) -> None:
    """Every part byte-identical except those perfxl owns; in the sheets it patches every cell it
    does not own byte-identical, and a marked cell changes only its format. ``computed``: the column
    letters of perfxl's computed columns on the indicator sheet (default: found by their headers in row 1)."""
    a, b = parts(before), parts(after)
    sa, sb = sheet_parts(a), sheet_parts(b)
    patched = {S, L.SHEET_BASIC} | {sheet for sheet, _ in marked}
    touched = {sa[n] for n in (OWNED | patched) if n in sa}
    may_change = set(PACKAGE_LEVEL) | touched
    for part in touched:
        may_change.add(os.path.join(os.path.dirname(part), "_rels", os.path.basename(part) + ".rels"))
        may_change |= {t for _, kind, t in rels_of(a, part) if kind in ("comments", "vmlDrawing")}
    for name, data in a.items():
        if name not in may_change:
            assert b.get(name) == data, f"{name} changed"
    # styles: every existing entry keeps its index and meaning
    st_a, st_b = etree.fromstring(a["xl/styles.xml"]), etree.fromstring(b["xl/styles.xml"])
    for coll in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "dxfs"):
        ea, eb = st_a.find("{%s}%s" % (MAIN, coll)), st_b.find("{%s}%s" % (MAIN, coll))
        if ea is not None:
            assert [c14n(x) for x in ea] == [c14n(x) for x in eb][:len(ea)], coll
    # the sheets perfxl patches: cells and everything else but sheetData
    for name in patched & set(sa):
        pa, pb = a[sa[name]], b[sb[name]]
        ca, cb = cells(pa), cells(pb)
        own = (owned_columns(after) if computed is None else computed) if name == S else set()
        sourced = sourced_actuals(before) if name == S else set()
        figure_rows = set()
        if name == L.SHEET_BASIC:
            from openpyxl import load_workbook

            ws = load_workbook(before, read_only=True)[name]
            top = next((r[0].row for r in ws.iter_rows(max_col=2) if r[0].value == L.FIGURE_HEADER[0]), 10 ** 9)
            figure_rows = {r for r in ca if r[0] in "CD" and int(r[1:]) >= top}
        for ref, raw in ca.items():
            if re.match(r"[A-Z]+", ref).group(0) in own or ref in figure_rows or ref in sourced:
                continue
            assert ref in cb, f"{name}!{ref} lost"
            if (name, ref) in marked:
                assert strip_style(cb[ref]) == strip_style(raw), f"{name}!{ref}"
            else:
                assert cb[ref] == raw, f"{name}!{ref}: {raw!r} -> {cb[ref]!r}"
        ta, tb = etree.fromstring(pa), etree.fromstring(pb)
        # the indicator sheet's column entries change where perfxl hides its helper columns
        skip = {"sheetData", "dimension", "legacyDrawing"} | ({"cols"} if name == S else set())
        keep_a = [c14n(x) for x in ta if isinstance(x.tag, str) and etree.QName(x).localname not in skip]
        keep_b = [c14n(x) for x in tb if isinstance(x.tag, str) and etree.QName(x).localname not in skip]
        assert keep_a == keep_b, name
        # a user's notes keep their text; perfxl's part only follows it
        na, nb = note_texts(a, sa[name]), note_texts(b, sb[name])
        for ref, text in na.items():
            if not text.startswith("perfxl："):
                assert nb[ref].startswith(text.split("\n\nperfxl：")[0]), (name, ref)
    # workbook: the same sheets in the same order (perfxl's own added or regenerated), names kept
    assert [n for n in sb if n not in OWNED] == [n for n in sa if n not in OWNED]
    wa, wb_ = etree.fromstring(a["xl/workbook.xml"]), etree.fromstring(b["xl/workbook.xml"])
    names_a = {(d.get("name"), list(sa)[int(d.get("localSheetId"))] if d.get("localSheetId") else None, d.text)
               for d in wa.iter("{%s}definedName" % MAIN)}
    names_b = {(d.get("name"), list(sb)[int(d.get("localSheetId"))] if d.get("localSheetId") else None, d.text)
               for d in wb_.iter("{%s}definedName" % MAIN)}
    assert names_a <= names_b


def marked_cells(run_json: dict) -> set[tuple[str, str]]:
    out = {(p["sheet"], p["cell"]) for p in run_json["problems"] if p.get("sheet") and p.get("cell")}
    out |= {tuple(d["cell"].split("!")) for d in run_json.get("deviations", [])}
    return out


# --- the corpus: at the XML level, as Excel writes ----------------------------------------------------

def standard(path: Path, rows=None) -> Path:
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    wb = new_workbook(rows=rows or example_rows(), info=example_info(), basic=example_basic(), blank_rows=0)
    atomic_save(wb, path)
    return path


def _add_rel(pk, part, rid, rtype, target):
    import posixpath

    d, f = posixpath.split(part)
    name = posixpath.join(d, "_rels", f + ".rels")
    xml = pk.get(name, b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="%s">'
                       b'</Relationships>' % PR.encode())
    rel = b'<Relationship Id="%s" Type="%s" Target="%s"/>' % (rid.encode(), rtype.encode(), target.encode())
    pk[name] = xml.replace(b"</Relationships>", rel + b"</Relationships>")


def _ct(pk, xml: bytes):
    pk["[Content_Types].xml"] = pk["[Content_Types].xml"].replace(b"</Types>", xml + b"</Types>")


def excel_like(src: Path, dst: Path) -> Path:
    """The standard example with, at the XML level as Excel saves them: a sensitivity label (customXml),
    printer settings, a picture and a chart, rich text, a user's notes, a conditional format, defined
    names, formulas with cached results (and Excel's calcChain), a shared formula; and without perfxl's
    output sheets, which perfxl must then create."""
    pk = parts(src)
    sp = sheet_parts(pk)
    ind, basic, intro = sp[S], sp[L.SHEET_BASIC], sp[L.SHEET_GUIDE]
    # perfxl's output sheets removed (they are the last ones)
    wb = pk["xl/workbook.xml"]
    for name in OWNED:
        if name in sp:
            part = sp[name]
            wb = re.sub(rb'<sheet [^>]*name="' + name.encode() + rb'"[^>]*/>', b"", wb)
            pk.pop(part)
            pk["[Content_Types].xml"] = pk["[Content_Types].xml"].replace(
                b'<Override PartName="/%s" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
                b'worksheet+xml"/>' % part.encode(), b"")
            pk["xl/_rels/workbook.xml.rels"] = re.sub(
                rb'<Relationship [^>]*Target="/?' + part.encode() + rb'"[^>]*/>', b"", pk["xl/_rels/workbook.xml.rels"])
    # defined names: a workbook name and one local to 问卷设置 (moves when perfxl inserts sheets)
    survey_setup = list(sheet_parts({**pk, "xl/workbook.xml": wb})).index(L.SHEET_SURVEY_SETUP)
    wb = wb.replace(b"</definedNames>", (
        "<definedName name=\"我的区域\">'指标评分'!$A$1:$B$5</definedName><definedName name=\"_xlnm.Print_Area\" "
        f"localSheetId=\"{survey_setup}\">'问卷设置'!$A$1:$D$20</definedName></definedNames>").encode())
    pk["xl/workbook.xml"] = wb
    # customXml (a SharePoint/sensitivity label), related from the workbook
    pk["customXml/item1.xml"] = '<?xml version="1.0" encoding="utf-8"?><labels xmlns="urn:msip">机密</labels>'.encode()
    pk["customXml/itemProps1.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem '
                                      b'ds:itemID="{6E1A2A37-3C2B-4D38-9E0A-7D2B1B6D1F00}" xmlns:ds="http://schemas.'
                                      b'openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs/>'
                                      b'</ds:datastoreItem>')
    _add_rel(pk, "customXml/item1.xml", "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
             "customXmlProps", "itemProps1.xml")
    _add_rel(pk, "xl/workbook.xml", "rIdCx1", R + "/customXml", "../customXml/item1.xml")
    _ct(pk, b'<Override PartName="/customXml/itemProps1.xml" ContentType="application/vnd.openxmlformats-'
            b'officedocument.customXmlProperties+xml"/>')
    # printer settings of the indicator sheet
    pk["xl/printerSettings/printerSettings1.bin"] = bytes(range(256)) * 4
    _add_rel(pk, ind, "rIdPs1", R + "/printerSettings", "../printerSettings/printerSettings1.bin")
    _ct(pk, b'<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            b'printerSettings"/>')
    pk[ind] = re.sub(rb"(<pageSetup\b[^>]*?)/>", rb'\1 r:id="rIdPs1" xmlns:r="' + R.encode() + rb'"/>', pk[ind], count=1)
    # a conditional format (with Excel's dxf) on 分值
    pk[ind] = pk[ind].replace(b"<dataValidations", b'<conditionalFormatting sqref="E2:E45"><cfRule type="cellIs" '
                              b'dxfId="0" priority="1" operator="greaterThan"><formula>3</formula></cfRule>'
                              b"</conditionalFormatting><dataValidations", 1)
    if b"<dxfs" not in pk["xl/styles.xml"]:
        pk["xl/styles.xml"] = re.sub(rb"(</cellStyles>|<cellStyles[^>]*/>)", rb'\1<dxfs count="1"><dxf><font><b/>'
                                     rb'<color rgb="FF9C0006"/></font></dxf></dxfs>', pk["xl/styles.xml"], count=1)
    # a picture and a chart on 说明
    pk["xl/media/image1.png"] = PNG
    pk["xl/charts/chart1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace xmlns:c="http://schemas.openxmlformats.'
        'org/drawingml/2006/chart" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><c:chart><c:plotArea>'
        "<c:barChart><c:barDir val=\"col\"/><c:grouping val=\"clustered\"/><c:ser><c:idx val=\"0\"/><c:order val=\"0\"/>"
        "<c:val><c:numRef><c:f>'指标评分'!$E$2:$E$10</c:f></c:numRef></c:val></c:ser><c:axId val=\"1\"/><c:axId "
        'val="2"/></c:barChart><c:catAx><c:axId val="1"/><c:scaling/><c:axPos val="b"/><c:crossAx val="2"/></c:catAx>'
        '<c:valAx><c:axId val="2"/><c:scaling/><c:axPos val="l"/><c:crossAx val="1"/></c:valAx></c:plotArea></c:chart>'
        "</c:chartSpace>").encode()
    anchor = ('<xdr:twoCellAnchor><xdr:from><xdr:col>%d</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row>'
              '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>%d</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>8'
              '</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>%s<xdr:clientData/></xdr:twoCellAnchor>')
    pic = ('<xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="图片 1"/><xdr:cNvPicPr/></xdr:nvPicPr><xdr:blipFill><a:blip '
           'r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill><xdr:spPr><a:prstGeom prst="rect">'
           '<a:avLst/></a:prstGeom></xdr:spPr></xdr:pic>')
    frame = ('<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="3" name="图表 2"/><xdr:cNvGraphicFramePr/>'
             '</xdr:nvGraphicFramePr><xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic>'
             '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart"><c:chart xmlns:c="http://'
             'schemas.openxmlformats.org/drawingml/2006/chart" r:id="rId2"/></a:graphicData></a:graphic>'
             '</xdr:graphicFrame>')
    pk["xl/drawings/drawing1.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/'
        'drawingml/2006/spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        f'xmlns:r="{R}">' + anchor % (7, 9, pic) + anchor % (10, 16, frame) + "</xdr:wsDr>").encode()
    _add_rel(pk, "xl/drawings/drawing1.xml", "rId1", R + "/image", "../media/image1.png")
    _add_rel(pk, "xl/drawings/drawing1.xml", "rId2", R + "/chart", "../charts/chart1.xml")
    _add_rel(pk, intro, "rIdDr1", R + "/drawing", "../drawings/drawing1.xml")
    pk[intro] = pk[intro].replace(b"</worksheet>", b'<drawing xmlns:r="' + R.encode() + b'" r:id="rIdDr1"/></worksheet>')
    _ct(pk, b'<Default Extension="png" ContentType="image/png"/><Override PartName="/xl/drawings/drawing1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/><Override PartName="/xl/charts/'
            b'chart1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/>')
    # rich text (two runs, one bold) in a shared string, shown on 说明
    sst_rel = [t for _, kind, t in rels_of(pk, "xl/workbook.xml") if kind == "sharedStrings"]
    rich = ("<si><r><rPr><b/><sz val=\"11\"/><rFont val=\"宋体\"/><charset val=\"134\"/></rPr><t>重点：</t></r><r><rPr>"
            "<sz val=\"11\"/><rFont val=\"宋体\"/><charset val=\"134\"/></rPr><t>按期完成</t></r></si>").encode()
    if sst_rel:
        sst = pk[sst_rel[0]]
        index = len(re.findall(rb"<si>|<si/>", sst))
        pk[sst_rel[0]] = sst.replace(b"</sst>", rich + b"</sst>")
    else:
        index = 0
        pk["xl/sharedStrings.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="%s" '
                                      b'count="1" uniqueCount="1">' % MAIN.encode()) + rich + b"</sst>"
        _add_rel(pk, "xl/workbook.xml", "rIdSst1", R + "/sharedStrings", "sharedStrings.xml")
        _ct(pk, b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/>')
    pk[intro] = pk[intro].replace(b"</sheetData>", b'<row r="60"><c r="A60" t="s"><v>%d</v></c></row></sheetData>' % index)
    # formulas with cached results: 分值 of row 2 (perfxl reads it), a shared formula on 基础数据, calcChain
    e2 = cells(pk[ind])["E2"]
    value = re.search(rb"<v>([^<]*)</v>", e2).group(1)
    pk[ind] = pk[ind].replace(e2, b'<c r="E2" s="%s"><f>1*%s</f><v>%s</v></c>'
                              % (re.search(rb's="(\d+)"', e2).group(1), value, value))
    pk[basic] = pk[basic].replace(b"</sheetData>", b'<row r="70"><c r="F70"><v>1</v></c><c r="G70"><f t="shared" '
                                  b'ref="G70:G72" si="0">F70*2</f><v>2</v></c></row><row r="71"><c r="G71"><f t="shared" '
                                  b'si="0"/><v>0</v></c></row><row r="72"><c r="G72"><f t="shared" si="0"/><v>0</v>'
                                  b"</c></row></sheetData>")
    sheet_index = list(sheet_parts(pk)).index(S) + 1
    pk["xl/calcChain.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="%s"><c r="E2"'
                              b' i="%d"/></calcChain>' % (MAIN.encode(), sheet_index))
    _add_rel(pk, "xl/workbook.xml", "rIdCc1", R + "/calcChain", "calcChain.xml")
    _ct(pk, b'<Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.calcChain+xml"/>')
    # a user's notes, as Excel writes them (author run in bold), on a cell perfxl marks and on one it does not
    comments = [t for _, kind, t in rels_of(pk, ind) if kind == "comments"][0]
    vml = [t for _, kind, t in rels_of(pk, ind) if kind == "vmlDrawing"][0]
    author_run = ('<r><rPr><b/><sz val="9"/><color indexed="81"/><rFont val="宋体"/><charset val="134"/></rPr><t>张三:</t></r>'
                  '<r><rPr><sz val="9"/><color indexed="81"/><rFont val="宋体"/><charset val="134"/></rPr>'
                  '<t xml:space="preserve">\n%s</t></r>')
    xml = pk[comments].replace(b"</authors>", "<author>张三</author></authors>".encode())
    author_id = len(re.findall(rb"<author>", pk[comments]))
    for ref, text in (("M4", "请复核该项得分"), ("B3", "这个一级指标与去年相同")):
        xml = xml.replace(b"</commentList>", (f'<comment ref="{ref}" authorId="{author_id}" shapeId="0"><text>'
                                              + author_run % text + "</text></comment></commentList>").encode())
    pk[comments] = xml
    for row, col in ((3, 12), (2, 1)):
        pk[vml] = pk[vml].replace(b"</xml>", (
            '<v:shape id="_x0000_s%d" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;'
            'width:108pt;height:59.25pt;z-index:1;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto"><v:fill '
            'color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/><v:textbox '
            "style='mso-direction-alt:auto'><div style='text-align:left'></div></v:textbox><x:ClientData "
            'ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/><x:AutoFill>False</x:AutoFill><x:Row>%d</x:Row>'
            "<x:Column>%d</x:Column></x:ClientData></v:shape></xml>" % (3000 + row, row, col)).encode())
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pk.items():
            zf.writestr(name, data)
    return dst


def libreoffice_made(src: Path, dst: Path) -> Path:
    """The standard example after a user added, in LibreOffice Calc: a picture, a chart, notes, a form
    button, rich text, a conditional format, a named range and formulas (saved as .xlsx)."""
    import json

    png = dst.parent / "红.png"
    png.write_bytes(PNG)
    spec = {"picture": [L.SHEET_GUIDE, "H2", str(png)], "chart": [S, "E2:E10", "W2"],
            "notes": [[S, "M4", USER_NOTE], [S, "B3", "这个一级指标与去年相同"]], "button": [L.SHEET_INFO, "我的按钮"],
            "rich": [L.SHEET_GUIDE, "A60", "重点：", "按期完成"], "conditional": [S, "E2:E40"],
            "name": ["我的区域", f"${S}.$A$1:$B$5"], "formulas": [[L.SHEET_BASIC, "G70", "=B2*2"]]}
    spec_file = dst.parent / "spec.json"
    spec_file.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(["/usr/bin/python3", str(ROOT / "devtools" / "lo_uno.py"), "decorate", str(src), str(dst),
                           str(spec_file)], capture_output=True, text=True, timeout=300)
    assert dst.exists(), proc.stderr
    return dst


def _uno_available() -> bool:
    try:
        return subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, soffice) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("writer-corpus")
    base = standard(d / "标准.xlsx")
    out = {"excel": excel_like(base, d / "如Excel所存.xlsx")}
    from perfxl.excel.xlsm import write_xlsm
    from perfxl.sheets.template import new_workbook

    out["xlsm"] = write_xlsm(d / "带按钮和宏.xlsm", wb=new_workbook(rows=example_rows(), info=example_info(),
                                                                 basic=example_basic(), blank_rows=0))
    if _uno_available():
        out["libreoffice"] = libreoffice_made(base, d / "LibreOffice所存.xlsx")
    elif os.environ.get("CI", "").lower() == "true":
        pytest.fail("LibreOffice 的 Python 接口（python3-uno）不可用：CI 中需要它生成测试工作簿")
    return out


def _copy(corpus, kind, tmp_path) -> Path:
    if kind not in corpus:
        pytest.skip("LibreOffice's UNO bridge (python3-uno) not installed")
    dst = tmp_path / corpus[kind].name
    shutil.copy2(corpus[kind], dst)
    return dst


# --- the package diff ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["excel", "libreoffice", "xlsm"])
@pytest.mark.parametrize("in_place", [True, False], ids=["in-place", "new-file"])
def test_only_what_perfxl_owns_changes(corpus, kind, in_place, tmp_path, cli, soffice):
    src = _copy(corpus, kind, tmp_path)
    before = tmp_path / ("before" + src.suffix)
    shutil.copy2(src, before)
    run = cli("score", src, *(["--in-place"] if in_place else []), "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert data["total"] == 88.78
    out = Path(data["output"])
    assert out == (src if in_place else src.with_name(src.stem + "_评分" + src.suffix))
    check_nothing_else_changed(before, out, marked_cells(data))
    # LibreOffice opens it and sees perfxl's values and the user's
    seen = soffice.sheets(out)
    summary = {r[0]: r[1] for r in seen[L.SHEET_SUMMARY] if len(r) > 1}
    assert summary["总分"] == "88.78" and summary["等级"] == "良"
    assert seen[S][0][L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY["score"])] == "得分"
    assert any("绩效目标合理性" in " ".join(r) for r in seen[L.SHEET_DEVIATIONS])
    if kind == "excel":
        assert seen[S][1][4] == "2"                                  # the user's formula, its value kept
        assert seen[L.SHEET_GUIDE][59][0] == "重点：按期完成"     # rich text
    if in_place and _uno_available():           # LibreOffice finds every note (text and VML shape agree)
        import json

        seen_lo = json.loads(subprocess.run(["/usr/bin/python3", str(ROOT / "devtools" / "lo_uno.py"), "inspect",
                                             str(out)], capture_output=True, text=True, timeout=300).stdout)
        pk = parts(out)
        assert seen_lo["notes"][S] == len(note_texts(pk, sheet_parts(pk)[S])) > 4
        if kind == "xlsm":                          # perfxl's buttons: still there, still buttons
            assert {c["label"] for c in seen_lo["controls"]} >= {"校验", "评分"}
    # perfxl reads its own output without complaint (a formula keeps its cached result)
    again = cli("validate", out, "--json")
    assert again.code == 0, [p["message"] for p in again.json()["problems"]]


@pytest.mark.parametrize("kind", ["excel", "libreoffice", "xlsm"])
def test_fill_from_a_users_template_keeps_everything_but_the_filled_cells(corpus, kind, tmp_path, cli, soffice):
    """perfxl fill writes each workbook by editing the template's package: every part byte-identical but
    the two sheets it fills (and workbook.xml, asked to recalculate) and, the template being live, the
    saved results of perfxl's formulas (computed for the filled values); in the filled sheets only the
    filled cells and the 派生指标 table change."""
    from openpyxl import Workbook

    template = _copy(corpus, kind, tmp_path)
    wb = Workbook()
    wb.active.append(["单位名称", "评价年度", "年初预算数", "项目名称"])
    wb.active.append(["甲单位", 2031, 777, '=HYPERLINK("http://evil.example","点我")'])
    wb.active["D2"].data_type = "s"                     # typed as text in the roster
    wb.save(tmp_path / "名单.xlsx")
    out = tmp_path / "分发"
    run = cli("fill", tmp_path / "名单.xlsx", "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    [made] = [Path(p) for p in run.json()["written"]]
    assert made.suffix == template.suffix
    a, b = parts(template), parts(made)
    sa = sheet_parts(a)
    filled = {sa[L.SHEET_INFO], sa[L.SHEET_BASIC]}
    for name, data in a.items():
        if name in filled | {"xl/workbook.xml", "xl/styles.xml"}:
            continue
        if name.startswith("xl/worksheets/sheet") and b.get(name) != data:
            assert without_cached_results(b[name]) == without_cached_results(data), f"{name} changed"
        else:
            assert b.get(name) == data, f"{name} changed"
    assert set(b) == set(a)
    changed = {sheet: {ref for ref, raw in cells(without_cached_results(b[part])).items()
                       if cells(without_cached_results(a[part])).get(ref) != raw}
               for sheet, part in ((L.SHEET_INFO, sa[L.SHEET_INFO]), (L.SHEET_BASIC, sa[L.SHEET_BASIC]))}
    assert len(changed[L.SHEET_INFO]) <= 3, changed
    figure_table = {ref for ref in changed[L.SHEET_BASIC] if ref[0] in "CD" and int(ref[1:]) > 20}
    assert len(changed[L.SHEET_BASIC] - figure_table) == 1, changed
    assert not [p for p in cli("validate", made, "--json").json()["problems"] if p["code"] == "formula_result_differs"]
    from openpyxl import load_workbook

    adjusted = {r[0]: r for r in load_workbook(made, data_only=True)[L.SHEET_BASIC].iter_rows(values_only=True)}
    assert adjusted["预算调整率"][2] == pytest.approx((549.6875 - 777) / 777)        # 年初预算数 777 was filled
    assert "777" in adjusted["预算调整率"][3]
    seen = soffice.sheets(made)
    info = {r[0]: r[1] for r in seen[L.SHEET_INFO] if len(r) > 1}
    assert info[L.INFO_BY_KEY["unit"].label] == "甲单位" and info[L.INFO_BY_KEY["year"].label] == "2031"
    assert info[L.INFO_BY_KEY["project"].label].startswith("=HYPERLINK")          # text, not a link
    basic = {r[0]: r for r in seen[L.SHEET_BASIC] if r}
    assert "777" in basic[next(f.label for f in L.BASIC_FIELDS if f.key == "budget_initial")]
    if kind == "excel":
        assert seen[S][1][4] == "2"                                  # the user's formula, its value kept


@pytest.mark.parametrize("kind", ["excel", "libreoffice", "xlsm"])
def test_survey_import_keeps_everything_but_the_survey_sheets(corpus, kind, tmp_path, cli, soffice):
    """perfxl survey import edits the package at the XML level: every part byte-identical but the 问卷 and
    问卷设置 sheets, the styles and workbook.xml (asked to recalculate); the other sheets lose only their
    formulas' saved results (what they read changed), nothing else. Macros, pictures, charts, buttons,
    notes, labels and printer settings stay; LibreOffice opens the result and sees the answers."""
    import survey_exports as X

    target = _copy(corpus, kind, tmp_path)
    before = parts(target)
    export = X.wjx_text_xlsx(tmp_path / "问卷星.xlsx")
    run = cli("survey", "import", export, "--into", target, "--set", "会员", "--json")
    assert run.code == 0, run.text
    after = parts(target)
    sa, sb = sheet_parts(before), sheet_parts(after)
    survey = {sb[n] for n in (L.SHEET_SURVEY, L.SHEET_SURVEY_SETUP) if n in sb}
    assert sb[L.SHEET_SURVEY] in survey
    free = survey | {"xl/styles.xml", "xl/workbook.xml", "xl/calcChain.xml", "[Content_Types].xml",
                     "xl/_rels/workbook.xml.rels", "docProps/app.xml"}
    for name, data in before.items():
        if name in free:
            continue
        if name in sa.values() and after.get(name) != data:
            assert without_cached_results(after[name]) == without_cached_results(data), f"{name} changed"
        else:
            assert after.get(name) == data, f"{name} changed"
    if kind == "xlsm":
        assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    seen = soffice.sheets(target)
    answers = [r for r in seen[L.SHEET_SURVEY][1:] if r and r[0]]
    assert len(answers) >= X.N
    # only the formulas reading the answers lost their saved results: the user's own (分值 =1*2) kept its
    problems = cli("score", target, "--no-write", "--json").json()["problems"]
    assert not [p for p in problems if p["code"] in ("formula_no_cache", "formula_result_differs")], problems


def test_a_user_note_is_kept_beside_perfxls_and_comes_back_alone(corpus, tmp_path, cli, soffice):
    src = _copy(corpus, "excel", tmp_path)
    ind = sheet_parts(parts(src))[S]
    before = note_texts(parts(src), ind)
    assert before["M4"] == USER_NOTE
    assert cli("score", src, "--in-place").code == 0
    after = note_texts(parts(src), ind)
    assert after["M4"].startswith(USER_NOTE + "\n\nperfxl：评价得分 0.80 与规则得分 1.20 不同")
    assert after["B3"] == before["B3"]
    assert cli("score", src, "--in-place").code == 0                 # a second run: the same note, once
    assert note_texts(parts(src), ind) == after
    # the evaluator takes the rule's score: the deviation, and perfxl's part of the note, go away
    pk = parts(src)
    pk[ind] = re.sub(rb'(<c r="M4"[^>]*?)(?:/>|>.*?</c>)', rb"\1/>", pk[ind], count=1, flags=re.S)
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pk.items():
            zf.writestr(name, data)
    assert cli("score", src, "--in-place").code == 0
    final = note_texts(parts(src), ind)
    assert final["M4"] == USER_NOTE and final["B3"] == before["B3"]
    comments = [t for _, kind, t in rels_of(parts(src), ind) if kind == "comments"][0]
    m4 = re.search(rb'<comment ref="M4".*?</comment>', parts(src)[comments], re.S).group(0)
    assert m4.count(b"<r>") == 2 and b"<b/>" in m4                      # the author's bold run too
    assert soffice.sheets(src)[L.SHEET_SUMMARY]


def test_rerunning_adds_no_formats_and_keeps_the_package_stable(corpus, tmp_path, cli):
    src = _copy(corpus, "libreoffice" if "libreoffice" in corpus else "excel", tmp_path)
    assert cli("score", src, "--in-place").code == 0
    first = parts(src)
    assert cli("score", src, "--in-place").code == 0
    second = parts(src)
    assert second["xl/styles.xml"] == first["xl/styles.xml"]
    changed = {n for n in first if first[n] != second.get(n)}
    assert changed <= {"docProps/core.xml"}, changed


# --- formulas with cached results --------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["xml", "openpyxl"])
def test_a_formula_is_written_with_its_cached_result(backend, tmp_path, soffice):
    import python_calamine

    from perfxl.io.files import atomic_save, atomic_write_bytes
    from perfxl.io.xlsx.book import Book
    from perfxl.sheets.canvas import Formula, OpenpyxlCanvas, XmlCanvas
    from perfxl.sheets.template import new_workbook

    out = tmp_path / "公式.xlsx"
    values = [[Formula("SUM(E2:E4)", 7), Formula('=IF(E2>1,"高","低")', "高"), Formula("1/0", "#DIV/0!"),
               Formula("E2>1", True), "=不是公式"]]
    if backend == "xml":
        base = standard(tmp_path / "src.xlsx")
        book = Book(base.read_bytes())
        cv = XmlCanvas(book)
        cv.write(S, 60, 1, values, style="computed")
        data = book.save()
        atomic_write_bytes(out, lambda fh: fh.write(data))
    else:
        wb = new_workbook(rows=example_rows(), blank_rows=0)
        OpenpyxlCanvas(wb).write(S, 60, 1, values, style="computed")
        atomic_save(wb, out)
    with zipfile.ZipFile(out) as zf:
        xml = zf.read(sheet_parts(parts(out))[S])
    row = cells(xml)
    assert re.search(rb"<f>SUM\(E2:E4\)</f><v>7</v>", row["A60"])
    assert b't="str"' in row["B60"] and "<v>高</v>".encode() in row["B60"]
    assert b't="e"' in row["C60"] and b"<v>#DIV/0!</v>" in row["C60"]
    assert b't="b"' in row["D60"] and b"<v>1</v>" in row["D60"]
    assert b"<f>" not in row["E60"]                                      # text stays text
    cal = python_calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name(S).to_python()
    assert [cal[59][i] for i in (0, 1, 3, 4)] == [7.0, "高", True, "=不是公式"]
    seen = soffice.sheets(out)[S][59]
    assert seen[:2] == ["7", "高"] and seen[4] == "=不是公式"


# --- file handling: macros, encryption, owners, links, backups ---------------------------------------------

def test_xlsm_scored_into_an_xlsx_is_a_real_xlsx(corpus, tmp_path, cli, soffice):
    src = _copy(corpus, "xlsm", tmp_path)
    run = cli("score", src, "-o", tmp_path / "结果.xlsx", "--json")
    assert run.code == 0, run.text
    assert [p["code"] for p in run.json()["problems"]] == ["macros_not_in_xlsx"]
    pk = parts(tmp_path / "结果.xlsx")
    assert "xl/vbaProject.bin" not in pk and b"macroEnabled" not in pk["[Content_Types].xml"]
    assert b"vbaProject" not in pk["xl/_rels/workbook.xml.rels"]
    assert soffice.sheets(tmp_path / "结果.xlsx")[L.SHEET_SUMMARY]
    # and the other way round: an .xlsx written as .xlsm declares a macro-enabled workbook
    plain = standard(tmp_path / "普通.xlsx")
    assert cli("score", plain, "-o", tmp_path / "结果.xlsm").code == 0
    assert b"macroEnabled.main+xml" in parts(tmp_path / "结果.xlsm")["[Content_Types].xml"]


def test_an_encrypted_workbook_is_never_written_in_plaintext(tmp_path, monkeypatch):
    """No temporary file anywhere: perfxl builds the package in memory and encrypts it before the
    only write (openpyxl's own save would write each worksheet to TMPDIR in plaintext)."""
    import tempfile

    import msoffcrypto
    import openpyxl.worksheet._writer as ow
    from test_robustness import PASSWORD, encrypt

    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    src = encrypt(standard(tmp_path / "plain" / "x.xlsx"), tmp_path / "加密.xlsx")
    result = run(src, password=PASSWORD)

    def refuse(*a, **k):
        raise AssertionError("a temporary file in TMPDIR")
    monkeypatch.setattr(ow, "create_temporary_file", refuse)
    for name in ("NamedTemporaryFile", "TemporaryFile", "mkstemp", "mkdtemp"):
        monkeypatch.setattr(tempfile, name, refuse)
    write_back(result, src, tmp_path / "新.xlsx", password=PASSWORD)
    write_back(result, src, in_place=True, password=PASSWORD)
    for path in (src, tmp_path / "新.xlsx"):
        with path.open("rb") as fh:
            assert msoffcrypto.OfficeFile(fh).is_encrypted()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="changing owners needs root")
def test_in_place_keeps_owner_group_and_mode(tmp_path, cli):
    src = standard(tmp_path / "x.xlsx")
    os.chown(src, 1234, 5678)
    os.chmod(src, 0o640)
    assert cli("score", src, "--in-place").code == 0
    st = src.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (1234, 5678, 0o640)
    [bak] = tmp_path.glob("x.bak-*.xlsx")
    assert (bak.stat().st_uid, bak.stat().st_mode & 0o7777) == (1234, 0o640)


def test_another_users_file_is_not_taken_over(tmp_path, monkeypatch):
    from perfxl.check.problems import UnusableInput
    from perfxl.io import files

    src = standard(tmp_path / "x.xlsx")
    monkeypatch.setattr(os, "geteuid", lambda: src.stat().st_uid + 1)
    with pytest.raises(UnusableInput) as e:
        files.ensure_writable(src)
    assert e.value.problems[0].code == "file_owner"


def test_a_symlink_is_followed_to_the_real_workbook(tmp_path, cli):
    real = standard(tmp_path / "真" / "表.xlsx")
    link = tmp_path / "链接.xlsx"
    link.symlink_to(real)
    original = real.read_bytes()
    assert cli("score", link, "--in-place").code == 0
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() != original and b"xl/worksheets" in real.read_bytes()
    [bak] = real.parent.glob("表.bak-*.xlsx")
    assert bak.read_bytes() == original


def test_output_edited_by_anyone_gets_a_backup(tmp_path, cli, soffice):
    src = standard(tmp_path / "表.xlsx")
    out = tmp_path / "表_评分.xlsx"
    assert cli("score", src).code == 0
    assert cli("score", src).code == 0 and not list(tmp_path.glob("*.bak-*"))     # perfxl's own: replaced
    # saved by LibreOffice (which may keep the last author) ...
    lo = tmp_path / "lo"
    soffice.convert(out, "xlsx", lo)
    shutil.copy2(lo / out.name, out)
    edited = out.read_bytes()
    assert cli("score", src).code == 0
    [bak] = tmp_path.glob("表_评分.bak-*.xlsx")
    assert bak.read_bytes() == edited
    # ... or changed by a script that leaves the core properties as perfxl wrote them
    bak.unlink()
    pk = parts(out)
    ind = sheet_parts(pk)[S]
    pk[ind] = pk[ind].replace(b"</sheetData>", b'<row r="99"><c r="A99"><v>1</v></c></row></sheetData>')
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in pk.items():
            zf.writestr(name, data)
    edited = out.read_bytes()
    assert cli("score", src).code == 0
    [bak] = tmp_path.glob("表_评分.bak-*.xlsx")
    assert bak.read_bytes() == edited


# --- a full disk ------------------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 160 KB tmpfs (root only): room for a workbook, not for a second copy of it."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    d = tmp_path / "满"
    d.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(d)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield d
    subprocess.run(["umount", "-l", str(d)], capture_output=True)


def _fill_up(folder: Path, leave: int) -> None:
    """Take the free space of ``folder``'s file system down to about ``leave`` bytes."""
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    if free > leave:
        (folder / "占位").write_bytes(b"\0" * (free - leave))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("command", ["score-in-place", "score-o", "template", "template-xlsm", "consolidate", "fill",
                                     "report", "survey-import"])
def test_a_full_disk_leaves_everything_as_it_was(small_disk, tmp_path, cli, command):
    src = standard(small_disk / "表.xlsx")
    scored = tmp_path / "已评分.xlsx"
    if command == "report":
        assert cli("score", standard(tmp_path / "r.xlsx"), "-o", scored).code == 0
    args = {"score-in-place": ["score", src, "--in-place"], "score-o": ["score", src, "-o", small_disk / "结果.xlsx"],
            "template": ["template", "-o", small_disk / "表.xlsx", "--force"],
            "consolidate": ["consolidate", small_disk, "-o", small_disk / "汇总.xlsx"],
            "fill": ["fill", _roster(tmp_path), "-o", small_disk],
            "report": ["report", scored, "-o", small_disk / "报告.docx"],
            "template-xlsm": ["template", "--xlsm", "-o", small_disk / "模板.xlsm"],
            "survey-import": ["survey", "import", _export(tmp_path), "--into", src, "--set", "会员"]}[command]
    _fill_up(small_disk, 12 * 1024)
    before = _files(small_disk)
    run = cli(*args, "--json") if command != "fill" else cli(*args)
    assert run.code == 2, run.text
    assert "磁盘空间不足" in run.text and "Traceback" not in run.text
    assert _files(small_disk) == before                       # the original as it was, nothing partial


def test_a_full_disk_leaves_no_folder_made_for_the_output(small_disk, tmp_path, cli):
    """-o into folders that do not exist yet: they were made, and left empty when the write failed."""
    src = standard(tmp_path / "表.xlsx")
    _fill_up(small_disk, 12 * 1024)
    run = cli("score", src, "-o", small_disk / "新目录" / "子目录" / "结果.xlsx", "--json")
    assert run.code == 2 and "磁盘空间不足" in run.text, run.text
    assert not (small_disk / "新目录").exists()
    assert cli("score", src, "-o", tmp_path / "新目录" / "结果.xlsx").code == 0      # made when it is written
    assert (tmp_path / "新目录" / "结果.xlsx").is_file()


def test_a_full_temporary_folder_is_named_not_the_output(small_disk, tmp_path, cli, monkeypatch):
    """The summary's sheets go to temporary files first (XlsxWriter, constant memory): when TMPDIR is
    full the message names that folder and says to free it or set TMPDIR, not to free the output's disk."""
    folder = tmp_path / "收回"
    folder.mkdir()
    standard(folder / "甲.xlsx")
    _fill_up(small_disk, 4 * 1024)
    monkeypatch.setenv("TMPDIR", str(small_disk))
    run = cli("consolidate", folder, "-o", tmp_path / "汇总.xlsx", "--jobs", "1", "--json")
    assert run.code == 2, run.text
    (p,) = run.json()["problems"]
    assert p["code"] == "write_temp_failed", p
    assert f"临时文件夹“{small_disk}”磁盘空间不足" in p["message"]
    assert "TMPDIR" in p["fix"] and "用 -o" not in p["fix"]
    assert not (tmp_path / "汇总.xlsx").exists()


def test_a_failing_temporary_file_is_blamed_on_the_temporary_folder(tmp_path, monkeypatch):
    """The same without a small disk: the temporary files XlsxWriter writes fail as on a full disk."""
    import errno
    import tempfile

    import xlsxwriter.worksheet

    from perfxl import api
    from perfxl.check.problems import UnusableInput

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name):
            return getattr(self.fh, name)

    folder = tmp_path / "收回"
    folder.mkdir()
    standard(folder / "甲.xlsx")
    scratch = tmp_path / "临时"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(xlsxwriter.worksheet, "open", lambda *a, **kw: Full(open(*a, **kw)), raising=False)
    with pytest.raises(UnusableInput) as refused:
        api.consolidate(folder, output=tmp_path / "汇总.xlsx", jobs=1)
    (p,) = refused.value.problems
    assert p.code == "write_temp_failed"
    assert f"临时文件夹“{scratch}”磁盘空间不足" in p.message and "TMPDIR" in p.fix
    assert sorted(f.name for f in tmp_path.iterdir()) == ["临时", "收回"]


def _export(tmp_path: Path) -> Path:
    import survey_exports as X

    return X.wjx_text_csv(tmp_path / "问卷星导出.csv")


def _roster(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["单位名称", "评价年度"])
    wb.active.append(["甲单位", 2024])
    path = tmp_path / "名单.xlsx"
    wb.save(path)
    return path


# --- worksheet XML as other programs write it ------------------------------------------------------------

def _one_sheet(tmp_path: Path, sheet_data: bytes, root: bytes = b"") -> bytes:
    """A one-sheet workbook whose sheet part holds ``sheet_data`` (``root``: the worksheet start tag)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "表"
    path = tmp_path / "one.xlsx"
    wb.save(path)
    pk = parts(path)
    root = root or b'<worksheet xmlns="%s">' % MAIN.encode()
    close = b"</" + re.match(rb"<([\w:]+)", root).group(1) + b">"
    pk["xl/worksheets/sheet1.xml"] = b'<?xml version="1.0" encoding="UTF-8"?>\n' + root + sheet_data + close
    buf = tmp_path / "one.xlsx"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in pk.items():
            zf.writestr(name, data)
    return buf.read_bytes()


def _edit(data: bytes, out: Path, edit) -> Path:
    from perfxl.io.xlsx.book import Book

    book = Book(data)
    edit(book.sheet("表"))
    out.write_bytes(book.save())
    return out


def _grid(path: Path) -> list[list]:
    import python_calamine

    return python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("表").to_python(
        skip_empty_area=False)


def test_prefixed_worksheet_xml(tmp_path, soffice):
    data = _one_sheet(tmp_path, '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>甲</x:t></x:is></x:c>'
                                "</x:row></x:sheetData>".encode(), b'<x:worksheet xmlns:x="%s">' % MAIN.encode())

    def edit(sh):
        assert sh.value(1, 1) == "甲"
        sh.put(1, 2, "乙")
        sh.put(3, 1, 5)
    out = _edit(data, tmp_path / "前缀.xlsx", edit)
    xml = parts(out)["xl/worksheets/sheet1.xml"]
    assert b"<c " not in xml and b'<x:c r="B1"' in xml                  # written in the part's own prefix
    assert _grid(out)[:3] == [["甲", "乙"], ["", ""], [5.0, ""]]
    assert soffice.sheets(out)["表"][:3] == [["甲", "乙"], ["", ""], ["5", ""]]


def test_rows_and_cells_without_addresses(tmp_path, soffice):
    data = _one_sheet(tmp_path, b'<sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c></row>'
                                b"<row><c><v>3</v></c></row></sheetData>")

    def edit(sh):
        assert sh.value(2, 1) == 3 and sh.value(1, 2) == 2
        sh.put(1, 3, "x")
        sh.put(2, 2, 4)
    out = _edit(data, tmp_path / "无地址.xlsx", edit)
    assert _grid(out) == [["a", 2.0, "x"], [3.0, 4.0, ""]]
    assert soffice.sheets(out)["表"] == [["a", "2", "x"], ["3", "4", ""]]


def test_overwriting_the_cell_that_holds_a_shared_formula(tmp_path, soffice):
    data = _one_sheet(tmp_path, b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" '
                                b'si="0">A1*2</f><v>2</v></c></row><row r="2"><c r="A2"><v>2</v></c><c r="B2"><f '
                                b't="shared" si="0"/><v>4</v></c></row><row r="3"><c r="A3"><v>3</v></c><c r="B3"><f '
                                b't="shared" si="0"/><v>6</v></c></row></sheetData>')
    out = _edit(data, tmp_path / "共享公式.xlsx", lambda sh: sh.put(1, 2, "perfxl"))
    cell = cells(parts(out)["xl/worksheets/sheet1.xml"])
    assert b'<f t="shared" ref="B2:B3" si="0">A2*2</f><v>4</v>' in cell["B2"]
    assert b"<f" not in cell["B1"]
    assert [r[1] for r in soffice.sheets(out)["表"]] == ["perfxl", "4", "6"]   # LibreOffice calculates them


def test_writing_into_an_array_formula_keeps_its_values(tmp_path, soffice):
    data = _one_sheet(tmp_path, b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="C1"><f t="array" ref="C1:C2">'
                                b'A1:A2*2</f><v>2</v></c></row><row r="2"><c r="A2"><v>2</v></c><c r="C2"><v>4</v>'
                                b"</c></row></sheetData>")
    out = _edit(data, tmp_path / "数组公式.xlsx", lambda sh: sh.put(2, 3, 9))
    cell = cells(parts(out)["xl/worksheets/sheet1.xml"])
    assert cell["C1"] == b'<c r="C1"><v>2</v></c>'
    assert [r[2] for r in soffice.sheets(out)["表"]] == ["2", "9"]


def test_rows_appended_in_one_pass_formulas_without_results_and_a_column_widened(tmp_path, soffice):
    """The XML editor's bulk rows (survey import): after every row the sheet has, in its own prefix,
    each column in its style; formulas saved without results; one column widened, the others kept."""
    data = _one_sheet(tmp_path, '<x:cols><x:col min="1" max="4" width="12" customWidth="1"/></x:cols>'
                                '<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>题</x:t></x:is></x:c>'
                                '<x:c r="B1"><x:f>1+1</x:f><x:v>2</x:v></x:c></x:row></x:sheetData>'.encode(),
                      b'<x:worksheet xmlns:x="%s">' % MAIN.encode())

    def edit(sh):
        assert sh.append_rows(1, [["x"]], [0]) == 0                   # row 1 exists: left to the caller
        assert sh.append_rows(3, [["满意", 5], [None, "=1+1"], ["满意", None]], [0, 0]) == 3
        assert sh.drop_cached() == 1
        sh.set_width(2, 16)
    out = _edit(data, tmp_path / "追加.xlsx", edit)
    xml = parts(out)["xl/worksheets/sheet1.xml"]
    assert b"<c " not in xml and b'<x:c r="A3"' in xml and b'<x:c r="B4" t="inlineStr">' in xml
    assert b"<x:f>1+1</x:f></x:c>" in xml                             # no saved result
    assert re.search(rb'<x:col min="2" max="2" width="16"', xml)
    assert re.search(rb'<x:col min="3" max="4" width="12"', xml)
    grid = _grid(out)
    assert grid[2:5] == [["满意", 5.0], ["", "=1+1"], ["满意", ""]]      # text stays text
    seen = soffice.sheets(out)["表"]
    assert seen[0][1] == "2" and seen[2:5] == [["满意", "5"], ["", "=1+1"], ["满意", ""]]
