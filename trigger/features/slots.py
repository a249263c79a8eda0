"""Fixed input slots: the leading N objects of a collection in pt order, zero-padded, truncation counted.

Firmware reads a fixed number of objects per collection. Objects passing the cut
(:mod:`trigger.features.cuts`) are sorted by descending pt; the first ``slots`` fill the inputs
object-major (``obj0.f0, obj0.f1, ..., obj1.f0, ...``); missing slots are zero; events with more
passing objects than slots are counted as truncated (the rate table reports them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.features.cuts import ObjectCut

__all__ = ["ObjectSlots", "leading", "object_rows"]


def leading(
    objects: ak.Array, fields: tuple[str, ...], slots: int, cut: ObjectCut
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The (n_events, slots * len(fields)) matrix and, per event, whether objects were dropped.

    Non-finite field values of kept objects become 0 (the reader already dropped objects with a
    non-finite pt, eta or phi and counted them).
    """
    n = len(objects)
    sel = objects[cut.apply(objects.pt, objects.eta if cut.needs_eta else None)]
    order = ak.argsort(sel.pt, axis=1, ascending=False, stable=True)
    lead = sel[order][:, :slots]
    counts = np.asarray(ak.num(sel, axis=1))
    out = np.zeros((n, slots, len(fields)), dtype=np.float64)
    kept = np.minimum(counts, slots)
    event = np.repeat(np.arange(n), kept)
    slot = np.arange(int(kept.sum())) - np.repeat(np.cumsum(kept) - kept, kept)
    for k, name in enumerate(fields):
        out[event, slot, k] = np.asarray(ak.flatten(lead[name], axis=1), dtype=np.float64)
    matrix = out.reshape(n, slots * len(fields))
    np.nan_to_num(matrix, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return matrix, counts > slots


def object_rows(
    objects: ak.Array, fields: tuple[str, ...], cut: ObjectCut
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """One row per object passing ``cut`` (firmware that runs once per object, e.g. a jet tagger): the
    (n_objects, len(fields)) values in file order, non-finite values as 0, and each object's event index."""
    mask = cut.apply(objects.pt, objects.eta if cut.needs_eta else None)
    counts = np.asarray(ak.sum(mask, axis=1), dtype=np.int64)
    event = np.repeat(np.arange(len(objects)), counts)
    keep = np.asarray(ak.flatten(mask, axis=1), dtype=bool)
    flat = ak.flatten(objects, axis=1)  # one flattening of the records; fields are then plain arrays
    rows = np.zeros((len(event), len(fields)), dtype=np.float64)
    for k, name in enumerate(fields):
        rows[:, k] = np.asarray(flat[name], dtype=np.float64)[keep]
    np.nan_to_num(rows, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
    return rows, event


@dataclass(frozen=True)
class ObjectSlots:
    """``slots`` objects of ``collection`` x ``fields``, after ``cut``."""

    collection: str
    fields: tuple[str, ...] = ("pt", "eta", "phi")
    slots: int = 1
    cut: ObjectCut = field(default_factory=ObjectCut)

    def __post_init__(self) -> None:
        if not isinstance(self.slots, int) or isinstance(self.slots, bool) or self.slots < 1:
            raise ValueError(f"slots must be a positive integer, got {self.slots!r}")
        if not self.fields:
            raise ValueError("fields must name at least one field")

    @property
    def width(self) -> int:
        return self.slots * len(self.fields)

    def read_fields(self) -> frozenset[str]:
        return frozenset({"pt", *self.fields} | ({"eta"} if self.cut.needs_eta else set()))
