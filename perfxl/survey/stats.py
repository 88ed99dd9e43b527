"""Questionnaires (问卷): answer options with weights, question sets, and per question / per
group counts, shares, 得分率 and 满意率, computed with numpy so that 100,000 responses
stay fast. An indicator takes a set's 得分率 (数据来源 ``问卷:题组名``) or its 满意率
(``问卷满意率:题组名``) as its value."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from perfxl.check.problems import Problem, problem
from perfxl.model import layout as L
from perfxl.model.values import fmt_num, fmt_pct, is_blank

#: problems of one kind listed per question before they are summarised in one line
MAX_CELLS_PER_KIND = 20


@dataclass
class Option:
    label: str
    weight: float          # share of full marks, 0..1
    satisfied: bool
    cell: str = ""


@dataclass
class QuestionSet:
    name: str
    questions: list[str]
    group: str | None
    cell: str = ""


@dataclass
class SurveyInput:
    """The 问卷 and 问卷设置 sheets as modelled from the workbook."""
    sheet: str
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
    problems: list[Problem] = field(default_factory=list)


@dataclass
class SetStat:
    name: str
    group: str | None
    valid: int
    rate: float | None
    satisfied: float | None
    shares: dict[str, float]
    questions: list[str]

    def text(self) -> str:
        who = f"（{self.group}）" if self.group else ""
        top = "，".join(f"{k}占比{fmt_pct(v)}" for k, v in list(self.shares.items())[:2])
        return (f"问卷题组“{self.name}”{who}共{self.valid}个有效回答，得分率{fmt_pct(self.rate or 0)}，"
                f"满意率{fmt_pct(self.satisfied or 0)}" + (f"（{top}）" if top else ""))


@dataclass
class SurveyResult:
    options: list[Option]
    groups: list[str]
    questions: list[str]
    counts: np.ndarray                 # [question, group(+1 for 全部), option]
    sets: dict[str, SetStat]
    problems: list[Problem] = field(default_factory=list)

    def question_rows(self):
        """(question, group, valid, counts, shares, rate, satisfied) for every question × group."""
        weights = np.array([o.weight for o in self.options])
        happy = np.array([o.satisfied for o in self.options])
        for qi, q in enumerate(self.questions):
            for gi, g in enumerate([*self.groups, "全部"]):
                c = self.counts[qi, gi]
                valid = int(c.sum())
                if valid == 0 and g != "全部":
                    continue
                shares = c / valid if valid else c * 0.0
                rate = float((c * weights).sum() / valid) if valid else None
                sat = float(c[happy].sum() / valid) if valid else None
                yield q, g, valid, c.tolist(), shares.tolist(), rate, sat


def _label(v: Any) -> str | None:
    if is_blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v)))


def _codes(values, code_of: dict[str, int]) -> np.ndarray:
    """Vectorised label -> option code (same shape): -1 blank, -2 unknown.

    Exact labels (and numbers for numeric options) go through a pandas Categorical, which is
    hash-based and fast; only what does not match exactly (odd spacing, full-width digits, blanks)
    is looked at one value at a time."""
    import pandas as pd

    values = np.asarray(values, dtype=object)
    keys: list = []
    target: list[int] = []
    for label, code in code_of.items():
        variants = [label]
        if label.lstrip("-").isdigit():
            variants.append(int(label))         # 5.0 hashes and compares equal to 5
        for v in variants:
            keys.append(v)
            target.append(code)
    flat = values.ravel()
    cat = pd.Categorical(flat, categories=pd.Index(keys, dtype=object)).codes
    lookup = np.array(target + [-3], dtype=np.int64)
    out = lookup[cat]                       # cat == -1 picks the last entry: -3, "look again"
    for i in np.flatnonzero(out == -3):
        lab = _label(flat[i])
        out[i] = -1 if lab is None else code_of.get(lab, -2)
    return out.reshape(values.shape)


def _split_questions(text: str, headers: list[str]) -> list[str] | None:
    """'题1~题5' / '题1、题3' / '全部' -> header names; None if any is unknown."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))
    if s in ("全部", "所有题目", "全部题目"):
        return list(headers)
    out: list[str] = []
    norm = {_label(h): h for h in headers}
    for part in re.split(r"[、,;，；/]", s):
        if not part:
            continue
        m = re.fullmatch(r"(.*?)(\d+)[~～\-至](.*?)(\d+)", part)
        if m and m.group(1) == (m.group(3) or m.group(1)):
            for n in range(int(m.group(2)), int(m.group(4)) + 1):
                key = f"{m.group(1)}{n}"
                if key not in norm:
                    return None
                out.append(norm[key])
            continue
        if part not in norm:
            return None
        out.append(norm[part])
    return out


def resolve_sets(inp: SurveyInput, file: str) -> list[Problem]:
    """Check question sets against the question headers; unknown questions are errors."""
    probs = []
    headers = [q for q, _ in inp.questions]
    for qs in inp.sets:
        resolved = _split_questions(",".join(qs.questions), headers)
        if resolved is None:
            probs.append(problem("survey_set_unknown_question", file=file, sheet=inp.setup_sheet or L.SHEET_SURVEY_SETUP,
                                 cell=qs.cell, value="、".join(qs.questions), name=qs.name,
                                 headers="、".join(headers[:12]) + ("…" if len(headers) > 12 else "")))
            qs.questions = []
        else:
            qs.questions = resolved
    return probs


def analyze(inp: SurveyInput, used_sets: set[str], file: str) -> SurveyResult:
    """Counts per question × group × option, set statistics, and the problems found."""
    from perfxl.model.cells import cell_ref

    probs: list[Problem] = list(inp.problems) + resolve_sets(inp, file)
    options = inp.options or [Option(lbl, w, s) for lbl, w, s in L.DEFAULT_SURVEY_OPTIONS]
    code_of = {_label(o.label): i for i, o in enumerate(options)}
    n_opt = len(options)
    import pandas as pd

    groups = []
    for g in pd.unique(pd.Series(inp.groups, dtype=object).dropna()):
        lab = _label(g)
        if lab is not None and lab not in groups:
            groups.append(lab)
    gcode = {g: i for i, g in enumerate(groups)}
    g_idx = _codes(inp.groups, gcode) if len(groups) else np.full(len(inp.rows), -1, dtype=np.int64)
    n_groups = len(groups)
    headers = [q for q, _ in inp.questions]
    counts = np.zeros((len(headers), n_groups + 1, n_opt), dtype=np.int64)
    rows = np.asarray(inp.rows)
    block = _codes(inp.answers, code_of) if inp.answers.size else \
        np.empty((len(rows), len(inp.questions)), dtype=np.int64)
    for qi, (q, col) in enumerate(inp.questions):
        codes = block[:, qi]
        column = inp.answers[:, qi]
        valid = codes >= 0
        in_group = valid & (g_idx >= 0)
        if n_groups:
            flat = np.bincount(g_idx[in_group] * n_opt + codes[in_group], minlength=n_groups * n_opt)
            counts[qi, :n_groups] = flat.reshape(n_groups, n_opt)
        counts[qi, n_groups] = np.bincount(codes[valid], minlength=n_opt)
        for kind, mask in (("survey_unknown_answer", codes == -2), ("survey_blank_answer", codes == -1)):
            bad = np.flatnonzero(mask)
            for i in bad[:MAX_CELLS_PER_KIND]:
                probs.append(problem(kind, file=file, sheet=inp.sheet, cell=cell_ref(int(rows[i]), col), column=q,
                                     value=_label(column[i]) or "", choices="、".join(o.label for o in options)))
            if len(bad) > MAX_CELLS_PER_KIND:
                probs.append(problem(kind + "_more", file=file, sheet=inp.sheet,
                                     cell=cell_ref(inp.header_row, col), column=q,
                                     count=len(bad) - MAX_CELLS_PER_KIND, total=len(bad)))
    probs += _duplicate_ids(inp, file)
    used_questions = {q for qs in inp.sets if qs.name in used_sets for q in qs.questions}
    for q, col in inp.questions:
        if q not in used_questions:
            probs.append(problem("survey_question_unused", file=file, sheet=inp.sheet,
                                 cell=cell_ref(inp.header_row, col), column=q, value=q))
    result = SurveyResult(options, groups, headers, counts, {}, probs)
    weights = np.array([o.weight for o in options])
    happy = np.array([o.satisfied for o in options])
    qindex = {q: i for i, q in enumerate(headers)}
    for qs in inp.sets:
        gi = gcode.get(_label(qs.group), None) if qs.group else n_groups
        if gi is None:
            probs.append(problem("survey_set_unknown_group", file=file, sheet=inp.setup_sheet or L.SHEET_SURVEY_SETUP,
                                 cell=qs.cell, value=qs.group, name=qs.name, groups="、".join(groups) or "无"))
            continue
        c = counts[[qindex[q] for q in qs.questions], gi].sum(axis=0) if qs.questions else np.zeros(n_opt, int)
        valid = int(c.sum())
        shares = {options[i].label: float(c[i] / valid) for i in range(n_opt)} if valid else {}
        result.sets[qs.name] = SetStat(
            qs.name, qs.group, valid,
            float((c * weights).sum() / valid) if valid else None,
            float(c[happy].sum() / valid) if valid else None,
            dict(sorted(shares.items(), key=lambda kv: -kv[1])), qs.questions)
    return result


def _duplicate_ids(inp: SurveyInput, file: str) -> list[Problem]:
    import pandas as pd

    from perfxl.model.cells import cell_ref

    if inp.id_col is None:
        return []
    ids = pd.Series(inp.ids, dtype=object)
    present = ids.notna()
    keys = ids[present].map(lambda v: _label(v)) if present.sum() < 1000 else ids[present].astype(str).str.strip()
    dup = keys.duplicated(keep="first")
    out = []
    first_row = {}
    for pos, key in zip(keys.index[~dup], keys[~dup]):
        first_row.setdefault(key, inp.rows[pos])
    for pos, key in zip(keys.index[dup][:MAX_CELLS_PER_KIND], keys[dup][:MAX_CELLS_PER_KIND]):
        out.append(problem("survey_duplicate_id", file=file, sheet=inp.sheet, cell=cell_ref(inp.rows[pos], inp.id_col),
                           value=key, first=cell_ref(first_row[key], inp.id_col)))
    return out


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


def describe_options(options: list[Option]) -> str:
    return "、".join(f"{o.label}{fmt_num(o.weight * 100)}%" for o in options)
