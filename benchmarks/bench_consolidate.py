"""`perfxl consolidate` on generated filled workbooks, against, in the same run:

  (a) a naive loop of pandas.read_excel (openpyxl engine) over the same two sheets, then concat;
  (b) a bare python-calamine read of the same two sheets (no modelling, validation or scoring).

Every approach runs in its own process; wall time and peak memory (resident set of the process,
and of its whole process tree: main + workers) are measured from outside by sampling.
Goal (issue): ≥ 8× faster than (a), within 2× of (b). Prints the figures; asserts nothing.

    python benchmarks/bench_consolidate.py [--files 1000] [--indicators 60] [--jobs N]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, make_collection

INFO, INDICATORS = "基本信息", "指标评分"      # the two sheets perfxl.score.run reads

NAIVE = f"""
import sys, glob, pandas as pd
frames = []
for f in sorted(glob.glob(sys.argv[1] + "/*.xlsx")):
    sheets = pd.read_excel(f, sheet_name=[{INFO!r}, {INDICATORS!r}], engine="openpyxl")
    t = sheets[{INDICATORS!r}]
    t["文件"] = f
    frames.append(t)
print(len(pd.concat(frames)))
"""

CALAMINE = f"""
import sys, glob, python_calamine
rows = []
for f in sorted(glob.glob(sys.argv[1] + "/*.xlsx")):
    wb = python_calamine.CalamineWorkbook.from_path(f)
    info = wb.get_sheet_by_name({INFO!r}).to_python()
    rows.extend(wb.get_sheet_by_name({INDICATORS!r}).to_python())
print(len(rows))
"""

API = """
import sys, perfxl
c = perfxl.consolidate(sys.argv[1], jobs=int(sys.argv[2]))
print(c.found, c.included, len(c.detail))
"""


def measure(cmd: list[str]) -> dict:
    """Wall time, and peak RSS of the process and of its process tree (sampled every 20 ms)."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = {"main": 0, "tree": 0, "worker": 0}
    cpu: dict[int, float] = {}                      # pid -> last seen user+system seconds
    stop = threading.Event()

    def sample() -> None:
        try:
            root = psutil.Process(proc.pid)
        except psutil.NoSuchProcess:
            return
        while not stop.is_set():
            main, kids = 0, []
            for i, p in enumerate([root, *_children(root)]):
                try:
                    with p.oneshot():
                        rss, t = p.memory_info().rss, p.cpu_times()
                except psutil.Error:
                    continue
                cpu[p.pid] = t.user + t.system
                if i == 0:
                    main = rss
                else:
                    kids.append(rss)
            peak["main"] = max(peak["main"], main)
            peak["tree"] = max(peak["tree"], main + sum(kids))
            peak["worker"] = max(peak["worker"], max(kids, default=0))
            stop.wait(0.02)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode not in (0, 1):
        print(err, file=sys.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return {"wall": wall, "cpu": sum(cpu.values()), "out": out.strip(), **{k: v / 2**20 for k, v in peak.items()}}


def _children(root):
    import psutil

    try:
        return root.children(recursive=True)
    except psutil.Error:
        return []


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="perfxl-bench-") as tmp:
        folder = Path(tmp) / "collection"
        t0 = time.perf_counter()
        make_collection(folder, args.files, args.indicators, evaluators=2)
        print(f"generated {args.files} workbooks ({args.indicators} indicators each, 2 evaluators per unit) "
              f"in {time.perf_counter() - t0:.1f} s under {tmp}")
        small = Path(tmp) / "quarter"
        small.mkdir()
        for p in sorted(folder.glob("*.xlsx"))[: args.files // 4]:
            os.link(p, small / p.name)
        out = Path(tmp) / "汇总.xlsx"
        runs = [
            ("(a) pandas.read_excel(openpyxl) loop + concat", [py, "-c", NAIVE, str(folder)]),
            ("(b) bare python-calamine read, same sheets", [py, "-c", CALAMINE, str(folder)]),
            (f"perfxl consolidate --jobs {args.jobs} (CLI, writes 汇总.xlsx)",
             [py, "-m", "perfxl", "consolidate", str(folder), "-o", str(out), "--jobs", str(args.jobs), "--json"]),
            (f"perfxl.consolidate(jobs={args.jobs}) (API: tables, no workbook)",
             [py, "-c", API, str(folder), str(args.jobs)]),
            ("perfxl.consolidate(jobs=1) (API, one process)", [py, "-c", API, str(folder), "1"]),
            (f"perfxl.consolidate(jobs={args.jobs}) on a quarter of the files",
             [py, "-c", API, str(small), str(args.jobs)]),
        ]
        res = {}
        load_before = os.getloadavg()
        for name, cmd in runs:
            if out.exists():
                out.unlink()
            res[name] = measure(cmd)
            print(f"  done: {name}: {res[name]['wall']:.1f} s", file=sys.stderr)
    print(f"\n{os.cpu_count()} cores; load average before/after: {load_before[0]:.2f} / {os.getloadavg()[0]:.2f} "
          "(other work on the machine slows every row alike)")
    print(f"{'approach':62} {'wall s':>8} {'ms/file':>8} {'cpu s':>7} {'peak MB':>8} {'tree MB':>8} "
          f"{'worker MB':>9}")
    for name, r in res.items():
        n = args.files // 4 if "quarter" in name else args.files
        print(f"{name:62} {r['wall']:8.2f} {1000 * r['wall'] / n:8.2f} {r['cpu']:7.1f} {r['main']:8.0f} "
              f"{r['tree']:8.0f} {r['worker']:9.0f}")
    print("(cpu s: user+system seconds of the whole process tree; less sensitive to other load than wall s)")
    a, b, c, d = (res[runs[i][0]] for i in range(4))
    print()
    for what in ("wall", "cpu"):
        print(f"[{what}] speed-up over (a), CLI incl. writing the summary workbook: {a[what] / c[what]:5.2f}×   "
              "(goal ≥ 8×)")
        print(f"[{what}] speed-up over (a), API tables only:                        {a[what] / d[what]:5.2f}×")
        print(f"[{what}] CLI / (b) bare calamine read:                              {c[what] / b[what]:5.2f}×   "
              "(goal ≤ 2×)")
        print(f"[{what}] API / (b) bare calamine read:                              {d[what] / b[what]:5.2f}×")
    q, full = res[runs[5][0]], res[runs[3][0]]
    print(f"peak memory, main process: {q['main']:.0f} MB for {args.files // 4} files, {full['main']:.0f} MB for "
          f"{args.files} files; largest worker {q['worker']:.0f} / {full['worker']:.0f} MB")


if __name__ == "__main__":
    main()
