"""The one pipeline every front end runs: read → model → validate → score.

Workbooks go through it in chunks: each file is read and modelled on its own, then the chunk is
validated (one pandera call per schema) and scored (rule kinds over all its rows) together. One
workbook is a chunk of one, so ``perfxl score`` and consolidation give the same results by
construction."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

if TYPE_CHECKING:
    from perfxl.io.read import RawBook
    from perfxl.model.evaluation import Evaluation
    from perfxl.score.engine import Result


def score_evaluations(evs: "list[Evaluation]", *, texts: bool = True) -> "list[Result]":
    """validate → score for a chunk of modelled workbooks. ``texts``: with 评分过程."""
    from perfxl.check.validate import in_form_terms, sort_problems, validate_many
    from perfxl.score.cached import differences
    from perfxl.score.engine import score_many

    results = score_many(validate_many(evs), texts=texts)
    for r in results:                         # a live workbook's own results checked against the engine's
        found = differences(r)
        if found:
            r.problems = sort_problems(r.problems + found, r.checked.evaluation)
        if r.checked.evaluation.form is not None:
            same = {x.indicator.row for x in r.indicators if x.indicator.score_key == "score" and not x.deviates}
            r.problems = in_form_terms(r.problems, r.checked.evaluation, same)
    return results


def score_book(book: "RawBook") -> "Result":
    """model → validate → score for grids already read (a file, or an open Excel workbook)."""
    from perfxl.model.evaluation import load

    return score_evaluations([load(book.path, book)])[0]


def score_path(path: "str | Path", password: str | None = None) -> "Result":
    """read → model → validate → score for a workbook file (read once): a chunk of one."""
    return score_chunk([path], password, isolate=False)[0]


@overload
def score_chunk(paths: Sequence[str | Path], password: str | None = None, *, texts: bool = True,
                isolate: Literal[False]) -> list[Result]: ...
@overload
def score_chunk(paths: Sequence[str | Path], password: str | None = None, *, texts: bool = True,
                isolate: bool = True) -> list[Result | Exception]: ...
def score_chunk(paths: Sequence[str | Path], password: str | None = None, *, texts: bool = True,
                isolate: bool = True) -> list[Result] | list[Result | Exception]:
    """read → model → validate → score for a chunk of workbook files, in order. With ``isolate``
    a file that cannot be used gives its exception (UnusableInput, or any other error) in its place
    and never spoils the others; without, the first such exception is raised."""
    from perfxl.io.read import read_book
    from perfxl.model.evaluation import load, sheets_to_read, sheets_with_numbers

    out: dict[int, Result | Exception] = {}       # by position in ``paths``
    evs: list[Evaluation] = []
    at: list[int] = []
    for i, p in enumerate(paths):
        try:
            evs.append(load(p, read_book(p, sheets=sheets_to_read(), password=password,
                                         formats=sheets_with_numbers())))
            at.append(i)
        except Exception as e:
            if not isolate:
                raise
            out[i] = e
    results: Sequence[Result | Exception]
    try:
        results = score_evaluations(evs, texts=texts)
    except Exception:
        if not isolate:
            raise
        one_by_one: list[Result | Exception] = []
        for ev in evs:                       # find the workbook that broke the chunk
            try:
                one_by_one.append(score_evaluations([ev], texts=texts)[0])
            except Exception as e:
                one_by_one.append(e)
        results = one_by_one
    for i, r in zip(at, results):
        out[i] = r
    return [out[i] for i in range(len(paths))]


def run(path: "str | Path", book: "RawBook | None" = None, *, password: str | None = None) -> "Result":
    """``score_path``, or ``score_book`` when the grids were read already."""
    return score_book(book) if book is not None else score_path(path, password)
