"""The macro-enabled workbook: the standard template + the perfxl VBA module + buttons.

``write_xlsm(path)`` needs nothing but openpyxl: the VBA project (``xl/vbaProject.bin``) ships
with perfxl as package data (``perfxl/data/vbaProject.bin``) and is packed into the .xlsm
together with form-control buttons (VML, the way Excel stores them) that run its macros.

The VBA project is built once, by a developer, from ``macros/perfxl.bas`` with LibreOffice:
``devtools.vba.build_vba_project()`` (needs LibreOffice and its Python bridge, Debian: python3-uno). LibreOffice
writes module source in code page 1252, so the source is first made ASCII (``vba_ascii``: Chinese
strings become ChrW() calls, Chinese comments are dropped); the project carries no compiled
p-code, Excel compiles the source when it opens the workbook.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from perfxl.model import layout as L

PACKAGE = Path(__file__).resolve().parents[1]
BAS = PACKAGE.parent / "macros" / "perfxl.bas"      # the source, in the repository
VBA_PROJECT = PACKAGE / "data" / "vbaProject.bin"   # built from it, shipped with perfxl
MODULE = "perfxl"
BAS_ENCODING = "cp936"                               # what VBA's 导入文件 expects on Chinese Windows


@dataclass(frozen=True)
class Button:
    caption: str
    macro: str
    row: int          # 0-based top row of the anchor
    col: int          # 0-based left column


#: buttons placed on the 基本信息 sheet, right of its three columns
BUTTONS = (
    Button(L.BUTTON_VALIDATE, "PerfxlValidate", 1, 4),
    Button(L.BUTTON_SCORE, "PerfxlScore", 4, 4),
)
#: on an official self-evaluation form: right of its nine columns
FORM_BUTTONS = (
    Button(L.BUTTON_VALIDATE, "PerfxlValidate", 2, 10),
    Button(L.BUTTON_SCORE, "PerfxlScore", 5, 10),
)
BUTTON_SHEET = L.SHEET_INFO


# --- the VBA source ------------------------------------------------------------------------

def read_bas(path: Path = BAS) -> str:
    return Path(path).read_bytes().decode(BAS_ENCODING).replace("\r\n", "\n")


def procedures(source: str, public_only: bool = True) -> list[str]:
    """Names of the Subs/Functions declared in VBA source (Public by default)."""
    out = []
    for m in re.finditer(r"^\s*(Public\s+|Private\s+)?(?:Sub|Function)\s+(\w+)", source, re.I | re.M):
        if public_only and (m.group(1) or "").strip().lower() == "private":
            continue
        out.append(m.group(2))
    return out


def _split_comment(line: str) -> tuple[str, str]:
    """Code and comment parts of a VBA line (a ' outside string literals starts a comment)."""
    inside = False
    for i, ch in enumerate(line):
        if ch == '"':
            inside = not inside
        elif ch == "'" and not inside:
            return line[:i], line[i:]
    return line, ""


def _ascii_literal(m: re.Match) -> str:
    text = m.group(1).replace('""', '"')
    if text.isascii():
        return m.group(0)
    parts, run = [], ""
    for ch in text:
        if ch.isascii():
            run += ch
            continue
        if run:
            parts.append('"' + run.replace('"', '""') + '"')
            run = ""
        parts.append(f"ChrW(&H{ord(ch):04X})")
    if run:
        parts.append('"' + run.replace('"', '""') + '"')
    return "(" + " & ".join(parts) + ")"


def vba_ascii(source: str) -> str:
    """The module source as LibreOffice can store it: no Attribute lines (LibreOffice writes its
    own), comments with non-ASCII text dropped, non-ASCII string literals as ChrW() calls."""
    out = []
    for line in source.replace("\r\n", "\n").split("\n"):
        if line.lstrip().startswith("Attribute "):
            continue
        code, comment = _split_comment(line)
        if not comment.isascii():
            comment = ""
            if not code.strip():
                continue
        code = re.sub(r'"((?:[^"]|"")*)"', _ascii_literal, code)
        out.append((code + comment).rstrip())
    text = "\n".join(out).strip("\n") + "\n"
    text = re.sub(r"(?m)^'\n(?:'\n)+", "'\n", text)          # runs of bare comment marks
    text = re.sub(r"(?m)^'\n(?=\n)", "", text)
    return re.sub(r"\n{3,}", "\n\n", text)


# --- packing the .xlsm ----------------------------------------------------------------------

_CT_WORKBOOK = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_CT_WORKBOOK_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_REL_VBA = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_VML_ID = 50            # o:idmap block: shape ids _x0000_s51201... (clear of openpyxl's comment ids)


def _button_vml(buttons, *, standalone: bool = True) -> str:
    shapes = []
    for i, b in enumerate(buttons):
        anchor = f"{b.col}, 0, {b.row}, 0, {b.col + 2}, 0, {b.row + 2}, 0"
        shapes.append(
            f'<v:shape id="_x0000_s{_VML_ID * 1024 + 1 + i}" type="#_x0000_t201" '
            f'style="position:absolute;margin-left:0;margin-top:0;width:120pt;height:30pt;z-index:{i + 1};'
            f'mso-wrap-style:tight" o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" '
            f'o:insetmode="auto">'
            '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/>'
            '<o:lock v:ext="edit" rotation="t"/>'
            '<v:textbox style="mso-direction-alt:auto" o:singleclick="f">'
            f'<div style="text-align:center"><font face="宋体" size="240" color="#000000">{escape(b.caption)}'
            '</font></div></v:textbox>'
            '<x:ClientData ObjectType="Button">'
            f'<x:Anchor>{anchor}</x:Anchor>'
            '<x:PrintObject>False</x:PrintObject><x:AutoFill>False</x:AutoFill>'
            f'<x:FmlaMacro>[0]!{b.macro}</x:FmlaMacro>'
            '<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign>'
            '</x:ClientData></v:shape>')
    shapetype = (
        '<v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe">'
        '<v:stroke joinstyle="miter"/>'
        '<v:path shadowok="f" o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/>'
        '<o:lock v:ext="edit" shapetype="t"/></v:shapetype>')
    body = shapetype + "".join(shapes)
    if not standalone:   # added to another drawing (openpyxl's notes): declare the prefixes here
        ns = ('xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
              'xmlns:x="urn:schemas-microsoft-com:office:excel" ')
        return body.replace("<v:shapetype ", "<v:shapetype " + ns).replace("<v:shape ", "<v:shape " + ns)
    return ('<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{_VML_ID}"/></o:shapelayout>'
            f'{body}</xml>')


def _rels_add(xml: str | None, rid: str, rtype: str, target: str) -> str:
    if xml is None:
        xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               f'<Relationships xmlns="{_REL_NS}"></Relationships>')
    rel = f'<Relationship Id="{rid}" Type="{rtype}" Target="{target}"/>'
    return xml.replace("</Relationships>", rel + "</Relationships>", 1) if "</Relationships>" in xml \
        else xml.replace("/>", ">" + rel + "</Relationships>", 1)


def _sheet_part(files: dict[str, bytes], sheet: str) -> str:
    wb = files["xl/workbook.xml"].decode("utf-8")
    name = re.escape(escape(sheet, {'"': "&quot;"}))
    m = re.search(rf'<sheet\b[^>]*\bname="{name}"[^>]*/>', wb)
    if not m:
        raise KeyError(sheet)
    rid = re.search(r'\br:id="([^"]+)"', m.group(0)).group(1)
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    target = re.search(rf'<Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', rels).group(0)
    target = re.search(r'\bTarget="([^"]+)"', target).group(1).lstrip("/")
    return target if target.startswith("xl/") else "xl/" + target


_AFTER_LEGACY = ("<legacyDrawingHF", "<drawingHF", "<picture", "<oleObjects", "<controls",
                 "<webPublishItems", "<tableParts", "<extLst", "</worksheet>")


def pack_xlsm(xlsx: bytes, vba_project: bytes, buttons=BUTTONS, sheet: str = BUTTON_SHEET) -> bytes:
    """Turn an .xlsx (bytes) into an .xlsm with the VBA project and buttons on ``sheet``."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        names = zf.namelist()
        files = {n: zf.read(n) for n in names}

    ct = files["[Content_Types].xml"].decode("utf-8").replace(_CT_WORKBOOK, _CT_WORKBOOK_XLSM)
    for ext, ctype in (("bin", "application/vnd.ms-office.vbaProject"),
                       ("vml", "application/vnd.openxmlformats-officedocument.vmlDrawing")):
        if f'Extension="{ext}"' not in ct:
            ct = ct.replace("<Default ", f'<Default Extension="{ext}" ContentType="{ctype}"/><Default ', 1)
    files["[Content_Types].xml"] = ct.encode("utf-8")

    files["xl/vbaProject.bin"] = vba_project
    if "xl/vbaProject.bin" not in names:
        names.append("xl/vbaProject.bin")
    rels = files["xl/_rels/workbook.xml.rels"].decode("utf-8")
    files["xl/_rels/workbook.xml.rels"] = _rels_add(rels, "rIdPerfxlVba", _REL_VBA, "vbaProject.bin").encode()

    wbxml = files["xl/workbook.xml"].decode("utf-8")
    if "codeName=" not in wbxml:
        if re.search(r"<workbookPr\b", wbxml):
            wbxml = re.sub(r"<workbookPr\b", '<workbookPr codeName="ThisWorkbook"', wbxml, count=1)
        else:
            wbxml = re.sub(r"(<sheets\b|<bookViews\b)", r'<workbookPr codeName="ThisWorkbook"/>\1', wbxml, count=1)
    files["xl/workbook.xml"] = wbxml.encode("utf-8")

    if buttons:
        part = _sheet_part(files, sheet)
        rels_name = part.rsplit("/", 1)[0] + "/_rels/" + part.rsplit("/", 1)[1] + ".rels"
        xml = files[part].decode("utf-8")
        existing = re.search(r'<legacyDrawing\b[^>]*r:id="([^"]+)"', xml)
        if existing:                                   # the sheet has notes: add to their drawing
            srels = files[rels_name].decode("utf-8")
            rel = re.search(rf'<Relationship\b[^>]*Id="{re.escape(existing.group(1))}"[^>]*/>', srels).group(0)
            target = re.search(r'Target="([^"]+)"', rel).group(1)
            vml_part = str(Path(part).parent.joinpath(target)).replace("\\", "/")
            vml_part = "/".join(_normpath(vml_part.split("/")))
            vml = files[vml_part].decode("utf-8")
            files[vml_part] = vml.replace("</xml>", _button_vml(buttons, standalone=False) + "</xml>").encode()
        else:
            n = 1
            while f"xl/drawings/vmlDrawingPerfxl{n}.vml" in files:
                n += 1
            vml_part = f"xl/drawings/vmlDrawingPerfxl{n}.vml"
            files[vml_part] = _button_vml(buttons).encode("utf-8")
            names.append(vml_part)
            srels = files.get(rels_name)
            files[rels_name] = _rels_add(srels.decode("utf-8") if srels else None, "rIdPerfxlButtons",
                                         _REL_VML, f"../drawings/vmlDrawingPerfxl{n}.vml").encode()
            if rels_name not in names:
                names.append(rels_name)
            if "xmlns:r=" not in re.search(r"<worksheet\b[^>]*>", xml).group(0):
                xml = re.sub(r"<worksheet\b", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                             'officeDocument/2006/relationships"', xml, count=1)
            for tag in _AFTER_LEGACY:
                if tag in xml:
                    xml = xml.replace(tag, '<legacyDrawing r:id="rIdPerfxlButtons"/>' + tag, 1)
                    break
            files[part] = xml.encode("utf-8")

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, files[name])
    return out.getvalue()


def _normpath(parts: list[str]) -> list[str]:
    out: list[str] = []
    for p in parts:
        if p == "..":
            out.pop()
        elif p not in ("", "."):
            out.append(p)
    return out


def write_xlsm(path: str | Path, vba_project: Path = VBA_PROJECT, buttons=BUTTONS,
               sheet: str = BUTTON_SHEET, wb=None, **template_kw) -> Path:
    """Write a template (``wb``, or the standard one) as a macro-enabled workbook with the
    perfxl buttons."""
    from perfxl.io.files import atomic_write_bytes
    from perfxl.io.xlsx import workbook_bytes
    from perfxl.sheets.template import new_workbook

    path = Path(path)
    wb = wb if wb is not None else new_workbook(**template_kw)
    data = pack_xlsm(workbook_bytes(wb), Path(vba_project).read_bytes(), buttons, sheet)
    atomic_write_bytes(path, lambda fh: fh.write(data))
    return path
