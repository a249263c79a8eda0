"""The estimate of one layer, per kind: the rules (:mod:`hls.estimate` adds them up).

The numbers follow the structure of the l1emu C++ layer library (``hls/cpp``), not a synthesis run:

* **Multipliers.** A dense layer makes ``n_in * n_out`` products.  With the Latency strategy the
  weights are constants, so products by a weight that quantized to zero (pruned) disappear and the
  rest share ``ceil(nonzero / RF)`` multipliers (the ALLOCATION limit the writer emits).  With the
  Resource strategy the weights sit in a ROM: the kernel instantiates exactly
  ``block_factor = ceil(n_in * n_out / RF)`` multipliers, zeros included (the ROM cannot be
  constant-folded).  **DSP or LUT**: a dense product goes to LUTs when its weight is at most
  :data:`LUT_MULT_BITS` = 8 bits wide, the rule of hls4ml 1.3's own DSP model
  (``hls4ml/optimization/dsp_aware_pruning/objectives/vivado_objectives.py``, ``VivadoDSPEstimator``:
  no DSP for weight precision below 9 bits, "Vivado doesn't use DSP when precision < 9"); a product
  with no weight (the softmax's exp x 1/sum) uses its narrower operand.  A product wider than one
  DSP48E2 (27 x 18 signed; Xilinx UG579) takes ``ceil(a / 27) * ceil(b / 18)`` DSPs.
* **Latency** is scheduled, not summed: each layer describes its datapath as :class:`Step` s, either
  combinational logic of a delay in ns or a registered block of whole cycles (a ROM read, a reuse
  loop), and :func:`hls.estimate.estimate` walks the steps of all layers in order, inserting a register
  whenever the logic since the last one would exceed the usable clock :data:`USABLE_NS` (5 ns less
  the 27 % clock uncertainty ``build_prj.tcl`` sets), as Vitis chains operations across the
  pipelined layer functions.  A dense layer of the Latency strategy is a product
  (:data:`D_MULT_DSP_NS` or :data:`D_MULT_LUT_NS`) then an adder tree of ``ceil(log2(n_in + 1))``
  levels (the bias is one more addend; Vitis balances the sum) of :data:`D_ADD_NS` each, plus one
  level for a result cast that rounds or saturates; ``R - 1`` more cycles with reuse (the tutorial's
  ``(R - 1) * II_mult``).  A ReLU is one level.  Tables (sigmoid, tanh, softmax's exp and 1/sum) are
  :data:`TABLE_CYCLES` registered cycles each, index computation included.  The Resource strategy's
  loop is pipelined with registered products: :data:`L_MULT_DSP` (or :data:`L_MULT_LUT`) ``+ R - 1``
  cycles.  **Calibration** (the only synthesis figures we have): hls4ml's own Vitis 2024.1 C-synthesis
  baselines (``test/pytest/baselines/Vitis/2024.1/test_keras_api_test_activations_io_parallel-*.json``
  in fastmachinelearning/hls4ml, 5 ns target, xcvu13p): Dense(1 -> 64, ``ap_fixed<16,6>``) + ReLU
  0 cycles at an estimated 3.02 ns path (so product + bias add + ReLU ~ 3.0 ns: 2.0 + 0.5 + 0.5 here),
  Dense + sigmoid 3 cycles (so a 1024-entry table is 3); the tutorial's MNIST report (Resource,
  RF 112/128) 518-522 cycles.  The split of the 3.0 ns between product and adders, and the LUT
  product's 1.5 ns (two adder levels of partial products and a LUT), are assumptions, not measured:
  a deep network's figure carries perhaps +-30 %.  :data:`CALIBRATION` holds the reference cases and
  ``tests/test_hls_estimate.py`` checks them.
* **LUT/FF** are rough: adders of the accumulator width, LUT multipliers as ``a * b / 2`` LUT6,
  tables as distributed ROM (64 x 1 bit per LUT6, one copy per parallel lookup), a pipeline
  register per multiplier and per accumulator.  Resource-strategy weights go to BRAM18 used as
  512 x 36: ``ceil(block_factor * weight_width / 36) * ceil(RF / 512)`` per layer.
* **Scale** (``x - offset``, constant shift, cast): no DSP, one subtractor of the difference's
  width per input (one level) and the rounding/saturation of the result (one more, if any).
* **Sum**: an adder tree, no DSP: ``ceil(log2 n)`` levels of ``sum_t``-wide adders (scheduled like
  every other step); ``n - 1`` adders; a register of ``sum_t`` for each partial sum alive at a boundary
  of :data:`LEVELS_PER_CYCLE` levels, plus the output register.
* **Quantize** (HGQ2's per-element casts): no DSP; truncation and wrapping are wires, rounding or
  saturation one level and a LUT per kept bit; a register per kept bit.
* **Square sum**: ``n`` squarers (multipliers of the input by itself, DSP or LUT by the width rule
  above), then the adder tree of a sum in ``sum_t``.
* **Square error**: ``n`` subtractors of ``diff_t`` (one level), then the square sum of the differences.
  Not counted: the registers that hold the reference (e.g. the scaled inputs) while the layers between
  it and the square error compute (``n`` x its width per clock of that latency).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trigger.fixed import FixedType, Overflow, Quantization, minus_type
from trigger.nn.layers import (
    ActivationLayer,
    DenseLayer,
    LookupTable,
    QuantizeLayer,
    ScaleLayer,
    SoftmaxTables,
    SquareErrorLayer,
    SquareSumLayer,
    Strategy,
    SumLayer,
)

__all__ = [
    "CALIBRATION",
    "D_ADD_NS",
    "D_MULT_DSP_NS",
    "D_MULT_LUT_NS",
    "LEVELS_PER_CYCLE",
    "LUT_MULT_BITS",
    "L_MULT_DSP",
    "L_MULT_LUT",
    "TABLE_CYCLES",
    "USABLE_NS",
    "LayerEstimate",
    "Step",
    "estimate_activation",
    "estimate_dense",
    "estimate_scale",
    "estimate_square_error",
    "estimate_square_sum",
    "estimate_sum",
]

LUT_MULT_BITS = 8  # weights this wide or narrower multiply in LUTs (hls4ml's VivadoDSPEstimator)
CLOCK_NS = 5.0
CLOCK_UNCERTAINTY = 0.27  # hls4ml's Vitis default, as build_prj.tcl sets it
USABLE_NS = CLOCK_NS * (1 - CLOCK_UNCERTAINTY)  # 3.65 ns of logic between registers
D_MULT_DSP_NS = 2.0  # a DSP48E2 product, combinational (unregistered) as in a fully unrolled layer
D_MULT_LUT_NS = 1.5  # a LUT product of a <= 8-bit weight: partial products and their adders
D_ADD_NS = 0.5  # one adder level (carry chain + routing); also a ReLU's or a cast's compare/select
TABLE_CYCLES = 3  # a lookup table: index, registered ROM read (Vitis 2024.1: Dense + sigmoid = 3)
L_MULT_DSP = 4  # Resource strategy: a pipelined loop's registered DSP product
L_MULT_LUT = 2
LEVELS_PER_CYCLE = int(USABLE_NS // D_ADD_NS)  # adder levels between two registers (7)

#: Synthesis reports the latency rules are checked against: (what, its source, cycles).
CALIBRATION = (
    (
        "Dense(1 -> 64, ap_fixed<16,6>) + ReLU, io_parallel, RF 1",
        "hls4ml test/pytest/baselines/Vitis/2024.1/test_keras_api_test_activations_io_parallel-Vitis-relu.json",
        0,
    ),
    (
        "Dense(1 -> 64, ap_fixed<16,6>) + sigmoid (1024 entries)",
        "hls4ml test/pytest/baselines/Vitis/2024.1/test_keras_api_test_activations_io_parallel-Vitis-sigmoid.json",
        3,
    ),
    ("MNIST 784-128-128-128-10, Resource, RF 112/128", "../shared/seed tutorial, Part 2 report", 518),
)


@dataclass(frozen=True)
class Step:
    """One piece of a layer's datapath: ``ns`` of logic, or ``cycles`` of a registered block."""

    ns: float = 0.0
    cycles: int = 0


def _levels(n: int) -> tuple[Step, ...]:
    return tuple(Step(ns=D_ADD_NS) for _ in range(n))


@dataclass(frozen=True)
class LayerEstimate:
    """One layer: multipliers in DSPs and in LUTs, DSP count, its datapath, and rough LUT/FF/BRAM.

    ``latency`` is filled in by :func:`hls.estimate.estimate`, which schedules the ``steps`` of
    all layers together (registers go where the logic since the last one exceeds the clock).
    """

    name: str
    kind: str
    multipliers: int = 0  # multiplier instances (DSP or LUT)
    lut_multipliers: int = 0
    dsp: int = 0
    steps: tuple[Step, ...] = ()
    latency: int = 0
    reuse_factor: int = 1
    lut: int = 0
    ff: int = 0
    bram18: int = 0


def _cast_has_logic(t: FixedType) -> bool:
    """A cast that rounds (an increment) or saturates (a comparison) is one more adder level."""
    return t.rounding is not Quantization.AP_TRN or t.overflow is not Overflow.AP_WRAP


def _dsp_per_mult(a: int, b: int) -> int:
    wide, narrow = max(a, b), min(a, b)
    return math.ceil(wide / 27) * math.ceil(narrow / 18)


def _product(narrow: bool) -> Step:
    return Step(ns=D_MULT_LUT_NS if narrow else D_MULT_DSP_NS)


def estimate_dense(layer: DenseLayer) -> LayerEstimate:
    n = layer.n_in * layer.n_out
    rf = layer.reuse_factor
    a, b = layer.input_t.width, layer.weight_t.width
    narrow = b <= LUT_MULT_BITS
    if layer.strategy is Strategy.RESOURCE:
        mults = math.ceil(n / rf)
        # the ROM is reshaped to block_factor weights per word, rf words deep: BRAM18s as 512 x 36
        bram = math.ceil(mults * b / 36) * math.ceil(rf / 512) if rf > 1 else 0
        # one chunk per cycle of a pipelined loop, products registered, accumulated in registers
        steps: tuple[Step, ...] = (Step(cycles=(L_MULT_LUT if narrow else L_MULT_DSP) + rf - 1),)
    else:
        mults = math.ceil((n - layer.n_zero_weights) / rf)
        bram = 0
        levels = math.ceil(math.log2(layer.n_in + 1)) + (1 if _cast_has_logic(layer.result_t) else 0)
        steps = (_product(narrow), *_levels(levels)) + ((Step(cycles=rf - 1),) if rf > 1 else ())
    dsp = 0 if narrow else mults * _dsp_per_mult(a, b)
    acc_w = layer.accum_t.width if layer.accumulation.value == "hls4ml" else layer.exact_t.width
    lut = mults * acc_w + (mults * math.ceil(a * b / 2) if narrow else 0)
    ff = mults * (a + b) + layer.n_out * acc_w
    return LayerEstimate(
        layer.name,
        "dense",
        multipliers=mults,
        lut_multipliers=mults if narrow else 0,
        dsp=dsp,
        steps=steps,
        reuse_factor=rf,
        lut=lut,
        ff=ff,
        bram18=bram,
    )


def _rom_luts(table: LookupTable, copies: int) -> int:
    return copies * math.ceil(table.size / 64) * table.table_t.width


def estimate_activation(layer: ActivationLayer) -> LayerEstimate:
    n, out_w = layer.n, layer.result_t.width
    if layer.table is not None:
        lut = _rom_luts(layer.table, n) + n * layer.input_t.width
        return LayerEstimate(layer.name, layer.function, steps=(Step(cycles=TABLE_CYCLES),), lut=lut, ff=n * out_w)
    if isinstance(layer.softmax, SoftmaxTables):
        sm = layer.softmax
        # stable: the running maximum is a chain of n - 1 compare/selects (a dependent loop), then
        # the difference; exp table; the sum (balanced tree); 1/sum table; the product
        front = _levels(n) if sm.implementation == "stable" else ()
        sum_levels = _levels(math.ceil(math.log2(max(n, 2))))
        a, b = sm.exp.table_t.width, sm.inv.table_t.width
        narrow = min(a, b) <= LUT_MULT_BITS
        lut = _rom_luts(sm.exp, n) + _rom_luts(sm.inv, 1) + n * sm.sum_t.width + (n * a * b // 2 if narrow else 0)
        return LayerEstimate(
            layer.name,
            "softmax",
            multipliers=n,
            lut_multipliers=n if narrow else 0,
            dsp=0 if narrow else n * _dsp_per_mult(a, b),
            steps=(*front, Step(cycles=TABLE_CYCLES), *sum_levels, Step(cycles=TABLE_CYCLES), _product(narrow)),
            lut=lut,
            ff=n * (a + out_w) + sm.sum_t.width,
        )
    if layer.softmax is not None:  # hls4ml's softmax: the same two tables and sum, latency only
        sum_levels = _levels(math.ceil(math.log2(max(n, 2))))
        steps = (Step(cycles=TABLE_CYCLES), *sum_levels, Step(cycles=TABLE_CYCLES), _product(False))
        return LayerEstimate(layer.name, "softmax", steps=steps, lut=n * out_w, ff=n * out_w)
    if layer.hard is not None:  # the slope product, the shift's addition, the clamp's compare/select
        a, b = layer.hard.slope_t.width, layer.input_t.width
        narrow = min(a, b) <= LUT_MULT_BITS
        return LayerEstimate(
            layer.name,
            layer.function,
            multipliers=n,
            lut_multipliers=n if narrow else 0,
            dsp=0 if narrow else n * _dsp_per_mult(a, b),
            steps=(_product(narrow), *_levels(2)),
            lut=n * out_w + (n * a * b // 2 if narrow else 0),
            ff=n * out_w,
        )
    steps = _levels(1) if layer.function == "relu" else ()  # compare with zero and select; linear is wires
    return LayerEstimate(layer.name, layer.function, steps=steps, lut=n * out_w // 2, ff=n * out_w)


def estimate_scale(layer: ScaleLayer) -> LayerEstimate:
    n, out_w = layer.n, layer.result_t.width
    diff_w = minus_type(layer.input_t, layer.scale_t).width
    steps = _levels(2 if _cast_has_logic(layer.result_t) else 1)
    return LayerEstimate(layer.name, "scale", steps=steps, lut=n * (diff_w + out_w), ff=n * out_w)


def estimate_quantize(layer: QuantizeLayer) -> LayerEstimate:
    """One cast per element: wires for truncation and wrapping, one adder level to round or compare to saturate."""
    live = layer.width[layer.width > 0]
    logic = layer.rounding is not Quantization.AP_TRN or layer.overflow is not Overflow.AP_WRAP
    lut = int(live.sum()) if logic else 0
    return LayerEstimate(layer.name, "quantize", steps=_levels(1) if logic else (), lut=lut, ff=int(live.sum()))


def estimate_sum(layer: SumLayer) -> LayerEstimate:
    n, sum_w, out_w = layer.n_in, layer.sum_t.width, layer.result_t.width
    levels = math.ceil(math.log2(n)) if n > 1 else 0
    steps = _levels(levels + (1 if _cast_has_logic(layer.result_t) else 0))
    boundaries = math.ceil(levels / LEVELS_PER_CYCLE)
    alive = sum(math.ceil(n / 2 ** (k * LEVELS_PER_CYCLE)) for k in range(1, boundaries))
    return LayerEstimate(layer.name, "sum", steps=steps, lut=(n - 1) * sum_w + out_w, ff=out_w + alive * sum_w)


def estimate_square_sum(layer: SquareSumLayer) -> LayerEstimate:
    n, a = layer.n_in, layer.input_t.width
    narrow = a <= LUT_MULT_BITS
    tree = SumLayer(layer.name, n, layer.square_t, layer.result_t)
    adders = estimate_sum(tree)
    return LayerEstimate(
        layer.name,
        "square_sum",
        multipliers=n,
        lut_multipliers=n if narrow else 0,
        dsp=0 if narrow else n * _dsp_per_mult(a, a),
        steps=(_product(narrow), *adders.steps),
        lut=adders.lut + (n * math.ceil(a * a / 2) if narrow else 0),
        ff=adders.ff + n * layer.square_t.width,
    )


def estimate_square_error(layer: SquareErrorLayer) -> LayerEstimate:
    squares = estimate_square_sum(layer.squares)
    return LayerEstimate(
        layer.name,
        "square_error",
        multipliers=squares.multipliers,
        lut_multipliers=squares.lut_multipliers,
        dsp=squares.dsp,
        steps=(*_levels(1), *squares.steps),
        lut=squares.lut + layer.n * layer.diff_t.width,
        ff=squares.ff,
    )
