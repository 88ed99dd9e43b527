"""The README's picture of the summary workbook's charts: 30 fictitious units made from the public
example (each with a few indicators judged differently), consolidated, the 图表 sheet printed by
LibreOffice, its first page as one small PNG.

    python devtools/summary_image.py [OUT.png]       # default: docs/summary-charts.png

Needs LibreOffice (soffice), poppler (pdftotext, pdftoppm) and Pillow.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_OUT = ROOT / "docs" / "summary-charts.png"
UNITS = 30
DPI = 70


def units(folder: Path) -> list[Path]:
    """UNITS workbooks of the public example under fictitious names, three judgements varied per unit."""
    from perfxl.io.files import atomic_save
    from perfxl.model.frameworks import examples
    from perfxl.sheets.template import new_workbook

    ex = examples()["qingyunpu_2022"]
    out = []
    for i in range(UNITS):
        rows = [dict(r) for r in ex["rows"]]
        for k, row in enumerate(r for r in rows if r.get("weight")):
            if (i + k) % 9 == 0:
                share = 0.4 + ((i * 37 + k * 11) % 60) / 100
                row["evaluator_score"] = round(row["weight"] * share, 2)
                row["note"] = "虚构示例：评价人酌情判定"
        info = {**ex["info"], "unit": f"示例单位{i + 1:02d}（虚构）"}
        path = folder / f"单位{i + 1:02d}.xlsx"
        atomic_save(new_workbook(rows=rows, info=info, basic=ex.get("basic"), survey=ex.get("survey_spec"),
                                 blank_rows=0), path)
        out.append(path)
    return out


def main(out: Path = DEFAULT_OUT) -> Path:
    from PIL import Image

    from perfxl import api
    from perfxl.model import layout as L

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "收回").mkdir()
        units(tmp / "收回")
        summary = tmp / "汇总.xlsx"
        api.consolidate(tmp / "收回", output=summary, jobs=1)
        exe = shutil.which("soffice") or "soffice"
        subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation={(tmp / 'lo').as_uri()}",
                        "--convert-to", "pdf", "--outdir", str(tmp), str(summary)], check=True, capture_output=True)
        pdf = tmp / "汇总.pdf"
        page = None
        for n in range(1, 200):
            text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                                  text=True).stdout
            if not text:
                break
            if L.CHART_TITLES["totals"] in "".join(text.split()):
                page = n
                break
        if page is None:
            raise SystemExit("the chart page was not found in LibreOffice's PDF")
        subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page), str(pdf),
                        str(tmp / "p")], check=True)
        image = Image.open(next(tmp.glob("p-*.png"))).convert("RGB")
        out.parent.mkdir(parents=True, exist_ok=True)
        image.quantize(colors=64).save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))
