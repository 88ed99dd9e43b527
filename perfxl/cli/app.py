"""Command line: a thin front end over read -> model -> validate -> score -> write.

Heavy libraries (pandas, pandera, openpyxl) are imported inside the commands, so
``perfxl --help`` starts fast. Exit codes: 0 clean, 1 validation problems, 2 unusable
input, 3 internal error.
"""
from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Optional

import typer


def _chinese_help() -> None:
    """Panel titles of the help screen in Chinese (imported only when help is shown: it is slow)."""
    from typer import rich_utils as ru

    ru.OPTIONS_PANEL_TITLE, ru.ARGUMENTS_PANEL_TITLE, ru.COMMANDS_PANEL_TITLE = "选项", "参数", "命令"
    ru.DEFAULT_STRING, ru.REQUIRED_LONG_STRING = "[默认：{}]", "[必填]"
    try:  # typer's own help option and usage line are English literals: translate them in place
        from typer._click import core as cc
        from typer._click import formatting as cf

        if not getattr(cc.Command, "_perfxl_zh", False):
            get_help_option, write_usage = cc.Command.get_help_option, cf.HelpFormatter.write_usage

            def help_option(self, ctx):
                opt = get_help_option(self, ctx)
                if opt is not None:
                    opt.help = "显示本帮助后退出"
                return opt

            def usage(self, prog, args="", prefix=None):
                return write_usage(self, prog, args, "用法：" if prefix is None else prefix)

            cc.Command.get_help_option, cf.HelpFormatter.write_usage = help_option, usage
            cc.Command._perfxl_zh = True
    except (ImportError, AttributeError):
        pass                       # another typer: its help stays English, nothing breaks


EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="perfxl：财政支出绩效评价的 Excel 工具——生成标准评分工作簿，校验、计分并把结果写回工作簿。",
)


def _imports_done() -> None:
    """Collections during the big imports cost ~0.1 s; freeze what is loaded and collect again."""
    gc.freeze()
    gc.enable()


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _unusable(exc, as_json: bool) -> None:
    from perfxl.cli.render import dumps, print_problems

    if as_json:
        print(dumps({"total": None, "grade": None, "complete": False, "levels": [], "indicators": [],
                     "deviations": [], "problems": [p.to_dict() for p in exc.problems], "output": None}))
    else:
        c = _console(stderr=True)
        files = "、".join(dict.fromkeys(Path(p.file).name for p in exc.problems if p.file))
        c.print(f"[bold red]无法处理输入{f'（{files}）' if files else ''}：[/]")
        print_problems(c, exc.problems)
    raise typer.Exit(EXIT_UNUSABLE)


def _version(value: bool) -> None:
    if value:
        from perfxl import __version__
        from perfxl.model.layout import TEMPLATE_VERSION

        print(f"perfxl {__version__}（模板版本 {TEMPLATE_VERSION}）")
        raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="显示版本号后退出")) -> None:
    """perfxl 命令行。"""


@app.command("template")
def template_cmd(
    output: Path = typer.Option(Path("评分模板.xlsx"), "-o", "--output", help="输出的模板文件"),
    framework: Optional[str] = typer.Option(None, "--framework", "-f",
                                            help="内置评价框架：部门整体 / 项目支出 / 自评表"),
    from_: Optional[Path] = typer.Option(None, "--from", help="按自己的指标体系文件（.xlsx）生成"),
    rows: int = typer.Option(60, "--rows", min=0, max=2000, help="空白指标行数（不用框架时）"),
    xlsm: bool = typer.Option(False, "--xlsm", help="生成启用宏的工作簿（.xlsm），带“校验”“评分”按钮"),
    summary: bool = typer.Option(False, "--summary",
                                 help="生成管理员用的汇总工作簿（.xlsm，带“汇总”按钮，汇总一个文件夹的评分工作簿）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖（会先备份）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
    password: Optional[str] = typer.Option(None, "--password", envvar="PERFXL_PASSWORD",
                                           help="--from 指标体系文件的打开密码（只在内存中解密）"),
) -> None:
    """生成标准评分工作簿（说明、基本信息、基础数据、指标评分、问卷、得分汇总、校验结果）。"""
    if summary:
        xlsm = True
        if output == Path("评分模板.xlsx"):
            output = Path("汇总.xlsm")
    if xlsm and output.suffix.lower() != ".xlsm":
        output = output.with_suffix(".xlsm")
    from perfxl.io.files import atomic_save, backup, ensure_writable
    from perfxl.check.problems import UnusableInput
    from perfxl.cli.render import dumps, print_problems

    c = _console()
    if framework and from_:
        _console(stderr=True).print("[red]--framework 与 --from 只能选一个[/]")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        if output.exists() and not force:
            c.print(f"[red]“{output}”已存在。[/]加 --force 覆盖（会先备份原文件），或用 -o 指定其他文件名。")
            raise typer.Exit(EXIT_UNUSABLE)
        ensure_writable(output)
        if summary:
            from perfxl.excel.admin import summary_workbook

            wb = summary_workbook()
            what = "汇总用的"
        elif from_ is not None:
            from perfxl.model.evaluation import load
            from perfxl.sheets.template import new_workbook, rows_from_system, survey_sets_of
            from perfxl.check.validate import validate

            _imports_done()
            checked = validate(load(from_, system=True, password=password), system=True)
            if checked.has_errors:
                if as_json:
                    print(dumps({"output": None, "problems": [p.to_dict() for p in checked.problems]}))
                else:
                    c.print(f"[red]指标体系“{from_}”有错误，未生成模板：[/]")
                    print_problems(c, checked.problems)
                raise typer.Exit(EXIT_PROBLEMS)
            rows_ = rows_from_system(checked)
            wb = new_workbook(rows=rows_, survey={"sets": survey_sets_of(rows_)})
            what = f"按“{from_}”的 {len(rows_)} 个指标"
        elif framework:
            from perfxl.model.frameworks import framework as find, framework_workbook, frameworks

            meta = find(framework)
            if meta is None:
                names_ = "、".join(f"{m['title']}（{'/'.join([m['id'], *m.get('aliases', [])])}）"
                                   for m in frameworks().values())
                _console(stderr=True).print(f"[red]没有名为“{framework}”的内置框架。[/]可选：{names_}")
                raise typer.Exit(EXIT_UNUSABLE)
            wb = framework_workbook(meta)
            what = f"按内置框架“{meta['title']}”"
        else:
            from perfxl.sheets.template import new_workbook

            wb = new_workbook(blank_rows=rows)
            what = "空白"
        if output.exists():
            c.print(f"原文件已备份为 {backup(output).name}")
        if xlsm:
            from perfxl.excel.xlsm import Button, write_xlsm

            if summary:
                from perfxl.model import layout as L

                write_xlsm(output, wb=wb, buttons=(Button("汇总", "PerfxlConsolidate", 1, 4),),
                           sheet=L.SHEET_CONS_SETUP)
            else:
                write_xlsm(output, wb=wb)
            what += "启用宏的"
        else:
            atomic_save(wb, output)
    except UnusableInput as e:
        _unusable(e, as_json)
    if as_json:
        print(dumps({"output": str(output), "problems": []}))
    else:
        c.print(f"[green]✓[/] 已生成{what}模板：{output}")
        if xlsm:
            c.print("  打开前请先安装 xlwings 加载项（xlwings addin install），按钮才能运行；详见 README。")


@app.command("validate")
def validate_cmd(
    file: Path = typer.Argument(..., help="要校验的工作簿（.xlsx/.xlsm）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
    password: Optional[str] = typer.Option(None, "--password", envvar="PERFXL_PASSWORD",
                                           help="工作簿的打开密码（也可用环境变量 PERFXL_PASSWORD；只在内存中解密）"),
) -> None:
    """只校验，不写文件：列出每个问题所在的工作表和单元格。"""
    from perfxl.check.problems import UnusableInput, worst_exit_code
    from perfxl.cli.render import dumps, print_problems, result_dict
    from perfxl.score.engine import run

    _imports_done()
    try:
        result = run(file, password=password)
    except UnusableInput as e:
        _unusable(e, as_json)
    if as_json:
        print(dumps(result_dict(result)))
    else:
        c = _console()
        c.print(f"校验 [bold]{file}[/]：{len(result.indicators)} 个三级指标")
        print_problems(c, result.problems)
    raise typer.Exit(worst_exit_code(result.problems))


@app.command("score")
def score_cmd(
    file: Path = typer.Argument(..., help="要评分的工作簿（.xlsx/.xlsm）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="输出文件（默认在原文件旁生成“文件名_评分.xlsx”）"),
    in_place: bool = typer.Option(False, "--in-place", help="写回原文件（先备份，原子替换）"),
    no_write: bool = typer.Option(False, "--no-write", help="只计算并显示，不写文件"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="列出每个三级指标的评分过程"),
    password: Optional[str] = typer.Option(None, "--password", envvar="PERFXL_PASSWORD",
                                           help="工作簿的打开密码（也可用环境变量 PERFXL_PASSWORD；只在内存中解密）"),
) -> None:
    """校验并计分，把结果写回工作簿（规则得分、得分、得分率、评分过程、得分汇总、校验结果）。"""
    from perfxl.check.problems import UnusableInput, worst_exit_code
    from perfxl.cli.render import dumps, print_problems, print_result, result_dict
    from perfxl.score.engine import run
    from perfxl.io.writeback import write_back

    _imports_done()
    if in_place and output is not None:
        _console(stderr=True).print("[red]--in-place 与 -o 不能同时使用[/]")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        result = run(file, password=password)
        report = None if no_write else write_back(result, file, output, in_place=in_place, password=password)
    except UnusableInput as e:
        _unusable(e, as_json)
    extra = report.problems if report else []
    if as_json:
        print(dumps(result_dict(result, output=str(report.output) if report else None, extra_problems=extra)))
    else:
        c = _console()
        print_result(c, result, verbose=verbose)
        print_problems(c, [*result.problems, *extra])
        if report:
            c.print(f"[green]✓[/] 结果已写入：{report.output}")
            if report.backup:
                c.print(f"  原有文件已备份为：{report.backup.name}")
    raise typer.Exit(worst_exit_code(result.problems))


@app.command("build-templates", hidden=True)
def build_templates_cmd(outdir: Path = typer.Argument(Path("workbook_templates"), help="输出目录")) -> None:
    """重新生成 workbook_templates/ 中的全部模板和示例（开发者用）。"""
    from perfxl.model.frameworks import build_all

    for path in build_all(outdir):
        print(path)


# --- perfxl report ---------------------------------------------------------------------

@app.command("report")
def report_cmd(
    files: list[Path] = typer.Argument(..., help="已评分的工作簿（.xlsx/.xlsm，可给多个：每个单位一节）"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="输出的 Word 文件（默认在第一个工作簿旁生成“文件名_报告.docx”）"),
    template: Optional[Path] = typer.Option(None, "--template",
                                            help="自定义报告模板（.docx；可复制 workbook_templates/报告模板.docx 修改样式）"),
    password: Optional[str] = typer.Option(None, "--password", envvar="PERFXL_PASSWORD",
                                           help="加密工作簿的打开密码（在内存中解密）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出摘要（供程序读取）"),
) -> None:
    """由评分工作簿生成 Word 报告表格：基本情况、评价得分一览表、评分表、扣分指标与问题清单、评价偏差、总体结论。"""
    from perfxl.check.problems import UnusableInput, worst_exit_code
    from perfxl.cli.render import dumps, print_problems
    from perfxl.report.document import check_output, deduction_rows, default_output, load_results, summary_dict, write_report
    from perfxl.model.values import fmt_score

    _imports_done()
    target = output if output is not None else default_output(files)
    if target.is_dir():
        target = target / default_output(files).name
    try:
        check_output(target)
        results = load_results(files, password=password)
        written = write_report(results, target, template)
    except UnusableInput as e:
        _unusable(e, as_json)
    problems = [p for r in results for p in r.problems]
    if as_json:
        print(dumps(summary_dict(results, written, template)))
    else:
        c = _console()
        for r in results:
            unit = r.info.get("unit") or r.checked.evaluation.path.name
            score = "无法计算" if r.total is None else f"{fmt_score(r.total)}（{r.grade}）"
            c.print(f"[bold]{unit}[/]：总分 {score}，扣分指标 {len(deduction_rows(r))} 项，"
                    f"评价偏差 {len(r.deviations)} 项")
            if r.problems:
                print_problems(c, r.problems, file=r.checked.evaluation.path.name)
        if any(r.has_errors for r in results):
            c.print("[bold red]工作簿有校验错误：报告已生成，但开头写有警告，得分仅供参考。[/]")
        c.print(f"[green]✓[/] 报告已写入：{written.output}")
        if written.backup:
            c.print(f"  原有文件已备份为：{written.backup.name}")
    raise typer.Exit(worst_exit_code(problems))


# --- perfxl fill / perfxl consolidate -------------------------------------------------

@app.command("fill")
def fill_cmd(
    roster: Path = typer.Argument(..., help="名单工作簿：每行一个单位，表头为“基本信息”“基础数据”中的项目名（如 单位名称、评价年度、年初预算数）"),
    outdir: Path = typer.Option(..., "-o", "--output-dir", help="输出目录：每个单位一个工作簿"),
    template: Optional[Path] = typer.Option(None, "-t", "--template", help="模板工作簿（默认：标准评分模板）"),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="名单所在的工作表（默认第一个）"),
    force: bool = typer.Option(False, "--force", help="覆盖已存在的文件（先备份）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
) -> None:
    """按名单批量生成工作簿：每行一个单位，预先填好“基本信息”和“基础数据”。"""
    from perfxl.batch.fill import fill
    from perfxl.check.problems import UnusableInput
    from perfxl.cli.render import dumps, print_problems

    _imports_done()
    try:
        report = fill(roster, template, outdir, sheet=sheet, force=force)
    except UnusableInput as e:
        _unusable(e, as_json)
    labels = {"written": "已写入", "overwritten": "已覆盖（原文件已备份）", "skipped": "未生成"}
    if as_json:
        print(dumps({
            "written": [str(i.path) for i in report.written],
            "items": [{"row": i.row, "unit": i.unit, "path": str(i.path) if i.path else None, "status": i.status,
                       "backup": str(i.backup) if i.backup else None,
                       "problems": [p.to_dict() for p in i.problems]} for i in report.items],
            "problems": [p.to_dict() for p in report.problems]}))
    else:
        from rich.table import Table

        c = _console()
        t = Table(title=f"按名单生成工作簿（{len(report.written)}/{len(report.items)} 个）", title_justify="left")
        for h in ("名单行", "单位名称", "文件", "结果"):
            t.add_column(h, overflow="fold")
        for i in report.items:
            why = "；".join(p.message for p in i.problems if p.severity == "error")
            state = labels[i.status] + (f"：{why}" if why else "")
            style = "red" if i.status == "skipped" else "green"
            t.add_row(str(i.row), i.unit or "—", str(i.path) if i.path else "—", f"[{style}]{state}[/]")
        c.print(t)
        if report.all_problems:
            print_problems(c, report.all_problems)
        c.print(f"[green]✓[/] 已写入 {len(report.written)} 个工作簿到 {outdir}")
    raise typer.Exit(EXIT_PROBLEMS if report.has_errors else EXIT_OK)


@app.command("consolidate")
def consolidate_cmd(
    paths: list[Path] = typer.Argument(..., help="工作簿或文件夹（文件夹逐层查找 .xlsx/.xlsm/.xls/.xlsb/.ods）"),
    output: Path = typer.Option(Path("汇总.xlsx"), "-o", "--output", help="汇总工作簿"),
    panel: str = typer.Option("mean", "--panel",
                              help="同一单位多位评价人时各指标的汇总方法：mean 平均值、median 中位数、trimmed 去掉最高和最低后平均"),
    outlier: float = typer.Option(0.2, "--outlier", min=0.0, max=1.0,
                                  help="评价人得分与评价组中位数相差超过分值的这一比例时标为偏离"),
    strict: bool = typer.Option(False, "--strict", help="有校验错误的工作簿一律不纳入（默认：总分可计算的纳入并标注）"),
    jobs: Optional[int] = typer.Option(None, "-j", "--jobs", min=1, help="并行进程数（默认：全部 CPU 核）"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                            help="在 Dask 集群上运行：调度器地址（如 tcp://10.0.0.5:8786），或 local 在本机启动"),
    password: Optional[str] = typer.Option(None, "--password", envvar="PERFXL_PASSWORD",
                                           help="加密工作簿的打开密码（在内存中解密，不写出解密副本）"),
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖（先备份）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
) -> None:
    """汇总多个工作簿：逐个校验计分（与 perfxl score 相同），写出汇总、指标明细、指标分析、评价组、未纳入文件和图表。"""
    from perfxl.batch.consolidate import consolidate
    from perfxl.io.files import backup, ensure_writable
    from perfxl.check.problems import UnusableInput, problem
    from perfxl.cli.render import dumps

    _imports_done()
    if panel not in ("mean", "median", "trimmed"):
        _console(stderr=True).print(f"[red]--panel 应为 mean、median 或 trimmed，收到“{panel}”[/]")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        if output.exists() and not force:
            raise UnusableInput([problem("consolidate_output_exists", file=str(output), path=str(output))])
        ensure_writable(output)
        cons = consolidate(paths, jobs=jobs, panel=panel, outlier_share=outlier, strict=strict, password=password,
                           scheduler=scheduler, progress=not as_json, exclude=[output])
        saved = backup(output) if output.exists() else None
        cons.to_excel(output)
    except UnusableInput as e:
        _unusable(e, as_json)
    from perfxl.model.layout import CONS_HEADERS as H, CONS_STATUS_OK

    summary, rejected = cons.summary, cons.rejected
    flagged = int((summary[H["status"]] != CONS_STATUS_OK).sum()) if len(summary) else 0
    if as_json:
        def plain(v):
            return None if v != v else v.item() if hasattr(v, "item") else v      # NaN -> None, numpy -> python

        print(dumps({
            "found": cons.found, "included": cons.included, "not_included": cons.not_included,
            "output": str(output), "panel": cons.panel_method,
            "units": [{"unit": r[H["unit"]], "year": plain(r[H["year"]]), "total": plain(r[H["total"]]),
                       "grade": r[H["grade"]], "rank": plain(r[H["rank"]]), "evaluators": plain(r[H["evaluators"]]),
                       "status": r[H["status"]], "level1": {n: plain(r[n]) for n in cons.level1},
                       "files": r[H["files"]].split("\n")} for _, r in summary.iterrows()],
            "rejected": [{"file": r[H["file"]], "category": r[H["category"]], "reason": r[H["reason"]],
                          "sheet": plain(r[H["sheet"]]), "cell": plain(r[H["cell"]]), "fix": plain(r[H["fix"]])}
                         for _, r in rejected.iterrows()]}))
    else:
        from rich.table import Table
        from perfxl.model.values import fmt_score

        c = _console()
        t = Table(title=f"汇总（{len(summary)} 个单位（年度）{'，前 20 名' if len(summary) > 20 else ''}）",
                  title_justify="left")
        for h, just in (("排名", "right"), ("单位名称", "left"), ("评价年度", "left"), ("总分", "right"),
                        ("等级", "left"), ("评价人数", "right"), ("状态", "left")):
            t.add_column(h, justify=just, overflow="fold")
        for _, r in summary.head(20).iterrows():
            t.add_row(str(r[H["rank"]]), str(r[H["unit"]]), str(r[H["year"]]), fmt_score(r[H["total"]]),
                      str(r[H["grade"]]), str(r[H["evaluators"]]),
                      r[H["status"]] if r[H["status"]] == CONS_STATUS_OK else f"[yellow]{r[H['status']]}[/]")
        c.print(t)
        if len(rejected):
            u = Table(title=f"未纳入的文件（{len(rejected)} 个{'，前 30 个' if len(rejected) > 30 else ''}）",
                      title_justify="left")
            for h in ("文件", "类别", "原因", "位置"):
                u.add_column(h, overflow="fold")
            for _, r in rejected.head(30).iterrows():
                where = "!".join(str(x) for x in (r[H["sheet"]], r[H["cell"]]) if isinstance(x, str) and x)
                u.add_row(Path(r[H["file"]]).name, r[H["category"]], r[H["reason"]], where)
            c.print(u)
        c.print(f"[green]✓[/] 汇总已写入：{output}" + (f"（原文件已备份为 {saved.name}）" if saved else ""))
        c.print(f"[bold]共找到 {cons.found} 个文件：纳入 {cons.included} 个，未纳入 {cons.not_included} 个[/]"
                + (f"；{flagged} 个单位有校验错误，总分仅供参考" if flagged else ""))
    raise typer.Exit(EXIT_PROBLEMS if cons.not_included or flagged else EXIT_OK)


def main(argv: list[str] | None = None) -> None:
    from typer.exceptions import Abort, Exit, TyperException

    gc.disable()          # re-enabled by _imports_done() once the heavy libraries are loaded
    args = sys.argv[1:] if argv is None else argv
    if not args or "-h" in args or "--help" in args:
        _chinese_help()
    try:
        code = app(args=argv, prog_name="perfxl", standalone_mode=False)
    except Exit as e:
        code = e.exit_code
    except TyperException as e:      # usage errors: unknown option, missing argument ...
        if type(e).__name__ == "NoArgsIsHelpError":
            code = EXIT_OK
        else:
            _console(stderr=True).print(f"[red]命令用法有误：[/]{e.format_message()}\n运行 perfxl --help 查看用法。")
            code = EXIT_UNUSABLE
    except (Abort, KeyboardInterrupt):
        _console(stderr=True).print("[red]已中断[/]")
        code = 130
    except Exception as e:  # last resort: never show a traceback to a user
        _console(stderr=True).print(f"[bold red]perfxl 内部错误[/]：{type(e).__name__}: {e}\n"
                                    "输入文件未被修改。请把命令和文件报告给维护者。")
        code = EXIT_INTERNAL
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
