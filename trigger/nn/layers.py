"""The one model description: layers, weights, resolved precisions, reuse factors, tables.

Both the Python emulator (:mod:`trigger.nn.emulate`) and the HLS writer (:mod:`hls.writer`) read
these objects, so the numbers the emulator multiplies are the numbers written into the C++.
Every precision here is concrete: ``auto`` was resolved when the description was built.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.fixed import FixedType

__all__ = [
    "Accumulation",
    "ActivationLayer",
    "DenseLayer",
    "IOType",
    "Layer",
    "LookupTable",
    "ModelDescription",
    "SoftmaxTables",
    "Strategy",
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
    ``result_t``.  ``hls4ml``: every product and the bias cast to ``accum_t`` first, then summed in
    input order with a cast after each addition, as hls4ml's dense kernels do.
    """

    EXACT = "exact"
    HLS4ML = "hls4ml"


@dataclass(frozen=True, eq=False)
class LookupTable:
    """A table indexed by the raw bits of its input: ``clamp((raw - lo_raw) >> shift, 0, size - 1)``.

    ``values_raw`` are raw integers of ``table_t``; entry ``k`` is the function at the centre of the
    input interval it covers.  Generated once in Python, written into the C++ as constants.
    """

    input_t: FixedType
    table_t: FixedType
    lo_raw: int
    shift: int
    values_raw: NDArray[np.int64]

    @property
    def size(self) -> int:
        return int(self.values_raw.size)

    def index(self, raw: NDArray[Any]) -> NDArray[np.int64]:
        """Table index of raw input values of ``input_t`` (same integer steps as the C++)."""
        idx = (raw.astype(np.int64) - self.lo_raw) >> self.shift
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
        object.__setattr__(self, "weights_raw", self.weight_t.from_float(self.weights_float).raw)
        object.__setattr__(self, "bias_raw", self.bias_t.from_float(self.bias_float).raw)

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


@dataclass(frozen=True, eq=False)
class ActivationLayer:
    """Element-wise (relu, linear, sigmoid, tanh) or row-wise (softmax) activation of ``n`` values."""

    name: str
    function: str
    n: int
    input_t: FixedType
    result_t: FixedType
    table: LookupTable | None = None  # sigmoid, tanh
    softmax: SoftmaxTables | None = None
    kind: str = "activation"


Layer = DenseLayer | ActivationLayer


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

    @property
    def output_t(self) -> FixedType:
        return self.layers[-1].result_t

    @property
    def n_outputs(self) -> int:
        last = self.layers[-1]
        return last.n_out if isinstance(last, DenseLayer) else last.n

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; layers are {[la.name for la in self.layers]}")

    def summary(self) -> str:
        """One line per layer: kind, shape, precisions, reuse factor."""
        lines = [f"model {self.name}: input {self.input_name} [{self.n_inputs}] {self.input_t} ({self.io_type.value})"]
        for layer in self.layers:
            if isinstance(layer, DenseLayer):
                lines.append(
                    f"  {layer.name:<16} dense {layer.n_in}x{layer.n_out}  weight {layer.weight_t}  bias {layer.bias_t}"
                    f"  accum {layer.accum_t}  result {layer.result_t}  RF {layer.reuse_factor} {layer.strategy.value}"
                )
            else:
                extra = ""
                if layer.table is not None:
                    lo, hi = layer.table.x_range
                    extra = f"  table {layer.table.size} x {layer.table.table_t} over [{lo:g}, {hi:g})"
                if layer.softmax is not None:
                    extra = f"  {layer.softmax.implementation}, exp table {layer.softmax.exp.size}"
                lines.append(f"  {layer.name:<16} {layer.function} [{layer.n}]  result {layer.result_t}{extra}")
        return "\n".join(lines)
