"""Every rule kind, with the boundaries its criterion names (inclusive / exclusive)."""
import pytest

from perfxl.model.values import parse_target, round2
from perfxl.rules import KINDS, RuleError, lookup


def run(kind: str, params: str, target: str, actual, weight: float = 1.0):
    k = lookup(kind)
    assert k is not None, kind
    t = parse_target(target) if target else None
    p = k.parse_params(params, t)
    a = k.parse_actual(actual, t, p)
    out = k.evaluate(p, t, a, weight)
    return round2(out.points_of(weight)), out.detail


def score(*args, **kw) -> float:
    return run(*args, **kw)[0]


# --- 完成比率 ----------------------------------------------------------------------

@pytest.mark.parametrize("target, actual, weight, expected", [
    ("≥60家", "62家", 1, 1.0),          # over target: full, capped
    ("≥60家", "60家", 1, 1.0),          # exactly the target
    ("≥24次", "20次", 1, 0.83),         # the seed's 开展维权普法活动次数
    ("≥24次", 0, 1, 0.0),
    ("=100%", "96%", 2, 1.92),
    ("≤5万元", "6万元", 3, 2.5),         # 反向: 5/6
    ("≤5万元", "4万元", 3, 3.0),
])
def test_completion_ratio(target, actual, weight, expected):
    assert score("完成比率", "", target, actual, weight) == expected


def test_completion_ratio_floor_is_exclusive_at_the_line():
    assert score("完成比率", "低于60%不得分", "≥10次", "6次", 1) == 0.6
    assert score("完成比率", "低于60%不得分", "≥10次", "5.9次", 1) == 0.0


def test_completion_ratio_needs_a_target():
    with pytest.raises(RuleError) as e:
        run("完成比率", "", "", "5")
    assert e.value.where == "target"


@pytest.mark.parametrize("kind", ["完成比率", "达标得分"])
def test_a_percentage_against_a_bare_target_above_ten_is_refused(kind):
    """"≥80" meant 80%: 85% against it was 0.85 of 80 (0.0106 of the points) without a word. A bare target
    that may be a fraction (≥0.95, ≥1) still takes the percentage as one; a percentage-formatted cell
    (its value a Percent) gets the same verdict as the text typed."""
    from perfxl.model.values import Percent

    for actual in ("85%", Percent(0.85)):
        with pytest.raises(RuleError) as e:
            run(kind, "", "≥80", actual)
        assert e.value.where == "actual" and "≥80%" not in str(e.value) and "80%" in str(e.value), str(e.value)
    assert score(kind, "", "≥0.95", "96%") == 1.0
    assert score("完成比率", "", "≥1", "90%") == 0.9


def test_completion_ratio_formula_in_words():
    _, detail = run("完成比率", "", "≥24次", "20次")
    assert "完成率=20/24×100%=83.33%" in detail


# --- 达标得分 ----------------------------------------------------------------------

@pytest.mark.parametrize("target, actual, expected", [
    ("≥1次", "1次", 0.5), ("≥1次", 0, 0.0), ("", "符合", 0.5), ("", "不符合", 0.0), ("", "√", 0.5),
    ("≤5%", "5%", 0.5), ("≤5%", "5.01%", 0.0), ("=100%", "100%", 0.5), ("=100%", "99.9%", 0.0),
])
def test_pass_fail(target, actual, expected):
    assert score("达标得分", "", target, actual, 0.5) == expected


def test_pass_fail_partial_credit_and_bad_actual():
    assert score("达标得分", "未达标得50%", "≥1次", 0, 2) == 1.0
    with pytest.raises(RuleError):
        run("达标得分", "", "", "差不多")


# --- 差额扣分 ----------------------------------------------------------------------

@pytest.mark.parametrize("actual, expected", [("5次", 0.5), ("6次", 0.5), ("4次", 0.4), ("1次", 0.1), (0, 0.0)])
def test_deduction_per_unit_short(actual, expected):
    assert score("差额扣分", "每少1次扣20%", "≥5次", actual, 0.5) == expected


def test_deduction_per_unit_short_in_points():
    # 比指标数少22人，扣0.22分
    points, detail = run("差额扣分", "每少1人扣0.01分", "≥5538人", "5516人", 3)
    assert points == 2.78 and "共扣0.22分" in detail


def test_deduction_per_unit_over_for_negative_indicators():
    assert score("差额扣分", "每多1次扣10%", "≤2次", "4次", 1) == 0.8


@pytest.mark.parametrize("params, expected", [("每少2次扣10%", 0.85), ("每少2次扣10%；向上取整", 0.8),
                                              ("每少2次扣10%；向下取整", 0.9)])
def test_deduction_rounding_modes(params, expected):
    assert score("差额扣分", params, "≥10次", "7次", 1) == expected


def test_deduction_step_must_match_target_units():
    with pytest.raises(RuleError):
        run("差额扣分", "每少1%扣5%", "≥5次", "4次")


# --- 阈值扣分 ----------------------------------------------------------------------

@pytest.mark.parametrize("actual, expected", [
    ("96%", 8.0), ("90%", 8.0),           # exactly 90%: full, the line is inclusive
    ("89%", 7.6), ("85.5%", 6.2), ("70%", 0.0), ("50%", 0.0),
])
def test_threshold_linear_below(actual, expected):
    assert score("阈值扣分", "≥90%得满分；每下降1%扣5%", "", actual, 8) == expected


def test_threshold_floor():
    params = "≥90%得满分；每下降1%扣5%；低于80%不得分"
    assert score("阈值扣分", params, "", "80%", 2) == 1.0
    assert score("阈值扣分", params, "", "79.9%", 2) == 0.0


def test_threshold_uses_target_when_params_give_no_line():
    assert score("阈值扣分", "每下降1%扣20%", "=100%", "97%", 1) == 0.4


def test_threshold_contradicting_direction_is_a_param_error():
    with pytest.raises(RuleError, match="矛盾"):
        run("阈值扣分", "≥90%得满分；每超过1%扣5%", "", "80%")


# --- 变动率 -------------------------------------------------------------------------

@pytest.mark.parametrize("actual, expected", [("-77.23%", 2.0), ("0%", 2.0), ("8%", 1.68), ("60%", 0.0)])
def test_change_rate(actual, expected):
    assert score("变动率", "≤0%得满分；每超过5%扣10%", "", actual, 2) == expected


def test_change_rate_from_this_and_last_year():
    points, detail = run("变动率", "≤0%得满分；每超过5%扣10%", "", "109896;482649.12", 2)
    assert points == 2.0
    assert "变动率=(109896-482649.12)/482649.12×100%=-77.23%" in detail


def test_change_rate_rounding_up():
    assert score("变动率", "≤0%得满分；每超过5%扣10%；向上取整", "", "8%", 2) == 1.6


# --- 按问题扣分 ----------------------------------------------------------------------

@pytest.mark.parametrize("actual, expected", [(0, 6.0), ("无", 6.0), ("1处", 4.5), ("3处", 1.5), ("4处", 0.0),
                                              ("9处", 0.0)])
def test_deduction_per_finding(actual, expected):
    assert score("按问题扣分", "每处扣25%", "", actual, 6) == expected


def test_deduction_per_finding_in_points():
    assert score("按问题扣分", "每项扣0.5分", "", "3项", 2) == 0.5


@pytest.mark.parametrize("actual", ["1.5", "-1", "很多"])
def test_findings_must_be_a_count(actual):
    with pytest.raises(RuleError):
        run("按问题扣分", "每处扣25%", "", actual)


# --- 分档得分 ------------------------------------------------------------------------

SEED_BANDS = "100%得满分；90%(含)~100%得4分；80%(含)~90%得2分；80%以下不得分；超过100%每1%扣5%"


@pytest.mark.parametrize("actual, expected", [
    ("100%", 4.0), ("95%", 4.0),
    ("90%", 4.0), ("89.99%", 2.0),        # 90%(含): 90 is in the upper band
    ("80%", 2.0), ("79.99%", 0.0),        # 80%(含) ... 80%以下
    ("105.66%", 2.87),                    # the seed's literal rule: 4 × (1 − 5.66 × 5%)
    ("120%", 0.0), ("150%", 0.0),
])
def test_bands_with_penalty_above_100(actual, expected):
    assert score("分档得分", SEED_BANDS, "", actual, 4) == expected


def test_band_upper_bound_only_when_marked():
    assert score("分档得分", "90%(含)~100%(含)得1.5分；80%(含)~90%得1分；80%以下不得分", "", "100%", 2) == 1.5
    with pytest.raises(RuleError, match="不在任何分档"):
        run("分档得分", "90%(含)~100%得1.5分；80%以下不得分", "", "100%", 2)


@pytest.mark.parametrize("params", ["100%满分", "九十以上得4分", "90%~80%得1分"])
def test_band_params_malformed(params):
    with pytest.raises(RuleError) as e:
        run("分档得分", params, "", "95%")
    assert e.value.where == "params"


# --- 清单计分 ------------------------------------------------------------------------

GATE = "①20%(门槛)；②40%；③40%"


@pytest.mark.parametrize("actual, expected", [("①②③", 2.0), ("全部", 2.0), ("①", 0.4), ("①③", 1.2),
                                              ("②③", 0.0), ("无", 0.0), ("1,3", 1.2)])
def test_checklist_with_gate(actual, expected):
    assert score("清单计分", GATE, "", actual, 2) == expected


def test_checklist_weighted_items():
    assert score("清单计分", "①30%；②40%；③30%", "", "①", 3) == 0.9       # the seed: 30% of 3
    assert score("清单计分", "①~④各25%", "", "①②", 2) == 1.0


def test_checklist_errors_and_warnings():
    with pytest.raises(RuleError, match="不在计分参数"):
        run("清单计分", GATE, "", "①④")
    with pytest.raises(RuleError, match="超过100%"):
        run("清单计分", "①60%；②60%", "", "①")
    k = KINDS["清单计分"]
    assert k.parse_params("①30%；②30%", None).warnings


# --- 等级评分 ------------------------------------------------------------------------

@pytest.mark.parametrize("level, expected", [("优", 2.0), ("良", 1.5), ("中", 1.0), ("较差", 0.5), ("差", 0.0)])
def test_graded_levels(level, expected):
    assert score("等级评分", "优=100%；良=75%；中=50%；较差=25%；差=0%", "", level, 2) == expected
    assert score("等级评分", "优、良、中、较差、差分别得100%、75%、50%、25%、0%", "", level, 2) == expected


def test_graded_level_unknown():
    with pytest.raises(RuleError, match="可选：优、良"):
        run("等级评分", "优=100%；良=75%", "", "很好")


# --- 酌情评分 ------------------------------------------------------------------------

def test_judgement():
    assert score("酌情评分", "", "", "75%", 2) == 1.5
    assert score("酌情评分", "", "", "1.5分", 2) == 1.5
    assert score("酌情评分", "得分", "", 1.2, 2) == 1.2
    assert score("酌情评分", "区间60%~80%(含)", "", "80%", 10) == 8.0
    with pytest.raises(RuleError):
        run("酌情评分", "区间60%~80%(含)", "", "85%", 10)
    with pytest.raises(RuleError):
        run("酌情评分", "", "", "120%", 2)
    with pytest.raises(RuleError):
        run("酌情评分", "得分", "", 3, 2)


def test_every_kind_has_examples_that_score():
    from perfxl.sheets.template import kind_examples

    items = kind_examples()
    assert {i["kind"].name for i in items} == set(KINDS)
    for i in items:
        assert 0 <= i["points"] <= i["example"].weight


# --- 得分率计分 / 自评三档 -----------------------------------------------------------

def test_rate_times_points():
    points, detail = run("得分率计分", "", "", "89.90%", 3)
    assert points == 2.70 and detail == "得分=3.00×89.90%=2.70"
    assert score("得分率计分", "", "", "120%", 3) == 3.0
    with pytest.raises(RuleError):
        run("得分率计分", "每处扣5%", "", "90%", 3)


@pytest.mark.parametrize("actual, expected", [
    ("达成年度指标 100%", 10.0), ("达成年度指标 81%", 8.1), ("部分达成并具有一定效果：80%", 8.0),
    ("部分达成并具有一定效果 61%", 6.1), ("未达成且效果较差 60%", 6.0), ("未达成且效果较差 0%", 0.0), ("75%", 7.5),
])
def test_self_evaluation_tiers(actual, expected):
    assert score("酌情评分", "自评三档", "", actual, 10) == expected


@pytest.mark.parametrize("actual", ["达成年度指标 80%", "部分达成并具有一定效果 60%", "很好 90%"])
def test_self_evaluation_tier_bounds_are_exclusive_below(actual):
    with pytest.raises(RuleError):
        run("酌情评分", "自评三档", "", actual, 10)
