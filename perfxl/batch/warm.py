"""Imported once by the forkserver the consolidation workers fork from (``pool._PRELOAD``):
what a worker would otherwise load on its first workbook, so that every worker starts warm — the
modules the pipeline imports lazily, and pandera's pandas backends, registered on a first
validation (about 0.14 s of CPU per worker otherwise)."""
from __future__ import annotations

import pandas as pd

import perfxl.io.files  # noqa: F401
import perfxl.score.cached  # noqa: F401
import perfxl.score.figures  # noqa: F401
from perfxl.check.schemas import grade_schema

try:
    grade_schema().validate(pd.DataFrame({"label": ["优"], "min": [90.0]}, dtype=object), lazy=True)
except Exception:  # only a warm-up: the forkserver must start whatever happens here (workers would load it)
    pass
