"""Live workbooks as perfxl writes them (template, template --from, fill, score -o / --in-place):
every formula uses only the allowed functions, carries its cached result and sits in a locked cell
of a protected sheet; a workbook whose recorded results differ from the engine's is reported cell by
cell."""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from packages import sheet_xml

from perfxl.model import layout as L
from perfxl.rules.formula.expr import FORBIDDEN, FUNCTIONS, functions_in

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "workbook_templates").rglob("*.xlsx"))
EXAMPLES = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))
_CELL = re.compile(rb'<c r="([A-Z]+\d+)"([^>]*)>(.*?)</c>', re.S)
_F = re.compile(rb"<f>(.*?)</f>", re.S)


def formulas(path: Path) -> dict[tuple[str, str], tuple[str, bytes | None, bytes]]:
    """(sheet, cell) -> (formula text, cached <v> or None, the cell's attributes), from the package XML."""
    from html import unescape

    out = {}
    for sheet, xml in sheet_xml(path).items():
        for c in _CELL.finditer(xml):
            f = _F.search(c.group(3))
            if f:
                v = re.search(rb"<v>(.*?)</v>", c.group(3))
                out[(sheet, c.group(1).decode())] = (unescape(f.group(1).decode()), v.group(1) if v else None,
                                                     c.group(2))
    return out


def not_applicable(wb) -> None:
    """Row 3's 实际值 typed as 不适用."""
    ws = wb[L.SHEET_INDICATORS]
    head = {c.value: c.column_letter for c in ws[1]}
    ws[f"{head[L.COLUMNS_BY_KEY['actual'].header]}3"] = "不适用"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> list[Path]:
    """Everything perfxl writes that holds formulas: the shipped templates and examples, each example
    scored (-o and --in-place), a template from an indicator list, a fill from a roster."""
    from typer.testing import CliRunner

    from perfxl.cli.app import app

    d = tmp_path_factory.mktemp("live")
    runner = CliRunner()
    out = list(SHIPPED)
    for i, ex in enumerate(EXAMPLES):
        scored = d / f"scored{i}.xlsx"
        assert runner.invoke(app, ["score", str(ex), "-o", str(scored)]).exit_code in (0, 1)
        in_place = shutil.copy(ex, d / f"inplace{i}.xlsx")
        assert runner.invoke(app, ["score", str(in_place), "--in-place"]).exit_code in (0, 1)
        out += [scored, Path(in_place)]
    wb = load_workbook(EXAMPLES[0])                   # 不适用 rows: the converted 总分 as formulas too
    not_applicable(wb)
    wb.save(d / "na.xlsx")
    assert runner.invoke(app, ["score", str(d / "na.xlsx"), "-o", str(d / "na_scored.xlsx")]).exit_code in (0, 1)
    out.append(d / "na_scored.xlsx")
    system = ROOT / "workbook_templates" / "指标体系" / "项目支出绩效评价指标体系.xlsx"
    assert runner.invoke(app, ["template", "--from", str(system), "-o", str(d / "from.xlsx")]).exit_code == 0
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["单位名称", "评价年度"])
    wb.active.append(["甲单位", 2024])
    wb.active.append(["乙单位", 2024])
    wb.save(d / "名单.xlsx")
    res = runner.invoke(app, ["fill", str(d / "名单.xlsx"), "-o", str(d / "filled"),
                              "--template", str(ROOT / "workbook_templates" / "项目支出绩效评价模板.xlsx")])
    assert res.exit_code in (0, 1), res.output
    filled = sorted((d / "filled").glob("*.xlsx"))
    assert len(filled) == 2
    return out + [d / "from.xlsx", *filled]


def test_every_formula_perfxl_writes_uses_only_the_allowed_functions(written):
    seen, count = set(), 0
    for path in written:
        for (sheet, ref), (f, _, _) in formulas(path).items():
            used = functions_in(f)
            assert used <= set(FUNCTIONS), (path.name, sheet, ref, used - set(FUNCTIONS))
            assert not used & set(FORBIDDEN), (path.name, sheet, ref)
            assert len(f) < 8192, (path.name, sheet, ref, len(f))
            seen |= used
            count += 1
    assert count > 1000 and {"IF", "IFERROR", "ROUND", "SUM", "COUNTIFS"} <= seen


def _is_form(path: Path) -> bool:
    from perfxl.model.evaluation import load

    return load(path).form is not None


def test_every_formula_has_its_cached_result_and_a_locked_cell(written):
    for path in written:
        found = formulas(path)
        # indicator lists hold no formulas; an official form (自评表) holds perfxl's figures as values (not live yet)
        assert found or path.parent.name == "指标体系" or _is_form(path), path.name
        wb = load_workbook(path)
        for (sheet, ref), (f, cached, attrs) in found.items():
            assert cached is not None or b't="str"' in attrs, (path.name, sheet, ref, f[:80])
            ws = wb[sheet]
            assert ws.protection.sheet and ws[ref].protection.locked, (path.name, sheet, ref)


def test_the_cached_results_are_what_readers_see(written):
    """pandas/calamine see numbers: 得分汇总's 总分 of every scored example is the engine's."""
    from perfxl.io.read import read_book
    from perfxl.score.pipeline import run

    for path in (p for p in written if p.name.startswith("scored")):
        result = run(path)
        summary = read_book(path).sheets[L.SHEET_SUMMARY]
        labels = {summary.get(r, 0): summary.get(r, 1) for r in range(summary.height)}
        assert labels[L.SUMMARY_HEAD["total"]] == result.total and labels[L.SUMMARY_HEAD["grade"]] == result.grade


def _tamper(src: Path, dst: Path, edits: dict[tuple[str, str], bytes]) -> None:
    """Rewrite cells' cached results at the XML level, as a hand-edited formula would leave them."""
    with zipfile.ZipFile(src) as zin:
        book = zin.read("xl/workbook.xml").decode()
        order = re.findall(r'<sheet [^>]*name="([^"]+)"', book)
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", info.filename)
                if m:
                    sheet = order[int(m.group(1)) - 1]
                    for (sh, ref), v in edits.items():
                        if sh == sheet:
                            data, n = re.subn(rb'(<c r="' + ref.encode() + rb'"[^>]*>.*?)<v>[^<]*</v>',
                                              rb"\g<1><v>" + v + rb"</v>", data, count=1, flags=re.S)
                            assert n == 1, (sh, ref)
                zout.writestr(info, data)


def test_results_that_differ_from_the_engine_are_reported_with_their_cells(example, tmp_path, cli):
    scored = tmp_path / "scored.xlsx"
    assert cli("score", example, "-o", scored).code == 0
    clean = cli("validate", scored, "--json").json()["problems"]
    assert not [p for p in clean if p["code"] == "formula_result_differs"]
    found = formulas(scored)
    score_cell = next(ref for (sh, ref), (f, _, _) in found.items() if sh == L.SHEET_INDICATORS
                      and ref.startswith("P") and ref != "P1")
    total_cell = next(ref for (sh, ref), (f, _, _) in found.items() if sh == L.SHEET_SUMMARY and ref == "B4")
    tampered = tmp_path / "tampered.xlsx"
    _tamper(scored, tampered, {(L.SHEET_INDICATORS, score_cell): b"0.5", (L.SHEET_SUMMARY, total_cell): b"99"})
    run = cli("validate", tampered, "--json")
    differs = [p for p in run.json()["problems"] if p["code"] == "formula_result_differs"]
    assert {(p["sheet"], p["cell"]) for p in differs} == {(L.SHEET_INDICATORS, score_cell),
                                                           (L.SHEET_SUMMARY, total_cell)}
    assert any("0.5" in p["message"] for p in differs) and any("99" in p["message"] for p in differs)
    assert run.code == 0                                  # a warning: the engine's result stands
    # perfxl score writes the formulas again: the written workbook agrees with the engine
    again = tmp_path / "again.xlsx"
    cli("score", tampered, "-o", again)
    assert not [p for p in cli("validate", again, "--json").json()["problems"]
                if p["code"] == "formula_result_differs"]


def test_not_applicable_indicators_convert_the_total_in_the_workbook(make_workbook, tmp_path, cli):
    """A 不适用 indicator leaves its level's 分值 and the total is converted (得分÷适用分值×100 by default):
    the formulas do it, so the cached 总分, 等级, 合计 and the line explaining the conversion are perfxl's.
    (LibreOffice recalculating them, and edits handing them back to perfxl: test_formulas_na.py.)"""
    path = make_workbook(mutate=not_applicable)
    out = tmp_path / "out.xlsx"
    cli("score", path, "-o", out)
    problems = cli("validate", out, "--json").json()["problems"]
    assert not [p for p in problems if p["code"] == "formula_result_differs"]
    from perfxl.score.pipeline import run

    result = run(out)
    assert result.conversion is not None and result.conversion.count == 1
    assert result.summed is not None and result.total != result.summed
    formulas = load_workbook(out)[L.SHEET_SUMMARY]
    summary = load_workbook(out, data_only=True)[L.SHEET_SUMMARY]
    shown = {r[0]: r[1:] for r in summary.iter_rows(values_only=True) if r and r[0]}
    assert shown[L.SUMMARY_HEAD["total"]][0] == result.total and shown[L.SUMMARY_HEAD["grade"]][0] == result.grade
    assert shown[L.SUMMARY_TOTAL][2] == result.summed
    line = shown[L.INFO_BY_KEY["na_method"].label][0]
    assert line.startswith(result.conversion.label) and f"={result.total:.2f}" in line
    for row in formulas.iter_rows():
        if row[0].value in (L.SUMMARY_HEAD["total"], L.SUMMARY_HEAD["grade"], L.INFO_BY_KEY["na_method"].label):
            assert str(row[1].value).startswith("="), row[0].value


def test_too_many_not_applicable_rows_leave_the_summary_to_perfxl(make_workbook, tmp_path, monkeypatch):
    """More 不适用 guards than one AND takes (Excel's 255 arguments): the roll-ups, 总分 and 等级 show the
    marker rather than a formula Excel would refuse, and the conversion line keeps perfxl's words."""
    from perfxl.io.writeback import write_back
    from perfxl.rules.formula import sheet as S
    from perfxl.score.pipeline import run

    path = make_workbook(mutate=not_applicable)
    monkeypatch.setattr(S, "MAX_GUARDS", 1)
    result = run(path)
    out = tmp_path / "out.xlsx"
    write_back(result, path, out)
    shown = {r[0]: r[1:] for r in load_workbook(out, data_only=True)[L.SHEET_SUMMARY].iter_rows(values_only=True)
             if r and r[0]}
    assert shown[L.SUMMARY_HEAD["total"]][0] == L.FORMULA_MARKER == shown[L.SUMMARY_HEAD["grade"]][0]
    assert shown[L.SUMMARY_TOTAL][1:4] == (L.FORMULA_MARKER,) * 3
    assert shown[L.INFO_BY_KEY["na_method"].label][0].startswith(result.conversion.label + "：得分合计")
