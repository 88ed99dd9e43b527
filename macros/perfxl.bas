Attribute VB_Name = "perfxl"
' perfxl VBA module (encoding: GBK / code page 936, CRLF) - buttons for validate / score / consolidate
' Each button runs perfxl.excel.<entry>() through xlwings' RunPython (add-in or standalone module).
'
' perfxl —— 财政支出绩效评价：在 Excel 里一键 校验 / 评分 / 汇总
'
' 本文件为 GBK 编码，中文 Windows 版 Excel 的 VBA 编辑器可直接导入。导入步骤：
'   1. 命令行安装：pip install perfxl        （会一并安装 xlwings）
'   2. 安装 xlwings 加载项：xlwings addin install，然后重新打开 Excel；
'      或者用“独立模式”：不装加载项，把 xlwings 的 VBA 模块导入本工作簿（见 README）。
'   3. 把评分工作簿另存为“Excel 启用宏的工作簿 (*.xlsm)”。
'   4. 按 Alt+F11 打开 VBA 编辑器 → 文件 → 导入文件… → 选择本文件 perfxl.bas。
'   5. 回到工作表：开发工具 → 插入 → 表单控件“按钮”，指定宏 PerfxlValidate（校验）、
'      PerfxlScore（评分）或 PerfxlConsolidate（汇总），把按钮文字改成“校验”“评分”“汇总”。
'   也可以直接用 perfxl template --xlsm 生成已带按钮和本模块的工作簿。
'
' 每个按钮调用 xlwings 的 RunPython，由 Python 端 perfxl.excel 读取本工作簿、写回结果；
' 工作簿不会被自动保存，结果满意后请自行保存。
' 过程名使用英文（VBA 对中文过程名支持不稳定），按钮上显示中文。

Option Explicit

' 校验：只检查填写内容，把问题写到“校验结果”页，不计分
Public Sub PerfxlValidate()
    PerfxlRun "validate"
End Sub

' 评分：校验、计分，把得分、得分汇总和评价偏差写回本工作簿
Public Sub PerfxlScore()
    PerfxlRun "score"
End Sub

' 汇总：把多份评分工作簿的结果汇总到本工作簿
Public Sub PerfxlConsolidate()
    PerfxlRun "consolidate"
End Sub

' 先找本工作簿自带的 xlwings 模块（独立模式），再找 xlwings 加载项；都没有时提示如何安装。
' 用 Application.Run 按名字调用，不需要在“工具 → 引用”里勾选 xlwings。
Private Sub PerfxlRun(ByVal entry As String)
    Dim pythonCode As String
    pythonCode = "import perfxl.excel; perfxl.excel." & entry & "()"

    On Error GoTo NoStandalone
    Application.Run "'" & Replace(ThisWorkbook.Name, "'", "''") & "'!RunPython", pythonCode
    Exit Sub
NoStandalone:
    Resume TryAddin
TryAddin:
    On Error GoTo NoAddin
    Application.Run "'xlwings.xlam'!RunPython", pythonCode
    Exit Sub
NoAddin:
    Dim message As String
    message = "没有找到 xlwings，无法运行 perfxl。" & vbLf & vbLf
    message = message & "1. 在命令行运行：pip install perfxl" & vbLf
    message = message & "2. 再运行：xlwings addin install" & vbLf
    message = message & "3. 重新打开 Excel 和本工作簿，再点按钮。"
    MsgBox message, vbExclamation, "perfxl"
End Sub
