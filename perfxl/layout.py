"""The workbook layout: sheet names, headers, aliases, fields, template version.

This is the only module that spells a sheet name or a header. Everything else
refers to columns and fields by their English key.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

TEMPLATE_VERSION = "1.0"

# --- sheets -----------------------------------------------------------------

SHEET_GUIDE = "说明"
SHEET_INFO = "基本信息"
SHEET_INDICATORS = "指标评分"
SHEET_SUMMARY = "得分汇总"
SHEET_PROBLEMS = "校验结果"
SHEET_DEVIATIONS = "评价偏差"
SHEET_LISTS = "选项"

#: sheets perfxl regenerates on every run (never hold user input)
OUTPUT_SHEETS = (SHEET_SUMMARY, SHEET_PROBLEMS, SHEET_DEVIATIONS)

SHEET_ALIASES: dict[str, tuple[str, ...]] = {
    SHEET_INFO: ("基本情况", "基础信息", "单位信息"),
    SHEET_INDICATORS: ("评分表", "指标评分表", "评价指标", "评分", "绩效评价指标评分表"),
}


def normalize(text: object) -> str:
    """Canonical form for tolerant matching: NFKC, no whitespace, no decoration."""
    s = unicodedata.normalize("NFKC", str(text or ""))
    s = re.sub(r"\s+", "", s)
    s = s.replace("*", "").replace(":", "").replace("：", "")
    # drop a trailing unit in brackets: 分值(分), 得分率(%)
    s = re.sub(r"\((?:分|%|元|万元|个|人|次)\)$", "", s)
    return s.lower()


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
           "正数，全部三级指标合计 100", "0.00"),
    Column("explanation", "指标解释", INPUT, False, ("指标说明", "指标内涵"), 24),
    Column("criterion", "评分标准", INPUT, False, ("评分规则", "评分细则", "计分标准", "评价标准"), 40),
    Column("method", "计分方法", INPUT, True, ("计分方式", "评分方法", "计分规则", "计分类型"), 12,
           "从下拉列表选择，见“说明”页"),
    Column("params", "计分参数", INPUT, False, ("参数", "评分参数", "计分参数设置"), 28,
           "按“说明”页的写法填写"),
    Column("target", "目标值", INPUT, False, ("指标值", "年度指标值", "计划值", "目标", "年度目标值"), 12,
           "如 ≥60家、≤5%、=100%"),
    Column("actual", "实际值", INPUT, True, ("实际完成值", "完成值", "全年实际值", "实际", "评价结果"), 14,
           "如 62、62家、96%、0.96；清单填满足的要点如 ①②③；等级填等级名"),
    Column("evaluator_score", "评价得分", INPUT, False, ("评价人得分", "人工得分", "专家得分", "评分人得分"), 10,
           "可选：评价人给定的得分；填写后作为最终得分，与规则不同须写评价说明", "0.00"),
    Column("note", "评价说明", INPUT, False, ("评价意见", "扣分原因", "偏差原因", "备注", "得分说明"), 30),
    Column("rule_score", "规则得分", COMPUTED, False, ("按规则得分",), 10, "", "0.00"),
    Column("score", "得分", COMPUTED, False, ("最终得分",), 9, "", "0.00"),
    Column("rate", "得分率", COMPUTED, False, (), 9, "", "0.00%"),
    Column("process", "评分过程", COMPUTED, False, ("评分说明",), 50),
)

COLUMNS_BY_KEY = {c.key: c for c in INDICATOR_COLUMNS}
INPUT_KEYS = tuple(c.key for c in INDICATOR_COLUMNS if c.role == INPUT)
COMPUTED_KEYS = tuple(c.key for c in INDICATOR_COLUMNS if c.role == COMPUTED)

#: how many rows of the top of a sheet are searched for the header row
HEADER_SEARCH_ROWS = 15


def header_lookup(columns: tuple[Column, ...] = INDICATOR_COLUMNS) -> dict[str, str]:
    """normalized header or alias -> column key"""
    out: dict[str, str] = {}
    for col in columns:
        for text in (col.header, *col.aliases):
            out[normalize(text)] = col.key
    return out


# --- 基本信息 fields ---------------------------------------------------------

@dataclass(frozen=True)
class Field:
    key: str
    label: str
    aliases: tuple[str, ...] = ()
    help: str = ""
    choices: tuple[str, ...] = ()


EVALUATION_TYPES = ("部门整体支出绩效评价", "项目支出绩效评价", "项目支出绩效自评", "其他")

INFO_FIELDS: tuple[Field, ...] = (
    Field("unit", "单位名称", ("被评价单位", "部门名称", "单位"), "被评价部门（单位）全称"),
    Field("credit_code", "统一社会信用代码", ("信用代码", "社会信用代码"), "18 位代码"),
    Field("year", "评价年度", ("年度", "评价年份"), "如 2022"),
    Field("kind", "评价类型", ("评价种类",), "从下拉列表选择", EVALUATION_TYPES),
    Field("project", "项目名称", ("项目",), "项目支出评价时填写"),
    Field("evaluator_org", "评价机构", ("评价单位", "第三方机构"), ""),
    Field("evaluator", "评价人", ("评价人员", "评分人", "专家"), "多人评价时每人一份工作簿"),
    Field("date", "评价日期", ("日期",), "如 2023-06-30"),
    Field("template_version", "模板版本", ("版本",), "由 perfxl 生成，请勿修改"),
)
INFO_BY_KEY = {f.key: f for f in INFO_FIELDS}

INFO_HEADER = ("项目", "内容")
GRADE_HEADER = ("等级", "最低分(含)")
GRADE_HEADER_ALIASES = {"等级": ("评级", "绩效等级"), "最低分(含)": ("最低分", "分数下限", "下限", "起点分")}

#: 财预〔2020〕10号: 优 90–100 (含90), 良 80–90, 中 60–80, 差 <60
DEFAULT_GRADES: tuple[tuple[str, float], ...] = (("优", 90.0), ("良", 80.0), ("中", 60.0), ("差", 0.0))


def info_lookup() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in INFO_FIELDS:
        for text in (f.label, *f.aliases):
            out[normalize(text)] = f.key
    return out


# --- output sheets -----------------------------------------------------------

SUMMARY_HEADERS = ("一级指标", "二级指标", "分值", "得分", "得分率")
PROBLEM_HEADERS = ("序号", "级别", "工作表", "单元格", "列", "当前值", "问题", "修改建议")
DEVIATION_HEADERS = ("编号", "三级指标", "单元格", "规则得分", "评价得分", "差额", "评价说明")

SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


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
LIST_COLUMNS = {"method": "A", "kind": "B"}


@dataclass
class TableLayout:
    """Where the indicator table sits in one concrete workbook (found on read)."""
    sheet: str
    header_row: int                   # 1-based
    columns: dict[str, int] = field(default_factory=dict)  # key -> 1-based column
    last_row: int = 0
