"""A workbook is opened, safety-checked and parsed once per command: ``perfxl score`` opens the
input file once and builds one zip directory of it (counted in the real command's process)."""
from __future__ import annotations

import json
import subprocess
import sys

COUNTER = r"""
import builtins, io, json, os, runpy, sys, zipfile
target = os.path.realpath(sys.argv[1])
counts = {"file_opens": 0, "zip_directories": 0}
real_open, real_init = io.open, zipfile.ZipFile.__init__

def counting_open(file, *a, **k):
    if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == target:
        counts["file_opens"] += 1
    return real_open(file, *a, **k)

def counting_init(self, file, *a, **k):
    name = file if isinstance(file, (str, os.PathLike)) else None
    if name is None or os.path.realpath(os.fsdecode(name)) == target:
        counts["zip_directories"] += 1
    return real_init(self, file, *a, **k)

io.open = builtins.open = counting_open
zipfile.ZipFile.__init__ = counting_init
sys.argv = ["perfxl", *sys.argv[2:]]
try:
    runpy.run_module("perfxl", run_name="__main__")
except SystemExit:
    pass
sys.stderr.write("COUNTS" + json.dumps(counts) + "\n")
"""


def counts(example, *args) -> dict:
    proc = subprocess.run([sys.executable, "-c", COUNTER, str(example), "score", str(example), *args, "--json"],
                          capture_output=True, text=True, timeout=300)
    line = next(ln for ln in proc.stderr.splitlines() if ln.startswith("COUNTS"))
    assert json.loads(proc.stdout)["total"] == 88.78
    return json.loads(line[len("COUNTS"):])


def test_score_without_writing_opens_the_input_once(example):
    assert counts(example, "--no-write") == {"file_opens": 1, "zip_directories": 1}


def test_score_opens_the_input_file_once_when_writing(example, tmp_path):
    assert counts(example, "-o", str(tmp_path / "out.xlsx"))["file_opens"] == 1
