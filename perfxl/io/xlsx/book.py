"""The package editor: an .xlsx/.xlsm edited at the XML level, in memory.

Parts perfxl does not change are copied into the new package as they are, compressed bytes
included; the parts it changes (the sheets it draws on, styles, notes, the workbook's sheet list
when it adds a sheet, relationships and content types that go with them, core properties) are
edited so that everything they held before stays, byte for byte where perfxl did not write.
"""
from __future__ import annotations

import io
import posixpath
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

from lxml import etree

from perfxl.io.package import RT_STRICT_OFFICE
from perfxl.io.xlsx.notes import Comments, Vml
from perfxl.io.xlsx.sheet import EMPTY, Sheet
from perfxl.io.xlsx.styles import PARSER, Styles
from perfxl.io.xlsx.values import shared_strings
from perfxl.model.cells import col_letter

T = TypeVar("T")

PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RT = R_NS + "/"
RT_OFFICE = RT + "officeDocument"
RT_CORE = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
RT_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_CORE = "application/vnd.openxmlformats-package.core-properties+xml"
CT_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CORE_EMPTY = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.'
              'openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>')
CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
DCTERMS = "{http://purl.org/dc/terms/}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


class StrictPackage(ValueError):
    """A strict package: every part in the ISO namespaces, which the editor does not write."""


def _xml(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def rels_name(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


class Rels:
    def __init__(self, data: bytes | None):
        self.root = etree.fromstring(data, PARSER) if data else etree.Element("{%s}Relationships" % PKG_REL,
                                                                              nsmap={None: PKG_REL})
        self.dirty = False

    def all(self):
        return self.root.findall("{%s}Relationship" % PKG_REL)

    def of_type(self, rtype: str) -> list:
        return [r for r in self.all() if r.get("Type") == rtype and r.get("TargetMode") != "External"]

    def by_id(self, rid: str):
        return next((r for r in self.all() if r.get("Id") == rid), None)

    def add(self, rtype: str, target: str) -> str:
        ids = {r.get("Id") for r in self.all()}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        el = etree.SubElement(self.root, "{%s}Relationship" % PKG_REL)
        el.set("Id", f"rId{n}")
        el.set("Type", rtype)
        el.set("Target", target)
        self.dirty = True
        return f"rId{n}"

    def remove(self, rel) -> None:
        self.root.remove(rel)
        self.dirty = True


def resolve(source: str, target: str) -> str:
    """The part name a relationship of ``source`` points to."""
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def relative(source: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


class Book:
    """An .xlsx/.xlsm package opened for editing (``data``: its plain, unencrypted bytes)."""

    def __init__(self, data: bytes):
        self.data = data
        self.zf = zipfile.ZipFile(io.BytesIO(data))
        self.infos = {i.filename: i for i in self.zf.infolist()}
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        self._reserved: set[str] = set()
        self._parts: dict[str, str] = {}             # sheet name -> part
        self._rels: dict[str, Rels] = {}
        self._sheets: dict[str, Sheet] = {}
        self._notes: dict[str, list] = {}
        self._styles: Styles | None = None
        self._shared: list[str] | None = None
        self.ct = etree.fromstring(self.read("[Content_Types].xml"), PARSER)
        self.ct_dirty = False
        office = self.rels("").of_type(RT_OFFICE)
        if not office:
            if self.rels("").of_type(RT_STRICT_OFFICE):
                raise StrictPackage()
            raise ValueError("no workbook part")
        self.wb_part = resolve("", office[0].get("Target"))
        self.wb = etree.fromstring(self.read(self.wb_part), PARSER)
        self.wb_dirty = False
        pr = self.wb.find("{%s}workbookPr" % MAIN)
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")

    # --- parts ----------------------------------------------------------------------------------
    def exists(self, name: str) -> bool:
        return name in self.changed or (name in self.infos and name not in self.removed)

    def read(self, name: str) -> bytes | None:
        if name in self.changed:
            return self.changed[name]
        if name in self.removed or name not in self.infos:
            return None
        from perfxl.io.package import read_member

        return bytes(read_member(self.zf, name))

    def write(self, name: str, data: bytes) -> None:
        self.changed[name] = data
        self.removed.discard(name)

    def remove(self, name: str) -> None:
        self.changed.pop(name, None)
        self.removed.add(name)
        self.remove_override(name)
        if self.exists(rels_name(name)):
            self.remove(rels_name(name))

    def new_name(self, pattern: str) -> str:
        """A part name like ``pattern % n`` not used yet."""
        n = 1
        taken = {k.lower() for k in (*self.infos, *self.changed, *self._reserved)}
        while (pattern % n).lower() in taken:
            n += 1
        self._reserved.add(pattern % n)
        return pattern % n

    def rels(self, part: str) -> Rels:
        name = rels_name(part) if part else "_rels/.rels"
        if name not in self._rels:
            self._rels[name] = Rels(self.read(name))
        return self._rels[name]

    # --- content types ----------------------------------------------------------------------------
    def override(self, part: str, ctype: str) -> None:
        self.remove_override(part)
        el = etree.SubElement(self.ct, "{%s}Override" % CT_NS)
        el.set("PartName", "/" + part)
        el.set("ContentType", ctype)
        self.ct_dirty = True

    def remove_override(self, part: str) -> None:
        for el in self.ct.findall("{%s}Override" % CT_NS):
            if el.get("PartName", "").lstrip("/").lower() == part.lower():
                self.ct.remove(el)
                self.ct_dirty = True

    def content_type(self, part: str) -> str | None:
        for el in self.ct.findall("{%s}Override" % CT_NS):
            if el.get("PartName", "").lstrip("/").lower() == part.lower():
                return el.get("ContentType")
        ext = part.rsplit(".", 1)[-1].lower()
        for el in self.ct.findall("{%s}Default" % CT_NS):
            if el.get("Extension", "").lower() == ext:
                return el.get("ContentType")
        return None

    def ensure_default(self, ext: str, ctype: str) -> None:
        if any(el.get("Extension", "").lower() == ext for el in self.ct.findall("{%s}Default" % CT_NS)):
            return
        el = etree.Element("{%s}Default" % CT_NS)
        el.set("Extension", ext)
        el.set("ContentType", ctype)
        self.ct.insert(0, el)
        self.ct_dirty = True

    # --- sheets ---------------------------------------------------------------------------------
    def _sheet_elements(self):
        sheets = self.wb.find("{%s}sheets" % MAIN)
        return [] if sheets is None else sheets.findall("{%s}sheet" % MAIN)

    def names(self) -> list[str]:
        return [s.get("name") for s in self._sheet_elements()]

    def part_of(self, name: str) -> str:
        if name not in self._parts:
            el = next(s for s in self._sheet_elements() if s.get("name") == name)
            rel = self.rels(self.wb_part).by_id(el.get("{%s}id" % R_NS))
            if rel is None:
                raise ValueError(f"sheet {name} has no part")
            self._parts[name] = resolve(self.wb_part, rel.get("Target"))
        return self._parts[name]

    def sheet(self, name: str) -> Sheet:
        part = self.part_of(name)
        if part not in self._sheets:
            data = self.read(part)
            if data is None or not re.search(rb"<(?:[\w.-]+:)?worksheet\b", data[:4096]):
                raise ValueError(f"{name} is not a worksheet")
            self._sheets[part] = Sheet(data, self.shared_strings, self.date1904)
        return self._sheets[part]

    def shared_strings(self) -> list[str]:
        if self._shared is None:
            rel = self.rels(self.wb_part).of_type(RT + "sharedStrings")
            self._shared = shared_strings(self.read(resolve(self.wb_part, rel[0].get("Target"))) if rel else None)
        return self._shared

    def put_data(self, sheet: str, r: int, c: int, value, base: int | None = None, *,
                 numfmt: str | None = None, **look) -> None:
        """``value`` written into (r, c) as data, keeping the cell's look (or starting from the format
        ``base``, a cellXfs index): text that looks like a formula is quote-prefixed (it stays text when
        someone edits it) and a quote prefix the cell had is cleared otherwise; a date gets a date format
        (``numfmt``: another number format). ``look``: more parts of the format (``Styles.derive``)."""
        from perfxl.io.xlsx.values import Formula, date_format
        from perfxl.model.text import looks_like_formula

        sh = self.sheet(sheet)
        fmt = numfmt or date_format(value.cached if isinstance(value, Formula) else value)
        base = sh.style(r, c) if base is None else base
        sh.put(r, c, value, self.styles.derive(base, numfmt=fmt, quote=looks_like_formula(value), **look))

    def add_sheet(self, name: str, after: str | None) -> Sheet:
        part = self.new_name("xl/worksheets/sheet%d.xml")
        rid = self.rels(self.wb_part).add(RT + "worksheet", relative(self.wb_part, part))
        self.override(part, CT_WORKSHEET)
        sheets = self.wb.find("{%s}sheets" % MAIN)
        elements = self._sheet_elements()
        el = etree.Element("{%s}sheet" % MAIN)
        el.set("name", name)
        el.set("sheetId", str(max([int(s.get("sheetId", "0")) for s in elements] + [0]) + 1))
        el.set("{%s}id" % R_NS, rid)
        names = self.names()
        index = names.index(after) + 1 if after in names else len(names)
        if index < len(elements):
            elements[index].addprevious(el)
            self._shift_sheet_indices(index)
        else:
            sheets.append(el)
        self.wb_dirty = True
        self._sheets[part] = Sheet(EMPTY, self.shared_strings, self.date1904)
        return self._sheets[part]

    def _shift_sheet_indices(self, index: int) -> None:
        """A sheet inserted at ``index``: names local to later sheets and the active tab follow them."""
        for dn in self.wb.iter("{%s}definedName" % MAIN):
            lid = dn.get("localSheetId")
            if lid is not None and lid.isdigit() and int(lid) >= index:
                dn.set("localSheetId", str(int(lid) + 1))
        for view in self.wb.iter("{%s}workbookView" % MAIN):
            for attr in ("activeTab", "firstSheet"):
                v = view.get(attr)
                if v is not None and v.isdigit() and int(v) >= index:
                    view.set(attr, str(int(v) + 1))

    def hide(self, name: str) -> None:
        el = next(s for s in self._sheet_elements() if s.get("name") == name)
        if el.get("state") != "hidden":
            el.set("state", "hidden")
            self.wb_dirty = True

    def set_print_titles(self, name: str, rows: str) -> None:
        index = self.names().index(name)
        names = self.wb.find("{%s}definedNames" % MAIN)
        if names is None:
            names = etree.Element("{%s}definedNames" % MAIN)
            follows = ("calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "extLst")
            anchor = next((c for c in self.wb if etree.QName(c).localname in follows), None)
            if anchor is not None:
                anchor.addprevious(names)
            else:
                self.wb.append(names)
        for dn in names.findall("{%s}definedName" % MAIN):
            if dn.get("name") == "_xlnm.Print_Titles" and dn.get("localSheetId") == str(index):
                names.remove(dn)
        a, b = rows.split(":")
        dn = etree.SubElement(names, "{%s}definedName" % MAIN)
        dn.set("name", "_xlnm.Print_Titles")
        dn.set("localSheetId", str(index))
        dn.text = "'%s'!$%s:$%s" % (name.replace("'", "''"), a, b)
        self.wb_dirty = True

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            rel = self.rels(self.wb_part).of_type(RT + "styles")
            if rel:
                self._styles_part = resolve(self.wb_part, rel[0].get("Target"))
                self._styles = Styles(self.read(self._styles_part))
            else:
                self._styles_part = "xl/styles.xml"
                self.rels(self.wb_part).add(RT + "styles", relative(self.wb_part, self._styles_part))
                self.override(self._styles_part, CT_STYLES)
                self._styles = Styles(None)
        return self._styles

    # --- notes ----------------------------------------------------------------------------------
    def _legacy_id(self, sheet: Sheet) -> str | None:
        el = sheet.element(b"legacyDrawing")
        m = re.search(rb"\b(?:[\w.-]+:)?id=\"([^\"]+)\"", el or b"")
        return m.group(1).decode() if m else None

    def _notes_of(self, name: str, create: bool):
        """[comments part, Comments, vml part, Vml] of a sheet (None where it has none and not ``create``)."""
        part = self.part_of(name)
        if part in self._notes:
            entry = self._notes[part]
            if entry[1] is not None or not create:
                return entry
        sheet, rels = self.sheet(name), self.rels(part)
        crel = rels.of_type(RT + "comments")
        cpart = resolve(part, crel[0].get("Target")) if crel else None
        vid = self._legacy_id(sheet)
        vrel = rels.by_id(vid) if vid else None
        vpart = resolve(part, vrel.get("Target")) if vrel is not None else None
        if cpart is None and not create:
            self._notes[part] = entry = [None, None, vpart, None]
            return entry
        if cpart is None:
            cpart = self.new_name("xl/comments%d.xml")
            rels.add(RT + "comments", relative(part, cpart))
            self.override(cpart, CT_COMMENTS)
            comments = Comments(None)
        else:
            comments = Comments(self.read(cpart))
        if vpart is None:
            vpart = self.new_name("xl/drawings/vmlDrawing%d.vml")
            rid = rels.add(RT + "vmlDrawing", relative(part, vpart))
            self.ensure_default("vml", CT_VML)
            sheet.set_element(b"legacyDrawing", b"<" + sheet.p + b"legacyDrawing " + sheet.rel_prefix()
                              + b'id="' + rid.encode() + b'"/>')
            vml = Vml(None, self._free_vml_block())
        else:
            vml = Vml(self.read(vpart) or b"", self._free_vml_block())
        self._notes[part] = entry = [cpart, comments, vpart, vml]
        return entry

    def _free_vml_block(self) -> int:
        used = set()
        for n in list(self.infos) + list(self.changed):
            if n.lower().endswith(".vml"):
                used |= Vml.blocks(self.read(n) or b"")
        for entry in self._notes.values():
            if entry[3] is not None:
                used |= Vml.blocks(entry[3].data)
        return max(used | {0}) + 1

    def set_note(self, name: str, r: int, c: int, ours: str | None, author: str) -> None:
        """perfxl's part of the note on (r, c); the user's part stays as it is."""
        entry = self._notes_of(name, create=bool(ours))
        cpart, comments, vpart, vml = entry
        if comments is None:
            return
        still = comments.set(f"{col_letter(c)}{r}", ours, author)
        if still:
            vml.add(r, c)
        else:
            vml.remove(r, c)

    def _flush_notes(self) -> None:
        for part, (cpart, comments, vpart, vml) in self._notes.items():
            if comments is None:
                continue
            sheet = self._sheets.get(part)
            rels = self.rels(part)
            if comments.empty():
                for rel in rels.of_type(RT + "comments"):
                    rels.remove(rel)
                self.remove(cpart)
            elif comments.dirty:
                self.write(cpart, comments.serialize())
            if vml.empty():
                rel = rels.by_id(self._legacy_id(sheet)) if sheet is not None and self._legacy_id(sheet) else None
                if rel is not None:
                    rels.remove(rel)
                if sheet is not None:
                    sheet.set_element(b"legacyDrawing", None)
                self.remove(vpart)
            elif vml.dirty:
                self.write(vpart, vml.data)

    # --- package-level --------------------------------------------------------------------------
    def drop_calc_chain(self) -> None:
        rels = self.rels(self.wb_part)
        for rel in rels.of_type(RT + "calcChain"):
            self.remove(resolve(self.wb_part, rel.get("Target")))
            rels.remove(rel)

    def recalc_on_load(self) -> None:
        calc = self.wb.find("{%s}calcPr" % MAIN)
        if calc is None:
            calc = etree.Element("{%s}calcPr" % MAIN)
            later = next((c for c in self.wb if isinstance(c.tag, str) and etree.QName(c).localname in (
                "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes", "webPublishing",
                "fileRecoveryPr", "webPublishObjects", "extLst")), None)
            if later is not None:
                later.addprevious(calc)
            else:
                self.wb.append(calc)
        if calc.get("fullCalcOnLoad") != "1":
            calc.set("fullCalcOnLoad", "1")
            self.wb_dirty = True

    def has_formulas(self) -> bool:
        for sheet in self._sheets.values():
            if re.search(rb"<(?:[\w.-]+:)?f[\s>/]", sheet._rows_bytes()):
                return True
        rels = self.rels(self.wb_part)
        for rel in rels.of_type(RT + "worksheet"):
            part = resolve(self.wb_part, rel.get("Target"))
            if part not in self._sheets and re.search(rb"<(?:[\w.-]+:)?f[\s>/]", self.read(part) or b""):
                return True
        return False

    def set_macros(self, enabled: bool) -> bool:
        """The main part's content type for an .xlsm (``enabled``) or an .xlsx (the VBA project and
        what hangs from it removed). True when a VBA project was removed."""
        ctype = self.content_type(self.wb_part)
        want = CT_MAIN_XLSM if enabled else CT_MAIN
        if ctype in (CT_MAIN, CT_MAIN_XLSM) and ctype != want:
            self.override(self.wb_part, want)
        if enabled:
            return False
        rels = self.rels(self.wb_part)
        removed = False
        for rel in rels.of_type(RT_VBA):
            self.remove(resolve(self.wb_part, rel.get("Target")))
            rels.remove(rel)
            removed = True
        if removed:
            left = [n for n in list(self.infos) + list(self.changed) if self.exists(n) and n.lower().endswith(".bin")]
            default = next((d for d in self.ct.findall("{%s}Default" % CT_NS) if d.get("Extension", "").lower() == "bin"
                            and "vbaProject" in d.get("ContentType", "")), None)
            if default is not None and not any(
                    not any(o.get("PartName", "").lstrip("/").lower() == n.lower()
                            for o in self.ct.findall("{%s}Override" % CT_NS)) for n in left):
                self.ct.remove(default)
                self.ct_dirty = True
        return removed

    def touch_core(self, author: str, when: datetime) -> None:
        """Core properties: last modified by ``author`` at ``when`` (the part is created if missing)."""
        rels = self.rels("")
        rel = rels.of_type(RT_CORE)
        if rel:
            part = resolve("", rel[0].get("Target"))
            root = etree.fromstring(self.read(part) or CORE_EMPTY.encode(), PARSER)
        else:
            part = "docProps/core.xml" if not self.exists("docProps/core.xml") else self.new_name("docProps/core%d.xml")
            rels.add(RT_CORE, part)
            self.override(part, CT_CORE)
            root = etree.fromstring(CORE_EMPTY.encode(), PARSER)
        by = root.find(CP + "lastModifiedBy")
        if by is None:
            by = etree.SubElement(root, CP + "lastModifiedBy")
        by.text = author
        mod = root.find(DCTERMS + "modified")
        if mod is None:
            mod = etree.SubElement(root, DCTERMS + "modified")
            mod.set(XSI + "type", "dcterms:W3CDTF")
        mod.text = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.write(part, _xml(root))

    # --- saving ---------------------------------------------------------------------------------
    def formula_texts(self) -> dict[tuple[str, int, int], str | None]:
        """(sheet, row, column) -> text (without "=") of every formula of the workbook; None where the
        text is held by another cell (``Sheet.formulas``). Chart sheets hold none."""
        formulas: dict[tuple[str, int, int], str | None] = {}
        for name in self.names():
            try:
                sheet = self.sheet(name)
            except ValueError:                  # a chart sheet
                continue
            formulas.update({(name, r, c): text for (r, c), text in sheet.formulas().items()})
        return formulas

    def forget_results(self, cells: set[tuple[str, int, int]]) -> int:
        """The formulas at ``cells`` lose their saved results (stale now) and the workbook asks to be
        recalculated on opening; every other formula keeps its result. Returns how many lost one."""
        stale: dict[str, set[tuple[int, int]]] = {}
        for name, r, c in cells:
            stale.setdefault(name, set()).add((r, c))
        n = sum(self.sheet(name).drop_cached(rc) for name, rc in stale.items())
        if n:
            self.recalc_on_load()
        return n

    def flush(self) -> None:
        self._flush_notes()
        formulas = False
        for part, sheet in self._sheets.items():
            if sheet.version or part not in self.infos:
                self.write(part, sheet.serialize())
            formulas |= sheet.formulas_changed
        if formulas:
            self.drop_calc_chain()
        if self._styles is not None and self._styles.dirty:
            self.write(self._styles_part, self._styles.serialize())
        for name, rels in self._rels.items():
            if rels.dirty:
                self.write(name, _xml(rels.root))
        if self.wb_dirty:
            self.write(self.wb_part, _xml(self.wb))
        if self.ct_dirty:
            self.write("[Content_Types].xml", _xml(self.ct))

    def save(self) -> bytes:
        self.flush()
        return write_zip(self)


# --- the zip: unchanged members copied compressed as they are --------------------------------------

def _dos(date_time) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    if y < 1980:
        y, mo, d, h, mi, s = 1980, 1, 1, 0, 0, 0
    return (h << 11) | (mi << 5) | (s // 2), ((y - 1980) << 9) | (mo << 5) | d


def _raw(book: Book, info: zipfile.ZipInfo) -> bytes:
    off = info.header_offset
    n, e = struct.unpack_from("<HH", book.data, off + 26)
    start = off + 30 + n + e
    return book.data[start:start + info.compress_size]


def write_zip(book: Book) -> bytes:
    entries = []
    now = time.localtime()[:6]
    for name, info in book.infos.items():
        if name in book.removed:
            continue
        if name in book.changed:
            entries.append((name, info.date_time, *_deflate(book.changed[name])))
        elif info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            entries.append((name, info.date_time, *_deflate(book.read(name))))
        else:
            entries.append((name, info.date_time, info.compress_type, info.CRC, info.file_size, _raw(book, info)))
    for name, data in book.changed.items():
        if name not in book.infos:
            entries.append((name, now, *_deflate(data)))
    out = io.BytesIO()
    central = []
    for name, date_time, method, crc, size, raw in entries:
        encoded = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        dtime, ddate = _dos(date_time)
        offset = out.tell()
        if offset > 0xFFFFFFFF or len(raw) > 0xFFFFFFFF:
            raise ValueError("package too large")
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, dtime, ddate, crc, len(raw), size,
                              len(encoded), 0))
        out.write(encoded)
        out.write(raw)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags, method, dtime, ddate, crc, len(raw),
                                   size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for c in central:
        out.write(c)
    if len(central) > 0xFFFF:
        raise ValueError("too many parts")
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def _deflate(data: bytes) -> tuple[int, int, int, bytes]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), c.compress(data) + c.flush()


def edit_package(data: bytes, path: Path, edit: Callable[[Book], T]) -> tuple[T, bytes]:
    """The package ``data`` (the file at ``path``) edited in memory by ``edit`` at the XML level: what
    ``edit`` returns and the new package's bytes. XML perfxl cannot edit (calamine reads more leniently)
    is refused naming the file; a refusal ``edit`` raises passes through."""
    from perfxl.check.problems import UnusableInput, problem
    from perfxl.io.package import short_error

    try:
        book = Book(data)
        value = edit(book)
        return value, book.save()
    except UnusableInput:
        raise
    except StrictPackage:
        raise UnusableInput([problem("write_strict", file=str(path), path=path.name)]) from None
    except Exception as e:  # XML perfxl cannot edit
        raise UnusableInput([problem("write_load_failed", file=str(path), path=path.name,
                                     detail=f"{type(e).__name__}: {short_error(e)}"[:200])]) from None
