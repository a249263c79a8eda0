"""The same menu gives identical tables on every executor, whatever order chunks finish in."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rates_helpers import DEFAULT_MENU
from trigger.executors import DaskExecutor, IterativeExecutor, PoolExecutor, make_executor
from trigger.io import builtin_schema, open_dataset
from trigger.menu import load_menu
from trigger.processor import run
from trigger.rates import RateProcessor, to_json


def _json(sample: Path, executor: object) -> str:
    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(sample)], schema, proc.needs().branches(schema))
    result = run(proc, ds, executor, chunk_size=3_000)  # type: ignore[arg-type]
    assert result.chunks == 8  # 5 000-entry baskets split in two
    return to_json(result.result)


@pytest.fixture(scope="module")
def reference(toy_sample: Path) -> str:
    return _json(toy_sample, IterativeExecutor())


def test_pool_matches_iterative(toy_sample: Path, reference: str) -> None:
    assert _json(toy_sample, PoolExecutor(2)) == reference


@pytest.mark.dask
def test_dask_local_cluster_matches_iterative(toy_sample: Path, reference: str) -> None:
    pytest.importorskip("distributed")
    assert _json(toy_sample, DaskExecutor(2, processes=False)) == reference


@pytest.mark.dask
def test_dask_existing_scheduler_matches_iterative(toy_sample: Path, reference: str) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        assert _json(toy_sample, make_executor("dask", scheduler=cluster.scheduler_address)) == reference


def test_unknown_executor_suggests() -> None:
    with pytest.raises(KeyError, match="did you mean 'pool'"):
        make_executor("poll")
