"""The command line in Chinese throughout: click's own messages, the help screen at 80 columns (no
English metavars, flags without a type, help that wraps instead of being cut), output files with the
wrong extension."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest


def run80(*args, cwd=None):
    """The command as a user at an 80-column terminal runs it."""
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def flat(text: str) -> str:
    """The text without any whitespace (a terminal wraps lines anywhere)."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("args, message, fix", [
    (["score"], "命令用法有误：缺少参数“文件”（要评分的工作簿）",
     "按此写法运行：perfxl score [选项] 文件；详见 perfxl score --help"),
    (["scor", "a.xlsx"], "命令用法有误：没有“scor”这个命令，是不是要用“score”？",
     "可用的命令：template、validate、score、report、fill、consolidate、survey；详见 perfxl --help"),
    (["surve", "import"], "命令用法有误：没有“surve”这个命令，是不是要用“survey”？", ""),
    (["score", "--bogus", "a.xlsx"], "命令用法有误：没有“--bogus”这个选项", "详见 perfxl score --help"),
    (["consolidate", "d", "--jobs", "abc"], "命令用法有误：选项 -j/--jobs 的值“abc”无效：应为整数",
     "详见 perfxl consolidate --help"),
    (["consolidate", "d", "--jobs", "0"], "命令用法有误：选项 -j/--jobs 的值“0”无效：不能小于 1", ""),
    (["template", "--rows", "x"], "命令用法有误：选项 --rows 的值“x”无效：应为整数", ""),
    (["score", "a.xlsx", "b.xlsx"], "命令用法有误：多出的参数“b.xlsx”", "文件名中有空格时请用引号括起来"),
    (["score", "a.xlsx", "-o"], "命令用法有误：选项 -o 后面需要一个值", "在 -o 后面写上值，如 -o 值"),
    (["fill", "名单.xlsx"], "命令用法有误：缺少选项“-o/--output-dir”（输出目录）", "perfxl fill [选项] 名单"),
])
def test_usage_errors_in_chinese(tmp_path, args, message, fix):
    proc = run80(*args, cwd=tmp_path)
    assert proc.returncode == 2
    text = flat(proc.stderr)
    assert flat(message) in text and flat(fix) in text
    assert not re.search(r"Missing|No such|Invalid value|Got unexpected|requires an argument|Error", proc.stderr)


def test_usage_error_with_json_is_one_document(tmp_path):
    import json

    proc = run80("score", "--json", cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert data["exit_code"] == 2 and data["problems"][0]["code"] == "usage_missing"


@pytest.mark.parametrize("command", [[], ["template"], ["validate"], ["score"], ["report"], ["fill"],
                                     ["consolidate"], ["survey"], ["survey", "import"]])
def test_help_at_80_columns_is_chinese_and_whole(command):
    proc = run80(*command, "--help")
    out = proc.stdout
    assert proc.returncode == 0
    assert "…" not in out                                           # nothing cut
    for english in ("<bool>", "<str>", "<path>", "<int>", "list[", "[OPTIONS]", "COMMAND", "[ARGS]", "{file",
                    "env var", "default:", "required", "Usage", "Options", "Arguments", "Show this message"):
        assert english not in out, english
    assert "用法：perfxl" in out


def test_help_shows_flags_without_a_type_and_wraps_long_help():
    out = run80("score", "--help").stdout
    flag = next(line for line in out.splitlines() if "--in-place" in line)
    assert "<" not in flag                                          # a flag takes no value
    assert "<路径>" in next(line for line in out.splitlines() if "--output" in line)
    assert "只在内存中解密，不写出解密副本" in flat(out)               # the whole help, wrapped


@pytest.mark.parametrize("args, suffixes", [
    (["template", "-o", "out.txt"], ".xlsx 或 .xlsm"), (["consolidate", ".", "-o", "汇总.csv"], ".xlsx")])
def test_output_with_the_wrong_extension_is_refused(tmp_path, args, suffixes):
    import json

    proc = run80(*args, "--json", cwd=tmp_path)
    (p,) = json.loads(proc.stdout)["problems"]
    assert proc.returncode == 2 and p["code"] == "output_suffix"
    assert p["message"] == f"输出文件“{args[-1]}”的扩展名应为 {suffixes}" and not list(tmp_path.glob("out.txt"))


def test_score_output_with_the_wrong_extension_is_refused(example, tmp_path):
    import json

    proc = run80("score", example, "-o", tmp_path / "out.txt", "--json")
    (p,) = json.loads(proc.stdout)["problems"]
    assert proc.returncode == 2 and p["message"] == f"输出文件“{tmp_path / 'out.txt'}”的扩展名应为 .xlsx 或 .xlsm"
    assert not (tmp_path / "out.txt").exists()
