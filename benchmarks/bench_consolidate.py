"""`perfxl consolidate` on generated filled workbooks, against, in the same run:

  (a) a naive loop of pandas.read_excel (openpyxl engine) over the same two sheets, then concat;
  (b) a bare python-calamine read of the same two sheets (no checks, modelling, validation or scoring).

Every approach runs in its own process; wall time, CPU seconds (user + system of the whole process
tree) and peak memory (resident set of the main process, of the largest worker, of the tree) are
measured from outside by sampling. Goal (issue 16): the CLI, writing the summary workbook, ≥ 8×
faster than (a) and within 2× of (b) (wall time: what a person waits); the CPU ratios are reported
beside. Prints the figures; asserts nothing.

    python benchmarks/bench_consolidate.py [--files 1000,10000] [--indicators 60] [--jobs N]
                                           [--repeat R] [--keep DIR] [--saved-by libreoffice] [--goal-only]

``--keep DIR`` builds the collections there once and reuses them in later runs (10,000 workbooks take
minutes to generate). ``--repeat R`` runs every approach R times, alternating, and keeps each one's
fastest run (the machine is shared: other work slows a run, never speeds it up). ``--saved-by
libreoffice`` measures workbooks as a person's spreadsheet program saves them: generated as usual, then
opened and saved again by LibreOffice (formula results cached, shared strings; about 0.5 s per workbook,
once; the default): openpyxl writes formulas without their results, which no user's file looks like
(``--saved-by openpyxl``: quicker to generate, kept for comparison).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, kept_collection

INFO, INDICATORS = "基本信息", "指标评分"      # the sheets the baselines read

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

#: perfxl's reading step alone (the sheets it needs, number formats, hidden rows, formulas, package
#: checks) on the same number of processes, chunked as the CLI chunks: no modelling, validation,
#: scoring or summary. What any consolidation must spend before it does its own work.
READ_ONLY = """
import sys, glob, multiprocessing as mp
from perfxl.io.read import read_book
from perfxl.model.evaluation import sheets_to_read

def chunk(paths):
    return sum(len(read_book(p, sheets_to_read()).sheets) for p in paths)

if __name__ == "__main__":
    files, jobs = sorted(glob.glob(sys.argv[1] + "/*.xlsx")), int(sys.argv[2])
    size = max(1, min(64, len(files) // (8 * jobs)))
    parts = [files[i:i + size] for i in range(0, len(files), size)]
    with mp.get_context("fork").Pool(jobs) as pool:
        print(sum(pool.imap_unordered(chunk, parts)))
"""

API = """
import sys, perfxl
c = perfxl.consolidate(sys.argv[1], jobs=int(sys.argv[2]))
print(c.found, c.included, len(c.detail))
"""


#: how often the process tree is sampled. Every 20 ms cost the measured run about 0.45 s of a 12.5 s CLI run on
#: 2 cores (3.5%): the sampler competes for a core only with a run that keeps both busy, not with a one-process
#: baseline. Peaks come from the kernel's high-water mark, which no interval misses; a process's CPU seconds after
#: its last sample are lost (at most 0.1 s per process: under 2% of any 1,000-file run).
SAMPLE_EVERY = 0.1


def _peak_rss(p) -> int:
    """The process's peak resident memory so far (Linux: VmHWM), else its resident memory now."""
    try:
        with open(f"/proc/{p.pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return p.memory_info().rss


def measure(cmd: list[str]) -> dict:
    """Wall time, CPU seconds and peak RSS of the process, its largest child and its whole tree
    (sampled every ``SAMPLE_EVERY`` seconds; the tree's peak is the sum of its processes' peaks, an upper bound)."""
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
                        rss, t = _peak_rss(p), p.cpu_times()
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
            stop.wait(SAMPLE_EVERY)

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


def collection(base: Path, files: int, indicators: int, saved_by: str = "openpyxl") -> Path:
    name = f"collection-{files}x{indicators}" + ("-libreoffice" if saved_by == "libreoffice" else "")
    return kept_collection(base / name, files, evaluators=2, n=indicators, tell=True, saved_by=saved_by)


def run_size(base: Path, files: int, args) -> None:
    py = sys.executable
    folder = collection(base, files, args.indicators, args.saved_by)
    quarter = base / (f"quarter-{files}x{args.indicators}" + ("-libreoffice" if args.saved_by == "libreoffice" else ""))
    if not quarter.exists():
        quarter.mkdir()
        for p in sorted(folder.glob("*.xlsx"))[: files // 4]:
            os.link(p, quarter / p.name)
    out = base / "汇总.xlsx"
    runs = [
        ("(a) pandas.read_excel(openpyxl) loop + concat", [py, "-c", NAIVE, str(folder)]),
        ("(b) bare python-calamine read, same sheets", [py, "-c", CALAMINE, str(folder)]),
        (f"perfxl consolidate --jobs {args.jobs} (CLI, writes 汇总.xlsx)",
         [py, "-m", "perfxl", "consolidate", str(folder), "-o", str(out), "--jobs", str(args.jobs), "--json"]),
        (f"perfxl.consolidate(jobs={args.jobs}) (API: tables, no workbook)",
         [py, "-c", API, str(folder), str(args.jobs)]),
        (f"perfxl's reading step alone, {args.jobs} processes (the floor)",
         [py, "-c", READ_ONLY, str(folder), str(args.jobs)]),
        (f"perfxl.consolidate(jobs={args.jobs}) on a quarter of the files",
         [py, "-c", API, str(quarter), str(args.jobs)]),
    ]
    if args.goal_only:
        runs = runs[:3]
    elif args.serial:
        runs.append(("perfxl.consolidate(jobs=1) (API, one process)", [py, "-c", API, str(folder), "1"]))
    res: dict[str, dict] = {}
    loads = [os.getloadavg()[0]]
    for rep in range(args.repeat):
        for name, cmd in runs:
            if out.exists():
                out.unlink()
            r = measure(cmd)
            loads.append(os.getloadavg()[0])
            if name not in res or r["wall"] < res[name]["wall"]:
                res[name] = r
            print(f"  [{files:,} files, run {rep + 1}/{args.repeat}] {name}: {r['wall']:.1f} s wall, "
                  f"{r['cpu']:.1f} s cpu (load {loads[-1]:.1f})", file=sys.stderr, flush=True)
    print(f"\n=== {files:,} workbooks × {args.indicators} indicators, saved by {args.saved_by}; "
          f"{os.cpu_count()} cores; "
          f"best of {args.repeat}; load average (1 min) during the runs {min(loads):.1f}–{max(loads):.1f} ===")
    print(f"{'approach':62} {'wall s':>8} {'ms/file':>8} {'cpu s':>7} {'main MB':>8} {'worker MB':>9} "
          f"{'tree MB':>8}")
    for name, r in res.items():
        n = files // 4 if "quarter" in name else files
        print(f"{name:62} {r['wall']:8.2f} {1000 * r['wall'] / n:8.2f} {r['cpu']:7.1f} {r['main']:8.0f} "
              f"{r['worker']:9.0f} {r['tree']:8.0f}")
    print("(cpu s: user+system seconds of the whole process tree, less sensitive to other load than wall s;\n"
          " main MB / worker MB: peak resident memory of the main process / of the largest worker)")
    a, b, c = (res[runs[i][0]] for i in range(3))
    print()
    for what in ("wall", "cpu"):
        goal = what == "wall"
        print(f"[{what:4}] CLI (with the summary workbook) vs (a) naive loop:  {a[what] / c[what]:6.2f}× faster "
              + ("(goal ≥ 8×)" if goal else "(reported)"))
        print(f"[{what:4}] CLI (with the summary workbook) / (b) calamine read: {c[what] / b[what]:6.2f}×        "
              + ("(goal ≤ 2×)" if goal else "(reported)"))
        if len(runs) > 3:
            d = res[runs[3][0]]
            print(f"[{what:4}] API tables only vs (a):                           {a[what] / d[what]:6.2f}× faster")
            print(f"[{what:4}] API tables only / (b):                            {d[what] / b[what]:6.2f}×")
    if len(runs) <= 3:
        return
    f = res[runs[4][0]]
    for what in ("wall", "cpu"):
        print(f"[{what:4}] perfxl's reading step alone / (b): {f[what] / b[what]:6.2f}×; its share of the CLI: "
              f"{100 * f[what] / c[what]:.0f}%")
    q = res[runs[5][0]]
    print(f"memory: main process {q['main']:.0f} MB for {files // 4:,} files, {d['main']:.0f} MB for {files:,} "
          f"(the result tables); largest worker {q['worker']:.0f} / {d['worker']:.0f} MB (flat: one chunk each)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", default="1000", help="comma-separated collection sizes, e.g. 1000,10000")
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--serial", action="store_true", help="also time the API in one process")
    ap.add_argument("--goal-only", action="store_true",
                    help="only what the goals compare: (a), (b) and the CLI (a 10,000-file run is shorter by half)")
    ap.add_argument("--keep", type=Path, default=None, help="generate the collections here and reuse them")
    ap.add_argument("--saved-by", choices=("openpyxl", "libreoffice"), default="libreoffice",
                    help="the workbooks opened and saved again by LibreOffice as a person's spreadsheet program "
                         "saves them (about 0.5 s of CPU each, once; the default), or as openpyxl writes them "
                         "(no formula results)")
    args = ap.parse_args()
    sizes = [int(x) for x in args.files.split(",") if x.strip()]
    base = args.keep or Path(tempfile.mkdtemp(prefix="perfxl-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        for files in sizes:
            run_size(base, files, args)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
