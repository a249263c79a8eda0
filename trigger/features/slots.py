"""Fixed input slots: the leading N objects of a collection in pt order, zero-padded, truncation counted.

Firmware reads a fixed number of objects per collection. Objects passing the cut
(:mod:`trigger.features.cuts`) are sorted by descending pt; the first ``slots`` fill the inputs
object-major (``obj0.f0, obj0.f1, ..., obj1.f0, ...``); missing slots are zero; events with more
passing objects than slots are counted as truncated (the rate table reports them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np
from numpy.typing import NDArray

from trigger.features.cuts import ObjectCut

__all__ = ["ObjectSlots", "RowCast", "finite_or_zero", "leading", "leading_rows", "object_rows"]

#: ``cast(i, values, row)`` writes input row ``i``'s values (finite, in their own dtype; maybe ``row`` itself)
#: into ``row`` as it wants them (e.g. :class:`trigger.nn.fast_scale.RowScale`: cast and scaled)
RowCast = Callable[[int, NDArray[Any], NDArray[Any]], None]


def leading(
    objects: ak.Array, fields: tuple[str, ...], slots: int, cut: ObjectCut
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """The (n_events, slots * len(fields)) matrix and, per event, whether objects were dropped
    (:func:`leading_rows`, one row per event)."""
    rows = np.empty((slots * len(fields), len(objects)), dtype=np.float64)
    dropped = leading_rows(objects, fields, slots, cut, rows)
    return np.ascontiguousarray(rows.T), dropped


def leading_rows(
    objects: ak.Array,
    fields: tuple[str, ...],
    slots: int,
    cut: ObjectCut,
    out: NDArray[Any],
    cast: RowCast | None = None,
    first: int = 0,
) -> NDArray[np.bool_]:
    """Fill ``out`` (slots * len(fields), n_events), one row per input (``slot * len(fields) + field``), and
    say per event whether objects were dropped.

    Non-finite field values of kept objects become 0 (the reader already dropped objects with a
    non-finite pt, eta or phi and counted them). Built for the event loop: the records are flattened
    once and each field is read at ``slots`` positions per event, not per object, straight into its
    contiguous rows (empty slots read a 0 appended to the field); awkward's segmented stable sort runs
    only if some event is not already in descending pt (files usually store objects pt-ordered, as the
    firmware sends them), so ties keep their file order either way. ``cast``: each row goes through
    ``cast(first + row index, values, row)`` instead of a plain copy.
    """
    offsets, flat = _flat_fields(objects, {"pt", *fields} | ({"eta"} if cut.needs_eta else set()))
    pt = flat["pt"]
    keep = np.asarray(cut.apply(pt, flat["eta"] if cut.needs_eta else None), dtype=bool)
    source: NDArray[np.int64] | None = None  # flat index of each passing object (None: all pass)
    starts = offsets[:-1]  # each event's first position among the passing objects
    if not keep.all():
        kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
        starts, source = kept[offsets[:-1]], np.flatnonzero(keep)
        counts = kept[offsets[1:]] - starts
        pt = pt[source]
    else:
        counts = np.diff(offsets)
    m = int(offsets[-1])  # objects in the chunk: position m reads the appended 0
    slot = np.arange(slots)[:, None]
    index = starts[None, :] + slot  # (slots, n) positions among the passing objects where a slot is filled
    if len(pt):
        order = _descending(pt, starts, counts)
        if order is not None:
            index = starts[None, :] + np.take(order, index, mode="clip")  # clipped reads land on empty slots
        if source is not None:
            index = np.take(source, index, mode="clip")
    np.putmask(index, slot >= counts[None, :], m)
    # a slot filled in few events (e.g. the second muon): zeros, then its few values where they are
    filled = np.bincount(np.minimum(counts, slots), minlength=slots + 1)[::-1].cumsum()[::-1][1:]
    sparse: dict[int, tuple[NDArray[np.intp], NDArray[np.int64]]] = {
        s: (events, index[s][events])
        for s in range(slots)
        if _SPARSE * int(filled[s]) < len(counts)
        for events in (np.flatnonzero(counts > s),)
    }
    width, padded = len(fields), None
    for k, name in enumerate(fields):
        values = flat[name]
        dtype = values.dtype if values.dtype.kind == "f" else np.dtype(np.float64)  # float32 stays float32: exact
        if padded is None or padded.dtype != dtype:
            padded = np.empty(m + 1, dtype=dtype)
            padded[m] = 0.0
        padded[:m] = values
        finite_or_zero(padded[:m])
        for s in range(slots):
            row, i = out[s * width + k], first + s * width + k
            if s in sparse:
                events, where = sparse[s]
                _fill_sparse(row, padded, events, where, cast, i)
            elif dtype == row.dtype:  # every index lies in [0, m]: "wrap" (here faster) reads what "clip" does
                np.take(padded, index[s], out=row, mode="wrap")
                if cast is not None:
                    cast(i, row, row)
            elif cast is not None:
                cast(i, np.take(padded, index[s], mode="wrap"), row)
            else:
                row[...] = np.take(padded, index[s], mode="wrap")
    return np.asarray(counts > slots)


#: a slot filled in fewer than one event in this many is written as zeros and its few values
_SPARSE = 8


def _fill_sparse(
    row: NDArray[Any],
    padded: NDArray[Any],
    events: NDArray[np.intp],
    where: NDArray[np.int64],
    cast: RowCast | None,
    i: int,
) -> None:
    """``row`` as the dense path writes it for a slot filled only in ``events`` (their objects at ``where`` in
    ``padded``, whose last entry is the 0 of an empty slot): a cast is element by element, so the cast 0
    everywhere, then the cast values at ``events``."""
    zero, values = padded[-1:], padded[where]
    if cast is None:
        row[...] = zero[0]
        row[events] = values
        return
    z = np.empty(1, dtype=row.dtype)
    cast(i, zero, z)
    row[...] = z[0]
    cast_values = np.empty(len(values), dtype=row.dtype)
    cast(i, values, cast_values)
    row[events] = cast_values


def _flat_fields(objects: ak.Array, names: set[str]) -> tuple[NDArray[np.int64], dict[str, NDArray[Any]]]:
    """Each event's start among the flattened objects (n + 1 offsets from 0) and the named fields, flattened.

    A list of records of plain numbers (what the reader builds) is read straight from its buffers; anything
    else (masked, indexed) goes through ``ak.flatten``.
    """
    layout = objects.layout
    if isinstance(layout, ak.contents.ListOffsetArray) and isinstance(layout.content, ak.contents.RecordArray):
        offsets = np.asarray(layout.offsets, dtype=np.int64)
        lo, hi = int(offsets[0]), int(offsets[-1])
        buffers = {name: layout.content.content(name) for name in names}
        if all(isinstance(b, ak.contents.NumpyArray) and b.data.ndim == 1 for b in buffers.values()):
            return offsets - lo, {name: np.asarray(b.data)[lo:hi] for name, b in buffers.items()}
    flat = ak.flatten(objects, axis=1)
    offsets = np.concatenate(([0], np.cumsum(np.asarray(ak.num(objects, axis=1), dtype=np.int64))))
    return offsets, {name: np.asarray(flat[name]) for name in names}


def _descending(
    pt: NDArray[np.floating], starts: NDArray[np.int64], counts: NDArray[np.int64]
) -> NDArray[np.int64] | None:
    """Each position's index within its event after a stable descending pt sort, or None if every
    event is already in that order (the sort would be the identity)."""
    rising = pt[1:] > pt[:-1]
    first = starts[(starts > 0) & (starts < len(pt))]
    rising[first - 1] = False  # pairs across an event boundary
    if not rising.any():
        return None
    within = ak.argsort(ak.unflatten(pt, counts), axis=1, ascending=False, stable=True)
    return np.asarray(ak.flatten(within, axis=1), dtype=np.int64)


def finite_or_zero(values: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """``values`` with NaN and +-inf set to 0, in place (``np.nan_to_num`` costs several times more; one
    ``isfinite(...).all()`` pass, half a float32 sum's time here, proves every value finite)."""
    if not np.isfinite(values).all():
        values[~np.isfinite(values)] = 0.0
    return values


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
