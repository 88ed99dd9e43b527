"""styles.xml: perfxl adds the cell formats it needs and never changes an existing one, so every
index a cell already uses keeps its meaning. A format is found before it is added (the same
request always gives the same index; a second run adds nothing)."""
from __future__ import annotations

import copy

from lxml import etree

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
Q = "{%s}" % NS
#: CT_Stylesheet's children in schema order
ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
         "colors", "extLst"]
FONT_ORDER = ["b", "i", "strike", "condense", "extend", "outline", "shadow", "u", "vertAlign", "sz", "color", "name",
              "family", "charset", "scheme"]
BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "0.00E+00": 11,
                   "# ?/?": 12, "# ??/??": 13, "mm-dd-yy": 14, "d-mmm-yy": 15, "d-mmm": 16, "mmm-yy": 17,
                   "h:mm AM/PM": 18, "h:mm:ss AM/PM": 19, "h:mm": 20, "h:mm:ss": 21, "m/d/yy h:mm": 22, "@": 49}
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)
MINIMAL = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="%s"><fonts count="1"><font>'
           '<sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
           '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/>'
           '<top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0"'
           ' borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
           'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
           '</styleSheet>' % NS).encode()


def _key(el, collection: str = "") -> bytes:
    """What makes two entries the same; for cell formats, an apply flag that is set counts as absent
    (Excel applies what a cell format names either way), so a format perfxl restores finds the one
    the workbook had."""
    if collection == "cellXfs" and any(k.startswith("apply") for k in el.attrib):
        el = copy.deepcopy(el)
        for k in [k for k, v in el.attrib.items() if k.startswith("apply") and v in ("1", "true")]:
            del el.attrib[k]
    return etree.tostring(el, method="c14n", exclusive=True)


class Styles:
    def __init__(self, data: bytes | None):
        self.root = etree.fromstring(data or MINIMAL, PARSER)
        self.dirty = data is None
        self._index: dict[str, dict[bytes, int]] = {}
        self._cache: dict[tuple, int] = {}

    def _collection(self, name: str):
        el = self.root.find(Q + name)
        if el is None:
            el = etree.Element(Q + name)
            el.set("count", "0")
            rank = ORDER.index(name)
            after = [c for c in self.root if isinstance(c.tag, str) and etree.QName(c).localname in ORDER
                     and ORDER.index(etree.QName(c).localname) > rank]
            if after:
                after[0].addprevious(el)
            else:
                self.root.append(el)
        return el

    def _items(self, name: str) -> list:
        return [c for c in self._collection(name) if isinstance(c.tag, str)]

    def _add(self, name: str, el) -> int:
        """Index of an element equal to ``el`` in a collection, appending it when there is none."""
        index = self._index.get(name)
        items = self._items(name)
        if index is None:
            index = self._index[name] = {}
            for i, item in enumerate(items):
                index.setdefault(_key(item, name), i)
        key = _key(el, name)
        if key in index:
            return index[key]
        coll = self._collection(name)
        coll.append(el)
        coll.set("count", str(len(items) + 1))
        index[key] = len(items)
        self.dirty = True
        return len(items)

    # --- parts of a format ----------------------------------------------------------------------
    def numfmt(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        coll = self._collection("numFmts")
        ids = []
        for nf in coll.findall(Q + "numFmt"):
            if nf.get("formatCode") == code:
                return int(nf.get("numFmtId"))
            ids.append(int(nf.get("numFmtId", "0")))
        new = max([163, *ids]) + 1
        el = etree.SubElement(coll, Q + "numFmt")
        el.set("numFmtId", str(new))
        el.set("formatCode", code)
        coll.set("count", str(len(coll.findall(Q + "numFmt"))))
        self.dirty = True
        return new

    def font(self, base: int, *, bold: bool = False, color: str | None = None, underline: bool = False) -> int:
        fonts = self._items("fonts")
        el = copy.deepcopy(fonts[base] if base < len(fonts) else fonts[0]) if fonts else etree.Element(Q + "font")
        if bold and el.find(Q + "b") is None:
            etree.SubElement(el, Q + "b")
        if underline:
            for u in el.findall(Q + "u"):
                el.remove(u)
            etree.SubElement(el, Q + "u")
        if color:
            for c in el.findall(Q + "color"):
                el.remove(c)
            etree.SubElement(el, Q + "color").set("rgb", "FF" + color)
        children = sorted(el, key=lambda c: FONT_ORDER.index(etree.QName(c).localname)
                          if isinstance(c.tag, str) and etree.QName(c).localname in FONT_ORDER else 99)
        el[:] = children
        return self._add("fonts", el)

    def fill(self, color: str) -> int:
        """A solid fill of ``color``: one the workbook has (whatever its background colour, which a solid
        fill does not show), else a new one."""
        for i, f in enumerate(self._items("fills")):
            p = f.find(Q + "patternFill")
            fg = p.find(Q + "fgColor") if p is not None else None
            if (p is not None and p.get("patternType") == "solid" and fg is not None
                    and (fg.get("rgb") or "").upper() == "FF" + color.upper() and len(f) == 1):
                return i
        el = etree.fromstring(('<fill xmlns="%s"><patternFill patternType="solid"><fgColor rgb="FF%s"/>'
                               '<bgColor rgb="FF%s"/></patternFill></fill>' % (NS, color, color)).encode())
        return self._add("fills", el)

    def border(self, color: str) -> int:
        sides = "".join('<%s style="thin"><color rgb="FF%s"/></%s>' % (s, color, s)
                        for s in ("left", "right", "top", "bottom"))
        el = etree.fromstring(('<border xmlns="%s">%s<diagonal/></border>' % (NS, sides)).encode())
        return self._add("borders", el)

    def xf_element(self, index: int):
        xfs = self._items("cellXfs")
        if index < len(xfs):
            return copy.deepcopy(xfs[index])
        el = etree.Element(Q + "xf")
        for k in ("numFmtId", "fontId", "fillId", "borderId", "xfId"):
            el.set(k, "0")
        return el

    def font_of(self, index: int) -> int:
        return int(self.xf_element(index).get("fontId", "0"))

    def derive(self, base: int, *, numfmt: str | None = None, font: int | None = None, fill: str | None = None,
               border: str | None = None, align: dict | None = None, locked: bool | None = None,
               quote: bool | None = None) -> int:
        """The cellXfs index of format ``base`` with these parts replaced (added when new)."""
        key = (base, numfmt, font, fill, border, tuple(sorted((align or {}).items())), locked, quote)
        if key in self._cache:
            return self._cache[key]
        el = self.xf_element(base)
        if numfmt is not None:
            el.set("numFmtId", str(self.numfmt(numfmt)))
            el.set("applyNumberFormat", "1")
        if font is not None:
            el.set("fontId", str(font))
            el.set("applyFont", "1")
        if fill is not None:
            el.set("fillId", str(self.fill(fill)))
            el.set("applyFill", "1")
        if border is not None:
            el.set("borderId", str(self.border(border)))
            el.set("applyBorder", "1")
        if align is not None:
            for a in el.findall(Q + "alignment"):
                el.remove(a)
            a = etree.Element(Q + "alignment")
            for k, v in align.items():
                a.set(k, v)
            el.insert(0, a)
            el.set("applyAlignment", "1")
        if locked is not None:
            for pr in el.findall(Q + "protection"):
                el.remove(pr)
            pr = etree.Element(Q + "protection")
            pr.set("locked", "1" if locked else "0")
            el.append(pr)
            el.set("applyProtection", "1")
        if quote is not None:
            if quote:
                el.set("quotePrefix", "1")
            elif "quotePrefix" in el.attrib:
                del el.attrib["quotePrefix"]
        if el.get("xfId") is None:
            el.set("xfId", "0")
        index = self._add("cellXfs", el)
        self._cache[key] = index
        return index

    def serialize(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)

