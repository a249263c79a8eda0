"""Prescales on weighted samples as expected values: hand-worked events, brute-force enumeration of
accept patterns, a hand-worked weighted table, and the counter where the sample is unweighted."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from tests.rates_helpers import menu_yaml, write_events
from trigger.io import builtin_schema, open_dataset
from trigger.menu import load_menu
from trigger.processor import run
from trigger.rates import RateProcessor, RateTable
from trigger.rates.acceptance import counter_acceptance, expected_acceptance
from trigger.rates.prescale import PrescaleMode
from trigger.rates.tally import PrescalePlan


def _one(fired: list[bool], probability: list[float]) -> tuple[list[float], list[float], list[float], float]:
    acc = expected_acceptance(np.array([fired]), np.array(probability))
    return acc.seed[0].tolist(), acc.pure[0].tolist(), acc.share[0].tolist(), float(acc.total[0])


def test_two_prescaled_seeds_by_hand() -> None:
    # A (p=2) and B (p=4) fired, C (p=1) did not, D (disabled) fired.
    # OR: 1 - (1/2)(3/4) = 5/8; pure A: (1/2)(3/4) = 3/8, pure B: (1/4)(1/2) = 1/8;
    # proportional A: (1/2) E[1/(1+B)] = (1/2)(3/4 + 1/4 * 1/2) = 7/16, B: (1/4)(1/2 + 1/2 * 1/2) = 3/16.
    seed, pure, share, total = _one([True, True, False, True], [0.5, 0.25, 1.0, 0.0])
    assert seed == pytest.approx([0.5, 0.25, 0.0, 0.0])
    assert total == pytest.approx(5 / 8)
    assert pure == pytest.approx([3 / 8, 1 / 8, 0.0, 0.0])
    assert share == pytest.approx([7 / 16, 3 / 16, 0.0, 0.0])


def test_unprescaled_seed_with_prescaled_one_by_hand() -> None:
    # A (p=1) always accepted, so B is never pure; A's share: 1/2 alone + 1/2 halved = 3/4, B's: 1/2 * 1/2.
    seed, pure, share, total = _one([True, True], [1.0, 0.5])
    assert seed == [1.0, 0.5]
    assert total == 1.0
    assert pure == pytest.approx([0.5, 0.0])
    assert share == pytest.approx([0.75, 0.25])
    # three seeds at p=2: OR 7/8, each pure 1/8, shares equal by symmetry
    _, pure, share, total = _one([True] * 3, [0.5] * 3)
    assert total == pytest.approx(7 / 8)
    assert pure == pytest.approx([1 / 8] * 3)
    assert share == pytest.approx([7 / 24] * 3)


@pytest.mark.parametrize("trial", range(30))
def test_expected_values_equal_enumeration_of_accept_patterns(trial: int) -> None:
    rng = np.random.default_rng(trial)
    s = int(rng.integers(1, 8))
    probability = rng.choice([0.0, 1.0, 0.5, 1 / 3, 0.01, 1 / 1.5, 1 / 250], size=s)
    fired = rng.random((5, s)) < 0.7
    acc = expected_acceptance(fired, probability)
    for i in range(5):
        seed, pure, share, total = np.zeros(s), np.zeros(s), np.zeros(s), 0.0
        for pattern in itertools.product((0, 1), repeat=s):
            b = np.array(pattern, dtype=bool)
            if (b & ~fired[i]).any():
                continue
            a = fired[i] * probability
            prob = float(np.prod(np.where(b, a, 1 - a)))
            n = b.sum()
            seed += prob * b
            pure += prob * b * (n == 1)
            share += prob * b / max(n, 1)
            total += prob * (n > 0)
        np.testing.assert_allclose(acc.seed[i], seed, atol=1e-12)
        np.testing.assert_allclose(acc.pure[i], pure, atol=1e-12)
        np.testing.assert_allclose(acc.share[i], share, atol=1e-12)
        assert acc.total[i] == pytest.approx(total, abs=1e-12)


def test_expected_equals_counter_without_prescales() -> None:
    rng = np.random.default_rng(3)
    fired = rng.random((200, 9)) < 0.3
    probability = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    e = expected_acceptance(fired, probability)
    c = counter_acceptance(fired & (probability > 0))
    for a, b in ((e.seed, c.seed), (e.pure, c.pure), (e.share, c.share), (e.total, c.total)):
        np.testing.assert_allclose(a, b, atol=1e-12)


SEEDS = """\
  J10: {legs: [{collection: jets, min_pt: 10}], prescale: 2}
  J20: {legs: [{collection: jets, min_pt: 20}], prescale: 4}
"""
# zero-bias rate 1 kHz: a rate in kHz is the fraction of the summed weight (10)
BUNCHES = "bunches: {colliding: 1, revolution_hz: 1000}\n"


def _table(tmp_path: Path, weights: list[float], pts: list[float], plan_mode: PrescaleMode | None = None) -> RateTable:
    f = write_events(
        tmp_path / "w.root",
        {
            "weight": np.array(weights, dtype=np.float64),
            "L1Jet_pt": [[p] for p in pts],
            "L1Jet_eta": [[0.0] for _ in pts],
            "L1Jet_phi": [[0.0] for _ in pts],
        },
    )
    menu = load_menu(menu_yaml(tmp_path / "m.yaml", SEEDS, BUNCHES))
    schema = builtin_schema("l1emu")
    plan = PrescalePlan.for_menu(menu, plan_mode) if plan_mode else None
    proc = RateProcessor(menu, schema, plan)
    ds = open_dataset([str(f)], schema, proc.needs().branches(schema))
    table = run(proc, ds, chunk_size=2).result
    assert isinstance(table, RateTable)
    return table


def test_weighted_table_by_hand(tmp_path: Path) -> None:
    # events (w, leading jet): (1, 15) fires J10; (2, 25), (4, 30) fire both; (3, 5) nothing. Sum of w = 10.
    t = _table(tmp_path, [1.0, 2.0, 3.0, 4.0], [15.0, 25.0, 5.0, 30.0])
    j10, j20 = t.seeds
    assert t.prescale_mode == "expected"
    assert j10.prescaled.khz == pytest.approx(3.5 / 10)  # (1 + 2 + 4) / 2
    assert j20.prescaled.khz == pytest.approx(1.5 / 10)  # (2 + 4) / 4
    assert t.total_prescaled.khz == pytest.approx(4.25 / 10)  # 1/2 + 6 * 5/8
    assert j10.pure.khz == pytest.approx(2.75 / 10)  # 1/2 + 6 * 3/8
    assert j20.pure.khz == pytest.approx(0.75 / 10)  # 6 * 1/8
    assert j10.proportional_khz == pytest.approx(3.125 / 10)  # 1/2 + 6 * 7/16
    assert j20.proportional_khz == pytest.approx(1.125 / 10)  # 6 * 3/16
    # errors: sqrt(sum (w f)^2): J10 (1 + 4 + 16) / 4, OR (1/2)^2 + (4 + 16) (5/8)^2
    assert j10.prescaled.err_up == pytest.approx(np.sqrt(5.25) / 10)
    assert t.total_prescaled.err_up == pytest.approx(np.sqrt(0.25 + 20 * 25 / 64) / 10)
    assert j10.n_eff == pytest.approx(49 / 21)
    # expected values do not depend on the event order
    r = _table(tmp_path, [4.0, 3.0, 2.0, 1.0], [30.0, 5.0, 25.0, 15.0])
    assert [s.prescaled.khz for s in r.seeds] == pytest.approx([s.prescaled.khz for s in t.seeds], rel=1e-12)
    assert r.total_prescaled.khz == pytest.approx(t.total_prescaled.khz, rel=1e-12)


def test_counter_on_unweighted_and_when_asked(tmp_path: Path) -> None:
    # unweighted: the uGT counter from 0; J10 fires on events 0, 1, 3 and accepts its 2nd fire (event 1)
    t = _table(tmp_path, [1.0] * 4, [15.0, 25.0, 5.0, 30.0])
    assert (t.prescale_mode, t.prescale_counters) == ("counter", "zero")
    j10, j20 = t.seeds
    assert (j10.prescaled.count, j20.prescaled.count, t.total_prescaled.count) == (1, 0, 1)
    # the counter forced on a weighted sample: the accepted event keeps its full weight (2)
    c = _table(tmp_path, [1.0, 2.0, 3.0, 4.0], [15.0, 25.0, 5.0, 30.0], PrescaleMode.COUNTER)
    assert c.prescale_mode == "counter"
    assert c.seeds[0].prescaled.khz == pytest.approx(2 / 10)
    assert c.seeds[1].prescaled.khz == 0.0
    # expected values forced on unweighted data
    e = _table(tmp_path, [1.0] * 4, [15.0, 25.0, 5.0, 30.0], PrescaleMode.EXPECTED)
    assert e.seeds[0].prescaled.khz == pytest.approx(1.5 / 4)
    assert e.total_prescaled.khz == pytest.approx((0.5 + 2 * 5 / 8) / 4)
