"""Executors for a :class:`ModelDescription`: float (numpy) and bit-accurate fixed point.

The fixed executor is vectorized over the batch and computes, layer by layer, exactly what the
C++ layer library in ``hls/cpp`` computes (the C simulation test checks every output bit).
Dense sums are exact integer sums: float64 BLAS when every partial sum provably stays below
2**53, int64 or Python integers otherwise.  Each layer class has one entry in :data:`EXECUTORS`
(its float and its fixed-point function): a new layer kind is one entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trigger.errors import FixedPointError
from trigger.fixed import FixedArray, FixedType
from trigger.fixed.engine import as_object
from trigger.fixed.engine_f64 import f64_eligible
from trigger.nn.hls4ml_rules import resource_input_order
from trigger.nn.hls4ml_tables import softmax_hls4ml_fixed
from trigger.nn.layers import (
    HARD_FUNCTIONS,
    Accumulation,
    ActivationLayer,
    DenseLayer,
    Hls4mlSoftmax,
    Layer,
    ModelDescription,
    QuantizeLayer,
    ScaleLayer,
    SquareErrorLayer,
    SquareSumLayer,
    Strategy,
    SumLayer,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "LayerTrace",
    "dense_sum_bound",
    "forward_fixed",
    "forward_float",
    "run_fixed",
    "run_float",
]

#: Rows per block in the hls4ml-compatible accumulation (which materializes every product).
_BLOCK_ROWS = 2048


@dataclass(frozen=True, eq=False)
class LayerTrace:
    """One layer's output on a batch and how many values its casts wrapped or saturated."""

    name: str
    output: FixedArray
    overflows: int

    @property
    def n_values(self) -> int:
        return int(np.prod(self.output.shape))


# ---------------------------------------------------------------------------------------- float
def _softmax(x: NDArray[Any]) -> NDArray[Any]:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    out: NDArray[Any] = e / e.sum(axis=1, keepdims=True)
    return out


def _dense_float(layer: DenseLayer, x: NDArray[Any]) -> NDArray[Any]:
    out: NDArray[Any] = x @ layer.weights_float.astype(x.dtype) + layer.bias_float.astype(x.dtype)
    return out


_ACTIVATIONS_FLOAT: dict[str, Callable[[NDArray[Any]], NDArray[Any]]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "linear": lambda x: x,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": np.tanh,
    "softmax": _softmax,
    # Keras 3's definitions (keras.activations): relu6(x + 3) / 6 and clip(x, -1, 1)
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
}


def _activation_float(layer: ActivationLayer, x: NDArray[Any]) -> NDArray[Any]:
    fn = _ACTIVATIONS_FLOAT.get(layer.function)
    if fn is None:
        raise FixedPointError(f"layer {layer.name}: unknown activation {layer.function!r}")
    return fn(x)


def _scale_float(layer: ScaleLayer, x: NDArray[Any]) -> NDArray[Any]:
    out: NDArray[Any] = (x - layer.offset.astype(x.dtype)) / (2.0 ** layer.shift.astype(np.float64)).astype(x.dtype)
    return out


def _sum_float(layer: SumLayer, x: NDArray[Any]) -> NDArray[Any]:
    out: NDArray[Any] = x.sum(axis=1, keepdims=True)
    return out


def _square_sum_float(layer: SquareSumLayer, x: NDArray[Any]) -> NDArray[Any]:
    out: NDArray[Any] = (x * x).sum(axis=1, keepdims=True)
    return out


def _square_error_float(layer: SquareErrorLayer, x: NDArray[Any], ref: NDArray[Any]) -> NDArray[Any]:
    d = ref - x
    out: NDArray[Any] = (d * d).sum(axis=1, keepdims=True)
    return out


def _alone(layer: Layer) -> None:
    if isinstance(layer, SquareErrorLayer):
        raise FixedPointError(
            f"layer {layer.name} compares with the output of {layer.reference!r}: run it inside its model "
            "(run_fixed, run_float), not alone"
        )


def _quantize_float(layer: QuantizeLayer, x: NDArray[Any]) -> NDArray[Any]:
    """The float network has no quantizers: the values pass unchanged."""
    return x


def forward_float(layer: Layer, x: NDArray[Any]) -> NDArray[Any]:
    """One layer in float (the dtype of ``x``) with the trained (unquantized) weights."""
    _alone(layer)
    return _executor(layer).float(layer, x)


def run_float(model: ModelDescription, x: ArrayLike, dtype: type[np.floating[Any]] = np.float64) -> NDArray[Any]:
    """The float reference: the network as trained, in float64 (or ``dtype``, e.g. float32)."""
    out = _as_batch(model, x).astype(dtype)
    keep = model.references
    saved = {model.input_name: out} if model.input_name in keep else {}
    for layer in model.layers:
        if isinstance(layer, SquareErrorLayer):
            out = _square_error_float(layer, out, saved[layer.reference])
        else:
            out = forward_float(layer, out)
        if layer.name in keep:
            saved[layer.name] = out
    return out


# ---------------------------------------------------------------------------------------- fixed
def dense_sum_bound(input_t: FixedType, weights_raw: NDArray[Any]) -> int:
    """Largest ``|sum_i x_i w_ij|`` in raw units over all inputs of ``input_t``: bounds every partial sum."""
    reach = max(abs(input_t.min_raw), abs(input_t.max_raw))
    col = np.abs(as_object(weights_raw)).sum(axis=0)
    return int(max(col.tolist(), default=0)) * reach


def _matmul_exact(x: NDArray[Any], w: NDArray[Any], bound: int) -> NDArray[Any]:
    if bound < 2**53:  # every partial sum is an exactly representable integer: BLAS is exact
        return np.rint(x.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    if bound < 2**62 and x.dtype != object and w.dtype != object:
        out: NDArray[Any] = x.astype(np.int64) @ w.astype(np.int64)
        return out
    wide: NDArray[Any] = as_object(x).dot(as_object(w))
    return wide


def _dense_exact(layer: DenseLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    bound = dense_sum_bound(x.type, layer.weights_raw)
    f = layer.exact_t.frac
    prod_frac = x.type.frac + layer.weight_t.frac
    if x.raw.dtype == np.float64 and f64_eligible(layer.exact_t) and bound < 2**53:
        # raw integers in float64: BLAS sums them exactly, the alignment shifts are exact scalings
        total = x.raw @ layer.weights_raw.astype(np.float64)
        if f != prod_frac:
            total *= 2.0 ** (f - prod_frac)
        total += layer.bias_raw.astype(np.float64) * 2.0 ** (f - layer.bias_t.frac)
    else:
        s = _matmul_exact(x.int_raw(), layer.weights_raw, bound)
        big = layer.exact_t.width > 62 or s.dtype == object
        s = as_object(s) if big else s
        bias = as_object(layer.bias_raw) if big else layer.bias_raw.astype(np.int64)
        total = (s << (f - prod_frac)) + (bias << (f - layer.bias_t.frac))
    exact = FixedArray(total, layer.exact_t, np.zeros(0, dtype=bool))
    acc = exact.cast(layer.accum_t, track_overflow=count)
    res = acc.cast(layer.result_t, track_overflow=count)
    return res, int(acc.overflowed.sum()) + int(res.overflowed.sum())


def _dense_hls4ml(layer: DenseLayer, x: FixedArray) -> tuple[FixedArray, int]:
    """hls4ml's kernel: ``mult = (accum_t)(x*w)``, ``acc = (accum_t)b``, ``acc += mult`` in input order
    (Latency), or in the Resource kernel's order (:func:`trigger.nn.hls4ml_rules.resource_input_order`)."""
    accum_t, weight = layer.accum_t, layer.weight_t.from_raw(layer.weights_raw)
    bias_acc = layer.bias_t.from_raw(layer.bias_raw).cast(accum_t)
    order: Sequence[int] = range(layer.n_in)
    if layer.strategy is Strategy.RESOURCE:
        order = resource_input_order(layer.n_in, layer.reuse_factor)
    outputs, overflows = [], int(bias_acc.overflowed.sum()) * x.shape[0]
    for start in range(0, x.shape[0], _BLOCK_ROWS):
        block = x[start : start + _BLOCK_ROWS]
        products = (
            FixedArray(block.raw[:, :, None], block.type, np.zeros(0, dtype=bool))
            * FixedArray(weight.raw[None, :, :], weight.type, np.zeros(0, dtype=bool))
        ).cast(accum_t)
        overflows += int(products.overflowed.sum())
        acc = FixedArray(
            np.broadcast_to(bias_acc.raw, (block.shape[0], layer.n_out)).copy(),
            accum_t,
            np.zeros(0, dtype=bool),
        )
        for i in order:
            acc = (acc + products[:, i, :]).cast(accum_t)
            overflows += int(acc.overflowed.sum())
        outputs.append(acc.raw)
    acc_all = FixedArray(np.concatenate(outputs), accum_t, np.zeros(0, dtype=bool))
    res = acc_all.cast(layer.result_t)
    return res, overflows + int(res.overflowed.sum())


def _softmax_fixed(layer: ActivationLayer, x: FixedArray) -> tuple[FixedArray, int]:
    tables = layer.softmax
    assert tables is not None
    if isinstance(tables, Hls4mlSoftmax):
        res = softmax_hls4ml_fixed(tables, x, layer.result_t)
        return res, int(res.overflowed.sum())
    raw = x.raw.astype(np.int64)
    if tables.implementation == "stable":
        raw = raw.max(axis=1, keepdims=True) - raw  # max - x >= 0, exact in the table's input type
    exp_raw = tables.exp.values_raw[tables.exp.index(raw)]
    sum_raw = exp_raw.sum(axis=1, keepdims=True)  # exact: sum_t has room for n maximal entries
    inv_raw = tables.inv.values_raw[tables.inv.index(sum_raw)]
    exp_fx = FixedArray(exp_raw, tables.exp.table_t, np.zeros(0, dtype=bool))
    inv_fx = FixedArray(np.broadcast_to(inv_raw, exp_raw.shape), tables.inv.table_t, np.zeros(0, dtype=bool))
    res = (exp_fx * inv_fx).cast(layer.result_t)
    return res, int(res.overflowed.sum())


def _dense_fixed(layer: DenseLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    if layer.accumulation is Accumulation.HLS4ML:
        return _dense_hls4ml(layer, x)
    return _dense_exact(layer, x, count)


def _activation_fixed(layer: ActivationLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    fn = layer.function
    if fn in ("linear", "relu"):
        src = x if fn == "linear" else FixedArray(np.maximum(x.raw, 0), x.type, x.overflowed)
        res = src.cast(layer.result_t, track_overflow=count)
        return res, int(res.overflowed.sum())
    if fn in ("sigmoid", "tanh"):
        assert layer.table is not None
        values = FixedArray(layer.table.values_raw[layer.table.index(x.raw)], layer.table.table_t, x.overflowed)
        res = values.cast(layer.result_t)
        return res, int(res.overflowed.sum())
    if fn == "softmax":
        return _softmax_fixed(layer, x)
    if fn in HARD_FUNCTIONS:
        return _hard_fixed(layer, x, count)
    raise FixedPointError(f"layer {layer.name}: unknown activation {fn!r}")


def _hard_fixed(layer: ActivationLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """``s = slope * x + shift`` exact, clamped to [0, 1]; hard_tanh ``2 * s - 1`` exact; one assignment to
    ``result_t`` (hls4ml's ``nnet::hard_sigmoid`` / ``hard_tanh``, ``l1t::hard_sigmoid`` in hls/cpp)."""
    hard = layer.hard
    assert hard is not None
    slope = FixedArray.from_raw(np.array([[hard.slope_raw]]), hard.slope_t)
    shift = FixedArray.from_raw(np.array([[hard.shift_raw]]), hard.shift_t)
    s = x * slope + shift
    if s.type.frac < 0:
        raise FixedPointError(f"layer {layer.name}: slope * x + shift has no fraction bits ({s.type}); 1 is not exact")
    integer = max(s.type.integer, 1) + 2
    clamped_t = FixedType(s.type.frac + integer, integer, True)  # holds s, 1 and 2 * s - 1 exactly
    raw, one = s.int_raw(), 1 << s.type.frac
    if raw.dtype != object and clamped_t.width > 62:
        raw = as_object(raw)
    raw = np.minimum(np.maximum(raw, 0), one)  # if s cannot exceed 1 (type maximum < 1) nothing is clamped
    if layer.function == "hard_tanh":
        raw = 2 * raw - one
    res = FixedArray(raw, clamped_t, np.zeros(0, dtype=bool)).cast(layer.result_t, track_overflow=count)
    return res, int(res.overflowed.sum())


def _scale_fixed(layer: ScaleLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """``scale_t tmp = x - offset; tmp = tmp >> shift; result_t y = tmp;`` per input."""
    offset = FixedArray(layer.offset_raw[None, :], layer.scale_t, np.zeros(0, dtype=bool))
    tmp = (x - offset).cast(layer.scale_t, track_overflow=count)
    res = (tmp >> layer.shift[None, :]).cast(layer.result_t, track_overflow=count)
    return res, int(tmp.overflowed.sum()) + int(res.overflowed.sum())


def _sum_fixed(layer: SumLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """The exact sum in ``sum_t`` (no overflow possible), then one assignment to ``result_t``."""
    sum_t = layer.sum_t
    raw = x.raw if x.raw.dtype == np.float64 and f64_eligible(sum_t) else x.int_raw()
    if raw.dtype != np.float64 and raw.dtype != object and sum_t.width > 62:
        raw = as_object(raw)
    total = FixedArray(raw.sum(axis=1, keepdims=True), sum_t, np.zeros(0, dtype=bool))
    res = total.cast(layer.result_t, track_overflow=count)
    return res, int(res.overflowed.sum())


def _square_sum_fixed(layer: SquareSumLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """Every square exact in ``square_t``, their sum exact in ``sum_t``, then one assignment to ``result_t``
    (``l1t::square_sum`` in hls/cpp/l1t_sum.h)."""
    raw = x.int_raw()
    big = layer.sum_t.width > 62 or raw.dtype == object
    raw = as_object(raw) if big else raw.astype(np.int64)
    total = FixedArray((raw * raw).sum(axis=1, keepdims=True), layer.sum_t, np.zeros(0, dtype=bool))
    res = total.cast(layer.result_t, track_overflow=count)
    return res, int(res.overflowed.sum())


def _square_error_fixed(layer: SquareErrorLayer, x: FixedArray, ref: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """``ref - x`` exact (ap_types' difference type, :attr:`SquareErrorLayer.diff_t`), then the square sum of the
    differences (``l1t::square_error`` in hls/cpp/l1t_sum.h)."""
    if x.type != layer.input_t or ref.type != layer.reference_t:
        raise FixedPointError(
            f"layer {layer.name} expects {layer.input_t} and {layer.reference_t}, got {x.type} and {ref.type}"
        )
    diff = ref - x
    assert diff.type == layer.diff_t
    return _square_sum_fixed(layer.squares, diff, count)


def _quantize_fixed(layer: QuantizeLayer, x: FixedArray, count: bool) -> tuple[FixedArray, int]:
    """Each column cast to its own type, then (exactly) to ``result_t``; pruned columns are 0.

    hls4ml's ``out[j] = ap_fixed<W_j,I_j,Q,O>(in[j])`` for an HGQ2 quantizer, one group of equal types at a time.
    """
    raw = x.int_raw()
    big = raw.dtype == object or layer.result_t.width > 62
    out = np.zeros(raw.shape, dtype=object if big else np.int64)
    overflows = 0
    for elem_t, cols in layer.groups():
        if elem_t is None:
            continue
        part = FixedArray(raw[:, cols], x.type, np.zeros(0, dtype=bool)).cast(elem_t, track_overflow=count)
        overflows += int(part.overflowed.sum())
        out[:, cols] = part.cast(layer.result_t).int_raw()
    return FixedArray(out, layer.result_t, np.zeros(0, dtype=bool)), overflows


class Executor(NamedTuple):
    """How one layer class runs: in float, and bit-accurately (returning the overflow count)."""

    float: Callable[[Any, NDArray[Any]], NDArray[Any]]
    fixed: Callable[[Any, FixedArray, bool], tuple[FixedArray, int]]


#: one entry per layer class: a new layer kind is one more line here (and one in hls/kinds.py)
EXECUTORS: dict[type, Executor] = {
    DenseLayer: Executor(_dense_float, _dense_fixed),
    ActivationLayer: Executor(_activation_float, _activation_fixed),
    ScaleLayer: Executor(_scale_float, _scale_fixed),
    SumLayer: Executor(_sum_float, _sum_fixed),
    SquareSumLayer: Executor(_square_sum_float, _square_sum_fixed),
    QuantizeLayer: Executor(_quantize_float, _quantize_fixed),
}


def _executor(layer: Layer) -> Executor:
    try:
        return EXECUTORS[type(layer)]
    except KeyError:
        raise FixedPointError(f"layer {layer.name}: no emulator for {type(layer).__name__}") from None


def forward_fixed(layer: Layer, x: FixedArray, count: bool = True) -> tuple[FixedArray, int]:
    """One layer in fixed point; returns the output and how many values overflowed in its casts.

    ``count=False`` may skip the overflow bookkeeping (the count is then not reliable, values are).
    """
    _alone(layer)
    if x.type != layer.input_t:
        raise FixedPointError(f"layer {layer.name} expects {layer.input_t} input, got {x.type}")
    return _executor(layer).fixed(layer, x, count)


def _layers_fixed(model: ModelDescription, fx: FixedArray, count: bool) -> Iterator[tuple[str, FixedArray, int]]:
    """Every layer of ``model`` on ``fx`` (the input, cast), with the outputs later square errors read kept."""
    keep = model.references
    saved = {model.input_name: fx} if model.input_name in keep else {}
    for layer in model.layers:
        if isinstance(layer, SquareErrorLayer):
            fx, overflows = _square_error_fixed(layer, fx, saved[layer.reference], count)
        else:
            fx, overflows = forward_fixed(layer, fx, count)
        if layer.name in keep:
            saved[layer.name] = fx
        yield layer.name, fx, overflows


def _as_batch(model: ModelDescription, x: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != model.n_inputs:
        raise FixedPointError(f"model {model.name} takes inputs of shape (batch, {model.n_inputs}); got {np.shape(x)}")
    return arr


@overload
def run_fixed(model: ModelDescription, x: ArrayLike, *, trace: Literal[False] = False) -> FixedArray: ...


@overload
def run_fixed(
    model: ModelDescription, x: ArrayLike, *, trace: Literal[True]
) -> tuple[FixedArray, list[LayerTrace]]: ...


def run_fixed(
    model: ModelDescription, x: ArrayLike, *, trace: bool = False
) -> FixedArray | tuple[FixedArray, list[LayerTrace]]:
    """Bit-accurate inference: inputs cast to the input type, then every layer as the firmware does it.

    Returns the output :class:`FixedArray`; with ``trace=True`` returns ``(output, traces)`` where
    ``traces`` has one :class:`LayerTrace` per layer (input cast first, named after the input).
    """
    batch = _as_batch(model, x)
    if not trace and not model.references:
        from trigger.nn.fast import run_blocks  # fused layers, cache-sized blocks: the same values

        return run_blocks(model, batch)
    fx = model.input_t.from_float(batch, f64=True)  # float64 raw where exact
    if not trace:  # a model with a square error: layer by layer (the fused path runs chains only)
        *_, (_, out, _) = _layers_fixed(model, fx, count=False)
        return out
    traces = [LayerTrace(model.input_name, fx, int(fx.overflowed.sum()))]
    traces += [LayerTrace(name, out, overflows) for name, out, overflows in _layers_fixed(model, fx, count=True)]
    return traces[-1].output, traces
