"""Helpers shared by the benchmark scripts: generated workbooks and a timer."""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def indicator_rows(n: int = 60) -> list[dict]:
    """n indicators cycling through the public example's rules, weights adding up to 100."""
    from perfxl.model.frameworks import examples

    base = [r for r in examples()["qingyunpu_2022"]["rows"]]
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


def example_basic() -> dict:
    """The public example's 基础数据 (the derived figures of indicator_rows() need it)."""
    from perfxl.model.frameworks import examples

    return dict(examples()["qingyunpu_2022"]["basic"])


def make_workbook(path: Path, n: int = 60, basic: dict | None = None, **info) -> Path:
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    info = {"unit": "基准测试单位", "year": 2024, **info}
    basic = example_basic() if basic is None else basic
    atomic_save(new_workbook(rows=indicator_rows(n), info=info, basic=basic, blank_rows=0), path)
    return path


def make_collection(folder: Path, count: int, n: int = 60, evaluators: int = 1, seed: int = 0) -> list[Path]:
    """``count`` filled workbooks (units × ``evaluators``) as make_workbook writes them, each with its
    own unit, evaluator and a few 评价得分 (with 评价说明) so that totals differ. Built once, saved
    ``count`` times: fast enough for thousands of files."""
    import random

    from perfxl.model import layout as L
    from perfxl.sheets.template import new_workbook

    rows = indicator_rows(n)
    wb = new_workbook(rows=rows, info={"year": 2024, "kind": L.EVALUATION_TYPES[0]}, basic=example_basic(),
                      blank_rows=0)
    info_ws, ind = wb[L.SHEET_INFO], wb[L.SHEET_INDICATORS]
    info_row = {ws_row[0].value: ws_row[0].row for ws_row in info_ws.iter_rows(min_col=1, max_col=1)}
    header = {c.value: c.column for c in ind[1]}
    col_score, col_note = header[L.COLUMNS_BY_KEY["evaluator_score"].header], header[L.COLUMNS_BY_KEY["note"].header]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out, touched = [], []
    for i in range(count):
        unit, who = f"单位{i // evaluators + 1:04d}", f"评价人{i % evaluators + 1}"
        info_ws.cell(row=info_row[L.INFO_BY_KEY["unit"].label], column=2, value=unit)
        info_ws.cell(row=info_row[L.INFO_BY_KEY["evaluator"].label], column=2, value=who)
        for r in touched:
            ind.cell(row=r, column=col_score, value=None)
            ind.cell(row=r, column=col_note, value=rows[r - 2].get("note"))
        touched = rng.sample(range(2, n + 2), 3)
        for r in touched:
            ind.cell(row=r, column=col_score, value=round(rows[r - 2]["weight"] * rng.choice((0.5, 0.75, 1.0)), 2))
            ind.cell(row=r, column=col_note, value="抽查发现问题，酌情扣分")
        path = folder / f"{unit}_{who}.xlsx"
        wb.save(path)
        out.append(path)
    return out


def time_command(cmd: list[str], repeat: int = 7) -> float:
    """Median wall time of a whole process, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def kept_collection(folder: Path, count: int, evaluators: int = 2, n: int = 60, tell: bool = False,
                    saved_by: str = "openpyxl") -> Path:
    """``make_collection`` into ``folder`` once: a folder marked complete is used again as it is, one
    that is not (a run stopped while generating) is made again from scratch. ``tell``: print how long
    generating took. ``saved_by="libreoffice"``: every workbook then opened and saved again by LibreOffice,
    as a person's spreadsheet program saves it (formula results cached, shared strings, error values where a
    live formula meets empty inputs), instead of as openpyxl writes it (no results, inline text)."""
    done = folder / ".complete"
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        t0 = time.perf_counter()
        make_collection(folder, count, n, evaluators=evaluators)
        if saved_by == "libreoffice":
            resave_with_libreoffice(sorted(folder.glob("*.xlsx")))
        done.write_text("ok")
        if tell:
            print(f"generated {count:,} workbooks ({n} indicators each, {evaluators} evaluators per unit) in "
                  f"{time.perf_counter() - t0:.0f} s under {folder}", flush=True)
    return folder


def resave_with_libreoffice(files: list[Path], jobs: int | None = None) -> None:
    """Open and save every workbook in LibreOffice (headless, ``jobs`` instances side by side, each with
    its own profile), in place. About 0.5 s of CPU per workbook of 60 indicators."""
    import os
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed for a collection saved by LibreOffice")
    jobs = jobs or os.cpu_count() or 1
    groups = [files[i::jobs] for i in range(jobs)]

    def convert(group: list[Path]) -> None:
        if not group:
            return
        with tempfile.TemporaryDirectory(prefix="perfxl-bench-lo-") as tmp:
            out = Path(tmp) / "out"
            left = list(group)
            while left:                    # (LibreOffice may end early: what it did not convert is tried again)
                part = left[:200]                         # (a command line of bounded length)
                subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--calc",
                                "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out),
                                *map(str, part)], check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                done = [f for f in part if (out / f.name).exists()]
                if not done:
                    raise SystemExit(f"LibreOffice converted none of {len(part)} workbooks, starting with {part[0]}")
                for f in done:
                    os.replace(out / f.name, f)
                left = [f for f in left if f not in set(done)]

    with ThreadPoolExecutor(jobs) as ex:
        list(ex.map(convert, groups))
