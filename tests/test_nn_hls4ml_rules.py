"""hls4ml 1.3's Resource reuse-factor rules, against hls4ml's own backend functions."""

from __future__ import annotations

import pytest

from trigger.nn.hls4ml_rules import closest_reuse_factor, hls4ml_reuse_factors, resource_input_order

SHAPES = [(57, 32), (16, 64), (30, 25), (25, 20), (20, 1), (16, 5), (7, 3), (64, 32), (1, 1)]


@pytest.mark.parametrize(("n_in", "n_out"), SHAPES)
def test_valid_and_closest_reuse_factors_are_hls4ml_s(n_in: int, n_out: int) -> None:
    from hls4ml.backends import get_backend

    backend = get_backend("Vivado")
    valid = backend.get_valid_reuse_factors(n_in, n_out)
    assert hls4ml_reuse_factors(n_in, n_out) == valid
    for chosen in range(1, n_in * n_out + 3):
        assert closest_reuse_factor(n_in, n_out, chosen) == backend.get_closest_reuse_factor(valid, chosen)


def test_resource_order_is_a_permutation_by_chunks() -> None:
    assert resource_input_order(8, 4) == (0, 4, 1, 5, 2, 6, 3, 7)  # chunk r holds inputs r, r + 4
    assert resource_input_order(8, 8) == tuple(range(8))
    for n_in, rf in ((57, 19), (64, 16), (30, 6)):
        assert sorted(resource_input_order(n_in, rf)) == list(range(n_in))
