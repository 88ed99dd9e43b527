"""What the Excel entry points share: the workbook that called, its path, message boxes, and the
guard that turns any failure into a message (never a traceback)."""
from __future__ import annotations

from pathlib import Path

TITLE = "perfxl"


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


def guarded(book, work, cannot: str):
    """``work()``, or None after telling the user why in a message box (never a traceback)."""
    from perfxl.check.problems import UnusableInput

    try:
        return work()
    except UnusableInput as e:
        _alert(book, f"{cannot}：\n" + _problems_text(e.problems), error=True)
    except Exception as e:
        _alert(book, f"perfxl 内部错误：{type(e).__name__}: {e}\n工作簿未被修改。", error=True)
    return None


def _problems_text(problems, limit: int = 8) -> str:
    lines = [f"· {p.where}：{p.message}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"…… 另有 {len(problems) - limit} 条，见“校验结果”页")
    return "\n".join(lines)
