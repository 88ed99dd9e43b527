"""Reading xlsx packages in tests, independently of perfxl's own reader and editor: the members, a part's
relationships, which part holds which sheet."""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path

from lxml import etree

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def parts(path: Path) -> dict[str, bytes]:
    """Every member of the package, by name."""
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _resolve(source: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join(posixpath.dirname(source), target))


def rels_of(pk: dict[str, bytes], part: str) -> list[tuple[str, str, str]]:
    """(id, type, resolved target) of a part's relationships."""
    d, f = posixpath.split(part)
    data = pk.get(posixpath.join(d, "_rels", f + ".rels"))
    if not data:
        return []
    root = etree.fromstring(data)
    return [(r.get("Id"), r.get("Type").rsplit("/", 1)[-1], _resolve(part, r.get("Target")))
            for r in root if r.get("TargetMode") != "External"]


def sheet_parts(pk: dict[str, bytes]) -> dict[str, str]:
    """sheet name -> its worksheet part, in the workbook's order (hidden sheets included)."""
    wb = etree.fromstring(pk["xl/workbook.xml"])
    by_id = {i: t for i, _, t in rels_of(pk, "xl/workbook.xml")}
    return {s.get("name"): by_id[s.get(f"{{{R}}}id")] for s in wb.iter(f"{{{MAIN}}}sheet")}


def sheet_xml(path: Path) -> dict[str, bytes]:
    """sheet name -> its worksheet XML."""
    pk = parts(path)
    return {name: pk[part] for name, part in sheet_parts(pk).items()}


def cells(xml: bytes) -> dict[str, bytes]:
    """A sheet part's cells, by address, as they are written."""
    return {m.group(1).decode(): m.group(0) for m in
            re.finditer(rb'<c r="([A-Z]+\d+)"(?:[^>]*?/>|[^>]*?>.*?</c>)', xml, re.S)}


_FORMULA_CELL = re.compile(rb"<((?:\w+:)?)c\b([^>]*?)>(\s*<(?:\w+:)?f\b.*?)</(?:\w+:)?c>", re.S)
_SAVED = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>.*?</(?:\w+:)?v>|<(?:\w+:)?v/>", re.S)


def without_cached_results(xml: bytes) -> bytes:
    """A sheet part with its formulas' saved results (and their result types) taken out."""
    def strip(m: re.Match) -> bytes:
        p, attrs, body = m.group(1), m.group(2), m.group(3)
        if not _SAVED.search(body):
            return m.group(0)
        return b"<" + p + b"c" + re.sub(rb'\s+t="\w+"', b"", attrs) + b">" + _SAVED.sub(b"", body) + b"</" + p + b"c>"
    return _FORMULA_CELL.sub(strip, xml)
