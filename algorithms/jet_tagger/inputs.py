"""The tagger's inputs: the 16 hls4ml jet-substructure quantities of a wide jet, and its classes.

Names and order are the hls4ml jet data set's (``j_zlogz, j_c1_b0_mmdt, ..., j_multiplicity``). Our
labels are ``q, g, W, Z, t`` (0..4); hls4ml's one-hot order is ``g, q, W, Z, t``: :data:`TO_HLS4ML`
maps ours to theirs. Rows are read through the features stage from a collection of wide jets:
``fatjets`` (the labelled training rows of the boosted-* samples) or ``widejets`` (every anti-kT
R = 0.8 jet above 150 GeV, in every sample).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from trigger.features import ObjectCut, object_rows
from trigger.fixed import FixedType
from trigger.io.reader import Chunk, Needs
from trigger.names import JET_INPUTS

__all__ = ["CLASSES", "FEATURES", "INPUT_T", "RESULT_T", "SCALE_T", "TO_HLS4ML", "jet_rows"]

FEATURES: tuple[str, ...] = JET_INPUTS
CLASSES: tuple[str, ...] = ("q", "g", "W", "Z", "t")
#: our label k is hls4ml's one-hot column TO_HLS4ML[k] (hls4ml: g, q, W, Z, t)
TO_HLS4ML: tuple[int, ...] = (1, 0, 2, 3, 4)

#: the word each quantity arrives in (12 integer bits hold a 2 TeV mass and 2047 constituents)
INPUT_T = FixedType.from_string("ap_fixed<24,12,AP_RND_CONV,AP_SAT>")
#: the scaling arithmetic ``(x - offset) >> shift`` (trigger.features.scaling)
SCALE_T = FixedType.from_string("ap_fixed<24,12,AP_RND_CONV,AP_SAT>")
#: what the network reads: the scaled inputs
RESULT_T = FixedType.from_string("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")


def needs(collection: str, extra: tuple[str, ...] = ()) -> Needs:
    return Needs({collection: frozenset({"pt", "eta", *FEATURES, *extra})})


def jet_rows(
    chunk: Chunk, collection: str, cut: ObjectCut, extra: tuple[str, ...] = ()
) -> tuple[NDArray[np.float64], NDArray[np.int64], dict[str, NDArray[np.float64]]]:
    """One row per jet passing ``cut``: the (n_jets, 16) inputs, each jet's event index in the chunk,
    and the ``extra`` fields (pt, label, ...) as flat arrays."""
    rows, event = object_rows(chunk.collections[collection], FEATURES + extra, cut)
    n = len(FEATURES)
    return rows[:, :n], event, {f: rows[:, n + k] for k, f in enumerate(extra)}
