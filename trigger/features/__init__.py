"""The features stage, between events and algorithms: fixed object slots, derived sums, input scaling.

Data flows files -> events -> **features** -> algorithms. :func:`read_events` is how every consumer
(the event loop, the HLS export's C simulation) gets a chunk: the reader's collections and stored
sums, plus the sums this stage derives (HT from jets) with the one cut convention of
:mod:`trigger.features.cuts`.
"""

from __future__ import annotations

from trigger.features.cuts import ObjectCut, passes
from trigger.features.slots import ObjectSlots, leading, object_rows
from trigger.features.spec import EventSum, EventValue, FeatureSet, SumPhi, parse_features
from trigger.features.sums import scalar_sum
from trigger.io.files import WorkItem
from trigger.io.reader import Chunk, Needs, read_chunk
from trigger.io.schema import Schema

__all__ = [
    "EventSum",
    "EventValue",
    "FeatureSet",
    "ObjectCut",
    "ObjectSlots",
    "SumPhi",
    "derive_sums",
    "leading",
    "object_rows",
    "parse_features",
    "passes",
    "read_events",
    "scalar_sum",
]


def derive_sums(chunk: Chunk, schema: Schema, needs: Needs) -> Chunk:
    """Add the derived sums ``needs`` asks for (``from: COLLECTION`` in the schema) to ``chunk.sums``."""
    for name in needs.sums:
        spec = schema.sums[name]
        if spec.from_collection is not None:
            cut = ObjectCut(spec.min_pt, spec.max_abs_eta)
            chunk.sums[name] = scalar_sum(chunk.collections[spec.from_collection], cut)
    return chunk


def read_events(item: WorkItem, schema: Schema, needs: Needs) -> Chunk:
    """One chunk through the reader and the features stage."""
    return derive_sums(read_chunk(item, schema, needs), schema, needs)
