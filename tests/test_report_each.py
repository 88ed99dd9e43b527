"""perfxl report --each: one report per unit, for a consolidation whose one report would run to
thousands of pages."""
from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

import docx
import pytest
from conftest import project_panel

from perfxl.model import layout as L


def _paragraphs(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


def _tables_with(path: Path, header: tuple[str, ...]) -> int:
    return sum(tuple(c.text for c in t.rows[0].cells)[:len(header)] == header for t in docx.Document(path).tables)


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.fixture
def collection(tmp_path) -> Path:
    """收回/: the project example's unit scored by a panel of two (张三, 李四) and 另一单位 by one evaluator."""
    return project_panel(tmp_path / "收回", {"张三": "34个", "李四": "30个"}, (("另一单位", "赵六"),))


def test_each_unit_of_a_summary_gets_its_own_report(collection, cli, tmp_path):
    from perfxl import api
    from perfxl.model.frameworks import examples

    unit = examples()["project_example"]["info"]["unit"]
    assert cli("consolidate", collection, "-o", "汇总.xlsx", "--jobs", "1").code == 0
    run = cli("report", "汇总.xlsx", "--each", "--json")
    assert run.code == 0, run.text
    data = run.json()
    folder = tmp_path / "汇总_各单位报告"
    assert tmp_path / data["folder"] == folder and data["written"] == 2
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{unit}_报告.docx", "另一单位_报告.docx"])
    assert not list(tmp_path.glob("*.docx"))                 # no bound report beside the summary

    panel = folder / f"{unit}_报告.docx"
    text = _paragraphs(panel)
    assert "张三、李四共2位评价人组成评价组" in text and "另一单位" not in text
    assert _tables_with(panel, L.REPORT_RANKING_HEADERS) == 0        # a unit's own report: no ranking
    members = [api.score_file(collection / f"{n}.xlsx", write=False).record for n in ("张三", "李四")]
    total = next(r for r in data["reports"] if tmp_path / r["output"] == panel)["units"][0]["total"]
    assert total == pytest.approx(sum(m.total for m in members) / 2, abs=0.02)
    assert f"{total:.2f}" in text

    # a unit with one evaluator: the very report `perfxl report` writes for its workbook
    alone = cli("report", collection / "另一单位.xlsx", "-o", tmp_path / "单独.docx")
    assert alone.code == 0, alone.text
    assert _members(folder / "另一单位_报告.docx") == _members(tmp_path / "单独.docx")


def test_each_report_opens_in_libreoffice(collection, cli, tmp_path, soffice):
    assert cli("consolidate", collection, "-o", "汇总.xlsx", "--jobs", "1").code == 0
    assert cli("report", "汇总.xlsx", "--each", "-o", "报告").code == 0
    path = tmp_path / "报告" / "另一单位_报告.docx"
    proc = soffice.convert(path, "txt:Text (encoded):UTF8", tmp_path / "lo")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "lo" / "另一单位_报告.txt").read_text("utf-8-sig")
    assert "另一单位" in text and "绩效评价报告" in text


def test_several_workbooks_each_and_a_rerun_backs_up(make_workbook, cli, tmp_path):
    a = make_workbook(name="甲.xlsx")
    b = make_workbook(name="乙.xlsx", mutate=lambda wb: wb["基本信息"].__setitem__("B2", "某某区妇联"))
    run = cli("report", a, b, "--each")
    assert run.code == 0, run.text
    folder = tmp_path / L.REPORT_EACH_MULTI
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["南昌市青云谱区总工会_报告.docx", "某某区妇联_报告.docx"])
    assert "已写出 2 份报告" in run.out and "→ 某某区妇联_报告.docx" in run.out
    first = (folder / "某某区妇联_报告.docx").read_bytes()
    run = cli("report", a, b, "--each")
    assert run.code == 0, run.text
    backups = list(folder.glob("某某区妇联_报告.bak-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == first
    assert "2 份同名报告原已存在，已先备份" in run.out


def test_a_report_open_in_word_is_left_alone_and_the_others_written(make_workbook, cli, tmp_path):
    a = make_workbook(name="甲.xlsx")
    b = make_workbook(name="乙.xlsx", mutate=lambda wb: wb["基本信息"].__setitem__("B2", "某某区妇联"))
    folder = tmp_path / "报告"
    folder.mkdir()
    kept = folder / "某某区妇联_报告.docx"
    kept.write_bytes(b"the evaluator's edited report")
    (folder / ("~$" + kept.name)).write_bytes(b"owner")          # Word's lock file
    run = cli("report", a, b, "--each", "-o", folder, "--json")
    assert run.code == 1, run.text
    data = run.json()
    assert data["written"] == 1 and [p["code"] for p in data["problems"]] == ["report_output_locked"]
    assert "正在被 Word 或 WPS 打开" in data["problems"][0]["message"]
    assert kept.read_bytes() == b"the evaluator's edited report"
    assert (folder / "南昌市青云谱区总工会_报告.docx").exists()
    run = cli("report", a, b, "--each", "-o", folder)
    assert run.code == 1 and "某某区妇联_报告.docx" in run.out and "未写出 1 份" in run.out
    assert "→ 未写出" in run.out and "锁文件" in run.out


def test_each_refuses_a_file_for_its_folder_and_form(example, cli, tmp_path):
    run = cli("report", example, "--each", "-o", "报告.docx")
    assert run.code == 2 and "-o 应是文件夹" in run.err
    (tmp_path / "已有文件").write_text("x")
    assert cli("report", example, "--each", "-o", "已有文件").code == 2
    run = cli("report", example, "--each", "--form", "自评表")
    assert run.code == 2 and "--form 与 --each 不能同时使用" in run.err
    assert not list(tmp_path.rglob("*.docx")) and not (tmp_path / "示例_各单位报告").exists()


def test_names_years_and_clashes():
    """A unit reported for two years gets its year in the name; names Windows would take for one file
    (case aside, or made the same by characters it refuses) get _2; a name is never a path."""
    from perfxl.report.document import each_names

    def rec(unit, year=2024):
        return SimpleNamespace(info={"unit": unit, "year": year}, file=f"{unit}.xlsx")

    recs = [rec("甲单位", 2023), rec("甲单位", 2024), rec("Abc"), rec("ABC"), rec("a/b"), rec("a_b"),
            rec("../上级"), rec(None)]
    assert each_names(recs) == ["甲单位_2023_报告.docx", "甲单位_2024_报告.docx", "Abc_报告.docx",
                                "ABC_2_报告.docx", "a_b_报告.docx", "a_b_2_报告.docx", "_上级_报告.docx",
                                "None_报告.docx"]


def test_stopped_part_way_the_written_reports_stay_whole(make_workbook, tmp_path, monkeypatch):
    """Ctrl-C between two reports: the first stays whole, nothing half-written is left; stopped before the
    first, the folder made for them is removed again."""
    from perfxl import api
    from perfxl.report import document

    a = make_workbook(name="甲.xlsx")
    b = make_workbook(name="乙.xlsx", mutate=lambda wb: wb["基本信息"].__setitem__("B2", "某某区妇联"))
    real = document.render_each

    def stopping(records, **kw):
        for k, data in enumerate(real(records, **kw)):
            if k == stop_at:
                raise KeyboardInterrupt
            yield data

    monkeypatch.setattr(document, "render_each", stopping)
    stop_at = 1
    with pytest.raises(KeyboardInterrupt):
        api.report_each([a, b], output=tmp_path / "一半")
    (written,) = (tmp_path / "一半").iterdir()
    assert written.name == "南昌市青云谱区总工会_报告.docx" and docx.Document(written).paragraphs
    stop_at = 0
    with pytest.raises(KeyboardInterrupt):
        api.report_each([a, b], output=tmp_path / "新" / "报告")
    assert not (tmp_path / "新").exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_progress_is_told_after_each_report(make_workbook, tmp_path):
    from perfxl import api

    a = make_workbook(name="甲.xlsx")
    b = make_workbook(name="乙.xlsx", mutate=lambda wb: wb["基本信息"].__setitem__("B2", "某某区妇联"))
    seen: list[tuple[int, int]] = []
    rep = api.report_each([a, b], output=tmp_path / "报告", progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)] and len(rep.written) == 2


def test_a_bound_report_of_many_units_suggests_each(make_workbook, cli, tmp_path):
    from conftest import example_info, simple_rows

    books = [make_workbook(rows=simple_rows(2), info={**example_info(), "unit": f"单位{k:02d}"}, name=f"{k:02d}.xlsx")
             for k in range(L.REPORT_EACH_HINT_UNITS)]
    run = cli("report", *books, "-o", "合订.docx")
    assert run.code == 0, run.text
    assert f"报告含 {L.REPORT_EACH_HINT_UNITS} 个单位" in run.out and "加 --each" in run.out
    assert "--each" not in cli("report", *books[:2], "-o", "两个.docx").out


def test_a_consolidation_report_without_a_chinese_font_is_written_without_charts(collection, tmp_path, monkeypatch):
    """No CJK font: no chart is drawn. The ranking chart (drawn in parts, a list) was None and the
    template's loop over it stopped a consolidation's report with an internal error."""
    from perfxl import api
    from perfxl.report import charts

    monkeypatch.setattr(charts, "available", lambda: False)
    cons = api.consolidate([collection], jobs=1, full=True)
    rep = api.report(cons, output=tmp_path / "汇总报告.docx")
    assert [p.code for p in rep.write_problems] == ["report_charts_no_font"]
    doc = docx.Document(rep.output)
    assert len(doc.inline_shapes) == 0 and _tables_with(rep.output, L.REPORT_RANKING_HEADERS) == 1
    each = api.report_each(cons, output=tmp_path / "各单位")
    assert len(each.written) == 2 and all(not docx.Document(r.output).inline_shapes for r in each.reports)
