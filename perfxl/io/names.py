"""What a file's name says it is, without opening it: an Office lock file, what macOS leaves beside
copied files, a backup perfxl made."""
from __future__ import annotations

import re
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
