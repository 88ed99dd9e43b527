"""Consolidate many evaluation workbooks into result tables (and a summary workbook).

Every file is scored by exactly the code behind ``perfxl score`` (``perfxl.score.run``), in worker
processes or on a Dask cluster; workers send back compact plain records (never Result objects), so
memory grows with the result tables only. The decisions, made in the main process:

inclusion   a file is included when it can be read and its total is computable. A file whose
            validation found errors but whose total is computable is included and flagged
            (状态: 有校验错误，总分仅供参考); with ``strict`` it is not included. 单位名称 and
            评价年度 must be filled.
systems     the indicator system (编号 -> 三级指标, 分值, 一级/二级指标) shared by most files is the
            reference. A workbook from another template version is reconciled by 编号 (columns are
            found by header, indicators matched by 编号, whatever their order) and included when
            its indicators match; otherwise it is reported as not included, never mixed.
duplicates  same unit, year and evaluator: identical copies -> the first (in path order) is
            included, the others reported; copies whose scores differ -> none is included.
panels      several evaluators of one unit and year: per indicator the figures are combined by
            ``mean`` | ``median`` | ``trimmed`` (the highest and the lowest figure dropped, then the
            mean; with fewer than 3 evaluators the plain mean), rounded to 2 decimals; the unit's
            total and 一级指标 scores are sums of those rounded figures. An evaluator's figure is
            flagged when |figure − median of the panel| > ``outlier_share`` × 分值 (default 20%).
ranks       within each year, by total, highest first; equal totals share a rank (1, 2, 2, 4).

Every file found is accounted for: included + not included = found.
"""
from __future__ import annotations

import gc
import os
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfxl.batch.pool import (
    POOL_MIN_ITEMS,
    Lost,
    children_kept_from_ctrl_c,
    default_jobs,
    main_hidden,
    one_at_a_time,
    running,
    worker_init,
)
from perfxl.check.problems import Problem, UnusableInput, problem
from perfxl.io.package import ARCHIVE_SUFFIXES, EXCEL_SUFFIXES
from perfxl.model import layout as L
from perfxl.model.records import json_rate as _rate
from perfxl.model.text import text_of
from perfxl.model.values import fmt_num, is_blank, parse_year, round2
from perfxl.model.values import fmt_score as _fmt_score

if TYPE_CHECKING:
    from perfxl.model.records import FileRecord, Overview

#: the most files a worker reads, validates and scores together (memory holds one chunk per worker)
CHUNK_FILES = 200


# --- discovery ----------------------------------------------------------------------

def _same_file_key(p: Path) -> str:
    try:
        return os.path.normcase(str(p.resolve()))
    except (OSError, RuntimeError):                  # RuntimeError: a symlink loop (Python < 3.13)
        return os.path.normcase(str(p.absolute()))


def walk(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files ``discover`` chooses from: named files as given, folders walked recursively for Excel
    files and archives that may hold some (``_may_hold_workbooks``; sorted, symlinked folders not
    followed). A path that does not exist (a typo) refuses the run: consolidating without it would rank
    the units it holds as missing."""
    paths = list(paths)
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise UnusableInput([problem("consolidate_path_missing", file=p, path=p) for p in missing])
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if not p.is_dir():
            out.append(p)
            continue
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for name in sorted(files):
                suffix = Path(name).suffix.lower()
                if suffix in EXCEL_SUFFIXES or (suffix in ARCHIVE_SUFFIXES and _may_hold_workbooks(Path(root) / name)):
                    out.append(Path(root) / name)
    return out


def discover(paths: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = (),
             skipped: list[Problem] | None = None) -> list[Path]:
    """Files to consolidate: those ``walk(paths)`` finds, each once; ``exclude`` left out.
    perfxl's own backups (*.bak-*), Office lock files (~$*) and what macOS adds when it zips (._*,
    __MACOSX/) are no submissions: they are left out and, with ``skipped``, listed there (an info
    problem each)."""
    from perfxl.io.files import is_backup, is_lock, is_mac_leftover

    excluded = {_same_file_key(Path(p)) for p in exclude}
    out: list[Path] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        key = _same_file_key(p)
        if key in seen or key in excluded:
            return
        seen.add(key)
        code = ("consolidate_lock_file" if is_lock(p) else "consolidate_backup_file" if is_backup(p)
                else "consolidate_mac_file" if is_mac_leftover(p) else None)
        if code is None:
            out.append(p)
        elif skipped is not None:
            skipped.append(problem(code, file=str(p), path=p.name))

    for p in walk(paths):
        add(p)
    return out


def _may_hold_workbooks(path: Path) -> bool:
    """An archive in a folder of submissions is one (found, and left out with advice to unpack it) unless
    it is a zip holding no workbook (one that cannot be looked into may hold some)."""
    import zipfile

    from perfxl.io.package import workbooks_inside

    try:
        with zipfile.ZipFile(path) as zf:
            return bool(workbooks_inside(zf))
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return True


def _without_output(out: Path, files: list[Path], skipped: list[Problem], replace: bool,
                    password: str | None) -> tuple[list[Path], list[Problem]]:
    """``files`` and ``skipped`` without ``out``, the summary workbook to be written, after refusing it
    before any scoring when it is one of the workbooks found (a summary perfxl wrote there earlier is
    none: it may be replaced) or, unless ``replace``, exists, or cannot be written."""
    from perfxl.io.files import ensure_writable
    from perfxl.io.read import read_book

    if out.exists():
        key = _same_file_key(out)
        others = [f for f in files if _same_file_key(f) != key]
        if len(others) < len(files):
            try:
                summary = L.is_summary(read_book(out, sheets=[], password=password).sheet_names)
            except UnusableInput:            # unreadable: still a submission
                summary = False
            if not summary:
                raise UnusableInput([problem("consolidate_output_is_input", file=str(out), path=str(out))])
        if not replace:
            raise UnusableInput([problem("consolidate_output_exists", file=str(out), path=str(out))])
        files, skipped = others, [p for p in skipped if _same_file_key(Path(p.file)) != key]
    ensure_writable(out)
    return files, skipped


# --- worker: one file -> a compact typed record ------------------------------------------

@dataclass(frozen=True)
class Unusable:
    """A file that could not be scored at all, with why."""
    file: str
    problems: tuple[Problem, ...]


def _unusable(path: str, problems: list[Problem]) -> Unusable:
    return Unusable(path, tuple(problems))


@dataclass(frozen=True)
class ReadOptions:
    """How the workbooks of a consolidation are read: ``password`` opens those protected with it (others
    open as usual); ``full`` keeps each one's full record (评分过程 and the other texts a report shows),
    else its figures only."""
    password: str | None = None
    full: bool = False


def score_chunk(paths: list[str], options: ReadOptions = ReadOptions()) -> "list[FileRecord | Unusable]":
    """Score a chunk of workbooks with the code of ``perfxl score`` (read one by one, validated and
    scored together) and return each one's compact FileRecord (figures only; ``options.full``: with
    the texts a report shows), or why it could not be used. A broken file is reported in its place and never
    spoils the others."""
    from perfxl.io.files import is_lock
    from perfxl.score.pipeline import score_chunk as run

    out: list = [None] * len(paths)
    todo = []
    for i, path in enumerate(paths):
        name = Path(path).name
        if is_lock(Path(path)):
            out[i] = _unusable(path, [problem("consolidate_lock_file", file=path, path=name)])
        else:
            todo.append(i)
    for i, result in zip(todo, run([paths[i] for i in todo], options.password, texts=options.full)):
        out[i] = _as_record(paths[i], result, options.full)
    return out


#: what reading says of a workbook that is no submission -> the note it gets in a consolidation (skipped)
_NOT_SUBMISSIONS = {"summary_not_evaluation": "consolidate_summary_file",
                    "system_not_evaluation": "consolidate_system_file"}


def _as_record(path: str, result, full: bool = False) -> "FileRecord | Unusable":
    from perfxl.score.engine import record

    if isinstance(result, UnusableInput):
        # not a submission: an earlier run's summary, the administrator's indicator list
        kind = _NOT_SUBMISSIONS.get(result.problems[0].code if result.problems else "")
        if kind:
            return _unusable(path, [problem(kind, file=path, path=Path(path).name)])
        return _unusable(path, result.problems)
    try:
        if isinstance(result, Exception):
            raise result
        return record(result, compact=not full)
    except Exception as e:  # one broken file must not stop a run over thousands
        return _unusable(path, [problem("consolidate_internal", file=path, path=Path(path).name,
                                        detail=f"{type(e).__name__}: {e}"[:300])])


def _score_batch(paths: list[str], options: ReadOptions) -> list:
    """``score_chunk`` as a worker runs it: looked up when called, so that a test's stand-in reaches forked
    workers (the function sent to a pool is pickled by name; a stand-in defined in a test cannot be)."""
    return score_chunk(paths, options)


def _score_alone(path: str, options: ReadOptions) -> "FileRecord | Unusable":
    return score_chunk([path], options)[0]


def _batches(n: int, workers: int, cap: int) -> list[list[int]]:
    """Chunks of at most ``cap`` files, at least 8 per worker (the last ones end close together)."""
    size = max(1, min(cap, n // max(1, workers * 8)))
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def _lost(path: str, error: BaseException | None = None) -> Unusable:
    """A file whose worker died (``error`` None) or whose scoring failed in a way ``score_chunk`` did not catch."""
    detail = "可能是内存不足，或读取库崩溃" if error is None else f"{type(error).__name__}: {error}"
    return _unusable(path, [problem("consolidate_worker_lost", file=path, path=Path(path).name,
                                    detail=detail[:200])])


def _run_local(files: list[str], jobs: int, tick: Callable[[int], None], options: ReadOptions) -> list:
    if jobs <= 1 or len(files) < POOL_MIN_ITEMS:
        out: list = [None] * len(files)
        worker_init()
        for chunk in _batches(len(files), 1, CHUNK_FILES):
            for i, rec in zip(chunk, score_chunk([files[i] for i in chunk], options)):
                out[i] = rec
            tick(len(chunk))
        return out
    return _run_pool(files, jobs, tick, options)


def _run_pool(files: list[str], jobs: int, tick: Callable[[int], None], options: ReadOptions) -> list:
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    out: list = [None] * len(files)
    batches = _batches(len(files), jobs, CHUNK_FILES)
    retry: list[int] = []

    def start(ex) -> dict:
        futures = {ex.submit(_score_batch, [files[i] for i in b], options): b for b in batches}
        import pandas  # noqa: F401  (the tables need it: imported while the workers start, not after)
        return futures

    with running(min(jobs, len(batches)), start) as futures:
        for fut in as_completed(futures):
            batch = futures.pop(fut)
            try:
                records = fut.result()
            except BrokenProcessPool:
                # a worker died (crash, out of memory) and took the pool down: every unfinished
                # file is tried again alone below, so the one that kills a worker is found
                retry.extend(batch)
                continue
            except Exception as e:
                records = [_lost(files[i], e) for i in batch]
            for i, rec in zip(batch, records):
                out[i] = rec
            tick(len(batch))
    retry.sort()
    alone = one_at_a_time(partial(_score_alone, options=options), [files[i] for i in retry], tick)
    for i, rec in zip(retry, alone):
        out[i] = _lost(files[i], rec.error) if isinstance(rec, Lost) else rec
    return out


def _run_dask(files: list[str], address: str, jobs: int, tick: Callable[[int], None],
              options: ReadOptions) -> list:
    from perfxl.io.files import deferred_stops

    try:
        with deferred_stops():      # as pandas in _run_pool: a stop its C extensions would clear
            from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise UnusableInput([problem("consolidate_scheduler", address=address,
                                     detail="未安装 dask.distributed")]) from None
    cluster = client = scratch = None
    kept = children_kept_from_ctrl_c().__enter__()

    def close() -> None:
        for thing in (client, cluster):
            if thing is not None:
                thing.close()
        kept.__exit__()
        if scratch is not None:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)

    try:
        if address == "local":
            import logging
            import tempfile

            import dask

            scratch = tempfile.mkdtemp(prefix="perfxl-dask-")
            # (its workers started without the main script, as the pool's: ``pool._without_main``)
            with dask.config.set({"temporary-directory": scratch}), main_hidden():
                cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                       dashboard_address=None, local_directory=scratch,
                                       # its HTTP server (health, metrics) on a free port of this machine only:
                                       # the default 8787 taken (a Jupyter or other Dask dashboard) printed a
                                       # UserWarning with a line of Dask's source
                                       scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                       silence_logs=logging.CRITICAL)
            client = Client(cluster)
        else:
            client = Client(address, timeout="15s")
        workers = max(1, sum(client.nthreads().values()) or jobs)
    except Exception as e:
        close()
        raise UnusableInput([problem("consolidate_scheduler", address=address,
                                     detail=f"{type(e).__name__}: {e}"[:200])]) from None
    except BaseException:
        close()
        raise
    out: list = [None] * len(files)
    try:
        batches = _batches(len(files), workers, CHUNK_FILES)
        futures = client.map(_score_batch, [[files[i] for i in b] for b in batches], pure=False,
                             options=options)
        where = {f.key: b for f, b in zip(futures, batches)}
        pending = as_completed(futures)
        del futures                   # finished futures are released one by one below
        for fut in pending:
            batch = where.pop(fut.key)
            try:
                records = fut.result()
            except Exception as e:  # KilledWorker and the like: the files are reported, not lost
                records = [_lost(files[i], e) for i in batch]
            fut.release()
            for i, rec in zip(batch, records):
                out[i] = rec
            tick(len(batch))
    finally:
        close()
    return out  # type: ignore[return-value]


def score_files(files: list[Path], *, jobs: int | None = None, scheduler: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                options: ReadOptions = ReadOptions()) -> list:
    """Records for ``files``, in the same order: locally in ``jobs`` processes, or on Dask, read with
    ``options``."""
    jobs = jobs or default_jobs()
    names = [str(f) for f in files]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, len(names))

    if scheduler:
        return _run_dask(names, scheduler, jobs, tick, options)
    return _run_local(names, jobs, tick, options)


# --- from records to tables ---------------------------------------------------------

@dataclass
class Consolidation:
    """The result tables (pandas DataFrames with English column names; ``display_frame`` gives the
    summary workbook's headers) and the account of every file."""
    summary: Any            # 汇总: one row per unit and year
    detail: Any             # 指标明细: every indicator of every included workbook
    analysis: Any           # 指标分析: per indicator across units
    panel: Any              # 评价组: units scored by several evaluators, per indicator
    rejected: Any           # 未纳入文件: one row per file not included, with the reason
    found: int
    level1: list[str]
    grade_labels: list[str]
    panel_method: str = "mean"
    survey: Any = None      # 问卷得分率: each included workbook's question sets (sample, rates)
    outlier_share: float = L.PANEL_OUTLIER_SHARE
    strict: bool = False
    reference: str | None = None          # a file carrying the reference indicator system
    included_files: list[str] = field(default_factory=list)
    records: list = field(default_factory=list, repr=False)            # FileRecords included (compact unless full)
    full: bool = False      # ``records`` hold the texts a report shows
    rejections: list[Problem] = field(default_factory=list, repr=False)
    units: list[list[str]] = field(default_factory=list, repr=False)    # files of each 汇总 row, in order
    output: Path | None = None
    backup: Path | None = None
    #: files left out before scoring: perfxl's backups and Office lock files (not counted in ``found``)
    skipped: list[Problem] = field(default_factory=list, repr=False)
    #: 汇总 rows that may be one unit under two names: (unit, other unit, year, why) (see ``alike_units``)
    alike: list[tuple[Any, Any, Any, str]] = field(default_factory=list, repr=False)

    @property
    def included(self) -> int:
        return len(self.included_files)

    @property
    def not_included(self) -> int:
        return len(self.rejected)

    @property
    def flagged(self) -> int:
        """Units included with validation errors (总分仅供参考)."""
        if not len(self.summary):
            return 0
        return int((self.summary["status"] != L.CONS_STATUS_OK).sum())

    @property
    def problems(self) -> list[Problem]:
        """Why each file not included was left out."""
        return list(self.rejections)

    def to_excel(self, path: str | os.PathLike) -> Path:
        """Write the summary workbook (汇总, 图表, 指标明细, 指标分析, 评价组, 未纳入文件, 汇总说明)."""
        from perfxl.batch.summary import write_workbook

        return write_workbook(self, Path(path))

    def overview(self) -> "Overview":
        """The ranking, grade distribution and file account a report made from this consolidation shows."""
        from perfxl.model.records import Overview, RankRow

        ranking = tuple(
            RankRow(unit=r["unit"], year=_plain(r["year"]), total=_plain(r["total"]), grade=r["grade"],
                    rank=_plain(r["rank"]), evaluators=int(r["evaluators"]),
                    evaluator_names=tuple(n for n in str(r["evaluator_names"] or "").split("、") if n),
                    status=r["status"], level1=tuple((n, _plain(r[n])) for n in self.level1))
            for r in self.summary.to_dict("records"))
        counts = Counter(r.grade for r in ranking)
        by_year = tuple((y, tuple(c)) for y, c in self.grade_counts() if y is not None)
        return Overview(ranking=ranking, grades=tuple((g, counts.get(g, 0)) for g in self.grade_labels),
                        found=self.found, included=self.included, not_included=self.not_included,
                        panel_method=self.panel_method, level1=tuple(self.level1), grade_years=by_year)

    def grade_counts(self) -> list[tuple[str | None, list[tuple[str, int]]]]:
        """Units per grade (等级分布): (None, counts), or with several 评价年度 (year, counts) for each
        year in the order of 汇总 (a unit counted once a year). The summary workbook and the report
        both show these."""
        rows = list(zip(self.summary["grade"].tolist(), (text_of(_plain(y)) for y in self.summary["year"])))
        years = list(dict.fromkeys(y for _, y in rows))
        groups = [(y, [g for g, gy in rows if gy == y]) for y in years] if len(years) > 1 else \
            [(None, [g for g, _ in rows])]
        return [(y, [(g, grades.count(g)) for g in self.grade_labels]) for y, grades in groups]

    def to_dict(self) -> dict:
        """The JSON shape of ``perfxl consolidate --json``."""
        rows = self.summary.to_dict("records")
        return {
            "found": self.found, "included": self.included, "not_included": self.not_included,
            "output": str(self.output) if self.output else None,
            "backup": str(self.backup) if self.backup else None, "panel": self.panel_method,
            "units": [{"unit": r["unit"], "year": _plain(r["year"]), "total": _plain(r["total"]),
                       "grade": r["grade"], "rank": _plain(r["rank"]), "evaluators": _plain(r["evaluators"]),
                       "status": r["status"], "level1": {n: _plain(r[n]) for n in self.level1},
                       "note": r["note"], "files": r["files"].split("\n")} for r in rows],
            "alike": [{"units": [a, b], "year": _plain(y), "why": why} for a, b, y, why in self.alike],
            "rejected": [{"file": r["file"], "category": r["category"], "reason": r["reason"],
                          "sheet": _plain(r["sheet"]), "cell": _plain(r["cell"]), "fix": _plain(r["fix"])}
                         for r in self.rejected.to_dict("records")],
            "skipped": [{"file": p.file, "reason": p.message} for p in self.skipped],
            "survey": [{k: _rate(v) if k in ("survey_rate", "satisfied") else _plain(v) for k, v in r.items()}
                       for r in (self.survey.to_dict("records") if self.survey is not None else [])],
            "problems": [p.to_dict() for p in self.rejections],
        }

    def _repr_html_(self) -> str:       # a notebook shows the 汇总 table
        from perfxl.batch.tables import display_frame

        return display_frame(self.summary)._repr_html_()

    def __repr__(self) -> str:
        return (f"<汇总结果：找到 {self.found} 个文件，纳入 {self.included} 个，未纳入 {self.not_included} 个；"
                f"{len(self.summary)} 个单位（年度）>")


def _plain(v: Any) -> Any:
    """NaN -> None, numpy scalars -> Python."""
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def _memo(fn: Callable) -> Callable:
    """``fn`` remembered by argument: thousands of workbooks repeat the same names and figures.
    Zero is not remembered (0.0 and -0.0 are one key)."""
    seen: dict = {}

    def call(v):
        try:
            return seen[v]
        except KeyError:
            out = fn(v)
            if v or v is None or isinstance(v, str):
                if len(seen) > 200_000:
                    seen.clear()
                seen[v] = out
            return out
        except TypeError:          # unhashable
            return fn(v)
    return call


fmt_score = _memo(_fmt_score)
_norm = _memo(lambda v: L.normalize(v) if v is not None else "")


@_memo
def _stdev(values: tuple[float, ...]) -> float:
    """The sample standard deviation of a panel's figures, rounded to 4 decimals."""
    if len(values) < 2:
        return 0.0
    if all(v == values[0] for v in values):
        return 0.0
    return round(statistics.stdev(values), 4)


@_memo
def _year(v: Any) -> Any:
    """The year a workbook's 评价年度 names, read as validation reads it (2023, "2023年", "2023.0" are one
    year); as written when it names none."""
    y = parse_year(v)
    return v if y is None else y


#: what makes two workbooks one submission: the same unit, year and evaluator
_IDENTITY = ("unit", "year", "evaluator")


def _identity(rec) -> dict[str, str]:
    """Where a workbook says whose submission it is (``problem`` arguments): its 基本信息 sheet, the cell
    of 单位名称, and the cells of 单位名称, 评价年度 and 评价人 in words."""
    sheet = rec.info_sheet or L.SHEET_INFO
    found = [(L.INFO_BY_KEY[k].label, rec.info_cells[k]) for k in _IDENTITY if rec.info_cells.get(k)]
    cells = "、".join(f"{label} {cell}" for label, cell in found)
    return dict(file=rec.file, sheet=sheet, cell=found[0][1] if found else "",
                cells=f"“{sheet}”的{cells}" if cells else f"“{sheet}”")


def aggregate(values: list[float], method: str) -> float:
    """The panel figure of one indicator: mean, median, or trimmed mean (one highest and one
    lowest dropped; fewer than 3 figures: the plain mean). Rounded to 2 decimals."""
    if method == "median":
        return round2(statistics.median(values))
    if method == "trimmed" and len(values) >= 3:
        values = sorted(values)[1:-1]
    return round2(statistics.fmean(values))


def panel_score(values: list[float | None], method: str) -> float | None:
    """The panel figure of one indicator from each evaluator's score, None where that evaluator found
    it 不适用: they abstain and the others' figures are aggregated; None when it applies for nobody."""
    scored = [v for v in values if v is not None]
    return aggregate(scored, method) if scored else None


def alike_units(rows: list[dict]) -> dict[tuple[int, int], str]:
    """Pairs of 汇总 rows (indexes, same year) that may be one unit under two names, and why: the same
    统一社会信用代码, or one name the other with words before or after it (“青云谱区总工会” and
    “南昌市青云谱区总工会”): a panel split in two by a name typed differently, each half ranked."""
    out: dict[tuple[int, int], str] = {}
    by_year: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        by_year.setdefault(str(_year(r["year"])), []).append(i)
    for members in by_year.values():
        codes: dict[str, list[int]] = {}
        names: dict[str, int] = {}
        for i in members:
            names[_norm(rows[i]["unit"])] = i
            code = _norm(rows[i].get("credit_code"))
            if code:
                codes.setdefault(code, []).append(i)
        for same in codes.values():
            for a in same:
                for b in same:
                    if a < b:
                        out[(a, b)] = "统一社会信用代码相同"
        shortest = L.CONS_ALIKE_MIN_CHARS
        for name, i in names.items():
            for k in range(1, len(name) - shortest + 1):
                for part in (name[k:], name[:-k]):            # words before it, or after it
                    j = names.get(part)
                    if j is not None and (min(i, j), max(i, j)) not in out:
                        out[(min(i, j), max(i, j))] = "一个名称包含另一个"
    return dict(sorted(out.items()))


class _Builder:
    def __init__(self, records: list, panel: str, outlier_share: float, strict: bool):
        self.records = records
        self.panel_method = panel
        self.outlier_share = outlier_share
        self.strict = strict
        self.rejected: list[tuple[str, str, Problem]] = []     # (file, category, problem)
        self.order = {r.file: i for i, r in enumerate(records)}

    def reject(self, rec, category: str, p: Problem) -> None:
        self.rejected.append((rec.file, category, p))

    # -- step 1: usable, total computable, unit and year filled
    def candidates(self) -> list["FileRecord"]:
        from dataclasses import replace

        out = []
        for rec in self.records:
            if isinstance(rec, Unusable):
                first, more = rec.problems[0], len(rec.problems) - 1
                if more:
                    first = replace(first, message=f"{first.message}（另有 {more} 个问题）")
                category = {"consolidate_lock_file": "lock", "consolidate_internal": "internal",
                            "consolidate_worker_lost": "internal",
                            "file_archive": "archive"}.get(first.code, "unreadable")
                self.reject(rec, category, replace(first, file=rec.file))
                continue
            first = rec.errors[0] if rec.errors else None
            first_text = first.message if first else "有指标无法计分"
            where = dict(file=rec.file, sheet=first.sheet if first else rec.sheet, cell=first.cell if first else "")
            if rec.total is None:
                self.reject(rec, "no_total", problem("consolidate_no_total", **where, first=first_text,
                                                     count=rec.n_errors))
                continue
            if self.strict and rec.n_errors:
                self.reject(rec, "strict", problem("consolidate_strict", **where, first=first_text,
                                                   count=rec.n_errors))
                continue
            missing = next((k for k in ("unit", "year") if is_blank(rec.info.get(k))), None)
            if missing:
                self.reject(rec, "info", problem(
                    "consolidate_info_missing", file=rec.file, sheet=rec.info_sheet or L.SHEET_INFO,
                    cell=rec.info_cells.get(missing, ""), column=L.INFO_BY_KEY[missing].label))
                continue
            out.append(rec)
        return out

    # -- step 2: one indicator system, reconciled by 编号
    @staticmethod
    def signature(rec) -> tuple:
        return tuple(sorted((i.code, _norm(i.name), round2(i.weight or 0.0), _norm(i.level1), _norm(i.level2))
                            for i in rec.indicators))

    def same_system(self, recs: list) -> tuple[list, Any]:
        if not recs:
            return [], None
        seen: dict[tuple, tuple] = {}        # the workbooks of one template: one signature worked out
        sigs = []
        for r in recs:
            raw = tuple((i.code, i.name, i.weight, i.level1, i.level2) for i in r.indicators)
            sig = seen.get(raw)
            if sig is None:
                sig = seen[raw] = self.signature(r)
            sigs.append(sig)
        counts = Counter(sigs)
        best = max(counts.values())
        ref_sig = next(s for s in sigs if counts[s] == best)          # ties: the first file wins
        ref = recs[sigs.index(ref_sig)]
        ref_map = {i.code: i for i in ref.indicators}
        out = []
        for rec, sig in zip(recs, sigs):
            if sig == ref_sig:
                out.append(rec)
                continue
            detail, cell = self.system_difference(rec, ref_map)
            self.reject(rec, "system", problem(
                "consolidate_system_mismatch", file=rec.file, sheet=rec.sheet, cell=cell, detail=detail,
                count=best, reference=Path(ref.file).name))
        return self.same_rules(out), ref

    def same_rules(self, recs: list) -> list:
        """The workbooks whose every indicator is scored by the rule most of them use for it (计分方法 and
        计分参数, as written up to spaces and full-width forms): a rule edited after the template was sent
        (≥90% made ≥95%) scores that indicator differently, so such a workbook is left out like one of
        another system. An indicator marked 不适用 has no rule to compare (计分方法 may say 不适用)."""
        rules: dict[str, Counter] = {}
        first: dict[tuple, tuple] = {}              # (编号, rule) -> the first workbook and indicator with it
        for rec in recs:
            for i in rec.indicators:
                if i.applicable:
                    rule = (_norm(i.method), _norm(i.params))
                    rules.setdefault(i.code, Counter())[rule] += 1
                    first.setdefault((i.code, rule), (rec, i))
        common = {code: c.most_common(1)[0] for code, c in rules.items()}      # ties: the first seen
        col = L.COLUMNS_BY_KEY
        out = []
        for rec in recs:
            for i in rec.indicators:
                if not i.applicable:
                    continue
                (method, params), count = common[i.code]
                if (_norm(i.method), _norm(i.params)) == (method, params):
                    continue
                other, theirs = first[(i.code, (method, params))]
                key = "method" if _norm(i.method) != method else "params"
                letter = rec.columns.get(key) or rec.columns.get("name")
                detail = (f"{col['code'].header} {i.code} 的{col[key].header}为“{getattr(i, key)}”，"
                          f"其余工作簿为“{getattr(theirs, key)}”")
                self.reject(rec, "system", problem(
                    "consolidate_system_mismatch", file=rec.file, sheet=rec.sheet,
                    cell=f"{letter}{i.row}" if letter else "", detail=detail, count=count,
                    reference=Path(other.file).name))
                break
            else:
                out.append(rec)
        return out

    @staticmethod
    def system_difference(rec, ref_map: dict) -> tuple[str, str]:
        """The first difference of a workbook's indicator system from the reference's, in words, and
        the cell it is in."""
        col = L.COLUMNS_BY_KEY

        def cell(key: str, row: int) -> str:                  # the cell of the field that differs
            letter = rec.columns.get(key) or rec.columns.get("name")
            return f"{letter}{row}" if letter else ""

        for i in rec.indicators:
            ref = ref_map.get(i.code)
            if ref is None:
                return f"多出{col['code'].header} {i.code}（{i.name}）", cell("name", i.row)
            for key, mine, theirs, same in (
                    ("name", i.name, ref.name, _norm(i.name) == _norm(ref.name)),
                    ("weight", fmt_num(i.weight or 0), fmt_num(ref.weight or 0),
                     round2(i.weight or 0) == round2(ref.weight or 0)),
                    ("level1", i.level1, ref.level1, _norm(i.level1) == _norm(ref.level1)),
                    ("level2", i.level2, ref.level2, _norm(i.level2) == _norm(ref.level2))):
                if not same:
                    return (f"{col['code'].header} {i.code} 的{col[key].header}为“{mine}”，其余工作簿为“{theirs}”",
                            cell(key, i.row))
        mine = {i.code for i in rec.indicators}
        missing = [c for c in ref_map if c not in mine]
        more = "等" if len(missing) > 5 else ""
        # most often a row deleted for an indicator that does not apply this year
        return (f"缺少{col['code'].header} {'、'.join(missing[:5])}{more}"
                f"（本年不适用的指标请在{col['actual'].header}填“不适用”，不要删除该行）"), ""

    # -- step 3: duplicate submissions (same unit, year, evaluator)
    def without_duplicates(self, recs: list) -> list:
        groups: dict[tuple, list] = {}
        for rec in recs:
            info = rec.info
            groups.setdefault((_norm(info.get("unit")), str(_year(info.get("year"))), _norm(info.get("evaluator"))),
                              []).append(rec)
        keep = []
        for members in groups.values():
            if len(members) == 1:
                keep.append(members[0])
                continue
            info = members[0].info
            who = f"{info.get('unit')} {_year(info.get('year'))}年度 {info.get('evaluator') or '（未填写评价人）'}"
            digests = {(m.total, tuple(sorted((i.code, i.score) for i in m.indicators))) for m in members}
            if len(digests) == 1:
                keep.append(members[0])
                for m in members[1:]:
                    self.reject(m, "duplicate", problem("consolidate_duplicate_copy", **_identity(m), who=who,
                                                        other=Path(members[0].file).name))
                continue
            for m in members:
                others = "、".join(f"“{Path(o.file).name}”" for o in members if o is not m)
                self.reject(m, "duplicate", problem("consolidate_duplicate_conflict", **_identity(m), who=who,
                                                    others=others))
        return sorted(keep, key=lambda r: self.order[r.file])

    # -- the tables
    def build(self) -> Consolidation:
        import pandas as pd

        from perfxl.score.engine import Conversion, grade_for

        included, ref = self.same_system(self.candidates())
        included = self.without_duplicates(included)
        ref_inds = list(ref.indicators) if ref else []
        codes = [i.code for i in ref_inds]
        by_code = {i.code: i for i in ref_inds}
        level1 = list(dict.fromkeys(i.level1 for i in ref_inds))
        level1_key = {_norm(n): n for n in level1}

        units: dict[tuple, list] = {}
        for rec in included:
            units.setdefault((_norm(rec.info.get("unit")), str(_year(rec.info.get("year")))), []).append(rec)

        grade_labels = list(dict.fromkeys(g for rec in included for g, _ in rec.grades))
        summary_rows, unit_scores, panel_rows, unit_files = [], [], [], []
        for members in units.values():
            first = members[0]
            info = first.info
            year = _year(info.get("year"))
            names = [m.info.get("evaluator") or "" for m in members]
            notes = []
            if len(members) == 1:
                scores = {i.code: i.score for i in first.indicators}
                total, grade = first.total, first.grade
                l1 = {level1_key.get(_norm(k), k): v for k, v in first.level1.items()}
            else:
                scores = {}
                who = [nm or Path(m.file).stem for nm, m in zip(names, members)]
                their = [self._scores(m) for m in members]
                unit = info.get("unit")
                for code in codes:
                    values = [mine.get(code) for mine in their]
                    scores[code] = panel_score(values, self.panel_method)
                    if scores[code] is not None:
                        panel_rows.append(self.panel_row(unit, year, by_code[code], scores[code], who, values))
                applies = [c for c in codes if scores[c] is not None]
                conv = Conversion(first.na_method, round2(sum(scores[c] or 0.0 for c in applies)),
                                  round2(sum(by_code[c].weight or 0.0 for c in applies)),
                                  round2(sum(by_code[c].weight or 0.0 for c in codes if scores[c] is None)),
                                  len(codes) - len(applies))
                total = conv.total()
                l1 = {n: round2(sum(scores[c] or 0.0 for c in applies if by_code[c].level1 == n)) for n in level1}
                grade = grade_for(total, list(first.grades)) if total is not None else None
                notes.append(f"{len(members)} 位评价人，各指标按{L.PANEL_METHODS[self.panel_method]}汇总")
            versions = sorted({str(m.info.get("template_version") or "") for m in members} - {L.TEMPLATE_VERSION})
            notes += [L.CONS_STATUS_VERSION.format(version=v or "未填写") for v in versions]
            flagged = any(m.n_errors for m in members)
            row = {"unit": info.get("unit"), "credit_code": next(
                       (m.info.get("credit_code") for m in members if m.info.get("credit_code")), None),
                   "year": year, "kind": info.get("kind"), "total": total, "grade": grade, "rank": None}
            row.update({n: l1.get(n) for n in level1})
            row.update({"evaluators": len(members), "evaluator_names": "、".join(n for n in names if n) or None,
                        "status": L.CONS_STATUS_FLAGGED if flagged else L.CONS_STATUS_OK,
                        "note": "；".join(notes) or None, "files": "\n".join(m.file for m in members)})
            summary_rows.append(row)
            unit_scores.append((year, scores))
            unit_files.append([m.file for m in members])

        alike = alike_units(summary_rows)
        for (a, b), why in alike.items():
            for mine, other in ((a, b), (b, a)):
                row = summary_rows[mine]
                note = L.CONS_NOTE_ALIKE.format(others=summary_rows[other]["unit"], why=why)
                row["note"] = f"{row['note']}；{note}" if row["note"] else note
        summary_cols = list(L.CONS_SUMMARY_KEYS) + level1 + list(L.CONS_SUMMARY_TAIL_KEYS)
        summary = pd.DataFrame(summary_rows, columns=summary_cols)
        if len(summary):
            years = summary["year"].astype(str)
            summary["rank"] = summary.groupby(years)["total"].rank(method="min", ascending=False).astype(int)
            order = summary.assign(_y=years).sort_values(["_y", "rank", "unit"], kind="stable").index
            summary = summary.loc[order].reset_index(drop=True)
            unit_files = [unit_files[i] for i in order]

        detail = self.detail(included)
        analysis = self.analysis(unit_scores, included, ref_inds)
        panel = pd.DataFrame.from_records(panel_rows, columns=list(L.CONS_PANEL_KEYS))
        rejected, rejections = self.rejected_table()
        return Consolidation(summary=summary, detail=detail, analysis=analysis, panel=panel, rejected=rejected,
                             survey=self.survey(included, summary),
                             found=len(self.records), level1=level1, grade_labels=grade_labels,
                             panel_method=self.panel_method, outlier_share=self.outlier_share, strict=self.strict,
                             reference=ref.file if ref else None, included_files=[r.file for r in included],
                             records=included, rejections=rejections, units=unit_files,
                             alike=[(summary_rows[a]["unit"], summary_rows[b]["unit"], summary_rows[a]["year"], why)
                                    for (a, b), why in alike.items()])

    @staticmethod
    def _scores(rec) -> dict[str, float]:
        """编号 -> score of a workbook (the first row of a 编号, as written)."""
        out: dict[str, float] = {}
        for i in rec.indicators:
            out.setdefault(i.code, i.score)
        return out

    def panel_row(self, unit: Any, year: Any, ind, panel_score: float, who: list[str],
                  values: list[float | None]) -> tuple:
        """One indicator of one unit scored by several evaluators (``who``, their ``values``; None: that
        evaluator found it 不适用 and abstains), as a row of L.CONS_PANEL_KEYS."""
        quoted = "；".join(f"{nm} {fmt_score(v)}" if v is not None else f"{nm}{L.PANEL_ABSTAINED}"
                          for nm, v in zip(who, values))
        scored = [(nm, v) for nm, v in zip(who, values) if v is not None]
        ordered = sorted(v for _, v in scored)
        n, mid = len(ordered), len(ordered) // 2
        median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2     # statistics.median
        weight = ind.weight or 0.0
        limit = self.outlier_share * weight + 1e-9
        outliers = [f"{nm}（{fmt_score(v)}，偏离中位数{v - median:+.2f}）" for nm, v in scored
                    if abs(v - median) > limit]
        low, high = ordered[0], ordered[-1]
        return (unit, year, ind.code, ind.level1, ind.name, weight, n, panel_score, round2(median), low, high,
                round2(high - low), _stdev(tuple(v for _, v in scored)), quoted, "；".join(outliers) or None)

    @staticmethod
    def detail(included: list):
        import pandas as pd

        rows = []
        for rec in included:
            info = rec.info
            head = (info.get("unit"), _year(info.get("year")), info.get("evaluator"), rec.file,
                    info.get("template_version"))
            for i in rec.indicators:
                rate = i.score / i.weight if i.weight and i.score is not None else None     # None: 不适用
                rows.append((*head, i.code, i.level1, i.level2, i.name, i.weight, i.method, i.rule_score,
                             i.evaluator_score, i.score, rate, L.YES if i.deviates else L.NO))
        return pd.DataFrame.from_records(rows, columns=list(L.CONS_DETAIL_KEYS))

    @staticmethod
    def survey(included: list, summary):
        """问卷得分率: every question set of every included workbook, units in the 汇总's order."""
        import pandas as pd

        order = {_norm(u): n for n, u in enumerate(summary["unit"])} if len(summary) else {}
        rows = []
        for rec in sorted(included, key=lambda r: order.get(_norm(r.info.get("unit")), len(order))):
            info = rec.info
            for s in rec.survey:
                rows.append((info.get("unit"), _year(info.get("year")), info.get("evaluator"), s.name, s.group,
                             s.sample, s.valid, s.rate, s.satisfied, L.CONS_SURVEY_SOURCES.get(s.source, s.source),
                             rec.file))
        return pd.DataFrame.from_records(rows, columns=list(L.CONS_SURVEY_KEYS))

    @staticmethod
    def analysis(unit_scores: list[tuple], included: list, ref_inds: list):
        import pandas as pd

        deviations = Counter((str(_year(r.info.get("year"))), i.code) for r in included
                             for i in r.indicators if i.deviates)
        rows = []
        years = list(dict.fromkeys(str(y) for y, _ in unit_scores))
        for y in sorted(years):
            of_year = [s for yy, s in unit_scores if str(yy) == y]
            for ind in ref_inds:
                weight = ind.weight
                vals = [v for s in of_year if (v := s.get(ind.code)) is not None]     # None: 不适用 there
                rates = [v / weight for v in vals] if weight else []
                rows.append({"year": _year(y), "code": ind.code, "level1": ind.level1, "level2": ind.level2,
                             "name": ind.name, "weight": weight, "units": len(vals),
                             "mean": statistics.fmean(vals) if vals else None,
                             "min": min(vals, default=None), "max": max(vals, default=None),
                             "mean_rate": statistics.fmean(rates) if rates else None,
                             "lost": sum(v < (weight or 0) - 0.005 for v in vals),
                             "deviations": deviations.get((y, ind.code), 0)})
        return pd.DataFrame(rows, columns=list(L.CONS_ANALYSIS_KEYS))

    def rejected_table(self):
        import pandas as pd

        rows, problems = [], []
        for n, (file, category, p) in enumerate(sorted(self.rejected, key=lambda x: self.order[x[0]]), start=1):
            rows.append({"seq": n, "file": file, "category": L.CONS_CATEGORIES[category],
                         "reason": p.message, "sheet": p.sheet or None, "cell": p.cell or None,
                         "fix": p.fix or None})
            problems.append(p if p.file == file else replace_file(p, file))
        return pd.DataFrame(rows, columns=list(L.CONS_REJECTED_KEYS)), problems


def replace_file(p: Problem, file: str) -> Problem:
    from dataclasses import replace

    return replace(p, file=file)


def build(records: list, *, panel: str = "mean", outlier_share: float = L.PANEL_OUTLIER_SHARE,
          strict: bool = False) -> Consolidation:
    """Tables from worker records (see the module docstring for the rules)."""
    return _Builder(records, panel, outlier_share, strict).build()


# --- the public entry point -------------------------------------------------------

def consolidate(paths, *, jobs: int | None = None, panel: str = "mean",
                outlier_share: float = L.PANEL_OUTLIER_SHARE, strict: bool = False,
                scheduler: str | None = None, progress: bool | Callable[[int, int], None] = False,
                exclude: Iterable = (), options: ReadOptions = ReadOptions(), output: Path | None = None,
                replace: bool = False) -> Consolidation:
    """Read, validate and score every workbook under ``paths`` (files or folders, recursively),
    and return the result tables.

    jobs           worker processes (default: all cores); 1 scores in this process
    panel          several evaluators of one unit: "mean", "median" or "trimmed"
    outlier_share  flag an evaluator whose figure is further than this share of 分值 from the median
    strict         leave out workbooks with validation errors (default: include them, flagged,
                   when their total is computable)
    scheduler      a Dask scheduler address (tcp://host:8786) or "local" for a LocalCluster
    progress       True for a progress bar, or a function called with (done, total)
    options        how the workbooks are read (``ReadOptions``: the password shared by protected
                   workbooks; ``full``: keep each included workbook's full record, so that a report
                   made from it scores nothing again)
    output         the summary workbook the caller will write: left out of the files, and refused
                   before any scoring when it is one of the workbooks to consolidate or, unless
                   ``replace``, exists
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    if panel not in L.PANEL_METHODS:
        raise ValueError(f"panel 应为 {'、'.join(L.PANEL_METHODS)} 之一，收到“{panel}”")
    if not 0 <= outlier_share <= 1:
        raise ValueError(f"outlier_share 应在 0 与 1 之间，收到 {outlier_share}")
    skipped: list[Problem] = []
    files = discover(paths, exclude, skipped)
    if output is not None:
        files, skipped = _without_output(Path(output), files, skipped, replace, options.password)
    if not files:
        raise UnusableInput([problem("consolidate_no_files", paths="、".join(f"“{p}”" for p in paths) or "（无）"),
                             *skipped])
    with _collector_paused():
        from perfxl.cli.terminal import progress_to

        with progress_to(progress, len(files)) as update:
            records = score_files(files, jobs=jobs, scheduler=scheduler, progress=update, options=options)
        # summary workbooks (an earlier run's output) and indicator lists in the folder are not submissions
        summary = [isinstance(r, Unusable) and r.problems[0].code in _NOT_SUBMISSIONS.values() for r in records]
        skipped += [r.problems[0] for r, s in zip(records, summary) if s]
        records = [r for r, s in zip(records, summary) if not s]
        cons = build(records, panel=panel, outlier_share=outlier_share, strict=strict)
    cons.skipped, cons.full = skipped, options.full
    return cons


class _collector_paused:
    """Thousands of records arrive and stay: the cyclic garbage collector would walk them again and
    again (a third of the time of building the tables). Paused, then restored as it was."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()
        return False


# --- per-unit records for reports ---------------------------------------------------------------------

def panel_record(members: list["FileRecord"], method: str) -> "FileRecord":
    """One FileRecord for a unit scored by several evaluators: per indicator the panel figure (as in
    the 汇总 sheet), the evaluators' figures quoted in its 评分过程; levels, total and grade from them."""
    from dataclasses import replace

    from perfxl.model.records import FileRecord, IndicatorRecord, LevelRecord
    from perfxl.score.engine import grade_for

    first = members[0]
    # a blank 评价人 is named by its file, set apart from the figure after it ('“b1.xlsx”（未填写评价人）25.00分')
    names = [m.info.get("evaluator") or L.PANEL_UNNAMED.format(file=Path(m.file).name) for m in members]
    by_code = [{i.code: i for i in m.indicators} for m in members]
    label = L.PANEL_METHODS[method]
    inds: list[IndicatorRecord] = []
    for ind in first.indicators:
        mine = [(n, c[ind.code]) for n, c in zip(names, by_code) if ind.code in c]
        if not any(i.applicable for _, i in mine):          # 不适用 for every evaluator
            inds.append(ind)
            continue
        # an evaluator who found it 不适用 abstains, as in the 汇总 sheet (panel_score)
        figures = [(n, i.score if i.applicable else None) for n, i in mine]
        score = panel_score([v for _, v in figures], method) if all(
            i.score is not None for _, i in mine if i.applicable) else None
        rules = {i.rule_score for _, i in mine if i.applicable}
        quoted = "、".join(f"{n}{fmt_score(v)}分" if v is not None else f"{n}{L.PANEL_ABSTAINED}"
                          for (n, v), (_, i) in zip(figures, mine) if v is not None or not i.applicable)
        process = (f"评价组{len(figures)}位评价人的得分：{quoted}，按{label}汇总为{fmt_score(score)}分。"
                   if score is not None else "评价组中有评价人未能计分。")
        notes = list(dict.fromkeys(i.note for _, i in mine if i.note))
        inds.append(replace(ind, applicable=True, rule_score=rules.pop() if len(rules) == 1 else None,
                            evaluator_score=None,
                            score=score, rate=score / ind.weight if score is not None and ind.weight else None,
                            deviates=False, difference=None, note="；".join(notes), process=process))
    levels = []
    for lv in first.levels:
        rows = [i for i in inds if i.applicable and (i.level1 == lv.name if lv.level == 1 else
                                                     (i.level1, i.level2) == (lv.parent, lv.name))]
        scores = [i.score for i in rows]
        weight = round2(sum(i.weight or 0 for i in rows))     # the first evaluator's may leave out a 不适用
        levels.append(LevelRecord(lv.level, lv.name, lv.parent, weight,
                                  None if any(v is None for v in scores) else round2(sum(scores)), lv.declared))
    l1 = [lv.score for lv in levels if lv.level == 1]
    raw = None if any(v is None for v in l1) else round2(sum(l1))
    from perfxl.score.engine import Conversion

    conv = Conversion(first.na_method, raw, round2(sum(lv.weight for lv in levels if lv.level == 1)),
                      round2(sum(i.weight or 0 for i in inds if not i.applicable)),
                      sum(1 for i in inds if not i.applicable))
    total = conv.total()
    info = {**first.info, "evaluator": "、".join(names)}
    return FileRecord(
        file="\n".join(m.file for m in members), info=info, total=total,
        grade=grade_for(total, list(first.grades)) if total is not None else None, levels=tuple(levels),
        indicators=tuple(inds), problems=tuple(p for m in members for p in m.problems), grades=first.grades,
        sheet=first.sheet, columns=first.columns, info_sheet=first.info_sheet, info_cells=first.info_cells,
        basic=first.basic, figures=first.figures, survey=first.survey, basic_units=first.basic_units,
        raw_total=raw, applicable_weight=conv.applicable, na_method=first.na_method, conversion=conv.text(total))


def unit_records(cons: Consolidation, password: str | None = None) -> list["FileRecord"]:
    """One full FileRecord per row of the 汇总 sheet, in its order: the workbook itself for a unit
    with one evaluator, the panel (``panel_record``) for several. Unless the consolidation kept full
    records (``consolidate(full=True)``), the included workbooks are scored again in full."""
    from perfxl.score.engine import record
    from perfxl.score.pipeline import score_path

    kept = {r.file: r for r in cons.records} if cons.full else {}
    out = []
    for files in cons.units:
        members = [kept.get(f) or record(score_path(f, password)) for f in files]
        out.append(members[0] if len(members) == 1 else panel_record(members, cons.panel_method))
    return out
