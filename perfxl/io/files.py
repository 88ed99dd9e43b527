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

from perfxl.check.problems import UnusableInput, problem

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


def unsupported_content(source, *, keep_vba: bool = True) -> list[str]:
    """What in this package (an open ZipFile, a path or a file object) openpyxl would not write back
    (empty: safe to round-trip)."""
    found: list[str] = []
    try:
        with _zip(source) as zf:
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
    """Call ``write(fileobj)`` on a temporary file beside ``path``, fsync, then rename over it.
    The temporary file is hidden (``.name.perfxl-PID-….tmp``) and never has the final name; one
    left by a run that was killed is removed by the next write beside it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.{_TEMP_TAG}-{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(_paused(fh) if os.environ.get(TEST_PAUSE_ENV) else fh)
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


# --- robustness: interrupted writes and oversized workbooks (可靠性与安全) ---------------------

_TEMP_TAG = "perfxl"
#: test-only hook (documented in tests/test_robustness.py): when set to a file path, a write creates
#: that file once some bytes are written and then sleeps, so that a test can kill the process mid-write
TEST_PAUSE_ENV = "PERFXL_TEST_PAUSE_WRITE"
_STALE_AGE = 3600.0


def _alive(pid: int) -> bool:
    if os.name == "nt":
        return True                   # no cheap, safe liveness test: such files are left to age out
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Temporary files of an earlier write of ``path`` whose process is gone (or that are older
    than an hour): what a killed run left behind. Never the final file."""
    import time

    removed = []
    import glob

    for tmp in Path(path).parent.glob(f".{glob.escape(Path(path).stem)}.{_TEMP_TAG}-*.tmp"):
        m = re.match(rf"^\.{re.escape(Path(path).stem)}\.{_TEMP_TAG}-(\d+)-", tmp.name)
        if not m:
            continue
        try:
            old = time.time() - tmp.stat().st_mtime > _STALE_AGE
            if old or (int(m.group(1)) != os.getpid() and not _alive(int(m.group(1)))):
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass
    return removed


class _paused:
    """File wrapper for the test hook: after the first write, signal and sleep (to be killed)."""

    def __init__(self, fh):
        self._fh, self._signalled = fh, False

    def write(self, data):
        n = self._fh.write(data)
        if not self._signalled:
            import time

            self._signalled = True
            self._fh.flush()
            Path(os.environ[TEST_PAUSE_ENV]).write_text(str(os.getpid()))
            time.sleep(float(os.environ.get("PERFXL_TEST_PAUSE_SECONDS", "60")))
        return n

    def __getattr__(self, name):
        return getattr(self._fh, name)


#: most cells (including empty ones that only carry formatting) and rows openpyxl is asked to
#: load for writing back: about 1.5 GB of memory and a minute of time
MAX_WRITE_CELLS = 3_000_000


def package_cells(source) -> int:
    """Cell and row elements of every worksheet of an xlsx/xlsm package (what openpyxl would load)."""
    n = 0
    try:
        with _zip(source) as zf:
            for name in zf.namelist():
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    data = zf.read(name)
                    n += data.count(b"<c ") + data.count(b"<c>") + data.count(b"<row ") + data.count(b":c ")
                    del data
    except zipfile.BadZipFile:
        return 0
    return n


def _zip(source):
    """A ZipFile context: an open one is used as is (not closed), anything else is opened."""
    import contextlib

    if isinstance(source, zipfile.ZipFile):
        return contextlib.nullcontext(source)
    return zipfile.ZipFile(source)
