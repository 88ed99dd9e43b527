"""A 问卷星 export of 100,000 responses × 20 questions (plus its 6 metadata columns): perfxl reading
it (``import_export``), writing it into an evaluation workbook (``write_import``) and scoring that
workbook, against a bare python-calamine read of the export, in one run; then writing it again into the
scored workbook (``--replace``), where perfxl's formulas reading the answers get their results. Prints
the figures and the ratio; asserts nothing.

    python benchmarks/bench_survey_import.py [--responses 100000] [--questions 20] [--csv]
"""
from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path
from unittest import mock

import _common  # noqa: F401  (puts the repository on sys.path)

OPTIONS = ["非常满意", "满意", "一般", "不满意", "非常不满意"]


def make_export(path: Path, n: int, q: int, as_csv: bool) -> None:
    rnd = random.Random(7)
    head = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP",
            *(f"{i + 1}、您对第{i + 1}项服务是否满意？" for i in range(q))]
    rows = ([i + 1, f"2024/5/{1 + i % 28} 10:{i % 60:02d}:00", f"{60 + i % 300}秒", "手机提交", "直接访问",
             f"112.65.{i % 255}.{(i * 7) % 255}(上海-上海)", *rnd.choices(OPTIONS, weights=[45, 30, 15, 7, 3], k=q)]
            for i in range(n))
    if as_csv:
        with path.open("w", encoding="gbk", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(head)
            w.writerows(rows)
        return
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(head)
    for row in rows:
        ws.append(row)
    wb.save(path)


def make_target(path: Path) -> None:
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    rows = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="服务对象满意度", weight=60,
                 method="阈值扣分", params="≥90%得满分；每下降1%扣5%", source="问卷:服务对象"),
            dict(code=2, name="服务对象满意率", weight=40, method="得分率计分", source="问卷满意率:服务对象")]
    atomic_save(new_workbook(rows=rows, info={"unit": "某单位", "year": 2024}, blank_rows=0,
                             survey={"sets": [("服务对象", "全部", "服务对象")]}), path)


def bare_read(path: Path) -> int:
    if path.suffix == ".csv":
        with path.open(encoding="gbk", newline="") as fh:
            return sum(1 for _ in csv.reader(fh))
    import python_calamine

    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    return len(wb.get_sheet_by_index(0).to_python(skip_empty_area=False))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--csv", action="store_true", help="a GBK CSV export instead of .xlsx")
    args = ap.parse_args()
    from perfxl.score.pipeline import run
    from perfxl.survey.imports import import_export, write_import

    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / ("问卷星导出" + (".csv" if args.csv else ".xlsx"))
        target = Path(tmp) / "评分.xlsx"
        t0 = time.perf_counter()
        make_export(export, args.responses, args.questions, args.csv)
        make_target(target)
        print(f"made an export of {args.responses:,} responses × {args.questions} questions in "
              f"{time.perf_counter() - t0:.1f} s ({export.stat().st_size / 1e6:.1f} MB)")
        run(target)                                        # warm up imports and pandera
        t0 = time.perf_counter()
        bare_read(export)
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        imp = import_export(export, set_name="服务对象")
        parse = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_import(imp, target)
        write = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = run(target)
        score = time.perf_counter() - t0
        # the same answers again, into the scored workbook (same questions): perfxl's formulas reading the
        # answers are given their results, which costs one more scoring pass
        from perfxl.io.writeback import write_back

        write_back(result, target, in_place=True)
        scored = target.read_bytes()
        t0 = time.perf_counter()
        write_import(imp, target, replace=True)
        again = time.perf_counter() - t0
        target.write_bytes(scored)                         # baseline: the same import, results left out
        with mock.patch("perfxl.io.writeback.refreshed", lambda data, *_: data):
            t0 = time.perf_counter()
            write_import(imp, target, replace=True)
            again_bare = time.perf_counter() - t0
    total = parse + write + score
    reader = "csv module" if args.csv else "python-calamine"
    print(f"bare {reader} read of the export          : {bare:7.2f} s")
    print(f"perfxl import_export (read + recognise)   : {parse:7.2f} s   ({parse / bare:5.1f}× the bare read)")
    print(f"perfxl write_import (XML level, backup)   : {write:7.2f} s")
    print(f"perfxl read + validate + score the result : {score:7.2f} s")
    print(f"write_import again into the scored workbook: {again:7.2f} s   (its formulas' results refreshed; "
          f"{again_bare:.2f} s without them, ×{again / again_bare:.2f})")
    print(f"import, write and score together          : {total:7.2f} s   ({total / bare:5.1f}× the bare read)")
    st = result.survey.sets["服务对象"]
    print(f"total {result.total}; 服务对象: 样本量 {st.sample:,}，有效回答 {st.valid:,}，得分率 {st.rate:.2%}，"
          f"满意率 {st.satisfied:.2%}")


if __name__ == "__main__":
    main()
