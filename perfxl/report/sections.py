"""The report's sections, one small pure function each, from typed records (FileRecord, and
Overview for a consolidation) to plain data: strings, table rows and paragraphs (text.Para).
Nothing here knows Word; document.py renders what these return into the template.

The outline is 财预〔2020〕10号 附件3 (参考提纲) as published reports fill it: 一、基本情况 …
七、其他需要说明的问题, a signature block, and the 评分表 as an appendix.
"""
from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from perfxl.model import layout as L
from perfxl.model.values import fmt_num, fmt_score, round2
from perfxl.report.text import (
    DASH,
    Para,
    amount_text,
    bold,
    date_text,
    join_cn,
    para,
    pct_text,
    rate_text,
    score_text,
    sentence,
    text,
    todo_key,
    weight_text,
)
from perfxl.sheets.look import display_width

DITTO = L.REPORT_DITTO
#: points lost below this are rounding, not a deduction
LOST_EPS = 0.005
#: the shortest run of rows a table's last page may hold (with the 合计 row)
MIN_LAST_ROWS = 4
#: a 二级 group of the 评分表 taller than this share of a page is cut into chunks (each kept on one
#: page): a page is then at least 1 − CHUNK_SHARE full
CHUNK_SHARE = 0.7


# --- who and what -------------------------------------------------------------------

def kind_of(info: dict) -> str:
    return text(info.get("kind")) or "绩效评价"


def project_of(info: dict) -> str:
    """项目名称, ignoring the 基本信息 header cell “内容” that the reader can take for it."""
    p = text(info.get("project"))
    return "" if p in ("", L.INFO_HEADER[1]) else p


def is_project(info: dict) -> bool:
    return bool(project_of(info)) or L.PROJECT_WORD in kind_of(info)


def subject_word(info: dict) -> str:
    """项目 or 部门（单位）: what 概况 and 绩效目标 are about."""
    return L.REPORT_SUBJECT_PROJECT if is_project(info) else L.REPORT_SUBJECT_UNIT


def unit_of(rec) -> str:
    return text(rec.info.get("unit")) or Path(rec.file).stem


def heading(rec) -> str:
    """'南昌市青云谱区总工会2022年度部门整体支出绩效评价'; with a project: '…2024年度某某项目绩效评价'."""
    info = rec.info
    year = text(info.get("year"))
    project, kind = project_of(info), kind_of(info)
    if project:
        kind = kind.replace(L.PROJECT_SPENDING, "", 1) or kind
    return f"{unit_of(rec)}{year + L.YEAR_SUFFIX if year else ''}{project}{kind}"


def title(records: Sequence, overview=None) -> str:
    """The report's title: one unit's heading + 报告, or the consolidation's."""
    if len(records) == 1 and overview is None:
        return heading(records[0]) + "报告"
    years = {text(r.info.get("year")) for r in records}
    kinds = {kind_of(r.info) for r in records}
    year = years.pop() if len(years) == 1 else ""
    kind = kinds.pop() if len(kinds) == 1 else "绩效评价"
    return f"{year + L.YEAR_SUFFIX if year else ''}{kind}汇总报告（{len(_unit_names(records))}个单位）"


def _unit_names(records: Sequence) -> list[str]:
    """Each unit once, however many years it was evaluated in."""
    return list(dict.fromkeys(unit_of(r) for r in records))


def cover(records: Sequence, overview=None) -> dict:
    """Title lines, 评价对象, 评价机构 and date of the cover page."""
    first = records[0].info if records else {}
    orgs = [o for o in dict.fromkeys(text(r.info.get("evaluator_org")) for r in records) if o]
    dates = sorted({date_text(r.info.get("date")) for r in records if text(r.info.get("date"))})
    if len(records) == 1 and overview is None:
        rec = records[0]
        head = heading(rec)
        unit = unit_of(rec)
        lines = [unit, head[len(unit):] + "报告"] if head.startswith(unit) and head != unit else [head + "报告"]
        subject = unit + (f"（{project_of(first)}）" if project_of(first) else "")
    else:
        lines = [title(records, overview)]
        names = _unit_names(records)
        n = len(names)
        subject = join_cn(names[:3], "、") + (f"等{n}个单位" if n > 3 else "")
    return {
        "lines": lines,
        "subject": subject,
        "org": orgs[0] if len(orgs) == 1 else ("、".join(orgs) if orgs else ""),
        "org_todo": not orgs,
        "date": dates[-1] if dates else "",
        "date_todo": not dates,
    }


# --- 一、基本情况 -------------------------------------------------------------------------

def info_rows(rec) -> list[dict]:
    info = rec.info
    rows = []
    for key in (f.key for f in L.INFO_FIELDS if f.key in L.REPORT_INFO_KEYS + L.REPORT_INFO_OPTIONAL):
        value = project_of(info) if key == "project" else info.get(key)
        value = date_text(value) if key == "date" else text(value)
        if key in L.REPORT_INFO_OPTIONAL and not value:
            continue
        rows.append({"label": L.INFO_BY_KEY[key].label, "value": value or "（未填写）"})
    return rows


def basic_rows(rec) -> list[dict]:
    basic = dict(rec.basic or {})
    order = {f.key: i for i, f in enumerate(L.BASIC_FIELDS)}
    rows = []
    for key in sorted(basic, key=lambda k: order.get(k, len(order))):
        value = basic[key]
        if value is None or value == "":
            continue
        f = L.BASIC_BY_KEY.get(key)
        unit = (getattr(rec, "basic_units", None) or {}).get(key) or (f.unit if f else "")   # as typed
        rows.append({"label": f.label if f else text(key), "value": amount_text(value, unit), "unit": unit})
    return rows


def figure_rows(rec) -> list[dict]:
    rows = []
    for fig in rec.figures or ():
        if fig.value is None:                   # not computable: its inputs are missing in 基础数据
            continue
        value = rate_text(fig.value) if isinstance(fig.value, (int, float)) else text(fig.value)
        rows.append({"name": text(fig.name), "text": text(fig.text), "value": value})
    return rows


#: 基础数据 quoted in the budget paragraph, in this order: (key, words before the figure)
_BUDGET_WORDS = tuple(L.REPORT_BUDGET_WORDS.items())


def budget_paras(rec) -> list[Para]:
    """预算及执行情况 in words, from 基础数据 and the derived rates; a placeholder without them."""
    basic = rec.basic or {}
    year = text(rec.info.get("year"))
    parts = []
    for key, words in _BUDGET_WORDS:
        v = basic.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            f = L.BASIC_BY_KEY[key]
            parts.append(f"{words}{amount_text(v, f.unit)}{f.unit}")
    rates = [f for f in rec.figures or () if isinstance(f.value, (int, float)) and f.name.endswith("率")]
    out: list[Para] = []
    if parts:
        s = f"{year + L.YEAR_SUFFIX if year else ''}" + "，".join(parts)
        if rates:
            s += "；" + "，".join(f"{text(f.name)}为{pct_text(f.value)}" for f in rates[:4])
        out.append(para(sentence(s)))
    if not out:
        out.append(para(todo_key("budget")))
    return out


def basic_section(rec) -> dict:
    word = subject_word(rec.info)
    return {
        "profile_title": L.REPORT_SUBHEADINGS["profile"].format(subject=word),
        "profile": [para(todo_key("profile_project" if is_project(rec.info) else "profile_unit"))],
        "info": info_rows(rec),
        "goals_title": L.REPORT_SUBHEADINGS["goals"].format(subject=word),
        "goals": [para(todo_key("goals"))],
        "budget": budget_paras(rec),
        "basic": basic_rows(rec),
        "figures": figure_rows(rec),
    }


# --- 二、绩效评价工作开展情况 ---------------------------------------------------------------

def level1s(rec) -> list:
    return [lv for lv in rec.levels if lv.level == 1]


def level2s(rec, parent: str | None = None) -> list:
    return [lv for lv in rec.levels if lv.level == 2 and (parent is None or lv.parent == parent)]


def grade_scale(rec) -> str:
    grades = list(rec.grades or L.DEFAULT_GRADES)
    parts, upper = [], None
    for label, minimum in grades:
        lo = fmt_num(minimum)
        if upper is None:
            parts.append(f"{lo}分（含）以上为“{label}”")
        elif minimum <= 0:
            parts.append(f"{fmt_num(upper)}分以下为“{label}”")
        else:
            parts.append(f"{lo}分（含）～{fmt_num(upper)}分为“{label}”")
        upper = minimum
    return "，".join(parts)


def grade_range(grades, label: str) -> str:
    """'80（含）～90' for 良 in the default scale."""
    grades = list(grades or L.DEFAULT_GRADES)
    for i, (g, minimum) in enumerate(grades):
        if g == label:
            upper = grades[i - 1][1] if i else None
            if upper is None:
                return f"{fmt_num(minimum)}（含）以上"
            if minimum <= 0:
                return f"{fmt_num(upper)}以下"
            return f"{fmt_num(minimum)}（含）～{fmt_num(upper)}"
    return ""


def method_paras(rec) -> list[Para]:
    l1, l2 = level1s(rec), level2s(rec)
    # the system as designed: every indicator's 分值, those 不适用 this year included (the levels leave them out)
    full = {lv.name: round2(sum(i.weight or 0 for i in rec.indicators if i.level1 == lv.name)) for lv in l1}
    weights = "、".join(f"{text(lv.name)}{weight_text(full[lv.name])}分" for lv in l1)
    na = rec.not_applicable
    system = (f"评价指标体系共设一级指标{len(l1)}个、二级指标{len(l2)}个、三级指标{len(rec.indicators)}个，"
              f"满分{weight_text(round2(sum(full.values())))}分，其中{weights}。"
              + (f"其中{len(na)}项指标本年不适用（共{weight_text(round2(sum(i.weight or 0 for i in na)))}分），"
                 "不计分。" if na else "")
              + "各指标的分值和评分标准见附件评分表。")
    out = [para("本次评价遵循科学公正、统筹兼顾、激励约束、公开透明的原则。"),
           para(system),
           para(todo_key("method"))]
    if rec.survey:
        out.append(para("满意度等指标通过问卷调查取得，问卷统计见本节“绩效评价工作过程”。"))
    out.append(para(f"评价结果采用百分制和等级制：{grade_scale(rec)}。"))
    return out


def purpose_paras(rec) -> list[Para]:
    year = text(rec.info.get("year"))
    scope = f"{year}年度" if year else "评价年度内"
    what = (f"“{project_of(rec.info)}”项目" if project_of(rec.info)
            else L.PROJECT_SPENDING if is_project(rec.info) else "部门（单位）整体支出")
    return [para(todo_key("purpose")),
            para(f"本次评价的对象为{unit_of(rec)}{scope}{what}，评价范围包括相关预算资金的安排、使用、管理及其产出和效益。")]


def survey_counts(s) -> list[tuple[str, int]]:
    """(option, number of answers) of a question set. Reads per-option counts when the record has
    them (``options`` with ``count``, or ``counts``); otherwise they follow exactly from the shares
    and the number of valid answers."""
    options = getattr(s, "options", None) or ()
    try:
        found = [(text(o.label), int(o.count)) for o in options]
    except (AttributeError, TypeError, ValueError):
        found = []
    if found:
        return found
    raw = getattr(s, "counts", None)
    if raw:
        pairs = list(raw.items()) if isinstance(raw, dict) else [tuple(p) for p in raw]
        try:
            return [(text(k), int(v)) for k, v in pairs]
        except (TypeError, ValueError):
            pass
    return [(text(k), int(round(v * (s.valid or 0)))) for k, v in (s.shares or ())]


def survey_weights(s) -> dict[str, float]:
    """Option -> weight (share of full marks), when the record carries them."""
    for name in ("weights", "options"):
        raw = getattr(s, name, None)
        if not raw:
            continue
        out = {}
        for item in (raw.items() if isinstance(raw, dict) else raw):
            try:
                label, weight = (item[0], item[1]) if isinstance(item, (tuple, list)) else (item.label, item.weight)
                out[text(label)] = float(weight)
            except (AttributeError, IndexError, TypeError, ValueError):
                continue
        if out:
            return out
    return {}


def survey_block(s) -> dict:
    """One question set: the sample, the share of every option (counts and percentages), the rate
    and how it is computed, as a paragraph, a table and the data of its chart."""
    counts = survey_counts(s)
    weights = survey_weights(s)
    valid = s.valid or 0
    questions = list(s.questions or ())
    respondents = getattr(s, "sample", None) or getattr(s, "respondents", None)
    who = f"（调查对象：{text(s.group)}）" if s.group else ""
    sample = f"共{respondents}份有效问卷、" if respondents else ""
    head = (f"问卷题组“{text(s.name)}”{who}共{len(questions)}道题，{sample}{valid}人次有效回答。" if questions
            else f"问卷题组“{text(s.name)}”{who}{sample}共{valid}人次有效回答。")
    shares = "，".join(f"“{k}”{n}人次、占{pct_text(n / valid if valid else None)}" for k, n in counts if n)
    rows = [{"option": k, "count": str(n), "share": rate_text(n / valid) if valid else DASH} for k, n in counts]
    rows.append({"option": L.REPORT_TOTAL, "count": str(valid), "share": rate_text(1.0) if valid else DASH})
    formula = L.REPORT_SURVEY_RATE_FORMULA
    if weights and valid:
        terms = "＋".join(f"{n}×{pct_text(weights[k])}" for k, n in counts if n and k in weights)
        formula += f"＝（{terms}）÷{valid}"
    rate = f"{formula}＝{pct_text(s.rate)}" if s.rate is not None else ""
    sat = f"{L.REPORT_SURVEY_SATISFIED_FORMULA}＝{pct_text(s.satisfied)}" if s.satisfied is not None else ""
    # the survey module's own account of the computation, with the numbers, when the record has it
    rate = text(getattr(s, "rate_formula", "")) or rate
    sat = text(getattr(s, "satisfied_formula", "")) or sat
    paras = [para(head + (f"其中{shares}。" if shares else "")),
             para(sentence("；".join(x for x in (rate, sat) if x)))]
    return {"name": text(s.name), "caption": L.REPORT_CAPTIONS["survey"].format(name=text(s.name)),
            "figure_caption": L.REPORT_FIGURE_CAPTIONS["survey"].format(name=text(s.name)),
            "paras": paras, "rows": rows, "chart": [(k, n) for k, n in counts], "valid": valid}


def work_section(rec) -> dict:
    process = [para(todo_key("process"))]
    surveys = [survey_block(s) for s in rec.survey or ()]
    if surveys:
        n = sum(b["valid"] for b in surveys)
        process.append(para(f"评价组开展了问卷调查，共设{len(surveys)}个题组，合计{n}人次有效回答，统计结果如下。"))
    return {"purpose": purpose_paras(rec), "method": method_paras(rec), "process": process, "surveys": surveys}


# --- 三、综合评价情况及评价结论 ------------------------------------------------------------

def summary_rows(rec) -> list[dict]:
    """评价得分一览表: per 一级 its 二级 rows and a 小计 (一级 cells merged through the ditto mark)."""
    rows: list[dict] = []
    for l1 in level1s(rec):
        children = level2s(rec, l1.name)
        for i, l2 in enumerate(children):
            rows.append({"level1": text(l1.name) if i == 0 else DITTO, "level2": text(l2.name),
                         "weight": weight_text(l2.weight), "score": score_text(l2.score), "rate": rate_text(l2.rate),
                         "subtotal": False})
        rows.append({"level1": DITTO if children else text(l1.name), "level2": L.REPORT_SUBTOTAL,
                     "weight": weight_text(l1.weight), "score": score_text(l1.score), "rate": rate_text(l1.rate),
                     "subtotal": True})
    return rows


def table_total(rec) -> float | None:
    """The 合计 of a score table: the sum of the applicable indicators' scores (the total, unless some
    indicators do not apply and the total was converted)."""
    return rec.raw_total if getattr(rec, "conversion", "") else rec.total


def total_rate(rec) -> float | None:
    w, total = rec.total_weight, table_total(rec)
    return total / w if total is not None and w else None


def conclusion_sentence(rec) -> str:
    subject = heading(rec)
    if rec.total is None:
        return f"经评价，{subject}有指标未能计分，总得分无法计算。"
    s = f"经评价，{subject}总得分{fmt_score(rec.total)}分，绩效评级为“{text(rec.grade)}”。"
    na = [i for i in rec.indicators if not getattr(i, "applicable", True)]
    if na and getattr(rec, "conversion", ""):
        label = next((k for k, v in L.NA_METHODS.items() if v == rec.na_method), "")
        s += f"其中{len(na)}项指标不适用，总分按“{label}”换算：{rec.conversion}。"
    return s


def lost_by_level2(rec) -> list[tuple[str, str, float, list]]:
    """(一级, 二级, points lost, indicators that lost points), in indicator order."""
    groups: "OrderedDict[tuple[str, str], list]" = OrderedDict()
    for ind in rec.indicators:
        lost = ind.lost
        if lost is not None and lost >= LOST_EPS:
            groups.setdefault((ind.level1, ind.level2), []).append(ind)
    return [(l1, l2, round2(sum(i.lost for i in inds)), inds) for (l1, l2), inds in groups.items()]


def verdict_paras(rec, panel: Para | None = None) -> list[Para]:
    out: list[Para] = []
    parts = [f"{text(lv.name)}得{score_text(lv.score)}分（满分{weight_text(lv.weight)}分，得分率{rate_text(lv.rate)}）"
             for lv in level1s(rec)]
    if parts and rec.total is not None:
        out.append(para(f"从一级指标看，{'；'.join(parts)}。"))
    lost = sorted(lost_by_level2(rec), key=lambda g: -g[2])
    if lost:
        top = [f"{text(l2)}（扣{fmt_score(points)}分）" for _, l2, points, _ in lost[:3]]
        total_lost = round2(sum(g[2] for g in lost))
        out.append(para(f"共有{sum(len(g[3]) for g in lost)}项三级指标扣分，合计扣{fmt_score(total_lost)}分，"
                        f"主要集中在{join_cn(top)}等方面。"))
    elif rec.total is not None:
        out.append(para("各项三级指标均得满分。"))
    if panel:
        out.append(panel)
    out.append(para(todo_key("verdict")))
    return out


def conclusion_section(rec, panel: Para | None = None) -> dict:
    return {
        "scores": [para(conclusion_sentence(rec)), para(f"等级划分：{grade_scale(rec)}。")],
        "caption": heading(rec) + L.REPORT_CAPTIONS["summary"],
        "summary": summary_rows(rec),
        "total_weight": weight_text(rec.total_weight),
        "total": score_text(table_total(rec)),
        "total_rate": rate_text(total_rate(rec)),
        "grade": text(rec.grade) or DASH,
        "figure_caption": L.REPORT_FIGURE_CAPTIONS["levels"],
        "chart": [(text(lv.parent), text(lv.name), lv.rate) for lv in level2s(rec)],
        "verdict": verdict_paras(rec, panel),
    }


def panel_note(rec, row, method: str) -> Para | None:
    """The 评价组 note of a unit scored by several evaluators (its RankRow says how many)."""
    if row is None or (row.evaluators or 1) < 2:
        return None
    named = [text(n) for n in row.evaluator_names if text(n)]
    names = "、".join(named)
    if names and len(named) < row.evaluators:           # some left 评价人 blank
        who = f"{names}等{row.evaluators}位评价人（{row.evaluators - len(named)}位未填写姓名）"
    else:
        who = f"{names}共{row.evaluators}位评价人" if names else f"{row.evaluators}位评价人"
    how = L.PANEL_METHODS.get(method, text(method))
    return para(f"本单位由{who}组成评价组独立评分，各三级指标的评价组得分取各评价人得分的{how}，"
                "总分为评价组各指标得分之和；各评价人的得分见各指标的评分过程。")


# --- 四、绩效评价指标分析 ---------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十"


def cn_ordinal(i: int) -> str:
    """1 -> 一, 12 -> 十二 (sub-headings （一）…（十二）)."""
    if i <= 10:
        return _CN_NUM[i - 1]
    tens, ones = divmod(i, 10)
    return (_CN_NUM[tens - 1] if tens > 1 else "") + "十" + (_CN_NUM[ones - 1] if ones else "")


#: 评分过程 of a 不适用 indicator (not scored; the total is converted, as 综合评价 says)
NOT_APPLICABLE_PROCESS = "该项指标本年不适用，不计分，其分值不计入适用分值。"
#: its 得分 in the 评分表
NOT_APPLICABLE_SCORE = "不适用"


def client_process(ind, deviations: bool) -> str:
    """评分过程 as a client reads it: the evaluator's explanation, then the computation and the
    score. Where the evaluator's figure departs from the rule, the rule's figure is internal (it
    shows only with ``deviations``): the text says how the final score was reached."""
    note = sentence(ind.note)
    if not ind.applicable:
        return note + NOT_APPLICABLE_PROCESS
    if ind.score is None:
        return note + "该项指标未能计分。"
    if ind.deviates and not deviations:
        rate = f"{pct_text(ind.score / ind.weight)}权重分" if ind.weight else ""
        return f"{note}依据评分标准，该项指标得{rate}{fmt_score(ind.score)}分。"
    process = text(ind.process)
    if ind.deviates:                      # the process already quotes the note as the reason
        return process
    return note + process


def analysis_section(rec, deviations: bool = False) -> list[dict]:
    """Per 一级 (（一）…), per 二级 (1. …), per 三级 (（1）…): the 评分过程."""
    out = []
    by_l2: "OrderedDict[tuple[str, str], list]" = OrderedDict()
    for ind in rec.indicators:
        by_l2.setdefault((ind.level1, ind.level2), []).append(ind)
    levels = {(lv.level, lv.name, lv.parent): lv for lv in rec.levels}
    for n1, l1 in enumerate(level1s(rec), start=1):
        groups = []
        keys = [k for k in by_l2 if k[0] == l1.name]
        for n2, key in enumerate(keys, start=1):
            l2 = levels.get((2, key[1], key[0]))
            w2 = f"（{weight_text(l2.weight)}分）" if l2 else ""
            items = [{"title": f"（{n3}）{text(ind.name)}（{weight_text(ind.weight)}分）",
                      "body": para(client_process(ind, deviations))}
                     for n3, ind in enumerate(by_l2[key], start=1)]
            groups.append({"title": f"{n2}.{text(key[1])}{w2}", "points": items})
        intro = (f"该部分满分{weight_text(l1.weight)}分，得{score_text(l1.score)}分，得分率{rate_text(l1.rate)}。"
                 if l1.score is not None else f"该部分满分{weight_text(l1.weight)}分。")
        out.append({"title": f"（{cn_ordinal(n1)}）{text(l1.name)}（{weight_text(l1.weight)}分）",
                    "intro": para(intro), "groups": groups})
    return out


# --- 五、六、七 ----------------------------------------------------------------------------

def strengths_paras(rec) -> list[Para]:
    full = [text(lv.name) for lv in level2s(rec) if lv.score is not None and lv.weight
            and lv.score >= lv.weight - LOST_EPS]
    out = []
    if full:
        out.append(para(f"从评价结果看，{join_cn(full[:8])}{'等' if len(full) > 8 else ''}方面的指标均得满分。"))
    out.append(para(todo_key("strengths")))
    return out


def deduction_rows(rec) -> list[dict]:
    rows = []
    for ind in rec.indicators:
        lost = ind.lost
        if lost is None or lost < LOST_EPS:
            continue
        rows.append({"no": str(len(rows) + 1), "code": text(ind.code), "level1": text(ind.level1),
                     "level2": text(ind.level2), "name": text(ind.name), "weight": weight_text(ind.weight),
                     "score": score_text(ind.score), "lost": score_text(round2(lost)), "note": text(ind.note)})
    return rows


def problems_section(rec) -> dict:
    """存在的问题: per 二级 that lost points, per indicator the evaluator's 评价说明 and what a person
    must still write (the cause)."""
    groups = []
    for n, (_, l2, lost, inds) in enumerate(lost_by_level2(rec), start=1):
        items = []
        for k, ind in enumerate(inds, start=1):
            body = para(sentence(ind.note)) if text(ind.note) else para(todo_key("symptom"))
            items.append({"title": f"（{k}）{text(ind.name)}：得{score_text(ind.score)}分，"
                                   f"扣{fmt_score(round2(ind.lost))}分",
                          "body": body, "cause": para(todo_key("cause"))})
        groups.append({"title": f"{n}.{text(l2)}方面（扣{fmt_score(lost)}分）", "points": items})
    rows = deduction_rows(rec)
    if rows:
        lost = round2(sum(i.lost for g in lost_by_level2(rec) for i in g[3]))
        intro = [para(f"共有{len(rows)}项三级指标扣分，合计扣{fmt_score(lost)}分，扣分指标见下表，"
                      "问题及原因分述如下。")]
    elif rec.total is None:
        intro = [para(todo_key("symptom"))]
    else:
        intro = [para("各项三级指标均得满分，未发现需要扣分的问题。")]
    return {"intro": intro, "rows": rows, "groups": groups}


def suggestion_paras(rec) -> list[Para]:
    groups = lost_by_level2(rec)
    if not groups:
        return [para(todo_key("advice_general"))]
    return [para(bold(f"{n}.针对{text(l2)}方面的问题："), todo_key("advice"))
            for n, (_, l2, _, _) in enumerate(groups, start=1)]


def other_paras(rec, panel: Para | None = None) -> list[Para]:
    out = [para("本报告中的得分保留两位小数；二级、一级指标得分为所属三级指标得分之和，总分为各三级指标得分之和；"
                "得分率＝得分÷分值。")]
    unscored = [text(i.name) for i in rec.indicators if i.score is None and i.applicable]
    if unscored:
        out.append(para(f"以下指标未能计分，总分无法计算：{join_cn(unscored[:10], '、')}"
                        f"{'等' if len(unscored) > 10 else ''}。"))
    if panel:
        out.append(para("评价组得分的汇总方法见“综合评价情况及评价结论”。"))
    out.append(para(todo_key("other")))
    return out


def signature(cover_: dict) -> list[Para]:
    """The signature and seal block (评价机构（盖章）, 项目负责人（签字）, 报告日期) from the cover's data."""
    org = cover_.get("org") or ""
    date = cover_.get("date") or ""
    lines = []
    for line in L.REPORT_SIGNATURE:
        if "{org}" in line:
            head = line.split("{org}")[0]
            lines.append(para(head, org) if org else para(head, todo_key("org")))
        elif "{date}" in line:
            head = line.split("{date}")[0]
            lines.append(para(head, date) if date else para(head, todo_key("date")))
        else:
            lines.append(para(line))
    return lines


# --- 附件：评分表 ---------------------------------------------------------------------------

def lines_needed(s: str, width_halfems: float) -> int:
    """Lines a text takes in a cell ``width_halfems`` half-ems wide (each paragraph wraps alone)."""
    if width_halfems <= 0:
        return 1
    return sum(max(1, math.ceil(display_width(p) / width_halfems)) for p in (s or "").split("\n")) or 1


def scoring_rows(rec, widths: dict[str, float], page_lines: float, deviations: bool = False) -> list[dict]:
    """The 评分表's rows. A 二级 group is kept on one page; a group taller than CHUNK_SHARE of a page
    is cut into chunks, each restarting the 一级 and 二级 cells (“（续）”), so that every page shows them.
    ``widths``: column key -> half-ems per line; ``page_lines``: text lines a page holds."""
    rows: list[dict] = []
    cap = max(page_lines * CHUNK_SHARE, 1)
    by_l2: "OrderedDict[tuple[str, str], list]" = OrderedDict()
    for ind in rec.indicators:
        by_l2.setdefault((ind.level1, ind.level2), []).append(ind)
    weights = {(lv.level, lv.name, lv.parent): lv.weight for lv in rec.levels}
    for (l1, l2), inds in by_l2.items():
        chunk_lines, first = 0.0, True
        w1, w2 = weights.get((1, l1, None)), weights.get((2, l2, l1))
        label1 = f"{text(l1)}（{weight_text(w1)}分）" if w1 is not None else text(l1)
        label2 = f"{text(l2)}（{weight_text(w2)}分）" if w2 is not None else text(l2)
        for i, ind in enumerate(inds):
            cells = {"level1": label1, "level2": label2, "name": text(ind.name), "weight": weight_text(ind.weight),
                     "criterion": text(ind.criterion),
                     "score": score_text(ind.score) if ind.applicable else NOT_APPLICABLE_SCORE,
                     "process": client_process(ind, deviations)}
            height = max(lines_needed(cells[k], widths.get(k, 0)) for k in widths) + 0.4
            start = i == 0 or chunk_lines + height > cap
            if start:
                if i:
                    first = False
                chunk_lines = 0.0
                cells["level1"] = label1 if first else L.REPORT_CONTINUED.format(name=label1)
                cells["level2"] = label2 if first else L.REPORT_CONTINUED.format(name=label2)
            else:
                cells["level1"] = cells["level2"] = DITTO
            chunk_lines += height
            rows.append({"code": text(ind.code), **cells})
    return rows


def appendix(rec, n: int, widths: dict[str, float], page_lines: float, deviations: bool = False) -> dict:
    return {
        "title": L.REPORT_APPENDIX.format(n=n, title=L.REPORT_APPENDIX_TITLES["scoring"].format(caption=heading(rec))),
        "rows": scoring_rows(rec, widths, page_lines, deviations),
        "total_weight": weight_text(rec.total_weight),
        "total": score_text(table_total(rec)),
    }


def deviation_rows(rec) -> list[dict]:
    return [{"code": text(i.code), "name": text(i.name), "rule": score_text(i.rule_score),
             "evaluator": score_text(i.evaluator_score),
             "difference": f"{i.difference:+.2f}" if i.difference is not None else DASH,
             "note": text(i.note) or "（未填写评价说明）"}
            for i in rec.deviations]


def deviation_appendix(records: Sequence, n: int) -> dict:
    rows = []
    for rec in records:
        for r in deviation_rows(rec):
            rows.append({**r, "unit": unit_of(rec)})
    count = len(rows)
    intro = (f"以下{count}项指标的评价得分与按评分标准计算的规则得分不同，总分按评价得分计算；"
             "差额＝评价得分－规则得分。"
             if count else "全部指标的评价得分均与按评分标准计算的结果一致。")
    return {"title": L.REPORT_APPENDIX.format(n=n, title=L.REPORT_APPENDIX_TITLES["deviations"]),
            "intro": para(intro), "rows": rows, "multi": len(records) > 1}


# --- a consolidation: 总体情况 ---------------------------------------------------------------

def scope_paras(overview, records: Sequence) -> list[Para]:
    panels = [r for r in overview.ranking if (r.evaluators or 1) > 1]
    s = (f"本次汇总共收到评分工作簿{overview.found}个，纳入汇总{overview.included}个"
         + (f"，未纳入{overview.not_included}个（原因见汇总工作簿“{L.SHEET_CONS_REJECTED}”表）"
            if overview.not_included else "")
         + f"，涉及{_units_text(overview.ranking)}。")
    if panels:
        how = L.PANEL_METHODS.get(overview.panel_method, text(overview.panel_method))
        s += (f"其中{len(panels)}个单位由多位评价人分别评分，各三级指标取各评价人得分的{how}作为评价组得分，"
              "每个单位只计一个总分。")
    return [para(s)]


def ranking_rows(overview) -> list[dict]:
    rows = []
    panel_label = L.CONS_HEADERS["panel_score"]
    for r in overview.ranking:
        note = text(r.status) if r.status and r.status != L.CONS_STATUS_OK else ""
        if (r.evaluators or 1) > 1:
            names = "、".join(text(n) for n in r.evaluator_names if text(n))
            note = "；".join(x for x in (panel_label + (f"（{names}）" if names else ""), note) if x)
        rows.append({"rank": str(r.rank) if r.rank is not None else DASH, "unit": text(r.unit),
                     "year": text(r.year), "total": score_text(r.total), "grade": text(r.grade) or DASH,
                     "evaluators": str(r.evaluators or 1), "note": note})
    return rows


def grade_rows(overview, grades=None) -> list[dict]:
    """Units per grade with their share; with several 评价年度 each year's rows and total apart (a
    unit counted once a year, shares within its year)."""
    rows = []
    for year, counts in _grade_years(overview):
        total = sum(n for _, n in counts)
        label = f"（{year}{L.YEAR_SUFFIX}）" if year is not None else ""
        rows += [{"grade": text(g) + label, "range": grade_range(grades, g), "count": str(n),
                  "share": rate_text(n / total) if total else DASH} for g, n in counts]
        rows.append({"grade": L.REPORT_TOTAL + label, "range": "", "count": str(total),
                     "share": rate_text(1.0) if total else DASH})
    return rows


def _grade_years(overview) -> list[tuple[str | None, tuple[tuple[str, int], ...]]]:
    """(year, grade counts) per 评价年度 when there are several, else one (None, all counts)."""
    return [(text(y), c) for y, c in overview.grade_years] or [(None, tuple(overview.grades))]


def _chart_label(row, several_years: bool) -> str:
    """'1. 甲单位' with the rank of the ranking table (tied units share it), and the year when the
    ranking holds several (ranks are per year)."""
    rank = f"{row.rank}. " if row.rank is not None else ""
    return rank + text(row.unit) + (f"（{text(row.year)}）" if several_years else "")


def _units_text(ranking) -> str:
    """'3个单位'; with several years, the units are counted once: '2个单位、2个评价年度（4个单位年度）'."""
    units = len({text(r.unit) for r in ranking})
    years = len({text(r.year) for r in ranking})
    if years > 1:
        return f"{units}个单位、{years}个评价年度（{len(ranking)}个单位年度）"
    return f"{len(ranking)}个单位"


def _figures_text(rows) -> str:
    """Mean, highest and lowest of one year's units; every unit sharing the highest (lowest) total named."""
    mean = round2(sum(r.total for r in rows) / len(rows))
    hi, lo = max(r.total for r in rows), min(r.total for r in rows)

    def named(x) -> str:
        names = list(dict.fromkeys(text(r.unit) for r in rows if r.total == x))
        return "、".join(names) if len(names) <= 5 else "、".join(names[:3]) + f"等{len(names)}个单位"
    if len(rows) == 1:
        return f"{named(hi)}得分{fmt_score(hi)}分"
    return f"平均得分{fmt_score(mean)}分，最高{named(hi)}{fmt_score(hi)}分，最低{named(lo)}{fmt_score(lo)}分"


def overview_section(overview, records: Sequence) -> dict:
    ranked = [r for r in overview.ranking if r.total is not None]
    years = list(dict.fromkeys(text(r.year) for r in ranked))
    grade_years = _grade_years(overview)
    paras = scope_paras(overview, records)
    if ranked:
        figures = ("；".join(f"{y}年度{_figures_text([r for r in ranked if text(r.year) == y])}" for y in years)
                   if len(years) > 1 else ("各单位" if len(ranked) > 1 else "") + _figures_text(ranked))
        dist = "；".join((f"{y}年度" if y is not None else "") + "，".join(f"“{text(g)}”{n}个" for g, n in c if n)
                        for y, c in grade_years)
        paras.append(para(f"{figures}；等级分布为{dist}。"))
    grades = records[0].grades if records else None
    return {"scope": paras, "ranking": ranking_rows(overview), "grades": grade_rows(overview, grades),
            "totals_chart": [(_chart_label(r, len(years) > 1), r.total, text(r.grade)) for r in ranked],
            "grades_chart": [(y, [(text(g), n) for g, n in c]) for y, c in grade_years]}


def rank_row_for(rec, overview):
    """The consolidation's row of this unit (and year), if any."""
    if overview is None:
        return None
    unit, year = unit_of(rec), text(rec.info.get("year"))
    for row in overview.ranking:
        if text(row.unit) == unit and (not year or text(row.year) in ("", year)):
            return row
    return None


def warning_texts(rec) -> list[str]:
    from perfxl.check.problems import ERROR, problem

    by_file: dict[str, list] = {}
    for p in rec.problems:
        if p.severity == ERROR:
            by_file.setdefault(p.file or rec.file, []).append(p)
    out = []
    for file, errors in by_file.items():          # a panel: each evaluator's workbook with its own errors
        shown = "；".join(f"{p.where}：{p.message}" for p in errors[:3]) + ("……" if len(errors) > 3 else "")
        w = problem("report_validation_errors", file=file, path=Path(file).name, count=len(errors), first=shown)
        out.append(f"注意：{w.message}。{w.fix}。")
    return out


def unit_sections(rec, *, overview=None, deviations: bool = False) -> dict:
    """Every section of one unit's chapter."""
    row = rank_row_for(rec, overview)
    panel = panel_note(rec, row, overview.panel_method if overview is not None else "mean")
    return {
        "file": Path(rec.file).name,
        "heading": heading(rec),
        "unit": unit_of(rec),
        "warnings": warning_texts(rec),
        "basic": basic_section(rec),
        "work": work_section(rec),
        "conclusion": conclusion_section(rec, panel),
        "analysis": analysis_section(rec, deviations),
        "strengths": strengths_paras(rec),
        "problems": problems_section(rec),
        "suggestions": suggestion_paras(rec),
        "other": other_paras(rec, panel),
        "panel": panel,
    }

