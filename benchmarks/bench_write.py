"""Writing a scored workbook back: perfxl's XML-level writer against the openpyxl round trip it
replaced (load the package, draw, save), on the same result, in the same run. Prints median times,
the ratio, and the size of each output next to the input's.

    python benchmarks/bench_write.py [--indicators 60] [--responses 20000] [--repeat 7]

Workbooks: the standard template filled with N indicators (as perfxl template writes it); the same
with a 问卷 sheet of many answers (a big sheet perfxl does not draw on); and the same saved by
LibreOffice (shared strings, its own styles), when LibreOffice is installed.
"""
from __future__ import annotations

import argparse
import io
import shutil
import statistics
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path

from _common import make_workbook


def openpyxl_round_trip(data: bytes, result) -> bytes:
    from openpyxl import load_workbook

    from perfxl.sheets.apply import apply
    from perfxl.sheets.canvas import OpenpyxlCanvas

    wb = load_workbook(io.BytesIO(data))
    apply(OpenpyxlCanvas(wb), result)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def xml_write(data: bytes, result) -> bytes:
    from perfxl.io.xlsx.book import Book
    from perfxl.sheets.apply import apply
    from perfxl.sheets.canvas import XmlCanvas

    book = Book(data)
    apply(XmlCanvas(book), result)
    return book.save()


def median_time(fn, repeat: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def with_survey(path: Path, responses: int) -> Path:
    from openpyxl import load_workbook

    from perfxl.io.files import atomic_save
    from perfxl.model import layout as L

    wb = load_workbook(path)
    ws = wb[L.SHEET_SURVEY]
    answers = ["非常满意", "满意", "一般", "不满意"]
    for i in range(responses):
        ws.append([i + 1, "职工", *(answers[(i + q) % 4] for q in range(20))])
    out = path.with_name(path.stem + "_问卷.xlsx")
    atomic_save(wb, out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--responses", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from perfxl.score.pipeline import run

    tmp = Path(tempfile.mkdtemp(prefix="perfxl-bench-write-"))
    try:
        base = make_workbook(tmp / "标准.xlsx", n=args.indicators)
        cases = {f"{args.indicators} 个指标": base,
                 f"+ 问卷 {args.responses:,} 份": with_survey(base, args.responses)}
        soffice = shutil.which("soffice")
        if soffice:
            subprocess.run([soffice, "--headless", "--convert-to", "xlsx", "--outdir", str(tmp / "lo"), str(base)],
                           capture_output=True, timeout=300)
            if (tmp / "lo" / base.name).exists():
                cases["LibreOffice 保存的"] = tmp / "lo" / base.name
        print(f"{'workbook':24s} {'input':>9s} {'openpyxl':>10s} {'XML':>9s} {'ratio':>7s}   "
              f"{'openpyxl out':>12s} {'XML out':>9s}")
        for name, path in cases.items():
            data = path.read_bytes()
            result = run(path)
            t_old, old = median_time(partial(openpyxl_round_trip, data, result), args.repeat)
            t_new, new = median_time(partial(xml_write, data, result), args.repeat)
            print(f"{name:24s} {len(data) / 1024:7.0f} KB {t_old * 1000:7.0f} ms {t_new * 1000:6.0f} ms "
                  f"{t_old / t_new:6.1f}×   {len(old) / 1024:9.0f} KB {len(new) / 1024:6.0f} KB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
