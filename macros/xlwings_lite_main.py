# xlwings Lite 脚本：把本文件的内容粘贴到 xlwings Lite 编辑器的 main.py，
# 并在 requirements.txt 中加一行：perfxl
# 之后在 xlwings Lite 任务窗格中点“校验”或“评分”即可，结果直接写入当前工作簿（不自动保存）。
#
# 限制：Lite 在浏览器中运行 Python，工作表保护无法由脚本解除——请先“审阅 → 撤消工作表保护”
# （perfxl 模板的保护没有密码），或用 perfxl template 生成后在 Excel 中取消保护再使用。
import xlwings as xw
from xlwings import script

import perfxl.excel


@script
def 校验(book: xw.Book):
    """检查填写内容，问题写到“校验结果”页并在单元格上标注。"""
    perfxl.excel.validate(book)


@script
def 评分(book: xw.Book):
    """校验、计分，把得分、得分汇总、评价偏差写回本工作簿。"""
    perfxl.excel.score(book)
