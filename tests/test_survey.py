"""Questionnaires: known answer counts reproduce the shares and 得分率 to 0.01%; bad answers,
duplicates and unused questions are reported with their cells; indicators score from a set."""
from __future__ import annotations

import pytest
from openpyxl import load_workbook

from perfxl.model import layout as L

OPTIONS = [("非常满意", 1.0, True), ("满意", 0.5, True), ("一般", 0.25, False), ("不满意", 0.0, False)]
# answer counts per group and question: {group: {question: {option: n}}}
COUNTS = {
    "服务对象": {"Q1": {"非常满意": 43, "满意": 7, "一般": 2, "不满意": 0},
                 "Q2": {"非常满意": 30, "满意": 15, "一般": 5, "不满意": 2},
                 "Q3": {"非常满意": 40, "满意": 10, "一般": 1, "不满意": 1}},
    "工作人员": {"Q1": {"非常满意": 8, "满意": 2, "一般": 0, "不满意": 0},
                 "Q2": {"非常满意": 6, "满意": 3, "一般": 1, "不满意": 0},
                 "Q3": {"非常满意": 9, "满意": 0, "一般": 0, "不满意": 1}},
}
WEIGHT = {label: w for label, w, _ in OPTIONS}


def responses() -> list[list]:
    """One row per respondent, answers laid out so that the per-question counts are COUNTS."""
    out, n = [], 0
    for group, per_q in COUNTS.items():
        size = sum(per_q["Q1"].values())
        columns = {q: [opt for opt, k in c.items() for _ in range(k)] for q, c in per_q.items()}
        for i in range(size):
            n += 1
            out.append([n, group, *(columns[q][i] for q in ("Q1", "Q2", "Q3"))])
    return out


def rows() -> list[dict]:
    return [
        dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="服务对象满意度", weight=60,
             method="阈值扣分", params="≥90%得满分；每下降1%扣5%", source="问卷:服务对象满意度"),
        dict(code=2, name="工作人员满意度", weight=40, method="得分率计分", source="问卷满意率:工作人员满意度"),
    ]


SETS = [("服务对象满意度", "Q1~Q3", "服务对象"), ("工作人员满意度", "全部", "工作人员")]


@pytest.fixture
def survey_book(make_workbook):
    def make(resp=None, sets=SETS, mutate=None, name="survey.xlsx"):
        survey = dict(questions=["Q1", "Q2", "Q3"], responses=resp if resp is not None else responses(),
                      options=OPTIONS, sets=sets)
        return make_workbook(rows=rows(), info={"unit": "某单位", "year": 2024}, survey=survey, mutate=mutate,
                             name=name)
    return make


def hand_rate(counts: list[dict]) -> tuple[float, float, int]:
    """得分率 and 满意率 pooled over answers, by plain arithmetic."""
    n = sum(sum(c.values()) for c in counts)
    score = sum(WEIGHT[o] * k for c in counts for o, k in c.items())
    happy = sum(k for c in counts for o, k in c.items() if o in ("非常满意", "满意"))
    return score / n, happy / n, n


def test_set_rates_match_hand_computation(survey_book, cli):
    run = cli("score", survey_book(), "--json")
    assert run.code == 0, run.text
    data = run.json()
    rate_obj, _, n_obj = hand_rate(list(COUNTS["服务对象"].values()))
    _, happy_staff, _ = hand_rate(list(COUNTS["工作人员"].values()))
    # 服务对象: 得分率 = (113×1 + 32×0.5 + 8×0.25 + 3×0) / 156 = 131/156 = 83.97%; 6.03 points under 90%
    assert round(rate_obj, 4) == 0.8397 and n_obj == 156
    ind1, ind2 = data["indicators"]
    assert ind1["rule_score"] == round(60 * (1 - (0.9 - rate_obj) * 100 * 0.05), 2)
    assert f"共{n_obj}个有效回答，得分率83.97%" in ind1["process"]
    assert ind2["rule_score"] == round(40 * happy_staff, 2)          # 28/30 satisfied -> 37.33
    assert data["total"] == round(ind1["rule_score"] + ind2["rule_score"], 2)


def test_question_stats_written_and_seen_by_libreoffice(survey_book, cli, soffice):
    path = survey_book()
    assert cli("score", path).code == 0
    out = path.with_name(path.stem + "_评分.xlsx")
    ws = load_workbook(out)[L.SHEET_SURVEY_STATS]
    table = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(r for r in table if r and r[0] == "题目")
    q1 = next(r for r in table if r[0] == "Q1" and r[1] == "服务对象")
    counts = dict(zip(head, q1))
    assert counts["有效回答"] == 52 and counts["非常满意人数"] == 43
    assert round(counts["非常满意占比"], 4) == round(43 / 52, 4)                     # 82.69%
    assert round(counts["得分率"], 4) == round((43 + 7 * 0.5 + 2 * 0.25) / 52, 4)     # 90.38%
    seen = soffice.sheets(out)[L.SHEET_SURVEY_STATS]
    row = next(r for r in seen if r[:2] == ["Q1", "服务对象"])
    assert row[2] == "52" and row[3] == "43"


def test_numeric_scale_answers(make_workbook, cli):
    resp = [[i + 1, "服务对象", a] for i, a in enumerate([5, 5, 4, 3, "5", "４"])]
    survey = dict(questions=["Q1"], responses=resp, options=[("5", 5, True), ("4", 4, True), ("3", 3, False),
                                                              ("2", 2, False), ("1", 1, False)],
                  sets=[("总体", "Q1", None)])
    rows_ = [dict(code=1, level1="效益(100分)", level2="满意度", name="总体满意度", weight=100, method="得分率计分",
                  source="问卷:总体")]
    run = cli("score", make_workbook(rows=rows_, info={"unit": "x", "year": 2024}, survey=survey), "--json",
              "--no-write")
    assert run.code == 0, run.text
    # weights 5..1 become shares of 5: (5+5+4+3+5+4)/5/6 = 86.67%
    assert run.json()["total"] == round(100 * (26 / 30), 2)


def test_bad_answers_duplicates_and_unused_questions_are_reported(survey_book, cli):
    resp = responses()
    resp[0][2] = "还行"            # unknown answer: row 2, column C (Q1)
    resp[1][3] = None              # blank answer: row 3, column D (Q2)
    resp[5][0] = resp[4][0]        # duplicate respondent number: rows 6 and 7
    sets = [("服务对象满意度", "Q1、Q2", "服务对象"), ("工作人员满意度", "Q1", "工作人员")]   # Q3 used by none
    problems = cli("validate", survey_book(resp, sets), "--json").json()["problems"]
    where = {(p["code"], p["sheet"], p["cell"]) for p in problems}
    assert ("survey_unknown_answer", "问卷", "C2") in where
    assert ("survey_blank_answer", "问卷", "D3") in where
    assert ("survey_duplicate_id", "问卷", "A7") in where
    assert ("survey_question_unused", "问卷", "E1") in where
    unknown = next(p for p in problems if p["code"] == "survey_unknown_answer")
    assert "还行" in unknown["message"] and "非常满意" in unknown["fix"]


def test_many_bad_answers_are_summarised(survey_book, cli):
    resp = responses()
    for r in resp[:60]:
        r[2] = "?"
    problems = cli("validate", survey_book(resp), "--json").json()["problems"]
    assert sum(p["code"] == "survey_unknown_answer" for p in problems) == 20
    [more] = [p for p in problems if p["code"] == "survey_unknown_answer_more"]
    assert "另有 40 个" in more["message"] and more["cell"] == "C1"


def test_set_naming_a_missing_question_or_group(survey_book, cli):
    sets = [("服务对象满意度", "Q1、Q9", "服务对象"), ("工作人员满意度", "全部", "外聘人员")]
    run = cli("validate", survey_book(sets=sets), "--json")
    assert run.code == 1
    codes = {p["code"]: p for p in run.json()["problems"]}
    assert codes["survey_set_unknown_question"]["sheet"] == "问卷设置"
    assert "Q9" in codes["survey_set_unknown_question"]["message"]
    assert "外聘人员" in codes["survey_set_unknown_group"]["message"]


def test_indicator_naming_a_missing_set(survey_book, cli):
    def rename(wb):
        wb[L.SHEET_INDICATORS]["J2"] = "问卷:不存在的题组"
    problems = cli("validate", survey_book(mutate=rename), "--json").json()["problems"]
    assert any(p["code"] == "survey_set_missing" and p["cell"] == "J2" for p in problems)
