"""The round-2 restructure must not cost time: import and `perfxl score`/`validate`/`--help` of this
tree against the same commands of a baseline revision (default: the last commit before the
restructure), run alternately in the same run and the same environment, on the same workbook.

Prints medians side by side and the ratio; asserts nothing.

    python benchmarks/bench_structure.py [--baseline 2dd5340] [--repeat 9] [--indicators 60]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from _common import ROOT, make_workbook

BASELINE = "2dd5340"        # "Test that every committed template ... opens in LibreOffice": round 1, landed


def checkout(rev: str, into: Path) -> Path:
    """The baseline's files (git archive), importable through PYTHONPATH."""
    archive = into / "base.tar"
    with archive.open("wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "base", filter="data")
    return into / "base"


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default=BASELINE)
    ap.add_argument("--repeat", type=int, default=9)
    ap.add_argument("--indicators", type=int, default=60)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = checkout(args.baseline, tmp)
        wb = make_workbook(tmp / "bench.xlsx", args.indicators)
        trees = {"baseline": base, "now": ROOT}
        cases = [
            ("import perfxl", ["-c", "import perfxl"]),
            ("perfxl --help", ["-m", "perfxl", "--help"]),
            ("perfxl validate", ["-m", "perfxl", "validate", str(wb)]),
            (f"perfxl score ({args.indicators} indicators, writes)", ["-m", "perfxl", "score", str(wb), "-o",
                                                                      str(tmp / "out.xlsx")]),
        ]
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.repeat):              # alternate, so that load on the machine hits both alike
            for name, cmd in cases:
                for tree, path in trees.items():
                    env = {**os.environ, "PYTHONPATH": str(path)}
                    times.setdefault((name, tree), []).append(timed([py, *cmd], env))
    print(f"baseline: {args.baseline}; median of {args.repeat} runs each, alternating\n")
    print(f"{'command':44} {'baseline s':>11} {'now s':>8} {'now/baseline':>13}")
    for name, _ in cases:
        b, n = statistics.median(times[(name, "baseline")]), statistics.median(times[(name, "now")])
        print(f"{name:44} {b:11.3f} {n:8.3f} {n / b:12.2f}×")


if __name__ == "__main__":
    main()
