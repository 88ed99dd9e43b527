"""The command line: parse → call perfxl.api → render. No business logic lives here.

Heavy libraries (pandas, pandera, openpyxl) are imported inside the commands, so ``perfxl --help``
starts fast. Exit codes: 0 clean, 1 validation problems, 2 unusable input, 3 internal error,
130 interrupted. ``--json`` always prints exactly one JSON document on stdout, refusals included.
"""
from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from perfxl.model.layout import CLI_METAVARS, REPORT_EACH_HINT_UNITS

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    options_metavar="[选项]",
    subcommand_metavar="命令 [参数]...",
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    help="perfxl：财政支出绩效评价的Excel工具——生成标准评分工作簿，校验、计分并把结果写回工作簿。",
)

# --- options shared by several commands, declared once ------------------------------------------------

Json = Annotated[bool, typer.Option("--json", help="以 JSON 输出（供程序读取）：标准输出上只有一个 JSON 文档")]
Password = Annotated[Optional[str], typer.Option(
    "--password", envvar="PERFXL_PASSWORD",
    help="工作簿的打开密码（也可用环境变量 PERFXL_PASSWORD；只在内存中解密，不写出解密副本）")]
Force = Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖（会先备份原文件）")]


def _imports_done() -> None:
    """Collections during the big imports cost ~0.1 s; freeze what is loaded and collect again."""
    gc.freeze()
    gc.enable()


def _console(stderr: bool = False):
    from perfxl.cli.terminal import console

    return console(stderr=stderr)


def _emit(data: dict) -> None:
    from perfxl.cli.render import json_for

    sys.stdout.write(json_for(data, sys.stdout) + "\n")


@contextmanager
def _refusals(command: str, as_json: bool) -> Iterator[None]:
    """Turn a refusal of the application layer into its message (or JSON document) and exit code:
    2 for unusable input, 1 for an indicator list with errors. After a stop (its KeyboardInterrupt
    cleared by a library) neither a refusal nor a result is reported: the command stops here."""
    from perfxl.api import SystemInvalid
    from perfxl.check.problems import UnusableInput
    from perfxl.io.files import stop_if_asked

    try:
        yield
    except UnusableInput as e:
        stop_if_asked()
        code = EXIT_PROBLEMS if isinstance(e, SystemInvalid) else EXIT_UNUSABLE
        from perfxl.cli.render import print_problems, refusal, refusal_dict

        if as_json:
            _emit(refusal_dict(command, e.problems, code))
        elif isinstance(e, SystemInvalid):
            c = _console()
            c.print("指标体系有错误，未生成模板：", style="red")
            print_problems(c, e.problems)
        else:
            refusal(_console(stderr=True), e.problems)
        raise typer.Exit(code) from None
    stop_if_asked()           # a stop a library cleared while the command worked: nothing reported after it


def _version(value: bool) -> None:
    if value:
        from perfxl import __version__
        from perfxl.model.layout import TEMPLATE_VERSION

        print(f"perfxl {__version__}（模板版本 {TEMPLATE_VERSION}）")
        raise typer.Exit(0)


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="显示版本号后退出")] = False) -> None:
    """perfxl 命令行。"""


# --- template ---------------------------------------------------------------------------------------

@app.command("template")
def template_cmd(
    output: Annotated[Path, typer.Option(
        "-o", "--output", readable=False, help="输出的模板文件")] = Path("评分模板.xlsx"),
    framework: Annotated[Optional[str], typer.Option("--framework", "-f",
                                                     help="内置评价框架：部门整体 / 项目支出 / 自评表")] = None,
    from_: Annotated[Optional[Path], typer.Option(
        "--from", readable=False, help="按自己的指标体系文件（.xlsx）生成")] = None,
    rows: Annotated[int, typer.Option("--rows", min=0, max=2000, help="空白指标行数（不用框架时）")] = 60,
    xlsm: Annotated[bool, typer.Option("--xlsm", help="生成启用宏的工作簿（.xlsm），带“校验”“评分”按钮")] = False,
    summary: Annotated[bool, typer.Option(
        "--summary", help="生成管理员用的汇总工作簿（.xlsm，带“汇总”按钮，汇总一个文件夹的评分工作簿）")] = False,
    force: Force = False,
    as_json: Json = False,
    password: Password = None,
) -> None:
    """生成标准评分工作簿（说明、基本信息、基础数据、指标评分、问卷、得分汇总、校验结果）。"""
    from perfxl import api

    if summary and output == Path("评分模板.xlsx"):
        output = Path("汇总.xlsm")
    _imports_done()
    with _refusals("template", as_json):
        made = api.make_template(output, framework=framework, source=from_, rows=rows, xlsm=xlsm, summary=summary,
                                 force=force, password=password)
    if as_json:
        _emit({"command": "template", **made.to_dict()})
        return
    from perfxl.cli.render import done, print_problems

    c = _console()
    if made.problems:                   # warnings about the administrator's indicator list
        print_problems(c, made.problems)
    if made.backup:
        from perfxl.cli.terminal import lit

        c.print(lit(f"原文件已备份为 {made.backup.name}"))
    done(c, f"已生成{made.what}模板：{made.output}",
         "打开前请先安装 xlwings 加载项（xlwings addin install），按钮才能运行；详见 README。" if made.xlsm else None)


# --- validate / score -----------------------------------------------------------------------------

@app.command("validate")
def validate_cmd(
    file: Annotated[Path, typer.Argument(
        readable=False, metavar=CLI_METAVARS["file"], help="要校验的工作簿（.xlsx/.xlsm/.xls/.ods）")],
    as_json: Json = False,
    password: Password = None,
) -> None:
    """只校验，不写文件：列出每个问题所在的工作表和单元格。"""
    from perfxl import api

    _imports_done()
    with _refusals("validate", as_json):
        scored = api.validate_file(file, password=password)
    if as_json:
        _emit({"command": "validate", **scored.to_dict()})
    else:
        from perfxl.cli.render import print_problems
        from perfxl.cli.terminal import lit

        c = _console()
        c.print(lit(f"校验 {file}：{len(scored.record.indicators)} 个三级指标"))
        print_problems(c, scored.problems)
    raise typer.Exit(api.exit_code(scored.problems))


@app.command("score")
def score_cmd(
    file: Annotated[Path, typer.Argument(
        readable=False, metavar=CLI_METAVARS["file"], help="要评分的工作簿（.xlsx/.xlsm/.xls/.ods）")],
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", readable=False, help="输出文件（默认在原文件旁生成“文件名_评分.xlsx”）")] = None,
    in_place: Annotated[bool, typer.Option("--in-place", help="写回原文件（先备份，原子替换）")] = False,
    no_write: Annotated[bool, typer.Option("--no-write", help="只计算并显示，不写文件")] = False,
    as_json: Json = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose", help="列出每个三级指标的评分过程")] = False,
    password: Password = None,
) -> None:
    """校验并计分，把结果写回工作簿（规则得分、得分、得分率、评分过程、得分汇总、校验结果）。"""
    from perfxl import api

    _imports_done()
    with _refusals("score", as_json):
        scored = api.score_file(file, output=output, in_place=in_place, write=not no_write, password=password)
    if as_json:
        _emit({"command": "score", **scored.to_dict()})
    else:
        from perfxl.cli.render import done, print_problems, print_record

        c = _console()
        print_record(c, scored.record, verbose=verbose)
        print_problems(c, scored.problems)
        if scored.output:
            done(c, f"结果已写入：{scored.output}",
                 f"原有文件已备份为：{scored.backup.name}" if scored.backup else None)
    raise typer.Exit(api.exit_code(scored.record.problems))


# --- report -----------------------------------------------------------------------------------------

@app.command("report")
def report_cmd(
    files: Annotated[list[Path], typer.Argument(readable=False,
        metavar=CLI_METAVARS["file"], help=("已评分的工作簿（.xlsx/.xlsm，可给多个：每个单位一节），"
                                                "或 perfxl consolidate 写出的汇总工作簿"))],
    output: Annotated[Optional[Path], typer.Option(
        "-o", "--output", readable=False, help=("输出的 Word 文件（默认在第一个工作簿旁生成“文件名_报告.docx”）；"
                                                   "加 --each 时为文件夹"))] = None,
    template: Annotated[Optional[Path], typer.Option(
        "--template", readable=False,
        help="自定义报告模板（.docx；可复制 workbook_templates/报告模板.docx 修改样式）")] = None,
    deviations: Annotated[bool, typer.Option(
        "--deviations", help="附上评价得分与评分标准计算结果不同的指标（内部复核用；交给委托方的报告不要加）")] = False,
    form: Annotated[Optional[str], typer.Option(
        "--form", help="改为写出官方自评表（.xlsx）：自评表（项目支出绩效自评表）或 部门整体自评表")] = None,
    each: Annotated[bool, typer.Option(
        "--each", help=("每个单位各写一份报告，放在 -o 指定的文件夹（默认在第一个工作簿旁的“文件名_各单位报告”）；"
                        "单位很多时，一份合订的报告会有上万页"))] = False,
    password: Password = None,
    as_json: Json = False,
) -> None:
    """由评分工作簿（或 perfxl consolidate 写出的汇总工作簿）生成 Word 评价报告，或用 --form 写出官方自评表。"""
    from perfxl import api

    _imports_done()
    if form is not None:
        if each:
            with _refusals("report", as_json):
                raise api.UnusableInput([api.problem("options_conflict", options="--form 与 --each")])
        _form_export(files, form, output, password, as_json)
        return
    if each:
        _report_each(files, output, template, password, deviations, as_json)
        return
    with _refusals("report", as_json):
        rep = api.report(files, output=output, template=template, password=password, deviations=deviations)
    if as_json:
        _emit({"command": "report", **rep.to_dict()})
    else:
        from rich.text import Text

        from perfxl.cli.render import done

        c = _console()
        _print_units(c, rep.records)
        if any(r.has_errors for r in rep.records):
            c.print("工作簿有校验错误：报告已生成，但开头写有警告，得分仅供参考。", style="bold red")
        done(c, f"报告已写入：{rep.output}", f"原有文件已备份为：{rep.backup.name}" if rep.backup else None)
        if len(rep.records) >= REPORT_EACH_HINT_UNITS:
            c.print(Text(f"提示：报告含 {len(rep.records)} 个单位，篇幅很长；加 --each 可为每个单位各写一份报告"))
    raise typer.Exit(api.exit_code(rep.problems))


def _print_units(c, records, outputs=None) -> None:
    """A line per unit: its total, deductions and deviations (and, given ``outputs``, the report
    written for it), then its problems."""
    from rich.text import Text

    from perfxl.cli.render import print_problems
    from perfxl.cli.terminal import lit

    for k, r in enumerate(records):
        line = lit(r.info.get("unit") or Path(r.file).name)
        line.stylize("bold")
        score = "无法计算" if r.total is None else f"{r.total:.2f}（{r.grade}）"
        lost = sum(1 for i in r.indicators if i.lost is not None and i.lost >= 0.005)
        line.append_text(Text(f"：总分 {score}，扣分指标 {lost} 项，评价偏差 {len(r.deviations)} 项"))
        if outputs is not None:
            line.append_text(Text("  → ") + lit(outputs[k].name) if outputs[k] else Text("  → 未写出", style="red"))
        c.print(line)
        if r.problems:
            print_problems(c, r.problems, file=Path(r.file).name)


def _report_each(files: list[Path], output: Path | None, template: Path | None, password: str | None,
                 deviations: bool, as_json: bool) -> None:
    from perfxl import api

    with _refusals("report", as_json):
        rep = api.report_each(files, output=output, template=template, password=password, deviations=deviations,
                              progress=not as_json)
    if as_json:
        _emit({"command": "report", **rep.to_dict()})
    else:
        from perfxl.cli.render import done, print_problems

        c = _console()
        units = [r.records[0] for r in rep.reports]
        _print_units(c, units, [r.output if r.summary.get("written") else None for r in rep.reports])
        # why a report was not written (a backup is only counted below)
        if unwritten := [p for r in rep.reports for p in r.write_problems if p.code != "output_exists_backup"]:
            print_problems(c, unwritten, file=str(rep.folder))
        if any(u.has_errors for u in units):
            c.print("有的工作簿有校验错误：其报告已生成，但开头写有警告，得分仅供参考。", style="bold red")
        left = len(rep.reports) - len(rep.written)
        backups = sum(1 for r in rep.written if r.backup)
        done(c, f"已写出 {len(rep.written)} 份报告：{rep.folder}",
             (f"未写出 {left} 份（原因见上）" if left else None)
             or (f"{backups} 份同名报告原已存在，已先备份" if backups else None))
    raise typer.Exit(api.exit_code(rep.problems))


def _form_export(files: list[Path], form: str, output: Path | None, password: str | None, as_json: bool) -> None:
    from perfxl import api

    with _refusals("report", as_json):
        if len(files) != 1:
            raise api.UnusableInput([api.problem("options_conflict", options="--form 与多个工作簿")])
        done_ = api.export_form(files[0], form=form, output=output, password=password)
    if as_json:
        _emit({"command": "report", **done_.to_dict()})
    else:
        from perfxl.cli.render import done, print_problems

        c = _console()
        r = done_.scored.record
        if r.problems:
            print_problems(c, r.problems, file=Path(r.file).name)
        score = "无法计算" if r.total is None else f"{r.total:.2f}（{r.grade}）"
        done(c, f"{done_.form}已写入：{done_.output}（总分 {score}）",
             f"原有文件已备份为：{done_.backup.name}" if done_.backup else None)
    raise typer.Exit(api.exit_code(done_.problems))


# --- fill / consolidate -------------------------------------------------------------------------------

@app.command("fill")
def fill_cmd(
    roster: Annotated[Path, typer.Argument(readable=False,
        metavar=CLI_METAVARS["roster"], help=("名单工作簿：每行一个单位，表头为“基本信息”“基础数据”中的项目名"
                                                 "（如 单位名称、评价年度、年初预算数）"))],
    outdir: Annotated[Path, typer.Option("-o", "--output-dir", readable=False, help="输出目录：每个单位一个工作簿")],
    template: Annotated[Optional[Path], typer.Option(
        "-t", "--template", readable=False, help="模板工作簿（默认：标准评分模板）")] = None,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="名单所在的工作表（默认第一个）")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件（先备份）")] = False,
    as_json: Json = False,
) -> None:
    """按名单批量生成工作簿：每行一个单位，预先填好“基本信息”和“基础数据”。"""
    from perfxl import api

    _imports_done()
    with _refusals("fill", as_json):
        report = api.fill(roster, outdir, template=template, sheet=sheet, force=force)
    if as_json:
        _emit({"command": "fill", **report.to_dict()})
    else:
        from perfxl.cli.render import _styled, done, print_problems, show_table
        from perfxl.cli.terminal import lit
        from perfxl.model.layout import CLI_FILL_HEADERS

        labels = {"written": "已写入", "overwritten": "已覆盖（原文件已备份）", "skipped": "未生成"}
        c = _console()
        rows = []
        for i in report.items:
            why = "；".join(p.message for p in i.problems if p.severity == "error")
            state = labels[i.status] + (f"：{why}" if why else "")
            rows.append((str(i.row), lit(i.unit or "—"), lit(i.path or "—"),
                         _styled(state, "red" if i.status == "skipped" else "green")))
        show_table(c, f"按名单生成工作簿（{len(report.written)}/{len(report.items)} 个）",
                   [(h, "left") for h in CLI_FILL_HEADERS], rows)
        if report.all_problems:
            print_problems(c, report.all_problems)
        if report.written:
            done(c, f"已写入 {len(report.written)} 个工作簿到 {outdir}")
        else:                            # the folder fill made for them is removed again (files.made_folder)
            c.print(_styled("没有写出工作簿" + ("" if outdir.exists() else f"，未建立文件夹 {outdir}"), "bold red"))
    raise typer.Exit(EXIT_PROBLEMS if report.has_errors else EXIT_OK)


@app.command("consolidate")
def consolidate_cmd(
    paths: Annotated[list[Path], typer.Argument(
        readable=False, metavar=CLI_METAVARS["paths"],
        help="工作簿或文件夹（文件夹逐层查找 .xlsx/.xlsm/.xls/.xlsb/.ods/.et）")],
    output: Annotated[Path, typer.Option("-o", "--output", readable=False, help="汇总工作簿")] = Path("汇总.xlsx"),
    panel: Annotated[str, typer.Option(
        "--panel", help=("同一单位多位评价人时各指标的汇总方法："
                     "mean 平均值、median 中位数、trimmed 去掉最高和最低后平均"))] = "mean",
    outlier: Annotated[float, typer.Option(
        "--outlier", min=0.0, max=1.0, help="评价人得分与评价组中位数相差超过分值的这一比例时标为偏离")] = 0.2,
    strict: Annotated[bool, typer.Option(
        "--strict", help="有校验错误的工作簿一律不纳入（默认：总分可计算的纳入并标注）")] = False,
    jobs: Annotated[Optional[int], typer.Option("-j", "--jobs", min=1, help="并行进程数（默认：全部 CPU 核）")] = None,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="在 Dask 集群上运行：调度器地址（如 tcp://10.0.0.5:8786），或 local 在本机启动")] = None,
    password: Password = None,
    force: Force = False,
    as_json: Json = False,
) -> None:
    """汇总多个工作簿：逐个校验计分（与 perfxl score 相同），写出汇总、指标明细、指标分析、评价组、未纳入文件和图表。"""
    from perfxl import api

    _imports_done()
    with _refusals("consolidate", as_json):
        cons = api.consolidate(paths, output=output, force=force, jobs=jobs, panel=panel, outlier_share=outlier,
                               strict=strict, scheduler=scheduler, progress=not as_json, password=password)
    if as_json:
        _emit({"command": "consolidate", **cons.to_dict()})
    else:
        from perfxl.cli.render import print_consolidation

        print_consolidation(_console(), cons)
    raise typer.Exit(EXIT_PROBLEMS if cons.not_included or cons.flagged else EXIT_OK)


# --- survey import ------------------------------------------------------------------------------------

survey_app = typer.Typer(help="问卷：导入问卷星、腾讯问卷等平台导出的答卷。", no_args_is_help=True,
                         options_metavar="[选项]", subcommand_metavar="命令 [参数]...",
                         context_settings={"help_option_names": ["-h", "--help"]})
app.add_typer(survey_app, name="survey")


@survey_app.command("import")
def survey_import_cmd(
    export: Annotated[Path, typer.Argument(
        readable=False, metavar=CLI_METAVARS["export"], help="平台导出的答卷（.xlsx/.xls/.csv，GBK 或 UTF-8）")],
    into: Annotated[Path, typer.Option("--into", readable=False, help="写入其“问卷”页的评分工作簿（先备份）")],
    set_name: Annotated[Optional[str], typer.Option(
        "--set", help="这批答卷的对象类别，并以此名在“问卷设置”中加一个题组（如 会员、工作人员）")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="替换工作簿中同一对象类别已有的答卷")] = False,
    as_json: Json = False,
) -> None:
    """把问卷平台导出的答卷导入评分工作簿的“问卷”页：识别并忽略序号、提交时间、IP 等列，按题目文字对上表头。"""
    from perfxl import api

    _imports_done()
    with _refusals("survey import", as_json):
        done = api.survey_import(export, into, set_name=set_name, replace=replace)
    if as_json:
        _emit({"command": "survey import", **done.to_dict()})
    else:
        from perfxl.cli.render import done as said
        from perfxl.cli.render import print_problems

        c = _console()
        print_problems(c, done.problems)
        said(c, f"已从{done.platform}导出导入 {done.rows} 份答卷、{len(done.questions)} 道题到：{done.target}",
             f"原有文件已备份为：{done.backup.name}" if done.backup else None)
    raise typer.Exit(api.exit_code(done.problems))


def main(argv: list[str] | None = None) -> None:
    from typer.exceptions import Abort, Exit, TyperException

    gc.disable()          # re-enabled by _imports_done() once the heavy libraries are loaded
    args = sys.argv[1:] if argv is None else argv
    if not args or "-h" in args or "--help" in args:
        from perfxl.cli.usage import chinese_help

        chinese_help()
    try:
        code = app(args=argv, prog_name="perfxl", standalone_mode=False)
        if code == EXIT_INTERRUPTED:          # typer turns an interruption into this code, silently
            raise KeyboardInterrupt
    except Exit as e:
        code = e.exit_code
    except TyperException as e:      # usage errors: unknown option, missing argument ...
        if type(e).__name__ == "NoArgsIsHelpError":
            code = EXIT_OK
        else:
            code = _usage_error(args, e)
    except (Abort, KeyboardInterrupt):
        from perfxl.cli.terminal import interrupted

        interrupted()
        code = EXIT_INTERRUPTED
    except Exception as e:  # last resort: never show a traceback to a user
        from perfxl.cli.terminal import lit

        c = _console(stderr=True)
        c.print(lit(f"perfxl 内部错误：{type(e).__name__}: {e}"), style="bold red")
        c.print("输入文件未被修改。请把命令和文件报告给维护者。")
        code = EXIT_INTERNAL
    from perfxl.io.files import stop_asked

    if code != EXIT_INTERRUPTED and stop_asked():    # a stop a library cleared: no normal end after it
        from perfxl.cli.terminal import interrupted

        interrupted()
        code = EXIT_INTERRUPTED
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error(args: list[str], error: Exception) -> int:
    """A usage error: a message in Chinese (or, with --json, one JSON document) and exit code 2."""
    from perfxl.cli.usage import usage_problem

    p = usage_problem(error, args, [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups])
    if "--json" in args:
        from perfxl.cli.render import refusal_dict

        _emit(refusal_dict(args[0] if args else "", [p], EXIT_UNUSABLE))
    else:
        from perfxl.cli.terminal import lit

        c = _console(stderr=True)
        c.print(lit(f"{p.message}\n{p.fix}"), style="red")
    return EXIT_UNUSABLE


if __name__ == "__main__":
    main()
