"""Byte-level XML helpers for editing package parts without re-serialising what is not changed.

Spreadsheet parts are flat where perfxl edits them (rows in sheetData, cells in a row, top-level
children of a worksheet), so elements are located by scanning tags; only elements perfxl changes
are written anew, everything between them is copied byte for byte."""
from __future__ import annotations

import re

#: the inside of a start tag: attribute values may hold '>' when quoted
TAG_BODY = rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*?"
_TOKEN = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!\[CDATA\[.*?\]\]>|<(/?)([\w:.-]+)(" + TAG_BODY + rb")(/?)>", re.S)
_ATTR = re.compile(rb"([\w:.-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def local(name: bytes) -> bytes:
    return name.rsplit(b":", 1)[-1]


def attrs(body: bytes) -> dict[bytes, bytes]:
    """Attributes of a start tag body, in order, values still escaped."""
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(body)}


def start_tag(name: bytes, values: dict[bytes, bytes], close: bool = False) -> bytes:
    inner = b"".join(b" " + k + b'="' + v.replace(b'"', b"&quot;") + b'"' for k, v in values.items())
    return b"<" + name + inner + (b"/>" if close else b">")


def unescape(raw: bytes) -> str:
    def sub(m: re.Match) -> str:
        e = m.group(1)
        if e.startswith("#x"):
            return chr(int(e[2:], 16))
        if e.startswith("#"):
            return chr(int(e[1:]))
        return _NAMED[e]
    return _ENTITY.sub(sub, raw.decode("utf-8"))


def esc(text: str) -> bytes:
    """Escaped for element text and for double-quoted attribute values alike."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
            .replace("\r", "&#13;").encode("utf-8"))


def esc_attr(text: str) -> bytes:
    return esc(text).replace(b"\n", b"&#10;").replace(b"\t", b"&#9;")


def tokens(data: bytes, start: int = 0, end: int | None = None):
    return _TOKEN.finditer(data, start, len(data) if end is None else end)


def children(data: bytes, start: int, end: int) -> list[list]:
    """Top-level items between ``start`` and ``end`` (inside one element) as contiguous
    [local name or None, bytes] pairs: concatenated they give back the region exactly. An item
    starts at its element's start tag and runs to the next top-level element (whitespace and
    comments after an element go with it; those before the first element form a None item).
    ``mc:AlternateContent`` is named after what its first choice holds ('AlternateContent:controls')."""
    items: list[list] = []
    depth, name, begin = 0, None, start
    for m in tokens(data, start, end):
        closing, tag, empty = m.group(1), m.group(2), m.group(4)
        if tag is None:
            continue
        if depth == 0 and not closing:
            if m.start() > begin or name is not None:
                items.append([name, data[begin:m.start()]])
            name, begin = local(tag), m.start()
            if name == b"AlternateContent":
                inner = re.compile(rb"<(?:[\w.-]+:)?Choice\b" + TAG_BODY + rb">\s*<(?:[\w.-]+:)?([\w.-]+)").search(
                    data, m.end(), end)
                name = b"AlternateContent:" + (inner.group(1) if inner else b"")
        if closing:
            depth -= 1
        elif not empty:
            depth += 1
    items.append([name, data[begin:end]])
    return [it for it in items if it[1]]


def find_root(data: bytes) -> re.Match:
    """The root element's start tag."""
    for m in tokens(data):
        if m.group(2) is not None and not m.group(1):
            return m
    raise ValueError("no root element")


def prefix_of(root: re.Match, namespace: bytes) -> bytes | None:
    """The prefix (b'' for the default namespace, b'x:' ...) bound to ``namespace`` on the root."""
    for k, v in attrs(root.group(3)).items():
        if v == namespace:
            if k == b"xmlns":
                return b""
            if k.startswith(b"xmlns:"):
                return k[6:] + b":"
    return None
