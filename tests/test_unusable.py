"""Unusable inputs and outputs get a clear message and exit 2, never a hang, a crash or exit 3
(可靠性与安全): FIFOs, sockets, symlink loops, unreadable files and folders named like workbooks, in a
folder or named one by one; an existing folder, a symlink loop or a read-only folder as the output;
a workbook whose name lies about its format; ``1e999`` as a number; a renamed sheet.

Permissions are tested for real: as root the command runs without the capabilities that let root
read and write everything (setpriv)."""
from __future__ import annotations

import os
import re
import shutil
import socket
import zipfile
from pathlib import Path

import pytest
from conftest import CliRun, run_cli
from test_robustness import SHEET_PART, repack, standard

from perfxl.io.package import MAX_FILE_BYTES
from perfxl.model import layout as L

ROOT_USER = hasattr(os, "geteuid") and os.geteuid() == 0
#: as root: drop the capabilities that bypass file permissions
AS_USER = (["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search"] if ROOT_USER else [])


def perfxl(*args, cwd: Path, timeout: int = 120) -> CliRun:
    """The CLI as a user without special rights runs it; a hang fails the test (timeout)."""
    if AS_USER and not shutil.which("setpriv"):
        pytest.skip("setpriv is needed to drop root's rights")
    return run_cli(*args, cwd=cwd, timeout=timeout, prefix=AS_USER)


# --- what is not a workbook, in a folder or named ----------------------------------------------------

def strange_files(folder: Path) -> dict[str, str]:
    """Files named like workbooks that cannot be read, and the words their refusal must use."""
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "管道.xlsx")
    (folder / "环1.xlsx").symlink_to("环2.xlsx")
    (folder / "环2.xlsx").symlink_to("环1.xlsx")
    (folder / "悬空.xlsx").symlink_to("不存在.xlsx")
    unreadable = standard(folder / "无权.xlsx")
    unreadable.chmod(0)
    (folder / "文件夹.xlsx").mkdir()
    (folder / "文件夹.xlsx" / "正常.xlsx").write_bytes(b"")                 # walked into: an empty file
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "套接字.xlsx"))
    sock.close()
    return {"管道.xlsx": "不是普通文件", "环1.xlsx": "符号链接循环", "环2.xlsx": "符号链接循环",
            "悬空.xlsx": "找不到文件", "无权.xlsx": "没有读取权限", "正常.xlsx": "空文件",
            "套接字.xlsx": "不是普通文件"}


def test_strange_files_in_a_folder_are_listed_as_unusable(tmp_path):
    folder = tmp_path / "收回"
    expected = strange_files(folder)
    standard(folder / "好.xlsx")
    run = perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", "--json", "-j", "1", cwd=tmp_path)
    assert run.code in (0, 1), run.text
    data = run.json()
    assert (data["found"], data["included"]) == (len(expected) + 1, 1)
    reasons = {Path(r["file"]).name: r["reason"] for r in data["rejected"]}
    assert set(reasons) == set(expected)
    for name, words in expected.items():
        assert words in reasons[name], (name, reasons[name])
    assert (tmp_path / "汇总.xlsx").exists()


def test_strange_files_named_one_by_one(tmp_path):
    folder = tmp_path / "收回"
    expected = strange_files(folder)
    expected.pop("正常.xlsx")
    named = [folder / n for n in expected]
    run = perfxl("consolidate", *named, folder / "文件夹.xlsx" / "正常.xlsx", "-o", tmp_path / "汇总.xlsx",
                 "--json", cwd=tmp_path)
    assert run.code in (1, 2), run.text
    for path in named:
        one = perfxl("validate", path, "--json", cwd=tmp_path)
        assert one.code == 2, one.text
        assert expected[path.name] in one.json()["problems"][0]["message"]


@pytest.mark.parametrize("command", ["survey import", "fill"])
@pytest.mark.parametrize("case", ["folder", "unreadable", "fifo", "too large"])
def test_a_csv_that_cannot_be_read_is_refused_as_a_csv(tmp_path, command, case):
    """A survey export or a roster named .csv gets the refusals of a workbook (exit 2, no traceback), in
    a CSV's words: no “工作簿”, no “另存为 .xlsx”, no “解压后”."""
    words = {"folder": "不是 CSV 文件（这是一个文件夹）", "unreadable": "没有读取权限",
             "fifo": "不是 CSV 文件（不是普通文件）", "too large": "过大"}[case]
    csv_file = tmp_path / "问卷.csv"
    if case == "folder":
        csv_file.mkdir()
        (csv_file / "答卷.csv").write_text("序号,Q1\n1,满意\n", encoding="utf-8")
    elif case == "unreadable":
        csv_file.write_text("单位名称,评价年度\n某单位,2024\n", encoding="utf-8")
        csv_file.chmod(0)
    elif case == "too large":
        csv_file.write_text("单位名称,评价年度\n某单位,2024\n", encoding="utf-8")
        os.truncate(csv_file, MAX_FILE_BYTES + 1)         # sparse: past the limit without the disk space
    else:
        os.mkfifo(csv_file)
    target = standard(tmp_path / "表.xlsx")
    before = target.read_bytes()
    args = (["survey", "import", csv_file, "--into", target] if command == "survey import"
            else ["fill", csv_file, "-o", tmp_path / "输出"])
    run = perfxl(*args, "--json", cwd=tmp_path, timeout=60)
    assert run.code == 2, run.text
    problem = run.json()["problems"][0]
    assert words in problem["message"] and "问卷.csv" in problem["message"], problem
    said = problem["message"] + problem["fix"]
    assert not any(w in said for w in ("工作簿", "Excel", ".xlsx", "解压")), problem
    assert target.read_bytes() == before and not (tmp_path / "输出").exists()


# --- where the output cannot go -----------------------------------------------------------------------

def _writers(tmp_path: Path, target: Path) -> dict[str, list]:
    src = standard(tmp_path / "表.xlsx")
    scored = tmp_path / "已评分.xlsx"
    if not scored.exists():
        assert perfxl("score", src, "-o", scored, cwd=tmp_path).code == 0
    docx = target.with_suffix(".docx") if target.suffix else target
    return {"score": ["score", src, "-o", target], "template": ["template", "-o", target, "--force"],
            "consolidate": ["consolidate", src, "-o", target, "--force"],
            "report": ["report", scored, "-o", docx]}


@pytest.mark.parametrize("command", ["score", "template", "consolidate", "report"])
@pytest.mark.parametrize("case", ["folder", "loop", "read-only folder"])
def test_an_output_that_cannot_be_written_is_refused(tmp_path, command, case):
    if case == "folder":
        target = tmp_path / "已有文件夹.xlsx"
        target.mkdir()
        (tmp_path / "已有文件夹.docx").mkdir()
        words = "这是一个文件夹"
    elif case == "loop":
        target = tmp_path / "环1.xlsx"
        for ext in (".xlsx", ".docx"):
            (tmp_path / f"环1{ext}").symlink_to(f"环2{ext}")
            (tmp_path / f"环2{ext}").symlink_to(f"环1{ext}")
        words = "符号链接循环"
    else:
        ro = tmp_path / "只读"
        ro.mkdir()
        target = ro / "结果.xlsx"
        words = "没有写入权限"
    args = _writers(tmp_path, target)[command]
    if case == "read-only folder":
        (tmp_path / "只读").chmod(0o555)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    run = perfxl(*args, "--json", cwd=tmp_path)
    if command == "report" and case == "folder":          # report -o 文件夹: the report goes into it
        assert run.code == 0 and Path(run.json()["output"]).parent == tmp_path / "已有文件夹.docx"
        return
    assert run.code == 2, run.text
    assert words in run.json()["problems"][0]["message"], run.text
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


# --- names that lie, numbers too large, sheets renamed ----------------------------------------------------

@pytest.mark.parametrize("real", ["xls", "ods"])
def test_a_workbook_whose_name_lies_is_read_and_written_by_its_content(real, tmp_path, soffice):
    src = standard(tmp_path / "src" / "表.xlsx")
    soffice.convert(src, real, tmp_path / "lo")
    liar = tmp_path / "表.xlsx"
    shutil.copy2(tmp_path / "lo" / f"表.{real}", liar)
    original = liar.read_bytes()
    run = perfxl("score", liar, "--json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert run.json()["total"] == 88.78
    [p] = run.json()["problems"]
    assert p["code"] == "legacy_format_output" and f".{real}" in p["message"]
    assert liar.read_bytes() == original
    out = tmp_path / "表_评分.xlsx"
    assert soffice.sheets(out)[L.SHEET_SUMMARY]
    refused = perfxl("score", liar, "--in-place", "--json", cwd=tmp_path)
    assert refused.code == 2 and f".{real}" in refused.json()["problems"][0]["message"]
    assert liar.read_bytes() == original


def _strict(src: Path, dst: Path, edit=lambda xml: xml) -> Path:
    """``src`` as Excel writes it saved as “Strict Open XML 电子表格”: the same parts in the ISO namespaces
    (``edit``: a change to 指标评分's part first)."""
    iso = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
           b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
               b"http://purl.oclc.org/ooxml/officeDocument/relationships"}

    def to_iso(name: str, data: bytes) -> bytes:
        data = edit(data) if name == SHEET_PART else data
        for transitional, strict in iso.items():
            data = data.replace(transitional, strict)
        return data
    with zipfile.ZipFile(src) as zf:
        names = [n for n in zf.namelist() if n.endswith((".xml", ".rels"))]
    return repack(src, dst, {n: (lambda data, n=n: to_iso(n, data)) for n in names})


def test_a_strict_open_xml_workbook_is_read_in_full_and_scored_into_a_new_xlsx(tmp_path, soffice):
    # before: the sheet list was looked up in the transitional namespace only, so a strict file's error values,
    # percent formats and formulas went unseen (#DIV/0! was "实际值为空"), and writing stopped with exit 2
    # and "ValueError: no workbook part"
    from openpyxl import load_workbook

    src = standard(tmp_path / "src" / "表.xlsx")
    ws = load_workbook(src)[L.SHEET_INDICATORS]
    letter = next(c.column_letter for c in ws[1] if c.value == L.COLUMNS_BY_KEY["actual"].header)
    ref = f"{letter}{next(c.row for c in ws['H'][1:] if c.value == '完成比率')}"

    def error(xml: bytes) -> bytes:
        return xml.replace(_cell(xml, ref), b'<c r="%s" t="e"><v>#DIV/0!</v></c>' % ref.encode())
    run = perfxl("validate", _strict(src, tmp_path / "错误值.xlsx", error), "--json", cwd=tmp_path)
    assert run.code == 1, run.text
    assert [(p["cell"], p["message"]) for p in run.json()["problems"] if p["severity"] == "error"] == \
        [(ref, "实际值是错误值 #DIV/0!")]
    strict = _strict(src, tmp_path / "严格.xlsx")
    original = strict.read_bytes()
    run = perfxl("score", strict, "--json", cwd=tmp_path)
    assert run.code == 0, run.text
    assert run.json()["total"] == 88.78
    [p] = run.json()["problems"]
    assert p["code"] == "legacy_format_output" and "Strict Open XML" in p["message"]
    assert perfxl("score", tmp_path / "严格_评分.xlsx", "--json", cwd=tmp_path).json()["total"] == 88.78
    written = soffice.sheets(tmp_path / "严格_评分.xlsx")          # a real spreadsheet program opens it
    assert float({r[0]: r[1] for r in written[L.SHEET_SUMMARY] if len(r) > 1}["总分"]) == 88.78
    refused = perfxl("score", strict, "--in-place", "--json", cwd=tmp_path)
    assert refused.code == 2 and "Strict Open XML" in refused.json()["problems"][0]["message"]
    assert strict.read_bytes() == original
    # as fill's template (written into, not scored): said as such, not "ValueError: no workbook part"
    from openpyxl import Workbook

    roster = Workbook()
    roster.active.append(["单位名称", "评价年度"])
    roster.active.append(["甲单位", 2024])
    roster.save(tmp_path / "名单.xlsx")
    refused = perfxl("fill", "名单.xlsx", "--template", strict, "-o", "分发", "--json", cwd=tmp_path)
    assert refused.code == 2 and refused.json()["problems"][0]["code"] == "write_strict", refused.text


def test_a_csv_named_xlsx_is_not_a_workbook(tmp_path):
    fake = tmp_path / "名单.xlsx"
    fake.write_text("单位名称,评价年度\n甲单位,2024\n", encoding="utf-8")
    run = perfxl("score", fake, "--json", cwd=tmp_path)
    assert run.code == 2 and "不是 Excel 工作簿" in run.json()["problems"][0]["message"]


def _cell(xml: bytes, ref: str) -> bytes:
    import re

    return re.search(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % ref.encode(), xml).group(0)


@pytest.mark.parametrize("column", ["weight", "actual"])
def test_1e999_is_no_number(tmp_path, column):
    """1e999 overflows to infinity: a problem at its cell, no total, and --json stays standard JSON."""
    from openpyxl import load_workbook

    src = standard(tmp_path / "表.xlsx")
    ws = load_workbook(src)[L.SHEET_INDICATORS]
    header = L.COLUMNS_BY_KEY[column].header
    letter = next(c.column_letter for c in ws[1] if c.value == header)
    row = next(c.row for c in ws["H"][1:] if c.value == "完成比率")       # a numeric rule
    ref = f"{letter}{row}"

    def edit(xml: bytes) -> bytes:
        return xml.replace(_cell(xml, ref), b'<c r="%s"><v>1e999</v></c>' % ref.encode())
    bad = repack(src, tmp_path / "大数.xlsx", {SHEET_PART: edit})
    run = perfxl("score", bad, "--json", cwd=tmp_path)
    assert run.code == 1, run.text
    data = run.json()
    assert data["total"] is None and data["grade"] is None
    assert any(p["cell"] == ref and p["severity"] == "error" for p in data["problems"]), data["problems"]
    written = tmp_path / "大数_评分.xlsx"           # formulas reading the overflow record no result, never "inf"
    with zipfile.ZipFile(written) as zf:
        saved = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert not re.search(rb"<v>-?(?:inf|nan)</v>", saved, re.I)


def test_a_renamed_sheet_is_named_with_the_sheets_there(tmp_path):
    def rename(wb):
        wb[L.SHEET_INDICATORS].title = "Sheet9"
    run = perfxl("score", standard(tmp_path / "表.xlsx", rename), "--json", cwd=tmp_path)
    assert run.code == 2, run.text
    message = run.json()["problems"][0]["message"]
    assert L.SHEET_INDICATORS in message and "Sheet9" in message


# --- legacy formats inflate like .xlsx ----------------------------------------------------------------

def test_an_xls_reaching_iv65536_is_refused_in_bounded_memory(tmp_path, soffice):
    """A few KB of .xls with a value at A1 and one at IV65536: calamine would make a 16.7-million-cell
    grid (1.2 GB); perfxl reads the extent from the cell records first. A normal .xls still scores."""
    from openpyxl import Workbook
    from test_robustness import _peak_rss_mb

    wb = Workbook()
    wb.active.title = L.SHEET_INDICATORS
    wb.active["A1"], wb.active["IV65536"] = "编号", 1
    wb.save(tmp_path / "远.xlsx")
    soffice.convert(tmp_path / "远.xlsx", "xls", tmp_path)
    far = tmp_path / "远.xls"
    assert far.stat().st_size < 100_000
    code, peak = _peak_rss_mb(["validate", str(far), "--json"], tmp_path)
    assert code == 2 and peak < 400, peak
    run = perfxl("validate", far, "--json", cwd=tmp_path)
    [p] = run.json()["problems"]
    assert p["code"] == "sheet_too_large" and p["sheet"] == L.SHEET_INDICATORS and "IV65536" in p["message"]
    src = standard(tmp_path / "表.xlsx")
    soffice.convert(src, "xls", tmp_path)
    assert perfxl("score", tmp_path / "表.xls", "--no-write", "--json", cwd=tmp_path).json()["total"] == 88.78


def _xlsb_record(kind: int, body: bytes) -> bytes:
    def number(n: int, most: int) -> bytes:
        out = bytearray()
        for _ in range(most):
            out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
            n >>= 7
            if not n:
                break
        return bytes(out)
    return number(kind, 2) + number(len(body), 4) + body


def test_an_xlsb_sheet_is_bounded_from_its_records(tmp_path):
    """BrtRowHdr (row 1,048,576) and a BrtCellReal at column XFD: refused before calamine allocates."""
    import struct

    from perfxl.check.problems import UnusableInput
    from perfxl.io.package import _check_xlsb_extent

    near = _xlsb_record(0, struct.pack("<I", 0) + b"\0" * 13) + _xlsb_record(5, struct.pack("<II", 0, 0) + b"\0" * 8)
    _check_xlsb_extent(near + _xlsb_record(0x94, b"\0" * 16), tmp_path / "x.xlsb", "sheet1")    # one cell
    far = near + _xlsb_record(0, struct.pack("<I", 1_048_575) + b"\0" * 13) \
        + _xlsb_record(5, struct.pack("<II", 16_383, 0) + b"\0" * 8)
    with pytest.raises(UnusableInput) as e:
        _check_xlsb_extent(far, tmp_path / "x.xlsb", "sheet1")
    assert e.value.problems[0].code == "sheet_too_large" and "XFD1048576" in e.value.problems[0].message
