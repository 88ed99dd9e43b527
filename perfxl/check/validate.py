"""Validate a modelled evaluation: pandera schemas per sheet (lazy, every failure kept),
then cross-sheet checks and rule parsing. Produces typed indicators and a problem list."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from perfxl.check.problems import ERROR, Problem, problem
from perfxl.io.read import CellMark
from perfxl.model import layout as L
from perfxl.model.evaluation import Evaluation
from perfxl.model.text import fold, text_of
from perfxl.model.values import (
    Quantity,
    Target,
    Unparsed,
    excel_serial,
    fmt_num,
    fmt_pct,
    is_blank,
    is_date,
    parse_number,
    parse_target,
    round2,
    show_date,
)
from perfxl.rules import RuleError, RuleKind, lookup, names


@dataclass
class Indicator:
    row: int
    code: str
    level1: str
    level2: str
    name: str
    weight: float | None
    criterion: str = ""
    kind: RuleKind | None = None
    params: Any = None
    target: Target | None = None
    actual: Any = None
    evaluator_score: float | None = None
    note: str = ""
    rule_ready: bool = False          # params, target and actual all usable
    source_text: str = ""             # how a 数据来源 value was derived (formula with numbers)
    raw: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.kind.name if self.kind else str(self.raw.get("method") or "")


@dataclass
class Checked:
    evaluation: Evaluation
    indicators: list[Indicator]
    grades: list[tuple[str, float]]
    problems: list[Problem]
    basic: dict[str, float | None] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)        # name -> figures.FigureValue
    survey: Any = None                                           # survey.SurveyResult

    @property
    def has_errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)


def _H(key: str) -> str:
    """The 指标评分 header of a column key."""
    return L.COLUMNS_BY_KEY[key].header


# pandera check name -> catalogue code
_CHECK_CODES = {"not_nullable": "required", "field_uniqueness": "duplicate_code"}


_text = text_of


def _failures(frame, schema, *, unique_code: str = "duplicate_code") -> list[tuple[Any, str, str, Any, dict]]:
    """Run ``schema`` once, lazily, over ``frame``: every failure as (index, column key, catalogue
    code, the value to quote, extra placeholders)."""
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
        return []
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    out = []
    for rec in cases.itertuples(index=False):
        key, check, idx, value = rec.column, str(rec.check), rec.index, rec.failure_case
        if idx is None or key is None:
            continue
        code = _CHECK_CODES.get(check, check)
        if code == "duplicate_code":
            if rec.schema_context == "DataFrameSchema" and key != "code":
                continue            # the per-workbook uniqueness check reports every column of the row
            code = unique_code
        original = frame.at[idx, key]
        if isinstance(original, Unparsed):
            original = value = original.raw
        if code == "cell_mark":
            code = "cell_error_value" if original.kind == "error" else "formula_no_cache"
            value = original.text
        extra = {}
        if code == "not_number" and is_date(original):
            code, value, extra = "date_not_number", show_date(original), _date_extra(original)
        if code == "method_unknown":
            extra["choices"] = "、".join(names())
        if code == "info_kind":
            extra["choices"] = "、".join(L.EVALUATION_TYPES)
        out.append((idx, key, code, value if value is not None else original, extra))
    return out


def _pandera_problems(frame, schema, where, headers: dict[str, str], file: str,
                      sheet: str, *, unique_code: str = "duplicate_code") -> tuple[list[Problem], set]:
    out: list[Problem] = []
    bad: set[tuple[Any, str]] = set()
    for idx, key, code, value, extra in _failures(frame, schema, unique_code=unique_code):
        out.append(problem(code, file=file, sheet=sheet, cell=where(idx, key), column=headers.get(key, key),
                           value=_text(value), **extra))
        bad.add((idx, key))
    return out, bad


def _cross_levels(ev: Evaluation, file: str, inds: list[Indicator]) -> list[Problem]:
    out: list[Problem] = []
    sheet = ev.table.sheet
    for ind in inds:
        for key in ("level1", "level2"):
            label = L.COLUMNS_BY_KEY[key].header
            if not getattr(ind, key):
                out.append(problem("level_missing", file=file, sheet=sheet, cell=ev.cell(ind.row, key), column=label))
    if any(i.weight is None for i in inds):
        return out      # sums are meaningless while a weight is missing
    sums1: dict[str, float] = {}
    sums2: dict[tuple[str, str], float] = {}
    for i in inds:
        sums1[i.level1] = sums1.get(i.level1, 0.0) + i.weight
        sums2[(i.level1, i.level2)] = sums2.get((i.level1, i.level2), 0.0) + i.weight
    for key, lvl in ev.levels2.items():
        total = round2(sums2.get(key, 0.0))
        if lvl.declared is not None and abs(total - lvl.declared) > 1e-6:
            out.append(problem("level_sum", file=file, sheet=sheet, cell=lvl.cell, column=_H("level2"),
                               level=_H("level2"), name=lvl.name, total=fmt_num(total), declared=fmt_num(lvl.declared)))
    for name, lvl in ev.levels1.items():
        total = round2(sums1.get(name, 0.0))
        if lvl.declared is not None and abs(total - lvl.declared) > 1e-6:
            out.append(problem("level_sum", file=file, sheet=sheet, cell=lvl.cell, column=_H("level1"),
                               level=_H("level1"), name=lvl.name, total=fmt_num(total), declared=fmt_num(lvl.declared)))
    grand = round2(sum(sums1.values()))
    if inds and abs(grand - 100) > 1e-6:
        col = ev.table.columns["weight"]
        from perfxl.model.cells import cell_ref
        rng = f"{cell_ref(inds[0].row, col)}:{cell_ref(inds[-1].row, col)}"
        out.append(problem("total_not_100", file=file, sheet=sheet, cell=rng, column=_H("weight"),
                           total=fmt_num(grand)))
    return out


@lru_cache(maxsize=4096)
def _target(raw) -> Target:
    """Targets and parameters repeat across the workbooks of a collection: parse each text once."""
    return parse_target(raw)


@lru_cache(maxsize=4096)
def _params(kind: RuleKind, text: str, target: Target | None):
    return kind.parse_params(text, target)


def _parse_rule(ev: Evaluation, ind: Indicator, bad: set, file: str,
                sources: dict[str, tuple[float, str]], system: bool = False) -> list[Problem]:
    """Resolve kind, target, params and actual for one row; problems go to their cells."""
    sheet, row, raw = ev.table.sheet, ind.row, ind.raw
    out: list[Problem] = []

    def at(key: str, code: str, **kw) -> None:
        col = L.COLUMNS_BY_KEY[key].header
        out.append(problem(code, file=file, sheet=sheet, cell=ev.cell(row, key), column=col,
                           value=_text(raw.get(key)), **kw))

    def dated(key: str) -> bool:
        """A date where a number belongs: reported as such (not as an unreadable value)."""
        if not is_date(raw.get(key)):
            return False
        col = L.COLUMNS_BY_KEY[key].header
        out.append(problem("date_not_number", file=file, sheet=sheet, cell=ev.cell(row, key), column=col,
                           value=show_date(raw[key]), **_date_extra(raw[key])))
        return True

    if (row, "method") in bad or raw.get("method") is None:
        return out
    kind = lookup(raw["method"])
    ind.kind = kind
    if kind is None:
        return out
    m = dict(method=kind.name, syntax=kind.syntax, hint=kind.actual_hint)
    target = None
    if (row, "target") not in bad:
        if dated("target"):
            return out
        if is_blank(raw.get("target")):
            if kind.needs_target:
                at("target", "target_missing", **m)
                return out
        else:
            try:
                target = _target(raw["target"])
            except ValueError as e:
                at("target", "target_invalid", detail=str(e))
                return out
    else:
        return out
    ind.target = target
    if (row, "params") in bad:
        return out
    params_text = _text(raw.get("params"))
    if kind.needs_params and not params_text:
        if "params" in ev.table.columns:
            at("params", "params_missing", **m)
        else:
            out.append(problem("header_missing", file=file, sheet=sheet, cell=f"{ev.table.header_row}:{ev.table.header_row}",
                               row=ev.table.header_row, header=_H("params"),
                               aliases="、".join((_H("params"), *L.COLUMNS_BY_KEY["params"].aliases))))
        return out
    try:
        params = _params(kind, params_text, target)
    except RuleError as e:
        at("target" if e.where == "target" else "params",
           "target_invalid" if e.where == "target" else "params_invalid", detail=e.message, **m)
        return out
    ind.params = params
    for w in getattr(params, "warnings", ()):
        at("params", "params_warning", detail=w)
    if system:
        return out
    actual_raw = raw.get("actual")
    if not is_blank(raw.get("source")):
        derived = sources.get(_text(raw["source"]))
        if derived is None:               # a problem was already reported at the source cell
            return out
        value, ind.source_text = derived
        if not is_blank(actual_raw):
            at("actual", "source_and_actual", source=_text(raw["source"]))
        if target is not None and not target.quantity.is_percent:
            at("target", "source_not_percent", source=_text(raw["source"]))
            return out
        actual_raw = Quantity(value, "%")
    elif (row, "actual") in bad or dated("actual"):
        return out
    elif is_blank(actual_raw):
        at("actual", "actual_missing", **m)
        return out
    try:
        ind.actual = kind.parse_actual(actual_raw, target, params)
    except RuleError as e:
        key = {"params": "params", "target": "target"}.get(e.where, "actual")
        code = {"params": "params_invalid", "target": "target_invalid"}.get(e.where, "actual_invalid")
        at(key, code, detail=e.message, **m)
        return out
    ind.rule_ready = True
    return out


def _grades(ev: Evaluation, file: str) -> tuple[list[tuple[str, float]], list[Problem]]:
    import pandas as pd

    if not ev.grade_rows:
        return list(L.DEFAULT_GRADES), []
    if [(lbl, mn) for lbl, mn, _ in ev.grade_rows] == [(lbl, mn) for lbl, mn in L.DEFAULT_GRADES]:
        return list(L.DEFAULT_GRADES), []        # the template's own table, known to be valid
    sheet = ev.info_sheet or L.SHEET_INFO
    frame = pd.DataFrame([(lbl, mn) for lbl, mn, _ in ev.grade_rows], columns=["label", "min"],
                         index=[r for *_, r in ev.grade_rows], dtype=object)
    frame = frame.where(frame.notna(), None)
    from perfxl.check.schemas import grade_schema

    probs, bad = _pandera_problems(frame, grade_schema(), lambda r, k: f"{'A' if k == 'label' else 'B'}{r}",
                                   dict(zip(("label", "min"), L.GRADE_HEADER)), file, sheet, unique_code="grade_duplicate")
    if probs:
        return list(L.DEFAULT_GRADES), probs
    grades = [(str(lbl).strip(), parse_number(mn)) for lbl, mn, _ in ev.grade_rows]
    mins = [m for _, m in grades]
    detail = None
    if any(a <= b for a, b in zip(mins, mins[1:])):
        detail = "最低分必须从上到下严格递减"
    elif mins[-1] != 0:
        detail = "最后一级的最低分应为 0，否则低分无等级可评"
    if detail:
        first, last = ev.grade_rows[0][2], ev.grade_rows[-1][2]
        return list(L.DEFAULT_GRADES), [problem("grade_invalid", file=file, sheet=sheet,
                                                cell=f"A{first}:B{last}", detail=detail)]
    return grades, []


_INFO_KEYS = ("unit", "year", "credit_code", "kind", "date")


def _info_many(evs: list[Evaluation]) -> list[list[Problem]]:
    """基本信息 of a chunk: one pandera call per set of fields present; the template version."""
    import pandas as pd

    from perfxl.check.schemas import info_schema

    out: list[list[Problem]] = [[] for _ in evs]
    groups: dict[tuple, list[int]] = {}
    for i, ev in enumerate(evs):
        if ev.info_sheet is None:
            continue
        keys = tuple(k for k in _INFO_KEYS if k in ev.info_cells)
        if keys:
            groups.setdefault(keys, []).append(i)
    for keys, members in groups.items():
        frame = pd.DataFrame([[evs[i].info.get(k) for k in keys] for i in members], columns=list(keys), dtype=object)
        frame = frame.where(frame.notna(), None)
        labels = {k: L.INFO_BY_KEY[k].label for k in keys}
        for idx, key, code, value, extra in _failures(frame, info_schema(keys)):
            ev = evs[members[idx]]
            out[members[idx]].append(problem(code, file=str(ev.path), sheet=ev.info_sheet, cell=ev.info_cells[key],
                                             column=labels.get(key, key), value=_text(value), **extra))
    for i, ev in enumerate(evs):
        version = ev.info.get("template_version") if ev.info_sheet is not None else None
        if version is not None and _text(version) != L.TEMPLATE_VERSION:
            out[i].append(problem("template_version", file=str(ev.path), sheet=ev.info_sheet,
                                  cell=ev.info_cells.get("template_version", ""), found=_text(version),
                                  current=L.TEMPLATE_VERSION))
    return out


def validate(ev: Evaluation, *, system: bool = False) -> Checked:
    """``system``: check an indicator list (structure, rules, sources) without evaluation data."""
    return validate_many([ev], system=system)[0]


def validate_many(evs: list[Evaluation], *, system: bool = False) -> list[Checked]:
    """Validate a chunk of workbooks: their indicator tables in one frame (one pandera call per
    schema and column set), failures mapped back to each workbook's sheet and cell; then each
    workbook's own checks. A workbook validated alone is a chunk of one: the same code."""
    tables = _tables(evs)
    infos = [[] for _ in evs] if system else _info_many(evs)
    return [_validate_one(ev, rows, records, probs, bad, info_probs, system)
            for ev, (rows, records, probs, bad), info_probs in zip(evs, tables, infos)]


#: indicator columns that hold numbers: parsed once, before validation (values.to_number)
NUMBER_KEYS = ("weight", "evaluator_score")


def _tables(evs: list[Evaluation]) -> list[tuple[list[int], list[dict], list[Problem], set]]:
    """Per workbook: Excel rows, typed row records, schema problems and the (row, key) cells that
    failed. Workbooks with the same columns are validated in one frame."""
    import pandas as pd

    from perfxl.check.schemas import FILE_KEY, indicator_schema
    from perfxl.model.values import to_number

    headers = {c.key: c.header for c in L.INDICATOR_COLUMNS}
    out: list = [None] * len(evs)
    groups: dict[tuple, list[int]] = {}
    for i, ev in enumerate(evs):
        groups.setdefault((tuple(ev.frame.columns), bool(ev.marks)), []).append(i)
    for (keys, marks), members in groups.items():
        columns: dict[str, list] = {k: [] for k in keys}
        owner: list[int] = []
        rows: list[int] = []
        for i in members:
            frame = evs[i].frame
            for k in keys:
                values = frame[k].tolist()
                if k in NUMBER_KEYS:
                    values = [v if isinstance(v, CellMark) else to_number(v) for v in values]
                columns[k] += values
            owner += [i] * len(frame)
            rows += frame.index.tolist()
        big = pd.DataFrame(columns, columns=list(keys), dtype=object)
        big[FILE_KEY] = owner
        found: dict[int, tuple[list, set]] = {i: ([], set()) for i in members}
        for idx, key, code, value, extra in _failures(big, indicator_schema(keys, marks)):
            i, row = owner[idx], rows[idx]
            ev = evs[i]
            probs, bad = found[i]
            probs.append(problem(code, file=str(ev.path), sheet=ev.table.sheet, cell=ev.cell(row, key),
                                 column=headers.get(key, key), value=_text(value), **extra))
            bad.add((row, key))
        at = 0
        for i in members:
            n = len(evs[i].frame)
            records = [dict(zip(keys, values)) for values in zip(*(columns[k][at:at + n] for k in keys))]
            out[i] = (rows[at:at + n], records, *found[i])
            at += n
    return out


def _validate_one(ev: Evaluation, rows: list[int], records: list[dict], table_problems: list[Problem],
                  bad: set, info_problems: list[Problem], system: bool) -> Checked:
    file = str(ev.path)
    problems = list(ev.problems) + table_problems
    if not records:
        problems.append(problem("no_indicators", file=file, sheet=ev.table.sheet,
                                cell=f"A{ev.table.header_row + 1}"))

    basic, zero_rule, basic_problems = _basic(ev, file)
    problems += basic_problems
    cells = [(row, rec.get("source")) for row, rec in zip(rows, records)] if "source" in ev.frame.columns else []
    sources, figures, survey, source_problems = _sources(ev, cells, bad, basic, zero_rule, file, system)
    problems += source_problems
    indicators: list[Indicator] = []
    for row, rec in zip(rows, records):
        weight = rec.get("weight") if isinstance(rec.get("weight"), float) else None
        ev_score = rec.get("evaluator_score") if isinstance(rec.get("evaluator_score"), float) else None
        ind = Indicator(
            row=row, code=_text(rec.get("code")), level1=_text(rec.get("level1")), level2=_text(rec.get("level2")),
            name=_text(rec.get("name")), weight=weight, criterion=_text(rec.get("criterion")),
            evaluator_score=ev_score, note=_text(rec.get("note")), raw=rec)
        problems += _parse_rule(ev, ind, bad, file, sources, system)
        if ev_score is not None and weight is not None and not (0 <= ev_score <= weight + 1e-9):
            problems.append(problem("score_out_of_range", file=file, sheet=ev.table.sheet,
                                    cell=ev.cell(row, "evaluator_score"), column=_H("evaluator_score"),
                                    value=fmt_num(ev_score), weight=fmt_num(weight)))
            ind.evaluator_score = None
        if ind.kind is not None and ind.kind.needs_note and not ind.note and not system:
            col = "note" if "note" in ev.table.columns else "actual"
            problems.append(problem("note_required_judgement", file=file, sheet=ev.table.sheet,
                                    cell=ev.cell(row, col), column=_H("note")))
        indicators.append(ind)

    problems += _cross_levels(ev, file, indicators)
    grades, grade_problems = _grades(ev, file)
    if not system:
        problems += grade_problems + info_problems
    return Checked(ev, indicators, grades, sort_problems(problems, ev), basic, figures, survey)


def _basic(ev: Evaluation, file: str) -> tuple[dict[str, float | None], str, list[Problem]]:
    out: dict[str, float | None] = {}
    probs: list[Problem] = []
    for key, raw in ev.basic_raw.items():
        label = L.BASIC_BY_KEY[key].label
        if isinstance(raw, CellMark):
            probs.append(problem("cell_error_value" if raw.kind == "error" else "formula_no_cache", file=file,
                                 sheet=ev.basic_sheet, cell=ev.basic_cells[key], column=label, value=raw.text))
            out[key] = None
            continue
        if is_blank(raw):
            out[key] = None
            continue
        if is_date(raw):
            probs.append(problem("date_not_number", file=file, sheet=ev.basic_sheet, cell=ev.basic_cells[key],
                                 column=label, value=show_date(raw), **_date_extra(raw)))
            out[key] = None
            continue
        try:
            out[key] = parse_number(raw)
        except ValueError:
            probs.append(problem("basic_not_number", file=file, sheet=ev.basic_sheet, cell=ev.basic_cells[key],
                                 column=label, value=_text(raw)))
            out[key] = None
    rule = L.ZERO_OVER_ZERO_CHOICES[L.ZERO_OVER_ZERO_DEFAULT]
    if ev.zero_rule is not None and not is_blank(ev.zero_rule[0]):
        choice = L.ZERO_OVER_ZERO_CHOICES.get(_text(ev.zero_rule[0]))
        if choice is None:
            probs.append(problem("zero_rule_invalid", file=file, sheet=ev.basic_sheet, cell=ev.zero_rule[1],
                                 column=L.ZERO_OVER_ZERO_LABEL, value=_text(ev.zero_rule[0]),
                                 choices="、".join(L.ZERO_OVER_ZERO_CHOICES)))
        else:
            rule = choice
    return out, rule, probs


def _sources(ev: Evaluation, cells: list[tuple[int, Any]], bad: set, basic: dict, zero_rule: str, file: str,
             system: bool = False):
    """Resolve every 数据来源 once (``cells``: (Excel row, value) of the column): derived figures and
    questionnaire sets -> (value, text)."""
    from perfxl.score import figures as F

    sheet = ev.table.sheet
    resolved: dict[str, tuple[float, str]] = {}
    probs: list[Problem] = []
    values = {f.name: F.compute(f, basic, zero_rule) for f in F.FIGURES}
    wanted: dict[str, list[int]] = {}
    for row, v in cells:
        if not is_blank(v) and (row, "source") not in bad:
            wanted.setdefault(_text(v), []).append(row)
    survey_sets = {}
    for text in wanted:
        kind, name = _survey_ref(text)
        if kind:
            survey_sets.setdefault(name, []).append((text, kind))
    survey = None
    if ev.survey is not None and (ev.survey.has_data or survey_sets):     # an untouched questionnaire is not in use
        from perfxl.survey.stats import analyze

        survey = analyze(ev.survey, set(survey_sets), file)
        probs += survey.problems
    for text, rows in wanted.items():
        def at_rows(code, rows=rows, text=text, **kw):
            for r in rows:
                probs.append(problem(code, file=file, sheet=sheet, cell=ev.cell(r, "source"), column=_H("source"),
                                     value=text, **kw))
        kind, name = _survey_ref(text)
        if system:                      # an indicator list: the names must exist, values come later
            if not kind and F.lookup(text) is None:
                at_rows("source_unknown", figures="、".join(F.names()))
            continue
        if kind:
            if survey is None:
                at_rows("survey_missing")
            elif name not in {s.name for s in ev.survey.sets}:
                at_rows("survey_set_missing", sets="、".join(s.name for s in ev.survey.sets) or "无")
            elif name in survey.sets and survey.sets[name].valid:
                stat = survey.sets[name]
                value = stat.rate if kind == L.SOURCE_SURVEY_RATE else stat.satisfied
                label = L.SURVEY_RATE_LABELS[kind]
                resolved[text] = (value, f"{stat.text()}，取{label}{fmt_pct(value)}")
            elif name in survey.sets:
                at_rows("survey_set_empty")
            continue
        fig = F.lookup(text)
        if fig is None:
            at_rows("source_unknown", figures="、".join(F.names()))
            continue
        fv = values[fig.name]
        if fv.missing:
            cells = "、".join(f"{ev.basic_sheet or L.SHEET_BASIC}!{ev.basic_cells.get(k, '?')}（{L.BASIC_BY_KEY[k].label}）"
                             if k in ev.basic_cells else f"“{L.BASIC_BY_KEY[k].label}”（基础数据页没有这一行）"
                             for k in fv.missing)
            at_rows("figure_missing_input", figure=fig.name, cells=cells)
        elif fv.value is None:
            at_rows("figure_not_computable", figure=fig.name, detail=fv.reason,
                    fix_hint=f"如分子分母均为0，可在“基础数据”页设定“{L.ZERO_OVER_ZERO_LABEL}”")
        else:
            resolved[text] = (fv.value, fv.text)
    figures = {name: fv for name, fv in values.items() if fv.value is not None}
    return resolved, figures, survey, probs


def _survey_ref(text: str) -> tuple[str | None, str]:
    """'问卷:职工满意度' -> ('问卷', '职工满意度'); '问卷满意率:X' -> ('问卷满意率', 'X')."""
    s = fold(text)
    for prefix in (L.SOURCE_SURVEY_SATISFIED, L.SOURCE_SURVEY_RATE):
        if s.startswith(prefix + ":"):
            return prefix, s[len(prefix) + 1:].strip()
    return None, s


def sort_problems(problems: list[Problem], ev: Evaluation | None = None) -> list[Problem]:
    """By file, sheet (in workbook order), row, column, code; duplicates dropped."""
    order = {name: i for i, name in enumerate(ev.sheet_names)} if ev else {}

    def key(p: Problem):
        row, col = (p.at.row, p.at.col) if p.at is not None else (0, 0)
        return (p.file, order.get(p.sheet, -1 if not p.sheet else 99), row, col, p.code)

    seen, out = set(), []
    for p in sorted(problems, key=key):
        ident = (p.file, p.sheet, p.cell, p.code, p.message)
        if ident not in seen:
            seen.add(ident)
            out.append(p)
    return out


def _date_extra(raw) -> dict:
    serial = excel_serial(raw)
    return {"serial": fmt_num(serial, 6) if serial is not None else "?"}
