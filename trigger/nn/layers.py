"""The one model description: layers, weights, resolved precisions, reuse factors, tables.

Both the Python emulator (:mod:`trigger.nn.emulate`) and the HLS writer (:mod:`hls.writer`) read
these objects, so the numbers the emulator multiplies are the numbers written into the C++.
Every precision here is concrete: ``auto`` was resolved when the description was built.
Non-NN algorithms build descriptions by hand (:func:`describe`): e.g. a fixed-point HT is one
:class:`SumLayer`, a network's firmware input scaling is a :class:`ScaleLayer` in front of it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.errors import ModelError
from trigger.fixed import FixedType, minus_type
from trigger.nn.quantize_layer import QuantizeLayer

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "Accumulation",
    "ActivationLayer",
    "DenseLayer",
    "HardConstants",
    "Hls4mlSoftmax",
    "IOType",
    "Layer",
    "LookupTable",
    "ModelDescription",
    "QuantizeLayer",
    "ScaleLayer",
    "SoftmaxTables",
    "SquareErrorLayer",
    "SquareSumLayer",
    "Strategy",
    "SumLayer",
    "describe",
]


class Strategy(enum.Enum):
    """hls4ml's dense strategies: fully unrolled multipliers, or time-multiplexed by the reuse factor."""

    LATENCY = "Latency"
    RESOURCE = "Resource"


class IOType(enum.Enum):
    """How layers pass data: whole arrays (``io_parallel``) or ``hls::stream`` FIFOs (``io_stream``)."""

    PARALLEL = "io_parallel"
    STREAM = "io_stream"


class Accumulation(enum.Enum):
    """How a dense layer sums its products.

    ``exact``: full-precision products summed exactly, then one cast to ``accum_t`` and one to
    ``result_t``.  ``hls4ml``: every product and the bias cast to ``accum_t`` first, then summed with
    a cast after each addition, as hls4ml's dense kernels do: in input order, or for Resource with
    R < n_in in hls4ml's order (:mod:`trigger.nn.hls4ml_rules`).
    """

    EXACT = "exact"
    HLS4ML = "hls4ml"


#: the functions an :class:`ActivationLayer` computes
ACTIVATION_FUNCTIONS = ("relu", "linear", "sigmoid", "tanh", "softmax", "hard_sigmoid", "hard_tanh")
#: the piecewise-linear ones: clip(slope * x + shift, 0, 1), hard_tanh twice that minus one
HARD_FUNCTIONS = ("hard_sigmoid", "hard_tanh")


@dataclass(frozen=True)
class HardConstants:
    """The two constants of a hard sigmoid or tanh, as hls4ml's ``nnet::hard_sigmoid`` holds them.

    ``s = slope * x + shift`` exact (ap_types' product and sum types), clamped to [0, 1]; hard_sigmoid
    assigns ``s`` to the result type, hard_tanh ``2 * s - 1`` (exact too).  ``slope_raw`` and
    ``shift_raw`` are the constants' raw bits in ``slope_t`` and ``shift_t``: quantized once, here,
    and written into the C++ as those bits (``hls/cpp/l1t_activation.h`` ``hard_sigmoid``).
    """

    slope_t: FixedType
    slope_raw: int
    shift_t: FixedType
    shift_raw: int

    def __post_init__(self) -> None:
        for what, t, raw in (("slope", self.slope_t, self.slope_raw), ("shift", self.shift_t, self.shift_raw)):
            if isinstance(raw, bool) or not isinstance(raw, (int, np.integer)):
                raise ModelError(f"hard activation {what}: raw bits must be an integer, got {raw!r}")
            lo, hi = t.min_raw, t.max_raw
            if not lo <= int(raw) <= hi:
                raise ModelError(f"hard activation {what}: raw {raw} does not fit {t} ([{lo}, {hi}])")

    @property
    def slope(self) -> float:
        return float(self.slope_raw) * self.slope_t.lsb

    @property
    def shift(self) -> float:
        return float(self.shift_raw) * self.shift_t.lsb


@dataclass(frozen=True, eq=False)
class LookupTable:
    """A table indexed by the raw bits of its input: ``clamp((raw - lo_raw) >> shift, 0, size - 1)``.

    ``values_raw`` are raw integers of ``table_t``; entry ``k`` is the function at the centre of the
    input interval it covers.  Generated once in Python, written into the C++ as constants.
    ``toward_zero``: a negative ``raw`` is first raised by ``2**shift - 1``, so the shift truncates
    towards zero (hls4ml's ``int(x * N / 16)`` index, :mod:`trigger.nn.hls4ml_tables`).
    """

    input_t: FixedType
    table_t: FixedType
    lo_raw: int
    shift: int
    values_raw: NDArray[np.int64]
    toward_zero: bool = False

    def __post_init__(self) -> None:
        values = np.asarray(self.values_raw)
        if values.ndim != 1 or values.size < 1 or values.dtype.kind not in "iu":
            raise ModelError(f"a lookup table needs a 1-d array of raw integers, got {values.dtype} {values.shape}")
        t = self.table_t
        if int(values.min()) < t.min_raw or int(values.max()) > t.max_raw:
            raise ModelError(f"lookup table entries outside the range of {t} ([{t.min_raw}, {t.max_raw}] raw)")
        if self.shift < 0:
            raise ModelError(f"lookup table index shift must be >= 0, got {self.shift}")
        object.__setattr__(self, "values_raw", values.astype(np.int64))

    @property
    def size(self) -> int:
        return int(self.values_raw.size)

    def index(self, raw: NDArray[Any]) -> NDArray[np.int64]:
        """Table index of raw input values of ``input_t`` (same integer steps as the C++)."""
        r = raw.astype(np.int64)
        if self.toward_zero and self.shift:
            r = np.where(r < 0, r + ((1 << self.shift) - 1), r)
        idx = (r - self.lo_raw) >> self.shift
        out: NDArray[np.int64] = np.clip(idx, 0, self.size - 1)
        return out

    @property
    def x_range(self) -> tuple[float, float]:
        """Input interval the table covers (values outside clamp to the end entries)."""
        lo = self.lo_raw * self.input_t.lsb
        return lo, lo + (self.size << self.shift) * self.input_t.lsb


@dataclass(frozen=True, eq=False)
class SoftmaxTables:
    """Softmax by tables: ``exp`` indexed by ``max - x`` (stable) or ``x`` (latency); ``inv`` by the sum."""

    implementation: str  # "stable" | "latency"
    exp: LookupTable
    sum_t: FixedType
    inv: LookupTable

    def __post_init__(self) -> None:
        if self.implementation not in ("stable", "latency"):
            raise ModelError(f"softmax implementation must be 'stable' or 'latency', got {self.implementation!r}")
        if self.inv.input_t != self.sum_t:
            raise ModelError(f"softmax inverse table is indexed by {self.inv.input_t}, the sum type is {self.sum_t}")


@dataclass(frozen=True, eq=False)
class Hls4mlSoftmax:
    """hls4ml 1.3's softmax (hls4ml mode), built by :func:`trigger.nn.hls4ml_tables.hls4ml_softmax`.

    ``stable``/``latency``: exp entries read into ``accum_t``, summed by hls4ml's adder tree in
    ``accum_t``, cast to ``sum_t`` (hls4ml's ``inv_inp_t``) to index ``inv``; stable indexes ``exp`` by
    ``norm_t(x_max - x)``. ``legacy``: ``accum_t`` is its ``table_t``. ``argmax``: no tables.
    """

    implementation: str  # "stable" | "latency" | "legacy" | "argmax"
    exp: LookupTable | None = None
    inv: LookupTable | None = None
    accum_t: FixedType | None = None
    sum_t: FixedType | None = None
    norm_t: FixedType | None = None

    def __post_init__(self) -> None:
        tables = (self.exp, self.inv, self.accum_t, self.sum_t)
        if self.implementation not in ("stable", "latency", "legacy", "argmax"):
            raise ModelError(f"hls4ml softmax implementation {self.implementation!r} is not one of hls4ml's")
        if (self.implementation == "argmax") != all(t is None for t in tables) or (
            self.implementation != "argmax" and any(t is None for t in tables)
        ):
            raise ModelError(f"hls4ml softmax {self.implementation}: tables and types must be given, except argmax")


@dataclass(frozen=True, eq=False)
class DenseLayer:
    """``y = x @ W + b``: weights and bias already quantized to ``weight_t``/``bias_t``."""

    name: str
    weights_float: NDArray[np.float64]  # (n_in, n_out), as trained (BatchNorm folded in)
    bias_float: NDArray[np.float64]
    input_t: FixedType
    weight_t: FixedType
    bias_t: FixedType
    accum_t: FixedType
    result_t: FixedType
    exact_t: FixedType  # holds x @ W + b for every input of input_t: no overflow possible
    reuse_factor: int = 1
    strategy: Strategy = Strategy.LATENCY
    accumulation: Accumulation = Accumulation.EXACT
    kind: str = "dense"

    weights_raw: NDArray[Any] = field(init=False, repr=False)  # raw integers of weight_t
    bias_raw: NDArray[Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        w, b = np.asarray(self.weights_float, dtype=np.float64), np.asarray(self.bias_float, dtype=np.float64)
        if w.ndim != 2 or w.size == 0 or b.shape != (w.shape[1],):
            raise ModelError(
                f"layer {self.name}: weights must be (n_in, n_out) and bias (n_out,), got {w.shape}, {b.shape}"
            )
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ModelError(f"layer {self.name}: weights and bias must be finite")
        if not 1 <= self.reuse_factor <= w.size:
            raise ModelError(f"layer {self.name}: reuse factor {self.reuse_factor} outside 1..{w.size}")
        object.__setattr__(self, "weights_float", w)
        object.__setattr__(self, "bias_float", b)
        object.__setattr__(self, "weights_raw", self.weight_t.from_float(w).raw)
        object.__setattr__(self, "bias_raw", self.bias_t.from_float(b).raw)

    @property
    def n_in(self) -> int:
        return int(self.weights_float.shape[0])

    @property
    def n_out(self) -> int:
        return int(self.weights_float.shape[1])

    @property
    def weights(self) -> NDArray[np.float64]:
        """Weights as the firmware holds them (quantized), as float64."""
        return self.weight_t.from_raw(self.weights_raw).to_float()

    @property
    def bias(self) -> NDArray[np.float64]:
        return self.bias_t.from_raw(self.bias_raw).to_float()

    @property
    def n_zero_weights(self) -> int:
        """Weights that quantize to zero (pruned): no multiplier is spent on them."""
        return int(sum(1 for w in self.weights_raw.reshape(-1) if int(w) == 0))

    def summary_line(self) -> str:
        return (
            f"dense {self.n_in}x{self.n_out}  weight {self.weight_t}  bias {self.bias_t}"
            f"  accum {self.accum_t}  result {self.result_t}  RF {self.reuse_factor} {self.strategy.value}"
        )


@dataclass(frozen=True, eq=False)
class ActivationLayer:
    """Element-wise (relu, linear, sigmoid, tanh) or row-wise (softmax) activation of ``n`` values."""

    name: str
    function: str
    n: int
    input_t: FixedType
    result_t: FixedType
    table: LookupTable | None = None  # sigmoid, tanh
    softmax: SoftmaxTables | Hls4mlSoftmax | None = None
    hard: HardConstants | None = None  # hard_sigmoid, hard_tanh
    kind: str = "activation"

    def __post_init__(self) -> None:
        fn = self.function
        if fn not in ACTIVATION_FUNCTIONS:
            raise ModelError(
                f"layer {self.name}: unknown activation {fn!r}; known are {', '.join(ACTIVATION_FUNCTIONS)}"
            )
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ModelError(f"layer {self.name}: n must be a positive number of values, got {self.n!r}")
        if (self.table is not None) != (fn in ("sigmoid", "tanh")) or (self.softmax is not None) != (fn == "softmax"):
            raise ModelError(
                f"layer {self.name}: {fn} needs {'a table' if fn in ('sigmoid', 'tanh') else 'no table'}"
                f"{' and softmax tables' if fn == 'softmax' else ''}"
            )
        if (self.hard is not None) != (fn in HARD_FUNCTIONS):
            raise ModelError(
                f"layer {self.name}: {fn} {'needs' if fn in HARD_FUNCTIONS else 'takes no'} slope and shift"
            )
        if self.table is not None and self.table.input_t != self.input_t:
            raise ModelError(f"layer {self.name}: table indexed by {self.table.input_t}, input is {self.input_t}")
        if (
            isinstance(self.softmax, SoftmaxTables)
            and self.softmax.implementation == "latency"
            and self.softmax.exp.input_t != self.input_t
        ):
            raise ModelError(
                f"layer {self.name}: exp table indexed by {self.softmax.exp.input_t}, input is {self.input_t}"
            )

    @property
    def n_in(self) -> int:
        return self.n

    @property
    def n_out(self) -> int:
        return self.n

    def summary_line(self) -> str:
        extra = ""
        if self.table is not None:
            lo, hi = self.table.x_range
            extra = f"  table {self.table.size} x {self.table.table_t} over [{lo:g}, {hi:g})"
        if self.softmax is not None:
            sm = self.softmax
            extra = f"  {sm.implementation}" + (f", exp table {sm.exp.size}" if sm.exp is not None else "")
        if self.hard is not None:
            h = self.hard
            extra = f"  slope {h.slope:.9g} ({h.slope_t}), shift {h.shift:g} ({h.shift_t})"
        return f"{self.function} [{self.n}]  result {self.result_t}{extra}"


@dataclass(frozen=True, eq=False)
class ScaleLayer:
    """Firmware input scaling (CMS AXOL1TL): ``y_i = result_t(scale_t(x_i - offset_i) >> shift_i)``.

    The subtraction is exact, assigned to ``scale_t`` (its rounding and overflow), shifted right by
    ``shift_i`` bits as ap_fixed does (same type, raw bits, no rounding), then assigned to
    ``result_t``.  ``offset_i`` must be exactly representable in ``scale_t``; in float the layer is
    ``(x - offset) / 2**shift``.
    """

    name: str
    input_t: FixedType
    scale_t: FixedType
    result_t: FixedType
    offset: NDArray[np.float64]  # (n,) values, each a value of scale_t
    shift: NDArray[np.int64]  # (n,) non-negative
    kind: str = "scale"

    offset_raw: NDArray[np.int64] = field(init=False, repr=False)  # raw integers of scale_t

    def __post_init__(self) -> None:
        offset = np.asarray(self.offset, dtype=np.float64)
        shift = np.asarray(self.shift)
        if offset.ndim != 1 or offset.size == 0 or shift.shape != offset.shape:
            raise ModelError(
                f"layer {self.name}: offset and shift must be 1-d of the same length n >= 1, "
                f"got shapes {offset.shape} and {shift.shape}"
            )
        if shift.dtype.kind not in "iu" or int(shift.min()) < 0 or int(shift.max()) >= 2**16:
            raise ModelError(f"layer {self.name}: shift must hold integers in 0..65535, got {shift.tolist()}")
        if not np.isfinite(offset).all():
            raise ModelError(f"layer {self.name}: offsets must be finite, got {offset.tolist()}")
        held = self.scale_t.from_float(offset)
        bad = np.flatnonzero(held.to_float() != offset)
        if bad.size:
            i = int(bad[0])
            raise ModelError(
                f"layer {self.name}: offset[{i}] = {float(offset[i])!r} is not representable in {self.scale_t} "
                f"(it would be {float(held.to_float()[i])!r}); give offsets on the grid of scale_t, in its range"
            )
        object.__setattr__(self, "offset", offset)
        object.__setattr__(self, "shift", shift.astype(np.int64))
        object.__setattr__(self, "offset_raw", np.asarray(held.int_raw(), dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.offset.size)

    @property
    def n_in(self) -> int:
        return self.n

    @property
    def n_out(self) -> int:
        return self.n

    def summary_line(self) -> str:
        return (
            f"scale [{self.n}]  scale {self.scale_t}  shifts {sorted(set(self.shift.tolist()))}  result {self.result_t}"
        )


class _Reduction:
    """What the reduction layers (sum, square sum, square error) share: ``n`` inputs, one output."""

    name: str
    n: int

    def __post_init__(self) -> None:
        n = self.n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ModelError(f"layer {self.name}: n must be a positive number of inputs, got {n!r}")

    def _holds_n(self, t: FixedType) -> FixedType:
        """Holds the sum of any ``n`` values of ``t``: ``ceil(log2 n)`` more integer bits."""
        grow = math.ceil(math.log2(self.n)) if self.n > 1 else 0
        return FixedType(t.width + grow, t.integer + grow, t.signed)

    @property
    def n_in(self) -> int:
        return int(self.n)

    @property
    def n_out(self) -> int:
        return 1


@dataclass(frozen=True, eq=False)
class SumLayer(_Reduction):
    """The sum of all ``n`` inputs at full precision (:attr:`sum_t`), assigned to ``result_t``: one output."""

    name: str
    n: int
    input_t: FixedType
    result_t: FixedType
    kind: str = "sum"

    @property
    def sum_t(self) -> FixedType:
        """Holds the sum of any ``n`` values of ``input_t``: ``ceil(log2 n)`` more integer bits."""
        return self._holds_n(self.input_t)

    def summary_line(self) -> str:
        return f"sum [{self.n}] -> 1  exact {self.sum_t}  result {self.result_t}"


@dataclass(frozen=True, eq=False)
class SquareSumLayer(_Reduction):
    """The sum of the squares of all ``n`` inputs at full precision (:attr:`sum_t`), assigned to ``result_t``.

    The anomaly score of an encoder-only VAE (sum of mu^2, CMS AXOL1TL) or of an autoencoder (the
    squared reconstruction error). Squares and sum are exact; the one rounding is the assignment.
    Its C++ twin is ``l1t::square_sum`` in ``hls/cpp/l1t_sum.h``, step for step.
    """

    name: str
    n: int
    input_t: FixedType
    result_t: FixedType
    kind: str = "square_sum"

    @property
    def square_t(self) -> FixedType:
        """Holds ``x * x`` for every ``x`` of ``input_t`` exactly (unsigned; ``(-2**(I-1))**2`` included)."""
        t = self.input_t
        return (
            FixedType(2 * t.width - 1, 2 * t.integer - 1, False)
            if t.signed
            else FixedType(2 * t.width, 2 * t.integer, False)
        )

    @property
    def sum_t(self) -> FixedType:
        """Holds the sum of any ``n`` squares: ``ceil(log2 n)`` more integer bits than :attr:`square_t`."""
        return self._holds_n(self.square_t)

    def summary_line(self) -> str:
        return f"square_sum [{self.n}] -> 1  exact {self.sum_t}  result {self.result_t}"


@dataclass(frozen=True, eq=False)
class SquareErrorLayer(_Reduction):
    """``sum_i (ref_i - x_i)**2`` of the previous layer's ``n`` outputs ``x`` and the ``n`` outputs ``ref`` of an
    earlier layer (its :attr:`reference`, or the model input): an autoencoder's squared reconstruction error.

    The difference is exact (:attr:`diff_t`), then it is :attr:`squares` (a :class:`SquareSumLayer`): every
    square and the sum exact, one assignment to ``result_t``. Its C++ twin is ``l1t::square_error`` in
    ``hls/cpp/l1t_sum.h``, step for step; the only layer that reads a value other than its predecessor's.
    """

    name: str
    n: int
    input_t: FixedType
    reference: str
    reference_t: FixedType
    result_t: FixedType
    kind: str = "square_error"

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.reference, str) or not self.reference:
            raise ModelError(
                f"layer {self.name}: reference must name an earlier layer or the input, got {self.reference!r}"
            )

    @property
    def diff_t(self) -> FixedType:
        """Holds ``ref - x`` exactly (ap_types' type of the difference)."""
        return minus_type(self.reference_t, self.input_t)

    @property
    def squares(self) -> SquareSumLayer:
        """The square-sum of the differences: its ``square_t``, ``sum_t`` and rounding are this layer's."""
        return SquareSumLayer(self.name, self.n, self.diff_t, self.result_t)

    @property
    def square_t(self) -> FixedType:
        return self.squares.square_t

    @property
    def sum_t(self) -> FixedType:
        return self.squares.sum_t

    def summary_line(self) -> str:
        return f"square_error [{self.n}] vs {self.reference} -> 1  exact {self.sum_t}  result {self.result_t}"


Layer = DenseLayer | ActivationLayer | ScaleLayer | SumLayer | SquareSumLayer | SquareErrorLayer | QuantizeLayer


@dataclass(frozen=True, eq=False)
class ModelDescription:
    """A feed-forward network, fully resolved: what the emulator runs and the HLS writer renders."""

    name: str
    input_name: str
    input_t: FixedType
    n_inputs: int
    layers: tuple[Layer, ...]
    io_type: IOType = IOType.PARALLEL
    accumulation: Accumulation = Accumulation.EXACT

    def __post_init__(self) -> None:
        """The layers must chain: each takes the previous one's width and result type (and a square error
        the width and type of the earlier output it names)."""
        if not self.layers:
            raise ModelError(f"model {self.name} has no layers")
        width, current_t, source = self.n_inputs, self.input_t, f"input {self.input_name}"
        earlier: dict[str, tuple[int, FixedType] | None] = {self.input_name: (width, current_t)}
        for layer in self.layers:
            if isinstance(layer, SquareErrorLayer):
                _check_reference(self.name, layer, earlier)
            earlier[layer.name] = None if layer.name in earlier else (layer.n_out, layer.result_t)  # None: ambiguous
            if layer.n_in != width:
                raise ModelError(
                    f"model {self.name}: layer {layer.name} takes {layer.n_in} values, {source} gives {width}"
                )
            if layer.input_t != current_t:
                raise ModelError(
                    f"model {self.name}: layer {layer.name} expects {layer.input_t} input, {source} gives {current_t}"
                )
            width, current_t, source = layer.n_out, layer.result_t, f"layer {layer.name}"

    @property
    def output_t(self) -> FixedType:
        return self.layers[-1].result_t

    @property
    def references(self) -> frozenset[str]:
        """Names of the outputs a later layer reads besides its predecessor (square errors' references)."""
        return frozenset(la.reference for la in self.layers if isinstance(la, SquareErrorLayer))

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; layers are {[la.name for la in self.layers]}")

    def summary(self) -> str:
        """One line per layer: kind, shape, precisions, reuse factor."""
        lines = [f"model {self.name}: input {self.input_name} [{self.n_inputs}] {self.input_t} ({self.io_type.value})"]
        lines += [f"  {layer.name:<16} {layer.summary_line()}" for layer in self.layers]
        return "\n".join(lines)


def _check_reference(model: str, layer: SquareErrorLayer, earlier: dict[str, tuple[int, FixedType] | None]) -> None:
    """A square error's reference: one earlier output (layer or input) of its width and type."""
    if layer.reference not in earlier:
        raise ModelError(
            f"model {model}: layer {layer.name} compares with {layer.reference!r}, which is not an earlier layer "
            f"or the input; earlier outputs are {sorted(earlier)}"
        )
    found = earlier[layer.reference]
    if found is None:
        raise ModelError(f"model {model}: layer {layer.name} compares with {layer.reference!r}, a name used twice")
    width, ref_t = found
    if (width, ref_t) != (layer.n, layer.reference_t):
        raise ModelError(
            f"model {model}: layer {layer.name} compares with {layer.n} values of {layer.reference_t}, "
            f"{layer.reference!r} gives {width} of {ref_t}"
        )


def describe(
    name: str,
    input_t: FixedType | str,
    layers: Sequence[Layer],
    *,
    input_name: str = "inputs",
    io_type: IOType = IOType.PARALLEL,
) -> ModelDescription:
    """A description built by hand (no Keras): the input width is the first layer's.

    >>> from trigger.fixed import FixedType
    >>> pt_t = FixedType.from_string("ap_ufixed<11,10,AP_TRN,AP_SAT>")
    >>> ht_t = FixedType.from_string("ap_ufixed<14,13,AP_TRN,AP_SAT>")
    >>> model = describe("fixed_ht", pt_t, [SumLayer("ht", 12, pt_t, ht_t)], input_name="jet_pt")
    >>> model.n_inputs, str(model.output_t), str(model.layers[0].sum_t)
    (12, 'ap_ufixed<14,13,AP_TRN,AP_SAT>', 'ap_ufixed<15,14>')
    """
    in_t = FixedType.from_string(input_t) if isinstance(input_t, str) else input_t
    if not layers:
        raise ModelError(f"model {name} has no layers")
    return ModelDescription(name, input_name, in_t, layers[0].n_in, tuple(layers), io_type)
