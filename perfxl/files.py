"""Nothing is ever lost: atomic saves, backups, lock and read-only checks, and detection
of workbook content that openpyxl would drop on save."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from .problems import UnusableInput, problem

# package parts openpyxl cannot carry over, with what a user would call them
_DROPPED_PARTS = (
    (re.compile(r"^xl/charts/"), "图表"),
    (re.compile(r"^xl/media/"), "图片"),
    (re.compile(r"^xl/drawings/drawing\d+\.xml$"), "图片、图表或形状"),
    (re.compile(r"^xl/ctrlProps/"), "按钮等表单控件"),
    (re.compile(r"^xl/activeX/"), "ActiveX 控件"),
    (re.compile(r"^xl/embeddings/"), "嵌入对象"),
    (re.compile(r"^xl/threadedComments/"), "新式批注（对话式批注）"),
    (re.compile(r"^xl/slicers?/|^xl/slicerCaches/"), "切片器"),
    (re.compile(r"^xl/timelines?/|^xl/timelineCaches/"), "日程表"),
    (re.compile(r"^xl/queryTables/|^xl/connections\.xml$"), "外部数据连接"),
    (re.compile(r"^customUI"), "自定义功能区"),
    (re.compile(r"^xl/model/"), "数据模型"),
    (re.compile(r"^xl/webextensions/"), "加载项内容"),
)
_MACROS = re.compile(r"^xl/vbaProject\.bin$")
_SHEET_EXT = (
    (b"x14:dataValidation", "跨表引用的下拉列表（数据验证扩展）"),
    (b"x14:sparklineGroup", "迷你图"),
    (b"x14:conditionalFormatting", "扩展条件格式"),
)


def unsupported_content(path: Path, *, keep_vba: bool = True) -> list[str]:
    """What in this package openpyxl would not write back (empty: safe to round-trip)."""
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            for name in names:
                for pattern, label in _DROPPED_PARTS:
                    if pattern.search(name) and label not in found:
                        found.append(label)
                if _MACROS.search(name) and not keep_vba and "宏（VBA）" not in found:
                    found.append("宏（VBA）")
                if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
                    data = zf.read(name)
                    if b"extLst" in data:
                        for marker, label in _SHEET_EXT:
                            if marker in data and label not in found:
                                found.append(label)
                if name.startswith("xl/drawings/vmlDrawing"):
                    data = zf.read(name)
                    if re.search(rb'ObjectType="(?!Note")', data) and "按钮等表单控件" not in found:
                        found.append("按钮等表单控件")
    except zipfile.BadZipFile:
        return []
    return found


def lock_file(path: Path) -> Path | None:
    """Excel's owner file (~$name.xlsx) beside ``path``, if Excel has it open."""
    for candidate in (path.with_name("~$" + path.name), path.with_name("~$" + path.name[2:])):
        if candidate.exists() and candidate != path:
            return candidate
    return None


def ensure_writable(path: Path) -> None:
    lock = lock_file(path)
    if lock is not None:
        raise UnusableInput([problem("file_locked", file=str(path), path=path.name, lock=lock.name)])
    if path.exists() and not os.access(path, os.W_OK):
        raise UnusableInput([problem("file_readonly", file=str(path), path=path.name)])


def backup(path: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
        n += 1
    shutil.copy2(path, target)
    return target


def atomic_write_bytes(path: Path, write) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, fsync, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp makes the file private (0600): give it the mode a normal save would
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_save(wb, path: Path) -> None:
    """Save an openpyxl workbook atomically."""
    atomic_write_bytes(Path(path), wb.save)
