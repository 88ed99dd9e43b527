"""The public example (seed 003, 南昌市青云谱区总工会 2022) scored end to end through the CLI."""
from __future__ import annotations

from openpyxl import load_workbook

# Published 评分表 scores, in table order (the report's own figures).
PUBLISHED = [2, 3, 0.8, 0.9, 2, 3,                       # 部门决策
             2.88, 6, 4, 2, 0, 2, 2, 0,                  # 部门管理
             1, 0.5, 1, 1, 1, 1, 1, 0.5, 0.5, 1.5, 0.5,  # 产出数量
             1, 4, 2.7, 1, 1,                            # 产出质量
             4,                                          # 产出时效
             1, 1, 2, 1,                                 # 产出成本
             3, 4, 3, 2, 2, 2, 4, 8, 2]                  # 效益

# Where the published score departs from the report's own criterion, and what the rule gives.
DEPARTURES = {
    "3": (1.20, 0.80),    # 绩效目标合理性: ①③ met is 60%; 40% is unreachable under the gate rule
    "7": (2.87, 2.88),    # 支出预算执行率: 4 × (1 − 5.66 × 5%) = 2.868
    "13": (1.50, 2.00),   # 固定资产利用率: 100% lies in "90%(含)~100%得1.5分"
    "21": (0.83, 1.00),   # 开展维权普法活动次数: 20 / 24
}


def test_example_reproduces_the_published_scores(example, cli):
    run = cli("score", example, "--json", "--no-write")
    assert run.code == 0, run.text
    data = run.json()
    assert len(data["indicators"]) == 44
    assert [i["score"] for i in data["indicators"]] == PUBLISHED
    assert data["total"] == 88.78
    assert data["grade"] == "良"
    assert data["complete"] is True
    assert data["problems"] == []
    assert {d["code"]: (d["rule_score"], d["evaluator_score"]) for d in data["deviations"]} == DEPARTURES
    assert all(d["note"] for d in data["deviations"])


def test_example_level_rollups_are_computed(example, cli):
    levels = {(l["level"], l["name"]): l for l in cli("score", example, "--json", "--no-write").json()["levels"]}
    assert levels[(1, "部门决策")]["score"] == 11.7
    assert levels[(1, "部门管理")]["score"] == 18.88
    assert levels[(1, "部门产出")]["score"] == 28.2
    assert levels[(1, "部门效益")]["score"] == 30.0
    # the report prints 100% for 产出数量 and 60% for 产出成本; the scores say otherwise
    assert levels[(2, "产出数量")]["rate"] == 0.95
    assert levels[(2, "产出时效")]["rate"] == 0.8
    assert levels[(2, "产出成本")]["rate"] == 1.0


def test_example_console_output(example, cli):
    run = cli("score", example)
    assert run.code == 0
    assert "总分：88.78" in run.out and "等级：良" in run.out
    assert "评价得分与规则得分不同（4 项）" in run.out
    out = example.with_name(example.stem + "_评分.xlsx")
    assert out.exists() and f"结果已写入：{out}" in run.out.replace("\n", "")


def test_scored_example_opens_in_libreoffice_with_perfxl_values(example, cli, soffice):
    assert cli("score", example).code == 0
    out = example.with_name(example.stem + "_评分.xlsx")
    sheets = soffice.sheets(out)
    summary = {row[0]: row[1] for row in sheets["得分汇总"] if len(row) > 1}
    assert summary["总分"] == "88.78" and summary["等级"] == "良"
    table = sheets["指标评分"]
    header = table[0]
    score_col, rule_col = header.index("得分"), header.index("规则得分")
    assert [float(r[score_col]) for r in table[1:45]] == PUBLISHED
    row21 = next(r for r in table if r[0] == "21")      # 开展维权普法活动次数
    assert float(row21[rule_col]) == 0.83 and float(row21[score_col]) == 1.0
    deviations = sheets["评价偏差"]
    assert [r[0] for r in deviations[1:]] == list(DEPARTURES)
    assert "未发现问题" in sheets["校验结果"][1]


def test_scored_example_keeps_input_and_marks_deviations(example, cli):
    before = load_workbook(example)["指标评分"]["L9"].value
    cli("score", example)
    wb = load_workbook(example.with_name(example.stem + "_评分.xlsx"))
    ws = wb["指标评分"]
    assert ws["L9"].value == before                              # 实际值 untouched
    assert ws["M8"].comment is not None and "2.87" in ws["M8"].comment.text
    assert ws["M8"].fill.fgColor.rgb.endswith("DDEBF7")
    assert wb["指标评分"].protection.sheet is True


def test_json_has_the_documented_shape(example, cli):
    data = cli("score", example, "--json", "--no-write").json()
    assert {"total", "grade", "complete", "levels", "indicators", "deviations", "problems"} <= set(data)
    ind = data["indicators"][6]
    assert {"code", "name", "weight", "rule_score", "score", "rate"} <= set(ind)
    assert (ind["code"], ind["weight"], ind["rule_score"], ind["score"]) == ("7", 4, 2.87, 2.88)
    assert ind["rate"] == 0.72


def test_help_does_not_import_pandas(cli):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "perfxl", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "命令" in proc.stdout
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "typer" in imported
    assert not {"pandas", "pandera", "openpyxl"} & imported
