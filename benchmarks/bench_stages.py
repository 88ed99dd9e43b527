"""Where a consolidation's time goes, per workbook and stage by stage, in one process, against the bare
python-calamine read that bench_consolidate.py takes as its baseline. Each row adds one stage to the
one before, over the same files:

  (b)  python-calamine: open, read 基本信息 and 指标评分 (the baseline)
  (b7) python-calamine: open, read every sheet perfxl models a workbook from
  read perfxl's read step: package checks (zip bounds, XML prologs), those sheets, number formats,
       hidden rows, formulas
  load + the model (Evaluation: tables found, values typed)
  score + validation (pandera, one call per chunk) and scoring (the rule engine): score_chunk

Run on a quiet machine; prints ms per workbook for each and its ratio to (b).

    python benchmarks/bench_stages.py [--files 200] [--keep DIR]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _common import kept_collection


def timed(fn, files: list[Path], repeat: int) -> float:
    """Best of ``repeat`` runs, ms per file."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(files)
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / len(files)


def calamine_two(files):
    import python_calamine

    for f in files:
        wb = python_calamine.CalamineWorkbook.from_path(str(f))
        wb.get_sheet_by_name("基本信息").to_python()
        wb.get_sheet_by_name("指标评分").to_python()


def calamine_all(files):
    import python_calamine

    from perfxl.model.evaluation import sheets_to_read

    choose = sheets_to_read()
    for f in files:
        wb = python_calamine.CalamineWorkbook.from_path(str(f))
        for name in choose(wb.sheet_names):
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)


def read(files):
    from perfxl.io.read import read_book
    from perfxl.model.evaluation import sheets_to_read, sheets_with_numbers

    for f in files:
        read_book(f, sheets_to_read(), formats=sheets_with_numbers())


def load(files):
    from perfxl.io.read import read_book
    from perfxl.model.evaluation import load as model
    from perfxl.model.evaluation import sheets_to_read, sheets_with_numbers

    for f in files:
        model(f, read_book(f, sheets_to_read(), formats=sheets_with_numbers()))


def score(files, chunk: int = 64):
    from perfxl.score.pipeline import score_chunk

    for i in range(0, len(files), chunk):
        score_chunk(files[i:i + chunk])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--saved-by", choices=("openpyxl", "libreoffice"), default="openpyxl",
                    help="as openpyxl writes them, or saved again by LibreOffice (see bench_consolidate.py)")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="perfxl-bench-stages-"))
    name = f"stages-{args.files}" + ("-libreoffice" if args.saved_by == "libreoffice" else "")
    files = sorted(kept_collection(base / name, args.files, saved_by=args.saved_by).glob("*.xlsx"))
    score(files[:8])                               # imports and first-use caches out of the timings
    rows = [("(b) calamine: 基本信息 + 指标评分 (baseline)", calamine_two),
            ("(b7) calamine: every sheet perfxl models from", calamine_all),
            ("read: perfxl's read step", read),
            ("load: + the model", load),
            ("score: + validation and scoring (score_chunk)", score)]
    out = [(name, timed(fn, files, args.repeat)) for name, fn in rows]
    base_ms = out[0][1]
    print(f"{len(files)} workbooks × 60 indicators, saved by {args.saved_by}, one process, best of {args.repeat}")
    for name, ms in out:
        print(f"  {name:50} {ms:6.2f} ms/file  {ms / base_ms:5.2f}× (b)")


if __name__ == "__main__":
    main()
