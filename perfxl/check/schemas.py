"""pandera schemas, one per sheet. Each check's ``error`` is a code of the message
catalogue (problems.CATALOGUE), so a failure becomes a cell-addressed Chinese message."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import pandera.pandas as pa

from perfxl.io.read import CellMark
from perfxl.model import layout as L
from perfxl.model.values import Unparsed, is_not_applicable, parse_number, parse_year
from perfxl.rules import lookup

if TYPE_CHECKING:
    import pandas as pd


def _is_mark(v: object) -> bool:
    return isinstance(v, CellMark)


def _numeric(v: object) -> bool:
    """Number columns hold floats already (values.to_number): only Unparsed fails."""
    return not isinstance(v, Unparsed)


def _positive(v: object) -> bool:
    """Not negative: 0 marks an indicator that does not apply this year (不适用)."""
    return not isinstance(v, float) or v >= 0


def _known_method(v: object) -> bool:
    return v is None or _is_mark(v) or lookup(v) is not None or is_not_applicable(v)


def _check(fn: Callable[[object], bool], code: str, *, blanks: bool = False) -> pa.Check:
    """An element-wise check; ``blanks``: blank cells are checked too (pandera skips them otherwise)."""
    return pa.Check(fn, element_wise=True, name=code, error=code, ignore_na=not blanks)


_NO_MARK = _check(lambda v: not _is_mark(v), "cell_mark")
NO_MARK = _NO_MARK


def _keep(*checks: pa.Check | None) -> list[pa.Check]:
    return [c for c in checks if c is not None]


#: the column of a chunk's indicator frame that says which workbook a row comes from
FILE_KEY = "_file"


def _unique_per_file(frame: pd.DataFrame) -> pd.Series[bool]:
    return ~frame.duplicated([FILE_KEY, "code"], keep=False)


@lru_cache(maxsize=32)
def indicator_schema(present: tuple[str, ...], marks: bool = True) -> pa.DataFrameSchema:
    """Schema of the 指标评分 tables of a chunk of workbooks (one frame, ``FILE_KEY`` naming the
    workbook of each row); ``present`` are the column keys the workbooks have. ``marks``: the tables
    hold error values or uncalculated formulas, so every column checks for them. 编号 is unique
    within each workbook."""
    NO_MARK = _NO_MARK if marks else None
    cols = {
        "code": pa.Column(None, nullable=False, checks=_keep(NO_MARK)),
        "level1": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "level2": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "name": pa.Column(None, nullable=False, checks=_keep(NO_MARK)),
        "weight": pa.Column(None, nullable=False, checks=_keep(
            NO_MARK, _check(_numeric, "not_number"), _check(_positive, "not_positive"))),
        "method": pa.Column(None, nullable=False, checks=_keep(NO_MARK, _check(_known_method, "method_unknown"))),
        "params": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "source": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "target": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "actual": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "evaluator_score": pa.Column(None, nullable=True, checks=_keep(NO_MARK, _check(_numeric, "not_number"))),
        "note": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "criterion": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
        "explanation": pa.Column(None, nullable=True, checks=_keep(NO_MARK)),
    }
    return pa.DataFrameSchema({k: v for k, v in cols.items() if k in present}, strict=False, coerce=False,
                              checks=[pa.Check(_unique_per_file, name="duplicate_code", error="duplicate_code")]
                              if "code" in present else [])


# --- 基本信息 -------------------------------------------------------------------

_CREDIT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def _year(v: object) -> bool:
    if v is None or _is_mark(v):
        return True
    y = parse_year(v)
    return y is not None and 1990 <= y <= 2100


def _credit(v: object) -> bool:
    return v is None or _is_mark(v) or bool(_CREDIT.match(str(v).strip().upper()))


def _kind(v: object) -> bool:
    return v is None or _is_mark(v) or str(v).strip() in L.EVALUATION_TYPES


def _date(v: object) -> bool:
    if v is None or _is_mark(v) or isinstance(v, (date, datetime)):
        return True
    return bool(re.fullmatch(r"\d{4}\s*[-/.年]\s*\d{1,2}(\s*[-/.月]\s*\d{1,2}日?)?", str(v).strip()))


#: 单位名称 and 评价年度 left blank (a blank cell is checked: pandera skips blanks otherwise)
_FILLED = _check(lambda v: v is not None, "info_missing", blanks=True)


@lru_cache(maxsize=32)
def info_schema(present: tuple[str, ...]) -> pa.DataFrameSchema:
    cols = {
        "unit": pa.Column(None, nullable=True, checks=[NO_MARK, _FILLED]),
        "year": pa.Column(None, nullable=True, checks=[NO_MARK, _FILLED, _check(_year, "info_year")]),
        "credit_code": pa.Column(None, nullable=True, checks=[NO_MARK, _check(_credit, "info_credit")]),
        "kind": pa.Column(None, nullable=True, checks=[NO_MARK, _check(_kind, "info_kind")]),
        "date": pa.Column(None, nullable=True, checks=[NO_MARK, _check(_date, "info_date")]),
    }
    return pa.DataFrameSchema({k: v for k, v in cols.items() if k in present}, strict=False)


# --- 等级划分 --------------------------------------------------------------------

def _grade_min(v: object) -> bool:
    if v is None or _is_mark(v):
        return True
    try:
        x = parse_number(v)
    except ValueError:
        return False
    return 0 <= x <= 100


@lru_cache(maxsize=1)
def grade_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema({
        "label": pa.Column(None, nullable=False, unique=True, checks=[NO_MARK]),
        "min": pa.Column(None, nullable=False, checks=[NO_MARK, _check(_grade_min, "grade_min")]),
    })
