"""Helpers shared by the benchmark scripts: generated workbooks and a timer."""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def indicator_rows(n: int = 60) -> list[dict]:
    """n indicators cycling through the public example's rules, weights adding up to 100."""
    from perfxl.builtin import examples

    base = [r for r in examples()[0]["rows"]]
    rows = []
    big = n // 3                      # `big` rows of weight w2, the rest of weight w1
    w2 = 2.0
    w1 = (100 - big * w2) / (n - big)
    for i in range(n):
        src = dict(base[i % len(base)])
        src.pop("evaluator_score", None)
        src.update(code=i + 1, level1=f"一级{i // 20 + 1}", level2=f"二级{i // 5 + 1}",
                   name=f"{src['name']}{i + 1}", weight=w2 if i < big else round(w1, 6))
        rows.append(src)
    return rows


def make_workbook(path: Path, n: int = 60, **info) -> Path:
    from perfxl.files import atomic_save
    from perfxl.template import new_workbook

    info = {"unit": "基准测试单位", "year": 2024, **info}
    atomic_save(new_workbook(rows=indicator_rows(n), info=info, blank_rows=0), path)
    return path


def time_command(cmd: list[str], repeat: int = 7) -> float:
    """Median wall time of a whole process, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
