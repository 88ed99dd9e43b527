"""Property tests of the rule engine: 0 ≤ 得分 ≤ 分值 for every kind, monotone ratio rules,
and no input that makes a kind raise anything but a RuleError."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfxl.model.values import parse_target, round2
from perfxl.rules import KINDS, RuleError

weights = st.floats(min_value=0.1, max_value=20, allow_nan=False).map(lambda w: round(w, 2))
counts = st.integers(min_value=0, max_value=10_000)
percents = st.floats(min_value=-2, max_value=3, allow_nan=False).map(lambda x: round(x, 4))


def points(kind, params, target, actual, weight):
    k = KINDS[kind]
    t = parse_target(target) if target else None
    p = k.parse_params(params, t)
    a = k.parse_actual(actual, t, p)
    return round2(k.evaluate(p, t, a, weight).points_of(weight))


def pct(x: float) -> str:
    return f"{x * 100:.2f}%"


# One strategy per kind: (params, target, actual) that the kind accepts.
CASES = {
    "完成比率": st.tuples(st.just(""), counts.filter(lambda n: n > 0).map(lambda n: f"≥{n}次"), counts),
    "达标得分": st.tuples(st.sampled_from(["", "未达标得50%"]), counts.map(lambda n: f"≥{n}次"), counts),
    "差额扣分": st.tuples(st.sampled_from(["每少1次扣20%", "每少2次扣10%；向上取整", "每少1次扣0.05分"]),
                        counts.map(lambda n: f"≥{n}次"), counts),
    "阈值扣分": st.tuples(st.sampled_from(["≥90%得满分；每下降1%扣5%", "≥95%得满分；每下降1%扣5%；低于60%不得分"]),
                        st.just(""), percents.map(pct)),
    "变动率": st.tuples(st.sampled_from(["≤0%得满分；每超过5%扣10%", "≤0%得满分；每超过1%扣1分；向下取整"]),
                      st.just(""), percents.map(pct)),
    "按问题扣分": st.tuples(st.sampled_from(["每处扣25%", "每项扣0.3分", "每2处扣10%"]), st.just(""), counts),
    "分档得分": st.tuples(st.just("100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%"),
                        st.just(""), st.floats(min_value=-1, max_value=3, allow_nan=False).map(pct)),
    "清单计分": st.tuples(st.sampled_from(["①20%(门槛)；②40%；③40%", "①~④各25%"]), st.just(""),
                        st.sets(st.sampled_from("①②③"), max_size=3).map(lambda s: "".join(sorted(s)) or "无")),
    "等级评分": st.tuples(st.just("优=100%；良=75%；中=50%；较差=25%；差=0%"), st.just(""),
                        st.sampled_from(["优", "良", "中", "较差", "差"])),
    "酌情评分": st.tuples(st.sampled_from(["", "自评三档"]), st.just(""), st.floats(min_value=0, max_value=1).map(pct)),
    "得分率计分": st.tuples(st.just(""), st.just(""), st.floats(min_value=0, max_value=2).map(pct)),
}


def test_every_kind_is_property_tested():
    assert set(CASES) == set(KINDS)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), weight=weights)
def test_score_is_between_zero_and_weight(data, weight):
    kind = data.draw(st.sampled_from(sorted(CASES)))
    params, target, actual = data.draw(CASES[kind])
    try:
        p = points(kind, params, target, actual, weight)
    except RuleError:
        return           # e.g. a value in no band: reported to the user, never a crash
    assert 0 <= p <= weight


@settings(max_examples=300)
@given(target=st.integers(min_value=1, max_value=5000), a=counts, b=counts, weight=weights)
def test_completion_ratio_is_monotone(target, a, b, weight):
    lo, hi = sorted((a, b))
    assert points("完成比率", "", f"≥{target}次", lo, weight) <= points("完成比率", "", f"≥{target}次", hi, weight)
    # 反向 (≤ target): more is worse
    assert points("完成比率", "", f"≤{target}次", lo, weight) >= points("完成比率", "", f"≤{target}次", hi, weight)


@settings(max_examples=200)
@given(target=st.floats(min_value=0.01, max_value=2, allow_nan=False).map(lambda x: round(x, 4)),
       a=st.floats(min_value=0, max_value=3, allow_nan=False), b=st.floats(min_value=0, max_value=3, allow_nan=False))
def test_completion_ratio_monotone_on_percent_targets(target, a, b):
    lo, hi = sorted((round(a, 4), round(b, 4)))
    t = f"≥{target * 100:.2f}%"
    assert points("完成比率", "", t, pct(lo), 1) <= points("完成比率", "", t, pct(hi), 1)


@settings(max_examples=200)
@given(kind=st.sampled_from(["阈值扣分", "差额扣分"]), a=percents, b=percents)
def test_linear_deductions_are_monotone(kind, a, b):
    lo, hi = sorted((a, b))
    params, target = (("≥90%得满分；每下降1%扣5%", "") if kind == "阈值扣分" else ("每少1%扣10%", "≥95%"))
    assert points(kind, params, target, pct(lo), 5) <= points(kind, params, target, pct(hi), 5)


junk = st.text(alphabet=st.sampled_from(list("0123456789%①②③~～()（含）得分扣每少下降超过满分;；,=≥≤<>优良中差 .-")),
               max_size=30)


@settings(max_examples=500)
@given(kind=st.sampled_from(sorted(KINDS)), params=junk, target=junk, actual=st.one_of(junk, st.floats(), counts))
def test_random_input_gives_rule_errors_not_crashes(kind, params, target, actual):
    k = KINDS[kind]
    try:
        t = parse_target(target) if target else None
    except ValueError:
        t = None
    try:
        p = k.parse_params(params, t)
        a = k.parse_actual(actual, t, p)
        out = k.evaluate(p, t, a, 2.0)
    except RuleError:
        return
    assert 0 <= out.points_of(2.0) <= 2.0


# --- many rows at once: evaluate_many equals evaluate, row by row ---------------------------------

def rows_alike(kind, params, target, actuals, weights):
    """(scalar, vectorised) results of the same rows: points and rate before rounding, or the error."""
    import numpy as np

    from perfxl.rules import evaluate_rows

    k = KINDS[kind]
    t = parse_target(target) if target else None
    p = k.parse_params(params, t)
    parsed, ws = [], []
    for a, w in zip(actuals, weights):
        try:
            parsed.append(k.parse_actual(a, t, p))
            ws.append(w)
        except RuleError:
            pass
    scalar = []
    for a, w in zip(parsed, ws):
        try:
            out = k.evaluate(p, t, a, w)
            scalar.append((out.points_of(w), out.rate))
        except RuleError as e:
            scalar.append((e.where, e.message))
    many = evaluate_rows(k, p, t, parsed, np.array(ws, dtype=float))
    pts, rates = many.points_of(np.array(ws, dtype=float)).tolist(), many.rate.tolist()
    vector = [(many.errors[i].where, many.errors[i].message) if i in many.errors
              else (pts[i], None if rates[i] != rates[i] else rates[i]) for i in range(len(parsed))]
    return scalar, vector


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_evaluate_many_equals_evaluate_row_by_row(data):
    kind = data.draw(st.sampled_from(sorted(CASES)))
    params, target, _ = data.draw(CASES[kind])
    rows = data.draw(st.lists(st.tuples(CASES[kind], weights), min_size=1, max_size=12))
    scalar, vector = rows_alike(kind, params, target, [r[0][2] for r in rows], [r[1] for r in rows])
    assert vector == scalar


@settings(max_examples=300)
@given(kind=st.sampled_from(sorted(KINDS)), params=junk, target=junk,
       actuals=st.lists(st.one_of(junk, st.floats(allow_nan=False), counts), min_size=1, max_size=8))
def test_evaluate_many_equals_evaluate_on_random_input(kind, params, target, actuals):
    try:
        t = parse_target(target) if target else None
    except ValueError:
        target = ""
    try:
        KINDS[kind].parse_params(params, t if target else None)
    except RuleError:
        return
    scalar, vector = rows_alike(kind, params, target, actuals, [2.0] * len(actuals))
    assert vector == scalar
