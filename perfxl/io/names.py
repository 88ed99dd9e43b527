"""What a file's name says it is, without opening it: an Office lock file, what macOS leaves beside
copied files, a backup perfxl made; and a safe file name made from free text."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

#: what ``backup`` adds to a file's stem: "文件.bak-20240101-120000.xlsx" (or "…-2" when taken)
_BACKUP_STEM = re.compile(r"\.bak-\d{8}-\d{6}(?:-\d+)?$")
LOCK_PREFIX = "~$"


def is_backup(path: Path) -> bool:
    """A copy perfxl made with ``backup`` before replacing a file."""
    return bool(_BACKUP_STEM.search(Path(path).stem))


def is_lock(path: Path) -> bool:
    """An Office owner file (~$name.xlsx): not a workbook, present while the file is open."""
    return Path(path).name.startswith(LOCK_PREFIX)


#: what macOS adds when it copies or zips files: an AppleDouble "._name" beside each, a "__MACOSX" folder
APPLEDOUBLE_PREFIX = "._"
MACOSX_FOLDER = "__MACOSX"


def is_mac_leftover(path: Path) -> bool:
    """A file macOS leaves beside copied or zipped files (AppleDouble ``._name.xlsx``, anything in a
    ``__MACOSX`` folder): Finder metadata, not a workbook."""
    path = Path(path)
    return path.name.startswith(APPLEDOUBLE_PREFIX) or MACOSX_FOLDER in path.parts


#: characters Windows refuses in a file name (and the path separators of every system)
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
#: bytes for the stem: with the suffix well under the 255 bytes most file systems allow
MAX_NAME_BYTES = 180


def safe_filename(text: object, fallback: str = "未命名") -> str:
    """A file name stem from free text: no path separators or characters Windows refuses, no
    control or invisible formatting characters (e.g. right-to-left overrides), no leading or
    trailing dots and spaces, no reserved device names (CON, NUL, COM1 …), no ``~$`` start (a lock
    file's), bounded length."""
    s = unicodedata.normalize("NFC", str(text or ""))
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    s = _FORBIDDEN.sub("_", s)
    s = re.sub(r"\s+", " ", s).strip(" .")
    s = cut_name(s, MAX_NAME_BYTES)
    if not s:
        return fallback
    if s.split(".")[0].strip().upper() in _RESERVED:
        s = "_" + s
    if s.startswith(LOCK_PREFIX):               # Excel's and Word's lock files are named so
        s = "_" + s[1:]
    return s


def cut_name(text: str, limit: int) -> str:
    """``text`` shortened to at most ``limit`` UTF-8 bytes (a long unit name leaves room for the evaluator's)."""
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text.rstrip(" .")
