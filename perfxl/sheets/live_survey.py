"""The live 得分率 / 满意率 of each question set (perfxl.rules.formula.sheet.survey), laid over the
workbook's 问卷 and 问卷设置 sheets as they were read; the marker for what a formula does not
express (see ``set_formulas``)."""
from __future__ import annotations

from perfxl.model.cells import MAX_ROW, col_letter
from perfxl.model.text import is_blank
from perfxl.rules.formula import Ref
from perfxl.rules.formula import sheet as S
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
    setup = sv.setup_sheet
    col_of = dict(sv.questions)
    if not qs.questions or any(q not in col_of for q in qs.questions):
        raise NotCompilable("a question without answers on 问卷 (counts, or none)")
    if sv.tallies:
        raise NotCompilable("counts typed on 问卷汇总")
    if any(o.group for o in sv.options):
        raise NotCompilable("options per 对象类别")
    if qs.group is not None and sv.group_col is None:
        raise NotCompilable("a 对象类别 without its column")
    if not sv.options:
        raise NotCompilable("no options on 问卷设置")
    first = sv.header_row + 1
    options = []
    for o in sv.options:
        r = int(o.cell[1:])
        options.append(S.SurveyOption(Ref(f"A{r}", setup), _raw(ev, setup, f"A{r}"), Ref(f"B{r}", setup),
                                      Ref(f"C{r}", setup), _raw(ev, setup, f"C{r}")))
    below = max(int(o.cell[1:]) for o in sv.options) + 1
    answers = tuple(Ref(f"{col_letter(col_of[q])}{first}:{col_letter(col_of[q])}{MAX_ROW}", sv.sheet)
                    for q in qs.questions)
    group_range = (Ref(f"{col_letter(sv.group_col)}{first}:{col_letter(sv.group_col)}{MAX_ROW}", sv.sheet)
                   if sv.group_col else None)
    set_row = int(qs.cell[1:])
    guards = tuple((Ref(f"{c}{set_row}", setup), _raw(ev, setup, f"{c}{set_row}")) for c in "ABC")
    guards += tuple((Ref(f"{col_letter(col_of[q])}{sv.header_row}", sv.sheet),
                     _raw(ev, sv.sheet, f"{col_letter(col_of[q])}{sv.header_row}")) for q in qs.questions)
    if any(is_blank(raw) for _, raw in guards[3:]):
        raise NotCompilable("a question without a header")
    return S.SurveySet(answers, group_range, qs.group, tuple(groups), tuple(options),
                       (Ref(f"A{below}", setup), Ref(f"B{below}", setup)), guards)
