"""Hypothesis strategies for indicator rows of every rule kind, typed the way people type them:
numbers and text, units, full-width digits, spaces, words, edge values (exactly on a band edge,
0/0, above 100%, negative, blank) and junk."""
from __future__ import annotations

from formula_harness import Case
from hypothesis import strategies as st

FULL = str.maketrans("0123456789%.-", "０１２３４５６７８９％．－")

#: (params, target) per kind: parameters and targets found in reports, and a few awkward ones
RULES: dict[str, list[tuple[str | None, object]]] = {
    "完成比率": [(None, "≥60家"), (None, "≥24次"), (None, "=100%"), (None, "≥90%"), (None, "≤5%"), (None, "≤950元"),
               (None, "≥0"), (None, "≥0%"), (None, "≤0"), (None, 60.0), (None, "≥3000人次"), (None, "100%"),
               ("正向", "≤5%"), ("反向", "≥10次"), ("低于60%不得分", "≥60家"), ("反向；低于50%不得分", "≤950元"),
               (None, None), (None, 0.95), (None, "≥ 60 家"), (None, "约60家")],
    "得分率计分": [(None, None), ("每项扣1分", None)],
    "达标得分": [(None, None), ("未达标得50%", None), (None, "≥1次"), (None, "=100%"), (None, "≤5%"), (None, ">3"),
               (None, "<2次"), (None, "=5"), ("未达标得50%", "≥90%")],
    "差额扣分": [("每少1次扣20%", "≥5次"), ("每少2次扣10%；向上取整", "≥5次"), ("每少1人扣0.01分", "≥5538人"),
               ("每少1%扣10%", "≥95%"), ("每少1次扣0.05分；向下取整", "≥10次"), ("每多1次扣20%", "≤3次"),
               ("每少1次扣20%", "≥95%"), ("每少1次扣20%", None)],
    "阈值扣分": [("≥90%得满分；每下降1%扣5%", None), ("≥95%得满分；每下降1%扣5%；低于60%不得分", None),
               ("≥100%得满分；每下降1%扣20%", "=100%"), ("每下降1%扣5%", "≥90%"),
               ("≤5%得满分；每超过1%扣10%；向上取整", None), ("≥90%得满分；每下降2%扣5%；向下取整", None),
               (">90%得满分；每下降1%扣5%", None), ("每下降1%扣5%", None)],
    "变动率": [("≤0%得满分；每超过5%扣10%", None), ("≤0%得满分；每超过1%扣1分；向下取整", None),
             ("≤10%得满分；每超过5%扣10%；向上取整", None)],
    "按问题扣分": [("每处扣25%", None), ("每项扣0.3分", None), ("每2处扣10%", None), ("每发现1处扣0.5分", None)],
    "分档得分": [("100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%", None),
               ("100%得满分；90%(含)~100%得1.5分；80%(含)~90%得1分；80%以下不得分", None),
               ("90%(含)~100%(含)得1.5分；80%(含)~90%得1分；80%以下不得分", None),
               ("100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%；向上取整", None),
               ("≥95%得满分；80%(含)~95%得60%；80%以下不得分", None),
               ("1000以上得满分；500(含)~1000得50%；500以下不得分", None), ("90%~100%得满分", None)],
    "清单计分": [("①20%(门槛)；②40%；③40%", None), ("①~④各25%", None), ("①30%；②40%；③30%", None),
               ("①1分；②0.5分", None), ("(1)50%；(2)50%", None), ("①~⑫各5%", None), ("①50%", None)],
    "等级评分": [("优=100%；良=75%；中=50%；较差=25%；差=0%", None),
               ("优、良、中、较差、差分别得100%、75%、50%、25%、0%", None),
               ("显著=100%；较显著=80%；一般=60%；不明显=30%", None), ("A=1.5分；B=1分；C=0分", None),
               ("通过验收=100%；未完工且建设记录完整=90%", None)],
    "酌情评分": [(None, None), ("得分", None), ("自评三档", None), ("区间80%~100%(含)", None),
               ("得分；区间60%~100%(含)", None), ("自评三档；得分", None)],
}

EDGES = [0.0, 0.5, 0.6, 0.799, 0.8, 0.85, 0.8999, 0.9, 0.95, 0.96, 0.97, 1.0, 1.0001, 1.05, 1.0566, 1.2, -0.05,
         -0.7723, 0.0007, 0.08, 0.1, 0.05, 0.055, 0.0549]
COUNTS = [0, 1, 2, 3, 4, 5, 7, 10, 20, 24, 55, 60, 62, 500, 999, 1000, 3000, 3120, 4000, 5516, 5538, 5600, 950, 918]


def _num(v: float) -> str:
    return format(round(v, 6), "f").rstrip("0").rstrip(".")


def number_forms(v: float, unit: str, percent: bool):
    """(value, canonical) ways of typing v: a number cell, text with and without the unit."""
    forms = [(v, True)]
    if percent:
        p = _num(v * 100)
        forms += [(f"{p}%", True), (_num(v), True), (f" {p} % ", True), (f"{p}%".translate(FULL), True),
                  (p, False), (f"{p}％", True), (f"{p}‰", False), (f"+{p}%", True)]
    else:
        t = _num(v)
        forms += [(f"{t}{unit}", True), (t, True), (f"{t} {unit}", True), (f"{t}{unit}".translate(FULL), True),
                  (f"{t}个", True), (f"{t}%", False), (f"约{t}{unit}", False), (f"{t}{unit}以上", False),
                  (f"{t}e0", False), (f"{int(v):,}" if v == int(v) else t, False)]
    return forms


#: (a date cell is left out: a formula cannot see that a number is formatted as a date, see
#: test_formulas.test_a_date_cell_reads_as_its_serial_number)
JUNK = [None, "", " ", "abc", "-", ".", "%", "是", "否", True, False, "1/2", "=1+1", "#N/A",
        "①", "62家家家家", "１２", "1,234", "5;3", "5;", ";5", "1;2;3", "全部", "无", "0处", "NaN", "inf",
        "𠀀62家", "62家😀", "6😀2"]


@st.composite
def values_for(draw, kind: str, target, params=None):
    from perfxl.model.values import parse_target

    t = None
    if isinstance(target, (str, float)):
        try:
            t = parse_target(target)
        except ValueError:
            t = None
    if kind in ("完成比率", "差额扣分") or (kind == "达标得分" and t is not None):
        percent = t is not None and t.quantity.is_percent
        unit = t.quantity.unit if t is not None and not percent else "次"
        v = draw(st.sampled_from(EDGES) if percent else st.sampled_from(COUNTS).map(float))
        if t is not None and draw(st.booleans()):
            v = t.value + draw(st.sampled_from([0.0, 1e-10, -1e-10, 0.01, -0.01, 1.0, -1.0]))
        return draw(st.sampled_from(number_forms(v, unit, percent)))
    if kind in ("得分率计分", "阈值扣分", "分档得分", "变动率"):
        v = draw(st.sampled_from(EDGES) | st.floats(-1.5, 3, allow_nan=False).map(lambda x: round(x, 4)))
        if kind == "分档得分" and draw(st.booleans()):
            v = draw(st.sampled_from([1000.0, 999.0, 500.0, 499.5, 2000.0]))
            value, canonical = draw(st.sampled_from(number_forms(v, "", False)))
            return value, canonical and "%" not in (params or "")      # "1000个" in a % band: engine quirk
        if kind == "变动率" and draw(st.booleans()):
            cur = draw(st.sampled_from([109896.0, 100.0, 80.0, 0.0, 482649.12, 5.5]))
            prev = draw(st.sampled_from([482649.12, 80.0, 100.0, 0.0, 109896.0]))
            form = draw(st.sampled_from(["{}；{}", "{};{}", "本年{}；上年{}", "{}万元;{}万元", "{}, {}", "{}/{}",
                                         "{}、{}", "本期{}元|上期{}元", "{}；；{}"]))
            return form.format(_num(cur), _num(prev)), "；；" not in form and "," not in form
        return draw(st.sampled_from(number_forms(v, "", True)))
    if kind == "达标得分":
        return draw(st.sampled_from([("是", True), ("否", True), ("符合", True), ("不符合", True), ("完成", True),
                                     ("Yes", True), (" 是 ", True), ("√", True), ("×", True), ("未完成", True),
                                     (True, True), (False, True), ("有", True), ("部分符合", False), (1.0, False)]))
    if kind == "按问题扣分":
        n = draw(st.sampled_from(COUNTS[:8]))
        return draw(st.sampled_from([(float(n), True), (f"{n}处", True), (f"{n}项", True), (str(n), True),
                                     ("无", True), ("否", True), ("未发现", True), ("没有", True), ("0处", True),
                                     ("是", False), ("1.5", False), ("-1", False), (f"{n}%", False), (False, True)]))
    if kind == "清单计分":
        return draw(st.sampled_from([("①③", True), ("全部", True), ("无", True), ("1,3", True), ("1、2", True),
                                     ("①、②", True), ("(1)(2)", True), ("满足①②", True), ("⑤", True),
                                     ("①、、②", True), (0.0, True), (3.0, True), ("②①", True), ("❶⓶", True),
                                     ("① ②", True), ("①②③④", True), ("1;2/3", True), ("、①", True), ("①、", True),
                                     ("⑩⑪⑫", True), ("10,11,12", True), ("(11)", True), ("01", False),
                                     ("⑴", False), ("满足", True), ("1.5", True), (1.5, True), ("(1)、(2)", True)]))
    if kind == "等级评分":
        return draw(st.sampled_from([("优", True), ("良", True), ("中", True), ("较差", True), ("差", True),
                                     (" 良 ", True), ("显著", True), ("一般", True), ("A", True), ("a", True),
                                     ("Ａ", False), ("优秀", True), (1.0, True), ("B", True), ("通过验收", True),
                                     ("未完工且建设记录完整", True), ("优*", False)]))
    if kind == "酌情评分":
        return draw(st.sampled_from([("75%", True), (0.75, True), ("1.5分", True), ("1.5", True), (1.5, True),
                                     ("达成年度指标 90%", True), ("部分达成并具有一定效果70%", True),
                                     ("部分达成并具有一定效果：90%", True), ("未达成且效果较差 60%", True),
                                     ("未达成且效果较差:::30%", True), ("+5%", True), ("-5%", True), (".5%", True),
                                     ("120%", True), ("75", True), ("0", True), ("达成年度指标 +90%", True),
                                     ("达成年度指标", True), ("优 90%", True), ("80%", True), ("100%", True),
                                     ("0分", True), ("2.5分", True), ("5‰", True)]))
    raise AssertionError(kind)


WEIGHTS = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 8.0, 10.0, 15.0, 2.88]
ODD_WEIGHTS = ["2", "2分", 0.0, -1.0, None, True, "abc"]
FIGURE_ROWS = {"完成比率": "=100%", "阈值扣分": None, "分档得分": None, "得分率计分": None, "变动率": None,
               "达标得分": "≤100%", "酌情评分": None}


@st.composite
def cases(draw, junk: bool = True) -> Case:
    """One indicator row; ``Case.canonical`` (set here) says its 实际值 is typed the plain way."""
    kind = draw(st.sampled_from(sorted(RULES)))
    params, target = draw(st.sampled_from(RULES[kind]))
    method = draw(st.sampled_from([kind, kind, f" {kind} "]))
    if junk and draw(st.integers(0, 9)) == 0:
        actual, canonical = draw(st.sampled_from(JUNK)), False
    else:
        actual, canonical = draw(values_for(kind, target, params))
    odd = junk and draw(st.integers(0, 9)) == 0
    weight = draw(st.sampled_from(ODD_WEIGHTS if odd else WEIGHTS))
    evaluator = None
    if draw(st.integers(0, 5)) == 0:
        evaluator = draw(st.sampled_from([0.0, 1.0, 1.234, 0.805, 2.005, "1.5", -1.0, 100.0, " ", 0.5]))
    figure = None
    if kind in FIGURE_ROWS and draw(st.integers(0, 4)) == 0:
        target = FIGURE_ROWS[kind] if target is not None else None
        shape = draw(st.sampled_from(["ratio", "change", "saving"]))
        a = draw(st.sampled_from([580.8142, 549.6875, 92.1, 0.063, 0.0, 1696.0, 4900.0, 100.0]))
        b = draw(st.sampled_from([549.6875, 580.8142, 92.1, 0.0, 4900.0, 100.0, 90.0]))
        zero = draw(st.sampled_from([None, "视为100%", "视为0%", "报告问题", "不知道"]))
        # an unknown 0/0 setting is an error at its cell (the formula may then show the marker)
        figure, canonical = (shape, a, b, zero), zero != "不知道"
    canonical = canonical and isinstance(weight, float)
    return Case(method=method, params=params, target=target, actual=actual, weight=weight, evaluator=evaluator,
                figure=figure, canonical=canonical)


#: what people type into 实际值 (LibreOffice's input parser turns some into numbers or dates)
TYPED = ["96%", "0.96", "62", "62家", "  62 家", "2023-1-5", "1/2", "TRUE", "是", "否", "符合", "=1+1", "①③", "全部",
         "109896;482649.12", "部分达成并具有一定效果 70%", "75%", "1.5分", "良", "2处", "无", "-77.23%", "105.66%",
         "90%", "100%", "５８％", "=100%", "'62", "1,234", "20次", "3120人次", "6𠀀2", "62😀"]


@st.composite
def typed_cases(draw) -> Case:
    case = draw(cases(junk=False))
    case.actual = None
    case.typed = draw(st.sampled_from(TYPED))
    case.typed_as_text = draw(st.booleans())
    case.figure, case.canonical = None, False
    return case


def curated() -> list[Case]:
    """Every kind × every rule above × representative values (edges included), deterministically."""
    from perfxl.model.values import parse_target

    out: list[Case] = []
    for kind, rules in sorted(RULES.items()):
        for params, target in rules:
            try:
                t = parse_target(target) if target is not None else None
            except ValueError:
                t = None
            if kind in ("完成比率", "差额扣分") or (kind == "达标得分" and t is not None):
                percent = t is not None and t.quantity.is_percent
                unit = t.quantity.unit if t is not None and not percent else "次"
                pool = [0.8, 0.9, 1.0, 1.0566, 0.0, -0.05] if percent else [0.0, 4.0, 5.0, 24.0, 60.0, 62.0, 5516.0]
                if t is not None:
                    pool.append(t.value)
                values = [f for v in pool for f in number_forms(v, unit, percent)[:3]]
            elif kind in ("得分率计分", "阈值扣分", "分档得分", "变动率"):
                values = [f for v in (0.0, 0.6, 0.799, 0.8, 0.9, 0.95, 1.0, 1.0566, 1.2, -0.7723)
                          for f in number_forms(v, "", True)[:3]]
                if kind == "变动率":
                    values += [("109896;482649.12", True), ("本年100；上年80", True), ("100万元;80万元", True),
                               ("5;0", True)]
                if kind == "分档得分":
                    values += [(1000.0, True), ("499.5", True)]
            else:
                values = POOLS[kind]
            for actual, canonical in values:
                out.append(Case(kind, params, target, actual, 2.0, canonical=canonical))
    return out


POOLS = {
    "达标得分": [("是", True), ("否", True), ("符合", True), (" 是 ", True), ("Yes", True), (True, True), (False, True),
               ("部分符合", False)],
    "按问题扣分": [(0.0, True), (1.0, True), ("2处", True), ("3项", True), ("无", True), ("未发现", True), ("否", True),
               ("是", False), ("1.5", False), (False, True)],
    "清单计分": [("①③", True), ("全部", True), ("无", True), ("1,3", True), ("1、2", True), ("①、②", True),
               ("(1)(2)", True), ("满足①②", True), ("⑤", True), ("①、、②", True), (0.0, True), (3.0, True),
               ("❶⓶", True), ("10,11,12", True), ("⑩⑪⑫", True)],
    "等级评分": [("优", True), ("良", True), ("较差", True), (" 良 ", True), ("显著", True), ("A", True), ("a", True),
               ("优秀", True), ("通过验收", True), ("未完工且建设记录完整", True)],
    "酌情评分": [("75%", True), (0.75, True), ("1.5分", True), ("1.5", True), ("达成年度指标 90%", True),
               ("部分达成并具有一定效果70%", True), ("部分达成并具有一定效果：90%", True),
               ("未达成且效果较差 60%", True),
               ("+5%", True), ("-5%", True), ("120%", True), ("75", True), ("100%", True), ("0分", True)],
}


def curated_typed() -> list[Case]:
    """TYPED into a 完成比率 / 阈值扣分 / 达标得分 / 清单 / 等级 / 酌情 / 变动率 row each, as text and as typed."""
    rows = [("完成比率", None, "≥60家"), ("阈值扣分", "≥90%得满分；每下降1%扣5%", None), ("达标得分", None, None),
            ("清单计分", "①20%(门槛)；②40%；③40%", None),
            ("等级评分", "优=100%；良=75%；中=50%；较差=25%；差=0%", None),
            ("酌情评分", "自评三档", None), ("变动率", "≤0%得满分；每超过5%扣10%", None), ("完成比率", None, "=100%")]
    return [Case(k, p, t, None, 3.0, typed=text, typed_as_text=as_text)
            for k, p, t in rows for text in TYPED for as_text in (False, True)]
