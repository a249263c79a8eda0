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
    import distributed  # noqa: F401  (a test dependency: missing means a broken set-up, not a skip)

    assert _json(toy_sample, DaskExecutor(2, processes=False)) == reference


@pytest.mark.dask
def test_dask_existing_scheduler_matches_iterative(toy_sample: Path, reference: str) -> None:
    import distributed

    # a scheduler listening on tcp://127.0.0.1, as --scheduler tcp://host:port would name it
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        protocol="tcp",
        host="127.0.0.1",
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert _json(toy_sample, make_executor("iterative", scheduler=cluster.scheduler_address)) == reference


def test_unknown_executor_suggests() -> None:
    with pytest.raises(KeyError, match="did you mean 'pool'"):
        make_executor("poll")


def test_accumulator_folds_in_order_whatever_the_arrival_order(toy_sample: Path) -> None:
    from trigger.io import read_chunk
    from trigger.rates.table import build_table

    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))
    parts = [proc.process(read_chunk(item, schema, proc.needs())) for item in ds.work_items(2_500)]
    forward = proc.empty()
    for part in parts:
        forward = forward + part
        assert not forward.pending  # in order: folded at once, nothing buffered
    backward = proc.empty()
    for part in reversed(parts):
        backward = backward + part
    assert not backward.pending
    assert to_json(build_table(menu, forward)) == to_json(build_table(menu, backward))
    with pytest.raises(ValueError, match="processed twice"):
        _ = proc.empty() + parts[0] + parts[0]


def test_scan_and_efficiency_parity(toy_sample: Path) -> None:
    import numpy as np

    from trigger.rates.efficiency import EfficiencyProcessor, Reference
    from trigger.rates.scan import ScanProcessor

    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    seed = menu.seed("L1_DoubleMu_15_7")
    results = []
    for executor in (IterativeExecutor(), PoolExecutor(2)):
        scan_p = ScanProcessor(menu, schema, seed)
        eff_p = EfficiencyProcessor(
            menu, schema, seed, Reference("genmuons", max_abs_eta=2.4), np.arange(0.0, 60.0, 5.0)
        )
        out = []
        for proc in (scan_p, eff_p):
            ds = open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))
            out.append(run(proc, ds, executor, chunk_size=3_000).result)
        results.append(out)
    (scan_a, eff_a), (scan_b, eff_b) = results
    np.testing.assert_array_equal(scan_a.values, scan_b.values)
    np.testing.assert_array_equal(scan_a.weights, scan_b.weights)
    np.testing.assert_array_equal(eff_a.passed, eff_b.passed)
    np.testing.assert_array_equal(eff_a.total, eff_b.total)
    assert eff_a.total.sum() > 0 and eff_a.passed.sum() > 0
