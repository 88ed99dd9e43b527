"""Regenerate every committed workbook under workbook_templates/ from perfxl/data, and the
fingerprint the staleness test compares (independent of zip timestamps).

    python -m devtools.build_templates [outdir]
"""
from __future__ import annotations

import sys
from pathlib import Path

from perfxl.model import layout as L
from perfxl.model.frameworks import examples, frameworks

TEMPLATE_NAME = "评分模板.xlsx"
SYSTEM_DIR = "指标体系"


def build_all(outdir: str | Path) -> list[Path]:
    """Regenerate every committed workbook under ``outdir``: the blank template, one template and one
    indicator list per framework, and every example."""
    from perfxl.io.files import atomic_save
    from perfxl.sheets.template import framework_workbook, new_workbook, system_workbook

    outdir = Path(outdir)
    written = []

    def save(wb, target: Path) -> None:
        atomic_save(wb, target)
        written.append(target)

    save(new_workbook(), outdir / TEMPLATE_NAME)
    for meta in frameworks().values():
        save(framework_workbook(meta), outdir / meta["template"])
        save(system_workbook(meta["rows"], meta["title"]), outdir / SYSTEM_DIR / meta["system"])
    from perfxl.report.template import write_report_template

    target = outdir / L.REPORT_TEMPLATE_NAME
    write_report_template(target)
    written.append(target)
    for ex in examples().values():
        save(new_workbook(rows=ex["rows"], info=ex.get("info", {}), basic=ex.get("basic"),
                          survey=ex.get("survey_spec"), blank_rows=0),
             outdir / "examples" / ex["output"])
    return written


def fingerprint(path: str | Path) -> dict:
    """What a workbook says, independent of zip timestamps: for the staleness test."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": [[c.value for c in row] for row in ws.iter_rows()],
            "formats": sorted({(c.coordinate, c.number_format) for row in ws.iter_rows() for c in row
                               if c.value is not None}),
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "protected": ws.protection.sheet,
            "state": ws.sheet_state,
        }
    return out


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "workbook_templates"
    for written in build_all(folder):
        print(written)
