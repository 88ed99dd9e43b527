"""Excel entry points: 校验, 评分 and 汇总 on the workbook whose button was clicked.

The buttons (macros/perfxl.bas) call these through xlwings' RunPython; in xlwings Lite the
workbook is passed in. Reading, validation, scoring and drawing are the very code the command
line uses: ``excel_read.book_to_rawbook`` gives the grids the file reader gives, and
``write.apply`` draws on an ``XlwingsCanvas`` instead of a file. Nothing is saved: the user
sees the results in the open workbook and saves when satisfied. Problems are shown in the
校验结果 sheet and a message box, never as a Python traceback.
"""
from __future__ import annotations

from perfxl.excel.ui import FAILED, _alert, _book, _path, _problems_text, guarded


def run(book=None, *, only_problems: bool = False):
    """Read the open workbook, validate and score it, draw the results into it.

    Returns the Result (None when the workbook cannot be used)."""
    from perfxl.api import score_book
    from perfxl.check.problems import ERROR
    from perfxl.excel.read import book_to_rawbook
    from perfxl.model.evaluation import sheets_to_read
    from perfxl.sheets.apply import apply
    from perfxl.sheets.canvas import XlwingsCanvas

    book = _book(book)
    path = _path(book)
    result = guarded(book, lambda: score_book(book_to_rawbook(book, sheets_to_read(), path=path)),
                     "无法处理本工作簿")
    if result is FAILED:
        return None
    canvas = XlwingsCanvas(book)
    if guarded(book, lambda: canvas.unlock(_written_sheets(canvas.names())), "无法写入结果") is FAILED:
        return None
    if guarded(book, lambda: apply(canvas, result, only_problems=only_problems), "无法写入结果",
               touched=True, after=canvas.close) is FAILED:
        return None
    errors = [p for p in result.problems if p.severity == ERROR]
    if only_problems:
        text = ("校验通过，未发现错误。" if not errors else f"发现 {len(errors)} 个错误：\n" + _problems_text(errors))
    elif result.total is None:
        text = f"有指标无法计分，总分未计算。\n{_problems_text(errors)}"
    else:
        text = f"总分 {result.total:.2f}，等级：{result.grade}。"
        if result.deviations:
            text += f"\n{len(result.deviations)} 项评价得分与规则得分不同，见“评价偏差”页。"
        if errors:
            text += f"\n另有 {len(errors)} 个错误，总分仅供参考：\n" + _problems_text(errors)
    text += "\n\n结果已写入本工作簿（尚未保存）。"
    _alert(book, text, error=bool(errors))
    return result


def _written_sheets(names: list[str]) -> list[str]:
    """The sheets a click may write into: those it reads (得分汇总, 问卷统计 and 选项 among them), and the
    output sheets it draws anew."""
    from perfxl.model import layout as L
    from perfxl.model.evaluation import sheets_to_read

    return [*sheets_to_read()(names), *(n for n in (L.SHEET_PROBLEMS, L.SHEET_DEVIATIONS) if n in names)]


def validate(book=None):
    """校验 button: check what was typed; problems go to 校验结果 and the cells, nothing is scored."""
    return run(book, only_problems=True)


def score(book=None):
    """评分 button: validate, score, and write every result into this workbook."""
    return run(book)


def consolidate(book=None):
    """汇总 button (in an administrator's summary workbook): consolidate the workbooks of the
    folder named on its 汇总设置 sheet (default: the workbook's own folder) into this workbook."""
    from perfxl.excel.admin import consolidate_into

    return consolidate_into(_book(book))
