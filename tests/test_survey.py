"""Questionnaires: known answer counts reproduce the shares and 得分率 to 0.01%; bad answers,
duplicates and unused questions are reported with their cells; indicators score from a set."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
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


@pytest.mark.parametrize("more", [0, 1000])          # (from 1000 numbers on, they are labelled in bulk)
def test_respondent_numbers_of_spaces_are_blank_not_duplicates(survey_book, cli, more):
    resp = responses()
    resp[2][0] = resp[3][0] = "  "
    resp += [[len(resp) + i + 1, "服务对象", "满意", "满意", "满意"] for i in range(more)]
    problems = cli("validate", survey_book(resp), "--json").json()["problems"]
    assert [p["message"] for p in problems if p["code"] == "survey_duplicate_id"] == []


@pytest.mark.parametrize("more", [0, 1000])
@pytest.mark.parametrize("first, twin", [("A7", "\u200bA7"), ("A7", "A7\ufeff"), ("A7", "Ａ７"), (5, "5"), (5, "５")],
                         ids=["zero-width", "bom", "full-width", "number-as-text", "full-width-number"])
def test_respondent_numbers_that_look_the_same_are_duplicates(survey_book, cli, more, first, twin):
    """A number pasted with a zero-width space or a BOM, typed full-width, or stored as text is the same
    respondent number (as answers are compared: folded), however many responses there are; the
    message names it as shown."""
    resp = responses()
    resp[4][0], resp[5][0] = first, twin             # rows 6 and 7
    resp += [[len(resp) + i + 1, "服务对象", "满意", "满意", "满意"] for i in range(more)]
    problems = cli("validate", survey_book(resp), "--json").json()["problems"]
    dup = [p for p in problems if p["code"] == "survey_duplicate_id"]
    assert [p["cell"] for p in dup] == ["A7"], problems
    assert f"答卷编号“{first}”重复（首次出现在 A6）" in dup[0]["message"]


#: respondent numbers as cells hold them: text (ASCII, full-width, invisible characters, spaces), numbers
_IDS = st.one_of(st.text(st.sampled_from("A7-0 .\u200b\ufeff\u00a0Ａ７\u3000"), max_size=4),
                 st.integers(-10 ** 20, 10 ** 20), st.floats(allow_nan=True), st.booleans(), st.none())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(_IDS, max_size=8), st.lists(st.integers(-10 ** 20, 10 ** 20) | st.floats(), max_size=8),
                 st.lists(st.text(st.sampled_from("A7-0 .\u200bＡ７"), max_size=4), max_size=8)))
def test_respondent_numbers_are_labelled_in_bulk_as_one_by_one(values):
    """The bulk labelling of respondent numbers (all numbers, all text, or mixed) is label_of, value by value."""
    import pandas as pd

    from perfxl.survey.stats import label_of, labels_of

    assert list(labels_of(pd.Series(values, dtype=object))) == [label_of(v) for v in values]


def test_respondent_numbers_repeat_only_within_a_group(survey_book, cli):
    """Each group's export numbers its answers from 1 (survey import --set 服务对象, then --set 工作人员):
    a number is a duplicate only within its 对象类别; past 20, one line says how many more."""
    resp = responses()
    for i, r in enumerate((r for r in resp if r[1] == "工作人员"), start=1):
        r[0] = i
    problems = cli("validate", survey_book(resp), "--json").json()["problems"]
    assert not [p for p in problems if p["code"].startswith("survey_duplicate_id")]
    for r in resp[:25]:                               # 服务对象, rows 2-26: number 1 again 24 times
        r[0] = 1
    problems = cli("validate", survey_book(resp, name="dup.xlsx"), "--json").json()["problems"]
    dup = [p for p in problems if p["code"] == "survey_duplicate_id"]
    assert [p["cell"] for p in dup] == [f"A{r}" for r in range(3, 23)] and "首次出现在 A2" in dup[0]["message"]
    [more] = [p for p in problems if p["code"] == "survey_duplicate_id_more"]
    assert "另有 4 个" in more["message"] and "共 24 个" in more["message"] and more["cell"] == "A1"


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


# --- counts (问卷汇总) ---------------------------------------------------------------------------

def count_rows() -> list[list]:
    """COUNTS typed into 问卷汇总: 题目, 对象类别, 份数 (blank), one count per option."""
    return [[q, group, None, *(c[o] for o, _, _ in OPTIONS)]
            for group, per_q in COUNTS.items() for q, c in per_q.items()]


def _record(path):
    from perfxl.score.engine import record
    from perfxl.score.pipeline import run

    return record(run(path))


def test_counts_and_rows_give_identical_rates_and_scores(survey_book, make_workbook, cli):
    rows_path = survey_book()
    counts_path = make_workbook(rows=rows(), info={"unit": "某单位", "year": 2024}, name="counts.xlsx",
                                survey=dict(questions=["Q1", "Q2", "Q3"], options=OPTIONS, sets=SETS,
                                            counts=count_rows()))
    a, b = (cli("score", p, "--json", "--no-write") for p in (rows_path, counts_path))
    assert a.code == b.code == 0, b.text
    assert a.json()["total"] == b.json()["total"]
    assert [(i["rule_score"], i["process"]) for i in a.json()["indicators"]] == \
        [(i["rule_score"], i["process"]) for i in b.json()["indicators"]]
    ra, rb = _record(rows_path).survey, _record(counts_path).survey
    for x, y in zip(ra, rb):
        assert (x.name, x.sample, x.valid, x.rate, x.satisfied, x.options, x.rate_formula, x.per_question) == \
            (y.name, y.sample, y.valid, y.rate, y.satisfied, y.options, y.rate_formula, y.per_question)
        assert (x.source, y.source) == ("responses", "counts")
    assert ra[0].sample == 52 and ra[1].sample == 10


def test_published_counts_give_the_published_rate(make_workbook, cli):
    """A seed's staff questionnaire: 52 份, 非常满意 43, 满意 7, 一般 1, 不满意 1 with 100%/50%/25%/0%
    gives 得分率 89.90%, and 3.00×89.90% = 2.70 points."""
    rows_ = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="部门职工满意度", weight=3,
                  method="得分率计分", source="问卷:职工问卷"),
             dict(code=2, name="其他", weight=97, method="完成比率", target="≥1次", actual="1次")]
    path = make_workbook(rows=rows_, info={"unit": "某单位", "year": 2024}, survey=dict(
        questions=[], options=OPTIONS, sets=[("职工问卷", "您对单位工作的满意度", None)],
        counts=[["您对单位工作的满意度", None, 52, 43, 7, 1, 1]]))
    run = cli("score", path, "--json", "--no-write")
    assert run.code == 0, run.text
    assert run.json()["indicators"][0]["rule_score"] == 2.70
    [st] = _record(path).survey
    assert round(st.rate, 4) == 0.8990 and st.sample == 52 and st.valid == 52
    assert st.rate_formula.endswith("＝（非常满意43×100%＋满意7×50%＋一般1×25%＋不满意1×0%）÷52＝89.90%")
    shares = [(o.label, o.count, round(o.share, 4)) for o in st.options]
    assert shares[:2] == [("非常满意", 43, 0.8269), ("满意", 7, 0.1346)]


def test_rows_and_counts_for_one_set_are_refused(survey_book, cli):
    def add_counts(wb):
        ws = wb[L.SHEET_SURVEY_COUNTS]
        ws.append(["Q1", "服务对象", None, 40, 10, 2, 0])
    problems = cli("validate", survey_book(mutate=add_counts), "--json").json()["problems"]
    [both] = [p for p in problems if p["code"] == "survey_rows_and_counts"]
    assert both["sheet"] == "问卷设置" and "服务对象满意度" in both["message"] and "Q1" in both["message"]
    assert both["severity"] == "error"
    # the staff set (the same questions, another 对象类别) is not concerned
    assert "工作人员满意度" not in " ".join(p["message"] for p in problems if p["code"] == "survey_rows_and_counts")


def test_bad_counts_are_reported_with_their_cells(make_workbook, cli):
    counts = [["Q1", None, 50, 40, 8, 1, 1],        # fine
              ["Q2", None, 40, 30, 8, "两", 1],     # not a number: F4
              ["Q3", None, 10, 9, 2, 0, 0],         # 11 answers, 10 份: C5
              ["Q1", None, None, 1, 0, 0, 0]]       # Q1 again: A6

    def extra_column(wb):
        wb[L.SHEET_SURVEY_COUNTS]["H2"] = "很满意"
    path = make_workbook(rows=rows(), info={"unit": "x", "year": 2024}, mutate=extra_column, survey=dict(
        questions=[], options=OPTIONS, sets=[("服务对象满意度", "Q1", None), ("工作人员满意度", "Q1", None)],
        counts=counts))
    where = {(p["code"], p["cell"]) for p in cli("validate", path, "--json").json()["problems"]}
    assert {("survey_count_invalid", "F4"), ("survey_count_over_size", "C5"), ("survey_count_duplicate", "A6"),
            ("survey_count_column_ignored", "H2")} <= where


# --- question names, blanks, groups ---------------------------------------------------------------

def test_question_names_with_punctuation_are_found(make_workbook, cli):
    questions = ["您对服务态度、办事效率是否满意？", "收费标准（元/次）是否合理；", "设施,环境;卫生",
                 "1、您对本单位的总体评价"]
    resp = [[i + 1, None, *(["非常满意", "满意"][i % 2] for _ in questions)] for i in range(8)]
    sets = [("服务", "您对服务态度、办事效率是否满意？、收费标准（元/次）是否合理；", None),
            ("环境", "设施,环境;卫生/题1", None)]
    rows_ = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="服务", weight=50, method="得分率计分",
                  source="问卷:服务"),
             dict(code=2, name="环境", weight=50, method="得分率计分", source="问卷:环境")]
    path = make_workbook(rows=rows_, info={"unit": "x", "year": 2024},
                         survey=dict(questions=questions, responses=resp, options=OPTIONS, sets=sets))
    run = cli("validate", path, "--json")
    assert run.code == 0, run.text
    assert not [p for p in run.json()["problems"] if p["code"].startswith("survey_")]
    by_name = {s.name: s.questions for s in _record(path).survey}
    assert by_name == {"服务": tuple(questions[:2]), "环境": tuple(questions[2:])}


def test_blank_answers_give_one_warning_per_column(survey_book, cli):
    resp = responses()
    for r in resp:
        r[3] = r[4] = None                 # Q2 and Q3: nobody answered (columns not in use)
    for r in resp[:5]:
        r[2] = None                        # Q1: five 服务对象 left it blank
    sets = [("服务对象满意度", "Q1", "服务对象"), ("工作人员满意度", "Q1", "工作人员")]
    problems = cli("validate", survey_book(resp, sets), "--json").json()["problems"]
    survey = [p for p in problems if p["code"].startswith("survey_")]
    assert sorted(p["code"] for p in survey) == ["survey_blank_answer", "survey_question_unused",
                                                 "survey_question_unused"]
    [blank] = [p for p in survey if p["code"] == "survey_blank_answer"]
    assert blank["cell"] == "C2" and "有 5 个空答案（C2、C3、C4、C5、C6）" in blank["message"]


def test_groups_with_their_own_sample_options_and_weights(make_workbook, cli):
    """会员 225 份 on a four-option scale, 工作人员 52 份 on their own three options and weights."""
    options = [("非常满意", 1.0, True), ("满意", 0.8, True), ("一般", 0.6, False), ("不满意", 0.0, False),
               ("满意", 1.0, True, "工作人员"), ("基本满意", 0.6, True, "工作人员"), ("不满意", 0.0, False, "工作人员")]
    member = {"非常满意": 150, "满意": 50, "一般": 20, "不满意": 5}
    staff = {"满意": 40, "基本满意": 10, "不满意": 2}
    resp, n = [], 0
    for group, counts in (("会员", member), ("工作人员", staff)):
        for answer in (o for o, k in counts.items() for _ in range(k)):
            n += 1
            resp.append([n, group, answer, answer])
    resp[-1][3] = "非常满意"                 # not one of the staff's options
    rows_ = [dict(code=1, level1="效益(100分)", level2="满意度(100分)", name="会员满意度", weight=60,
                  method="得分率计分", source="问卷:会员满意度"),
             dict(code=2, name="工作人员满意度", weight=40, method="得分率计分", source="问卷:工作人员满意度")]
    path = make_workbook(rows=rows_, info={"unit": "x", "year": 2024}, survey=dict(
        questions=["Q1", "Q2"], responses=resp, options=options,
        sets=[("会员满意度", "全部", "会员"), ("工作人员满意度", "全部", "工作人员")]))
    run = cli("validate", path, "--json")
    [bad] = [p for p in run.json()["problems"] if p["code"] == "survey_unknown_answer"]
    assert bad["cell"] == f"D{len(resp) + 1}" and "满意、基本满意、不满意" in bad["fix"]
    sets = {s.name: s for s in _record(path).survey}
    m, s = sets["会员满意度"], sets["工作人员满意度"]
    assert (m.sample, m.valid) == (225, 450) and (s.sample, s.valid) == (52, 103)
    assert m.rate == pytest.approx((150 + 50 * 0.8 + 20 * 0.6) * 2 / 450)
    assert s.rate == pytest.approx((40 * 2 + 10 * 0.6 * 2 + 0) / 103)       # the last Q2 answer is not counted
    assert {o.label: o.weight for o in s.options} == {"满意": 1.0, "基本满意": 0.6, "不满意": 0.0}


# --- in the consolidation (问卷得分率) -------------------------------------------------------------

def test_consolidation_lists_each_units_questionnaire_rates(survey_book, make_workbook, cli, soffice, tmp_path):
    """Every included workbook's question sets, per unit and evaluator: sample, rates and the shape
    they came in; the summary workbook shows them as LibreOffice reads them."""
    import shutil

    folder = tmp_path / "units"
    folder.mkdir()
    published = {"非常满意": 43, "满意": 7, "一般": 1, "不满意": 1}      # a seed's 52 份
    counts = [[q, g, None, *((published if (g, q) == ("服务对象", "Q1") else c)[o] for o, _, _ in OPTIONS)]
              for g, per_q in COUNTS.items() for q, c in per_q.items()]
    counted = make_workbook(rows=rows(), info={"unit": "甲单位", "year": 2024, "evaluator": "张三"}, name="甲.xlsx",
                            survey=dict(questions=["Q1", "Q2", "Q3"], options=OPTIONS, sets=SETS, counts=counts))
    shutil.copy(counted, folder / "甲.xlsx")
    for who in ("李四", "王五"):
        def evaluator(wb, who=who):
            ws = wb[L.SHEET_INFO]
            for row in ws.iter_rows():
                if row[0].value == L.INFO_BY_KEY["evaluator"].label:
                    row[1].value = who
        shutil.copy(survey_book(mutate=evaluator, name=f"乙{who}.xlsx"), folder / f"乙{who}.xlsx")
    run = cli("consolidate", folder, "-o", tmp_path / "汇总.xlsx", "--jobs", "1", "--json")
    assert run.code == 0, run.text
    got = [(r["unit"], r["evaluator"], r["survey"], r["sample"], r["survey_rate"], r["survey_source"])
           for r in run.json()["survey"]]
    rate_obj, _, _ = hand_rate(list(COUNTS["服务对象"].values()))
    rate_staff, _, _ = hand_rate(list(COUNTS["工作人员"].values()))
    b_sets = [(s, n, round(r, 4)) for s, n, r in (("服务对象满意度", 52, rate_obj), ("工作人员满意度", 10, rate_staff))]
    by_unit = {}
    for unit, who, name, sample, rate, source in got:
        by_unit.setdefault(unit, []).append((who, name, sample, rate, source))
    a_obj, _, _ = hand_rate([published, COUNTS["服务对象"]["Q2"], COUNTS["服务对象"]["Q3"]])
    assert by_unit["甲单位"] == [("张三", "服务对象满意度", 52, round(a_obj, 4), "选项计数（问卷汇总）"),
                               ("张三", "工作人员满意度", 10, round(rate_staff, 4), "选项计数（问卷汇总）")]
    assert sorted(by_unit["某单位"]) == sorted((who, s, n, r, "逐份答卷（问卷）") for who in ("李四", "王五")
                                              for s, n, r in b_sets)
    # the sheet follows the 汇总's order (by rank)
    assert list(dict.fromkeys(u for u, *_ in got)) == [u["unit"] for u in run.json()["units"]]
    seen = soffice.sheets(tmp_path / "汇总.xlsx")[L.SHEET_CONS_SURVEY]
    assert seen[0][:4] == [L.CONS_HEADERS[k] for k in L.CONS_SURVEY_KEYS[:4]]
    rate_col = list(L.CONS_SURVEY_KEYS).index("survey_rate")
    shown = [r[rate_col] for r in seen[1:] if r[0] == "甲单位"]         # raw values, in a percent format
    assert all(v.endswith("%") for v in shown)
    assert [round(float(v[:-1]) / 100, 9) for v in shown] == [round(a_obj, 9), round(rate_staff, 9)]


def test_an_option_with_its_fill_in_counts_as_the_option(survey_book, cli):
    """问卷星 writes an option answered with its fill-in as "选项〖填空内容〗": the option's answer, the
    fill-in no part of it (an option spelled so in 问卷设置 stays itself)."""
    resp = responses()
    resp[0][2] = "非常满意〖老师讲得好〗"         # Q1 answers of 服务对象 start with 43 非常满意
    resp[43][2] = "满意〖〗"
    resp[1][3] = " 非常满意 〖 场地 远 〗"
    run = cli("score", survey_book(resp), "--json", "--no-write")
    assert run.code == 0, run.text
    data = run.json()
    assert not [p for p in data["problems"] if p["code"].startswith("survey_unknown_answer")]
    rate_obj, _, n_obj = hand_rate(list(COUNTS["服务对象"].values()))
    assert f"共{n_obj}个有效回答，得分率{rate_obj:.2%}" in data["indicators"][0]["process"]


def test_invisible_characters_pasted_with_answers_groups_and_headers_are_ignored(make_workbook, cli):
    """Answers, 对象类别 and question headers pasted from a web page or WeChat carry invisible characters
    (zero-width space, word joiner, byte order mark): the survey readers dropped whitespace only, so
    “一般\u200b” was an unknown answer, “服务对象\u2060” a group of its own and “\ufeffQ3” a header without
    a number (题组 Q1~Q3 not found). They read as what the cell shows, as everywhere else in perfxl."""
    resp = responses()
    resp[0][2] = "非常满意\u200b"           # Q1 of 服务对象: 43 非常满意, 7 满意, 2 一般
    resp[43][2] = "\ufeff满意"
    resp[50][2] = "一般\u200b"
    resp[1][1] = "服务对象\u2060"
    survey = dict(questions=["Q1", "Q2\u200b", "\ufeffQ3"], responses=resp, options=OPTIONS,
                  sets=[("服务对象满意度", "Q1~Q3\u200b", "服务对象"), ("工作人员满意度", "全部", "工作人员")])
    path = make_workbook(rows=rows(), info={"unit": "某单位", "year": 2024}, survey=survey)
    run = cli("score", path, "--json", "--no-write")
    assert run.code == 0, run.text
    data = run.json()
    assert not [p for p in data["problems"] if p["code"].startswith("survey_")], data["problems"]
    rate_obj, _, n_obj = hand_rate(list(COUNTS["服务对象"].values()))
    assert f"共{n_obj}个有效回答，得分率{rate_obj:.2%}" in data["indicators"][0]["process"]
