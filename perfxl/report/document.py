"""Word report tables from scored workbooks: 基本情况, 评价得分一览表, 评分表, 扣分指标与问题清单,
评价偏差 and the conclusion sentence, rendered into a docxtpl template.

The data comes from the same pipeline as ``perfxl score`` (``score.run``), never from the
computed cells of the workbook. ``context(results)`` is what a template sees:

- ``title``, ``multi`` (several units), ``warnings`` (one text per workbook with errors), ``footnote``;
- ``units``: per workbook ``heading``, ``caption``, ``info`` [label, value], ``basic`` [label, value,
  unit], ``figures`` [name, text, value], ``conclusion``, ``grade_scale``, ``summary`` [level1, level2,
  weight, score, rate, subtotal], ``total_weight``, ``total``, ``total_rate``, ``grade``, ``scoring``
  [level1, level2, name, weight, criterion, score, process], ``deduction_intro``, ``deductions`` [no,
  level2, name, weight, score, lost, note], ``deviation_intro``, ``deviations`` [code, name, rule,
  evaluator, difference, note].

Every value is text, formatted already. A table cell whose text is ``layout.REPORT_DITTO`` is merged
with the cell above after rendering, so 一级/二级 indicators span their rows as in published reports.
"""
from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from perfxl.check.problems import ERROR, Problem, UnusableInput, problem
from perfxl.model import layout as L
from perfxl.model.values import fmt_num, fmt_score, round2
from perfxl.report.template import (  # noqa: F401 (API)
    TCPR_AFTER_VMERGE,
    template_bytes,
    write_report_template,
)

DITTO = L.REPORT_DITTO
DASH = "—"
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --- formatting ---------------------------------------------------------------------

def text(value: Any) -> str:
    """Any cell value as report text (control characters that Word cannot hold removed)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub("", s).strip()


def score_text(x: float | None) -> str:
    return DASH if x is None else fmt_score(x)


def weight_text(x: float | None) -> str:
    return DASH if x is None else fmt_num(x)


def rate_text(x: float | None) -> str:
    """Always 2 decimals: 0.78 -> '78.00%'."""
    return DASH if x is None else f"{fmt_score(x * 100)}%"


def amount_text(x: Any, unit: str = "") -> str:
    """Budget figures: thousands separators, at least 2 decimals, more when typed (580.8142)."""
    if x is None or isinstance(x, bool):
        return "" if x is None else text(x)
    if not isinstance(x, (int, float)):
        return text(x)
    if unit == "人" and float(x).is_integer():
        return f"{int(x):,}"
    places = 2
    s = fmt_num(float(x), 6)
    if "." in s:
        places = max(2, len(s.split(".")[1]))
    return f"{float(x):,.{places}f}"


def date_text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    s = text(value)
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})(?:[-/.月](\d{1,2})日?)?月?", s)
    if m:
        y, mo, d = m.groups()
        return f"{y}年{int(mo)}月" + (f"{int(d)}日" if d else "")
    return s


def _sentence(s: str) -> str:
    s = s.strip()
    return s if not s or s[-1] in "。！？.!?；;" else s + "。"


# --- data from a result (getattr: 基础数据 and derived figures are optional) ----------

def basic_of(result) -> dict:
    """基础数据 key -> value, when the workbook has the sheet (else empty)."""
    basic = getattr(result.checked, "basic", None) or getattr(result.checked.evaluation, "basic", None)
    return dict(basic or {})


def figures_of(result) -> list:
    """Derived figures (objects with .name, .value as a fraction, .text), when computed."""
    return list(getattr(result, "figures", None) or [])


# --- one unit -----------------------------------------------------------------------

def _kind(info: dict) -> str:
    return text(info.get("kind")) or "绩效评价"


def _subject(info: dict, unit: str) -> str:
    """'南昌市青云谱区总工会2022年度部门整体支出绩效评价'; with a project: '…2024年度某某项目绩效评价'."""
    year = text(info.get("year"))
    project, kind = _project(info), _kind(info)
    if project:
        kind = kind.replace("项目支出", "", 1) or kind
    return f"{unit}{year + '年度' if year else ''}{project}{kind}"


def heading(result) -> str:
    return _subject(result.info, text(result.info.get("unit")) or Path(result.checked.evaluation.path).stem)


def _project(info: dict) -> str:
    """项目名称, ignoring the 基本信息 header cell “内容” that the reader can take for it."""
    p = text(info.get("project"))
    return "" if p in ("", L.INFO_HEADER[1]) else p


def _info_rows(result) -> list[dict]:
    info = result.info
    rows = []
    for key in (f.key for f in L.INFO_FIELDS if f.key in L.REPORT_INFO_KEYS + L.REPORT_INFO_OPTIONAL):
        value = _project(info) if key == "project" else info.get(key)
        value = date_text(value) if key == "date" else text(value)
        if key in L.REPORT_INFO_OPTIONAL and not value:
            continue
        rows.append({"label": L.INFO_BY_KEY[key].label, "value": value or "（未填写）"})
    return rows


def _basic_rows(result) -> list[dict]:
    basic = basic_of(result)
    order = {f.key: i for i, f in enumerate(L.BASIC_FIELDS)}
    rows = []
    for key in sorted(basic, key=lambda k: order.get(k, len(order))):
        value = basic[key]
        if value is None or value == "":
            continue
        f = L.BASIC_BY_KEY.get(key)
        unit = f.unit if f else ""
        rows.append({"label": f.label if f else text(key), "value": amount_text(value, unit), "unit": unit})
    return rows


def _figure_rows(result) -> list[dict]:
    rows = []
    for fig in figures_of(result):
        value = getattr(fig, "value", None)
        if value is None:                   # not computable: its inputs are missing in 基础数据
            continue
        rows.append({"name": text(getattr(fig, "name", "")), "text": text(getattr(fig, "text", "")),
                     "value": rate_text(value) if isinstance(value, (int, float)) else text(value)})
    return rows


def _grade_scale(result) -> str:
    grades = list(result.checked.grades or [])
    if not grades:
        return ""
    parts = []
    upper = None
    for label, minimum in grades:
        lo = fmt_num(minimum)
        if upper is None:
            parts.append(f"{lo}分（含）以上为“{label}”")
        elif minimum <= 0:
            parts.append(f"{fmt_num(upper)}分以下为“{label}”")
        else:
            parts.append(f"{lo}分（含）～{fmt_num(upper)}分为“{label}”")
        upper = minimum
    return "等级划分：" + "，".join(parts) + "。"


def _conclusion(result) -> str:
    subject = _subject(result.info, text(result.info.get("unit")) or "被评价单位")
    if result.total is None:
        return f"经评价，{subject}有指标未能计分，总得分无法计算；请按校验结果修正工作簿后重新生成报告。"
    s = f"经评价，{subject}总得分{fmt_score(result.total)}分，绩效评级为“{result.grade}”。"
    if result.has_errors:
        s += "（工作簿存在校验错误，此得分仅供参考。）"
    return s


def _summary_rows(result) -> tuple[list[dict], float]:
    rows: list[dict] = []
    total_weight = 0.0
    level1s = [lv for lv in result.levels if lv.level == 1]
    for l1 in level1s:
        total_weight += l1.weight or 0
        children = [lv for lv in result.levels if lv.level == 2 and lv.parent == l1.name]
        for i, l2 in enumerate(children):
            rows.append({"level1": l1.name if i == 0 else DITTO, "level2": l2.name, "weight": weight_text(l2.weight),
                         "score": score_text(l2.score), "rate": rate_text(l2.rate), "subtotal": False})
        rows.append({"level1": DITTO if children else l1.name, "level2": L.REPORT_SUBTOTAL,
                     "weight": weight_text(l1.weight), "score": score_text(l1.score), "rate": rate_text(l1.rate),
                     "subtotal": True})
    return rows, round2(total_weight)


def _process(r) -> str:
    ind = r.indicator
    note = text(ind.note)
    if r.score is None:
        return _sentence(note) + "未能计分，请按校验结果修正工作簿。"
    if r.deviates:                      # the process already quotes the note as the reason
        return text(r.process)
    return _sentence(note) + text(r.process)


def _scoring_rows(result) -> list[dict]:
    rows, last = [], (None, None)
    for r in result.indicators:
        ind = r.indicator
        l1 = DITTO if ind.level1 == last[0] else text(ind.level1)
        l2 = DITTO if (ind.level1, ind.level2) == last else text(ind.level2)
        last = (ind.level1, ind.level2)
        rows.append({"code": text(ind.code), "level1": l1, "level2": l2, "name": text(ind.name),
                     "weight": weight_text(ind.weight), "criterion": text(ind.criterion),
                     "score": score_text(r.score), "process": _process(r)})
    return rows


def deduction_rows(result) -> list[dict]:
    rows = []
    for r in result.indicators:
        ind = r.indicator
        if r.score is None or ind.weight is None:
            continue
        lost = round2(ind.weight - r.score)
        if lost < 0.005:
            continue
        rows.append({"no": str(len(rows) + 1), "code": text(ind.code), "level1": text(ind.level1),
                     "level2": text(ind.level2), "name": text(ind.name), "weight": weight_text(ind.weight),
                     "score": score_text(r.score), "lost": score_text(lost),
                     "note": text(ind.note) or "（未填写评价说明）"})
    return rows


def _deviations(result) -> list[dict]:
    return [{"code": text(r.indicator.code), "name": text(r.indicator.name), "rule": score_text(r.rule_score),
             "evaluator": score_text(r.indicator.evaluator_score), "difference": f"{r.difference:+.2f}",
             "note": text(r.indicator.note) or "（未填写评价说明）"}
            for r in result.deviations]


def unit_context(result) -> dict:
    summary, total_weight = _summary_rows(result)
    deductions = deduction_rows(result)
    deviations = _deviations(result)
    lost = round2(sum(float(d["lost"]) for d in deductions))
    unscored = sum(r.score is None for r in result.indicators)
    if deductions:
        deduction_intro = (f"共有{len(deductions)}项三级指标扣分，合计扣{fmt_score(lost)}分。"
                           "各项扣分原因见下表“评价说明”，可据此撰写“存在问题”。")
    else:
        deduction_intro = "各项三级指标均得满分，没有扣分指标。"
    if unscored:
        deduction_intro += f"另有{unscored}项指标未能计分，未列入本表。"
    if deviations:
        deviation_intro = (f"以下{len(deviations)}项指标的评价得分与按评分标准计算的规则得分不同，"
                           "总分按评价得分计算；差额＝评价得分－规则得分。")
    else:
        deviation_intro = "全部指标的得分均与按评分标准计算的结果一致。"
    head = heading(result)
    return {
        "file": Path(result.checked.evaluation.path).name,
        "heading": head,
        "caption": head,
        "unit": text(result.info.get("unit")),
        "info": _info_rows(result),
        "basic": _basic_rows(result),
        "figures": _figure_rows(result),
        "conclusion": _conclusion(result),
        "grade_scale": _grade_scale(result),
        "summary": summary,
        "total_weight": weight_text(total_weight),
        "total": score_text(result.total),
        "total_rate": rate_text(result.total / total_weight if result.total is not None and total_weight else None),
        "grade": text(result.grade) or DASH,
        "scoring": _scoring_rows(result),
        "deduction_intro": deduction_intro,
        "deductions": deductions,
        "deviation_intro": deviation_intro,
        "deviations": deviations,
    }


def warning_text(result) -> str | None:
    errors = [p for p in result.problems if p.severity == ERROR]
    if not errors:
        return None
    shown = "；".join(f"{p.where}：{p.message}" for p in errors[:3]) + ("……" if len(errors) > 3 else "")
    p = problem("report_validation_errors", file=str(result.checked.evaluation.path),
                path=Path(result.checked.evaluation.path).name, count=len(errors), first=shown)
    return f"注意：{p.message}。{p.fix}。"


def context(results: Sequence) -> dict:
    units = [unit_context(r) for r in results]
    if len(units) == 1:
        title = units[0]["heading"] + "报告"
    else:
        years = {text(r.info.get("year")) for r in results}
        kinds = {_kind(r.info) for r in results}
        year = years.pop() if len(years) == 1 else ""
        kind = kinds.pop() if len(kinds) == 1 else "绩效评价"
        title = f"{year + '年度' if year else ''}{kind}报告（{len(units)}个单位）"
    return {
        "title": title,
        "multi": len(units) > 1,
        "warnings": [w for w in (warning_text(r) for r in results) if w],
        "units": units,
        "footnote": "注：本文件中的表格由 perfxl 根据评分工作簿计算生成。得分保留两位小数，上级指标得分为下属三级指标"
                    "得分之和，得分率＝得分÷分值；评价人给定的得分与评分标准计算结果不同时，以评价得分计入并列于附录。",
    }


# --- rendering ----------------------------------------------------------------------

def _load_template(template: Path | None):
    from io import BytesIO

    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    if template is None:
        return DocxTemplate(BytesIO(template_bytes()))
    template = Path(template)
    if not template.is_file():
        raise UnusableInput([problem("report_template_missing", file=str(template), path=str(template))])
    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
        return tpl
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        detail = "不是 .docx 文件" if isinstance(e, (PackageNotFoundError, zipfile.BadZipFile)) else str(e)
        raise UnusableInput([problem("report_template_invalid", file=str(template), path=template.name,
                                     detail=detail)]) from None


def _tc_text(tc) -> str:
    from docx.oxml.ns import qn

    return "".join(t.text or "" for t in tc.iter(qn("w:t")))


def merge_dittos(document) -> int:
    """Merge every table cell holding only the ditto mark with the cell above (vertical merge)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def vmerge(tc, restart: bool) -> None:
        tcpr = tc.get_or_add_tcPr()
        for old in tcpr.findall(qn("w:vMerge")):
            tcpr.remove(old)
        el = OxmlElement("w:vMerge")
        if restart:
            el.set(qn("w:val"), "restart")
        tcpr.insert_element_before(el, *TCPR_AFTER_VMERGE)

    merged = 0
    body = document.element.body
    for tbl in body.iter(qn("w:tbl")):
        above: dict[int, tuple[Any, int, bool]] = {}      # grid column -> (tc, span, is header)
        for tr in tbl.findall(qn("w:tr")):
            trpr = tr.find(qn("w:trPr"))
            header = trpr is not None and trpr.find(qn("w:tblHeader")) is not None
            before = trpr.find(qn("w:gridBefore")) if trpr is not None else None
            col = int(before.get(qn("w:val"), 0)) if before is not None else 0
            current: dict[int, tuple[Any, int, bool]] = {}
            for tc in tr.findall(qn("w:tc")):
                tcpr = tc.find(qn("w:tcPr"))
                gs = tcpr.find(qn("w:gridSpan")) if tcpr is not None else None
                span = int(gs.get(qn("w:val"), 1)) if gs is not None else 1
                if _tc_text(tc).strip() == DITTO:
                    for t in tc.iter(qn("w:t")):
                        t.text = ""
                    up = above.get(col)
                    if up is not None and up[1] == span and not up[2]:
                        up_tc = up[0]
                        up_pr = up_tc.find(qn("w:tcPr"))
                        up_vm = up_pr.find(qn("w:vMerge")) if up_pr is not None else None
                        if up_vm is None:
                            vmerge(up_tc, restart=True)
                        vmerge(tc, restart=False)
                        merged += 1
                current[col] = (tc, span, header)
                col += span
            above = current
    return merged


_JINJA_HINTS = (
    ("unexpected end of template", "有 for / if 标记没有对应的 endfor / endif"),
    ("expected token", "标记没有正确结束（缺少 }} 或 %}，或其中有多余的字符）"),
    ("unexpected", "标记中有无法识别的内容"),
    ("unknown tag", "使用了不存在的标记"),
    ("encountered unknown tag", "使用了不存在的标记"),
    ("is undefined", "引用了不存在的数据项"),
)


def _jinja_detail(e) -> str:
    raw = str(getattr(e, "message", None) or e)
    hint = next((zh for en, zh in _JINJA_HINTS if en in raw.lower()), "标记无法识别")
    return f"{hint}（{raw}）"


def render(results: Sequence, template: Path | None = None) -> bytes:
    """The report as .docx bytes. Raises UnusableInput for a template that cannot be used."""
    from io import BytesIO

    from jinja2 import TemplateError

    tpl = _load_template(template)
    name = Path(template).name if template else L.REPORT_TEMPLATE_NAME
    try:
        tpl.render(context(results), autoescape=True)
    except TemplateError as e:
        near = ""
        around = [s.strip() for s in (getattr(e, "docx_context", None) or []) if s.strip()]
        if around:
            near = "（附近文字：" + " ".join(around)[:80] + "）"
        raise UnusableInput([problem("report_template_syntax", file=str(template or ""), path=name,
                                     detail=_jinja_detail(e), near=near)]) from None
    merge_dittos(tpl.docx)
    buf = BytesIO()
    tpl.save(buf)
    return buf.getvalue()


# --- files --------------------------------------------------------------------------

def default_output(files: Sequence[Path]) -> Path:
    first = Path(files[0])
    if len(files) == 1:
        return first.with_name(first.stem + L.REPORT_SUFFIX + ".docx")
    return first.with_name(L.REPORT_MULTI_STEM.format(n=len(files)) + ".docx")


@dataclass
class Written:
    output: Path
    backup: Path | None = None
    problems: list[Problem] = field(default_factory=list)


def check_output(output: Path) -> None:
    if output.suffix.lower() != ".docx":
        raise UnusableInput([problem("report_output_suffix", file=str(output), path=output.name)])


def write_report(results: Sequence, output: Path, template: Path | None = None) -> Written:
    """Render and write atomically; an existing file is backed up first, never overwritten bare."""
    import os

    from perfxl.io.files import atomic_write_bytes, backup, lock_file

    output = Path(output)
    check_output(output)
    lock = lock_file(output)
    if lock is not None:
        raise UnusableInput([problem("report_output_locked", file=str(output), path=output.name, lock=lock.name)])
    if output.exists() and not os.access(output, os.W_OK):
        raise UnusableInput([problem("report_output_readonly", file=str(output), path=output.name)])
    data = render(results, template)           # template problems surface before anything is touched
    saved = backup(output) if output.exists() else None
    atomic_write_bytes(output, lambda fh: fh.write(data))
    extra = []
    if saved is not None:
        extra.append(problem("output_exists_backup", file=str(output), backup=saved.name))
    return Written(output, saved, extra)


def expand_summaries(files: Sequence[Path]) -> tuple[list[Path], list]:
    """A consolidated summary workbook (perfxl consolidate) stands for the workbooks it included:
    its 汇总 sheet lists them. Returns the workbooks to report on and problems for missing ones."""
    from perfxl.io.read import read_book

    out: list[Path] = []
    missing = []
    for f in files:
        f = Path(f)
        try:
            book = read_book(f, sheets=[L.SHEET_CONS_SUMMARY])
        except UnusableInput:
            out.append(f)          # not readable here: run() reports it with the usual message
            continue
        grid = book.sheets.get(L.SHEET_CONS_SUMMARY)
        header = next((i for i, row in enumerate(grid.rows[:10]) if L.CONS_HEADERS["files"] in row), None) \
            if grid is not None and L.SHEET_INDICATORS not in book.sheet_names else None
        if header is None:
            out.append(f)
            continue
        col = grid.rows[header].index(L.CONS_HEADERS["files"])
        for r, row in enumerate(grid.rows[header + 1:], start=header + 2):
            cell = row[col] if col < len(row) else None
            for name in str(cell or "").splitlines():
                path = Path(name.strip())
                if not name.strip():
                    continue
                if not path.is_absolute():
                    path = f.parent / path
                if path.exists():
                    out.append(path)
                else:
                    missing.append(problem("report_summary_file_missing", file=str(f), sheet=L.SHEET_CONS_SUMMARY,
                                           cell=f"{chr(65 + col)}{r}", path=str(path)))
    return out, missing


def load_results(files: Sequence[Path], password: str | None = None) -> list:
    """Score every workbook (the same pipeline as perfxl score); all unusable inputs reported together.
    A consolidated summary workbook stands for the workbooks it lists (one section each)."""
    from perfxl.score.pipeline import run

    files, missing = expand_summaries(files)
    results, unusable = [], list(missing)
    for f in files:
        try:
            results.append(run(f, password=password))
        except UnusableInput as e:
            unusable.extend(e.problems)
    if unusable:
        raise UnusableInput(unusable)
    return results


def summary_dict(results: Sequence, written: Written | None, template: Path | None = None) -> dict:
    """The --json shape of a report run."""
    units = []
    for r in results:
        errors = sum(p.severity == ERROR for p in r.problems)
        units.append({
            "file": str(r.checked.evaluation.path), "unit": text(r.info.get("unit")) or None,
            "year": r.info.get("year"), "kind": text(r.info.get("kind")) or None,
            "total": r.total, "grade": r.grade, "complete": r.complete,
            "indicators": len(r.indicators), "deductions": len(deduction_rows(r)), "deviations": len(r.deviations),
            "errors": errors, "warnings": sum(p.severity == "warning" for p in r.problems),
            "basic": len(_basic_rows(r)), "figures": len(_figure_rows(r))})
    problems = [p.to_dict() for r in results for p in r.problems]
    if written:
        problems += [p.to_dict() for p in written.problems]
    return {"output": str(written.output) if written else None,
            "backup": str(written.backup) if written and written.backup else None,
            "template": str(template) if template else None,
            "units": units, "problems": problems}
