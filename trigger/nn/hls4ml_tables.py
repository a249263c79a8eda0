"""hls4ml 1.3's activation tables and softmax kernels, reproduced for the hls4ml mode (``Accumulation: hls4ml``).

Read from hls4ml 1.3.0 ``templates/vivado/nnet_utils/nnet_activation.h`` and
``backends/vivado/passes/core_templates.py`` / ``backends/fpga/passes/fix_softmax_table_size.py``:

* **sigmoid / tanh.** ``N = table_size`` entries (default 1024) of ``table_t`` (default ``ap_fixed<18,8>``),
  entry ``i`` is the function at ``R (i - N/2) / (N/2)`` (``R`` = 8 for sigmoid, 4 for tanh: the left edge
  of its interval, computed in float: ``expf``, float adds), indexed by ``int(x * N / (2R)) + N/2``,
  clamped to ``[0, N-1]``. The ``int()`` truncates towards zero, so the entry at ``N/2`` covers
  ``(-2R/N, 2R/N)``: twice the others (x = -0.0099 gives sigmoid 0.5). As a :class:`LookupTable`:
  ``toward_zero`` indexing, or, when ``N/2R`` exceeds the input's LSB count, one entry per raw value.
* **softmax stable / latency.** Exp table indexed by the top ``log2 N`` bits of ``x`` (latency, two's
  complement: the table is rotated by N/2 to index from the most negative value) or of
  ``inp_norm_t(x_max - x)`` (stable; ``ap_ufixed<W-1, I-1>``, wrapping); entries ``exp_table_t``, read
  into ``accum_t`` (the model precision), summed by hls4ml's balanced adder tree in ``accum_t``, the sum
  cast to ``inv_inp_t`` whose top bits index the inverse table (``inv_table_t``); ``res = e_i * inv``.
  Defaults ``ap_fixed<18,8,AP_RND,AP_SAT>`` for the three table types; ``N = min(N, 2**min(W_in,
  W_inv_table))``, and for stable also ``min(N, 2**(W-1))``.
* **softmax legacy.** ``e_i = sum_j exp_table[int((x_j - x_i) N/16) + N/2]`` (``exp_table[x_i - x_i]``
  replaced by 1) accumulated in ``ap_fixed<18,8>`` (always: hls4ml writes no ``table_t`` into a softmax
  config, whatever its key says), then ``res_i = inv_table[int(e_i N/64)]`` with ``inv_table[k] = 1 / (64 k /
  N)`` (0 at k = 0): no product.
* **softmax argmax.** 1 at the first maximum, 0 elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedArray, FixedType, Overflow
from trigger.nn.layers import Hls4mlSoftmax, LookupTable

__all__ = [
    "HLS4ML_SOFTMAX_T",
    "HLS4ML_TABLE_T",
    "Hls4mlSoftmaxTypes",
    "hls4ml_activation_table",
    "hls4ml_softmax",
    "softmax_hls4ml_fixed",
]

#: hls4ml's default ``table_t`` of sigmoid/tanh (and of the legacy softmax)
HLS4ML_TABLE_T = FixedType(18, 8, True)
#: hls4ml's default ``exp_table_t``, ``inv_table_t`` and ``inv_inp_t`` of the table softmaxes
HLS4ML_SOFTMAX_T = FixedType.from_string("ap_fixed<18,8,AP_RND,AP_SAT>")
_HALF_RANGE = {"sigmoid": 8, "tanh": 4}


def _f32(v: NDArray[Any]) -> NDArray[np.float64]:
    return np.asarray(v, dtype=np.float64).astype(np.float32).astype(np.float64)


def _to_table(values: NDArray[np.float64], t: FixedType) -> NDArray[np.int64]:
    """``table_t y = v;`` for float values, +-inf included (saturated, or 0 when wrapping, as ap_fixed does)."""
    finite = np.isfinite(values)
    raw = t.from_float(np.where(finite, values, 0.0)).int_raw().astype(np.int64)
    if not finite.all():
        wraps = t.overflow is Overflow.AP_WRAP
        inf_raw = np.where(values > 0, 0 if wraps else t.max_raw, 0 if wraps else t.min_raw)
        raw = np.where(finite, raw, inf_raw)
    return raw.astype(np.int64)


def _function_entries(fn: str, n: int, table_t: FixedType) -> NDArray[np.int64]:
    """``init_sigmoid_table`` / ``init_tanh_table``: float arithmetic as the C++ does it."""
    r = _HALF_RANGE[fn]
    x = _f32(2.0 * r * (np.arange(n, dtype=np.float64) - n / 2.0) / n)
    # sigmoid: 1.0 / (1 + std::exp(-x)): expf, a float add, a double divide returned as float;
    # tanh: ::tanh(double) of the float argument, assigned straight to table_t
    with np.errstate(over="ignore"):
        values = _f32(1.0 / _f32(1.0 + _f32(np.exp(-x)))) if fn == "sigmoid" else np.tanh(x)
    return _to_table(values, table_t)


def _trunc_index_table(
    input_t: FixedType, table_t: FixedType, entries: NDArray[np.int64], span: int, offset: int
) -> LookupTable:
    """Entries indexed as hls4ml does: ``clamp(int(x * size / span) + offset, 0, size - 1)``, ``int()`` towards 0.

    ``size / span = 2**k`` (powers of two): the index is ``trunc(raw / 2**(F - k)) + offset``, a
    :class:`LookupTable` with ``toward_zero`` indexing; when ``k > F`` (a raw step skips entries) the
    table gets one entry per raw value instead.
    """
    size = int(entries.size)
    k, f = round(math.log2(size / span)), input_t.frac
    if k <= f:
        shift = f - k
        return LookupTable(input_t, table_t, -offset << shift, shift, entries, toward_zero=True)
    per_raw = 2 ** (k - f)  # table indices per raw unit
    lo, hi = -(offset // per_raw) - 1, -(-(size - offset) // per_raw) + 1
    raws = np.arange(lo, hi + 1, dtype=np.int64)
    idx = np.clip(raws * per_raw + offset, 0, size - 1)
    return LookupTable(input_t, table_t, int(lo), 0, entries[idx])


def hls4ml_activation_table(fn: str, input_t: FixedType, size: int, table_t: FixedType) -> LookupTable:
    """hls4ml's sigmoid/tanh table and index for inputs of ``input_t`` (``size`` a power of two)."""
    if size < 1 or size & (size - 1):
        raise ModelError(f"{fn} table size must be a power of two, got {size}")
    return _trunc_index_table(input_t, table_t, _function_entries(fn, size, table_t), 2 * _HALF_RANGE[fn], size // 2)


@dataclass(frozen=True)
class Hls4mlSoftmaxTypes:
    """The softmax types hls4ml reads from its config (``exp_table_t`` etc.), already resolved."""

    exp_table_t: FixedType = HLS4ML_SOFTMAX_T
    inv_table_t: FixedType = HLS4ML_SOFTMAX_T
    inv_inp_t: FixedType = HLS4ML_SOFTMAX_T
    accum_t: FixedType | None = None  # the model precision when unset


def _top_bits_values(t: FixedType, n_bits: int) -> NDArray[np.float64]:
    """``softmax_real_val_from_idx``: the value of ``t`` whose top ``n_bits`` are ``i`` (others 0), as float."""
    i = np.arange(2**n_bits, dtype=np.int64)
    raw = i << (t.width - n_bits)
    if t.signed:
        raw = np.where(raw >= 2 ** (t.width - 1), raw - 2**t.width, raw)
    return _f32(raw * t.lsb)


def _top_bits_table(t: FixedType, n_bits: int, entries: NDArray[np.int64], table_t: FixedType) -> LookupTable:
    """A table indexed by the top ``n_bits`` of ``t``'s raw bits, as a :class:`LookupTable` (monotone index)."""
    shift = t.width - n_bits
    if t.signed:  # index from min_raw upwards: hls4ml's index of the lowest values is size/2
        entries = np.roll(entries, -(entries.size // 2))
        return LookupTable(t, table_t, t.min_raw, shift, entries)
    return LookupTable(t, table_t, 0, shift, entries)


def hls4ml_softmax(
    implementation: str, input_t: FixedType, n: int, size: int, types: Hls4mlSoftmaxTypes, accum_t: FixedType
) -> Hls4mlSoftmax:
    """hls4ml's softmax of ``n`` values of ``input_t`` with ``size``-entry tables (before hls4ml's size fix)."""
    if implementation == "argmax":
        return Hls4mlSoftmax("argmax")
    if implementation == "legacy":
        diff_t = FixedType(input_t.width + 1, input_t.integer + 1, input_t.signed)  # x_j - x_i, exact
        t = HLS4ML_TABLE_T  # hls4ml 1.3 writes no table_t into a softmax config: activ_config's ap_fixed<18,8>
        x = _f32(16.0 * (np.arange(size, dtype=np.float64) - size / 2.0) / size)
        with np.errstate(over="ignore"):
            exp_entries = _to_table(_f32(np.exp(x)), t)
        exp = _trunc_index_table(diff_t, t, exp_entries, 16, size // 2)
        inv_x = _f32(64.0 * np.arange(size, dtype=np.float64) / size)
        with np.errstate(divide="ignore"):
            inv_entries = _to_table(np.where(inv_x > 0, 1.0 / np.where(inv_x > 0, inv_x, 1.0), 0.0), t)
        inv = _trunc_index_table(t, t, inv_entries, 64, 0)
        return Hls4mlSoftmax("legacy", exp, inv, t, t)
    if implementation not in ("stable", "latency"):
        raise ModelError(f"softmax implementation {implementation!r}: hls4ml has stable, latency, legacy, argmax")
    size = min(size, 2 ** min(input_t.width, types.inv_table_t.width))  # fix_softmax_table_size
    if implementation == "stable":
        s = int(input_t.signed)
        norm_t = FixedType(input_t.width - s, input_t.integer - s, False)
        exp_size = min(size, 2**norm_t.width) if s else size
        index_t, sign = norm_t, -1.0
    else:
        norm_t, exp_size, index_t, sign = None, size, input_t, 1.0
    exp_bits, inv_bits = int(math.log2(exp_size)), int(math.log2(size))
    inv_in = types.inv_inp_t
    if inv_bits > inv_in.width or exp_bits > index_t.width:
        raise ModelError(
            f"softmax tables of {size} entries need {inv_bits} index bits; inv_inp_t {inv_in} has {inv_in.width}"
        )
    with np.errstate(over="ignore"):
        exp_entries = _to_table(_f32(np.exp(sign * _top_bits_values(index_t, exp_bits))), types.exp_table_t)
    with np.errstate(divide="ignore"):
        inv_entries = _to_table(_f32(1.0 / _top_bits_values(inv_in, inv_bits)), types.inv_table_t)
    exp = _top_bits_table(index_t, exp_bits, exp_entries, types.exp_table_t)
    inv = _top_bits_table(inv_in, inv_bits, inv_entries, types.inv_table_t)
    return Hls4mlSoftmax(implementation, exp, inv, accum_t, inv_in, norm_t)


def _tree_sum(values: list[FixedArray], t: FixedType) -> FixedArray:
    """hls4ml's ``reduce<T, N, Op_add<T>>``: left half of size pow2(floorlog2(N-1)), each sum cast to ``t``."""
    n = len(values)
    if n == 1:
        return values[0]
    if n == 2:
        return (values[0] + values[1]).cast(t)
    left = 2 ** math.floor(math.log2(n - 1))
    return (_tree_sum(values[:left], t) + _tree_sum(values[left:], t)).cast(t)


def softmax_hls4ml_fixed(sm: Hls4mlSoftmax, x: FixedArray, result_t: FixedType) -> FixedArray:
    """hls4ml's softmax of each row of ``x`` (integer raws), result in ``result_t``."""
    raw = x.int_raw().astype(np.int64)
    n = raw.shape[1]
    if sm.implementation == "argmax":
        one = result_t.from_float(np.ones(1)).int_raw()[0]
        hot = np.zeros(raw.shape, dtype=np.int64)
        hot[np.arange(raw.shape[0]), np.argmax(raw, axis=1)] = one
        return FixedArray(hot, result_t)
    assert sm.exp is not None and sm.inv is not None and sm.accum_t is not None and sm.sum_t is not None
    exp, inv, acc_t = sm.exp, sm.inv, sm.accum_t
    if sm.implementation == "legacy":
        one = FixedArray(acc_t.from_float(np.ones(1)).int_raw(), acc_t)
        totals = []
        for i in range(n):
            total = FixedArray(np.zeros(raw.shape[0], dtype=np.int64), acc_t)
            for j in range(n):
                term = one if i == j else FixedArray(exp.values_raw[exp.index(raw[:, j] - raw[:, i])], acc_t)
                total = (total + term).cast(acc_t)
            totals.append(total.int_raw())
        sums = np.stack(totals, axis=1)
        return FixedArray(inv.values_raw[inv.index(sums)], inv.table_t).cast(result_t)
    if sm.norm_t is not None:  # stable: inp_norm_t d = x_max - x (wraps when the spread exceeds its range)
        d = FixedArray(raw.max(axis=1, keepdims=True) - raw, FixedType(x.type.width + 1, x.type.integer + 1, True))
        raw = d.cast(sm.norm_t).int_raw().astype(np.int64)
    e = FixedArray(exp.values_raw[exp.index(raw)], exp.table_t).cast(acc_t)
    total = _tree_sum([e[:, j : j + 1] for j in range(n)], acc_t).cast(sm.sum_t)
    inv_fx = FixedArray(inv.values_raw[inv.index(total.int_raw().astype(np.int64))], inv.table_t)
    return (e * inv_fx).cast(result_t)
