"""``FixedType.quantize`` as a differentiable Keras 3 op, for quantization-aware training.

The forward value is the ap_types conversion from a float, exactly as :meth:`FixedType.quantize`
computes it: scale by ``2**F`` (exact), round with the type's quantization mode, resolve overflow
(saturate, zero or wrap) on the integer, scale back (exact).  Every step is exact in the tensor's
float format while ``|x| * 2**F`` stays below the mantissa (2**52 in float64, 2**23 in float32)
and the type is no wider than the mantissa; saturating types are exact for any magnitude.
``tests/test_train_quantize.py`` pins this op to ``FixedType.quantize`` over every rounding and
overflow mode.

The gradient is straight-through: ``ste="identity"`` passes it unchanged (weights and biases, so a
weight pushed beyond the range can come back), ``ste="clip"`` passes it only where the value was
not saturated or zeroed (layer inputs and results: a saturated output does not depend on its input).
Wrapping types always pass it unchanged.  The forward value is never perturbed by the estimator
(``keras.ops.custom_gradient``, not ``x + stop_gradient(q - x)``, which rounds in float).

TensorFlow's CPU kernels read subnormal floats as zero (denormals-are-zero), so the op quantizes
them as 0; :func:`flush_subnormals` applies the same rule to weights leaving Keras, so training,
:func:`trigger.train.exact_forward` and the converted description all see the same weights.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import FixedTypeSyntaxError
from trigger.fixed import FixedType, Overflow, Quantization

__all__ = ["STE_MODES", "as_type", "fixed_quantize", "flush_subnormals"]

STE_MODES = ("identity", "clip")


def as_type(spelling: str | FixedType | None, what: str) -> FixedType | None:
    """A declared precision: a C++ spelling, a :class:`FixedType` or ``None`` (not quantized)."""
    if spelling is None or isinstance(spelling, FixedType):
        return spelling
    if not isinstance(spelling, str):
        raise FixedTypeSyntaxError(f"{what}: expected a type such as 'ap_fixed<16,6>' or None, got {spelling!r}")
    try:
        t = FixedType.from_string(spelling)
    except FixedTypeSyntaxError as exc:
        raise FixedTypeSyntaxError(f"{what}: {exc}") from None
    if t.is_int:  # C's double -> int conversion is not ap_fixed's: spell it ap_fixed<W,W> if meant
        raise FixedTypeSyntaxError(f"{what}: {t} is an integer type; use ap_fixed<W,I> or ap_ufixed<W,I> for QAT")
    return t


def _limits(t: FixedType) -> tuple[float, float]:
    """Raw (lo, hi) saturation limits, as the engine's: AP_SAT_SYM's signed minimum is ``min | 1``."""
    lo = t.min_raw | 1 if (t.overflow is Overflow.AP_SAT_SYM and t.signed) else t.min_raw
    return float(lo), float(t.max_raw)


def _round(ops: Any, y: Any, mode: Quantization) -> Any:
    """ap_types' rounding of the exact scaled value ``y`` to an integer (``engine._round_increment``)."""
    if mode is Quantization.AP_TRN:
        return ops.floor(y)
    if mode is Quantization.AP_TRN_ZERO:
        return ops.where(y < 0, ops.ceil(y), ops.floor(y))
    if mode is Quantization.AP_RND_CONV:
        return ops.round(y)  # half to even
    floor = ops.floor(y)
    mid = floor + 0.5  # exact below the mantissa limit
    above, tie, negative = y > mid, ops.equal(y, mid), y < 0
    if mode is Quantization.AP_RND:
        up = ops.logical_or(above, tie)
    elif mode is Quantization.AP_RND_ZERO:
        up = ops.logical_or(above, ops.logical_and(tie, negative))
    elif mode is Quantization.AP_RND_MIN_INF:
        up = above
    else:  # AP_RND_INF
        up = ops.logical_or(above, ops.logical_and(tie, ops.logical_not(negative)))
    return ops.where(up, floor + 1.0, floor)


def _resolve(ops: Any, q: Any, t: FixedType) -> tuple[Any, Any]:
    """Overflow handling of the integer ``q``: returns the raw value and the 'not saturated' mask."""
    lo, hi = _limits(t)
    inside = ops.logical_and(q >= lo, q <= hi)
    if t.overflow in (Overflow.AP_SAT, Overflow.AP_SAT_SYM):
        return ops.clip(q, lo, hi), inside
    if t.overflow is Overflow.AP_SAT_ZERO:
        return ops.where(inside, q, ops.zeros_like(q)), inside
    period = 2.0**t.width
    offset = 2.0 ** (t.width - 1) if t.signed else 0.0
    return q - period * ops.floor((q + offset) / period), ops.ones_like(inside)


@functools.cache
def _op(t: FixedType, ste: str) -> Any:
    from trigger.train._backend import keras

    ops = keras.ops
    scale, unscale = 2.0**t.frac, 2.0**-t.frac
    clip_gradient = ste == "clip" and t.overflow is not Overflow.AP_WRAP

    @ops.custom_gradient  # type: ignore[untyped-decorator]
    def quantize(x: Any) -> tuple[Any, Any]:
        q, inside = _resolve(ops, _round(ops, x * scale, t.rounding), t)
        mask = ops.cast(inside, x.dtype) if clip_gradient else None

        def grad(*args: Any, upstream: Any = None) -> Any:
            if upstream is None:
                (upstream,) = args
            return upstream * mask if mask is not None else upstream

        return q * unscale, grad

    return quantize


def fixed_quantize(x: Any, t: FixedType, ste: str = "identity") -> Any:
    """``t.quantize(x)`` on a Keras tensor (any float dtype), with a straight-through gradient."""
    if ste not in STE_MODES:
        raise ValueError(f"ste must be one of {', '.join(STE_MODES)}, got {ste!r}")
    return _op(t, ste)(x)


def flush_subnormals(values: ArrayLike, dtype: Any) -> NDArray[np.float64]:
    """``values`` as float64 with the subnormals of ``dtype`` (e.g. float32) set to zero, as TF computes."""
    out = np.asarray(values, dtype=np.float64).copy()
    out[np.abs(out) < np.finfo(np.dtype(dtype)).tiny] = 0.0
    return out
