"""可靠性与安全: a corpus of broken, strange and hostile inputs, each through the CLI as a user runs it
(clear Chinese message naming the file and cell, a meaningful exit code, no traceback, no partial
output) and through consolidation (the run goes on, the file is listed under 未纳入文件); legacy
formats, passwords, hidden rows and dates; interrupted writes.

Interrupted writes are tested through a wrapper process (``PAUSED``) that patches perfxl's temporary
file so that it stops half-way through its bytes: the test then kills it (production code has no
test hook).
"""
from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import example_basic, example_info, example_rows
from openpyxl import load_workbook

S = "指标评分"
SHEET_PART = "xl/worksheets/sheet4.xml"          # 指标评分 in the standard template
BASIC_PART = "xl/worksheets/sheet3.xml"          # 基础数据
INFO_PART = "xl/worksheets/sheet2.xml"           # 基本信息
PASSWORD = "评价2024"


# --- building the corpus -----------------------------------------------------------------------

def standard(path: Path, mutate=None, rows=None) -> Path:
    """The public example (88.78, 良) as a standard workbook, optionally changed by ``mutate(wb)``."""
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    wb = new_workbook(rows=rows or example_rows(), info=example_info(), basic=example_basic(), blank_rows=0)
    if mutate:
        mutate(wb)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_save(wb, path)
    return path


def repack(src: Path, dst: Path, edits: dict) -> Path:
    """Copy a package with some members rewritten (``edits``: member -> fn(bytes) -> bytes)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
        for info in zi.infolist():
            data = zi.read(info.filename)
            if info.filename in edits:
                data = edits[info.filename](data)
            zo.writestr(info.filename, data)
    return dst


def before_sheet_data_end(xml: bytes):
    return lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>")


def set_declared_size(path: Path, member: str, size: int) -> None:
    """Make the zip headers (local and central) lie about a member's uncompressed size."""
    raw = bytearray(path.read_bytes())
    name = member.encode()
    for sig, name_len_at, name_at, size_at in ((b"PK\x03\x04", 26, 30, 22), (b"PK\x01\x02", 28, 46, 24)):
        pos = raw.find(sig)
        while pos >= 0:
            n = struct.unpack_from("<H", raw, pos + name_len_at)[0]
            if raw[pos + name_at:pos + name_at + n] == name:
                struct.pack_into("<I", raw, pos + size_at, size)
            pos = raw.find(sig, pos + 4)
    path.write_bytes(bytes(raw))


def encrypt(src: Path, dst: Path, password: str = PASSWORD) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as fh, dst.open("wb") as out:
        OOXMLFile(fh).encrypt(password, out)
    return dst


def cell_xml(ref: str, inner: str, t: str = "") -> bytes:
    return f'<c r="{ref}"{f" t={chr(34)}{t}{chr(34)}" if t else ""}>{inner}</c>'.encode()


def replace_cell(ref: str, new: bytes):
    import re

    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', re.S)
    return lambda data: pattern.sub(lambda m: new, data, count=1)


def setter(**cells):
    def mutate(wb):
        for ref, value in cells.items():
            wb[S][ref] = value
    return mutate


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b"]>")


def build_corpus(d: Path) -> dict[str, Path]:
    """name -> file. Every hostile file is small and quick to make."""
    d.mkdir(parents=True, exist_ok=True)
    good = standard(d / "src" / "good.xlsx")
    out: dict[str, Path] = {}

    p = d / "文本冒充.xlsx"
    p.write_text("这不是工作簿，只是改了扩展名的文本", encoding="utf-8")
    out["not_excel"] = p

    p = d / "截断.xlsx"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    out["truncated"] = p

    p = d / "压缩炸弹.xlsx"                                 # honest sizes: 60 MB of zeros in 60 KB
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", b"<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    out["zip_bomb"] = p

    p = d / "谎报大小.xlsx"                                  # 指标评分 inflates to 200 MB, declares 80 KB
    repack(good, p, {SHEET_PART: lambda data: data.replace(
        b"</sheetData>", b'<row r="60"><c r="A60" t="inlineStr"><is><t>' + b"x" * (200 * 1024 * 1024)
        + b"</t></is></c></row></sheetData>")})
    set_declared_size(p, SHEET_PART, 80_000)
    out["zip_bomb_lying"] = p

    p = d / "谎报大小_校验和.xlsx"                            # declares more than it packs: caught by size/CRC
    shutil.copy2(out["zip_bomb_lying"], p)
    with zipfile.ZipFile(p) as zf:
        packed = zf.getinfo(SHEET_PART).compress_size
    set_declared_size(p, SHEET_PART, packed + 5000)
    out["zip_bomb_lying_crc"] = p

    p = d / "实体炸弹_共享字符串.xlsx"
    repack(good, p, {SHEET_PART: lambda data: LAUGHS + data.split(b"?>", 1)[-1]
                     .replace(b"<t>", b"<t>&lol9;", 1)})
    out["entity_bomb_sheet"] = p

    p = d / "实体炸弹_工作簿.xlsx"
    repack(good, p, {"xl/workbook.xml": lambda data: LAUGHS + data})
    out["entity_bomb_workbook"] = p

    p = d / "外部实体.xlsx"
    repack(good, p, {"docProps/core.xml": lambda data: (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + data)})
    out["external_entity"] = p

    out["encrypted"] = encrypt(good, d / "加密.xlsx")

    p = d / "极远单元格.xlsx"                                # one value at XFD1048576: 17 billion cells
    repack(good, p, {SHEET_PART: before_sheet_data_end(
        b'<row r="1048576">' + cell_xml("XFD1048576", "<is><t>x</t></is>", "inlineStr") + b"</row>")})
    out["far_cell"] = p

    p = d / "十五万行.xlsx"                                  # 150,000 junk rows pasted under the table
    junk = b"".join(b'<row r="%d"><c r="D%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r)
                    for r in range(100, 150_100))
    repack(good, p, {SHEET_PART: before_sheet_data_end(junk)})
    out["junk_rows"] = p

    p = d / "空表.xlsx"
    standard(p, mutate=lambda wb: wb[S].delete_rows(1, wb[S].max_row))
    out["empty_sheet"] = p

    p = d / "缺少指标表.xlsx"
    standard(p, mutate=lambda wb: wb.remove(wb[S]))
    out["no_indicator_sheet"] = p

    # usable, with problems in cells
    out["nocache_formula"] = standard(d / "公式无缓存.xlsx", setter(L16="=60+2"))
    p = d / "错误值.xlsx"
    repack(good, p, {SHEET_PART: lambda data: replace_cell("E5", cell_xml("E5", "<f>1/0</f><v>#DIV/0!</v>", "e"))(
        replace_cell("L16", cell_xml("L16", "<f>#REF!+1</f><v>#REF!</v>", "e"))(data))})
    out["error_values"] = p
    p = d / "基础数据错误值.xlsx"          # before: both reported only as 派生指标“支出预算执行率”缺少输入
    repack(good, p, {BASIC_PART: lambda data: replace_cell("B3", cell_xml("B3", "<f>B2/0</f><v>#DIV/0!</v>", "e"))(
        replace_cell("B4", cell_xml("B4", "<f>IF(B5&gt;0,SUM(B5:B6),0)</f>"))(data))})
    out["basic_error_values"] = p
    p = d / "基本信息错误值.xlsx"          # before: nothing said; the year and the unit were silently left out
    repack(good, p, {INFO_PART: lambda data: replace_cell("B4", cell_xml("B4", "<f>YEAR(B9)</f><v>#VALUE!</v>", "e"))(
        replace_cell("B2", cell_xml("B2", "<f>单位!A1</f>", "str"))(data))})
    out["info_error_values"] = p

    def dates(wb):
        ws = wb[S]
        ws["E5"].number_format = "yyyy-mm-dd"                # 分值 3 shown as 1900-01-03
        ws["L16"] = 62
        ws["L16"].number_format = "yyyy/m/d"
    out["dates"] = standard(d / "日期.xlsx", dates)
    return out


#: name -> (exit code of `perfxl score`, problem code, words in the message, cell or None)
UNUSABLE = {
    "not_excel": ("file_not_excel", "不是 Excel 工作簿", None),
    "truncated": ("file_unreadable", "无法读取", None),
    "zip_bomb": ("file_too_large", "解压后过大", None),
    "zip_bomb_lying": ("file_unreadable", "大小记录与内容不符", None),
    "zip_bomb_lying_crc": ("file_unreadable", "压缩包已损坏", None),
    "entity_bomb_sheet": ("file_unsafe", "DTD", None),
    "entity_bomb_workbook": ("file_unsafe", "DTD", None),
    "external_entity": ("file_unsafe", "DTD", None),
    "encrypted": ("file_encrypted", "设置了打开密码", None),
    "far_cell": ("sheet_too_large", "1,048,576 行 × 16,384 列", "指标评分!XFD1048576"),
    "junk_rows": ("table_too_long", "150,", "指标评分!A2"),
    "empty_sheet": ("header_row_missing", "找不到表头行", "指标评分!A1"),
    "no_indicator_sheet": ("sheet_missing", "缺少工作表“指标评分”", None),
}
PROBLEMS = {
    "nocache_formula": ("formula_no_cache", "没有它的计算结果", "指标评分!L16"),
    "error_values": ("cell_error_value", "错误值 #DIV/0!", "指标评分!E5"),
    "dates": ("date_not_number", "分值是日期“1900-01-03”，不是数字（该单元格被设成了日期格式，原来的数字是 3）",
              "指标评分!E5"),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


def leftovers(folder: Path, before: set[str]) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()} - before


@pytest.mark.parametrize("name", sorted(UNUSABLE))
def test_unusable_input_is_reported_and_nothing_is_written(corpus, cli, tmp_path, name):
    code, words, where = UNUSABLE[name]
    src = tmp_path / corpus[name].name
    shutil.copy2(corpus[name], src)
    original = src.read_bytes()
    run = cli("score", src, "--json")
    assert run.code == 2, run.text
    problems = run.json()["problems"]
    found = [p for p in problems if p["code"] == code]
    assert found, problems
    assert words in found[0]["message"] and found[0]["fix"]
    assert found[0]["file"] == str(src)
    if where:
        assert f"{found[0]['sheet']}!{found[0]['cell']}" == where
    assert src.read_bytes() == original
    assert leftovers(tmp_path, set()) == {src.name}                 # no output, no temporary file
    console = cli("validate", src)                                    # the console names the file too
    assert console.code == 2 and src.name in console.text and "无法处理输入" in console.text


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_cell_level_problems_point_at_their_cells(corpus, cli, name):
    code, words, where = PROBLEMS[name]
    run = cli("validate", corpus[name], "--json")
    assert run.code == 1, run.text
    found = [p for p in run.json()["problems"] if f"{p['sheet']}!{p['cell']}" == where]
    assert any(p["code"] == code and words in p["message"] for p in found), found


def test_error_values_and_uncalculated_formulas_in_basic_data_are_named(corpus, cli):
    run = cli("validate", corpus["basic_error_values"], "--json")
    assert run.code == 1, run.text
    errors = {f"{p['sheet']}!{p['cell']}": p["message"] for p in run.json()["problems"] if p["severity"] == "error"}
    assert errors == {"基础数据!B3": "调整后预算数是错误值 #DIV/0!",
                      "基础数据!B4": "决算支出数是公式 =IF(B5>0,SUM(B5:B6),0)，但文件中没有它的计算结果"
                                     "（保存文件的程序没有计算公式）"}


def test_error_values_and_uncalculated_formulas_in_basic_information_are_named(corpus, cli):
    run = cli("validate", corpus["info_error_values"], "--json")
    assert run.code == 1, run.text
    errors = {f"{p['sheet']}!{p['cell']}": p["message"] for p in run.json()["problems"] if p["severity"] == "error"}
    assert errors == {"基本信息!B4": "评价年度是错误值 #VALUE!",
                      "基本信息!B2": "单位名称是公式 =单位!A1，但文件中没有它的计算结果（保存文件的程序没有计算公式）"}


def test_a_blank_unit_or_year_is_named(cli, tmp_path):
    # the warning was in the catalogue but never given: pandera skipped the blank cells it was meant for
    def blank(wb):
        wb["基本信息"]["B2"] = wb["基本信息"]["B4"] = None
    run = cli("validate", standard(tmp_path / "未填写.xlsx", blank), "--json")
    assert run.code == 0, run.text
    assert [(p["severity"], p["sheet"], p["cell"], p["message"]) for p in run.json()["problems"]] == [
        ("warning", "基本信息", "B2", "基本信息“单位名称”未填写"),
        ("warning", "基本信息", "B4", "基本信息“评价年度”未填写")]


def test_error_value_ref_and_date_in_actual(corpus, cli):
    run = cli("validate", corpus["error_values"], "--json")
    at = {f"{p['sheet']}!{p['cell']}": p for p in run.json()["problems"]}
    assert "错误值 #REF!" in at["指标评分!L16"]["message"]
    run = cli("validate", corpus["dates"], "--json")
    at = {f"{p['sheet']}!{p['cell']}": p for p in run.json()["problems"]}
    assert at["指标评分!L16"]["code"] == "date_not_number" and "原来的数字是 62" in at["指标评分!L16"]["message"]
    assert "常规" in at["指标评分!L16"]["fix"]


def _peak_rss_mb(args: list[str], cwd: Path) -> tuple[int, float]:
    """Exit code and peak memory (MB) of a perfxl process, measured by a parent of its own."""
    probe = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "perfxl", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=300).stdout.split()
    return int(out[0]), int(out[1]) / 1024


@pytest.mark.parametrize("name", ["zip_bomb", "zip_bomb_lying", "zip_bomb_lying_crc", "entity_bomb_sheet", "far_cell",
                                  "junk_rows"])
def test_bombs_are_refused_within_bounded_memory(corpus, tmp_path, name):
    code, peak = _peak_rss_mb(["validate", str(corpus[name])], tmp_path)
    assert code == 2
    assert peak < 400, f"{name}: {peak:.0f} MB"


@pytest.mark.parametrize("head, more, unsafe", [
    (b'<?xml version="1.0"?><worksheet>', False, False),
    (b'<?xml version="1.0"?><!-- <a> --><!DOCTYPE x [<!ENTITY a "b">]><worksheet>', False, True),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x><r/>'.encode("utf-16"), False, True),
    ('<?xml version="1.0" encoding="UTF-16"?><r/>'.encode("utf-16"), False, False),
    (b'<?xml version="1.0"?><!--' + b"x" * 70_000, True, True),          # a prolog too long to check
    (b"\x89PNG\r\n\x1a\n<!DOCTYPE", False, False),                    # not XML: no parser reads it
])
def test_dtd_is_found_wherever_it_hides_in_the_prolog(head, more, unsafe):
    from perfxl.io.package import _unsafe_prolog

    assert _unsafe_prolog(head, more) is unsafe


def test_a_source_swapped_between_read_and_write_is_refused(corpus, tmp_path):
    """The workbook is read once; if the file on disk changed since (here: swapped for an entity bomb),
    writing is refused rather than deriving the output from stale bytes. The swapped file is never
    parsed, and openpyxl itself parses through defusedxml."""
    import openpyxl

    from perfxl.check.problems import UnusableInput
    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    assert openpyxl.DEFUSEDXML
    src = tmp_path / "换过的.xlsx"
    shutil.copy2(standard(tmp_path / "ok.xlsx"), src)
    result = run(src)
    shutil.copy2(corpus["entity_bomb_workbook"], src)                 # swapped between read and write
    with pytest.raises(UnusableInput) as e:
        write_back(result, src)
    assert e.value.problems[0].code == "file_changed"
    assert not (tmp_path / "换过的_评分.xlsx").exists()


# --- consolidation: the run goes on, every broken file is listed -----------------------------------

def test_consolidation_lists_every_broken_file_and_goes_on(corpus, tmp_path):
    from perfxl import consolidate
    from perfxl.model import layout as L
    folder = tmp_path / "收回"
    folder.mkdir()
    for name in [*UNUSABLE, *PROBLEMS]:
        shutil.copy2(corpus[name], folder / corpus[name].name)
    for i in range(3):
        def unit(wb, i=i):
            for row in wb[L.SHEET_INFO].iter_rows():
                if row[0].value == L.INFO_BY_KEY["unit"].label:
                    row[1].value = f"单位{i}"
        standard(folder / f"好{i}.xlsx", unit)
    found = len(list(folder.iterdir()))
    cons = consolidate(folder, jobs=1)
    assert cons.found == found and cons.included + cons.not_included == found
    assert cons.included == 3
    rejected = {Path(r["file"]).name: r for _, r in cons.rejected.iterrows()}
    for name, (_code, words, _where) in UNUSABLE.items():
        row = rejected[corpus[name].name]
        assert words in row["reason"], (name, row["reason"])
    assert "错误值" in rejected[corpus["error_values"].name]["reason"]


# --- passwords -----------------------------------------------------------------------------------

def test_password_opens_scores_and_keeps_the_output_encrypted(tmp_path, cli, soffice):
    import msoffcrypto

    src = encrypt(standard(tmp_path / "plain" / "x.xlsx", setter(E5="两分")), tmp_path / "加密.xlsx")
    original = src.read_bytes()
    wrong = cli("score", src, "--password", "不对", "--json")
    assert wrong.code == 2 and wrong.json()["problems"][0]["code"] == "password_wrong"
    assert not (tmp_path / "加密_评分.xlsx").exists()
    run = cli("score", src, "--password", PASSWORD, "--json")
    assert run.code == 1, run.text                                     # 分值“两分” is an error
    assert [p["cell"] for p in run.json()["problems"] if p["code"] == "not_number"] == ["E5"]
    out = tmp_path / "加密_评分.xlsx"
    assert src.read_bytes() == original
    assert {p.name for p in tmp_path.iterdir() if p.is_file()} == {"加密.xlsx", "加密_评分.xlsx"}
    with out.open("rb") as fh:                                         # never a decrypted copy on disk
        office = msoffcrypto.OfficeFile(fh)
        assert office.is_encrypted()
        office.load_key(password=PASSWORD)
        plain = tmp_path / "check" / "decrypted.xlsx"
        plain.parent.mkdir()
        with plain.open("wb") as w:
            office.decrypt(w)
    seen = soffice.sheets(plain)
    assert any("分值“两分”不是数字" in " ".join(r) for r in seen["校验结果"])
    env_run = subprocess.run([sys.executable, "-m", "perfxl", "validate", str(src), "--json"], capture_output=True,
                             text=True, env={**os.environ, "PERFXL_PASSWORD": PASSWORD})
    assert env_run.returncode == 1 and "Traceback" not in env_run.stderr


def test_password_for_an_indicator_system(tmp_path, cli):
    from conftest import ROOT

    system = next((ROOT / "workbook_templates" / "指标体系").glob("*.xlsx"))
    locked = encrypt(system, tmp_path / "体系.xlsx")
    run = cli("template", "--from", locked, "-o", tmp_path / "t.xlsx", "--password", PASSWORD, "--json")
    assert run.code == 0, run.text
    assert load_workbook(tmp_path / "t.xlsx")[S].max_row > 10
    assert cli("template", "--from", locked, "-o", tmp_path / "u.xlsx").code == 2


# --- hidden rows, merged cells, names with stray spaces, another template version ------------------

def test_hidden_rows_are_scored_with_a_warning_and_merged_levels_fill_down(tmp_path, cli):
    def mutate(wb):
        ws = wb[S]
        ws.row_dimensions[5].hidden = True
        ws.merge_cells("B2:B7")                     # 一级指标 merged over its rows (openpyxl clears B3:B7)
        ws.merge_cells("C2:C3")
    run = cli("score", standard(tmp_path / "隐藏.xlsx", mutate), "--json", "--no-write")
    assert run.code == 0, run.text
    data = run.json()
    assert data["total"] == 88.78
    [hidden] = [p for p in data["problems"] if p["code"] == "row_hidden"]
    assert hidden["cell"] == "A5" and "第5行是隐藏行" in hidden["message"] and hidden["severity"] == "warning"


def test_merged_weight_cell_names_the_blank_cell(tmp_path, cli):
    run = cli("validate", standard(tmp_path / "合并.xlsx", lambda wb: wb[S].merge_cells("E5:E6")), "--json")
    assert run.code == 1
    assert any(p["cell"] == "E6" and "分值为空" in p["message"] for p in run.json()["problems"])


def test_sheet_and_header_names_with_stray_and_full_width_spaces(tmp_path, cli):
    def mutate(wb):
        wb[S].title = " 指标评分　"
        wb["基本信息"].title = "基本信息 "
        ws = wb[" 指标评分　"]
        ws["A1"], ws["E1"], ws["L1"] = "编　号", "分值（分）", " 实际值　"
    run = cli("score", standard(tmp_path / "空格.xlsx", mutate), "--json", "--no-write")
    assert run.code == 0, run.text
    assert run.json()["total"] == 88.78


def test_template_from_another_version_is_a_warning(tmp_path, cli):
    def mutate(wb):
        for row in wb["基本信息"].iter_rows():
            if row[0].value == "模板版本":
                row[1].value = "0.9"
    run = cli("score", standard(tmp_path / "旧版.xlsx", mutate), "--json", "--no-write")
    assert run.code == 0 and run.json()["total"] == 88.78
    assert [p["code"] for p in run.json()["problems"]] == ["template_version"]


# --- gigantic sheets --------------------------------------------------------------------------------

def test_a_million_rows_of_formatting_are_read_and_written_back(tmp_path, cli):
    """The rows are copied as they are; perfxl only scans as far as the rows it writes."""
    rows = b"".join(b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>' % (r, r, r)
                    for r in range(100, 1_048_577))
    src = repack(standard(tmp_path / "src" / "x.xlsx"), tmp_path / "百万行格式.xlsx",
                 {SHEET_PART: before_sheet_data_end(rows)})
    run = cli("score", src, "--no-write", "--json")
    assert run.code == 0 and run.json()["total"] == 88.78
    run = cli("score", src, "--json")
    assert run.code == 0, run.text
    out = tmp_path / "百万行格式_评分.xlsx"
    with zipfile.ZipFile(out) as zf:
        data = zf.read(SHEET_PART)
    assert rows in data                                    # every formatted row, byte for byte
    assert load_workbook(out, read_only=True, data_only=True)["得分汇总"]["B4"].value == 88.78


# --- legacy formats -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def legacy(tmp_path_factory, soffice) -> dict[str, Path]:
    """The example with an error in E5, saved by LibreOffice as .xls and .ods."""
    d = tmp_path_factory.mktemp("legacy")
    def mutate(wb):
        from perfxl.sheets.styles import put

        wb[S]["E5"] = "两分"
        put(wb[S], 30, 14, '=HYPERLINK("http://x")')           # text typed into 评价说明, not a formula
    src = standard(d / "旧格式.xlsx", mutate)
    out = {}
    for ext in ("xls", "ods"):
        soffice.convert(src, ext, d / ext)
        out[ext] = d / ext / f"旧格式.{ext}"
        assert out[ext].exists()
    return out


@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_legacy_formats_are_read_and_scored_into_a_new_xlsx(legacy, ext, cli, tmp_path, soffice):
    src = tmp_path / legacy[ext].name
    shutil.copy2(legacy[ext], src)
    original = src.read_bytes()
    assert cli("score", src, "--in-place").code == 2
    run = cli("score", src, "--json")
    assert run.code == 1, run.text
    data = run.json()
    assert [p["cell"] for p in data["problems"] if p["code"] == "not_number"] == ["E5"]
    assert any(p["code"] == "legacy_format_output" for p in data["problems"])
    out = tmp_path / "旧格式_评分.xlsx"
    assert data["output"] == str(out) and src.read_bytes() == original
    wb = load_workbook(out)
    assert wb[S]["E5"].value == "两分" and "不是数字" in wb[S]["E5"].comment.text     # the same address
    seen = soffice.sheets(out)
    assert seen[S][4][4] == "两分"
    assert seen[S][29][13] == '=HYPERLINK("http://x")'                                # text, not a formula
    assert any("分值“两分”不是数字" in " ".join(r) for r in seen["校验结果"])


# --- interrupted writes ------------------------------------------------------------------------------

PAUSED = """
import os, sys, time
from pathlib import Path
marker, nameless = Path(sys.argv[1]), sys.argv[2] == "1"
if not nameless:
    del os.O_TMPFILE                       # as on Windows and macOS: a named hidden temporary file
import perfxl.io.files as files
real_init = files._Temporary.__init__

class Paused:
    def __init__(self, inner):
        self.inner = inner
    def write(self, data):
        n = self.inner.write(data[: len(data) // 2])
        self.inner.flush()
        marker.write_text(str(os.getpid()))
        time.sleep(120)
        return n
    def __getattr__(self, name):
        return getattr(self.inner, name)

def init(self, target):
    real_init(self, target)
    self.file = Paused(self.file)

files._Temporary.__init__ = init
from perfxl.cli import main
sys.argv = ["perfxl", *sys.argv[3:]]
main()
"""


def _interrupted_mid_write(args: list[str], cwd: Path, sig: int, nameless: bool) -> int:
    """Run perfxl, stop it half-way through writing its output with ``sig``; its exit code."""
    marker = cwd / "写入中.marker"
    proc = subprocess.Popen([sys.executable, "-c", PAUSED, str(marker), "1" if nameless else "0", *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "perfxl ended before writing"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    code = proc.wait(timeout=60)
    marker.unlink()
    return code


@pytest.mark.parametrize("nameless", [True, False], ids=["nameless-temporary", "named-temporary"])
@pytest.mark.parametrize("in_place", [False, True], ids=["new-file", "in-place"])
def test_killed_in_the_middle_of_a_write_leaves_the_input_intact(tmp_path, cli, in_place, nameless):
    src = standard(tmp_path / "评分表.xlsx", setter(E5="两分"))
    original = src.read_bytes()
    _interrupted_mid_write(["score", str(src), *(["--in-place"] if in_place else [])], tmp_path, signal.SIGKILL,
                           nameless)
    assert src.read_bytes() == original
    names = {p.name for p in tmp_path.iterdir() if p.is_file()}
    temps = {n for n in names if n.endswith(".tmp")}
    assert names - temps == {src.name}                                 # no output, no backup
    if nameless:
        assert not temps                                               # nothing at all is left
    else:
        assert len(temps) == 1 and all(n.startswith(".") for n in temps)   # hidden, never the final name
        partial = tmp_path / temps.pop()
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(partial)                                   # it really was cut short
    run = cli("score", src, *(["--in-place"] if in_place else []))     # the next run cleans up
    assert run.code == 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    out = src if in_place else tmp_path / "评分表_评分.xlsx"
    assert load_workbook(out)[S]["E5"].comment is not None
    if in_place:                                   # a backup before the in-place write that happened
        [bak] = list(tmp_path.glob("评分表.bak-*.xlsx"))
        assert bak.read_bytes() == original


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_write_stopped_by_a_signal_is_undone(tmp_path, sig):
    """Even with a named temporary file, a stop the process can see leaves nothing behind."""
    src = standard(tmp_path / "评分表.xlsx", setter(E5="两分"))
    original = src.read_bytes()
    code = _interrupted_mid_write(["score", str(src), "--in-place"], tmp_path, sig, nameless=False)
    assert code == 130                                                  # “已中断”
    assert src.read_bytes() == original
    assert {p.name for p in tmp_path.iterdir()} == {src.name}


def test_locked_and_read_only_targets_are_reported_not_clobbered(tmp_path, cli, monkeypatch):
    from perfxl.check.problems import UnusableInput
    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    src = standard(tmp_path / "表.xlsx")
    original = src.read_bytes()
    lock = tmp_path / "~$表.xlsx"
    lock.write_bytes(b"owner")
    run_ = cli("score", src, "--in-place", "--json")
    assert run_.code == 2 and run_.json()["problems"][0]["code"] == "file_locked"
    lock.unlink()
    result = run(src)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == src and mode == os.W_OK
                        else real_access(p, mode))          # read-only, even for root (who may write anyway)
    with pytest.raises(UnusableInput) as e:
        write_back(result, src, in_place=True)
    assert e.value.problems[0].code == "file_readonly"
    assert src.read_bytes() == original
    assert {p.name for p in tmp_path.iterdir() if p.is_file()} == {"表.xlsx"}
