"""hls4ml 1.3's conventions that the hls4ml mode (``Accumulation: hls4ml``) reproduces.

Four rules, read from hls4ml 1.3.0 (``backends/fpga/fpga_backend.py``,
``templates/vivado/nnet_utils/nnet_dense_resource.h``, ``model/types.py``,
``model/optimizer/passes/infer_precision.py``):

* **What ``auto`` means.** hls4ml's ``InferPrecisionTypes`` gives a Dense's ``auto`` weight and bias the
  model's default precision and its ``auto`` accum and result the type that holds every sum:
  :func:`dense_auto_type`; a BatchNormalization's scale and bias the default, its result
  :func:`batchnorm_auto_type`; every other ``auto`` (the input, activations, softmax) the default.  The
  default is the model-level ``Precision`` (``ap_fixed<16,6>`` when none is given).  Our mode's ``auto``
  is ours (sized from the weights and a calibration sample).

* **Weights as text.** hls4ml writes each weight and bias as decimal text with as many digits after the
  point as the type has fraction bits (``WeightVariable.update_precision``: ``'{:.Ff}'``), and the C++
  initialiser quantizes that text, not the trained value: :func:`as_written`. A trained value just
  below a grid point can round up in the text and land one step higher (:func:`as_written` is what the
  hls4ml mode quantizes).
* **Reuse factor.** hls4ml accepts a Resource reuse factor R of an n_in x n_out layer only if
  ``ceil(n_in n_out / min(n_in, R)) % n_out == 0 or R >= n_in``, ``R % n_in == 0 or R < n_in`` and
  ``n_in n_out % R == 0``; any other R is silently replaced by the closest valid one (the smaller on
  a tie). Our own mode accepts every R that sets a multiplier count; the hls4ml mode replaces R as
  hls4ml does and says so (:class:`ReuseFactorAdjusted`).
* **Order of the additions.** With R < n_in, hls4ml's ``dense_resource_rf_leq_nin`` adds the products
  of each output in the input order ``0, R, 2R, ..., 1, R + 1, ...`` (chunk r of the reuse loop holds
  inputs r, r + R, ...); with R >= n_in (``dense_resource_rf_gt_nin_rem0``) in plain input order. With a
  saturating ``accum_t`` the order changes the result, so the emulator adds in :func:`resource_input_order`
  and ``hls/cpp/l1t_dense.h`` ``dense_resource`` maps multiplier m of chunk r to the same input (output
  ``m / (n_in / R)``, input ``r + R (m % (n_in / R))``); the C simulation holds the two together.
"""

from __future__ import annotations

import math
from bisect import bisect_left

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedType

__all__ = [
    "HLS4ML_DEFAULT_PRECISION",
    "ReuseFactorAdjusted",
    "as_written",
    "batchnorm_auto_type",
    "closest_reuse_factor",
    "dense_auto_type",
    "hls4ml_reuse_factors",
    "resource_input_order",
]


#: hls4ml's model precision when a config sets none (``config_from_keras_model``'s ``default_precision``)
HLS4ML_DEFAULT_PRECISION = "ap_fixed<16,6>"


def _capped(width: int, integer: int, signed: bool, maximum: FixedType | None) -> FixedType:
    """hls4ml's ``Precision.maximum``: width and integer bits each at most the cap's (then it may overflow)."""
    if maximum is not None:
        width, integer = min(width, maximum.width), min(integer, maximum.integer)
    return FixedType(width, integer, signed)


def dense_auto_type(
    input_t: FixedType, weight_t: FixedType, bias_t: FixedType, n_in: int, maximum: FixedType | None = None
) -> FixedType:
    """hls4ml's ``auto`` accum/result of a dense layer (``_infer_common_precision``, a bias always counted;
    ``maximum``: hls4ml's ``Model.Precision.maximum`` cap).

    >>> a = FixedType.from_string("ap_fixed<16,6>")
    >>> str(dense_auto_type(a, a, a, 16))
    'ap_fixed<37,17>'
    """
    grow = math.ceil(np.log2(n_in))
    width, integer = weight_t.width + input_t.width + grow, weight_t.integer + input_t.integer + grow
    signed = weight_t.signed or input_t.signed
    frac = width - integer
    integer = max(integer + (bias_t.signed and not signed), bias_t.integer + (signed and not bias_t.signed)) + 1
    return _capped(integer + max(frac, bias_t.frac), integer, signed or bias_t.signed, maximum)


def batchnorm_auto_type(
    input_t: FixedType, scale_t: FixedType, bias_t: FixedType, maximum: FixedType | None = None
) -> FixedType:
    """hls4ml's ``auto`` result of a BatchNormalization (``_infer_bn_precision``; ``maximum`` as above).

    >>> a = FixedType.from_string("ap_fixed<16,6>")
    >>> str(batchnorm_auto_type(a, a, a))
    'ap_fixed<33,13>'
    """
    signed = scale_t.signed or input_t.signed
    integer, frac = input_t.integer + scale_t.integer, input_t.frac + scale_t.frac
    integer = max(integer + (bias_t.signed and not signed), bias_t.integer + (signed and not bias_t.signed)) + 1
    return _capped(integer + max(frac, bias_t.frac), integer, signed or bias_t.signed, maximum)


class ReuseFactorAdjusted(UserWarning):
    """A Resource reuse factor hls4ml would not use was replaced by the one it would (hls4ml mode)."""


def _valid(n_in: int, n_out: int, rf: int) -> bool:
    multiplier_limit = math.ceil(n_in * n_out / min(n_in, rf))
    return (multiplier_limit % n_out == 0 or rf >= n_in) and (rf % n_in == 0 or rf < n_in) and (n_in * n_out) % rf == 0


def hls4ml_reuse_factors(n_in: int, n_out: int) -> list[int]:
    """The Resource reuse factors hls4ml 1.3 keeps for an ``n_in`` x ``n_out`` dense layer, ascending."""
    return [rf for rf in range(1, n_in * n_out + 1) if _valid(n_in, n_out, rf)]


def closest_reuse_factor(n_in: int, n_out: int, chosen: int) -> int:
    """The reuse factor hls4ml uses for ``chosen``: itself if valid, else the nearest valid (smaller on a tie)."""
    valid = hls4ml_reuse_factors(n_in, n_out)
    if chosen in valid:
        return chosen
    pos = bisect_left(valid, chosen)
    if pos == 0:
        return valid[0]
    if pos == len(valid):
        return valid[-1]
    before, after = valid[pos - 1], valid[pos]
    return after if after - chosen < chosen - before else before


def resource_input_order(n_in: int, rf: int) -> tuple[int, ...]:
    """The order in which hls4ml's Resource kernel adds each output's products (``rf`` valid for hls4ml).

    >>> resource_input_order(6, 3)
    (0, 3, 1, 4, 2, 5)
    >>> resource_input_order(4, 8)
    (0, 1, 2, 3)
    """
    if rf >= n_in:
        return tuple(range(n_in))
    return tuple(r + rf * t for r in range(rf) for t in range(n_in // rf))


def as_written(values: NDArray[np.float64], t: FixedType) -> NDArray[np.float64]:
    """``values`` as hls4ml's weight files spell them for type ``t`` (F = fraction bits decimals), read back.

    >>> from trigger.fixed import FixedType
    >>> as_written(np.array([0.0312496, -1.234567]), FixedType.from_string("ap_fixed<8,3>")).tolist()
    [0.03125, -1.23457]
    """
    digits = max(0, t.frac)
    flat = [float(f"{float(v):.{digits}f}") for v in np.asarray(values, dtype=np.float64).ravel()]
    return np.asarray(flat, dtype=np.float64).reshape(np.shape(values))
