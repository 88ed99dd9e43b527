"""`perfxl report 汇总.xlsx` for a consolidation of many units, against, in the same run, the way it was
made before: the workbooks scored for the consolidation in one process (jobs=1), then each scored again
for the report, and every chart drawn in the main process one after another. Both write the same
document (compared byte for byte). Each run in its own process; prints wall times and the ratio.
Then `perfxl report 汇总.xlsx --each` (one report per unit) against the one bound report: its time and
the size of the largest unit's document.

    python benchmarks/bench_report.py [--units 40] [--evaluators 2] [--keep DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import ROOT, kept_collection

BEFORE = """
import sys
import perfxl
import perfxl.batch.pool as pool
from perfxl.batch.reopen import read_summary

pool.default_jobs = lambda: 1                           # charts drawn in this process
from pathlib import Path
book = read_summary(Path(sys.argv[1]))
cons = perfxl.consolidate(book.files, jobs=1, panel=book.panel)   # compact records: scored again
perfxl.report(cons, output=sys.argv[2])
"""


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr}")
    return time.perf_counter() - t0


def same(a: Path, b: Path) -> bool:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        return za.namelist() == zb.namelist() and all(za.read(n) == zb.read(n) for n in za.namelist())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=40)
    ap.add_argument("--evaluators", type=int, default=2)
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="perfxl-bench-report-"))
    folder = kept_collection(base / f"report-{args.units}x{args.evaluators}", args.units * args.evaluators,
                             evaluators=args.evaluators)
    summary = base / f"汇总-{args.units}.xlsx"
    if not summary.exists():
        run([sys.executable, "-m", "perfxl", "consolidate", str(folder), "-o", str(summary)])
    before, after = base / "before.docx", base / "after.docx"
    for f in (before, after):
        f.unlink(missing_ok=True)
    t_before = run([sys.executable, "-c", BEFORE, str(summary), str(before)])
    t_after = run([sys.executable, "-m", "perfxl", "report", str(summary), "-o", str(after)])
    load = Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"report of {args.units} units × {args.evaluators} evaluators (60 indicators each), load {load}")
    print(f"  before (scored twice, charts in one process): {t_before:7.1f} s")
    print(f"  perfxl report 汇总.xlsx:                       {t_after:7.1f} s   ({t_before / t_after:.2f}× faster)")
    print(f"  same document: {same(before, after)}; {after.stat().st_size / 2**20:.1f} MB")
    each = base / "each"
    if each.exists():
        for f in each.iterdir():
            f.unlink()
    t_each = run([sys.executable, "-m", "perfxl", "report", str(summary), "--each", "-o", str(each)])
    sizes = sorted(f.stat().st_size for f in each.glob("*.docx"))
    print(f"  perfxl report 汇总.xlsx --each:                {t_each:7.1f} s   ({t_each / t_after:.2f}× the bound "
          f"report's time); {len(sizes)} documents, the largest {sizes[-1] / 2**20:.2f} MB")


if __name__ == "__main__":
    main()
