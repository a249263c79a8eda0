"""A fixed-point HT: the scalar sum of the leading jets' pt, in float and in ``ap_fixed`` arithmetic.

It exercises the algorithm-seed interface (it is not a trained algorithm): jets passing
``pt >= min_pt`` and ``|eta| <= max_abs_eta`` fill ``slots`` inputs in pt order (extra jets are dropped
and the event counted as truncated); each pt is converted to ``pt_type`` (the C++ ``pt_t x = pt;``),
the slots are added at full precision and the sum is assigned to ``ht_type``. The float path adds
the same jets in float64.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

from trigger.fixed import FixedType
from trigger.io.reader import Chunk, Needs
from trigger.menu.algorithm import AlgorithmOutput, register_algorithm

__all__ = ["FixedHT"]


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
        if not isinstance(slots, int) or slots < 1:
            raise ValueError(f"slots must be a positive integer, got {slots!r}")
        self.collection = collection
        self.slots = slots
        self.min_pt = float(min_pt)
        self.max_abs_eta = float(max_abs_eta)
        self.pt_type = FixedType.from_string(pt_type)
        self.ht_type = FixedType.from_string(ht_type)

    def needs(self) -> Needs:
        return Needs({self.collection: frozenset({"pt", "eta"})})

    def evaluate(self, chunk: Chunk, mode: str) -> AlgorithmOutput:
        jets = chunk.collections[self.collection]
        sel = jets[(jets.pt >= self.min_pt) & (abs(jets.eta) <= self.max_abs_eta)]
        pt = sel.pt[ak.argsort(sel.pt, axis=1, ascending=False)]
        truncated = int(np.count_nonzero(np.asarray(ak.num(pt, axis=1)) > self.slots))
        padded = ak.fill_none(ak.pad_none(pt[:, : self.slots], self.slots, axis=1, clip=True), 0.0)
        grid = np.asarray(ak.to_numpy(padded), dtype=np.float64).reshape(chunk.n, self.slots)
        out = AlgorithmOutput(truncated=truncated)
        if mode in ("float", "both"):
            out.float["ht"] = grid.sum(axis=1)
        if mode in ("fixed", "both"):
            fx = self.pt_type.from_float(grid)
            total = fx[:, 0]
            for k in range(1, self.slots):
                total = total + fx[:, k]
            out.fixed["ht"] = total.cast(self.ht_type).to_float()
        return out


@register_algorithm("fixed_ht")
def _make(**options: Any) -> FixedHT:
    return FixedHT(**options)
