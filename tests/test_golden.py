"""Nothing changes by accident: the JSON of ``perfxl score`` for every bundled example and the
consolidation tables of two collections equal the golden outputs taken before the round-2
restructure (tests/golden/, regenerated only on purpose with ``python tests/golden_data.py``)."""
from __future__ import annotations

import json

import golden_data as G
import pytest


@pytest.fixture(scope="module")
def computed():
    return G.compute()


@pytest.mark.parametrize("name", sorted(p.name for p in G.GOLDEN.glob("*.json")))
def test_output_equals_the_golden_one(computed, name):
    expected = G.load(name)
    got = json.loads(json.dumps(computed[name], ensure_ascii=False, sort_keys=True))
    assert got == expected, f"{name} differs from tests/golden/{name}"


def test_every_output_has_a_golden_file(computed):
    assert sorted(computed) == sorted(p.name for p in G.GOLDEN.glob("*.json"))
