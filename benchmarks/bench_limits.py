"""The documented limits finish: workbooks just inside README's 上限 run through perfxl as a user runs it
(validate, score -o, score --in-place, in processes of their own), timed against the least any reader
must do in the same run (calamine reading every sheet of the same file). Prints wall time, peak
memory and the ratio to the baseline.

    python benchmarks/bench_limits.py [--rows 9999] [--filler 100] [--cells 0]

Workbooks: 指标评分 with ``rows`` indicator rows (under the 1万行 limit), each followed by ``filler``
numbers in columns perfxl does not use (a million by default: the case that once ran 479 s); with
``--cells N`` also a 问卷 sheet of N numbers (the limit is 5,000,000 cells a sheet).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, make_workbook


def build(path: Path, rows: int, filler: int, cells: int) -> Path:
    """The standard workbook's sheets, 指标评分 replaced by ``rows`` indicators and their filler,
    written with XlsxWriter (fast, constant memory)."""
    import xlsxwriter
    from openpyxl import load_workbook

    from perfxl.model import layout as L

    std = load_workbook(make_workbook(path.with_name("标准.xlsx"), n=20))
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    for src in std.worksheets:
        ws = wb.add_worksheet(src.title)
        if src.title == L.SHEET_INDICATORS:
            header = [c.value for c in src[1]]
            col = {h: j for j, h in enumerate(header) if h}
            for h, j in col.items():
                ws.write_string(0, j, h)
            for i in range(rows):
                r = i + 1
                ws.write_number(r, col[L.COLUMNS_BY_KEY["code"].header], i + 1)
                if i == 0:
                    ws.write_string(r, col[L.COLUMNS_BY_KEY["level1"].header], "产出(100分)")
                ws.write_string(r, col[L.COLUMNS_BY_KEY["level2"].header], "数量")
                ws.write_string(r, col[L.COLUMNS_BY_KEY["name"].header], f"指标{i + 1}")
                ws.write_number(r, col[L.COLUMNS_BY_KEY["weight"].header], 100 / rows)
                ws.write_string(r, col[L.COLUMNS_BY_KEY["method"].header], "完成比率")
                ws.write_string(r, col[L.COLUMNS_BY_KEY["target"].header], "≥10次")
                ws.write_string(r, col[L.COLUMNS_BY_KEY["actual"].header], f"{i % 10 + 1}次")
                for k in range(filler):
                    ws.write_number(r, len(header) + 2 + k, k)
            continue
        if src.title == L.SHEET_SURVEY and cells:
            width = 50
            for r in range(cells // width):
                for c in range(width):
                    ws.write_number(r + 1, c, (r + c) % 5 + 1)
            continue
        for row in src.iter_rows():
            for c in row:
                if c.value is not None and not (isinstance(c.value, str) and c.value.startswith("=")):
                    ws.write(c.row - 1, c.column - 1, c.value)
    wb.close()
    return path


def timed(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak memory (MB) and exit code of a command in a process of its own."""
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "p = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)")
    out = subprocess.run([sys.executable, "-c", probe, *args], cwd=cwd, capture_output=True, text=True,
                         timeout=3600).stdout.split()
    return float(out[0]), int(out[1]) / 1024, int(out[2])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=9999)
    ap.add_argument("--filler", type=int, default=100)
    ap.add_argument("--cells", type=int, default=0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        src = build(work / "上限.xlsx", a.rows, a.filler, a.cells)
        print(f"workbook: {a.rows:,} indicators, {a.rows * a.filler:,} filler numbers, {a.cells:,} survey cells; "
              f"{src.stat().st_size / 1e6:.1f} MB, built in {time.perf_counter() - t:.1f} s")
        baseline = ("import python_calamine, sys; wb = python_calamine.CalamineWorkbook.from_path(sys.argv[1]); "
                    "[wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names]")
        base, base_mb, _ = timed([sys.executable, "-c", baseline, str(src)], work)
        print(f"{'calamine reads every sheet (baseline)':40} {base:7.1f} s {base_mb:7.0f} MB")
        perfxl = [sys.executable, "-m", "perfxl"]
        runs = {"perfxl validate": [*perfxl, "validate", str(src), "--json"],
                "perfxl score -o": [*perfxl, "score", str(src), "-o", str(work / "结果.xlsx"), "--json"],
                "perfxl score --in-place": [*perfxl, "score", str(src), "--in-place", "--json"]}
        for name, args in runs.items():
            secs, mb, code = timed(args, work)
            print(f"{name:40} {secs:7.1f} s {mb:7.0f} MB  exit {code}  ×{secs / base:.1f} of the baseline")
        out = subprocess.run([*perfxl, "score", str(src), "--no-write", "--json"], capture_output=True, text=True,
                             cwd=work)
        print("total:", json.loads(out.stdout).get("total"))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
