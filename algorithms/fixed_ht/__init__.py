"""A fixed-point HT: the scalar sum of the leading jets' pt, in float and in ``ap_fixed`` arithmetic.

It exercises the algorithm-seed interface (it is not a trained algorithm): jets passing the cut
(``pt >= min_pt``, ``|eta| <= max_abs_eta``) fill ``slots`` inputs in pt order (the features stage
drops extra jets and counts the event as truncated); each pt is converted to ``pt_type`` (the C++
``pt_t x = pt;``), the slots are added at full precision and the sum is assigned to ``ht_type``.
The float path adds the same jets in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.features import FeatureSet, ObjectCut, ObjectSlots
from trigger.fixed import FixedType
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, Mode
from trigger.nn import ModelDescription, SumLayer, describe, run_fixed

__all__ = ["FixedHT", "make"]


class FixedHT:
    name: str = "fixed_ht"
    outputs: tuple[str, ...] = ("ht",)

    def __init__(
        self,
        collection: str = "jets",
        slots: int = 12,
        min_pt: float = 30.0,
        max_abs_eta: float = 2.4,
        pt_type: str = "ap_ufixed<11,10,AP_TRN,AP_SAT>",
        ht_type: str = "ap_ufixed<14,13,AP_TRN,AP_SAT>",
    ) -> None:
        self.inputs = FeatureSet(
            (ObjectSlots(collection, ("pt",), slots, ObjectCut(float(min_pt), float(max_abs_eta))),)
        )
        pt_t, ht_t = FixedType.from_string(pt_type), FixedType.from_string(ht_type)
        #: the firmware: ``slots`` pt words summed at full precision, assigned to ht_t (one SumLayer)
        self.description = describe("fixed_ht", pt_t, [SumLayer("ht", slots, pt_t, ht_t)], input_name="jet_pt")

    def needs(self) -> Needs:
        return self.inputs.needs()

    def firmware(self) -> ModelDescription:
        return self.description

    def firmware_inputs(self, chunk: Chunk) -> NDArray[np.float64]:
        return self.inputs.matrix(chunk)[0]

    def evaluate(self, chunk: Chunk, mode: Mode) -> AlgorithmOutput:
        grid, truncated = self.inputs.matrix(chunk)
        out = AlgorithmOutput(truncated=truncated)
        if mode.wants_float:
            out.float["ht"] = grid.sum(axis=1)
        if mode.wants_fixed:
            out.fixed["ht"] = run_fixed(self.description, grid).to_float()[:, 0]
        return out


def make(**options: Any) -> FixedHT:
    """The ``l1emu.algorithms`` entry point ``fixed_ht``."""
    return FixedHT(**options)
