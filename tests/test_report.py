"""perfxl report: Word tables from scored workbooks, read back cell by cell with python-docx,
converted to PDF by LibreOffice, and driven through the CLI as a user would."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
from conftest import EXAMPLE
from docx.oxml.ns import qn
from test_example import DEPARTURES, PUBLISHED

from perfxl.model import layout as L

EXAMPLE_NAME = EXAMPLE.name

# --- helpers ------------------------------------------------------------------------


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def table_by_header(doc, header: tuple[str, ...], nth: int = 0):
    found = [t for t in doc.tables if tuple(c.text for c in t.rows[0].cells) == tuple(header)]
    assert len(found) > nth, f"no table with header {header}"
    return found[nth]


def paragraphs(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


@pytest.fixture
def scored(example, cli) -> Path:
    """The public example, scored with the CLI: a scored workbook as evaluators hand it over."""
    run = cli("score", example)
    assert run.code == 0, run.text
    out = example.with_name(example.stem + L.OUTPUT_SUFFIX + ".xlsx")
    assert out.exists()
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """One report of the scored public example, shared by the tests that only read it."""
    import os
    import shutil
    import sys

    from conftest import EXAMPLE

    work = tmp_path_factory.mktemp("report")
    wb = shutil.copy2(EXAMPLE, work / EXAMPLE.name)
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}

    def perfxl(*args):
        proc = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True, text=True,
                              cwd=work, env=env, timeout=300)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
        return proc

    perfxl("score", wb)
    scored_wb = wb.with_name(wb.stem + L.OUTPUT_SUFFIX + ".xlsx")
    out = work / "报告.docx"
    run = perfxl("report", scored_wb, "-o", out)
    assert f"报告已写入：{out}" in run.stdout.replace("\n", "")
    return out


def public_example() -> dict:
    """The public example's source data (rows, info, 基础数据), as shipped in perfxl/data/examples."""
    from conftest import EXAMPLE

    from perfxl.model.frameworks import examples

    found = examples()
    return next(ex for ex in (found.values() if isinstance(found, dict) else found) if ex["output"] == EXAMPLE.name)


def indicator_rows() -> list[dict]:
    return [dict(r) for r in public_example()["rows"]]


# --- the public example, cell by cell --------------------------------------------------

def test_summary_table_is_computed(report, cli):
    doc = docx.Document(report)
    t = rows(table_by_header(doc, L.REPORT_SUMMARY_HEADERS))
    # the seed report prints 100% for 产出数量 and 60% for 产出成本: here the rates follow the scores
    assert ["部门决策", "小计", "15", "11.70", "78.00%"] in t
    assert ["部门决策", "绩效目标", "5", "1.70", "34.00%"] in t
    assert ["部门管理", "小计", "25", "18.88", "75.52%"] in t
    assert ["部门产出", "产出数量", "10", "9.50", "95.00%"] in t
    assert ["部门产出", "产出成本", "5", "5.00", "100.00%"] in t
    assert t[-2][:4] == ["合计", "合计", "100", "88.78"] and t[-2][4] == "88.78%"
    assert t[-1] == ["等级", "等级", "良", "良", "良"]

    # every level row against the scoring pipeline's own figures (perfxl score --json)
    levels = cli("score", report.with_name(EXAMPLE_NAME), "--json", "--no-write").json()["levels"]
    body = t[1:-2]
    assert len(body) == len(levels)
    expected = []
    for l1 in (l for l in levels if l["level"] == 1):
        for l2 in (l for l in levels if l["level"] == 2 and l["parent"] == l1["name"]):
            expected.append([l1["name"], l2["name"], f"{l2['weight']:g}", f"{l2['score']:.2f}",
                             f"{l2['score'] / l2['weight'] * 100:.2f}%"])
        expected.append([l1["name"], L.REPORT_SUBTOTAL, f"{l1['weight']:g}", f"{l1['score']:.2f}",
                         f"{l1['score'] / l1['weight'] * 100:.2f}%"])
    assert body == expected


def test_level_cells_are_merged_vertically(report):
    table = table_by_header(docx.Document(report), L.REPORT_SUMMARY_HEADERS)
    first_col = [r._tr.findall(qn("w:tc"))[0] for r in table.rows[1:5]]      # 部门决策: 3 二级 + 小计

    def vmerge(tc):
        el = tc.tcPr.find(qn("w:vMerge")) if tc.tcPr is not None else None
        return None if el is None else el.get(qn("w:val"), "continue")

    assert [vmerge(tc) for tc in first_col] == ["restart", "continue", "continue", "continue"]
    assert all(L.REPORT_DITTO not in p.text for t in docx.Document(report).tables for c in t._cells
               for p in c.paragraphs)


def test_scoring_table_has_every_indicator(report):
    doc = docx.Document(report)
    t = rows(table_by_header(doc, L.REPORT_SCORING_HEADERS))
    src = indicator_rows()
    body, total = t[1:-1], t[-1]
    assert len(body) == 44 == len(src)
    current = {}
    for row, ind, published in zip(body, src, PUBLISHED):
        level1, level2, name, weight, criterion, score, process = row
        for key in ("level1", "level2"):          # blank in the source means "same as above"
            if ind.get(key):
                current[key] = re.sub(r"\(.*\)$", "", ind[key])
        assert (level1, level2, name) == (current["level1"], current["level2"], ind["name"])
        assert weight == f"{ind['weight']:g}"
        assert criterion == (ind.get("criterion") or "")
        assert score == f"{published:.2f}"
        assert "依据评分标准" in process
        if ind.get("note") and str(ind["code"]) not in DEPARTURES:
            assert process.startswith(ind["note"].rstrip("。"))
    assert total[:4] == ["合计", "合计", "合计", "100"] and total[5] == "88.78"


def test_deductions_list_every_indicator_that_lost_points(report):
    doc = docx.Document(report)
    t = rows(table_by_header(doc, L.REPORT_DEDUCTION_HEADERS))
    src = indicator_rows()
    expected = [(ind["name"], ind["weight"], p, ind.get("note")) for ind, p in zip(src, PUBLISHED)
                if ind["weight"] - p > 0.005]
    assert len(t) - 1 == len(expected) == 8
    for i, (row, (name, weight, score, note)) in enumerate(zip(t[1:], expected), start=1):
        assert row[0] == str(i)
        assert row[2:6] == [name, f"{weight:g}", f"{score:.2f}", f"{weight - score:.2f}"]
        assert row[6] == note
    intro = next(p for p in paragraphs(doc) if p.startswith("共有"))
    assert "8项" in intro and "11.22分" in intro        # 100 − 88.78


def test_deviation_appendix(report):
    doc = docx.Document(report)
    t = rows(table_by_header(doc, L.REPORT_DEVIATION_HEADERS))
    got = {r[0]: (r[1], r[2], r[3], r[4]) for r in t[1:]}
    assert got == {
        "3": ("绩效目标合理性", "1.20", "0.80", "-0.40"),
        "7": ("支出预算执行率", "2.87", "2.88", "+0.01"),
        "13": ("固定资产利用率", "1.50", "2.00", "+0.50"),
        "21": ("开展维权普法活动次数", "0.83", "1.00", "+0.17"),
    }
    assert {k: (float(v[1]), float(v[2])) for k, v in got.items()} == DEPARTURES
    notes = {str(r["code"]): r["note"] for r in indicator_rows()}
    assert all(r[5] == notes[r[0]] for r in t[1:])


def test_conclusion_and_basic_information(report):
    doc = docx.Document(report)
    text = paragraphs(doc)
    assert text[0] == "南昌市青云谱区总工会2022年度部门整体支出绩效评价报告"
    conclusion = next(p for p in text if p.startswith("经评价"))
    assert "总得分88.78分，绩效评级为“良”。" in conclusion
    assert any(p.startswith("等级划分：90分（含）以上为“优”") for p in text)
    assert not any("注意" in p for p in text)          # a clean workbook: no warning
    info = dict(rows(table_by_header(doc, L.REPORT_INFO_HEADERS))[1:])
    assert info == {"单位名称": "南昌市青云谱区总工会", "评价年度": "2022", "评价类型": "部门整体支出绩效评价",
                    "评价机构": "江西正效咨询管理有限公司", "评价日期": "2023年6月"}
    for title in L.REPORT_SECTIONS.values():
        assert sum(p.text == title and p.style.name == "Heading 2" for p in doc.paragraphs) == 1


def test_official_document_layout(report):
    doc = docx.Document(report)
    sec = doc.sections[0]
    assert (round(sec.page_width.cm, 1), round(sec.page_height.cm, 1)) == (21.0, 29.7)
    normal_fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal_fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert doc.styles["Heading 2"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    assert doc.styles["表格文字"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
    with zipfile.ZipFile(report) as z:
        fonts = z.read("word/fontTable.xml").decode()
    assert re.search(r'w:name="仿宋_GB2312">\s*<w:altName w:val="仿宋"/>', fonts)
    for table in doc.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
    summary = table_by_header(doc, L.REPORT_SUMMARY_HEADERS)
    for col in (2, 3, 4):                                # 权重, 得分, 得分率
        assert summary.rows[1].cells[col].paragraphs[0].alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT


# --- LibreOffice -------------------------------------------------------------------

def test_report_converts_to_pdf_with_the_tables(report, soffice):
    text = soffice.pdf_text(report)
    flat = re.sub(r"\s+", "", text)
    for needle in ("评价得分一览表", "指标评分表", "扣分指标与问题清单", "评价偏差", "部门决策", "部门效益",
                   "总得分88.78分，绩效评级为“良”"):
        assert needle in flat, needle
    # the merged 一级 cell is centred over its rows, so the rows read without it
    for line in (r"小计\s+15\s+11\.70\s+78\.00%", r"小计\s+25\s+18\.88\s+75\.52%", r"合计\s+100\s+88\.78\s+88\.78%",
                 r"产出数量\s+10\s+9\.50\s+95\.00%", r"绩效目标\s+5\s+1\.70\s+34\.00%"):
        assert re.search(line, text), line
    for rule, given, diff in (("1.20", "0.80", "-0.40"), ("2.87", "2.88", r"\+0.01"), ("1.50", "2.00", r"\+0.50"),
                              ("0.83", "1.00", r"\+0.17")):
        assert re.search(rf"{rule}\s+{given}\s+{diff}", text), (rule, given)
    pdf = report.parent / f"lo-pdf-{report.stem}" / f"{report.stem}.pdf"
    # in content order every cell reads whole: rows are not split across pages
    raw = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True,
                                            text=True).stdout)
    for ind in indicator_rows():
        assert re.sub(r"\s+", "", ind["name"]) in raw, ind["name"]
        assert re.sub(r"\s+", "", ind.get("criterion") or "") in raw, ind["name"]
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "(A4)" in info
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) >= 5


# --- templates -----------------------------------------------------------------------

def test_shipped_template_is_current(tmp_path):
    from perfxl.report.document import write_report_template

    shipped = Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME
    fresh = write_report_template(tmp_path / "fresh.docx")
    with zipfile.ZipFile(shipped) as a, zipfile.ZipFile(fresh) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        stale = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert stale == [], f"{shipped.name} is stale: run python -m devtools.build_templates"


def test_restyled_template_is_honoured(scored, cli, tmp_path):
    from docx.shared import Pt, RGBColor

    tpl = Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME
    doc = docx.Document(tpl)
    heading = next(p for p in doc.paragraphs if p.text == L.REPORT_SECTIONS["scores"])
    heading.runs[0].text = "二、得分情况（本所格式）"
    h2 = doc.styles["Heading 2"]
    h2.font.size, h2.font.color.rgb = Pt(18), RGBColor(0x1F, 0x4E, 0x79)
    header = table_by_header(doc, L.REPORT_SUMMARY_HEADERS)
    header.rows[0].cells[2].paragraphs[0].runs[0].text = "分值"
    mine = tmp_path / "本所模板.docx"
    doc.save(mine)

    out = tmp_path / "定制.docx"
    run = cli("report", scored, "--template", mine, "-o", out)
    assert run.code == 0, run.text
    got = docx.Document(out)
    p = next(p for p in got.paragraphs if p.text == "二、得分情况（本所格式）")
    assert p.style.name == "Heading 2"
    assert got.styles["Heading 2"].font.size == Pt(18)
    assert got.styles["Heading 2"].font.color.rgb == RGBColor(0x1F, 0x4E, 0x79)
    assert L.REPORT_SECTIONS["scores"] not in paragraphs(got)
    t = rows(table_by_header(got, ("一级指标", "二级指标", "分值", "得分", "得分率")))
    assert ["部门决策", "小计", "15", "11.70", "78.00%"] in t


def test_broken_and_missing_templates_exit_2(scored, cli, tmp_path):
    tpl = Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME
    doc = docx.Document(tpl)
    p = next(p for p in doc.paragraphs if p.text == "{{ u.conclusion }}")
    p.runs[0].text = "{{ u.conclusion "
    broken = tmp_path / "坏模板.docx"
    doc.save(broken)
    out = tmp_path / "r.docx"
    run = cli("report", scored, "--template", broken, "-o", out)
    assert run.code == 2 and "报告模板“坏模板.docx”中的标记有误" in run.err.replace("\n", "")
    assert not out.exists()

    run = cli("report", scored, "--template", tmp_path / "没有.docx", "-o", out)
    assert run.code == 2 and "找不到报告模板" in run.err
    notdocx = tmp_path / "假.docx"
    notdocx.write_text("not a document")
    run = cli("report", scored, "--template", notdocx, "-o", out, "--json")
    assert run.code == 2 and run.json()["problems"][0]["code"] == "report_template_invalid"
    assert not out.exists()


# --- 基础数据 and derived figures ----------------------------------------------------------

def test_basic_section_uses_basic_data_and_figures_when_present(scored, monkeypatch, tmp_path):
    from perfxl.report import document as R
    results = R.load_results([scored])
    fake = [SimpleNamespace(name="支出预算执行率", value=580.8142 / 549.6875,
                            text="支出预算执行率=580.8142/549.6875×100%=105.66%"),
            SimpleNamespace(name="预算调整率", value=None, text="")]            # not computable: left out
    monkeypatch.setattr(R, "basic_of", lambda r: {"spent_total": 580.8142, "budget_adjusted": 549.6875,
                                                  "public_previous": 482649.12, "staff_quota": 10.0,
                                                  "carryover": None})
    monkeypatch.setattr(R, "figures_of", lambda r: fake)
    out = R.write_report(results, tmp_path / "r.docx").output
    doc = docx.Document(out)
    assert rows(table_by_header(doc, L.REPORT_BASIC_HEADERS))[1:] == [
        ["调整后预算数", "549.6875", "万元"], ["决算支出数", "580.8142", "万元"],
        ["公用经费上年数", "482,649.12", "元"], ["编制数", "10", "人"]]
    assert rows(table_by_header(doc, L.REPORT_FIGURE_HEADERS))[1:] == [
        ["支出预算执行率", "支出预算执行率=580.8142/549.6875×100%=105.66%", "105.66%"]]
    assert L.REPORT_CAPTIONS["basic"] in paragraphs(doc)


def test_basic_section_degrades_to_basic_information(scored, monkeypatch, tmp_path):
    from perfxl.report import document as R
    results = R.load_results([scored])
    monkeypatch.setattr(R, "basic_of", lambda r: {})
    monkeypatch.setattr(R, "figures_of", lambda r: [])
    doc = docx.Document(R.write_report(results, tmp_path / "r.docx").output)
    headers = [tuple(c.text for c in t.rows[0].cells) for t in doc.tables]
    assert tuple(L.REPORT_INFO_HEADERS) in headers
    assert tuple(L.REPORT_BASIC_HEADERS) not in headers and tuple(L.REPORT_FIGURE_HEADERS) not in headers
    assert L.REPORT_CAPTIONS["basic"] not in paragraphs(doc)
    assert L.REPORT_CAPTIONS["figures"] not in paragraphs(doc)


# --- the command line ---------------------------------------------------------------------

def test_default_output_beside_input_and_backup_on_rerun(scored, cli):
    run = cli("report", scored)
    assert run.code == 0, run.text
    out = scored.with_name(scored.stem + L.REPORT_SUFFIX + ".docx")
    assert out.exists()
    first = out.read_bytes()
    assert "总分 88.78（良）" in run.out and "评价偏差 4 项" in run.out

    run = cli("report", scored)
    assert run.code == 0, run.text
    backups = list(scored.parent.glob(f"{out.stem}.bak-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == first
    assert f"原有文件已备份为：{backups[0].name}" in run.out
    assert docx.Document(out).paragraphs[0].text.endswith("报告")
    assert not list(scored.parent.glob(".*.tmp"))                     # atomic write left nothing behind


def test_json_summary(scored, cli, tmp_path):
    out = tmp_path / "r.docx"
    run = cli("report", scored, "-o", out, "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert data["output"] == str(out) and data["backup"] is None and data["template"] is None
    (unit,) = data["units"]
    assert unit["unit"] == "南昌市青云谱区总工会" and unit["total"] == 88.78 and unit["grade"] == "良"
    assert (unit["indicators"], unit["deductions"], unit["deviations"], unit["errors"]) == (44, 8, 4, 0)
    assert data["problems"] == []
    assert out.exists()


def test_several_workbooks_one_section_each(make_workbook, cli, tmp_path):
    from conftest import simple_rows

    ex = public_example()
    a = make_workbook(rows=indicator_rows(), info=ex["info"], basic=ex.get("basic"), name="甲.xlsx")
    info = {**ex["info"], "unit": "某某区妇联"}
    b = make_workbook(rows=simple_rows(4), info=info, name="乙.xlsx")
    run = cli("report", a, b, "--json")
    assert run.code == 0, run.text
    data = run.json()
    out = Path(data["output"])
    assert out == tmp_path / (L.REPORT_MULTI_STEM.format(n=2) + ".docx")
    assert [u["unit"] for u in data["units"]] == ["南昌市青云谱区总工会", "某某区妇联"]
    doc = docx.Document(out)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["南昌市青云谱区总工会2022年度部门整体支出绩效评价", "某某区妇联2022年度部门整体支出绩效评价"]
    assert doc.paragraphs[0].text == "2022年度部门整体支出绩效评价报告（2个单位）"
    second = rows(table_by_header(doc, L.REPORT_SUMMARY_HEADERS, nth=1))
    # 指标1..4: 10/10, 9/10, 8/10, 7/10 of 25 each -> 25 + 22.5 + 20 + 17.5
    assert second[-2][2:] == ["100", "85.00", "85.00%"] and second[-1][2] == "良"
    assert sum(p.text == L.REPORT_SECTIONS["table"] for p in doc.paragraphs) == 2


def test_validation_errors_still_write_report_with_warning(make_workbook, cli, tmp_path):
    ex = public_example()
    rows_ = indicator_rows()
    rows_[4]["actual"] = None                           # 预算编制科学性: 实际值为空
    wb = make_workbook(rows=rows_, info=ex["info"], basic=ex.get("basic"), name="有错.xlsx")
    errors = [p for p in cli("validate", wb, "--json").json()["problems"] if p["severity"] == "error"]
    assert [p["message"] for p in errors] == ["实际值为空"]
    run = cli("report", wb)
    assert run.code == 1, run.text
    out = wb.with_name("有错" + L.REPORT_SUFFIX + ".docx")
    assert out.exists()
    doc = docx.Document(out)
    first = doc.paragraphs[1]
    assert first.style.name == "报告警告"
    assert first.text.startswith("注意：“有错.xlsx”有 1 个校验错误") and "实际值为空" in first.text
    body = doc.element.body
    assert body.index(first._p) < body.index(doc.tables[0]._tbl)   # above every table
    assert any("总得分无法计算" in p.text for p in doc.paragraphs)
    t = rows(table_by_header(doc, L.REPORT_SCORING_HEADERS))
    row = next(r for r in t if r[2] == "预算编制科学性")
    assert row[5] == "—"
    assert "校验错误" in run.out


def test_unusable_input_exits_2_and_writes_nothing(example, cli, tmp_path):
    junk = tmp_path / "坏.xlsx"
    junk.write_text("not a workbook")
    run = cli("report", example, junk)
    assert run.code == 2
    assert "不是 Excel 工作簿" in run.err
    assert not list(tmp_path.glob("*.docx"))
    run = cli("report", junk, "--json")
    assert run.code == 2 and run.json()["problems"][0]["code"] == "file_not_excel"
    run = cli("report", example, "-o", tmp_path / "报告.txt")
    assert run.code == 2 and "不是 .docx 文件" in run.err


def test_output_open_in_word_is_left_alone(scored, cli):
    out = scored.with_name("报告.docx")
    out.write_bytes(b"the evaluator's edited report")
    scored.with_name("~$" + out.name).write_bytes(b"owner")            # Word's lock file
    run = cli("report", scored, "-o", out)
    assert run.code == 2 and "正在被 Word 或 WPS 打开" in run.err
    assert out.read_bytes() == b"the evaluator's edited report"
    assert not list(scored.parent.glob("报告.bak-*"))


def test_project_evaluation_names_the_project(scored, tmp_path):
    from perfxl.report import document as R
    (result,) = R.load_results([scored])
    result.info.update(kind="项目支出绩效评价", project="示例区老旧小区改造项目")
    doc = docx.Document(R.write_report([result], tmp_path / "r.docx").output)
    assert doc.paragraphs[0].text == "南昌市青云谱区总工会2022年度示例区老旧小区改造项目绩效评价报告"
    info = dict(rows(table_by_header(doc, L.REPORT_INFO_HEADERS))[1:])
    assert info["项目名称"] == "示例区老旧小区改造项目" and info["评价类型"] == "项目支出绩效评价"
    assert any(p.text.startswith("经评价，南昌市青云谱区总工会2022年度示例区老旧小区改造项目绩效评价总得分88.78分")
               for p in doc.paragraphs)


def test_report_from_a_consolidated_summary(make_workbook, cli, tmp_path):
    """A summary workbook from perfxl consolidate stands for the workbooks it included."""
    import shutil

    from docx import Document

    folder = tmp_path / "收回"
    folder.mkdir()
    for unit in ("甲单位", "乙单位"):
        def info(wb, unit=unit):
            wb["基本信息"]["B2"] = unit
        shutil.copy2(make_workbook(mutate=info, name=f"{unit}.xlsx"), folder / f"{unit}.xlsx")
    assert cli("consolidate", folder, "-o", "汇总.xlsx", "--jobs", "1").code == 0
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 0, run.text
    assert sorted(u["unit"] for u in run.json()["units"]) == ["乙单位", "甲单位"]
    text = "\n".join(p.text for p in Document(tmp_path / "报告.docx").paragraphs)
    assert "甲单位" in text and "乙单位" in text
