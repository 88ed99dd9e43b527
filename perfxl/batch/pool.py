"""Worker processes: a pool started and stopped whole (Ctrl-C, SIGHUP and a killed main process leave
no worker, forkserver or temporary folder behind), and work mapped over it. Used by the consolidation
(scoring workbooks) and the report (drawing charts)."""
from __future__ import annotations

import gc
import multiprocessing.context as _mpc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

#: below this many items a process pool costs more than it saves
POOL_MIN_ITEMS = 8


def worker_init(tempdir: str | None = None) -> None:
    """Imports are done: keep them out of the collector's way (≈10% faster scoring). A pool worker
    ignores Ctrl-C and SIGHUP (a terminal sends them to every process of its group: the main process
    stops the workers) and ends as soon as the main process is gone, even killed (-9), removing the temporary
    folder it leaves (``tempdir``: multiprocessing's, or the whole command's) that nobody else would."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 50)
    import multiprocessing as mp

    parent = mp.parent_process()
    if parent is None:                               # scoring in the main process itself
        return
    import signal
    import threading

    for name in ("SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)

    def orphaned() -> None:
        parent.join()                                # returns when the main process has ended
        if tempdir:
            import shutil

            shutil.rmtree(tempdir, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=orphaned, name="perfxl-orphaned", daemon=True).start()


_PRELOAD = ["perfxl.batch.consolidate", "perfxl.score.pipeline", "perfxl.score.engine", "perfxl.model.evaluation",
            "perfxl.check.validate", "pandas",
            "pandera.pandas", "python_calamine", "perfxl.batch.warm"]


def _mp_context():
    """forkserver where there is one: workers fork from a server that has the libraries loaded
    (cheap starts, and safe while the main process runs a progress thread); else spawn. Either way
    the workers start without running the caller's main script (``_without_main``)."""
    import multiprocessing as mp
    import tempfile

    # the forkserver listens on a socket in TMPDIR, whose path must fit in 104 bytes (a long TMPDIR
    # would make it fail): spawn then
    room = len(os.fsencode(tempfile.gettempdir())) + len("/pymp-xxxxxxxx/listener-xxxxxxxx") < 100
    if "forkserver" in mp.get_all_start_methods() and room:
        ctx = _without_main(mp.get_context("forkserver"))
        ctx.set_forkserver_preload(_PRELOAD)
        return ctx
    return _without_main(mp.get_context("spawn"))


def _without_main(ctx):
    """``ctx`` whose processes do not run the main script. A spawned or forkserver process first runs
    the parent's main script (as ``__mp_main__``) so that what it defines can be unpickled; a worker
    here runs perfxl's functions only. A user's script calling ``perfxl.consolidate`` without
    ``if __name__ == "__main__":`` would run again in every worker (each failing to start a pool of its
    own: every file lost), and a script read from standard input cannot be run again."""
    worker = _ForkServerWorker if ctx.get_start_method() == "forkserver" else _SpawnWorker
    return type(f"{type(ctx).__name__}WithoutMain", (type(ctx),), {"Process": worker})()


class main_hidden:
    """The main module's file and spec hidden inside this block from ``multiprocessing.spawn``'s start
    data of the processes started in it (see ``_without_main``)."""

    def __enter__(self):
        main = sys.modules["__main__"]
        self.saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
        main.__dict__.pop("__file__", None)
        main.__spec__ = None

    def __exit__(self, *exc):
        main = sys.modules["__main__"]
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(self.saved)
        return False


class _SpawnWorker(_mpc.SpawnProcess):
    @staticmethod
    def _Popen(process_obj):
        with main_hidden():
            return _mpc.SpawnProcess._Popen(process_obj)


if sys.platform != "win32":
    class _ForkServerWorker(_mpc.ForkServerProcess):
        @staticmethod
        def _Popen(process_obj):
            with main_hidden():
                return _mpc.ForkServerProcess._Popen(process_obj)


def new_pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import util

    ctx = _mp_context()
    tempdir = util.get_temp_dir() if ctx.get_start_method() == "forkserver" else None
    import tempfile

    from perfxl.io.files import RUN_FOLDER_PREFIX

    if Path(tempfile.gettempdir()).name.startswith(RUN_FOLDER_PREFIX):    # the command's own folder
        tempdir = tempfile.gettempdir()
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=worker_init,
                               initargs=(tempdir,))


def stop_pool(ex) -> None:
    """Stop a pool at once (an interruption): queued work cancelled, running workers terminated and
    waited for, so that none is left behind; then its manager thread, which releases the pool's queues
    as it ends. A stopped command exits right after (``os._exit``): a thread cut short between removing
    a queue's semaphore and telling the resource tracker made it warn of a “leaked semaphore”."""
    workers = list((getattr(ex, "_processes", None) or {}).values())
    manager = getattr(ex, "_executor_manager_thread", None)
    for w in workers:
        try:
            w.terminate()
        except (OSError, ValueError, AttributeError):
            pass
    ex.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        try:
            w.join(5)
            if w.is_alive():                 # deaf to SIGTERM (busy in C code): killed
                w.kill()
                w.join(5)
        except (OSError, ValueError, AssertionError, AttributeError):
            pass
    if manager is not None:
        manager.join(10)                     # bounded: a pool's thread once waited for ever (see cli)


def stop_forkserver() -> None:
    """A stopped run stops the forkserver at once: out of the terminal's reach, it would otherwise end
    only once its preload is imported and it sees the main process gone."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    pid = getattr(server, "_forkserver_pid", None)
    if pid is None:
        return
    import signal

    try:
        os.kill(pid, signal.SIGTERM)
        server._stop()                       # reaped, its socket removed
    except (OSError, AttributeError):
        pass


@dataclass(frozen=True)
class Lost:
    """In place of an item's result: its worker died (a crash, out of memory) with the item given alone,
    or (``error``) the call raised."""
    error: BaseException | None = None


T = TypeVar("T")


@contextmanager
def running(workers: int, start: Callable[[Any], T]) -> Iterator[T]:
    """A pool of ``workers`` processes for the block, given its work by ``start(executor)``, whose value
    the block gets (the futures). The start is whole: a stop waits for it to be over (a worker stopped
    between its start and the instructions sent to it says EOFError, a traceback; and pandas' C extensions
    clear every error, a stop's KeyboardInterrupt too, while they are imported). A stop or an error in the
    block stops the workers and the forkserver at once, none left behind; else the pool ends when its
    work is done."""
    from perfxl.io.files import deferred_stops

    with children_kept_from_ctrl_c():        # the resource tracker, the forkserver, spawned workers
        ex = None
        try:
            with deferred_stops():
                ex = new_pool(workers)
                work = start(ex)
            yield work
        except BaseException:
            if ex is not None:
                stop_pool(ex)
            stop_forkserver()
            raise
        ex.shutdown(wait=True)


def one_at_a_time(fn: Callable[[Any], Any], items: list, done: Callable[[int], None] = lambda n: None) -> list:
    """``fn`` over ``items``, one at a time in a one-worker pool, results in order: a worker that dies is
    blamed on its own item only (a ``Lost`` in its place; a new worker takes the next), an error ``fn``
    raises is a ``Lost`` holding it. ``done(1)`` after each item."""
    from concurrent.futures.process import BrokenProcessPool

    from perfxl.io.files import deferred_stops

    out: list = []
    while len(out) < len(items):
        with running(1, lambda ex: ex) as ex:
            while len(out) < len(items):
                with deferred_stops():       # its worker is started whole (see ``running``)
                    fut = ex.submit(fn, items[len(out)])
                died = False
                try:
                    out.append(fut.result())
                except BrokenProcessPool:
                    out.append(Lost())
                    died = True
                except Exception as e:
                    out.append(Lost(e))
                done(1)
                if died:
                    break                    # a new pool for the next item
    return out


def map_in_workers(fn: Callable[[Any], Any], items: list, jobs: int | None = None,
                   least: int = POOL_MIN_ITEMS) -> list:
    """``fn`` (a module-level function) over ``items`` (picklable) in worker processes, results in
    order; in this process when there are fewer than ``least`` or one core. The items of a worker that
    died are tried again one at a time (``one_at_a_time``): one that kills its worker alone too gets a
    ``Lost`` in its place (it would kill this process). An error ``fn`` raises is raised here, as it
    would be in this process."""
    jobs = min(jobs or default_jobs(), len(items))
    if jobs <= 1 or len(items) < least:
        return [fn(x) for x in items]
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    out: list = [None] * len(items)
    todo = set(range(len(items)))
    size = max(1, len(items) // (jobs * 4))
    with running(jobs, lambda ex: {ex.submit(_map_chunk, fn, items[i:i + size]): i
                                   for i in range(0, len(items), size)}) as futures:
        for fut in as_completed(futures):
            try:
                values = fut.result()
            except BrokenProcessPool:
                continue
            at = futures[fut]
            out[at:at + len(values)] = values
            todo.difference_update(range(at, at + len(values)))
    again = sorted(todo)
    for i, value in zip(again, one_at_a_time(fn, [items[i] for i in again])):
        if isinstance(value, Lost) and value.error is not None:
            raise value.error
        out[i] = value
    return out


def _map_chunk(fn: Callable[[Any], Any], items: list) -> list:
    return [fn(x) for x in items]


class children_kept_from_ctrl_c:
    """Ctrl-C and a closed terminal's SIGHUP reach every process of the terminal's process group: the
    processes multiprocessing spawns inside this block (the resource tracker, the forkserver and the
    workers it forks, spawned workers, Dask's workers started by its own threads at any time) get a
    process group of their own, so that only the main process is interrupted — it then stops them in
    order, without their tracebacks. (The forkserver ignores Ctrl-C only once its preload is imported,
    and the resource tracker ignores SIGINT and SIGTERM but not SIGHUP: one that died made the others
    relaunch it, with warnings and KeyError tracebacks. A handler is reset by exec, and a signal ignored
    in the main process for the spawn could be lost: a group of its own keeps the signal away.) They end
    with the main process: the pipes they read close."""

    def __enter__(self):
        from multiprocessing import util

        self.util, self.spawn = util, util.spawnv_passfds
        if hasattr(os, "posix_spawn"):
            util.spawnv_passfds = _spawn_in_own_group
        return self

    def __exit__(self, *exc):
        self.util.spawnv_passfds = self.spawn
        return False


def _spawn_in_own_group(path, args, passfds) -> int:
    """``multiprocessing.util.spawnv_passfds`` (the same file descriptors passed), the child in a new
    process group."""
    fds = sorted({int(fd) for fd in passfds})
    was = [os.get_inheritable(fd) for fd in fds]
    for fd in fds:
        os.set_inheritable(fd, True)
    try:
        return os.posix_spawn(path, list(args), dict(os.environ), setpgroup=0)
    finally:
        for fd, inheritable in zip(fds, was):
            os.set_inheritable(fd, inheritable)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1
