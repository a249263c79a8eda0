"""Resource and latency estimates without Vivado, from the model description alone.

Each layer is estimated by its kind's rule (the estimate function of its entry in
:data:`hls.kinds.KINDS`; the rules are written down in :mod:`hls.layer_estimates`); the model's
latency comes from scheduling every layer's datapath steps in order (:func:`schedule`), its
initiation interval is the largest reuse factor.

>>> # print(estimate(model).summary())
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, replace

from hls.kinds import hls_kind
from hls.layer_estimates import LUT_MULT_BITS, USABLE_NS, LayerEstimate
from trigger.nn.layers import DenseLayer, ModelDescription

__all__ = ["LUT_MULT_BITS", "USABLE_NS", "Estimate", "LayerEstimate", "at_reuse_factors", "estimate", "schedule"]


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
        head = f"{'layer':<18}{'kind':<13}{'RF':>5}{'mults':>8}{'in LUT':>8}{'DSP':>7}{'cycles':>8}{'LUT':>9}{'FF':>9}"
        lines = [f"estimate for {self.model} (no synthesis: see hls/estimate.py for the model)", head]
        for la in self.layers:
            lines.append(
                f"{la.name:<18}{la.kind:<13}{la.reuse_factor:>5}{la.multipliers:>8}{la.lut_multipliers:>8}"
                f"{la.dsp:>7}{la.latency:>8}{la.lut:>9}{la.ff:>9}"
            )
        lines.append(
            f"{'total':<18}{'':<13}{'':>5}{sum(la.multipliers for la in self.layers):>8}{self.lut_multipliers:>8}"
            f"{self.dsp:>7}{self.latency:>8}{self.lut:>9}{self.ff:>9}"
        )
        lines.append(f"latency {self.latency} cycles, II {self.ii}, BRAM18 {self.bram18}")
        return "\n".join(lines)


def schedule(layers: Sequence[LayerEstimate], usable_ns: float = USABLE_NS) -> tuple[int, ...]:
    """Cycles of each layer: walk all steps in order, a register where the logic would exceed a clock.

    Logic chains across layer boundaries (Vitis schedules the pipelined layer functions of the top
    function together: hls4ml's Dense + ReLU synthesizes to 0 cycles); a registered block (a table
    read, a reuse loop) ends the chain.
    """
    cycles = []
    path = 0.0  # ns of logic since the last register
    for layer in layers:
        n = 0
        for step in layer.steps:
            if step.cycles:
                n += step.cycles
                path = 0.0
                continue
            if path + step.ns > usable_ns + 1e-9:
                n += 1
                path = 0.0
            path += step.ns
        cycles.append(n)
    return tuple(cycles)


def estimate(model: ModelDescription) -> Estimate:
    """Estimate every layer of ``model`` (see :mod:`hls.layer_estimates` for the rules)."""
    layers = [hls_kind(layer).estimate(layer) for layer in model.layers]
    cycles = schedule(layers)
    return Estimate(model.name, tuple(replace(la, latency=c) for la, c in zip(layers, cycles, strict=True)))


def at_reuse_factors(model: ModelDescription, reuse_factors: Sequence[int] = (1, 2, 4)) -> dict[str, dict[str, int]]:
    """The estimate with every dense layer at each reuse factor: what an algorithm's metrics report."""
    out = {}
    for rf in reuse_factors:
        layers = tuple(
            dataclasses.replace(la, reuse_factor=rf) if isinstance(la, DenseLayer) else la for la in model.layers
        )
        e = estimate(dataclasses.replace(model, layers=layers))
        out[f"RF{rf}"] = {
            "dsp": e.dsp,
            "lut_multipliers": e.lut_multipliers,
            "latency_cycles": e.latency,
            "latency_ns": 5 * e.latency,
            "ii": e.ii,
        }
    return out
