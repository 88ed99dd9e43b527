"""Shared fixtures: a real LibreOffice to open what perfxl writes, the CLI as a user runs it,
and builders for filled and broken workbooks."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "workbook_templates" / "examples" / "青云谱区总工会2022_部门整体支出绩效评价.xlsx"


# --- markers: lo, cli, slow (the fast subset is ``pytest -m "not lo and not slow"``) -----------

#: fixtures that start LibreOffice or its Python bridge
LO_FIXTURES = {"soffice", "lo_inspect", "uno", "lo"}
#: modules whose tests are slow as a whole (big collections, fuzzing, clusters)
SLOW_MODULES = {"test_fuzz", "test_golden", "test_consolidate"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & LO_FIXTURES:
            item.add_marker(pytest.mark.lo)
        if "cli" in names:
            item.add_marker(pytest.mark.cli)
        if item.module is not None and item.module.__name__.rpartition(".")[2] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


# --- LibreOffice -------------------------------------------------------------------

def _soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="session")
def soffice(tmp_path_factory) -> "LibreOffice":
    exe = _soffice()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) 不可用：CI 中需要它来打开 perfxl 写出的文件")
        pytest.skip("LibreOffice (soffice) not installed")
    return LibreOffice(exe, tmp_path_factory.mktemp("lo-profile"))


class LibreOffice:
    """A headless LibreOffice: what it sees in a file is what a user would see."""

    def __init__(self, exe: str, profile: Path):
        self.exe = exe
        self.profile = profile

    def convert(self, path: Path, filter_: str, outdir: Path) -> subprocess.CompletedProcess:
        outdir.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [self.exe, "--headless", "--norestore", f"-env:UserInstallation={self.profile.as_uri()}",
             "--convert-to", filter_, "--outdir", str(outdir), str(path)],
            capture_output=True, text=True, timeout=240)

    def sheets(self, path: Path) -> dict[str, list[list[str]]]:
        """Every sheet as LibreOffice reads it (raw cell values, via CSV export)."""
        outdir = path.parent / f"lo-csv-{path.stem}"
        shutil.rmtree(outdir, ignore_errors=True)
        proc = self.convert(path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                            outdir)
        out = {}
        for f in sorted(outdir.glob("*.csv")):
            name = f.stem[len(path.stem) + 1:]
            with f.open(encoding="utf-8", newline="") as fh:
                out[name] = list(csv.reader(fh))
        assert out, f"LibreOffice could not open {path}: {proc.stdout} {proc.stderr}"
        return out

    def pdf_text(self, path: Path) -> str:
        outdir = path.parent / f"lo-pdf-{path.stem}"
        proc = self.convert(path, "pdf", outdir)
        pdf = outdir / (path.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice could not convert {path}: {proc.stdout} {proc.stderr}"
        txt = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
        return txt.stdout


# --- the command line, as a user runs it ---------------------------------------------

class CliRun:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def text(self) -> str:
        return self.out + self.err

    def json(self) -> dict:
        """The one JSON document on standard output (standard JSON: no NaN or Infinity)."""
        return json.loads(self.out, parse_constant=_not_json)


def _not_json(name: str):
    raise AssertionError(f"non-standard JSON: {name}")


def run_cli(*args, cwd: Path, timeout: int = 300, prefix: tuple[str, ...] | list[str] = ()) -> CliRun:
    """``perfxl ARGS`` in a new process, as a user runs it (``prefix``: e.g. a command dropping rights);
    a traceback or a hang fails the test."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([*prefix, sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return CliRun(proc)


@pytest.fixture
def cli(tmp_path):
    def run(*args, cwd: Path | None = None) -> CliRun:
        return run_cli(*args, cwd=cwd or tmp_path)
    return run


# --- workbooks ------------------------------------------------------------------------

@pytest.fixture
def example(tmp_path) -> Path:
    """A private copy of the bundled public example."""
    target = tmp_path / EXAMPLE.name
    shutil.copy2(EXAMPLE, target)
    return target


def example_rows() -> list[dict]:
    from perfxl.model.frameworks import examples

    return [dict(r) for r in examples()["qingyunpu_2022"]["rows"]]


def example_info() -> dict:
    from perfxl.model.frameworks import examples

    return dict(examples()["qingyunpu_2022"]["info"])


def example_basic() -> dict:
    from perfxl.model.frameworks import examples

    return dict(examples()["qingyunpu_2022"]["basic"])


@pytest.fixture
def make_workbook(tmp_path):
    """Write a standard workbook from rows (dicts keyed by column key)."""
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    def make(rows=None, info=None, name="wb.xlsx", mutate=None, basic=None, **kw) -> Path:
        """Default: the public example's rows, 基本信息 and 基础数据."""
        if rows is None:
            rows, basic = example_rows(), example_basic() if basic is None else basic
        wb = new_workbook(rows=rows, info=example_info() if info is None else info, basic=basic,
                          blank_rows=0, **kw)
        if mutate:
            mutate(wb)
            relive(wb)
        path = tmp_path / name
        atomic_save(wb, path)
        return path
    return make


def project_panel(folder: Path, actuals: dict[str, str], others: tuple[tuple[str, str], ...] = ()) -> Path:
    """``folder`` (made) holding the bundled project example's workbook once per evaluator in
    ``actuals`` (evaluator -> the 实际值 of 改造小区数量, code 12), and once per (unit, evaluator) in
    ``others`` with the example's own figures: a unit scored by a panel, and units scored by one."""
    from perfxl.io.files import atomic_save
    from perfxl.model.frameworks import examples
    from perfxl.sheets.template import new_workbook

    ex = examples()["project_example"]
    folder.mkdir(parents=True, exist_ok=True)
    books = [(ex["info"]["unit"], who, actual) for who, actual in actuals.items()]
    books += [(unit, who, None) for unit, who in others]
    for unit, who, actual in books:
        rows_ = [dict(r, actual=actual if actual and str(r["code"]) == "12" else r.get("actual")) for r in ex["rows"]]
        info = {**ex["info"], "unit": unit, "evaluator": who}
        atomic_save(new_workbook(rows=rows_, info=info, basic=ex.get("basic"), survey=ex.get("survey_spec"),
                                 blank_rows=0), folder / f"{who if unit == ex['info']['unit'] else unit}.xlsx")
    return folder


def relive(wb) -> None:
    """After a test edits a perfxl workbook in openpyxl: its live formulas' cached results as a
    spreadsheet program would record them (perfxl recomputes them; a value typed over a formula stays and
    the formulas reading it see it), or none when it cannot be scored."""
    from perfxl.check.problems import UnusableInput
    from perfxl.io.xlsx import forget_cached
    from perfxl.sheets.template import make_live

    try:
        make_live(wb, keep=True)
    except UnusableInput:
        forget_cached(wb)


def simple_rows(n: int = 4) -> list[dict]:
    """n indicators of equal weight adding up to 100, all of the completion-ratio kind."""
    w = 100 / n
    return [dict(code=i + 1, level1="产出(100分)" if i == 0 else None, level2="数量", name=f"指标{i + 1}",
                 weight=w, method="完成比率", target="≥10次", actual=f"{10 - i}次") for i in range(n)]


@pytest.fixture(scope="session")
def lo(tmp_path_factory):
    """LibreOffice through UNO (devtools/lo_uno.py) for the formula tests; a temp-dir factory."""
    from formula_harness import uno_available

    uno_available()
    return tmp_path_factory
