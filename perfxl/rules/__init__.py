"""Rule kinds (计分方法): a registry with one small function set per kind."""
from . import kinds as _kinds  # noqa: F401  (registers the built-in kinds)
from .registry import KINDS, Outcome, RuleError, RuleKind, Scores, evaluate_rows, lookup, names, register

__all__ = ["KINDS", "Outcome", "RuleError", "RuleKind", "Scores", "evaluate_rows", "lookup", "names", "register"]
