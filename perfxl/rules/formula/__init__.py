"""Live formulas: the spreadsheet face of the rule kinds and of the figures perfxl computes.

* ``expr``  — formula expressions: rendering, evaluation in Excel / LibreOffice semantics, and
  ``FUNCTIONS``, the one list of functions a formula may use;
* ``read``  — formula readers of typed values (twins of perfxl.model.values);
* ``row``   — one indicator row: 规则得分 from its kind's ``formula`` face, 得分, 得分率;
* ``sheet`` — roll-ups, 总分, 等级, derived figures, questionnaire rates.
"""
from .expr import FUNCTIONS, Book, Err, Expr, Ref, functions_in, text
from .row import RowCells, RowFormulas, compile_row

__all__ = ["FUNCTIONS", "Book", "Err", "Expr", "Ref", "RowCells", "RowFormulas", "compile_row", "functions_in",
           "text"]
