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


def summary(cv: Canvas, name: str, result=None, info: dict | None = None) -> None:
    """得分汇总: unit, year, total, grade and status, then 一级/二级 分值 得分 得分率."""
    info = info or (result.info if result is not None else {})
    cv.write(name, 1, 1, [["绩效评价得分汇总"]], bold=True)
    head = [("单位名称", info.get("unit")), ("评价年度", info.get("year")),
            ("总分", result.total if result is not None else None),
            ("等级", result.grade if result is not None else None), ("状态", status(result))]
    conv = getattr(result, "conversion", None)
    if conv is not None and conv.count:
        names = "、".join(r.indicator.name for r in result.indicators if not r.applicable)
        head.append((L.INFO_BY_KEY["na_method"].label,
                     f"{conv.label}：{conv.text(result.total) or '总分无法计算'}（不适用指标{conv.count}项：{names}，"
                     f"分值合计{fmt_num(conv.excluded)}）"))
    cv.write(name, 2, 1, [[label] for label, _ in head], style="plain", bold=True)
    cv.write(name, 2, 2, [[value] for _, value in head], style="computed")
    cv.write(name, 4, 2, [[head[2][1]]], style="computed", fmts=[NUM])
    start = len(head) + 3
    cv.write(name, start, 1, [list(L.SUMMARY_HEADERS)], style="header")
    cv.widths(name, (22, 26, 10, 10, 10))
    r = start
    if result is not None:
        for lvl in result.levels:
            r += 1
            name1, name2 = (lvl.name, "小计") if lvl.level == 1 else ("", lvl.name)
            cv.write(name, r, 1, [[name1, name2, lvl.weight, lvl.score, lvl.rate]], style="plain",
                     fmts=[None, None, NUM, NUM, PCT], bold=lvl.level == 1,
                     fill="level1" if lvl.level == 1 else None)
        r += 1
        weight = sum(l.weight for l in result.levels if l.level == 1)
        raw = conv.raw if conv is not None else result.total
        rate = raw / weight if raw is not None and weight else None
        cv.write(name, r, 1, [["合计", "", weight, raw, rate]], style="plain",
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


def survey_stats(cv: Canvas, name: str, survey) -> None:
    """问卷统计: per question set its sample, answers, rates with their formulas and the option
    distribution (人数, 占比, as published reports tabulate them); then per question × group."""
    from perfxl.survey.stats import COUNTS

    cv.write(name, 1, 1, [["问卷统计"]], bold=True)
    cv.write(name, 3, 1, [list(L.SURVEY_STATS_SET_HEADERS)], style="header")
    cv.widths(name, (26, 12, 30, 12, 10, 10, 10, 10, 50, 40))
    sets = [[st.name, st.group or "全部", "、".join(st.questions), L.SURVEY_SOURCE_LABELS[st.source == COUNTS],
             st.sample, st.valid, st.rate, st.satisfied, st.rate_formula, st.satisfied_formula]
            for st in survey.sets.values()]
    cv.write(name, 4, 1, sets, style="plain", fmts=[None] * 6 + [PCT, PCT, None, None])
    r = 4 + len(sets) + 1
    for st in survey.sets.values():
        who = f"（{st.group}）" if st.group else ""
        cv.write(name, r, 1, [[f"题组“{st.name}”{who}选项分布：样本量 {st.sample} 份，有效回答 {st.valid} 个"]], bold=True)
        cv.write(name, r + 1, 1, [list(L.SURVEY_STATS_OPTION_HEADERS)], style="header")
        rows = [[label, st.weights[label], "是" if st.happy[label] else "否", n, n / st.valid if st.valid else None]
                for label, n in st.counts.items()]
        rows.append(["合计", None, None, st.valid, 1.0 if st.valid else None])
        cv.write(name, r + 2, 1, rows, style="plain", fmts=[None, "0%", None, None, PCT])
        r += len(rows) + 3
    opts = [o.label for o in survey.options]
    heads = ["题目", "对象类别", "有效回答", *[f"{o}人数" for o in opts], *[f"{o}占比" for o in opts], "得分率", "满意率"]
    cv.write(name, r, 1, [heads], style="header")
    rows = [[q, g, valid, *counts, *shares, rate, sat] for q, g, valid, counts, shares, rate, sat in survey.question_rows()]
    n = len(opts)
    cv.write(name, r + 1, 1, rows, style="plain", fmts=[None] * (3 + n) + [PCT] * (n + 2))
    cv.finish(name)


def figures(cv: Canvas, sheet: str, values: dict) -> None:
    """Fill the 计算结果 / 计算过程 columns of the 派生指标 table on 基础数据."""
    last = cv.last_row(sheet)
    first_col = cv.column(sheet, 1, 1, last)
    second_col = cv.column(sheet, 2, 1, last)
    top = next((i + 1 for i, (a, b) in enumerate(zip(first_col, second_col))
                if a == L.FIGURE_HEADER[0] and b == L.FIGURE_HEADER[1]), None)
    if top is None:
        return
    rows = []
    for name in first_col[top:]:
        if not name:
            break
        fv = values.get(name)
        rows.append([fv.value if fv else None, _figure_text(fv)])
    cv.write(sheet, top + 1, 3, rows, style="computed", fmts=[PCT, None])
