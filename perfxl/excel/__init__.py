"""Excel entry points (the buttons of macros/perfxl.bas and xlwings Lite): 校验, 评分, 汇总."""
from perfxl.excel.entry import consolidate, score, validate

__all__ = ["consolidate", "score", "validate"]
