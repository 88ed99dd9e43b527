"""Derived figures (派生指标) computed from the 基础数据 sheet, each with its formula.

An indicator names a figure in its 数据来源 column instead of typing 实际值; the 评分过程 then
shows the formula with the numbers, as published reports do:
"支出预算执行率=580.8142/549.6875×100%=105.66%".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from perfxl.model import layout as L
from perfxl.model.values import fmt_num, fmt_pct, fmt_pct_short


@dataclass(frozen=True)
class Figure:
    name: str
    shape: str                      # "ratio" a/b, "change" (a−b)/b, "saving" (a−b)/a
    a: str                          # basic-data key of the first operand
    b: str                          # basic-data key of the second operand
    aliases: tuple[str, ...] = ()
    note: str = ""
    #: denominators the workbook may choose instead of ``b`` (基础数据: 预算执行率分母)
    bases: tuple[str, ...] = ()

    @property
    def formula(self) -> str:
        la, lb = L.BASIC_BY_KEY[self.a].label, L.BASIC_BY_KEY[self.b].label
        return {"ratio": f"{la}/{lb}×100%",
                "change": f"({la}−{lb})/{lb}×100%",
                "saving": f"({la}−{lb})/{la}×100%"}[self.shape]

    @property
    def inputs(self) -> tuple[str, str]:
        return (self.a, self.b)


FIGURES: tuple[Figure, ...] = (
    Figure(L.BUDGET_EXECUTION, "ratio", "spent_total", "budget_adjusted",
           ("支出预算完成率", L.BUDGET_EXECUTION_SHORT, L.EXECUTION_RATE),
           "部门（项目）全年实际支出与调整后预算（全年预算数）之比；分母可在“基础数据”页的“"
           + L.BUDGET_BASE_LABEL + "”改为年初预算数", L.BUDGET_BASE_KEYS),
    Figure("预算调整率", "change", "budget_adjusted", "budget_initial", (), "年中预算调整幅度"),
    Figure("结转结余率", "ratio", "carryover", "budget_adjusted", ("结转结余变动率",), "结转结余资金占全年预算之比"),
    Figure("“三公”经费控制率", "ratio", "sangong_actual", "sangong_budget",
           ("三公经费控制率", "“三公经费”控制率", "三公经费执行率"), "“三公”经费实际支出与预算之比"),
    Figure("在职人员控制率", "ratio", "staff_actual", "staff_quota", ("人员控制率",), "在职人数与编制数之比"),
    Figure("政府采购执行率", "ratio", "procurement_actual", "procurement_budget", (),
           "实际政府采购金额与政府采购预算之比"),
    Figure("政府采购节支率", "saving", "procurement_budget", "procurement_actual", (),
           "政府采购预算节约的比例"),
    Figure("公用经费变动率", "change", "public_current", "public_previous", ("公用经费控制率", "公用经费变动比率"),
           "本年与上年公用经费的变动比例"),
    Figure("固定资产利用率", "ratio", "assets_in_use", "assets_total", (), "在用固定资产占全部固定资产之比"),
    Figure("资金到位率", "ratio", "funds_arrived", "funds_planned", (), "实际到位资金与计划投入之比"),
    Figure("资金执行率", "ratio", "spent_total", "funds_arrived", ("到位资金执行率",),
           "实际支出与实际到位资金之比（项目评价常用的“预算执行率”口径）"),
    Figure("预算节约率", "saving", "budget_adjusted", "spent_total", ("成本节约率", "资金节约率"),
           "全年预算中未支出（节约）的比例；超支时为负"),
    Figure("人员经费占比", "ratio", "personnel", "spent_total", (), "人员经费占全部支出之比"),
    Figure("项目支出占比", "ratio", "spent_project", "spent_total", (), "项目支出占全部支出之比"),
)
_BY_NAME: dict[str, Figure] = {}
for _f in FIGURES:
    for _n in (_f.name, *_f.aliases):
        _BY_NAME[L.normalize(_n)] = _f


def lookup(name: object) -> Figure | None:
    return _BY_NAME.get(L.normalize(name))


@dataclass
class FigureValue:
    figure: Figure
    value: float | None = None            # a fraction; None when it cannot be computed
    text: str = ""                        # "支出预算执行率=580.8142/549.6875×100%=105.66%"
    missing: list[str] = field(default_factory=list)     # basic keys without a value
    reason: str = ""                      # why it cannot be computed, when not missing inputs

    @property
    def name(self) -> str:
        return self.figure.name


def compute(fig: Figure, basic: dict[str, float | None], zero_rule: str = "full", *,
            units: dict[str, str] | None = None, base: str | None = None) -> FigureValue:
    """Compute one figure. ``zero_rule``: what 0/0 is ("full" 100%, "zero" 0%, "problem"). ``units``:
    the unit each 基础数据 value is in (default: the field's own); operands in different units of one
    kind (元 and 万元) are converted before dividing. ``base``: the chosen denominator, when the figure
    lets the workbook choose it (预算执行率分母)."""
    out = FigureValue(fig)
    key_b = base if base in fig.bases else fig.b
    a, b = basic.get(fig.a), basic.get(key_b)
    out.missing = [k for k, v in ((fig.a, a), (key_b, b)) if v is None]
    if a is None or b is None:                    # out.missing names them
        return out
    la, lb = L.BASIC_BY_KEY[fig.a].label, L.BASIC_BY_KEY[key_b].label
    units = units or {}
    ua, ub = units.get(fig.a, L.BASIC_BY_KEY[fig.a].unit), units.get(key_b, L.BASIC_BY_KEY[key_b].unit)
    shown = ""
    if ua != ub:                                  # 决算支出 in 元, 预算 in 万元: b in a's unit
        b = b * L.UNITS[ub][1] / L.UNITS[ua][1]
        shown = ua
    na, nb = fmt_num(a, 4) + shown, fmt_num(b, 4) + shown
    denominator = a if fig.shape == "saving" else b
    if denominator == 0:
        numerator = (a - b) if fig.shape in ("change", "saving") else a
        if numerator == 0 and fig.shape == "ratio" and zero_rule in ("full", "zero"):
            out.value = 1.0 if zero_rule == "full" else 0.0
            out.text = (f"{fig.name}：{la}与{lb}均为0，按设定视为{fmt_pct_short(out.value)}")
            return out
        out.reason = f"分母为0：{(la if fig.shape == 'saving' else lb)}为0，无法计算{fig.name}"
        return out
    if fig.shape == "ratio":
        out.value = a / b
        out.text = f"{fig.name}={na}/{nb}×100%={fmt_pct(out.value)}"
        if key_b != fig.b:
            out.text += f"（分母为{lb}）"
    elif fig.shape == "change":
        out.value = (a - b) / b
        out.text = f"{fig.name}=({na}-{nb})/{nb}×100%={fmt_pct(out.value)}"
    else:
        out.value = (a - b) / a
        out.text = f"{fig.name}=({na}-{nb})/{na}×100%={fmt_pct(out.value)}"
    return out


def names() -> list[str]:
    return [f.name for f in FIGURES]
