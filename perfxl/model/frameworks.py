"""Built-in data: the indicator frameworks and the filled examples shipped as CSV + TOML in
perfxl/data (read here; workbooks are built from them by perfxl.sheets.template)."""
from __future__ import annotations

import csv
import re
import sys
from importlib import resources
from importlib.abc import Traversable
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:                                  # the same parser, before it joined the standard library
    import tomli as tomllib

from perfxl.model import layout as L

DATA = resources.files("perfxl") / "data"
_PLAIN_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+(?:\.\d+)?%$")

#: a framework's or an example's TOML table (title, aliases, survey ...; "rows" added when read)
Meta = dict[str, Any]
#: an indicator row keyed by column key, its values as a person would have typed them
Row = dict[str, Any]


def typed_cell(text: str | None) -> tuple[float | str | None, str | None]:
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


def read_rows(csv_path: Traversable) -> list[Row]:
    """Indicator rows keyed by column key, from a CSV whose header uses the sheet's headers."""
    lookup = L.header_lookup()
    # Traversable.open passes newline= on to the file (importlib.resources docs); typeshed leaves it out
    with csv_path.open(encoding="utf-8-sig", newline="") as fh:  # type: ignore[call-overload]
        reader = csv.reader(fh)
        header = [lookup.get(L.normalize(h)) for h in next(reader)]
        rows: list[Row] = []
        for rec in reader:
            row: Row = {}
            formats: dict[str, str] = {}
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


def _read_meta(folder: str, ident: str) -> Meta:
    meta: Meta = tomllib.loads((DATA / folder / f"{ident}.toml").read_text(encoding="utf-8"))
    meta.setdefault("id", ident)
    return meta


def frameworks() -> dict[str, Meta]:
    """Built-in indicator frameworks by id: meta (title, template file names ...) and rows."""
    out: dict[str, Meta] = {}
    for spec in sorted((DATA / "frameworks").iterdir(), key=lambda p: p.name):
        if spec.name.endswith(".toml"):
            ident = spec.name[:-5]
            meta = _read_meta("frameworks", ident)
            meta["rows"] = read_rows(DATA / "frameworks" / f"{ident}.csv")
            out[ident] = meta
    return out


def framework(name: str) -> Meta | None:
    """A framework by id, title or alias (matched tolerantly)."""
    key = L.normalize(name)
    for meta in frameworks().values():
        if key in {L.normalize(x) for x in (meta["id"], meta["title"], *meta.get("aliases", ()))}:
            return meta
    return None


def survey_spec(meta: Meta) -> dict[str, Any] | None:
    """The new_workbook(survey=...) argument from a framework's or an example's [survey] table."""
    survey = meta.get("survey")
    if not survey:
        return None
    spec: dict[str, Any] = {}
    if "sets" in survey:
        spec["sets"] = [(n, q, g or None) for n, q, g in survey["sets"]]
    if "questions" in survey:
        spec["questions"] = list(survey["questions"])
    counts = survey.get("counts")
    if counts:
        # {group: {question: {option: n}}} -> one row per respondent
        questions = spec.get("questions") or sorted({q for per_q in counts.values() for q in per_q})
        spec["questions"] = questions
        rows, n = [], 0
        for group, per_q in counts.items():
            columns = {q: [opt for opt, k in per_q.get(q, {}).items() for _ in range(k)] for q in questions}
            size = max(len(c) for c in columns.values())
            for i in range(size):
                n += 1
                rows.append([n, group, *(columns[q][i] if i < len(columns[q]) else None for q in questions)])
        spec["responses"] = rows
    return spec


def examples() -> dict[str, Meta]:
    """Filled examples by id. An example CSV either lists every indicator (it has 计分方法), or
    gives per-编号 values laid over its framework's rows."""
    out: dict[str, Meta] = {}
    for spec in sorted((DATA / "examples").iterdir(), key=lambda p: p.name):
        if not spec.name.endswith(".toml"):
            continue
        ident = spec.name[:-5]
        meta = _read_meta("examples", ident)
        rows = read_rows(DATA / "examples" / f"{ident}.csv")
        fw = frameworks().get(meta.get("framework", ""))
        if rows and "method" not in rows[0] and fw:
            over = {str(r["code"]): r for r in rows}
            merged: list[Row] = []
            for base in fw["rows"]:
                row = {**base, "_formats": {**base.get("_formats", {})}}
                extra = over.get(str(base["code"]), {})
                for key, value in extra.items():
                    if key == "_formats":
                        row["_formats"].update(value)
                    elif value is not None and key != "code":
                        row[key] = value
                merged.append(row)
            rows = merged
        meta["rows"] = rows
        survey = {**(fw or {}).get("survey", {}), **meta.get("survey", {})}
        meta["survey_spec"] = survey_spec({"survey": survey}) if survey else None
        out[ident] = meta
    return out
