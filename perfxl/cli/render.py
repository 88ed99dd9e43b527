"""Render results and problems: rich tables for people, one JSON document for machines.

Everything from input is printed literally (``terminal.lit``), never as markup."""
from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from perfxl.check.problems import Problem
from perfxl.cli.terminal import can_encode, lit, mark
from perfxl.model import layout as L
from perfxl.model.values import fmt_pct, fmt_score

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _num(x: float | None) -> str:
    return "—" if x is None else fmt_score(x)


def _pct(x: float | None) -> str:
    return "—" if x is None else fmt_pct(x)


def _styled(text: Any, style: str):
    t = lit(text)
    t.stylize(style)
    return t


#: the fewest cells a column of a drawn table gets (its text folded to fit); rich squeezes a column
#: narrower than that on a narrow console, down to blank cells (a Chinese character is 2 cells wide)
MIN_COLUMN = 6


def _plain(cell: Any) -> str:
    return cell.plain if hasattr(cell, "plain") else str(cell)


def show_table(console, title: str, columns: Iterable[tuple[str, str]], rows: Iterable[tuple]) -> None:
    """``rows`` (rich Text or str cells) under ``columns`` ((header, justify) pairs) as a table; on a
    console too narrow for each column to get MIN_COLUMN cells (or its widest text), the same rows as
    “header：value” lines — a row's first filled cell flush left, the others indented — so that what
    is read stays complete."""
    from rich.cells import cell_len
    from rich.text import Text

    columns, rows = list(columns), list(rows)

    def width(cell: Any) -> int:
        return max(cell_len(line) for line in _plain(cell).split("\n"))

    need = sum(min(MIN_COLUMN, max([width(h), *(width(r[k]) for r in rows)])) for k, (h, _) in enumerate(columns))
    if console.width >= need + 3 * len(columns) + 1:          # padding and rules of a boxed table
        from rich.table import Table

        t = Table(title=title, title_justify="left")
        for h, just in columns:
            t.add_column(h, justify=just, overflow="fold")
        for r in rows:
            t.add_row(*r)
        console.print(t)
        return
    console.print(_styled(title, "table.title"))
    for r in rows:
        indent = ""
        for (h, _), cell in zip(columns, r):
            if not _plain(cell):
                continue
            line = Text(f"{indent}{h}：")
            line.append_text(cell if isinstance(cell, Text) else lit(cell))
            console.print(line)
            indent = "  "


# --- problems -----------------------------------------------------------------------------------

def print_problems(console, problems: Iterable[Problem], *, file: str | None = None) -> None:
    problems = list(problems)
    if not problems:
        console.print(_styled(f"{mark('ok')} 未发现问题", "green"))
        return
    show_table(console, f"{L.SHEET_PROBLEMS}（{len(problems)} 条）",
               [(h, "left") for h in L.CLI_PROBLEM_HEADERS],
               [(_styled(L.SEVERITY_LABELS.get(p.severity, p.severity), _STYLE.get(p.severity, "")),
                 lit(p.where or p.file), lit(p.message), lit(p.fix)) for p in problems])
    errors = sum(p.severity == "error" for p in problems)
    warnings = sum(p.severity == "warning" for p in problems)
    line = lit(f"共 {errors} 个错误、{warnings} 个警告" + (f"（{file}）" if file else ""))
    console.print(line)


def refusal(console, problems: Iterable[Problem]) -> None:
    """Why the input cannot be used (exit code 2)."""
    problems = list(problems)
    files = "、".join(dict.fromkeys(Path(p.file).name for p in problems if p.file))
    console.print(_styled(f"无法处理输入{f'（{files}）' if files else ''}：", "bold red"))
    print_problems(console, problems)


def done(console, text: str, extra: str | None = None) -> None:
    """A line saying what was written (green mark, literal text)."""
    from rich.text import Text

    line = Text(f"{mark('ok')} ", style="green")
    line.append_text(lit(text))
    console.print(line)
    if extra:
        console.print(lit(f"  {extra}"))


# --- one workbook ---------------------------------------------------------------------------------

def print_record(console, rec, *, verbose: bool = False) -> None:
    """The 得分汇总 of a scored workbook, its deviations and its total."""
    info = rec.info
    head = lit(info.get("unit") or "（未填写单位名称）")
    head.stylize("bold")
    if info.get("year"):
        head.append_text(lit(f"  {info.get('year')}{L.YEAR_SUFFIX}"))
    console.print(head)
    rows: list[tuple] = []
    for lv in rec.levels:
        if lv.level == 1:
            rows.append((_styled(lv.name, "bold"), "", _styled(_num(lv.weight), "bold"),
                         _styled(_num(lv.score), "bold"), _styled(_pct(lv.rate), "bold")))
        else:
            rows.append(("", lit(lv.name), _num(lv.weight), _num(lv.score), _pct(lv.rate)))
    weight = rec.total_weight
    raw = rec.raw_total if rec.conversion else rec.total
    rows.append((_styled(L.REPORT_TOTAL, "bold"), "", _num(weight), _styled(_num(raw), "bold"),
                 _pct(raw / weight if raw is not None and weight else None)))
    show_table(console, L.SHEET_SUMMARY, zip(L.SUMMARY_HEADERS, ("left", "left", "right", "right", "right")), rows)
    if rec.not_applicable:
        names = "、".join(i.name for i in rec.not_applicable)
        label = next((k for k, v in L.NA_METHODS.items() if v == rec.na_method), "")
        console.print(lit(f"不适用指标 {len(rec.not_applicable)} 项（{names}），总分按“{label}”换算："
                          f"{rec.conversion or '无法计算'}"))
    if verbose:
        show_table(console, L.CLI_INDICATORS_TITLE,
                   [(L.COLUMNS_BY_KEY[key].header, "left")
                    for key in ("code", "name", "weight", "rule_score", "score", "process")],
                   [(lit(i.code), lit(i.name), _num(i.weight), _num(i.rule_score), _num(i.score), lit(i.process))
                    for i in rec.indicators])
    devs = rec.deviations
    if devs:
        show_table(console, f"评价得分与规则得分不同（{len(devs)} 项）",
                   zip(L.CLI_DEVIATION_HEADERS, ("left", "left", "right", "right", "right", "left")),
                   [(lit(f"{rec.sheet}!{i.score_cell}"), lit(i.name), _num(i.rule_score), _num(i.evaluator_score),
                     f"{i.difference:+.2f}", lit(i.note) if i.note else _styled("（未填写）", "red")) for i in devs])
    if rec.total is None:
        console.print(_styled("总分：无法计算（有指标无法计分，见下方校验结果）", "bold red"))
    else:
        from rich.text import Text

        line = Text("总分：")
        line.append(fmt_score(rec.total), style="bold")
        line.append("   等级：")
        line.append_text(_styled(rec.grade, "bold"))
        if not rec.complete:
            line.append("  （存在错误，仅供参考）", style="red")
        console.print(line)


# --- JSON -----------------------------------------------------------------------------------------

def _finite(obj: Any) -> Any:
    """Non-finite floats become null: the output is standard JSON for every reader."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def dumps(obj: Any, ascii_only: bool = False) -> str:
    return json.dumps(_finite(obj), ensure_ascii=ascii_only, indent=2, default=str, allow_nan=False)


def json_for(obj: Any, stream) -> str:
    """The JSON document of ``obj`` as ``stream`` can carry it: as written, or with \\u escapes where
    the stream's encoding cannot hold the text (an ASCII or GBK console, a lone surrogate)."""
    text = dumps(obj)
    return text if can_encode(text, stream) else dumps(obj, ascii_only=True)


def refusal_dict(command: str, problems: Iterable[Problem], code: int) -> dict:
    """The one JSON document of a refused command."""
    return {"command": command, "ok": False, "exit_code": code, "problems": [p.to_dict() for p in problems]}


# --- consolidation ------------------------------------------------------------------------------------

def print_consolidation(console, cons) -> None:
    """The ranking (first 20), the files not included (first 30) and the account of every file."""
    summary, rejected = cons.summary, cons.rejected
    show_table(console, f"汇总（{len(summary)} 个单位（年度）{'，前 20 名' if len(summary) > 20 else ''}）",
               [(L.CONS_HEADERS[key], just) for key, just in (
                   ("rank", "right"), ("unit", "left"), ("year", "left"), ("total", "right"), ("grade", "left"),
                   ("evaluators", "right"), ("status", "left"))],
               [(str(r["rank"]), lit(r["unit"]), lit(r["year"]), fmt_score(r["total"]), lit(r["grade"]),
                 str(r["evaluators"]), lit(r["status"]) if r["status"] == L.CONS_STATUS_OK
                 else _styled(r["status"], "yellow")) for r in summary.head(20).to_dict("records")])
    if len(rejected):
        show_table(console, f"未纳入的文件（{len(rejected)} 个{'，前 30 个' if len(rejected) > 30 else ''}）",
                   [(h, "left") for h in (*(L.CONS_HEADERS[k] for k in ("file", "category", "reason")), L.CLI_WHERE)],
                   [(lit(Path(r["file"]).name), lit(r["category"]), lit(r["reason"]),
                     lit("!".join(str(x) for x in (r["sheet"], r["cell"]) if isinstance(x, str) and x)))
                    for r in rejected.head(30).to_dict("records")])
    if cons.output is not None:
        done(console, f"汇总已写入：{cons.output}" + (f"（原文件已备份为 {cons.backup.name}）" if cons.backup else ""))
    line = lit(f"共找到 {cons.found} 个文件：纳入 {cons.included} 个，未纳入 {cons.not_included} 个"
               + (f"；{cons.flagged} 个单位有校验错误，总分仅供参考" if cons.flagged else ""))
    line.stylize("bold")
    console.print(line)
    for a, b, year, why in cons.alike[:20]:
        console.print(_styled(f"可能是同一单位（{why}）：“{a}”与“{b}”（{year}）——若是，请统一单位名称后重新汇总",
                              "yellow"))
    if len(cons.alike) > 20:
        console.print(lit(f"  ……另有 {len(cons.alike) - 20} 对"))
    if cons.skipped:
        console.print(lit(f"另跳过 {len(cons.skipped)} 个不是提交的文件（不计入找到的文件）："))
        for p in cons.skipped[:30]:
            console.print(lit(f"  {p.message}"))
        if len(cons.skipped) > 30:
            console.print(lit(f"  ……另有 {len(cons.skipped) - 30} 个"))
