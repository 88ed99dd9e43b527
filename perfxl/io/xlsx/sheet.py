"""One worksheet part, edited in place: rows and cells perfxl writes are replaced, every other row,
cell and element is copied byte for byte. Rows are located lazily (a sheet with a million rows of
formatting costs a scan to the rows perfxl writes, not a parse)."""
from __future__ import annotations

import bisect
import re

from perfxl.io.xlsx.values import cell_value, cell_xml
from perfxl.io.xlsx.xmlbits import TAG_BODY, attrs, children, esc, esc_attr, find_root, prefix_of, start_tag
from perfxl.model.cells import col_index, col_letter

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"

#: CT_Worksheet's children, in the order the schema requires
ORDER = [b"sheetPr", b"dimension", b"sheetViews", b"sheetFormatPr", b"cols", b"sheetData", b"sheetCalcPr",
         b"sheetProtection", b"protectedRanges", b"scenarios", b"autoFilter", b"sortState", b"dataConsolidate",
         b"customSheetViews", b"mergeCells", b"phoneticPr", b"conditionalFormatting", b"dataValidations",
         b"hyperlinks", b"printOptions", b"pageMargins", b"pageSetup", b"headerFooter", b"rowBreaks", b"colBreaks",
         b"customProperties", b"cellWatches", b"ignoredErrors", b"smartTags", b"drawing", b"legacyDrawing",
         b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems",
         b"tableParts", b"extLst"]
_RANK = {n: i for i, n in enumerate(ORDER)}
#: what a regenerated sheet keeps of its old part: what a user placed on it (pictures, charts, notes,
#: controls) and how it looks as a tab; cells, formats, rules and print setup are perfxl's
KEEP_ON_CLEAR = {b"sheetPr", b"sheetViews", b"sheetFormatPr", b"headerFooter", b"drawing", b"legacyDrawing",
                 b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems"}
EMPTY = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="' + MAIN
         + b'" xmlns:r="' + REL + b'"><sheetData/></worksheet>')
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    m = _REF.match(ref)
    return int(m.group(2)), col_index(m.group(1)) + 1


def _rank(name) -> int:
    if name is None:
        return -1
    if name.startswith(b"AlternateContent:"):
        name = name.split(b":", 1)[1]
    return _RANK.get(name, -1)


class Row:
    __slots__ = ("num", "lead", "raw", "attrs", "cells", "cols", "tail", "dirty")

    def __init__(self, num: int, lead: bytes = b"", raw: bytes | None = None):
        self.num, self.lead, self.raw = num, lead, raw
        self.attrs = self.cells = self.cols = self.tail = None
        self.dirty = raw is None


class Sheet:
    """A worksheet part. Cells are addressed 1-based (row, column)."""

    def __init__(self, data: bytes, shared=lambda: [], date1904: bool = False):
        self.shared, self.date1904 = shared, date1904
        self._load(data)
        self.formulas_changed = False
        self.version = 0                      # bumped by every change (0: the part as it was)
        self._joined: tuple[int, bytes] | None = None
        self._arrays: list[tuple[int, int, int, int, int, int]] | None = None
        self._cols_seen: tuple[bytes, list[tuple[int, int, int]]] | None = None

    # --- structure ----------------------------------------------------------------------------
    def _load(self, data: bytes) -> None:
        root = find_root(data)
        self.root_name = root.group(2)
        p = prefix_of(root, MAIN)
        self.p = p if p is not None else (self.root_name[:-len(b"worksheet")] if b":" in self.root_name else b"")
        self.prolog, self.root_body = data[:root.start()], root.group(3)
        close = data.rfind(b"</" + self.root_name + b">")
        if close < 0:
            raise ValueError("worksheet root not closed")
        self.epilog = data[close:]
        p = self.p
        sd = re.compile(rb"<" + p + rb"sheetData\b(" + TAG_BODY + rb")(/?)>").search(data, root.end(), close)
        if sd is None:                          # no sheetData: give it one where the schema wants it
            items = children(data, root.end(), close)
            self.items = items
            self._insert(b"sheetData", b"<" + p + b"sheetData/>")
            self.sd_open, self.rows_data = b"<" + p + b"sheetData>", b""
        else:
            if sd.group(2):
                end, inner = sd.end(), b""
            else:
                stop = data.find(b"</" + p + b"sheetData>", sd.end(), close)
                if stop < 0:
                    raise ValueError("sheetData not closed")
                end, inner = stop + len(b"</" + p + b"sheetData>"), data[sd.end():stop]
            self.sd_open = b"<" + p + b"sheetData" + sd.group(1) + b">"
            self.rows_data = inner
            self.items = children(data, root.end(), sd.start()) + [[b"sheetData", None]] + children(data, end, close)
        self.rows: list[Row] = []
        self.nums: list[int] = []
        self.by_num: dict[int, Row] = {}
        self.pos = 0
        self._row_pat = re.compile(rb"<" + p + rb"row\b(" + TAG_BODY + rb")(/?)>")
        self._cell_pat = re.compile(rb"<" + p + rb"c\b(" + TAG_BODY + rb")(/?)>")
        #: a formula element's start (not <formula1> of a drop-down list); a whole formula element
        self._f_tag = re.compile(rb"<" + p + rb"f[\s>/]")
        self._f_el = re.compile(rb"<" + p + rb"f\b([^>]*?)(?:/>|>(.*?)</" + p + rb"f>)", re.S)
        self._row_end = b"</" + p + b"row>"
        self._cell_end = b"</" + p + b"c>"
        self.created: list[tuple[int, int]] = []

    def clear(self) -> None:
        """Regenerate: no rows, and of the other elements only what ``KEEP_ON_CLEAR`` names."""
        self.items = [it for it in self.items if it[0] == b"sheetData" or
                      (it[0] is not None and (it[0] in KEEP_ON_CLEAR or it[0].startswith(b"AlternateContent:")))]
        for it in self.items:
            if it[0] == b"sheetViews":
                it[1] = re.sub(rb"<(" + self.p + rb")(pane|selection)\b" + TAG_BODY + rb"/>", b"", it[1])
        if any(self.cells_with(self._f_tag)):
            self.formulas_changed = True
        self.rows, self.nums, self.by_num, self.pos, self.rows_data = [], [], {}, 0, b""
        self.created = []
        self.version += 1

    def element(self, name: bytes) -> bytes | None:
        for it in self.items:
            if it[0] == name:
                return it[1]
        return None

    def set_element(self, name: bytes, xml: bytes | None) -> None:
        """Replace, insert (at the schema's place) or, with None, remove a top-level element."""
        self.version += 1
        for i, it in enumerate(self.items):
            if it[0] == name:
                if xml is None:
                    del self.items[i]
                else:
                    it[1] = xml
                return
        if xml is not None:
            self._insert(name, xml)

    def _insert(self, name: bytes, xml: bytes) -> None:
        rank = _rank(name)
        at = next((i for i, it in enumerate(self.items) if _rank(it[0]) > rank), len(self.items))
        self.items.insert(at, [name, xml])

    def rel_prefix(self) -> bytes:
        """The prefix bound to the relationships namespace on the root (declared if missing)."""
        for k, v in attrs(self.root_body).items():
            if v == REL and k.startswith(b"xmlns:"):
                return k[6:] + b":"
        self.root_body += b' xmlns:r="' + REL + b'"'
        self.version += 1
        return b"r:"

    def serialize(self) -> bytes:
        out = [self.prolog, b"<" + self.root_name + self.root_body + b">"]
        self._update_dimension()
        for name, xml in self.items:
            if name == b"sheetData":
                rows = self._rows_bytes()
                p = self.p
                out.append(self.sd_open + rows + b"</" + p + b"sheetData>" if rows.strip()
                           else b"<" + p + b"sheetData/>")
            else:
                out.append(xml)
        out.append(self.epilog)
        return b"".join(out)

    def _rows_bytes(self) -> bytes:
        if self._joined is None or self._joined[0] != self.version:
            rows = b"".join(r.lead + (self._row_bytes(r) if r.dirty else r.raw) for r in self.rows)
            data = rows + self.rows_data[self.pos:]
            self._joined = (self.version, data)
        return self._joined[1]

    # --- rows ---------------------------------------------------------------------------------
    def _scan(self, until: int | None) -> None:
        data, pos = self.rows_data, self.pos
        last = self.nums[-1] if self.nums else 0
        while True:
            m = self._row_pat.search(data, pos)
            if m is None:
                break
            if m.group(2):
                end = m.end()
            else:
                end = data.find(self._row_end, m.end())
                if end < 0:
                    raise ValueError("row not closed")
                end += len(self._row_end)
            r = attrs(m.group(1)).get(b"r")
            num = int(r) if r and r.isdigit() else last + 1
            row = Row(num, data[pos:m.start()], data[m.start():end])
            self.rows.append(row)
            self.nums.append(num)
            self.by_num.setdefault(num, row)
            pos, last = end, num
            if until is not None and num >= until:
                break
        self.pos = pos

    def row(self, num: int, create: bool = False) -> Row | None:
        if num not in self.by_num and self.pos < len(self.rows_data) and (not self.nums or self.nums[-1] < num):
            self._scan(num)
        row = self.by_num.get(num)
        if row is None and create:
            row = Row(num)
            row.attrs, row.cells, row.cols, row.tail = {b"r": str(num).encode()}, [], [], b""
            at = bisect.bisect_left(self.nums, num)
            self.rows.insert(at, row)
            self.nums.insert(at, num)
            self.by_num[num] = row
        return row

    def _parse(self, row: Row) -> None:
        if row.cells is not None:
            return
        raw = row.raw
        m = self._row_pat.match(raw)
        row.attrs, row.cells, row.cols = attrs(m.group(1)), [], []
        if m.group(2):
            row.tail = b""
            return
        inner_end = raw.rfind(self._row_end)
        pos, col = m.end(), 0
        while True:
            c = self._cell_pat.search(raw, pos, inner_end)
            if c is None:
                break
            end = c.end() if c.group(2) else raw.index(self._cell_end, c.end()) + len(self._cell_end)
            ref = attrs(c.group(1)).get(b"r")
            rm = _REF.match(ref.decode()) if ref else None
            col = col_index(rm.group(1)) + 1 if rm else col + 1
            cell = raw[c.start():end]
            if rm is None:                     # a cell without its address: give it one
                a = {b"r": f"{col_letter(col)}{row.num}".encode(), **attrs(c.group(1))}
                cell = start_tag(self.p + b"c", a, close=bool(c.group(2))) + raw[c.end():end]
                row.dirty = True
            row.cells.append([raw[pos:c.start()], cell])
            row.cols.append(col)
            pos = end
        row.tail = raw[pos:inner_end]

    def _row_bytes(self, row: Row) -> bytes:
        self._parse(row) if row.raw is not None else None
        body = b"".join(lead + cell for lead, cell in row.cells) + row.tail
        tag = start_tag(self.p + b"row", row.attrs, close=not body)
        return tag if not body else tag + body + self._row_end

    # --- cells --------------------------------------------------------------------------------
    def raw_cell(self, r: int, c: int) -> bytes | None:
        row = self.row(r)
        if row is None:
            return None
        self._parse(row)
        i = bisect.bisect_left(row.cols, c)
        return row.cells[i][1] if i < len(row.cols) and row.cols[i] == c else None

    def value(self, r: int, c: int):
        raw = self.raw_cell(r, c)
        return None if raw is None else cell_value(raw, self.p, self.shared)

    def style(self, r: int, c: int) -> int:
        """The cell's style, or the one a new cell there gets (its row's, else its column's)."""
        raw = self.raw_cell(r, c)
        if raw is not None:
            s = attrs(self._cell_pat.match(raw).group(1)).get(b"s")
            return int(s) if s and s.isdigit() else 0
        row = self.row(r)
        if row is not None:
            self._parse(row)
            if row.attrs.get(b"customFormat") in (b"1", b"true") and (row.attrs.get(b"s") or b"").isdigit():
                return int(row.attrs[b"s"])
        for lo, hi, style in self._col_styles():
            if lo <= c <= hi:
                return style
        return 0

    def _col_styles(self) -> list[tuple[int, int, int]]:
        """(first, last, style) of the column ranges with a style, read once per state of <cols>."""
        cols = self.element(b"cols") or b""
        if self._cols_seen is None or self._cols_seen[0] is not cols:
            out = []
            for a in self._col_entries():
                try:
                    if a.get(b"style", b"0").isdigit():
                        out.append((int(a[b"min"]), int(a[b"max"]), int(a.get(b"style", b"0"))))
                except (KeyError, ValueError):
                    pass
            self._cols_seen = (cols, out)
        return self._cols_seen[1]

    def put(self, r: int, c: int, value, style: int | None = None, *, keep_value: bool = False) -> None:
        """Write ``value`` (or, ``keep_value``, only restyle) at (r, c); ``style`` None keeps the cell's."""
        ref = f"{col_letter(c)}{r}"
        old = self.raw_cell(r, c)
        s = self.style(r, c) if style is None else style
        if keep_value:
            if old is None:
                new = cell_xml(self.p, ref, s, None)
            else:
                m = self._cell_pat.match(old)
                a = attrs(m.group(1))
                if s:
                    a[b"s"] = str(s).encode()
                else:
                    a.pop(b"s", None)
                new = start_tag(self.p + b"c", a, close=bool(m.group(2))) + old[m.end():]
        else:
            if old is not None:
                self._detach_formula(r, c, old)
            elif self._arrays is None or self._arrays:
                self._break_arrays(r, c)
            new = cell_xml(self.p, ref, s, value, self.date1904)
            if b"<" + self.p + b"f>" in new:
                self.formulas_changed = True
        if old == new:
            return
        row = self.row(r, create=True)
        self._parse(row)
        i = bisect.bisect_left(row.cols, c)
        if i < len(row.cols) and row.cols[i] == c:
            row.cells[i][1] = new
        else:
            row.cells.insert(i, [b"", new])
            row.cols.insert(i, c)
            self.created.append((r, c))
            spans = row.attrs.get(b"spans")
            if spans and re.fullmatch(rb"\d+:\d+", spans):
                lo, hi = (int(x) for x in spans.split(b":"))
                row.attrs[b"spans"] = b"%d:%d" % (min(lo, c), max(hi, c))
        row.dirty = True
        self.version += 1

    def append_rows(self, first: int, rows: list[list], styles: list[int]) -> int:
        """New rows ``first``, ``first`` + 1 … holding ``rows`` (values; None: no cell), column j+1 styled
        ``styles[j]``, made in one pass: XML for each distinct (value, style) once, then only the address
        changes (a questionnaire of two million answers). Rows that exist already, or that are not past
        every row the sheet has, are left to the caller; returns how many rows were made (from ``first``)."""
        self._scan(None)
        if self.nums and self.nums[-1] >= first:
            return 0
        p = self.p
        head, row_end = b"<" + p + b'c r="', self._row_end
        skip = len(head) + len(b'A1"')
        tails: dict[tuple, bytes] = {}
        width = max((len(r) for r in rows), default=0)
        letters = [head + col_letter(c).encode() for c in range(1, width + 1)]
        row_open = b"<" + p + b'row r="'
        lo = hi = 0
        for i, values in enumerate(rows):
            num = first + i
            n = str(num).encode()
            parts = [row_open, n, b'">']
            for j, v in enumerate(values):
                if v is None:
                    continue
                key = (v, v.__class__, styles[j])
                tail = tails.get(key)
                if tail is None:
                    tail = tails[key] = cell_xml(p, "A1", styles[j], v, self.date1904)[skip:]
                parts += (letters[j], n, b'"', tail)
                if not lo or j < lo - 1:
                    lo = j + 1
                if j >= hi:
                    hi = j + 1
            if len(parts) == 3:
                parts[2] = b'"/>'
            else:
                parts.append(row_end)
            row = Row(num, b"", b"".join(parts))
            self.rows.append(row)
            self.nums.append(num)
            self.by_num[num] = row
        if lo:
            self.created += [(first, lo), (first + len(rows) - 1, hi)]
        self.version += 1
        return len(rows)

    def set_cached(self, r: int, c: int, cached) -> bool:
        """Give the formula in (r, c) its cached result; False when the cell holds no formula."""
        from perfxl.io.xlsx.values import cached_parts

        raw = self.raw_cell(r, c)
        f = self._f_el.search(raw or b"")
        if f is None:
            return False
        m = self._cell_pat.match(raw)
        a = attrs(m.group(1))
        t, v = cached_parts(cached, self.date1904)
        a.pop(b"t", None)
        if t:
            a[b"t"] = t
        p = self.p
        value = b"<" + p + b"v>" + v + b"</" + p + b"v>" if v is not None else b""
        new = start_tag(p + b"c", a) + f.group(0) + value + self._cell_end
        row = self.row(r)
        i = bisect.bisect_left(row.cols, c)
        row.cells[i][1] = new
        row.dirty = True
        self.version += 1
        return True

    def formulas(self) -> dict[tuple[int, int], str | None]:
        """(row, column) -> formula text (without "=") of every formula cell; None where the text is held
        by another cell (a shared formula's follower) or the cell belongs to an array."""
        from html import unescape

        f_tag, f_el = self._f_tag, self._f_el
        if not f_tag.search(self._rows_bytes()):
            return {}
        self._scan(None)
        out: dict[tuple[int, int], str | None] = {}
        for row in self.rows:
            if row.raw is not None and not f_tag.search(row.raw):
                continue
            self._parse(row)
            for c, (_, cell) in zip(row.cols, row.cells):
                m = f_el.search(cell)
                if m is None:
                    continue
                text = m.group(2)
                kind = attrs(m.group(1)).get(b"t")
                plain = text is not None and text.strip() and kind in (None, b"normal")
                out[(row.num, c)] = unescape(text.decode("utf-8", "replace")) if plain else None
        return out

    def drop_cached(self, cells: set[tuple[int, int]] | None = None) -> int:
        """Formulas saved without their results (what they read has changed: the program that opens the
        file computes them): all, or those at the (row, column) ``cells``; returns how many lost one."""
        from perfxl.io.xlsx.values import _patterns

        saved = _patterns(self.p)["v"]
        n = 0
        for r, c in sorted(self.formulas() if cells is None else cells):
            raw = self.raw_cell(r, c)
            if raw is not None and saved.search(raw) and self.set_cached(r, c, None):
                n += 1
        return n

    def col_width(self, c: int, default: float = 9.0) -> float:
        for a in self._col_entries():
            try:
                if int(a[b"min"]) <= c <= int(a[b"max"]) and b"width" in a:
                    return float(a[b"width"])
            except (KeyError, ValueError):
                pass
        return default

    def _col_entries(self) -> list[dict[bytes, bytes]]:
        return [attrs(m.group(1)) for m in re.finditer(rb"<" + self.p + rb"col\b(" + TAG_BODY + rb")/?>",
                                                        self.element(b"cols") or b"")]

    def hidden_cols(self) -> set[int]:
        """The hidden columns (1-based)."""
        out: set[int] = set()
        for a in self._col_entries():
            if a.get(b"hidden") in (b"1", b"true"):
                try:
                    out.update(range(int(a[b"min"]), int(a[b"max"]) + 1))
                except (KeyError, ValueError):
                    pass
        return out

    def hide_columns(self, cols) -> None:
        """Hide these columns (1-based), splitting the column ranges that cover them."""
        wanted = set(cols)
        if not wanted or wanted <= self.hidden_cols():
            return
        self._change_cols(wanted, {b"hidden": b"1"}, {b"width": b"9", b"hidden": b"1", b"customWidth": b"1"})

    def set_width(self, c: int, width: float) -> None:
        """Column ``c`` (1-based) this wide, splitting a column range that covers it."""
        self._change_cols({c}, {b"width": f"{width:g}".encode(), b"customWidth": b"1"}, {})

    def _change_cols(self, wanted: set[int], change: dict[bytes, bytes], new: dict[bytes, bytes]) -> None:
        """The ``wanted`` columns get the attributes ``change``: the <col> ranges covering them are split,
        columns without one get a range of their own (with ``new`` as well); the others stay as they were."""
        out: list[dict[bytes, bytes]] = []
        covered: set[int] = set()
        for a in self._col_entries():
            try:
                lo, hi = int(a[b"min"]), int(a[b"max"])
            except (KeyError, ValueError):
                out.append(a)
                continue
            start = lo
            for c in range(lo, hi + 2):
                if c <= hi and (c in wanted) == (start in wanted):
                    continue
                part = dict(a)
                part[b"min"], part[b"max"] = str(start).encode(), str(c - 1).encode()
                if start in wanted:
                    part.update(change)
                out.append(part)
                start = c
            covered |= set(range(lo, hi + 1))
        for c in sorted(wanted - covered):
            out.append({b"min": str(c).encode(), b"max": str(c).encode(), **new, **change})
        out.sort(key=lambda a: int(a.get(b"min", b"0")) if a.get(b"min", b"").isdigit() else 0)
        p = self.p
        self.set_element(b"cols", b"<" + p + b"cols>" + b"".join(start_tag(p + b"col", a, close=True) for a in out)
                         + b"</" + p + b"cols>")

    def row_height(self, r: int) -> float | None:
        row = self.row(r)
        if row is None:
            return None
        self._parse(row)
        try:
            return float(row.attrs[b"ht"]) if row.attrs.get(b"customHeight") in (b"1", b"true") else None
        except (KeyError, ValueError):
            return None

    def set_row_height(self, r: int, height: float) -> None:
        row = self.row(r, create=True)
        self._parse(row)
        ht = f"{height:g}".encode()
        if row.attrs.get(b"ht") == ht and row.attrs.get(b"customHeight") in (b"1", b"true"):
            return
        row.attrs[b"ht"], row.attrs[b"customHeight"] = ht, b"1"
        row.dirty = True
        self.version += 1

    def row_values(self, r: int) -> list[tuple[int, object]]:
        row = self.row(r)
        if row is None:
            return []
        self._parse(row)
        return [(c, cell_value(cell, self.p, self.shared)) for c, (_, cell) in zip(row.cols, row.cells)]

    # --- extent -------------------------------------------------------------------------------
    def cells_with(self, marker: re.Pattern):
        data = self._rows_bytes()
        for m in marker.finditer(data):
            yield data, m.start()

    def last_row(self) -> int:
        """The last row holding a value or formula (rows with only formatting do not count)."""
        data, p = self._rows_bytes(), self.p
        at = max(data.rfind(b"</" + p + b"v>"), data.rfind(b"</" + p + b"is>"), data.rfind(b"</" + p + b"f>"),
                 data.rfind(b"<" + p + b"f "))
        if at < 0:
            return 0
        start = data.rfind(b"<" + p + b"row", 0, at)
        m = self._row_pat.match(data, start) if start >= 0 else None
        r = attrs(m.group(1)).get(b"r") if m else None
        if r and r.isdigit():
            return int(r)
        self._scan(None)                                      # rows without addresses: count them
        for row in reversed(self.rows):
            if any(v is not None for _, v in self.row_values(row.num)):
                return row.num
        return 0

    def last_row_element(self) -> int:
        """The last row the sheet has, formatting only or not (0: none)."""
        self._scan(None)
        return self.nums[-1] if self.nums else 0

    def last_col(self) -> int:
        data = self._rows_bytes()
        letters = set(re.findall(rb"<" + self.p + rb"c\b[^>]*?\br=\"([A-Z]{1,3})\d+\"[^>]*?(?<!/)>", data))
        return max((col_index(x.decode()) + 1 for x in letters), default=0)

    def _update_dimension(self) -> None:
        if not self.created:
            return
        rows = [r for r, _ in self.created]
        cols = [c for _, c in self.created]
        lo_r, lo_c, hi_r, hi_c = min(rows), min(cols), max(rows), max(cols)
        old = self.element(b"dimension")
        m = re.search(rb'ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', old or b"")
        if m:
            a_c, a_r = col_index(m.group(1).decode()) + 1, int(m.group(2))
            b_c, b_r = (col_index(m.group(3).decode()) + 1, int(m.group(4))) if m.group(3) else (a_c, a_r)
            lo_r, lo_c, hi_r, hi_c = min(lo_r, a_r), min(lo_c, a_c), max(hi_r, b_r), max(hi_c, b_c)
        ref = f"{col_letter(lo_c)}{lo_r}" + (f":{col_letter(hi_c)}{hi_r}" if (lo_r, lo_c) != (hi_r, hi_c) else "")
        self.set_element(b"dimension", b"<" + self.p + b'dimension ref="' + ref.encode() + b'"/>')
        self.created = []

    # --- formulas that span cells -----------------------------------------------------------------
    def _detach_formula(self, r: int, c: int, old: bytes) -> None:
        """Before a cell is overwritten: a shared formula it leads passes to the next cell of the
        group; an array formula it belongs to becomes plain values."""
        f = re.search(rb"<" + self.p + rb"f\b(" + TAG_BODY + rb")(/?)>", old)
        if f is None:
            self._break_arrays(r, c)
            return
        self.formulas_changed = True
        a = attrs(f.group(1))
        if a.get(b"t") == b"shared" and a.get(b"ref") and a.get(b"si") is not None:
            text = re.search(rb">(.*?)</" + self.p + rb"f>", old[f.start():], re.S)
            self._pass_shared(a[b"si"], a[b"ref"], f"{col_letter(c)}{r}", text.group(1) if text else b"")
        elif a.get(b"t") == b"array":
            self._arrays = None
        else:
            self._break_arrays(r, c)

    def _pass_shared(self, si: bytes, ref: bytes, master: str, text: bytes) -> None:
        from openpyxl.formula.translate import Translator

        from perfxl.io.xlsx.xmlbits import esc, unescape

        pat = re.compile(rb"<" + self.p + rb"f\b[^>]*\bsi=\"" + re.escape(si) + rb"\"[^>]*?/?>")
        data = self._rows_bytes()
        for m in pat.finditer(data):
            start = data.rfind(b"<" + self.p + b"c ", 0, m.start())
            cm = re.compile(rb"\br=\"([A-Z]+\d+)\"").search(data, start, m.start())
            if cm is None or cm.group(1).decode() == master:
                continue
            target = cm.group(1).decode()
            r, c = split_ref(target)
            raw = self.raw_cell(r, c)
            if raw is None:
                continue
            try:
                moved = Translator("=" + unescape(text), origin=master).translate_formula(target)[1:]
            except Exception:
                moved = None
            last = ref.split(b":")[-1].decode()
            lr, lc = split_ref(last)
            new_ref = target if (lr, lc) == (r, c) else f"{target}:{last}"
            fm = self._f_el.search(raw)
            if moved is None:
                new_f = b""                          # untranslatable: keep the cached value only
            else:
                new_f = (b"<" + self.p + b'f t="shared" ref="' + new_ref.encode() + b'" si="' + si + b'">'
                         + esc(moved) + b"</" + self.p + b"f>")
            row = self.row(r)
            i = bisect.bisect_left(row.cols, c)
            row.cells[i][1] = raw[:fm.start()] + new_f + raw[fm.end():]
            row.dirty = True
            self.version += 1
            return

    def _break_arrays(self, r: int, c: int) -> None:
        """A value written into an array formula's range: the array formula becomes its values."""
        if self._arrays is None:
            self._arrays = []
            pat = re.compile(rb"<" + self.p + rb"f\b[^>]*\bt=\"array\"[^>]*\bref=\"([A-Z]+\d+)(?::([A-Z]+\d+))?\"")
            data = self._rows_bytes()
            for m in pat.finditer(data):
                start = data.rfind(b"<" + self.p + b"c ", 0, m.start())
                cm = re.compile(rb"\br=\"([A-Z]+\d+)\"").search(data, start, m.start())
                if cm is None:
                    continue
                r0, c0 = split_ref(m.group(1).decode())
                r1, c1 = split_ref((m.group(2) or m.group(1)).decode())
                mr, mc = split_ref(cm.group(1).decode())
                self._arrays.append((r0, c0, r1, c1, mr, mc))
        for r0, c0, r1, c1, mr, mc in list(self._arrays):
            if r0 <= r <= r1 and c0 <= c <= c1 and (mr, mc) != (r, c):
                raw = self.raw_cell(mr, mc)
                if raw is not None:
                    fm = self._f_el.search(raw)
                    if fm:
                        row = self.row(mr)
                        i = bisect.bisect_left(row.cols, mc)
                        row.cells[i][1] = raw[:fm.start()] + raw[fm.end():]
                        row.dirty = True
                        self.version += 1
                        self.formulas_changed = True
                self._arrays.remove((r0, c0, r1, c1, mr, mc))

    # --- a regenerated sheet's layout --------------------------------------------------------------
    def set_widths(self, widths) -> None:
        col = b"<" + self.p + b'col min="%d" max="%d" width="%s" customWidth="1"/>'
        cols = b"".join(col % (j, j, f"{w:g}".encode()) for j, w in enumerate(widths, start=1))
        self.set_element(b"cols", b"<" + self.p + b"cols>" + cols + b"</" + self.p + b"cols>" if cols else None)

    def freeze(self, ref: str) -> None:
        r, c = split_ref(ref)
        p = self.p
        split = (b' xSplit="%d"' % (c - 1) if c > 1 else b"") + (b' ySplit="%d"' % (r - 1) if r > 1 else b"")
        pane = b"bottomRight" if r > 1 and c > 1 else b"bottomLeft" if r > 1 else b"topRight"
        inner = (b"<" + p + b"pane" + split + b' topLeftCell="' + ref.encode() + b'" activePane="' + pane
                 + b'" state="frozen"/><' + p + b'selection pane="' + pane + b'"/>')
        old = self.element(b"sheetViews")
        m = re.search(rb"<" + p + rb"sheetView\b(" + TAG_BODY + rb")(/?)>", old or b"")
        head = b"<" + p + b"sheetView" + (m.group(1) if m else b' workbookViewId="0"') + b">"
        self.set_element(b"sheetViews", b"<" + p + b"sheetViews>" + head + inner + b"</" + p + b"sheetView></"
                         + p + b"sheetViews>")

    def protect(self) -> None:
        self.set_element(b"sheetProtection", b"<" + self.p + b'sheetProtection sheet="1" formatCells="0" '
                         b'formatColumns="0" formatRows="0" insertRows="0" deleteRows="0" sort="0" autoFilter="0"/>')

    def page_setup(self, landscape: bool, *, header: str = "", footer: str = "",
                   margins: dict[str, float] | None = None) -> None:
        """A4, fit to the page width; ``header``/``footer`` in the file's &L…&C…&R… codes."""
        p = self.p
        pr = self.element(b"sheetPr")
        fit = b"<" + p + b'pageSetUpPr fitToPage="1"/>'
        if pr is None:
            self.set_element(b"sheetPr", b"<" + p + b"sheetPr>" + fit + b"</" + p + b"sheetPr>")
        elif b"pageSetUpPr" not in pr:
            m = re.match(rb"<" + p + rb"sheetPr\b(" + TAG_BODY + rb")(/?)>", pr)
            body = b"" if m.group(2) else pr[m.end():pr.rfind(b"</")]
            # pageSetUpPr follows tabColor and outlinePr
            self.set_element(b"sheetPr",
                             b"<" + p + b"sheetPr" + m.group(1) + b">" + body + fit + b"</" + p + b"sheetPr>")
        if margins:
            self.set_element(b"pageMargins", b"<" + p + b"pageMargins" + b"".join(
                b' %s="%s"' % (k.encode(), repr(float(v)).encode()) for k, v in margins.items()) + b"/>")
        elif self.element(b"pageMargins") is None:
            self.set_element(b"pageMargins", b"<" + p + b'pageMargins left="0.75" right="0.75" top="1" bottom="1" '
                                                       b'header="0.5" footer="0.5"/>')
        self.set_element(b"pageSetup", b"<" + p + b'pageSetup paperSize="9" orientation="'
                         + (b"landscape" if landscape else b"portrait") + b'" fitToWidth="1" fitToHeight="0"/>')
        if header or footer:
            parts = (b"<" + p + b"oddHeader>" + esc(header) + b"</" + p + b"oddHeader>" if header else b"") + \
                (b"<" + p + b"oddFooter>" + esc(footer) + b"</" + p + b"oddFooter>" if footer else b"")
            self.set_element(b"headerFooter", b"<" + p + b"headerFooter>" + parts + b"</" + p + b"headerFooter>")

    def hyperlinks(self, links: list[tuple[str, str]]) -> None:
        """Internal links (cell, location such as 'Sheet'!A1) of a regenerated sheet."""
        p = self.p
        body = b"".join(b"<" + p + b'hyperlink ref="' + ref.encode() + b'" location="' + esc_attr(loc) + b'"/>'
                        for ref, loc in links)
        self.set_element(b"hyperlinks", b"<" + p + b"hyperlinks>" + body + b"</" + p + b"hyperlinks>" if body else None)
