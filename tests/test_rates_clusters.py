"""Rate statistics per cluster of crossings sharing a hard interaction, against a plain numpy groupby.

The reference takes each event's factor (pass mask, or acceptance after prescales, from the whole file
at once), sums ``w f`` over runs of equal adjacent cluster ids (``np.add.reduceat`` on the run starts,
a new run at every file start) and squares the per-cluster sums. The emulator must give the same on
any chunking (clusters split across chunks) and executor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest
import uproot
from numpy.typing import NDArray

from tests.rates_helpers import menu_yaml, without_cluster
from trigger.cli import main
from trigger.executors import IterativeExecutor, PoolExecutor
from trigger.io import builtin_schema, open_dataset
from trigger.io.synthetic import write_sample
from trigger.menu import load_menu
from trigger.menu.model import Menu
from trigger.processor import ChunkTask, run
from trigger.rates.acceptance import counter_acceptance, expected_acceptance
from trigger.rates.pileup import PileupProcessor
from trigger.rates.prescale import SCALE, acceptance_probability, prescaled
from trigger.rates.scan import Scan, ScanProcessor
from trigger.rates.table import build_table
from trigger.rates.tally import PrescalePlan, RateProcessor, Summary, Sums

SEEDS = """\
  J30: {legs: [{collection: jets, min_pt: 30}]}
  J50ps: {legs: [{collection: jets, min_pt: 50}], prescale: 2.5}
  J90: {legs: [{collection: jets, min_pt: 90}]}
  J20x3ps: {legs: [{collection: jets, min_pt: 20, multiplicity: 3}], prescale: 4}
"""
#: per seed (min pt, multiplicity): the decisions the reference computes from the jets itself
CUTS = ((30.0, 1), (50.0, 1), (90.0, 1), (20.0, 3))
#: a prescale column beside the menu's (1, 2.5, 1, 4)
COLUMN = (3.0, 1.0, 1.5, 0.0)


def cluster_ids(n_clusters: int, seed: int) -> NDArray[np.int64]:
    """Clusters of 1..5 crossings (every size present); ids k % 3, so an id comes back, but never adjacent."""
    rng = np.random.default_rng(seed)
    sizes = np.r_[np.arange(1, 6), rng.integers(1, 6, n_clusters - 5)]
    rng.shuffle(sizes)
    return np.repeat(np.arange(n_clusters) % 3, sizes).astype(np.int64)


@dataclass(frozen=True)
class Events:
    """One file's (or several files', concatenated) weights, decisions and run starts."""

    w: NDArray[np.float64]
    fired: NDArray[np.bool_]  # (n, seeds)
    starts: NDArray[np.bool_]  # a cluster starts here (id changes, or a new file)


def read_events(paths: list[Path]) -> Events:
    ws, fired, starts = [], [], []
    for path in paths:
        with uproot.open(path) as f:
            t = f["Events"]
            pt = t["L1Jet_pt"].array()
            ws.append(np.asarray(t["weight"].array(), np.float64))
            fired.append(np.stack([np.asarray(ak.sum(pt >= m, axis=1) >= k) for m, k in CUTS], axis=1))
            if "cluster" in set(t.keys()):
                c = np.asarray(t["cluster"].array())
                starts.append(np.r_[True, c[1:] != c[:-1]])
            else:
                starts.append(np.ones(t.num_entries, bool))
    return Events(np.concatenate(ws), np.concatenate(fired), np.concatenate(starts))


def grouped(ev: Events, factor: NDArray[np.float64]) -> tuple[float, float]:
    """``(sum w f, sum over clusters of (sum w f)^2)``."""
    v = ev.w * factor
    per_cluster = np.add.reduceat(v, np.flatnonzero(ev.starts))
    return float(v.sum()), float((per_cluster**2).sum())


def factors(ev: Events, prescales: tuple[float, ...]) -> dict[str, NDArray[np.float64]]:
    """Every factor the summary sums, from the whole input at once."""
    out = {f"raw{j}": ev.fired[:, j].astype(float) for j in range(ev.fired.shape[1])}
    out["total_raw"] = ev.fired.any(axis=1).astype(float)
    ps = np.zeros_like(ev.fired)
    for j, p in enumerate(prescales):
        where = np.flatnonzero(ev.fired[:, j])
        if p:
            ps[where, j] = prescaled(len(where), p)
    units = [round(p * SCALE) for p in prescales]
    for name, acc in (
        ("counter", counter_acceptance(ps)),
        ("expected", expected_acceptance(ev.fired, acceptance_probability(units))),
    ):
        for j in range(ev.fired.shape[1]):
            out[f"{name}.seed{j}"] = np.asarray(acc.seed[:, j], float)
            out[f"{name}.pure{j}"] = np.asarray(acc.pure[:, j], float)
        out[f"{name}.total"] = np.asarray(acc.total, float)
    return out


def summary_sums(s: Summary, column: int | None = None) -> dict[str, Sums]:
    """The summary's sums named as :func:`factors` names them (``column``: a prescale column's)."""
    out: dict[str, Sums] = {}
    if column is None:
        out = {f"raw{j}": x for j, x in enumerate(s.raw)}
        out["total_raw"] = s.total_raw
        after = (s.counter, s.expected)
    else:
        after = s.prescale_columns[column]
    for name, a in zip(("counter", "expected"), after, strict=True):
        assert a is not None
        for j in range(len(a.seed)):
            out[f"{name}.seed{j}"], out[f"{name}.pure{j}"] = a.seed[j], a.pure[j]
        out[f"{name}.total"] = a.total
    return out


def assert_sums(got: dict[str, Sums], ev: Events, prescales: tuple[float, ...]) -> None:
    want = factors(ev, prescales)
    assert got.keys() <= want.keys() and len(got) >= 2 * (1 + 2 * len(prescales))
    for name in got:
        f = want[name]
        sumw, sumw2 = grouped(ev, f)
        x = got[name]
        assert x.count == int(np.count_nonzero(f)), name
        assert x.sumw == pytest.approx(sumw, rel=1e-12, abs=1e-300), name
        assert x.sumw2 == pytest.approx(sumw2, rel=1e-12, abs=1e-300), name
        assert x.n_eff == pytest.approx(sumw**2 / sumw2 if sumw2 else 0.0, rel=1e-11), name


def column_menu(menu: Menu) -> Menu:
    return replace(menu, seeds=tuple(replace(s, prescale=p) for s, p in zip(menu.seeds, COLUMN, strict=True)))


def tally(paths: list[Path], menu_path: Path, chunk_size: int, executor: Any = None) -> tuple[Summary, Any]:
    """The folded summary of the rate processor (menu's prescales plus the column), and its table."""
    menu = load_menu(menu_path)
    schema = builtin_schema("l1emu")
    plan = PrescalePlan.for_menu(menu).with_columns((("column", column_menu(menu)),))
    proc = RateProcessor(menu, schema, plan)
    ds = open_dataset([str(p) for p in paths], schema, proc.needs().branches(schema))
    task: ChunkTask[Any] = ChunkTask(proc, schema, proc.needs())
    acc = (executor or IterativeExecutor())(ds.work_items(chunk_size), task, proc.empty())
    assert acc.summary is not None and not acc.pending
    return acc.summary, build_table(menu, acc, plan)


@pytest.fixture(scope="module")
def menu_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return menu_yaml(tmp_path_factory.mktemp("menu") / "m.yaml", SEEDS)


@pytest.fixture(scope="module")
def clustered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ids = cluster_ids(110, seed=5)
    return write_sample(tmp_path_factory.mktemp("cl") / "cl.root", len(ids), seed=9, chunk=113, clusters=ids)


def test_the_toy_is_a_test_of_clusters(clustered: Path) -> None:
    """Clusters of several fired crossings make the cluster sum of squares differ from the per-event one."""
    ev = read_events([clustered])
    f = ev.fired[:, 0].astype(float)
    per_event = float(((ev.w * f) ** 2).sum())
    assert grouped(ev, f)[1] > 1.5 * per_event
    sizes = np.diff(np.r_[np.flatnonzero(ev.starts), len(ev.w)])
    assert set(sizes.tolist()) == {1, 2, 3, 4, 5} and len(np.unique(ev.w)) == len(ev.w)


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 10**6])
def test_sums_per_cluster_on_any_chunking(clustered: Path, menu_path: Path, chunk_size: int) -> None:
    s, table = tally([clustered], menu_path, chunk_size)
    ev = read_events([clustered])
    menu = load_menu(menu_path)
    assert_sums(summary_sums(s), ev, tuple(x.prescale for x in menu.seeds))
    assert_sums(summary_sums(s, 0), ev, COLUMN)
    zb = menu.zero_bias_khz
    for j, row in enumerate(table.seeds):  # the table's N_eff and error are the cluster ones
        sumw, sumw2 = grouped(ev, ev.fired[:, j].astype(float))
        assert row.n_eff == pytest.approx(sumw**2 / sumw2, rel=1e-11)
        assert row.raw.err_up == pytest.approx(zb * np.sqrt(sumw2) / ev.w.sum(), rel=1e-11)


def test_pool_executor_gives_the_iterative_sums(clustered: Path, menu_path: Path) -> None:
    s, _ = tally([clustered], menu_path, 7, PoolExecutor(2))
    ev = read_events([clustered])
    assert_sums(summary_sums(s), ev, tuple(x.prescale for x in load_menu(menu_path).seeds))
    assert_sums(summary_sums(s, 0), ev, COLUMN)
    ref, _ = tally([clustered], menu_path, 7)
    assert [x.sumw2 for x in s.raw] == [x.sumw2 for x in ref.raw]  # the same folds in the same order


def test_clusters_never_continue_into_the_next_file(tmp_path: Path, menu_path: Path) -> None:
    """A file ends and the next starts with cluster id 5 (and the same file read twice ends and starts with
    one): two clusters each time, not one."""
    a_ids = np.r_[np.full(3, 5), cluster_ids(20, seed=1) + 10, np.full(3, 5)]
    b_ids = np.r_[np.full(3, 5), cluster_ids(20, seed=2) + 10]
    a = write_sample(tmp_path / "a.root", len(a_ids), seed=3, clusters=a_ids)
    b = write_sample(tmp_path / "b.root", len(b_ids), seed=4, clusters=b_ids)
    prescales = tuple(x.prescale for x in load_menu(menu_path).seeds)
    for paths in ([a, b], [a, a]):
        ev = read_events(paths)
        assert ev.starts[len(a_ids)]  # a new file, a new cluster
        merged = replace(ev, starts=ev.starts.copy())
        merged.starts[len(a_ids)] = False  # what joining the boundary clusters would give
        total = ev.fired.any(axis=1).astype(float)
        assert grouped(merged, total)[1] > grouped(ev, total)[1] * (1 + 1e-6)  # the boundary matters
        for chunk_size in (4, 10**6):
            s, _ = tally(paths, menu_path, chunk_size)
            assert_sums(summary_sums(s), ev, prescales)


@pytest.mark.parametrize("chunk_size", [3, 10**6])
def test_a_file_without_clusters_gives_todays_sums_exactly(
    clustered: Path, menu_path: Path, tmp_path: Path, chunk_size: int
) -> None:
    old = without_cluster(clustered, tmp_path / "old.root")
    with uproot.open(old) as f:
        keys = set(f["Events"].keys())
    assert "cluster" not in keys and {"L1Jet_pt", "nL1Jet", "weight"} <= keys
    s, _ = tally([old], menu_path, chunk_size)
    ev = read_events([old])
    menu = load_menu(menu_path)
    assert_sums(summary_sums(s), ev, tuple(x.prescale for x in menu.seeds))
    # bit for bit the sums before clusters: per chunk, sum (w f)^2 of the chunk's fired events, chunks added in order
    schema = builtin_schema("l1emu")
    ds = open_dataset([str(old)], schema, RateProcessor(menu, schema).needs().branches(schema))
    want = factors(ev, tuple(x.prescale for x in menu.seeds))
    for name, x in summary_sums(s).items():
        total = 0.0
        for item in ds.work_items(chunk_size):
            fired = ev.fired[item.start : item.stop].any(axis=1)
            w, f = ev.w[item.start : item.stop][fired], want[name][item.start : item.stop][fired]
            if name.startswith(("raw", "total_raw")):  # a mask: the selected weights
                sel = w[f.astype(bool)]
                total += float((sel * sel).sum())
            else:  # acceptance factors
                total += float(((w * f) ** 2).sum())
        assert x.sumw2 == total, name
        assert x.open_sumw == 0.0


@pytest.mark.parametrize("chunk_size", [1, 7, 10**6])
def test_threshold_scan_errors_per_cluster(clustered: Path, menu_path: Path, chunk_size: int) -> None:
    menu = load_menu(menu_path)
    schema = builtin_schema("l1emu")
    proc = ScanProcessor(menu, schema, menu.seeds[0])
    ds = open_dataset([str(clustered)], schema, proc.needs().branches(schema))
    scan = run(proc, ds, chunk_size=chunk_size).result
    assert isinstance(scan, Scan)
    ev = read_events([clustered])
    with uproot.open(clustered) as f:
        lead = np.asarray(ak.fill_none(ak.max(f["Events"]["L1Jet_pt"].array(), axis=1), -np.inf), np.float64)
    for t in (0.0, 30.0, 45.0, 70.0):
        passed = (lead >= t).astype(float)
        sumw, sumw2 = grouped(ev, passed)
        khz, down, up, k = scan.rate(t)
        assert k == int(passed.sum())
        assert khz == pytest.approx(menu.zero_bias_khz * sumw / ev.w.sum(), rel=1e-12)
        assert up == down == pytest.approx(menu.zero_bias_khz * np.sqrt(sumw2) / ev.w.sum(), rel=1e-11)


def test_rates_command_reports_the_cluster_n_eff(clustered: Path, menu_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    args = ["rates", str(menu_path), "-i", str(clustered), "-o", str(out), "--chunk-size", "3"]
    assert main(args) == 0
    report = json.loads((out / "rates.json").read_text())
    ev = read_events([clustered])
    for j, row in enumerate(report["seeds"]):
        sumw, sumw2 = grouped(ev, ev.fired[:, j].astype(float))
        assert row["n_eff"] == pytest.approx(sumw**2 / sumw2, rel=1e-11), row["name"]


def pileup_accumulator(path: Path, menu_path: Path, chunk_size: int, executor: Any = None) -> Any:
    menu = load_menu(menu_path)
    schema = builtin_schema("l1emu")
    proc = PileupProcessor(menu, schema, "nPileup", PILEUP_BIN)
    ds = open_dataset([str(path)], schema, proc.needs().branches(schema))
    task: ChunkTask[Any] = ChunkTask(proc, schema, proc.needs())
    return (executor or IterativeExecutor())(ds.work_items(chunk_size), task, proc.empty()).stitched()


PILEUP_BIN = 4.0


@pytest.mark.parametrize(("chunk_size", "pool"), [(1, False), (3, False), (7, False), (10**6, False), (7, True)])
def test_pileup_bins_square_per_cluster(clustered: Path, menu_path: Path, chunk_size: int, pool: bool) -> None:
    """``l1emu pileup``'s per-bin errors: the copies of a cluster that fall in one pile-up bin add before
    squaring (a cluster's copies have their own pile-up draws, so a cluster may span several bins)."""
    acc = pileup_accumulator(clustered, menu_path, chunk_size, PoolExecutor(2) if pool else None)
    ev = read_events([clustered])
    with uproot.open(clustered) as f:
        pu = np.asarray(f["Events"]["nPileup"].array(), np.float64)
    index = np.floor(pu / PILEUP_BIN).astype(np.int64)
    cluster = np.cumsum(ev.starts)
    shared = 0
    for b in np.unique(index):
        inside = index == b
        for j, f in enumerate([np.ones(len(ev.w), bool), *ev.fired.T]):
            sel = inside & f
            _, label = np.unique(cluster[sel], return_inverse=True)
            per_cluster = np.bincount(label, weights=ev.w[sel]) if sel.any() else np.zeros(0)
            row = acc.bins[int(b)][j]
            assert row[0] == sel.sum() and row[1] == pytest.approx(ev.w[sel].sum(), rel=1e-12)
            assert row[2] == pytest.approx(float((per_cluster**2).sum()), rel=1e-12, abs=1e-300), (b, j)
            shared += int(len(per_cluster) < sel.sum())
    assert shared > 10  # the toy has bins where copies of one cluster meet (else the test tests nothing)
    assert not acc.edges


def test_pileup_curve_errors_are_the_cluster_ones(clustered: Path, menu_path: Path, tmp_path: Path) -> None:
    menu = load_menu(menu_path)
    schema = builtin_schema("l1emu")
    proc = PileupProcessor(menu, schema, "nPileup", PILEUP_BIN, min_events=1)
    ds = open_dataset([str(clustered)], schema, proc.needs().branches(schema))
    result = run(proc, ds, chunk_size=5).result
    acc = pileup_accumulator(clustered, menu_path, 10**6)
    keys = sorted(acc.bins)
    old = without_cluster(clustered, tmp_path / "old.root")
    plain = pileup_accumulator(old, menu_path, 10**6)
    for j, curve in enumerate(result.curves):
        for k, b in enumerate(keys):
            row, total = acc.bins[b][1 + j], acc.bins[b][0]
            if row[0]:
                assert curve.err_up[k] == pytest.approx(menu.zero_bias_khz * np.sqrt(row[2]) / total[1], rel=1e-9)
        # without the cluster branch: the per-event squares, never more than the cluster ones here (w > 0)
        assert all(plain.bins[b][1 + j][2] <= acc.bins[b][1 + j][2] * (1 + 1e-12) for b in keys)
