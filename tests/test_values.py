import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfxl.model.values import (
    Percent,
    Quantity,
    fmt_pct,
    fmt_score,
    parse_number,
    parse_quantity,
    parse_target,
    parse_year,
    parse_yes_no,
    round2,
)


@pytest.mark.parametrize("raw, value, unit", [
    (62, 62, ""), ("62", 62, ""), ("62家", 62, "家"), ("96%", 0.96, "%"), ("９６％", 0.96, "%"),
    ("1,234.5", 1234.5, ""), ("1，234.5万元", 1234.5, "万元"), (" 5 次 ", 5, "次"), ("-77.23%", -0.7723, "%"),
    ("−5%", -0.05, "%"), ("3‰", 0.003, "%"),
])
def test_actual_values_as_typed(raw, value, unit):
    q = parse_quantity(raw)
    assert q.value == pytest.approx(value)
    assert q.unit == unit


def test_excel_percent_cell_is_a_fraction():
    assert parse_quantity(0.96, percent=True) == Quantity(0.96, "%")
    assert parse_quantity("0.96", percent=True).value == pytest.approx(0.96)


def test_missing_percent_sign_is_refused_not_guessed():
    with pytest.raises(ValueError, match="百分号"):
        parse_quantity(96, percent=True)
    with pytest.raises(ValueError, match="百分号"):
        parse_quantity("96", percent=True)


@pytest.mark.parametrize("raw", ["abc", "约62家", "62家以上吧", True, float("nan"), ""])
def test_not_a_value(raw):
    with pytest.raises(ValueError):
        parse_quantity(raw)


@pytest.mark.parametrize("raw, op, value, unit", [
    ("≥60家", "≥", 60, "家"), (">=60家", "≥", 60, "家"), ("≧60家", "≥", 60, "家"), ("≤5%", "≤", 0.05, "%"),
    ("=100%", "=", 1.0, "%"), ("100%", "≥", 1.0, "%"), ("≥5538人", "≥", 5538, "人"), ("不低于90%", "≥", 0.9, "%"),
    ("60家以上", "≥", 60, "家"), ("不超过5%", "≤", 0.05, "%"), ("＜3次", "<", 3, "次"), (60, "≥", 60, ""),
])
def test_targets(raw, op, value, unit):
    t = parse_target(raw)
    assert (t.op, t.quantity.unit) == (op, unit)
    assert t.value == pytest.approx(value)


def test_target_garbage_has_a_chinese_message():
    with pytest.raises(ValueError, match="比较符"):
        parse_target("大概六十家")


def test_rounding_is_half_up_and_immune_to_binary_noise():
    assert round2(2.865) == 2.87
    assert round2(2.675) == 2.68          # float 2.675 is 2.67499999...
    assert round2(0.8333333) == 0.83
    assert round2(4 * (1 - 0.0566 * 5)) == 2.87
    assert fmt_score(2) == "2.00"
    assert fmt_pct(0.7169) == "71.69%" and fmt_pct(1) == "100.00%" and fmt_pct(0.954) == "95.40%"


def test_numbers_for_weights():
    assert parse_number("2分") == 2 and parse_number("２．５") == 2.5
    with pytest.raises(ValueError):
        parse_number("两分")


@pytest.mark.parametrize("raw, expected", [("符合", True), ("不符合", False), ("√", True), ("×", False),
                                           ("完成", True), ("未完成", False), (True, True), ("也许", None), (1, None)])
def test_yes_no(raw, expected):
    assert parse_yes_no(raw) is expected


def test_huge_and_odd_numbers_format_without_crashing():
    from perfxl.model.values import fmt_num

    assert fmt_num(1e24) == "1e+24" and round2(1e24) == 1e24
    assert fmt_pct(1e22) == "1e+24%"


def test_remembered_cleaning_is_the_same_cleaning():
    """``clean`` and 不适用 remember short texts only; long ones (a pasted paragraph) are worked out each
    time, and both give what the uncached function gives."""
    from perfxl.model import values as V

    short = ["①完成 1,000 ", "不 适 用", "不适用。", "N/A", "≧ 95 %", "—3"]
    long = ["不适用" + " " * 300, "①" * 300 + "完成"]
    for text in short + long:
        assert V.clean(text) == V._clean_text(text)
        hits = V._clean_memo.cache_info().hits
        V.clean(text)                                # the second call answers from memory (short ones only)
        assert V._clean_memo.cache_info().hits == hits + (len(text) <= V._MEMO_LEN)
    assert [V.is_not_applicable(t) for t in short] == [False, True, True, True, False, False]
    assert V.is_not_applicable(long[0]) and not V.is_not_applicable(long[1])
    assert V._clean_memo.cache_info().currsize >= len(short)
    assert all(len(t) <= V._MEMO_LEN for t in short) and all(len(t) > V._MEMO_LEN for t in long)


def test_text_of_a_blank_is_empty_whatever_holds_it():
    from perfxl.model.text import text_of

    assert text_of(None) == text_of(float("nan")) == "" and text_of(2.0) == "2" and text_of(" 甲 ") == "甲"


@pytest.mark.parametrize("raw, year", [
    (2023, 2023), (2023.0, 2023), ("2023", 2023), ("2023年", 2023), ("2023.0", 2023), (" ２０２３ 年", 2023),
    ("2023年度", 2023), ("２０２３ 年度", 2023),
    ("2023.5", None), ("二〇二三", None), ("", None), (None, None), (True, None),
])
def test_years_read_one_way(raw, year):
    """Validation and consolidation both read 评价年度 with parse_year."""
    assert parse_year(raw) == year


_FIGURES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**18, 10**18),
                     st.floats(-1e6, 1e6).map(lambda x: round(x, 4)), st.floats(-10, 10).map(Percent),
                     st.booleans(), st.just(-0.0), st.just(0.0))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_FIGURES, st.sampled_from([2, 4, 6])), min_size=1, max_size=20))
def test_remembered_formatting_is_the_same_formatting(figures):
    """fmt_num and fmt_pct remember what they formatted: equal figures of other types (0.0 and -0.0,
    2 and 2.0, Percent(0.9) and 0.9) still give what the uncached functions give, asked in any order."""
    from perfxl.model.values import fmt_num

    for x, places in figures + figures[::-1]:
        assert fmt_num(x, places) == fmt_num.__wrapped__(x, places)
        assert fmt_num(x) == fmt_num.__wrapped__(x)
        assert fmt_pct(x, places) == fmt_pct.__wrapped__(x, places)
        assert fmt_pct(x) == fmt_pct.__wrapped__(x)


def test_built_once_lookups_are_the_tables_as_built():
    """header_lookup, info_lookup and basic_lookup are built once per process (read-only Mappings to
    their readers): what they give is what building them again gives."""
    from perfxl.model import layout as L

    assert L.header_lookup() is L.header_lookup()
    for built_once in (L.header_lookup, L.info_lookup, L.basic_lookup):
        assert built_once() == built_once.__wrapped__()
