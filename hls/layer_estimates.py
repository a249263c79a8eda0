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
* **Latency** of a layer, the tutorial's ``L = L_mult + (R - 1) * II_mult + L_activ`` with
  ``II_mult = 1``: :data:`L_MULT_DSP` cycles for a DSP product (the DSP48E2's A/B, M and P
  registers plus the input register) or :data:`L_MULT_LUT` for a LUT one, plus ``R - 1`` cycles of
  reuse, plus for the Latency strategy the adder tree: ``ceil(log2(n_in + 1))`` levels (the bias is
  one more addend) and one more level when the result type rounds or saturates (the cast's
  increment or comparison), :data:`ADDS_PER_CYCLE` levels per cycle.  No separate output register
  is counted: the cast's level is the only step after the sum.  Activations add their own
  ``L_activ``.  The model's initiation interval is its largest reuse factor.
* **LUT/FF** are rough: adders of the accumulator width, LUT multipliers as ``a * b / 2`` LUT6,
  tables as distributed ROM (64 x 1 bit per LUT6, one copy per parallel lookup), a pipeline
  register per multiplier and per accumulator.  Resource-strategy weights go to BRAM18 used as
  512 x 36: ``ceil(block_factor * weight_width / 36) * ceil(RF / 512)`` per layer.
* **Scale** (``x - offset``, constant shift, cast): no DSP, one subtractor of the difference's
  width and the rounding/saturation of the result per input, in one cycle.
* **Sum**: an adder tree, no DSP: ``ceil(log2 n)`` levels of ``sum_t``-wide adders,
  :data:`ADDS_PER_CYCLE` levels per cycle, at least one cycle; ``n - 1`` adders; a register of
  ``sum_t`` for each partial sum alive at a cycle boundary, plus the output register.
* **Square sum**: ``n`` squarers (multipliers of the input by itself, DSP or LUT by the width rule
  above), then the adder tree of a sum in ``sum_t``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trigger.fixed import FixedType, Overflow, Quantization, minus_type
from trigger.nn.layers import (
    ActivationLayer,
    DenseLayer,
    LookupTable,
    ScaleLayer,
    SoftmaxTables,
    SquareSumLayer,
    Strategy,
    SumLayer,
)

__all__ = [
    "ADDS_PER_CYCLE",
    "LUT_MULT_BITS",
    "L_MULT_DSP",
    "L_MULT_LUT",
    "LayerEstimate",
    "estimate_activation",
    "estimate_dense",
    "estimate_scale",
    "estimate_square_sum",
    "estimate_sum",
]

LUT_MULT_BITS = 8  # weights this wide or narrower multiply in LUTs (hls4ml's VivadoDSPEstimator)
L_MULT_DSP = 4
L_MULT_LUT = 2
ADDS_PER_CYCLE = 3  # adder-tree levels that fit in one 5 ns cycle


@dataclass(frozen=True)
class LayerEstimate:
    """One layer: multipliers in DSPs and in LUTs, DSP count, cycles, and rough LUT/FF/BRAM."""

    name: str
    kind: str
    multipliers: int = 0  # multiplier instances (DSP or LUT)
    lut_multipliers: int = 0
    dsp: int = 0
    latency: int = 1
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


def estimate_dense(layer: DenseLayer) -> LayerEstimate:
    n = layer.n_in * layer.n_out
    rf = layer.reuse_factor
    a, b = layer.input_t.width, layer.weight_t.width
    if layer.strategy is Strategy.RESOURCE:
        mults = math.ceil(n / rf)
        # the ROM is reshaped to block_factor weights per word, rf words deep: BRAM18s as 512 x 36
        bram = math.ceil(mults * b / 36) * math.ceil(rf / 512) if rf > 1 else 0
        tree = 0  # one chunk per cycle, accumulated in registers
    else:
        mults = math.ceil((n - layer.n_zero_weights) / rf)
        bram = 0
        levels = math.ceil(math.log2(layer.n_in + 1)) + (1 if _cast_has_logic(layer.result_t) else 0)
        tree = math.ceil(levels / ADDS_PER_CYCLE)
    narrow = b <= LUT_MULT_BITS
    dsp = 0 if narrow else mults * _dsp_per_mult(a, b)
    l_mult = L_MULT_LUT if narrow else L_MULT_DSP
    acc_w = layer.accum_t.width if layer.accumulation.value == "hls4ml" else layer.exact_t.width
    lut = mults * acc_w + (mults * math.ceil(a * b / 2) if narrow else 0)
    ff = mults * (a + b) + layer.n_out * acc_w
    return LayerEstimate(
        layer.name,
        "dense",
        multipliers=mults,
        lut_multipliers=mults if narrow else 0,
        dsp=dsp,
        latency=l_mult + tree + (rf - 1),
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
        return LayerEstimate(layer.name, layer.function, latency=2, lut=lut, ff=n * out_w)
    if isinstance(layer.softmax, SoftmaxTables):
        sm = layer.softmax
        tree = math.ceil(math.ceil(math.log2(max(n, 2))) / ADDS_PER_CYCLE)
        a, b = sm.exp.table_t.width, sm.inv.table_t.width
        narrow = min(a, b) <= LUT_MULT_BITS
        lut = _rom_luts(sm.exp, n) + _rom_luts(sm.inv, 1) + n * sm.sum_t.width + (n * a * b // 2 if narrow else 0)
        return LayerEstimate(
            layer.name,
            "softmax",
            multipliers=n,
            lut_multipliers=n if narrow else 0,
            dsp=0 if narrow else n * _dsp_per_mult(a, b),
            latency=2 + tree + 2 + (L_MULT_LUT if narrow else L_MULT_DSP) - 1,
            lut=lut,
            ff=n * (a + out_w) + sm.sum_t.width,
        )
    return LayerEstimate(layer.name, layer.function, latency=1, lut=n * out_w // 2, ff=n * out_w)


def estimate_scale(layer: ScaleLayer) -> LayerEstimate:
    n, out_w = layer.n, layer.result_t.width
    diff_w = minus_type(layer.input_t, layer.scale_t).width
    return LayerEstimate(layer.name, "scale", latency=1, lut=n * (diff_w + out_w), ff=n * out_w)


def estimate_sum(layer: SumLayer) -> LayerEstimate:
    n, sum_w, out_w = layer.n_in, layer.sum_t.width, layer.result_t.width
    levels = math.ceil(math.log2(n)) if n > 1 else 0
    latency = max(1, math.ceil(levels / ADDS_PER_CYCLE))
    alive = sum(math.ceil(n / 2 ** (k * ADDS_PER_CYCLE)) for k in range(1, latency))
    return LayerEstimate(layer.name, "sum", latency=latency, lut=(n - 1) * sum_w + out_w, ff=out_w + alive * sum_w)


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
        latency=(L_MULT_LUT if narrow else L_MULT_DSP) + adders.latency,
        lut=adders.lut + (n * math.ceil(a * a / 2) if narrow else 0),
        ff=adders.ff + n * layer.square_t.width,
    )
