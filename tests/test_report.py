"""perfxl report: the complete draft (cover, 目录, 一…七, 落款, landscape 评分表), read back with
python-docx, and rendered by LibreOffice (its 目录 updated as a user does) to PDF, read with pdftotext
and as page images. Two documents go through LibreOffice, in one office: the public example as a
single-unit report made through the CLI, and a consolidation report with a unit scored by a panel."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import docx
import numpy
import pytest
from conftest import EXAMPLE
from docx.oxml.ns import qn
from openpyxl import load_workbook
from test_example import DEPARTURES, PUBLISHED

from perfxl.model import layout as L

# --- helpers ------------------------------------------------------------------------


def rows(table) -> list[list[str]]:
    return [[c.text for c in r.cells] for r in table.rows]


def table_by_header(doc, header: tuple[str, ...], nth: int = 0):
    found = [t for t in doc.tables if tuple(c.text for c in t.rows[0].cells) == tuple(header)]
    assert len(found) > nth, f"no table with header {header}"
    return found[nth]


def paragraphs(doc) -> list[str]:
    return [p.text for p in doc.paragraphs]


def flat(s: str) -> str:
    return re.sub(r"\s+", "", s)


def public_example() -> dict:
    from perfxl.model.frameworks import examples

    return next(ex for ex in examples().values() if ex["output"] == EXAMPLE.name)


def indicator_rows() -> list[dict]:
    return [dict(r) for r in public_example()["rows"]]


def perfxl(*args, cwd: Path) -> subprocess.CompletedProcess:
    import os
    import sys

    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run([sys.executable, "-m", "perfxl", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    return proc


def panel_of(records, method: str = "mean"):
    """Several evaluators' FileRecords of one unit as ONE FileRecord holding the panel figures (as
    the consolidation hands them to the report): per indicator the mean as ``score``, the
    evaluators' figures quoted in ``process``."""
    from perfxl.model.values import fmt_score, round2

    first = records[0]
    names = [r.info.get("evaluator") for r in records]
    inds = []
    for group in zip(*(r.indicators for r in records)):
        figures = [i.score for i in group]
        score = round2(sum(figures) / len(figures))
        quoted = "、".join(f"{n}评{fmt_score(f)}分" for n, f in zip(names, figures))
        base = group[0]
        inds.append(replace(base, score=score, rate=score / base.weight, evaluator_score=None, deviates=False,
                            difference=None, process=f"{quoted}，评价组取平均值{fmt_score(score)}分。"))
    sums: dict = defaultdict(float)
    for i in inds:
        sums[(1, i.level1, None)] += i.score
        sums[(2, i.level2, i.level1)] += i.score
    levels = tuple(replace(lv, score=round2(sums[(lv.level, lv.name, lv.parent)])) for lv in first.levels)
    total = round2(sum(i.score for i in inds))
    from perfxl.score.engine import grade_for

    return replace(first, indicators=tuple(inds), levels=levels, total=total,
                   grade=grade_for(total, list(first.grades)), info={**first.info, "evaluator": "、".join(names)})


def project_workbooks(folder: Path) -> list[Path]:
    """The project example as two evaluators scored it (李四 judged three indicators lower)."""
    from perfxl.io.files import atomic_save
    from perfxl.model.frameworks import examples
    from perfxl.sheets.template import new_workbook

    ex = examples()["project_example"]
    out = []
    for evaluator, changes in (("张三", {}), ("李四", {"12": "33个", "17": "70%", "18": "①"})):
        rows_ = [dict(r, actual=changes.get(str(r["code"]), r.get("actual"))) for r in ex["rows"]]
        wb = new_workbook(rows=rows_, info={**ex["info"], "evaluator": evaluator}, basic=ex.get("basic"),
                          survey=ex.get("survey_spec"), blank_rows=0)
        path = folder / f"项目_{evaluator}.xlsx"
        atomic_save(wb, path)
        out.append(path)
    return out


# --- the two documents, and their PDFs ------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    """The single-unit report of the public example (through the CLI) and a consolidation report
    (through the API) of the public example and the project example scored by a panel of two."""
    from perfxl.model.records import Overview, RankRow
    from perfxl.report.document import load_results, write_report

    work = tmp_path_factory.mktemp("report")
    wb = shutil.copy2(EXAMPLE, work / EXAMPLE.name)
    perfxl("score", wb, cwd=work)
    scored = wb.with_name(wb.stem + L.OUTPUT_SUFFIX + ".xlsx")
    single = work / "报告.docx"
    run = perfxl("report", scored, "-o", single, cwd=work)
    assert f"报告已写入：{single}" in run.stdout.replace("\n", "")

    pub = load_results([scored])[0]
    evaluators = load_results(project_workbooks(work))
    panel = panel_of(evaluators)
    overview = Overview(
        ranking=(RankRow(pub.info["unit"], 2022, pub.total, pub.grade, 1, 1, ()),
                 RankRow(panel.info["unit"], 2024, panel.total, panel.grade, 2, 2, ("张三", "李四"))),
        grades=(("优", 0), ("良", 2), ("中", 0), ("差", 0)), found=3, included=3, not_included=0)
    consolidated = write_report([pub, panel], work / "汇总报告.docx", overview=overview, deviations=True).output
    return {"single": single, "consolidated": consolidated, "pub": pub, "panel": panel,
            "evaluators": evaluators, "overview": overview}


@pytest.fixture(scope="module")
def pdfs(built, soffice) -> dict:
    """Both documents through LibreOffice (one office, 目录 updated): per document the PDF, every
    page's text and whether it is landscape."""
    from devtools.vba import HERE, uno_python

    exe = uno_python()
    if exe is None:
        import os

        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice 的 Python 接口 (python3-uno) 不可用：CI 中需要它更新报告的目录")
        pytest.skip("python3-uno not installed")
    pairs = []
    for key in ("single", "consolidated"):
        pairs += [str(built[key]), str(built[key].with_suffix(".pdf"))]
    proc = subprocess.run([exe, str(HERE / "lo_uno.py"), "docx-pdf", *pairs], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["indexes"] for line in proc.stdout.splitlines()] == [1, 1]     # the 目录 field
    out = {}
    for key in ("single", "consolidated"):
        pdf = built[key].with_suffix(".pdf")
        info = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True).stdout
        sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
        pages, raw = [], []
        for n in range(1, len(sizes) + 1):
            for mode, into in (("-layout", pages), ("-raw", raw)):
                into.append(subprocess.run(["pdftotext", mode, "-f", str(n), "-l", str(n), str(pdf), "-"],
                                           capture_output=True, text=True).stdout)
        out[key] = {"pdf": pdf, "pages": pages, "raw": raw, "landscape": [w > h for w, h in sizes]}
    return out


def footer_number(page: str) -> int | None:
    lines = [l.strip() for l in page.splitlines() if l.strip()]
    m = re.fullmatch(r"—\s*(\d+)\s*—", lines[-1]) if lines else None
    return int(m.group(1)) if m else None


# --- LibreOffice: what a reader sees ----------------------------------------------------------

def test_sections_in_order_and_nothing_internal(pdfs):
    pages = pdfs["single"]["pages"]
    text = flat("".join(pages))
    assert flat(pages[0]).startswith("南昌市青云谱区总工会2022年度部门整体支出绩效评价报告")
    for needle in ("评价对象：南昌市青云谱区总工会", "评价机构：江西正效咨询管理有限公司", "报告日期：2023年6月"):
        assert needle in flat(pages[0])
    titles = [*(t for k, t in L.REPORT_CHAPTERS.items() if k != "overview"),
              "评价机构（盖章）：江西正效咨询管理有限公司",
              "附件1："]
    body = text[text.index(flat(L.REPORT_TOC_TITLE)) + 2:]
    body = body[body.index("附件1") + 3:]                       # past the 目录
    positions = [body.find(flat(t)) for t in titles]
    assert all(p >= 0 for p in positions), dict(zip(titles, positions))
    assert positions == sorted(positions)
    assert "总得分88.78分，绩效评级为“良”" in text
    assert "【待填写：" in text                                  # places a person must write
    for internal in ("可据此撰写", "perfxl", "规则得分", "与规则得分相差", "评价偏差", "应得60%"):
        assert internal not in text, internal


def test_toc_is_a_field_that_libreoffice_updates_with_the_right_pages(pdfs):
    pages = pdfs["single"]["pages"]
    toc = pages[1]
    assert flat(L.REPORT_TOC_TITLE) in flat(toc)
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", toc, re.M)
    by_number = {footer_number(p): p for p in pages}
    chapters = [t for k, t in L.REPORT_CHAPTERS.items() if k != "overview"]
    assert [e[0] for e in entries if e[0] in chapters] == chapters
    assert len(entries) >= len(chapters) + 12                    # with the （一）… sub-headings
    assert [e[0] for e in entries][:2] == ["一、基本情况", "（一）部门（单位）概况"]
    for heading, number in entries:
        page = by_number.get(int(number))
        assert page is not None and flat(heading) in flat(page), (heading, number)
    assert footer_number(pages[0]) is None and footer_number(toc) is None     # cover and 目录: no number
    assert footer_number(pages[2]) == 1


def test_scoring_appendix_is_landscape_with_labels_on_every_page(pdfs, built):
    doc = pdfs["single"]
    first = next(i for i, p in enumerate(doc["pages"]) if "附件1" in flat(p) and "....." not in p)
    assert doc["landscape"][first] and not any(doc["landscape"][:first])
    assert all(doc["landscape"][first:])
    names = [flat(i.name) for i in built["pub"].indicators]
    level1 = {flat(f"{lv.name}（{lv.weight:g}分）") for lv in built["pub"].levels if lv.level == 1}
    seen = []
    for page in doc["raw"][first:]:                                   # in content order: cells read whole
        raw = flat(page)
        assert any(l1 in raw for l1 in level1), page[:300]           # 一级 printed on every page
        header = flat("".join(L.REPORT_SCORING_HEADERS))
        assert header in raw                                         # the header row repeats
        on_page = [n for n in dict.fromkeys(names) if n in raw]
        assert len(on_page) >= 4, on_page                            # no page of two or three rows
        seen += on_page
    assert set(seen) == set(names)
    assert "合计" in flat(doc["pages"][-1]) and "88.78" in doc["pages"][-1]



def test_no_near_empty_page(pdfs):
    for key in ("single", "consolidated"):
        pages = pdfs[key]["pages"]
        for n, page in enumerate(pages, start=1):
            body = [l for l in page.splitlines() if l.strip() and not re.fullmatch(r"\s*—\s*\d+\s*—\s*", l)]
            assert len(flat("".join(body))) >= 60, (key, n, page)


def test_page_images(pdfs, tmp_path):
    """What the pages look like: the placeholders highlighted, the appendix wider than tall, the
    charts drawn."""
    from PIL import Image

    doc = pdfs["single"]
    pdf = doc["pdf"]
    first_body = 3
    appendix = doc["landscape"].index(True) + 1
    for n in (first_body, appendix):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(n), "-l", str(n), str(pdf), str(tmp_path / f"p{n}")],
                       check=True)
    body = Image.open(next(tmp_path.glob(f"p{first_body}-*.png"))).convert("RGB")
    px = numpy.asarray(body)
    yellow = int(((px[..., 0] > 230) & (px[..., 1] > 230) & (px[..., 2] < 80)).sum())
    assert yellow > 200                                            # 【待填写：…】 highlighted
    land = Image.open(next(tmp_path.glob(f"p{appendix}-*.png")))
    assert land.width > land.height
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 1                # the 二级指标得分率 chart
    images = subprocess.run(["pdfimages", "-list", str(pdfs["consolidated"]["pdf"])], capture_output=True,
                            text=True).stdout
    assert len(images.strip().splitlines()) - 2 >= 5                # totals, grades, 2 × levels, survey


def test_consolidation_report_has_the_ranking_and_one_section_per_unit_with_panel_figures(pdfs, built):
    pages = pdfs["consolidated"]["pages"]
    text = flat("".join(pages))
    panel, pub = built["panel"], built["pub"]
    a, b = (e.total for e in built["evaluators"])
    assert a != b and abs(panel.total - (a + b) / 2) < 0.02        # the panel's figure, not each evaluator's
    ranking = flat(next(p for p in pages if "各单位得分排名" in p))
    assert f"{panel.total:.2f}" in ranking and f"{a:.2f}" not in ranking and f"{b:.2f}" not in ranking
    table = rows(table_by_header(docx.Document(built["consolidated"]), L.REPORT_RANKING_HEADERS))
    assert table[1:] == [["1", pub.info["unit"], "2022", f"{pub.total:.2f}", pub.grade, "1", ""],
                         ["2", panel.info["unit"], "2024", f"{panel.total:.2f}", panel.grade, "2",
                          "评价组得分（张三、李四）"]]
    assert "涉及2个单位" in text and "等级分布" in text
    # one chapter per unit: each unit's chapter heading once, each chapter 一…七 once per unit
    for unit in (pub, panel):
        assert text.count(flat(f"{unit.info['unit']}{unit.info['year']}年度")) >= 2
    assert text.count(flat(L.REPORT_CHAPTERS["findings"])) == 2 + 2          # 目录 + body, per unit
    assert "由张三、李四共2位评价人组成评价组" in text
    assert "张三评" in text and "李四评" in text and "评价组取平均值" in text
    assert f"总得分{panel.total:.2f}分" in text
    # the questionnaire where the work is described: sample, counts and shares, the formula
    assert "人次有效回答" in text and "“非常满意”" in text and "得分率＝∑" in text
    # asked for: the deviations appendix
    assert flat(L.REPORT_APPENDIX_TITLES["deviations"]) in text


# --- the document itself (python-docx) ----------------------------------------------------------

def test_summary_table_is_computed(built):
    doc = docx.Document(built["single"])
    t = rows(table_by_header(doc, L.REPORT_SUMMARY_HEADERS))
    # the seed report prints 100% for 产出数量 and 60% for 产出成本: here the rates follow the scores
    assert ["部门决策", "小计", "15", "11.70", "78.00%"] in t
    assert ["部门决策", "绩效目标", "5", "1.70", "34.00%"] in t
    assert ["部门管理", "小计", "25", "18.88", "75.52%"] in t
    assert ["部门产出", "产出数量", "10", "9.50", "95.00%"] in t
    assert t[-2][:4] == ["合计", "合计", "100", "88.78"] and t[-2][4] == "88.78%"
    assert t[-1] == ["等级", "等级", "良", "良", "良"]
    levels = built["pub"].levels
    body = t[1:-2]
    assert len(body) == len(levels)
    expected = []
    for l1 in (lv for lv in levels if lv.level == 1):
        for l2 in (lv for lv in levels if lv.level == 2 and lv.parent == l1.name):
            expected.append([l1.name, l2.name, f"{l2.weight:g}", f"{l2.score:.2f}",
                             f"{l2.score / l2.weight * 100:.2f}%"])
        expected.append([l1.name, L.REPORT_SUBTOTAL, f"{l1.weight:g}", f"{l1.score:.2f}",
                         f"{l1.score / l1.weight * 100:.2f}%"])
    assert body == expected


def test_scoring_appendix_has_every_indicator_with_labels_at_each_chunk(built):
    doc = docx.Document(built["single"])
    t = table_by_header(doc, L.REPORT_SCORING_HEADERS)
    data = rows(t)[1:-1]
    src = indicator_rows()
    assert len(data) == 44 == len(src)
    for row, ind, published in zip(data, src, PUBLISHED):
        assert row[2] == ind["name"] and row[3] == f"{ind['weight']:g}"
        assert row[4] == (ind.get("criterion") or "")
        assert row[5] == f"{published:.2f}"
        assert "依据评分标准" in row[6] and "规则得分" not in row[6] and "应得" not in row[6]
        if ind.get("note"):
            assert row[6].startswith(ind["note"].rstrip("。"))
    # vertical merges restart at every chunk, and a restarted chunk names its 一级 and 二级
    trs = t._tbl.findall(qn("w:tr"))[1:-1]

    def vmerge(tc):
        el = tc.tcPr.find(qn("w:vMerge")) if tc.tcPr is not None else None
        return None if el is None else el.get(qn("w:val"), "continue")

    for tr in trs:
        first_two = tr.findall(qn("w:tc"))[:2]
        states = [vmerge(tc) for tc in first_two]
        texts = ["".join(x.text or "" for x in tc.iter(qn("w:t"))) for tc in first_two]
        if states[1] != "continue":
            assert all(re.search(r"（\d+(\.\d+)?分）", s) for s in texts), texts
    assert rows(t)[-1][5] == "88.78"
    assert all(L.REPORT_DITTO not in c.text for tb in doc.tables for c in tb._cells)


def test_layout_sections_toc_field_and_placeholders(built):
    doc = docx.Document(built["single"])
    secs = doc.sections
    assert len(secs) == 3
    assert [round(s.page_width.cm, 1) for s in secs] == [21.0, 21.0, 29.7]      # cover+目录, report, appendix
    assert secs[1]._sectPr.find(qn("w:pgNumType")).get(qn("w:start")) == "1"
    with zipfile.ZipFile(built["single"]) as z:
        body = z.read("word/document.xml").decode()
        settings = z.read("word/settings.xml").decode()
        fonts = z.read("word/fontTable.xml").decode()
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    assert re.search(r'<w:instrText[^>]*>\s*TOC \\o "1-3"', body)
    assert '<w:updateFields w:val="true"/>' in settings
    assert re.search(r'w:name="仿宋_GB2312">\s*<w:altName w:val="仿宋"/>', fonts)
    assert len(media) == 1                                                        # the 二级指标得分率 chart
    todo = [r for p in doc.paragraphs for r in p.runs if r.text.startswith("【待填写：")]
    assert todo and all(r.style.name == "待填写" for r in todo)
    style = doc.styles["待填写"].element.rPr
    assert style.find(qn("w:highlight")).get(qn("w:val")) == "yellow"
    assert doc.styles["Normal"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    for table in doc.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None


def test_last_rows_of_every_table_stay_together(built):
    doc = docx.Document(built["single"])
    for table in doc.tables:
        trs = table._tbl.findall(qn("w:tr"))
        if len(trs) < 7:
            continue
        for tr in trs[-5:-1]:
            assert all(p.find(qn("w:pPr")).find(qn("w:keepNext")) is not None for p in tr.iter(qn("w:p"))), \
                rows(table)[0]


def test_deviations_only_when_asked(built, tmp_path):
    from perfxl.report.document import context, write_report

    pub = built["pub"]
    assert context([pub])["deviations"] is None
    doc = docx.Document(write_report([pub], tmp_path / "r.docx", deviations=True).output)
    t = rows(table_by_header(doc, ("单位名称", *L.REPORT_DEVIATION_HEADERS)))
    got = {r[1]: (r[3], r[4], r[5]) for r in t[1:]}
    assert {k: (float(v[0]), float(v[1])) for k, v in got.items()} == DEPARTURES
    text = "\n".join(c.text for tb in doc.tables for c in tb._cells)
    assert "与规则得分相差" in text                             # the internal process, for a review copy


def test_context_keys_are_reachable_in_the_sandbox(built):
    """A key named like a dict method (items, keys …) would be an attribute: refused in the sandbox."""
    from perfxl.report.document import context

    bad = []

    def walk(v, path):
        if isinstance(v, dict):
            for k, x in v.items():
                if hasattr({}, k):
                    bad.append(f"{path}.{k}")
                walk(x, f"{path}.{k}")
        elif isinstance(v, list):
            for x in v:
                walk(x, path + "[]")

    walk(context([built["pub"], built["panel"]], built["overview"], deviations=True), "")
    assert bad == []


# --- templates -----------------------------------------------------------------------

def test_shipped_template_is_current(tmp_path):
    from perfxl.report.document import write_report_template

    shipped = Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME
    fresh = write_report_template(tmp_path / "fresh.docx")
    with zipfile.ZipFile(shipped) as a, zipfile.ZipFile(fresh) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        stale = [n for n in a.namelist() if a.read(n) != b.read(n)]
    assert stale == [], f"{shipped.name} is stale: run `python -m devtools.build_templates`"


def shipped_template():
    return docx.Document(Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME)


def test_restyled_template_is_honoured(built, tmp_path):
    from docx.shared import Pt, RGBColor

    from perfxl.report.document import write_report

    doc = shipped_template()
    heading = next(p for p in doc.paragraphs if p.text == L.REPORT_CHAPTERS["conclusion"])
    heading.runs[0].text = "三、评价结论（本所格式）"
    h2 = doc.styles["Heading 2"]
    h2.font.size, h2.font.color.rgb = Pt(18), RGBColor(0x1F, 0x4E, 0x79)
    header = table_by_header(doc, L.REPORT_SUMMARY_HEADERS)
    header.rows[0].cells[2].paragraphs[0].runs[0].text = "分值"
    mine = tmp_path / "本所模板.docx"
    doc.save(mine)
    got = docx.Document(write_report([built["pub"]], tmp_path / "定制.docx", mine).output)
    assert any(p.text == "三、评价结论（本所格式）" and p.style.name == "Heading 2" for p in got.paragraphs)
    assert got.styles["Heading 2"].font.size == Pt(18)
    assert L.REPORT_CHAPTERS["conclusion"] not in paragraphs(got)
    t = rows(table_by_header(got, ("一级指标", "二级指标", "分值", "得分", "得分率")))
    assert ["部门决策", "小计", "15", "11.70", "78.00%"] in t


def _template_with(tmp_path, name: str, old: str, new: str) -> Path:
    doc = shipped_template()
    p = next(p for p in doc.paragraphs if p.text == old)
    for r in p.runs[1:]:
        r.text = ""
    p.runs[0].text = new
    path = tmp_path / name
    doc.save(path)
    return path


CAPTION = "{{ u.conclusion.caption }}"        # a paragraph every report renders


def test_broken_unsafe_and_missing_templates_exit_2(scored, cli, tmp_path):
    out = tmp_path / "r.docx"
    broken = _template_with(tmp_path, "坏模板.docx", "{{ u.heading }}", "{%p if u.panel %}")     # never closed
    run = cli("report", scored, "--template", broken, "-o", out)
    assert run.code == 2 and "报告模板“坏模板.docx”中的标记有误" in run.err.replace("\n", "")
    for name, expr in (("方法.docx", "{{ u.items() }}"), ("类.docx", "{{ ''.__class__.__mro__ }}"),
                       ("属性.docx", "{{ u.heading.upper() }}")):
        run = cli("report", scored, "--template", _template_with(tmp_path, name, CAPTION, expr), "-o", out,
                  "--json")
        assert run.code == 2 and run.json()["problems"][0]["code"] == "report_template_unsafe", (name, run.text)
    unknown = _template_with(tmp_path, "未知.docx", CAPTION, "{{ u.nothing }}")
    run = cli("report", scored, "--template", unknown, "-o", out)
    assert run.code == 2 and "引用了不存在的数据项" in run.err.replace("\n", "")
    run = cli("report", scored, "--template", tmp_path / "没有.docx", "-o", out)
    assert run.code == 2 and "找不到报告模板" in run.err
    notdocx = tmp_path / "假.docx"
    notdocx.write_text("not a document")
    run = cli("report", scored, "--template", notdocx, "-o", out, "--json")
    assert run.code == 2 and run.json()["problems"][0]["code"] == "report_template_invalid"
    assert not out.exists()


@pytest.mark.parametrize("expr", [
    "{{ cycler.__init__.__globals__.os.popen('touch 已执行').read() }}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('touch 已执行').read() }}",
    "{{ lipsum.__globals__['os'].environ['PERFXL_PASSWORD'] }}",
    "{{ u.__class__.__init__.__globals__ }}",
])
def test_a_template_reaching_for_the_system_runs_nothing(scored, cli, tmp_path, monkeypatch, expr):
    """The classic escapes out of Jinja: nothing runs, the password does not reach the report, exit 2."""
    monkeypatch.setenv("PERFXL_PASSWORD", "机密口令")
    out = tmp_path / "r.docx"
    run = cli("report", scored, "--template", _template_with(tmp_path, "逃逸.docx", CAPTION, expr), "-o", out,
              "--json", cwd=tmp_path)
    assert run.code == 2, run.text
    assert run.json()["problems"][0]["code"] == "report_template_unsafe", run.text
    assert not (tmp_path / "已执行").exists() and not out.exists()
    assert "机密口令" not in run.text


def test_template_bombs_and_dtds_are_refused(tmp_path):
    from perfxl.check.problems import UnusableInput
    from perfxl.report.document import MAX_TEMPLATE_XML, check_template

    shipped = Path(__file__).resolve().parents[1] / "workbook_templates" / L.REPORT_TEMPLATE_NAME
    with zipfile.ZipFile(shipped) as z:
        parts = {n: z.read(n) for n in z.namelist()}

    def repack(name: str, **changes) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for n, data in {**parts, **changes}.items():
                z.writestr(n, data)
        return path

    huge = parts["word/document.xml"].replace(b"</w:body>", b"<!--" + b" " * (MAX_TEMPLATE_XML + 1) + b"--></w:body>")
    with pytest.raises(UnusableInput) as e:
        check_template(repack("大.docx", **{"word/document.xml": huge}))
    assert e.value.problems[0].code == "report_template_too_large"
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + parts["word/document.xml"].split(b"?>", 1)[1]
    with pytest.raises(UnusableInput) as e:
        check_template(repack("实体.docx", **{"word/document.xml": dtd}))
    assert e.value.problems[0].code == "report_template_invalid" and "DTD" in e.value.problems[0].message


def test_input_is_data_never_markup_or_template(make_workbook, tmp_path):
    from perfxl.report.document import load_results, write_report

    rows_ = indicator_rows()
    rows_[0]["note"] = "{{ 7*7 }}{% for x in range(3) %}X{% endfor %}</w:t><w:br/>〃" + L.REPORT_DITTO
    rows_[1]["name"] = L.REPORT_DITTO
    ex = public_example()
    wb = make_workbook(rows=rows_, info={**ex["info"], "unit": "{{ title }}<b>单位</b>"}, basic=ex.get("basic"))
    out = write_report(load_results([wb]), tmp_path / "r.docx").output
    doc = docx.Document(out)
    text = "\n".join(paragraphs(doc) + [c.text for t in doc.tables for c in t._cells])
    assert "{{ 7*7 }}{% for x in range(3) %}X{% endfor %}</w:t><w:br/>〃" in text
    assert "{{ title }}<b>单位</b>" in text
    assert not re.search(r"(?<![\d.])49(?![\d.])", text) and "XXX" not in text
    t = table_by_header(doc, L.REPORT_SCORING_HEADERS)
    assert rows(t)[2][2] == ""                     # the noncharacter is dropped, never merges a cell
    assert t.rows[2]._tr.findall(qn("w:tc"))[2].tcPr.find(qn("w:vMerge")) is None


def test_control_characters_never_reach_the_document():
    """\\a and \\f would become a paragraph and a page break in docxtpl; Word cannot hold the others."""
    from perfxl.report.text import text

    assert text("甲\a乙\f丙\x00丁\x1f戊" + L.REPORT_DITTO) == "甲乙丙丁戊"
    assert text("一行\r\n二行\t") == "一行\n二行"


# --- sections as data ---------------------------------------------------------------------

def test_long_groups_are_cut_into_chunks_that_name_their_levels(built):
    from perfxl.report.sections import scoring_rows
    from perfxl.report.template import scoring_page_lines, scoring_widths

    rows_ = scoring_rows(built["pub"], scoring_widths(), scoring_page_lines() / 3)
    starts = [r for r in rows_ if r["level2"] != L.REPORT_DITTO]
    assert any("（续）" in r["level2"] for r in starts)
    assert all(r["level1"] != L.REPORT_DITTO for r in starts)
    assert len(rows_) == 44


def test_survey_block_counts_shares_and_formula(built):
    from perfxl.report.sections import survey_block

    (s,) = built["evaluators"][0].survey
    block = survey_block(s)
    counts = {r["option"]: int(r["count"]) for r in block["rows"]}
    assert counts.pop(L.REPORT_TOTAL) == s.valid == sum(counts.values()) == 300
    # the project example's answers: 题1..题5 summed per option
    assert counts == {"非常满意": 176, "满意": 84, "一般": 32, "不满意": 5, "非常不满意": 3}
    text = "".join(r.text for p in block["paras"] for r in p)
    assert "“非常满意”176人次、占58.67%" in text and "得分率＝∑" in text and "87.97%" in text


def test_survey_block_reads_the_richer_record_when_there():
    """A question set record with its sample, options (weights, counts) and formulas (perfxl.survey's)."""
    from types import SimpleNamespace as NS

    from perfxl.report.sections import survey_block

    opts = (NS(label="非常满意", weight=1.0, satisfied=True, count=43, share=43 / 52),
            NS(label="满意", weight=0.8, satisfied=True, count=7, share=7 / 52),
            NS(label="一般", weight=None, satisfied=False, count=2, share=2 / 52))
    s = NS(name="职工满意度", group="职工", valid=52, rate=0.9423, satisfied=0.9615, questions=("题1",),
           shares=(("非常满意", 43 / 52),), sample=52, options=opts,
           rate_formula="得分率=(非常满意43×100%+满意7×80%+一般2×60%)/52=94.23%", satisfied_formula="")
    block = survey_block(s)
    assert [(r["option"], r["count"]) for r in block["rows"]] == [("非常满意", "43"), ("满意", "7"), ("一般", "2"),
                                                                  (L.REPORT_TOTAL, "52")]
    text = "".join(r.text for p in block["paras"] for r in p)
    assert "共52份有效问卷" in text and "（调查对象：职工）" in text
    assert "得分率=(非常满意43×100%+满意7×80%+一般2×60%)/52=94.23%" in text
    assert "满意率＝计入满意的选项人次÷有效回答人次＝96.15%" in text


def test_problems_and_suggestions_from_lost_points(built):
    from perfxl.report.sections import problems_section, suggestion_paras

    sec = problems_section(built["pub"])
    assert len(sec["rows"]) == 8
    assert sum(len(g["points"]) for g in sec["groups"]) == 8
    first = sec["groups"][0]
    assert first["title"] == "1.绩效目标方面（扣3.30分）"
    advice = ["".join(r.text for r in p) for p in suggestion_paras(built["pub"])]
    assert len(advice) == len(sec["groups"]) and all("【待填写：" in a for a in advice)


# --- the command line ---------------------------------------------------------------------

@pytest.fixture
def scored(example, cli) -> Path:
    """The public example, scored with the CLI: a scored workbook as evaluators hand it over."""
    run = cli("score", example)
    assert run.code == 0, run.text
    out = example.with_name(example.stem + L.OUTPUT_SUFFIX + ".xlsx")
    assert out.exists()
    return out


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


def test_several_workbooks_one_chapter_each(make_workbook, cli, tmp_path):
    from conftest import simple_rows

    ex = public_example()
    a = make_workbook(rows=indicator_rows(), info=ex["info"], basic=ex.get("basic"), name="甲.xlsx")
    b = make_workbook(rows=simple_rows(4), info={**ex["info"], "unit": "某某区妇联"}, name="乙.xlsx")
    run = cli("report", a, b, "--json")
    assert run.code == 0, run.text
    out = Path(run.json()["output"])
    assert out == tmp_path / (L.REPORT_MULTI_STEM.format(n=2) + ".docx")
    doc = docx.Document(out)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == ["南昌市青云谱区总工会2022年度部门整体支出绩效评价", "某某区妇联2022年度部门整体支出绩效评价"]
    assert "2022年度部门整体支出绩效评价汇总报告（2个单位）" in paragraphs(doc)
    second = rows(table_by_header(doc, L.REPORT_SUMMARY_HEADERS, nth=1))
    # 指标1..4: 10/10, 9/10, 8/10, 7/10 of 25 each -> 25 + 22.5 + 20 + 17.5
    assert second[-2][2:] == ["100", "85.00", "85.00%"] and second[-1][2] == "良"
    assert sum(p.style.name == "附件标题" for p in doc.paragraphs) == 2


def test_validation_errors_still_write_report_with_warning(make_workbook, cli):
    ex = public_example()
    rows_ = indicator_rows()
    rows_[4]["actual"] = None                           # 预算编制科学性: 实际值为空
    wb = make_workbook(rows=rows_, info=ex["info"], basic=ex.get("basic"), name="有错.xlsx")
    run = cli("report", wb)
    assert run.code == 1, run.text
    doc = docx.Document(wb.with_name("有错" + L.REPORT_SUFFIX + ".docx"))
    warning = next(p for p in doc.paragraphs if p.style.name == "报告警告")
    assert warning.text.startswith("注意：“有错.xlsx”有 1 个校验错误") and "实际值为空" in warning.text
    assert any("总得分无法计算" in p.text for p in doc.paragraphs)
    row = next(r for r in rows(table_by_header(doc, L.REPORT_SCORING_HEADERS)) if r[2] == "预算编制科学性")
    assert row[5] == "—"
    assert "校验错误" in run.out


def test_unusable_input_exits_2_and_writes_nothing(example, cli, tmp_path):
    junk = tmp_path / "坏.xlsx"
    junk.write_text("not a workbook")
    run = cli("report", example, junk)
    assert run.code == 2 and "不是 Excel 工作簿" in run.err
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


def test_project_evaluation_names_the_project(built, tmp_path):
    from perfxl.report.document import write_report

    pub = built["pub"]
    rec = replace(pub, info={**pub.info, "kind": "项目支出绩效评价", "project": "示例区老旧小区改造项目"})
    doc = docx.Document(write_report([rec], tmp_path / "r.docx").output)
    text = paragraphs(doc)
    assert "2022年度示例区老旧小区改造项目绩效评价报告" in text and "南昌市青云谱区总工会" in text   # cover lines
    assert "（一）项目概况" in text and "（二）项目绩效目标" in text
    info = dict(rows(table_by_header(doc, L.REPORT_INFO_HEADERS))[1:])
    assert info["项目名称"] == "示例区老旧小区改造项目"


def _consolidated(make_workbook, cli, tmp_path: Path, units) -> None:
    """汇总.xlsx in ``tmp_path`` from one example workbook per unit (in 收回/)."""
    folder = tmp_path / "收回"
    folder.mkdir()
    for unit in units:
        def info(wb, unit=unit):
            wb["基本信息"]["B2"] = unit
        shutil.copy2(make_workbook(mutate=info, name=f"{unit}.xlsx"), folder / f"{unit}.xlsx")
    assert cli("consolidate", folder, "-o", "汇总.xlsx", "--jobs", "1").code == 0


def test_report_from_a_consolidated_summary(make_workbook, cli, tmp_path):
    """A summary workbook from perfxl consolidate stands for the workbooks it included."""
    _consolidated(make_workbook, cli, tmp_path, ("甲单位", "乙单位"))
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 0, run.text
    assert sorted(u["unit"] for u in run.json()["units"]) == ["乙单位", "甲单位"]


def test_a_not_applicable_indicator_is_reported_as_such_not_as_unscored(make_workbook, cli, tmp_path):
    """An indicator marked 不适用 (the total converted: 得分÷适用分值×100): the report said “该项指标未能计分”
    for it and, under 其他需要说明的问题, “以下指标未能计分，总分无法计算” next to the total it had just given.
    Now its 评分过程 says it does not apply, its 得分 reads 不适用, and nothing claims the total is missing;
    the indicator system is described with its full 100 points, the 不适用 one named as such."""
    from conftest import simple_rows

    rows_ = simple_rows(4)
    rows_[1]["actual"] = "不适用"
    wb = make_workbook(rows=rows_, info={"unit": "甲单位", "year": 2023})
    score = cli("score", wb, "--no-write", "--json").json()
    assert score["total"] is not None and score["conversion"]
    run = cli("report", wb, "-o", tmp_path / "报告.docx", "--json")
    assert run.code == 0, run.text
    doc = docx.Document(tmp_path / "报告.docx")
    text = "\n".join(paragraphs(doc))
    assert "未能计分" not in text and "总分无法计算" not in text
    assert f"{score['total']:.2f}" in text and "不适用" in text
    # the system as designed is worth 100: “满分75分，其中产出75分” described the applicable part as the system
    assert "满分100分，其中产出100分。其中1项指标本年不适用（共25分）" in text
    table = rows(table_by_header(doc, L.REPORT_SCORING_HEADERS))
    (na,) = [r for r in table if r[2] == "指标2"]
    assert na[5] == "不适用" and "不适用" in na[6] and "未能计分" not in na[6]


def test_a_summary_that_included_nothing_is_named_as_such(make_workbook, cli, tmp_path):
    """Every returned workbook was left out (here: no 单位名称), so the summary lists none: the report of
    it said “在 （无） 中没有找到 Excel 工作簿”, about a folder no one had named. It now says the summary
    included nothing and where the reasons are."""
    folder = tmp_path / "收回"
    folder.mkdir()
    make_workbook(info={"unit": None, "year": 2023}, name="无名.xlsx").rename(folder / "无名.xlsx")
    assert cli("consolidate", folder, "-o", "汇总.xlsx").code == 1
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 2, run.text
    (p,) = run.json()["problems"]
    assert p["code"] == "report_summary_empty" and "汇总.xlsx" in p["message"] and "（无）" not in p["message"]
    assert L.SHEET_CONS_REJECTED in p["fix"]


def test_a_workbook_changed_after_the_summary_is_not_silently_left_out(make_workbook, cli, tmp_path):
    """A unit's workbook edited after consolidating so that it can no longer be included (an 实际值
    cleared): the report of the summary left that unit out with exit 0 and no word, its 评价范围 saying
    “未纳入 1 个（原因见汇总工作簿“未纳入文件”表）” although that table is empty. Now no report is
    written; the message names the summary's cell listing the file and why it no longer counts."""
    _consolidated(make_workbook, cli, tmp_path, ("甲单位", "乙单位"))
    wb = load_workbook(tmp_path / "收回" / "乙单位.xlsx")
    ws = wb[L.SHEET_INDICATORS]
    actual = next(c.column for c in ws[1] if c.value == L.COLUMNS_BY_KEY["actual"].header)
    ws.cell(row=2, column=actual).value = None
    wb.save(tmp_path / "收回" / "乙单位.xlsx")
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 2, run.text
    (p,) = run.json()["problems"]
    assert p["code"] == "report_summary_file_dropped" and "乙单位.xlsx" in p["message"]
    assert "实际值为空" in p["message"] and "perfxl consolidate" in p["fix"]
    assert p["sheet"] == L.SHEET_CONS_SUMMARY and p["cell"]
    assert not (tmp_path / "报告.docx").exists()


def test_a_character_no_font_has_draws_no_warning(make_workbook, cli, tmp_path):
    """An emoji in a unit's name: the charts are drawn (the glyph a box) and no Python warning
    (matplotlib's “Glyph … missing from font(s)”, with a source line) reaches the user."""
    from perfxl.report import charts

    if not charts.available():
        pytest.skip("no CJK font: no charts are drawn")
    _consolidated(make_workbook, cli, tmp_path, ("甲单位", "丁单位😀"))
    run = cli("report", "汇总.xlsx", "-o", "报告.docx")
    assert run.code == 0, run.text
    assert "Warning" not in run.err and "charts.py" not in run.err, run.err
    assert "丁单位😀" in "\n".join(paragraphs(docx.Document(tmp_path / "报告.docx")))
    with zipfile.ZipFile(tmp_path / "报告.docx") as zf:
        assert sum(n.startswith("word/media/") for n in zf.namelist()) >= 2      # the charts are there


def test_dollar_signs_in_names_are_drawn_as_text_in_the_charts(make_workbook, cli, tmp_path):
    """Names are text: a 二级指标 or unit name holding two “$” (a currency, a pasted formula) was parsed by
    matplotlib as a TeX formula — “$x$” drawn in italics with “Font 'rm' does not have a glyph” on
    stderr, and “\\frac{a}{” between them stopped the report with an internal error (exit 3)."""
    from conftest import simple_rows

    from perfxl.report import charts

    if not charts.available():
        pytest.skip("no CJK font: no charts are drawn")
    rows_ = simple_rows(4)
    rows_[0]["level2"], rows_[2]["level2"] = "资金$配置\\frac{a}{$", "产出$x$"
    wb = make_workbook(rows=rows_, info={"unit": "$甲单位$", "year": 2023})
    run = cli("report", wb, "-o", tmp_path / "报告.docx")
    assert run.code == 0, run.text
    assert "glyph" not in run.err and "内部错误" not in run.text, run.text
    with zipfile.ZipFile(tmp_path / "报告.docx") as zf:
        assert any(n.startswith("word/media/") for n in zf.namelist())      # the 二级指标 chart is there


def test_long_names_do_not_break_the_charts(make_workbook, cli, tmp_path):
    """A 二级指标 of 60 characters (administrators write such names): the chart's labels pushed the bars
    aside, the other labels were cut at the image's edge and matplotlib's “UserWarning: Tight layout not
    applied” with a line of perfxl's source reached the terminal. Long names now wrap onto a few lines
    (the tables give them in full) and nothing but perfxl's own output is printed."""
    from conftest import simple_rows

    from perfxl.report import charts

    if not charts.available():
        pytest.skip("no CJK font: no charts are drawn")
    rows_ = simple_rows(4)
    rows_[0]["level1"] = "产出（含数量、质量、时效、成本等全部产出环节的综合考核，按年度工作计划逐项核对）(100分)"
    rows_[0]["level2"] = ("部门规划计划与年度工作计划的明确性、完整性、可衡量性以及与部门职能的相关性综合评价"
                          "（含中长期规划的落实情况和年度目标的分解情况）")
    rows_[2]["level2"] = "质量"
    wb = make_workbook(rows=rows_, info={"unit": "甲单位", "year": 2023})
    run = cli("report", wb, "-o", tmp_path / "报告.docx")
    assert run.code == 0, run.text
    assert "Warning" not in run.err and "charts.py" not in run.err, run.err
    assert charts._wrapped(rows_[0]["level2"]).count("\n") == 2        # three lines, the rest cut with …


def test_report_of_a_consolidation_object_uses_the_panel(tmp_path):
    """api.report(Consolidation): one chapter per unit, the panel's figures, the ranking."""
    from conftest import project_panel

    from perfxl import api

    folder = project_panel(tmp_path / "收回", {"张三": "34个", "李四": "30个"})    # 改造小区数量: 34/36, 30/36
    cons = api.consolidate([folder], output=tmp_path / "汇总.xlsx")
    rep = api.report(cons)
    assert rep.output == tmp_path / "汇总_报告.docx"
    (unit,) = rep.records
    members = [api.score_file(f, write=False).record for f in sorted(folder.glob("*.xlsx"))]
    assert unit.total == pytest.approx(sum(m.total for m in members) / 2, abs=0.02)
    doc = docx.Document(rep.output)
    text = "\n".join(paragraphs(doc))
    assert "共2位评价人组成评价组" in text and "按平均值汇总" in text
    ranking = rows(table_by_header(doc, L.REPORT_RANKING_HEADERS))
    assert len(ranking) == 2 and ranking[1][3] == f"{unit.total:.2f}" and ranking[1][5] == "2"


def test_report_from_a_summary_workbook_uses_its_panel_figures(cli, tmp_path):
    """perfxl report 汇总.xlsx: the consolidation again — one section per unit (not per evaluator),
    the panel figure by the method the summary was made with (here the median of three)."""
    import statistics

    from conftest import project_panel

    from perfxl import api
    from perfxl.model.frameworks import examples
    from perfxl.model.values import round2

    ex = examples()["project_example"]
    folder = project_panel(tmp_path / "收回", {"张三": "34个", "李四": "30个", "王五": "20个"}, (("另一单位", "赵六"),))
    assert cli("consolidate", folder, "-o", "汇总.xlsx", "--panel", "median", "--jobs", "1").code == 0
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 0, run.text
    units = {u["unit"]: u for u in run.json()["units"]}
    assert sorted(units) == sorted([ex["info"]["unit"], "另一单位"])          # 2 units, not 4 evaluators
    members = [api.score_file(folder / f"{n}.xlsx", write=False).record for n in ("张三", "李四", "王五")]
    by_code = [{i.code: i.score for i in m.indicators} for m in members]
    expected = round2(sum(round2(statistics.median([c[code] for c in by_code])) for code in by_code[0]))
    assert units[ex["info"]["unit"]]["total"] == pytest.approx(expected)
    assert expected != round2(statistics.fmean(m.total for m in members))    # the median, not the mean
    text = "\n".join(paragraphs(docx.Document(tmp_path / "报告.docx")))
    assert "共3位评价人组成评价组" in text and "按中位数汇总" in text


def test_report_from_a_summary_finds_a_file_whose_name_holds_a_line_break(make_workbook, cli, tmp_path):
    """The summary lists a unit's files one per line; a file name with a line break in it (possible on Linux
    and macOS) was split in two and reported missing."""
    _consolidated(make_workbook, cli, tmp_path, ("甲单位", "乙单位"))
    (tmp_path / "收回" / "乙单位.xlsx").rename(tmp_path / "收回" / "乙\n单位.xlsx")
    assert cli("consolidate", tmp_path / "收回", "-o", "汇总.xlsx", "--jobs", "1", "--force").code == 0
    run = cli("report", "汇总.xlsx", "-o", "报告.docx", "--json")
    assert run.code == 0, run.text
    assert sorted(u["unit"] for u in run.json()["units"]) == ["乙单位", "甲单位"]
