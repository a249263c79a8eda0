"""The untraced fixed-point forward pass: exact float raw integers, fused layers, cache-sized row blocks.

Same values as :func:`trigger.nn.emulate.forward_fixed` layer after layer (the tests compare every
bit on every shipped model), in fewer passes over the data:

- dense (exact accumulator) + its result cast + a following relu/linear and its cast are one BLAS
  call on the raw integers with the weights pre-scaled by a power of two to the result's LSB (exact),
  one rounding, one clamp, one ``max(0)``; float32 BLAS where a bound on the block's own values
  proves every partial sum exact in float32 (it is 3-4x faster than float64 on one core), float64
  otherwise;
- a scale layer whose input type is its scale type is one subtraction, one clamp, one floor of a
  power-of-two scaling and one cast;
- a table softmax runs on the transposed block, one contiguous row per class (numpy's row reductions
  over a few columns are slow).

Anything else falls back to the layer's own executor.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedArray, FixedType, Overflow, mult_type
from trigger.fixed.engine import _saturation_limits
from trigger.fixed.engine_f64 import NO_OVERFLOW, f64_eligible, fixed_to_fixed_f64, resolve_f64, round_f64
from trigger.nn.emulate import dense_sum_bound, forward_fixed
from trigger.nn.layers import (
    Accumulation,
    ActivationLayer,
    DenseLayer,
    Layer,
    LookupTable,
    ModelDescription,
    ScaleLayer,
    SoftmaxTables,
)

__all__ = ["run_blocks"]

F64 = NDArray[np.float64]
F32 = NDArray[np.float32]
#: float32 carries raws of types up to this width (|raw| <= 2**21, far from the 2**24 mantissa)
_F32_WIDTH = 22
#: float32 dense sums are used when every partial sum is provably below this (midpoints stay exact)
_F32_LIMIT = 2.0**23


class _Raw(NamedTuple):
    """A block's raw integers (float32 or float64, exact) and their type, between fused layers."""

    values: NDArray[np.floating[Any]]
    type: FixedType
    reach: F64 | None = None  # a proved bound on |values| per column, when one is known


#: Bytes of one layer's float64 output per block (the block stays cache-resident between passes).
_CACHE_BYTES = 2 * 1024 * 1024


@functools.lru_cache(maxsize=256)
def _sum_bound(dense: DenseLayer, input_t: FixedType) -> int:
    return dense_sum_bound(input_t, dense.weights_raw)


@functools.lru_cache(maxsize=256)
def _scaled_parameters(dense: DenseLayer, input_t: FixedType, out_t: FixedType) -> tuple[F64, F64]:
    """Raw weights and bias as float64, scaled (exactly, by powers of two) to ``out_t``'s LSB."""
    prod_frac = input_t.frac + dense.weight_t.frac
    weights = dense.weights_raw.astype(np.float64) * 2.0 ** (out_t.frac - prod_frac)
    return weights, dense.bias_raw.astype(np.float64) * 2.0 ** (out_t.frac - dense.bias_t.frac)


def _reach(raw: NDArray[np.floating[Any]]) -> F64:
    """Largest ``|raw|`` of each input column in this block."""
    out: F64 = np.maximum(raw.max(axis=0), -raw.min(axis=0)).astype(np.float64)
    return out


def _sum_reach(dense: DenseLayer, x_t: FixedType, reach: F64) -> F64:
    """Per output: a bound on every ``|partial sum|`` of the block, in units of the exact sum's LSB.

    Each product and partial sum is an integer in those units, at most ``sum_i reach_i |w_ij| + |b_j|``.
    """
    e = dense.exact_t.frac
    prod_frac = x_t.frac + dense.weight_t.frac
    w_abs, b_abs = _abs_parameters(dense)
    out: F64 = (reach @ w_abs) * 2.0 ** (e - prod_frac) + b_abs * 2.0 ** (e - dense.bias_t.frac)
    return out


@functools.lru_cache(maxsize=256)
def _abs_parameters(dense: DenseLayer) -> tuple[F64, F64]:
    return np.abs(dense.weights_raw.astype(np.float64)), np.abs(dense.bias_raw.astype(np.float64))


@functools.lru_cache(maxsize=256)
def _f32_parameters(dense: DenseLayer, input_t: FixedType, out_t: FixedType) -> tuple[F32, F32]:
    weights, bias = _scaled_parameters(dense, input_t, out_t)
    return weights.astype(np.float32), bias.astype(np.float32)


def _f32_type(t: FixedType) -> bool:
    return t.width <= _F32_WIDTH and not t.is_int


def _fused_dense(dense: DenseLayer, act: ActivationLayer | None, x: _Raw) -> _Raw | None:
    """Dense [+ relu/linear] on float raws, or None where the fused form does not apply.

    ``y = x @ (W * 2**(F_r - F_xw)) + b * 2**(F_r - F_b)`` is the exact sum in units of the dense
    result's LSB (power-of-two scalings of integers below 2**53 are exact), so rounding and clamping
    ``y`` is the cast exact -> result; ``max(0)`` and the activation's cast follow on the same array.
    The sum runs in float32 where :func:`_sum_reach` proves it exact for the block, else in float64.
    """
    exact, res_t = dense.exact_t, dense.result_t
    out_t = act.result_t if act is not None else res_t
    bound = _sum_bound(dense, x.type)
    if (
        dense.accumulation is not Accumulation.EXACT
        or dense.accum_t != exact
        or not f64_eligible(exact, res_t, out_t)
        or bound >= 2**53
        or (act is not None and (act.function not in ("relu", "linear") or act.input_t != res_t))
    ):
        return None
    use32, sums = False, None
    if _f32_type(res_t) and out_t == res_t:
        # below 2**23 float32 holds each partial sum, each power-of-two scaling and each midpoint exactly;
        # try the bound carried from the previous layer first (no pass over the data), then the block's own
        for reach in (x.reach, None):
            sums = _sum_reach(dense, x.type, _reach(x.values) if reach is None else reach)
            if sums.max(initial=0.0) < _F32_LIMIT:
                use32 = True
                break
    if use32:
        w32, b32 = _f32_parameters(dense, x.type, res_t)
        # float32 raws through the float64 helpers: the same exact steps, every value below 2**23
        y: Any = x.values.astype(np.float32, copy=False) @ w32
        y += b32
    else:
        weights, bias = _scaled_parameters(dense, x.type, res_t)
        y = x.values.astype(np.float64, copy=False) @ weights
        y += bias
    if res_t.frac < exact.frac:
        y = round_f64(y, res_t.rounding, inplace=True)
    relu = act is not None and act.function == "relu"
    if relu and (res_t == exact or res_t.overflow in (Overflow.AP_SAT, Overflow.AP_SAT_SYM)):
        # relu of a saturated value as one clip: for lo <= 0 <= hi (every type has max_raw >= 0),
        # max(0, min(max(y, lo), hi)) == min(max(y, max(lo, 0)), hi); where res_t == exact, y already
        # lies in [lo, hi] and the clip at hi changes nothing (np.maximum is ~5x slower than np.clip)
        lo, hi = _saturation_limits(res_t)
        np.clip(y, float(max(lo, 0)), float(hi), out=y)
    else:
        if res_t != exact:
            y, _ = resolve_f64(y, res_t, small=use32 or bound < 2**51, track=False, inplace=True)
        if relu:
            np.maximum(y, 0.0, out=y)
    reach_out = None
    if out_t != res_t:
        y, _ = fixed_to_fixed_f64(y, res_t, out_t, track=False)
    elif use32 and sums is not None:  # |y| <= the sum bound in the result's LSB, rounded up, and the type's range
        limit = float(max(-out_t.min_raw, out_t.max_raw))
        reach_out = np.minimum(np.floor(sums * 2.0 ** (res_t.frac - exact.frac)) + 1.0, limit)
    return _Raw(y, out_t, reach_out)


def _fused_scale(layer: ScaleLayer, x: _Raw) -> _Raw | None:
    """``result_t(scale_t(x - offset) >> shift)`` on float64 raws when ``x`` is already in ``scale_t``.

    Runs on the transposed block (one row per input): per-input constants then broadcast along long
    rows, several times faster in numpy than along 16-wide ones; the dense layer reads the transpose.
    """
    st = layer.scale_t
    if x.type != st or not f64_eligible(st, layer.result_t) or st.width > 50:
        return None
    tmp = np.ascontiguousarray(x.values.T, dtype=np.float64)
    tmp -= layer.offset_raw.astype(np.float64)[:, None]  # exact: |x|, |offset| < 2**50
    tmp, _ = resolve_f64(tmp, st, track=False, inplace=True)
    # |tmp| <= 2**(W-1) after the clip, so a shift beyond W + 1 gives the sign (0 or -1) as W + 1 does;
    # clamping it keeps 2**-shift a normal double (2.0**-1075 would underflow to 0 and lose the -1)
    shift = np.minimum(layer.shift, st.width + 1).astype(np.float64)
    tmp *= (2.0**-shift)[:, None]  # exact power-of-two scaling
    np.floor(tmp, out=tmp)  # the arithmetic right shift of the raw bits
    y, _ = fixed_to_fixed_f64(tmp, st, layer.result_t, track=False)
    # the block's own |raw| per input, from contiguous rows (cheap here; the dense layer needs it)
    reach = np.maximum(y.max(axis=1), -y.min(axis=1)) if y.shape[1] else None
    return _Raw((y.astype(np.float32) if _f32_type(layer.result_t) else y).T, layer.result_t, reach)


def _table_lookup(table: LookupTable, v: F64) -> F64:
    """The table entries at exact float raws ``v``, indexed by :meth:`LookupTable.index` (the C++'s steps)."""
    return _table_f64(table)[table.index(v)]


@functools.lru_cache(maxsize=64)
def _table_f64(table: LookupTable) -> F64:
    return table.values_raw.astype(np.float64)


def _fused_softmax(layer: ActivationLayer, x: _Raw) -> _Raw | None:
    """The table softmax of :func:`trigger.nn.emulate._softmax_fixed` on float raws, reductions by column."""
    tables = layer.softmax
    if layer.function != "softmax" or not isinstance(tables, SoftmaxTables) or x.type != layer.input_t:
        return None
    exp_t, inv_t = tables.exp.table_t, tables.inv.table_t
    prod_t = mult_type(exp_t, inv_t)
    if not f64_eligible(x.type, tables.sum_t, prod_t, layer.result_t) or x.type.width > 50:
        return None
    # one row per class (the transpose): the reductions over the few classes become element-wise
    # operations on long contiguous rows, several times faster than row reductions of a (rows, n) block
    v = np.ascontiguousarray(x.values.T, dtype=np.float64)
    if tables.implementation == "stable":
        v = v.max(axis=0) - v  # max - x >= 0, exact
    exp_raw = _table_lookup(tables.exp, v)
    inv_raw = _table_lookup(tables.inv, exp_raw.sum(axis=0))  # exact: sum_t holds n entries
    exp_raw *= inv_raw  # exact: the product type is f64-eligible
    y, _ = fixed_to_fixed_f64(exp_raw, prod_t, layer.result_t, track=False)
    return _Raw(y.T, layer.result_t)


def _run_block(model: ModelDescription, batch: F64) -> FixedArray:
    """All layers on one block of rows, fused where possible (no overflow bookkeeping)."""
    first = model.input_t.from_float(batch, f64=True, track_overflow=False)
    x = _Raw(first.raw, first.type)
    layers, i = model.layers, 0
    while i < len(layers):
        layer: Layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        fused: _Raw | None = None
        step = 1
        if isinstance(layer, DenseLayer):
            if isinstance(nxt, ActivationLayer) and nxt.function in ("relu", "linear"):
                fused, step = _fused_dense(layer, nxt, x), 2
            if fused is None:
                fused, step = _fused_dense(layer, None, x), 1
        elif isinstance(layer, ScaleLayer):
            fused = _fused_scale(layer, x)
        elif isinstance(layer, ActivationLayer) and layer.function == "softmax":
            fused = _fused_softmax(layer, x)
        if fused is None:
            out, _ = forward_fixed(layer, _as_fixed(x), count=False)
            x, step = _Raw(out.raw, out.type), 1
        else:
            x = fused
        i += step
    return _as_fixed(x)


def _as_fixed(x: _Raw) -> FixedArray:
    """Back to the representation of the rest of the emulator (float64 raws where exact, else integers)."""
    values = x.values.astype(np.float64) if x.values.dtype == np.float32 else x.values
    return FixedArray(values, x.type, NO_OVERFLOW)


def run_blocks(model: ModelDescription, batch: F64) -> FixedArray:
    """The model on ``batch`` (already shaped (n, n_inputs)) in row blocks small enough for the cache."""
    widest = max([model.n_inputs] + [la.n_out for la in model.layers])
    rows = min(max(_CACHE_BYTES // (8 * widest), 1024), 16384)
    blocks = [_run_block(model, batch[i : i + rows]) for i in range(0, max(len(batch), 1), rows)]
    raw = np.concatenate([b.raw for b in blocks]) if len(blocks) > 1 else blocks[0].raw
    return FixedArray(raw, blocks[0].type, NO_OVERFLOW)
