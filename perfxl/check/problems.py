"""Problems as data, and the one catalogue of user messages.

Every message says where (file, sheet, cell), what is wrong, and how to fix it. Renderers
(console, 校验结果 sheet, cell comments, JSON) live elsewhere and only format these.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from perfxl.model.cells import CellRef

ERROR, WARNING, INFO = "error", "warning", "info"


@dataclass(frozen=True)
class Problem:
    severity: str
    code: str
    message: str
    fix: str = ""
    file: str = ""
    sheet: str = ""
    cell: str = ""                  # as shown: 'B12', a range 'A2:A9', a row '3:3', or ''
    column: str = ""
    value: str = ""
    at: CellRef | None = field(default=None, compare=False, repr=False)   # the single cell, typed
    #: what the message was filled with (an official form words some messages in its own terms)
    params: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def where(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or self.file

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "code": self.code, "message": self.message, "fix": self.fix,
                "file": self.file, "sheet": self.sheet, "cell": self.cell, "column": self.column,
                "value": self.value}


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
    "file_archive": (ERROR, "“{path}”是压缩包（{kind}），不是工作簿{inside}",
                     "先解压，再对解压出的工作簿（汇总时：解压到收回文件夹中）运行 perfxl；解压后可删除压缩包"),
    "file_encrypted": (ERROR, "“{path}”设置了打开密码，无法读取",
                       "用 --password 提供密码，或在 Excel 中取消密码后另存"),
    "file_too_large": (ERROR, "“{path}”解压后过大（{detail}），已拒绝读取以免耗尽内存",
                       "检查文件是否异常；正常的评分工作簿不会超过此限制"),
    "csv_not_file": (ERROR, "“{path}”不是 CSV 文件（{detail}）",
                     "请指定 CSV 文件本身（名单或问卷平台导出的 .csv 文件）"),
    "csv_unreadable": (ERROR, "无法读取“{path}”：{detail}", "检查文件的读取权限；文件若已损坏请重新导出"),
    "csv_too_large": (ERROR, "“{path}”过大（{detail}），已拒绝读取以免耗尽内存",
                      "检查文件是否异常；正常的名单或问卷导出不会超过此限制"),
    "file_locked": (ERROR, "“{path}”正在被 Excel 打开（发现锁文件“{lock}”）",
                    "先在 Excel 中保存并关闭该文件，再运行"),
    "file_readonly": (ERROR, "“{path}”是只读文件，无法原位写入", "去掉只读属性，或不加 --in-place 输出到新文件"),
    "file_changed": (ERROR, "“{path}”在 perfxl 读取之后被修改或替换，结果未写入（文件未改动）",
                     "确认文件已保存并关闭后重新运行"),
    "output_exists": (ERROR, "“{path}”已存在", "加 --force 覆盖（会先备份原文件），或用 -o 指定其他文件名"),
    "options_conflict": (ERROR, "选项 {options} 不能同时使用", "只保留其中一个"),
    "usage_error": (ERROR, "命令用法有误：{detail}", "运行 perfxl --help 查看用法"),
    "usage_missing": (ERROR, "命令用法有误：缺少{what}", "按此写法运行：{usage}；详见 {help}"),
    "usage_no_such_command": (ERROR, "命令用法有误：没有“{value}”这个命令{suggest}",
                              "可用的命令：{choices}；详见 perfxl --help"),
    "usage_no_such_option": (ERROR, "命令用法有误：没有“{value}”这个选项{suggest}",
                             "可用的选项：{choices}；详见 {help}"),
    "usage_bad_value": (ERROR, "命令用法有误：{option} 的值“{value}”无效：{detail}", "详见 {help}"),
    "usage_needs_value": (ERROR, "命令用法有误：选项 {option} 后面需要一个值",
                          "在 {option} 后面写上值，如 {example}；详见 {help}"),
    "usage_extra_argument": (ERROR, "命令用法有误：多出的参数“{value}”",
                             "检查命令：文件名中有空格时请用引号括起来；详见 {help}"),
    "output_suffix": (ERROR, "输出文件“{path}”的扩展名应为 {suffixes}", "用 -o 指定以 {suffixes} 结尾的文件名"),
    "panel_invalid": (ERROR, "--panel 应为 mean、median 或 trimmed，收到“{value}”", "改为 mean、median 或 trimmed"),
    "framework_unknown": (ERROR, "没有名为“{value}”的内置框架", "可选：{choices}"),
    "output_exists_backup": (INFO, "输出文件已存在，原文件已备份为“{backup}”", ""),
    "write_failed": (ERROR, "无法写入“{path}”：{detail}；没有写出任何文件，原有文件未改动",
                     "腾出磁盘空间、取得写入权限，或用 -o 写到其他位置后重新运行"),
    "write_temp_failed": (ERROR, "无法写入“{path}”：临时文件夹“{folder}”{detail}；没有写出任何文件，原有文件未改动",
                          "在“{folder}”所在的磁盘上腾出空间，或把环境变量 TMPDIR 设为有足够空间的文件夹后重新运行"),
    "file_owner": (ERROR, "“{path}”属于其他用户或用户组，perfxl 写入后无法保持原来的所有者，已拒绝写入（文件未改动）",
                   "由文件的所有者运行，或用 -o 写到自己的文件"),
    "macros_not_in_xlsx": (WARNING, "“{path}”是 .xlsx 文件，不能包含宏：输出中没有原工作簿的宏（VBA），原文件未改动",
                           "需要保留宏时，用 -o 指定以 .xlsm 结尾的文件名"),
    # --- sheets and headers --------------------------------------------------
    "sheet_missing": (ERROR, "缺少工作表“{sheet}”（现有工作表：{names}）",
                      "用 perfxl template 生成标准模板，或把相应工作表改名为“{sheet}”"),
    "header_row_missing": (ERROR, "工作表“{sheet}”前{rows}行中找不到表头行（至少应有 编号、三级指标、分值、计分方法、"
                           "实际值）",
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
    "not_positive": (ERROR, "{column}为 {value}，不能为负数", "填写该指标的分值，如 2；本年不适用的指标填 0"),
    "duplicate_code": (ERROR, "编号“{value}”重复", "每个三级指标的编号必须唯一，请改为不同的编号"),
    "method_unknown": (ERROR, "计分方法“{value}”不存在",
                       "从下拉列表中选择：{choices}；评分标准无法用这些方法表达时（如按排名、按名次得分）选“酌情评分”，"
                       "由评价人按评分标准在实际值填得分率并写评价说明"),
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
    "formula_result_differs": (WARNING, "工作簿中{column}的公式结果为 {value}，perfxl 按计分规则计算为 {engine}"
                                        "（公式可能被手工修改，或文件保存时没有重新计算）",
                               "以 perfxl 的结果为准：运行 perfxl score 重新写入公式；如需不同得分，请填写评价得分并"
                               "在评价说明中写明理由"),
    "rule_unscored": (WARNING, "该指标无法按规则计分，已采用评价得分 {evaluator}", "修正上面指出的问题"),
    "target_formula": (WARNING, "目标值单元格是公式“{formula}”（在 Excel、WPS 中键入“=100%”会变成公式）；本行实际值是"
                       "百分比，"
                                "已按目标值“{read}”计分",
                       "目标值请写成文字，如 =100%（先输入英文单引号 ' 再输入）、≥100% 或 100%"),
    "score_typed": (WARNING, "“{column}”是 perfxl 计算的列，这里填了 {value}：已作为评价人给定的得分（同“{evaluator}”"
                    "）使用",
                    "自评或评价人给定的得分请填在“{evaluator}”列；如不需要，删除这个数字，perfxl 将按规则计分"),
    "score_typed_overruled": (WARNING, "“{column}”填了 {value}，与评价得分 {evaluator} 不同：以评价得分为准，这一格将"
                              "改写为 {evaluator}",
                              "删除“{column}”中的数字（该列由 perfxl 计算）"),
    "score_typed_not_applicable": (WARNING, "该指标不适用（{why}），填写的得分 {value} 不计入总分",
                                   "删除该得分；如该指标适用，改正不适用的标记"),
    "computed_typed": (WARNING, "“{column}”是 perfxl 计算的列，这里填了 {value}，评分后将改写为 {computed}",
                       "不要在计算列填写；评价人自己的得分请填在“评价得分”列"),
    "na_method_invalid": (WARNING, "“{column}”的设定“{value}”无效，已按默认的“{default}”换算总分",
                          "从下拉列表选择：{choices}"),
    # --- structure -----------------------------------------------------------
    "level_missing": (ERROR, "{column}为空，且上方没有可沿用的值", "填写该行的{column}"),
    "level_sum": (ERROR, "{level}“{name}”下三级指标分值合计 {total}，与标注的 {declared} 分不符",
                  "调整下属三级指标的分值，或改正“{name}”后标注的分值"),
    "level2_two_parents": (WARNING, "二级指标“{name}”既在一级指标“{first}”下，又在“{second}”下，将分别汇总",
                           "同一个二级指标的三级指标应放在同一个一级指标下；若是两个不同的二级指标，请改用不同的名称"),
    "total_not_100": (ERROR, "全部三级指标分值合计 {total}，应为 100", "调整各指标分值，使合计为 100"),
    "code_is_date": (ERROR, "编号是日期“{value}”：Excel 把 1-1、1/2 这样的编号当成了日期，模板中会变成一串数字",
                     "把编号列的单元格格式设为“文本”后重新输入编号（如 1-1），或改用 1、2、3 这样的编号"),
    "total_in_percent": (ERROR, "分值写成了百分比（各分值合计 100%），分值应为分数，合计 100",
                         "把分值改为分数：如 2% 写 2（先把这些单元格的格式改为“常规”再填写）"),
    "no_indicators": (ERROR, "工作表“{sheet}”中没有任何指标行", "在表头下方逐行填写三级指标"),
    "form_table_missing": (ERROR, "“{title}”中找不到绩效指标表的表头",
                           "在指标表上方保留一行表头：{headers}（可用 perfxl template --framework 自评表 重新生成）"),
    "form_records_only": (INFO, "{count} 个指标没有分值（第 {rows} 行），只记录年度指标值和实际完成值，不计分",
                          "需要计分时在“分值”列填写分值"),
    "form_unknown": (ERROR, "没有名为“{value}”的自评表", "可选：{choices}"),
    "row_without_code": (ERROR, "该行填写了内容但没有编号", "填写编号，或清空整行"),
    "grade_invalid": (ERROR, "等级划分有误：{detail}",
                      "等级按分数从高到低排列，最低分（含）依次递减，最后一级为 0，如 优 90、良 80、中 60、差 0"),
    # --- 基础数据, 数据来源 and 问卷 (issue 3) ------------------------------------
    "basic_not_number": (ERROR, "基础数据“{column}”的值“{value}”不是数字", "填写数字（单位见 C 列），不要带文字"),
    "zero_rule_invalid": (ERROR, "“{column}”的设定“{value}”无效", "从下拉列表选择：{choices}"),
    "source_unknown": (ERROR, "数据来源“{value}”不存在", "填写派生指标名（{figures}）或“问卷:题组名”；见“说明”页"),
    "source_and_actual": (WARNING, "已填写数据来源“{source}”（按基础数据算得 {derived}），实际值“{value}”未使用："
                                   "数据来源优先，因为它由原始数字算出，评分过程写出公式，可以核对",
                          "二者只填其一：删除实际值；如要按手填的实际值计分，清空数据来源"),
    "basic_unit_invalid": (ERROR, "基础数据“{column}”的单位“{value}”无法换算，该数值未使用",
                           "单位改为 {choices} 之一（数值按所填单位换算），或留空按“{own}”计"),
    "budget_base_invalid": (ERROR, "“{column}”的设定“{value}”无效", "填写 {choices} 之一（留空为调整后预算数）"),
    "source_not_percent": (ERROR, "数据来源“{source}”得出百分比，但目标值“{value}”不是百分比",
                           "目标值写成百分比，如 ≥90%、=100%、≤100%"),
    "figure_missing_input": (ERROR, "派生指标“{figure}”缺少输入：{cells}", "在“基础数据”页填写这些数值"),
    "figure_not_computable": (ERROR, "派生指标“{figure}”无法计算：{detail}", "检查“基础数据”页的数值；{fix_hint}"),
    "survey_missing": (ERROR, "数据来源“{value}”需要“问卷”工作表，但工作簿中没有",
                       "加入“问卷”和“问卷设置”工作表（用 perfxl template 生成）"),
    "survey_set_missing": (ERROR, "问卷题组“{value}”在“问卷设置”中不存在（现有题组：{sets}）",
                           "在“问卷设置”的题组表中加入该题组，或改正名称"),
    "survey_set_empty": (ERROR, "问卷题组“{value}”没有有效回答", "检查题组的题目和对象类别，以及“问卷”页的答案"),
    "survey_set_unknown_question": (ERROR, "题组“{name}”的题目“{value}”在“问卷”页的表头和“问卷汇总”的题目中都找不到（"
                                    "现有：{headers}）",
                                    "题目写成表头的名称（可含标点），用顿号分隔；也可写题号“题3”、范围“题1~题5”或“全"
                                    "部”"),
    "survey_set_unknown_group": (ERROR, "题组“{name}”的对象类别“{value}”在“问卷”页和“问卷汇总”中"
                                 "都没有出现（现有：{groups}）",
                                 "改正对象类别，或留空表示全部答卷"),
    "survey_option_invalid": (ERROR, "问卷选项的分值“{value}”无效", "分值填百分比（如 100%、80%）或分数（如 5、4、3）"),
    "survey_unknown_answer": (ERROR, "答案“{value}”不在问卷选项中",
                              "改为以下选项之一：{choices}；或在“问卷设置”中增加该选项"),
    "survey_unknown_answer_more": (ERROR, "“{column}”列另有 {count} 个答案不在选项中（共 {total} 个，前面已列出 20 个"
                                   "）",
                                   "筛选该列找出其余无效答案"),
    "survey_blank_answer": (WARNING, "“{column}”列有 {count} 个空答案（{cells}），已不计入统计",
                            "如为漏录请补填；如这道题本来只问某一类对象，在题组中写明对象类别"),
    "survey_duplicate_id": (WARNING, "答卷编号“{value}”重复（首次出现在 {first}）", "核对是否重复录入同一份答卷"),
    "survey_duplicate_id_more": (WARNING, "另有 {count} 个重复的答卷编号（共 {total} 个，前面已列出 {shown} 个）",
                                 "在答卷编号所在列用条件格式标出重复值，找出其余重复的答卷"),
    "survey_question_unused": (WARNING, "题目“{value}”没有被任何指标使用",
                               "如需计分，把它加入“问卷设置”中某个被指标引用的题组"),
    "survey_columns_ignored": (INFO, "有 {count} 列是问卷平台导出的记录信息，不是题目，已忽略：{columns}",
                               "如其中有要计分的题目，把表头改成题目文字（可带题号，如“3、您对……是否满意？”）"),
    "survey_answers_numbered": (INFO, "{count} 列的答案是选项序号（{columns}），"
                                "已按“问卷设置”中选项的顺序换算：{mapping}",
                                "核对问卷中的选项顺序与“问卷设置”一致；如导出的是分数（按分数下载），把“问卷设置”的选"
                                "项写成 5、4、3、2、1"),
    "survey_rows_and_counts": (ERROR, "题组“{name}”的题目（如“{value}”）在{sheets}都有数据，同一题组不能既用逐份答卷又"
                               "用选项计数，该题组未计算",
                               "删除其中一处（选项计数若由这些答卷汇总而来，保留“问卷”页的答卷即可），或把它们分成两"
                               "个题组"),
    "survey_count_column_ignored": (WARNING, "“问卷汇总”的列“{value}”不是问卷选项，该列已忽略",
                                    "表头写“问卷设置”中的选项名（{choices}），份数列写“份数”，对象类别列写“对象类别”"),
    "survey_count_no_question": (ERROR, "该行填写了选项人数，但没有题目", "在“题目”列填写题目名（与题组中的写法一致）"),
    "survey_count_invalid": (ERROR, "“{column}”的人数“{value}”不是非负整数",
                             "填写人数，如 43；没有人选择的填 0 或留空"),
    "survey_count_over_size": (ERROR, "题目“{name}”各选项人数之和 {total} 超过份数 {value}", "核对各选项人数和份数"),
    "survey_count_duplicate": (ERROR, "题目“{value}”（同一对象类别）在“问卷汇总”中重复（首次出现在 {first}）",
                               "每道题每个对象类别只写一行：删除或合并重复的行"),
    "survey_count_not_an_option": (ERROR, "题目“{name}”（{group}）填写了“{value}”的人数，但它不是该对象类别的选项",
                                   "该对象类别的选项是：{choices}；改正人数，或在“问卷设置”中为该对象类别加上这个选项"),
    # --- survey platform exports (perfxl survey import) ----------------------------------------
    "survey_export_read": (INFO, "“{path}”识别为{kind}导出（{detail}）：{count} 份答卷，{total} 道题导入", ""),
    "survey_export_no_header": (ERROR, "“{path}”前 {rows} 行中找不到问卷的表头（序号、编号、提交答卷时间或带题号的题目"
                                "）",
                                "导入问卷星、腾讯问卷导出的原始文件；手工表格请让第一行是表头：编号、对象类别，其后每"
                                "列一道题"),
    "survey_export_no_question": (ERROR, "“{path}”中没有可计分的单选题（各列：{detail}）",
                                  "导出时选择“按选项文本”或“按选项序号”；多选、填空题不能计分"),
    "survey_export_matrix": (INFO, "矩阵题的 {count} 行各作为一道题导入：{columns}",
                             "题组中写这道题的题号（如“题5”）即包含它的每一行"),
    "survey_export_skipped": (WARNING, "{kind}不计分，未导入：{columns}",
                              "如需计分，请改为单选题或在“问卷汇总”中填写各选项人数"),
    "survey_import_group_exists": (ERROR, "“问卷”页已有 {count} 份对象类别为“{value}”的答卷，未导入（文件未改动）",
                                   "确认要用这次导出替换它们时加 --replace（原文件先备份）；或用 --set 导入为另一个对"
                                   "象类别"),
    "info_missing": (WARNING, "基本信息“{column}”未填写", "填写{column}，汇总和报告会用到"),
    "info_year": (WARNING, "评价年度“{value}”不是年份", "填写四位年份，如 2022"),
    "info_credit": (WARNING, "统一社会信用代码“{value}”格式不对", "填写 18 位统一社会信用代码（数字和大写字母）"),
    "info_kind": (WARNING, "评价类型“{value}”不在列表中", "从下拉列表选择：{choices}"),
    "info_date": (WARNING, "评价日期“{value}”不是日期", "填写日期，如 2023-06-30"),
    "grade_min": (ERROR, "等级最低分“{value}”应为 0～100 的数字", "填写该等级的最低分（含），如 80"),
    "grade_duplicate": (ERROR, "等级“{value}”重复", "每个等级只写一行"),
    # --- fill / consolidate (perfxl fill, perfxl consolidate) ------------------------------
    # roster -> one workbook per row (perfxl fill)
    "fill_roster_no_header": (ERROR, "名单“{path}”的工作表“{sheet}”前{rows}行中找不到表头行（至少应有“单位名称”列）",
                              "在第一行写表头：单位名称、评价年度……以及“基础数据”的项目名称（如 年初预算数）"),
    "fill_roster_empty": (ERROR, "名单“{path}”的表头下没有任何数据行", "在表头下方每行填写一个单位"),
    "fill_unknown_column": (WARNING, "名单的列“{value}”无法识别，未写入任何工作簿",
                            "改为“基本信息”或“基础数据”中的项目名称（如 单位名称、评价年度、年初预算数），或删除该列"),
    "fill_column_duplicate": (WARNING, "名单中“{header}”对应了多列（{cells}），只使用第一列", "删除或改名多余的列"),
    "fill_column_ignored": (WARNING, "名单的列“{value}”由模板决定，已忽略", "删除该列"),
    "fill_no_basic_sheet": (WARNING, "模板中没有“{sheet}”工作表，名单中的 {columns} 未写入",
                            "换用含“{sheet}”工作表的模板（perfxl template 生成），或删除这些列"),
    "fill_field_missing": (WARNING, "模板“{sheet}”中找不到“{field}”一行，名单的该列未写入",
                           "在模板“{sheet}”的 A 列加入“{field}”一行，或删除名单中的该列"),
    "fill_unit_missing": (ERROR, "名单第{row}行没有单位名称，未生成工作簿", "填写单位名称，或删除该行"),
    "fill_exists": (ERROR, "“{path}”已存在，未覆盖", "加 --force 覆盖（会先备份原文件），或换一个输出目录"),
    "fill_name_clash": (ERROR, "名单第{row}行生成的文件名“{name}”与第{other}行相同，未生成",
                        "区分两行的单位名称（或评价人），或删除重复的行"),
    "fill_not_number": (WARNING, "“{column}”的值“{value}”不是数字，已按文字写入", "在名单中填写数字，如 1234.5"),
    "fill_code_number": (WARNING,
                         "“{column}”的值 {value} 存成了数字：Excel 只保留 15 位有效数字，代码的末几位已经丢失，未写入",
                         "把名单中该列设为“文本”格式后重新输入代码（或先输入英文单引号 ' 再输入代码）"),
    "fill_total_row": (WARNING, "名单第{row}行是“{value}”行，不是单位，未生成工作簿",
                       "无需处理；若确是单位，请写单位全称"),
    "fill_unit_mismatch": (WARNING,
                           "“{column}”的值“{value}”的单位“{unit}”不能换算成模板中“{field}”的单位“{want}”，未写入",
                           "在名单中按“{want}”填写数字，或在表头注明单位，如“{field}（{want}）”"),
    # many workbooks -> summary workbook (perfxl consolidate)
    "consolidate_no_files": (ERROR, "在 {paths} 中没有找到 Excel 工作簿（.xlsx、.xlsm、.xls、.xlsb、.ods，WPS 的 .et）",
                             "检查路径；文件夹会逐层查找其中的工作簿"),
    "consolidate_path_missing": (ERROR, "找不到文件或文件夹“{path}”，没有汇总任何文件",
                                 "检查路径是否拼写正确；路径中有空格时请用引号括起来"),
    "consolidate_lock_file": (INFO, "“{path}”是 Excel、WPS 打开文件时生成的临时锁文件，不是工作簿，已跳过",
                              "在 Excel 中关闭对应的工作簿后它会自动消失；如已无用可直接删除"),
    "consolidate_backup_file": (INFO, "“{path}”是 perfxl 写入前留下的备份，不是新的提交，已跳过",
                                "汇总时不必理会；如已无用可删除或移出文件夹"),
    "consolidate_mac_file": (INFO, "“{path}”是 macOS 复制或压缩文件时附带的隐藏文件（._ 开头或在 __MACOSX 文件夹中），"
                                   "不是工作簿，已跳过",
                             "汇总时不必理会；如已无用可删除（解压时可不要 __MACOSX 文件夹）"),
    "summary_not_evaluation": (ERROR, "“{path}”是 perfxl 的汇总工作簿，不是评分工作簿",
                               "校验、评分请用各单位的评分工作簿；由汇总工作簿生成报告请用 perfxl report"),
    "system_not_evaluation": (ERROR, "“{path}”是指标体系文件（有“指标体系”页、没有“指标评分”页），不是评分工作簿",
                              "先运行 perfxl template --from {path} -o 评分模板.xlsx 生成评分工作簿，"
                              "填写后再校验、评分"),
    "consolidate_system_file": (INFO, "“{path}”是指标体系文件，不是评分工作簿，已跳过",
                                "汇总时不必理会；也可把指标体系文件存到收回文件所在文件夹之外"),
    "consolidate_summary_file": (INFO, "“{path}”是 perfxl 写出的汇总工作簿，不是评分工作簿，已跳过",
                                 "汇总时不必理会；也可把汇总工作簿存到收回文件所在文件夹之外"),
    "consolidate_no_total": (ERROR, "总分无法计算：{first}（共 {count} 个错误）",
                             "运行 perfxl validate 该文件，改正全部错误后重新汇总"),
    "consolidate_strict": (ERROR, "有 {count} 个校验错误（使用了 --strict，有错误的工作簿不纳入）：{first}",
                           "运行 perfxl validate 该文件，改正全部错误后重新汇总；或去掉 --strict"),
    "consolidate_info_missing": (ERROR, "“{sheet}”中{column}未填写，无法归入汇总", "填写{column}后重新汇总"),
    "consolidate_duplicate_copy": (WARNING, "与“{other}”是同一单位、年度、评价人（{who}）的重复提交"
                                   "（见{cells}），内容相同，只纳入“{other}”",
                                   "删除多余的副本"),
    "consolidate_duplicate_conflict": (ERROR, "与{others}是同一单位、年度、评价人（{who}）的重复提交"
                                       "（见{cells}），且得分不同，无法确定以哪份为准，均未纳入",
                                       "保留正确的一份、删除其余；如是不同评价人，请在“基本信息”的评价人中分别填写"),
    "consolidate_system_mismatch": (ERROR, "指标体系与其余 {count} 份工作簿（如“{reference}”）不同：{detail}，未纳入以"
                                    "免混算",
                                    "按同一模板填写；不同指标体系的工作簿请放在不同文件夹分别汇总"),
    "consolidate_internal": (ERROR, "处理“{path}”时出错：{detail}", "请把该文件和命令报告给维护者"),
    "consolidate_output_exists": (ERROR, "输出文件“{path}”已存在",
                                  "加 --force 覆盖（会先备份原文件），或用 -o 指定其他文件名"),
    "consolidate_output_is_input": (ERROR, "输出文件“{path}”是要汇总的工作簿之一，写入汇总会覆盖这份提交，"
                                           "已拒绝（没有汇总任何文件）",
                                    "用 -o 另选一个文件名（如 -o 汇总.xlsx），不要与收回的工作簿同名"),
    "consolidate_output_folder": (ERROR, "输出路径“{path}”不是文件：这是一个文件夹（没有汇总任何文件）",
                                  "用 -o 给出以 .xlsx 结尾的文件名，如 -o {example}"),
    "consolidate_scheduler": (ERROR, "无法使用 Dask 调度器“{address}”：{detail}",
                              "检查地址和端口（如 tcp://10.0.0.5:8786），本机试用可写 --scheduler local；"
                              "需先安装可选依赖：pip install \"perfxl[dask]\""),
    "consolidate_worker_lost": (ERROR, "处理“{path}”时工作进程意外退出（{detail}）",
                                "用 perfxl validate 单独检查该文件；如仍出错，请把文件报告给维护者"),
    # --- Word report (perfxl report) -------------------------------------------------
    "report_output_suffix": (ERROR, "报告输出文件“{path}”不是 .docx 文件",
                             "用 -o 指定以 .docx 结尾的文件名，如 -o 报告.docx"),
    "report_each_output": (ERROR, "--each 为每个单位各写一份报告，-o 应是文件夹，而“{path}”是文件",
                           "用 -o 指定一个文件夹（不存在时自动建立），如 -o 各单位报告"),
    "report_template_missing": (ERROR, "找不到报告模板“{path}”",
                                "检查 --template 的路径；可复制 workbook_templates/报告模板.docx 修改"),
    "report_template_invalid": (ERROR, "报告模板“{path}”不是可用的 Word 文档（{detail}）",
                                "用 Word 或 WPS 另存为 .docx（Word 文档）后再试；.doc、.dotx 等格式不能直接使用"),
    "report_template_syntax": (ERROR, "报告模板“{path}”中的标记有误：{detail}{near}",
                               "检查模板中的 {{{{ }}}} 和 {{% %}} 标记是否成对、拼写是否正确；"
                               "可对照 workbook_templates/报告模板.docx"),
    "report_template_too_large": (ERROR, "报告模板“{path}”过大（{detail}），已拒绝使用",
                                  "报告模板只需样式和标记：删去其中的大图片或多余内容后另存，或复制 workbook_template"
                                  "s/报告模板.docx 重新修改"),
    "report_template_unsafe": (ERROR, "报告模板“{path}”中的标记访问了说明以外的内容，已拒绝渲染（{detail}）",
                               "标记只能引用 perfxl/report/document.py 开头列出的数据项（如 {{{{ u.heading }}}}），"
                               "不能调用方法或访问属性；可对照 workbook_templates/报告模板.docx"),
    "report_charts_no_font": (WARNING, "本机没有可用的中文字体，“{path}”中未生成图表",
                              "安装任一中文字体（如 {fonts}）后重新生成报告；Linux 可安装 fonts-noto-cjk"),
    "report_charts_lost": (WARNING, "“{path}”中有 {count} 幅图表未能生成（绘制图表的进程意外退出），报告的其余内容完整",
                           "重新生成报告；如仍缺少图表，请把所用的工作簿报告给维护者"),
    "report_output_locked": (ERROR, "“{path}”正在被 Word 或 WPS 打开（发现锁文件“{lock}”）",
                             "先在 Word 或 WPS 中关闭该文件再运行，或用 -o 写到其他文件名"),
    "report_output_readonly": (ERROR, "“{path}”是只读文件，无法写入报告",
                               "去掉该文件的只读属性，或用 -o 写到其他文件名"),
    "report_validation_errors": (ERROR, "“{path}”有 {count} 个校验错误，报告中的得分仅供参考：{first}",
                                 "运行 perfxl validate {path} 查看全部问题，修正后重新评分并生成报告"),
    # --- report from a consolidated summary, 汇总 button (lead) ---------------------------------
    "report_summary_file_missing": (ERROR, "汇总工作簿列出的文件“{path}”找不到",
                                    "把各单位的评分工作簿放回汇总时的位置，或直接对这些工作簿运行 perfxl report"),
    "report_summary_empty": (ERROR, "汇总工作簿“{path}”没有纳入任何工作簿，无法生成报告",
                             "原因见该汇总工作簿的“未纳入文件”表；改正这些工作簿后重新运行 perfxl consolidate"),
    "report_summary_file_dropped": (ERROR, "汇总工作簿列出的文件“{path}”现在不能纳入汇总（汇总之后被改动过）：{reason}",
                                    "改正该文件后重新运行 perfxl consolidate，再由新的汇总工作簿生成报告"),
    "excel_sheet_protected": (ERROR, "工作表“{sheet}”设置了保护密码，perfxl 无法把结果写入；本工作簿未被修改",
                              "在“审阅 → 撤消工作表保护”中输入密码，再点一次按钮"),
    "excel_write_failed": (ERROR, "Excel 拒绝写入结果（{detail}），结果可能只写入了一部分",
                           "退出单元格编辑（按 Enter 或 Esc）、撤消工作表保护后再点一次按钮：每次都会重新写出全部结果"),
    "excel_refused": (ERROR, "Excel 拒绝了这次操作（{detail}），工作簿未被修改",
                      "退出单元格编辑（按 Enter 或 Esc）后再点一次按钮"),
    "excel_consolidate_unsaved": (ERROR,
                                  "汇总工作簿“{path}”还没有保存到本机的文件夹中，不知道去哪个文件夹找各单位的工作簿",
                                  "在“汇总设置”页填写存放各单位评分工作簿的文件夹（完整路径），或先把本工作簿保存到那个文件夹"),
    "excel_consolidate_folder": (ERROR, "“汇总设置”中的文件夹“{path}”不存在",
                                 "在“汇总设置”页填写存放各单位评分工作簿的文件夹"),
    # --- robustness and safety (可靠性与安全): hostile, broken and unusual inputs -------------------
    "file_unsafe": (ERROR, "“{path}”中的“{member}”含有 DTD 声明（<!DOCTYPE>/<!ENTITY>），正常的工作簿不会有，"
                           "可能是恶意构造的文件，已拒绝读取",
                    "确认文件来源；如确需使用，请在 Excel 或 WPS 中打开后另存为新的 .xlsx"),
    "password_wrong": (ERROR, "“{path}”的打开密码不正确", "核对密码（区分大小写）后用 --password 重新提供"),
    "password_unsupported": (ERROR, "“{path}”设置了打开密码，但没有安装解密所需的 msoffcrypto-tool",
                             "运行 pip install msoffcrypto-tool，或在 Excel 中取消密码后另存"),
    "sheet_too_large": (ERROR, "“{path}”的工作表“{sheet}”的数据区域达 {rows} 行 × {cols} 列，超过 perfxl 的上限 {limit}"
                        " 个单元格"
                               "（最远的内容在 {far}），已拒绝读取以免耗尽内存",
                        "删除表格下方和右侧多余的内容（选中多余的行或列后“删除”，而不是按 Delete 清除）后保存"),
    "row_hidden": (WARNING, "第{row}行是隐藏行，仍按指标计分", "如该指标不应计分，请删除该行，而不是隐藏"),
    "date_not_number": (ERROR, "{column}是日期“{value}”，不是数字（该单元格被设成了日期格式，原来的数字是 {serial}）",
                        "选中该单元格，把数字格式改为“常规”或“数值”，再核对数值"),
    "table_too_long": (ERROR, "“{path}”的工作表“{sheet}”表头下有 {count} 行内容，超过上限 {limit} 行",
                       "删除表格下方与指标无关的内容；一份评分工作簿的三级指标不会这么多"),
    "row_without_code_more": (ERROR, "另有 {count} 行填写了内容但没有编号（前面已列出 {shown} 行）",
                              "筛选“编号”为空的行，填写编号或清空整行"),
    "too_big_to_write": (ERROR, "“{path}”有 {cells} 个单元格（含只有格式的空单元格），超过 perfxl 写回的上限 {limit}，"
                                "结果未写入（原文件未改动）",
                         "用 --no-write 只计算；或删除表格下方和右侧多余的行、列（只有格式也算）后保存再评分"),
    "legacy_format_output": (INFO, "“{path}”是 {kind} 格式，perfxl 不能在其中写入；结果写入新的标准工作簿“{output}”，"
                                   "原文件未改动。新文件各单元格的位置与原文件相同，问题所指的单元格在两个文件中一致",
                             ""),
    "legacy_format_in_place": (ERROR, "“{path}”是 {kind} 格式，不能原位写入",
                               "去掉 --in-place，结果会写入新的 .xlsx 文件"),
    "write_strict": (ERROR, "“{path}”是 Excel 的“Strict Open XML 电子表格”格式，perfxl 不能在其中写入；原文件未改动",
                     "在 Excel 中打开它，另存为“Excel 工作簿(*.xlsx)”后再试"),
    "write_load_failed": (ERROR, "perfxl 能读出“{path}”的数值，但无法把它载入以写回结果（{detail}）；结果未写入，原文"
                          "件未改动",
                          "用 --no-write 只计算；或在 Excel 或 WPS 中打开并另存为新的 .xlsx 后再评分"),
}


def problem(code: str, *, file: str = "", sheet: str = "", cell: "str | CellRef" = "", column: str = "",
            value: object = "", severity: str | None = None, **params: object) -> Problem:
    """The catalogue's message ``code`` with its placeholders filled. ``cell``: a CellRef, or text
    (a single cell is parsed once here into ``Problem.at``)."""
    sev, message, fix = CATALOGUE[code]
    fields = {"column": column, "value": value, "sheet": sheet, **params}
    at = cell if isinstance(cell, CellRef) else CellRef.parse(cell) if cell else None
    return Problem(
        severity=severity or sev,
        code=code,
        message=message.format(**fields),
        fix=fix.format(**fields),
        file=file,
        sheet=sheet,
        cell=str(cell),
        column=column,
        value="" if value is None else str(value),
        at=at,
        params=fields,
    )


#: the same problems on an official form (自评表), in the form's terms: (code, part) -> (severity or None for
#: the catalogue's, message, fix); part: "score" (a 得分 typed in the indicator table), "actual" (实际完成值),
#: "funds" (the 资金 block's 得分), "" (any)
FORM_CATALOGUE: dict[tuple[str, str], tuple[str | None, str, str]] = {
    ("info_missing", ""): (None, "自评表表头中的{column}未填写", "在表头填写{column}，汇总和报告会用到"),
    ("actual_missing", "score"): (None, "定性指标的得分为空",
                                  "在“得分”填写所属档次内的得分：达成年度指标 (100%–80%]、部分达成并具有一定效果 "
                                  "(80%–60%]、未达成且效果较差 (60%–0%]"),
    ("actual_missing", "actual"): (None, "实际完成值为空", "填写实际完成值：{hint}"),
    ("actual_invalid", "score"): (None, "定性指标的得分不可用：{detail}", "填写 0 到该指标分值之间的得分"),
    ("actual_invalid", "actual"): (None, "实际完成值不符合年度指标值：{detail}", "填写{hint}"),
    ("note_required_judgement", ""): (None, "定性指标没有得满分，须写明原因",
                                      "在“偏差原因分析及改进措施”中写明扣分原因和改进措施"),
    ("note_required_deviation", ""): (None, "填写的得分 {evaluator} 与按年度指标值计算的 {rule} 不同，但没有写明原因",
                                      "在“偏差原因分析及改进措施”中写明理由，或删除这个得分以按规则计分"),
    ("note_required_deviation", "funds"): (WARNING, "资金块填写的得分 {evaluator} 与按执行率计算的 {rule} 不同：已作为"
                                           "评价人给定的得分使用（资金块没有说明栏，请在评价报告中写明理由）",
                                           "如不需要，删除这个得分，perfxl 将按执行率计分"),
    ("score_typed", "score"): (None, "定量指标的得分由 perfxl 按年度指标值和实际完成值计算，这里填了 {value}："
                               "已作为评价人给定的得分使用",
                               "如不需要，删除这个数字，perfxl 将按规则计分；与规则得分不同时须写明原因"),
    ("score_typed", "funds"): (None, "资金块的得分由 perfxl 按执行率计算，这里填了 {value}：已作为评价人给定的得分使用",
                               "如不需要，删除这个数字，perfxl 将按执行率计分"),
    ("computed_typed", ""): (None, "得分由 perfxl 计算，这里填了 {value}，评分后将改写为 perfxl 的计算结果",
                             "删除这段文字；评价人给定的得分请填数字"),
    ("rule_unscored", ""): (None, "该指标无法按规则计分，已采用填写的得分 {evaluator}", "修正上面指出的问题"),
    ("target_missing", ""): (None, "定量指标需要年度指标值", "填写年度指标值，如 ≥60家、=100%、≤5%"),
    ("target_invalid", ""): (None, "{detail}", "年度指标值写成“比较符+数字+单位”，如 ≥60家、≤5%、=100%"),
}


def reworded(p: Problem, part: str, cell: "CellRef | None" = None) -> Problem:
    """``p`` in an official form's terms (FORM_CATALOGUE), pointed at ``cell`` when given; as it is when the
    form words it no differently."""
    entry = FORM_CATALOGUE.get((p.code, part)) or FORM_CATALOGUE.get((p.code, ""))
    if entry is None:
        return p
    from dataclasses import replace

    sev, message, fix = entry
    at = cell or p.at
    return replace(p, severity=sev or p.severity, message=message.format(**p.params), fix=fix.format(**p.params),
                   at=at, cell=str(at) if at is not None else p.cell)


def worst_exit_code(problems: Iterable[Problem]) -> int:
    """The exit code of a run that found ``problems``: 1 with any error, else 0."""
    return 1 if any(p.severity == ERROR for p in problems) else 0


# --- docs/messages.md: every message, generated from CATALOGUE (tests check it is current) ---------

_PLACEHOLDERS = {"path": "文件名", "file": "文件名", "sheet": "工作表", "column": "列名", "value": "单元格的值",
                 "detail": "具体原因", "engine": "perfxl 的结果", "cell": "单元格", "cells": "单元格", "row": "行号",
                 "rows": "行数", "cols": "列数",
                 "names": "现有工作表", "header": "表头", "aliases": "可接受的写法", "method": "计分方法",
                 "syntax": "参数写法", "hint": "填写方法", "choices": "可选项", "weight": "分值", "name": "名称",
                 "address": "调度器地址", "backup": "备份文件名", "columns": "列", "count": "数量",
                 "current": "当前版本", "declared": "标注分值", "evaluator": "评价得分", "far": "单元格",
                 "field": "项目", "figure": "派生指标", "figures": "派生指标名", "first": "第一个问题",
                 "fix_hint": "提示", "fonts": "字体名", "found": "工作簿中的版本",
                 "group": "对象类别", "groups": "现有类别", "headers": "现有表头", "kind": "格式", "level": "指标级别",
                 "limit": "上限", "mapping": "换算关系",
                 "lock": "锁文件", "member": "部件", "near": "位置", "other": "另一行或文件", "others": "其他文件",
                 "output": "输出文件", "paths": "路径", "reference": "参照文件", "rule": "规则得分", "serial": "数字",
                 "sets": "现有题组", "shown": "已列出数", "source": "数据来源", "total": "合计", "who": "评价人",
                 "options": "选项", "what": "缺少的参数", "usage": "用法", "help": "帮助命令", "suggest": "建议",
                 "option": "选项", "example": "示例", "suffixes": "扩展名", "formula": "公式", "read": "读作",
                 "derived": "计算结果", "why": "原因", "computed": "计算结果", "default": "默认设定", "own": "默认单位",
                 "folder": "文件夹"}
MESSAGES_DOC = "docs/messages.md"


class _Labels(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "〈" + _PLACEHOLDERS.get(key, key) + "〉"


def messages_table() -> str:
    """Every message (code, level, message, fix), placeholders named in Chinese, as a Markdown table."""
    labels = {ERROR: "错误", WARNING: "警告", INFO: "提示"}
    lines = ["| 代码 | 级别 | 提示内容 | 怎么办 |", "|---|---|---|---|"]
    for code, (sev, message, fix) in CATALOGUE.items():
        cells = [message.format_map(_Labels()), fix.format_map(_Labels()) or "—"]
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells]
        lines.append(f"| `{code}` | {labels[sev]} | {cells[0]} | {cells[1]} |")
    parts = {"score": "自评表·得分", "actual": "自评表·实际完成值", "funds": "自评表·资金块", "": "自评表"}
    for (code, part), (form_sev, message, fix) in FORM_CATALOGUE.items():
        cells = [message.format_map(_Labels()), fix.format_map(_Labels()) or "—"]
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in cells]
        level = labels[form_sev or CATALOGUE[code][0]]
        lines.append(f"| `{code}`（{parts[part]}） | {level} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def messages_doc() -> str:
    """docs/messages.md as it should be."""
    return ("# perfxl 的全部提示\n\n"
            "perfxl 的每条提示都指出文件、工作表和单元格，说明哪里不对、怎么改。本表由 `perfxl/check/problems.py` 的 "
            "`CATALOGUE` 生成（`python -m perfxl.check.problems --write`），测试会发现它过期。〈 〉中是随情况填入的内容"
            "。\n\n"
            "退出码：`0` 无错误（可能有警告）；`1` 有校验错误；`2` 输入无法使用；"
            "`3` perfxl 内部错误；`130` 被中断。\n\n"
            + messages_table())


if __name__ == "__main__":          # python -m perfxl.check.problems --write: regenerate docs/messages.md
    import sys
    from pathlib import Path

    if sys.argv[1:] and sys.argv[1] in ("--write", "--readme"):
        target = Path(__file__).resolve().parents[2] / MESSAGES_DOC
        target.parent.mkdir(exist_ok=True)
        target.write_text(messages_doc(), encoding="utf-8")
    else:
        sys.stdout.write(messages_table())
