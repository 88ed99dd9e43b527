"""The default Word report template (docxtpl), built with python-docx.

Chinese official-document conventions (GB/T 9704 style): A4, 仿宋_GB2312 body (仿宋 as the
font table's alternative), 黑体 headings, 宋体 tables with header rows repeated on every page,
numbers right-aligned, page numbers "— n —" in the footer. Users restyle a copy of the file in
Word (styles, fonts, heading texts, column widths) and pass it with ``perfxl report --template``;
the ``{{ }}`` / ``{%tr %}`` / ``{%p %}`` tags carry the data (see perfxl/report.py for the context).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import layout as L

FONT_BODY, FONT_BODY_ALT = "仿宋_GB2312", "仿宋"
FONT_HEADING = "黑体"
FONT_TABLE = "宋体"
FONT_LATIN = "Times New Roman"
_FONT_TABLE_ENTRIES = ((FONT_BODY, FONT_BODY_ALT), ("楷体_GB2312", "楷体"), (FONT_HEADING, None), (FONT_TABLE, None),
                       (FONT_BODY_ALT, None))

# style names (users restyle these in Word)
STYLE_TITLE = "报告标题"
STYLE_BODY = "报告正文"
STYLE_CAPTION = "表题"
STYLE_CELL = "表格文字"
STYLE_CELL_SMALL = "表格文字（小）"
STYLE_CELL_HEAD = "表格表头"
STYLE_CELL_HEAD_SMALL = "表格表头（小）"
STYLE_WARNING = "报告警告"
STYLE_NOTE = "报告附注"

# A4 and GB/T 9704 margins, in cm
PAGE_W, PAGE_H = 21.0, 29.7
MARGINS = dict(top=3.7, bottom=3.5, left=2.8, right=2.6)
TEXT_W = PAGE_W - MARGINS["left"] - MARGINS["right"]        # 15.6 cm

LEFT, CENTER, RIGHT = "left", "center", "right"

# w:tcPr children that must follow w:shd / w:vMerge (schema order)
TCPR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers",
                  "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")
TCPR_AFTER_VMERGE = ("w:tcBorders", "w:shd", *TCPR_AFTER_SHD)


@dataclass
class Col:
    header: str
    width: float          # cm
    align: str = LEFT     # data cells; headers are centred


@dataclass
class Row:
    cells: list[str]
    bold: bool = False
    shaded: bool = False
    spans: list[tuple[int, int]] = field(default_factory=list)   # inclusive column ranges merged across

    @classmethod
    def tag(cls, text: str) -> "Row":
        """A docxtpl row tag ({%tr ... %}): the whole row disappears on rendering."""
        return cls([text])


def _qn(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(tag)


def _el(tag: str, **attrs):
    from docx.oxml import OxmlElement

    e = OxmlElement(tag)
    for k, v in attrs.items():
        e.set(_qn(k), str(v))
    return e


def _set_fonts(rpr, east_asia: str, latin: str = FONT_LATIN) -> None:
    """Explicit fonts (theme fonts removed: they would win over the named ones)."""
    for old in rpr.findall(_qn("w:rFonts")):
        rpr.remove(old)
    rpr.insert(0, _el("w:rFonts", **{"w:ascii": latin, "w:hAnsi": latin, "w:eastAsia": east_asia,
                                     "w:cs": latin, "w:hint": "eastAsia"}))


def _style_text(style, east_asia: str, size: float, *, bold: bool = False, color: str = "000000") -> None:
    from docx.shared import Pt, RGBColor

    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr, east_asia)
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor.from_string(color)


def _paragraph_format(style, *, align=None, first_line_chars: int = 0, line_exact: float | None = None,
                      before: float = 0, after: float = 0, keep_next: bool = False, page_break: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
    from docx.shared import Pt

    pf = style.paragraph_format
    pf.alignment = {LEFT: WD_ALIGN_PARAGRAPH.LEFT, CENTER: WD_ALIGN_PARAGRAPH.CENTER,
                    RIGHT: WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
                    None: None}[align]
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if line_exact:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_exact)
    else:
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.keep_with_next = keep_next
    pf.page_break_before = page_break
    ppr = style.element.get_or_add_pPr()
    ppr._remove_ind()
    ind = ppr.get_or_add_ind()                  # python-docx keeps the schema order of pPr children
    if first_line_chars:
        # "2 characters" indent scales with the font size, as Chinese documents expect
        attrs = {"w:firstLineChars": first_line_chars * 100, "w:firstLine": first_line_chars * 320}
    else:
        attrs = {"w:firstLine": 0, "w:left": 0, "w:right": 0}
    for k, v in attrs.items():
        ind.set(_qn(k), str(v))


def _paragraph_style(doc, name: str, base: str = "Normal"):
    from docx.enum.style import WD_STYLE_TYPE

    try:
        style = doc.styles[name]
    except KeyError:
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles[base]
    style.quick_style = True
    return style


def _styles(doc) -> None:
    from docx.shared import RGBColor

    styles_el = doc.styles.element
    # document defaults: Chinese language, explicit fonts
    rpr_default = styles_el.find(_qn("w:docDefaults")).find(_qn("w:rPrDefault")).find(_qn("w:rPr"))
    _set_fonts(rpr_default, FONT_BODY)
    for old in rpr_default.findall(_qn("w:lang")):
        rpr_default.remove(old)
    rpr_default.append(_el("w:lang", **{"w:val": "en-US", "w:eastAsia": "zh-CN", "w:bidi": "ar-SA"}))

    normal = doc.styles["Normal"]
    _style_text(normal, FONT_BODY, 16)                               # 三号仿宋
    _paragraph_format(normal, align="justify")

    body = _paragraph_style(doc, STYLE_BODY)
    _style_text(body, FONT_BODY, 16)
    _paragraph_format(body, align="justify", first_line_chars=2, line_exact=28)

    title = _paragraph_style(doc, STYLE_TITLE)
    _style_text(title, FONT_TABLE, 22, bold=True)                    # 二号宋体加粗
    _paragraph_format(title, align=CENTER, line_exact=36, before=12, after=18)

    h1 = doc.styles["Heading 1"]                                     # one unit (several workbooks)
    _style_text(h1, FONT_HEADING, 16)
    _paragraph_format(h1, align=CENTER, line_exact=28, before=12, after=12, keep_next=True, page_break=True)

    h2 = doc.styles["Heading 2"]                                     # 一、二、三、
    _style_text(h2, FONT_HEADING, 16)
    _paragraph_format(h2, align=LEFT, first_line_chars=2, line_exact=28, before=12, after=6, keep_next=True)

    caption = _paragraph_style(doc, STYLE_CAPTION)
    _style_text(caption, FONT_HEADING, 12)
    _paragraph_format(caption, align=CENTER, before=12, after=6, keep_next=True)

    cell = _paragraph_style(doc, STYLE_CELL)
    _style_text(cell, FONT_TABLE, 10.5)                              # 五号宋体
    _paragraph_format(cell, align=LEFT)

    small = _paragraph_style(doc, STYLE_CELL_SMALL, STYLE_CELL)
    _style_text(small, FONT_TABLE, 9)                                # 小五
    _paragraph_format(small, align=LEFT)

    head = _paragraph_style(doc, STYLE_CELL_HEAD, STYLE_CELL)
    _style_text(head, FONT_HEADING, 10.5)
    _paragraph_format(head, align=CENTER, keep_next=True)

    head_small = _paragraph_style(doc, STYLE_CELL_HEAD_SMALL, STYLE_CELL_HEAD)
    _style_text(head_small, FONT_HEADING, 9)
    _paragraph_format(head_small, align=CENTER, keep_next=True)

    warning = _paragraph_style(doc, STYLE_WARNING)
    _style_text(warning, FONT_HEADING, 14, color="C00000")
    _paragraph_format(warning, align=LEFT, line_exact=24, before=6, after=6)

    note = _paragraph_style(doc, STYLE_NOTE)
    _style_text(note, FONT_BODY, 12)
    _paragraph_format(note, align=LEFT, before=18)
    note.font.color.rgb = RGBColor.from_string("404040")


def _font_table(doc) -> None:
    """Declare the Chinese fonts with alternatives, so Word uses 仿宋 where 仿宋_GB2312 is missing."""
    from lxml import etree

    part = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    for name, alt in _FONT_TABLE_ENTRIES:
        for old in root.findall(_qn("w:font")):
            if old.get(_qn("w:name")) == name:
                root.remove(old)
        font = etree.SubElement(root, _qn("w:font"))
        font.set(_qn("w:name"), name)
        if alt:
            etree.SubElement(font, _qn("w:altName")).set(_qn("w:val"), alt)
        etree.SubElement(font, _qn("w:charset")).set(_qn("w:val"), "86")          # GB2312
        etree.SubElement(font, _qn("w:family")).set(_qn("w:val"), "modern" if name != FONT_HEADING else "auto")
        etree.SubElement(font, _qn("w:pitch")).set(_qn("w:val"), "fixed" if name != FONT_HEADING else "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(PAGE_H)
    sec.top_margin, sec.bottom_margin = Cm(MARGINS["top"]), Cm(MARGINS["bottom"])
    sec.left_margin, sec.right_margin = Cm(MARGINS["left"]), Cm(MARGINS["right"])
    sec.footer_distance = Cm(2.5)
    # page number "— 1 —", centred, 四号宋体
    p = sec.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("— ")
    fld = _el("w:fldSimple", **{"w:instr": "PAGE"})
    r = _el("w:r")
    r.append(_el("w:t"))
    r[0].text = "1"
    fld.append(r)
    p._p.append(fld)
    p.add_run(" —")
    for run in p.runs:
        run.font.size = Pt(14)
        _set_fonts(run._r.get_or_add_rPr(), FONT_TABLE)


def _para(doc, text: str, style: str):
    return doc.add_paragraph(text, style=style)


def _table(doc, cols: list[Col], rows: list[Row], *, small: bool = False):
    """A template table: a repeated header row, then template rows (tags, data, totals)."""
    from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    aligns = {LEFT: WD_ALIGN_PARAGRAPH.LEFT, CENTER: WD_ALIGN_PARAGRAPH.CENTER, RIGHT: WD_ALIGN_PARAGRAPH.RIGHT}
    table = doc.add_table(rows=1 + len(rows), cols=len(cols))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for i, col in enumerate(cols):
        table.columns[i].width = Cm(col.width)
    cell_style = doc.styles[STYLE_CELL_SMALL if small else STYLE_CELL]
    head_style = doc.styles[STYLE_CELL_HEAD_SMALL if small else STYLE_CELL_HEAD]
    # narrow cell margins (0.1 cm) leave room for text in the narrow number columns
    tblpr = table._tbl.tblPr
    mar = _el("w:tblCellMar")
    for side in ("top", "left", "bottom", "right"):
        mar.append(_el(f"w:{side}", **{"w:w": 57 if side in ("left", "right") else 28, "w:type": "dxa"}))
    tblpr.insert_element_before(mar, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")

    header = table.rows[0]
    trpr = header._tr.get_or_add_trPr()
    trpr.append(_el("w:cantSplit"))
    trpr.append(_el("w:tblHeader"))            # repeated at the top of every page
    for i, col in enumerate(cols):
        c = header.cells[i]
        c.width = Cm(col.width)
        c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        p = c.paragraphs[0]
        p.style = head_style
        p.add_run(col.header)
        _shade(c, "D9D9D9")

    for r, spec in enumerate(rows, start=1):
        row = table.rows[r]
        row._tr.get_or_add_trPr().append(_el("w:cantSplit"))      # a row stays on one page
        for i, col in enumerate(cols):
            row.cells[i].width = Cm(col.width)
        for a, b in spec.spans:
            row.cells[a].merge(row.cells[b])
        for i, col in enumerate(cols):
            c = row.cells[i]
            c.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = c.paragraphs[0]
            p.style = cell_style
            if len(spec.cells) == 1 and i > 0:        # a tag row: one cell of text
                continue
            text = spec.cells[i] if i < len(spec.cells) else ""
            if any(a <= i <= b for a, b in spec.spans) and not any(a == i for a, _ in spec.spans):
                continue                               # inside a merged cell: written at its start
            start_span = next(((a, b) for a, b in spec.spans if a == i), None)
            align = CENTER if start_span else col.align
            if len(spec.cells) == 1:
                align = LEFT
            p.alignment = aligns[align]
            if text:
                p.add_run(text).bold = spec.bold or None
            if spec.shaded:
                _shade(c, "F2F2F2")
    return table


def _shade(cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(_qn("w:shd")):
        tcpr.remove(old)
    tcpr.insert_element_before(_el("w:shd", **{"w:val": "clear", "w:color": "auto", "w:fill": fill}),
                               *TCPR_AFTER_SHD)


def build_template():
    """The default report template as a python-docx Document."""
    import docx

    S, C = L.REPORT_SECTIONS, L.REPORT_CAPTIONS
    doc = docx.Document()
    _styles(doc)
    _font_table(doc)
    _page(doc)
    for rid, rel in list(doc.part.package.rels.items()):
        if rel.reltype.endswith("/metadata/thumbnail"):    # python-docx's sample thumbnail
            doc.part.package.rels.pop(rid)
    cp = doc.core_properties
    cp.title, cp.author, cp.last_modified_by = "绩效评价报告模板", "perfxl", "perfxl"
    cp.comments = "perfxl report 的默认模板：可修改样式、标题文字和列宽，双花括号和花括号百分号标记请保留"

    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None:                       # the stock document starts empty
        body._p.getparent().remove(body._p)

    # a docxtpl comment: shown to whoever edits the template, absent from every report
    _para(doc, "{#p 模板说明：可修改字体、段落和表格样式、标题文字、表头文字和列宽；双花括号和花括号百分号之间的标记"
               "决定填入的数据，请保留。各数据项的含义见 perfxl/report.py 开头的说明。本段不会出现在报告中。 #}", STYLE_NOTE)
    _para(doc, "{{ title }}", STYLE_TITLE)
    _para(doc, "{%p for w in warnings %}", STYLE_WARNING)
    _para(doc, "{{ w }}", STYLE_WARNING)
    _para(doc, "{%p endfor %}", STYLE_WARNING)
    _para(doc, "{%p for u in units %}", STYLE_BODY)
    _para(doc, "{%p if multi %}", STYLE_BODY)
    _para(doc, "{{ u.heading }}", "Heading 1")
    _para(doc, "{%p endif %}", STYLE_BODY)

    # 一、基本情况
    _para(doc, S["basic"], "Heading 2")
    _para(doc, C["info"], STYLE_CAPTION)
    hi = L.REPORT_INFO_HEADERS
    _table(doc, [Col(hi[0], 4.0, CENTER), Col(hi[1], TEXT_W - 4.0)],
           [Row.tag("{%tr for f in u.info %}"), Row(["{{ f.label }}", "{{ f.value }}"]), Row.tag("{%tr endfor %}")])
    _para(doc, "{%p if u.basic %}", STYLE_BODY)
    _para(doc, C["basic"], STYLE_CAPTION)
    hb = L.REPORT_BASIC_HEADERS
    _table(doc, [Col(hb[0], 7.6), Col(hb[1], 5.0, RIGHT), Col(hb[2], 3.0, CENTER)],
           [Row.tag("{%tr for b in u.basic %}"), Row(["{{ b.label }}", "{{ b.value }}", "{{ b.unit }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p endif %}", STYLE_BODY)
    _para(doc, "{%p if u.figures %}", STYLE_BODY)
    _para(doc, C["figures"], STYLE_CAPTION)
    hf = L.REPORT_FIGURE_HEADERS
    _table(doc, [Col(hf[0], 3.8), Col(hf[1], 8.8), Col(hf[2], 3.0, RIGHT)],
           [Row.tag("{%tr for g in u.figures %}"), Row(["{{ g.name }}", "{{ g.text }}", "{{ g.value }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p endif %}", STYLE_BODY)

    # 二、评价得分情况: conclusion + 得分一览表
    _para(doc, S["scores"], "Heading 2")
    _para(doc, "{{ u.conclusion }}", STYLE_BODY)
    _para(doc, "{{ u.grade_scale }}", STYLE_BODY)
    _para(doc, "{{ u.caption }}" + C["summary"], STYLE_CAPTION)
    hs = L.REPORT_SUMMARY_HEADERS
    sub = ["{{ r.level1 }}", "{{ r.level2 }}", "{{ r.weight }}", "{{ r.score }}", "{{ r.rate }}"]
    _table(doc, [Col(hs[0], 3.0, CENTER), Col(hs[1], 5.4), Col(hs[2], 2.2, RIGHT), Col(hs[3], 2.4, RIGHT),
                 Col(hs[4], 2.6, RIGHT)],
           [Row.tag("{%tr for r in u.summary %}"), Row.tag("{%tr if r.subtotal %}"),
            Row(sub, bold=True, shaded=True), Row.tag("{%tr else %}"), Row(sub), Row.tag("{%tr endif %}"),
            Row.tag("{%tr endfor %}"),
            Row([L.REPORT_TOTAL, "", "{{ u.total_weight }}", "{{ u.total }}", "{{ u.total_rate }}"], bold=True,
                shaded=True, spans=[(0, 1)]),
            Row([L.REPORT_GRADE, "", "{{ u.grade }}", "", ""], bold=True, shaded=True, spans=[(0, 1), (2, 4)])])

    # 三、评分表
    _para(doc, S["table"], "Heading 2")
    _para(doc, "{{ u.caption }}" + C["scoring"], STYLE_CAPTION)
    hc = L.REPORT_SCORING_HEADERS
    _table(doc, [Col(hc[0], 1.4, CENTER), Col(hc[1], 1.5, CENTER), Col(hc[2], 2.1), Col(hc[3], 1.0, RIGHT),
                 Col(hc[4], 4.2), Col(hc[5], 1.2, RIGHT), Col(hc[6], 4.2)],
           [Row.tag("{%tr for r in u.scoring %}"),
            Row(["{{ r.level1 }}", "{{ r.level2 }}", "{{ r.name }}", "{{ r.weight }}", "{{ r.criterion }}",
                 "{{ r.score }}", "{{ r.process }}"]),
            Row.tag("{%tr endfor %}"),
            Row([L.REPORT_TOTAL, "", "", "{{ u.total_weight }}", "", "{{ u.total }}", ""], bold=True, shaded=True,
                spans=[(0, 2)])],
           small=True)

    # 四、扣分指标与问题清单
    _para(doc, S["deductions"], "Heading 2")
    _para(doc, "{{ u.deduction_intro }}", STYLE_BODY)
    _para(doc, "{%p if u.deductions %}", STYLE_BODY)
    hd = L.REPORT_DEDUCTION_HEADERS
    _table(doc, [Col(hd[0], 1.0, CENTER), Col(hd[1], 2.0), Col(hd[2], 2.6), Col(hd[3], 1.2, RIGHT),
                 Col(hd[4], 1.2, RIGHT), Col(hd[5], 1.2, RIGHT), Col(hd[6], 6.4)],
           [Row.tag("{%tr for d in u.deductions %}"),
            Row(["{{ d.no }}", "{{ d.level2 }}", "{{ d.name }}", "{{ d.weight }}", "{{ d.score }}", "{{ d.lost }}",
                 "{{ d.note }}"]),
            Row.tag("{%tr endfor %}")],
           small=True)
    _para(doc, "{%p endif %}", STYLE_BODY)

    # 附录 评价偏差
    _para(doc, S["deviations"], "Heading 2")
    _para(doc, "{{ u.deviation_intro }}", STYLE_BODY)
    _para(doc, "{%p if u.deviations %}", STYLE_BODY)
    hv = L.REPORT_DEVIATION_HEADERS
    _table(doc, [Col(hv[0], 1.2, CENTER), Col(hv[1], 3.0), Col(hv[2], 1.6, RIGHT), Col(hv[3], 1.6, RIGHT),
                 Col(hv[4], 1.4, RIGHT), Col(hv[5], 6.8)],
           [Row.tag("{%tr for d in u.deviations %}"),
            Row(["{{ d.code }}", "{{ d.name }}", "{{ d.rule }}", "{{ d.evaluator }}", "{{ d.difference }}",
                 "{{ d.note }}"]),
            Row.tag("{%tr endfor %}")],
           small=True)
    _para(doc, "{%p endif %}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "{{ footnote }}", STYLE_NOTE)
    return doc


def template_bytes() -> bytes:
    from io import BytesIO

    buf = BytesIO()
    build_template().save(buf)
    return buf.getvalue()


def write_report_template(path: str | Path) -> Path:
    """Write the default report template to ``path`` (atomically); returns the path."""
    from perfxl.io.files import atomic_write_bytes

    path = Path(path)
    data = template_bytes()
    atomic_write_bytes(path, lambda fh: fh.write(data))
    return path
