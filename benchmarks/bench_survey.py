"""A questionnaire of 100,000 responses × 20 questions: perfxl's scoring of the workbook
against the bare python-calamine read of the same sheets, in one run.

Goal (issue 3): well under a second above reading time. Prints the figures; asserts nothing.

    python benchmarks/bench_survey.py [--responses 100000] [--questions 20]
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)

OPTIONS = ["非常满意", "满意", "一般", "不满意", "非常不满意"]


def make(path: Path, n: int, q: int) -> None:
    """A minimal evaluation workbook with a big questionnaire (openpyxl write-only: fast to make)."""
    from openpyxl import Workbook

    from perfxl.model import layout as L
    rnd = random.Random(7)
    wb = Workbook(write_only=True)
    ind = wb.create_sheet(L.SHEET_INDICATORS)
    ind.append(["编号", "一级指标", "二级指标", "三级指标", "分值", "计分方法", "计分参数", "数据来源", "实际值"])
    ind.append([1, "效益(100分)", "满意度(100分)", "服务对象满意度", 60, "阈值扣分", "≥90%得满分；每下降1%扣5%",
                "问卷:服务对象", None])
    ind.append([2, None, None, "工作人员满意度", 40, "得分率计分", None, "问卷满意率:工作人员", None])
    survey = wb.create_sheet(L.SHEET_SURVEY)
    questions = [f"题{i + 1}" for i in range(q)]
    survey.append(["编号", "对象类别", *questions])
    weights = [45, 30, 15, 7, 3]
    for i in range(n):
        group = "服务对象" if i % 5 else "工作人员"
        survey.append([i + 1, group, *rnd.choices(OPTIONS, weights=weights, k=q)])
    setup = wb.create_sheet(L.SHEET_SURVEY_SETUP)
    setup.append(list(L.SURVEY_OPTION_HEADER))
    for label, w, happy in L.DEFAULT_SURVEY_OPTIONS:
        setup.append([label, w, "是" if happy else "否"])
    setup.append([])
    setup.append(list(L.SURVEY_SET_HEADER))
    setup.append(["服务对象", "全部", "服务对象"])
    setup.append(["工作人员", "全部", "工作人员"])
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--responses", type=int, default=100_000)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import python_calamine

    from perfxl.score.pipeline import run

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "survey.xlsx"
        t0 = time.perf_counter()
        make(path, args.responses, args.questions)
        print(f"made {args.responses:,} responses × {args.questions} questions in {time.perf_counter() - t0:.1f} s "
              f"({path.stat().st_size / 1e6:.1f} MB)")
        run(path)                                    # warm up imports and pandera
        from perfxl.model.evaluation import load

        read, score, safe = [], [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            wb = python_calamine.CalamineWorkbook.from_path(str(path))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            read.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            load(path)                               # perfxl's own read: bounds checks, then calamine
            safe.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            result = run(path)
            score.append(time.perf_counter() - t0)
    r, s, m = min(read), min(score), min(safe)
    print(f"bare python-calamine read of every sheet : {r:6.2f} s")
    print(f"perfxl read and model (size checks first): {m:6.2f} s")
    print(f"perfxl read + validate + score           : {s:6.2f} s")
    print(f"perfxl above the bare read               : {s - r:+6.2f} s   (goal: well under 1 s)")
    print(f"scoring above perfxl's own read          : {s - m:+6.2f} s")
    print(f"total {result.total}  sets: " + "; ".join(
        f"{k} 得分率 {v.rate:.2%} 满意率 {v.satisfied:.2%} (n={v.valid:,})" for k, v in result.survey.sets.items()))


if __name__ == "__main__":
    main()
