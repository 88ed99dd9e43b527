"""perfxl consolidate on a generated collection: several units, several evaluators per unit, a
duplicate copy, conflicting duplicates, a workbook of another template version, another indicator
system, workbooks with errors, corrupt, empty, password-protected and lock files.

Expected figures are computed here by hand from the inputs (4 completion-ratio indicators of
25 points, target ≥10次: an actual of a次 scores 2.5·a), never copied from perfxl's output."""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import perfxl
from perfxl.model import layout as L

H = L.CONS_HEADERS
YEAR = 2023
ORG = "某某评价咨询有限公司"


def r2(x: float) -> float:
    return float(Decimal(repr(round(x, 9))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def rows(actuals, *, codes=(1, 2, 3, 4), evaluator_scores=None, notes=None) -> list[dict]:
    level1 = ["产出(50分)", None, "效益(50分)", None]
    level2 = ["数量", "质量", "社会效益", "满意度"]
    out = []
    for i, (code, a) in enumerate(zip(codes, actuals)):
        out.append(dict(code=code, level1=level1[i], level2=level2[i], name=f"指标{code}", weight=25,
                        method="完成比率", target="≥10次", actual=None if a is None else f"{a}次",
                        evaluator_score=(evaluator_scores or {}).get(code), note=(notes or {}).get(code)))
    return out


def scores(actuals) -> list[float]:
    """The rule by hand: 25 × min(a, 10) / 10."""
    return [r2(25 * min(a, 10) / 10) for a in actuals]


def info(unit, evaluator, **kw) -> dict:
    return {"unit": unit, "year": YEAR, "kind": "项目支出绩效评价", "evaluator_org": ORG, "evaluator": evaluator, **kw}


def write(path: Path, rows_, info_, mutate=None) -> Path:
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    wb = new_workbook(rows=rows_, info=info_, blank_rows=0)
    if mutate:
        mutate(wb)
    atomic_save(wb, path)
    return path


def header_cell(ws, header: str):
    return next(c for c in ws[1] if c.value == header)


def old_version(wb) -> None:
    """Another template version: older header spellings, no 数据来源 column, the last two
    indicators in the other order, 模板版本 0.9."""
    col = L.COLUMNS_BY_KEY
    ws = wb[L.SHEET_INDICATORS]
    header_cell(ws, col["weight"].header).value = "权重"
    header_cell(ws, col["code"].header).value = "序号"
    ws.delete_cols(header_cell(ws, col["source"].header).column)
    level1 = header_cell(ws, col["level1"].header).column
    last = max(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value is not None)
    for c in range(1, ws.max_column + 1):
        if c != level1:                           # the 一级指标 cell stays where it starts the group
            a, b = ws.cell(row=last - 1, column=c), ws.cell(row=last, column=c)
            a.value, b.value = b.value, a.value
    info_ws = wb[L.SHEET_INFO]
    for r in range(1, info_ws.max_row + 1):
        if info_ws.cell(row=r, column=1).value == L.INFO_BY_KEY["template_version"].label:
            info_ws.cell(row=r, column=2).value = "0.9"


def encrypt(src: Path, dst: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    with src.open("rb") as fh, dst.open("wb") as out:
        OOXMLFile(fh).encrypt("密码123", out)
    return dst


# units that are included: unit -> {evaluator: actuals}
PANEL_A = {"张三": [10, 8, 6, 10], "李四": [10, 6, 6, 8], "王五": [2, 8, 6, 10]}
PANEL_D = {"赵六": [8, 8, 8, 8], "钱七": [10, 10, 10, 10]}
SINGLE = {"乙单位": [10, 10, 9, 10], "丙单位": [7, 7, 7, 7]}
OLD = ("戊单位", [9, 9, 8, 10])            # written from another template version
FLAGGED = ("庚单位", [10, 10, 10, 10], 20)   # 评价得分 20 on 指标1 without 评价说明: an error, total computable


def build_collection(root: Path) -> Path:
    """The collection described in the module docstring, written under ``root``/提交."""
    d = root / "提交"
    for ev, a in PANEL_A.items():
        write(d / "甲单位" / f"甲单位_{ev}.xlsx", rows(a), info("甲单位", ev))
    for ev, a in PANEL_D.items():
        write(d / "丁单位" / f"丁单位_{ev}.xlsx", rows(a), info("丁单位", ev))
    for unit, a in SINGLE.items():
        write(d / f"{unit}.xlsx", rows(a), info(unit, "张三"))
    write(d / "戊单位_旧模板.xlsx", rows(OLD[1]), info(OLD[0], "张三"), mutate=old_version)
    unit, a, given = FLAGGED
    write(d / f"{unit}.xlsx", rows(a, evaluator_scores={1: given}), info(unit, "张三"))
    # not included
    shutil.copy2(d / "乙单位.xlsx", d / "乙单位 - 副本.xlsx")                               # identical copy
    write(d / "己单位_1.xlsx", rows([5, 5, 5, 5]), info("己单位", "孙八"))                  # conflicting pair
    write(d / "己单位_2.xlsx", rows([6, 5, 5, 5]), info("己单位", "孙八"))
    write(d / "辛单位_其他体系.xlsx", rows([9, 9, 9, 9], codes=(1, 2, 3, 5)), info("辛单位", "张三"))
    write(d / "壬单位_未完成.xlsx", rows([9, None, 9, 9]), info("壬单位", "张三"))          # total not computable
    write(d / "无名单位.xlsx", rows([9, 9, 9, 9]), info(None, "张三"))                      # no 单位名称
    (d / "损坏.xlsx").write_bytes(b"this is not a workbook at all")
    data = (d / "丙单位.xlsx").read_bytes()
    (d / "截断.xlsx").write_bytes(data[: len(data) // 2])
    (d / "空文件.xlsx").write_bytes(b"")
    encrypt(d / "丙单位.xlsx", d / "加密.xlsx")
    (d / "~$乙单位.xlsx").write_bytes(b"\x00" * 165)                                       # Excel's lock file
    (d / "说明.txt").write_text("不是工作簿，不应计入", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def collection(tmp_path_factory) -> Path:
    return build_collection(tmp_path_factory.mktemp("collection"))


INCLUDED = 3 + 2 + 2 + 1 + 1
FOUND = INCLUDED + 1 + 2 + 1 + 1 + 1 + 4          # the lock file ~$乙单位.xlsx is skipped, not found


def expected_units(method: str = "mean") -> dict[str, dict]:
    """unit -> {"scores": per-indicator unit figure, "total": ..., "evaluators": n}, by hand."""
    def agg(values):
        if method == "median":
            return r2(statistics.median(values))
        if method == "trimmed" and len(values) >= 3:
            values = sorted(values)[1:-1]
        return r2(sum(values) / len(values))

    out = {}
    for unit, panel in (("甲单位", PANEL_A), ("丁单位", PANEL_D)):
        per = [scores(a) for a in panel.values()]
        s = [agg([p[i] for p in per]) for i in range(4)]
        out[unit] = {"scores": s, "evaluators": len(panel)}
    for unit, a in SINGLE.items():
        out[unit] = {"scores": scores(a), "evaluators": 1}
    out[OLD[0]] = {"scores": scores(OLD[1]), "evaluators": 1}
    unit, a, given = FLAGGED
    out[unit] = {"scores": [given, *scores(a)[1:]], "evaluators": 1}
    for v in out.values():
        v["total"] = r2(sum(v["scores"]))
        v["grade"] = next(g for g, m in L.DEFAULT_GRADES if v["total"] >= m)
    return out


def ranks(totals: dict[str, float]) -> dict[str, int]:
    return {u: 1 + sum(t > v for t in totals.values()) for u, v in totals.items()}


@pytest.fixture(scope="module")
def cons(collection):
    return perfxl.consolidate(collection, jobs=2)


# --- the tables -----------------------------------------------------------------------------

def test_counts_add_up_and_every_rejected_file_has_its_reason(cons, collection):
    found = [p for p in collection.rglob("*") if p.suffix == ".xlsx" and not p.name.startswith("~$")]
    assert cons.found == len(found) == FOUND
    assert cons.included == INCLUDED
    assert cons.included + cons.not_included == cons.found
    listed = set(cons.included_files) | set(cons.rejected["file"])
    assert listed == {str(p) for p in found}
    assert not set(cons.included_files) & set(cons.rejected["file"])
    assert cons.rejected["reason"].str.len().min() > 5

    why = {Path(f).name: (cat, reason, sheet, cell) for f, cat, reason, sheet, cell in
           cons.rejected[["file", "category", "reason", "sheet", "cell"]].itertuples(index=False)}
    cat = L.CONS_CATEGORIES
    # identical copies: the first in path order ("乙单位 - 副本" sorts before "乙单位.") is kept
    copy, original = "乙单位 - 副本.xlsx", "乙单位.xlsx"
    assert original in why and copy not in why
    assert why[original][0] == cat["duplicate"]
    assert "内容相同" in why[original][1] and f"“{copy}”" in why[original][1]
    for name, other in (("己单位_1.xlsx", "己单位_2.xlsx"), ("己单位_2.xlsx", "己单位_1.xlsx")):
        assert why[name][0] == cat["duplicate"] and "得分不同" in why[name][1] and other in why[name][1]
    assert why["辛单位_其他体系.xlsx"][0] == cat["system"]
    assert "多出编号 5" in why["辛单位_其他体系.xlsx"][1]
    name_col = L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY["name"]) + 1
    actual_col = L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY["actual"]) + 1
    from perfxl.model.cells import cell_ref
    assert why["辛单位_其他体系.xlsx"][2:] == (L.SHEET_INDICATORS, cell_ref(5, name_col))
    assert why["壬单位_未完成.xlsx"][0] == cat["no_total"]
    assert why["壬单位_未完成.xlsx"][2:] == (L.SHEET_INDICATORS, cell_ref(3, actual_col))
    assert "实际值为空" in why["壬单位_未完成.xlsx"][1]
    assert why["无名单位.xlsx"][0] == cat["info"] and "单位名称" in why["无名单位.xlsx"][1]
    assert why["无名单位.xlsx"][2:] == (L.SHEET_INFO, "B2")
    for name in ("损坏.xlsx", "截断.xlsx", "空文件.xlsx", "加密.xlsx"):
        assert why[name][0] == cat["unreadable"], name
    assert "密码" in why["加密.xlsx"][1]
    assert "空文件" in why["空文件.xlsx"][1]
    assert "~$乙单位.xlsx" not in why
    assert [(Path(p.file).name, p.code) for p in cons.skipped] == [("~$乙单位.xlsx", "consolidate_lock_file")]


def test_summary_totals_grades_and_ranks_match_hand_computation(cons):
    exp = expected_units("mean")
    s = cons.summary.set_index("unit")
    assert set(s.index) == set(exp)
    for unit, e in exp.items():
        assert s.at[unit, "total"] == pytest.approx(e["total"], abs=1e-9), unit
        assert s.at[unit, "grade"] == e["grade"], unit
        assert s.at[unit, "evaluators"] == e["evaluators"]
        assert s.at[unit, "产出"] == pytest.approx(r2(sum(e["scores"][:2])))
        assert s.at[unit, "效益"] == pytest.approx(r2(sum(e["scores"][2:])))
    want = ranks({u: e["total"] for u, e in exp.items()})
    assert s["rank"].to_dict() == want
    assert sorted(want.values()) != list(range(1, len(want) + 1)), "the collection should contain a tie"
    assert list(cons.summary["rank"]) == sorted(want.values())
    # the panel total is the sum of rounded per-indicator means (74.99), not the mean of totals (75.00)
    assert s.at["甲单位", "total"] == pytest.approx(74.99)
    assert s.at[FLAGGED[0], "status"] == L.CONS_STATUS_FLAGGED
    assert s.at["乙单位", "status"] == L.CONS_STATUS_OK
    assert "0.9" in s.at[OLD[0], "note"]
    assert s.at["甲单位", "evaluator_names"] == "张三、李四、王五"


@pytest.mark.parametrize("method", ["median", "trimmed"])
def test_panel_methods(collection, method):
    c = perfxl.consolidate(collection, jobs=1, panel=method)
    exp = expected_units(method)
    s = c.summary.set_index("unit")
    for unit in ("甲单位", "丁单位"):
        assert s.at[unit, "total"] == pytest.approx(exp[unit]["total"]), (method, unit)
    p = c.panel[c.panel["unit"] == "丁单位"]
    # two evaluators: trimmed falls back to the mean
    assert list(p["panel_score"]) == pytest.approx(
        [r2(statistics.median(v)) if method == "median" else r2(statistics.fmean(v))
         for v in zip(*(scores(a) for a in PANEL_D.values()))])


def test_panel_sheet_spread_and_outliers(cons):
    p = cons.panel
    assert set(p["unit"]) == {"甲单位", "丁单位"}
    assert len(p) == 8
    a = p[p["unit"] == "甲单位"].set_index("code")
    per = {ev: scores(x) for ev, x in PANEL_A.items()}
    for i, code in enumerate(("1", "2", "3", "4")):
        vals = [per[ev][i] for ev in PANEL_A]
        med = statistics.median(vals)
        assert a.at[code, "panel_score"] == pytest.approx(r2(statistics.fmean(vals)))
        assert a.at[code, "spread"] == pytest.approx(max(vals) - min(vals))
        assert a.at[code, "std"] == pytest.approx(statistics.stdev(vals), abs=1e-4)
        flagged = [ev for ev in PANEL_A if abs(per[ev][i] - med) > 0.2 * 25]
        text = a.at[code, "outliers"]
        assert [ev for ev in PANEL_A if isinstance(text, str) and ev in text] == flagged
    # 指标1: 王五 5 against a median of 25 is flagged; 指标2: 李四 15 against 20 is exactly 20% of 25: not flagged
    assert "王五" in a.at["1", "outliers"]
    assert pd.isna(a.at["2", "outliers"])
    assert "张三 25.00" in a.at["1", "figures"]


def test_detail_and_analysis(cons):
    d = cons.detail
    assert len(d) == INCLUDED * 4
    assert set(d["deviates"]) == {L.YES, L.NO}
    assert (d["deviates"] == L.YES).sum() == 1
    old = d[d["unit"] == OLD[0]].set_index("code")
    assert old["score"].to_dict() == dict(zip(("1", "2", "3", "4"), scores(OLD[1])))   # reconciled by 编号
    assert set(old["template_version"]) == {"0.9"}

    exp = expected_units("mean")
    a = cons.analysis.set_index("code")
    assert list(a.index) == ["1", "2", "3", "4"]
    for i, code in enumerate(a.index):
        vals = [e["scores"][i] for e in exp.values()]
        assert a.at[code, "units"] == len(exp)
        assert a.at[code, "mean"] == pytest.approx(statistics.fmean(vals))
        assert a.at[code, "min"] == pytest.approx(min(vals))
        assert a.at[code, "max"] == pytest.approx(max(vals))
        assert a.at[code, "mean_rate"] == pytest.approx(statistics.fmean(v / 25 for v in vals))
        assert a.at[code, "lost"] == sum(v < 25 for v in vals)
    assert a["deviations"].to_dict() == {"1": 1, "2": 0, "3": 0, "4": 0}


def test_strict_leaves_out_workbooks_with_errors(collection):
    c = perfxl.consolidate(collection, jobs=1, strict=True)
    assert FLAGGED[0] not in set(c.summary["unit"])
    row = c.rejected[c.rejected["file"].str.endswith(f"{FLAGGED[0]}.xlsx")]
    assert list(row["category"]) == [L.CONS_CATEGORIES["strict"]]
    assert c.included + c.not_included == c.found == FOUND


def test_parallel_and_serial_give_the_same_tables(collection, cons):
    import pandas.testing as pdt

    serial = perfxl.consolidate(collection, jobs=1)
    for name in ("summary", "detail", "analysis", "panel", "rejected"):
        pdt.assert_frame_equal(getattr(serial, name), getattr(cons, name))


def test_the_api_progress_argument_draws_a_bar_or_calls_the_function(collection, capsys):
    seen: list[tuple[int, int]] = []
    perfxl.consolidate(collection, jobs=1, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1] == (seen[-1][1], seen[-1][1]) and seen[-1][1] > 0      # told up to the end
    capsys.readouterr()
    perfxl.consolidate(collection, jobs=1, progress=True)
    assert "汇总工作簿" in capsys.readouterr().err                                      # rich's bar, on stderr
    perfxl.consolidate(collection, jobs=1, progress=False)
    assert capsys.readouterr().err == ""


def test_dask_local_cluster_gives_the_same_tables(collection, cons, cli, tmp_path):
    distributed = pytest.importorskip("distributed")
    import pandas.testing as pdt

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = perfxl.consolidate(collection, scheduler=cluster.scheduler_address)
        run = cli("consolidate", collection, "-o", tmp_path / "汇总.xlsx", "--scheduler", cluster.scheduler_address,
                  "--json")
    for name in ("summary", "detail", "analysis", "panel", "rejected"):
        pdt.assert_frame_equal(getattr(on_dask, name), getattr(cons, name))
    data = run.json()
    assert (data["found"], data["included"]) == (FOUND, INCLUDED)
    assert {u["unit"]: u["total"] for u in data["units"]} == pytest.approx(
        {u: e["total"] for u, e in expected_units().items()})


def test_dask_local_beside_another_dashboard_prints_no_warning(collection, cli, tmp_path):
    """Port 8787 taken (a Jupyter or other Dask dashboard on the PC): `--scheduler local` printed Dask's
    “UserWarning: Port 8787 is already in use” with a line of its source above perfxl's output."""
    pytest.importorskip("distributed")
    import socket

    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))
        holder.listen()
    except OSError:
        pass                                         # taken already: the case itself
    try:
        run = cli("consolidate", collection, "-o", tmp_path / "汇总.xlsx", "--scheduler", "local", "-j", "2")
    finally:
        holder.close()
    assert run.code in (0, 1) and "Warning" not in run.err and "Traceback" not in run.err, run.err


def test_import_perfxl_stays_light_and_api_is_callable(tmp_path, collection):
    code = ("import sys, perfxl; assert 'pandas' not in sys.modules; "
            "c = perfxl.consolidate(sys.argv[1], jobs=1); "
            "print(c.found, c.included, c.not_included)")
    out = subprocess.run([sys_executable(), "-c", code, str(collection)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(FOUND), str(INCLUDED), str(FOUND - INCLUDED)]


@pytest.mark.parametrize("how", ["script", "stdin", "spawn", "dask"])
def test_a_script_without_a_main_guard_consolidates_with_workers(tmp_path, collection, cons, how):
    """The README's ``perfxl.consolidate("收回/")`` written into a script as users write it, without
    ``if __name__ == "__main__":`` (or piped to python): workers that ran the script again each failed
    to start a pool of their own — every file lost, a traceback per worker."""
    if how == "dask":
        pytest.importorskip("distributed")
    kw = "scheduler='local', jobs=2" if how == "dask" else "jobs=2"
    script = (f"import perfxl\nc = perfxl.consolidate({str(collection)!r}, {kw})\n"
              "print(c.found, c.included, c.not_included, round(float(c.summary['total'].sum()), 2))\n")
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    if how == "spawn":                             # a TMPDIR too long for the forkserver's socket: spawn
        env["TMPDIR"] = str(tmp_path / ("很长的临时文件夹名" * 6))
        Path(env["TMPDIR"]).mkdir()
    (tmp_path / "汇总脚本.py").write_text(script, encoding="utf-8")
    cmd = [sys_executable(), "-"] if how == "stdin" else [sys_executable(), "汇总脚本.py"]
    out = subprocess.run(cmd, input=script if how == "stdin" else None, capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
    total = round(float(cons.summary["total"].sum()), 2)
    assert out.stdout.split() == [str(FOUND), str(INCLUDED), str(FOUND - INCLUDED), str(total)]


def sys_executable() -> str:
    import sys
    return sys.executable


# --- the command line and the summary workbook --------------------------------------------

def test_cli_consolidate_json_and_totals_equal_perfxl_score(cli, collection, tmp_path):
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", collection, "-o", out, "--jobs", "2", "--json")
    assert run.code == 1, run.text                 # some files were not included
    data = run.json()
    assert (data["found"], data["included"], data["not_included"]) == (FOUND, INCLUDED, FOUND - INCLUDED)
    assert len(data["rejected"]) == FOUND - INCLUDED and all(r["reason"] for r in data["rejected"])
    units = {u["unit"]: u for u in data["units"]}
    score = cli("score", collection / "乙单位.xlsx", "--no-write", "--json").json()
    assert units["乙单位"]["total"] == score["total"] == expected_units()["乙单位"]["total"]
    assert units["乙单位"]["grade"] == score["grade"]
    assert out.exists()
    again = cli("consolidate", collection, "-o", out)
    assert again.code == 2 and "已存在" in again.text and "--force" in again.text
    forced = cli("consolidate", collection, "-o", out, "--force", "--jobs", "1")
    assert forced.code == 1
    assert f"共找到 {FOUND} 个文件：纳入 {INCLUDED} 个，未纳入 {FOUND - INCLUDED} 个" in forced.out
    assert list(tmp_path.glob("汇总.bak-*.xlsx")), "the previous summary is backed up before overwriting"


def test_cli_consolidate_nothing_found(cli, tmp_path):
    (tmp_path / "空目录").mkdir()
    run = cli("consolidate", tmp_path / "空目录", "-o", tmp_path / "x.xlsx", "--json")
    assert run.code == 2
    assert "没有找到 Excel 工作簿" in run.json()["problems"][0]["message"]
    assert not (tmp_path / "x.xlsx").exists()


def test_summary_workbook_in_libreoffice(cons, tmp_path, soffice):
    path = cons.to_excel(tmp_path / "汇总.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [L.SHEET_CONS_SUMMARY, L.SHEET_CONS_CHARTS, L.SHEET_CONS_DETAIL, L.SHEET_CONS_ANALYSIS,
                             L.SHEET_CONS_PANEL, L.SHEET_CONS_REJECTED, L.SHEET_CONS_README]
    assert len(wb[L.SHEET_CONS_CHARTS]._charts) == 3
    with zipfile.ZipFile(path) as zf:
        assert sum(n.startswith("xl/charts/chart") for n in zf.namelist()) == 3

    sheets = soffice.sheets(path)
    assert set(sheets) >= set(wb.sheetnames)
    head, *body = sheets[L.SHEET_CONS_SUMMARY]
    assert head[:7] == [H[k] for k in L.CONS_SUMMARY_KEYS]
    exp = expected_units()
    seen = {r[0]: r for r in body if r and r[0]}
    assert set(seen) == set(exp)
    for unit, e in exp.items():
        assert float(seen[unit][head.index(H["total"])]) == pytest.approx(e["total"])
        assert seen[unit][head.index(H["grade"])] == e["grade"]
    assert len([r for r in sheets[L.SHEET_CONS_DETAIL][1:] if any(r)]) == INCLUDED * 4
    assert len([r for r in sheets[L.SHEET_CONS_REJECTED][1:] if any(r)]) == FOUND - INCLUDED
    readme = "\n".join(",".join(r) for r in sheets[L.SHEET_CONS_README])
    assert f"找到 {FOUND} 个文件：纳入 {INCLUDED} 个，未纳入 {FOUND - INCLUDED} 个" in readme

    text = soffice.pdf_text(path)
    for title in L.CHART_TITLES.values():
        assert title in text, title
    pdf = tmp_path / f"lo-pdf-{path.stem}" / f"{path.stem}.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages >= len(wb.sheetnames)


def test_ods_and_xls_are_read(tmp_path, soffice):
    d = tmp_path / "formats"
    a = write(tmp_path / "src" / "乙单位.xlsx", rows([10, 9, 8, 7]), info("乙单位", "张三"))
    b = write(tmp_path / "src" / "丙单位.xlsx", rows([6, 6, 6, 6]), info("丙单位", "张三"))
    soffice.convert(a, "ods", d)
    soffice.convert(b, "xls", d)
    assert sorted(p.name for p in d.iterdir()) == ["丙单位.xls", "乙单位.ods"]
    c = perfxl.consolidate(d, jobs=1)
    assert (c.found, c.included) == (2, 2), c.rejected.to_dict("records")
    s = c.summary.set_index("unit")["total"].to_dict()
    assert s == pytest.approx({"乙单位": r2(sum(scores([10, 9, 8, 7]))), "丙单位": r2(sum(scores([6, 6, 6, 6])))})


def test_cli_nothing_included_still_accounts_for_every_file(cli, tmp_path):
    d = tmp_path / "坏文件"
    d.mkdir()
    (d / "a.xlsx").write_bytes(b"")
    (d / "b.xlsm").write_bytes(b"PK\x03\x04broken")
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", d, "-o", out)
    assert run.code == 1
    assert "共找到 2 个文件：纳入 0 个，未纳入 2 个" in run.out
    wb = load_workbook(out)
    rejected = list(wb[L.SHEET_CONS_REJECTED].iter_rows(min_row=2, values_only=True))
    assert sorted(Path(r[1]).name for r in rejected) == ["a.xlsx", "b.xlsm"]
    assert wb[L.SHEET_CONS_SUMMARY].max_row == 1
    bad = cli("consolidate", d, "-o", tmp_path / "x.xlsx", "--panel", "mode")
    assert bad.code == 2 and "--panel" in bad.text


def test_units_that_may_be_one_under_two_names_are_pointed_out(cli, tmp_path):
    """Two evaluators of one unit who typed its name differently split its panel in two, each half ranked
    as a unit: 汇总 says which rows may be one unit (a name inside the other, or one 统一社会信用代码) and
    how to fix it; they stay two rows (perfxl cannot know)."""
    d = tmp_path / "收回"
    write(d / "1.xlsx", rows([10, 9, 8, 7]), info("南昌市青云谱区总工会", "张三"))
    write(d / "2.xlsx", rows([9, 9, 9, 9]), info("青云谱区总工会", "李四"))
    write(d / "3.xlsx", rows([8, 8, 8, 8]), info("甲单位", "张三", credit_code="11360100MB1234567X"))
    write(d / "4.xlsx", rows([7, 7, 7, 7]), info("乙单位", "李四", credit_code="11360100MB1234567X"))
    write(d / "5.xlsx", rows([6, 6, 6, 6]), info("丙单位", "王五"))
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    data = run.json()
    assert run.code == 0 and data["included"] == 5, run.text
    pairs = {tuple(sorted(a["units"])): a["why"] for a in data["alike"]}
    assert pairs == {("南昌市青云谱区总工会", "青云谱区总工会"): "一个名称包含另一个",
                     ("乙单位", "甲单位"): "统一社会信用代码相同"}
    notes = {u["unit"]: u["note"] or "" for u in data["units"]}
    assert "可能与“青云谱区总工会”是同一单位" in notes["南昌市青云谱区总工会"]
    assert "可能与“甲单位”是同一单位" in notes["乙单位"] and not notes["丙单位"]
    shown = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--force")
    assert "可能是同一单位（一个名称包含另一个）：" in shown.out and "青云谱区总工会" in shown.out
    wb = load_workbook(tmp_path / "汇总.xlsx")
    ws = wb[L.SHEET_CONS_SUMMARY]
    header = [c.value for c in ws[1]]
    unit_col, note_col = header.index(L.CONS_HEADERS["unit"]), header.index(L.CONS_HEADERS["note"])
    written = {r[unit_col]: r[note_col] or "" for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "统一社会信用代码相同" in written["甲单位"]


def test_archives_of_workbooks_are_accounted_for(cli, tmp_path):
    """Units send their workbook as an e-mail attachment zipped (Windows' tools write Chinese names in
    GBK, unflagged) or as .rar/.7z: such files were left out of the folder walk without a word (the
    unit missing from 汇总) and ``perfxl score`` said "Cannot detect file format". Now each is found,
    left out as 压缩包 naming the workbooks inside, and the advice is to unpack; a zip holding no
    workbook is no submission."""
    d = tmp_path / "收回"
    write(d / "甲单位.xlsx", rows([10, 9, 8, 7]), info("甲单位", "张三"))
    inner = write(tmp_path / "乙单位.xlsx", rows([6, 6, 6, 6]), info("乙单位", "张三")).read_bytes()
    with zipfile.ZipFile(d / "乙单位.zip", "w") as z:
        z.writestr("ABCDEF.xlsx", inner)                     # renamed below, as a Chinese Windows zip names it
    gbk = "乙单位".encode("gbk")
    assert len(gbk) == 6
    (d / "乙单位.zip").write_bytes((d / "乙单位.zip").read_bytes().replace(b"ABCDEF", gbk))
    with zipfile.ZipFile(d / "照片.zip", "w") as z:
        z.writestr("现场.jpg", b"\xff\xd8")
    (d / "丙单位.rar").write_bytes(b"Rar!\x1a\x07\x01\x00" + b"\x00" * 64)
    (d / "丁单位.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\x00" * 64)
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    data = run.json()
    assert run.code == 1 and (data["found"], data["included"]) == (4, 1), run.text
    why = {Path(r["file"]).name: r for r in data["rejected"]}
    assert sorted(why) == ["丁单位.7z", "丙单位.rar", "乙单位.zip"]
    assert all(r["category"] == L.CONS_CATEGORIES["archive"] and "压缩包" in r["reason"] for r in why.values())
    assert "乙单位.xlsx" in why["乙单位.zip"]["reason"]
    one = cli("score", d / "乙单位.zip")
    assert one.code == 2 and "压缩包" in one.text and "解压" in one.text and "Traceback" not in one.text


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork to inject a crashing worker")
def test_a_worker_that_dies_is_blamed_on_its_own_file_only(collection, monkeypatch):
    import multiprocessing
    import os

    import perfxl.batch.consolidate as C
    from perfxl.batch import pool

    files = C.discover([collection])
    victim = next(f for f in files if f.name == "丙单位.xlsx")
    real = C.score_chunk

    def crashing(paths: list[str], options: C.ReadOptions):
        if str(victim) in paths:
            os._exit(3)                      # what a segfault or the OOM killer looks like to the pool
        return real(paths, options)

    # forked workers inherit the patched module; the default forkserver would import it afresh
    monkeypatch.setattr(C, "score_chunk", crashing)
    monkeypatch.setattr(pool, "_mp_context", lambda: multiprocessing.get_context("fork"))
    records = C.score_files(files, jobs=2)
    assert len(records) == len(files) == FOUND
    lost = [r for r in records if isinstance(r, C.Unusable) and r.problems[0].code == "consolidate_worker_lost"]
    assert [r.file for r in lost] == [str(victim)]
    assert "丙单位.xlsx" in lost[0].problems[0].message
    serial = {r.file: r for r in (real([str(f)])[0] for f in files if f != victim)}
    assert all(r == serial[r.file] for r in records if r.file != str(victim))


def test_password_opens_protected_workbooks_in_consolidation_and_report(make_workbook, cli, tmp_path):
    folder = tmp_path / "收回"
    folder.mkdir()

    def unit(name):
        def mutate(wb):
            wb["基本信息"]["B2"] = name
        return mutate
    shutil.copy2(make_workbook(mutate=unit("甲单位"), name="甲.xlsx"), folder / "甲.xlsx")
    encrypt(make_workbook(mutate=unit("乙单位"), name="乙.xlsx"), folder / "乙加密.xlsx")
    without = cli("consolidate", folder, "-o", "a.xlsx", "--jobs", "1", "--json").json()
    assert (without["found"], without["included"]) == (2, 1)
    run = cli("consolidate", folder, "-o", "b.xlsx", "--jobs", "2", "--password", "密码123", "--json")
    assert run.code == 0, run.text
    assert (run.json()["found"], run.json()["included"]) == (2, 2)
    report = cli("report", folder / "乙加密.xlsx", "-o", "r.docx", "--password", "密码123", "--json")
    assert report.code == 0 and report.json()["units"][0]["unit"] == "乙单位"


def test_compact_records_are_built_as_compact_gives_them(collection):
    """Consolidation builds each workbook's compact record directly: the same as record().compact()."""
    from perfxl.check.problems import UnusableInput
    from perfxl.score.engine import record
    from perfxl.score.pipeline import score_path

    examples = Path(__file__).resolve().parents[1] / "workbook_templates" / "examples"
    checked = 0
    for path in [*sorted(examples.glob("*.xlsx")), *sorted(collection.rglob("*.xlsx"))]:
        try:
            result = score_path(path)
        except UnusableInput:
            continue
        assert record(result, compact=True) == record(result).compact(), path.name
        checked += 1
    assert checked >= 3 + INCLUDED


def test_a_year_typed_as_text_is_the_same_year(cli, tmp_path):
    """评价年度 typed “2023年” or “2023.0” passes validation as 2023: consolidation reads it the same way,
    so the unit's evaluators stay one panel with one rank, not a unit per spelling of the year."""
    d = tmp_path / "收回"
    for ev, year, a in (("张三", YEAR, [10, 8, 6, 10]), ("李四", f"{YEAR}年", [10, 6, 6, 8]),
                        ("王五", f"{YEAR}.0", [2, 8, 6, 10])):
        write(d / f"甲单位_{ev}.xlsx", rows(a), info("甲单位", ev, year=year))
    write(d / "乙单位_张三.xlsx", rows([10, 10, 9, 10]), info("乙单位", "张三"))
    # “2023年度”, as official documents write it, was "不是年份" and a unit-year of its own
    write(d / "乙单位_李四.xlsx", rows([10, 10, 9, 10]), info("乙单位", "李四", year=f"{YEAR}年度"))
    for name in ("甲单位_李四", "甲单位_王五", "乙单位_李四"):
        check = cli("validate", d / f"{name}.xlsx", "--json").json()
        assert not [p for p in check["problems"] if p["code"] == "info_year"], check
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    assert run.code == 0, run.text
    units = run.json()["units"]
    assert [(u["unit"], u["year"], u["evaluators"], u["rank"]) for u in units] == [
        ("乙单位", YEAR, 2, 1), ("甲单位", YEAR, 3, 2)]
    assert units[1]["total"] == expected_units()["甲单位"]["total"]


def test_not_applicable_indicators_are_consolidated_and_reported(cli, tmp_path):
    """An indicator an evaluator marks 不适用 has no score: consolidating such workbooks stopped with an
    internal error (exit 3). Now a unit's total is converted as `perfxl score` converts it (得分÷适用分值×100);
    in a panel an evaluator who found it 不适用 abstains and the others' figures count, and the report
    from the summary gives the same totals."""
    def na(actuals):
        out = rows([a if a != "NA" else 0 for a in actuals])
        for r, a in zip(out, actuals):
            if a == "NA":
                r["actual"] = "不适用"
        return out

    d = tmp_path / "收回"
    write(d / "甲单位_张三.xlsx", na([10, 8, "NA", 10]), info("甲单位", "张三"))
    write(d / "乙单位_张三.xlsx", na([10, 8, "NA", 10]), info("乙单位", "张三"))
    write(d / "乙单位_李四.xlsx", na([10, 6, "NA", 8]), info("乙单位", "李四"))
    write(d / "丙单位_张三.xlsx", na([10, 10, "NA", 10]), info("丙单位", "张三"))
    write(d / "丙单位_李四.xlsx", na([10, 10, 6, 10]), info("丙单位", "李四"))
    out = tmp_path / "汇总.xlsx"
    run = cli("consolidate", d, "-o", out, "--json")
    assert run.code == 0, run.text
    totals = {u["unit"]: u["total"] for u in run.json()["units"]}
    assert totals == {"甲单位": r2(70 / 75 * 100),                    # 25+20 +25 of the 75 that apply
                      "乙单位": r2((25 + 17.5 + 22.5) / 75 * 100),      # the panel's means, 指标3 for nobody
                      "丙单位": r2(25 + 25 + 15 + 25)}                  # 指标3: 张三 abstains, 李四's 15
    alone = cli("score", d / "甲单位_张三.xlsx", "--no-write", "--json").json()
    assert alone["total"] == totals["甲单位"]
    r = perfxl.consolidate(d, jobs=1)
    p = r.panel.set_index(["unit", "code"])
    assert ("乙单位", "3") not in p.index                              # applies for nobody in the panel
    assert (p.at[("丙单位", "3"), "evaluators"], p.at[("丙单位", "3"), "panel_score"]) == (1, 15)
    assert "张三（不适用）" in p.at[("丙单位", "3"), "figures"]
    a = r.analysis.set_index("code")
    assert (a.at["3", "units"], a.at["3", "mean"]) == (1, 15)        # 甲、乙: 不适用, not a score of 0
    report = cli("report", out, "-o", tmp_path / "报告.docx", "--json")
    assert report.code == 0, report.text
    assert {u["unit"]: u["total"] for u in report.json()["units"]} == totals


def _edited(cli, tmp_path: Path, same: list[dict], edited: dict[str, list[dict]]) -> tuple[dict, dict]:
    """Consolidate 甲/乙/丙单位 filled from one template (``same``) and units filled from edited ones:
    the JSON and the rejected files by name."""
    d = tmp_path / "收回"
    for unit, rows_ in {**{u: same for u in ("甲单位", "乙单位", "丙单位")}, **edited}.items():
        write(d / f"{unit}.xlsx", rows_, info(unit, "张三"))
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    assert run.code == 1, run.text
    data = run.json()
    return data, {Path(r["file"]).name: r for r in data["rejected"]}


def test_a_system_edited_after_the_templates_were_sent_is_pointed_at_in_the_differing_column(cli, tmp_path):
    """The administrator re-weighted two indicators (or renamed a 二级指标) after sending the template:
    the workbooks filled from the other version are left out naming the cell that differs (the 分值 or
    the 二级指标 cell of that row), not the 三级指标 cell, which holds the same name in both versions."""
    from perfxl.model.cells import cell_ref

    reweighted = rows([10, 8, 6, 10])
    reweighted[0]["weight"], reweighted[1]["weight"] = 30, 20
    renamed = rows([10, 8, 6, 10])
    renamed[3]["level2"] = "服务对象满意度"
    data, why = _edited(cli, tmp_path, rows([10, 8, 6, 10]), {"丁单位": reweighted, "戊单位": renamed})
    assert (data["found"], data["included"], data["not_included"]) == (5, 3, 2)
    col = {k: L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY[k]) + 1 for k in ("weight", "level2")}
    assert "编号 1 的分值为“30”，其余工作簿为“25”" in why["丁单位.xlsx"]["reason"]
    assert (why["丁单位.xlsx"]["sheet"], why["丁单位.xlsx"]["cell"]) == (L.SHEET_INDICATORS, cell_ref(2, col["weight"]))
    assert "编号 4 的二级指标为“服务对象满意度”" in why["戊单位.xlsx"]["reason"]
    assert why["戊单位.xlsx"]["cell"] == cell_ref(5, col["level2"])


def test_a_deleted_indicator_row_is_explained(cli, tmp_path):
    """A unit deleted the row of an indicator that does not apply to it: the workbook is left out (the
    systems differ), and the reason now says how such an indicator is marked instead."""
    deleted = rows([10, 8, 6, 10])[:3]
    data, why = _edited(cli, tmp_path, rows([10, 8, 6, 10]), {"丁单位": deleted})
    assert set(why) == {"丁单位.xlsx"}
    assert "缺少编号 4" in why["丁单位.xlsx"]["reason"] and "不适用" in why["丁单位.xlsx"]["reason"]


def test_a_rule_edited_after_the_templates_were_sent_is_not_mixed_in(cli, tmp_path):
    """The administrator changed a rule after sending the template (指标4: 每少1次扣10% made 扣20%; or
    another 计分方法): names and 分值 are the same, so these workbooks were consolidated and ranked with
    the others although the indicator is scored by another rule. They are now left out like a workbook
    of another system, naming the 计分参数/计分方法 cell; a workbook marking an indicator 不适用 in its
    计分方法 is still included."""
    from perfxl.model.cells import cell_ref

    def rules(actuals, step="每少1次扣10%", method1="完成比率"):
        out = rows(actuals)
        out[0]["method"] = method1
        out[3].update(method="差额扣分", params=step)
        return out

    na = rules([10, 8, 6, 8])
    na[1]["method"] = "不适用"
    data, why = _edited(cli, tmp_path, rules([10, 8, 6, 8]), {
        "丁单位": rules([10, 8, 6, 8], step="每少1次扣20%"), "戊单位": rules([10, 8, 6, 8], method1="达标得分"),
        "己单位": na})
    assert sorted(u["unit"] for u in data["units"]) == sorted(["甲单位", "乙单位", "丙单位", "己单位"])
    assert set(why) == {"丁单位.xlsx", "戊单位.xlsx"}
    col = {k: L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY[k]) + 1 for k in ("method", "params")}
    assert "编号 4 的计分参数为“每少1次扣20%”，其余工作簿为“每少1次扣10%”" in why["丁单位.xlsx"]["reason"]
    assert why["丁单位.xlsx"]["cell"] == cell_ref(5, col["params"])
    assert "编号 1 的计分方法为“达标得分”，其余工作簿为“完成比率”" in why["戊单位.xlsx"]["reason"]
    assert why["戊单位.xlsx"]["cell"] == cell_ref(2, col["method"])
    readme = load_workbook(tmp_path / "汇总.xlsx")[L.SHEET_CONS_README]
    assert any("计分方法和计分参数" in str(c.value) for row in readme.iter_rows() for c in row)


def test_a_rule_parameter_typed_as_a_number_is_the_same_rule_as_typed_as_text(cli, tmp_path):
    """A 计分参数 cell holding the number 80 in one evaluator's workbook and the text “80” in the other's
    (typed after an apostrophe, or pasted), both scored by their 评价得分 (no rule reads a bare number): the
    record turned the number into “80.0”, so the two read as different rules and one workbook was left out
    as of another indicator system. Both are one rule."""
    from perfxl.model.cells import cell_ref

    col = L.INDICATOR_COLUMNS.index(L.COLUMNS_BY_KEY["params"]) + 1

    def params(value):
        def mutate(wb):
            wb[L.SHEET_INDICATORS][cell_ref(5, col)] = value       # 编号 4's 计分参数
        return mutate

    d = tmp_path / "收回"
    write(d / "甲单位_张三.xlsx", rows([10, 8, 6, 10], evaluator_scores={4: 25}), info("甲单位", "张三"), params(80))
    write(d / "甲单位_李四.xlsx", rows([10, 6, 6, 8], evaluator_scores={4: 20}), info("甲单位", "李四"), params("80"))
    assert load_workbook(d / "甲单位_张三.xlsx")[L.SHEET_INDICATORS][cell_ref(5, col)].data_type == "n"
    assert load_workbook(d / "甲单位_李四.xlsx")[L.SHEET_INDICATORS][cell_ref(5, col)].data_type == "s"
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    data = run.json()
    assert (data["found"], data["included"], data["not_included"]) == (2, 2, 0), run.text
    assert not [r for r in data["rejected"] if "指标体系" in r["reason"]]
    assert [(u["unit"], u["evaluators"]) for u in data["units"]] == [("甲单位", 2)]
    # 编号 4 by each 评价得分, the others by the rule: the panel's mean
    assert data["units"][0]["total"] == r2((sum(scores([10, 8, 6])) + 25 + sum(scores([10, 6, 6])) + 20) / 2)


def test_a_duplicate_submission_names_the_cells_that_make_it_one(cli, tmp_path):
    """Two workbooks of one unit, year and evaluator (a copy, or two versions of one evaluator's work): the
    reason named no cell, and the user could not tell what made them “the same evaluator” when they meant
    two. It now points at the 基本信息 cells of 单位名称, 评价年度 and 评价人 in each file."""
    d = tmp_path / "收回"
    write(d / "甲单位.xlsx", rows([10, 8, 6, 10]), info("甲单位", "张三"))
    shutil.copy2(d / "甲单位.xlsx", d / "甲单位 - 副本.xlsx")                   # identical copy
    write(d / "乙单位_1.xlsx", rows([5, 5, 5, 5]), info("乙单位", "李四"))      # conflicting pair
    write(d / "乙单位_2.xlsx", rows([6, 5, 5, 5]), info("乙单位", "李四"))
    ws = load_workbook(d / "甲单位.xlsx")[L.SHEET_INFO]
    at = {c.value: f"B{c.row}" for c in ws["A"]}
    cells = [at[L.INFO_BY_KEY[k].label] for k in ("unit", "year", "evaluator")]
    run = cli("consolidate", d, "-o", tmp_path / "汇总.xlsx", "--json")
    assert run.code == 1, run.text
    why = {Path(r["file"]).name: r for r in run.json()["rejected"]}
    assert set(why) == {"甲单位.xlsx", "乙单位_1.xlsx", "乙单位_2.xlsx"}
    for r in why.values():
        assert r["category"] == L.CONS_CATEGORIES["duplicate"]
        assert (r["sheet"], r["cell"]) == (L.SHEET_INFO, cells[0])
        for key, cell in zip(("unit", "year", "evaluator"), cells):
            assert f"{L.INFO_BY_KEY[key].label} {cell}" in r["reason"], r["reason"]
        assert f"见“{L.SHEET_INFO}”的" in r["reason"]
