"""The anomaly event loop's shortcuts (issue 13 item 6), each against an independent reference: the exact first
layer shared by the float and fixed paths (integer sums, the traced fixed layer), row-major fixed chains (the
traced path), the float32 square error with its exact fallback (the traced square-sum layer), the VAE's column
sums (numpy's own sum), the row scaling's values (the traced scaling), and the loop's scores with and without the
shortcuts (the same bits, float included; the one-call dense layers too)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import trigger.nn.fast as fast
from algorithms.anomaly.model import DEFAULT_DIR, ScaledInputs, load_ae, load_description, row_sums, vae_parts
from trigger.fixed import FixedType
from trigger.nn import SquareSumLayer, blas, describe, run_fixed
from trigger.nn.fast_scale import RowScale
from trigger.nn.layers import ActivationLayer, DenseLayer, Layer, ScaleLayer

T = FixedType.from_string
IN_T = T("ap_fixed<14,6,AP_RND_CONV,AP_SAT>")  # the scaled inputs' type
W_T = T("ap_fixed<6,1,AP_RND_CONV,AP_SAT>")
RES_T = T("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")


def _dense(n_in: int, n_out: int, seed: int, in_t: FixedType = IN_T, quantized: bool = True) -> DenseLayer:
    rng = np.random.default_rng(seed)
    w, b = rng.uniform(-1, 1, (n_in, n_out)), rng.uniform(-1, 1, n_out)
    if quantized:  # the float weights are the fixed ones (QAT), as the shipped models'
        w, b = W_T.from_float(w).to_float(), W_T.from_float(b).to_float()
    exact = T(f"ap_fixed<{in_t.width + W_T.width + 6},{in_t.integer + W_T.integer + 6}>")
    return DenseLayer(f"fc{seed}", w, b, in_t, W_T, W_T, exact, RES_T, exact)


def _relu(dense: DenseLayer, result_t: FixedType = RES_T) -> ActivationLayer:
    return ActivationLayer(f"{dense.name}_relu", "relu", dense.n_out, dense.result_t, result_t)


def _raws(n: int, k: int, t: FixedType, seed: int) -> np.ndarray:
    """Raw integers of ``t`` over its whole range, the extremes included."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(t.min_raw, t.max_raw + 1, (n, k))
    raw[:20] = t.max_raw
    raw[20:40] = t.min_raw
    raw[40:60] = 0
    raw[rng.random((n, k)) < 0.3] = 0  # zero-padded slots
    return raw


def _four_scores(inputs: ScaledInputs, ae: Any, vae_net: Any) -> list[bytes]:
    """Both shipped models' float and fixed scores of ``inputs``, as bytes (zero signs and NaNs compared too)."""
    return [
        inputs.float(vae_net).tobytes(),
        inputs.fixed(vae_net).tobytes(),
        inputs.float(ae.network, ae.score).tobytes(),
        inputs.fixed(ae.network, ae.score).tobytes(),
    ]


def test_exact_first_layer_gives_the_fixed_layer() -> None:
    """The float32 product is the exact integer sum on every input; rounded and clamped it is the traced layer."""
    dense = _dense(57, 32, 1)
    relu = _relu(dense)
    plan = fast.float_exact_dense(dense, relu, IN_T)
    assert plan is not None
    raw = _raws(3000, 57, IN_T, 2)
    x = np.ldexp(raw, -IN_T.frac).astype(np.float32)  # the float path's scaled values
    y = x @ plan.weights
    fast.add_to_rows(y, plan.bias)
    exact = raw @ dense.weights_raw.astype(np.int64) * 2 ** (dense.exact_t.frac - IN_T.frac - W_T.frac)
    exact += dense.bias_raw.astype(np.int64) * 2 ** (dense.exact_t.frac - W_T.frac)
    assert np.array_equal(np.ldexp(y.astype(np.float64), dense.exact_t.frac), exact)  # every sum exact
    assert np.abs(exact).max() > 2**20  # sums far from small
    np.clip(y, 0.0, np.inf, out=y)
    got = plan.fixed(y, np.empty_like(y))
    traced, _ = run_fixed(describe("l1", IN_T, [dense, relu]), x.astype(np.float64), trace=True)
    assert np.array_equal(got.t.T, traced.raw) and got.type == traced.type
    assert np.count_nonzero(traced.raw == RES_T.max_raw) > 0 and np.count_nonzero(traced.raw == 0) > 0


def test_exact_first_layer_is_refused_where_the_proof_fails() -> None:
    dense = _dense(57, 32, 1)
    assert fast.float_exact_dense(_dense(57, 32, 1, quantized=False), _relu(dense), IN_T) is None  # float != fixed
    wide = T("ap_fixed<22,12,AP_RND_CONV,AP_SAT>")
    assert fast.float_exact_dense(_dense(57, 32, 1, wide), _relu(dense), wide) is None  # sums beyond 2**24
    wrapping = _relu(dense, T("ap_fixed<16,6,AP_RND_CONV,AP_WRAP>"))
    assert fast.float_exact_dense(dense, wrapping, IN_T) is None  # a second, wrapping cast


def test_row_major_chain_is_the_traced_path() -> None:
    """Three dense layers rows by features (the first two write the next one's ones column) give the traced bits."""
    a, b, c = _dense(57, 16, 3), _dense(16, 8, 4, RES_T), _dense(8, 5, 5, RES_T)
    layers: list[Layer] = [a, _relu(a), b, _relu(b), c]
    x = np.ldexp(_raws(2000, 57, IN_T, 6), -IN_T.frac)
    rows = np.ascontiguousarray(np.ldexp(x, IN_T.frac), dtype=np.float32)  # raws, rows by features
    got = fast.run_layers(layers, fast.Rows(rows.T, IN_T, nonneg=False), row_major=True)
    traced, _ = run_fixed(describe("chain", IN_T, layers), x, trace=True)
    assert got.t.strides[0] == got.t.itemsize  # rows by features
    assert np.array_equal(got.t.T, traced.raw)
    assert len(np.unique(traced.raw)) > 100


def test_float32_square_error_is_exact() -> None:
    """Squares beyond float32's 24 bits, sums on a step of the result (the exact fallback), saturation."""
    diff_t = T("ap_fixed<17,7,AP_TRN,AP_WRAP>")
    layer = SquareSumLayer("score", 57, diff_t, T("ap_ufixed<18,14,AP_TRN,AP_SAT>"))
    rng = np.random.default_rng(9)
    x_raw = rng.integers(-(2**13), 2**13, (4000, 57))  # scaled inputs: 8 fraction bits
    y_raw = x_raw * 4 + rng.integers(-3000, 3000, (4000, 57))  # a reconstruction: 10 fraction bits
    y_raw[:500] = x_raw[:500] * 4  # rows summing to an exact multiple of a result step:
    y_raw[:500, 0] -= 256 * rng.integers(1, 200, 500)  # d = 256 k, S = 2**16 k**2
    y_raw[500:520] = -(2**15)  # saturating scores
    y_raw = np.clip(y_raw, -(2**15), 2**15 - 1)
    x = np.ldexp(x_raw, -8).astype(np.float32)
    got = fast.square_error_rows(layer, x, 2.0**10, y_raw.astype(np.float32), 1.0)
    assert got is not None
    d = np.ldexp(x_raw * 4 - y_raw, -10)
    traced, _ = run_fixed(describe("score", diff_t, [layer]), d, trace=True)
    assert np.array_equal(got.t[0], traced.raw[:, 0])
    assert np.count_nonzero(traced.raw == layer.result_t.max_raw) >= 20
    s = ((x_raw * 4 - y_raw).astype(np.float32) ** 2).sum(axis=1, dtype=np.float32)
    assert not np.array_equal(s.astype(np.int64), ((x_raw * 4 - y_raw) ** 2).sum(axis=1))  # float32 is inexact


@pytest.mark.parametrize("width", [1, 7, 8, 9, 15, 16, 19])
def test_row_sums_are_numpys(width: int) -> None:
    rng = np.random.default_rng(width)
    x = (rng.standard_normal((3000, width)) * 10.0 ** rng.uniform(-3, 3, width)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = 0.0
    x[rng.random(x.shape) < 0.05] = -0.0
    assert np.array_equal(row_sums(x).view(np.int32), x.sum(axis=1, keepdims=True).view(np.int32))


def test_loop_scores_with_and_without_the_shared_first_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shipped models on pt-like raw inputs: the same float and fixed bits as the blocks path they replace."""
    ae, vae = load_ae(DEFAULT_DIR), load_description(DEFAULT_DIR, "vae")
    _, vae_net = vae_parts(vae)
    rows = np.abs(np.random.default_rng(3).normal(20, 15, (57, 2500)))
    rows[:, ::7] = 0.0

    def scores() -> list[bytes]:
        return _four_scores(ScaledInputs(ae.scale, rows), ae, vae_net)

    assert ScaledInputs(ae.scale, rows)._plan(ae.network) is not None
    shared = scores()
    monkeypatch.setattr(ScaledInputs, "_plan", lambda self, network: None)
    assert scores() == shared


def test_fixed_scores_whatever_ran_before() -> None:
    """The fixed first layer comes from the last float path that ran: another model's in between, or none."""
    ae, vae = load_ae(DEFAULT_DIR), load_description(DEFAULT_DIR, "vae")
    _, vae_net = vae_parts(vae)
    rows = np.abs(np.random.default_rng(4).normal(20, 15, (57, 1500)))
    inputs = ScaledInputs(ae.scale, rows)
    want_vae, want_ae = inputs.fixed(vae_net), inputs.fixed(ae.network, ae.score)  # no float path before
    other = ScaledInputs(ae.scale, rows)
    other.float(vae_net)
    other.float(ae.network, ae.score)  # the autoencoder's first layer last
    assert other.fixed(vae_net).tolist() == want_vae.tolist()
    assert other.fixed(ae.network, ae.score).tolist() == want_ae.tolist()
    traced, _ = run_fixed(vae, np.ascontiguousarray(rows.T), trace=True)
    assert want_vae.tolist() == traced.to_float()[:, 0].tolist()


def _scaled_values(scale: ScaleLayer, rows: np.ndarray) -> np.ndarray:
    """The event loop's scaling: each raw input row through the row scaling in values mode."""
    row_scale = RowScale.of(scale, values=True)
    assert row_scale is not None
    values = np.empty(rows.shape, np.float32)
    for i in range(scale.n):
        row_scale(i, rows[i].astype(np.float32), values[i])
    return values


def test_row_scale_values_are_the_traced_scaling() -> None:
    """The values mode writes the traced scaling's values (raws times 2**-F), saturation at both ends included."""
    scale = load_ae(DEFAULT_DIR).scale
    rng = np.random.default_rng(5)
    rows = np.round(np.abs(rng.normal(30, 40, (scale.n, 3000))) * 32) / 32  # on the input grid
    rows[:, :20] = 5000.0  # beyond every offset: saturates high
    rows[:, 20:40] = 0.0
    values = _scaled_values(scale, rows)
    traced, _ = run_fixed(describe("scale", scale.input_t, [scale]), np.ascontiguousarray(rows.T), trace=True)
    assert values.T.tolist() == traced.to_float().tolist()
    assert np.count_nonzero(traced.raw == scale.result_t.max_raw) > 0 and len(np.unique(traced.raw)) > 1000


@pytest.mark.parametrize("shared_first_layer", [True, False])
def test_loop_scores_from_scaled_values(monkeypatch: pytest.MonkeyPatch, shared_first_layer: bool) -> None:
    """Inputs made from the scaled values (the float path's array a plain transpose, the raw blocks made only for
    a network without the exact first layer) score as the inputs scaled from the raw rows, float and fixed."""
    ae, vae = load_ae(DEFAULT_DIR), load_description(DEFAULT_DIR, "vae")
    _, vae_net = vae_parts(vae)
    rows = np.round(np.abs(np.random.default_rng(6).normal(20, 15, (57, 2500))) * 32) / 32
    rows[:, ::7] = 0.0
    if not shared_first_layer:
        monkeypatch.setattr(ScaledInputs, "_plan", lambda self, network: None)

    reference = ScaledInputs(ae.scale, rows)
    loop = ScaledInputs.of_values(ae.scale, _scaled_values(ae.scale, rows))
    assert loop.float32.tolist() == reference.float32.tolist()
    assert _four_scores(loop, ae, vae_net) == _four_scores(reference, ae, vae_net)
    if not shared_first_layer:  # the raw blocks were made, and are the reference's
        assert loop._blocks is not None
        assert [b.aug.tolist() for b in loop.blocks] == [b.aug.tolist() for b in reference.blocks]  # type: ignore[union-attr]


def test_loop_scores_with_and_without_the_one_call_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dense layers as one BLAS call (:func:`trigger.nn.blas.dense_bias`; the fixed chains' after the shared first
    layer too): the same bits, zero signs included, as numpy's matmul then the bias, on both models and both paths."""
    ae, vae = load_ae(DEFAULT_DIR), load_description(DEFAULT_DIR, "vae")
    _, vae_net = vae_parts(vae)
    rows = np.round(np.abs(np.random.default_rng(8).normal(20, 15, (57, 3000))) * 32) / 32
    rows[:, ::5] = 0.0

    def scores() -> list[bytes]:
        return _four_scores(ScaledInputs(ae.scale, rows), ae, vae_net)

    calls: list[int] = []
    real = blas._call

    def counted(*args: Any) -> None:
        calls.append(1)
        real(*args)

    monkeypatch.setattr(blas, "_call", counted)
    fused = scores()
    if blas.fused_available():  # every float dense layer (3 of the VAE, 4 of the autoencoder), every fixed one
        assert len(calls) == 7 + 5  # after the shared first layer (2 and 3: sums exact, any order's bits)
    monkeypatch.setattr(blas, "_gemm", lambda: None)
    assert scores() == fused
