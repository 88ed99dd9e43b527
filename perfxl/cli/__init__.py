"""The command line (``perfxl``).

The stop signals are taken over before anything heavy is imported: Ctrl-C, ``kill`` (SIGTERM) and a
closed terminal (SIGHUP) all stop a command the same way, wherever it is — what it started is undone,
“已中断” is printed and the exit code is 130."""
from __future__ import annotations

import signal
import sys

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK")
                     if hasattr(signal, name))


_finished = False


def _stop(signum, frame):
    """The first stop signal interrupts (KeyboardInterrupt); the ones after it are ignored, so that a
    second Ctrl-C cannot cut short the removal of temporary files and workers, or the message. Once
    the command is over (its exit code decided), a stop signal changes nothing."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    if not _finished:
        # remembered, in case a library clears the KeyboardInterrupt (perfxl.io.files.stop_if_asked);
        # imported first thing by main (no import in a handler; before it, nothing clears one)
        note_stop = getattr(sys.modules.get("perfxl.io.files"), "note_stop", None)
        if note_stop is not None:
            note_stop()
        # what the objects the interruption leaves half-finished say when they are collected, as the
        # stack unwinds, is no message for a user (“Exception ignored in …”, asyncio's “Task exception
        # was never retrieved” of a Dask cluster stopped while it starts)
        sys.unraisablehook = _quiet
        logging = sys.modules.get("logging")         # loaded wherever asyncio is; no import in a handler
        if logging is not None:
            logging.getLogger("asyncio").disabled = True
        raise KeyboardInterrupt


def _quiet(unraisable) -> None:
    pass


#: set in the environment of the process ``_in_utf8_mode`` starts again (never twice)
_REEXEC = "PERFXL_UTF8_REEXEC"


def _in_utf8_mode() -> None:
    """A C/POSIX locale with Python's UTF-8 mode and locale coercion both off (PYTHONUTF8=0,
    PYTHONCOERCECLOCALE=0) decodes file names as ASCII: a Chinese file name cannot be written into a
    workbook or a report. The process starts again in UTF-8 mode (the file names' bytes are kept)."""
    import os

    if sys.flags.utf8_mode or os.environ.get(_REEXEC) or sys.platform == "win32":
        return
    if sys.getfilesystemencoding().lower().replace("-", "_") not in ("ascii", "ansi_x3.4_1968", "us_ascii"):
        return
    os.environ[_REEXEC] = "1"
    os.execv(sys.executable, [sys.executable, "-X", "utf8", "-m", "perfxl", *sys.argv[1:]])


def main(argv: list[str] | None = None) -> None:
    """The ``perfxl`` process: runs one command and exits with its code (the stop signals stay taken)."""
    global _finished
    if argv is None:
        _in_utf8_mode()
    for sig in STOP_SIGNALS:
        try:
            signal.signal(sig, _stop)
        except (ValueError, OSError):        # not the main thread, or a signal this system refuses
            pass
    try:
        from perfxl.io.files import deferred_stops, note_stop, use_run_folder

        note_stop(False)
        with deferred_stops():               # made and registered for removal, or not made at all
            use_run_folder()
        from perfxl.cli.app import main as run

        run(argv)
    except KeyboardInterrupt:                # before the command's own handling began (its imports)
        from perfxl.cli.terminal import interrupted

        _finished = True
        interrupted()
        _end_stopped()
    except SystemExit as e:
        _finished = True
        if e.code == 130:
            _end_stopped()
        raise


def _end_stopped() -> None:
    """A stopped command ends now, with 130: the exit handlers run (temporary files and folders removed,
    multiprocessing's finalizers), then the process exits without waiting for threads. A process pool's
    manager thread, which the interpreter joins at exit with no time limit, could otherwise wait for
    ever on the workers the stop has just ended (seen in CI: “已中断” printed, the process never ended)."""
    import atexit
    import os

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    atexit._run_exitfuncs()
    os._exit(130)


__all__ = ["main"]
