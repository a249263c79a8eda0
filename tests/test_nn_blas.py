"""The one-call dense layer (:mod:`trigger.nn.blas`) against what it replaces, numpy's ``matmul`` then ``+= b``,
bit for bit: the anomaly models' shapes, row counts off the kernels' tiles, values across float32's range with
zeros, infinities and NaN, and every refused case (which must give the same bits through the two steps)."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.nn import blas


def _reference(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    want: np.ndarray = np.matmul(x, w)
    want += b
    return want


def _bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a).view(np.int32).ravel().tolist()


@pytest.fixture
def fused() -> None:
    """Where numpy's wheel brings its OpenBLAS, the one-call path must be on (its probe passed)."""
    if not blas._loaded_openblas():
        pytest.skip("numpy's OpenBLAS not found here: dense_bias is numpy's two steps")
    assert blas.fused_available()


@pytest.mark.parametrize(
    ("n", "k", "m"), [(42000, 57, 32), (4177, 32, 16), (3001, 16, 8), (2999, 32, 8), (1025, 8, 32), (257, 32, 57)]
)
@pytest.mark.usefixtures("fused")
def test_one_call_is_matmul_then_bias(n: int, k: int, m: int) -> None:
    rng = np.random.default_rng(n + k + m)
    x = (rng.standard_normal((n, k)) * 10.0 ** rng.uniform(-6, 6, (n, 1))).astype(np.float32)
    x[rng.random(x.shape) < 0.2] = 0.0  # relu zeros
    w = rng.standard_normal((k, m)).astype(np.float32)
    b = (rng.standard_normal(m) * 10.0 ** rng.uniform(-3, 3, m)).astype(np.float32)
    b[0] = 0.0
    out = np.full((n, m), np.nan, np.float32)  # whatever was there before
    blas.dense_bias(x, w, b, out)
    want = _reference(x, w, b)
    assert _bits(out) == _bits(want)
    assert np.count_nonzero(want != np.matmul(x, w) + b.astype(np.float64)) > 0  # roundings do happen


@pytest.mark.usefixtures("fused")
def test_one_call_keeps_infinities_and_nan() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((600, 9)).astype(np.float32)
    x[:10] = 3e38  # sums overflow
    x[10:20, 0] = np.inf
    x[20:30, 1] = np.nan
    w = rng.standard_normal((9, 7)).astype(np.float32)
    b = rng.standard_normal(7).astype(np.float32)
    b[3] = np.inf
    out = np.empty((600, 7), np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        blas.dense_bias(x, w, b, out)
        want = _reference(x, w, b)
    assert _bits(out) == _bits(want)
    assert np.isinf(out).any() and np.isnan(out).any()


def test_refused_arrays_take_the_two_steps() -> None:
    """A -0.0 bias, float64, non-contiguous operands, an output aliasing its input: the same bits as numpy's two
    steps (the fallback), and neither the inputs nor anything beyond the output touched."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((700, 12)).astype(np.float32)
    w = rng.standard_normal((12, 5)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    negative_zero = b.copy()
    negative_zero[2] = -0.0
    cases = [
        (x, w, negative_zero),
        (x[::2], w, b),
        (x, np.asfortranarray(w), b),
    ]
    for xi, wi, bi in cases:
        out = np.empty((xi.shape[0], wi.shape[1]), np.float32)
        blas.dense_bias(xi, wi, bi, out)
        assert _bits(out) == _bits(_reference(xi, wi, bi))
    wide = np.zeros((700, 6), np.float32)
    blas.dense_bias(x, w, b, wide[:, :5])  # a strided output: the two steps, into it
    assert _bits(wide[:, :5]) == _bits(_reference(x, w, b)) and not wide[:, 5].any()
    x64 = x.astype(np.float64)
    out64 = np.empty((700, 5))
    blas.dense_bias(x64, w.astype(np.float64), b.astype(np.float64), out64)
    assert np.array_equal(out64, _reference(x64, w.astype(np.float64), b.astype(np.float64)))


def test_not_fused_is_the_two_steps() -> None:
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((300, 8), (8, 4), (4,)))
    out = np.empty((300, 4), np.float32)
    blas.dense_bias(x, w, b, out, fused=False)
    assert _bits(out) == _bits(_reference(x, w, b))


@pytest.mark.parametrize("k", [65, 384, 700])
def test_a_long_inner_dimension_takes_the_two_steps(k: int) -> None:
    # OpenBLAS adds a long K's panels into C one by one: with C = b that is (b + s1) + s2, not (s1 + s2) + b
    # (measured: the raw one-call path differs on 2 287 of 8 000 outputs at K = 384), so dense_bias must not take it
    rng = np.random.default_rng(k)
    x = rng.standard_normal((500, k)).astype(np.float32)
    w = rng.standard_normal((k, 16)).astype(np.float32)
    b = (100 * rng.standard_normal(16)).astype(np.float32)
    want = x @ w
    want += b
    got = np.empty((500, 16), np.float32)
    blas.dense_bias(x, w, b, got)
    np.testing.assert_array_equal(got.view(np.int32), want.view(np.int32))
