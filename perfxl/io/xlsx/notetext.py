"""A note shared by a user and perfxl: the user's text first, perfxl's part after it. perfxl's part
starts at the first line that begins with ``MARK``; every back end (file, Excel) splits and joins
notes the same way, so a user's note survives perfxl's runs."""
from __future__ import annotations

MARK = "perfxl："


def split_note(text: str | None) -> tuple[str, str]:
    """(the user's part, perfxl's part) of a note."""
    text = text or ""
    at = 0 if text.startswith(MARK) else text.find("\n" + MARK)
    if at < 0:
        return text, ""
    if at > 0:
        at += 1
    return text[:at].rstrip("\n"), text[at:]


def merge_note(existing: str | None, ours: str | None) -> str | None:
    """The note after perfxl writes ``ours`` (None: removes perfxl's part); None when empty."""
    user = split_note(existing)[0]
    text = "\n\n".join(t for t in (user, ours or "") if t)
    return text or None
