"""Survey platform exports (问卷星, 腾讯问卷, others) imported into a workbook or pasted into its 问卷
sheet give the statistics of a hand count; what is not a choice question is reported, not scored;
a target is never damaged."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import survey_exports as X
from openpyxl import load_workbook
from packages import parts

from perfxl.check.problems import UnusableInput
from perfxl.model import layout as L
from perfxl.survey.imports import import_export, write_import

ROWS_ = [
    dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="服务评价", weight=60, method="得分率计分",
         source="问卷:服务评价"),
    dict(code=2, name="总体满意度", weight=40, method="阈值扣分", params="≥90%得满分；每下降1%扣5%",
         source="问卷满意率:总体满意度"),
]
# 题4 is the matrix: its number names all three rows
SETS = [("服务评价", "题1、题2、题4", None), ("总体满意度", "题5", None)]
SERVICE = ["Q1", "Q2", *X.ROWS]


def _key(question: str) -> str:
    """The COUNTS key of an imported question header."""
    for key, words in (("Q1", "服务态度"), ("Q2", "办事效率"), ("Q5", "总体满意度"), *((r, r) for r in X.ROWS)):
        if words in question:
            return key
    raise AssertionError(question)


def _export(layout, tmp_path, request):
    platform, name, build = X.LAYOUTS[layout]
    if layout == "wjx_number_xls":
        return platform, build(tmp_path / name, request.getfixturevalue("soffice"))
    return platform, build(tmp_path / name)


def _target(make_workbook, name="评分.xlsx", sets=SETS, **kw):
    return make_workbook(rows=ROWS_, info={"unit": "某单位", "year": 2024}, survey=dict(sets=sets, **kw), name=name)


def _check_statistics(path, cli):
    """The scored workbook's sets against the hand count, and the indicators scored from them."""
    from perfxl.score.engine import record
    from perfxl.score.pipeline import run

    rec = record(run(path))
    sets = {s.name: s for s in rec.survey}
    service, overall = sets["服务评价"], sets["总体满意度"]
    for s in (service, overall):
        for q in s.per_question:
            assert dict(q.counts) == X.COUNTS[_key(q.question)], q.question
    rate, _, n = X.hand_rate(SERVICE)
    assert (service.sample, service.valid, round(service.rate, 12)) == (X.N, n, round(rate, 12))
    _, happy, n5 = X.hand_rate(["Q5"])
    assert (overall.sample, overall.valid) == (X.N - X.SKIPPED_Q5, n5)
    assert round(overall.satisfied, 12) == round(happy, 12)
    assert {o.label: o.count for o in service.options} == {
        o: sum(X.COUNTS[q][o] for q in SERVICE) for o in X.OPTIONS}
    run_ = cli("score", path, "--json", "--no-write")
    assert run_.code == 0, run_.text
    ind1, ind2 = run_.json()["indicators"]
    assert ind1["rule_score"] == round(60 * rate + 1e-9, 2)
    assert ind2["rule_score"] == round(40 * (1 - (0.9 - happy) * 100 * 0.05) + 1e-9, 2)   # 89.58%: 0.42 points short
    return rec


@pytest.mark.parametrize("layout", [pytest.param(k, marks=pytest.mark.lo) if k == "wjx_number_xls" else k
                                    for k in X.LAYOUTS])       # the .xls is written by LibreOffice
def test_each_export_layout_imports_to_the_hand_count(layout, tmp_path, make_workbook, cli, request):
    platform, export = _export(layout, tmp_path, request)
    imp = import_export(export)
    assert imp.platform == platform and len(imp.answers) == X.N
    assert [_key(q) for q in imp.questions] == SERVICE + ["Q5"]
    skipped = {c.kind for c in imp.skipped}
    assert {"multiple", "text"} <= skipped                   # 多选题 and the open question are reported, not scored
    assert {p.code for p in imp.problems} >= {"survey_export_read", "survey_export_matrix", "survey_export_skipped"}
    assert not any(c.header == "序号" or c.header == "编号" for c in imp.ignored)   # kept as the respondent number
    target = _target(make_workbook)
    written = write_import(imp, target)
    assert written.rows == X.N and written.backup is not None and written.backup.exists()
    rec = _check_statistics(target, cli)
    if layout == "wjx_number_xls":                           # answers were option numbers: the mapping is shown
        info = next(p for p in rec.problems if p.code == "survey_answers_numbered")
        assert "1=非常满意" in info.message and "5=非常不满意" in info.message


def test_csv_encodings_are_recognised(tmp_path):
    gbk = import_export(X.wjx_text_csv(tmp_path / "a.csv"))
    bom = import_export(X.tencent_csv(tmp_path / "b.csv"))
    plain = import_export(X.q_dot_csv(tmp_path / "c.csv"))
    assert (gbk.encoding, bom.encoding, plain.encoding) == ("GBK", "UTF-8（带 BOM）", "UTF-8")
    assert gbk.questions[0] == "1、" + X.Q1 and bom.questions[0] == "1." + X.Q1


def test_pasted_export_is_scored_like_an_import(tmp_path, make_workbook, cli):
    """The 问卷星 text export pasted over the template's 问卷 sheet (header row included)."""
    def paste(wb):
        ws = wb[L.SHEET_SURVEY]
        ws.delete_cols(1, ws.max_column)
        for r, row in enumerate(X.wjx_text_rows(), start=1):
            for c, v in enumerate(row, start=1):
                ws.cell(row=r, column=c, value=v)
    path = make_workbook(rows=ROWS_, info={"unit": "某单位", "year": 2024}, survey=dict(sets=SETS), mutate=paste,
                         name="粘贴.xlsx")
    rec = _check_statistics(path, cli)
    codes = {p.code for p in rec.problems}
    assert "survey_columns_ignored" in codes and "survey_unknown_answer" not in codes
    unused = {p.value for p in rec.problems if p.code == "survey_question_unused"}
    assert unused == {"3、" + X.Q3, "6、" + X.Q6}              # the multiple-choice and open columns: one warning each


def test_set_name_gives_a_group_and_a_set(tmp_path, make_workbook, cli):
    """Two questionnaires (会员, 工作人员) into one workbook, each its own 对象类别 and 题组."""
    export = X.tencent_xlsx(tmp_path / "腾讯问卷.xlsx")
    rows = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="会员满意度", weight=50,
                 method="得分率计分", source="问卷:会员"),
            dict(code=2, name="工作人员满意度", weight=50, method="得分率计分", source="问卷:工作人员")]
    target = make_workbook(rows=rows, info={"unit": "某单位", "year": 2024}, survey=dict(sets=[]), name="两类.xlsx")
    first = write_import(import_export(export, set_name="会员"), target)
    second = write_import(import_export(X.wjx_text_xlsx(tmp_path / "问卷星.xlsx"), set_name="工作人员"), target)
    assert (first.set_added, second.set_added) == ("会员", "工作人员")
    # "1、您对…" matches "1.您对…" (same question, another group); the matrix rows are written differently
    assert second.new_columns == [f"4({r})" for r in X.ROWS]
    run = cli("score", target, "--json", "--no-write")
    assert run.code == 0, run.text
    rate, _, _ = X.hand_rate(SERVICE + ["Q5"])
    assert [i["rule_score"] for i in run.json()["indicators"]] == [round(50 * rate + 1e-9, 2)] * 2
    # blanks only where a group's own questions were skipped, not in the other questionnaire's columns
    # each export numbers its answers from 1: no duplicate across the two 对象类别
    assert not [p for p in run.json()["problems"] if p["code"].startswith("survey_duplicate_id")]
    blanks = [p for p in run.json()["problems"] if p["code"] == "survey_blank_answer"]
    [blank] = blanks                                           # the shared 总体满意度 column, skipped twice by each
    assert blank["column"] == "5." + X.Q5 and f"有 {2 * X.SKIPPED_Q5} 个空答案" in blank["message"]
    # the same group again is refused, the file untouched; --replace swaps it (after a backup)
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    with pytest.raises(UnusableInput) as e:
        write_import(import_export(export, set_name="会员"), target)
    assert e.value.problems[0].code == "survey_import_group_exists" and "50 份" in e.value.problems[0].message
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before
    again = write_import(import_export(export, set_name="会员"), target, replace=True)
    assert again.replaced == X.N and again.set_added is None
    ws = load_workbook(target)[L.SHEET_SURVEY]
    groups = [r[1] for r in ws.iter_rows(min_row=2, values_only=True) if any(v is not None for v in r)]
    assert groups.count("会员") == X.N and groups.count("工作人员") == X.N


def test_target_with_pictures_and_parts_openpyxl_would_drop_keeps_them(tmp_path, make_workbook, cli):
    """A picture on 基本信息, a sensitivity label (customXml) and printer settings, as Excel leaves them: the
    import edits the package at the XML level, so every part but the 问卷 sheet, the styles and the sheets
    whose formulas' saved results it drops is byte for byte what it was; the responses are scored."""
    import zipfile

    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    png = tmp_path / "logo.png"
    PILImage.new("RGB", (8, 8), "red").save(png)

    def picture(wb):
        wb[L.SHEET_INFO].add_image(Image(str(png)), "F2")
    plain = make_workbook(rows=ROWS_, info={"unit": "x", "year": 2024}, survey=dict(sets=SETS), mutate=picture)
    target = tmp_path / "带图片和标签.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("customXml/item1.xml", b'<?xml version="1.0" encoding="UTF-8"?><label xmlns="urn:x"/>')
        out.writestr("xl/printerSettings/printerSettings1.bin", b"\x00" * 64)
    before = parts(target)
    written = write_import(import_export(X.wjx_text_xlsx(tmp_path / "e.xlsx")), target)
    assert written.rows == X.N and written.backup is not None
    assert parts(written.backup) == before
    after = parts(target)
    kept = ("xl/media/", "xl/drawings/", "customXml/", "xl/printerSettings/", "docProps/", "xl/theme/")
    watched = [n for n in before if n.startswith(kept)]
    assert any(n.startswith("xl/media/") for n in watched) and "customXml/item1.xml" in watched
    assert {n: after.get(n) for n in watched} == {n: before[n] for n in watched}
    from perfxl.io.xlsx.book import Book

    book = Book(target.read_bytes())
    survey_part = book.part_of(L.SHEET_SURVEY)
    changed = {n for n in before if after.get(n) != before[n]}
    assert survey_part in changed
    assert changed <= {survey_part, "xl/styles.xml", "xl/workbook.xml", "xl/calcChain.xml",
                       *(book.part_of(s) for s in book.names())}
    run = cli("score", target, "--json", "--no-write")
    assert run.code == 0, run.text
    # the answers changed what the formulas read: their saved results are dropped, computed on opening
    assert not [p for p in run.json()["problems"] if p["code"] == "formula_result_differs"]
    assert b'fullCalcOnLoad="1"' in after["xl/workbook.xml"]


def test_perfxl_formulas_reading_the_answers_carry_their_new_results(tmp_path, make_workbook, cli):
    """New answers imported into a scored live workbook (same questions, same columns): perfxl's formulas
    that read them (the 问卷统计 rates, the 实际值 taken from them, 规则得分, 得分汇总) hold their results for
    the new answers — what `perfxl score` writes for them — so a reader that does not calculate sees the
    new figures. (A first import replaces the template's placeholder questions: the rate formulas compiled
    for those are left to compute.)"""
    import shutil

    target = _target(make_workbook)
    export = X.wjx_text_xlsx(tmp_path / "e.xlsx")
    write_import(import_export(export), target)
    assert cli("score", target, "--in-place").code == 0

    def shown(path: Path) -> dict:
        """The saved results of perfxl's formulas on 问卷统计, of the two indicators and of 总分."""
        wb, formulas = load_workbook(path, data_only=True), load_workbook(path)
        ws, stats = wb[L.SHEET_INDICATORS], wb[L.SHEET_SURVEY_STATS]
        head = {c.value: c.column for c in ws[1]}
        cells = {(L.SHEET_INDICATORS, r, key): ws.cell(r, head[L.COLUMNS_BY_KEY[key].header]).value
                 for r in (2, 3) for key in ("actual", "rule_score", "score")}
        cells |= {(L.SHEET_SURVEY_STATS, c.coordinate): stats[c.coordinate].value
                  for row in formulas[L.SHEET_SURVEY_STATS].iter_rows() for c in row
                  if isinstance(c.value, str) and c.value.startswith("=")}
        cells["total"] = wb[L.SHEET_SUMMARY][f"B{L.SUMMARY_HEAD_ROWS['total']}"].value
        return cells

    before = shown(target)
    wb = load_workbook(export)                              # 20 respondents change their minds
    ws = wb.active
    cols = [c.column for c in ws[1] if isinstance(c.value, str) and (X.Q1 in c.value or X.Q5 in c.value)]
    for r in range(2, 22):
        for c in cols:
            ws.cell(r, c).value = "非常不满意"
    wb.save(tmp_path / "e2.xlsx")
    write_import(import_export(tmp_path / "e2.xlsx"), target, replace=True)
    after = shown(target)
    rescored = tmp_path / "rescored.xlsx"
    shutil.copy2(target, rescored)
    assert cli("score", rescored, "--in-place").code == 0
    assert after == shown(rescored) != before
    assert after[(L.SHEET_INDICATORS, 2, "rule_score")] < before[(L.SHEET_INDICATORS, 2, "rule_score")]
    assert sum(1 for k in after if k[0] == L.SHEET_SURVEY_STATS and isinstance(after[k], float)) >= 4
    data = cli("score", target, "--json", "--no-write").json()
    assert not [p for p in data["problems"] if p["code"] == "formula_result_differs"]


def _sheet_values(path: Path, sheet: str) -> list[list]:
    return [list(r) for r in load_workbook(path, data_only=True)[sheet].iter_rows(values_only=True)]


def test_a_reimport_draws_the_survey_statistics_and_process_of_the_new_answers(tmp_path, make_workbook, cli):
    """--replace into a scored workbook: 问卷统计 (样本量, 有效回答, rates, 算式, the distributions) and the
    评分过程 of the indicators fed by the sets are what `perfxl score` draws for the new answers — not the
    old figures beside the new rates."""
    import shutil

    target = _target(make_workbook)
    write_import(import_export(X.wjx_text_xlsx(tmp_path / "e.xlsx")), target)
    assert cli("score", target, "--in-place").code == 0
    before = _sheet_values(target, L.SHEET_SURVEY_STATS)
    rows = X.wjx_text_rows()[:31]                           # 30 respondents, 10 of them less happy
    q1 = rows[0].index(f"1、{X.Q1}")
    for row in rows[1:11]:
        row[q1] = "不满意"
    X._xlsx(tmp_path / "e2.xlsx", rows, "Sheet1")
    write_import(import_export(tmp_path / "e2.xlsx"), target, replace=True)
    rescored = tmp_path / "rescored.xlsx"
    shutil.copy2(target, rescored)
    assert cli("score", rescored, "--in-place").code == 0
    after = _sheet_values(target, L.SHEET_SURVEY_STATS)
    assert after == _sheet_values(rescored, L.SHEET_SURVEY_STATS) != before
    assert any(r[:2] == ["服务评价", L.SURVEY_ALL_GROUPS] and r[4] == 30 for r in after)
    process = L.COLUMNS_BY_KEY["process"].header
    ws, again = load_workbook(target)[L.SHEET_INDICATORS], load_workbook(rescored)[L.SHEET_INDICATORS]
    col = next(c.column for c in ws[1] if c.value == process)
    assert [ws.cell(r, col).value for r in (2, 3)] == [again.cell(r, col).value for r in (2, 3)]
    assert "共150个有效回答" in ws.cell(2, col).value                  # 30 respondents × 5 questions


def test_a_refresh_that_fails_never_costs_the_import(tmp_path, make_workbook, cli, monkeypatch):
    """Computing perfxl's results after an import is best effort: if it fails, the answers are still
    written, the stale results dropped and the workbook asks to be recalculated on opening."""
    import perfxl.score.pipeline

    target = _target(make_workbook)
    export = X.wjx_text_xlsx(tmp_path / "e.xlsx")
    write_import(import_export(export), target)
    assert cli("score", target, "--in-place").code == 0

    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise KeyError("boom")

    monkeypatch.setattr(perfxl.score.pipeline, "score_book", broken)
    written = write_import(import_export(export), target, replace=True)
    assert len(calls) == 1                                   # the refresh ran, and failed
    assert written.rows == X.N and written.replaced == X.N
    assert b'fullCalcOnLoad="1"' in parts(target)["xl/workbook.xml"]
    # 问卷统计 shows no figure of the old answers: they are emptied, a line says to run perfxl score; the
    # rate formulas stay, computed on opening
    stats, formulas = load_workbook(target, data_only=True)[L.SHEET_SURVEY_STATS], load_workbook(target)
    assert stats["A2"].value == L.SURVEY_STATS_OUTDATED
    sets = [r for r in stats.iter_rows(min_row=4, values_only=True) if r[0] in ("服务评价", "总体满意度")]
    assert len(sets) == 2 and all(r[4] is None and r[5] is None and r[8] is None for r in sets)
    assert all(str(formulas[L.SHEET_SURVEY_STATS].cell(r, 7).value).startswith("=") for r in (4, 5))
    assert stats.max_row <= 5 or all(v is None for r in stats.iter_rows(min_row=6, values_only=True) for v in r)


def one_question(tmp_path: Path, answers: list):
    """An import of one question (1.服务态度) answered by len(answers) respondents."""
    import numpy as np

    from perfxl.survey.imports import SurveyImport

    return SurveyImport(source=tmp_path / "x.csv", platform=next(iter(L.SURVEY_PLATFORMS)), format="csv",
                        encoding="UTF-8", sheet=None, header_row=1, questions=["1.服务态度"],
                        answers=np.array([[a] for a in answers], dtype=object),
                        ids=list(range(1, len(answers) + 1)), groups=[None] * len(answers))


def test_answers_that_look_like_formulas_stay_text(tmp_path, make_workbook):
    """An answer "=1+1" or "-" is written as text with a quote prefix (never a formula), also when
    someone edits the cell later."""
    imp = one_question(tmp_path, ["=1+1", "满意", "-"])
    target = _target(make_workbook)
    write_import(imp, target)
    ws = load_workbook(target)[L.SHEET_SURVEY]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value in ("=1+1", "-", "满意")}
    assert set(cells) == {"=1+1", "-", "满意"}
    assert cells["=1+1"].data_type == "s" and cells["=1+1"].quotePrefix and cells["-"].quotePrefix
    assert not cells["满意"].quotePrefix


def test_a_new_answer_over_an_old_one_is_written_as_data(tmp_path, make_workbook):
    """Importing again over earlier answers: a cell that held "=1+1" (quote-prefixed) and now holds a plain
    answer loses the quote prefix; a date answer shows as a date, not a serial number."""
    from datetime import datetime

    target = _target(make_workbook)
    write_import(one_question(tmp_path, ["=1+1", "满意"]), target)
    write_import(one_question(tmp_path, ["很满意", datetime(2024, 5, 1)]), target, replace=True)
    ws = load_workbook(target)[L.SHEET_SURVEY]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value in ("很满意", datetime(2024, 5, 1))}
    assert set(cells) == {"很满意", datetime(2024, 5, 1)}
    assert not cells["很满意"].quotePrefix
    assert cells[datetime(2024, 5, 1)].is_date


def test_imported_workbook_opens_in_libreoffice(tmp_path, make_workbook, soffice):
    target = _target(make_workbook)
    write_import(import_export(X.tencent_csv(tmp_path / "t.csv")), target)
    seen = soffice.sheets(target)[L.SHEET_SURVEY]
    assert seen[0][:3] == ["编号", "对象类别", "1." + X.Q1]
    assert sum(1 for r in seen[1:] if r and r[0]) == X.N


def test_unreadable_exports_say_why(tmp_path):
    empty = tmp_path / "空.csv"
    empty.write_text("说明,备注\n这是一张普通表格,没有问卷\n", encoding="utf-8")
    with pytest.raises(UnusableInput) as e:
        import_export(empty)
    assert e.value.problems[0].code == "survey_export_no_header"
    only_text = tmp_path / "只有填空.csv"
    only_text.write_text("序号,1、您的姓名\n" + "".join(f"{i},张{i}{'x' * i}\n" for i in range(30)), encoding="utf-8")
    with pytest.raises(UnusableInput) as e:
        import_export(only_text)
    assert e.value.problems[0].code == "survey_export_no_question" and "填空或开放题" in e.value.problems[0].message


@pytest.mark.lo
@pytest.mark.slow
def test_ten_thousand_rows_pasted_in_libreoffice_without_unprotecting(tmp_path, make_workbook, cli):
    """In LibreOffice Calc a person types the export's headers over the template's 问卷 headers, copies
    the 10,000 answer rows of a 问卷星 export and pastes them on A2: nothing to unprotect, and the
    scored statistics are the hand count. (The template of before refused this paste.)"""
    import collections
    import json
    import os
    import random
    import subprocess
    from pathlib import Path

    from openpyxl import Workbook

    from devtools.vba import uno_python

    exe = uno_python()
    if exe is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice 的 Python 接口 (python3-uno) 不可用：CI 中需要它模拟粘贴")
        pytest.skip("python3-uno not installed")
    n, rnd = 10_000, random.Random(3)
    questions = [f"{i}、您对第{i}项服务是否满意？" for i in range(1, 6)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append(["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", *questions])
    tally = collections.Counter()
    for i in range(n):
        answers = rnd.choices(X.OPTIONS, weights=[50, 30, 12, 5, 3], k=len(questions))
        tally.update(answers)
        ws.append([i + 1, "2024/5/12 10:23:45", f"{100 + i % 200}秒", "手机提交", "直接访问", "112.65.3.1(上海-上海)",
                   *answers])
    export = tmp_path / "问卷星_1万份.xlsx"
    wb.save(export)
    rows_ = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="服务对象满意度", weight=100,
                  method="得分率计分", source="问卷:总体满意度")]
    template = make_workbook(rows=rows_, info={"unit": "某单位", "year": 2024})       # the standard 问卷 sheet
    pasted = tmp_path / "粘贴后.xlsx"
    proc = subprocess.run([exe, str(Path(__file__).with_name("uno_paste.py")), str(export), str(template),
                           L.SHEET_SURVEY, str(pasted)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["protected"] is False and seen["refused"] == ""
    assert (seen["rows"], seen["cols"], seen["first"]) == (n + 1, 11, "序号")
    assert seen["last"] == seen["source_last"] != ""
    from perfxl.score.engine import record
    from perfxl.score.pipeline import run

    [st] = record(run(pasted)).survey
    assert (st.sample, st.valid) == (n, 5 * n)
    assert {o.label: o.count for o in st.options} == dict(tally)
    hand = sum(X.WEIGHTS[o] * k for o, k in tally.items()) / (5 * n)
    run_ = cli("score", pasted, "--json", "--no-write")
    assert run_.code == 0, run_.text
    assert run_.json()["indicators"][0]["rule_score"] == round(100 * hand + 1e-9, 2)


def test_survey_import_command_end_to_end(tmp_path, make_workbook, cli):
    """perfxl survey import 导出.csv --into 评分.xlsx --set 会员: the responses in the 问卷 sheet, a 题组
    named 会员, a backup; then perfxl score uses them; a wrong export is refused as one JSON document."""
    export = X.wjx_text_csv(tmp_path / "问卷星导出.csv")
    rows = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="会员满意度", weight=100,
                 method="得分率计分", source="问卷:会员")]
    target = make_workbook(rows=rows, info={"unit": "某单位", "year": 2024}, survey=dict(sets=[]), name="评分.xlsx")
    run = cli("survey", "import", export, "--into", target, "--set", "会员", "--json")
    assert run.code == 0, run.text
    data = run.json()
    assert (data["command"], data["rows"], data["set_added"]) == ("survey import", X.N, "会员")
    assert Path(data["backup"]).exists() and "提交答卷时间" in data["ignored"]
    scored = cli("score", target, "--json", "--no-write")
    rate, _, _ = X.hand_rate(SERVICE + ["Q5"])
    assert scored.json()["indicators"][0]["rule_score"] == round(100 * rate + 1e-9, 2)
    bad = tmp_path / "不是导出.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    refused = cli("survey", "import", bad, "--into", target, "--json")
    assert refused.code == 2 and refused.json()["problems"][0]["code"].startswith("survey_export_")
    human = cli("survey", "import", export, "--into", target, "--set", "工作人员")
    assert human.code == 0 and "份答卷" in human.out
