"""Golden outputs: the JSON of ``perfxl score`` for every bundled example and the consolidation
tables of two collections, as a plain, path-independent structure. ``python tests/golden_data.py``
regenerates tests/golden/ (review the diff: a change there is a change of behaviour)."""
from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = ROOT / "workbook_templates" / "examples"


def _plain(v):
    if v is None or isinstance(v, (bool, str)):
        return v
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 9)
    if isinstance(v, int):
        return v
    return str(v)


def score_json(path: Path) -> dict:
    """What ``perfxl score --json`` reports for ``path``, with file names instead of paths."""
    from perfxl import api
    d = api.score_file(path, write=False).to_dict()
    d.pop("output", None)
    d["file"] = Path(d["file"]).name
    for p in d["problems"]:
        p["file"] = Path(p["file"]).name if p.get("file") else p.get("file")
    return json.loads(json.dumps(d, ensure_ascii=False, default=str))


def tables(cons, root: Path) -> dict:
    """Every table of a consolidation as records keyed by the summary workbook's headers, paths
    relative to ``root``."""
    from perfxl.batch.tables import display_frame

    out = {"found": cons.found, "included": sorted(str(Path(f).relative_to(root)) for f in cons.included_files)}
    for name in ("summary", "detail", "analysis", "panel", "rejected"):
        frame = display_frame(getattr(cons, name))
        recs = []
        for rec in frame.to_dict("records"):
            row = {}
            for k, v in rec.items():
                v = _plain(v)
                if isinstance(v, str) and str(root) in v:
                    v = "\n".join(str(Path(x).relative_to(root)) if x.startswith(str(root)) else x
                                  for x in v.split("\n"))
                row[k] = v
            recs.append(row)
        out[name] = recs
    return out


def collections(root: Path) -> dict[str, Path]:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from _common import make_collection
    from test_consolidate import build_collection

    a = build_collection(root / "a")
    b = root / "b"
    make_collection(b, 10, n=60, evaluators=2, seed=7)
    return {"a": a, "b": b}


def compute() -> dict[str, object]:
    import perfxl

    out: dict[str, object] = {}
    for p in sorted(EXAMPLES.glob("*.xlsx")):
        out[f"score_{p.stem}.json"] = score_json(p)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for key, folder in collections(root).items():
            for panel in ("mean", "median", "trimmed") if key == "a" else ("mean",):
                cons = perfxl.consolidate(folder, jobs=1, panel=panel)
                out[f"consolidate_{key}_{panel}.json"] = tables(cons, root)
    return out


def load(name: str):
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


if __name__ == "__main__":
    GOLDEN.mkdir(exist_ok=True)
    for name, data in compute().items():
        (GOLDEN / name).write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")
        print(name)
