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
    from .render import dumps, print_problems

    if as_json:
        print(dumps({"total": None, "grade": None, "complete": False, "levels": [], "indicators": [],
                     "deviations": [], "problems": [p.to_dict() for p in exc.problems], "output": None}))
    else:
        c = _console(stderr=True)
        c.print("[bold red]无法处理输入：[/]")
        print_problems(c, exc.problems)
    raise typer.Exit(EXIT_UNUSABLE)


def _version(value: bool) -> None:
    if value:
        from . import __version__
        from .layout import TEMPLATE_VERSION

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
    force: bool = typer.Option(False, "--force", help="输出文件已存在时覆盖（会先备份）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
) -> None:
    """生成标准评分工作簿（说明、基本信息、基础数据、指标评分、问卷、得分汇总、校验结果）。"""
    from .files import atomic_save, backup, ensure_writable
    from .problems import UnusableInput
    from .render import dumps, print_problems

    c = _console()
    if framework and from_:
        _console(stderr=True).print("[red]--framework 与 --from 只能选一个[/]")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        if output.exists() and not force:
            c.print(f"[red]“{output}”已存在。[/]加 --force 覆盖（会先备份原文件），或用 -o 指定其他文件名。")
            raise typer.Exit(EXIT_UNUSABLE)
        ensure_writable(output)
        if from_ is not None:
            from .model import load
            from .template import new_workbook, rows_from_system, survey_sets_of
            from .validate import validate

            _imports_done()
            checked = validate(load(from_, system=True), system=True)
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
            from .builtin import framework as find, framework_workbook, frameworks

            meta = find(framework)
            if meta is None:
                names_ = "、".join(f"{m['title']}（{'/'.join([m['id'], *m.get('aliases', [])])}）"
                                   for m in frameworks().values())
                _console(stderr=True).print(f"[red]没有名为“{framework}”的内置框架。[/]可选：{names_}")
                raise typer.Exit(EXIT_UNUSABLE)
            wb = framework_workbook(meta)
            what = f"按内置框架“{meta['title']}”"
        else:
            from .template import new_workbook

            wb = new_workbook(blank_rows=rows)
            what = "空白"
        if output.exists():
            c.print(f"原文件已备份为 {backup(output).name}")
        atomic_save(wb, output)
    except UnusableInput as e:
        _unusable(e, as_json)
    if as_json:
        print(dumps({"output": str(output), "problems": []}))
    else:
        c.print(f"[green]✓[/] 已生成{what}模板：{output}")


@app.command("validate")
def validate_cmd(
    file: Path = typer.Argument(..., help="要校验的工作簿（.xlsx/.xlsm）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出（供程序读取）"),
) -> None:
    """只校验，不写文件：列出每个问题所在的工作表和单元格。"""
    from .problems import UnusableInput, worst_exit_code
    from .render import dumps, print_problems, result_dict
    from .score import run

    _imports_done()
    try:
        result = run(file)
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
) -> None:
    """校验并计分，把结果写回工作簿（规则得分、得分、得分率、评分过程、得分汇总、校验结果）。"""
    from .problems import UnusableInput, worst_exit_code
    from .render import dumps, print_problems, print_result, result_dict
    from .score import run
    from .write import write_back

    _imports_done()
    if in_place and output is not None:
        _console(stderr=True).print("[red]--in-place 与 -o 不能同时使用[/]")
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        result = run(file)
        report = None if no_write else write_back(result, file, output, in_place=in_place)
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
    from .builtin import build_all

    for path in build_all(outdir):
        print(path)


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
