"""hls4ml's dense kernel (``Accumulation: hls4ml``) without the per-input loop, where its order cannot matter.

:func:`trigger.nn.emulate._dense_hls4ml` casts every product ``p = x_i w_ij`` to ``accum_t`` and adds
them one by one with a cast after each addition. Two cases make that order-free:

- ``accum_t`` wraps: every cast is a reduction modulo ``2**W_a`` after an (order-free) rounding of the
  product alone, so the sum of the rounded products, then one wrap, is the same number;
- no product and no partial sum can leave ``accum_t``'s range (a bound over every value of the input
  type): then no cast clamps or wraps at all, whatever the overflow mode.

Rounding a product to the accumulator's LSB (``k`` = product fraction bits - accumulator fraction bits):
``k <= 0`` is an exact left shift. ``k > 0`` with AP_TRN is a floor, and a sum of floors is exact
integer arithmetic: ``sum_i floor(p_i / 2**k) = (S - R) / 2**k`` with ``S = sum_i p_i`` (one BLAS call on
the raw integers, exact in float64) and ``R = sum_i (p_i mod 2**k)``. The residue of a product depends
only on the operands' residues, ``p mod 2**k = ((x mod 2**k) (w mod 2**k)) mod 2**k``, so ``R`` is a
product of unsigned integers that wrap modulo ``2**16`` (``k <= 16``) with the low ``k`` bits kept: short
elementwise passes, one input row at a time, over a cache-resident ``(n_out, rows)`` array.
Other roundings of the product, or a saturating accumulator that might saturate: None (the loop).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedType, Overflow, Quantization
from trigger.fixed.engine_f64 import f64_eligible, fixed_to_fixed_f64, resolve_f64
from trigger.nn.layers import Accumulation, DenseLayer

__all__ = ["dense_hls4ml_rows"]

F64 = NDArray[np.float64]
#: the residues are products of unsigned 16-bit integers modulo 2**16
_RESIDUE_BITS = 16


class _Plan:
    """What one layer needs on every block: scaled parameters and the residue weights."""

    def __init__(self, dense: DenseLayer, x_t: FixedType, bias_acc: F64, wraps: bool) -> None:
        a_t = dense.accum_t
        self.k = x_t.frac + dense.weight_t.frac - a_t.frac
        w = dense.weights_raw.astype(np.float64)
        if self.k > 0:  # S in product units, the bias (already in accum_t) lifted to them
            params = np.column_stack([w.T, bias_acc * 2.0**self.k])
        else:  # exact left shift of every product into accum_t's units
            params = np.column_stack([w.T * 2.0**-self.k, bias_acc])
        self.params = np.ascontiguousarray(params)
        self.wraps = wraps
        self.mask = np.uint16((1 << self.k) - 1 if self.k > 0 else 0)
        self.int_dtype = np.int32 if x_t.width <= 31 else np.int64
        if self.k > 0:
            wm = np.mod(w, 2.0**self.k).astype(np.uint16)  # (n_in, n_out): w mod 2**k
            self.w_residue = [np.ascontiguousarray(wm[i][:, None]) for i in range(dense.n_in)]
            self.live = [i for i in range(dense.n_in) if wm[i].any()]  # rows whose residues are not all 0
            # R < n_in 2**k: a uint16 sum while it cannot carry out, else uint32
            self.sum_dtype = np.uint16 if len(self.live) * int(self.mask) < 2**16 else np.uint32


def _bias_acc(dense: DenseLayer) -> F64:
    """``accum_t acc = bias`` (hls4ml's first statement), as float64 raws of ``accum_t``."""
    return dense.bias_t.from_raw(dense.bias_raw).cast(dense.accum_t).int_raw().astype(np.float64)


@functools.lru_cache(maxsize=256)
def _plan(dense: DenseLayer, x_t: FixedType) -> _Plan | None:
    """The layer's plan for inputs of ``x_t``, or None (the loop)."""
    a_t = dense.accum_t
    if dense.accumulation is not Accumulation.HLS4ML or not f64_eligible(x_t, dense.weight_t, a_t, dense.result_t):
        return None
    k = x_t.frac + dense.weight_t.frac - a_t.frac
    if k > _RESIDUE_BITS or (k > 0 and a_t.rounding is not Quantization.AP_TRN):
        return None
    bias_acc = _bias_acc(dense)
    reach = float(max(-x_t.min_raw, x_t.max_raw))
    # every rounded product is within |p| 2**-k + 1 of 0 (a floor moves it down by less than one unit)
    terms = reach * np.abs(dense.weights_raw.astype(np.float64)).sum(axis=0) * 2.0**-k + (k > 0) * dense.n_in
    if float((terms * 2.0 ** max(k, 0)).max(initial=0.0)) + float(np.abs(bias_acc).max()) * 2.0**k >= 2.0**52:
        return None  # S (and the bias lifted to product units) must stay exact in float64
    fits = float((terms + np.abs(bias_acc)).max(initial=0.0)) <= min(a_t.max_raw, -a_t.min_raw)
    if not fits and a_t.overflow is not Overflow.AP_WRAP:
        return None  # a partial sum might saturate: the order of the additions matters
    return _Plan(dense, x_t, bias_acc, wraps=not fits)


def _residue_sum(plan: _Plan, x: NDArray[Any]) -> NDArray[Any]:
    """``R_j = sum_i ((x_i mod 2**k)(w_ij mod 2**k) mod 2**k)`` for every row: ``(n_out, rows)``."""
    # x mod 2**16 (two's complement low bits, through an integer type that holds the raws), then mod 2**k
    xm = x.astype(plan.int_dtype).astype(np.uint16)
    if plan.k < _RESIDUE_BITS:
        np.bitwise_and(xm, plan.mask, out=xm)
    n_out, rows = plan.params.shape[0], x.shape[1]
    total = np.zeros((n_out, rows), plan.sum_dtype)
    tmp = np.empty((n_out, rows), np.uint16)
    full = plan.k == _RESIDUE_BITS
    for i in plan.live:
        np.multiply(plan.w_residue[i], xm[i], out=tmp)  # modulo 2**16: the low k bits are exact
        if not full:
            np.bitwise_and(tmp, plan.mask, out=tmp)
        np.add(total, tmp, out=total)
    return total


def dense_hls4ml_rows(dense: DenseLayer, x_t: FixedType, x: NDArray[Any], x_aug: NDArray[Any] | None) -> F64 | None:
    """The dense layer's ``result_t`` raws ``(n_out, rows)`` from the block's raws ``x`` ``(n_in, rows)``,
    bit for bit :func:`trigger.nn.emulate._dense_hls4ml`; None where this form does not apply.

    ``x_aug``: ``x`` with a row of ones below it (the bias row) when the caller has one.
    """
    plan = _plan(dense, x_t)
    if plan is None:
        return None
    x64 = x.astype(np.float64, copy=False)
    if x_aug is not None:
        s = plan.params @ x_aug.astype(np.float64, copy=False)
    else:
        s = plan.params[:, :-1] @ x64
        s += plan.params[:, -1:]
    if plan.k > 0:
        s -= _residue_sum(plan, x64)  # now a multiple of 2**k: the sum of the floors, scaled
        s *= 2.0**-plan.k
    a_t = dense.accum_t
    if plan.wraps:
        s, _ = resolve_f64(s, a_t, small=True, track=False, inplace=True)
    out, _ = fixed_to_fixed_f64(s, a_t, dense.result_t, track=False)
    return out
