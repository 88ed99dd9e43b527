"""`perfxl score` on a 60-indicator workbook, whole process, against the bare import of the
libraries it needs (`python -c "import pandas, pandera, openpyxl"`) in the same run.

Goal (issue 2): under 0.3 s above the baseline; `perfxl --help` should not pay for pandas.
Prints the figures; asserts nothing.

    python benchmarks/bench_score.py [--indicators 60] [--repeat 7]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _common import make_workbook, time_command


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--indicators", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        wb = make_workbook(Path(tmp) / "bench.xlsx", args.indicators)
        out = Path(tmp) / "out.xlsx"
        # pandera imports hypothesis (when installed) on its first validation: +~0.1 s that a user's
        # install (`pip install perfxl`, no test extras) does not pay. Measure both.
        as_user = [py, "-c", "import sys; sys.modules['hypothesis'] = None; sys.argv[0] = 'perfxl'; "
                             "from perfxl.cli.app import main; main()"]
        rows = [
            ("python -c pass", [py, "-c", "pass"]),
            ("import pandas, pandera, openpyxl (baseline)", [py, "-c", "import pandas, pandera, openpyxl"]),
            (f"perfxl score ({args.indicators} indicators, writes file)",
             [py, "-m", "perfxl", "score", str(wb), "-o", str(out)]),
            ("perfxl score, as a user's install (no hypothesis)", [*as_user, "score", str(wb), "-o", str(out)]),
            ("perfxl validate", [py, "-m", "perfxl", "validate", str(wb)]),
            ("perfxl --help", [py, "-m", "perfxl", "--help"]),
            ("import pandas", [py, "-c", "import pandas"]),
        ]
        t = {name: time_command(cmd, args.repeat) for name, cmd in rows}
    base = t["import pandas, pandera, openpyxl (baseline)"]
    score = t[f"perfxl score ({args.indicators} indicators, writes file)"]
    print(f"{'command':55} {'median s':>9}")
    for name, secs in t.items():
        print(f"{name:55} {secs:9.3f}")
    print()
    user = t["perfxl score, as a user's install (no hypothesis)"]
    print(f"perfxl score − baseline = {score - base:+.3f} s in this environment (ratio {score / base:.2f}×)")
    print(f"perfxl score − baseline = {user - base:+.3f} s as a user's install   (goal: < 0.300 s)")
    print(f"perfxl --help − python -c pass = {t['perfxl --help'] - t['python -c pass']:+.3f} s; "
          f"import pandas alone costs {t['import pandas'] - t['python -c pass']:.3f} s")


if __name__ == "__main__":
    main()
