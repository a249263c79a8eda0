"""hls4ml's dense kernel (``Accumulation: hls4ml``) without the per-input loop, where its order cannot matter.

:func:`trigger.nn.emulate._dense_hls4ml` casts every product ``p = x_i w_ij`` to ``accum_t`` and adds
them one by one with a cast after each addition. Three cases make that order-free:

- no product and no partial sum can leave ``accum_t``'s range over every value of the input type: no
  cast clamps or wraps at all, whatever the overflow mode;
- ``accum_t`` wraps: every cast is a reduction modulo ``2**W_a`` after an (order-free) rounding of the
  product alone, so the sum of the rounded products, then one wrap, is the same number;
- ``accum_t`` saturates: the first case row by row (``sum_i |x_i w_ij| 2**-k + n_in + |b_j|`` bounds every
  partial sum, one more BLAS call); the rows it cannot prove go through the loop, in hls4ml's order.

Rounding a product to the accumulator's LSB (``k`` = product fraction bits - accumulator fraction bits):
``k <= 0`` is an exact left shift. ``k > 0`` with AP_TRN is a floor (AP_RND: the floor of ``p + 2**(k-1)``),
and a sum of floors is exact integer arithmetic: ``sum_i floor(p_i / 2**k) = (S - R) / 2**k`` with
``S = sum_i p_i`` (one BLAS call on the raw integers, exact in float64) and ``R = sum_i (p_i mod 2**k)``.
The residue of a product depends only on the operands' residues, ``p mod 2**k = ((x mod 2**k)
(w mod 2**k)) mod 2**k``, so ``R`` is a product of unsigned integers that wrap modulo ``2**16`` (``k <= 16``)
with the low ``k`` bits kept: short elementwise passes, one input row at a time, over a cache-resident
``(n_out, rows)`` array. Other roundings of the product, or a wider ``k``: None (the loop).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedArray, FixedType, Overflow, Quantization
from trigger.fixed.engine_f64 import NO_OVERFLOW, f64_eligible, fixed_to_fixed_f64, resolve_f64
from trigger.nn.emulate import _dense_hls4ml
from trigger.nn.layers import Accumulation, DenseLayer

__all__ = ["dense_hls4ml_rows"]

F64 = NDArray[np.float64]
#: the residues are products of unsigned 16-bit integers modulo 2**16
_RESIDUE_BITS = 16


class _Plan:
    """What one layer needs on every block: scaled parameters, the residue weights, the saturation check."""

    def __init__(self, dense: DenseLayer, x_t: FixedType, bias_acc: F64, overflow: str) -> None:
        a_t = dense.accum_t
        self.k = k = x_t.frac + dense.weight_t.frac - a_t.frac
        w = dense.weights_raw.astype(np.float64)
        #: AP_RND rounds p to floor((p + 2**(k-1)) / 2**k): the same sum of floors with every p raised
        self.half = np.uint16(2 ** (k - 1) if k > 0 and a_t.rounding is Quantization.AP_RND else 0)
        if k > 0:  # S in product units, the bias (already in accum_t) lifted to them, plus the n raises
            params = np.column_stack([w.T, bias_acc * 2.0**k + dense.n_in * float(self.half)])
        else:  # exact left shift of every product into accum_t's units
            params = np.column_stack([w.T * 2.0**-k, bias_acc])
        self.params = np.ascontiguousarray(params)
        self.overflow = overflow  # "none" (proved), "wrap" (one wrap is exact), "check" (rows proved one by one)
        if overflow == "check":  # a row is safe where |x| @ |W| <= limit_j (integers in product units)
            self.abs_w = np.ascontiguousarray(np.abs(w.T))
            limit = min(a_t.max_raw, -a_t.min_raw) - (k > 0) * dense.n_in - np.abs(bias_acc)
            self.limit = (limit * 2.0 ** max(k, 0))[:, None]
        self.mask = np.uint16((1 << k) - 1 if k > 0 else 0)
        self.int_dtype = np.int32 if x_t.width <= 31 else np.int64
        if k > 0:
            wm = np.mod(w, 2.0**k).astype(np.uint16)  # (n_in, n_out): w mod 2**k
            self.w_residue = [np.ascontiguousarray(wm[i][:, None]) for i in range(dense.n_in)]
            self.live = [i for i in range(dense.n_in) if wm[i].any()]  # rows whose residues are not all 0
            # inputs whose weights are all 0 mod 2**k: every residue is the raise itself
            self.idle_residue = (dense.n_in - len(self.live)) * int(self.half)
            # R < n_in 2**k: a uint16 sum while it cannot carry out, else uint32
            top = len(self.live) * int(self.mask) + self.idle_residue
            self.sum_dtype = np.uint16 if top < 2**16 else np.uint32


def _bias_acc(dense: DenseLayer) -> F64:
    """``accum_t acc = bias`` (hls4ml's first statement), as float64 raws of ``accum_t``."""
    return dense.bias_t.from_raw(dense.bias_raw).cast(dense.accum_t).int_raw().astype(np.float64)


_ROUNDED = (Quantization.AP_TRN, Quantization.AP_RND)
_SAT_MODES = (Overflow.AP_SAT, Overflow.AP_SAT_SYM, Overflow.AP_SAT_ZERO)


@functools.lru_cache(maxsize=256)
def _plan(dense: DenseLayer, x_t: FixedType) -> _Plan | None:
    """The layer's plan for inputs of ``x_t``, or None (the loop)."""
    a_t = dense.accum_t
    if dense.accumulation is not Accumulation.HLS4ML or not f64_eligible(x_t, dense.weight_t, a_t, dense.result_t):
        return None
    k = x_t.frac + dense.weight_t.frac - a_t.frac
    if k > _RESIDUE_BITS or (k > 0 and a_t.rounding not in _ROUNDED):
        return None
    bias_acc = _bias_acc(dense)
    reach = float(max(-x_t.min_raw, x_t.max_raw))
    # every rounded product is within |p| 2**-k + 1 of 0 (a floor moves it down by less than one unit)
    terms = reach * np.abs(dense.weights_raw.astype(np.float64)).sum(axis=0) * 2.0**-k + (k > 0) * dense.n_in
    if float((terms * 2.0 ** max(k, 0)).max(initial=0.0)) + float(np.abs(bias_acc).max()) * 2.0**k >= 2.0**52:
        return None  # S (and the bias lifted to product units) must stay exact in float64
    if float((terms + np.abs(bias_acc)).max(initial=0.0)) <= min(a_t.max_raw, -a_t.min_raw):
        return _Plan(dense, x_t, bias_acc, "none")
    if a_t.overflow is Overflow.AP_WRAP:
        return _Plan(dense, x_t, bias_acc, "wrap")
    if a_t.overflow in _SAT_MODES:  # no saturation, no effect: proved row by row, the loop for the others
        return _Plan(dense, x_t, bias_acc, "check")
    return None


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
        if plan.half:
            np.add(tmp, plan.half, out=tmp)
        if not full:
            np.bitwise_and(tmp, plan.mask, out=tmp)
        np.add(total, tmp, out=total)
    if plan.idle_residue:
        total += plan.sum_dtype(plan.idle_residue)
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
    risky = None
    if plan.overflow == "check":
        risky = np.flatnonzero(((plan.abs_w @ np.abs(x64)) > plan.limit).any(axis=0))
    if x_aug is not None:
        s = plan.params @ x_aug.astype(np.float64, copy=False)
    else:
        s = plan.params[:, :-1] @ x64
        s += plan.params[:, -1:]
    if plan.k > 0:
        s -= _residue_sum(plan, x64)  # now a multiple of 2**k: the sum of the floors, scaled
        s *= 2.0**-plan.k
    a_t = dense.accum_t
    if plan.overflow == "wrap":
        s, _ = resolve_f64(s, a_t, small=True, track=False, inplace=True)
    out, _ = fixed_to_fixed_f64(s, a_t, dense.result_t, track=False)
    if risky is not None and risky.size:  # rows where a partial sum might saturate: hls4ml's loop, in its order
        rows = FixedArray(x64[:, risky].T.astype(np.int64), x_t, NO_OVERFLOW)
        out[:, risky] = _dense_hls4ml(dense, rows)[0].int_raw().T
    return out
