"""Render results and problems: rich tables for people, one JSON object for machines."""
from __future__ import annotations

import json
from typing import Iterable

from perfxl.model import layout as L
from perfxl.check.problems import Problem
from perfxl.model.values import fmt_pct, fmt_score

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _num(x: float | None) -> str:
    return "—" if x is None else fmt_score(x)


def _pct(x: float | None) -> str:
    return "—" if x is None else fmt_pct(x)


def problems_table(problems: list[Problem], title: str = "校验结果"):
    from rich.table import Table

    t = Table(title=f"{title}（{len(problems)} 条）", show_lines=False, title_justify="left", expand=False)
    for h in ("级别", "位置", "问题", "修改建议"):
        t.add_column(h, overflow="fold")
    for p in problems:
        t.add_row(f"[{_STYLE.get(p.severity, '')}]{L.SEVERITY_LABELS.get(p.severity, p.severity)}[/]",
                  p.where or p.file, p.message, p.fix)
    return t


def print_problems(console, problems: list[Problem], *, file: str | None = None) -> None:
    if not problems:
        console.print("[green]✓ 未发现问题[/]")
        return
    console.print(problems_table(problems))
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    console.print(f"共 [bold red]{errors}[/] 个错误、[yellow]{warnings}[/] 个警告"
                  + (f"（{file}）" if file else ""))


def print_result(console, result, *, verbose: bool = False) -> None:
    from rich.table import Table

    info = result.info
    unit = info.get("unit") or "（未填写单位名称）"
    year = info.get("year")
    console.print(f"[bold]{unit}[/]" + (f"  {year}年度" if year else ""))
    t = Table(title="得分汇总", title_justify="left")
    for h, just in (("一级指标", "left"), ("二级指标", "left"), ("分值", "right"), ("得分", "right"), ("得分率", "right")):
        t.add_column(h, justify=just)
    for lvl in result.levels:
        if lvl.level == 1:
            t.add_row(f"[bold]{lvl.name}[/]", "", f"[bold]{_num(lvl.weight)}[/]", f"[bold]{_num(lvl.score)}[/]",
                      f"[bold]{_pct(lvl.rate)}[/]")
        else:
            t.add_row("", lvl.name, _num(lvl.weight), _num(lvl.score), _pct(lvl.rate))
    total_weight = sum(l.weight for l in result.levels if l.level == 1)
    t.add_row("[bold]合计[/]", "", _num(total_weight), f"[bold]{_num(result.total)}[/]",
              _pct(result.total / total_weight if result.total is not None and total_weight else None))
    console.print(t)
    if verbose:
        it = Table(title="三级指标", title_justify="left")
        for h in ("编号", "三级指标", "分值", "规则得分", "得分", "评分过程"):
            it.add_column(h, overflow="fold")
        for r in result.indicators:
            i = r.indicator
            it.add_row(i.code, i.name, _num(i.weight), _num(r.rule_score), _num(r.score), r.process)
        console.print(it)
    if result.deviations:
        d = Table(title=f"评价得分与规则得分不同（{len(result.deviations)} 项）", title_justify="left")
        for h, just in (("单元格", "left"), ("三级指标", "left"), ("规则得分", "right"), ("评价得分", "right"),
                        ("差额", "right"), ("评价说明", "left")):
            d.add_column(h, justify=just, overflow="fold")
        ev = result.checked.evaluation
        for r in result.deviations:
            i = r.indicator
            d.add_row(f"{ev.table.sheet}!{ev.cell(i.row, 'evaluator_score')}", i.name, _num(r.rule_score),
                      _num(i.evaluator_score), f"{r.difference:+.2f}", i.note or "[red]（未填写）[/]")
        console.print(d)
    if result.total is None:
        console.print("[bold red]总分：无法计算[/]（有指标无法计分，见下方校验结果）")
    else:
        note = "" if result.complete else "  [red]（存在错误，仅供参考）[/]"
        console.print(f"总分：[bold]{fmt_score(result.total)}[/]   等级：[bold]{result.grade}[/]{note}")


def result_dict(result, *, output: str | None = None, extra_problems: Iterable[Problem] = ()) -> dict:
    ev = result.checked.evaluation
    info = {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in result.info.items()}
    return {
        "file": str(ev.path),
        "info": info,
        "total": result.total,
        "grade": result.grade,
        "complete": result.complete,
        "levels": [
            {"level": l.level, "name": l.name, "parent": l.parent, "weight": l.weight, "score": l.score,
             "rate": None if l.rate is None else round(l.rate, 6)}
            for l in result.levels],
        "indicators": [
            {"code": r.indicator.code, "row": r.indicator.row, "level1": r.indicator.level1,
             "level2": r.indicator.level2, "name": r.indicator.name, "weight": r.indicator.weight,
             "method": r.indicator.method, "rule_score": r.rule_score,
             "evaluator_score": None if r.indicator.evaluator_score is None else round(r.indicator.evaluator_score, 2),
             "score": r.score, "rate": None if r.rate is None else round(r.rate, 6),
             "deviation": r.deviates, "process": r.process}
            for r in result.indicators],
        "deviations": [
            {"code": r.indicator.code, "name": r.indicator.name,
             "cell": f"{ev.table.sheet}!{ev.cell(r.indicator.row, 'evaluator_score')}",
             "rule_score": r.rule_score, "evaluator_score": round(r.indicator.evaluator_score, 2),
             "difference": r.difference, "note": r.indicator.note}
            for r in result.deviations],
        "problems": [p.to_dict() for p in [*result.problems, *extra_problems]],
        "output": output,
    }


def dumps(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, default=str)
