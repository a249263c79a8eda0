"""The untraced fixed-point forward pass: exact float raw integers, fused layers, cache-sized row blocks.

Same values as :func:`trigger.nn.emulate.forward_fixed` layer after layer (the tests compare every
bit on every shipped model), in fewer passes over the data. A block is held transposed, one row per
feature: per-feature constants broadcast along long contiguous rows, reductions over the features
become element-wise operations between rows, and a dense layer is one BLAS call ``W.T @ x``.

- the input cast and a following scale layer (subtraction, clamp, shift as a floor of a power-of-two
  scaling, cast) run in place on the transposed block;
- dense (exact accumulator) + its result cast + a following relu/linear and its cast are one BLAS
  call on the raw integers, with the weights pre-scaled by a power of two to the LSB of the one
  rounding and the bias as one more input row of ones (one more exact term of the sum), then one
  rounding and one clamp (:func:`_fused_dense`); float32 BLAS where a bound proves every partial sum
  an integer below 2**24 in the exact sum's LSB (3-4x faster than float64 on one core), float64 otherwise;
- a table softmax's maximum and sum over the classes are operations between rows; sigmoid/tanh tables
  are looked up on the rows too.
- a sigmoid/tanh table indexed by a dense layer's exact sum: the product, scaled and offset, is the index
  (:func:`_fused_dense_table`), the entries pre-cast to the result type.

Anything else falls back to the layer's own executor.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedArray, FixedType, Overflow, mult_type
from trigger.fixed.engine import _cannot_overflow, _saturation_limits
from trigger.fixed.engine_f64 import NO_OVERFLOW, f64_eligible, fixed_to_fixed_f64, resolve_f64, round_f64
from trigger.nn import blas
from trigger.nn.emulate import dense_sum_bound, forward_fixed
from trigger.nn.fast_hls4ml import dense_hls4ml_rows
from trigger.nn.layers import (
    Accumulation,
    ActivationLayer,
    DenseLayer,
    Layer,
    LookupTable,
    ModelDescription,
    ScaleLayer,
    SoftmaxTables,
    SquareSumLayer,
)
from trigger.nn.rows import add_to_rows, fill_rows

__all__ = [
    "FloatExactDense",
    "Rows",
    "add_to_rows",
    "block_rows",
    "cast_rows",
    "fill_rows",
    "float_exact_dense",
    "run_blocks",
    "run_layers",
    "square_error_rows",
]

F64 = NDArray[np.float64]
#: float32 carries raws of types up to this width (|raw| <= 2**21, far from the 2**24 significand)
_F32_WIDTH = 22
#: float32 dense sums are used when every partial sum is provably an integer below this in the exact
#: sum's LSB: float32's 24-bit significand holds each one exactly, so every addition BLAS does is exact
_F32_LIMIT = 2.0**24
#: Bytes of one layer's float64 output per block (the block stays cache-resident between passes).
_CACHE_BYTES = 2 * 1024 * 1024
_SATURATING = (Overflow.AP_SAT, Overflow.AP_SAT_SYM)
#: the input cast reads the transposed batch inside its multiply up to this many features (measured here)
_STRIDED_READ_MAX = 40
#: before a dense layer, inputs wider than this are cast row-major and read transposed by BLAS (measured:
#: 36 features 88 vs 116 ns a row for cast + first product, 57: 147 vs 180; 16: 106 vs 95)
_ROW_MAJOR_MIN = 24


class _Block(NamedTuple):
    """A block's raw integers, one row per feature, and their type, between fused layers."""

    t: NDArray[Any]  # (features, rows): float32 or float64 holding integers exactly, or int64/object
    type: FixedType
    aug: NDArray[Any] | None = None  # ``t`` with a row of ones below it (the bias row), when made with room
    reach: F64 | None = None  # a proved bound on |raw| per feature, when one is known without a pass
    nonneg: bool = False  # every raw is >= 0 (a relu's output)


#: a block as :func:`cast_rows` and :func:`run_layers` pass it on (raw integers, one row per feature)
Rows = _Block


def _with_ones_row(n: int, rows: int, dtype: type[np.floating[Any]]) -> NDArray[Any]:
    buf = np.empty((n + 1, rows), dtype)
    buf[n] = 1.0
    return buf


def _f32_type(t: FixedType) -> bool:
    return t.width <= _F32_WIDTH and not t.is_int


#: where a row-major pass puts its outputs: ``(key, size, dtype) -> 1-D array`` (e.g. reused per-thread buffers)
Buffers = Callable[[str, int, Any], NDArray[Any]]


# ---------------------------------------------------------------------------------------- input, scale
def _cast_input(t: FixedType, x: F64, row_major: bool = False) -> _Block:
    """``t(x)`` for every element, on the transposed block (:func:`trigger.fixed.engine.float_to_fixed`'s
    saturating steps in place for the usual types, its general path otherwise).

    ``row_major``: the cast runs on the rows as they come and the block is its transposed view (for a
    dense layer next, which BLAS reads transposed at no cost: no transposing pass at all).
    """
    n = x.shape[1]
    if t.overflow in _SATURATING and 0 <= t.frac < 1021 and f64_eligible(t):
        aug: NDArray[Any] | None = None
        feature_major = x.strides[0] == x.itemsize  # already one row per feature (cast_rows)
        if row_major and n > _ROW_MAJOR_MIN and not feature_major:
            with np.errstate(over="ignore"):
                v = np.multiply(x, 2.0**t.frac)
            v = v.T
        elif n <= _STRIDED_READ_MAX or feature_major:  # narrow, or already one row per feature
            aug = _with_ones_row(n, x.shape[0], np.float64)
            v = aug[:n]
            with np.errstate(over="ignore"):
                np.multiply(x.T, 2.0**t.frac, out=v)  # exact, or inf (which clamps like 2**1024, as the headers)
        else:  # wide rows: a strided read in the multiply is slow, a transposing copy is not
            v = x.T.copy()
            with np.errstate(over="ignore"):
                v *= 2.0**t.frac
        lo, hi = _saturation_limits(t)
        np.clip(round_f64(v, t.rounding, inplace=True), float(lo), float(hi), out=v)
        if np.isnan(v.sum()):  # a NaN survives the clamp: the reference raises its error
            t.from_float(x, f64=True, track_overflow=False)
        return _Block(v, t, aug, nonneg=not t.signed)
    first = t.from_float(np.ascontiguousarray(x.T), f64=True, track_overflow=False)
    return _Block(first.raw, t, nonneg=not t.signed)


def cast_rows(t: FixedType, rows: F64) -> Rows:
    """``t(x)`` of a batch held one row per feature, (features, n) (e.g. a column block of such an array)."""
    return _cast_input(t, rows.T)


@functools.lru_cache(maxsize=256)
def _scale_constants(layer: ScaleLayer) -> tuple[F64, F64 | None]:
    # |tmp| <= 2**(W-1) after the clamp, so a shift beyond W + 1 gives the sign (0 or -1) as W + 1 does;
    # clamping it keeps 2**-shift a normal double (2.0**-1075 would underflow to 0 and lose the -1)
    shifts = np.minimum(layer.shift, layer.scale_t.width + 1)
    factors = np.ldexp(1.0, -shifts.astype(np.int64))[:, None] if shifts.any() else None
    return layer.offset_raw.astype(np.float64)[:, None], factors


def _cast_into(v: F64, src: FixedType, dst: FixedType, out: NDArray[Any]) -> None:
    """:func:`trigger.fixed.engine_f64.fixed_to_fixed_f64` written into ``out``; ``v`` (a temporary) is overwritten."""
    shift = src.frac - dst.frac
    rshift = min(max(shift, 0), src.width + 1)
    lshift = min(max(-shift, 0), dst.width + 1)
    if rshift:
        v *= 2.0**-rshift
        v = round_f64(v, dst.rounding, inplace=True)
    elif lshift:
        v *= 2.0**lshift
    if _cannot_overflow(src, dst, rshift, lshift, shift):
        out[...] = v
    elif dst.overflow in _SATURATING:
        lo, hi = _saturation_limits(dst)
        np.clip(v, float(lo), float(hi), out=out)
    else:
        out[...] = resolve_f64(v, dst, small=src.width + lshift + 1 < 52, track=False)[0]


def _fused_scale(layer: ScaleLayer, x: _Block) -> _Block | None:
    """``result_t(scale_t(x - offset) >> shift)`` on the block's rows when ``x`` is already in ``scale_t``."""
    st, rt = layer.scale_t, layer.result_t
    if x.type != st or not f64_eligible(st, rt) or st.width > 50 or x.t.dtype.kind != "f":
        return None
    offsets, factors = _scale_constants(layer)
    v = x.t if x.t.dtype == np.float64 else x.t.astype(np.float64)  # a temporary of this pass
    v -= offsets  # exact: |x|, |offset| < 2**50
    v, _ = resolve_f64(v, st, track=False, inplace=True)
    if factors is not None:  # the arithmetic right shift of the raw bits: an exact power-of-two scaling per row
        v *= factors
        np.floor(v, out=v)  # (rows with shift 0 hold integers: unchanged)
    n = v.shape[0]
    aug = _with_ones_row(n, v.shape[1], np.float32 if _f32_type(rt) else np.float64)
    _cast_into(v, st, rt, aug[:n])
    return _Block(aug[:n], rt, aug, nonneg=not rt.signed)


# ---------------------------------------------------------------------------------------- dense
@functools.lru_cache(maxsize=256)
def _sum_bound(dense: DenseLayer, input_t: FixedType) -> int:
    return dense_sum_bound(input_t, dense.weights_raw)


def _type_reach(t: FixedType) -> float:
    return float(max(-t.min_raw, t.max_raw))


def _sum_reach(dense: DenseLayer, x_t: FixedType, reach: F64, nonneg: bool) -> F64:
    """Per output: a bound on every ``|partial sum|`` (bias included), in units of the exact sum's LSB.

    Each product and partial sum is an integer in those units. A partial sum is a sum of some of the
    terms ``x_i w_ij`` (and maybe ``b_j``), so it lies between the sum of the negative and the sum of
    the positive parts: with ``|x_i| <= reach_i`` at most ``sum_i reach_i |w_ij| + |b_j|``, and for
    inputs ``>= 0`` at most ``max(sum_i reach_i w_ij^+, sum_i reach_i w_ij^-) + |b_j|``.
    """
    e = dense.exact_t.frac
    w_pos, w_neg, b_abs = _signed_parameters(dense)
    terms = np.maximum(reach @ w_pos, reach @ w_neg) if nonneg else reach @ (w_pos + w_neg)
    out: F64 = terms * 2.0 ** (e - x_t.frac - dense.weight_t.frac) + b_abs * 2.0 ** (e - dense.bias_t.frac)
    return out


@functools.lru_cache(maxsize=256)
def _signed_parameters(dense: DenseLayer) -> tuple[F64, F64, F64]:
    w = dense.weights_raw.astype(np.float64)
    return np.maximum(w, 0.0), np.maximum(-w, 0.0), np.abs(dense.bias_raw.astype(np.float64))


@functools.lru_cache(maxsize=256)
def _static_sum_reach(dense: DenseLayer, x_t: FixedType, nonneg: bool) -> F64:
    """:func:`_sum_reach` over every value of ``x_t`` (no pass over the data)."""
    return _sum_reach(dense, x_t, np.full(dense.n_in, _type_reach(x_t)), nonneg)


def _block_reach(x: _Block, nonneg: bool) -> F64:
    """Largest ``|raw|`` of each feature in this block (contiguous rows: cheap)."""
    hi = x.t.max(axis=1, initial=0.0)
    out: F64 = (hi if nonneg else np.maximum(hi, -x.t.min(axis=1, initial=0.0))).astype(np.float64)
    return out


def _f32_sum_reach(dense: DenseLayer, x: _Block, refused: set[DenseLayer]) -> F64 | None:
    """A per-output bound below :data:`_F32_LIMIT` on the block's partial sums, or None (then float64).

    Tried in order of cost: over every value of the input type (sign-aware after a relu), the bound
    the previous layer carried, the block's own largest values (skipped for the rest of the batch once
    a block's failed: ``refused``; only the speed depends on it, never a value).
    """
    nonneg = x.nonneg or not x.type.signed
    static = _static_sum_reach(dense, x.type, nonneg)
    if static.max(initial=0.0) < _F32_LIMIT:
        return static
    if x.reach is not None:
        sums = _sum_reach(dense, x.type, x.reach, nonneg)
        if sums.max(initial=0.0) < _F32_LIMIT:
            return sums
    if static.max(initial=0.0) / _type_reach(x.type) >= _F32_LIMIT:
        return None  # even inputs of one LSB could not prove it: spare the pass
    if dense in refused:
        return None
    sums = _sum_reach(dense, x.type, _block_reach(x, nonneg), nonneg)
    if sums.max(initial=0.0) < _F32_LIMIT:
        return sums
    refused.add(dense)
    return None


@functools.lru_cache(maxsize=256)
def _unit_parameters(
    dense: DenseLayer, x_t: FixedType, unit_t: FixedType, dtype: type[np.floating[Any]]
) -> NDArray[Any]:
    """``[W.T | b]`` as raw integers scaled (exactly, by powers of two) to ``unit_t``'s LSB: ``(n_out, n_in + 1)``."""
    w = dense.weights_raw.astype(np.float64).T * 2.0 ** (unit_t.frac - x_t.frac - dense.weight_t.frac)
    b = dense.bias_raw.astype(np.float64) * 2.0 ** (unit_t.frac - dense.bias_t.frac)
    return np.ascontiguousarray(np.column_stack([w, b]), dtype=dtype)


def _scales_fit(dense: DenseLayer, x_t: FixedType, unit_t: FixedType, use32: bool) -> bool:
    """The power-of-two scalings stay normal numbers (no bit lost to underflow, no overflow)."""
    room = 100 if use32 else 900
    return all(abs(unit_t.frac - f) <= room for f in (x_t.frac + dense.weight_t.frac, dense.bias_t.frac))


def _fused_dense(
    dense: DenseLayer,
    act: ActivationLayer | None,
    x: _Block,
    refused: set[DenseLayer],
    row_major: bool = False,
    buffers: Buffers | None = None,
    ones_out: bool = False,
) -> _Block | None:
    """Dense [+ relu/linear] on float raws, or None where the fused form does not apply.

    ``row_major``: the output block is the transposed view of a (rows, features) array (BLAS writes it so
    at no cost), for a last dense layer: the batch's rows come out without a transposing pass; or for every
    layer of a batch held rows by features (:func:`run_layers`' ``row_major``). ``buffers``: where such an
    output goes (fresh memory without). ``ones_out`` (row-major): the output has a column of ones beside it, the
    next dense layer's bias input (the rounding and clamp run on it too, and keep a 1).

    ``y = [W.T | b] 2**(F_u - F) @ [x; 1]`` is the exact sum in units of the LSB of ``unit_t``: the
    activation's result type when the dense result is the exact sum itself (its cast is then the only
    rounding; a relu commutes with it: every rounding mode is monotonic and keeps 0, saturation too),
    else the dense result type. Power-of-two scalings of integers are exact, so rounding and clamping
    ``y`` is the cast; ``max(0)`` and any second cast follow on the same array.
    """
    exact, res_t = dense.exact_t, dense.result_t
    out_t = act.result_t if act is not None else res_t
    if (
        dense.accumulation is not Accumulation.EXACT
        or dense.accum_t != exact
        or not f64_eligible(exact, res_t, out_t)
        or _sum_bound(dense, x.type) >= 2**53
        or x.t.dtype.kind != "f"
        or (act is not None and (act.function not in ("relu", "linear") or act.input_t != res_t))
    ):
        return None
    one_cast = res_t == exact
    unit_t = out_t if one_cast else res_t
    if one_cast and unit_t.frac - exact.frac > unit_t.width + 1:
        return None  # the reference clamps such a left shift; not worth a case here
    sums = _f32_sum_reach(dense, x, refused) if _f32_type(unit_t) and _scales_fit(dense, x.type, unit_t, True) else None
    use32 = sums is not None
    if not use32 and not _scales_fit(dense, x.type, unit_t, False):
        return None
    dtype = np.float32 if use32 else np.float64
    params = _unit_parameters(dense, x.type, unit_t, dtype)
    n_out, rows = dense.n_out, x.t.shape[1]
    buf: NDArray[Any] | None = None
    # rows by features in float32, each layer's bias goes into its product (blas.dense_bias): no ones column needed
    one_call = row_major and use32 and x.aug is None and x.t.T.flags.c_contiguous and blas.fused_available()
    ones_out = ones_out and row_major and _saturation_limits(out_t)[1] >= 1 and _saturation_limits(unit_t)[1] >= 1
    ones_out = ones_out and not one_call
    if row_major:
        width = n_out + 1 if ones_out else n_out
        size = rows * width
        flat = np.empty(size, dtype) if buffers is None else buffers(f"rows.{dense.name}", size, dtype)
        whole = flat.reshape(rows, width)
        if ones_out:
            whole[:, n_out] = 1.0
            buf = whole.T
        y = whole[:, :n_out].T
    else:
        buf = _with_ones_row(n_out, rows, dtype)
        y = buf[:n_out]
    work = buf if ones_out else y  # the element-wise steps run on the ones too, contiguous with y
    lhs = params if x.aug is not None else params[:, :-1]
    rhs = (x.aug if x.aug is not None else x.t).astype(dtype, copy=False)
    if one_call:  # exact sums (the bound below): the one call's bits are any order's
        weights, bias = np.ascontiguousarray(lhs.T), np.ascontiguousarray(params[:, -1])
        blas.dense_bias(rhs.T, weights, bias, y.T)
    elif row_major:  # as y.T = rhs.T @ lhs.T: a C-contiguous output goes to BLAS directly, others via a copy
        np.matmul(rhs.T, lhs.T, out=y.T)
    else:
        np.matmul(lhs, rhs, out=y)
    if x.aug is None and not one_call:  # the bias: exact, a partial sum the bound covers
        if row_major:
            add_to_rows(y.T, params[:, -1])
        else:
            y += params[:, -1:]
    # |y| in unit_t's LSB: below 2**23 (float32) or 2**52 (float64) keeps the wrap's offset steps exact
    proved = sums if sums is not None else _static_sum_reach(dense, x.type, x.nonneg or not x.type.signed)
    bound_u = float(proved.max(initial=0.0)) * 2.0 ** (unit_t.frac - exact.frac)
    small = bound_u + 1 < (2.0**23 if use32 else 2.0**52)
    assert work is not None
    r = round_f64(work, unit_t.rounding, inplace=True) if unit_t.frac < exact.frac else work
    relu = act is not None and act.function == "relu"
    if relu and (unit_t == exact or unit_t.overflow in _SATURATING):
        # relu of a saturated value as one clip: for lo <= 0 <= hi (every type has max_raw >= 0),
        # max(0, min(max(y, lo), hi)) == min(max(y, max(lo, 0)), hi); where unit_t == exact, y already
        # lies in [lo, hi] and the clip at hi changes nothing (np.maximum is ~5x slower than np.clip)
        lo, hi = _saturation_limits(unit_t)
        np.clip(r, float(max(lo, 0)), float(hi), out=work)
    else:
        if relu and one_cast:  # relu before the activation's cast (it commutes with the rounding only)
            r = np.maximum(r, 0.0, out=r)
        if unit_t != exact:
            r, _ = resolve_f64(r, unit_t, small=small, track=False, inplace=True)
        if relu and not one_cast:
            r = np.maximum(r, 0.0, out=r)
        if r is not work:
            work[...] = r
    if not one_cast and out_t != res_t:  # the activation's own cast of the dense result
        z, _ = fixed_to_fixed_f64(y.astype(np.float64, copy=False), res_t, out_t, track=False)
        return _Block(z, out_t, nonneg=relu or not out_t.signed)
    reach_out = None
    if sums is not None:  # |y| <= the sum bound in unit_t's LSB, rounded up, and the type's range
        reach_out = _output_reach(sums, unit_t, exact)
    return _Block(y, unit_t, buf, reach_out, nonneg=relu or not unit_t.signed)


def _output_reach(sums: F64, unit_t: FixedType, exact: FixedType) -> F64:
    """The bound a fused dense output carries: the proved |sum| bound ``sums`` (in ``exact``'s LSB) after the
    rounding to ``unit_t`` (at most one LSB more), never above ``unit_t``'s own reach."""
    return np.minimum(np.floor(sums * 2.0 ** (unit_t.frac - exact.frac)) + 1.0, _type_reach(unit_t))


class FloatExactDense(NamedTuple):
    """A dense layer + relu whose float32 product is exact: the float path's sums are the fixed path's, so the
    fixed layer's output follows from the float one by its one rounding and clamp (:func:`float_exact_dense`)."""

    #: the weights and the bias as the float path has them, float32: (n_in, n_out) and (n_out,)
    weights: NDArray[np.float32]
    bias: NDArray[np.float32]
    #: the fixed layer's output: its type, and (as :func:`_fused_dense` makes it) the proved bound it carries
    out_t: FixedType
    reach: F64
    #: the exact sum's fraction bits (a rounding happens when the output has fewer)
    exact_frac: int

    def fixed(self, y: NDArray[np.float32], out: NDArray[np.float32]) -> Rows:
        """The fixed layer's output, into ``out`` (rows, n_out), from the float layer's ``y`` (the relu's output,
        rows by features): ``clamp(round(y 2**F_u), 0, max)``, what :func:`_fused_dense` does to the same sums
        (the relu first changes nothing: every rounding is monotonic and keeps 0)."""
        t = self.out_t
        np.multiply(y, 2.0**t.frac, out=out)  # exact: a power of two, the values are the exact sums
        if t.frac < self.exact_frac:
            r = round_f64(out, t.rounding, inplace=True)  # type: ignore[arg-type]
            if r is not out:
                out[...] = r
        lo, hi = _saturation_limits(t)
        np.clip(out, float(max(lo, 0)), float(hi), out=out)
        return _Block(out.T, t, None, self.reach, nonneg=True)


def _exactly(values: F64, raw: NDArray[Any], frac: int) -> bool:
    """``values`` in float32 are exactly the raw integers times 2**-frac."""
    return bool(np.array_equal(values.astype(np.float32).astype(np.float64), np.ldexp(raw.astype(np.float64), -frac)))


@functools.lru_cache(maxsize=64)
def float_exact_dense(dense: DenseLayer, act: ActivationLayer | None, x_t: FixedType) -> FloatExactDense | None:
    """The plan for ``dense`` + ``act`` (relu) on inputs of ``x_t`` whose float32 product is exact, or None.

    Exact: the float weights and bias are the fixed ones (``raw 2**-F``, exact in float32), ``x_t``'s values are
    exact in float32, and the bound of :func:`_fused_dense` over every value of ``x_t`` proves every partial
    sum (bias included) an integer below 2**24 in the exact sum's LSB; all of them are then float32 numbers
    (normal: their LSB is far above 2**-126), so every product and addition BLAS does, in any order, is exact,
    and ``x @ W + b`` in float32 *is* the exact sum. Its fixed output is what :func:`_fused_dense` gives when
    that is one rounding to the activation's type and one clamp (relu, a saturating or exact type, no second
    cast): then :meth:`FloatExactDense.fixed`.
    """
    exact, res_t = dense.exact_t, dense.result_t
    if act is None or act.function != "relu" or act.input_t != res_t:
        return None
    out_t = act.result_t
    one_cast = res_t == exact
    unit_t = out_t if one_cast else res_t
    if (
        dense.accumulation is not Accumulation.EXACT
        or dense.accum_t != exact
        or not f64_eligible(exact, res_t, out_t)
        or not (one_cast or out_t == res_t)
        or not (unit_t == exact or unit_t.overflow in _SATURATING)
        or (one_cast and unit_t.frac - exact.frac > unit_t.width + 1)
        or not (_f32_type(x_t) and _f32_type(unit_t) and _scales_fit(dense, x_t, unit_t, True))
        or max(x_t.frac + dense.weight_t.frac, dense.bias_t.frac, exact.frac) > 100  # LSBs: normal float32
    ):
        return None
    static = _static_sum_reach(dense, x_t, not x_t.signed)
    if static.max(initial=0.0) >= _F32_LIMIT or _sum_bound(dense, x_t) >= 2**53:
        return None
    if not (
        _exactly(dense.weights_float, dense.weights_raw, dense.weight_t.frac)
        and _exactly(dense.bias_float, dense.bias_raw, dense.bias_t.frac)
    ):
        return None  # float weights that are not the fixed ones: the two paths' sums differ
    weights, bias = dense.weights_float.astype(np.float32), dense.bias_float.astype(np.float32)
    return FloatExactDense(weights, bias, unit_t, _output_reach(static, unit_t, exact), exact.frac)


@functools.lru_cache(maxsize=64)
def _index_parameters(
    dense: DenseLayer, x_t: FixedType, table: LookupTable, dtype: type[np.floating[Any]]
) -> NDArray[Any]:
    """``[W.T | b - lo] 2**-shift`` in the exact sum's LSB: the product is the table's ``(v - lo_raw) 2**-shift``."""
    unit = _unit_parameters(dense, x_t, dense.exact_t, np.float64).copy()
    unit[:, -1] -= float(table.lo_raw)  # exact: integers below 2**53 (the caller's bound)
    return np.ascontiguousarray(unit * 2.0**-table.shift, dtype=dtype)  # exact: a power of two


@functools.lru_cache(maxsize=64)
def _result_entries(table: LookupTable, result_t: FixedType) -> NDArray[Any]:
    """The table's entries already cast to the activation's result type (the cast is per entry)."""
    cast, _ = fixed_to_fixed_f64(table.values_raw.astype(np.float64)[None, :], table.table_t, result_t, track=False)
    return np.ascontiguousarray(cast[0], dtype=np.float32 if _f32_type(result_t) else np.float64)


def _fused_dense_table(
    dense: DenseLayer,
    act: ActivationLayer,
    x: _Block,
    refused: set[DenseLayer],
    row_major: bool = False,
    buffers: Buffers | None = None,
) -> _Block | None:
    """Dense + a sigmoid/tanh table reading its exact sum: the product itself is the table index, or None.

    :meth:`LookupTable.index` is ``clamp(floor((v - lo_raw) 2**-shift), 0, size - 1)`` on the exact sum ``v``.
    With the weights scaled by ``2**-shift`` and ``lo_raw`` taken from the bias, BLAS gives ``(v - lo_raw)
    2**-shift`` exactly (every partial sum an integer below 2**53, or 2**24 in float32, in the exact sum's LSB,
    scaled by a power of two). Truncation to an integer is the floor on values >= 0, and every value below 0
    indexes entry 0 either way; ``np.take(mode="clip")`` is the clamp. The entries are pre-cast to the result
    type: the layer's own cast, entry by entry. Same bits as :func:`_fused_dense` then :func:`_fused_table`,
    in two passes after the product instead of about ten.
    """
    table, exact = act.table, dense.exact_t
    if (
        table is None
        or table.toward_zero
        or dense.accumulation is not Accumulation.EXACT
        or dense.accum_t != exact
        or dense.result_t != exact
        or act.input_t != exact
        or table.input_t != exact
        or x.t.dtype.kind != "f"
        or not f64_eligible(exact, table.table_t, act.result_t)
        or table.shift > 60
    ):
        return None
    lo = abs(float(table.lo_raw))
    reach = float(_static_sum_reach(dense, x.type, x.nonneg or not x.type.signed).max(initial=0.0)) + lo
    if reach >= 2**53:
        return None
    sums = _f32_sum_reach(dense, x, refused) if _scales_fit(dense, x.type, exact, True) else None
    use32 = sums is not None and float(sums.max(initial=0.0)) + lo < _F32_LIMIT
    if not use32 and not _scales_fit(dense, x.type, exact, False):
        return None
    dtype = np.float32 if use32 else np.float64
    params = _index_parameters(dense, x.type, table, dtype)
    lhs = params if x.aug is not None else params[:, :-1]
    rhs = (x.aug if x.aug is not None else x.t).astype(dtype, copy=False)
    n_out, rows = dense.n_out, x.t.shape[1]
    y = np.matmul(rhs.T, lhs.T) if row_major else np.matmul(lhs, rhs)
    if x.aug is None:  # the bias (and -lo): one more exact partial sum
        if row_major:
            add_to_rows(y, params[:, -1])
        else:
            y += params[:, -1:]
    index = y.astype(np.int32 if reach * 2.0**-table.shift < 2**31 - 1 else np.intp)
    entries = _result_entries(table, act.result_t)
    nonneg = not act.result_t.signed
    if row_major:  # rows by features, as BLAS wrote them
        size = rows * n_out
        flat = np.empty(size, entries.dtype) if buffers is None else buffers(f"rows.{act.name}", size, entries.dtype)
        out = flat.reshape(rows, n_out)
        np.take(entries, index, mode="clip", out=out)
        return _Block(out.T, act.result_t, nonneg=nonneg)
    buf = _with_ones_row(n_out, rows, entries.dtype.type)
    np.take(entries, index, mode="clip", out=buf[:n_out])
    return _Block(buf[:n_out], act.result_t, buf, nonneg=nonneg)


def _fused_hls4ml_dense(dense: DenseLayer, act: ActivationLayer | None, x: _Block) -> _Block | None:
    """hls4ml mode's dense (:mod:`trigger.nn.fast_hls4ml`) [+ relu/linear: ``max(0)``, then its cast]."""
    if x.t.dtype.kind != "f" or (act is not None and (act.input_t != dense.result_t or not f64_eligible(act.result_t))):
        return None
    y = dense_hls4ml_rows(dense, x.type, x.t, x.aug)
    if y is None:
        return None
    if act is None:
        return _Block(y, dense.result_t, nonneg=not dense.result_t.signed)
    if act.function == "relu":
        np.maximum(y, 0.0, out=y)
    z, _ = fixed_to_fixed_f64(y, dense.result_t, act.result_t, track=False)
    return _Block(z, act.result_t, nonneg=act.function == "relu" or not act.result_t.signed)


# ---------------------------------------------------------------------------------------- softmax
def _table_lookup(table: LookupTable, v: F64) -> F64:
    """The table entries at exact float raws ``v``, indexed by :meth:`LookupTable.index` (the C++'s steps).

    Without ``toward_zero``: ``(v - lo) 2**-shift`` (exact) clamped to ``[0, size - 1]``, then truncated,
    is ``clamp(floor(.))``: truncation is the floor on the clamped, non-negative values. Float passes
    instead of the integer steps (measured 2.0-2.4 vs 2.1-12 ns a value).
    """
    if table.toward_zero or v.dtype.kind != "f":
        return _table_f64(table)[table.index(v)]
    idx = np.subtract(v, float(table.lo_raw), dtype=np.float64)  # exact: float raws are below 2**52
    if table.shift:
        idx *= 2.0**-table.shift  # exact: a power of two
    np.clip(idx, 0.0, float(table.size - 1), out=idx)
    return _table_f64(table)[idx.astype(np.intp)]


@functools.lru_cache(maxsize=64)
def _table_f64(table: LookupTable) -> F64:
    return table.values_raw.astype(np.float64)


def _fused_softmax(layer: ActivationLayer, x: _Block) -> _Block | None:
    """The table softmax of :func:`trigger.nn.emulate._softmax_fixed` on float raws, one row per class."""
    tables = layer.softmax
    if layer.function != "softmax" or not isinstance(tables, SoftmaxTables) or x.type != layer.input_t:
        return None
    exp_t, inv_t = tables.exp.table_t, tables.inv.table_t
    prod_t = mult_type(exp_t, inv_t)
    if not f64_eligible(x.type, tables.sum_t, prod_t, layer.result_t) or x.type.width > 50 or x.t.dtype.kind != "f":
        return None
    v = x.t.astype(np.float64, copy=False)
    if tables.implementation == "stable":
        v = v.max(axis=0) - v  # max - x >= 0, exact
    exp_raw = _table_lookup(tables.exp, v)
    inv_raw = _table_lookup(tables.inv, exp_raw.sum(axis=0))  # exact: sum_t holds n entries
    exp_raw *= inv_raw  # exact: the product type is f64-eligible
    y, _ = fixed_to_fixed_f64(exp_raw, prod_t, layer.result_t, track=False)
    return _Block(y, layer.result_t, nonneg=not layer.result_t.signed)


def _fused_table(layer: ActivationLayer, x: _Block) -> _Block | None:
    """A sigmoid/tanh table on the block's rows: the entries at the index, then the cast to the result type."""
    table = layer.table
    if table is None or x.type != layer.input_t or x.t.dtype.kind != "f":
        return None
    if not f64_eligible(table.table_t, layer.result_t):
        return None
    y, _ = fixed_to_fixed_f64(_table_lookup(table, x.t), table.table_t, layer.result_t, track=False)
    return _Block(y, layer.result_t, nonneg=not layer.result_t.signed)


def _fused_square_sum(layer: SquareSumLayer, x: _Block) -> _Block | None:
    """Every square and their sum exact in float64 (``sum_t`` within 52 bits: every partial sum is an integer
    below 2**52), then the one cast to ``result_t``: :func:`trigger.nn.emulate._square_sum_fixed` on the rows."""
    if x.type != layer.input_t or x.t.dtype.kind != "f" or not f64_eligible(layer.sum_t, layer.result_t):
        return None
    if x.t.shape[0] > 1 and x.t.strides[0] == x.t.itemsize:  # rows by features in memory: a sum over each row
        rows = x.t.T
        n, k = rows.shape
        total = _row_square_sums(n, k, lambda v, lo: np.copyto(v, rows[lo : lo + len(v)]))[None, :]
    else:
        v = x.t.astype(np.float64)  # a copy (x is never overwritten), squared in place: 2x faster here than a
        v *= v  # casting np.square(x.t, dtype=np.float64) on float32 blocks; the same exact squares
        total = v.sum(axis=0, keepdims=True)
    y, _ = fixed_to_fixed_f64(total, layer.sum_t, layer.result_t, track=False)
    return _Block(y, layer.result_t, nonneg=not layer.result_t.signed)


#: rows per pass of :func:`_row_square_sums`: the float64 squares stay in cache
_SQUARE_ROWS = 2048


def square_error_rows(
    layer: SquareSumLayer,
    x: NDArray[Any],
    x_scale: float,
    y: NDArray[Any],
    y_scale: float,
    buffers: Buffers | None = None,
) -> Rows | None:
    """``layer`` (a square sum) of the difference ``x x_scale - y y_scale``, rows by features: each a float array
    (n, layer.n) of values that the scales make integers in the LSB of ``layer.input_t`` (which holds every
    difference exactly, e.g. :func:`~trigger.fixed.minus_type`'s), or None where float64 does not hold them.

    Bit-exact, the sum taken in float32 where that is safe: for a difference type of at most 24 bits the
    differences are exact in float32; their squares and BLAS's sum of them are not always, but are within a
    relative ``2 (n + 1) 2**-24`` of the exact sum ``S`` (each square and each addition rounds once, in any
    order: ``gamma_n``, and ``S <= s / (1 - gamma_n)``). The cast to ``result_t`` is monotonic when it saturates,
    so where it maps both ends of that interval around ``s`` to one value, that is the cast of ``S``; the few rows
    where it does not (a sum near a step of the result) are summed exactly in float64. Otherwise every row in
    float64 tiles (exact: every partial sum an integer below 2**52). ``buffers``: where the differences go."""
    if not f64_eligible(layer.input_t, layer.sum_t, layer.result_t) or x.shape != y.shape or x.ndim != 2:
        return None
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        return None
    n, k = x.shape
    if layer.input_t.width <= 24 and layer.result_t.overflow in _SATURATING and k < 2**20:
        size = n * k
        d = (np.empty(size, np.float32) if buffers is None else buffers("difference", size, np.float32)).reshape(n, k)
        np.multiply(x, x_scale, out=d)  # exact: integers below 2**23 in diff_t's LSB, and so is the difference
        d -= y if y_scale == 1.0 else y * y_scale
        d *= d
        s = np.matmul(d, np.ones(k, np.float32)).astype(np.float64)
        e = s * (2.0 * (k + 1) * 2.0**-24) + 1.0
        lo = np.floor(np.maximum(s - e, 0.0))
        hi = np.ceil(np.minimum(s + e, float(layer.sum_t.max_raw)))
        out, _ = fixed_to_fixed_f64(lo[None, :], layer.sum_t, layer.result_t, track=False)
        top, _ = fixed_to_fixed_f64(hi[None, :], layer.sum_t, layer.result_t, track=False)
        near = np.flatnonzero(out[0] != top[0])
        if len(near):  # exactly, in float64
            v = np.multiply(x[near], x_scale, dtype=np.float64)
            v -= y[near] * y_scale
            v *= v
            exact, _ = fixed_to_fixed_f64(v.sum(axis=1)[None, :], layer.sum_t, layer.result_t, track=False)
            out[0, near] = exact[0]
        return _Block(out, layer.result_t, nonneg=not layer.result_t.signed)

    def difference(v: F64, lo_row: int) -> None:
        np.multiply(x[lo_row : lo_row + len(v)], x_scale, out=v)  # exact: a power of two, into float64
        if y_scale == 1.0:
            v -= y[lo_row : lo_row + len(v)]
        else:
            v -= y[lo_row : lo_row + len(v)] * y_scale

    total = _row_square_sums(n, k, difference)
    out, _ = fixed_to_fixed_f64(total[None, :], layer.sum_t, layer.result_t, track=False)
    return _Block(out, layer.result_t, nonneg=not layer.result_t.signed)


def _row_square_sums(n: int, k: int, fill: Callable[[F64, int], None]) -> F64:
    """``sum_j v[i, j]**2`` in float64 for the (n, k) rows that ``fill(tile, first_row)`` writes tile by tile,
    exact integer values with every partial sum an integer below 2**52 (the caller's ``sum_t``): exact in any
    order, so one matrix-vector product per tile of rows (measured on 42 000 x 57: 1.3 ms, 2.6 for the squares
    of the whole batch summed by numpy)."""
    total = np.empty(n)
    ones = np.ones(k)
    tile = np.empty((min(_SQUARE_ROWS, n), k))
    for lo in range(0, n, _SQUARE_ROWS):
        v = tile[: min(_SQUARE_ROWS, n - lo)]
        fill(v, lo)
        v *= v
        np.matmul(v, ones, out=total[lo : lo + len(v)])
    return total


def _from_fixed(out: FixedArray) -> _Block:
    """A fallback layer's output as a block (float64 raws where exact, so the next fused layer applies)."""
    raw = out.raw
    if raw.dtype.kind in "iu" and f64_eligible(out.type):
        raw = raw.astype(np.float64)
    return _Block(np.ascontiguousarray(raw.T), out.type, nonneg=not out.type.signed)


# ---------------------------------------------------------------------------------------- driver
def _to_fixed(x: _Block) -> FixedArray:
    """Rows by features again, in the representation of the rest of the emulator (float64 raws where exact)."""
    dtype = np.float64 if x.t.dtype == np.float32 else x.t.dtype
    return FixedArray(np.ascontiguousarray(x.t.T, dtype=dtype), x.type, NO_OVERFLOW)


def _run_block(model: ModelDescription, batch: F64, refused: set[DenseLayer]) -> _Block:
    """All layers on one block of rows, fused where possible (no overflow bookkeeping)."""
    x = _cast_input(model.input_t, batch, row_major=isinstance(model.layers[0], DenseLayer))
    return run_layers(model.layers, x, refused, rows_out=True)


def run_layers(
    layers: Sequence[Layer],
    x: Rows,
    refused: set[DenseLayer] | None = None,
    rows_out: bool = False,
    row_major: bool = False,
    buffers: Buffers | None = None,
) -> Rows:
    """``layers`` (a chain) on a block already in their input type, e.g. one that several models read
    (:func:`cast_rows`); a leading scale layer overwrites ``x``, no other layer does. ``refused``: the dense
    layers whose float32 sums failed on an earlier block of the same batch (only the speed depends on it).
    ``rows_out``: the last dense layer writes rows by features when only element-wise layers follow it (the
    block is then a transposed view: :func:`run_blocks` takes its rows without a transposing pass).
    ``row_major``: every dense layer does (for a whole batch held rows by features, ``x`` the transposed view
    of such an array: BLAS reads and writes that layout at full speed, no block is ever transposed), into
    ``buffers`` if given."""
    refused = set() if refused is None else refused
    i = 0
    dense_at = [k for k, la in enumerate(layers) if isinstance(la, DenseLayer)]
    tail = layers[dense_at[-1] + 1 :] if dense_at else ()
    elementwise = all(isinstance(la, ActivationLayer) and la.function != "softmax" for la in tail)
    last = dense_at[-1] if rows_out and dense_at and elementwise else -1
    while i < len(layers):
        layer: Layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        fused: _Block | None = None
        step = 1
        if isinstance(layer, DenseLayer) and layer.accumulation is Accumulation.HLS4ML:
            if isinstance(nxt, ActivationLayer) and nxt.function in ("relu", "linear"):
                fused, step = _fused_hls4ml_dense(layer, nxt, x), 2
            if fused is None:
                fused, step = _fused_hls4ml_dense(layer, None, x), 1
        elif isinstance(layer, DenseLayer):
            if isinstance(nxt, ActivationLayer) and nxt.function in ("sigmoid", "tanh"):
                fused, step = _fused_dense_table(layer, nxt, x, refused, row_major or i == last, buffers), 2
            elif isinstance(nxt, ActivationLayer) and nxt.function in ("relu", "linear"):
                ones = row_major and _exact_dense(layers[i + 2] if i + 2 < len(layers) else None)
                fused, step = _fused_dense(layer, nxt, x, refused, row_major or i == last, buffers, ones), 2
            if fused is None:
                ones = row_major and _exact_dense(nxt)
                fused, step = _fused_dense(layer, None, x, refused, row_major or i == last, buffers, ones), 1
        elif isinstance(layer, ScaleLayer):
            fused = _fused_scale(layer, x)
        elif isinstance(layer, ActivationLayer) and layer.function == "softmax":
            fused = _fused_softmax(layer, x)
        elif isinstance(layer, ActivationLayer) and layer.function in ("sigmoid", "tanh"):
            fused = _fused_table(layer, x)
        elif isinstance(layer, SquareSumLayer):
            fused = _fused_square_sum(layer, x)
        if fused is None:
            out, _ = forward_fixed(layer, _to_fixed(x), count=False)
            fused, step = _from_fixed(out), 1
        x = fused
        i += step
    return x


def _exact_dense(layer: Layer | None) -> bool:
    return isinstance(layer, DenseLayer) and layer.accumulation is Accumulation.EXACT


def block_rows(*widths: int) -> int:
    """Rows per block for layers of these widths (features): the widest layer's float64 output stays in cache."""
    return min(max(_CACHE_BYTES // (8 * max(widths)), 1024), 16384)


def run_blocks(model: ModelDescription, batch: F64) -> FixedArray:
    """The model on ``batch`` (already shaped (n, n_inputs)) in row blocks small enough for the cache."""
    rows = block_rows(model.n_inputs, *(la.n_out for la in model.layers))
    refused: set[DenseLayer] = set()
    blocks = [_run_block(model, batch[i : i + rows], refused) for i in range(0, max(len(batch), 1), rows)]
    dtypes = {b.t.dtype for b in blocks}
    dtype = np.float64 if dtypes <= {np.dtype(np.float32), np.dtype(np.float64)} else None
    raw = np.concatenate([b.t.T for b in blocks], dtype=dtype)  # one copy, back to rows by features
    return FixedArray(raw, blocks[0].type, NO_OVERFLOW)
