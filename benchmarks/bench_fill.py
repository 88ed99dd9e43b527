"""`perfxl fill` from a roster of N units into a live template (the 部门整体 framework, whose 派生指标,
sourced indicators and 得分汇总 read the filled 基础数据), against, in the same run, the loop people
write by hand: openpyxl loads the template, sets the same cells, saves (its outputs keep no formula
result and lose what openpyxl cannot read). Prints wall times and the ratio; asserts nothing.

    python benchmarks/bench_fill.py [--units 200]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)

HEADER = ["单位名称", "评价年度", "年初预算数", "调整后预算数", "决算支出数", "政府采购预算数", "政府采购实际数",
          "编制数", "在职人数"]

NAIVE = """
import sys
from openpyxl import load_workbook

template, roster, out = sys.argv[1:4]
rows = list(load_workbook(roster, read_only=True).active.iter_rows(values_only=True))
head, body = rows[0], rows[1:]
wb0 = load_workbook(template)
where = {}
for name in ("基本信息", "基础数据"):
    for row in wb0[name].iter_rows(min_col=1, max_col=1):
        if row[0].value in head:
            where[row[0].value] = (name, row[0].row)
for values in body:
    wb = load_workbook(template)
    for label, value in zip(head, values):
        if label in where:
            sheet, r = where[label]
            wb[sheet].cell(row=r, column=2).value = value
    wb.save(f"{out}/{values[0]}.xlsx")
print(len(where), "fields")
"""


def make_roster(path: Path, units: int) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(HEADER)
    for i in range(units):
        ws.append([f"单位{i + 1:04d}", 2024, 500 + i, 520 + i, 480 + i % 40, 60, 50 + i % 10, 40, 38])
    wb.save(path)


def timed(cmd: list[str], cwd: Path) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stdout + proc.stderr)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        subprocess.run([sys.executable, "-m", "perfxl", "template", "-f", "部门整体", "-o", "模板.xlsx"], cwd=d,
                       check=True, capture_output=True)
        make_roster(d / "名单.xlsx", args.units)
        (d / "naive").mkdir()
        naive = timed([sys.executable, "-c", NAIVE, "模板.xlsx", "名单.xlsx", "naive"], d)
        perfxl = timed([sys.executable, "-m", "perfxl", "fill", "名单.xlsx", "-t", "模板.xlsx", "-o", "分发"], d)
        made = len(list((d / "分发").glob("*.xlsx")))
        made_naive = len(list((d / "naive").glob("*.xlsx")))
    n = args.units
    print(f"=== fill: {n} units into the 部门整体 template ===")
    print(f"naive openpyxl load/set/save loop : {naive:7.2f} s  ({naive / n * 1000:6.1f} ms/unit), {made_naive} files")
    print(f"perfxl fill (CLI)                 : {perfxl:7.2f} s  ({perfxl / n * 1000:6.1f} ms/unit), {made} files")
    print(f"perfxl / naive: {perfxl / naive:.2f}×   (perfxl's outputs also carry every formula's result for the "
          "filled figures and keep every part of the template)")


if __name__ == "__main__":
    main()
