"""The 汇总 button: an administrator's summary workbook consolidates a folder of evaluation
workbooks into itself (the same perfxl.consolidate as the command line; tables drawn on the
open workbook through the Canvas, nothing saved). Its 汇总设置 sheet names the folder and the
options; ``perfxl template --summary`` makes such a workbook with the button."""
from __future__ import annotations

from pathlib import Path

from perfxl.check.problems import problem
from perfxl.model import layout as L


def _settings(book) -> dict:
    from perfxl.model.values import parse_quantity

    out = {"folder": None, "panel": "mean", "outlier": L.PANEL_OUTLIER_SHARE, "strict": False}
    if L.SHEET_CONS_SETUP not in [s.name for s in book.sheets]:
        return out
    rows = book.sheets[L.SHEET_CONS_SETUP].range("A1:B20").value or []
    labels = {label: key for key, label, _ in L.CONS_SETUP_FIELDS}
    methods = {v: k for k, v in L.PANEL_METHODS.items()}
    for label, value in rows:
        key = labels.get(str(label).strip()) if label else None
        if key is None or value in (None, ""):
            continue
        if key == "folder":
            out["folder"] = str(value).strip()
        elif key == "panel":
            out["panel"] = methods.get(str(value).strip(), str(value).strip())
        elif key == "outlier":
            try:
                out["outlier"] = parse_quantity(value, percent=True).value
            except ValueError:
                pass
        elif key == "strict":
            out["strict"] = str(value).strip() in ("不纳入", "否", "严格")
    return out


def consolidate_into(book):
    """Consolidate the configured folder and draw the tables into ``book``; returns the
    Consolidation (None when nothing could be done; the user sees why in a message box)."""
    from perfxl.api import consolidate
    from perfxl.batch.tables import header
    from perfxl.excel.ui import FAILED, _alert, _path, guarded
    from perfxl.sheets.canvas import XlwingsCanvas

    here = _path(book)
    cfg = guarded(book, lambda: _settings(book), "无法汇总")     # Excel may refuse even this read
    if cfg is FAILED:
        return None
    folder = Path(cfg["folder"]) if cfg["folder"] else here.parent
    if not folder.is_absolute():
        if not here.is_absolute():    # not saved yet (工作簿1), or on OneDrive (a URL): no folder of its own
            p = problem("excel_consolidate_unsaved", file=str(here), sheet=L.SHEET_CONS_SETUP, path=here.name)
            _alert(book, f"{p.message}\n{p.fix}", error=True)
            return None
        folder = here.parent / folder
    if not folder.is_dir():
        p = problem("excel_consolidate_folder", file=str(here), sheet=L.SHEET_CONS_SETUP, path=str(folder))
        _alert(book, f"{p.message}\n{p.fix}", error=True)
        return None
    cons = guarded(book, lambda: consolidate([folder], panel=cfg["panel"], outlier_share=cfg["outlier"],
                                             strict=cfg["strict"], exclude=[here]), "无法汇总")
    if cons is FAILED:
        return None
    cv = XlwingsCanvas(book)
    # a step of its own: a password-protected sheet (or Excel refusing) stops before anything is written
    if guarded(book, lambda: cv.unlock([L.SHEET_CONS_SUMMARY, L.SHEET_CONS_DETAIL, L.SHEET_CONS_ANALYSIS,
                                        L.SHEET_CONS_PANEL, L.SHEET_CONS_REJECTED]), "无法写入汇总结果") is FAILED:
        return None

    def draw() -> None:
        after = L.SHEET_CONS_SETUP if L.SHEET_CONS_SETUP in cv.names() else cv.names()[-1]
        for name, frame in ((L.SHEET_CONS_SUMMARY, cons.summary), (L.SHEET_CONS_DETAIL, cons.detail),
                            (L.SHEET_CONS_ANALYSIS, cons.analysis), (L.SHEET_CONS_PANEL, cons.panel),
                            (L.SHEET_CONS_REJECTED, cons.rejected)):
            cv.new_sheet(name, after)
            cv.write(name, 1, 1, [[header(k) for k in frame.columns]], style="header")
            rows = [[_plain(v) for v in row] for row in frame.itertuples(index=False)]
            cv.write(name, 2, 1, rows)
            cv.finish(name, freeze="A2")
            after = name
        cv.close()

    if guarded(book, draw, "无法写入汇总结果", touched=True, after=cv.close) is FAILED:
        return None
    _alert(book, f"共找到 {cons.found} 个文件：纳入 {cons.included} 个，未纳入 {cons.not_included} 个。\n"
                 f"{len(cons.summary)} 个单位（年度）已写入“{L.SHEET_CONS_SUMMARY}”等工作表（尚未保存）。\n"
                 "图表请用命令行 perfxl consolidate 生成的汇总工作簿查看。",
           error=bool(cons.not_included))
    return cons


def _plain(v):
    import math

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item"):           # numpy scalars
        return v.item()
    return v
