"""The terminal, made safe for what comes from input.

Unit names, indicator names and file names are data: they never reach rich as markup, their
control characters (ANSI/OSC escapes, bidi overrides) are shown as visible escapes, and every
character printed can be encoded by the console (a GBK console gets plain marks instead of ✓).
The progress bar is here too: the module imports no other perfxl module, so batch and api use it."""
from __future__ import annotations

import re
import sys
from typing import Any

#: C0/C1 controls (except tab and newline), DEL, bidi embeddings/overrides/isolates, and the
#: zero-width/format characters that can reorder or hide text
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(text: Any) -> str:
    """``text`` with every unsafe character replaced by a visible escape (\\x1b, \\u202e)."""
    s = "" if text is None else str(text)
    if _UNSAFE.search(s) is None:
        return s
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", s)


def lit(text: Any):
    """A rich Text holding ``text`` literally (never parsed as markup), made visible."""
    from rich.text import Text

    return Text(visible(text))


def encoding(stream=None) -> str:
    stream = stream or sys.stdout
    return (getattr(stream, "encoding", None) or "utf-8").lower()


def can_encode(text: str, stream=None) -> bool:
    try:
        text.encode(encoding(stream))
    except (UnicodeEncodeError, LookupError):
        return False
    return True


#: marks with plain fallbacks for consoles that cannot show them (GBK has √ but not ✓)
_MARKS = {"ok": ("✓", "√", "OK"), "bullet": ("·", "·", "-"), "dash": ("—", "—", "-")}


def mark(name: str, stream=None) -> str:
    for candidate in _MARKS[name]:
        if can_encode(candidate, stream):
            return candidate
    return _MARKS[name][-1]


def console(stderr: bool = False):
    """A rich console that never interprets input as markup and never fails to encode."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    _replace_unencodable(stream)
    return Console(file=stream, highlight=False, soft_wrap=False, emoji=False)


def _replace_unencodable(stream) -> None:
    """Characters the console cannot encode are replaced (?) rather than raising after the work is
    done (a GBK console and a unit name in another script; an ASCII console of the C locale, whose
    surrogateescape raises for any other character too)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", "strict") in ("strict", "surrogateescape"):
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):
            pass


def interrupted() -> None:
    """The one message of a command stopped by Ctrl-C or a stop signal (exit code 130). What the
    objects it left half-finished say when they are collected is not shown (no traceback): neither
    unraisable exceptions nor asyncio's “Task exception was never retrieved” (a Dask cluster stopped
    while a worker starts)."""
    import logging

    sys.unraisablehook = lambda unraisable: None
    logging.getLogger("asyncio").disabled = True
    console(stderr=True).print("已中断", style="red")


class progress_bar:
    """A rich progress bar on stderr: ``with progress_bar(n) as update: update(done, total)``."""

    def __init__(self, total: int, description: str = "汇总工作簿"):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("已用"), TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
        self.task = self.progress.add_task(description, total=total)

    def __enter__(self):
        self.progress.start()
        return lambda done, total: self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        self.progress.stop()
        return False


def progress_to(progress, total: int, description: str = "汇总工作簿"):
    """What an API call's ``progress`` argument means, as a context giving the callable to report to:
    True draws ``progress_bar``; a function is called as it is; None or False reports nothing (None)."""
    from contextlib import nullcontext

    if progress is True:
        return progress_bar(total, description)
    return nullcontext(progress or None)
