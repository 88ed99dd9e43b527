"""The live 得分率 / 满意率 of each question set (perfxl.rules.formula.sheet.survey), laid over the
workbook's 问卷 and 问卷设置 sheets as they were read; the marker for what a formula does not
express (see ``set_formulas``)."""
from __future__ import annotations

from perfxl.model.cells import MAX_ROW, col_letter
from perfxl.model.text import is_blank
from perfxl.rules.formula import Ref
from perfxl.rules.formula import read as R
from perfxl.rules.formula import sheet as S
from perfxl.rules.formula.expr import call
from perfxl.rules.formula.row import NotCompilable


def _raw(ev, sheet: str | None, address: str):
    from perfxl.rules.formula.expr import parse_cell

    grid = ev.grids.get(sheet) if sheet else None
    if grid is None:
        return None
    r, c = parse_cell(address)
    return grid.get(r - 1, c - 1)


def set_formulas(ev, stats) -> dict[str, S.SurveySet | None]:
    """Set name -> what the 得分率 / 满意率 formulas of each question set of ``ev``'s questionnaire
    are compiled from (None: not compilable, the marker) (``stats``: the engine's SurveyResult, None
    when the questionnaire was not analysed)."""
    from perfxl.survey.stats import label_of, resolve_sets

    sv = ev.survey
    if sv is None or not sv.setup_sheet or not sv.sets:
        return {}
    if stats is None:
        resolve_sets(sv, str(ev.path))
    out: dict[str, S.SurveySet | None] = {}
    groups = sorted({g for g in (label_of(v) for v in sv.groups) if g}) if sv.group_col else []
    for qs in sv.sets:
        if qs.name in out:
            continue
        try:
            sset = _survey_set(ev, qs, groups)
            S.survey_counts(sset)                 # its labels can be COUNTIFS criteria
            out[qs.name] = sset
        except NotCompilable:
            out[qs.name] = None
    return out


def _survey_set(ev, qs, groups: list[str]) -> S.SurveySet:
    sv = ev.survey
    col_of = dict(sv.questions)
    if any(o.group for o in sv.options):
        raise NotCompilable("options per 对象类别")
    if sv.tallies and qs.questions and not sv.rows:
        return _tally_set(ev, qs)
    if not qs.questions or any(q not in col_of for q in qs.questions):
        raise NotCompilable("a question without answers on 问卷 (counts, or none)")
    if sv.tallies:
        raise NotCompilable("counts typed on 问卷汇总 beside answers on 问卷")
    if qs.group is not None and sv.group_col is None:
        raise NotCompilable("a 对象类别 without its column")
    options = _options(ev)
    first = sv.header_row + 1
    answers = tuple(Ref(f"{col_letter(col_of[q])}{first}:{col_letter(col_of[q])}{MAX_ROW}", sv.sheet)
                    for q in qs.questions)
    group_range = (Ref(f"{col_letter(sv.group_col)}{first}:{col_letter(sv.group_col)}{MAX_ROW}", sv.sheet)
                   if sv.group_col else None)
    guards = _set_guards(ev, qs)
    guards += tuple((Ref(f"{col_letter(col_of[q])}{sv.header_row}", sv.sheet),
                     _raw(ev, sv.sheet, f"{col_letter(col_of[q])}{sv.header_row}")) for q in qs.questions)
    if any(is_blank(raw) for _, raw in guards[3:]):
        raise NotCompilable("a question without a header")
    return S.SurveySet(answers, group_range, qs.group, tuple(groups), options, _below(sv), guards)


def _options(ev) -> tuple[S.SurveyOption, ...]:
    sv, setup = ev.survey, ev.survey.setup_sheet
    if not sv.options:
        raise NotCompilable("no options on 问卷设置")
    out = []
    for o in sv.options:
        r = int(o.cell[1:])
        out.append(S.SurveyOption(Ref(f"A{r}", setup), _raw(ev, setup, f"A{r}"), Ref(f"B{r}", setup),
                                  Ref(f"C{r}", setup), _raw(ev, setup, f"C{r}")))
    return tuple(out)


def _below(sv) -> tuple[Ref, Ref]:
    below = max(int(o.cell[1:]) for o in sv.options) + 1
    return Ref(f"A{below}", sv.setup_sheet), Ref(f"B{below}", sv.setup_sheet)


def _set_guards(ev, qs) -> tuple[tuple[Ref, object], ...]:
    """The set's row on 问卷设置 (名称, 题目, 对象类别) as compiled."""
    setup, row = ev.survey.setup_sheet, int(qs.cell[1:])
    return tuple((Ref(f"{c}{row}", setup), _raw(ev, setup, f"{c}{row}")) for c in "ABC")


#: the most 问卷汇总 rows a set's formulas guard (each row: its 题目 and 对象类别 cells)
MAX_TALLY_ROWS = 60


def _tally_set(ev, qs) -> S.SurveySet:
    """A set whose questions are counted on 问卷汇总: each option's count is the sum of its cells in the
    rows of the set's questions (and 对象类别); compiled while every row's 题目 and 对象类别, the header and
    the counts are as the engine reads them, the marker otherwise."""
    from perfxl.survey.headers import norm
    from perfxl.survey.stats import label_of

    sv = ev.survey
    lay, sheet = sv.counts_layout, sv.counts_sheet
    grid = ev.grids.get(sheet) if sheet else None
    if lay is None or grid is None:
        raise NotCompilable("no 问卷汇总 table")
    last = max(t.row for t in sv.tallies)
    if last - lay.header_row > MAX_TALLY_ROWS:
        raise NotCompilable("too many 问卷汇总 rows to guard")
    wanted = {norm(q) for q in qs.questions}
    group = label_of(qs.group) if qs.group else None
    letter = col_letter

    def raw(r: int, c: int | None):
        return grid.get(r - 1, c - 1) if c else None

    guards = list(_set_guards(ev, qs))
    header_cols = [lay.question_col, lay.group_col, lay.size_col, *(c for _, c in lay.option_cols)]
    guards += [(Ref(f"{letter(c)}{lay.header_row}", sheet), raw(lay.header_row, c)) for c in header_cols if c]
    picked: list[int] = []
    keys: set[tuple[str, str | None]] = set()
    for r in range(lay.header_row + 1, last + 1):
        for c in (lay.question_col, lay.group_col):
            if c:
                guards.append((Ref(f"{letter(c)}{r}", sheet), raw(r, c)))
        q = raw(r, lay.question_col)
        g = label_of(raw(r, lay.group_col)) if lay.group_col else None
        if is_blank(q) or norm(str(q)) not in wanted or (group is not None and g != group):
            continue
        key = (norm(str(q)), g)
        if key in keys:
            raise NotCompilable("a question counted twice on 问卷汇总")
        keys.add(key)
        picked.append(r)
    # no row added, inserted or filled in anywhere: the columns from their header down (a range grows with
    # rows inserted within it)
    checks = [S.table_unchanged(Ref(f"{letter(c)}{lay.header_row}:{letter(c)}{MAX_ROW}", sheet),
                                S.filled(grid, c, lay.header_row)) for c in (lay.question_col, lay.group_col) if c]
    for r in picked:
        cells = [Ref(f"{letter(c)}{r}", sheet) for _, c in lay.option_cols]
        checks += [_count_ok(c) for c in cells]
        if lay.size_col:
            size = Ref(f"{letter(lay.size_col)}{r}", sheet)
            checks.append(R.IF(R.blank(size), True, R.IF(R.is_number_cell(size),
                                                         R.AND(_whole(size), size.ge(call("SUM", *cells))), False)))
    if sv.sheet:                       # 问卷 stays without answers to these questions (else: both, see stats)
        col_of, first = dict(sv.questions), sv.header_row + 1
        checks += [call("COUNTIFS", Ref(f"{letter(col_of[q])}{first}:{letter(col_of[q])}{MAX_ROW}", sv.sheet),
                        "<>").eq(0) for q in qs.questions if q in col_of]
    # each option's cells: the columns whose header names it (问卷汇总's reader maps headers to 问卷设置's labels)
    tallied = tuple(tuple(Ref(f"{letter(c)}{r}", sheet) for r in picked for lab, c in lay.option_cols
                          if lab == o.label) for o in sv.options)
    return S.SurveySet((), None, None, (), _options(ev), _below(sv), tuple(guards), tallied, tuple(checks))


def _whole(c: Ref):
    return R.AND(c.ge(0), call("INT", c).eq(c))


def _count_ok(c: Ref):
    """A typed count the formula sums as the engine reads it: empty, or a whole number ≥ 0 (a count typed
    as text, "12人", is left to perfxl)."""
    return R.IF(R.blank(c), True, R.IF(R.is_number_cell(c), _whole(c), False))
