"""Fuzzing (可靠性与安全): random cell values and table shapes through the reader, the model, the
validator, the rule engine and the writer. Whatever the cells hold, the outcome is a Result whose
problems are catalogue messages pointing at cells, or UnusableInput: never another exception.

More examples for a longer hunt: PERFXL_FUZZ_EXAMPLES=3000 PERFXL_FUZZ_FILES=200 pytest tests/test_fuzz.py
"""
from __future__ import annotations

import json
import math
import os
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import example_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.check.problems import CATALOGUE, Problem, UnusableInput
from perfxl.io.read import CellMark, RawBook, SheetGrid
from perfxl.model import layout as L

EXAMPLE = example_rows()
METHODS = sorted({r["method"] for r in EXAMPLE if r.get("method")})
TOKENS = sorted({str(r[k]) for r in EXAMPLE for k in ("target", "actual", "params", "level1", "level2")
                 if r.get(k) is not None})

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
formula_like = st.sampled_from(["=1+1", "+1", "-1", "@SUM(A1:A2)", '=HYPERLINK("http://x","点我")', "-77.23%",
                                "=", "#DIV/0!", "#REF!", "\t=cmd", "\x0b", "_x000B_", "①②③⑳", "ＸＹＺ　", " "])
numbers = st.one_of(st.integers(min_value=-10**12, max_value=10**12),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
dates = st.one_of(st.dates(min_value=date(1900, 1, 1)), st.datetimes(min_value=datetime(1900, 1, 1)),
                  st.times(), st.timedeltas(max_value=timedelta(days=1000)))
marks = st.builds(CellMark, st.sampled_from(["error", "nocache"]), st.sampled_from(["#DIV/0!", "#N/A", "=A1+1", ""]))
cells = st.one_of(st.none(), text, formula_like, numbers, st.booleans(), dates, st.sampled_from(METHODS),
                  st.sampled_from(TOKENS))


def _headers(draw) -> list:
    keys = [c.key for c in L.INDICATOR_COLUMNS if c.role == L.INPUT]
    chosen = draw(st.lists(st.sampled_from(keys), min_size=0, max_size=len(keys) + 3))
    out = []
    for k in chosen:
        col = L.COLUMNS_BY_KEY[k]
        out.append(draw(st.sampled_from([col.header, *col.aliases, f" {col.header}　", f"{col.header}（分）"])))
    if draw(st.booleans()):                       # mostly a table perfxl can find
        out = [L.COLUMNS_BY_KEY[k].header for k in keys] + out[:3]
    return out


@st.composite
def books(draw) -> RawBook:
    headers = _headers(draw)
    width = max(len(headers), 1)
    n = draw(st.integers(min_value=0, max_value=12))
    rows = [list(headers)]
    grid_marks = {}
    for r in range(n):
        if draw(st.booleans()):
            base = dict(draw(st.sampled_from(EXAMPLE)))
            row = [base.get(next((c.key for c in L.INDICATOR_COLUMNS if c.header == h), ""), None) for h in headers]
            row += [None] * (width - len(row))
            for _ in range(draw(st.integers(min_value=0, max_value=3))):
                row[draw(st.integers(min_value=0, max_value=width - 1))] = draw(cells)
        else:
            row = draw(st.lists(cells, min_size=0, max_size=width + 2))
        rows.append(row)
        if draw(st.integers(min_value=0, max_value=9)) == 0 and row:
            grid_marks[(r + 1, draw(st.integers(min_value=0, max_value=len(row) - 1)))] = draw(marks)
    lead = draw(st.lists(st.lists(cells, max_size=4), max_size=2))         # title rows above the header
    rows = lead + rows
    grid_marks = {(r + len(lead), c): m for (r, c), m in grid_marks.items()}
    hidden = frozenset(draw(st.sets(st.integers(min_value=0, max_value=len(rows)), max_size=3)))
    sheets = {"指标评分": SheetGrid("指标评分", rows, grid_marks, hidden_rows=hidden)}
    info_rows = [[f.label, draw(cells)] for f in L.INFO_FIELDS if draw(st.booleans())]
    if draw(st.booleans()):
        info_rows += [["等级", "最低分(含)"], *draw(st.lists(st.lists(cells, min_size=2, max_size=2), max_size=4))]
    sheets["基本信息"] = SheetGrid("基本信息", info_rows)
    if draw(st.booleans()):
        sheets["基础数据"] = SheetGrid("基础数据", [[f.label, draw(cells)] for f in L.BASIC_FIELDS
                                                 if draw(st.booleans())] + [[L.ZERO_OVER_ZERO_LABEL, draw(cells)]])
    return RawBook(Path("随机.xlsx"), list(sheets), sheets)


def check(result) -> None:
    from perfxl.cli.render import dumps
    from perfxl.score.engine import record

    for p in result.problems:
        assert isinstance(p, Problem) and p.code in CATALOGUE and p.severity in ("error", "warning", "info")
        assert p.message and p.fix is not None, p
    assert result.total is None or math.isfinite(result.total)
    for r in result.indicators:
        assert r.score is None or math.isfinite(r.score)
    json.loads(dumps(record(result).to_dict()))


@settings(max_examples=int(os.environ.get("PERFXL_FUZZ_EXAMPLES", "250")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(books())
def test_random_tables_give_problems_never_exceptions(book):
    from perfxl.score.pipeline import run

    with warnings.catch_warnings():
        warnings.simplefilter("error")          # not even a warning escapes (e.g. pandas on odd types)
        try:
            result = run(book.path, book)
        except UnusableInput as e:
            assert e.problems and all(p.code in CATALOGUE for p in e.problems)
            return
    check(result)


@settings(max_examples=int(os.environ.get("PERFXL_FUZZ_FILES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(book=books())
def test_random_tables_in_real_files_read_score_and_write_back(book, tmp_path_factory):
    """The same through a real .xlsx: openpyxl writes the random cells, perfxl reads them with calamine,
    scores and writes the result back (the writer meets the same random text)."""
    from openpyxl import Workbook

    from perfxl.io.files import atomic_save
    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run
    from perfxl.sheets.styles import put

    wb = Workbook()
    wb.remove(wb.active)
    for name, grid in book.sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(grid.rows, start=1):
            for c, v in enumerate(row, start=1):
                if isinstance(v, str):
                    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

                    v = ILLEGAL_CHARACTERS_RE.sub("", v)
                if isinstance(v, float) and not math.isfinite(v):
                    v = str(v)
                if isinstance(v, timedelta) or (isinstance(v, (date, datetime)) and v.year < 1901):
                    v = None                       # what openpyxl cannot store in the 1900 date system
                if v is not None:
                    put(ws, r, c, v)
            if r - 1 in grid.hidden_rows:
                ws.row_dimensions[r].hidden = True
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "随机.xlsx"
    atomic_save(wb, path)
    try:
        result = run(path)
    except UnusableInput as e:
        assert all(p.code in CATALOGUE for p in e.problems)
        return
    check(result)
    report = write_back(result, path)
    assert report.output.exists()
    from test_writer import check_nothing_else_changed

    from perfxl.model.cells import col_letter

    ev = result.checked.evaluation
    marked = {(p.sheet, p.cell) for p in result.problems if p.sheet and p.cell}
    marked |= {(ev.table.sheet, str(ev.cell(d.indicator.row, d.indicator.score_key))) for d in result.deviations}
    computed = {col_letter(c) for k, c in ev.table.columns.items() if k in L.COMPUTED_KEYS}
    check_nothing_else_changed(path, report.output, marked, computed)


@pytest.mark.parametrize("raw, shown", [("=1+1", "=1+1"), ("+1", "+1"), ("-1-1", "-1-1"), ("@SUM(1,1)", "@SUM(1,1)"),
                                        ("_x000B_按心情", "按心情"), ("按心情_x0001_", "按心情")])
def test_text_from_inputs_is_written_as_text_or_cleaned(raw, shown, make_workbook, soffice):
    """An unknown 计分方法 (echoed into 校验结果) and the unit name (echoed into 得分汇总) survive the
    writer as plain text: formula-looking text stays text, characters a workbook cannot hold (Excel's
    _x000B_ escapes) are dropped."""
    import re
    import shutil
    import zipfile

    from openpyxl import load_workbook

    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    path = make_workbook()
    tmp = path.with_name("patched.xlsx")
    text = f'<is><t>{raw}</t></is>'.encode()
    with zipfile.ZipFile(path) as zi, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename == "xl/worksheets/sheet4.xml":          # 计分方法 H5
                data = re.sub(rb'<c r="H5"[^>]*?(?:/>|>.*?</c>)', b'<c r="H5" t="inlineStr">' + text + b"</c>",
                              data, count=1, flags=re.S)
            zo.writestr(info.filename, data)
    shutil.move(tmp, path)
    result = run(path)
    out = write_back(result, path).output
    wb = load_workbook(out)
    cells = [c for row in wb["校验结果"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == shown for c in cells), [c.value for c in cells]
    assert all(c.data_type == "s" for c in cells if c.value.startswith(("=", "+", "-", "@")))
    seen = soffice.sheets(out)
    assert any(row[5] == shown for row in seen["校验结果"][1:])            # 当前值: text in LibreOffice too


# --- the XML-level writer -------------------------------------------------------------------------

_BASE: dict = {}


def _base_workbook(tmp_path_factory) -> bytes:
    if "data" not in _BASE:
        from perfxl.io.files import atomic_save
        from perfxl.sheets.template import new_workbook

        path = tmp_path_factory.mktemp("fuzz-base") / "base.xlsx"
        atomic_save(new_workbook(rows=example_rows(), blank_rows=0), path)
        _BASE["data"] = path.read_bytes()
    return _BASE["data"]


def _expected(v):
    """What a reader gets back for a value perfxl wrote."""
    import re

    from perfxl.io.xlsx.values import Formula

    if isinstance(v, Formula):
        v = v.cached
    if isinstance(v, str):                  # characters XML cannot hold are dropped, nothing else
        return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]", "", v)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return float(v) if math.isfinite(v) else str(v)
    return v


written = st.one_of(st.none(), text, formula_like, st.booleans(),
                    st.integers(min_value=-10**15, max_value=10**15), st.floats(allow_nan=False, width=64),
                    st.builds(lambda t, c: __import__("perfxl.io.xlsx", fromlist=["Formula"]).Formula(t, c),
                              st.sampled_from(["SUM(E2:E4)", "1+1", "A1&\"x\""]),
                              st.one_of(st.integers(-1000, 1000), st.sampled_from(["文字", "=看似公式"]))))


@settings(max_examples=int(os.environ.get("PERFXL_FUZZ_FILES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(blocks=st.lists(st.tuples(st.sampled_from(["指标评分", "基本信息", "得分汇总", "新表"]),
                                 st.integers(1, 80), st.integers(1, 30),
                                 st.lists(st.lists(written, min_size=1, max_size=4), min_size=1, max_size=3),
                                 st.sampled_from([None, "computed", "header", "plain"]),
                                 st.sampled_from([None, "problem", "deviation"])), min_size=1, max_size=6),
       note=st.one_of(st.none(), text))
def test_random_writes_through_the_xml_writer_read_back(blocks, note, tmp_path_factory):
    """Random blocks of values (text with control characters, formula-like text, numbers, formulas with
    cached results) written anywhere through XmlCanvas: calamine reads back exactly what was written,
    every cell not written is unchanged, and the package stays a valid zip LibreOffice-compatible readers
    accept."""
    import io
    import zipfile

    import python_calamine

    from perfxl.io.xlsx.book import Book
    from perfxl.sheets.canvas import XmlCanvas

    base = _base_workbook(tmp_path_factory)
    book = Book(base)
    cv = XmlCanvas(book)
    if "新表" not in cv.names():
        cv.new_sheet("新表", "指标评分")
    expect: dict[tuple[str, int, int], object] = {}
    for sheet, row, col, rows, style, fill in blocks:
        cv.write(sheet, row, col, rows, style=style, fill=fill)
        for i, r in enumerate(rows):
            for j, v in enumerate(r):
                expect[(sheet, row + i, col + j)] = _expected(v)
    if note is not None:
        cv.note("指标评分", "B2", note)
    cv.close()
    data = book.save()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    before = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(base))
    after = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    for sheet in after.sheet_names:
        grid = after.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        old = before.get_sheet_by_name(sheet).to_python(skip_empty_area=False) if sheet in before.sheet_names else []
        height = max(len(grid), len(old), max((r for s, r, _ in expect if s == sheet), default=0))
        for r in range(1, height + 1):
            width = max(len(grid[r - 1]) if r <= len(grid) else 0, len(old[r - 1]) if r <= len(old) else 0)
            for c in range(1, width + 1):
                got = grid[r - 1][c - 1] if r <= len(grid) and c <= len(grid[r - 1]) else ""
                if (sheet, r, c) in expect:
                    want = expect[(sheet, r, c)]
                    if want is None or want == "":
                        assert got in ("", None), (sheet, r, c, got)
                    elif isinstance(want, float):
                        assert got == want or (isinstance(got, float) and math.isclose(got, want)), (sheet, r, c)
                    else:
                        assert got == want, (sheet, r, c, got, want)
                else:
                    was = old[r - 1][c - 1] if r <= len(old) and c <= len(old[r - 1]) else ""
                    assert got == was, (sheet, r, c)


@given(user=text, first=text, second=st.one_of(st.none(), text))
def test_a_users_note_survives_any_number_of_perfxl_notes(user, first, second):
    from perfxl.io.xlsx.notetext import MARK, merge_note, split_note

    user = user.replace(MARK, "")
    ours1, ours2 = MARK + first, (MARK + second if second is not None else None)
    note = merge_note(merge_note(user, ours1), ours2)
    kept, theirs = split_note(note)
    assert kept == user.rstrip("\n") or (not user.strip("\n") and kept == "")
    assert theirs == (ours2 or "")
    assert merge_note(note, None) == (user.rstrip("\n") or None)
