"""What reading number formats costs: ``read_book`` as ``perfxl score`` calls it (percent formats from
styles.xml and the sheets' style ids, constant formulas, OpenDocument percentages; the questionnaire's
answers are not scanned) against the same read with the format scan switched off, alternately in one
run, on four workbooks (the two questionnaires also with every sheet scanned, the worst case):

  a 60-indicator evaluation as perfxl writes it, scored (its 得分率 column is percent-formatted);
  a 10,000-row indicator sheet, scored (10,000 percent cells: the worst case of the scan);
  a 40,000 × 20 questionnaire with a percent-formatted column (a big sheet the scan walks);
  the same questionnaire as .ods (content.xml walked for percentages).

Prints the median times and their ratio; asserts nothing.

    python benchmarks/bench_formats.py [--repeat 9]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import _common


def scored(path: Path, n: int) -> Path:
    """A workbook of ``n`` indicators written by ``perfxl score`` (percent-formatted 得分率)."""
    from perfxl import api

    src = _common.make_workbook(path.with_name(path.stem + "_in.xlsx"), n=n)
    api.score_file(src, output=path)
    return path


def questionnaire(path: Path, rows: int = 40_000, q: int = 20) -> Path:
    """A big 问卷 sheet whose last column holds percentages (openpyxl write-only: fast to make)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from perfxl.model import layout as L

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(L.SHEET_SURVEY)
    ws.append(["编号", "对象类别", *[f"题{i + 1}" for i in range(q)], "完成率"])
    for i in range(rows):
        pct = WriteOnlyCell(ws, value=(i % 100) / 100)
        pct.number_format = "0%"
        ws.append([i + 1, "服务对象", *(["满意"] * q), pct])
    wb.save(path)
    return path


def to_ods(path: Path) -> Path | None:
    import shutil
    import subprocess

    exe = shutil.which("soffice")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                        "--convert-to", "ods", "--outdir", str(path.parent), str(path)],
                       capture_output=True, timeout=600)
    out = path.with_suffix(".ods")
    return out if out.exists() else None


def timed(path: Path, scan: bool, repeat: int, every_sheet: bool) -> float:
    """Median time of reading ``path`` as perfxl score does (``every_sheet``: number formats read on
    every sheet, the questionnaire's answers included: the worst case), with or without the scan."""
    from perfxl.io import read
    from perfxl.model.evaluation import sheets_to_read, sheets_with_numbers

    original = read.percent_styles, read._scan_ods
    if not scan:
        read.percent_styles = lambda zf: {}
        read._scan_ods = lambda zf, sheets: {}
    try:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            read.read_book(path, sheets=sheets_to_read(), formats=None if every_sheet else sheets_with_numbers())
            times.append(time.perf_counter() - t0)
        return statistics.median(times)
    finally:
        read.percent_styles, read._scan_ods = original


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        books = {"60 个指标（已评分）": scored(tmp / "s60.xlsx", 60),
                 "10,000 个指标（已评分）": scored(tmp / "s10k.xlsx", 10_000),
                 "问卷 40,000 行 × 21 列": questionnaire(tmp / "q.xlsx")}
        ods = to_ods(books["问卷 40,000 行 × 21 列"])
        if ods is not None:
            books["同一问卷（.ods）"] = ods
        print(f"{'工作簿':<30}{'读取（含格式）':>14}{'读取（不读格式）':>16}{'比值':>8}")
        runs = [(name, path, False) for name, path in books.items()]
        runs += [(name + "，格式扫描问卷页", path, True) for name, path in books.items() if "问卷" in name]
        for name, path, every in runs:
            on, off = [], []
            for _ in range(3):                       # alternate, so that load on the machine hits both
                on.append(timed(path, True, args.repeat, every))
                off.append(timed(path, False, args.repeat, every))
            a, b = statistics.median(on), statistics.median(off)
            print(f"{name:<30}{a * 1000:>12.1f} ms{b * 1000:>14.1f} ms{a / b:>8.3f}")


if __name__ == "__main__":
    main()
