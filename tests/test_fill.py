"""perfxl fill: one workbook per roster row, 基本信息 and 基础数据 filled by header, safe file names,
no silent overwrite, unknown columns reported; then the filled workbooks consolidate."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from perfxl.io.names import safe_filename
from perfxl.model import layout as L

INFO = {f.key: f.label for f in L.INFO_FIELDS}
BASIC = {f.key: f.label for f in L.BASIC_FIELDS}
INJECTION = '=HYPERLINK("http://example.invalid","点我")'


def write_roster(path: Path, header: list, rows: list[list], title: str | None = "2024年度评价名单") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    if title:
        ws.append([title])
    ws.append(header)
    for r in rows:
        ws.append(r)
        for c in ws[ws.max_row]:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"            # text in the roster, as a user would type it with a leading '
    wb.save(path)
    return path


def values(path: Path, sheet: str) -> dict:
    """column A label -> column B value."""
    ws = load_workbook(path)[sheet]
    return {r[0]: r[1] for r in ws.iter_rows(min_col=1, max_col=2, values_only=True) if r[0] is not None}


# tolerant headers: a trailing colon, inner spaces, aliases of 基础数据 labels
HEADER = ["序号", "单位名称：", "统一社会信用代码", "评价 年度", "评价人", "评价日期", "年初预算", "决算支出",
          "三公经费预算数", "备注说明", "项目名称"]
ROWS = [
    [1, "甲单位", "11360100MB0000000X", 2024, "张三", datetime(2024, 6, 30), 536.67, "1,234.5", 4900, "x", INJECTION],
    [2, "../../上级/乙:单位*?", None, 2024, None, None, 100, "约100万", None, None, None],
    [3, "CON", None, 2024, None, None, None, None, None, None, None],
    [4, None, None, 2024, None, None, 1, None, None, None, None],
    [5, "甲单位", None, 2024, "张三", None, None, None, None, None, None],
]


@pytest.fixture
def template(tmp_path, make_workbook) -> Path:
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    path = tmp_path / "模板.xlsx"
    atomic_save(new_workbook(), path)
    return path


def test_fill_cli_end_to_end(cli, tmp_path, template, soffice):
    roster = write_roster(tmp_path / "名单.xlsx", HEADER, ROWS)
    out = tmp_path / "out"
    run = cli("fill", roster, "--template", template, "-o", out, "--json")
    assert run.code == 1, run.text                       # two rows could not be generated
    data = run.json()
    written = sorted(Path(p).name for p in data["written"])
    assert written == sorted(["甲单位_张三.xlsx", "_.._上级_乙_单位__.xlsx", "_CON.xlsx"])
    assert sorted(p.name for p in out.iterdir()) == written          # nothing escaped the output folder
    assert not (tmp_path / "上级").exists()
    items = {i["row"]: i for i in data["items"]}
    assert items[6]["status"] == "skipped" and "没有单位名称" in items[6]["problems"][0]["message"]
    assert items[6]["problems"][0]["cell"] == "B6"
    assert items[7]["status"] == "skipped" and "与第3行相同" in items[7]["problems"][0]["message"]
    warnings = {(p["cell"], p["code"]) for p in data["problems"]}
    assert ("A2", "fill_unknown_column") in warnings and ("J2", "fill_unknown_column") in warnings
    not_number = [p for i in data["items"] for p in i["problems"] if p["code"] == "fill_not_number"]
    assert [(p["cell"], p["value"]) for p in not_number] == [("H4", "约100万")]

    first = out / "甲单位_张三.xlsx"
    info = values(first, L.SHEET_INFO)
    assert info[INFO["unit"]] == "甲单位"
    assert info[INFO["credit_code"]] == "11360100MB0000000X"
    assert info[INFO["year"]] == 2024
    assert info[INFO["date"]] == datetime(2024, 6, 30)
    assert info[INFO["project"]] == INJECTION                  # stays text
    assert info[INFO["template_version"]] == L.TEMPLATE_VERSION
    basic = values(first, L.SHEET_BASIC)
    assert basic[BASIC["budget_initial"]] == 536.67
    assert basic[BASIC["spent_total"]] == 1234.5
    assert basic[BASIC["sangong_budget"]] == 4900
    cell = next(c for c in load_workbook(first)[L.SHEET_INFO]["B"] if c.value == INJECTION)
    assert cell.data_type == "s"
    # values of the previous row never leak into the next workbook
    con = values(out / "_CON.xlsx", L.SHEET_INFO)
    assert con[INFO["evaluator"]] is None and con[INFO["project"]] is None
    assert values(out / "_CON.xlsx", L.SHEET_BASIC)[BASIC["budget_initial"]] is None

    seen = soffice.sheets(first)
    lo_info = {r[0]: r[1] for r in seen[L.SHEET_INFO] if len(r) > 1}
    assert lo_info[INFO["unit"]] == "甲单位"
    assert lo_info[INFO["project"]] == INJECTION               # LibreOffice sees text, not a formula
    lo_basic = {r[0]: r[1] for r in seen[L.SHEET_BASIC] if len(r) > 1}
    assert float(lo_basic[BASIC["budget_initial"]]) == 536.67


def test_fill_never_overwrites_without_force(cli, tmp_path, template):
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度"], [["甲单位", 2024], ["乙单位", 2024]],
                          title=None)
    out = tmp_path / "out"
    assert cli("fill", roster, "-t", template, "-o", out).code == 0
    target = out / "甲单位.xlsx"
    before = target.read_bytes()
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 1
    assert {i["status"] for i in run.json()["items"]} == {"skipped"}
    assert all(i["problems"][0]["code"] == "fill_exists" for i in run.json()["items"])
    assert target.read_bytes() == before
    forced = cli("fill", roster, "-t", template, "-o", out, "--force", "--json")
    assert forced.code == 0
    assert {i["status"] for i in forced.json()["items"]} == {"overwritten"}
    assert len(list(out.glob("甲单位.bak-*.xlsx"))) == 1
    text = cli("fill", roster, "-t", template, "-o", out).out
    assert "已存在" in text and "--force" in text


def test_template_without_basic_sheet_warns_and_still_writes(cli, tmp_path, template):
    wb = load_workbook(template)
    del wb[L.SHEET_BASIC]
    wb.save(template)
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "年初预算数", "决算支出数"], [["甲单位", 1, 2]],
                          title=None)
    run = cli("fill", roster, "-t", template, "-o", tmp_path / "out", "--json")
    assert run.code == 0
    [warning] = [p for p in run.json()["problems"] if p["code"] == "fill_no_basic_sheet"]
    assert "“年初预算数”" in warning["message"] and "“决算支出数”" in warning["message"]
    assert values(tmp_path / "out" / "甲单位.xlsx", L.SHEET_INFO)[INFO["unit"]] == "甲单位"


def test_roster_without_unit_column_is_unusable(cli, tmp_path, template):
    roster = write_roster(tmp_path / "名单.xlsx", ["名称", "年度"], [["甲", 2024]], title=None)
    run = cli("fill", roster, "-t", template, "-o", tmp_path / "out", "--json")
    assert run.code == 2
    assert "找不到表头行" in run.json()["problems"][0]["message"]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("text, expected", [
    ("南昌市青云谱区总工会", "南昌市青云谱区总工会"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("a\\b:c*d?e\"f<g>h|i", "a_b_c_d_e_f_g_h_i"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("COM1", "_COM1"),
    ("  单位名称.  ", "单位名称"),
    ("...", "未命名"),
    ("", "未命名"),
    ("单位\u202egpj.exe", "单位gpj.exe"),          # a right-to-left override cannot disguise the name
    ("单位\n名称\t甲", "单位名称甲"),
    ("~$甲单位", "_$甲单位"),                  # not an Excel lock file
])
def test_safe_filename(text, expected):
    assert safe_filename(text) == expected


def test_safe_filename_is_bounded():
    name = safe_filename("很长的单位名称" * 100)
    assert len(name.encode("utf-8")) <= 180 and name.startswith("很长的单位名称")


def test_filled_workbooks_consolidate(cli, tmp_path, make_workbook):
    """Prefill from a roster, then consolidate what was written: the roster's units come back."""
    from conftest import simple_rows

    tpl = make_workbook(rows=simple_rows(4), info={}, name="带指标的模板.xlsx")
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度", "评价人"],
                          [["甲单位", 2024, "张三"], ["乙单位", 2024, "张三"], ["甲单位", 2024, "李四"]], title=None)
    out = tmp_path / "分发"
    assert cli("fill", roster, "-t", tpl, "-o", out).code == 0
    run = cli("consolidate", out, "-o", tmp_path / "汇总.xlsx", "--json", "--jobs", "1")
    data = run.json()
    assert run.code == 0, run.text
    assert (data["found"], data["included"]) == (3, 3)
    units = {u["unit"]: u for u in data["units"]}
    assert set(units) == {"甲单位", "乙单位"} and units["甲单位"]["evaluators"] == 2
    # simple_rows: 4 × 25 points, actual 10, 9, 8, 7 of a target of 10
    assert units["乙单位"]["total"] == pytest.approx(25 * (10 + 9 + 8 + 7) / 10)


def test_a_long_unit_name_keeps_each_evaluators_name(cli, tmp_path, make_workbook):
    """A unit name near the file-name limit: the unit part is shortened, not the evaluator's (it was cut
    off, so the second evaluator's row clashed with the first's file name and was not written)."""
    from conftest import simple_rows

    tpl = make_workbook(rows=simple_rows(4), info={}, name="带指标的模板.xlsx")
    unit = "某某省某某市某某县人民政府办公室关于某某专项资金使用情况的整体支出绩效评价工作领导小组" * 2
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度", "评价人"],
                          [[unit, 2024, "张三"], [unit, 2024, "李四"]], title=None)
    out = tmp_path / "分发"
    run = cli("fill", roster, "-t", tpl, "-o", out, "--json")
    assert run.code == 0, run.text
    assert [i["status"] for i in run.json()["items"]] == ["written", "written"]
    names = sorted(p.stem for p in out.iterdir())
    assert [n.rsplit("_", 1)[1] for n in names] == ["张三", "李四"]
    assert all(len(n.encode("utf-8")) <= 180 and n.startswith(unit[:20]) for n in names)


def test_a_roster_name_like_a_lock_file_is_no_lock_file(cli, tmp_path, make_workbook):
    """A unit named ``~$甲单位`` gets a file that is not an Excel lock file: 甲单位's own row is still
    written, and both workbooks consolidate (a ``~$`` file would be skipped as a lock)."""
    from conftest import simple_rows

    tpl = make_workbook(rows=simple_rows(4), info={}, name="带指标的模板.xlsx")
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度"],
                          [["~$甲单位", 2024], ["甲单位", 2024]], title=None)
    out = tmp_path / "分发"
    run = cli("fill", roster, "-t", tpl, "-o", out, "--json")
    assert run.code == 0, run.text
    assert [i["status"] for i in run.json()["items"]] == ["written", "written"]
    assert not [p for p in out.iterdir() if p.name.startswith("~$")]
    assert len(list(out.iterdir())) == 2
    data = cli("consolidate", out, "-o", tmp_path / "汇总.xlsx", "--json", "--jobs", "1").json()
    assert (data["found"], data["included"]) == (2, 2)
    assert {u["unit"] for u in data["units"]} == {"~$甲单位", "甲单位"}


def test_filled_live_template_carries_fresh_results(cli, tmp_path, lo):
    """A template perfxl made live, filled with 基础数据: every formula's saved result is computed for
    the filled figures (a reader that does not calculate sees them; `validate` finds nothing stale),
    LibreOffice's full recalculation agrees to the cent, and the 派生指标 explanations are redrawn."""
    from formula_harness import lo_recalc

    template = tmp_path / "部门模板.xlsx"
    assert cli("template", "-f", "部门整体", "-o", template).code == 0
    roster = write_roster(tmp_path / "名单.xlsx",
                          ["单位名称", "年初预算数", "调整后预算数", "决算支出数", "政府采购预算数", "政府采购实际数"],
                          [["甲单位", 100, 120, 110, 50, 40]], title=None)
    out = tmp_path / "out"
    assert cli("fill", roster, "-t", template, "-o", out).code == 0
    filled = out / "甲单位.xlsx"

    run = cli("validate", filled, "--json")
    assert not [p for p in run.json()["problems"] if p["code"] == "formula_result_differs"]

    saved = load_workbook(filled, data_only=True)
    basic = saved[L.SHEET_BASIC]
    top = next(c.row for c in basic["A"] if c.value == L.FIGURE_HEADER[0])
    figures = {basic.cell(r, 1).value: (basic.cell(r, 3).value, basic.cell(r, 4).value)
               for r in range(top + 1, basic.max_row + 1) if basic.cell(r, 1).value}
    assert figures["支出预算执行率"][0] == pytest.approx(110 / 120)
    assert figures["预算调整率"][0] == pytest.approx(0.2)
    assert figures["政府采购节支率"][0] == pytest.approx(0.2)
    assert "缺少输入" not in figures["预算节约率"][1] and "110" in figures["预算节约率"][1]

    cells = lo_recalc([{"path": str(filled), "read": [[L.SHEET_BASIC, f"C{top + 1}:C{basic.max_row}"],
                                                       [L.SHEET_INDICATORS, "L2:Q40"],
                                                       [L.SHEET_SUMMARY, "B1:E40"]]}], tmp_path)[0]["cells"]
    compared = 0
    for ref, (kind, value) in cells.items():
        sheet, addr = ref.split("!")
        mine = saved[sheet][addr].value
        if kind == "num":
            assert isinstance(mine, (int, float)) and mine == pytest.approx(value, abs=0.005), ref
            compared += 1
        elif kind == "empty":
            assert mine in (None, ""), ref
    assert compared >= 20


def test_a_formula_someone_changed_is_left_to_compute(cli, tmp_path):
    """In a live template where a person rewrote one of perfxl's formulas that reads 基础数据, fill leaves
    that formula as written, without a stale result (the spreadsheet computes it on opening); perfxl's
    own formulas beside it still get their results."""
    import re
    from html import unescape

    from packages import cells, parts, sheet_parts
    from test_robustness import repack

    made = tmp_path / "部门模板.xlsx"
    assert cli("template", "-f", "部门整体", "-o", made).code == 0
    pk = parts(made)
    part = sheet_parts(pk)[L.SHEET_BASIC]
    xml = pk[part].decode()
    rows = {unescape(m.group(2)): int(m.group(1)) for m in re.finditer(r'<c r="A(\d+)"[^>]*><is><t>([^<]*)</t>', xml)}
    mine, theirs = rows["支出预算执行率"], rows["预算调整率"]

    def rewrite(data: bytes) -> bytes:
        cell = cells(data)[f"C{theirs}"]
        return data.replace(cell, re.sub(rb"<f>.*?</f>(<v>.*?</v>)?", b"<f>B3*2</f><v>0</v>", cell, flags=re.S))
    template = repack(made, tmp_path / "改过的模板.xlsx", {part: rewrite})
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "调整后预算数", "决算支出数"], [["甲单位", 120, 110]],
                          title=None)
    assert cli("fill", roster, "-t", template, "-o", tmp_path / "out").code == 0
    changed = cells(parts(tmp_path / "out" / "甲单位.xlsx")[part])[f"C{theirs}"].decode()
    assert "<f>B3*2</f>" in changed and "<v>" not in changed
    wb = load_workbook(tmp_path / "out" / "甲单位.xlsx", data_only=True)
    assert wb[L.SHEET_BASIC][f"C{mine}"].value == pytest.approx(110 / 120)
    assert "110" in wb[L.SHEET_BASIC][f"D{mine}"].value                        # perfxl's own: explained anew
    assert wb[L.SHEET_BASIC][f"D{theirs}"].value == load_workbook(template)[L.SHEET_BASIC][f"D{theirs}"].value
    # what reads the rewritten cell is not given perfxl's figure either: the spreadsheet computes it
    ws = wb[L.SHEET_INDICATORS]
    head = {c.value: c.column for c in ws[1]}
    [row] = [r for r in range(2, ws.max_row + 1)
             if ws.cell(r, head[L.COLUMNS_BY_KEY["source"].header]).value == "预算调整率"]
    for key in ("actual", "rule_score", "score"):
        assert ws.cell(row, head[L.COLUMNS_BY_KEY[key].header]).value is None, key


def test_a_template_saved_by_libreoffice_is_refreshed_too(cli, tmp_path, soffice):
    """An administrator adjusts the template in LibreOffice and saves it: LibreOffice re-spells perfxl's
    formulas ('基本信息'!B2 as 基本信息!B2, 1E-09 as 0.000000001, FALSE as FALSE()); they are still
    perfxl's, and get their results for the filled values."""
    template = tmp_path / "部门模板.xlsx"
    assert cli("template", "-f", "部门整体", "-o", template).code == 0
    soffice.convert(template, "xlsx:Calc MS Excel 2007 XML", tmp_path / "lo")
    saved = tmp_path / "lo" / template.name
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "调整后预算数", "决算支出数"], [["甲单位", 120, 110]],
                          title=None)
    assert cli("fill", roster, "-t", saved, "-o", tmp_path / "out").code == 0
    filled = tmp_path / "out" / "甲单位.xlsx"
    wb = load_workbook(filled, data_only=True)
    assert wb[L.SHEET_SUMMARY][f"B{L.SUMMARY_HEAD_ROWS['unit']}"].value == "甲单位"     # reads 基本信息
    basic = {r[0]: r[2] for r in wb[L.SHEET_BASIC].iter_rows(values_only=True) if r and r[0]}
    assert basic["支出预算执行率"] == pytest.approx(110 / 120)
    run = cli("validate", filled, "--json")
    assert not [p for p in run.json()["problems"] if p["code"] == "formula_result_differs"]


def test_a_total_row_at_the_bottom_is_no_unit(cli, tmp_path, template):
    """The 合计 row under a roster (its sum in the budget column) made a workbook named 合计.xlsx."""
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度", "年初预算数"],
                          [["甲单位", 2024, 100], ["乙单位", 2024, 200], [" 合 计", None, 300]])
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    assert sorted(p.name for p in out.iterdir()) == ["乙单位.xlsx", "甲单位.xlsx"]
    [item] = [i for i in run.json()["items"] if i["row"] == 5]
    assert item["status"] == "skipped"
    [p] = item["problems"]
    assert (p["code"], p["cell"]) == ("fill_total_row", "A5") and "第5行是“合 计”行" in p["message"]


def test_a_roster_figure_in_another_unit_is_converted(cli, tmp_path, template):
    """A roster giving 三公经费 in 万元 (by its header, or after the figure) wrote 4.9 into the template's
    元 row: a figure 10,000 times too small, without a word. Figures are now converted to the unit of the
    template's row; 536.67万元 and 12人 typed as text are numbers; a unit of another kind is refused."""
    roster = write_roster(tmp_path / "名单.xlsx",
                          ["单位名称", "三公经费预算数（万元）", "年初预算数(单位:元)", "三公经费实际数", "在职人数",
                           "政府采购预算数"],
                          [["甲单位", 4.9, 5366700, "1.2万元", "12人", "3人"]])
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    basic = values(out / "甲单位.xlsx", L.SHEET_BASIC)
    assert basic[BASIC["sangong_budget"]] == 49000                   # 元
    assert basic[BASIC["budget_initial"]] == 536.67                  # 万元
    assert basic[BASIC["sangong_actual"]] == 12000
    assert basic[BASIC["staff_actual"]] == 12
    assert basic[BASIC["procurement_budget"]] is None                # 3人 is no sum of money
    [p] = run.json()["items"][0]["problems"]
    assert (p["code"], p["cell"]) == ("fill_unit_mismatch", "F3")
    assert "“人”" in p["message"] and "“万元”" in p["message"]
    assert not any(p["code"] == "fill_unknown_column" for p in run.json()["problems"])


def test_a_two_level_merged_header_fills_the_figures_under_it(cli, tmp_path, template, soffice):
    """A roster as people lay it out: a title, then 单位名称 and 评价人 merged over two header rows and
    基础数据 merged over 年初预算数 | 决算支出数. The sub-headers were read as a data row and the figures were
    never written (exit 0, only a warning that “基础数据” is unknown)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["2024年度评价名单"])
    ws.append(["单位名称", "评价人", "基础数据", None, "评价年度"])
    ws.append([None, None, "年初预算数", "决算支出数（万元）", None])
    for merged in ("A1:E1", "A2:A3", "B2:B3", "C2:D2", "E2:E3"):
        ws.merge_cells(merged)
    ws.append(["甲单位", "张三", 100, 90, 2024])
    ws.append(["乙单位", "李四", 200, 150, 2024])
    wb.save(roster := tmp_path / "名单.xlsx")
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    assert run.json()["problems"] == []
    assert [i["row"] for i in run.json()["items"]] == [4, 5]
    basic = values(out / "乙单位_李四.xlsx", L.SHEET_BASIC)
    assert (basic[BASIC["budget_initial"]], basic[BASIC["spent_total"]]) == (200, 150)
    seen = {r[0]: r[1] for r in soffice.sheets(out / "甲单位_张三.xlsx")[L.SHEET_BASIC] if len(r) > 1}
    assert (float(seen[BASIC["budget_initial"]]), float(seen[BASIC["spent_total"]])) == (100, 90)


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_a_roster_exported_as_csv(cli, tmp_path, template, encoding):
    """OA systems export rosters as CSV (GBK, or UTF-8 with a BOM): it was refused as “not an Excel
    workbook”. It is read like the survey exports are (the same reader), title line and all."""
    text = ("2024年度评价名单,,,\r\n单位名称,评价人,评价年度,年初预算数\r\n"
            "甲单位,张三,2024,\"1,234.5\"\r\n乙单位 ,李四,2024,200\r\n")
    roster = tmp_path / "名单.csv"
    roster.write_bytes(text.encode(encoding))
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    assert sorted(Path(p).name for p in run.json()["written"]) == ["乙单位_李四.xlsx", "甲单位_张三.xlsx"]
    info = values(out / "乙单位_李四.xlsx", L.SHEET_INFO)
    assert (info[INFO["unit"]], info[INFO["year"]]) == ("乙单位", 2024)
    assert values(out / "甲单位_张三.xlsx", L.SHEET_BASIC)[BASIC["budget_initial"]] == 1234.5


def test_a_credit_code_stored_as_a_number_is_not_written_with_made_up_digits(cli, tmp_path, template):
    """An 18-digit 统一社会信用代码 typed into a General cell is a number with 15 significant digits: fill wrote
    913601001234567936, a code nobody typed, which then passed validation and went into the summary."""
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "统一社会信用代码"],
                          [["甲单位", 913601001234567890], ["乙单位", "913601001234567890"]], title=None)
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    assert values(out / "甲单位.xlsx", L.SHEET_INFO)[INFO["credit_code"]] is None
    assert values(out / "乙单位.xlsx", L.SHEET_INFO)[INFO["credit_code"]] == "913601001234567890"
    [p] = [p for i in run.json()["items"] for p in i["problems"]]
    assert (p["code"], p["cell"]) == ("fill_code_number", "B2") and "“文本”格式" in p["fix"]


def test_a_unit_merged_over_its_evaluators_rows_fills_each_of_them(cli, tmp_path, template):
    """One unit, two evaluators: 单位名称 and 年初预算数 merged over both rows, as administrators lay it out.
    The second evaluator's row was refused as having no unit name (the merged cell shows it) and got no
    workbook; each row now takes the merged cell's value."""
    wb = Workbook()
    ws = wb.active
    for row in (["单位名称", "评价人", "年初预算数"], ["甲单位", "张三", 100], [None, "李四", None],
                ["乙单位", "王五", 200]):
        ws.append(row)
    ws.merge_cells("A2:A3")
    ws.merge_cells("C2:C3")
    wb.save(roster := tmp_path / "名单.xlsx")
    out = tmp_path / "out"
    run = cli("fill", roster, "-t", template, "-o", out, "--json")
    assert run.code == 0, run.text
    assert sorted(p.name for p in out.iterdir()) == ["乙单位_王五.xlsx", "甲单位_张三.xlsx", "甲单位_李四.xlsx"]
    assert values(out / "甲单位_李四.xlsx", L.SHEET_INFO)[INFO["unit"]] == "甲单位"
    assert values(out / "甲单位_李四.xlsx", L.SHEET_BASIC)[BASIC["budget_initial"]] == 100



def test_a_fill_that_writes_nothing_does_not_name_a_folder_it_did_not_make(cli, tmp_path, template):
    """Every roster row without a 单位名称: fill removes the folder it made for them again, but said
    “✓ 已写入 0 个工作簿到 新目录/子”, a folder that is not there. It now says nothing was written."""
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "评价年度"], [[None, 2024], [None, 2025]],
                          title=None)
    run = cli("fill", roster, "-t", template, "-o", tmp_path / "新目录" / "子")
    assert run.code == 1
    assert "已写入 0" not in run.out and "没有写出工作簿，未建立文件夹" in run.out
    assert not (tmp_path / "新目录").exists()


def test_a_unit_in_brackets_in_the_template_is_the_unit_validation_reads(cli, tmp_path):
    """The template's 基础数据 unit cell says “(元)”: validation reads 元, but fill did not know the
    bracketed unit and took the field's own 万元, so a roster figure of 4.9万元 was written as 4.9 into a
    元 row, 10,000 times too small, without a word. Both now read the unit the same way."""
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import new_workbook

    wb = new_workbook()
    ws = wb[L.SHEET_BASIC]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == BASIC["budget_initial"])
    assert row[2].value == "万元"
    row[2].value = "(元)"
    template = tmp_path / "模板.xlsx"
    atomic_save(wb, template)
    roster = write_roster(tmp_path / "名单.xlsx", ["单位名称", "年初预算数（万元）"], [["甲单位", 4.9]])
    run = cli("fill", roster, "-t", template, "-o", tmp_path / "out", "--json")
    assert run.code == 0, run.text
    assert values(tmp_path / "out" / "甲单位.xlsx", L.SHEET_BASIC)[BASIC["budget_initial"]] == 49000
