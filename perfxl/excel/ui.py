"""What the Excel entry points share: the workbook that called, its path, message boxes, and the
guard that turns any failure into a message (never a traceback)."""
from __future__ import annotations

from pathlib import Path

TITLE = "perfxl"


class _Failed:
    def __repr__(self) -> str:
        return "FAILED"


#: what ``guarded`` returns when its step failed (a step may return None)
FAILED = _Failed()


def _book(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _path(book) -> Path:
    try:
        full = book.fullname
    except Exception:
        full = None
    return Path(full or book.name)


def _alert(book, text: str, *, error: bool = False) -> None:
    try:
        book.app.alert(text[:1500], title=TITLE, mode="critical" if error else "info")
    except Exception:
        pass                     # no message box available (e.g. a test engine without alerts)


def guarded(book, work, cannot: str, *, touched: bool = False, after=None):
    """``work()``, or FAILED after telling the user why in a message box (never a traceback).
    ``touched``: ``work`` writes into the workbook, so a failure may leave part of it written (Excel
    refuses writes while a cell is being edited, or into a sheet protected with a password).
    ``after``: run whatever happens (a canvas's ``close``: the protection lifted for writing put back)."""
    from perfxl.check.problems import UnusableInput, problem

    try:
        return work()
    except UnusableInput as e:
        _alert(book, f"{cannot}：\n" + _problems_text(e.problems, fixes=True), error=True)
    except Exception as e:
        if touched:
            p = problem("excel_write_failed", file=book.name, detail=f"{type(e).__name__}: {e}"[:300])
            _alert(book, f"{cannot}：\n{p.message}\n修改：{p.fix}", error=True)
        elif _excel_refused(e):
            p = problem("excel_refused", file=book.name, detail=f"{type(e).__name__}: {e}"[:300])
            _alert(book, f"{cannot}：\n{p.message}\n修改：{p.fix}", error=True)
        else:
            _alert(book, f"perfxl 内部错误：{type(e).__name__}: {e}\n工作簿未被修改。", error=True)
    finally:
        if after is not None:
            after()
    return FAILED


def _excel_refused(e: Exception) -> bool:
    """Excel turning a call away (a cell being edited, a dialog open): pywin32's com_error, which xlwings
    passes on; not perfxl's own error."""
    return type(e).__name__ == "com_error" or (isinstance(e, OSError) and "OLE error" in str(e))


def _problems_text(problems, limit: int = 8, *, fixes: bool = False) -> str:
    """``fixes``: each problem with how to fix it (the workbook could not be used: no 校验结果 to look at)."""
    lines = [f"· {p.where}：{p.message}" + (f"\n  修改：{p.fix}" if fixes and p.fix else "") for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"…… 另有 {len(problems) - limit} 条，见“校验结果”页")
    return "\n".join(lines)
