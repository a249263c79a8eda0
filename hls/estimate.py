"""Resource and latency estimates without Vivado, from the model description alone.

The numbers follow the structure of the l1emu C++ layer library (``hls/cpp``), not a synthesis run:

* **Multipliers.** A dense layer makes ``n_in * n_out`` products.  With the Latency strategy the
  weights are constants, so products by a weight that quantized to zero (pruned) disappear and the
  rest share ``ceil(nonzero / RF)`` multipliers (the ALLOCATION limit the writer emits).  With the
  Resource strategy the weights sit in a ROM: the kernel instantiates exactly
  ``block_factor = ceil(n_in * n_out / RF)`` multipliers, zeros included (the ROM cannot be
  constant-folded).  A product is put in LUTs instead of DSPs when one operand is at most
  :data:`LUT_MULT_BITS` bits wide (Vivado maps such products to LUTs); a product wider than one
  DSP48E2 (27 x 18 signed) takes ``ceil(a / 27) * ceil(b / 18)`` DSPs.
* **Latency** of a layer, the tutorial's ``L = L_mult + (R - 1) * II_mult + L_activ`` with
  ``II_mult = 1``: :data:`L_MULT_DSP` (or :data:`L_MULT_LUT`) cycles for the multiplier, plus one
  cycle per :data:`ADDS_PER_CYCLE` levels of the adder tree for the Latency strategy, plus
  ``R - 1`` cycles of reuse; activations add their own ``L_activ``.  The model's initiation
  interval is its largest reuse factor.
* **LUT/FF** are rough: adders of the accumulator width, LUT multipliers as ``a * b / 2`` LUT6,
  tables as distributed ROM (64 x 1 bit per LUT6, one copy per parallel lookup), a pipeline
  register per multiplier and per accumulator.  Resource-strategy weights go to BRAM18 used as
  512 x 36: ``ceil(block_factor * weight_width / 36) * ceil(RF / 512)`` per layer.

>>> # print(estimate(model).summary())
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from trigger.nn.layers import ActivationLayer, DenseLayer, Layer, LookupTable, ModelDescription, Strategy

__all__ = ["ADDS_PER_CYCLE", "LUT_MULT_BITS", "L_MULT_DSP", "L_MULT_LUT", "Estimate", "LayerEstimate", "estimate"]

LUT_MULT_BITS = 4
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


@dataclass(frozen=True)
class Estimate:
    """Per-layer estimates and the totals of a model."""

    model: str
    layers: tuple[LayerEstimate, ...]

    @property
    def dsp(self) -> int:
        return sum(la.dsp for la in self.layers)

    @property
    def lut_multipliers(self) -> int:
        return sum(la.lut_multipliers for la in self.layers)

    @property
    def latency(self) -> int:
        return sum(la.latency for la in self.layers)

    @property
    def ii(self) -> int:
        return max((la.reuse_factor for la in self.layers), default=1)

    @property
    def lut(self) -> int:
        return sum(la.lut for la in self.layers)

    @property
    def ff(self) -> int:
        return sum(la.ff for la in self.layers)

    @property
    def bram18(self) -> int:
        return sum(la.bram18 for la in self.layers)

    def summary(self) -> str:
        head = f"{'layer':<18}{'kind':<10}{'RF':>5}{'mults':>8}{'in LUT':>8}{'DSP':>7}{'cycles':>8}{'LUT':>9}{'FF':>9}"
        lines = [f"estimate for {self.model} (no synthesis: see hls/estimate.py for the model)", head]
        for la in self.layers:
            lines.append(
                f"{la.name:<18}{la.kind:<10}{la.reuse_factor:>5}{la.multipliers:>8}{la.lut_multipliers:>8}"
                f"{la.dsp:>7}{la.latency:>8}{la.lut:>9}{la.ff:>9}"
            )
        lines.append(
            f"{'total':<18}{'':<10}{'':>5}{sum(la.multipliers for la in self.layers):>8}{self.lut_multipliers:>8}"
            f"{self.dsp:>7}{self.latency:>8}{self.lut:>9}{self.ff:>9}"
        )
        lines.append(f"latency {self.latency} cycles, II {self.ii}, BRAM18 {self.bram18}")
        return "\n".join(lines)


def _dsp_per_mult(a: int, b: int) -> int:
    wide, narrow = max(a, b), min(a, b)
    return math.ceil(wide / 27) * math.ceil(narrow / 18)


def _dense(layer: DenseLayer) -> LayerEstimate:
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
        tree = math.ceil(math.ceil(math.log2(max(layer.n_in, 1) + 1)) / ADDS_PER_CYCLE)
    narrow = min(a, b) <= LUT_MULT_BITS
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
        latency=l_mult + tree + (rf - 1) + 1,
        reuse_factor=rf,
        lut=lut,
        ff=ff,
        bram18=bram,
    )


def _rom_luts(table: LookupTable, copies: int) -> int:
    return copies * math.ceil(table.size / 64) * table.table_t.width


def _activation(layer: ActivationLayer) -> LayerEstimate:
    n, out_w = layer.n, layer.result_t.width
    if layer.table is not None:
        lut = _rom_luts(layer.table, n) + n * layer.input_t.width
        return LayerEstimate(layer.name, layer.function, latency=2, lut=lut, ff=n * out_w)
    if layer.softmax is not None:
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
            latency=2 + tree + 2 + L_MULT_DSP - 1,
            lut=lut,
            ff=n * (a + out_w) + sm.sum_t.width,
        )
    return LayerEstimate(layer.name, layer.function, latency=1, lut=n * out_w // 2, ff=n * out_w)


def _layer(layer: Layer) -> LayerEstimate:
    return _dense(layer) if isinstance(layer, DenseLayer) else _activation(layer)


def estimate(model: ModelDescription) -> Estimate:
    """Estimate every layer of ``model`` (see the module docstring for the rules)."""
    return Estimate(model.name, tuple(_layer(layer) for layer in model.layers))
