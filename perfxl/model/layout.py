"""The workbook layout: sheet names, headers, aliases, fields, template version.

This is the only module that spells a sheet name or a header. Everything else
refers to columns and fields by their English key.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from perfxl.model.text import normalize as normalize  # re-exported: callers match headers with L.normalize

TEMPLATE_VERSION = "1.0"

# --- sheets -----------------------------------------------------------------

SHEET_GUIDE = "说明"
SHEET_INFO = "基本信息"
SHEET_INDICATORS = "指标评分"
SHEET_SUMMARY = "得分汇总"
SHEET_PROBLEMS = "校验结果"
SHEET_DEVIATIONS = "评价偏差"
SHEET_LISTS = "选项"
SHEET_BASIC = "基础数据"
SHEET_SURVEY = "问卷"
SHEET_SURVEY_SETUP = "问卷设置"
SHEET_SURVEY_COUNTS = "问卷汇总"
SHEET_SURVEY_STATS = "问卷统计"
SHEET_SYSTEM = "指标体系"

SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    SHEET_INFO: ("基本情况", "基础信息", "单位信息"),
    SHEET_INDICATORS: ("评分表", "指标评分表", "评价指标", "评分", "绩效评价指标评分表"),
    SHEET_BASIC: ("基础数据表", "基础信息表", "预算数据", "基础数据采集表"),
    SHEET_SURVEY: ("问卷数据", "问卷结果", "满意度问卷", "调查问卷"),
    SHEET_SURVEY_SETUP: ("问卷选项", "问卷配置"),
    SHEET_SURVEY_COUNTS: ("问卷汇总表", "选项计数", "问卷计数", "满意度汇总"),
    SHEET_SYSTEM: ("评价指标体系", "绩效评价指标体系", "指标库"),
}


def match_sheet(wanted: str, names: list[str]) -> str | None:
    """The workbook's own name of sheet `wanted`, matched tolerantly."""
    keys = {normalize(a) for a in (wanted, *SHEET_ALIASES.get(wanted, ()))}
    for name in names:
        if normalize(name) in keys:
            return name
    return None


# --- 指标评分 columns --------------------------------------------------------

INPUT, COMPUTED = "input", "computed"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    role: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: float = 12
    help: str = ""
    number_format: str | None = None


INDICATOR_COLUMNS: tuple[Column, ...] = (
    Column("code", "编号", INPUT, True, ("序号", "指标编号", "指标代码", "代码"), 8,
           "每行唯一，如 1、2.1 或 A01"),
    Column("level1", "一级指标", INPUT, True, ("一级",), 14,
           "可写成“部门决策(15分)”以标注本级分值；合并单元格或留空表示同上"),
    Column("level2", "二级指标", INPUT, True, ("二级",), 14,
           "可写成“资金管理(10分)”；合并单元格或留空表示同上"),
    Column("name", "三级指标", INPUT, True, ("三级", "指标名称", "评价指标"), 22),
    Column("weight", "分值", INPUT, True, ("权重", "指标分值", "标准分", "分数", "权重分"), 8,
           "正数，全部三级指标合计 100；本年不适用的指标填 0 或在实际值填“不适用”", "0.00"),
    Column("explanation", "指标解释", INPUT, False, ("指标说明", "指标内涵"), 24),
    Column("criterion", "评分标准", INPUT, False, ("评分规则", "评分细则", "计分标准", "评价标准"), 40),
    Column("method", "计分方法", INPUT, True, ("计分方式", "评分方法", "计分规则", "计分类型"), 12,
           "从下拉列表选择，见“说明”页"),
    Column("params", "计分参数", INPUT, False, ("参数", "评分参数", "计分参数设置"), 28,
           "按“说明”页的写法填写"),
    Column("source", "数据来源", INPUT, False, ("取数来源", "派生指标", "取数"), 16,
           "可选：填派生指标名（如 支出预算执行率）或 问卷:题组名，代替手填实际值；见“说明”页"),
    Column("target", "目标值", INPUT, False, ("指标值", "年度指标值", "计划值", "目标", "年度目标值",
                                             "全年指标值", "年度绩效指标值"), 12,
           "如 ≥60家、≤5%、=100%；几个目标写在一格用顿号分隔，如 ≥20户、≥10户，或 各1个"),
    Column("actual", "实际值", INPUT, True, ("实际完成值", "完成值", "全年实际值", "实际", "评价结果",
                                            "全年实际完成值", "实际完成情况"), 14,
           "如 62、62家、96%、0.96；清单填满足的要点如 ①②③；等级填等级名；不适用的指标填“不适用”"),
    Column("evaluator_score", "评价得分", INPUT, False, ("评价人得分", "人工得分", "专家得分", "评分人得分"), 10,
           "可选：评价人给定的得分；填写后作为最终得分，与规则不同须写评价说明", "0.00"),
    Column("note", "评价说明", INPUT, False, ("评价意见", "扣分原因", "偏差原因", "备注", "得分说明",
                                             "偏差原因分析及改进措施", "偏差原因分析", "未完成原因分析",
                                             "偏差原因及改进措施"), 30),
    Column("rule_score", "规则得分", COMPUTED, False, ("按规则得分",), 10, "", "0.00"),
    Column("score", "得分", COMPUTED, False, ("最终得分",), 9, "", "0.00"),
    Column("rate", "得分率", COMPUTED, False, (), 9, "", "0.00%"),
    Column("process", "评分过程", COMPUTED, False, ("评分说明",), 50),
)

COLUMNS_BY_KEY = {c.key: c for c in INDICATOR_COLUMNS}
#: an administrator's indicator list (perfxl template --from): the indicator columns minus the evaluation
SYSTEM_KEYS = ("code", "level1", "level2", "name", "weight", "explanation", "criterion", "method", "params",
               "source", "target")
SYSTEM_REQUIRED = ("code", "level1", "level2", "name", "weight", "method")
INPUT_KEYS = tuple(c.key for c in INDICATOR_COLUMNS if c.role == INPUT)
COMPUTED_KEYS = tuple(c.key for c in INDICATOR_COLUMNS if c.role == COMPUTED)

#: how many rows of the top of a sheet are searched for the header row
HEADER_SEARCH_ROWS = 15


@lru_cache(maxsize=8)
def header_lookup(columns: tuple[Column, ...] = INDICATOR_COLUMNS) -> Mapping[str, str]:
    """normalized header or alias -> column key (built once: every workbook asks; read, never changed)"""
    return lookup((col.key, (col.header, *col.aliases)) for col in columns)


def lookup(names: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """normalized name -> key, from (key, names) pairs (a later pair wins a name two share)"""
    return {normalize(text): key for key, texts in names for text in texts}


# --- 基本信息 fields ---------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    help: str = ""
    choices: tuple[str, ...] = ()


EVALUATION_TYPES = ("部门整体支出绩效评价", "项目支出绩效评价", "项目支出绩效自评", "其他")
#: how the total is converted when some indicators do not apply (the 基本信息 setting): label -> key
NA_METHODS = {"得分÷适用分值×100": "rescale", "不适用指标按满分计": "full", "不换算（直接相加）": "sum"}
NA_METHODS_CHOICES = tuple(NA_METHODS)
NA_METHOD_DEFAULT = "得分÷适用分值×100"
#: built-in framework id -> its 评价类型
FRAMEWORK_KINDS = {"department": EVALUATION_TYPES[0], "project": EVALUATION_TYPES[1], "self": EVALUATION_TYPES[2]}

INFO_FIELDS: tuple[Field, ...] = (
    Field("unit", "单位名称", ("被评价单位", "部门名称", "单位"), "被评价部门（单位）全称"),
    Field("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码"), "18 位代码"),
    Field("year", "评价年度", ("年度", "评价年份"), "如 2022"),
    Field("kind", "评价类型", ("评价种类",), "从下拉列表选择", EVALUATION_TYPES),
    Field("project", "项目名称", ("评价项目",), "项目支出评价时填写"),
    Field("evaluator_org", "评价机构", ("评价单位", "第三方机构"), ""),
    Field("evaluator", "评价人", ("评价人员", "评分人", "专家"), "多人评价时每人一份工作簿"),
    Field("date", "评价日期", ("日期",), "如 2023-06-30"),
    Field("na_method", "不适用指标的总分换算", ("总分换算方法", "不适用指标处理", "总分折算方法"),
          "有不适用的指标（实际值填“不适用”或分值为 0）时总分怎样算；默认 得分÷适用分值×100", NA_METHODS_CHOICES),
    Field("template_version", "模板版本", ("版本",), "由 perfxl 生成，请勿修改"),
)
INFO_BY_KEY = {f.key: f for f in INFO_FIELDS}

INFO_HEADER = ("项目", "内容")
GRADE_HEADER = ("等级", "最低分(含)")
GRADE_HEADER_ALIASES = {GRADE_HEADER[0]: ("评级", "绩效等级"),
                        GRADE_HEADER[1]: ("最低分", "分数下限", "下限", "起点分")}
#: a row of the indicator table labelled like this is a total, not an indicator
TOTAL_ROW_WORDS = frozenset({"合计", "总计", "总分", "合计得分", "小计"})

#: 财预〔2020〕10号: 优 90–100 (含90), 良 80–90, 中 60–80, 差 <60
DEFAULT_GRADES: tuple[tuple[str, float], ...] = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))


@lru_cache(maxsize=1)
def info_lookup() -> Mapping[str, str]:
    """normalized 基本信息 label or alias -> field key (built once, as header_lookup)"""
    return lookup((f.key, (f.label, *f.aliases)) for f in INFO_FIELDS)


# --- 基础数据 fields ---------------------------------------------------------

@dataclass(frozen=True)
class BasicField:
    key: str
    label: str
    unit: str
    aliases: tuple[str, ...] = ()
    help: str = ""


BASIC_FIELDS: tuple[BasicField, ...] = (
    BasicField("budget_initial", "年初预算数", "万元", ("年初预算", "年初批复预算数")),
    BasicField("budget_adjusted", "调整后预算数", "万元", ("调整后预算", "全年预算数", "预算数"),
               "年初预算加减年中调整后的全年预算"),
    BasicField("spent_total", "决算支出数", "万元", ("实际支出数", "决算支出", "全年执行数", "执行数")),
    BasicField("spent_basic", "基本支出", "万元", ("基本支出数",)),
    BasicField("spent_project", "项目支出", "万元", ("项目支出数",)),
    BasicField("personnel", "人员经费", "万元", ()),
    BasicField("public_current", "公用经费本年数", "元", ("本年公用经费", "公用经费本年")),
    BasicField("public_previous", "公用经费上年数", "元", ("上年公用经费", "公用经费上年")),
    BasicField("sangong_budget", "“三公”经费预算数", "元", ("三公经费预算数", "三公经费预算")),
    BasicField("sangong_actual", "“三公”经费实际数", "元", ("三公经费实际数", "三公经费支出数", "三公经费实际支出数")),
    BasicField("procurement_budget", "政府采购预算数", "万元", ("政府采购预算",)),
    BasicField("procurement_actual", "政府采购实际数", "万元", ("政府采购实际金额", "实际政府采购金额")),
    BasicField("staff_quota", "编制数", "人", ("核定编制数", "人员编制数")),
    BasicField("staff_actual", "在职人数", "人", ("实有在职人数", "在职人员数")),
    BasicField("assets_total", "固定资产总额", "元", ("所有固定资产总额", "固定资产原值")),
    BasicField("assets_in_use", "在用固定资产总额", "元", ("实际在用固定资产总额", "在用固定资产")),
    BasicField("funds_planned", "计划投入资金", "万元", ("应到位资金", "计划到位资金", "资金计划数")),
    BasicField("funds_arrived", "实际到位资金", "万元", ("到位资金", "资金到位数")),
    BasicField("carryover", "结转结余资金", "万元", ("结转结余数", "结转结余")),
)
BASIC_BY_KEY = {f.key: f for f in BASIC_FIELDS}
BASIC_HEADER = ("项目", "数值", "单位", "说明")

#: units of 基础数据 that perfxl converts (unit -> (kind, factor to the kind's base unit)); another unit
#: is refused. The unit column may also be left blank: the field's own unit (BasicField.unit) applies.
UNITS: dict[str, tuple[str, float]] = {
    "元": ("money", 1.0), "千元": ("money", 1e3), "万元": ("money", 1e4), "百万元": ("money", 1e6),
    "亿元": ("money", 1e8),
    "人": ("people", 1.0), "名": ("people", 1.0), "万人": ("people", 1e4),
    "个": ("count", 1.0), "次": ("count", 1.0), "项": ("count", 1.0), "户": ("count", 1.0), "家": ("count", 1.0),
}
UNIT_ALIASES = {"万": "万元", "千": "千元", "亿": "亿元", "人次": "人"}


def unit_name(text: str) -> str | None:
    """The unit ``text`` names, as UNITS spells it (万 is 万元; in brackets too: “(元)”); None for one perfxl
    does not convert."""
    text = text.strip("()（）")
    unit = UNIT_ALIASES.get(text, text)
    return unit if unit in UNITS else None


def unit_of(text: str) -> tuple[str, float] | None:
    """(kind, factor) of a unit perfxl converts (元/千元/万元/亿元, 人/万人 …), None for another."""
    unit = unit_name(text)
    return None if unit is None else UNITS[unit]

#: the 基础数据 setting that chooses the denominator of 支出预算执行率: one of these fields' labels
BUDGET_BASE_LABEL = "预算执行率分母"
BUDGET_BASE_KEYS = ("budget_adjusted", "budget_initial")
BUDGET_BASE_DEFAULT = "调整后预算数"

#: how a ratio whose numerator and denominator are both 0 is taken (e.g. no "三公" budget and no spending)
ZERO_OVER_ZERO_LABEL = "分子分母均为0时"
ZERO_OVER_ZERO_CHOICES = {"视为100%": "full", "视为0%": "zero", "报告问题": "problem"}
ZERO_OVER_ZERO_DEFAULT = "视为100%"


@lru_cache(maxsize=1)
def basic_lookup() -> Mapping[str, str]:
    """normalized 基础数据 label or alias -> field key (built once, as header_lookup)"""
    return lookup((f.key, (f.label, *f.aliases)) for f in BASIC_FIELDS)


# --- 问卷 -------------------------------------------------------------------------

#: the sheets a questionnaire is read from
SURVEY_SHEETS = (SHEET_SURVEY, SHEET_SURVEY_SETUP, SHEET_SURVEY_COUNTS)
SURVEY_ID_HEADERS = ("编号", "序号", "问卷编号", "答卷编号")
SURVEY_GROUP_HEADERS = ("对象类别", "调查对象", "对象", "类别", "人群", "答卷人类别")
SURVEY_OPTION_HEADER = ("选项", "分值", "计入满意", "对象类别")   # the 4th column is optional
SURVEY_SET_HEADER = ("题组", "题目", "对象类别")
#: 问卷汇总: one row per question (× 对象类别) with the count of every option
SURVEY_COUNT_QUESTION_HEADERS = ("题目", "问题", "题号")
SURVEY_COUNT_SIZE_HEADERS = ("份数", "样本量", "有效问卷", "问卷份数", "回收份数", "答卷数", "合计", "小计", "总数")
SURVEY_ALL_QUESTIONS = ("全部", "所有题目", "全部题目")
#: columns of survey platform exports (问卷星, 腾讯问卷 …) that are not questions: ignored in 问卷
SURVEY_META_HEADERS = (
    # 问卷星
    "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分", "得分", "填写者", "微信昵称", "参考信息",
    "答题序号", "用户ID",
    # 腾讯问卷
    "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市", "自定义字段",
    "用户类型", "用户标识", "昵称", "IP", "UA", "Referrer", "清洗数据结果", "智能清洗数据无效概率", "语言",
    "审核状态", "中奖时间", "中奖金额", "数据版本",
    # others people add or other platforms write
    "提交时间", "开始时间", "结束时间", "填写时间", "作答时长", "填写时长", "用时", "IP地址", "设备", "浏览器",
    "操作系统", "来源渠道", "渠道", "备注", "姓名", "联系电话", "手机号", "手机号码",
)
#: answers that mean "not answered" in exports: skipped by logic, left empty, not shown
SURVEY_SKIPPED_ANSWERS = ("(跳过)", "(空)", "跳过", "-2", "-3", "(未作答)", "未作答", "N/A")
#: how a platform export is named in messages, and the metadata columns that tell it apart
SURVEY_PLATFORMS = {"wjx": "问卷星", "tencent": "腾讯问卷", "generic": "其他平台或手工表格"}
SURVEY_PLATFORM_MARKS = {"wjx": ("提交答卷时间", "所用时间", "来源详情", "来自IP"),
                         "tencent": ("开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "用户标识")}
#: what an export's column was recognised as, in messages
SURVEY_COLUMN_KINDS = {"single": "单选题", "matrix": "矩阵题的一行", "multiple": "多选题", "ranking": "排序题",
                       "text": "填空或开放题", "fill_in": "选项后的填空", "empty": "没有答案的题",
                       "meta": "记录信息", "id": "答卷编号", "group": "对象类别"}
#: a 对象类别 for every group, and for answers without one
SURVEY_ALL_GROUPS = "全部"
SURVEY_NO_GROUP = "未分类"
DEFAULT_SURVEY_OPTIONS = (("非常满意", 1.0, True), ("满意", 0.8, True), ("一般", 0.6, False),
                          ("不满意", 0.3, False), ("非常不满意", 0.0, False))
#: 问卷统计 (output); the set table's 得分率 and 满意率 columns are live formulas
SURVEY_STATS_RATE, SURVEY_STATS_SATISFIED, SURVEY_STATS_SAMPLE = "得分率", "满意率", "样本量（份）"
SURVEY_STATS_SET_HEADERS = ("题组", "对象类别", "题目", "数据来源", SURVEY_STATS_SAMPLE, "有效回答", SURVEY_STATS_RATE,
                            SURVEY_STATS_SATISFIED, "得分率计算", "满意率计算")
#: 问卷统计: the first hidden helper column after the set table (each set's counts)
SURVEY_STATS_HELPER_COL = len(SURVEY_STATS_SET_HEADERS) + 1
SURVEY_STATS_OPTION_HEADERS = ("选项", "分值", "计入满意", "人数", "占比")
#: 问卷统计 after its answers changed where perfxl could not score them again (row 2)
SURVEY_STATS_OUTDATED = ("问卷答案已更新：本页的样本量、有效回答、算式和选项分布已清空（它们属于旧答案），"
                         "请运行 perfxl score（或点“评分”）重新生成")
SURVEY_SOURCE_LABELS = {False: "问卷（逐份答卷）", True: "问卷汇总（选项计数）"}
#: 数据来源 prefixes: a question set's 得分率, or its satisfaction rate
SOURCE_SURVEY_RATE = "问卷"
SOURCE_SURVEY_SATISFIED = "问卷满意率"
SURVEY_RATE_LABELS = {SOURCE_SURVEY_RATE: "得分率", SOURCE_SURVEY_SATISFIED: "满意率"}


# --- 说明 (the guide sheet) ---------------------------------------------------------
GUIDE_KIND_HEADERS = ("计分方法", "说明", "计分参数写法", "实际值填写", "示例：评分标准原文", "示例参数", "示例目标值",
                      "示例实际值", "示例分值", "示例得分", "示例评分过程")
GUIDE_FIGURE_HEADERS = ("派生指标", "公式", "说明")


# --- the official self-evaluation forms (财政部 项目支出/部门整体支出绩效自评表) ------------------------

@dataclass(frozen=True)
class FormSpec:
    """One official self-evaluation form: its title (also its sheet name), the header block's
    fields (基本信息 key, label) two to a row, and the 资金 block's label."""
    key: str
    title: str
    header: tuple[tuple[str, str], ...]
    funds_label: str


FORM_PROJECT = FormSpec("project", "项目支出绩效自评表",
                        (("project", "项目名称"), ("authority", "主管部门"), ("unit", "实施单位")), "项目资金（万元）")
FORM_DEPARTMENT = FormSpec("department", "部门整体支出绩效自评表",
                           (("unit", "部门（单位）名称"), ("authority", "主管部门"), ("contact", "填报人")),
                           "部门资金（万元）")
FORMS = {f.key: f for f in (FORM_PROJECT, FORM_DEPARTMENT)}
#: short names of the forms (perfxl report --form …)
FORM_NAMES = {"project": ("自评表", "项目自评表", "项目支出自评表", "项目"),
              "department": ("部门整体自评表", "部门自评表", "部门整体", "部门")}
#: default output of perfxl report --form: beside the workbook, 文件名_自评表.xlsx
FORM_SUFFIX = "_自评表"
FORM_YEAR = "（{year}年度）"
FORM_HEADER_ALIASES = {"project": ("项目名称",), "unit": ("实施单位", "部门（单位）名称", "部门名称", "单位名称"),
                       "authority": ("主管部门", "主管部门及代码"), "contact": ("填报人",)}
BUDGET_EXECUTION, BUDGET_EXECUTION_SHORT = "支出预算执行率", "预算执行率"     # the 基础数据 figure (score.figures)
EXECUTION_RATE = "执行率"                                                   # its short alias, a 资金 block header
#: the 资金 block: its column headers (基础数据 key or a form-only key) and its rows (资金来源)
FORM_FUND_COLUMNS = (("budget_initial", "年初预算数"), ("budget_adjusted", "全年预算数"), ("spent_total", "全年执行数"),
                     ("weight", "分值"), ("rate", EXECUTION_RATE), ("score", "得分"))
FORM_FUND_ROWS = (("total", "年度资金总额"), ("appropriation", "其中：当年财政拨款"), ("carried", "上年结转资金"),
                  ("other", "其他资金"))
FORM_FUND_ROW_ALIASES = {"total": ("年度资金总额", "资金总额", "合计"),
                         "appropriation": ("其中：当年财政拨款", "当年财政拨款", "财政拨款"),
                         "carried": ("上年结转资金", "上年结转"), "other": ("其他资金",)}
#: the budget-execution indicator the 资金 block scores (its 三级指标 name on the indicator table of a
#: standard workbook, and its 数据来源)
FORM_EXECUTION = (BUDGET_EXECUTION_SHORT, BUDGET_EXECUTION_SHORT, "全年预算执行率")
FORM_EXECUTION_SOURCE = BUDGET_EXECUTION
FORM_EXECUTION_WEIGHT = 10
FORM_EXECUTION_TARGET = "=100%"
FORM_GOALS = ("年度总体目标", "预期目标", "实际完成情况")
FORM_INDICATORS_LABEL = "绩效指标"
#: the indicator table: column key -> header, in order
FORM_INDICATOR_COLUMNS = (("level1", "一级指标"), ("level2", "二级指标"), ("name", "三级指标"),
                          ("target", "年度指标值"), ("actual", "实际完成值"), ("weight", "分值"), ("score", "得分"),
                          ("note", "偏差原因分析及改进措施"))
FORM_INDICATOR_ALIASES = {"note": ("偏差原因分析及改进措施", "原因分析及改进措施", "偏差原因分析", "偏差原因"),
                          "score": ("得分", "自评得分"), "target": ("年度指标值", "指标值", "预期指标值"),
                          "actual": ("实际完成值", "全年实际值", "完成值")}
FORM_TOTAL, FORM_GRADE = "总分", "等级"
FORM_WIDTHS = (12, 14, 22, 14, 14, 8, 8, 30)
#: what a 三级指标 of a form is scored by (the 自评表 rules, DESIGN.md §1): quantitative (a target with a
#: number) by completion ratio; qualitative by the evaluator's judgement in three tiers, typed as 得分
FORM_QUANTITATIVE_METHOD = "完成比率"
FORM_QUALITATIVE = ("酌情评分", "自评三档；得分")
FORM_NOTE = ("填写说明：浅黄色单元格由单位填写。定量指标（年度指标值含数字，如 ≥60家）的得分由 perfxl 按完成比率计算；"
             "定性指标按 达成年度指标 (100%–80%]、部分达成并具有一定效果 (80%–60%]、未达成且效果较差 (60%–0%] "
             "三档，由评价人在“得分”列填写所属档次内的得分。没有分值的指标只记录完成情况，不计分。"
             "保存后运行 perfxl score 本文件.xlsx。")

# --- output sheets -----------------------------------------------------------

SUMMARY_HEADERS = ("一级指标", "二级指标", "分值", "得分", "得分率")
SUMMARY_TITLE = "绩效评价得分汇总"
#: the head of 得分汇总 (column A), each with its value in column B
SUMMARY_HEAD = {"unit": "单位名称", "year": "评价年度", "total": "总分", "grade": "等级", "status": "状态"}
#: 得分汇总: the head lines (单位名称 … 状态) from this row down, labels in A and values in B
SUMMARY_HEAD_ROW = 2
SUMMARY_HEAD_ROWS = {key: SUMMARY_HEAD_ROW + i for i, key in enumerate(SUMMARY_HEAD)}
#: 得分汇总: the line under the head explaining a 总分 converted for 不适用 indicators (when there is one)
SUMMARY_CONVERSION_ROW = SUMMARY_HEAD_ROW + len(SUMMARY_HEAD)
SUMMARY_SUBTOTAL, SUMMARY_TOTAL = "小计", "合计"
#: the 状态 of a live 得分汇总 when the workbook's own formulas decide it
SUMMARY_STATUS_LIVE = {"waiting": "未完成：尚有指标未填写实际值", "unscored": "未完成：有指标需要运行 perfxl 校验",
                       "computed": "已由工作簿公式计算，请运行 perfxl 校验"}
PROBLEM_HEADERS = ("序号", "级别", "工作表", "单元格", "列", "当前值", "问题", "修改建议")
DEVIATION_HEADERS = ("编号", "三级指标", "单元格", "规则得分", "评价得分", "差额", "评价说明")

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}

# --- the terminal's tables (perfxl.cli.render) ---------------------------------------------------
CLI_PROBLEM_HEADERS = ("级别", "位置", "问题", "修改建议")
CLI_DEVIATION_HEADERS = ("单元格", "三级指标", "规则得分", "评价得分", "差额", "评价说明")
CLI_FILL_HEADERS = ("名单行", "单位名称", "文件", "结果")
CLI_WHERE = "位置"
YEAR_SUFFIX = "年度"
CLI_INDICATORS_TITLE = "三级指标"
#: typer's help panels
CLI_PANELS = {"options": "选项", "arguments": "参数", "commands": "命令"}
#: how the help screen and usage errors name the commands' arguments
CLI_METAVARS = {"file": "文件", "roster": "名单", "paths": "文件或文件夹", "export": "导出文件"}


# --- styles (colours only; applied by template and writer) -------------------

@dataclass(frozen=True)
class Palette:
    header: str = "1F4E78"
    header_font: str = "FFFFFF"
    input: str = "FFF9E5"      # pale yellow: fill me in
    computed: str = "E8EEF5"   # pale blue-grey: perfxl writes this
    problem: str = "F8CBAD"    # salmon: look here
    warning: str = "FFE699"
    deviation: str = "DDEBF7"
    level1: str = "D9E1F2"


PALETTE = Palette()
COMMENT_AUTHOR = "perfxl"

DEFAULT_TEMPLATE_ROWS = 60
OUTPUT_SUFFIX = "_评分"

#: lists for dropdowns live on a hidden sheet; column per list
LIST_COLUMNS = {"method": "A", "kind": "B", "source": "C", "marks": "E", "written": "F"}
#: on the hidden 选项 sheet: every cell perfxl highlighted last time (so the next run can undo it)
MARKS_HEADER = "perfxl已标记"
#: on the hidden 选项 sheet: the figures perfxl wrote into the computed columns (Excel row, 规则得分, 得分,
#: 得分率), so that a figure a person types there later is told apart from perfxl's own
WRITTEN_HEADER = "perfxl已写入"
FIGURE_HEADER = ("派生指标", "公式", "计算结果", "计算过程")


def figure_rows(first: list[Any], second: list[Any]) -> list[tuple[int, Any]]:
    """The 派生指标 table on 基础数据 from the sheet's columns A and B (lists from row 1): (0-based row,
    name) of each figure under its header, down to the first blank name; none without the header."""
    from perfxl.model.text import is_blank

    top = next((r for r, (a, b) in enumerate(zip(first, second)) if a == FIGURE_HEADER[0] and b == FIGURE_HEADER[1]),
               None)
    if top is None:
        return []
    out = []
    for r in range(top + 1, len(first)):
        if is_blank(first[r]):
            break
        out.append((r, first[r]))
    return out

# --- live formulas (a workbook that scores itself in Excel, WPS and LibreOffice) ----------------

#: what a formula cell shows when the workbook cannot compute it by itself: a rule whose parameters
#: a formula cannot express, an input the rule engine rejects, or parameters edited since perfxl
#: wrote the formula
FORMULA_MARKER = "请运行 perfxl 校验"
#: header of the hidden helper columns that live formulas read through (n = 1, 2, ...)
FORMULA_HELPER_HEADER = "计算辅助{n}"
#: what 实际值 cells are formatted as in a new workbook: text, kept as typed (see README, 工作簿自己会算分)
ACTUAL_FORMAT = "@"


@dataclass
class TableLayout:
    """Where the indicator table sits in one concrete workbook (found on read)."""
    sheet: str
    header_row: int                   # 1-based
    columns: dict[str, int] = field(default_factory=dict)  # key -> 1-based column
    last_row: int = 0


# --- fill / consolidate (perfxl fill, perfxl consolidate) ------------------------------
# Owned by the fill/consolidate feature; sheet names and headers of the summary workbook.

#: how many rows at the top of a roster are searched for its header row
ROSTER_HEADER_SEARCH_ROWS = 15

SHEET_CONS_SUMMARY = "汇总"
SHEET_CONS_SETUP = "汇总设置"          # the administrator's summary workbook (汇总 button)
#: the 汇总设置 sheet: (key, label, help), then its header and note
CONS_SETUP_FIELDS = (("folder", "文件夹", "存放各单位评分工作簿的文件夹（可含子文件夹）；留空为本工作簿所在的文件夹"),
                     ("panel", "评价组汇总方法", "平均值 / 中位数 / 去掉一个最高分和一个最低分后取平均值"),
                     ("outlier", "偏离阈值", "评价人得分与评价组中位数之差超过分值的这一比例时标出，如 20%"),
                     ("strict", "有校验错误的工作簿", "纳入（注明总分仅供参考）/ 不纳入"))
CONS_SETUP_HEADER = ("设置", "值", "说明")
CONS_SETUP_STRICT_DEFAULT = "纳入（注明总分仅供参考）"
CONS_SETUP_NOTE = "点“汇总”按钮：汇总上面文件夹中的全部评分工作簿，结果写入本工作簿的“汇总”“指标明细”等工作表。"
BUTTON_CONSOLIDATE = "汇总"
BUTTON_VALIDATE, BUTTON_SCORE = "校验", "评分"      # on 基本信息 of a macro-enabled workbook
SHEET_CONS_DETAIL = "指标明细"
SHEET_CONS_ANALYSIS = "指标分析"
SHEET_CONS_PANEL = "评价组"
SHEET_CONS_SURVEY = "问卷得分率"        # written when some workbook has a questionnaire
SHEET_CONS_REJECTED = "未纳入文件"
SHEET_CONS_CHARTS = "图表"
SHEET_CONS_README = "汇总说明"

def is_summary(sheet_names: Iterable[str]) -> bool:
    """The sheets of a summary workbook perfxl wrote (汇总 with its 汇总说明) or of the administrator's
    汇总 workbook (汇总设置): not an evaluation workbook, whatever else it holds."""
    names = list(sheet_names)
    if match_sheet(SHEET_INDICATORS, names):
        return False
    return SHEET_CONS_SETUP in names or {SHEET_CONS_SUMMARY, SHEET_CONS_README} <= set(names)


#: column key -> header, for every table of the summary workbook (and the DataFrames of the API)
CONS_HEADERS: dict[str, str] = {
    "unit": "单位名称", "credit_code": "统一社会信用代码", "year": "评价年度", "kind": "评价类型",
    "total": "总分", "grade": "等级", "rank": "排名", "evaluators": "评价人数", "evaluator_names": "评价人",
    "status": "状态", "note": "备注", "files": "文件",
    "evaluator": "评价人", "file": "文件", "template_version": "模板版本", "code": "编号", "level1": "一级指标",
    "level2": "二级指标", "name": "三级指标", "weight": "分值", "method": "计分方法", "rule_score": "规则得分",
    "evaluator_score": "评价得分", "score": "得分", "rate": "得分率", "deviates": "评价得分与规则不同",
    "units": "单位数", "mean": "平均得分", "min": "最低得分", "max": "最高得分", "mean_rate": "平均得分率",
    "lost": "失分单位数", "deviations": "评价得分与规则不同数",
    "panel_score": "评价组得分", "median": "中位数", "spread": "极差", "std": "标准差",
    "figures": "各评价人得分", "outliers": "偏离较大的评价人",
    "seq": "序号", "category": "类别", "reason": "原因", "sheet": "工作表", "cell": "单元格", "fix": "修改建议",
    "label": "单位", "count": "单位数",
    "survey": "问卷（题组）", "group": "调查对象", "sample": "样本量（份）", "valid": "有效回答人次",
    "survey_rate": "得分率", "satisfied": "满意率", "survey_source": "数据形式",
}
CONS_SUMMARY_KEYS = ("unit", "credit_code", "year", "kind", "total", "grade", "rank")   # then 一级指标 scores
CONS_SUMMARY_TAIL_KEYS = ("evaluators", "evaluator_names", "status", "note", "files")
CONS_DETAIL_KEYS = ("unit", "year", "evaluator", "file", "template_version", "code", "level1", "level2", "name",
                    "weight", "method", "rule_score", "evaluator_score", "score", "rate", "deviates")
CONS_ANALYSIS_KEYS = ("year", "code", "level1", "level2", "name", "weight", "units", "mean", "min", "max",
                      "mean_rate", "lost", "deviations")
CONS_PANEL_KEYS = ("unit", "year", "code", "level1", "name", "weight", "evaluators", "panel_score", "median",
                   "min", "max", "spread", "std", "figures", "outliers")
CONS_REJECTED_KEYS = ("seq", "file", "category", "reason", "sheet", "cell", "fix")
CONS_SURVEY_KEYS = ("unit", "year", "evaluator", "survey", "group", "sample", "valid", "survey_rate", "satisfied",
                    "survey_source", "file")
#: SurveySetRecord.source -> how the 问卷得分率 sheet names it
CONS_SURVEY_SOURCES = {"responses": "逐份答卷（问卷）", "counts": "选项计数（问卷汇总）"}

#: 一级指标 得分率 columns of the chart data table
CONS_LEVEL1_RATE = "{name}得分率"
YES, NO = "是", "否"

CONS_STATUS_OK = "已纳入"
CONS_STATUS_FLAGGED = "有校验错误，总分仅供参考"
CONS_STATUS_VERSION = "模板版本“{version}”，已按编号对照"
#: 备注 of two 汇总 rows that may be one unit under two names (a panel split by a name typed differently)
CONS_NOTE_ALIKE = "可能与“{others}”是同一单位（{why}）：若是，请统一各工作簿“基本信息”中的单位名称后重新汇总"
#: the shortest name part taken as a unit's name inside another's (“总工会” is in too many names)
CONS_ALIKE_MIN_CHARS = 4

#: --panel: how the figures of several evaluators of one unit are combined, per indicator
PANEL_METHODS = {"mean": "平均值", "median": "中位数", "trimmed": "去掉一个最高分和一个最低分后取平均值"}
#: 评价组 / 评分过程: after the name of an evaluator who found the indicator 不适用 (abstains from its panel figure)
PANEL_ABSTAINED = "（不适用）"
#: an evaluator of a panel whose 评价人 is blank, named by the file in the report's 评分过程
PANEL_UNNAMED = "“{file}”（未填写评价人）"
#: an evaluator is flagged when |figure − median of the panel| exceeds this share of the indicator's 分值
PANEL_OUTLIER_SHARE = 0.2

#: why a file was not included (类别 column of 未纳入文件)
CONS_CATEGORIES = {
    "unreadable": "无法读取", "no_total": "总分无法计算", "strict": "有校验错误", "info": "基本信息不全",
    "duplicate": "重复提交", "system": "指标体系不同", "lock": "锁文件", "internal": "内部错误", "archive": "压缩包",
}

#: every unit is charted: this many units per chart (one chart per printed page), in rank order
CHART_UNITS_PER_CHART = 25
CHART_UNITS_PER_RATES_CHART = 15
#: the title suffix of a chart of one group of units: "（2/5：按排名第 26–50 位）"
CHART_PART = "（{i}/{n}：按排名第 {first}–{last} 位）"
#: printed pages of the summary workbook: the header (left; the sheet name on the right) and the footer
CONS_PRINT_HEADER = "绩效评价汇总"
PRINT_PAGE_OF = "第 {page} 页 共 {pages} 页"
#: the page header of a sheet whose workbook names no unit
PRINT_HEADER_DEFAULT = "财政支出绩效评价"
CHART_TITLES = {"totals": "各单位总分", "grades": "等级分布", "rates": "各单位一级指标得分率"}


# --- Word report (perfxl report) -------------------------------------------------
# The outline follows 财预〔2020〕10号 附件3《项目支出绩效评价报告（参考提纲）》 and published reports.

REPORT_SUFFIX = "_报告"
REPORT_CHART_AXES = {"rate": "得分率", "answers": "人次", "total": "总分", "units": "单位数"}
#: a 评价类型 or 项目名称 that makes an evaluation a project's
PROJECT_WORD, PROJECT_SPENDING = "项目", "项目支出"
#: 基础数据 figures quoted in the report's 基本情况 sentence, with the words it uses for them
REPORT_BUDGET_WORDS = {"budget_initial": "年初预算数", "budget_adjusted": "调整后全年预算数",
                       "spent_total": "决算支出数", "spent_basic": "其中基本支出", "spent_project": "项目支出",
                       "funds_planned": "计划投入资金", "funds_arrived": "实际到位资金"}
# default output: beside the (first) workbook
REPORT_MULTI_STEM = "绩效评价报告_{n}个单位"   # default output stem for several workbooks
REPORT_EACH_DIR = "{stem}_各单位报告"          # default folder of report --each (one report per unit)
REPORT_EACH_MULTI = "各单位报告"               # … given several workbooks
REPORT_EACH_PROGRESS = "写出各单位报告"          # its progress bar
REPORT_EACH_HINT_UNITS = 50                     # a bound report of this many units suggests --each
REPORT_TEMPLATE_NAME = "报告模板.docx"        # in workbook_templates/
REPORT_TOC_TITLE = "目　录"
REPORT_CHAPTERS = {
    "overview": "总体情况",
    "basic": "一、基本情况",
    "work": "二、绩效评价工作开展情况",
    "conclusion": "三、综合评价情况及评价结论",
    "analysis": "四、绩效评价指标分析",
    "findings": "五、主要经验及做法、存在的问题及原因分析",
    "suggestions": "六、有关建议",
    "other": "七、其他需要说明的问题",
}
#: sub-headings; {subject} is 项目 or 部门（单位） after the kind of evaluation
REPORT_SUBHEADINGS = {
    "scope": "一、评价范围", "ranking": "二、得分排名", "grades": "三、等级分布",
    "profile": "（一）{subject}概况", "goals": "（二）{subject}绩效目标", "budget": "（三）预算及执行情况",
    "purpose": "（一）绩效评价目的、对象和范围", "method": "（二）绩效评价原则、评价指标体系、评价方法和评价标准",
    "process": "（三）绩效评价工作过程",
    "scores": "（一）评价得分情况", "verdict": "（二）评价结论",
    "strengths": "（一）主要经验及做法", "problems": "（二）存在的问题及原因分析",
}
REPORT_SUBJECT_PROJECT, REPORT_SUBJECT_UNIT = "项目", "部门（单位）"
REPORT_APPENDIX = "附件{n}：{title}"
REPORT_APPENDIX_TITLES = {"scoring": "{caption}指标评分表", "deviations": "评价得分与评分规则不同的指标"}
REPORT_CAPTIONS = {"info": "基本信息", "basic": "基础数据", "figures": "派生指标", "summary": "得分一览表",
                   "survey": "问卷题组“{name}”选项分布", "deductions": "扣分指标一览", "ranking": "各单位得分排名",
                   "grades": "等级分布"}
REPORT_FIGURE_CAPTIONS = {"levels": "二级指标得分率", "survey": "问卷题组“{name}”选项分布",
                          "totals": "各单位总分", "grades": "等级分布"}
REPORT_INFO_HEADERS = ("项目", "内容")
REPORT_BASIC_HEADERS = ("项目", "数值", "单位")
REPORT_FIGURE_HEADERS = ("指标", "计算过程", "结果")
REPORT_SUMMARY_HEADERS = ("一级指标", "二级指标", "权重", "得分", "得分率")
REPORT_SCORING_HEADERS = ("一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分", "评分过程")
REPORT_DEDUCTION_HEADERS = ("序号", "二级指标", "三级指标", "分值", "得分", "扣分")
REPORT_DEVIATION_HEADERS = ("编号", "三级指标", "规则得分", "评价得分", "差额", "评价说明")
REPORT_SURVEY_HEADERS = ("选项", "人次", "占比")
REPORT_RANKING_HEADERS = ("排名", "单位名称", "评价年度", "总分", "等级", "评价人数", "备注")
REPORT_GRADE_HEADERS = ("等级", "分数区间", "单位数", "占比")
REPORT_SUBTOTAL, REPORT_TOTAL, REPORT_GRADE = "小计", "合计", "等级"
REPORT_CONTINUED = "{name}（续）"
#: a table cell holding only this mark is merged with the cell above ("同上"); a Unicode noncharacter,
#: which report text taken from input never holds (it is removed), so input never merges cells
REPORT_DITTO = "\ufdd0"
#: 基本信息 fields shown in 基本情况 (others only when filled)
REPORT_INFO_KEYS = ("unit", "year", "kind", "evaluator_org", "date")
REPORT_INFO_OPTIONAL = ("project", "credit_code", "evaluator")
#: the cover and the signature block
REPORT_COVER_LABELS = {"subject": "评价对象", "org": "评价机构", "date": "报告日期"}
REPORT_SIGNATURE = ("评价机构（盖章）：{org}", "项目负责人（签字）：\u3000\u3000\u3000\u3000\u3000\u3000",
                    "报告日期：{date}")
#: what a person must write, shown highlighted as 【待填写：…】
REPORT_PLACEHOLDER = "【待填写：{what}】"
REPORT_TODO = {
    "profile_unit": "部门（单位）主要职责、组织架构、人员及资产等基本情况",
    "profile_project": "项目背景、主要内容及实施情况",
    "goals": "年度总体绩效目标及分解的绩效指标",
    "budget": "预算安排及执行情况",
    "purpose": "本次绩效评价的目的",
    "method": "采用的评价方法（如成本效益分析法、比较法、因素分析法、公众评判法等）及其运用",
    "process": "评价工作过程（前期准备、资料收集与核查、现场调研与访谈、分析评价、撰写报告）",
    "verdict": "对绩效目标实现程度和资金使用成效的总体评价",
    "strengths": "主要经验及做法",
    "symptom": "问题表现",
    "cause": "原因分析",
    "advice": "改进建议",
    "advice_general": "巩固成效、持续改进的建议",
    "other": "其他需要说明的问题（如评价工作的局限性、数据来源的说明）",
    "org": "评价机构名称",
    "date": "报告日期",
}
#: how a question set's rates are computed, as the report prints it
REPORT_SURVEY_RATE_FORMULA = "得分率＝∑（各选项人次×选项分值）÷有效回答人次"
REPORT_SURVEY_SATISFIED_FORMULA = "满意率＝计入满意的选项人次÷有效回答人次"

#: the header of the notes column on 问卷设置
SURVEY_SETUP_NOTE = "说明"

#: 问卷统计's per-question table: the headers before and after the options' counts and shares
SURVEY_STATS_QUESTION_HEADERS = (("题目", "对象类别", "有效回答"), ("得分率", "满意率"))
#: 得分汇总's conversion line when the total cannot be computed
TOTAL_NOT_COMPUTABLE = "总分无法计算"
#: 得分汇总's conversion line once the workbook's formulas have changed 总分 from what perfxl computed
CONVERSION_LIVE = "{method}：总分已由工作簿公式重新换算，请运行 perfxl 校验更新本说明"
