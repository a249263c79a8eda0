"""Named input blocks of an algorithm and the matrix they make from a chunk.

Blocks are concatenated in the order given:

* ``{sum: HT}``: an energy sum per event;
* ``{event: nPileup}``: a per-event branch;
* ``{collection: jets, fields: [pt, eta, phi], slots: 4, min_pt: 30, max_abs_eta: 2.4}``: fixed
  object slots (:mod:`trigger.features.slots`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trigger.features.cuts import ObjectCut
from trigger.features.slots import ObjectSlots, RowCast, finite_or_zero, leading_rows
from trigger.io.reader import Chunk, Needs

__all__ = ["EventSum", "EventValue", "FeatureSet", "parse_features"]


@dataclass(frozen=True)
class EventSum:
    """One energy sum (stored or derived) per event."""

    name: str
    width = 1


@dataclass(frozen=True)
class SumPhi:
    """The direction (phi) of one energy sum per event (e.g. MET's), NaN -> 0 where the file has none."""

    name: str
    width = 1


@dataclass(frozen=True)
class EventValue:
    """One per-event branch (e.g. the pile-up count)."""

    name: str
    width = 1


Block = EventSum | SumPhi | EventValue | ObjectSlots


@dataclass(frozen=True)
class FeatureSet:
    """Blocks in order: what to read, and the (n_events, width) matrix with the truncation count."""

    blocks: tuple[Block, ...]

    @property
    def width(self) -> int:
        return sum(b.width for b in self.blocks)

    def needs(self) -> Needs:
        collections: dict[str, frozenset[str]] = {}
        for b in self.blocks:
            if isinstance(b, ObjectSlots):
                collections[b.collection] = collections.get(b.collection, frozenset()) | b.read_fields()
        sums = frozenset(b.name for b in self.blocks if isinstance(b, EventSum))
        events = frozenset(b.name for b in self.blocks if isinstance(b, EventValue))
        phis = frozenset(b.name for b in self.blocks if isinstance(b, SumPhi))
        return Needs(collections, sums, events, phis)

    def matrix(self, chunk: Chunk) -> tuple[NDArray[np.float64], int]:
        """The inputs of every event, non-finite values as 0, and the number of events truncated."""
        rows, truncated = self.rows(chunk)
        return np.ascontiguousarray(rows.T), truncated

    def rows(
        self, chunk: Chunk, out: NDArray[Any] | None = None, cast: RowCast | None = None
    ) -> tuple[NDArray[Any], int]:
        """:meth:`matrix` transposed, one row per input (written into ``out``, (width, n_events), if given: a
        row slice of a C-ordered array), and the number of events truncated. ``cast``: each row's values go
        through ``cast(row index, values, row)`` (:data:`~trigger.features.slots.RowCast`), not a copy."""
        rows = np.empty((self.width, chunk.n), dtype=np.float64) if out is None else out
        if rows.shape != (self.width, chunk.n):
            raise ValueError(f"out has shape {rows.shape}, expected {(self.width, chunk.n)}")
        truncated, at = np.zeros(chunk.n, dtype=bool), 0
        for b in self.blocks:
            if isinstance(b, ObjectSlots):
                truncated |= leading_rows(
                    chunk.collections[b.collection], b.fields, b.slots, b.cut, rows[at : at + b.width], cast, at
                )
            else:
                source = (
                    chunk.sums if isinstance(b, EventSum) else chunk.sum_phi if isinstance(b, SumPhi) else chunk.event
                )
                values = np.asarray(source[b.name], dtype=np.float64).reshape(chunk.n)
                if cast is None:
                    rows[at] = values
                    finite_or_zero(rows[at])
                else:
                    cast(at, finite_or_zero(values.copy()), rows[at])
            at += b.width
        return rows, int(truncated.sum())


def _number(spec: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{where}.{key}: expected a number, got {value!r}")
    return float(value)


def parse_features(specs: Any) -> FeatureSet:
    """Validate an ``inputs`` list; errors say which entry and what is expected."""
    if not isinstance(specs, Sequence) or isinstance(specs, str) or not specs:
        raise ValueError("inputs must be a non-empty list of {sum: NAME}, {event: NAME} or {collection: ...}")
    blocks: list[Block] = []
    for i, spec in enumerate(specs):
        where = f"inputs[{i}]"
        if not isinstance(spec, Mapping):
            raise ValueError(f"{where}: expected a mapping, got {spec!r}")
        if "sum" in spec:
            blocks.append(EventSum(str(spec["sum"])))
            continue
        if "sum_phi" in spec:
            blocks.append(SumPhi(str(spec["sum_phi"])))
            continue
        if "event" in spec:
            blocks.append(EventValue(str(spec["event"])))
            continue
        if "collection" not in spec:
            raise ValueError(f"{where}: expected one of the keys sum, event, collection; got {sorted(spec)}")
        unknown = sorted(set(spec) - {"collection", "fields", "slots", "min_pt", "max_abs_eta"})
        if unknown:
            allowed = "collection, fields, slots, min_pt, max_abs_eta"
            raise ValueError(f"{where}: unknown keys {unknown} (allowed: {allowed})")
        fields = spec.get("fields", ["pt", "eta", "phi"])
        if not isinstance(fields, Sequence) or isinstance(fields, str) or not fields:
            raise ValueError(f"{where}.fields: expected a non-empty list of field names, got {fields!r}")
        slots = spec.get("slots", 1)
        if not isinstance(slots, int) or isinstance(slots, bool) or slots < 1:
            raise ValueError(f"{where}.slots: expected a positive integer, got {slots!r}")
        cut = ObjectCut(_number(spec, "min_pt", where, 0.0), _number(spec, "max_abs_eta", where, math.inf))
        blocks.append(ObjectSlots(str(spec["collection"]), tuple(str(f) for f in fields), slots, cut))
    return FeatureSet(tuple(blocks))
