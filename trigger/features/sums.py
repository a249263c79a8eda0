"""Energy sums derived from objects (HT from jets): computed in the features stage, never in the reader.

A derived sum adds the pt of the objects passing its cut (:mod:`trigger.features.cuts`), in float64.
The schema declares it (``HT: {from: jets, min_pt: 30, max_abs_eta: 2.4}``); the reader only reads the
collection's pt and eta.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.features.cuts import ObjectCut

__all__ = ["scalar_sum"]


def scalar_sum(objects: ak.Array, cut: ObjectCut) -> NDArray[np.float64]:
    """Per event, the sum of pt over objects passing ``cut`` (0 for none)."""
    sel = cut.apply(objects.pt, objects.eta if cut.needs_eta else None)
    return np.asarray(ak.sum(objects.pt[sel], axis=1), dtype=np.float64)
