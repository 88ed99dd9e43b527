"""The default Word report template (docxtpl), built with python-docx.

Chinese official-document conventions (GB/T 9704 style): A4, 仿宋_GB2312 body (仿宋 as the font
table's alternative), 黑体 headings, 宋体 tables with header rows repeated on every page, numbers
right-aligned, page numbers "— n —" in the footer. Three sections: the cover and 目录 (no page
number), the report (portrait, pages numbered from 1) and the appendices (landscape).

Users restyle a copy of the file in Word (styles, fonts, heading texts, column widths) and pass it
with ``perfxl report --template``; the ``{{ }}`` / ``{%tr %}`` / ``{%p %}`` tags carry the data
(the data items are listed at the top of perfxl/report/document.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from perfxl.model import layout as L

FONT_BODY, FONT_BODY_ALT = "仿宋_GB2312", "仿宋"
FONT_HEADING = "黑体"
FONT_TABLE = "宋体"
FONT_KAI, FONT_KAI_ALT = "楷体_GB2312", "楷体"
FONT_LATIN = "Times New Roman"
_FONT_TABLE_ENTRIES = ((FONT_BODY, FONT_BODY_ALT), (FONT_KAI, FONT_KAI_ALT), (FONT_HEADING, None), (FONT_TABLE, None),
                       (FONT_BODY_ALT, None), (FONT_KAI_ALT, None))

# style names (users restyle these in Word)
STYLE_TITLE = "报告标题"
STYLE_COVER_TITLE = "封面标题"
STYLE_COVER_INFO = "封面信息"
STYLE_TOC_TITLE = "目录标题"
STYLE_BODY = "报告正文"
STYLE_SUBHEAD = "报告小标题"
STYLE_ITEM = "报告条目"
STYLE_CAPTION = "表题"
STYLE_FIGURE = "图片"
STYLE_FIGURE_CAPTION = "图题"
STYLE_CELL = "表格文字"
STYLE_CELL_SMALL = "表格文字（小）"
STYLE_CELL_HEAD = "表格表头"
STYLE_CELL_HEAD_SMALL = "表格表头（小）"
STYLE_WARNING = "报告警告"
STYLE_NOTE = "报告附注"
STYLE_SIGNATURE = "落款"
STYLE_APPENDIX = "附件标题"
STYLE_END = "文末"
#: character style of what a person must still write (【待填写：…】), highlighted
STYLE_TODO = "待填写"

# A4 and GB/T 9704 margins, in cm; the appendices are landscape
PAGE_W, PAGE_H = 21.0, 29.7
MARGINS = dict(top=3.7, bottom=3.5, left=2.8, right=2.6)
TEXT_W = PAGE_W - MARGINS["left"] - MARGINS["right"]        # 15.6 cm
LANDSCAPE_MARGINS = dict(top=2.5, bottom=2.2, left=2.5, right=2.5)
LANDSCAPE_TEXT_W = PAGE_H - LANDSCAPE_MARGINS["left"] - LANDSCAPE_MARGINS["right"]     # 24.7 cm
LANDSCAPE_TEXT_H = PAGE_W - LANDSCAPE_MARGINS["top"] - LANDSCAPE_MARGINS["bottom"]     # 16.3 cm
#: the 评分表 (landscape, 小五 9 pt): column key -> width in cm
SCORING_COLUMNS = (("level1", 1.9), ("level2", 2.1), ("name", 2.6), ("weight", 1.0), ("criterion", 7.8),
                   ("score", 1.2), ("process", 8.1))
SCORING_FONT_PT = 9.0
#: exact line height of table text (so that row heights can be estimated from the text alone)
SCORING_LINE_PT = 12.0
CELL_LINE_PT = 15.0
CELL_MARGIN_CM = 0.1
CHART_WIDTH_CM = 15.0

LEFT, CENTER, RIGHT = "left", "center", "right"

# w:tcPr children that must follow w:shd / w:vMerge (schema order)
TCPR_AFTER_SHD = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark", "w:headers",
                  "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")
TCPR_AFTER_VMERGE = ("w:tcBorders", "w:shd", *TCPR_AFTER_SHD)
# w:sectPr children after w:pgNumType (schema order)
SECTPR_AFTER_PGNUM = ("w:cols", "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
                      "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange")


def scoring_widths() -> dict[str, float]:
    """The 评分表's columns as half-ems of 9 pt text per line (for estimating row heights)."""
    pt_per_cm = 72 / 2.54
    return {k: (w - 2 * CELL_MARGIN_CM) * pt_per_cm / (SCORING_FONT_PT / 2) for k, w in SCORING_COLUMNS}


def scoring_page_lines() -> float:
    """Text lines of the 评分表 a landscape page holds, below the title and the header row."""
    return LANDSCAPE_TEXT_H * 72 / 2.54 / SCORING_LINE_PT - 4


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


def _paragraph_format(style, *, align=None, first_line_chars: int = 0, left_chars: int = 0,
                      line_exact: float | None = None, before: float = 0, after: float = 0, keep_next: bool = False,
                      page_break: bool = False, outline: int | None = None) -> None:
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
    if first_line_chars or left_chars:
        # "2 characters" indent scales with the font size, as Chinese documents expect
        attrs = {"w:firstLineChars": first_line_chars * 100, "w:firstLine": first_line_chars * 320,
                 "w:leftChars": left_chars * 100, "w:left": left_chars * 320}
    else:
        attrs = {"w:firstLine": 0, "w:left": 0, "w:right": 0}
    for k, v in attrs.items():
        ind.set(_qn(k), str(v))
    if outline is not None:                     # a heading in the navigation pane and the TOC
        for old in ppr.findall(_qn("w:outlineLvl")):
            ppr.remove(old)
        ppr.insert_element_before(_el("w:outlineLvl", **{"w:val": outline}), "w:divId", "w:cnfStyle", "w:rPr",
                                  "w:sectPr", "w:pPrChange")


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
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt, RGBColor

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

    sub = _paragraph_style(doc, STYLE_SUBHEAD, STYLE_BODY)          # 1.xx / （1）xx: bold body, with its text
    _style_text(sub, FONT_BODY, 16, bold=True)
    _paragraph_format(sub, align="justify", first_line_chars=2, line_exact=28, keep_next=True)

    item = _paragraph_style(doc, STYLE_ITEM, STYLE_BODY)            # （1）xx: 楷体 item titles
    _style_text(item, FONT_KAI, 16)
    _paragraph_format(item, align="justify", first_line_chars=2, line_exact=28, keep_next=True)

    title = _paragraph_style(doc, STYLE_TITLE)
    _style_text(title, FONT_TABLE, 22, bold=True)                    # 二号宋体加粗
    _paragraph_format(title, align=CENTER, line_exact=36, before=12, after=18)

    cover = _paragraph_style(doc, STYLE_COVER_TITLE)
    _style_text(cover, FONT_TABLE, 26, bold=True)                    # 一号宋体加粗
    _paragraph_format(cover, align=CENTER, line_exact=48, before=0, after=12)

    cover_info = _paragraph_style(doc, STYLE_COVER_INFO)
    _style_text(cover_info, FONT_BODY, 16)
    _paragraph_format(cover_info, align=CENTER, line_exact=32)

    toc_title = _paragraph_style(doc, STYLE_TOC_TITLE)
    _style_text(toc_title, FONT_HEADING, 18)                         # 小二黑体
    _paragraph_format(toc_title, align=CENTER, line_exact=36, after=18, page_break=True)

    h1 = doc.styles["Heading 1"]                                     # 总体情况 / one unit (a consolidation)
    _style_text(h1, FONT_HEADING, 18)
    _paragraph_format(h1, align=CENTER, line_exact=32, before=12, after=12, keep_next=True, outline=0)

    h2 = doc.styles["Heading 2"]                                     # 一、二、三、
    _style_text(h2, FONT_HEADING, 16)
    _paragraph_format(h2, align=LEFT, first_line_chars=2, line_exact=28, before=12, after=6, keep_next=True,
                      outline=1)

    h3 = doc.styles["Heading 3"]                                     # （一）（二）
    _style_text(h3, FONT_KAI, 16, bold=True)
    _paragraph_format(h3, align=LEFT, first_line_chars=2, line_exact=28, before=6, after=0, keep_next=True,
                      outline=2)

    for level, size, line, indent in ((1, 14, 26, 0), (2, 14, 24, 0), (3, 12, 20, 2)):   # the TOC's entries
        toc = _paragraph_style(doc, f"toc {level}")
        _style_text(toc, FONT_HEADING if level == 1 else FONT_BODY, size)
        _paragraph_format(toc, align=LEFT, left_chars=indent, line_exact=line)
        tabs = toc.element.get_or_add_pPr()
        tabs.insert_element_before(_el("w:tabs"), "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                                   "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                                   "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                                   "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                                   "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                                   "w:rPr", "w:sectPr", "w:pPrChange")
        tabs.find(_qn("w:tabs")).append(_el("w:tab", **{"w:val": "right", "w:leader": "dot",
                                                         "w:pos": int(TEXT_W / 2.54 * 1440)}))

    caption = _paragraph_style(doc, STYLE_CAPTION)
    _style_text(caption, FONT_HEADING, 12)
    _paragraph_format(caption, align=CENTER, before=12, after=6, keep_next=True)

    figure = _paragraph_style(doc, STYLE_FIGURE)
    _paragraph_format(figure, align=CENTER, before=6, keep_next=True)

    figure_caption = _paragraph_style(doc, STYLE_FIGURE_CAPTION, STYLE_CAPTION)
    _style_text(figure_caption, FONT_HEADING, 12)
    _paragraph_format(figure_caption, align=CENTER, before=3, after=12)

    cell = _paragraph_style(doc, STYLE_CELL)
    _style_text(cell, FONT_TABLE, 10.5)                              # 五号宋体
    _paragraph_format(cell, align=LEFT, line_exact=CELL_LINE_PT)

    small = _paragraph_style(doc, STYLE_CELL_SMALL, STYLE_CELL)
    _style_text(small, FONT_TABLE, SCORING_FONT_PT)                  # 小五
    _paragraph_format(small, align=LEFT, line_exact=SCORING_LINE_PT)

    head = _paragraph_style(doc, STYLE_CELL_HEAD, STYLE_CELL)
    _style_text(head, FONT_HEADING, 10.5)
    _paragraph_format(head, align=CENTER, line_exact=CELL_LINE_PT, keep_next=True)

    head_small = _paragraph_style(doc, STYLE_CELL_HEAD_SMALL, STYLE_CELL_HEAD)
    _style_text(head_small, FONT_HEADING, SCORING_FONT_PT)
    _paragraph_format(head_small, align=CENTER, line_exact=SCORING_LINE_PT, keep_next=True)

    warning = _paragraph_style(doc, STYLE_WARNING)
    _style_text(warning, FONT_HEADING, 14, color="C00000")
    _paragraph_format(warning, align=LEFT, line_exact=24, before=6, after=6)

    note = _paragraph_style(doc, STYLE_NOTE)
    _style_text(note, FONT_BODY, 12)
    _paragraph_format(note, align=LEFT, before=18)
    note.font.color.rgb = RGBColor.from_string("404040")

    sign = _paragraph_style(doc, STYLE_SIGNATURE, STYLE_BODY)       # 落款: right-aligned, kept together
    _style_text(sign, FONT_BODY, 16)
    _paragraph_format(sign, align=RIGHT, line_exact=32, keep_next=True)

    appendix = _paragraph_style(doc, STYLE_APPENDIX)
    _style_text(appendix, FONT_HEADING, 14)
    _paragraph_format(appendix, align=LEFT, line_exact=24, after=8, keep_next=True, outline=1)

    end = _paragraph_style(doc, STYLE_END)                           # section ends: take no room
    end.font.size = Pt(1)
    _paragraph_format(end, align=LEFT)

    try:
        todo = doc.styles[STYLE_TODO]
    except KeyError:
        todo = doc.styles.add_style(STYLE_TODO, WD_STYLE_TYPE.CHARACTER)
    todo.element.set(_qn("w:styleId"), STYLE_TODO)
    todo.quick_style = True
    rpr = todo.element.get_or_add_rPr()
    for old in rpr.findall(_qn("w:highlight")):
        rpr.remove(old)
    todo.font.color.rgb = RGBColor.from_string("C00000")
    rpr.append(_el("w:highlight", **{"w:val": "yellow"}))        # Word and WPS
    for old in rpr.findall(_qn("w:shd")):
        rpr.remove(old)
    rpr.append(_el("w:shd", **{"w:val": "clear", "w:color": "auto", "w:fill": "FFFF00"}))   # LibreOffice


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


def _settings(doc) -> None:
    """Ask Word to update fields (the 目录) when the report is opened."""
    settings = doc.settings.element
    for old in settings.findall(_qn("w:updateFields")):
        settings.remove(old)
    settings.append(_el("w:updateFields", **{"w:val": "true"}))


def _portrait(sec) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(PAGE_W), Cm(PAGE_H)
    sec.top_margin, sec.bottom_margin = Cm(MARGINS["top"]), Cm(MARGINS["bottom"])
    sec.left_margin, sec.right_margin = Cm(MARGINS["left"]), Cm(MARGINS["right"])
    sec.footer_distance = Cm(2.5)


def _landscape(sec) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(PAGE_H), Cm(PAGE_W)
    sec.top_margin, sec.bottom_margin = Cm(LANDSCAPE_MARGINS["top"]), Cm(LANDSCAPE_MARGINS["bottom"])
    sec.left_margin, sec.right_margin = Cm(LANDSCAPE_MARGINS["left"]), Cm(LANDSCAPE_MARGINS["right"])
    sec.footer_distance = Cm(1.2)
    for old in sec._sectPr.findall(_qn("w:pgNumType")):      # page numbers continue from the report
        sec._sectPr.remove(old)


def _page_numbers(sec) -> None:
    """Footer "— 1 —" (centred, 四号宋体), numbering restarting at 1 in this section."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    sec.footer.is_linked_to_previous = False
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
    sectpr = sec._sectPr
    for old in sectpr.findall(_qn("w:pgNumType")):
        sectpr.remove(old)
    sectpr.insert_element_before(_el("w:pgNumType", **{"w:start": 1}), *SECTPR_AFTER_PGNUM)


def _para(doc, text: str, style: str):
    return doc.add_paragraph(text, style=style)


def _paras(doc, items: str, style: str, var: str = "p") -> None:
    """A loop of rich paragraphs: ``{%p for p in items %}{{r p }}{%p endfor %}``."""
    _para(doc, f"{{%p for {var} in {items} %}}", style)
    _para(doc, f"{{{{r {var} }}}}", style)
    _para(doc, "{%p endfor %}", style)


def _fld_char(kind: str):
    """A run holding a complex field's begin, separate or end mark."""
    r = _el("w:r")
    r.append(_el("w:fldChar", **{"w:fldCharType": kind}))
    return r


def _field_start(paragraph, instr: str) -> None:
    """Begin a complex field at the paragraph's end: begin, instruction, separate (its result follows)."""
    p = paragraph._p
    p.append(_fld_char("begin"))
    r = _el("w:r")
    it = _el("w:instrText")
    it.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    it.text = instr
    r.append(it)
    p.append(r)
    p.append(_fld_char("separate"))


def _toc(doc) -> None:
    """目录: a real TOC field (levels 1–3). After rendering, its cached result lists the report's
    headings (without page numbers); Word updates it on opening (updateFields), WPS and
    LibreOffice on 更新目录."""
    _para(doc, L.REPORT_TOC_TITLE, STYLE_TOC_TITLE)
    _field_start(_para(doc, "", "toc 2"), ' TOC \\o "1-3" \\h \\z \\u ')     # its result: filled after rendering


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


def _cover(doc) -> None:
    for _ in range(4):
        _para(doc, "", STYLE_COVER_INFO)
    _para(doc, "{%p for line in cover.lines %}", STYLE_COVER_TITLE)
    _para(doc, "{{ line }}", STYLE_COVER_TITLE)
    _para(doc, "{%p endfor %}", STYLE_COVER_TITLE)
    for _ in range(8):
        _para(doc, "", STYLE_COVER_INFO)
    labels = L.REPORT_COVER_LABELS
    _para(doc, labels["subject"] + "：{{ cover.subject }}", STYLE_COVER_INFO)
    _para(doc, labels["org"] + "：{{r cover.org }}", STYLE_COVER_INFO)
    _para(doc, labels["date"] + "：{{r cover.date }}", STYLE_COVER_INFO)


def _overview(doc) -> None:
    S, C, H = L.REPORT_SUBHEADINGS, L.REPORT_CAPTIONS, L.REPORT_FIGURE_CAPTIONS
    _para(doc, "{%p if overview %}", STYLE_BODY)
    _para(doc, L.REPORT_CHAPTERS["overview"], "Heading 1")
    _para(doc, S["scope"], "Heading 2")
    _paras(doc, "overview.scope", STYLE_BODY)
    _para(doc, S["ranking"], "Heading 2")
    _para(doc, C["ranking"], STYLE_CAPTION)
    hr = L.REPORT_RANKING_HEADERS
    _table(doc, [Col(hr[0], 1.2, CENTER), Col(hr[1], 4.6), Col(hr[2], 1.6, CENTER), Col(hr[3], 1.6, RIGHT),
                 Col(hr[4], 1.2, CENTER), Col(hr[5], 1.6, CENTER), Col(hr[6], 3.8)],
           [Row.tag("{%tr for r in overview.ranking %}"),
            Row(["{{ r.rank }}", "{{ r.unit }}", "{{ r.year }}", "{{ r.total }}", "{{ r.grade }}", "{{ r.evaluators }}",
                 "{{ r.note }}"]),
            Row.tag("{%tr endfor %}")], small=True)
    _para(doc, "{%p for img in overview.totals_images %}", STYLE_FIGURE)
    _para(doc, "{{ img }}", STYLE_FIGURE)
    _para(doc, H["totals"] + "{{ loop.index if loop.length > 1 else '' }}", STYLE_FIGURE_CAPTION)
    _para(doc, "{%p endfor %}", STYLE_FIGURE)
    _para(doc, S["grades"], "Heading 2")
    _para(doc, C["grades"], STYLE_CAPTION)
    hg = L.REPORT_GRADE_HEADERS
    _table(doc, [Col(hg[0], 2.4, CENTER), Col(hg[1], 5.0, CENTER), Col(hg[2], 3.0, RIGHT), Col(hg[3], 3.0, RIGHT)],
           [Row.tag("{%tr for g in overview.grades %}"),
            Row(["{{ g.grade }}", "{{ g.range }}", "{{ g.count }}", "{{ g.share }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p if overview.grades_image %}", STYLE_FIGURE)
    _para(doc, "{{ overview.grades_image }}", STYLE_FIGURE)
    _para(doc, H["grades"], STYLE_FIGURE_CAPTION)
    _para(doc, "{%p endif %}", STYLE_FIGURE)
    _para(doc, "{%p endif %}", STYLE_BODY)


def _basic(doc) -> None:
    C, S = L.REPORT_CAPTIONS, L.REPORT_SUBHEADINGS
    _para(doc, L.REPORT_CHAPTERS["basic"], "Heading 2")
    _para(doc, "{{ u.basic.profile_title }}", "Heading 3")
    _paras(doc, "u.basic.profile", STYLE_BODY)
    _para(doc, C["info"], STYLE_CAPTION)
    hi = L.REPORT_INFO_HEADERS
    _table(doc, [Col(hi[0], 4.0, CENTER), Col(hi[1], TEXT_W - 4.0)],
           [Row.tag("{%tr for f in u.basic.info %}"), Row(["{{ f.label }}", "{{ f.value }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{{ u.basic.goals_title }}", "Heading 3")
    _paras(doc, "u.basic.goals", STYLE_BODY)
    _para(doc, S["budget"], "Heading 3")
    _paras(doc, "u.basic.budget", STYLE_BODY)
    _para(doc, "{%p if u.basic.basic %}", STYLE_BODY)
    _para(doc, C["basic"], STYLE_CAPTION)
    hb = L.REPORT_BASIC_HEADERS
    _table(doc, [Col(hb[0], 7.6), Col(hb[1], 5.0, RIGHT), Col(hb[2], 3.0, CENTER)],
           [Row.tag("{%tr for b in u.basic.basic %}"), Row(["{{ b.label }}", "{{ b.value }}", "{{ b.unit }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p endif %}", STYLE_BODY)
    _para(doc, "{%p if u.basic.figures %}", STYLE_BODY)
    _para(doc, C["figures"], STYLE_CAPTION)
    hf = L.REPORT_FIGURE_HEADERS
    _table(doc, [Col(hf[0], 3.8), Col(hf[1], 8.8), Col(hf[2], 3.0, RIGHT)],
           [Row.tag("{%tr for g in u.basic.figures %}"), Row(["{{ g.name }}", "{{ g.text }}", "{{ g.value }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p endif %}", STYLE_BODY)


def _work(doc) -> None:
    S = L.REPORT_SUBHEADINGS
    _para(doc, L.REPORT_CHAPTERS["work"], "Heading 2")
    _para(doc, S["purpose"], "Heading 3")
    _paras(doc, "u.work.purpose", STYLE_BODY)
    _para(doc, S["method"], "Heading 3")
    _paras(doc, "u.work.method", STYLE_BODY)
    _para(doc, S["process"], "Heading 3")
    _paras(doc, "u.work.process", STYLE_BODY)
    _para(doc, "{%p for s in u.work.surveys %}", STYLE_BODY)
    _paras(doc, "s.paras", STYLE_BODY, var="q")
    _para(doc, "{{ s.caption }}", STYLE_CAPTION)
    hs = L.REPORT_SURVEY_HEADERS
    _table(doc, [Col(hs[0], 6.0), Col(hs[1], 3.5, RIGHT), Col(hs[2], 3.5, RIGHT)],
           [Row.tag("{%tr for o in s.rows %}"), Row(["{{ o.option }}", "{{ o.count }}", "{{ o.share }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p if s.image %}", STYLE_FIGURE)
    _para(doc, "{{ s.image }}", STYLE_FIGURE)
    _para(doc, "{{ s.figure_caption }}", STYLE_FIGURE_CAPTION)
    _para(doc, "{%p endif %}", STYLE_FIGURE)
    _para(doc, "{%p endfor %}", STYLE_BODY)


def _conclusion(doc) -> None:
    S = L.REPORT_SUBHEADINGS
    _para(doc, L.REPORT_CHAPTERS["conclusion"], "Heading 2")
    _para(doc, S["scores"], "Heading 3")
    _paras(doc, "u.conclusion.scores", STYLE_BODY)
    _para(doc, "{{ u.conclusion.caption }}", STYLE_CAPTION)
    hs = L.REPORT_SUMMARY_HEADERS
    sub = ["{{ r.level1 }}", "{{ r.level2 }}", "{{ r.weight }}", "{{ r.score }}", "{{ r.rate }}"]
    _table(doc, [Col(hs[0], 3.0, CENTER), Col(hs[1], 5.4), Col(hs[2], 2.2, RIGHT), Col(hs[3], 2.4, RIGHT),
                 Col(hs[4], 2.6, RIGHT)],
           [Row.tag("{%tr for r in u.conclusion.summary %}"), Row.tag("{%tr if r.subtotal %}"),
            Row(sub, bold=True, shaded=True), Row.tag("{%tr else %}"), Row(sub), Row.tag("{%tr endif %}"),
            Row.tag("{%tr endfor %}"),
            Row([L.REPORT_TOTAL, "", "{{ u.conclusion.total_weight }}", "{{ u.conclusion.total }}",
                 "{{ u.conclusion.total_rate }}"], bold=True, shaded=True, spans=[(0, 1)]),
            Row([L.REPORT_GRADE, "", "{{ u.conclusion.grade }}", "", ""], bold=True, shaded=True,
                spans=[(0, 1), (2, 4)])])
    _para(doc, "{%p if u.conclusion.image %}", STYLE_FIGURE)
    _para(doc, "{{ u.conclusion.image }}", STYLE_FIGURE)
    _para(doc, "{{ u.conclusion.figure_caption }}", STYLE_FIGURE_CAPTION)
    _para(doc, "{%p endif %}", STYLE_FIGURE)
    _para(doc, S["verdict"], "Heading 3")
    _paras(doc, "u.conclusion.verdict", STYLE_BODY)


def _analysis(doc) -> None:
    _para(doc, L.REPORT_CHAPTERS["analysis"], "Heading 2")
    _para(doc, "{%p for a in u.analysis %}", STYLE_BODY)
    _para(doc, "{{ a.title }}", "Heading 3")
    _para(doc, "{{r a.intro }}", STYLE_BODY)
    _para(doc, "{%p for g in a.groups %}", STYLE_BODY)
    _para(doc, "{{ g.title }}", STYLE_SUBHEAD)
    _para(doc, "{%p for i in g.points %}", STYLE_BODY)
    _para(doc, "{{ i.title }}", STYLE_ITEM)
    _para(doc, "{{r i.body }}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)


def _findings(doc) -> None:
    S, C = L.REPORT_SUBHEADINGS, L.REPORT_CAPTIONS
    _para(doc, L.REPORT_CHAPTERS["findings"], "Heading 2")
    _para(doc, S["strengths"], "Heading 3")
    _paras(doc, "u.strengths", STYLE_BODY)
    _para(doc, S["problems"], "Heading 3")
    _paras(doc, "u.problems.intro", STYLE_BODY)
    _para(doc, "{%p if u.problems.rows %}", STYLE_BODY)
    _para(doc, C["deductions"], STYLE_CAPTION)
    hd = L.REPORT_DEDUCTION_HEADERS
    _table(doc, [Col(hd[0], 1.2, CENTER), Col(hd[1], 3.6), Col(hd[2], 5.4), Col(hd[3], 1.8, RIGHT),
                 Col(hd[4], 1.8, RIGHT), Col(hd[5], 1.8, RIGHT)],
           [Row.tag("{%tr for d in u.problems.rows %}"),
            Row(["{{ d.no }}", "{{ d.level2 }}", "{{ d.name }}", "{{ d.weight }}", "{{ d.score }}", "{{ d.lost }}"]),
            Row.tag("{%tr endfor %}")])
    _para(doc, "{%p endif %}", STYLE_BODY)
    _para(doc, "{%p for g in u.problems.groups %}", STYLE_BODY)
    _para(doc, "{{ g.title }}", STYLE_SUBHEAD)
    _para(doc, "{%p for i in g.points %}", STYLE_BODY)
    _para(doc, "{{ i.title }}", STYLE_ITEM)
    _para(doc, "{{r i.body }}", STYLE_BODY)
    _para(doc, "{{r i.cause }}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, L.REPORT_CHAPTERS["suggestions"], "Heading 2")
    _paras(doc, "u.suggestions", STYLE_BODY)
    _para(doc, L.REPORT_CHAPTERS["other"], "Heading 2")
    _paras(doc, "u.other", STYLE_BODY)


def _appendices(doc) -> None:
    hc = L.REPORT_SCORING_HEADERS
    widths = dict(SCORING_COLUMNS)
    keys = ("level1", "level2", "name", "weight", "criterion", "score", "process")
    aligns = {"level1": CENTER, "level2": CENTER, "weight": RIGHT, "score": RIGHT}
    _para(doc, "{%p for a in appendices %}", STYLE_BODY)
    _para(doc, "{{ a.title }}", STYLE_APPENDIX).paragraph_format.page_break_before = True
    _table(doc, [Col(h, widths[k], aligns.get(k, LEFT)) for h, k in zip(hc, keys)],
           [Row.tag("{%tr for r in a.rows %}"), Row([f"{{{{ r.{k} }}}}" for k in keys]), Row.tag("{%tr endfor %}"),
            Row([L.REPORT_TOTAL, "", "", "{{ a.total_weight }}", "", "{{ a.total }}", ""], bold=True, shaded=True,
                spans=[(0, 2)])],
           small=True)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "{%p if deviations %}", STYLE_BODY)
    _para(doc, "{{ deviations.title }}", STYLE_APPENDIX).paragraph_format.page_break_before = True
    _para(doc, "{{r deviations.intro }}", STYLE_BODY)
    _para(doc, "{%p if deviations.rows %}", STYLE_BODY)
    hv = (L.INFO_BY_KEY["unit"].label, *L.REPORT_DEVIATION_HEADERS)
    _table(doc, [Col(hv[0], 4.0), Col(hv[1], 1.4, CENTER), Col(hv[2], 4.4), Col(hv[3], 1.8, RIGHT),
                 Col(hv[4], 1.8, RIGHT), Col(hv[5], 1.6, RIGHT), Col(hv[6], 9.7)],
           [Row.tag("{%tr for d in deviations.rows %}"),
            Row(["{{ d.unit }}", "{{ d.code }}", "{{ d.name }}", "{{ d.rule }}", "{{ d.evaluator }}",
                 "{{ d.difference }}",
                 "{{ d.note }}"]),
            Row.tag("{%tr endfor %}")],
           small=True)
    _para(doc, "{%p endif %}", STYLE_BODY)
    _para(doc, "{%p endif %}", STYLE_BODY)


def _section_break(doc):
    """End the current section (a new page); the paragraph holding the break takes no room."""
    from docx.enum.section import WD_SECTION

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    doc.paragraphs[-1].style = doc.styles[STYLE_END]
    return sec


def build_template():
    """The default report template as a python-docx Document."""
    import docx

    doc = docx.Document()
    _styles(doc)
    _font_table(doc)
    _settings(doc)
    _portrait(doc.sections[0])
    for rid, rel in list(doc.part.package.rels.items()):
        if rel.reltype.endswith("/metadata/thumbnail"):    # python-docx's sample thumbnail
            doc.part.package.rels.pop(rid)
    cp = doc.core_properties
    cp.title, cp.author, cp.last_modified_by = "{{ title }}", "", ""
    cp.comments = ""

    first = doc.paragraphs[0] if doc.paragraphs else None
    if first is not None:                      # the stock document starts empty
        first._p.getparent().remove(first._p)

    # a docxtpl comment: shown to whoever edits the template, absent from every report
    _para(doc, "{#p 模板说明：可修改字体、段落和表格样式、标题文字、表头文字和列宽；双花括号和花括号百分号之间的标记"
               "决定填入的数据，请保留。各数据项的含义见 perfxl/report/document.py 开头的说明。"
               "本段不会出现在报告中。 #}",
          STYLE_NOTE)
    # section 1: cover and 目录, no page number
    _cover(doc)
    _toc(doc)
    # section 2: the report, portrait, pages numbered from 1 (the 目录 field ends with section 1)
    _page_numbers(_section_break(doc))
    doc.paragraphs[-1]._p.append(_fld_char("end"))
    _para(doc, "{%p for w in warnings %}", STYLE_WARNING)
    _para(doc, "{{ w }}", STYLE_WARNING)
    _para(doc, "{%p endfor %}", STYLE_WARNING)
    _overview(doc)
    _para(doc, "{%p for u in units %}", STYLE_BODY)
    _para(doc, "{%p if multi %}", STYLE_BODY)
    _para(doc, "{{ u.heading }}", "Heading 1").paragraph_format.page_break_before = True
    _para(doc, "{%p endif %}", STYLE_BODY)
    _basic(doc)
    _work(doc)
    _conclusion(doc)
    _analysis(doc)
    _findings(doc)
    _para(doc, "{%p endfor %}", STYLE_BODY)
    _para(doc, "", STYLE_SIGNATURE)
    _paras(doc, "signature", STYLE_SIGNATURE)
    # section 3: the appendices, landscape
    _landscape(_section_break(doc))
    _appendices(doc)
    _para(doc, "", STYLE_END)
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
