"""The questionnaire sheets modelled from grids: 问卷 (one row per respondent, a pasted platform
export included), 问卷设置 (options with weights, per 对象类别 if wanted; question sets) and
问卷汇总 (option counts per question, as published reports and field work give them)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from perfxl.check.problems import Problem, problem
from perfxl.model import layout as L
from perfxl.model.cells import cell_ref
from perfxl.model.text import is_blank
from perfxl.survey.headers import is_meta, norm

if TYPE_CHECKING:
    import numpy.typing as npt

    from perfxl.io.read import RawBook, SheetGrid


@dataclass
class Option:
    label: str
    weight: float          # share of full marks, 0..1
    satisfied: bool
    cell: str = ""
    group: str | None = None   # the 对象类别 this option belongs to (None: every group without its own)


@dataclass
class QuestionSet:
    name: str
    questions: list[str]
    group: str | None
    cell: str = ""


@dataclass
class Tally:
    """One row of 问卷汇总: how many answers each option got for a question (and 对象类别)."""
    question: str
    group: str | None
    counts: dict[str, int]          # option label -> count
    size: int | None                # 份数 typed beside the counts, if any
    row: int                        # Excel row
    cell: str = ""                  # the question's cell


@dataclass
class CountsLayout:
    """Where 问卷汇总's table is (1-based): its header row and the columns of 题目, 对象类别, 份数 and
    each option's count (option label, column)."""
    header_row: int
    question_col: int
    group_col: int | None
    size_col: int | None
    option_cols: list[tuple[str, int]]


@dataclass
class SurveyInput:
    """The 问卷, 问卷设置 and 问卷汇总 sheets as modelled from the workbook."""
    sheet: str | None
    header_row: int
    id_col: int | None
    group_col: int | None
    questions: list[tuple[str, int]]                 # (header text, 1-based column)
    rows: list[int]                                  # Excel rows of the responses
    answers: Any                                     # numpy object array: response × question
    ids: Any                                         # numpy object arrays, one value per response
    groups: Any
    setup_sheet: str | None = None
    options: list[Option] = field(default_factory=list)
    sets: list[QuestionSet] = field(default_factory=list)
    counts_sheet: str | None = None
    tallies: list[Tally] = field(default_factory=list)
    counts_layout: CountsLayout | None = None
    ignored: list[tuple[str, int]] = field(default_factory=list)   # platform metadata columns of 问卷
    problems: list[Problem] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        """Responses or counts were entered (an untouched questionnaire is not in use)."""
        return bool(self.rows) or bool(self.tallies)


def read_survey(book: RawBook, path: str | Path) -> SurveyInput | None:
    """The questionnaire of a workbook (grids of ``book``), or None when it has none."""
    file = str(path)
    sheet = L.match_sheet(L.SHEET_SURVEY, book.sheet_names)
    counts_sheet = L.match_sheet(L.SHEET_SURVEY_COUNTS, book.sheet_names)
    inp = _responses(book.sheets[sheet], sheet, file) if sheet is not None else None
    if inp is None:
        if counts_sheet is None:
            return None
        inp = SurveyInput(sheet=sheet, header_row=1, id_col=None, group_col=None, questions=[], rows=[],
                          answers=np.empty((0, 0), dtype=object), ids=np.empty(0, dtype=object),
                          groups=np.empty(0, dtype=object))
    setup = L.match_sheet(L.SHEET_SURVEY_SETUP, book.sheet_names)
    if setup is not None:
        inp.setup_sheet = setup
        _setup(book.sheets[setup], inp, setup, file)
    if counts_sheet is not None:
        inp.counts_sheet = counts_sheet
        _counts(book.sheets[counts_sheet], inp, counts_sheet, file)
    return inp


def header_kind(value: Any) -> str:
    """What a header cell of 问卷 is: id, group, meta (ignored) or question."""
    n = norm(value)
    if n in {norm(x) for x in L.SURVEY_ID_HEADERS}:
        return "id"
    if n in {norm(x) for x in L.SURVEY_GROUP_HEADERS}:
        return "group"
    return "meta" if is_meta(value) else "question"


def find_header(grid: SheetGrid) -> int | None:
    """0-based row of the 问卷 header: the first with an id or group column, with two platform
    metadata columns or with two numbered questions (a pasted export)."""
    from perfxl.survey.headers import parse

    for r0 in range(min(L.HEADER_SEARCH_ROWS, grid.height)):
        texts = [v for v in grid.rows[r0] if isinstance(v, str)]
        kinds = [header_kind(v) for v in texts]
        if "id" in kinds or "group" in kinds or kinds.count("meta") >= 2 \
                or sum(parse(v).number is not None for v in texts) >= 2:
            return r0
    return None


def _responses(grid: SheetGrid, sheet: str, file: str) -> SurveyInput | None:
    header = find_header(grid)
    if header is None:
        return None
    id_col = group_col = None
    questions: list[tuple[str, int]] = []
    ignored: list[tuple[str, int]] = []
    for c0, v in enumerate(grid.rows[header]):
        if is_blank(v):
            continue
        kind = header_kind(v)
        if kind == "id" and id_col is None:
            id_col = c0 + 1
        elif kind == "group" and group_col is None:
            group_col = c0 + 1
        elif kind == "meta":
            ignored.append((str(v).strip(), c0 + 1))
        else:
            questions.append((str(v).strip(), c0 + 1))
    arr = grid.as_array()
    body = arr[header + 1:]
    if body.size:
        # numpy's stubs take no None as a ufunc operand
        keep = np.flatnonzero(np.not_equal(body, None).any(axis=1))  # type: ignore[call-overload]
    else:
        keep = np.array([], dtype=int)
    body = body[keep]

    def column(c1: int) -> npt.NDArray[np.object_]:
        return body[:, c1 - 1] if c1 - 1 < body.shape[1] else np.full(len(body), None, dtype=object)

    answers = np.empty((len(body), len(questions)), dtype=object)
    for j, (_, c1) in enumerate(questions):
        answers[:, j] = column(c1)
    inp = SurveyInput(sheet=sheet, header_row=header + 1, id_col=id_col, group_col=group_col,
                      questions=questions, rows=(keep + header + 2).tolist(), answers=answers,
                      ids=column(id_col) if id_col else np.full(len(body), None, dtype=object),
                      groups=column(group_col) if group_col else np.full(len(body), None, dtype=object),
                      ignored=ignored)
    if ignored:
        inp.problems.append(problem("survey_columns_ignored", file=file, sheet=sheet,
                                    cell=cell_ref(header + 1, ignored[0][1]), count=len(ignored),
                                    columns="、".join(h for h, _ in ignored)))
    return inp


def find_row(grid: SheetGrid, first: tuple[str, ...], second: tuple[str, ...]) -> int | None:
    a, b = {L.normalize(x) for x in first}, {L.normalize(x) for x in second}
    for r0, row in enumerate(grid.rows):
        if row and isinstance(row[0], str) and L.normalize(row[0]) in a:
            if len(row) > 1 and isinstance(row[1], str) and L.normalize(row[1]) in b:
                return r0
    return None


def _text(v: object) -> str | None:
    return None if is_blank(v) else str(v).strip()


def _setup(sg: SheetGrid, inp: SurveyInput, setup: str, file: str) -> None:
    from perfxl.model.values import parse_yes_no

    top = find_row(sg, (L.SURVEY_OPTION_HEADER[0],), (L.SURVEY_OPTION_HEADER[1],))
    if top is not None:
        grouped = L.normalize(sg.get(top, 3) or "") in {L.normalize(x) for x in L.SURVEY_GROUP_HEADERS}
        for r0 in range(top + 1, sg.height):
            label, weight, happy = sg.get(r0, 0), sg.get(r0, 1), sg.get(r0, 2)
            if is_blank(label) and is_blank(weight):
                break
            w = parse_weight(weight)
            if is_blank(label) or w is None or w < 0:
                inp.problems.append(problem("survey_option_invalid", file=file, sheet=setup,
                                            cell=cell_ref(r0 + 1, 1 if is_blank(label) else 2),
                                            value="" if weight is None else str(weight)))
                continue
            inp.options.append(Option(str(label).strip(), w, bool(parse_yes_no(happy)) if happy is not None else False,
                                      cell_ref(r0 + 1, 1), _text(sg.get(r0, 3)) if grouped else None))
        for group in dict.fromkeys(o.group for o in inp.options):
            normalise_weights([o for o in inp.options if o.group == group])
    top = find_row(sg, (L.SURVEY_SET_HEADER[0],), (L.SURVEY_SET_HEADER[1],))
    if top is not None:
        for r0 in range(top + 1, sg.height):
            name, qs, group = sg.get(r0, 0), sg.get(r0, 1), sg.get(r0, 2)
            if is_blank(name) and is_blank(qs):
                break
            inp.sets.append(QuestionSet(_text(name) or "", [str(qs or "")], _text(group), cell_ref(r0 + 1, 2)))


def option_key(text: object) -> str:
    """An option label as written in a 问卷汇总 header: '非常满意', '非常满意（人数）', '非常满意人数'."""
    s = norm(text)
    s = re.sub(r"\((?:人|人数|份|票|个)\)$", "", s)
    return re.sub(r"(?:人数|票数)$", "", s) or s


def default_options() -> list[Option]:
    return [Option(lbl, w, s) for lbl, w, s in L.DEFAULT_SURVEY_OPTIONS]


def _counts(grid: SheetGrid, inp: SurveyInput, sheet: str, file: str) -> None:
    labels = {option_key(o.label): o.label for o in (inp.options or default_options())}
    q_keys = {norm(x) for x in L.SURVEY_COUNT_QUESTION_HEADERS}
    header = next((r0 for r0 in range(min(L.HEADER_SEARCH_ROWS, grid.height))
                   if any(isinstance(v, str) and norm(v) in q_keys for v in grid.rows[r0])), None)
    if header is None:
        return
    q_col = g_col = s_col = None
    opt_cols: list[tuple[str, int]] = []
    for c0, v in enumerate(grid.rows[header]):
        if is_blank(v):
            continue
        n = norm(v)
        if n in q_keys and q_col is None:
            q_col = c0
        elif n in {norm(x) for x in L.SURVEY_GROUP_HEADERS} and g_col is None:
            g_col = c0
        elif n in {norm(x) for x in L.SURVEY_COUNT_SIZE_HEADERS} and s_col is None:
            s_col = c0
        elif option_key(v) in labels:
            opt_cols.append((labels[option_key(v)], c0))
        else:
            inp.problems.append(problem("survey_count_column_ignored", file=file, sheet=sheet,
                                        cell=cell_ref(header + 1, c0 + 1), value=str(v).strip(),
                                        choices="、".join(dict.fromkeys(labels.values()))))
    assert q_col is not None                          # the header row was found by its question column
    inp.counts_layout = CountsLayout(header + 1, q_col + 1, None if g_col is None else g_col + 1,
                                     None if s_col is None else s_col + 1, [(lab, c0 + 1) for lab, c0 in opt_cols])
    seen: dict[tuple[str, str | None], str] = {}
    for r0 in range(header + 1, grid.height):
        q = _text(grid.get(r0, q_col))
        cells = [grid.get(r0, c) for _, c in opt_cols]
        if all(is_blank(v) for v in cells):
            continue                                  # nothing counted (yet) on this row
        if q is not None and norm(q) in {norm(w) for w in L.TOTAL_ROW_WORDS}:
            continue
        where = cell_ref(r0 + 1, q_col + 1)
        if q is None:
            inp.problems.append(problem("survey_count_no_question", file=file, sheet=sheet, cell=where))
            continue
        counts: dict[str, int] = {}
        bad = False
        for (label, c0), v in zip(opt_cols, cells):
            count = _count(v)
            if count is None:
                bad = True
                inp.problems.append(problem("survey_count_invalid", file=file, sheet=sheet,
                                            cell=cell_ref(r0 + 1, c0 + 1), column=label, value=str(v)))
            else:
                counts[label] = counts.get(label, 0) + count
        size = None
        if s_col is not None and not is_blank(grid.get(r0, s_col)):
            size = _count(grid.get(r0, s_col))
            if size is None:
                bad = True
                inp.problems.append(problem("survey_count_invalid", file=file, sheet=sheet,
                                            cell=cell_ref(r0 + 1, s_col + 1), column=str(grid.get(header, s_col)),
                                            value=str(grid.get(r0, s_col))))
            elif size < sum(counts.values()):
                bad = True
                inp.problems.append(problem("survey_count_over_size", file=file, sheet=sheet,
                                            cell=cell_ref(r0 + 1, s_col + 1), value=str(size),
                                            total=str(sum(counts.values())), name=q))
        group = _text(grid.get(r0, g_col)) if g_col is not None else None
        key = (norm(q), norm(group) if group else None)
        if key in seen:
            inp.problems.append(problem("survey_count_duplicate", file=file, sheet=sheet, cell=where, value=q,
                                        first=seen[key]))
            continue
        seen[key] = where
        if not bad:
            inp.tallies.append(Tally(q, group, counts, size, r0 + 1, where))


def _count(v: object) -> int | None:
    """A typed count: blank is 0; a non-negative whole number; anything else None."""
    if is_blank(v):
        return 0
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return int(v) if float(v).is_integer() and v >= 0 else None
    s = norm(v).removesuffix("人").removesuffix("份").removesuffix("票")
    return int(s) if s.isdigit() else None


def parse_weight(v: Any) -> float | None:
    """'100%' -> 1.0, 0.8 -> 0.8, 5 -> 5 (normalised later against the highest score)."""
    from perfxl.model.values import parse_quantity

    try:
        q = parse_quantity(v)
    except ValueError:
        return None
    return q.value


def normalise_weights(opts: list[Option]) -> None:
    """Scores like 5/4/3/2/1 become shares of the highest score."""
    top = max((o.weight for o in opts), default=1.0)
    if top > 1.0 + 1e-9:
        for o in opts:
            o.weight = o.weight / top
