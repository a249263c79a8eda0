"""Seed logic against a brute-force pure-Python evaluation, table identities, scans, the algorithm seed."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from tests.rates_helpers import DEFAULT_MENU, menu_yaml
from trigger.io import builtin_schema, open_dataset
from trigger.menu import Mode, ScanTarget, load_menu
from trigger.processor import run
from trigger.rates import RateProcessor, RateTable
from trigger.rates.scan import Scan, ScanProcessor

SEEDS = """\
  TripleMu_mixed:
    legs:
      - {collection: muons, min_pt: 5, max_abs_eta: 1.2, quality: [12, 13, 14, 15]}
      - {collection: muons, min_pt: 3, min_abs_eta: 0.5, multiplicity: 2}
  DoubleMu_OS_dR:
    legs: [{collection: muons, min_pt: 2, multiplicity: 2, quality_mask: 0xFF00}]
    cross: {opposite_charge: true, min_dr: 0.2, max_dr: 2.0}
  Mu_EG_mass:
    legs: [{collection: muons, min_pt: 4}, {collection: egamma, min_pt: 8, iso: [1, 3]}]
    cross: {min_mass: 10, max_mass: 60}
  QuadJet40: {legs: [{collection: jets, min_pt: 40, multiplicity: 4}]}
  Jet_and_HT:
    legs: [{collection: jets, min_pt: 70, max_abs_eta: 2.5}]
    sums: [{sum: HT, min: 150, max: 400}]
  Mu_bx_minus1: {legs: [{collection: muons, min_pt: 3, bx: -1}], prescale: 3}
"""


def _objects(a: ak.Array, prefix: str, i: int, fields: tuple[str, ...]) -> list[dict[str, float]]:
    cols = {f: a[f"{prefix}_{f}"][i].tolist() for f in fields}
    return [dict(zip(cols, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]


def _dr(a: dict[str, float], b: dict[str, float]) -> float:
    dphi = (a["phi"] - b["phi"] + math.pi) % (2 * math.pi) - math.pi
    return math.hypot(a["eta"] - b["eta"], dphi)


def _mass(a: dict[str, float], b: dict[str, float]) -> float:
    dphi = (a["phi"] - b["phi"] + math.pi) % (2 * math.pi) - math.pi
    return math.sqrt(max(2 * a["pt"] * b["pt"] * (math.cosh(a["eta"] - b["eta"]) - math.cos(dphi)), 0.0))


def _brute(a: ak.Array, i: int) -> dict[str, bool]:
    mu = [m for m in _objects(a, "L1Mu", i, ("pt", "eta", "phi", "charge", "qual", "bx"))]
    mu0 = [m for m in mu if m["bx"] == 0]
    eg = _objects(a, "L1EG", i, ("pt", "eta", "phi", "iso"))
    jets = _objects(a, "L1Jet", i, ("pt", "eta", "phi"))
    ht = float(a["L1EtSum_HT"][i])
    out = {}
    legs = [
        lambda m: m["pt"] >= 5 and abs(m["eta"]) <= 1.2 and m["qual"] >= 12,
        lambda m: m["pt"] >= 3 and abs(m["eta"]) >= 0.5,
        lambda m: m["pt"] >= 3 and abs(m["eta"]) >= 0.5,
    ]
    out["TripleMu_mixed"] = any(
        all(leg(m) for leg, m in zip(legs, trio, strict=True)) for trio in itertools.permutations(mu0, 3)
    )
    out["DoubleMu_OS_dR"] = any(
        p["pt"] >= 2
        and q["pt"] >= 2
        and p["qual"] >= 8
        and q["qual"] >= 8
        and p["charge"] * q["charge"] < 0
        and 0.2 <= _dr(p, q) <= 2.0
        for p, q in itertools.permutations(mu0, 2)
    )
    out["Mu_EG_mass"] = any(
        m["pt"] >= 4 and e["pt"] >= 8 and e["iso"] in (1, 3) and 10 <= _mass(m, e) <= 60 for m in mu0 for e in eg
    )
    out["QuadJet40"] = sum(j["pt"] >= 40 for j in jets) >= 4
    out["Jet_and_HT"] = any(j["pt"] >= 70 and abs(j["eta"]) <= 2.5 for j in jets) and 150 <= ht < 400
    out["Mu_bx_minus1"] = any(m["pt"] >= 3 and m["bx"] == -1 for m in mu)
    return out


@pytest.fixture(scope="module")
def table(toy_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> RateTable:
    path = menu_yaml(tmp_path_factory.mktemp("m") / "m.yaml", SEEDS)
    menu = load_menu(path)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))
    result = run(proc, ds, chunk_size=4_000, max_events=3_000).result
    assert isinstance(result, RateTable)
    return result


def test_seeds_match_brute_force_python(toy_sample: Path, table: RateTable) -> None:
    a = uproot.open(toy_sample)["Events"].arrays(entry_stop=3_000)
    expected: dict[str, int] = {}
    for i in range(3_000):
        for k, v in _brute(a, i).items():
            expected[k] = expected.get(k, 0) + int(v)
    got = {s.name: s.raw.count for s in table.seeds}
    assert got == expected
    assert all(v > 0 for v in expected.values()), expected


def test_table_identities(table: RateTable) -> None:
    prop = sum(s.proportional_khz for s in table.seeds)
    assert prop == pytest.approx(table.total_prescaled.khz, rel=1e-9)
    for s in table.seeds:
        assert s.pure.khz <= s.prescaled.khz <= s.raw.khz + 1e-12
    ps3 = next(s for s in table.seeds if s.name == "Mu_bx_minus1")
    # the toy sample is weighted: a prescale counts every fire at w / p (trigger.rates.acceptance)
    assert table.prescale_mode == "expected"
    assert ps3.prescaled.sumw == pytest.approx(ps3.raw.sumw / 3, rel=1e-12)
    assert table.total_prescaled.khz <= table.total_raw.khz
    assert table.headroom_khz == pytest.approx(100.0 - table.total_prescaled.khz)


def _scan(sample: Path, seed_name: str, target: ScanTarget | None = None) -> Scan:
    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    proc = ScanProcessor(menu, schema, menu.seed(seed_name), target)
    ds = open_dataset([str(sample)], schema, proc.needs().branches(schema))
    scan = run(proc, ds, chunk_size=7_000).result
    assert isinstance(scan, Scan)
    return scan


@pytest.mark.parametrize(
    ("seed", "target"),
    [
        ("L1_SingleMu22", None),
        ("L1_DoubleMu_15_7", ScanTarget("leg", 1)),
        ("L1_TripleMu_5_3_3", ScanTarget("leg", 1)),
        ("L1_HTT280er", None),
        ("L1_Mu6_HTT240er", ScanTarget("sum", 0)),
        ("L1_QuadJet60er2p5", None),
        ("L1_FixedHT320", None),
        ("L1_Mu3_Jet60er2p5_dR_Max0p4", ScanTarget("leg", 1)),
    ],
)
def test_scan_equals_rates_at_every_threshold(
    toy_sample: Path, seed: str, target: ScanTarget | None, tmp_path: Path
) -> None:
    """One-pass scan == a full rates run with the threshold edited, at several thresholds."""
    import yaml

    scan = _scan(toy_sample, seed, target)
    t = target or ScanTarget.default(load_menu(DEFAULT_MENU).seed(seed))
    base = yaml.safe_load(DEFAULT_MENU.read_text())
    menu_seed = base["seeds"][seed]
    for threshold in (scan.menu_threshold * f for f in (0.5, 1.0, 1.3)):
        s = yaml.safe_load(yaml.safe_dump(menu_seed))
        s["prescale"] = 1
        if t.kind == "leg":
            s["legs"][t.index]["min_pt"] = threshold
        elif t.kind == "sum":
            s["sums"][t.index]["min"] = threshold
        else:
            s["algorithm"]["min"] = threshold
        path = tmp_path / "one.yaml"
        path.write_text(yaml.safe_dump({"menu_version": 1, "name": "one", "seeds": {seed: s}}))
        menu = load_menu(path)
        schema = builtin_schema("l1emu")
        proc = RateProcessor(menu, schema)
        ds = open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))
        table = run(proc, ds, chunk_size=20_000).result
        rate, _, _, count = scan.rate(threshold)
        assert count == table.seeds[0].raw.count, threshold
        assert rate == pytest.approx(table.seeds[0].raw.khz, rel=1e-12)


def test_threshold_solver(toy_sample: Path) -> None:
    scan = _scan(toy_sample, "L1_SingleMu22")
    sol = scan.solve(20.0, step=0.5)
    assert sol.rate_khz <= 20.0 < sol.rate_one_step_below_khz
    assert scan.rate(sol.threshold)[0] == sol.rate_khz


def test_fixed_ht_algorithm_against_integer_arithmetic(toy_sample: Path) -> None:
    from trigger.menu import make_algorithm

    algo = make_algorithm("fixed_ht", {"slots": 4, "min_pt": 30.0, "max_abs_eta": 2.4})
    from trigger.io import read_chunk
    from trigger.io.files import WorkItem

    chunk = read_chunk(WorkItem(0, str(toy_sample), "Events", 0, 2_000), builtin_schema("l1emu"), algo.needs())
    out = algo.evaluate(chunk, Mode.BOTH)
    a = uproot.open(toy_sample)["Events"].arrays(["L1Jet_pt", "L1Jet_eta"], entry_stop=2_000)
    fixed, flt, truncated = [], [], 0
    for pts, etas in zip(a.L1Jet_pt.tolist(), a.L1Jet_eta.tolist(), strict=True):
        sel = sorted((p for p, e in zip(pts, etas, strict=True) if p >= 30 and abs(e) <= 2.4), reverse=True)
        truncated += len(sel) > 4
        halves = sum(min(math.floor(p * 2), 2047) for p in sel[:4])  # ap_ufixed<11,10,TRN,SAT>: 0.5 GeV LSB
        fixed.append(min(halves, 2**14 - 1) / 2)  # ap_ufixed<14,13,TRN,SAT>
        flt.append(sum(sel[:4]))
    np.testing.assert_array_equal(out.fixed["ht"], fixed)
    np.testing.assert_allclose(out.float["ht"], flt, rtol=1e-12)
    assert out.truncated == truncated > 0


def test_algorithm_seed_float_fixed_columns(toy_sample: Path) -> None:
    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(toy_sample)], schema, proc.needs().branches(schema))
    table = run(proc, ds).result
    row = next(s for s in table.seeds if s.name == "L1_FixedHT320")
    assert row.fixed_khz == row.raw.khz
    assert row.float_fixed_differ is not None and row.float_fixed_differ > 0
    assert row.float_khz is not None and row.float_khz > row.fixed_khz  # truncation only lowers HT


def test_unit_weights_use_clopper_pearson(toy_sample_unweighted: Path) -> None:
    from trigger.rates.stats import clopper_pearson

    menu = load_menu(DEFAULT_MENU)
    schema = builtin_schema("l1emu")
    proc = RateProcessor(menu, schema)
    ds = open_dataset([str(toy_sample_unweighted)], schema, proc.needs().branches(schema))
    table = run(proc, ds).result
    assert not table.weighted and table.sumw == table.events == 6_000
    row = next(s for s in table.seeds if s.name == "L1_DoubleMu0er1p5_SQ_OS_dR_Max1p4")
    lo, hi = clopper_pearson(row.raw.count, 6_000)
    zb = menu.zero_bias_khz
    assert row.raw.err_down == pytest.approx(zb * (row.raw.count / 6_000 - float(lo)), rel=1e-12)
    assert row.raw.err_up == pytest.approx(zb * (float(hi) - row.raw.count / 6_000), rel=1e-12)
    assert row.raw.err_up > row.raw.err_down  # asymmetric at small counts
    assert 0 < row.raw.count < 30
