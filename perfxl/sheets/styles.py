"""openpyxl builders for every sheet perfxl writes. The template and the result writer
both use these, so a sheet looks the same whether it is empty or filled."""
from __future__ import annotations

from collections.abc import Iterable

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from perfxl.model import layout as L
from perfxl.model.text import looks_like_formula
from perfxl.sheets import look
from perfxl.sheets.look import BORDER_COLOR, needed_lines, row_height

THIN = Side(style="thin", color=BORDER_COLOR)
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
FONT = dict(name=look.FONT_NAME, charset=look.FONT_CHARSET, family=2, scheme="minor")
BASE_FONT = Font(size=look.FONT_SIZE, **FONT)
HEADER_FONT = Font(bold=True, color=L.PALETTE.header_font, size=look.FONT_SIZE, **FONT)
TITLE_FONT = Font(bold=True, size=14, **FONT)
BOLD = Font(bold=True, size=look.FONT_SIZE, **FONT)
UNLOCKED = Protection(locked=False)
LOCKED = Protection(locked=True)


_METHOD, _SOURCE = L.COLUMNS_BY_KEY["method"].header, L.COLUMNS_BY_KEY["source"].header

def fill(color: str) -> PatternFill:
    return PatternFill("solid", start_color=color, end_color=color)


INPUT_FILL = fill(L.PALETTE.input)
COMPUTED_FILL = fill(L.PALETTE.computed)
HEADER_FILL = fill(L.PALETTE.header)
PROBLEM_FILL = fill(L.PALETTE.problem)
WARNING_FILL = fill(L.PALETTE.warning)
DEVIATION_FILL = fill(L.PALETTE.deviation)



_STYLES = {
    "header": dict(font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER, border=BORDER),
    "input": dict(font=BASE_FONT, fill=INPUT_FILL, border=BORDER, alignment=WRAP, protection=UNLOCKED),
    "computed": dict(font=BASE_FONT, fill=COMPUTED_FILL, border=BORDER, alignment=WRAP, protection=LOCKED),
    "plain": dict(font=BASE_FONT, border=BORDER, alignment=WRAP),
}
STYLE_NAMES = {"header": "perfxl 表头", "input": "perfxl 填写", "computed": "perfxl 计算", "plain": "perfxl 表格"}


def _named_style(wb, style: str) -> str:
    """Register perfxl's cell styles once per workbook (they show in Excel's style gallery)."""
    name = STYLE_NAMES[style]
    if name not in wb.named_styles:
        from openpyxl.styles import NamedStyle

        wb.add_named_style(NamedStyle(name=name, **_STYLES[style]))
    return name


def put(ws, row: int, col: int, value, *, style: str | None = None, fmt: str | None = None):
    """Write a value as data (text that looks like a formula stays text) and style the cell."""
    c = ws.cell(row=row, column=col)
    c.value = value
    if style:
        c.style = _named_style(ws.parent, style)
    if fmt:
        c.number_format = fmt
    if looks_like_formula(value):
        c.data_type = "s"
        c.quotePrefix = True
    return c


def header_row(ws, row: int, headers: Iterable[str], widths: Iterable[float] | None = None) -> None:
    for j, h in enumerate(headers, start=1):
        put(ws, row, j, h, style="header")
    if widths:
        for j, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(j)].width = w


def fit_rows(ws, rows) -> None:
    """Row heights that show wrapped text (spreadsheets do not grow rows written by a library)."""
    widths = {}
    for row in rows:
        lines = 1
        for cell in ws[row]:
            if isinstance(cell.value, str) and cell.value and cell.data_type != "f" \
                    and not ws.column_dimensions[cell.column_letter].hidden:
                letter = cell.column_letter
                if letter not in widths:
                    widths[letter] = ws.column_dimensions[letter].width or 9
                lines = max(lines, needed_lines(cell.value, widths[letter]))
        ws.row_dimensions[row].height = row_height(lines)


def prose_rows(ws, rows, columns: int, width: float) -> None:
    """Rows of running text (column A) merged across ``columns`` and wrapped, tall enough to print."""
    for r in rows:
        cell = ws.cell(row=r, column=1)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=columns)
        cell.alignment = WRAP
        text = cell.value if isinstance(cell.value, str) else ""
        ws.row_dimensions[r].height = look.LINE_HEIGHT * needed_lines(text, width)


def print_setup(ws, *, landscape: bool = True, title_rows: str | None = "1:1", unit: str | None = None) -> None:
    """The page setup of every sheet perfxl writes (sheets.look): A4, fit to the page width, the header
    row repeated on every printed page, the unit's name above and 第 N 页 共 M 页 below."""
    ws.page_setup.paperSize = look.PAPER_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    for side, inches in look.MARGINS.items():
        setattr(ws.page_margins, side, inches)
    if title_rows:
        ws.print_title_rows = title_rows
    sides = {"L": "left", "C": "center", "R": "right"}
    for item, parts in ((ws.oddHeader, look.header_parts(unit)), (ws.oddFooter, look.footer_parts())):
        for key, side in sides.items():
            getattr(item, side).text = parts.get(key)


def print_every_sheet(wb, unit: str | None = None) -> None:
    """A page setup on every sheet of a new workbook: each sheet's own orientation and title rows kept
    (a visible sheet that has none gets landscape and its first row repeated), the unit's name above."""
    for ws in wb.worksheets:
        had = ws.page_setup.paperSize is not None
        landscape = ws.page_setup.orientation != "portrait" if had else True
        titles = ws.print_title_rows if had or ws.sheet_state != "visible" else "1:1"
        print_setup(ws, landscape=landscape, title_rows=titles, unit=unit)


def declare_fonts(wb) -> None:
    """The workbook's default font (style 0 and 常规/Normal) is the declared Chinese font: call on a new
    workbook before any cell is styled."""
    from openpyxl.utils.indexed_list import IndexedList

    wb._fonts = IndexedList()
    wb._fonts.add(BASE_FONT)


def protect(ws) -> None:
    """Protect computed cells; people may still format, insert/delete rows, sort and filter."""
    p = ws.protection
    p.sheet = True
    p.formatCells = p.formatColumns = p.formatRows = False
    p.insertRows = p.deleteRows = p.sort = p.autoFilter = False


def clear_sheet(wb, name: str, index: int | None = None):
    """Replace sheet ``name`` with an empty one at the same position."""
    if name in wb.sheetnames:
        idx = wb.sheetnames.index(name)
        del wb[name]
        return wb.create_sheet(name, idx)
    return wb.create_sheet(name, index)


# --- 选项 (hidden lists for dropdowns) ---------------------------------------------

def build_lists(wb, method_names: list[str], source_names: list[str]) -> dict[str, int]:
    """The hidden 选项 sheet; returns how many items each list has."""
    ws = clear_sheet(wb, L.SHEET_LISTS)
    lists = {"method": (_METHOD, method_names), "kind": (L.INFO_BY_KEY["kind"].label, list(L.EVALUATION_TYPES)),
             "source": (_SOURCE, source_names)}
    for key, (title, items) in lists.items():
        col = ord(L.LIST_COLUMNS[key]) - 64
        ws.cell(row=1, column=col, value=title)
        for i, item in enumerate(items, start=2):
            ws.cell(row=i, column=col, value=item)
    ws.sheet_state = "hidden"
    protect(ws)
    return {key: len(items) for key, (_, items) in lists.items()}


def list_range(key: str, count: int) -> str:
    col = L.LIST_COLUMNS[key]
    return f"'{L.SHEET_LISTS}'!${col}$2:${col}${count + 1}"


# --- 基本信息 -----------------------------------------------------------------------

def build_info(ws, info: dict, grades: list[tuple[str, float]]) -> None:
    header_row(ws, 1, L.INFO_HEADER, (22, 46, 50))
    put(ws, 1, 3, "填写说明", style="header")
    row = 2
    for f in L.INFO_FIELDS:
        put(ws, row, 1, f.label, style="plain").font = BOLD
        value = L.TEMPLATE_VERSION if f.key == "template_version" else info.get(f.key)
        put(ws, row, 2, value, style="computed" if f.key == "template_version" else "input")
        put(ws, row, 3, f.help).alignment = WRAP
        if f.choices:
            source = list_range("kind", len(f.choices)) if f.key == "kind" else '"' + ",".join(f.choices) + '"'
            dv = DataValidation(type="list", formula1=source, allow_blank=True,
                                showErrorMessage=True, errorTitle=f.label, error="请从下拉列表中选择")
            ws.add_data_validation(dv)
            dv.add(f"B{row}")
        row += 1
    row += 1
    put(ws, row, 1, L.GRADE_HEADER[0], style="header")
    put(ws, row, 2, L.GRADE_HEADER[1], style="header")
    put(ws, row, 3, "等级按最低分从高到低排列；"
                    "默认按财预〔2020〕10号：优≥90，80≤良<90，60≤中<80，差<60").alignment = WRAP
    for label, minimum in grades:
        row += 1
        put(ws, row, 1, label, style="input")
        put(ws, row, 2, minimum, style="input", fmt="General")
    print_setup(ws, landscape=False, title_rows=None)
    protect(ws)


# --- 指标评分 -----------------------------------------------------------------------

def build_indicator_sheet(ws, rows: list[dict], blank_rows: int, counts: dict[str, int]) -> None:
    cols = L.INDICATOR_COLUMNS
    header_row(ws, 1, [c.header for c in cols], [c.width for c in cols])
    for j, c in enumerate(cols, start=1):
        note = c.help or ("由 perfxl 计算，请勿填写" if c.role == L.COMPUTED else "")
        if note:
            ws.cell(row=1, column=j).comment = Comment(note, L.COMMENT_AUTHOR, width=220, height=70)
    total = max(len(rows) + blank_rows, 1)
    for i in range(total):
        r = i + 2
        data = rows[i] if i < len(rows) else {}
        for j, c in enumerate(cols, start=1):
            fmt = data.get("_formats", {}).get(c.key) or c.number_format
            put(ws, r, j, data.get(c.key), style="input" if c.role == L.INPUT else "computed", fmt=fmt)
    last = total + 1
    fit_rows(ws, range(2, len(rows) + 2))
    col = {c.key: get_column_letter(j) for j, c in enumerate(cols, start=1)}
    src = DataValidation(type="list", formula1=list_range("source", counts["source"]), allow_blank=True,
                         showErrorMessage=True, errorStyle="information", errorTitle=_SOURCE,
                         error="不在列表中：可以是“问卷:题组名”，请确认写法（见“说明”页）")
    ws.add_data_validation(src)
    src.add(f"{col['source']}2:{col['source']}{last}")
    dv = DataValidation(type="list", formula1=list_range("method", counts["method"]), allow_blank=True,
                        showErrorMessage=True, errorTitle=_METHOD, error="请从下拉列表中选择计分方法（见“说明”页）",
                        showInputMessage=True, promptTitle=_METHOD, prompt="从列表选择；参数写法见“说明”页")
    ws.add_data_validation(dv)
    dv.add(f"{col['method']}2:{col['method']}{last}")
    for key, title in ((k, L.COLUMNS_BY_KEY[k].header) for k in ("weight", "evaluator_score")):
        num = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                             showErrorMessage=True, errorTitle=title, error=f"{title}应为不小于 0 的数字")
        ws.add_data_validation(num)
        num.add(f"{col[key]}2:{col[key]}{last}")
    ws.freeze_panes = "E2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{last}"
    print_setup(ws)
    protect(ws)


def build_system_sheet(ws, rows: list[dict], counts: dict[str, int]) -> None:
    """The 指标体系 sheet of an indicator list: the indicator columns without evaluation data."""
    cols = [L.COLUMNS_BY_KEY[k] for k in L.SYSTEM_KEYS]
    header_row(ws, 1, [c.header for c in cols], [c.width for c in cols])
    last = max(len(rows), 1) + 20
    for i in range(last - 1):
        data = rows[i] if i < len(rows) else {}
        for j, c in enumerate(cols, start=1):
            fmt = data.get("_formats", {}).get(c.key) or c.number_format
            put(ws, i + 2, j, data.get(c.key), style="input", fmt=fmt)
    fit_rows(ws, range(2, len(rows) + 2))
    letter = {c.key: get_column_letter(j) for j, c in enumerate(cols, start=1)}
    dv = DataValidation(type="list", formula1=list_range("method", counts["method"]), allow_blank=True,
                        showErrorMessage=True, errorTitle=_METHOD, error="请从下拉列表中选择计分方法")
    ws.add_data_validation(dv)
    dv.add(f"{letter['method']}2:{letter['method']}{last}")
    src = DataValidation(type="list", formula1=list_range("source", counts["source"]), allow_blank=True,
                         showErrorMessage=True, errorStyle="information", errorTitle=_SOURCE,
                         error="不在列表中：可以是“问卷:题组名”")
    ws.add_data_validation(src)
    src.add(f"{letter['source']}2:{letter['source']}{last}")
    ws.freeze_panes = "E2"
    print_setup(ws)


# --- 基础数据 ----------------------------------------------------------------------------

def build_basic(ws, values: dict, zero_rule: str = L.ZERO_OVER_ZERO_DEFAULT) -> None:
    from perfxl.score import figures as F

    header_row(ws, 1, L.BASIC_HEADER, (24, 16, 8, 56))
    r = 1
    unit_cells: dict[str, list[str]] = {}
    for f in L.BASIC_FIELDS:
        r += 1
        put(ws, r, 1, f.label, style="plain").font = BOLD
        put(ws, r, 2, values.get(f.key), style="input", fmt="#,##0.00##")
        put(ws, r, 3, values.get(f"{f.key}:unit") or f.unit, style="input")
        put(ws, r, 4, f.help, style="plain")
        unit_cells.setdefault(L.UNITS[f.unit][0], []).append(f"C{r}")
    for kind, cells in unit_cells.items():            # 单位: the units perfxl converts, per kind
        dv = DataValidation(type="list", formula1='"' + ",".join(u for u, (k, _) in L.UNITS.items() if k == kind) + '"',
                            allow_blank=True, showErrorMessage=True, errorTitle=L.BASIC_HEADER[2],
                            error="请从下拉列表中选择：perfxl 按所选单位换算（如 元 与 万元）")
        ws.add_data_validation(dv)
        for cell in cells:
            dv.add(cell)
    r += 2
    put(ws, r, 1, L.ZERO_OVER_ZERO_LABEL, style="plain").font = BOLD
    put(ws, r, 2, zero_rule, style="input")
    put(ws, r, 4, "如“三公”经费预算和实际支出都为0：默认视为100%（与公开报告一致），也可视为0%或报告问题",
        style="plain")
    dv = DataValidation(type="list", formula1='"' + ",".join(L.ZERO_OVER_ZERO_CHOICES) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=L.ZERO_OVER_ZERO_LABEL, error="请从下拉列表中选择")
    ws.add_data_validation(dv)
    dv.add(f"B{r}")
    r += 1
    put(ws, r, 1, L.BUDGET_BASE_LABEL, style="plain").font = BOLD
    put(ws, r, 2, L.BUDGET_BASE_DEFAULT, style="input")
    put(ws, r, 4, "支出预算执行率=决算支出数÷分母：默认调整后预算数（即全年预算数），也可选年初预算数", style="plain")
    bases = [L.BASIC_BY_KEY[k].label for k in L.BUDGET_BASE_KEYS]
    dv = DataValidation(type="list", formula1='"' + ",".join(bases) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=L.BUDGET_BASE_LABEL, error="请从下拉列表中选择")
    ws.add_data_validation(dv)
    dv.add(f"B{r}")
    r += 2
    header_row(ws, r, L.FIGURE_HEADER)
    for fig in F.FIGURES:
        r += 1
        put(ws, r, 1, fig.name, style="plain")
        put(ws, r, 2, fig.formula, style="plain")
        put(ws, r, 3, None, style="computed", fmt="0.00%")
        put(ws, r, 4, None, style="computed")
    print_setup(ws, landscape=False, title_rows=None)
    protect(ws)


# --- 问卷 ---------------------------------------------------------------------------------

def build_survey(ws, questions: list[str], responses: list[list] | None = None, blank_rows: int = 100) -> None:
    """问卷: one row per respondent. Nothing here is computed, so nothing is protected: headers
    may be renamed, columns inserted and thousands of rows (a platform export) pasted."""
    heads = [L.SURVEY_ID_HEADERS[0], L.SURVEY_GROUP_HEADERS[0], *questions]
    header_row(ws, 1, heads, [8, 12, *([16] * len(questions))])
    responses = responses or []
    for i in range(len(responses) + blank_rows):
        row = responses[i] if i < len(responses) else [None] * len(heads)
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i + 2, column=j, value=v)
            if i < 200:
                c.style = _named_style(ws.parent, "input")
    ws.freeze_panes = "C2"


def build_survey_setup(ws, options: list[tuple], sets: list[tuple[str, str, str | None]]) -> None:
    """问卷设置: options (label, weight, satisfied[, 对象类别]) and question sets; all input."""
    header_row(ws, 1, L.SURVEY_OPTION_HEADER, (16, 28, 12, 14, 50))
    put(ws, 1, 5, L.SURVEY_SETUP_NOTE, style="header")
    r = 1
    for label, weight, happy, *group in options:
        r += 1
        put(ws, r, 1, label, style="input")
        put(ws, r, 2, weight, style="input", fmt="0%")
        put(ws, r, 3, "是" if happy else "否", style="input")
        put(ws, r, 4, group[0] if group else None, style="input")
    put(ws, 2, 5, "分值是该选项占满分的比例（也可填 5、4、3 这样的分数，按最高分换算）；"
                  "“计入满意”为“是”的选项之和即满意率。对象类别留空的选项用于所有对象；"
                  "某一对象类别（如 工作人员）另有选项和分值时，逐行写出并填上对象类别", style="plain")
    for _ in range(3):
        r += 1
        for j in (1, 2, 3, 4):
            put(ws, r, j, None, style="input")
    r += 2
    header_row(ws, r, L.SURVEY_SET_HEADER)
    put(ws, r, 5, L.SURVEY_SETUP_NOTE, style="header")
    put(ws, r + 1, 5, "题目写“问卷”页（或“问卷汇总”）的题目名，可含标点，用顿号分隔；也可写题号“题3”、"
                      "范围“题1~题5”或“全部”。对象类别留空表示全部答卷。"
                      "指标的数据来源写“问卷:题组名”（得分率）或“问卷满意率:题组名”", style="plain")
    for name, questions, group in [*sets, *([(None, None, None)] * 3)]:
        r += 1
        put(ws, r, 1, name, style="input")
        put(ws, r, 2, questions, style="input")
        put(ws, r, 3, group, style="input")


def build_survey_counts(ws, options: list[tuple], rows: list[list] | None = None, blank_rows: int = 30) -> None:
    """问卷汇总: the count of every option per question (× 对象类别), when only counts are at hand."""
    labels = list(dict.fromkeys(o[0] for o in options))
    put(ws, 1, 1, "只有各选项人数（如公开报告、纸质问卷汇总表）时在此填写，每道题（每个对象类别）一行；"
                  "同一题组不要同时在“问卷”页录入逐份答卷。份数可留空（即各选项人数之和）", style="plain")
    heads = [L.SURVEY_COUNT_QUESTION_HEADERS[0], L.SURVEY_GROUP_HEADERS[0], L.SURVEY_COUNT_SIZE_HEADERS[0], *labels]
    header_row(ws, 2, heads, [30, 12, 8, *([10] * len(labels))])
    rows = rows or []
    for i in range(len(rows) + blank_rows):
        row = rows[i] if i < len(rows) else [None] * len(heads)
        for j in range(1, len(heads) + 1):
            put(ws, i + 3, j, row[j - 1] if j - 1 < len(row) else None, style="input")
    ws.freeze_panes = "B3"


def comment(text: str) -> Comment:
    return Comment(text, L.COMMENT_AUTHOR, width=300, height=110)

