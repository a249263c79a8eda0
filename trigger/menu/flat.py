"""Flat (numpy) views of a chunk's collections: per-object cuts on contiguous arrays, per-event
counts with ``bincount``, and the sub-chunk of candidate events where combinatorics are worth doing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.io.reader import Chunk
from trigger.menu.model import Leg

__all__ = [
    "Flat",
    "cached_count",
    "cached_mask",
    "flat_view",
    "leg_mask_flat",
    "per_event_count",
    "per_event_max",
]


@dataclass(frozen=True)
class Flat:
    n: int
    counts: NDArray[np.int64]
    event: NDArray[np.int64]  # event index of each object
    fields: dict[str, NDArray[Any]]


def flat_view(chunk: Chunk, name: str) -> Flat:
    key = ("flat", name)
    if key not in chunk.cache:
        coll = chunk.collections[name]
        counts = np.asarray(ak.num(coll, axis=1), dtype=np.int64)
        fields = {f: np.asarray(ak.flatten(coll[f], axis=1)) for f in coll.fields}
        chunk.cache[key] = Flat(chunk.n, counts, np.repeat(np.arange(chunk.n), counts), fields)
    flat: Flat = chunk.cache[key]
    return flat


def leg_mask_flat(leg: Leg, flat: Flat) -> NDArray[np.bool_]:
    """Which objects pass ``leg``'s single-object cuts (conventions in :mod:`trigger.menu.model`)."""
    f = flat.fields
    m = f["pt"] >= leg.min_pt
    if leg.min_abs_eta > 0 or leg.max_abs_eta < math.inf:
        aeta = np.abs(f["eta"])
        if leg.max_abs_eta < math.inf:
            m &= aeta <= leg.max_abs_eta
        if leg.min_abs_eta > 0:
            m &= aeta >= leg.min_abs_eta
    for name, allowed in (("quality", leg.quality), ("iso", leg.iso)):
        if allowed is not None:
            m &= _allowed(f[name], allowed)
    if "bx" in f:
        m &= f["bx"] == leg.bx
    return np.asarray(m, dtype=bool)


def _allowed(values: NDArray[Any], allowed: tuple[int, ...]) -> NDArray[np.bool_]:
    """``values in allowed`` for small non-negative integer codes, by table look-up."""
    v = values.astype(np.int64, copy=False)
    table = np.zeros(max(allowed, default=0) + 2, dtype=bool)
    table[[a for a in allowed if a >= 0]] = True
    inside = (v >= 0) & (v < len(table) - 1)
    return inside & table[np.where(inside, v, len(table) - 1)]


def cached_mask(chunk: Chunk, leg: Leg) -> NDArray[np.bool_]:
    """``leg_mask_flat`` memoised per chunk: seeds sharing a leg (same cuts) share the mask."""
    key = ("mask", leg.collection, leg.min_pt, leg.min_abs_eta, leg.max_abs_eta, leg.quality, leg.iso, leg.bx)
    if key not in chunk.cache:
        chunk.cache[key] = leg_mask_flat(leg, flat_view(chunk, leg.collection))
    mask: NDArray[np.bool_] = chunk.cache[key]
    return mask


def cached_count(chunk: Chunk, leg: Leg) -> NDArray[np.int64]:
    key = (
        "count",
        leg.collection,
        leg.min_pt,
        leg.min_abs_eta,
        leg.max_abs_eta,
        leg.quality,
        leg.iso,
        leg.bx,
    )
    if key not in chunk.cache:
        chunk.cache[key] = per_event_count(flat_view(chunk, leg.collection), cached_mask(chunk, leg))
    count: NDArray[np.int64] = chunk.cache[key]
    return count


def per_event_count(flat: Flat, mask: NDArray[np.bool_]) -> NDArray[np.int64]:
    return np.bincount(flat.event[mask], minlength=flat.n).astype(np.int64)


def per_event_max(flat: Flat, mask: NDArray[np.bool_], values: NDArray[Any]) -> NDArray[np.float64]:
    out = np.full(flat.n, -np.inf)
    np.maximum.at(out, flat.event[mask], values[mask].astype(np.float64))
    return out
