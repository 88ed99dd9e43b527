"""The consolidation's summary workbook and its report, with collections administrators really have:
tied totals, several 评价年度 in one folder, long unit names. End to end through the CLI."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docx
import pytest
from test_consolidate import info, rows, write
from test_report import flat, perfxl


def report_text(folder: Path, tmp_path: Path) -> str:
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    perfxl("report", tmp_path / "汇总.xlsx", "-o", tmp_path / "报告.docx", cwd=tmp_path)
    return flat("".join(p.text for p in docx.Document(tmp_path / "报告.docx").paragraphs))


def two_years(tmp_path: Path) -> Path:
    """甲单位 and 乙单位, each in 2022 and 2023: 甲 100 then 50, 乙 80 both years."""
    folder = tmp_path / "收回"
    folder.mkdir()
    for year, a in ((2022, 10), (2023, 5)):
        write(folder / f"甲{year}.xlsx", rows([a] * 4), info("甲单位", "张三", year=year))
        write(folder / f"乙{year}.xlsx", rows([8] * 4), info("乙单位", "张三", year=year))
    return folder


def test_report_overview_names_every_unit_tied_at_the_top(tmp_path):
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 10, 5]), info("甲单位", "张三"))        # 87.50
    write(folder / "b.xlsx", rows([10, 10, 10, 5]), info("乙单位", "张三"))        # 87.50
    write(folder / "c.xlsx", rows([8, 8, 8, 5]), info("丙单位", "张三"))           # 72.50
    text = report_text(folder, tmp_path)
    assert "各单位平均得分82.50分" in text
    top = text[text.index("最高"):text.index("最低")]
    assert "甲单位" in top and "乙单位" in top and "87.50" in top          # both, not the first alone
    assert "最低丙单位72.50分" in text


def test_report_overview_counts_many_tied_units_instead_of_listing_them():
    from perfxl.model.records import Overview, RankRow
    from perfxl.report.sections import overview_section

    ranking = tuple(RankRow(rank=1 if i < 8 else 9, unit=f"单位{i}", year="2023", total=100.0 if i < 8 else 80.0,
                            grade="优" if i < 8 else "良", evaluators=1) for i in range(9))
    ov = Overview(ranking=ranking, grades=(("优", 8), ("良", 1)), found=9, included=9, not_included=0)
    text = "".join(run.text for p in overview_section(ov, [])["scope"] for run in p)
    assert "最高单位0、单位1、单位2等8个单位100.00分，最低单位880.00分" in text


def test_report_overview_gives_each_year_its_own_figures(tmp_path):
    folder = two_years(tmp_path)
    text = report_text(folder, tmp_path)
    assert "涉及2个单位、2个评价年度" in text                                  # not "4个单位"
    assert "汇总报告（2个单位）" in text and "评价对象：甲单位、乙单位评价机构" in text   # the cover: each unit once
    assert "2022年度平均得分90.00分，最高甲单位100.00分，最低乙单位80.00分" in text
    assert "2023年度平均得分65.00分，最高乙单位80.00分，最低甲单位50.00分" in text
    assert "77.50" not in text                                               # no mean across years


def test_summary_readme_prints_every_rule_whole(tmp_path, soffice):
    """The rules of 汇总说明 are long lines in a wrapped column: printed, each must show to its end."""
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 10, 5]), info("甲单位", "张三"))
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    printed = flat(soffice.pdf_text(tmp_path / "汇总.xlsx"))
    assert "总分仅供参考”；总分无法计算、单位名称或评价年度未填写的不纳入。" in printed
    assert "数值轴从略低于最低值处起，便于比较差异。" in printed
    assert "等级按该单位工作簿的等级划分。" in printed


def test_report_warns_about_each_evaluators_workbook_of_a_panel(tmp_path):
    """A panel whose two workbooks each have an error: the warning names each workbook with its own
    error, not the second one with both (its author would look for an error that is not there)."""
    folder = tmp_path / "收回"
    folder.mkdir()
    for name, who in (("乙_张三.xlsx", "张三"), ("乙_李四.xlsx", "李四")):
        write(folder / name, rows([9, 9, 9, 9], evaluator_scores={1: 30}), info("乙单位", who))   # 30 > 25
    write(folder / "丙.xlsx", rows([9, 9, 9, 9]), info("丙单位", "张三"))
    for args in (("consolidate", folder), ("report", tmp_path / "汇总.xlsx")):
        out = tmp_path / ("汇总.xlsx" if args[0] == "consolidate" else "报告.docx")
        proc = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args), "-o", str(out)],
                              capture_output=True, text=True, cwd=tmp_path)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr   # errors: 1
    warnings = [p.text for p in docx.Document(tmp_path / "报告.docx").paragraphs if p.text.startswith("注意")]
    assert len(warnings) == 2
    for name in ("乙_张三.xlsx", "乙_李四.xlsx"):
        (w,) = [w for w in warnings if f"“{name}”" in w]
        assert "有 1 个校验错误" in w and f"perfxl validate {name}" in w


def test_report_of_a_project_evaluation_without_a_project_name_does_not_call_it_whole_department(tmp_path):
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 9, 5]), info("甲单位", "张三"))        # 项目支出绩效评价, no 项目名称
    text = report_text(folder, tmp_path)
    assert "本次评价的对象为甲单位2023年度项目支出，" in text
    assert "整体支出" not in text


def test_units_are_split_evenly_across_charts():
    """200 units at 15 a chart: 14 charts of 14 or 15, not 13 of 15 and a last one of 5 fat bars."""
    from perfxl.batch.summary import _groups

    for n, size in ((200, 15), (211, 15), (320, 15), (320, 25), (31, 15), (26, 25), (25, 25), (1, 25)):
        groups = _groups(n, size)
        sizes = [len(g) for g in groups]
        assert [i for g in groups for i in g] == list(range(n))           # every unit once, in rank order
        assert len(groups) == -(-n // size) and max(sizes) <= size
        assert max(sizes) - min(sizes) <= 1, (n, size, sizes)


def test_a_long_unit_name_is_wrapped_on_the_charts(tmp_path, soffice):
    """A 60-character unit name on one line took most of the chart's width from the bars in Calc."""
    folder = tmp_path / "收回"
    folder.mkdir()
    long_name = "江西省南昌市青云谱区" + "长" * 50
    write(folder / "a.xlsx", rows([10, 10, 10, 5]), info(long_name, "张三"))
    write(folder / "b.xlsx", rows([8, 8, 8, 5]), info("乙单位", "张三"))
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    from openpyxl import load_workbook

    from perfxl.model import layout as L
    ws = load_workbook(tmp_path / "汇总.xlsx")[L.SHEET_CONS_CHARTS]
    col = next(c.column for c in ws[1] if c.value == L.CONS_HEADERS["label"])
    label = ws.cell(row=2, column=col).value
    assert label.replace("\n", "") == long_name and all(len(x) <= 16 for x in label.split("\n"))
    printed = soffice.pdf_text(tmp_path / "汇总.xlsx")
    charts = [page for page in printed.split("\f") if L.CHART_TITLES["totals"] in page
              or L.CHART_TITLES["rates"] in page]
    assert len(charts) == 2 and "87.50" in charts[0]
    assert all("长" * 17 not in page for page in charts)                     # no line of the name wider


def test_report_of_a_summary_accounts_for_the_files_it_left_out(tmp_path):
    """4 files found, 2 left out (总分无法计算, 评价年度 blank): the report made from 汇总.xlsx says so,
    not '收到 2 个，纳入 2 个' from reading the included ones again."""
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 10, 10]), info("甲单位", "张三"))
    write(folder / "b.xlsx", rows([10, 10, 10, 9.5]), info("乙单位", "张三"))
    write(folder / "c.xlsx", rows([10, 10, 10, None]), info("丙单位", "张三"))       # no 实际值: no total
    write(folder / "d.xlsx", rows([10, 10, 10, 10]), info("丁单位", "张三", year=None))
    out = tmp_path / "汇总.xlsx"
    proc = subprocess.run([sys.executable, "-m", "perfxl", "consolidate", str(folder), "-o", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 1 and "共找到 4 个文件：纳入 2 个，未纳入 2 个" in proc.stdout.replace("\n", "")
    perfxl("report", tmp_path / "汇总.xlsx", "-o", tmp_path / "报告.docx", cwd=tmp_path)
    text = flat("".join(p.text for p in docx.Document(tmp_path / "报告.docx").paragraphs))
    assert "本次汇总共收到评分工作簿4个，纳入汇总2个，未纳入2个" in text


def test_the_summary_table_prints_a_long_name_and_every_file_of_a_panel(tmp_path, soffice):
    """汇总 printed: a 60-character unit name was cut at its column, and of a panel's files (one per
    line in 文件) only the first showed, the rows being one line high."""
    folder = tmp_path / "收回"
    folder.mkdir()
    long_name = "江西省南昌市青云谱区" + "长" * 50
    write(folder / "长.xlsx", rows([10, 10, 10, 5]), info(long_name, "张三"))
    for who in ("张三", "李四", "王五"):
        write(folder / f"乙_{who}.xlsx", rows([8, 8, 8, 5]), info("乙单位", who))
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    from perfxl.model import layout as L

    printed = soffice.pdf_text(tmp_path / "汇总.xlsx").split("\f")
    table = flat(printed[0])                                                 # 汇总, one page
    assert L.CONS_HEADERS["files"] in table and table.count("长") >= 50       # the whole name, wrapped
    for who in ("张三", "李四", "王五"):
        assert f"乙_{who}.xlsx" in table


def test_the_summary_table_prints_every_file_of_a_twelve_member_panel(tmp_path, soffice):
    """A row of 汇总 grows to 12 lines of wrapped text, as the rows of every sheet perfxl writes do (the
    summary stopped at 10: the files of a panel's 11th and 12th evaluators were cut in print)."""
    folder = tmp_path / "收回"
    folder.mkdir()
    who = [f"评价人{i:02d}" for i in range(1, 13)]
    for name in who:
        write(folder / f"乙_{name}.xlsx", rows([8, 8, 8, 5]), info("乙单位", name))
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)

    table = flat(soffice.pdf_text(tmp_path / "汇总.xlsx").split("\f")[0])
    assert [name for name in who if f"乙_{name}.xlsx" not in table] == []


def test_charts_keep_each_year_apart(tmp_path, soffice):
    """Ranks are per year: one folder with 2022 and 2023 gave one chart ordered by rank alone, 80 分
    (2023's first) above 100 分 (2022's first). Each year now has its own charts, in its rank order."""
    folder = two_years(tmp_path)
    perfxl("consolidate", folder, "-o", tmp_path / "汇总.xlsx", cwd=tmp_path)
    from perfxl.model import layout as L

    pages = [flat(p) for p in soffice.pdf_text(tmp_path / "汇总.xlsx").split("\f")]
    totals = [p for p in pages if L.CHART_TITLES["totals"] in p]
    assert len(totals) == 2
    assert "2022年度" in totals[0] and "2023" not in totals[0].split("总分", 1)[1]
    assert totals[0].index("100.00") < totals[0].index("80.00")
    assert "2023年度" in totals[1] and totals[1].index("80.00") < totals[1].index("50.00")
    rates = [p for p in pages if L.CHART_TITLES["rates"] in p]
    assert len(rates) == 2 and "2022年度" in rates[0] and "2023年度" in rates[1]


def test_report_totals_chart_labels_carry_the_ranks_of_the_table(tmp_path, monkeypatch):
    """The report's 各单位总分 chart numbered its bars 1, 2, 3 … by position: tied units (ranks 1, 1, 3 in
    the ranking table) showed as 1, 2, 3, and several years as one ranking 1 … 4 without the year."""
    from perfxl import api
    from perfxl.report import charts

    seen: list = []
    real = charts.unit_totals
    monkeypatch.setattr(charts, "unit_totals", lambda units: seen.extend(units) or real(units))
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 10, 5]), info("甲单位", "张三"))        # 87.50
    write(folder / "b.xlsx", rows([10, 10, 10, 5]), info("乙单位", "张三"))        # 87.50
    write(folder / "c.xlsx", rows([8, 8, 8, 5]), info("丙单位", "张三"))           # 72.50
    write(folder / "d.xlsx", rows([8, 8, 8, 5]), info("丙单位", "张三", year=2022))
    api.report(api.consolidate(folder, jobs=1), output=tmp_path / "报告.docx")
    labels = [u[0] for u in seen]
    assert labels == ["1. 丙单位（2022）", "1. 乙单位（2023）", "1. 甲单位（2023）", "3. 丙单位（2023）"]


def test_perfxl_report_can_be_called_twice_in_a_script(tmp_path):
    """The first perfxl.report() imports perfxl.report.document, which made ``perfxl.report`` the
    package: a script's second call failed with "'module' object is not callable"."""
    code = ("import sys, perfxl\n"
            "for n in (1, 2):\n"
            "    perfxl.report(perfxl.consolidate(sys.argv[1], jobs=1), output=f'报告{n}.docx')\n"
            "import perfxl.report.document\n"
            "assert callable(perfxl.report.document.render)\n")
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "a.xlsx", rows([10, 10, 10, 5]), info("甲单位", "张三"))
    proc = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "报告1.docx").exists() and (tmp_path / "报告2.docx").exists()


def test_a_panel_member_with_a_blank_evaluator_is_named_apart_from_his_figures(tmp_path):
    """One of a panel left 评价人 blank: the report wrote his file's stem against his figure ('b125.00分'
    for b1.xlsx's 25.00) and said the panel was '李四共2位评价人'."""
    folder = tmp_path / "收回"
    folder.mkdir()
    write(folder / "b1.xlsx", rows([10, 10, 10, 8]), info("乙单位", None))
    write(folder / "b2.xlsx", rows([9, 9, 9, 8]), info("乙单位", "李四"))
    text = report_text(folder, tmp_path)
    assert "b125.00" not in text
    assert "评价组2位评价人的得分：“b1.xlsx”（未填写评价人）25.00分、李四22.50分，按平均值汇总为23.75分。" in text
    assert "由李四等2位评价人（1位未填写姓名）组成评价组" in text and "李四共2位" not in text


def test_grade_distribution_counts_each_year_apart(tmp_path, soffice):
    """Two units over two years were four units in 等级分布 (“优”2个 of 4): a unit counted once per year.
    Each year now has its own counts, in the summary workbook's chart data and in the report."""
    from perfxl.model import layout as L

    folder = two_years(tmp_path)
    text = report_text(folder, tmp_path)
    grades = L.DEFAULT_GRADES
    best, low = grades[0][0], grades[-1][0]
    assert f"等级分布为2022年度“{best}”1个，" in text and "；2023年度" in text
    doc = docx.Document(tmp_path / "报告.docx")
    cells = [[c.text for c in r.cells] for t in doc.tables for r in t.rows]
    totals = [r for r in cells if r and r[0].startswith(L.REPORT_TOTAL + "（")]
    assert [r[0] for r in totals] == [f"{L.REPORT_TOTAL}（2022年度）", f"{L.REPORT_TOTAL}（2023年度）"]
    assert all(r[2] == "2" for r in totals)                                  # two units a year, not four
    assert [r[2] for r in cells if r and r[0] == f"{low}（2023年度）"] == ["1"]         # 甲 50 分 in 2023
    # the summary workbook, as LibreOffice reads it: one count column per year beside the grades
    sheet = soffice.sheets(tmp_path / "汇总.xlsx")[L.SHEET_CONS_CHARTS]
    table = {r[16]: r[17:19] for r in sheet if len(r) > 18 and r[16]}
    assert table[L.CONS_HEADERS["grade"]] == ["2022年度", "2023年度"]
    counted = [v for k, v in table.items() if k in dict(grades)]
    assert table[best] == ["1", "0"] and [sum(int(v[i]) for v in counted) for i in (0, 1)] == [2, 2]


def test_a_report_of_many_units_scores_each_workbook_once_and_draws_in_workers(tmp_path, monkeypatch):
    """A report of 300 units took 11 minutes: every workbook was scored twice (for the consolidation,
    then again for the report) and every unit's chart drawn one after another. A consolidation made
    with full=True keeps what the report needs, and the charts are drawn in worker processes; the
    document is byte for byte the one drawn in this process."""
    import zipfile

    import pytest

    from perfxl import api
    from perfxl.batch import pool
    from perfxl.score import pipeline

    folder = tmp_path / "收回"
    folder.mkdir()
    for i in range(12):
        write(folder / f"u{i}.xlsx", rows([10 - i % 5, 9, 8, 5]), info(f"单位{i:02d}", "张三"))
    cons = api.consolidate(folder, jobs=2, full=True)
    plain = api.consolidate(folder, jobs=2)                       # the tables do not depend on it
    for table in ("summary", "detail", "analysis", "panel", "rejected"):
        assert getattr(cons, table).equals(getattr(plain, table)), table
    monkeypatch.setattr(pipeline, "score_path", lambda *a, **k: pytest.fail("a workbook scored again"))
    pools: list[int] = []
    real = pool.new_pool
    monkeypatch.setattr(pool, "new_pool", lambda n: pools.append(n) or real(n))
    monkeypatch.setattr(pool, "default_jobs", lambda: 2)
    api.report(cons, output=tmp_path / "workers.docx")
    assert pools == [2]
    monkeypatch.setattr(pool, "default_jobs", lambda: 1)
    api.report(cons, output=tmp_path / "here.docx")
    assert pools == [2]
    with zipfile.ZipFile(tmp_path / "workers.docx") as a, zipfile.ZipFile(tmp_path / "here.docx") as b:
        assert a.namelist() == b.namelist()
        assert [n for n in a.namelist() if a.read(n) != b.read(n)] == []
        # five different units' charts (a picture drawn twice is stored once), 各单位总分 and 等级分布
        assert sum(n.startswith("word/media/") for n in a.namelist()) == 5 + 2


def _draw_or_die(job):
    """charts.draw, except that the worker drawing the 二级指标得分率 of the unit whose first indicator
    scored 30% dies every time (a chart that crashes matplotlib)."""
    import multiprocessing
    import os

    from perfxl.report import charts

    fn, data = job
    if fn is charts.level_rates and data[0][2] == 0.3 and multiprocessing.parent_process() is not None:
        os._exit(1)
    return fn(data)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork to inject a crashing worker")
def test_a_chart_that_kills_its_worker_every_time_is_left_out_with_a_warning(tmp_path, monkeypatch):
    """A chart whose drawing kills its worker was drawn again in the main process: a crash of matplotlib
    would then end the command and no report be written. It is tried again in a worker of its own; one
    that kills that worker too is left out: the report is written without that unit's chart, and says so."""
    import multiprocessing

    from perfxl import api
    from perfxl.batch import pool
    from perfxl.model import layout as L
    from perfxl.report import charts

    if not charts.available():
        pytest.skip("no CJK font: the report has no charts")
    folder = tmp_path / "收回"
    folder.mkdir()
    for i in range(8):
        write(folder / f"u{i}.xlsx", rows([3 if i == 5 else 10, 9, 8, 5]), info(f"单位{i:02d}", "张三"))
    cons = api.consolidate(folder, jobs=1, full=True)
    # forked workers inherit the patched module; the default forkserver would import it afresh
    monkeypatch.setattr(pool, "_mp_context", lambda: multiprocessing.get_context("fork"))
    monkeypatch.setattr(pool, "default_jobs", lambda: 2)
    monkeypatch.setattr(charts, "draw", _draw_or_die)
    made = api.report(cons, output=tmp_path / "报告.docx")
    (warning,) = [p for p in made.problems if p.code == "report_charts_lost"]
    assert warning.severity == "warning" and "有 1 幅图表未能生成" in warning.message
    assert warning.file == str(tmp_path / "报告.docx")
    doc = docx.Document(made.output)
    chapters: dict[str, int] = {}          # each unit's chapter: its pictures
    unit = None
    for para in doc.paragraphs:
        if para.style.name.startswith("Heading 1") and "单位0" in para.text:
            unit = next(f"单位{i:02d}" for i in range(8) if f"单位{i:02d}" in para.text)
            chapters[unit] = 0
        elif unit is not None:
            chapters[unit] += len(para._p.xpath(".//w:drawing"))
    assert chapters == {f"单位{i:02d}": 0 if i == 5 else 1 for i in range(8)}
    # one report per unit: the warning goes with the report that lacks the chart
    each = api.report_each(cons, output=tmp_path / "各单位")
    assert len(each.written) == 8
    warned = [r.output.name for r in each.reports if any(p.code == "report_charts_lost" for p in r.problems)]
    assert warned == [f"单位05{L.REPORT_SUFFIX}.docx"]
