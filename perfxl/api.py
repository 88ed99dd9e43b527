"""The application layer: one function per task, the same behind the command line, the Excel
buttons and Python code.

Each function returns a result object with ``.problems`` and ``.to_dict()`` (the JSON the command
line prints) and refuses unusable input by raising ``UnusableInput`` whose problems carry catalogue
codes (perfxl.check.problems). Nothing here prints. Heavy libraries are imported inside functions.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from perfxl.check.problems import Problem, UnusableInput, problem, worst_exit_code

if TYPE_CHECKING:
    from perfxl.batch.consolidate import Consolidation
    from perfxl.batch.fill import FillReport
    from perfxl.io.read import RawBook
    from perfxl.model.records import FileRecord
    from perfxl.score.engine import Result

PathLike = str | os.PathLike

__all__ = ["Exported", "export_form", "Imported", "Made", "Reported", "Scored", "survey_import", "UnusableInput",
           "consolidate", "fill", "make_template", "report", "report_each", "score_book", "score_file", "validate_file"]


def _problems_dicts(problems: Iterable[Problem]) -> list[dict]:
    return [p.to_dict() for p in problems]


def _check_suffix(path: Path, suffixes: tuple[str, ...]) -> None:
    """Refuse an output file whose extension the written format does not have (-o out.txt)."""
    if path.suffix.lower() not in suffixes:
        raise UnusableInput([problem("output_suffix", file=str(path), path=str(path),
                                     suffixes=" 或 ".join(suffixes))])


def exit_code(problems: Iterable[Problem]) -> int:
    """0: nothing or only warnings; 1: at least one error."""
    return worst_exit_code(problems)


# --- one workbook: validate, score ------------------------------------------------------------

@dataclass
class Scored:
    """A validated (and perhaps written) workbook."""
    record: "FileRecord"
    output: Path | None = None
    backup: Path | None = None
    write_problems: tuple[Problem, ...] = ()
    result: "Result | None" = field(default=None, repr=False, compare=False)   # what the writers draw

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*self.record.problems, *self.write_problems)

    @property
    def total(self) -> float | None:
        return self.record.total

    @property
    def grade(self) -> str | None:
        return self.record.grade

    def to_dict(self) -> dict:
        d = self.record.to_dict(output=str(self.output) if self.output else None,
                                extra_problems=self.write_problems)
        if self.backup is not None:
            d["backup"] = str(self.backup)
        return d


def score_book(book: "RawBook") -> "Result":
    """read → model → validate → score for grids already read (a file, or an open Excel workbook)."""
    from perfxl.score.pipeline import score_book as run

    return run(book)


def validate_file(path: PathLike, *, password: str | None = None) -> Scored:
    """Check a workbook and score it in memory; nothing is written."""
    from perfxl.score.engine import record
    from perfxl.score.pipeline import score_path

    result = score_path(path, password)
    return Scored(record(result), result=result)


def score_file(path: PathLike, *, output: PathLike | None = None, in_place: bool = False, write: bool = True,
               password: str | None = None) -> Scored:
    """Validate and score a workbook and write the results: into ``output`` (default: beside it as
    ``文件名_评分.xlsx``) or, with ``in_place``, into the workbook itself (after a backup)."""
    from perfxl.io.writeback import write_back
    from perfxl.score.engine import record
    from perfxl.score.pipeline import score_path

    if in_place and output is not None:
        raise UnusableInput([problem("options_conflict", options="--in-place 与 -o")])
    if output is not None and write:
        _check_suffix(Path(output), (".xlsx", ".xlsm"))
    result = score_path(path, password)
    scored = Scored(record(result), result=result)
    if write:
        written = write_back(result, Path(path), output, in_place=in_place, password=password)
        scored.output, scored.backup, scored.write_problems = written.output, written.backup, tuple(written.problems)
    return scored


# --- templates ------------------------------------------------------------------------------------

@dataclass
class Made:
    """A workbook perfxl generated."""
    output: Path
    what: str                                     # 空白 / 按内置框架“…” / 按“…”的 N 个指标 …
    backup: Path | None = None
    xlsm: bool = False
    problems: tuple[Problem, ...] = ()

    def to_dict(self) -> dict:
        return {"output": str(self.output), "backup": str(self.backup) if self.backup else None,
                "what": self.what, "xlsm": self.xlsm, "problems": _problems_dicts(self.problems)}


class SystemInvalid(UnusableInput):
    """An administrator's indicator list with errors: no template is made (exit code 1)."""


def make_template(output: PathLike = "评分模板.xlsx", *, framework: str | None = None,
                  source: PathLike | None = None, rows: int = 60, xlsm: bool = False, summary: bool = False,
                  force: bool = False, password: str | None = None) -> Made:
    """Generate a scoring workbook: blank, from a built-in ``framework`` (部门整体 / 项目支出 / 自评表),
    or from an administrator's indicator list ``source``; ``xlsm``: with 校验/评分 buttons;
    ``summary``: the administrator's summary workbook with a 汇总 button."""
    from perfxl.io.files import atomic_save, backup, ensure_writable

    output = Path(output)
    if summary:
        xlsm = True
    _check_suffix(output, (".xlsx", ".xlsm"))
    if xlsm and output.suffix.lower() != ".xlsm":
        output = output.with_suffix(".xlsm")
    if framework and source:
        raise UnusableInput([problem("options_conflict", options="--framework 与 --from")])
    if output.exists() and not force:
        raise UnusableInput([problem("output_exists", file=str(output), path=str(output))])
    ensure_writable(output)
    warnings: tuple[Problem, ...] = ()
    if summary:
        from perfxl.sheets.template import admin_workbook

        wb, what = admin_workbook(), "汇总用的"
    elif source is not None:
        from perfxl.check.validate import validate
        from perfxl.model.evaluation import load
        from perfxl.sheets.template import (
            new_workbook,
            rows_from_system,
            survey_sets_of,
        )

        checked = validate(load(source, system=True, password=password), system=True)
        if checked.has_errors:
            raise SystemInvalid(list(checked.problems))
        rows_ = rows_from_system(checked)
        wb = new_workbook(rows=rows_, survey={"sets": survey_sets_of(rows_)})
        what = f"按“{Path(source).name}”的 {len(rows_)} 个指标"
        warnings = tuple(checked.problems)          # no errors here: e.g. a hidden row, taken as an indicator
    elif framework:
        from perfxl.model.frameworks import framework as find
        from perfxl.model.frameworks import frameworks
        from perfxl.sheets.template import framework_workbook

        meta = find(framework)
        if meta is None:
            choices = "、".join(f"{m['title']}（{'/'.join([m['id'], *m.get('aliases', [])])}）"
                                for m in frameworks().values())
            raise UnusableInput([problem("framework_unknown", value=framework, choices=choices)])
        wb, what = framework_workbook(meta), f"按内置框架“{meta['title']}”"
    else:
        from perfxl.sheets.template import new_workbook

        wb, what = new_workbook(blank_rows=rows), "空白"
    saved = backup(output) if output.exists() else None
    if xlsm:
        from perfxl.excel.xlsm import Button, write_xlsm
        from perfxl.model import layout as L

        if summary:
            write_xlsm(output, wb=wb, buttons=(Button(L.BUTTON_CONSOLIDATE, "PerfxlConsolidate", 1, 4),),
                       sheet=L.SHEET_CONS_SETUP)
        elif wb.sheetnames[0] in {f.title for f in L.FORMS.values()}:
            from perfxl.excel.xlsm import FORM_BUTTONS

            write_xlsm(output, wb=wb, buttons=FORM_BUTTONS, sheet=wb.sheetnames[0])
        else:
            write_xlsm(output, wb=wb)
        what += "启用宏的"
    else:
        atomic_save(wb, output)
    return Made(output, what, saved, xlsm, warnings)


# --- many workbooks ------------------------------------------------------------------------------------

def fill(roster: PathLike, outdir: PathLike, *, template: PathLike | None = None, sheet: str | None = None,
         force: bool = False) -> "FillReport":
    """One prefilled workbook per roster row in ``outdir`` (from ``template``, default the standard one)."""
    from perfxl.batch.fill import fill as run

    return run(roster, template, outdir, sheet=sheet, force=force)


def consolidate(paths: PathLike | Iterable[PathLike], *, output: PathLike | None = None, force: bool = False,
                jobs: int | None = None, panel: str = "mean", outlier_share: float | None = None,
                strict: bool = False, scheduler: str | None = None,
                progress: bool | Callable[[int, int], None] = False, exclude: Iterable[PathLike] = (),
                password: str | None = None, full: bool = False) -> "Consolidation":
    """Validate and score every workbook under ``paths`` (files or folders, recursively) and build
    the summary tables; with ``output``, write the summary workbook too (an existing one only with
    ``force``, after a backup). ``full``: keep what a report shows, so that ``report(cons)`` scores
    nothing again. See perfxl.batch.consolidate for the rules."""
    from perfxl.batch.consolidate import ReadOptions
    from perfxl.batch.consolidate import consolidate as run
    from perfxl.io.files import backup
    from perfxl.model import layout as L

    if panel not in L.PANEL_METHODS:
        raise UnusableInput([problem("panel_invalid", value=panel)])
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    out = Path(output) if output is not None else None
    if out is not None:
        _check_output(out)
    cons = run(paths, jobs=jobs, panel=panel,
               outlier_share=L.PANEL_OUTLIER_SHARE if outlier_share is None else outlier_share,
               strict=strict, scheduler=scheduler, progress=progress, exclude=exclude,
               options=ReadOptions(password, full), output=out, replace=force)
    if out is not None:
        cons.backup = backup(out) if out.exists() else None
        cons.to_excel(out)
        cons.output = out
    return cons


def _check_output(out: Path) -> None:
    """Refuse, before any scoring, a summary output that is a folder or no .xlsx (one of the workbooks
    to consolidate, or an existing file without ``force``: ``batch.consolidate`` once it has found them)."""
    if out.is_dir():
        raise UnusableInput([problem("consolidate_output_folder", file=str(out), path=str(out),
                                     example=str(out / "汇总.xlsx"))])
    _check_suffix(out, (".xlsx",))


# --- reports -------------------------------------------------------------------------------------------

@dataclass
class Reported:
    output: Path
    records: tuple["FileRecord", ...]
    backup: Path | None = None
    template: Path | None = None
    write_problems: tuple[Problem, ...] = ()
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*(p for r in self.records for p in r.problems), *self.write_problems)

    def to_dict(self) -> dict:
        return {**self.summary, "output": str(self.output), "backup": str(self.backup) if self.backup else None,
                "template": str(self.template) if self.template else None,
                "problems": _problems_dicts(self.problems)}


def report(inputs: "Sequence[PathLike] | Consolidation", *, output: PathLike | None = None,
           template: PathLike | None = None, password: str | None = None, deviations: bool = False) -> Reported:
    """The evaluation report (.docx) of scored workbooks, or of a consolidation (a ``Consolidation``:
    its ranking and grade distribution, one chapter per unit, a unit scored by several evaluators
    with its panel figures). ``deviations``: append the indicators whose evaluator figure departs
    from the rule (a review copy; a client's report leaves them out)."""
    from perfxl.report.document import check_output, load_results, summary_dict, write_report

    records, files, overview, default = _report_input(inputs, password)
    target = Path(output) if output is not None else default
    if target.is_dir():
        target = target / default.name
    check_output(target)
    if records is None:                       # workbooks: scored once the output is known to be usable
        records = load_results(files, password=password)
    tpl = Path(template) if template else None
    written = write_report(records, target, tpl, overview=overview, deviations=deviations)
    summary = summary_dict(records, written, tpl)
    return Reported(written.output, tuple(records), written.backup, tpl, tuple(written.problems), summary)


@dataclass
class ReportedEach:
    """One report per unit (``report_each``): the folder, and each unit's report (``Reported``;
    ``written`` False for one that could not be written, its ``write_problems`` say why)."""
    folder: Path
    reports: tuple[Reported, ...]

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for r in self.reports for p in r.problems)

    @property
    def written(self) -> tuple[Reported, ...]:
        return tuple(r for r in self.reports if r.summary.get("written", True))

    def to_dict(self) -> dict:
        return {"folder": str(self.folder), "written": len(self.written),
                "reports": [r.to_dict() for r in self.reports], "problems": _problems_dicts(self.problems)}


def report_each(inputs: "Sequence[PathLike] | Consolidation", *, output: PathLike | None = None,
                template: PathLike | None = None, password: str | None = None, deviations: bool = False,
                progress: bool | Callable[[int, int], None] = False) -> ReportedEach:
    """One report per unit, as ``report`` writes a unit's own, in the folder ``output`` (default: beside
    the first workbook, ``文件名_各单位报告``): for a consolidation of many units, whose one report would
    run to thousands of pages. A report that cannot be written is left out with its problem.
    ``progress``: True for a progress bar, or a function called with (written, to write)."""
    from perfxl.model import layout as L
    from perfxl.report.document import load_results, summary_dict, write_each

    if output is not None and (Path(output).suffix.lower() == ".docx" or Path(output).is_file()):
        raise UnusableInput([problem("report_each_output", path=Path(output).name)])
    records, files, overview, default = _report_input(inputs, password)
    if output is not None:
        folder = Path(output)
    elif default.stem.endswith(L.REPORT_SUFFIX):         # one workbook, or a summary workbook: 汇总_各单位报告
        folder = default.with_name(L.REPORT_EACH_DIR.format(stem=default.stem.removesuffix(L.REPORT_SUFFIX)))
    else:                                               # several workbooks
        folder = default.with_name(L.REPORT_EACH_MULTI)
    tpl = Path(template) if template else None
    from perfxl.cli.terminal import progress_to

    units = records if records is not None else load_results(files, password=password)
    with progress_to(progress, len(units), L.REPORT_EACH_PROGRESS) as update:
        written = write_each(units, folder, tpl, deviations=deviations, panels=overview, progress=update)
    reports = []
    for rec, w in zip(units, written):
        summary = {**summary_dict([rec], w, tpl), "written": w.done}
        reports.append(Reported(w.output, (rec,), w.backup, tpl, tuple(w.problems), summary))
    return ReportedEach(folder, tuple(reports))


def _report_input(inputs: "Sequence[PathLike] | Consolidation", password: str | None
                  ) -> "tuple[list[FileRecord] | None, list[Path], Any, Path]":
    """What a report is made of: its records (None for workbooks, which the caller scores, with
    ``load_results``, once it has checked the output), the workbooks, the consolidation's overview
    (None for workbooks) and the default output file."""
    from perfxl.batch.consolidate import Consolidation, unit_records
    from perfxl.batch.reopen import dropped, read_summary
    from perfxl.model import layout as L
    from perfxl.report.document import default_output

    if isinstance(inputs, Consolidation):
        records = unit_records(inputs, password=password)
        # beside its summary workbook when it was written
        default = default_output([Path(inputs.output)]) if inputs.output else \
            Path(L.REPORT_MULTI_STEM.format(n=len(records)) + ".docx")
        return records, [], inputs.overview(), default
    files = [Path(f) for f in (inputs if isinstance(inputs, (list, tuple)) else [inputs])]
    default = default_output(files)
    summary_book = read_summary(files[0], password) if len(files) == 1 else None
    if summary_book is None:
        return None, files, None, default
    if summary_book.missing:                  # a summary workbook: the consolidation again
        raise UnusableInput(summary_book.missing)
    if not summary_book.files:                # every workbook was left out: nothing to report on
        raise UnusableInput([problem("report_summary_empty", file=str(files[0]), sheet=L.SHEET_CONS_SUMMARY,
                                     path=files[0].name)])
    # every core, and each workbook's full record kept: read and scored once
    cons = consolidate(summary_book.files, panel=summary_book.panel, password=password, full=True)
    if changed := dropped(summary_book, cons.rejected):
        raise UnusableInput(changed)
    records = unit_records(cons, password=password)
    overview = cons.overview()
    if summary_book.left_out:                 # the files the summary left out were not read again
        overview = replace(overview, found=overview.found + summary_book.left_out,
                           not_included=overview.not_included + summary_book.left_out)
    return records, files, overview, default


# --- the official self-evaluation forms ---------------------------------------------------------------

@dataclass
class Exported:
    """A scored evaluation written into an official self-evaluation form (.xlsx)."""
    output: Path
    form: str
    scored: Scored
    backup: Path | None = None

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.scored.problems

    def to_dict(self) -> dict:
        return {**self.scored.to_dict(), "output": str(self.output), "form": self.form,
                "backup": str(self.backup) if self.backup else None}


def export_form(path: PathLike, *, form: str | None = None, output: PathLike | None = None,
                password: str | None = None) -> Exported:
    """Score a workbook (any layout perfxl reads) and write it into the official form ``form``
    (项目支出绩效自评表 by default, or 部门整体支出绩效自评表): a new .xlsx, default beside the workbook
    as ``文件名_自评表.xlsx``; an existing file is backed up first."""
    from perfxl.io.files import atomic_save, ensure_writable
    from perfxl.model import layout as L
    from perfxl.score.engine import record
    from perfxl.score.pipeline import score_path
    from perfxl.sheets.form import find_spec, form_workbook, scored_form

    spec = find_spec(form) if form else L.FORM_PROJECT
    if spec is None:
        choices = "、".join(f"{s.title}（{'/'.join(L.FORM_NAMES[s.key])}）" for s in L.FORMS.values())
        raise UnusableInput([problem("form_unknown", value=form, choices=choices)])
    path = Path(path)
    target = Path(output) if output is not None else path.with_name(f"{path.stem}{L.FORM_SUFFIX}.xlsx")
    if target.is_dir():
        target = target / f"{path.stem}{L.FORM_SUFFIX}.xlsx"
    if target.suffix.lower() != ".xlsx":
        target = target.with_suffix(".xlsx")
    result = score_path(path, password)
    ensure_writable(target)
    saved = atomic_save(form_workbook(scored_form(result, spec)), target, keep_backup=True)
    return Exported(target, spec.title, Scored(record(result), result=result), saved)


# --- questionnaires -------------------------------------------------------------------------------

@dataclass
class Imported:
    """A platform export (问卷星, 腾讯问卷 …) read into a workbook's 问卷 sheet."""
    source: Path
    target: Path
    platform: str
    questions: tuple[str, ...]
    rows: int
    backup: Path | None = None
    replaced: int = 0
    new_columns: tuple[str, ...] = ()
    set_added: str | None = None
    ignored: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    def to_dict(self) -> dict:
        return {"source": str(self.source), "target": str(self.target), "platform": self.platform,
                "questions": list(self.questions), "rows": self.rows,
                "backup": str(self.backup) if self.backup else None, "replaced": self.replaced,
                "new_columns": list(self.new_columns), "set_added": self.set_added, "ignored": list(self.ignored),
                "skipped": list(self.skipped), "problems": _problems_dicts(self.problems)}


def survey_import(export: PathLike, into: PathLike, *, set_name: str | None = None,
                  replace: bool = False) -> Imported:
    """Read a survey platform's export (.xlsx/.xls/.csv) and put its responses into the 问卷 sheet
    of the workbook ``into`` (after a backup); ``set_name``: their 对象类别 and a 题组 of that name;
    ``replace``: responses of that 对象类别 already there are replaced."""
    from perfxl.survey.imports import import_export, write_import

    imp = import_export(export, set_name=set_name)
    done = write_import(imp, into, replace=replace)
    return Imported(Path(export), done.target, imp.platform_name, tuple(imp.questions), done.rows, done.backup,
                    done.replaced, tuple(done.new_columns), done.set_added,
                    tuple(c.header for c in imp.ignored), tuple(c.header for c in imp.skipped),
                    (*imp.problems, *done.problems))
