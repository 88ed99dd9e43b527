"""Questionnaires (问卷): per question / 对象类别 / option counts from the responses of 问卷 and the
counts typed in 问卷汇总, and per question set the sample size, the option distribution, 得分率 and
满意率 with their formulas, computed with numpy so that 100,000 responses stay fast. An indicator
takes a set's 得分率 (数据来源 ``问卷:题组名``) or its 满意率 (``问卷满意率:题组名``) as its value.

Each 对象类别 may have its own options and weights (问卷设置's 对象类别 column); answers are coded
against the options of their respondent's 对象类别, as text or, in an export "按序号", as option
numbers (1 = the first option)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from perfxl.check.problems import Problem, problem
from perfxl.model import layout as L
from perfxl.model.cells import cell_ref
from perfxl.model.text import fold, is_blank
from perfxl.model.values import fmt_num, fmt_pct, fmt_pct_short
from perfxl.survey.headers import norm, resolve
from perfxl.survey.sheet import (  # noqa: F401
    Option,
    QuestionSet,
    SurveyInput,
    Tally,
    default_options,
    normalise_weights,
    parse_weight,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy.typing as npt
    import pandas as pd

#: problems of one kind listed per question before they are summarised in one line
MAX_CELLS_PER_KIND = 20
#: blank cells named in the one warning a column gets
BLANK_CELLS_NAMED = 5
ROWS, COUNTS = L.SHEET_SURVEY, L.SHEET_SURVEY_COUNTS      # where a set's answers come from
ALL_GROUPS = L.SURVEY_ALL_GROUPS


@dataclass
class QuestionStat:
    question: str
    group: str                 # a 对象类别, or 全部
    valid: int
    counts: list[int]          # per option label (SurveyResult.labels)
    shares: list[float]
    rate: float | None
    satisfied: float | None
    labels: list[str] = field(default_factory=list)     # what ``counts`` and ``shares`` are of

    def count_of(self) -> dict[str, int]:
        return dict(zip(self.labels, self.counts))


@dataclass
class SetStat:
    name: str
    group: str | None
    valid: int                                     # answers counted (respondents × questions)
    rate: float | None
    satisfied: float | None
    shares: dict[str, float]                       # option -> share, largest first
    questions: list[str]
    sample: int = 0                                # respondents (样本量)
    counts: dict[str, int] = field(default_factory=dict)               # option -> count, option order
    weights: dict[str, float | None] = field(default_factory=dict)     # None: differs by 对象类别
    happy: dict[str, bool] = field(default_factory=dict)
    source: str = ROWS                             # 问卷 (responses) or 问卷汇总 (typed counts)
    rate_formula: str = ""
    satisfied_formula: str = ""
    per_question: list[QuestionStat] = field(default_factory=list)

    def text(self) -> str:
        who = f"（{self.group}）" if self.group else ""
        top = "，".join(f"{k}占比{fmt_pct(v)}" for k, v in list(self.shares.items())[:2])
        return (f"问卷题组“{self.name}”{who}共{self.valid}个有效回答，得分率{fmt_pct(self.rate or 0)}，"
                f"满意率{fmt_pct(self.satisfied or 0)}" + (f"（{top}）" if top else ""))


@dataclass
class SurveyResult:
    options: list[Option]              # one per option label (its first definition)
    groups: list[str]
    questions: list[str]
    counts: np.ndarray                 # [question, group (+1: no 对象类别), option]
    sets: dict[str, SetStat]
    problems: list[Problem] = field(default_factory=list)
    weights: Any = None                # [group (+1), option]: NaN where the option is not the group's
    happy: Any = None
    sources: list[str] = field(default_factory=list)     # per question: 问卷 / 问卷汇总

    @property
    def labels(self) -> list[str]:
        return [o.label for o in self.options]

    def question_stat(self, qi: int, buckets: list[int], group: str) -> QuestionStat:
        c = self.counts[qi, buckets]
        valid = int(c.sum())
        total = c.sum(axis=0)
        rate = _rate(c, self.weights[buckets], valid)
        sat = float((c * self.happy[buckets]).sum() / valid) if valid else None
        shares = (total / valid).tolist() if valid else [0.0] * len(total)
        return QuestionStat(self.questions[qi], group, valid, total.tolist(), shares, rate, sat, self.labels)

    def question_rows(self) -> Iterator[tuple[str, str, int, list[int], list[float], float | None, float | None]]:
        """(question, group, valid, counts, shares, rate, satisfied) for every question × group."""
        every = list(range(len(self.groups) + 1))
        for qi in range(len(self.questions)):
            for gi, g in enumerate(self.groups):
                st = self.question_stat(qi, [gi], g)
                if st.valid:
                    yield st.question, g, st.valid, st.counts, st.shares, st.rate, st.satisfied
            st = self.question_stat(qi, every, ALL_GROUPS)
            yield st.question, ALL_GROUPS, st.valid, st.counts, st.shares, st.rate, st.satisfied


def _rate(c: np.ndarray, weights: np.ndarray, valid: int) -> float | None:
    return float(np.nansum(c * np.where(np.isnan(weights), 0.0, weights)) / valid) if valid else None


def label_of(v: Any) -> str | None:
    if is_blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return fold(str(v))


def labels_of(values: pd.Series) -> pd.Series:
    """``label_of`` each value of an object Series: in bulk where folding changes nothing but a whole
    number's ".0" (whole numbers, text of printable ASCII without spaces), one by one elsewhere."""
    import pandas as pd

    arr = values.to_numpy(dtype=object)
    out = np.empty(len(arr), dtype=object)
    todo = np.ones(len(arr), dtype=bool)
    kind = pd.api.types.infer_dtype(arr, skipna=False)
    if kind in ("integer", "floating", "mixed-integer-float"):
        nums = arr.astype(float)
        todo = ~(np.isfinite(nums) & (nums == np.trunc(nums)) & (np.abs(nums) < 2.0 ** 53))
        out[~todo] = nums[~todo].astype(np.int64).astype(str).tolist()
    elif kind == "string":
        todo = ~values.str.fullmatch(r"[!-~]+").to_numpy(dtype=bool)
        out[~todo] = arr[~todo]
    out[todo] = [label_of(v) for v in arr[todo]]
    labels: pd.Series = pd.Series(out, index=values.index, dtype=object)
    return labels


#: an option's fill-in as 问卷星 writes it after the option: "一般〖场地偏远〗"
_FILL_IN = re.compile(r"〖.*〗$")


def answer_label(v: Any) -> str | None:
    """``label_of`` an answer, an option's fill-in left out ("一般〖场地偏远〗" is 一般): the one
    normalisation of answers, for the import's classification and the statistics."""
    lab = label_of(v)
    return None if lab is None else _without_fill_in(lab)


def _without_fill_in(lab: str) -> str:
    """A label (``label_of``) without its fill-in."""
    m = _FILL_IN.search(lab)
    return lab[:m.start()] if m and m.start() else lab


def _option_label(label: str) -> str:
    """``label_of`` an option's label, never None: 问卷设置 keeps no option without a label."""
    lab = label_of(label)
    assert lab is not None, label
    return lab


_LETTER = re.compile(r"^(?:[A-Za-z]|\d{1,2})[.、:)]")


@lru_cache(maxsize=1)
def skipped_labels() -> frozenset[str]:
    """Answers an export writes for a question not answered: (跳过), (空), -3 …"""
    labels = (label_of(x) for x in L.SURVEY_SKIPPED_ANSWERS)
    return frozenset(lab for lab in labels if lab is not None)      # (none is blank)


def _codes(values: npt.ArrayLike, code_of: dict[str, int], *, answers: bool = False) -> np.ndarray:
    """Vectorised label -> option code (same shape): -1 blank, -2 unknown.

    Exact labels (and numbers for numeric options) are looked up in a pandas Index, which is
    hash-based and fast; only what does not match exactly (odd spacing, full-width digits, blanks,
    and for ``answers``: an export's "(跳过)", an option written "A.非常满意", an option with its
    fill-in "一般〖场地偏远〗") is looked at one value at a time."""
    import pandas as pd

    values = np.asarray(values, dtype=object)
    keys: list[str | int] = []
    target: list[int] = []
    for label, code in code_of.items():
        variants: list[str | int] = [label]
        if label.lstrip("-").isdigit():
            variants.append(int(label))         # 5.0 hashes and compares equal to 5
        for v in variants:
            keys.append(v)
            target.append(code)
    flat = values.ravel()
    seen: dict[str | int, int] = {}
    for n, k in enumerate(keys):
        seen.setdefault(k, n)                # an Index to look up in must not repeat a key
    first = sorted(seen.values())
    found: npt.NDArray[np.intp] = pd.Index([keys[i] for i in first], dtype=object).get_indexer(flat)
    lookup = np.array([target[i] for i in first] + [-3], dtype=np.int64)
    out = lookup[found]                     # found == -1 picks the last entry: -3, "look again"
    for i in np.flatnonzero(out == -3):
        lab = label_of(flat[i])
        if lab is None:
            out[i] = -1
            continue
        plain = _without_fill_in(lab) if answers else lab
        if lab in code_of:
            out[i] = code_of[lab]
        elif answers and lab in skipped_labels():
            out[i] = -1
        elif answers and plain in code_of:
            out[i] = code_of[plain]
        elif answers and (m := _LETTER.match(plain)) and plain[m.end():] in code_of:
            out[i] = code_of[plain[m.end():]]
        else:
            out[i] = -2
    return out.reshape(values.shape)


@dataclass
class _Scales:
    """The options of every respondent group: union labels, weights and satisfaction per group."""
    labels: list[str]
    weights: npt.NDArray[np.float64]     # [bucket, option], NaN: not an option of that group
    happy: npt.NDArray[np.bool_]
    order: npt.NDArray[np.int64]         # [bucket, position] -> option code (-2 beyond the group's options)

    @property
    def allowed(self) -> np.ndarray:
        return ~np.isnan(self.weights)

    def choices(self, b: int) -> str:
        return "、".join(self.labels[c] for c in self.order[b] if c >= 0)


def _scales(options: list[Option], groups: list[str]) -> _Scales:
    labels = list(dict.fromkeys(o.label for o in options))
    index = {lab: i for i, lab in enumerate(labels)}
    own = {label_of(o.group) for o in options if o.group}
    buckets = [*groups, None]
    weights = np.full((len(buckets), len(labels)), np.nan)
    happy = np.zeros((len(buckets), len(labels)), dtype=bool)
    order = np.full((len(buckets), max(len(labels), 1)), -2, dtype=np.int64)
    for b, g in enumerate(buckets):
        scale = [o for o in options if (label_of(o.group) == g if g in own else o.group is None)]
        for pos, o in enumerate(scale):
            weights[b, index[o.label]] = o.weight
            happy[b, index[o.label]] = o.satisfied
            order[b, pos] = index[o.label]
    return _Scales(labels, weights, happy, order)


def analyze(inp: SurveyInput, used_sets: set[str], file: str) -> SurveyResult:
    """Counts per question × group × option, set statistics, and the problems found."""
    import pandas as pd

    probs: list[Problem] = list(inp.problems)
    options = inp.options or default_options()
    groups: list[str] = []
    for g in [*pd.unique(pd.Series(inp.groups, dtype=object).dropna()), *(t.group for t in inp.tallies)]:
        lab = label_of(g)
        if lab is not None and lab not in groups:
            groups.append(lab)
    gcode = {g: i for i, g in enumerate(groups)}
    none = len(groups)                               # the bucket of answers without 对象类别
    sc = _scales(options, groups)
    n_opt, labels = len(sc.labels), sc.labels
    first: dict[str, Option] = {}
    for o in options:
        first.setdefault(o.label, o)

    # --- responses (问卷) ---------------------------------------------------------------
    rows = np.asarray(inp.rows)
    g_idx = _codes(inp.groups, gcode) if groups else np.full(len(rows), -1, dtype=np.int64)
    bucket = np.where(g_idx >= 0, g_idx, none)
    block = _codes(inp.answers, {_option_label(lab): i for i, lab in enumerate(labels)}, answers=True) \
        if inp.answers.size else np.empty((len(rows), len(inp.questions)), dtype=np.int64)
    numbered = _option_numbers(inp, block, bucket, sc)
    if block.size and not sc.allowed.all():          # an option, but not one of this respondent's group
        rr, cc = np.nonzero(block >= 0)
        ok = sc.allowed[bucket[rr], block[rr, cc]]
        block[rr[~ok], cc[~ok]] = -2
    names, tally_q = question_names(inp)
    nq, nb = len(names), none + 1
    counts = np.zeros((nq, nb, n_opt), dtype=np.int64)
    answered = np.zeros((nq, nb), dtype=bool)
    for qi in range(len(inp.questions)):
        codes = block[:, qi]
        ok = codes >= 0
        counts[qi] = np.bincount(bucket[ok] * n_opt + codes[ok], minlength=nb * n_opt).reshape(nb, n_opt)
        answered[qi] = np.bincount(bucket[codes != -1], minlength=nb) > 0

    # --- typed counts (问卷汇总) ----------------------------------------------------------
    typed = np.zeros((nq, nb), dtype=bool)
    size = np.zeros((nq, nb), dtype=np.int64)
    col = {lab: i for i, lab in enumerate(labels)}
    for t, qi in zip(inp.tallies, tally_q):
        key = label_of(t.group)                      # None only without a group (a tally's is never blank)
        b = gcode[key] if key is not None else none
        for lab, k in t.counts.items():
            if k and not sc.allowed[b, col[lab]]:
                assert inp.counts_sheet is not None      # tallies are rows of 问卷汇总
                probs.append(problem("survey_count_not_an_option", file=file, sheet=inp.counts_sheet, cell=t.cell,
                                     value=lab, name=t.question, group=t.group or L.SURVEY_NO_GROUP,
                                     choices=sc.choices(b)))
                continue
            counts[qi, b, col[lab]] += k
        typed[qi, b] = True
        size[qi, b] = t.size if t.size is not None else sum(t.counts.values())

    # --- question sets --------------------------------------------------------------------
    set_problems, set_q = _resolve_sets(inp, names, file)
    probs += set_problems
    scope = np.zeros((nq, nb), dtype=bool)          # question × group a set counts
    set_b: dict[int, list[int]] = {}
    for si, qs in enumerate(inp.sets):
        key = label_of(qs.group) if qs.group else None
        if qs.group and key not in gcode:
            probs.append(problem("survey_set_unknown_group", file=file, sheet=inp.setup_sheet or L.SHEET_SURVEY_SETUP,
                                 cell=qs.cell, value=qs.group, name=qs.name, groups="、".join(groups) or "无"))
            continue
        set_b[si] = [gcode[key]] if key is not None else list(range(nb))
        for qi in set_q.get(si, []):
            scope[qi, set_b[si]] = True

    probs += _answer_problems(inp, block, bucket, scope, sc, file)
    if numbered:
        assert inp.sheet is not None                 # numbered columns are columns of 问卷
        columns = "、".join(inp.questions[i][0] for i in numbered[:5]) + ("…" if len(numbered) > 5 else "")
        probs.append(problem("survey_answers_numbered", file=file, sheet=inp.sheet,
                             cell=cell_ref(inp.header_row, inp.questions[numbered[0]][1]), count=len(numbered),
                             columns=columns, mapping=_mapping(sc, bucket)))
    probs += _duplicate_ids(inp, file)
    used = {qi for si, qs in enumerate(inp.sets) if qs.name in used_sets for qi in set_q.get(si, [])}
    for qi, q in enumerate(names):
        if qi in used:
            continue
        if qi < len(inp.questions):
            assert inp.sheet is not None             # a header of 问卷
            probs.append(problem("survey_question_unused", file=file, sheet=inp.sheet,
                                 cell=cell_ref(inp.header_row, inp.questions[qi][1]), column=q, value=q))
        else:
            t = inp.tallies[tally_q.index(qi)]
            assert inp.counts_sheet is not None      # a question of 问卷汇总 only
            probs.append(problem("survey_question_unused", file=file, sheet=inp.counts_sheet, cell=t.cell,
                                 column=q, value=q))

    sources = [COUNTS if typed[qi].any() else ROWS for qi in range(nq)]
    result = SurveyResult([first[lab] for lab in labels], groups, names, counts, {}, probs,
                          sc.weights, sc.happy, sources)
    for si, qs in enumerate(inp.sets):
        if si not in set_b:
            continue
        qis, bs = set_q.get(si, []), set_b[si]
        if qis and answered[np.ix_(qis, bs)].any() and typed[np.ix_(qis, bs)].any():
            both = next((names[qi] for qi in qis if answered[qi, bs].any() and typed[qi, bs].any()), None) \
                or next(names[qi] for qi in qis if typed[qi, bs].any())
            probs.append(problem("survey_rows_and_counts", file=file, sheet=inp.setup_sheet or L.SHEET_SURVEY_SETUP,
                                 cell=qs.cell, name=qs.name, value=both,
                                 sheets=f"“{inp.sheet or ROWS}”和“{inp.counts_sheet}”"))
            continue
        result.sets[qs.name] = _set_stat(result, qs, qis, bs, block, bucket, typed, size)
    return result


def question_names(inp: SurveyInput) -> tuple[list[str], list[int]]:
    """Every question: the 问卷 headers, then the 问卷汇总 questions not among them; and the index
    of each 问卷汇总 row's question."""
    names = [q for q, _ in inp.questions]
    index: dict[str, int] = {}
    for i, q in enumerate(names):
        index.setdefault(norm(q), i)
    tally_q = []
    for t in inp.tallies:
        key = norm(t.question)
        if key not in index:
            index[key] = len(names)
            names.append(t.question)
        tally_q.append(index[key])
    return names, tally_q


def _resolve_sets(inp: SurveyInput, names: list[str], file: str) -> tuple[list[Problem], dict[int, list[int]]]:
    probs, set_q = [], {}
    for si, qs in enumerate(inp.sets):
        found, bad = resolve(",".join(qs.questions), names)
        if found is None:
            probs.append(problem("survey_set_unknown_question", file=file,
                                 sheet=inp.setup_sheet or L.SHEET_SURVEY_SETUP, cell=qs.cell, value=bad, name=qs.name,
                                 headers="、".join(names[:12]) + ("…" if len(names) > 12 else "")))
            qs.questions = []
        else:
            qs.questions = [names[i] for i in found]
            set_q[si] = found
    return probs, set_q


def resolve_sets(inp: SurveyInput, file: str) -> list[Problem]:
    """Each 题组's 题目 resolved in place to question names; the sets naming an unknown one get
    none and a problem."""
    return _resolve_sets(inp, question_names(inp)[0], file)[0]


#: the former name of ``label_of`` (the formula tests' harness uses it)
_label = label_of


def _set_stat(res: SurveyResult, qs: QuestionSet, qis: list[int], bs: list[int], block: np.ndarray, bucket: np.ndarray,
              typed: np.ndarray, size: np.ndarray) -> SetStat:
    labels = res.labels
    c = res.counts[np.ix_(qis, bs)].sum(axis=0) if qis else np.zeros((len(bs), len(labels)), dtype=np.int64)
    valid = int(c.sum())
    total = c.sum(axis=0)
    w, h = res.weights[bs], res.happy[bs]
    rate = _rate(c, w, valid)
    sat = float((c * h).sum() / valid) if valid else None
    from_counts = bool(qis) and bool(typed[np.ix_(qis, bs)].any())
    if from_counts:
        sample = int(sum(size[qis, b].max() for b in bs))
    elif qis:
        mask = np.isin(bucket, bs) & (block[:, [qi for qi in qis if qi < block.shape[1]]] != -1).any(axis=1) \
            if block.size else np.zeros(0, dtype=bool)
        sample = int(mask.sum())
    else:
        sample = 0
    used = [i for i in range(len(labels)) if not np.isnan(w[:, i]).all()]
    weights = {}
    for i in used:
        ws = {float(x) for x in w[:, i] if not np.isnan(x)}
        weights[labels[i]] = ws.pop() if len(ws) == 1 else None
    shares = {labels[i]: float(total[i] / valid) for i in used} if valid else {}
    group = [res.groups[b] if b < len(res.groups) else L.SURVEY_NO_GROUP for b in bs]
    return SetStat(
        qs.name, qs.group, valid, rate, sat, dict(sorted(shares.items(), key=lambda kv: -kv[1])), qs.questions,
        sample=sample, counts={labels[i]: int(total[i]) for i in used}, weights=weights,
        happy={labels[i]: bool(h[:, i].any()) for i in used}, source=COUNTS if from_counts else ROWS,
        rate_formula=_rate_formula(c, w, labels, group, valid, rate),
        satisfied_formula=_satisfied_formula(c, h, labels, valid, sat),
        per_question=[res.question_stat(qi, bs, qs.group or ALL_GROUPS) for qi in qis])


def _rate_formula(c: np.ndarray, w: np.ndarray, labels: list[str], groups: list[str], valid: int,
                  rate: float | None) -> str:
    """得分率＝∑（各选项人次×选项分值）÷有效回答人次＝（非常满意43×100%＋满意7×80%＋一般1×60%＋不满意1×0%）÷52＝94.23%
    (the notation of the report)."""
    if not valid or rate is None:                    # (no answer, no rate)
        return ""
    terms = []
    same = all(len({float(x) for x in w[:, i] if not np.isnan(x)}) <= 1 for i in range(len(labels)))
    if same:
        total = c.sum(axis=0)
        for i, lab in enumerate(labels):
            ws = [float(x) for x in w[:, i] if not np.isnan(x)]
            if ws and total[i]:
                terms.append(f"{lab}{int(total[i])}×{fmt_pct_short(ws[0])}")
    else:
        for b in range(c.shape[0]):
            for i, lab in enumerate(labels):
                if c[b, i]:
                    terms.append(f"{groups[b]}{lab}{int(c[b, i])}×{fmt_pct_short(float(w[b, i]))}")
    return f"{L.REPORT_SURVEY_RATE_FORMULA}＝（{'＋'.join(terms)}）÷{valid}＝{fmt_pct(rate)}"


def _satisfied_formula(c: np.ndarray, h: np.ndarray, labels: list[str], valid: int, sat: float | None) -> str:
    """满意率＝计入满意的选项人次÷有效回答人次＝（非常满意43＋满意7）÷52＝96.15%."""
    if not valid or sat is None:                     # (no answer, no rate)
        return ""
    happy = (c * h).sum(axis=0)
    terms = [f"{lab}{int(happy[i])}" for i, lab in enumerate(labels) if h[:, i].any()]
    return f"{L.REPORT_SURVEY_SATISFIED_FORMULA}＝（{'＋'.join(terms) or '0'}）÷{valid}＝{fmt_pct(sat)}"


def _option_numbers(inp: SurveyInput, block: np.ndarray, bucket: np.ndarray, sc: _Scales) -> list[int]:
    """Columns answered with option numbers (an export "按序号"): coded in place as the options of
    the respondent's group in 问卷设置 order (1 = the first). Only when no option is itself a
    number, and only columns holding nothing but whole numbers from 1 on."""
    import pandas as pd

    if not block.size or any(_option_label(lab).lstrip("-").isdigit() for lab in sc.labels):
        return []
    out = []
    for qi in range(block.shape[1]):
        bad = block[:, qi] == -2
        if not bad.any() or (block[:, qi] >= 0).any():
            continue
        labels = pd.Series(inp.answers[bad, qi], dtype=object).map(answer_label)
        vals = pd.to_numeric(labels, errors="coerce").to_numpy(float)
        if np.isnan(vals).any() or (vals != np.floor(vals)).any() or (vals < 1).any():
            continue
        pos = vals.astype(np.int64) - 1
        inside = pos < sc.order.shape[1]
        coded = np.full(len(pos), -2, dtype=np.int64)
        coded[inside] = sc.order[bucket[bad][inside], pos[inside]]
        block[np.flatnonzero(bad), qi] = coded
        out.append(qi)
    return out


def _mapping(sc: _Scales, bucket: np.ndarray) -> str:
    b = int(np.bincount(bucket).argmax()) if len(bucket) else sc.order.shape[0] - 1
    return "、".join(f"{pos + 1}={sc.labels[c]}" for pos, c in enumerate(sc.order[b]) if c >= 0)


def _answer_problems(inp: SurveyInput, block: np.ndarray, bucket: np.ndarray, scope: np.ndarray, sc: _Scales,
                     file: str) -> list[Problem]:
    """Answers that are not options (each cell, up to 20 a column), and blank answers (one warning a
    column), where a question set counts them."""
    probs: list[Problem] = []
    rows = np.asarray(inp.rows)
    for qi, (q, col) in enumerate(inp.questions):
        assert inp.sheet is not None                 # questions are headers of 问卷
        counted = scope[qi][bucket] if len(bucket) else np.zeros(0, dtype=bool)
        bad = np.flatnonzero((block[:, qi] == -2) & counted)
        for i in bad[:MAX_CELLS_PER_KIND]:
            probs.append(problem("survey_unknown_answer", file=file, sheet=inp.sheet, cell=cell_ref(int(rows[i]), col),
                                 column=q, value=label_of(inp.answers[i, qi]) or "",
                                 choices=sc.choices(int(bucket[i]))))
        if len(bad) > MAX_CELLS_PER_KIND:
            probs.append(problem("survey_unknown_answer_more", file=file, sheet=inp.sheet,
                                 cell=cell_ref(inp.header_row, col), column=q,
                                 count=len(bad) - MAX_CELLS_PER_KIND, total=len(bad)))
        blank = np.flatnonzero((block[:, qi] == -1) & counted)
        if len(blank):
            named = "、".join(cell_ref(int(rows[i]), col) for i in blank[:BLANK_CELLS_NAMED])
            probs.append(problem("survey_blank_answer", file=file, sheet=inp.sheet,
                                 cell=cell_ref(int(rows[blank[0]]), col), column=q, count=len(blank),
                                 cells=named + ("…" if len(blank) > BLANK_CELLS_NAMED else "")))
    return probs


def _duplicate_ids(inp: SurveyInput, file: str) -> list[Problem]:
    """Respondent numbers repeated within one 对象类别 (each group's export numbers its answers from 1),
    up to 20 named, then how many more."""
    import pandas as pd

    if inp.id_col is None:
        return []
    assert inp.sheet is not None                     # the id column is one of 问卷
    ids = pd.Series(inp.ids, dtype=object)
    present = ids.notna()
    keys = labels_of(ids[present])                   # folded, as answers are: a zero-width space, a BOM
    keys = keys[keys.notna() & (keys != "")]          # or full width makes no other number; spaces only: blank
    codes, uniques = pd.factorize(pd.Series(inp.groups, dtype=object))
    group_of = np.array([label_of(g) for g in uniques] + [None], dtype=object)[codes]   # (-1, no group: None)
    pairs = pd.Series(list(zip(group_of[keys.index], keys)), index=keys.index, dtype=object)
    dup = pairs.duplicated(keep="first")
    out: list[Problem] = []
    first_row: dict[tuple[str | None, str], int] = {}
    for pos, pair in zip(pairs.index[~dup], pairs[~dup]):
        first_row.setdefault(pair, inp.rows[pos])
    for pos, pair in zip(pairs.index[dup][:MAX_CELLS_PER_KIND], pairs[dup][:MAX_CELLS_PER_KIND]):
        out.append(problem("survey_duplicate_id", file=file, sheet=inp.sheet, cell=cell_ref(inp.rows[pos], inp.id_col),
                           value=pair[1], first=cell_ref(first_row[pair], inp.id_col)))
    if int(dup.sum()) > MAX_CELLS_PER_KIND:
        out.append(problem("survey_duplicate_id_more", file=file, sheet=inp.sheet,
                           cell=cell_ref(inp.header_row, inp.id_col), count=int(dup.sum()) - MAX_CELLS_PER_KIND,
                           total=int(dup.sum()), shown=MAX_CELLS_PER_KIND))
    return out


def describe_options(options: list[Option]) -> str:
    return "、".join(f"{o.label}{fmt_num(o.weight * 100)}%" for o in options)
