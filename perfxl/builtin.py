"""Built-in data (examples shipped as CSV + TOML) and the one command that regenerates
every committed workbook in ``workbook_templates/``."""
from __future__ import annotations

import csv
import re
import tomllib
from importlib import resources
from pathlib import Path

from . import layout as L

DATA = resources.files("perfxl") / "data"
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+(?:\.\d+)?%$")


def typed_cell(text: str):
    """CSV text -> what a person would have typed into Excel (numbers as numbers)."""
    if text is None or text == "":
        return None, None
    if _PLAIN_NUMBER.match(text):
        v = float(text)
        return (int(v) if v.is_integer() else v), None
    if _PERCENT.match(text):
        digits = text[:-1].split(".")[1] if "." in text else ""
        return float(text[:-1]) / 100, "0." + "0" * len(digits) + "%" if digits else "0%"
    return text, None


def read_rows(csv_path) -> list[dict]:
    """Indicator rows keyed by column key, from a CSV whose header uses the sheet's headers."""
    lookup = L.header_lookup()
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [lookup.get(L.normalize(h)) for h in next(reader)]
        rows = []
        for rec in reader:
            row, formats = {}, {}
            for key, text in zip(header, rec):
                if key is None:
                    continue
                value, fmt = typed_cell(text) if key not in ("params", "target", "criterion", "note", "name",
                                                               "level1", "level2", "source") else (text or None, None)
                row[key] = value
                if fmt:
                    formats[key] = fmt
            row["_formats"] = formats
            rows.append(row)
    return rows


def examples() -> list[dict]:
    out = []
    for spec in sorted((DATA / "examples").iterdir(), key=lambda p: p.name):
        if spec.name.endswith(".toml"):
            meta = tomllib.loads(spec.read_text(encoding="utf-8"))
            meta["rows"] = read_rows(DATA / "examples" / spec.name.replace(".toml", ".csv"))
            out.append(meta)
    return out


TEMPLATE_NAME = "评分模板.xlsx"


def build_all(outdir: str | Path) -> list[Path]:
    """Regenerate the blank template and every example workbook under ``outdir``."""
    from .files import atomic_save
    from .template import new_workbook

    outdir = Path(outdir)
    written = []
    target = outdir / TEMPLATE_NAME
    atomic_save(new_workbook(), target)
    written.append(target)
    for ex in examples():
        target = outdir / "examples" / ex["output"]
        atomic_save(new_workbook(rows=ex["rows"], info=ex.get("info", {}), basic=ex.get("basic"),
                                 survey=ex.get("survey"), blank_rows=0), target)
        written.append(target)
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
