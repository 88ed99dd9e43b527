"""LibreOffice recalculates the formulas perfxl compiles (a real client, no cached value trusted)
and gets the rule engine's numbers to the cent, or the marker where the engine reports an error.

Rows of every rule kind are generated (hypothesis), some 实际值 typed through UNO as a user types
them; LibreOffice saves the result as .xlsx and .ods, perfxl's reader reads the saved inputs, the
engine scores them, and the .ods is opened again and recalculated."""
from __future__ import annotations

import os  # noqa: F401

import pytest  # noqa: F401
from formula_cases import RULES, cases, curated, curated_typed, typed_cases
from formula_harness import (
    BASIC,
    COLS,
    HELPERS,
    MARK,
    SHEET,
    agree,
    expected,
    lay_out,
    lo_recalc,
    lo_value,
    read_inputs,
    to_xlsx,
    typing,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from perfxl.model.values import Percent
from perfxl.rules.formula import Err, Ref

COUNT_ONLY = "应为非负整数"


def _same(a, b) -> bool:
    if isinstance(a, Err) or isinstance(b, Err):
        return isinstance(a, Err) and isinstance(b, Err)
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-12 * max(1.0, abs(a))
    return a == b


def _run(lo, name: str, rows: list) -> None:
    """Lay out ``rows``, let LibreOffice type, recalculate and save them, check every row against
    the engine (on the inputs LibreOffice saved), the Python evaluation against LibreOffice, and the
    .ods LibreOffice saved against the .xlsx run."""
    work = lo.mktemp(name)
    lay = lay_out(rows)
    src = to_xlsx(lay, work / "rows.xlsx")
    last = lay.row(len(lay.cases) - 1)
    read = [[SHEET, f"A2:{HELPERS[-1]}{last}"], [BASIC, f"A2:D{last}"]]
    saved, ods = work / "rows_lo.xlsx", work / "rows_lo.ods"
    first, again = lo_recalc([{"path": str(src), "type": typing(lay), "read": read, "save": [str(saved), str(ods)]},
                              {"path": str(ods), "read": read}], work)
    got = {k: lo_value(v) for k, v in first["cells"].items()}
    inputs = read_inputs(saved, lay)                       # what a user's LibreOffice left in the cells
    book = lay.book(inputs)
    exps = expected(lay, inputs)
    problems = []
    for i, (case, exp) in enumerate(zip(lay.cases, exps)):
        r = lay.row(i)
        given_score = exp.score is not None and exp.rule != exp.score
        for key, want, errors in (("rule_score", exp.rule, exp.errors),
                                  ("score", exp.score, exp.score_errors + ([] if given_score else exp.errors)),
                                  ("rate", exp.rate, exp.score_errors + ([] if given_score else exp.errors))):
            value = got[f"{SHEET}!{COLS[key]}{r}"]
            why = agree(value, want, errors)
            actual_in = inputs[(SHEET, f"{COLS['actual']}{r}")]
            if why and isinstance(actual_in, Percent) and all(COUNT_ONLY in e for e in errors):
                why = None      # a formula sees 1, not the percent format that makes the engine refuse "100%" issues
            if why:
                problems.append((r, key, why, case, inputs[(SHEET, f"{COLS['actual']}{r}")]))
            # the Python evaluation of the same formula (LibreOffice dialect) is what LibreOffice computed
            mine = book.get(SHEET, f"{COLS[key]}{r}", "calc")
            if not _same(mine, value):
                problems.append((r, key, "python evaluation differs", mine, value, case))
        for h in HELPERS:
            ref = f"{SHEET}!{h}{r}"
            if (SHEET, f"{h}{r}") in lay.formulas and not _same(book.get(SHEET, f"{h}{r}", "calc"), got[ref]):
                problems.append((r, h, "helper differs", book.get(SHEET, f"{h}{r}", "calc"), got[ref], case))
    assert not problems, problems[:5]
    # what is typed the plain way gets a number, not the marker
    gaps = [(c, inputs[(SHEET, f"{COLS['actual']}{lay.row(i)}")]) for i, (c, exp) in enumerate(zip(lay.cases, exps))
            if c.canonical and exp.rule is not None and not exp.errors and got[f"{SHEET}!H{lay.row(i)}"] == MARK]
    assert not gaps, gaps[:5]
    # the .ods LibreOffice saved still computes: reopened and recalculated, the same values
    back = {k: lo_value(v) for k, v in again["cells"].items()}
    for i in range(len(lay.cases)):
        for key in ("rule_score", "score", "rate"):
            ref = f"{SHEET}!{COLS[key]}{lay.row(i)}"
            assert _same(back[ref], got[ref]), (ref, back[ref], got[ref])
    return lay, got, inputs


def test_libreoffice_on_every_kind_and_edge(lo):
    rows = curated() + curated_typed()
    lay, got, _ = _run(lo, "lo-curated", rows)
    numbers = {c.method for i, c in enumerate(lay.cases) if isinstance(got[f"{SHEET}!H{lay.row(i)}"], float)}
    assert numbers == set(RULES)
    typed_numbers = [c.typed for i, c in enumerate(lay.cases)
                     if c.typed is not None and isinstance(got[f"{SHEET}!H{lay.row(i)}"], float)]
    assert {"96%", "62家", "是", "①③", "109896;482649.12", "部分达成并具有一定效果 70%"} <= set(typed_numbers)


@settings(max_examples=3, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(rows=st.lists(cases(), min_size=150, max_size=150), typed=st.lists(typed_cases(), min_size=40, max_size=40))
def test_libreoffice_on_generated_rows(lo, rows, typed):
    _run(lo, "lo-rows", rows + typed)


def test_libreoffice_rounds_as_the_engine_rounds(lo):
    """ROUND(ROUND(x,9),2) in LibreOffice is values.round2(x) at the x.xx5 edges, on binary noise
    (2.8499999999999996) and on products of rates and weights."""
    import openpyxl
    from test_formulas import ROUND_EDGES

    from perfxl.model.values import round2
    from perfxl.rules.formula import text
    from perfxl.rules.formula.row import round2 as round2_formula

    values = list(ROUND_EDGES) + [n / 1000 + 0.0005 for n in range(0, 100_000, 97)]
    values += [w * r for w in (0.5, 1.5, 2.0, 3.0, 4.0, 8.0, 15.0) for r in (0.283, 0.7169, 0.8333, 0.945, 0.715)]
    work = lo.mktemp("lo-round")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S"
    for i, x in enumerate(values, start=1):
        ws[f"A{i}"] = x
        ws[f"B{i}"] = "=" + text(round2_formula(Ref(f"A{i}")))
    wb.save(work / "round.xlsx")
    (res,) = lo_recalc([{"path": str(work / "round.xlsx"), "read": [["S", f"A1:B{len(values)}"]]}], work)
    for i, x in enumerate(values, start=1):
        assert res["cells"][f"S!B{i}"] == ["num", round2(x)], (x, res["cells"][f"S!B{i}"])
