"""The sheets perfxl computes (得分汇总, 问卷统计, 校验结果, 评价偏差, and the 派生指标 table on
基础数据), drawn on a Canvas so that a file and an open Excel workbook get the same content."""
from __future__ import annotations

from perfxl.model import layout as L
from perfxl.model.values import fmt_num
from perfxl.sheets.canvas import Canvas

PCT, NUM = "0.00%", "0.00"


def status(result) -> str | None:
    if result is None:
        return None
    if result.total is None:
        return "未完成：有指标无法计分，见“校验结果”"
    if result.has_errors:
        return "有错误：总分仅供参考，见“校验结果”"
    return "已完成" + (f"（{len(result.deviations)} 项评价得分与规则不同，见“评价偏差”）" if result.deviations else "")


def _figure_text(fv) -> str:
    """计算过程 of a derived figure, or why it has none (分母为0 is not a missing input)."""
    if fv is None:
        return "未计算"
    if fv.text:
        return fv.text
    if fv.missing:
        return "缺少输入：" + "、".join(L.BASIC_BY_KEY[k].label for k in fv.missing)
    return fv.reason or "未计算"


def conversion_line(result) -> str | None:
    """The head line that explains a total converted for 不适用 indicators (None: nothing converted)."""
    conv = getattr(result, "conversion", None)
    if conv is None or not conv.count:
        return None
    names = "、".join(r.indicator.name for r in result.indicators if not r.applicable)
    return (f"{conv.label}：{conv.text(result.total) or L.TOTAL_NOT_COMPUTABLE}（不适用指标{conv.count}项：{names}，"
            f"分值合计{fmt_num(conv.excluded)}）")


def summary_rows(result) -> tuple[list[tuple[int, object]], int]:
    """Where 得分汇总 draws each level of ``result`` (row, LevelRecord) and its 合计 row."""
    levels = list(result.levels) if result is not None else []
    top = L.SUMMARY_CONVERSION_ROW + (conversion_line(result) is not None) + 1
    return [(top + 1 + i, lvl) for i, lvl in enumerate(levels)], top + 1 + len(levels)


def _at(live, sheet: str, row: int, col: int, value):
    """The live formula perfxl planned for a cell, else the value."""
    f = live.get(sheet, row, col) if live is not None else None
    return f if f is not None else value


def summary(cv: Canvas, name: str, result=None, info: dict | None = None, live=None) -> None:
    """得分汇总: unit, year, total, grade and status (and how a total was converted for 不适用
    indicators), then 一级/二级 分值 得分 得分率 (live formulas from the ``live`` plan where it has them)."""
    info = info or (result.info if result is not None else {})
    cv.write(name, 1, 1, [[L.SUMMARY_TITLE]], bold=True)
    values = {"unit": info.get("unit"), "year": info.get("year"),
              "total": result.total if result is not None else None,
              "grade": result.grade if result is not None else None, "status": status(result)}
    keys = list(L.SUMMARY_HEAD)
    cv.write(name, L.SUMMARY_HEAD_ROW, 1, [[L.SUMMARY_HEAD[k]] for k in keys], style="plain", bold=True)
    cv.write(name, L.SUMMARY_HEAD_ROW, 2, [[_at(live, name, L.SUMMARY_HEAD_ROW + i, 2, values[k])]
                                         for i, k in enumerate(keys)], style="computed")
    r_total = L.SUMMARY_HEAD_ROWS["total"]
    cv.write(name, r_total, 2, [[_at(live, name, r_total, 2, values["total"])]], style="computed", fmts=[NUM])
    line = conversion_line(result) if result is not None else None
    if line is not None:
        r_line = L.SUMMARY_CONVERSION_ROW
        cv.write(name, r_line, 1, [[L.INFO_BY_KEY["na_method"].label]], style="plain", bold=True)
        cv.write(name, r_line, 2, [[_at(live, name, r_line, 2, line)]], style="computed")
    rows, total_row = summary_rows(result)
    cv.write(name, total_row - len(rows) - 1, 1, [list(L.SUMMARY_HEADERS)], style="header")
    cv.widths(name, (22, 26, 10, 10, 10))
    if result is not None:
        for r, lvl in rows:
            name1, name2 = (lvl.name, L.SUMMARY_SUBTOTAL) if lvl.level == 1 else ("", lvl.name)
            cells = [_at(live, name, r, c, v) for c, v in ((3, lvl.weight), (4, lvl.score), (5, lvl.rate))]
            cv.write(name, r, 1, [[name1, name2, *cells]], style="plain",
                     fmts=[None, None, NUM, NUM, PCT], bold=lvl.level == 1,
                     fill="level1" if lvl.level == 1 else None)
        weight = sum(l.weight for l in result.levels if l.level == 1)
        raw = result.summed
        rate = raw / weight if raw is not None and weight else None
        cells = [_at(live, name, total_row, c, v) for c, v in ((3, weight), (4, raw), (5, rate))]
        cv.write(name, total_row, 1, [[L.SUMMARY_TOTAL, "", *cells]], style="plain",
                 fmts=[None, None, NUM, NUM, PCT], bold=True)
    cv.finish(name, landscape=False)


def problems(cv: Canvas, name: str, found: list | None) -> None:
    """校验结果, one row a problem; ``None`` (a fresh template) leaves it empty."""
    cv.write(name, 1, 1, [list(L.PROBLEM_HEADERS)], style="header")
    cv.widths(name, (6, 7, 12, 12, 12, 22, 60, 60))
    if found is not None and not found:
        cv.write(name, 2, 1, [[0, "", "", "", "", "", "未发现问题", ""]], style="plain")
    rows = [[i, L.SEVERITY_LABELS.get(p.severity, p.severity), p.sheet, p.cell, p.column, p.value, p.message, p.fix]
            for i, p in enumerate(found or [], start=1)]
    cv.write(name, 2, 1, rows, style="plain")
    names = set(cv.names())
    for i, p in enumerate(found or [], start=2):
        if p.severity in ("error", "warning"):
            cv.fill(name, f"B{i}", "problem" if p.severity == "error" else "warning")
        if p.sheet in names and p.cell:
            target = p.cell.split(":")[0] if not p.cell[0].isdigit() else p.cell
            cv.link(name, f"D{i}", f"'{p.sheet}'!{target}")
    cv.finish(name, freeze="A2")


def deviations(cv: Canvas, name: str, result=None) -> None:
    cv.write(name, 1, 1, [list(L.DEVIATION_HEADERS)], style="header")
    cv.widths(name, (8, 26, 10, 10, 10, 10, 60))
    if result is None:
        cv.finish(name, freeze="A2")
        return
    ev = result.checked.evaluation
    devs = result.deviations
    if not devs:
        cv.write(name, 2, 1, [["", "评价得分与规则得分一致"]], style="plain")
    rows = []
    for d in devs:
        ind = d.indicator
        rows.append([ind.code, ind.name, str(ev.cell(ind.row, ind.score_key)), d.rule_score,
                     round(ind.evaluator_score, 2), d.difference, ind.note or "（未填写）"])
    cv.write(name, 2, 1, rows, style="plain", fmts=[None, None, None, NUM, NUM, NUM, None])
    for i, row in enumerate(rows, start=2):
        cv.link(name, f"C{i}", f"'{ev.table.sheet}'!{row[2]}")
    cv.finish(name, freeze="A2")


#: 问卷统计: the header row of the set table, and the columns of 得分率 and 满意率 in it
SURVEY_SET_HEADER_ROW = 3
SURVEY_RATE_COL = L.SURVEY_STATS_SET_HEADERS.index(L.SURVEY_STATS_RATE) + 1
SURVEY_SATISFIED_COL = L.SURVEY_STATS_SET_HEADERS.index(L.SURVEY_STATS_SATISFIED) + 1
SURVEY_SAMPLE_COL = L.SURVEY_STATS_SET_HEADERS.index(L.SURVEY_STATS_SAMPLE) + 1


def survey_rows(ev, in_use: bool) -> dict[str, int]:
    """Where 问卷统计 lists the question sets of ``ev``'s questionnaire (set name -> row): every set
    when the questionnaire is ``in_use``, else those an indicator's 数据来源 names."""
    from perfxl.check.validate import _survey_ref

    sv = ev.survey
    if sv is None or not sv.setup_sheet:
        return {}
    names = list(dict.fromkeys(qs.name for qs in sv.sets if qs.name))
    if not in_use:
        wanted = {_survey_ref(str(v))[1] for v in (ev.frame["source"] if "source" in ev.frame.columns else ())
                  if isinstance(v, str) and _survey_ref(v)[0]}
        names = [n for n in names if n in wanted]
    return {n: SURVEY_SET_HEADER_ROW + 1 + i for i, n in enumerate(names)}


def survey_stats(cv: Canvas, name: str, survey, rows: dict[str, int] | None = None, live=None) -> None:
    """问卷统计: per question set (``rows``: set name -> row; default: the sets with statistics) its
    sample, answers, rates (live formulas from ``live`` where it has them) with their formulas and
    the option distribution (人数, 占比, as published reports tabulate them); then per question × group."""
    from perfxl.survey.stats import COUNTS

    stats = dict(survey.sets) if survey is not None else {}
    if rows is None:
        rows = {n: SURVEY_SET_HEADER_ROW + 1 + i for i, n in enumerate(stats)}
    cv.write(name, 1, 1, [[L.SHEET_SURVEY_STATS]], bold=True)
    cv.write(name, SURVEY_SET_HEADER_ROW, 1, [list(L.SURVEY_STATS_SET_HEADERS)], style="header")
    cv.widths(name, (26, 12, 30, 12, 10, 10, 10, 10, 50, 40))
    for set_name, r in rows.items():
        st = stats.get(set_name)
        row = ([st.name, st.group or L.SURVEY_ALL_GROUPS, "、".join(st.questions),
                L.SURVEY_SOURCE_LABELS[st.source == COUNTS],
                st.sample, st.valid, st.rate, st.satisfied, st.rate_formula, st.satisfied_formula]
               if st is not None else [set_name, None, None, None, None, None, None, None, None, None])
        row[SURVEY_RATE_COL - 1] = _at(live, name, r, SURVEY_RATE_COL, row[SURVEY_RATE_COL - 1])
        row[SURVEY_SATISFIED_COL - 1] = _at(live, name, r, SURVEY_SATISFIED_COL, row[SURVEY_SATISFIED_COL - 1])
        cv.write(name, r, 1, [row], style="plain", fmts=[None] * 6 + [PCT, PCT, None, None])
    r = SURVEY_SET_HEADER_ROW + 1 + len(rows) + 1
    if survey is None:
        cv.finish(name)
        return
    for st in survey.sets.values():
        who = f"（{st.group}）" if st.group else ""
        title = f"题组“{st.name}”{who}选项分布：样本量 {st.sample} 份，有效回答 {st.valid} 个"
        cv.write(name, r, 1, [[title]], bold=True)
        cv.write(name, r + 1, 1, [list(L.SURVEY_STATS_OPTION_HEADERS)], style="header")
        rows_ = [[label, st.weights[label], "是" if st.happy[label] else "否", n, n / st.valid if st.valid else None]
                 for label, n in st.counts.items()]
        rows_.append([L.SUMMARY_TOTAL, None, None, st.valid, 1.0 if st.valid else None])
        cv.write(name, r + 2, 1, rows_, style="plain", fmts=[None, "0%", None, None, PCT])
        r += len(rows_) + 3
    opts = [o.label for o in survey.options]
    first, last = L.SURVEY_STATS_QUESTION_HEADERS
    heads = [*first, *[f"{o}人数" for o in opts], *[f"{o}占比" for o in opts], *last]
    cv.write(name, r, 1, [heads], style="header")
    rows_ = [[q, g, valid, *counts, *shares, rate, sat]
             for q, g, valid, counts, shares, rate, sat in survey.question_rows()]
    n = len(opts)
    cv.write(name, r + 1, 1, rows_, style="plain", fmts=[None] * (3 + n) + [PCT] * (n + 2))
    cv.finish(name)


#: 问卷统计: where a note that its figures are outdated goes (between the title and the set table)
SURVEY_NOTE_ROW = 2


def survey_stats_outdated(cv: Canvas, name: str, formulas: set[tuple[int, int]]) -> None:
    """问卷统计 once its answers changed and no scoring pass drew it again: every figure perfxl drew from
    the old answers (样本量, 有效回答, the rates written as values, the 算式, the distribution tables)
    emptied and a line saying so; the set names, the questions and the cells holding a formula
    (``formulas``: (row, column); computed on opening) stay."""
    cv.write(name, SURVEY_NOTE_ROW, 1, [[L.SURVEY_STATS_OUTDATED]], bold=True)
    last, width = cv.last_row(name), cv.last_col(name)
    if last <= SURVEY_SET_HEADER_ROW:
        return
    first = SURVEY_SET_HEADER_ROW + 1
    columns = [cv.column(name, c, first, last) for c in range(1, width + 1)]
    in_sets = True
    for i, r in enumerate(range(first, last + 1)):
        in_sets = in_sets and columns[0][i] not in (None, "")
        keep = SURVEY_SAMPLE_COL - 1 if in_sets else 0          # 题组 … 数据来源 describe the set: they stay
        for c in range(keep + 1, width + 1):
            if columns[c - 1][i] not in (None, "") and (r, c) not in formulas:
                cv.write(name, r, c, [[None]])


def figures(cv: Canvas, sheet: str, values: dict, live=None, *, texts_only: set[int] | None = None) -> None:
    """Fill the 计算结果 / 计算过程 columns of the 派生指标 table on 基础数据 (计算结果 a live
    formula from ``live`` where it has one). ``texts_only``: just the 计算过程 of the figures on these
    rows, each cell keeping its look (the 计算结果 formulas stay as they are)."""
    last = cv.last_row(sheet)
    first_col = cv.column(sheet, 1, 1, last)
    second_col = cv.column(sheet, 2, 1, last)
    found = L.figure_rows(first_col, second_col)
    if not found:
        return
    top = found[0][0] + 1                                  # the first figure's row (1-based)
    rows = []
    for r0, name in found:
        fv = values.get(name)
        rows.append([_at(live, sheet, r0 + 1, 3, fv.value if fv else None), _figure_text(fv)])
    if texts_only is None:
        cv.write(sheet, top, 3, rows, style="computed", fmts=[PCT, None])
        return
    for (r0, _), row in zip(found, rows):
        if r0 + 1 in texts_only:
            cv.write(sheet, r0 + 1, 4, [row[1:]])
