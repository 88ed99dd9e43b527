"""The one pipeline every front end runs: read → model → validate → score."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfxl.io.read import RawBook
    from perfxl.score.engine import Result


def score_book(book: "RawBook") -> "Result":
    """model → validate → score for grids already read (a file, or an open Excel workbook)."""
    from perfxl.check.validate import validate
    from perfxl.model.evaluation import load
    from perfxl.score.engine import score

    return score(validate(load(book.path, book)))


def score_path(path: "str | Path", password: str | None = None) -> "Result":
    """read → model → validate → score for a workbook file (read once)."""
    from perfxl.io.read import read_book
    from perfxl.model.evaluation import sheets_to_read

    return score_book(read_book(path, sheets=sheets_to_read(), password=password))


def run(path: "str | Path", book: "RawBook | None" = None, *, password: str | None = None) -> "Result":
    """``score_path``, or ``score_book`` when the grids were read already."""
    return score_book(book) if book is not None else score_path(path, password)
