"""Problems as data, and the one catalogue of user messages.

Every message says where (file, sheet, cell), what is wrong, and how to fix it. Renderers
(console, 校验结果 sheet, cell comments, JSON) live elsewhere and only format these.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Problem:
    severity: str
    code: str
    message: str
    fix: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""
    column: str = ""
    value: str = ""

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.file

    def to_dict(self) -> dict:
        return asdict(self)


class UnusableInput(Exception):
    """The input cannot be read or understood at all (exit code 2)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


# code: (severity, message, how to fix). Placeholders are filled by ``problem``.
CATALOGUE: dict[str, tuple[str, str, str]] = {
    # --- files ---------------------------------------------------------------
    "file_missing": (ERROR, "找不到文件“{path}”", "检查路径和文件名是否正确"),
    "file_not_excel": (ERROR, "“{path}”不是 Excel 工作簿（{detail}）",
                       "请用 Excel 或 WPS 另存为 .xlsx 后再试"),
    "file_unreadable": (ERROR, "无法读取“{path}”：{detail}", "在 Excel 中打开并另存为 .xlsx；文件若已损坏请找回原件"),
    "file_encrypted": (ERROR, "“{path}”设置了打开密码，无法读取", "用 --password 提供密码，或在 Excel 中取消密码后另存"),
    "file_too_large": (ERROR, "“{path}”解压后过大（{detail}），已拒绝读取以免耗尽内存",
                       "检查文件是否异常；正常的评分工作簿不会超过此限制"),
    "file_locked": (ERROR, "“{path}”正在被 Excel 打开（发现锁文件“{lock}”）",
                    "先在 Excel 中保存并关闭该文件，再运行"),
    "file_readonly": (ERROR, "“{path}”是只读文件，无法原位写入", "去掉只读属性，或不加 --in-place 输出到新文件"),
    "unsupported_content": (ERROR, "工作簿包含 perfxl 无法原样保留的内容：{detail}；原位保存会丢失这些内容，已拒绝",
                            "去掉 --in-place，perfxl 会把结果写到新文件，原文件保持不变"),
    "content_not_carried": (WARNING, "输出文件未包含原工作簿中的：{detail}（原文件未改动）",
                            "这些内容仍在原文件中；如需要，请从原文件复制或在 Excel 内用一键评分"),
    "output_exists_backup": (INFO, "输出文件已存在，原文件已备份为“{backup}”", ""),
    # --- sheets and headers --------------------------------------------------
    "sheet_missing": (ERROR, "缺少工作表“{sheet}”（现有工作表：{names}）",
                      "用 perfxl template 生成标准模板，或把相应工作表改名为“{sheet}”"),
    "header_row_missing": (ERROR, "工作表“{sheet}”前{rows}行中找不到表头行（至少应有 编号、三级指标、分值、计分方法、实际值）",
                           "把表头放在前{rows}行内，表头名称见“说明”页"),
    "header_missing": (ERROR, "工作表“{sheet}”第{row}行的表头缺少“{header}”列",
                       "在表头行加入“{header}”列；可接受的写法：{aliases}"),
    "header_duplicate": (ERROR, "表头“{header}”出现了两次（{cells}）", "删除或改名其中一列"),
    "template_version": (WARNING, "工作簿的模板版本为“{found}”，当前 perfxl 的模板版本为“{current}”",
                         "按编号对照即可继续使用；如有新增列，可用 perfxl template 生成新模板后复制数据"),
    # --- cells ---------------------------------------------------------------
    "cell_error_value": (ERROR, "{column}是错误值 {value}", "修正该单元格的公式，或直接填写数值"),
    "formula_no_cache": (ERROR, "{column}是公式 {value}，但文件中没有它的计算结果（保存文件的程序没有计算公式）",
                         "在 Excel 或 WPS 中打开此文件并保存一次，或改填数值"),
    "required": (ERROR, "{column}为空", "请填写{column}"),
    "not_number": (ERROR, "{column}“{value}”不是数字", "请填写数字，如 2 或 0.5（可带“分”字）"),
    "not_positive": (ERROR, "{column}为 {value}，必须大于 0", "填写该指标的分值，如 2"),
    "duplicate_code": (ERROR, "编号“{value}”重复", "每个三级指标的编号必须唯一，请改为不同的编号"),
    "method_unknown": (ERROR, "计分方法“{value}”不存在", "从下拉列表中选择：{choices}"),
    "params_missing": (ERROR, "计分方法“{method}”需要计分参数", "按此写法填写：{syntax}"),
    "params_invalid": (ERROR, "计分参数有误：{detail}", "“{method}”的写法：{syntax}"),
    "params_warning": (WARNING, "计分参数：{detail}", "核对评分标准与参数是否一致"),
    "target_missing": (ERROR, "计分方法“{method}”需要目标值", "填写目标值，如 ≥60家、=100%、≤5%"),
    "target_invalid": (ERROR, "{detail}", "目标值写成“比较符+数字+单位”，如 ≥60家、≤5%、=100%"),
    "actual_missing": (ERROR, "实际值为空", "填写实际值：{hint}"),
    "actual_invalid": (ERROR, "实际值不符合“{method}”：{detail}", "填写{hint}"),
    "score_out_of_range": (ERROR, "评价得分 {value} 超出 0～{weight} 分", "评价得分应在 0 与该指标分值之间"),
    "note_required_judgement": (ERROR, "“酌情评分”必须填写评价说明", "在评价说明中写明判定理由"),
    "note_required_deviation": (ERROR, "评价得分 {evaluator} 与规则得分 {rule} 不同，但没有评价说明",
                                "在评价说明中写明偏离评分标准的理由，或删除评价得分以按规则计分"),
    "rule_unscored": (WARNING, "该指标无法按规则计分，已采用评价得分 {evaluator}", "修正上面指出的问题"),
    # --- structure -----------------------------------------------------------
    "level_missing": (ERROR, "{column}为空，且上方没有可沿用的值", "填写该行的{column}"),
    "level_sum": (ERROR, "{level}“{name}”下三级指标分值合计 {total}，与标注的 {declared} 分不符",
                  "调整下属三级指标的分值，或改正“{name}”后标注的分值"),
    "total_not_100": (ERROR, "全部三级指标分值合计 {total}，应为 100", "调整各指标分值，使合计为 100"),
    "no_indicators": (ERROR, "工作表“{sheet}”中没有任何指标行", "在表头下方逐行填写三级指标"),
    "row_without_code": (ERROR, "该行填写了内容但没有编号", "填写编号，或清空整行"),
    "grade_invalid": (ERROR, "等级划分有误：{detail}",
                      "等级按分数从高到低排列，最低分（含）依次递减，最后一级为 0，如 优 90、良 80、中 60、差 0"),
    "info_missing": (WARNING, "基本信息“{column}”未填写", "填写{column}，汇总和报告会用到"),
    "info_year": (WARNING, "评价年度“{value}”不是年份", "填写四位年份，如 2022"),
    "info_credit": (WARNING, "统一社会信用代码“{value}”格式不对", "填写 18 位统一社会信用代码（数字和大写字母）"),
    "info_kind": (WARNING, "评价类型“{value}”不在列表中", "从下拉列表选择：{choices}"),
    "info_date": (WARNING, "评价日期“{value}”不是日期", "填写日期，如 2023-06-30"),
    "grade_min": (ERROR, "等级最低分“{value}”应为 0～100 的数字", "填写该等级的最低分（含），如 80"),
    "grade_duplicate": (ERROR, "等级“{value}”重复", "每个等级只写一行"),
}


def problem(code: str, *, file: str = "", sheet: str = "", cell: str = "", column: str = "",
            value: object = "", severity: str | None = None, **params) -> Problem:
    sev, message, fix = CATALOGUE[code]
    fields = {"column": column, "value": value, "sheet": sheet, **params}
    return Problem(
        severity=severity or sev,
        code=code,
        message=message.format(**fields),
        fix=fix.format(**fields),
        file=file,
        sheet=sheet,
        cell=cell,
        column=column,
        value="" if value is None else str(value),
    )


def worst_exit_code(problems: list[Problem]) -> int:
    return 1 if any(p.severity == ERROR for p in problems) else 0
