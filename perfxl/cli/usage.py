"""The command line's own words in Chinese: click's usage errors become catalogue messages, and the
help screen shows Chinese metavars, flags as flags and help text that wraps instead of being cut."""
from __future__ import annotations

import difflib
import re
from typing import Any

from perfxl.check.problems import Problem, problem
from perfxl.model.layout import CLI_PANELS

#: what a parameter's value is, for the help screen (by the name typer gives the type)
_TYPE_LABELS = {"path": "路径", "str": "文字", "int": "整数", "float": "数字", "Path": "路径"}
#: pydantic error types of typer's value coercion -> what the value should be
_VALUE_ERRORS = {"int_parsing": "应为整数", "int_from_float": "应为整数", "float_parsing": "应为数字",
                 "bool_parsing": "应为 是/否", "finite_number": "应为有限的数字"}
_BOUNDS = {"greater_than_equal": ("ge", "不能小于 {}"), "less_than_equal": ("le", "不能大于 {}"),
           "greater_than": ("gt", "应大于 {}"), "less_than": ("lt", "应小于 {}")}


def _options(command) -> list[str]:
    return [o for p in getattr(command, "params", ()) if getattr(p, "param_type_name", "") == "option"
            for o in p.opts if o.startswith("--")] + ["--help"]


def _usage(ctx) -> str:
    """'perfxl score [选项] 文件' for the command of ``ctx``."""
    args = [p for p in ctx.command.params if getattr(p, "param_type_name", "") == "argument"]
    names = [(p.metavar or p.name) + ("..." if p.nargs != 1 else "") for p in args]
    return " ".join([ctx.command_path, f"[{CLI_PANELS['options']}]", *names])


def _short_help(param) -> str:
    text = (getattr(param, "help", None) or "").strip()
    return re.split(r"[（(：:；;，,]", text, maxsplit=1)[0]


def _option_name(param) -> str:
    return "/".join(param.opts) if getattr(param, "opts", None) else (param.metavar or param.name or "")


def usage_problem(exc: Exception, args: list[str], commands: list[str]) -> Problem:
    """A click usage error as a catalogue problem (Chinese, with how to fix it)."""
    from typer._click import exceptions as x

    ctx = getattr(exc, "ctx", None)
    helper = f"{ctx.command_path} --help" if ctx is not None else "perfxl --help"
    if isinstance(exc, x.MissingParameter) and exc.param is not None and ctx is not None:
        p = exc.param
        kind = CLI_PANELS["arguments"] if p.param_type_name == "argument" else CLI_PANELS["options"]
        name = p.metavar or p.name if p.param_type_name == "argument" else _option_name(p)
        hint = _short_help(p)
        return problem("usage_missing", what=f"{kind}“{name}”" + (f"（{hint}）" if hint else ""),
                       usage=_usage(ctx), help=helper)
    if isinstance(exc, x.NoSuchOption):
        options = _options(ctx.command) if ctx is not None else []
        close = difflib.get_close_matches(exc.option_name, options, n=1) or list(exc.possibilities or ())[:1]
        return problem("usage_no_such_option", value=exc.option_name,
                       suggest=f"，是不是要用“{close[0]}”？" if close else "", choices="、".join(options), help=helper)
    if isinstance(exc, x.BadOptionUsage):
        option = exc.option_name
        if "requires" in exc.message:
            return problem("usage_needs_value", option=option, example=f"{option} 值", help=helper)
        return problem("usage_bad_value", option=f"{CLI_PANELS['options']} {option}", value="",
                       detail="这个选项是开关，后面不带值", help=helper)
    if isinstance(exc, x.BadParameter) and exc.param is not None:
        value, detail = _bad_value(exc, args)
        what = (f"{CLI_PANELS['arguments']}“{exc.param.metavar or exc.param.name}”"
                if exc.param.param_type_name == "argument" else f"{CLI_PANELS['options']} {_option_name(exc.param)}")
        return problem("usage_bad_value", option=what, value=value, detail=detail, help=helper)
    message = getattr(exc, "message", str(exc))
    m = re.match(r"No such command '([^']*)'", message)
    if m:
        close = difflib.get_close_matches(m.group(1), commands, n=1)
        return problem("usage_no_such_command", value=m.group(1),
                       suggest=f"，是不是要用“{close[0]}”？" if close else "", choices="、".join(commands))
    m = re.match(r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", message)
    if m:
        return problem("usage_extra_argument", value=m.group(1), help=helper)
    if message.startswith("Missing command"):
        return problem("usage_missing", what=CLI_PANELS["commands"], usage="perfxl 命令 [选项] ...",
                       help="perfxl --help（可用的命令：" + "、".join(commands) + "）")
    return problem("usage_error", detail=message)


def _bad_value(exc, args: list[str]) -> tuple[str, str]:
    """(the value typed, what it should be) of a bad option value, from typer's coercion error."""
    cause: Any = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if errors:
        e = errors[0]
        value = e.get("input", "")
        if e.get("type") in _BOUNDS:
            key, text = _BOUNDS[e["type"]]
            return str(value), text.format((e.get("ctx") or {}).get(key, ""))
        return str(value), _VALUE_ERRORS.get(e.get("type"), "格式不对")
    opts = getattr(exc.param, "opts", ())
    for i, a in enumerate(args):
        if a in opts and i + 1 < len(args):
            return args[i + 1], "格式不对"
    return "", "格式不对"


# --- the help screen ---------------------------------------------------------------------------

#: a space between a Chinese character and a Latin word: rich breaks lines only at spaces, so such a
#: space would end a line early and leave the Chinese run to be cut; without it the text folds evenly
_CJK_SPACE = re.compile(r"(?<=[\u2e80-\uffff]) (?=[!-~])|(?<=[!-~]) (?=[\u2e80-\uffff])")


def _fold(text):
    """A help Text that wraps at the column's width instead of being cut with "…" (perfxl's help has
    no markup: the text is rebuilt and highlighted again)."""
    from rich.text import Text
    from typer import rich_utils as ru

    out = Text(_CJK_SPACE.sub("", text.plain), style=text.style, overflow="fold")
    return ru.highlighter(out)

def chinese_help() -> None:
    """Panel titles, metavars, defaults and the usage line of the help screen in Chinese; flags shown
    without a type; option help wrapped rather than cut (imported only when help is shown: it is slow)."""
    from typer import core as tc
    from typer import rich_utils as ru

    from perfxl.model.layout import CLI_PANELS

    ru.OPTIONS_PANEL_TITLE, ru.ARGUMENTS_PANEL_TITLE, ru.COMMANDS_PANEL_TITLE = (
        CLI_PANELS["options"], CLI_PANELS["arguments"], CLI_PANELS["commands"])
    ru.DEFAULT_STRING, ru.REQUIRED_LONG_STRING, ru.ENVVAR_STRING = "[默认：{}]", "[必填]", "[环境变量：{}]"
    if getattr(tc, "_perfxl_zh", False):
        return
    tc._perfxl_zh = True
    try:  # typer's own help option, usage line, types and help column: translated in place
        from typer._click import core as cc
        from typer._click import formatting as cf

        get_help_option, write_usage = cc.Command.get_help_option, cf.HelpFormatter.write_usage

        def help_option(self, ctx):
            opt = get_help_option(self, ctx)
            if opt is not None:
                opt.help = "显示本帮助后退出"
            return opt

        def usage(self, prog, args="", prefix=None):
            return write_usage(self, prog, args, "用法：" if prefix is None else prefix)

        def display_type(self, ctx):
            if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False) or \
                    self.type_descriptor.annotation is bool:
                return None                                   # a flag: no value to show
            if self.metavar is not None:
                return self.metavar
            label = self.display_type(ctx).strip("<>").split(" ")[0]      # "int range": an int
            many = re.fullmatch(r"list\[(\w+)\]", label)
            label = _TYPE_LABELS.get(many.group(1) if many else label, "值")
            return f"<{label}>" + ("..." if many or self.nargs != 1 else "")

        def usage_name(self):
            name = self.display_name_raw
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        def number_range(self):
            lo, hi = self.min, self.max
            if lo is not None and hi is not None:
                return f"{lo}～{hi}"
            return f"≥{lo}" if lo is not None else f"≤{hi}" if hi is not None else None

        parameter_help, command_help = ru._get_parameter_help, ru._make_command_help

        def wrapped_help(**kw):
            """One Text per parameter, folded at the column's width (rich cuts a cell with "…")."""
            from rich.text import Text

            out = parameter_help(**kw)
            items = getattr(out, "renderables", None)
            if items is None or not all(isinstance(i, Text) for i in items):
                return out
            return _fold(Text(" ").join(items))

        def wrapped_command_help(**kw):
            out = command_help(**kw)
            return _fold(out) if hasattr(out, "overflow") else out

        cc.Command.get_help_option, cf.HelpFormatter.write_usage = help_option, usage
        tc.TyperOption.display_type_rich = display_type
        tc.TyperArgument.display_type_rich = lambda self, ctx: None      # its name column says it
        tc.TyperArgument._usage_display_name = usage_name
        tc.TyperOption._get_number_range_help_str = number_range
        tc.TyperArgument._get_number_range_help_str = number_range
        ru._get_parameter_help, ru._make_command_help = wrapped_help, wrapped_command_help
    except (ImportError, AttributeError):
        pass                       # another typer: its help stays English, nothing breaks
