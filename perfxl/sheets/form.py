"""Draw an official self-evaluation form (项目支出/部门整体支出绩效自评表) as a new workbook: empty
from a framework (perfxl template), or filled from a scored evaluation (perfxl report --form)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from openpyxl.utils import get_column_letter

from perfxl.model import layout as L
from perfxl.sheets import styles as S

WIDTH = 1 + len(L.FORM_INDICATOR_COLUMNS)          # the 绩效指标 label column, then the indicator table
AMOUNT, SCORE, RATE = "#,##0.00", "0.00", "0.00%"


@dataclass
class FormData:
    spec: L.FormSpec
    info: dict = field(default_factory=dict)
    funds: dict[str, dict[str, object]] = field(default_factory=dict)   # 资金来源 key -> column key -> value
    goals: tuple[object, object] = (None, None)                          # 预期目标, 实际完成情况
    #: level1, level2, name, target, actual, weight, score, note
    rows: list[dict] = field(default_factory=list)
    total: float | None = None
    grade: str | None = None
    blank_rows: int = 0


def _merge(ws, row: int, first: int, last: int, value=None, *, style: str = "plain", fmt: str | None = None,
           rows: int = 1):
    cell = S.put(ws, row, first, value, style=style, fmt=fmt)
    for r in range(row, row + rows):
        for c in range(first, last + 1):
            if (r, c) != (row, first):
                S.put(ws, r, c, None, style=style)
    if last > first or rows > 1:
        ws.merge_cells(start_row=row, start_column=first, end_row=row + rows - 1, end_column=last)
    return cell


def draw_form(ws, data: FormData) -> None:
    spec = data.spec
    filled = data.total is not None or any(r.get("score") is not None for r in data.rows)
    entry = "plain" if filled else "input"
    title = _merge(ws, 1, 1, WIDTH, spec.title)
    title.font, title.alignment = S.TITLE_FONT, S.CENTER
    year = data.info.get("year")
    _merge(ws, 2, 1, WIDTH, L.FORM_YEAR.format(year=year if year else "\u3000\u3000\u3000\u3000")).alignment = S.CENTER
    r = 3
    pairs = list(spec.header)
    for i in range(0, len(pairs), 2):
        for j, (key, label) in enumerate(pairs[i:i + 2]):
            first = 1 + j * 4
            S.put(ws, r, first, label, style="plain").font = S.BOLD
            _merge(ws, r, first + 1, first + 3 + (WIDTH - 8 if j else 0), data.info.get(key), style=entry)
        if len(pairs[i:i + 2]) == 1:
            _merge(ws, r, 5, WIDTH, None, style="plain")
        r += 1
    # 资金 block
    n = len(L.FORM_FUND_ROWS)
    _merge(ws, r, 1, 1, spec.funds_label, rows=n + 1).font = S.BOLD
    _merge(ws, r, 2, 3, None, style="header")
    for j, (_, header) in enumerate(L.FORM_FUND_COLUMNS):
        S.put(ws, r, 4 + j, header, style="header")
    for i, (key, label) in enumerate(L.FORM_FUND_ROWS):
        rr = r + 1 + i
        _merge(ws, rr, 2, 3, label)
        values = data.funds.get(key, {})
        for j, (col, _) in enumerate(L.FORM_FUND_COLUMNS):
            value = values.get(col)
            if col in ("weight", "rate", "score"):
                if key != "total":
                    S.put(ws, rr, 4 + j, "—", style="plain").alignment = S.CENTER
                    continue
                style = entry if col == "weight" else "computed"
                fmt = SCORE if col != "rate" else RATE
            else:
                style, fmt = entry, AMOUNT
            S.put(ws, rr, 4 + j, value, style=style, fmt=fmt)
    r += n + 1
    # 年度总体目标
    _merge(ws, r, 1, 1, L.FORM_GOALS[0], rows=2).font = S.BOLD
    _merge(ws, r, 2, 5, L.FORM_GOALS[1], style="header")
    _merge(ws, r, 6, WIDTH, L.FORM_GOALS[2], style="header")
    _merge(ws, r + 1, 2, 5, data.goals[0], style=entry)
    _merge(ws, r + 1, 6, WIDTH, data.goals[1], style=entry)
    ws.row_dimensions[r + 1].height = 90
    r += 2
    # the indicator table
    header_row = r
    for j, (_, header) in enumerate(L.FORM_INDICATOR_COLUMNS):
        S.put(ws, r, 2 + j, header, style="header")
    body = [*data.rows, *({} for _ in range(data.blank_rows))]
    for i, row in enumerate(body):
        rr = r + 1 + i
        for j, (key, _) in enumerate(L.FORM_INDICATOR_COLUMNS):
            fmt = row.get("_formats", {}).get(key) or (SCORE if key in ("weight", "score") else None)
            style = "computed" if key == "score" and filled else entry
            if key == "score" and not filled:
                style = "input"                  # the evaluator's score of a qualitative indicator
            S.put(ws, rr, 2 + j, row.get(key), style=style, fmt=fmt)
    last = r + len(body)
    _merge(ws, header_row, 1, 1, L.FORM_INDICATORS_LABEL, rows=last - header_row + 1).font = S.BOLD
    _merge_runs(ws, header_row + 1, header_row + len(data.rows))
    r = last + 1
    weights = sum(float(x["weight"]) for x in data.rows if isinstance(x.get("weight"), (int, float)))
    weights += float(data.funds.get("total", {}).get("weight") or 0)
    score_col = 2 + [k for k, _ in L.FORM_INDICATOR_COLUMNS].index("score")
    _merge(ws, r, 1, score_col - 2, L.FORM_TOTAL).font = S.BOLD
    S.put(ws, r, score_col - 1, weights or None, style="plain", fmt=SCORE)
    S.put(ws, r, score_col, data.total, style="computed", fmt=SCORE)
    _merge(ws, r, score_col + 1, WIDTH, None)
    _merge(ws, r + 1, 1, score_col - 1, L.FORM_GRADE).font = S.BOLD
    S.put(ws, r + 1, score_col, data.grade, style="computed")
    _merge(ws, r + 1, score_col + 1, WIDTH, None)
    note = _merge(ws, r + 3, 1, WIDTH, L.FORM_NOTE, style="plain")
    note.alignment = S.WRAP
    for j, w in enumerate((10, *L.FORM_WIDTHS), start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    S.fit_rows(ws, [*range(header_row + 1, last + 1)])
    ws.row_dimensions[r + 3].height = 60
    S.print_setup(ws, landscape=False, title_rows=f"{header_row}:{header_row}", unit=data.info.get("unit"))


def _merge_runs(ws, first: int, last: int) -> None:
    """一级/二级 cells merged down over the rows of one indicator (as the printed forms show them)."""
    for col in (2, 3):
        start = first
        for r in range(first + 1, last + 2):
            value = ws.cell(row=r, column=col).value if r <= last else object()
            if value is not None or r > last:
                if r - 1 > start and ws.cell(row=start, column=col).value is not None:
                    ws.merge_cells(start_row=start, start_column=col, end_row=r - 1, end_column=col)
                start = r


def form_workbook(data: FormData):
    from openpyxl import Workbook

    wb = Workbook()
    S.declare_fonts(wb)
    ws = wb.active
    ws.title = data.spec.title
    draw_form(ws, data)
    wb.properties.creator = "perfxl"
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    return wb


def framework_form(meta: dict, blank_rows: int = 5) -> FormData:
    """An empty form from a framework's rows: its 预算执行率 (数据来源 支出预算执行率) scores the 资金 block."""
    from perfxl.model.evaluation import shown_level

    spec = L.FORMS[meta["form"]]
    funds, rows = {}, []
    for row in meta["rows"]:
        if row.get("source") == L.FORM_EXECUTION_SOURCE:
            funds["total"] = {"weight": row.get("weight")}
            continue
        rows.append({"level1": shown_level(row["level1"]) if row.get("level1") else None,
                     "level2": shown_level(row["level2"]) if row.get("level2") else None,
                     "name": row.get("name"), "target": row.get("target"), "weight": row.get("weight"),
                     "_formats": row.get("_formats", {})})
    return FormData(spec, {"kind": spec.title}, funds, rows=rows, blank_rows=blank_rows)


def find_spec(name: str) -> L.FormSpec | None:
    """A form by its title or one of its short names, matched tolerantly."""
    from perfxl.model.text import normalize

    key = normalize(name)
    for spec in L.FORMS.values():
        if key in {normalize(x) for x in (spec.title, *L.FORM_NAMES[spec.key])}:
            return spec
    return None


def _shown(raw, parsed):
    """What a form shows for a target or an actual value: the text as typed, a percentage as one."""
    if raw is None or isinstance(raw, str):
        return raw
    quantity = getattr(parsed, "quantity", parsed)
    if isinstance(raw, (int, float)) and getattr(quantity, "is_percent", False):
        return f"{raw * 100:.2f}".rstrip("0").rstrip(".") + "%"
    return raw


def scored_form(result, spec: L.FormSpec) -> FormData:
    """A scored evaluation (any layout) as a filled form: the 支出预算执行率 indicator in the 资金 block,
    every other 三级指标 in the table with its target, actual value, points and score."""
    from perfxl.model.text import normalize

    checked = result.checked
    info = {k: v for k, v in result.info.items() if v is not None}
    basic = checked.basic or {}
    funds = {"total": {k: basic.get(k) for k in ("budget_initial", "budget_adjusted", "spent_total")}}
    execution = {normalize(L.BUDGET_EXECUTION), normalize(L.BUDGET_EXECUTION_SHORT)}
    rows = []
    for res in result.indicators:
        ind = res.indicator
        source = normalize(str(ind.raw.get("source") or ""))
        if source in execution and "weight" not in funds["total"]:
            fig = checked.figures.get(L.BUDGET_EXECUTION)
            funds["total"].update(weight=ind.weight, score=res.score, rate=getattr(fig, "value", None))
            continue
        actual = ind.raw.get("actual")
        if actual is None and getattr(ind.actual, "is_percent", False):       # from a 数据来源
            actual = ind.actual.value
        rows.append({"level1": ind.level1, "level2": ind.level2, "name": ind.name,
                     "target": _shown(ind.raw.get("target"), ind.target), "actual": _shown(actual, ind.actual),
                     "weight": ind.weight, "score": res.score, "note": ind.note or None})
    return FormData(spec, info, funds, rows=rows, total=result.total, grade=result.grade)
