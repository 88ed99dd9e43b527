"""Work given to worker processes (perfxl.batch.pool): results in order, and a worker that dies costs
no more than its own item, never the command."""
from __future__ import annotations

import multiprocessing
import os

import pytest

from perfxl.batch.pool import Lost, map_in_workers


def _square_in_worker(item: tuple[int, str]) -> tuple[int, bool]:
    """x² and whether a worker process computed it; the worker given 3 dies the first time only (a
    crash that does not come back)."""
    x, marker = item
    if x == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return x * x, multiprocessing.parent_process() is not None


def _square_or_die(x: int) -> int:
    """Kills the worker process that gets 3, every time (never this one): a crash in a chart library."""
    if x == 3 and multiprocessing.parent_process() is not None:
        os._exit(1)
    return x * x


def _square_or_fail(x: int) -> int:
    if x == 3:
        raise ValueError("3 不行")
    return x * x


def test_work_given_to_worker_processes_comes_back_in_order_even_when_a_worker_dies(tmp_path):
    """The items of the worker that died are done again in worker processes, not in this one (where a
    crash would end the command)."""
    marker = str(tmp_path / "died-once")
    got = map_in_workers(_square_in_worker, [(x, marker) for x in range(20)], jobs=2)
    assert os.path.exists(marker)
    assert got == [(x * x, True) for x in range(20)]


def test_an_item_that_kills_its_worker_every_time_is_lost_not_run_here():
    """An item that kills its worker again when given alone gets a Lost in its place; every other item,
    those of the pool it brought down too, comes back."""
    got = map_in_workers(_square_or_die, list(range(20)), jobs=2)
    assert got[3] == Lost()
    assert got[:3] + got[4:] == [x * x for x in range(20) if x != 3]


def test_an_error_the_function_raises_is_raised_here():
    with pytest.raises(ValueError, match="3 不行"):
        map_in_workers(_square_or_fail, list(range(20)), jobs=2)
