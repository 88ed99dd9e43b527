"""Writing a live workbook (every score, roll-up, 总分, 等级, 派生指标 and 问卷 rate a formula with its
cached value) against the static write it replaced (values only), on the same 60-indicator workbook,
in the same run. The static baseline is perfxl as it was before live formulas (``--baseline``, a git
revision, default the merge base with main's first live commit), exported from git into a temporary
folder and run in its own process with the same Python and libraries.

    python benchmarks/bench_live.py [--indicators 60] [--repeat 7] [--baseline c40da6b]

Two writes are timed (median of R, inside each process, imports excluded): ``perfxl score``'s
write-back of the scored workbook (XML level), and ``perfxl template``'s new workbook (built and
saved in memory).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from _common import ROOT, make_workbook

TIMER = r"""
import json, statistics, sys, time
path, repeat, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, sys.argv[5])
from _common import indicator_rows, example_basic
sys.path.insert(0, sys.argv[1])                  # the perfxl to time, ahead of any other
import perfxl
assert perfxl.__file__.startswith(sys.argv[1]), perfxl.__file__
from perfxl.io.xlsx import workbook_bytes
from perfxl.io.xlsx.book import Book
from perfxl.score.pipeline import run
from perfxl.sheets.apply import apply
from perfxl.sheets.canvas import XmlCanvas
from perfxl.sheets.template import new_workbook

data = open(path, "rb").read()
result = run(path)

def write():
    book = Book(data)
    apply(XmlCanvas(book), result)
    return book.save()

def template():
    wb = new_workbook(rows=indicator_rows(n), info={"unit": "基准测试单位", "year": 2024}, basic=example_basic(),
                      blank_rows=0)
    return workbook_bytes(wb)

def median(fn):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(out)

w, wsize = median(write)
t, tsize = median(template)
print(json.dumps({"write": w, "write_size": wsize, "template": t, "template_size": tsize}))
"""


def export(rev: str, into: Path) -> Path:
    """The ``perfxl`` package at git revision ``rev``, extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "perfxl"], check=True,
                             capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    tar = into / "src.tar"
    tar.write_bytes(archive)
    with tarfile.open(tar) as tf:
        tf.extractall(into, filter="data")
    return into


def timed(src: Path, path: Path, repeat: int, n: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", TIMER, str(src), str(path), str(repeat), str(n),
                           str(ROOT / "benchmarks")], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--baseline", default="c40da6b", help="git revision of the static writer")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        path = make_workbook(d / "wb.xlsx", n=args.indicators)
        static_src = export(args.baseline, d / "static")
        live = timed(ROOT, path, args.repeat, args.indicators)
        static = timed(static_src, path, args.repeat, args.indicators)
    print(f"{args.indicators} 个指标，各 {args.repeat} 次取中位数（静态基线：{args.baseline}）")
    for key, label in (("write", "perfxl score 写回"), ("template", "perfxl template 新建")):
        print(f"{label}：实时公式 {live[key] * 1000:.1f} ms（{live[key + '_size'] / 1024:.0f} KB），"
              f"静态 {static[key] * 1000:.1f} ms（{static[key + '_size'] / 1024:.0f} KB），"
              f"比值 {live[key] / static[key]:.2f}")


if __name__ == "__main__":
    main()
