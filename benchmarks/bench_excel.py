"""The Python side of one click on 评分 in Excel, on a 60-indicator workbook, through xlwings'
Book API (JSON engine, as xlwings Server/Lite drive it), against the file path doing the same work
(read, validate, score, write) in the same run. Prints the figures; asserts nothing.

The JSON engine is xlwings PRO; this script declares noncommercial use (PolyForm Noncommercial).

    python benchmarks/bench_excel.py [--indicators 60] [--repeat 7]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import make_workbook

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    import perfxl.excel as excel
    from devtools.xlwings_json import json_book, workbook_json
    from perfxl.io.writeback import write_back
    from perfxl.score.pipeline import run

    with tempfile.TemporaryDirectory() as tmp:
        wb = make_workbook(Path(tmp) / "bench.xlsx", args.indicators)
        payload = workbook_json(wb)
        first = time.perf_counter()
        excel.score(json_book(payload))                       # first click: imports and pandera warm-up
        first = time.perf_counter() - first
        clicks, files = [], []
        for _ in range(args.repeat):
            book = json_book(payload)
            t0 = time.perf_counter()
            excel.score(book)
            clicks.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            write_back(run(wb), wb, Path(tmp) / "out.xlsx")
            files.append(time.perf_counter() - t0)
        n_actions = len(book.json()["actions"])
        script = ("import os, sys, time; os.environ.setdefault('XLWINGS_LICENSE_KEY', 'noncommercial'); "
                  "t = time.perf_counter(); import perfxl.excel as e; "
                  "from devtools.xlwings_json import json_book, workbook_json; "
                  f"e.score(json_book(workbook_json({str(wb)!r}))); print(time.perf_counter() - t)")
        cold = [float(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True).stdout.strip())
                for _ in range(3)]
    click, file = statistics.median(clicks), statistics.median(files)
    print(f"one click, warm (xlwings read + validate + score + draw, {n_actions} actions): {click * 1000:7.1f} ms")
    print(f"same work on the file (calamine read ... openpyxl save)              : {file * 1000:7.1f} ms")
    print(f"ratio click / file                                                  : {click / file:7.2f}×")
    print(f"first click in a fresh Python (imports + pandera warm-up)           : {statistics.median(cold):7.2f} s"
          f"  (in this process: {first:.2f} s)")


if __name__ == "__main__":
    main()
