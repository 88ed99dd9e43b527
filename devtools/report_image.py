"""The README's picture of a report: the public example's report rendered by LibreOffice (目录
updated through UNO), two pages side by side — 三、综合评价 with its 一览表 and chart, and the first
page of the landscape 评分表 — as one small PNG.

    python devtools/report_image.py [OUT.png]        # default: docs/report-page.png

Needs LibreOffice with its Python bridge (python3-uno), poppler (pdftoppm) and Pillow.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT / "workbook_templates" / "examples" / "青云谱区总工会2022_部门整体支出绩效评价.xlsx"
DEFAULT_OUT = ROOT / "docs" / "report-page.png"
DPI = 50


def main(out: Path = DEFAULT_OUT) -> Path:
    from PIL import Image

    from devtools.vba import HERE, uno_python
    from perfxl.model import layout as L
    from perfxl.report.document import load_results, write_report

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        docx = write_report(load_results([EXAMPLE]), tmp / "报告.docx").output
        pdf = tmp / "报告.pdf"
        subprocess.run([uno_python() or "python3", str(HERE / "lo_uno.py"), "docx-pdf", str(docx), str(pdf)],
                       check=True, capture_output=True)
        wanted = [L.REPORT_CHAPTERS["conclusion"], L.REPORT_APPENDIX.format(n=1, title="")]
        pages = []
        for n in range(3, 200):
            text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                                  text=True).stdout
            if not text:
                break
            flat = "".join(text.split())
            if wanted and "".join(wanted[0].split()) in flat:
                pages.append(n)
                wanted.pop(0)
        images = []
        for n in pages:
            subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", str(n), "-l", str(n), str(pdf),
                            str(tmp / f"p{n}")], check=True)
            images.append(Image.open(next(tmp.glob(f"p{n}-*.png"))).convert("RGB"))
        gap = 12
        sheet = Image.new("RGB", (sum(i.width for i in images) + gap * (len(images) + 1),
                                  max(i.height for i in images) + 2 * gap), (200, 200, 200))
        x = gap
        for im in images:
            sheet.paste(im, (x, gap))
            x += im.width + gap
        out.parent.mkdir(parents=True, exist_ok=True)
        sheet.quantize(colors=64).save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))
