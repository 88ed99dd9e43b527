"""The terminal (可靠性与安全): unit names, indicator names, methods and file names are printed literally
by every command — rich markup (``[/]``, ``[link=…]``) is text, ANSI/OSC escapes and bidi overrides are
shown as visible escapes — the last-resort handler included; and a Chinese Windows console (GBK) gets
only characters it can encode, never a crash after the work is done."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from openpyxl import Workbook, load_workbook

from perfxl.model import layout as L

#: rich markup that would crash rich ([/]), make a hyperlink or restyle the line
MARKUP = "[/]单位[link=http://evil.example]点我[/link][bold red]红[/]"
#: what a cell can hold that reorders text
BIDI = "\u202egnp.exe"
#: what a file name can hold: an OSC title, a screen clear, a bell
ESCAPES = "\x1b]0;pwn\x07\x1b[2J"
#: characters a GBK console cannot encode
NOT_GBK = "✓😀"

#: bytes that must never reach the terminal raw
RAW = [b"\x1b", b"\x07", "\u202e".encode()]


def hostile(path: Path, unit: str = MARKUP + BIDI + NOT_GBK) -> Path:
    """The public example with a hostile unit name, first indicator name and a method note."""
    from test_robustness import standard

    def mutate(wb):
        for row in wb[L.SHEET_INFO].iter_rows():
            if row[0].value == L.INFO_BY_KEY["unit"].label:
                row[1].value = unit
        ws = wb[L.SHEET_INDICATORS]
        cols = {c.value: c.column for c in ws[1]}
        ws.cell(2, cols[L.COLUMNS_BY_KEY["name"].header]).value = MARKUP + BIDI
        ws.cell(2, cols[L.COLUMNS_BY_KEY["note"].header]).value = "[link=http://evil.example]说明[/link]" + BIDI
    return standard(path, mutate)


def run(args: list, cwd: Path, encoding: str = "utf-8", prefix: tuple = ("-m", "perfxl")):
    env = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": encoding, "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    proc = subprocess.run([sys.executable, *prefix, *map(str, args)], capture_output=True, cwd=cwd, env=env,
                          timeout=300)
    return proc


def commands(work: Path) -> dict[str, list]:
    """Every command, over inputs whose names and contents are hostile."""
    src = hostile(work / f"评分{ESCAPES}{MARKUP}{BIDI}.xlsx")
    folder = work / "收回"
    folder.mkdir()
    shutil.copy2(src, folder / src.name)
    hostile(folder / "乙.xlsx", unit="乙" + MARKUP)
    roster = Workbook()
    roster.active.append(["单位名称", "评价年度"])
    roster.active.append([MARKUP + BIDI, 2024])
    roster.save(work / f"名单{ESCAPES}.xlsx")
    scored = work / f"已评分{ESCAPES}.xlsx"
    system = load_workbook(ROOT / "workbook_templates" / "指标体系" / "项目支出绩效评价指标体系.xlsx")
    ws = system[L.SHEET_SYSTEM]
    ws.cell(2, next(c.column for c in ws[1] if c.value == L.COLUMNS_BY_KEY["name"].header)).value = MARKUP + BIDI
    system.save(work / f"体系{ESCAPES}.xlsx")
    import survey_exports as X

    export = X.wjx_text_csv(work / f"导出{ESCAPES}.csv")
    return {
        "validate": ["validate", src],
        "score": ["score", src, "-o", scored, "-v"],
        "score-missing": ["score", work / f"没有{ESCAPES}{MARKUP}{BIDI}.xlsx"],
        "consolidate": ["consolidate", folder, "-o", work / f"汇总{ESCAPES}.xlsx", "-j", "1", "--force"],
        "fill": ["fill", work / f"名单{ESCAPES}.xlsx", "-o", work / f"分发{ESCAPES}", "--force"],
        "report": ["report", scored, "-o", work / f"报告{ESCAPES}.docx"],
        "template": ["template", "--from", work / f"体系{ESCAPES}.xlsx", "-o", work / f"模板{ESCAPES}.xlsx", "--force"],
        "survey-import": ["survey", "import", export, "--into", src, "--set", "会员"],
        "usage": ["score", f"--bogus{ESCAPES}{MARKUP}{BIDI}"],
    }


ORDER = ["validate", "score", "score-missing", "consolidate", "fill", "report", "template", "survey-import", "usage"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> tuple[Path, dict]:
    work = tmp_path_factory.mktemp("hostile")
    return work, commands(work)


@pytest.mark.parametrize("encoding", ["utf-8", "gbk", "ascii", "ascii:surrogateescape"])
@pytest.mark.parametrize("command", ORDER)
def test_input_reaches_the_terminal_as_text(work, command, encoding):
    """ascii:surrogateescape: the console of a C locale without Python's UTF-8 mode."""
    folder, cmds = work
    if command == "report" and not (folder / f"已评分{ESCAPES}.xlsx").exists():
        assert run(cmds["score"], folder).returncode in (0, 1)
    proc = run(cmds[command], folder, encoding)
    encoding = encoding.partition(":")[0]
    out = proc.stdout + proc.stderr
    assert proc.returncode in (0, 1, 2), out.decode(encoding, "replace")
    text = out.decode(encoding)                        # every byte is the console's encoding
    assert "Traceback" not in text, text
    for raw in RAW:
        assert raw not in out, (raw, text)
    if command in ("validate", "score", "consolidate", "fill"):
        assert "[/]" in text or "[link=" in text, text          # the markup printed, as text
    if command in ("score-missing", "usage", "template"):
        assert "\\x1b" in text, text                            # the escape made visible


@pytest.mark.parametrize("encoding", ["ascii", "gbk", "utf-8"])
@pytest.mark.parametrize("command", ORDER)
def test_json_comes_out_whatever_the_console_encoding(work, command, encoding):
    """--json on a console that cannot encode the text (ASCII, GBK and 😀): still exactly one JSON
    document, with \\u escapes, holding the very texts a UTF-8 console gets."""
    folder, cmds = work
    if command == "report" and not (folder / f"已评分{ESCAPES}.xlsx").exists():
        assert run(cmds["score"], folder).returncode in (0, 1)
    proc = run([*cmds[command], "--json"], folder, encoding)
    assert proc.returncode in (0, 1, 2), proc.stderr.decode(encoding, "replace")
    assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr.decode(encoding, "replace")
    doc = json.loads(proc.stdout.decode(encoding))
    assert doc["command"] == ("survey import" if command == "survey-import" else cmds[command][0])
    if encoding == "ascii":
        assert proc.stdout.isascii()
    if command in ("score", "validate"):
        assert doc["info"]["unit"] == MARKUP + BIDI + NOT_GBK
    if command == "consolidate":
        assert MARKUP + BIDI + NOT_GBK in [u["unit"] for u in doc["units"]]


def test_the_last_resort_handler_prints_the_error_as_text(tmp_path):
    """An internal error whose text is hostile: exit 3, the text literal, no traceback."""
    boom = (f"import perfxl.api as api\n"
            f"def boom(*a, **k):\n"
            f"    raise RuntimeError({(MARKUP + ESCAPES + BIDI + NOT_GBK)!r})\n"
            f"api.score_file = boom\n"
            f"import sys\nsys.argv = ['perfxl', 'score', 'x.xlsx']\n"
            f"from perfxl.cli import main\nmain()\n")
    for encoding in ("utf-8", "gbk"):
        proc = run([], tmp_path, encoding, prefix=("-c", boom))
        out = proc.stdout + proc.stderr
        text = out.decode(encoding)
        assert proc.returncode == 3, text
        assert "内部错误" in text and "[/]" in text and "Traceback" not in text, text
        for raw in RAW:
            assert raw not in out, (raw, text)


def _at_width(args: list, cwd: Path, columns: int) -> str:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True, cwd=cwd, env=env,
                          timeout=300, encoding="utf-8")
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("columns", [20, 30])
def test_a_narrow_terminal_gets_every_value(tmp_path, columns):
    """A console too narrow for the tables (rich would squeeze their cells to … or blank): the rows come
    as “表头：值” lines, and every unit name, figure and grade is there, in Chinese."""
    from test_robustness import standard

    from perfxl.model.values import fmt_pct, fmt_score

    folder = tmp_path / "收回"
    for unit in ("甲单位", "乙区人民政府办公室机关事务中心"):
        def name(wb, unit=unit):
            for row in wb[L.SHEET_INFO].iter_rows():
                if row[0].value == L.INFO_BY_KEY["unit"].label:
                    row[1].value = unit
        standard(folder / f"{unit}.xlsx", name)

    src = folder / "甲单位.xlsx"
    scored = json.loads(_at_width(["score", src, "--no-write", "--json"], tmp_path, 200))
    out = _at_width(["score", src, "--no-write"], tmp_path, columns)
    text = out.replace("\n", "")                       # long lines wrap at the console's width
    assert "…" not in out and "┃" not in out, out
    expected = [scored["info"]["unit"], f"总分：{fmt_score(scored['total'])}", f"等级：{scored['grade']}"]
    for lv in scored["levels"]:
        header = L.SUMMARY_HEADERS[lv["level"] - 1]
        expected += [f"{header}：{lv['name']}", f"{L.SUMMARY_HEADERS[2]}：{fmt_score(lv['weight'])}",
                     f"{L.SUMMARY_HEADERS[3]}：{fmt_score(lv['score'])}", fmt_pct(lv["rate"])]
    expected += [i["name"] for i in scored["deviations"]]
    assert [e for e in expected if e not in text] == [], out

    cons = json.loads(_at_width(["consolidate", folder, "-o", "汇总.xlsx", "-j", "1", "--json"], tmp_path, 200))
    out = _at_width(["consolidate", folder, "-o", "汇总.xlsx", "-j", "1", "--force"], tmp_path, columns)
    text = out.replace("\n", "")
    assert "…" not in out and "┃" not in out, out
    expected = []
    for u in cons["units"]:
        expected += [f"{L.CONS_HEADERS['unit']}：{u['unit']}", f"{L.CONS_HEADERS['total']}：{fmt_score(u['total'])}",
                     f"{L.CONS_HEADERS['grade']}：{u['grade']}", f"{L.CONS_HEADERS['rank']}：{u['rank']}"]
    assert len(cons["units"]) == 2 and [e for e in expected if e not in text] == [], out


def test_a_c_locale_without_utf8_mode_reads_chinese_file_names(tmp_path, example):
    """LC_ALL=C with Python's UTF-8 mode and locale coercion both off: file names are decoded as ASCII, and
    consolidating 甲单位.xlsx stopped with an internal error (its name could not be written into the summary)
    and a second traceback. perfxl starts again in UTF-8 mode: the names come through."""
    folder = tmp_path / "收回"
    folder.mkdir()
    shutil.copy2(example, folder / "甲单位.xlsx")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIO", "PYTHONUTF8"))}
    env.update(LC_ALL="C", LANG="C", PYTHONCOERCECLOCALE="0", PYTHONUTF8="0")
    proc = subprocess.run([sys.executable, "-m", "perfxl", "consolidate", "收回", "-o", "汇总.xlsx", "--jobs", "1"],
                          cwd=tmp_path, env=env, capture_output=True, timeout=300)
    out = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    assert proc.returncode in (0, 1), out
    assert "Traceback" not in out and "内部错误" not in out, out
    ws = load_workbook(tmp_path / "汇总.xlsx")[L.SHEET_CONS_SUMMARY]
    assert any("甲单位.xlsx" in str(c.value) for row in ws.iter_rows() for c in row if c.value)
