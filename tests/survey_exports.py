"""Questionnaire exports laid out as 问卷星 and 腾讯问卷 write them, built from known answer counts
(the hand count every import must reproduce).

One questionnaire of 50 respondents: two single-choice questions (one named with 、 and （）), a
multiple-choice question, a three-row matrix, an overall question two respondents skipped, and an
open question. Layouts:

- ``wjx_text_xlsx``   问卷星 "按选项文本下载" .xlsx: 序号, 提交答卷时间, 所用时间 ("125秒"), 来源,
  来源详情, 来自IP ("112.65.3.1(上海-上海)"); "1、…？" headers; multiple choice in one column
  joined with ┋; matrix rows "4(服务环境)"; "(跳过)"; 总分 at the end.
- ``wjx_fill_in_xlsx`` the text export of a questionnaire whose options take a fill-in: 问卷星 writes
  the answer "选项〖填空内容〗" — every answer of 题1 (50 distinct, more than a choice question's
  20) and the 一般 answers of 题2 (one text).
- ``wjx_number_xls``  问卷星 "按选项序号下载" as Excel 97-2003 .xls (written by LibreOffice):
  option numbers (1 = first option), multiple choice one 0/1 column per option "第3题(网站)",
  matrix rows "第4题(服务环境)", skipped as -3.
- ``wjx_text_csv``    the text export as CSV in GBK with CRLF line ends.
- ``tencent_csv``     腾讯问卷 CSV, UTF-8 with BOM, every field quoted, a trailing comma on every
  line, dates like "02-Feb-2024 20:26:58", "1.…" headers, multiple choice one column per option
  "3.…？:网站" holding the option text, a fill-in "3.…？:其他_填空1", matrix "4.…:服务环境".
- ``tencent_xlsx``    the same as .xlsx with 用户类型/用户标识/昵称 columns.
- ``q_dot_csv``       another platform: "Q1." headers, 答卷编号 and 提交时间, UTF-8 without BOM.
"""
from __future__ import annotations

import csv
import io
import random
from pathlib import Path

OPTIONS = ["非常满意", "满意", "一般", "不满意", "非常不满意"]
WEIGHTS = {"非常满意": 1.0, "满意": 0.8, "一般": 0.6, "不满意": 0.3, "非常不满意": 0.0}   # the template's
N = 50
Q1 = "您对本单位的服务态度是否满意？"
Q2 = "您对办事效率、服务质量（含窗口服务）是否满意？"
Q3 = "您通过哪些渠道了解本单位？"
Q4 = "请对以下方面进行评价"
Q5 = "您对本单位工作的总体满意度"
Q6 = "您对本单位还有哪些意见和建议？"
CHANNELS = ["网站", "微信公众号", "宣传栏", "其他"]
ROWS = ["服务环境", "服务流程", "信息公开"]
#: the hand count: answers per option (skipped answers are not counted)
COUNTS = {
    "Q1": {"非常满意": 30, "满意": 12, "一般": 5, "不满意": 2, "非常不满意": 1},
    "Q2": {"非常满意": 25, "满意": 15, "一般": 6, "不满意": 3, "非常不满意": 1},
    "服务环境": {"非常满意": 28, "满意": 14, "一般": 5, "不满意": 2, "非常不满意": 1},
    "服务流程": {"非常满意": 26, "满意": 16, "一般": 4, "不满意": 3, "非常不满意": 1},
    "信息公开": {"非常满意": 31, "满意": 10, "一般": 6, "不满意": 2, "非常不满意": 1},
    "Q5": {"非常满意": 33, "满意": 10, "一般": 4, "不满意": 1, "非常不满意": 0},
}
SKIPPED_Q5 = N - sum(COUNTS["Q5"].values())          # 2 respondents skipped the overall question


def answers(seed: int = 11) -> dict[str, list]:
    """Per question, one answer per respondent (None: skipped) laid out so the counts are COUNTS."""
    rnd = random.Random(seed)
    out = {}
    for q, c in COUNTS.items():
        col = [o for o, k in c.items() for _ in range(k)]
        col += [None] * (N - len(col))
        rnd.shuffle(col)
        out[q] = col
    out["Q3"] = [[ch for ch in CHANNELS if rnd.random() < 0.4] or ["网站"] for _ in range(N)]
    wishes = ["简化流程", "延长服务时间", "加强宣传", "改善环境"]
    out["Q6"] = [f"建议{i + 1}：希望进一步{rnd.choice(wishes)}" if i % 3 else None for i in range(N)]
    return out


def hand_rate(questions: list[str]) -> tuple[float, float, int]:
    """得分率 and 满意率 pooled over the answers of these questions, by plain arithmetic."""
    n = sum(sum(COUNTS[q].values()) for q in questions)
    score = sum(WEIGHTS[o] * k for q in questions for o, k in COUNTS[q].items())
    happy = sum(k for q in questions for o, k in COUNTS[q].items() if o in ("非常满意", "满意"))
    return score / n, happy / n, n


def _num(option):
    return None if option is None else OPTIONS.index(option) + 1


# --- 问卷星 --------------------------------------------------------------------------------------

def _wjx_meta(i: int, rnd: random.Random) -> list:
    return [i + 1, f"2024/5/{12 + i % 9} {9 + i % 8}:{i % 60:02d}:{(i * 7) % 60:02d}", f"{60 + rnd.randrange(300)}秒",
            rnd.choice(["手机提交", "微信", "链接"]), rnd.choice(["直接访问", "N/A"]),
            f"112.65.{i % 255}.{(i * 3) % 255}(上海-上海)"]


def wjx_text_rows() -> list[list]:
    a, rnd = answers(), random.Random(5)
    head = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", f"1、{Q1}", f"2、{Q2}", f"3、{Q3}",
            *(f"4({r})" for r in ROWS), f"5、{Q5}", f"6、{Q6}", "总分"]
    rows = [head]
    for i in range(N):
        rows.append([*_wjx_meta(i, rnd), a["Q1"][i], a["Q2"][i], "┋".join(a["Q3"][i]), *(a[r][i] for r in ROWS),
                     a["Q5"][i] or "(跳过)", a["Q6"][i] or "(空)", 0])
    return rows


def wjx_fill_in_rows() -> list[list]:
    rows = wjx_text_rows()
    q1, q2 = rows[0].index(f"1、{Q1}"), rows[0].index(f"2、{Q2}")
    for i, row in enumerate(rows[1:]):
        row[q1] = f"{row[q1]}〖意见{i + 1}〗"
        if row[q2] == "一般":
            row[q2] = "一般〖窗口人少〗"
    return rows


def wjx_number_rows() -> list[list]:
    a, rnd = answers(), random.Random(5)
    head = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", f"1、{Q1}", f"2、{Q2}",
            *(f"第3题({c})" for c in CHANNELS), *(f"第4题({r})" for r in ROWS), f"5、{Q5}", f"6、{Q6}"]
    rows = [head]
    for i in range(N):
        rows.append([*_wjx_meta(i, rnd), _num(a["Q1"][i]), _num(a["Q2"][i]),
                     *(int(c in a["Q3"][i]) for c in CHANNELS), *(_num(a[r][i]) for r in ROWS),
                     _num(a["Q5"][i]) or -3, a["Q6"][i] or "(空)"])
    return rows


def wjx_text_xlsx(path: Path) -> Path:
    _xlsx(path, wjx_text_rows(), "Sheet1")
    return path


def wjx_fill_in_xlsx(path: Path) -> Path:
    _xlsx(path, wjx_fill_in_rows(), "Sheet1")
    return path


def wjx_text_csv(path: Path) -> Path:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\r\n").writerows(wjx_text_rows())
    path.write_bytes(buf.getvalue().encode("gbk"))
    return path


def wjx_number_xls(path: Path, soffice) -> Path:
    """Excel 97-2003 binary, as LibreOffice writes it from the same cells."""
    src = path.with_suffix(".xlsx")
    _xlsx(src, wjx_number_rows(), "Sheet1")
    out = path.parent / "xls-out"
    soffice.convert(src, "xls", out)
    (out / (src.stem + ".xls")).replace(path)
    src.unlink()
    return path


# --- 腾讯问卷 ------------------------------------------------------------------------------------

def tencent_rows(with_user: bool) -> list[list]:
    a, rnd = answers(), random.Random(9)
    months = ["Jan", "Feb", "Mar"]
    user = ["用户类型", "用户标识", "昵称"] if with_user else []
    head = ["编号", *user, "开始答题时间", "结束答题时间", "答题时长", "地理位置国家和地区", "地理位置省", "地理位置市",
            "自定义字段", f"1.{Q1}", f"2.{Q2}", *(f"3.{Q3}:{c}" for c in CHANNELS), f"3.{Q3}:其他_填空1",
            *(f"4.{Q4}:{r}" for r in ROWS), f"5.{Q5}", f"6.{Q6}"]
    rows = [head]
    for i in range(N):
        day, secs = f"{2 + i % 25:02d}-{months[i % 3]}-2024", 40 + rnd.randrange(400)
        meta = [i + 1, *(["微信用户", f"o{i:08x}", f"用户{i}"] if with_user else []),
                f"{day} 20:{i % 60:02d}:10", f"{day} 20:{(i + 3) % 60:02d}:{secs % 60:02d}", secs,
                "中国", "江西", "南昌", ""]
        rows.append([*meta, a["Q1"][i], a["Q2"][i], *(c if c in a["Q3"][i] else "" for c in CHANNELS),
                     "社区活动" if "其他" in a["Q3"][i] else "", *(a[r][i] for r in ROWS), a["Q5"][i] or "",
                     a["Q6"][i] or ""])
    return rows


def tencent_csv(path: Path) -> Path:
    """Every field quoted, a trailing comma on every line, UTF-8 with BOM."""
    lines = [",".join('"' + str("" if v is None else v).replace('"', '""') + '"' for v in row) + ","
             for row in tencent_rows(False)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))
    return path


def tencent_xlsx(path: Path) -> Path:
    _xlsx(path, [[None if v == "" else v for v in row] for row in tencent_rows(True)], "Sheet1")
    return path


# --- another platform --------------------------------------------------------------------------

def q_dot_csv(path: Path) -> Path:
    a = answers()
    head = ["答卷编号", "提交时间", f"Q1.{Q1}", f"Q2.{Q2}", f"Q3.{Q3}", *(f"Q4.{Q4}:{r}" for r in ROWS), f"Q5.{Q5}",
            f"Q6.{Q6}"]
    rows = [head] + [[f"R{i + 1:04d}", f"2024-05-{1 + i % 28:02d} 10:00:00", a["Q1"][i], a["Q2"][i],
                      "┋".join(a["Q3"][i]), *(a[r][i] for r in ROWS), a["Q5"][i], a["Q6"][i]] for i in range(N)]
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([["" if v is None else v for v in r] for r in rows])
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


def _xlsx(path: Path, rows: list[list], sheet: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)


LAYOUTS = {
    "wjx_text_xlsx": ("wjx", "问卷星_按文本.xlsx", wjx_text_xlsx),
    "wjx_fill_in_xlsx": ("wjx", "问卷星_选项填空.xlsx", wjx_fill_in_xlsx),
    "wjx_number_xls": ("wjx", "问卷星_按序号.xls", wjx_number_xls),
    "wjx_text_csv": ("wjx", "问卷星_按文本.csv", wjx_text_csv),
    "tencent_csv": ("tencent", "腾讯问卷.csv", tencent_csv),
    "tencent_xlsx": ("tencent", "腾讯问卷.xlsx", tencent_xlsx),
    "q_dot_csv": ("generic", "其他平台.csv", q_dot_csv),
}
