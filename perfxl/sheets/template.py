"""Generate the standard evaluation workbook (empty, or filled from indicator data)."""
from __future__ import annotations

from datetime import datetime

from perfxl.model import layout as L
from perfxl.model.values import parse_target
from perfxl.rules import KINDS, names
from perfxl.sheets import styles as S


def kind_examples() -> list[dict]:
    """Every rule kind's examples, scored by the engine itself (so 说明 cannot drift)."""
    out = []
    for kind in KINDS.values():
        for ex in kind.examples:
            target = parse_target(ex.target) if ex.target else None
            params = kind.parse_params(ex.params, target)
            actual = kind.parse_actual(ex.actual, target, params)
            outcome = kind.evaluate(params, target, actual, ex.weight)
            out.append(dict(kind=kind, example=ex, points=outcome.points_of(ex.weight), detail=outcome.detail))
    return out


def build_guide(ws) -> None:
    from perfxl.model.values import fmt_score

    ws["A1"] = f"财政支出绩效评价评分工作簿 · 使用说明（模板版本 {L.TEMPLATE_VERSION}）"
    ws["A1"].font = S.TITLE_FONT
    prose: list[int] = []            # rows of running text: merged across the page and wrapped for print
    steps = [
        "1. 在“基本信息”页填写单位名称、评价年度等；如当地等级划分不同，修改下方的等级表。",
        "2. 在“指标评分”页逐行填写三级指标：编号、一级/二级/三级指标、分值、评分标准、计分方法、计分参数、目标值、实际"
        "值。",
        "3. 评价人如需给出与规则不同的得分，填在“评价得分”列，并在“评价说明”写明理由；留空则按规则计分。",
        "4. 保存后运行：perfxl validate 文件.xlsx（只校验）或 perfxl score 文件.xlsx（校验、计分并写回）。",
        "5. 查看“得分汇总”“校验结果”“评价偏差”三页；有问题的单元格标为橙色并附批注，改正后重新运行即可。",
    ]
    r = 3
    for s in steps:
        prose.append(r)
        ws.cell(row=r, column=1, value=s)
        r += 1
    r += 1
    ws.cell(row=r, column=1, value="颜色").font = S.BOLD
    for text, f in (("浅黄色：由评价人填写", S.INPUT_FILL), ("浅蓝灰色：由 perfxl 计算写入（受保护）", S.COMPUTED_FILL),
                    ("橙色：有错误，见批注", S.PROBLEM_FILL), ("黄色：有警告，见批注", S.WARNING_FILL),
                    ("浅蓝色：评价得分与规则得分不同", S.DEVIATION_FILL)):
        r += 1
        c = ws.cell(row=r, column=1, value=text)
        c.fill = f
    r += 2
    ws.cell(row=r, column=1, value="“指标评分”页的列").font = S.BOLD
    r += 1
    S.header_row(ws, r, ("列名", "必填", "填写说明", "也可写作"))
    for col in L.INDICATOR_COLUMNS:
        r += 1
        role = "必填" if col.required else ("计算" if col.role == L.COMPUTED else "可选")
        for j, v in enumerate((col.header, role, col.help or ("perfxl 计算写入" if col.role == L.COMPUTED else ""),
                               "、".join(col.aliases)), start=1):
            S.put(ws, r, j, v, style="plain")
    r += 2
    ws.cell(row=r, column=1, value="计分方法（“指标评分”页下拉选择）").font = S.BOLD
    r += 1
    S.header_row(ws, r, L.GUIDE_KIND_HEADERS)
    for item in kind_examples():
        kind, ex = item["kind"], item["example"]
        r += 1
        values = (kind.name, kind.summary, kind.syntax, kind.actual_hint, ex.criterion, ex.params, ex.target,
                  ex.actual, ex.weight, fmt_score(item["points"]), item["detail"])
        for j, v in enumerate(values, start=1):
            S.put(ws, r, j, v, style="plain")
    r += 2
    ws.cell(row=r, column=1, value="计分参数通用写法").font = S.BOLD
    notes = [
        "得分值：20%（占分值的比例）、0.5分（分数）、满分、不得分。",
        "区间：90%(含)~100% 表示 90%≤x<100%；上限要包含时写 90%(含)~100%(含)；也可写 80%以下、80%(含)以上、≥90%、<60%"
        "。",
        "扣分步长：每少1次扣20%、每下降1%扣5%、每超过5%扣10%、每少1人扣0.01分；默认按比例计算，可加“向上取整”或“向下取"
        "整”。",
        "多段参数用分号（；）隔开。要点编号用 ①②③ 或 (1)(2)(3)。",
        "得分保留两位小数（四舍五入）；二级、一级和总分为各三级指标得分之和；得分率=得分/分值。",
        "评价得分：评价人填写后即为最终得分，规则得分仍显示在“规则得分”列，二者不同的行列入“评价偏差”页。",
    ]
    for n in notes:
        r += 1
        prose.append(r)
        ws.cell(row=r, column=1, value=n)
    r = _guide_typing(ws, r)
    from perfxl.score import figures as F

    r += 2
    ws.cell(row=r, column=1, value="数据来源：派生指标（由“基础数据”页计算，代替手填实际值）").font = S.BOLD
    r += 1
    S.header_row(ws, r, L.GUIDE_FIGURE_HEADERS)
    for fig in F.FIGURES:
        r += 1
        for j, v in enumerate((fig.name, fig.formula, fig.note + ("；也可写作：" + "、".join(fig.aliases)
                                                                  if fig.aliases else "")), start=1):
            S.put(ws, r, j, v, style="plain")
    for text in (
        f"分子分母均为0（如没有“三公”经费预算也没有支出）时，按“基础数据”页“{L.ZERO_OVER_ZERO_LABEL}”的设定："
        "视为100%（默认，与公开报告一致）、视为0% 或 报告问题；分母为0而分子不为0时报告问题。",
        "评分过程会写出公式和数字，如“支出预算执行率=580.8142/549.6875×100%=105.66%”。",
    ):
        r += 1
        prose.append(r)
        ws.cell(row=r, column=1, value=text)
    r += 2
    ws.cell(row=r, column=1, value="数据来源：问卷").font = S.BOLD
    for text in (
        "“问卷”页每行一份答卷：编号、对象类别（如 会员、工作人员），其后每列一道题，表头即题目（可改名、可插入列，"
        "不受保护）。问卷星、腾讯问卷导出的表格可整张粘贴进来：序号、提交答卷时间、来源、来自IP 等列自动忽略，"
        "“1、您对……是否满意？”这样带题号的表头可用题号引用；答案可以是选项文字，也可以是选项序号（1 为第一个选项）。",
        "也可用命令导入：perfxl survey import 导出.xlsx --into 本工作簿.xlsx --set 工作人员（支持 .xlsx、.xls、.csv）"
        "。",
        "只有各选项人数时（如 52 份：非常满意 43、满意 7、一般 1、不满意 1），填在“问卷汇总”页，计分方法与逐份答卷相同"
        "；"
        "同一题组不能既有逐份答卷又有选项计数。",
        "“问卷设置”页上半部分是选项及其分值（占满分的比例，或 5/4/3 这样的分数）和是否计入满意，"
        "不同对象类别可以各有选项和分值（填“对象类别”列）；下半部分是题组：题组名、题目（顿号分隔，可写题号“题3”、"
        "范围“题1~题5”或“全部”）、对象类别（留空为全部）。",
        "指标的数据来源写“问卷:题组名”取题组得分率（各回答分值的平均），写“问卷满意率:题组名”取满意率（计入满意的选项占"
        "比）；"
        "计分方法可用 得分率计分（分值×得分率）、阈值扣分（如 ≥90%得满分；每下降1%扣5%）等任一种。",
        "评分后“问卷统计”页列出每个题组的样本量、有效回答、各选项人数和占比、得分率和满意率及其算式，以及每道题、"
        "每个对象类别的分布；不在选项中的答案、空答案（每列一条）、重复的答卷编号和没有指标使用的题目都会在“校验结果”"
        "中指出。",
    ):
        r += 1
        prose.append(r)
        ws.cell(row=r, column=1, value=text)
    widths = (16, 40, 40, 24, 40, 30, 10, 14, 8, 8, 50)
    for letter, width in zip("ABCDEFGHIJK", widths):
        ws.column_dimensions[letter].width = width
    S.prose_rows(ws, prose, len(widths), sum(widths))
    S.print_setup(ws, title_rows=None)
    S.protect(ws)


def _guide_typing(ws, r: int) -> int:
    """说明: how perfxl reads what people type (words for yes/no, percentages, 不适用, several targets,
    units). The word lists come from model.values, the one place that maps them."""
    from perfxl.model.values import NO_WORDS, NOT_APPLICABLE_WORDS, PARTIAL_WORDS, YES_WORDS
    from perfxl.rules.multi import COMBINE_WORDS
    from perfxl.sheets.look import needed_lines

    def words(ws_: frozenset) -> str:
        return "、".join(sorted((w for w in ws_ if not w.isascii()), key=lambda w: (len(w), w)))

    r += 2
    ws.cell(row=r, column=1, value="实际值、目标值的写法（perfxl 按下列方式理解）").font = S.BOLD
    units = "、".join(L.UNITS)
    combine = "、".join(COMBINE_WORDS)
    for label, text in (
        ("完成、达标", words(YES_WORDS) + "（及 是、√、TRUE）：达标，得满分"),
        ("未完成、未达标", words(NO_WORDS) + "（及 否、×、FALSE）：未达标，不得分（或“未达标得X%”）"),
        ("部分完成", words(PARTIAL_WORDS) + "：按未达标计；计分参数写“部分达标得50%”时得该比例"),
        ("自评档次", "酌情评分（自评三档）的实际值写档次和档内得分率，如“部分达成并具有一定效果 70%”；"
                     "只写档次名时提示补写得分率"),
        ("不适用", words(NOT_APPLICABLE_WORDS) + "（写在实际值或计分方法），或分值填 0："
                   "该指标不计分；总分按“基本信息”页“"
         + L.INFO_BY_KEY["na_method"].label + "”换算：" + "、".join(L.NA_METHODS) + "（默认第一种）"),
        ("百分比", "90%、90 %、９０％、0.9（目标值为百分比时）都是 90%；设成百分比格式的单元格按显示的百分比读取；"
         "≥90%、>=90%、不低于90%、90%以上 都是“≥90%”"),
        ("目标值中的等号", "在 Excel、WPS 中键入 =100% 会变成公式；perfxl 把它读作目标值“=100%”，如程序把它存成 =1，"
         "而实际值是百分比，也读作“=100%”并给出提示。稳妥的写法：先输入英文单引号 ' 再输入 =100%，或写 100%"),
        ("数字", "1,234.50、1 234.5、１２３４．５ 都是 1234.5；设成文本格式的数字照常读取"),
        ("几个目标", "目标值写“≥20户、≥10户”（顿号分隔），实际值同样写“22户、9户”，每项分别计分；或目标值写“各1个”，"
         "实际值列出每一项（如“1个、1个、0个”）。完成比率默认取各项完成率的平均，达标得分默认各项都达标才得分；"
         "计分参数可写：" + combine),
        (L.BASIC_HEADER[2], "目标值与实际值的单位不同但可换算时（如 ≥5万元 与 48000元）按目标值的单位换算；"
                            "“基础数据”页的单位可选 "
         + units + "，按所选单位换算，其他单位会报告问题"),
        ("计算列", "规则得分、得分、得分率、评分过程由 perfxl 写入；"
                   "在“得分”列手填的数字（如单位自评分）作为评价人给定的得分使用"
         "并给出提示，规则得分、得分率中手填的数字会被改写并给出提示"),
    ):
        r += 1
        S.put(ws, r, 1, label, style="plain")
        S.put(ws, r, 2, text, style="plain")
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=6)
        ws.row_dimensions[r].height = 15 * needed_lines(text, _MERGED_WIDTH)
    return r


_MERGED_WIDTH = 168          # columns B:F of 说明, merged


DEFAULT_QUESTIONS = ["题1", "题2", "题3", "题4", "题5"]
DEFAULT_SETS = [("总体满意度", "题1~题5", None)]


def new_workbook(rows: list[dict] | None = None, info: dict | None = None,
                 grades: list[tuple[str, float]] | None = None, blank_rows: int | None = None,
                 basic: dict | None = None, survey: dict | None = None):
    """The standard workbook as an openpyxl Workbook.

    ``survey``: {"questions": [...], "responses": [[编号, 对象类别, answers...]], "options": [(选项, 分值,
    计入满意[, 对象类别])], "sets": [(题组, 题目, 对象类别)], "counts": [[题目, 对象类别, 份数, n per option...]]};
    defaults give an empty questionnaire to fill in.
    """
    from openpyxl import Workbook

    from perfxl.score import figures as F

    rows = rows or []
    survey = survey or {}
    sets = survey.get("sets", DEFAULT_SETS)
    wb = Workbook()
    S.declare_fonts(wb)
    guide = wb.active
    guide.title = L.SHEET_GUIDE
    build_guide(guide)
    sources = F.names() + [f"{L.SOURCE_SURVEY_RATE}:{name}" for name, _, _ in sets] + \
        [f"{L.SOURCE_SURVEY_SATISFIED}:{name}" for name, _, _ in sets]
    counts = S.build_lists(wb, names(), sources)
    S.build_info(wb.create_sheet(L.SHEET_INFO), info or {}, grades or list(L.DEFAULT_GRADES))
    S.build_basic(wb.create_sheet(L.SHEET_BASIC), basic or {})
    if blank_rows is None:
        blank_rows = L.DEFAULT_TEMPLATE_ROWS if not rows else 10
    S.build_indicator_sheet(wb.create_sheet(L.SHEET_INDICATORS), rows, blank_rows, counts)
    S.build_survey(wb.create_sheet(L.SHEET_SURVEY), survey.get("questions", DEFAULT_QUESTIONS),
                   survey.get("responses"), blank_rows=0 if survey.get("responses") else 100)
    options = survey.get("options", list(L.DEFAULT_SURVEY_OPTIONS))
    S.build_survey_setup(wb.create_sheet(L.SHEET_SURVEY_SETUP), options, sets)
    S.build_survey_counts(wb.create_sheet(L.SHEET_SURVEY_COUNTS), options, survey.get("counts"),
                          blank_rows=0 if survey.get("counts") else 30)
    from perfxl.sheets import outputs
    from perfxl.sheets.canvas import OpenpyxlCanvas

    cv = OpenpyxlCanvas(wb)
    for name in (L.SHEET_SUMMARY, L.SHEET_PROBLEMS, L.SHEET_DEVIATIONS):
        wb.create_sheet(name)
    outputs.summary(cv, L.SHEET_SUMMARY, None, info or {})
    outputs.problems(cv, L.SHEET_PROBLEMS, None)
    outputs.deviations(cv, L.SHEET_DEVIATIONS, None)
    wb.move_sheet(L.SHEET_LISTS, offset=len(wb.sheetnames))
    make_live(wb)
    S.print_every_sheet(wb, (info or {}).get("unit"))
    wb.active = wb.sheetnames.index(L.SHEET_INDICATORS)
    wb.properties.creator = "perfxl"
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    return wb


def make_live(wb, name: str = "评分模板.xlsx", *, keep: bool = False):
    """Write the live formulas into a workbook perfxl builds (openpyxl, in memory): it is read and
    scored as it stands, and every formula drawn with its cached value (``apply.draw_live``).
    ``keep``: values typed over perfxl's formulas stay. Returns the scoring result."""
    from perfxl.io.package import Package
    from perfxl.io.read import read_book
    from perfxl.io.xlsx import workbook_bytes
    from perfxl.model.evaluation import sheets_to_read
    from perfxl.score.pipeline import score_book
    from perfxl.sheets.apply import draw_live, save_written
    from perfxl.sheets.canvas import OpenpyxlCanvas

    package = Package.of_bytes(workbook_bytes(wb), name)
    result = score_book(read_book(package, sheets=sheets_to_read()))
    cv = OpenpyxlCanvas(wb)
    draw_live(cv, result, template=True, keep=keep)
    save_written(cv, result)         # the cached results are perfxl's (a reader without formulas: xlwings Lite)
    return result


def system_workbook(rows: list[dict], title: str = L.SHEET_SYSTEM):
    """An indicator list an administrator can adapt and feed to ``perfxl template --from``."""
    from openpyxl import Workbook

    from perfxl.score import figures as F

    wb = Workbook()
    S.declare_fonts(wb)
    guide = wb.active
    guide.title = L.SHEET_GUIDE
    lines = [f"{title}（可复制修改）",
             "在“指标体系”页增删指标、修改分值、评分标准、计分方法和参数；计分方法和参数写法见评分工作簿的“说明”页。",
             "改好后运行：perfxl template --from 本文件.xlsx -o 评分模板.xlsx，perfxl 会先校验本表，再生成评分工作簿。",
             "数据来源可填派生指标名（" + "、".join(F.names()) + "）或“问卷:题组名”。"]
    for i, text in enumerate(lines, start=1):
        guide.cell(row=i, column=1, value=text)
    guide["A1"].font = S.TITLE_FONT
    guide.column_dimensions["A"].width = 100
    for row in guide.iter_rows():
        for c in row:
            c.alignment = S.WRAP
    S.print_setup(guide, landscape=False, title_rows=None)
    counts = S.build_lists(wb, names(), F.names())
    ws = wb.create_sheet(L.SHEET_SYSTEM)
    S.build_system_sheet(ws, rows, counts)
    wb.move_sheet(L.SHEET_LISTS, offset=len(wb.sheetnames))
    S.print_every_sheet(wb)
    wb.active = wb.sheetnames.index(L.SHEET_SYSTEM)
    wb.properties.creator = "perfxl"
    wb.properties.created = wb.properties.modified = datetime(2026, 1, 1)
    return wb


def rows_from_system(checked) -> list[dict]:
    """Indicator rows of a validated indicator list, ready for new_workbook()."""
    from perfxl.model.frameworks import typed_cell
    from perfxl.model.values import Percent

    ev = checked.evaluation
    rows = []
    columns = list(ev.frame.columns)
    for values in ev.frame.itertuples(index=False, name=None):      # keeps a Percent a Percent
        rec = dict(zip(columns, values))
        row = {k: rec.get(k) for k in L.SYSTEM_KEYS if k in ev.frame.columns}
        # a 目标值 typed 90% is the number 0.9 shown as a percentage: the template shows it so too
        formats = {k: typed_cell(v.as_text())[1] for k, v in row.items() if isinstance(v, Percent)}
        rows.append({**row, "_formats": formats} if formats else row)
    return rows


def survey_sets_of(rows: list[dict]) -> list[tuple[str, str, None]]:
    """Question sets the rows' 数据来源 refer to, each with the default questions."""
    from perfxl.model.text import fold

    names_ = []
    for r in rows:
        src = fold(str(r.get("source") or ""))
        for prefix in (L.SOURCE_SURVEY_SATISFIED, L.SOURCE_SURVEY_RATE):
            if src.startswith(prefix + ":"):
                name = src[len(prefix) + 1:].strip()
                if name and name not in names_:
                    names_.append(name)
                break
    return [(n, "题1~题5", None) for n in names_] or DEFAULT_SETS


def framework_workbook(meta: dict, blank_rows: int = 10):
    """The workbook of a built-in framework: the standard workbook, or the official form it names."""
    from perfxl.model.frameworks import survey_spec

    if meta.get("form"):
        from perfxl.sheets.form import form_workbook, framework_form

        return form_workbook(framework_form(meta))

    return new_workbook(rows=meta["rows"], info={"kind": L.FRAMEWORK_KINDS.get(meta["id"], meta.get("kind"))},
                        survey=survey_spec(meta), blank_rows=blank_rows)


def admin_workbook():
    """The administrator's summary workbook: its 汇总设置 sheet is what the 汇总 button reads."""
    from openpyxl import Workbook

    wb = Workbook()
    S.declare_fonts(wb)
    ws = wb.active
    ws.title = L.SHEET_CONS_SETUP
    S.header_row(ws, 1, L.CONS_SETUP_HEADER, (22, 50, 60))
    defaults = {"panel": L.PANEL_METHODS["mean"], "outlier": L.PANEL_OUTLIER_SHARE,
                "strict": L.CONS_SETUP_STRICT_DEFAULT}
    for r, (key, label, help_) in enumerate(L.CONS_SETUP_FIELDS, start=2):
        S.put(ws, r, 1, label, style="plain")
        S.put(ws, r, 2, defaults.get(key), style="input", fmt="0%" if key == "outlier" else None)
        S.put(ws, r, 3, help_, style="plain")
    S.put(ws, len(L.CONS_SETUP_FIELDS) + 3, 1, L.CONS_SETUP_NOTE, style="plain")
    S.print_setup(ws)
    return wb
