"""Every shipped example made live: its indicators, 基础数据 figures, questionnaire rates, 得分汇总,
总分 and 等级 as formulas. LibreOffice recalculates them (before and after a user types new 实际值
and 基础数据 through UNO) and gets what a fresh `perfxl score` of the file it saved gets; the .ods
it saves recalculates the same."""
from __future__ import annotations

from pathlib import Path

import pytest
from formula_harness import (
    MARK,
    Live,
    agree,
    live_reads,
    live_workbook,
    lo_recalc,
    lo_value,
)

from perfxl.model import layout as L
from perfxl.model.values import fmt_num, round2

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "workbook_templates" / "examples").glob("*.xlsx"))
RULE_KEYS = ("method", "params", "target", "actual", "source", "weight")


@pytest.fixture(scope="module")
def runs(lo):
    """One LibreOffice for all examples: recalculate, save; type edits, recalculate, save; and the
    saved .ods reopened with the same edits."""
    from perfxl.score.pipeline import run

    work = lo.mktemp("lo-examples")
    jobs, plans = [], []
    for i, src in enumerate(EXAMPLES):
        live = live_workbook(src, work / f"live{i}.xlsx")
        edits = _edits(run(src), live)
        reads = live_reads(live)
        x1, ods, x2 = work / f"lo{i}.xlsx", work / f"lo{i}.ods", work / f"lo{i}_edited.xlsx"
        jobs.append({"path": str(work / f"live{i}.xlsx"), "steps": [
            {"read": reads, "save": [str(x1), str(ods)]},
            {"type": edits, "read": reads, "save": [str(x2)]},
            {"type": _rule_edits(run(src)), "read": reads}]})
        jobs.append({"path": str(ods), "steps": [{"type": edits, "read": reads}]})
        plans.append((src, live, x1, x2, edits))
    results = lo_recalc(jobs, work)
    out = []
    for k, (src, live, x1, x2, edits) in enumerate(plans):
        steps = results[2 * k]["steps"]
        ods_step = results[2 * k + 1]["steps"][0]
        out.append((src, live, [(run(x1), _values(steps[0])), (run(x2), _values(steps[1]))], _values(ods_step),
                    edits, _values(steps[2])))
    return out


def _values(cells: dict) -> dict:
    return {k: lo_value(v) for k, v in cells.items()}


def _edits(result, live: Live) -> list[list]:
    """What an evaluator types: new 实际值 in rows of several kinds, and a 基础数据 figure."""
    ev = result.checked.evaluation
    col = ev.table.columns
    from perfxl.model.cells import col_letter

    edits, seen = [], set()
    for ind in result.checked.indicators:
        kind = ind.kind.name if ind.kind else ""
        if ind.raw.get("source") or kind in seen:
            continue
        t = ind.target
        new = {"阈值扣分": "85%", "分档得分": "85%", "清单计分": "①", "按问题扣分": "2处", "等级评分": None,
               "达标得分": "否" if t is None else None,
               "完成比率": (("85%" if t.quantity.is_percent else f"{fmt_num(t.value / 2)}{t.quantity.unit}")
                        if t is not None else None),
               "酌情评分": "部分达成并具有一定效果 65%" if getattr(ind.params, "tiers", ()) else "60%"}.get(kind)
        if kind == "等级评分":
            new = list(ind.params.levels.values())[-1][0]
        if new is None:
            continue
        seen.add(kind)
        edits.append([ev.table.sheet, f"{col_letter(col['actual'])}{ind.row}", new])
    if ev.basic_sheet and "spent_total" in ev.basic_cells:
        edits.append([ev.basic_sheet, ev.basic_cells["spent_total"], "500"])
    sv = ev.survey
    if sv is not None and sv.rows and sv.questions:      # a skipped question, as 问卷星 exports write it
        edits.append([sv.sheet, f"{col_letter(sv.questions[0][1])}{sv.rows[0]}", L.SURVEY_SKIPPED_ANSWERS[0]])
    return edits


def _rule_edits(result) -> list[list]:
    """Someone rewrites a 计分参数 and a 目标值 in the spreadsheet (not through perfxl)."""
    from perfxl.model.cells import col_letter

    ev = result.checked.evaluation
    col = ev.table.columns
    out = []
    with_params = next(i for i in result.checked.indicators if i.raw.get("params") and not i.raw.get("source"))
    out.append([ev.table.sheet, f"{col_letter(col['params'])}{with_params.row}", f"{with_params.raw['params']}；已改"])
    with_target = next((i for i in result.checked.indicators if i.target is not None and i.row != with_params.row),
                       None)
    if with_target is not None:
        out.append([ev.table.sheet, f"{col_letter(col['target'])}{with_target.row}", "≥1"])
    return out


#: what a formula shows where the engine has no result: the marker, or empty while an input is not typed
NONE = (MARK, "")


def _check(result, got: dict, live: Live) -> list:
    ev = result.checked.evaluation
    problems = []
    bad_rows = {}
    for p in result.problems:
        if p.severity != "error" or p.sheet != ev.table.sheet or not p.cell:
            continue
        key = next((k for k, c in ev.table.columns.items() if p.cell.startswith(_letter(c))
                    and p.cell[len(_letter(c)):].isdigit()), None)
        if key is not None:                              # nothing typed yet: the harness's "missing"
            what = {"actual_missing": "actual: missing", "figure_missing_input": "source: missing"}.get(p.code, key)
            bad_rows.setdefault(int(p.cell[len(_letter(ev.table.columns[key])):]), set()).add(what)
    for r in result.indicators:
        row = r.indicator.row
        keys = bad_rows.get(row, set())
        rule_errors = sorted(k for k in keys if k.split(":")[0] in RULE_KEYS)
        score_errors = sorted(keys & {"evaluator_score"}) or ([] if r.indicator.evaluator_score is not None
                                                             else rule_errors)
        for key, want, errors in (("rule_score", r.rule_score, rule_errors), ("score", r.score, score_errors),
                                  ("rate", r.rate, score_errors)):
            value = got[live.rows[row][key]]
            why = agree(value, want, errors)
            if why:
                problems.append((row, key, why, r.indicator.name))
            if key == "rule_score" and want is not None and not errors and value == MARK:
                problems.append((row, key, "marker where the engine scored", r.indicator.name))
    for name, addr in live.figures.items():
        fv = result.checked.figures.get(name)
        value = got[addr]
        if fv is None or fv.value is None:
            if value not in NONE:
                problems.append((name, "figure", value))
        elif value != fv.value:
            problems.append((name, "figure", value, fv.value))
    for name, (rate_addr, sat_addr) in live.survey.items():
        stat = result.survey.sets.get(name) if result.survey is not None else None
        for addr, want in ((rate_addr, stat.rate if stat else None), (sat_addr, stat.satisfied if stat else None)):
            value = got[addr]
            if want is None:
                if value not in NONE:
                    problems.append((name, "survey", value))
            elif not isinstance(value, float) or abs(value - want) > 1e-12:
                problems.append((name, "survey", value, want))
    for lv, (level, name, parent, w, s, rate) in zip(result.levels, live.levels):
        assert (lv.level, lv.name, lv.parent) == (level, name, parent)
        for addr, want in ((w, lv.weight), (s, lv.score), (rate, lv.rate)):
            value = got[addr]
            ok = value in NONE if want is None else value == want            # to the last bit
            if not ok:
                problems.append((name, addr, value, want))
    total, grade = got[live.total], got[live.grade]
    if (result.total is None and total not in NONE) or (result.total is not None and total != result.total):
        problems.append(("总分", total, result.total))
    if (result.grade is None and grade not in NONE) or (result.grade is not None and grade != result.grade):
        problems.append(("等级", grade, result.grade))
    return problems


def _letter(c: int) -> str:
    from perfxl.model.cells import col_letter

    return col_letter(c)


@pytest.mark.parametrize("index", range(len(EXAMPLES)), ids=[p.stem[:12] for p in EXAMPLES])
def test_example_recalculated_by_libreoffice_is_scored_as_the_engine_scores(runs, index):
    src, live, stages, _, _, _ = runs[index]
    assert all(live.compiled.values())
    for result, got in stages:
        assert not _check(result, got, live), _check(result, got, live)[:5]
        # what LibreOffice recorded is what perfxl's own check of a workbook's results agrees with
        assert not [p for p in result.problems if p.code == "formula_result_differs"]
        assert result.total is not None and got[live.total] == result.total


def test_typing_new_values_changes_scores_totals_and_grades_consistently(runs):
    changed = 0
    for _src, live, ((before, _), (after, got)), _, edits, _ in runs:
        assert len(edits) >= 3
        assert round2(after.total) == got[live.total]
        changed += after.total != before.total
        rows = {int(a[1:]) if a[1:].isdigit() else None for _, a, _ in edits}
        moved = [r for r in after.indicators if r.indicator.row in rows and r.rule_score is not None]
        assert moved and all(got[live.rows[r.indicator.row]['rule_score']] == r.rule_score
                             for r in moved)
    assert changed == len(runs)


def test_ods_saved_by_libreoffice_recalculates_after_the_same_edits(runs):
    for _src, live, (_, (after, got)), ods_got, _, _ in runs:
        keys = [k for k in got if k.split("!")[0] in (L.SHEET_SUMMARY, L.SHEET_SURVEY_STATS, live.sheet)]
        assert keys
        for k in keys:
            assert ods_got.get(k) == got[k] or (isinstance(got[k], float) and abs(ods_got[k] - got[k]) < 1e-12), k
        assert not _check(after, ods_got, live)


def test_editing_parameters_in_the_spreadsheet_shows_the_marker_not_a_number(runs):
    """A formula compiled from 计分参数 / 目标值 does not silently score with parameters someone
    changed afterwards: its row, the levels above it, 总分 and 等级 show the marker until perfxl runs."""
    from perfxl.score.pipeline import run

    for src, live, (_, (_after, before_edit)), _, _, got in runs:
        edited = {int(addr[1:]) for _, addr, _ in _rule_edits(run(src))}
        for row, cells in live.rows.items():
            value = got[cells['rule_score']]
            if row in edited:
                assert value == MARK, row
            else:
                assert value == before_edit[cells['rule_score']]
        assert got[live.total] == MARK and got[live.grade] == MARK


def test_marker_texts_live_in_the_layout_module():
    assert MARK == L.FORMULA_MARKER and "perfxl" in MARK


# --- every framework template, filled with generated data -------------------------------------------

#: the framework templates drawn as perfxl's scoring workbook (the official 自评表 forms hold values, not live)
FRAMEWORK_TEMPLATES = sorted(p for p in (Path(__file__).resolve().parents[1] / "workbook_templates").glob("*模板.xlsx")
                             if p.name != "评分模板.xlsx" and not p.name.endswith("自评表模板.xlsx"))


def _candidates(rng, raw: dict) -> list[tuple]:
    """(目标值, 实际值) pairs an evaluator might type for a row, edge cases included."""
    from perfxl.rules import lookup

    kind = lookup(raw.get("method") or "")
    needs = kind is not None and kind.needs_target
    targets = [raw.get("target")] if raw.get("target") or not needs else ["≥100%", "=100%", "≥50件", "≤10%"]
    actuals = ["0%", "50%", "85%", "90%", "95%", "100%", "105.5%", "120%", "-5%", "是", "否", "0处", "2处",
               "3项", "①", "①②", "①②③④⑤", "②③", "45件", "50件", "60件", "8%", "10%", "优", "良", "较差",
               "显著", "一般", "部分达成并具有一定效果 65%", "70%", 0.935, 1, 0]
    pairs = [(t, a) for t in targets for a in actuals]
    rng.shuffle(pairs)
    return pairs


def fill_generated(src: Path, out: Path, seed: int) -> Path:
    """A framework template as an evaluator fills it (openpyxl, so without cached results): 基础数据
    figures (a zero, a blank), questionnaire answers (a blank), 实际值 and 目标值 the engine takes for
    most rows, a few rows left empty, a few 评价得分."""
    import random

    import openpyxl
    from formula_harness import engine_row

    rng = random.Random(seed)
    from perfxl.model.evaluation import load

    ev = load(src)
    wb = openpyxl.load_workbook(src)
    if ev.basic_sheet:
        bs = wb[ev.basic_sheet]
        for i, addr in enumerate(v for _, v in sorted(ev.basic_cells.items())):
            bs[addr] = rng.choice([None, 0, 100, 98.5, 580.8142, 549.6875, 12, 1696]) if i % 7 == 3 else \
                rng.choice([0, 100, 98.5, 580.8142, 549.6875, 12, 1696, 92.1])
    if ev.survey is not None and ev.survey.sheet:
        qs = wb[ev.survey.sheet]
        options = [o.label for o in ev.survey.options]
        groups = sorted({qs_.group for qs_ in ev.survey.sets if qs_.group})
        for r in range(ev.survey.header_row + 1, ev.survey.header_row + 31):
            qs.cell(r, 1, r - ev.survey.header_row)
            if ev.survey.group_col and groups:
                qs.cell(r, ev.survey.group_col, rng.choice(groups))
            for _, col in ev.survey.questions:
                qs.cell(r, col, rng.choice(options + [None] if r % 11 == 0 else options))
    ws = wb[ev.table.sheet]
    col = ev.table.columns
    for n, ind in enumerate(ev.frame.itertuples()):
        row = ind.Index
        raw = {k: ws.cell(row, col[k]).value for k in ("method", "params", "target", "weight", "source") if k in col}
        if raw.get("source") or n % 9 == 4:
            continue                                    # fed by 数据来源, or not filled in yet
        for target, actual in _candidates(rng, raw):
            if not engine_row({**raw, "target": target, "actual": actual}).errors:
                if target != raw.get("target"):
                    ws.cell(row, col["target"], target)
                ws.cell(row, col["actual"], actual)
                break
        if n % 8 == 5 and raw.get("weight"):
            ws.cell(row, col["evaluator_score"], round(float(raw["weight"]) * 0.75, 2))
    wb.save(out)
    return out


@pytest.fixture(scope="module")
def framework_runs(lo):
    from perfxl.score.pipeline import run

    work = lo.mktemp("lo-frameworks")
    jobs, plans = [], []
    for i, src in enumerate(FRAMEWORK_TEMPLATES):
        for seed in (1, 2):
            filled = fill_generated(src, work / f"filled{i}_{seed}.xlsx", seed * 100 + i)
            live = live_workbook(filled, work / f"live{i}_{seed}.xlsx")
            saved, ods = work / f"lo{i}_{seed}.xlsx", work / f"lo{i}_{seed}.ods"
            jobs.append({"path": str(work / f"live{i}_{seed}.xlsx"), "read": live_reads(live),
                         "save": [str(saved), str(ods)]})
            plans.append((src, live, saved, run(filled)))
    results = lo_recalc(jobs, work)
    return [(src, live, run(saved), _values(res["cells"]), before) for (src, live, saved, before), res
            in zip(plans, results)]


@pytest.mark.parametrize("index", range(2 * len(FRAMEWORK_TEMPLATES)))
def test_framework_template_filled_with_generated_data_recalculates_as_the_engine_scores(framework_runs, index):
    src, live, result, got, before = framework_runs[index]
    assert not _check(result, got, live), (src.name, _check(result, got, live)[:5])
    assert not [p for p in result.problems if p.code == "formula_result_differs"]
    scored = [r for r in result.indicators if r.rule_score is not None]
    assert len(scored) >= len(result.indicators) // 2           # the generated data is mostly usable
    assert any(got[live.rows[r.indicator.row]["rule_score"]] == "" for r in result.indicators)   # some wait
    assert [r.score for r in before.indicators] == [r.score for r in result.indicators]


def _new_indicator(lo, name: str, edit) -> tuple:
    """The first example made live, ``edit(engine, columns, sheet)`` -> (rows to insert, cells to type) done
    in LibreOffice and saved: (what it shows, the Live map, the engine's result for the saved file)."""
    from perfxl.model.cells import col_letter
    from perfxl.score.pipeline import run

    work = lo.mktemp(name)
    src = EXAMPLES[0]
    engine = run(src)
    ev = engine.checked.evaluation
    live = live_workbook(src, work / "live.xlsx")
    insert, typed = edit(engine, {k: col_letter(c) for k, c in ev.table.columns.items()}, ev.table.sheet)
    saved = work / "edited.xlsx"
    got = _values(lo_recalc([{"path": str(work / "live.xlsx"), "insert_rows": insert, "type": typed,
                              "read": live_reads(live), "save": [str(saved)]}], work)[0]["cells"])
    return got, live, run(saved)


def _indicator_cells(sheet: str, col: dict, r: int, code: str, actual: str) -> list[list]:
    return [[sheet, f"{col['code']}{r}", code], [sheet, f"{col['name']}{r}", "新增指标"],
            [sheet, f"{col['weight']}{r}", "5"], [sheet, f"{col['method']}{r}", "达标得分"],
            [sheet, f"{col['actual']}{r}", actual]]


def test_a_code_moved_to_a_new_row_hands_the_total_to_perfxl(lo):
    """The 编号 of one indicator cleared and given to a new indicator typed under the table: as many 编号
    as before, but not the same indicators. The roll-ups used to go on scoring the old rows (94.00 优
    where perfxl said 70.00 中); now they show the engine's figure or the marker."""
    def edit(engine, col, sheet):
        first = engine.indicators[4].indicator         # (not the first row, which carries its levels down)
        new = max(r.indicator.row for r in engine.indicators) + 1
        return [], [[sheet, f"{col['code']}{first.row}", ""], *_indicator_cells(sheet, col, new, str(first.code),
                                                                                 "未完成")]

    got, live, result = _new_indicator(lo, "lo-code-moved", edit)
    assert got[live.total] in (MARK, result.total), (got[live.total], result.total)
    assert got[live.grade] in (MARK, result.grade)
    levels = {(lv.level, lv.name): lv for lv in result.levels}
    for level, name, _, _, s, _ in live.levels:
        assert got[s] in (MARK, levels[(level, name)].score), (name, got[s])


def test_counts_typed_on_the_counts_sheet_score_live(lo):
    """A questionnaire given as option counts on 问卷汇总 (a published report's table): the 得分率 and what
    it feeds are formulas summing the counts — right after perfxl score (they showed the marker) and after
    a count is changed; a count the engine reads differently (text, a fraction) or a new row under the
    table hands them to perfxl."""
    from openpyxl import load_workbook

    from perfxl.score.pipeline import run

    work = lo.mktemp("lo-counts")
    src = next(e for e in EXAMPLES if "示例县" in e.name)
    wb = load_workbook(src)
    for row in wb[L.SHEET_SURVEY].iter_rows(min_row=2):
        for c in row:
            c.value = None
    counts = wb[L.SHEET_SURVEY_COUNTS]
    for i, r in enumerate([("题1", 52, 43, 7, 1, 1, 0), ("题2", None, 40, 8, 2, 1, 0), ("题3", 60, 30, 15, 5, 0, 0)]):
        counts.cell(3 + i, 1, r[0])
        counts.cell(3 + i, 3, r[1])
        for j, v in enumerate(r[2:]):
            counts.cell(3 + i, 4 + j, v)
    wb.save(work / "counts.xlsx")
    engine = run(work / "counts.xlsx")
    assert engine.total is not None and engine.survey is not None
    live = live_workbook(work / "counts.xlsx", work / "live.xlsx")
    rate, _ = next(iter(live.survey.values()))
    reads = live_reads(live)
    sheet = counts.title
    steps = [{"read": reads, "save": [str(work / "s0.xlsx")]},
             {"type": [[sheet, "D4", "30"], [sheet, "E5", "20"]], "read": reads, "save": [str(work / "s1.xlsx")]},
             {"type": [[sheet, "D4", "30人"]], "read": reads},
             {"type": [[sheet, "D4", "30"], [sheet, "C3", "50"]], "read": reads},           # 份数 below the sum
             {"type": [[sheet, "C3", ""], [sheet, "A6", "题1"], [sheet, "D6", "5"]], "read": reads},
             {"type": [[sheet, "A6", ""], [sheet, "D6", ""], [sheet, "A20", "题1"], [sheet, "D20", "5"]],
              "read": reads},                                                          # a row far below
             {"insert_rows": [[sheet, 3, 1]], "type": [[sheet, "A21", ""], [sheet, "D21", ""], [sheet, "A3", "题2"],
                                                       [sheet, "D3", "30"]], "read": reads}]   # a row inserted
    seen = [_values(c) for c in lo_recalc([{"path": str(work / "live.xlsx"), "steps": steps}], work)[0]["steps"]]
    for i in (0, 1):
        result = run(work / f"s{i}.xlsx")
        st = next(iter(result.survey.sets.values()))
        assert isinstance(seen[i][rate], float) and abs(seen[i][rate] - st.rate) < 1e-9, (i, seen[i][rate], st.rate)
        assert seen[i][live.total] == result.total and seen[i][live.grade] == result.grade
    assert seen[1][rate] != seen[0][rate]
    for i in (2, 3, 4, 5, 6):
        assert seen[i][rate] == MARK, (i, seen[i][rate])


def test_an_indicator_inserted_right_under_the_header_hands_the_total_to_perfxl(lo):
    """A row inserted just under the header (Excel and Calc widen a range only for rows inserted within
    it) with a new indicator: the roll-ups used to leave it out (84.55 where perfxl said 85.05)."""
    def edit(engine, col, sheet):
        r = engine.checked.evaluation.table.header_row + 1
        return [[sheet, r, 1]], _indicator_cells(sheet, col, r, "99", "完成")

    got, live, result = _new_indicator(lo, "lo-insert-top", edit)
    assert got[live.total] in (MARK, result.total), (got[live.total], result.total)
