"""The regressor's inputs: station-pair differences of one L1 muon in integer units, as firmware forms them.

The muon system delivers, per station k = 1..4, a hit ``phi``, a polar angle ``theta``, a ``bend``
(track direction minus position), a ``qual`` (hit layers, 0..8) and ``present`` (fields
``st{k}_*`` of the ``muons`` collection, radians). The features stage digitizes them to the words of
a track finder, then forms differences of integers:

=================  ========================  =======================================================
word               unit (LSB)                width
=================  ========================  =======================================================
phi_k              2 pi / 2**16 (0.096 mrad) 16 bits unsigned, the full circle (wraps)
theta_k            pi / 2**12 (0.77 mrad)    0..4096 (0..pi), folded to the positive side: 0..2048
bend_k             2 pi / 2**13 (0.77 mrad)  12 bits signed, saturating (+-1.57 rad)
=================  ========================  =======================================================

Inputs (25, in :data:`FEATURES` order), all integers:

* ``dphi_ij`` (6 pairs 12, 13, 14, 23, 24, 34): ``phi_j - phi_i`` wrapped to 16 bits signed, then
  saturated to 14 bits signed (+-0.785 rad);
* ``dtheta_ij`` (same pairs): ``theta_j - theta_i`` of the folded thetas (the sign follows the
  muon's side of the detector, as the two endcaps are mirrored), saturated to 11 bits signed;
* ``bend_k`` (4), ``qual_k`` (4, 4 bits unsigned), ``present_k`` (4, 1 bit);
* ``theta``: the folded theta of the first present station (12 bits unsigned), the track's angle.

A difference with a missing station is 0 and the ``present`` flags say so: the network is never
asked to read a 0 as a measurement. Every input fits :data:`INPUT_T` (16 integer bits); the
scaling layer (``(x - offset) >> shift``, :mod:`trigger.features.scaling`) brings them to
:data:`RESULT_T`, what the network reads.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from trigger.features import ObjectCut, object_rows
from trigger.fixed import FixedType
from trigger.io.reader import Chunk, Needs

__all__ = [
    "FEATURES",
    "INPUT_T",
    "PAIRS",
    "RESULT_T",
    "SCALE_T",
    "STATION_FIELDS",
    "WIDTHS",
    "digitize",
    "muon_rows",
    "needs",
]

PAIRS: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3))
_PAIR_NAMES = tuple(f"{i + 1}{j + 1}" for i, j in PAIRS)
FEATURES: tuple[str, ...] = (
    *(f"dphi_{p}" for p in _PAIR_NAMES),
    *(f"dtheta_{p}" for p in _PAIR_NAMES),
    *(f"bend_{k}" for k in range(1, 5)),
    *(f"qual_{k}" for k in range(1, 5)),
    *(f"present_{k}" for k in range(1, 5)),
    "theta",
)
#: the station fields read from the ``muons`` collection, station-major
STATION_FIELDS: tuple[str, ...] = tuple(
    f"st{k}_{name}" for k in range(1, 5) for name in ("phi", "theta", "bend", "qual", "present")
)

PHI_BITS, THETA_BITS, BEND_BITS = 16, 12, 13  # LSB: 2 pi / 2**PHI_BITS, pi / 2**THETA_BITS, 2 pi / 2**BEND_BITS
PHI_LSB = 2 * math.pi / 2**PHI_BITS
THETA_LSB = math.pi / 2**THETA_BITS
BEND_LSB = 2 * math.pi / 2**BEND_BITS
#: (signed, bits) of each input kind, as the README table states them
WIDTHS: dict[str, tuple[bool, int]] = {
    "dphi": (True, 14),
    "dtheta": (True, 11),
    "bend": (True, 12),
    "qual": (False, 4),
    "present": (False, 1),
    "theta": (False, 12),
}

#: the word the integer inputs arrive in
INPUT_T = FixedType.from_string("ap_fixed<16,16,AP_RND_CONV,AP_SAT>")
#: the scaling arithmetic ``(x - offset) >> shift``: 10 fractional bits keep every shifted-out bit up to 10
SCALE_T = FixedType.from_string("ap_fixed<26,16,AP_RND_CONV,AP_SAT>")
#: what the network reads
RESULT_T = FixedType.from_string("ap_fixed<16,6,AP_RND_CONV,AP_SAT>")


def _saturate(x: NDArray[np.int64], kind: str) -> NDArray[np.int64]:
    signed, bits = WIDTHS[kind]
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    return np.clip(x, lo, hi)


def _wrap(x: NDArray[np.int64], bits: int) -> NDArray[np.int64]:
    half = 2 ** (bits - 1)
    return np.asarray((x + half) % (2 * half) - half)


def digitize(stations: NDArray[np.float64]) -> NDArray[np.float64]:
    """The (n, 25) integer inputs from the (n, 20) station fields (:data:`STATION_FIELDS` order)."""
    st = np.asarray(stations, dtype=np.float64).reshape(len(stations), 4, 5)
    present = st[:, :, 4] > 0
    phi = np.rint(st[:, :, 0] / PHI_LSB).astype(np.int64) % 2**PHI_BITS
    theta = np.clip(np.rint(st[:, :, 1] / THETA_LSB).astype(np.int64), 0, 2**THETA_BITS)  # 0..pi
    bend = _saturate(np.rint(st[:, :, 2] / BEND_LSB).astype(np.int64), "bend")
    qual = _saturate(st[:, :, 3].astype(np.int64), "qual")
    rows = np.arange(len(st))
    first = np.argmax(present, axis=1)
    # the mirrored side (theta > pi/2) is folded onto the positive one, station by station
    negative = theta[rows, first] > 2**THETA_BITS // 2
    folded = np.where(negative[:, None], 2**THETA_BITS - theta, theta)
    folded = np.where(present, folded, 0)
    cols: list[NDArray[np.int64]] = []
    both = [present[:, i] & present[:, j] for i, j in PAIRS]
    for (i, j), ok in zip(PAIRS, both, strict=True):
        cols.append(np.where(ok, _saturate(_wrap(phi[:, j] - phi[:, i], PHI_BITS), "dphi"), 0))
    for (i, j), ok in zip(PAIRS, both, strict=True):
        cols.append(np.where(ok, _saturate(folded[:, j] - folded[:, i], "dtheta"), 0))
    cols += [np.where(present[:, k], bend[:, k], 0) for k in range(4)]
    cols += [np.where(present[:, k], qual[:, k], 0) for k in range(4)]
    cols += [present[:, k].astype(np.int64) for k in range(4)]
    cols.append(_saturate(folded[rows, first], "theta"))
    return np.stack(cols, axis=1).astype(np.float64)


def needs(collection: str, extra: tuple[str, ...] = ()) -> Needs:
    return Needs({collection: frozenset({"pt", "eta", "quality", "bx", *STATION_FIELDS, *extra})})


def muon_rows(
    chunk: Chunk, collection: str, cut: ObjectCut, min_quality: int = 0, extra: tuple[str, ...] = ()
) -> tuple[NDArray[np.float64], NDArray[np.int64], dict[str, NDArray[np.float64]]]:
    """One row per in-time muon passing ``cut`` and ``quality >= min_quality``: the (n, 25) inputs,
    each muon's event index in the chunk, and the ``extra`` fields (pt, genPt, ...) as flat arrays."""
    fields = (*STATION_FIELDS, "quality", "bx", *extra)
    rows, event = object_rows(chunk.collections[collection], fields, cut)
    n = len(STATION_FIELDS)
    keep = (rows[:, n] >= min_quality) & (rows[:, n + 1] == 0)
    rows, event = rows[keep], event[keep]
    return digitize(rows[:, :n]), event, {f: rows[:, n + 2 + k] for k, f in enumerate(extra)}
