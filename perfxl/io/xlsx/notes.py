"""Cell notes (legacy comments) as Excel and LibreOffice store them: a comments part with the text
and a VML drawing with one hidden shape per note. The VML (which may also hold buttons, and which
Excel does not always write as well-formed XML) is edited as bytes: perfxl adds and removes only
note shapes of the cells whose notes it changes."""
from __future__ import annotations

import re

from lxml import etree

from perfxl.io.xlsx.styles import PARSER
from perfxl.io.xlsx.values import clean_text

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
Q = "{%s}" % NS
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
EMPTY_COMMENTS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="%s"><authors/>'
                  '<commentList/></comments>' % NS).encode()
VML_NS = b"urn:schemas-microsoft-com:vml"
EMPTY_VML = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
             b'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" '
             b'data="%d"/></o:shapelayout></xml>')
SHAPETYPE = (b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
             b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_SHAPE = re.compile(rb"<v:shape\b.*?</v:shape>", re.S)
_NOTE_CELL = re.compile(rb"ObjectType=\"Note\".*?<x:Row>\s*(\d+)\s*</x:Row>\s*<x:Column>\s*(\d+)\s*</x:Column>", re.S)


def shape(spid: int, row: int, col: int, width: int = 300, height: int = 110) -> bytes:
    """A hidden note box beside cell (row, col), 1-based, as Excel draws one."""
    anchor = f"{col}, 15, {max(row - 2, 0)}, 10, {col + 4}, 15, {max(row - 2, 0) + 6}, 4".encode()
    return (b'<v:shape id="_x0000_s%d" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
            b'margin-top:1.5pt;width:%dpx;height:%dpx;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
            b'o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/>'
            b'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left">'
            b'</div></v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
            b'<x:Anchor>%s</x:Anchor><x:AutoFill>False</x:AutoFill><x:Row>%d</x:Row><x:Column>%d</x:Column>'
            b'</x:ClientData></v:shape>') % (spid, width, height, anchor, row - 1, col - 1)


class Comments:
    """A comments part: text of notes by cell reference."""

    def __init__(self, data: bytes | None):
        self.root = etree.fromstring(data or EMPTY_COMMENTS, PARSER)
        self.dirty = data is None
        self._by_ref = {c.get("ref"): c for c in self._list().findall(Q + "comment")}
        self._added = False

    def _list(self):
        el = self.root.find(Q + "commentList")
        if el is None:
            el = etree.SubElement(self.root, Q + "commentList")
        return el

    def find(self, ref: str):
        return self._by_ref.get(ref)

    @staticmethod
    def text_of(comment) -> str:
        text = comment.find(Q + "text")
        if text is None:
            return ""
        parts = [t.text or "" for t in text.iter(Q + "t") if t.getparent().tag != Q + "rPh"]
        return "".join(parts)

    def _author(self, name: str) -> int:
        authors = self.root.find(Q + "authors")
        if authors is None:
            authors = etree.Element(Q + "authors")
            self.root.insert(0, authors)
        names = [a.text or "" for a in authors.findall(Q + "author")]
        if name in names:
            return names.index(name)
        etree.SubElement(authors, Q + "author").text = name
        return len(names)

    def set(self, ref: str, ours: str | None, author: str) -> bool:
        """The note of ``ref``: the user's text (kept as it is, runs and all) followed by perfxl's part
        ``ours`` (None: only the user's). True when the cell still has a note."""
        comment = self.find(ref)
        if comment is None and not ours:
            return False
        self.dirty = True
        if comment is None:
            comment = etree.Element(Q + "comment")
            comment.set("ref", ref)
            comment.set("authorId", str(self._author(author)))
            self._list().append(comment)                  # put in cell order when saved
            self._by_ref[ref] = comment
            self._added = True
            etree.SubElement(comment, Q + "text")
        text = comment.find(Q + "text")
        if text is None:
            text = etree.SubElement(comment, Q + "text")
        _cut_ours(text)
        user = self.text_of(comment).strip()
        if ours:
            plain = text.find(Q + "t")
            if plain is not None:                     # plain text: becomes the first run
                run = etree.Element(Q + "r")
                plain.addprevious(run)
                run.append(plain)
            run = etree.Element(Q + "r")
            first_rph = text.find(Q + "rPh")
            if first_rph is not None:
                first_rph.addprevious(run)
            else:
                text.append(run)
            rpr = etree.SubElement(run, Q + "rPr")
            etree.SubElement(rpr, Q + "sz").set("val", "9")
            t = etree.SubElement(run, Q + "t")
            t.text = clean_text(("\n\n" if user else "") + ours)
            t.set(XML_SPACE, "preserve")
        if not self.text_of(comment).strip():
            comment.getparent().remove(comment)
            self._by_ref.pop(ref, None)
            return False
        runs = text.findall(Q + "r")
        if len(runs) == 1 and runs[0].find(Q + "rPr") is None and text.find(Q + "t") is None:
            t = runs[0].find(Q + "t")                 # back to the plain text it was
            runs[0].addprevious(t)
            text.remove(runs[0])
        return True

    def empty(self) -> bool:
        return not self._by_ref

    def serialize(self) -> bytes:
        if self._added:                                   # Excel lists notes row by row
            lst = self._list()
            comments = lst.findall(Q + "comment")
            for c in comments:
                lst.remove(c)
            for c in sorted(comments, key=lambda c: _sort_key(c.get("ref"))):
                lst.append(c)
            self._added = False
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _sort_key(ref: str) -> tuple[int, int]:
    from perfxl.io.xlsx.sheet import split_ref

    try:
        return split_ref(ref)
    except Exception:
        return (0, 0)


def _cut_ours(text) -> None:
    """Remove perfxl's part (from the first line starting with perfxl's mark to the end)."""
    from perfxl.io.xlsx.notetext import MARK

    seen = ""
    runs = [el for el in text if el.tag in (Q + "r", Q + "t")]
    for i, el in enumerate(runs):
        t = el if el.tag == Q + "t" else el.find(Q + "t")
        s = (t.text or "") if t is not None else ""
        at = _mark_at(seen, s, MARK)
        if at is not None:
            keep = s[:at].rstrip("\n")
            if keep or i == 0 and el.tag == Q + "t":
                t.text = keep
            elif el.tag == Q + "r":
                text.remove(el)
            for later in runs[i + 1:]:
                text.remove(later)
            # the user's text before ours loses the blank line perfxl put between them
            if not keep:
                prev = [e for e in text if e.tag in (Q + "r", Q + "t")]
                if prev:
                    pt = prev[-1] if prev[-1].tag == Q + "t" else prev[-1].find(Q + "t")
                    if pt is not None and pt.text:
                        pt.text = pt.text.rstrip("\n")
            return
        seen += s


def _mark_at(before: str, s: str, mark: str) -> int | None:
    i = s.find(mark)
    while i >= 0:
        if (i == 0 and (not before or before.endswith("\n"))) or (i > 0 and s[i - 1] == "\n"):
            return i
        i = s.find(mark, i + 1)
    return None


class Vml:
    """A legacy VML drawing (notes, and perhaps buttons), edited as bytes: split once into the text
    between shapes and the shapes, so adding or removing a note does not rescan the drawing."""

    def __init__(self, data: bytes | None, block: int):
        self.dirty = data is None
        self.block = block
        data = data if data is not None else EMPTY_VML % block
        self.chunks: list[bytes] = []
        self.notes: dict[tuple[int, int], int] = {}
        pos = 0
        for m in _SHAPE.finditer(data):
            self.chunks.append(data[pos:m.start()])
            n = _NOTE_CELL.search(m.group(0))
            if n:
                self.notes[(int(n.group(1)) + 1, int(n.group(2)) + 1)] = len(self.chunks)
            self.chunks.append(m.group(0))
            pos = m.end()
        self.chunks.append(data[pos:])
        self._next: int | None = None
        self._prepared = False

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)

    def _prepare(self) -> None:
        """Before the first note is added: the namespaces and the block of shape ids it needs."""
        if self._prepared:
            return
        self._prepared = True
        head = self.chunks[0]
        root = re.search(rb"<xml\b[^>]*>", head)
        if root is None or b"</xml>" not in self.chunks[-1]:
            raise ValueError("VML drawing without its <xml> root")
        missing = b"".join(b' xmlns:%s="%s"' % (p, ns) for p, ns in (
            (b"v", VML_NS), (b"o", b"urn:schemas-microsoft-com:office:office"),
            (b"x", b"urn:schemas-microsoft-com:office:excel")) if b"xmlns:" + p + b"=" not in root.group(0))
        if missing:                                # the prefixes perfxl's shapes use
            end = root.end() - 1
            head = head[:end] + missing + head[end:]
            root = re.search(rb"<xml\b[^>]*>", head)
        everything = b"".join(self.chunks[1:])
        if b"<o:idmap" not in head + everything:  # LibreOffice's buttons: no block of shape ids declared
            head = (head[:root.end()] + b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="%d"/>'
                    b"</o:shapelayout>" % self.block + head[root.end():])
        if b'id="_x0000_t202"' not in head + everything:
            head += SHAPETYPE
        self.chunks[0] = head
        data = self.data
        ids = [int(x) for x in re.findall(rb'id="_x0000_s(\d+)"', data)]
        m = re.search(rb'<o:idmap\b[^>]*data="([^"]*)"', data)
        blocks = [int(b) for b in re.findall(rb"\d+", m.group(1))] if m else [self.block]
        self._next = max(ids + [max(blocks or [self.block]) * 1024]) + 1

    def add(self, row: int, col: int) -> None:
        if (row, col) in self.notes:
            return
        self._prepare()
        spid = self._next
        self._next += 1
        block = spid // 1024
        for i, chunk in enumerate(self.chunks):
            m = re.search(rb'(<o:idmap\b[^>]*data=")([^"]*)(")', chunk)
            if m:
                if str(block).encode() not in re.findall(rb"\d+", m.group(2)):
                    self.chunks[i] = chunk[:m.end(2)] + b"," + str(block).encode() + chunk[m.end(2):]
                break
        last = self.chunks[-1]
        end = last.rfind(b"</xml>")
        self.chunks[-1:] = [last[:end], shape(spid, row, col), last[end:]]
        self.notes[(row, col)] = len(self.chunks) - 2
        self.dirty = True

    def remove(self, row: int, col: int) -> None:
        i = self.notes.pop((row, col), None)
        if i is not None:
            self.chunks[i] = b""
            self.dirty = True

    def empty(self) -> bool:
        data = self.data
        return _SHAPE.search(data) is None and not any(t in data for t in (b"<v:rect", b"<v:oval", b"<v:line",
                                                                            b"<v:group", b"<v:roundrect"))

    @staticmethod
    def blocks(data: bytes) -> set[int]:
        m = re.search(rb'<o:idmap\b[^>]*data="([^"]*)"', data)
        return {int(b) for b in re.findall(rb"\d+", m.group(1))} if m else set()
