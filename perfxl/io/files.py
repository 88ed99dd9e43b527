"""Nothing is ever lost: atomic writes (nothing partial, ever), backups, lock, read-only and owner
checks, and detection of workbook content that openpyxl would drop (for what is still written with
openpyxl: a template loaded by perfxl fill)."""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from perfxl.check.problems import UnusableInput, problem
from perfxl.io.names import (  # noqa: F401 (the names' home is io.names; imported from here too)
    APPLEDOUBLE_PREFIX,
    LOCK_PREFIX,
    MACOSX_FOLDER,
    is_backup,
    is_lock,
    is_mac_leftover,
)


def lock_file(path: Path) -> Path | None:
    """Excel's owner file (~$name.xlsx) beside ``path``, if Excel has it open."""
    for candidate in (path.with_name(LOCK_PREFIX + path.name), path.with_name(LOCK_PREFIX + path.name[2:])):
        if candidate.exists() and candidate != path:
            return candidate
    return None


def ensure_writable(path: Path) -> None:
    lock = lock_file(path)
    if lock is not None:
        raise UnusableInput([problem("file_locked", file=str(path), path=path.name, lock=lock.name)])
    if path.exists() and not os.access(path, os.W_OK):
        raise UnusableInput([problem("file_readonly", file=str(path), path=path.name)])
    check_owner(real_target(path))


def real_target(path: Path) -> Path:
    """The file a write of ``path`` replaces: a symbolic link is followed to the real workbook (replacing
    the link itself would leave the workbook it points to unchanged and the link gone)."""
    path = Path(path)
    if not path.is_symlink():
        return path
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:                  # a link to a file not made yet: writing makes it
        return Path(os.path.realpath(path))
    except OSError as e:                       # a loop of links
        raise write_failed(path, e) from None


def check_owner(path: Path) -> None:
    """Replacing a file makes the writer its owner unless the owner can be given back: refused when
    it cannot (another user's file that this user may write to)."""
    if os.name == "nt" or not hasattr(os, "geteuid"):
        return
    try:
        st = path.stat()
    except OSError:
        return
    euid = os.geteuid()
    if euid == 0:
        return
    if st.st_uid != euid or st.st_gid not in {os.getegid(), *os.getgroups()}:
        raise UnusableInput([problem("file_owner", file=str(path), path=path.name)])


#: backups made for a target earlier in this run: removed again if the write they were made for fails
_PENDING: dict[Path, Path] = {}


def backup(path: Path) -> Path:
    """``name.bak-TIME.ext`` beside ``path``: the same file under a second name (a hard link, which needs
    no space and cannot be partial), else a complete copy written atomically."""
    stop_if_asked()
    path = real_target(Path(path))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while target.exists() or target.is_symlink():
        target = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
        n += 1
    try:
        os.link(path, target)
    except OSError:                         # no hard links here (FAT, some network shares): copy
        _copy_atomically(path, target)
    _PENDING[path] = target
    return target


def _copy_atomically(source: Path, target: Path) -> None:
    tmp = _Temporary(target)
    try:
        with source.open("rb") as src:
            shutil.copyfileobj(src, tmp.file, 1 << 20)
        tmp.finish(None)
        tmp.commit()
        shutil.copystat(source, target)
    except BaseException as e:
        tmp.discard()
        if isinstance(e, OSError):
            raise write_failed(target, e) from None
        raise


def atomic_write_bytes(path: Path, write, *, keep_backup: bool = False) -> Path | None:
    """Call ``write(fileobj)`` on a temporary file beside ``path`` (nameless where the system allows:
    nothing is left if the process is killed), fsync, give it the mode, owner and group of the file it
    replaces, then rename it over ``path`` (a symbolic link is followed). ``keep_backup``: the file
    replaced is kept as a backup (made at the last moment; returned).

    Any failure (disk full, no permission, an interruption) leaves ``path`` as it was and no partial
    file, not even a backup made for this write by ``backup()``; an OSError becomes ``write_failed``."""
    path = real_target(Path(path))
    if path.is_dir():
        raise write_failed(path, IsADirectoryError(21, "是一个文件夹", str(path)))
    with made_folder(path.parent):     # the folders made for it go again if it is not written
        return _atomic_write_bytes(path, write, keep_backup)


def _atomic_write_bytes(path: Path, write, keep_backup: bool) -> Path | None:
    pending = _PENDING.pop(path, None)
    saved = tmp = None
    try:
        stop_if_asked()
        remove_stale_temporaries(path)
        try:
            st = path.stat()
        except FileNotFoundError:
            st = None
        with _interruptible():
            tmp = _Temporary(path)
            write(tmp.file)
            tmp.finish(st)
            stop_if_asked()                        # a stop cleared while the contents were made
            if keep_backup and st is not None:
                saved = backup(path)
                _PENDING.pop(path, None)
            tmp.commit()
        _sync_dir(path.parent)
    except BaseException as e:
        if tmp is not None and tmp.replaced():     # interrupted just after: the backup holds the original
            raise
        if tmp is not None:
            tmp.discard()
        for extra in (saved, pending, _PENDING.pop(path, None)):
            if extra is not None:
                try:
                    extra.unlink()
                except OSError:
                    pass
        if isinstance(e, OSError):
            raise write_failed(path, e) from None
        raise
    return saved


def atomic_save(wb, path: Path, *, keep_backup: bool = False) -> Path | None:
    """Save an openpyxl workbook atomically (built in memory: no temporary files elsewhere);
    ``keep_backup`` as ``atomic_write_bytes`` (the backup's path returned)."""
    from perfxl.io.xlsx import workbook_bytes

    data = workbook_bytes(wb)
    return atomic_write_bytes(Path(path), lambda fh: fh.write(data), keep_backup=keep_backup)


@contextmanager
def made_folder(folder: Path):
    """``folder`` made, with its missing parents, for the files the block writes; those of them still empty
    when the block ends (stopped before its first file, or nothing to write) are removed again: a command
    leaves no empty folder behind."""
    missing = []
    p = Path(folder)
    while not p.exists() and p.parent != p:
        missing.append(p)
        p = p.parent
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        yield Path(folder)
    finally:
        for p in missing:                        # the deepest first
            try:
                p.rmdir()
            except OSError:                      # not empty (or not made)
                break


def write_failed(path: Path, e: OSError) -> UnusableInput:
    from perfxl.io.package import os_reason

    reason = os_reason(e)
    return UnusableInput([problem("write_failed", file=str(path), path=Path(path).name, detail=reason)])


def temp_write_failed(path: Path, e: OSError) -> UnusableInput:
    """A write of ``path`` that failed in the temporary folder (a library's scratch files), not beside
    ``path``: the advice is about that folder."""
    from perfxl.io.package import os_reason

    return UnusableInput([problem("write_temp_failed", file=str(path), path=Path(path).name,
                                  folder=str(temp_folder()), detail=os_reason(e))])


def temp_folder() -> Path:
    """The temporary folder in use (TMPDIR or the system's), not this command's own folder in it."""
    folder = Path(tempfile.gettempdir())
    return folder.parent if folder.name.startswith(RUN_FOLDER_PREFIX) else folder


# --- robustness: interrupted writes and oversized workbooks (可靠性与安全) ---------------------

_TEMP_TAG = "perfxl"
_STALE_AGE = 3600.0


class _Temporary:
    """The file a write goes to before it replaces its target. On Linux it has no name until the
    moment it is renamed over the target (O_TMPFILE): a killed process leaves nothing behind;
    elsewhere it is a hidden ``.name.perfxl-PID-….tmp`` that the next write beside it removes."""

    def __init__(self, target: Path):
        self.target, self.name = target, None
        fd = None
        if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
            try:
                fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0), 0o600)
            except OSError:
                fd = None
        if fd is None:
            fd, self.name = tempfile.mkstemp(prefix=self._prefix(), suffix=".tmp", dir=target.parent)
        self.file = os.fdopen(fd, "wb")

    def _prefix(self) -> str:
        return f".{self.target.stem}.{_TEMP_TAG}-{os.getpid()}-"

    def finish(self, st) -> None:
        """Flushed to disk, with the mode, owner and group of the file it replaces (``st``), or the
        mode a new file gets."""
        self.file.flush()
        os.fsync(self.file.fileno())
        fd = self.file.fileno()
        if st is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.name, 0o666 & ~umask) if self.name else os.fchmod(fd, 0o666 & ~umask)
            return
        if self.name and os.name == "nt":
            os.chmod(self.name, st.st_mode & 0o7777)
            return
        os.fchmod(fd, st.st_mode & 0o7777)
        if hasattr(os, "fchown") and (st.st_uid, st.st_gid) != (os.fstat(fd).st_uid, os.fstat(fd).st_gid):
            os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, st.st_mode & 0o7777)          # chown clears set-id bits

    def commit(self) -> None:
        if self.name is None:                        # give the nameless file a name only now
            name = tempfile.mktemp(prefix=self._prefix(), suffix=".tmp", dir=self.target.parent)
            folder = os.open(self.target.parent, os.O_RDONLY)
            try:           # a directory fd makes CPython call linkat(AT_SYMLINK_FOLLOW), not link()
                os.link(f"/proc/self/fd/{self.file.fileno()}", os.path.basename(name), src_dir_fd=folder,
                        dst_dir_fd=folder, follow_symlinks=True)
            finally:
                os.close(folder)
            self.name = name
        self.file.close()
        os.replace(self.name, self.target)
        self.name = None

    def replaced(self) -> bool:
        """Whether the target has been replaced (even if an interruption came right after the rename)."""
        return self.file.closed and (self.name is None or not os.path.lexists(self.name))

    def discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass
        if self.name:
            try:
                os.unlink(self.name)
            except OSError:
                pass
            self.name = None


def _sync_dir(folder: Path) -> None:
    """The rename itself on disk (POSIX); best effort."""
    if os.name == "nt":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


class _interruptible:
    """While a file is written: SIGTERM and SIGHUP interrupt like Ctrl-C (KeyboardInterrupt), so the
    write is undone instead of the process vanishing with a temporary file (unless the program has
    handlers of its own for them, as the perfxl command has)."""

    def __enter__(self):
        import signal
        import threading

        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for name in ("SIGTERM", "SIGHUP"):
                sig = getattr(signal, name, None)
                # a handler of the program's own (the perfxl command's) is kept: it stops the whole run
                if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
                    try:
                        self.saved[sig] = signal.signal(sig, _raise_interrupt)
                    except (ValueError, OSError):
                        pass
        return self

    def __exit__(self, *exc):
        import signal

        for sig, handler in self.saved.items():
            signal.signal(sig, handler)
        return False


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


#: a stop was asked for (the perfxl command's handler says so): its KeyboardInterrupt may have been
#: cleared by a library it interrupted, and the handler ignores the signals after the first
_stop_asked = False


def note_stop(asked: bool = True) -> None:
    """Called by the stop handler of the perfxl command (and, with False, as it starts): whatever
    becomes of the KeyboardInterrupt, nothing visible is done after a stop. Nobody else calls it:
    for the Python API and the Excel entry points ``stop_if_asked`` does nothing."""
    global _stop_asked
    _stop_asked = asked


def stop_asked() -> bool:
    return _stop_asked


def stop_if_asked() -> None:
    """Where a command is about to do something visible (replace or make a file, a backup, its exit):
    a stop asked for before, whose KeyboardInterrupt a library cleared (pandas' C extensions clear every
    error while they are imported), stops it there as it would have stopped where it came."""
    if _stop_asked:
        raise KeyboardInterrupt


class deferred_stops:
    """A stop signal (Ctrl-C, SIGTERM, SIGHUP) that comes inside this block is held and handed to the
    program's handler at its end. For a step that must happen whole, and for code that would lose the
    KeyboardInterrupt a handler raises: a library that clears every error while it is imported (pandas'
    C extensions do, importing their dependencies) — the handler of the perfxl command ignores the
    signals after the first, so a stop lost there was lost for good and the command ran to its end.
    The handlers are swapped, not the signals blocked: blocked in the main thread, a signal still
    reaches the handler through another thread (a pool's). Main thread only (elsewhere no handler runs)."""

    NAMES = ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")

    def __enter__(self):
        import signal
        import threading

        self.saved = {}
        self.held = []
        if threading.current_thread() is not threading.main_thread():
            return self
        try:
            for name in self.NAMES:
                sig = getattr(signal, name, None)
                handler = signal.getsignal(sig) if sig is not None else None
                if callable(handler):                # SIG_IGN and SIG_DFL are not the program's to call
                    self.saved[sig] = handler
                    signal.signal(sig, self._hold)
        except BaseException:                        # a stop acted on before the swap: nothing held
            self._restore()
            raise
        return self

    def _hold(self, signum, frame) -> None:
        self.held.append(signum)

    def _restore(self) -> None:
        import signal

        stop = None
        for sig, handler in self.saved.items():
            while signal.getsignal(sig) == self._hold:
                try:
                    signal.signal(sig, handler)
                except BaseException as e:   # a signal the handlers restored already act on: the others first
                    stop = stop or e
        if stop is not None:
            raise stop

    def __exit__(self, *exc):
        self._restore()
        if self.held:
            sig = self.held[0]
            self.saved[sig](sig, None)
        return False


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
    import glob
    import time

    removed = []
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


#: the name of the temporary folder of one perfxl command (``perfxl-run-…`` in TMPDIR)
RUN_FOLDER_PREFIX = "perfxl-run-"


def use_run_folder() -> str | None:
    """Send the temporary files of this process and of the libraries it uses (openpyxl, XlsxWriter,
    multiprocessing, Dask …) to a folder of its own, removed when the process ends, however it ends
    short of being killed (-9: then a worker of a consolidation removes it, or, failing that, the next
    perfxl command: the folder's lock dies with its process). Returns the folder."""
    import atexit

    try:
        folder = tempfile.mkdtemp(prefix=RUN_FOLDER_PREFIX)
    except OSError:                            # TMPDIR missing or read-only: the libraries will say so
        return None
    _RUN_LOCKS.append(_hold_lock(Path(folder)))
    _remove_abandoned_run_folders(Path(folder))
    tempfile.tempdir = folder
    atexit.register(shutil.rmtree, folder, True)     # registered first: runs after multiprocessing's
    return folder


_RUN_LOCKS: list = []
_RUN_LOCK = ".perfxl-run.lock"


def _hold_lock(folder: Path):
    """An exclusive lock on ``folder``'s lock file for as long as this process lives (the file is
    locked before it gets its name, so that no one sees it unlocked)."""
    try:
        import fcntl
    except ImportError:                        # Windows: no sweeping
        return None
    tmp = folder / (_RUN_LOCK + ".new")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(tmp, folder / _RUN_LOCK)
    except OSError:
        return None
    return fd


def _remove_abandoned_run_folders(mine: Path) -> None:
    """Remove the run folders of perfxl processes that were killed (their lock is free)."""
    try:
        import fcntl
    except ImportError:
        return
    try:
        candidates = [d for d in mine.parent.glob(RUN_FOLDER_PREFIX + "*") if d != mine]
    except OSError:
        return
    for folder in candidates:
        try:
            fd = os.open(folder / _RUN_LOCK, os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0))
        except OSError:                        # not one of ours, someone else's, or still being made
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:                        # its process is alive
            os.close(fd)
            continue
        try:
            if folder.stat().st_uid == os.geteuid() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            os.close(fd)


#: most cells written into a new workbook from a legacy .xls/.xlsb/.ods (openpyxl holds them all in
#: memory: about 1.5 GB and a minute of time)
MAX_WRITE_CELLS = 3_000_000
