"""The 57 inputs of the anomaly trigger (CMS AXOL1TL): pT, eta, phi of MET, 4 e/gamma, 4 muons, 10 jets.

Object slots come from the features stage (:mod:`trigger.features`): the leading objects of each
collection in pT order, zero-padded, events with more objects than slots counted as truncated. MET
has no eta: its slot is 0, as in AXOL1TL. Every value arrives in :data:`INPUT_T`, is scaled as the
firmware does, ``(x - offset) >> shift`` in :data:`SCALE_T` (:mod:`trigger.features.scaling`,
offsets and shifts fitted on the training sample and shipped in ``scaling.json``), and reaches the
networks in :data:`RESULT_T`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from algorithms.anomaly.workspace import buffer
from trigger.features import EventSum, FeatureSet, ObjectSlots, SumPhi
from trigger.fixed import FixedType
from trigger.io.reader import Chunk, Needs
from trigger.nn.fast_scale import RowScale

__all__ = [
    "FEATURES",
    "INPUT_T",
    "N_INPUTS",
    "RESULT_T",
    "SCALE_T",
    "SLOTS",
    "feature_rows",
    "features",
    "needs",
    "scaled_rows",
]

#: (collection, slots) in input order after MET
SLOTS: tuple[tuple[str, int], ...] = (("egamma", 4), ("muons", 4), ("jets", 10))
_SHORT = {"egamma": "eg", "muons": "mu", "jets": "jet"}
_OBJECTS = tuple(f"{_SHORT[c]}{k}_{f}" for c, n in SLOTS for k in range(n) for f in ("pt", "eta", "phi"))
FEATURES: tuple[str, ...] = ("met_pt", "met_eta", "met_phi", *_OBJECTS)
N_INPUTS = len(FEATURES)  # 57

#: the word each value arrives in: 13 integer bits hold 4 TeV, 5 fraction bits (1/32 GeV, 0.03 rad)
INPUT_T = FixedType.from_string("ap_fixed<18,13,AP_RND_CONV,AP_SAT>")
#: ``x - offset`` and the shift (AXOL1TL's ap_fixed<18,13>; saturating, so a 4 TeV object cannot wrap)
SCALE_T = FixedType.from_string("ap_fixed<18,13,AP_RND_CONV,AP_SAT>")
#: what the networks read (AXOL1TL's later ap_fixed<14,6>: 8 fraction bits, saturating at +-32)
RESULT_T = FixedType.from_string("ap_fixed<14,6,AP_RND_CONV,AP_SAT>")

_MET_PT = FeatureSet((EventSum("MET"),))
#: every input after MET eta (which is 0)
_REST = FeatureSet((SumPhi("MET"), *(ObjectSlots(c, ("pt", "eta", "phi"), n) for c, n in SLOTS)))


def needs() -> Needs:
    return _MET_PT.needs() | _REST.needs()


def feature_rows(chunk: Chunk, *, reuse: bool = False) -> tuple[NDArray[np.float64], int]:
    """The (57, n_events) raw inputs, one row per input (the layout of the fixed-point path), and the number of
    events whose objects overflowed a slot block; ``reuse``: in this thread's buffer (:mod:`.workspace`), valid
    until the next chunk."""
    size = N_INPUTS * chunk.n
    flat = buffer("anomaly.rows", size, np.float64) if reuse else np.empty(size, dtype=np.float64)
    rows = flat.reshape(N_INPUTS, chunk.n)
    _MET_PT.rows(chunk, rows[:1])
    rows[1] = 0.0  # MET eta
    _, truncated = _REST.rows(chunk, rows[2:])
    return rows, truncated


def scaled_rows(chunk: Chunk, scale: RowScale, out: NDArray[np.float32]) -> int:
    """:func:`feature_rows` cast and scaled as each row is read (``scale``: the scaling layer's :class:`~trigger.nn.
    fast_scale.RowScale`): the ``result_t`` raws written into ``out`` (57, n_events), float32; the number of
    events whose objects overflowed a slot block."""
    _MET_PT.rows(chunk, out[:1], scale)
    scale(1, np.zeros(chunk.n, dtype=np.float32), out[1])  # MET eta = 0

    def rest(i: int, values: NDArray[np.floating], row: NDArray[np.float32]) -> None:
        scale(i + 2, values, row)

    _, truncated = _REST.rows(chunk, out[2:], rest)
    return truncated


def features(chunk: Chunk) -> tuple[NDArray[np.float64], int]:
    """The (n_events, 57) raw inputs and the number of events whose objects overflowed a slot block
    (:func:`feature_rows`, one row per event)."""
    rows, truncated = feature_rows(chunk)
    return np.ascontiguousarray(rows.T), truncated
